package access_test

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// fixture is a 客户 table on a real database with six records:
//
//	id  owner  created_by  地区
//	1   1      1           华东
//	2   1      2           华南
//	3   2      2           华南
//	4   nil    1           华东
//	5   3      3           华北
//	6   4      4           华东
type fixture struct {
	db *store.DB
	tb *schema.Table
}

func newFixture(t *testing.T) fixture {
	ctx := context.Background()
	db, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cat, err := schema.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := cat.CreateTable(ctx, access.System, "", "客户", []*schema.Field{{Name: "客户名称", Type: schema.Text}, {Name: "地区", Type: schema.Text}, {Name: "电话", Type: schema.Text}})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range [][3]any{{1, 1, "华东"}, {1, 2, "华南"}, {2, 2, "华南"}, {nil, 1, "华东"}, {3, 3, "华北"}, {4, 4, "华东"}} {
		if err := db.Exec(ctx, fmt.Sprintf("INSERT INTO %s(%s, %s, %s, %s, %s) VALUES(?, ?, ?, ?, ?)", store.Quote(tb.SQLName()),
			store.Quote(tb.Field("客户名称").Column()), store.Quote(schema.FieldOwner), store.Quote(schema.FieldCreatedBy),
			store.Quote(tb.Field("地区").Column()), store.Quote(tb.Field("电话").Column())), fmt.Sprint("客户", i+1), r[0], r[1], r[2], "13800000000"); err != nil {
			t.Fatal(err)
		}
	}
	return fixture{db, tb}
}

// ids returns the records of the actor's scope for op, by running the compiled scope.
func (fx fixture) ids(t *testing.T, a access.Actor, op access.Op) []int64 {
	t.Helper()
	n := &cond.Node{}
	if sc := access.Scope(a, fx.tb, op); sc != nil {
		n.And = []*cond.Node{sc}
	}
	w, args, err := cond.Compile(n, fx.tb, access.Env(a, cond.Env{}))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := fx.db.R.Query("SELECT id FROM "+store.Quote(fx.tb.SQLName())+" WHERE "+w+" ORDER BY id", args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		out = append(out, id)
	}
	return out
}

// record reads one whole record keyed by field id, in storage form as far as the scopes need.
func (fx fixture) record(t *testing.T, id int64) map[string]any {
	t.Helper()
	rec := map[string]any{schema.FieldID: float64(id)}
	var owner, by sql.NullInt64
	var name, region, phone string
	err := fx.db.R.QueryRow(fmt.Sprintf("SELECT %s, %s, %s, %s, %s FROM %s WHERE id = ?", store.Quote(schema.FieldOwner), store.Quote(schema.FieldCreatedBy),
		store.Quote(fx.tb.Field("客户名称").Column()), store.Quote(fx.tb.Field("地区").Column()), store.Quote(fx.tb.Field("电话").Column()), store.Quote(fx.tb.SQLName())), id).
		Scan(&owner, &by, &name, &region, &phone)
	if err != nil {
		t.Fatal(err)
	}
	for f, v := range map[string]sql.NullInt64{schema.FieldOwner: owner, schema.FieldCreatedBy: by} {
		if v.Valid {
			rec[f] = v.Int64
		}
	}
	rec[fx.tb.Field("客户名称").ID], rec[fx.tb.Field("地区").ID], rec[fx.tb.Field("电话").ID] = name, region, phone
	return rec
}

// role is a role with the same permissions on every table.
func role(id string, read, change access.DataScope, acts ...access.TableAction) *access.Role {
	return &access.Role{ID: id, Default: &access.TablePerm{Actions: acts, Read: read, Change: change}}
}

// grants are user 1's: their department holds users 1 and 2, the one below it user 3.
func grants(roles ...*access.Role) *access.Grants {
	return &access.Grants{Roles: roles, Departments: []int64{10}, DepartmentUsers: []int64{1, 2}, SubDepartmentUsers: []int64{1, 2, 3}}
}

var (
	viewEdit = []access.TableAction{access.View, access.Add, access.Edit, access.Remove}
	all      = access.DataScope{Kind: access.ScopeAll}
	own      = access.DataScope{Kind: access.ScopeOwn}
	dept     = access.DataScope{Kind: access.ScopeDepartment}
	sub      = access.DataScope{Kind: access.ScopeSubDepartments}
)

