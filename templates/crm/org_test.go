package crm_test

import (
	"context"
	"slices"
	"testing"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/templates/crm"
)

// The demo's organisation: the departments with a 主管 each, and the roles of S9 checked
// against the template's tables (联系电话 masked for 销售, 订单 alone for 财务).
func TestDemoOrganisation(t *testing.T) {
	ctx := context.Background()
	a, err := app.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, err := crm.Demo(ctx, a.DB, a.Catalog, a.Users, crm.DemoOptions{Customers: 10, Seed: 1, Today: today}); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second run adds nothing
		if err := crm.InstallOrg(ctx, a.Org, a.Users); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, d := range a.Org.Departments() {
		if len(d.Heads) != 1 {
			t.Errorf("%s has heads %v", d.Name, d.Heads)
		}
		got = append(got, d.Name)
	}
	if want := []string{"销售部", "华东区", "华南区", "华北区", "客服部", "财务部"}; !slices.Equal(got, want) {
		t.Fatalf("departments %v, want %v", got, want)
	}
	roles := map[string]*access.Role{}
	for _, r := range a.Org.Roles() {
		roles[r.Name] = r.Role
	}
	cust, _ := a.Catalog.Table("客户")
	orders, _ := a.Catalog.Table("订单")
	sales := roles["销售"].Tables[cust.ID]
	if sales == nil || sales.Read.Kind != access.ScopeOwn || sales.Fields[cust.Field("联系电话").ID] != access.FieldMasked {
		t.Fatalf("销售 on 客户: %+v", sales)
	}
	if roles["销售经理"].Tables[cust.ID].Read.Kind != access.ScopeSubDepartments || roles["销售总监"].Tables[cust.ID].Read.Kind != access.ScopeAll {
		t.Fatal("销售经理 and 销售总监 scopes")
	}
	contracts, _ := a.Catalog.Table("合同")
	quotes, _ := a.Catalog.Table("报价单")
	if fin := roles["财务"].Tables; len(fin) != 2 || fin[orders.ID] == nil || fin[contracts.ID] == nil {
		t.Fatalf("财务 tables %v", fin)
	}
	if fin := roles["财务总监"].Tables; len(fin) != 4 || fin[quotes.ID] == nil || fin[cust.ID] == nil {
		t.Fatalf("财务总监 tables %v", fin)
	}
	if len(a.Users.List()) != 12 {
		t.Fatalf("%d demo users, want 12", len(a.Users.List()))
	}
}
