package records_test

import (
	"strings"
	"testing"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/platform/problem"
)

// A 地址 written as people write it is stored as its path of divisions and street address,
// filtered by province or city ("under"), and one not in the dataset is a 400 naming the
// nearest divisions, with nothing stored.
func TestAddressStoredFilteredAndRefused(t *testing.T) {
	w := open(t)
	tb, err := w.recs.Catalog.CreateTable(ctx, access.System, "", "门店", []*schema.Field{
		{Name: "名称", Type: schema.Text}, {Name: "地址", Type: schema.Address}})
	if err != nil {
		t.Fatal(err)
	}
	addr := tb.Field("地址").ID
	for name, typed := range map[string]string{"南山店": "广东深圳南山区科技园南区88号", "福田店": "广东省/深圳市/福田区", "朝阳店": "北京朝阳区建国路1号"} {
		w.create(t, w.admin, tb, records.Input{"名称": name, "地址": typed})
	}
	list := func(n *cond.Node) map[string]string {
		t.Helper()
		page, err := w.recs.List(ctx, w.admin, tb, records.Query{Filter: n, Sort: "名称"})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, r := range page.Items {
			out[r[tb.Field("名称").ID].(string)], _ = r[addr].(string)
		}
		return out
	}
	all := list(nil)
	if all["南山店"] != "广东省/深圳市/南山区/科技园南区88号" || all["朝阳店"] != "北京市/北京市/朝阳区/建国路1号" || all["福田店"] != "广东省/深圳市/福田区" {
		t.Errorf("stored %v", all)
	}
	for value, want := range map[string]int{"广东省": 2, "广东省/深圳市": 2, "广东省/深圳市/南山区": 1, "北京市": 1, "上海市": 0} {
		if got := list(&cond.Node{Field: "地址", Op: "under", Value: value}); len(got) != want {
			t.Errorf("under %s: %v, want %d", value, got, want)
		}
	}

	_, err = w.recs.Create(ctx, w.admin, tb, records.Input{"名称": "错址", "地址": "广东省/深证市/南山区"})
	p := problem.As(err)
	if p != nil && len(p.Details) == 1 {
		p = p.Details[0]
	}
	if p == nil || p.Status != 400 || p.Code != "bad_address" || p.Field != "地址" || !strings.Contains(p.Message("zh"), "深圳市") || !strings.Contains(p.Message("en"), "did you mean") {
		t.Fatalf("an address not in the dataset: %v", err)
	}
	if got := list(nil); len(got) != 3 {
		t.Errorf("a refused address was stored: %v", got)
	}
}