func custom(n *cond.Node) access.DataScope {
	return access.DataScope{Kind: access.ScopeCustom, Cond: n}
}

// The scopes, compiled into SQL on a real table, select what each actor may read, update
// and delete: the union over their roles, change scopes within read scopes.
func TestScopesOnATable(t *testing.T) {
	fx := newFixture(t)
	as := func(roles ...*access.Role) access.Actor {
		return access.Actor{UserID: 1, Role: access.RoleMember, Grants: grants(roles...)}
	}
	east := &cond.Node{Field: "地区", Op: "eq", Value: "华东"}
	for _, c := range []struct {
		name                 string
		a                    access.Actor
		read, update, remove []int64
	}{
		{"成员 as shipped", access.Actor{UserID: 1, Role: access.RoleMember}, []int64{1, 2}, []int64{1, 2}, []int64{1, 2}},
		{"admin", access.Actor{UserID: 9, Role: access.RoleAdmin}, []int64{1, 2, 3, 4, 5, 6}, []int64{1, 2, 3, 4, 5, 6}, []int64{1, 2, 3, 4, 5, 6}},
		{"a role granting everything", as(&access.Role{ID: "x", All: true}), []int64{1, 2, 3, 4, 5, 6}, []int64{1, 2, 3, 4, 5, 6}, []int64{1, 2, 3, 4, 5, 6}},
		{"本部门 reads, 仅本人 changes", as(role("m", dept, own, viewEdit...)), []int64{1, 2, 3}, []int64{1, 2}, []int64{1, 2}},
		{"本部门及下级", as(role("m", sub, sub, viewEdit...)), []int64{1, 2, 3, 5}, []int64{1, 2, 3, 5}, []int64{1, 2, 3, 5}},
		{"仅本人 by 创建人", as(role("c", access.DataScope{Kind: access.ScopeOwn, By: "creator"}, own, viewEdit...)), []int64{1, 4}, []int64{1}, []int64{1}},
		{"custom with $myDepartments", as(role("c", custom(&cond.Node{Field: schema.FieldOwner, Op: "eq", Value: cond.MyDepartments}), all, viewEdit...)), []int64{1, 2, 3}, []int64{1, 2, 3}, []int64{1, 2, 3}},
		{"union of two roles", as(role("o", own, own, viewEdit...), role("e", custom(east), custom(east), access.View, access.Edit)), []int64{1, 2, 4, 6}, []int64{1, 2, 4, 6}, []int64{1, 2}},
		{"全部 in one role wins", as(role("o", own, own, viewEdit...), role("a", all, all, viewEdit...)), []int64{1, 2, 3, 4, 5, 6}, []int64{1, 2, 3, 4, 5, 6}, []int64{1, 2, 3, 4, 5, 6}},
		{"change wider than read", as(role("w", own, all, viewEdit...)), []int64{1, 2}, []int64{1, 2}, []int64{1, 2}},
		{"no view", as(role("n", all, all, access.Add, access.Edit)), []int64{}, []int64{}, []int64{}},
		{"no roles", as(), []int64{}, []int64{}, []int64{}},
		{"a custom scope without a condition", as(role("c", custom(nil), custom(nil), viewEdit...)), []int64{}, []int64{}, []int64{}},
	} {
		for op, want := range map[access.Op][]int64{access.Read: c.read, access.Update: c.update, access.Delete: c.remove} {
			if got := fx.ids(t, c.a, op); !slices.Equal(got, want) {
				t.Errorf("%s, op %d: %v, want %v", c.name, op, got, want)
			}
		}
	}
	if access.Scope(access.System, fx.tb, access.Read) != nil {
		t.Errorf("the system is scoped")
	}
}

