package access_test

import (
	"reflect"
	"testing"

	"tierbase/core/access"
	"tierbase/core/schema"
)

// TestLimit: a token's actor may do on its tables what its owner may, read-only cuts that to
// viewing and exporting, other tables and global actions are gone, and the owner's data
// scope stays theirs.
func TestLimit(t *testing.T) {
	a, b := &schema.Table{ID: "tblA", Name: "客户"}, &schema.Table{ID: "tblB", Name: "订单"}
	may := func(act access.Actor, tb *schema.Table, do access.TableAction) bool {
		return access.CanOn(act, tb, do) == nil
	}
	admin := access.Actor{UserID: 1, Role: access.RoleAdmin}

	rw := access.Limit(admin, []string{"tblA"}, false)
	if !may(rw, a, access.Add) || !may(rw, a, access.Remove) || may(rw, b, access.View) || may(rw, a, access.ManageFields) {
		t.Fatal("an admin's read/write token on 客户")
	}
	if access.Can(rw, access.ManageSchema) == nil || access.Can(rw, access.ManageUsers) == nil || rw.Admin() {
		t.Fatal("a token takes global actions")
	}
	ro := access.Limit(admin, nil, true)
	if !may(ro, a, access.View) || !may(ro, b, access.ExportRows) || may(ro, b, access.Add) || may(ro, a, access.Edit) {
		t.Fatal("an admin's read-only token on every table")
	}

	// 小王 may view his own 客户 and add 订单 but not view them.
	own := access.DataScope{Kind: access.ScopeOwn}
	wang := access.Actor{UserID: 7, Role: access.RoleMember, Grants: &access.Grants{Roles: []*access.Role{{ID: "sales", Name: "销售",
		Tables: map[string]*access.TablePerm{"tblA": {Actions: []access.TableAction{access.View, access.Edit}, Read: own, Change: own},
			"tblB": {Actions: []access.TableAction{access.Add}, Read: own, Change: own}}}}}}
	for _, tok := range []access.Actor{access.Limit(wang, nil, false), access.Limit(wang, []string{"tblA", "tblB"}, false)} {
		if !may(tok, a, access.Edit) || !may(tok, b, access.Add) || may(tok, b, access.View) || may(tok, a, access.Remove) {
			t.Fatal("a token grants other than its owner's actions")
		}
		if got, want := access.Scope(tok, a, access.Read), access.Scope(wang, a, access.Read); !reflect.DeepEqual(got, want) {
			t.Fatalf("scope %v, owner's %v", got, want)
		}
	}
	ro = access.Limit(wang, []string{"tblB"}, true)
	if may(ro, b, access.Add) || may(ro, b, access.View) || may(ro, a, access.View) {
		t.Fatal("a read-only token of 订单 does more than nothing")
	}
	// A member without grants (the built-in 成员): a token on one table keeps the defaults there only.
	member := access.Limit(access.Actor{UserID: 8, Role: access.RoleMember}, []string{"tblA"}, false)
	if !may(member, a, access.Add) || may(member, b, access.View) {
		t.Fatal("the built-in 成员's token")
	}
}
