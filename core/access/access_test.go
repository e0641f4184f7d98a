package access_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// The scopes, compiled into SQL on a real table, select what each actor may read, update
// and delete.
func TestScopesOnATable(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cat, err := schema.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := cat.CreateTable(ctx, access.System, "", "客户", []*schema.Field{{Name: "客户名称", Type: schema.Text}})
	if err != nil {
		t.Fatal(err)
	}
	for i, owner := range []any{1, 1, 2, nil} {
		if err := db.Exec(ctx, fmt.Sprintf("INSERT INTO %s(%s, %s) VALUES(?, ?)", store.Quote(tb.SQLName()),
			store.Quote(tb.Field("客户名称").Column()), store.Quote(schema.FieldOwner)), fmt.Sprint("客户", i), owner); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(a access.Actor, op access.Op) []int64 {
		t.Helper()
		n := &cond.Node{}
		if sc := access.Scope(a, tb, op); sc != nil {
			n.And = []*cond.Node{sc}
		}
		w, args, err := cond.Compile(n, tb, cond.Env{UserID: a.UserID})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := db.R.Query("SELECT id FROM "+store.Quote(tb.SQLName())+" WHERE "+w+" ORDER BY id", args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []int64
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			out = append(out, id)
		}
		return out
	}
	member := access.Actor{UserID: 1, Role: access.RoleMember}
	for _, op := range []access.Op{access.Read, access.Update, access.Delete} {
		if got := ids(member, op); !slices.Equal(got, []int64{1, 2}) {
			t.Errorf("member, op %d: %v", op, got)
		}
		if got := ids(access.Actor{UserID: 9, Role: access.RoleAdmin}, op); len(got) != 4 {
			t.Errorf("admin, op %d: %v", op, got)
		}
		if access.Scope(access.System, tb, op) != nil {
			t.Errorf("the system is scoped")
		}
	}
}

func TestActions(t *testing.T) {
	member := access.Actor{UserID: 1, Role: access.RoleMember}
	admin := access.Actor{UserID: 2, Role: access.RoleAdmin}
	for _, act := range []access.Action{access.ManageSchema, access.ManageRules, access.ManageUsers, access.Import, access.Export, access.SeeDeleted, access.Backup, access.Assign} {
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
	tb := &schema.Table{Name: "客户", Fields: []*schema.Field{{ID: schema.FieldOwner, Name: "负责人", Type: schema.User, System: true}}}
	if access.CanOwn(member, tb, 1) != nil || access.CanOwn(admin, tb, 1) != nil {
		t.Error("taking a record for oneself, or an admin handing it over, refused")
	}
	for _, owner := range []int64{2, 0} {
		if p := problem.As(access.CanOwn(member, tb, owner)); p == nil || p.Status != 403 || p.Field != "负责人" {
			t.Errorf("member hands a record to %d: %v", owner, p)
		}
	}
	if !access.OwnWork(member, 1) || access.OwnWork(member, 2) || !access.OwnWork(admin, 1) || access.OwnWork(access.Actor{}, 0) {
		t.Error("OwnWork")
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

func TestFieldRules(t *testing.T) {
	tb := &schema.Table{Name: "客户", Fields: []*schema.Field{{ID: "f1", Name: "金额", Type: schema.Money}, {ID: "f2", Name: "名称", Type: schema.Text}}}
	member := access.Actor{UserID: 1, Role: access.RoleMember}
	if fs := access.FieldsOf(member, tb); !fs.All() || !fs.Visible("f1") || !fs.Writable("f1") {
		t.Fatal("with no rules every field is visible and writable")
	}
	access.FieldRules = func(a access.Actor, t *schema.Table) access.Fields {
		return access.Fields{Hidden: map[string]bool{"f1": true}, ReadOnly: map[string]bool{"f2": true}}
	}
	defer func() { access.FieldRules = nil }()
	fs := access.FieldsOf(member, tb)
	if fs.Visible("f1") || fs.Writable("f1") || !fs.Visible("f2") || fs.Writable("f2") || fs.All() {
		t.Errorf("fields %+v", fs)
	}
	if !access.FieldsOf(access.System, tb).All() {
		t.Error("the system is limited by field rules")
	}
	deep := &cond.Node{Or: []*cond.Node{{Field: "名称", Op: "eq", Value: "x"}, {Not: &cond.Node{Field: "金额", Op: "gt", Value: 1}}}}
	if f := access.HiddenIn(deep, tb, fs); f == nil || f.ID != "f1" {
		t.Errorf("HiddenIn found %v", f)
	}
	if f := access.HiddenIn(&cond.Node{Field: "f2", Op: "eq", Value: "x"}, tb, fs); f != nil {
		t.Errorf("HiddenIn found %v in a visible condition", f)
	}
}