// A field is readable on a row when a role that reads that row may read it, and writable
// when a role that may change that row may edit it: never one role's columns on another's rows.
func TestFieldsPerRow(t *testing.T) {
	fx := newFixture(t)
	phone, region := fx.tb.Field("电话").ID, fx.tb.Field("地区").ID
	east := &cond.Node{Field: "地区", Op: "eq", Value: "华东"}
	// 销售: own records, phone hidden, 地区 read-only; 华东专员: 华东 records with the phone, read only
	seller := role("seller", own, own, viewEdit...)
	seller.Default.Fields = map[string]access.FieldAccess{phone: access.FieldHidden, region: access.FieldRead}
	eastRole := role("east", custom(east), custom(east), access.View, access.Edit)
	eastRole.Default.Fields = map[string]access.FieldAccess{phone: access.FieldRead}
	a := access.Actor{UserID: 1, Role: access.RoleMember, Grants: grants(seller, eastRole)}

	fs := access.FieldsOf(a, fx.tb)
	if !fs.Partial[phone] || fs.Visible(phone) || fs.Hidden[phone] || !fs.ReadOnly[phone] || fs.Partial[region] || fs.ReadOnly[region] || !fs.Visible(region) {
		t.Fatalf("fields %+v", fs)
	}
	if f := access.HiddenIn(&cond.Node{Not: &cond.Node{Field: "电话", Op: "empty"}}, fx.tb, fs); f == nil || f.ID != phone {
		t.Errorf("a filter on a partial field is not refused: %v", f)
	}
	p, err := access.PolicyOf(a, fx.tb, cond.Env{})
	if err != nil {
		t.Fatal(err)
	}
	for id, shows := range map[int64]bool{1: true, 2: false, 4: true, 6: true} {
		rec := fx.record(t, id)
		p.Strip(rec)
		if _, ok := rec[phone]; ok != shows {
			t.Errorf("record %d shows the phone: %v", id, ok)
		}
		if rec[region] == nil {
			t.Errorf("record %d lost 地区", id)
		}
	}
	// 地区 may be edited on record 1 (华东, the 华东 role edits it) but not on record 2 (华南,
	// only 销售 changes it, and it is read-only to 销售); the phone on neither.
	if ed := p.Editable(fx.record(t, 1), false); !ed(region) || ed(phone) {
		t.Error("record 1")
	}
	if ed := p.Editable(fx.record(t, 2), false); ed(region) || ed(phone) || !ed(fx.tb.Field("客户名称").ID) {
		t.Error("record 2")
	}
	if ed := p.Editable(fx.record(t, 3), false); ed(fx.tb.Field("客户名称").ID) {
		t.Error("record 3 is outside every change scope")
	}

	// Holds: a record as written must stay within a change scope.
	rec := fx.record(t, 2)
	rec[schema.FieldOwner] = int64(2)
	if p := problem.As(p.Holds(rec, false)); p == nil || p.Status != 403 || p.Code != "outside_scope" || p.Field != "负责人" {
		t.Errorf("handing record 2 away: %v", p)
	}
	rec[region] = "华东"
	if err := p.Holds(rec, false); err != nil {
		t.Errorf("a 华东 record given to another stays in the 华东 role's scope: %v", err)
	}
	if err := p.Holds(rec, true); err == nil {
		t.Error("the 华东 role may not add records, yet the create holds")
	}
	manager := access.Actor{UserID: 1, Role: access.RoleMember, Grants: grants(role("m", sub, sub, viewEdit...))}
	mp, err := access.PolicyOf(manager, fx.tb, cond.Env{})
	if err != nil {
		t.Fatal(err)
	}
	for owner, ok := range map[int64]bool{1: true, 3: true, 4: false} {
		if err := mp.Holds(map[string]any{schema.FieldOwner: owner}, true); (err == nil) != ok {
			t.Errorf("a manager creates a record for %d: %v", owner, err)
		}
	}
	if ap, _ := access.PolicyOf(access.System, fx.tb, cond.Env{}); ap.Holds(map[string]any{}, true) != nil || !ap.Editable(nil, false)(phone) {
		t.Error("the system is limited")
	}
}

// Two roles' field permissions sum up for the UI as the best of the roles that view the table.
func TestPermissions(t *testing.T) {
	fx := newFixture(t)
	phone := fx.tb.Field("电话").ID
	seller := role("seller", own, own, access.View, access.Add)
	seller.Default.Fields = map[string]access.FieldAccess{phone: access.FieldMasked}
	blind := role("blind", all, all, access.ExportRows)
	blind.Default.Fields = map[string]access.FieldAccess{phone: access.FieldEdit}
	got := access.PermissionsOf(access.Actor{UserID: 1, Grants: grants(seller, blind)}, []*schema.Table{fx.tb})
	tp := got.Tables[fx.tb.ID]
	if len(got.Global) != 0 || !slices.Equal(tp.Actions, []access.TableAction{access.View, access.Add, access.ExportRows}) ||
		tp.Fields[phone] != access.FieldMasked || tp.Fields[fx.tb.Field("地区").ID] != access.FieldEdit || !slices.Equal(tp.Assignees, []int64{1}) {
		t.Errorf("permissions %+v", got)
	}
	manager := access.PermissionsOf(access.Actor{UserID: 1, Grants: grants(role("m", sub, sub, access.View, access.Edit))}, []*schema.Table{fx.tb})
	if got := manager.Tables[fx.tb.ID].Assignees; !slices.Equal(got, []int64{1, 2, 3}) {
		t.Errorf("a manager assigns to %v", got)
	}
	admin := access.PermissionsOf(access.Actor{UserID: 2, Role: access.RoleAdmin}, []*schema.Table{fx.tb})
	if len(admin.Global) != 4 || len(admin.Tables[fx.tb.ID].Actions) != len(access.TableActions) || admin.Tables[fx.tb.ID].Fields[phone] != access.FieldEdit || admin.Tables[fx.tb.ID].Assignees != nil {
		t.Errorf("admin's permissions %+v", admin)
	}
}

func TestActions(t *testing.T) {
	member := access.Actor{UserID: 1, Role: access.RoleMember}
	admin := access.Actor{UserID: 2, Role: access.RoleAdmin}
	designer := access.Actor{UserID: 3, Role: access.RoleMember, Grants: &access.Grants{Roles: []*access.Role{{ID: "d", Global: []access.Action{access.ManageSchema, access.SeeDeleted}}}}}
	for _, act := range []access.Action{access.ManageSchema, access.ManageUsers, access.SeeDeleted, access.Backup} {
		if access.Can(admin, act) != nil || access.Can(access.System, act) != nil {
			t.Errorf("admin or system may not %s", act)
		}
		err := access.Can(member, act)
		p := problem.As(err)
		if p == nil || p.Status != 403 || p.Code != "not_allowed" {
			t.Fatalf("member %s: %v", act, err)
		}
		zh, en := p.Message("zh"), p.Message("en")
		if zh == en || slices.Contains([]string{zh, en}, string(act)) || containsBrace(zh) || containsBrace(en) {
			t.Errorf("message of %s: %q / %q", act, zh, en)
		}
	}
	if access.Can(designer, access.ManageSchema) != nil || access.Can(designer, access.ManageUsers) == nil {
		t.Error("a role's global actions")
	}
	if access.Can(designer, access.SeeDeleted) == nil {
		t.Error("SeeDeleted granted to a role that is not admin")
	}
	if !access.OwnWork(member, 1) || access.OwnWork(member, 2) || !access.OwnWork(admin, 1) || access.OwnWork(access.Actor{}, 0) {
		t.Error("OwnWork")
	}
}

// Table actions are granted per role and table; a refusal names the action and the table.
func TestTableActions(t *testing.T) {
	orders := &schema.Table{ID: "t_orders", Name: "订单"}
	tickets := &schema.Table{ID: "t_tickets", Name: "工单"}
	finance := &access.Role{ID: "fin", Tables: map[string]*access.TablePerm{"t_orders": {Actions: []access.TableAction{access.View, access.ExportRows}}}}
	support := &access.Role{ID: "sup", Default: &access.TablePerm{Actions: []access.TableAction{access.View, access.Add}}}
	both := access.Actor{UserID: 4, Role: access.RoleMember, Grants: &access.Grants{Roles: []*access.Role{finance, support}}}
	// a role's permissions on a table replace its default ones
	narrow := access.Actor{UserID: 6, Grants: &access.Grants{Roles: []*access.Role{{ID: "n",
		Default: &access.TablePerm{Actions: []access.TableAction{access.View, access.Add}},
		Tables:  map[string]*access.TablePerm{"t_orders": {Actions: []access.TableAction{access.View}}}}}}}
	member := access.Actor{UserID: 1, Role: access.RoleMember}
	for _, c := range []struct {
		a    access.Actor
		t    *schema.Table
		act  access.TableAction
		want bool
	}{
		{both, orders, access.ExportRows, true}, {both, tickets, access.ExportRows, false},
		{both, tickets, access.Add, true}, {both, orders, access.Add, true}, {narrow, orders, access.Add, false}, {narrow, tickets, access.Add, true},
		{both, orders, access.Remove, false}, {member, orders, access.Edit, true}, {member, orders, access.ImportRows, false},
		{member, orders, access.ManageFields, false}, {access.System, orders, access.ManageTableRules, true},
		{access.Actor{UserID: 5, Grants: &access.Grants{}}, orders, access.View, false},
	} {
		err := access.CanOn(c.a, c.t, c.act)
		if (err == nil) != c.want {
			t.Errorf("%d may %s on %s: %v", c.a.UserID, c.act, c.t.Name, err)
		}
		if p := problem.As(err); err != nil {
			zh, en := p.Message("zh"), p.Message("en")
			if p.Status != 403 || !strings.Contains(zh, c.t.Name) || !strings.Contains(en, c.t.Name) || strings.Contains(zh, string(c.act)) || containsBrace(zh+en) {
				t.Errorf("refusal of %s: %d %q / %q", c.act, p.Status, zh, en)
			}
		}
	}
}

func containsBrace(s string) bool {
	for _, r := range s {
		if r == '{' || r == '}' {
			return true
		}
	}
	return false
}

// Shared grants answer as fresh ones do, scope by scope, and what they keep of a table is
// not used for the table a schema change puts in its place.
func TestSharedGrants(t *testing.T) {
	fx := newFixture(t)
	phone := fx.tb.Field("电话").ID
	east := custom(&cond.Node{Field: "地区", Op: "eq", Value: "华东"})
	for _, sc := range []access.DataScope{all, own, dept, sub, east, {Kind: access.ScopeOwn, By: "creator"}} {
		r := role("r", sc, own, viewEdit...)
		r.Default.Fields = map[string]access.FieldAccess{phone: access.FieldRead, "later": access.FieldHidden}
		fresh := access.Actor{UserID: 1, Role: access.RoleMember, Grants: grants(r)}
		shared := access.Actor{UserID: 1, Role: access.RoleMember, Grants: grants(r).Shared()}
		for range 2 {
			for _, op := range []access.Op{access.Read, access.Update, access.Delete, access.Create} {
				w, args, err := access.ScopeSQL(fresh, fx.tb, op, cond.Env{})
				sw, sargs, serr := access.ScopeSQL(shared, fx.tb, op, cond.Env{})
				if w != sw || !reflect.DeepEqual(args, sargs) || (err == nil) != (serr == nil) {
					t.Errorf("%+v, op %d: shared %s %v %v, fresh %s %v %v", sc, op, sw, sargs, serr, w, args, err)
				}
			}
			if fs, sfs := access.FieldsOf(fresh, fx.tb), access.FieldsOf(shared, fx.tb); !reflect.DeepEqual(fs, sfs) {
				t.Errorf("%+v: shared fields %+v, fresh %+v", sc, sfs, fs)
			}
		}
		later := *fx.tb
		later.Fields = append(slices.Clip(later.Fields), &schema.Field{ID: "later", Name: "备注", Type: schema.Text})
		if fs := access.FieldsOf(shared, &later); !fs.Hidden["later"] {
			t.Errorf("%+v: a field added since is not hidden: %+v", sc, fs)
		}
	}
	// The requests of one person use their grants at once (go test -race).
	shared := access.Actor{UserID: 1, Role: access.RoleMember, Grants: grants(role("r", sub, own, viewEdit...)).Shared()}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			access.FieldsOf(shared, fx.tb)
			access.ScopeSQL(shared, fx.tb, access.Read, cond.Env{})
		})
	}
	wg.Wait()
}
