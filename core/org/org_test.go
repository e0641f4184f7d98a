package org_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"

	"tierbase/core/access"
	"tierbase/core/org"
	"tierbase/core/schema"
	"tierbase/core/users"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

var ctx = context.Background()

var admin = access.Actor{UserID: 1, Role: access.RoleAdmin}

// people is an in-memory directory with memberships, standing for package users.
type people struct {
	mu      sync.Mutex
	list    []users.User
	version uint64
}

func (p *people) List() []users.User {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.list)
}

func (p *people) Version() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.version
}

// set gives the person id their roles and departments, adding them if new.
func (p *people) set(id int64, roles []string, depts ...int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.version++
	for i, u := range p.list {
		if u.ID == id {
			p.list[i].Roles, p.list[i].Departments = roles, depts
			return
		}
	}
	p.list = append(p.list, users.User{ID: id, Name: fmt.Sprint("p", id), Email: fmt.Sprintf("p%d@example.com", id), Role: "member", Roles: roles, Departments: depts})
	slices.SortFunc(p.list, func(a, b users.User) int { return int(a.ID - b.ID) })
}

func (p *people) get(id int64) users.User {
	for _, u := range p.List() {
		if u.ID == id {
			return u
		}
	}
	return users.User{ID: id}
}

type world struct {
	org    *org.Service
	people *people
	cat    *schema.Catalog
	cust   *schema.Table
	db     *store.DB
}

func open(t testing.TB) *world {
	t.Helper()
	// Not t.TempDir(): a fuzz input's directory has a # in its name, which the store's
	// SQLite address would take for the start of a fragment.
	dir, err := os.MkdirTemp("", "tierbase-org-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	db, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cat, err := schema.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	cust, err := cat.CreateTable(ctx, access.System, "", "客户", []*schema.Field{
		{Name: "客户名称", Type: schema.Text}, {Name: "联系电话", Type: schema.Phone}, {Name: "销售", Type: schema.User}})
	if err != nil {
		t.Fatal(err)
	}
	p := &people{}
	p.set(1, []string{"admin"})
	o, err := org.Open(db, cat, p)
	if err != nil {
		t.Fatal(err)
	}
	return &world{org: o, people: p, cat: cat, cust: cust, db: db}
}

func (w *world) dept(t *testing.T, name string, parent int64) int64 {
	t.Helper()
	d, err := w.org.CreateDepartment(ctx, admin, name, parent, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d.ID
}

func code(err error) string {
	if p := problem.As(err); p != nil {
		return p.Code
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func names(ds []org.Department) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%s<%d", d.Name, d.ParentID))
	}
	return out
}

func TestTreeOperations(t *testing.T) {
	w := open(t)
	sales := w.dept(t, "销售部", 0)
	east := w.dept(t, "华东区", sales)
	south := w.dept(t, "华南区", sales)
	service := w.dept(t, "客服部", 0)
	want := []string{fmt.Sprint("销售部<0"), fmt.Sprint("华东区<", sales), fmt.Sprint("华南区<", sales), "客服部<0"}
	if got := names(w.org.Departments()); !slices.Equal(got, want) {
		t.Fatalf("tree %v, want %v", got, want)
	}
	// Names are unique among siblings, not across the tree.
	if _, err := w.org.CreateDepartment(ctx, admin, " 华东区 ", sales, nil); code(err) != "dept_name_taken" {
		t.Fatalf("a second 华东区 under 销售部: %v", err)
	}
	w.dept(t, "华东区", service)
	// Reorder: 华南区 first.
	zero := 0
	if _, err := w.org.UpdateDepartment(ctx, admin, south, org.DepartmentPatch{Position: &zero}); err != nil {
		t.Fatal(err)
	}
	if got := names(w.org.Departments())[1]; got != fmt.Sprint("华南区<", sales) {
		t.Fatalf("after reorder the first under 销售部 is %s", got)
	}
	// Rename and move.
	name := "华东大区"
	if _, err := w.org.UpdateDepartment(ctx, admin, east, org.DepartmentPatch{Name: &name, ParentID: &service}); err != nil {
		t.Fatal(err)
	}
	if d, _ := w.org.Department(east); d.Name != "华东大区" || d.ParentID != service {
		t.Fatalf("after rename and move: %+v", d)
	}
	// Cycles are refused: a department under itself or under one below it.
	if _, err := w.org.UpdateDepartment(ctx, admin, service, org.DepartmentPatch{ParentID: &east}); code(err) != "dept_cycle" {
		t.Fatalf("客服部 under its own 华东大区: %v", err)
	}
	if _, err := w.org.UpdateDepartment(ctx, admin, service, org.DepartmentPatch{ParentID: &service}); code(err) != "dept_cycle" {
		t.Fatalf("客服部 under itself: %v", err)
	}
	// Delete is refused while the department has sub-departments or people.
	if err := w.org.DeleteDepartment(ctx, admin, service); code(err) != "dept_has_children" {
		t.Fatalf("deleting 客服部 with departments below: %v", err)
	}
	w.people.set(5, nil, south)
	if err := w.org.DeleteDepartment(ctx, admin, south); code(err) != "dept_has_people" {
		t.Fatalf("deleting 华南区 with a person: %v", err)
	} else if msg := err.Error(); msg != "部门「华南区」还有 1 名成员，请先在成员管理中把他们调到其他部门" {
		t.Fatalf("message %q", msg)
	}
	w.people.set(5, nil)
	if err := w.org.DeleteDepartment(ctx, admin, south); err != nil {
		t.Fatal(err)
	}
	// Heads must be people.
	heads := []int64{5, 1}
	if d, err := w.org.UpdateDepartment(ctx, admin, sales, org.DepartmentPatch{Heads: &heads}); err != nil || !slices.Equal(d.Heads, []int64{1, 5}) {
		t.Fatalf("heads %v, %v", d.Heads, err)
	}
	if got := w.org.Heads(sales); !slices.Equal(got, []int64{1, 5}) {
		t.Fatalf("Heads = %v", got)
	}
	bad := []int64{99}
	if _, err := w.org.UpdateDepartment(ctx, admin, sales, org.DepartmentPatch{Heads: &bad}); code(err) != "bad_user" {
		t.Fatalf("a head who is nobody: %v", err)
	}
	if p, ok := w.org.Parent(east); !ok || p != service {
		t.Fatalf("Parent = %d %v", p, ok)
	}
	// Members may not change the tree; every change is in the operation log.
	if _, err := w.org.CreateDepartment(ctx, access.Actor{UserID: 5, Role: access.RoleMember}, "财务部", 0, nil); code(err) != "not_allowed" {
		t.Fatalf("a member creating a department: %v", err)
	}
	var n int
	w.db.R.QueryRow("SELECT count(*) FROM _audit WHERE action = 'department_change'").Scan(&n)
	if n != 9 {
		t.Fatalf("%d department changes logged, want 9", n)
	}
}

func TestGrantsFollowTheTree(t *testing.T) {
	w := open(t)
	sales := w.dept(t, "销售部", 0)
	east := w.dept(t, "华东区", sales)
	shanghai := w.dept(t, "上海", east)
	south := w.dept(t, "华南区", sales)
	w.people.set(10, []string{"member"}, sales)
	w.people.set(11, []string{"member"}, east)
	w.people.set(12, []string{"member", "gone"}, shanghai, south)
	w.people.set(13, nil, south)
	g := w.org.Grants(w.people.get(10))
	if !slices.Equal(g.DepartmentUsers, []int64{10}) || !slices.Equal(g.SubDepartmentUsers, []int64{10, 11, 12, 13}) {
		t.Fatalf("销售部's head: %+v", g)
	}
	g = w.org.Grants(w.people.get(11))
	if !slices.Equal(g.SubDepartmentUsers, []int64{11, 12}) || !slices.Equal(g.Departments, []int64{east}) {
		t.Fatalf("华东区: %+v", g)
	}
	g = w.org.Grants(w.people.get(12))
	if !slices.Equal(g.DepartmentUsers, []int64{12, 13}) || !slices.Equal(g.SubDepartmentUsers, []int64{12, 13}) || len(g.Roles) != 1 || g.Roles[0].ID != "member" {
		t.Fatalf("上海 and 华南区, an unknown role: %+v", g)
	}
	// A change of membership shows at once.
	w.people.set(13, nil, shanghai)
	if g := w.org.Grants(w.people.get(11)); !slices.Equal(g.SubDepartmentUsers, []int64{11, 12, 13}) {
		t.Fatalf("after 13 moved to 上海: %+v", g)
	}
	// So does a move of the tree: 华东区 under 华南区.
	if _, err := w.org.UpdateDepartment(ctx, admin, east, org.DepartmentPatch{ParentID: &south}); err != nil {
		t.Fatal(err)
	}
	if g := w.org.Grants(w.people.get(12)); !slices.Equal(g.SubDepartmentUsers, []int64{11, 12, 13}) {
		t.Fatalf("华南区 now holds 华东区: %+v", g)
	}
	if d, ok := w.org.MainDepartment(12); !ok || d != shanghai {
		t.Fatalf("MainDepartment = %d %v", d, ok)
	}
	// A person without Roles acts with their Role (accounts from before roles).
	if g := w.org.Grants(users.User{ID: 1, Role: "admin"}); len(g.Roles) != 1 || !g.Roles[0].All {
		t.Fatalf("an admin without Roles: %+v", g.Roles)
	}
}

// A person's grants are shared by their requests until their roles or departments, a role
// or a department change, and never given for another person as they were before.
func TestGrantsShared(t *testing.T) {
	w := open(t)
	sales := w.dept(t, "销售部", 0)
	east := w.dept(t, "华东区", sales)
	w.people.set(10, []string{"member"}, sales)
	w.people.set(11, []string{"member"}, east)
	g := w.org.Grants(w.people.get(10))
	if w.org.Grants(w.people.get(10)) != g {
		t.Fatal("grants not shared while nothing changed")
	}
	if g := w.org.Grants(users.User{ID: 10, Roles: []string{"admin"}, Departments: []int64{sales}}); len(g.Roles) != 1 || !g.Roles[0].All {
		t.Fatalf("another role, given as before: %+v", g.Roles)
	}
	if g := w.org.Grants(users.User{ID: 10, Roles: []string{"member"}, Departments: []int64{east}}); !slices.Equal(g.Departments, []int64{east}) {
		t.Fatalf("another department, given as before: %+v", g)
	}
	w.people.set(12, []string{"member"}, east)
	if g := w.org.Grants(w.people.get(10)); !slices.Equal(g.SubDepartmentUsers, []int64{10, 11, 12}) {
		t.Fatalf("after 12 joined 华东区: %+v", g)
	}
	if _, err := w.org.UpdateDepartment(ctx, admin, east, org.DepartmentPatch{ParentID: new(int64)}); err != nil {
		t.Fatal(err)
	}
	if g := w.org.Grants(w.people.get(10)); !slices.Equal(g.SubDepartmentUsers, []int64{10}) {
		t.Fatalf("after 华东区 left 销售部: %+v", g)
	}
	r := &access.Role{}
	if err := json.Unmarshal([]byte(`{"id":"member","name":"成员","default":{"actions":["view"],"read":{"kind":"all"},"change":{"kind":"own"}}}`), r); err != nil {
		t.Fatal(err)
	}
	if _, err := w.org.SaveRole(ctx, admin, r); err != nil {
		t.Fatal(err)
	}
	if g := w.org.Grants(w.people.get(10)); g.Roles[0].Default.Read.Kind != access.ScopeAll {
		t.Fatalf("after 成员 changed: %+v", g.Roles[0].Default)
	}
}

func TestRoles(t *testing.T) {
	w := open(t)
	roles := w.org.Roles()
	if len(roles) != 2 || roles[0].ID != "admin" || roles[1].ID != "member" || roles[0].People != 1 {
		t.Fatalf("built-in roles: %+v", roles)
	}
	role := func(s string) *access.Role {
		r := &access.Role{}
		if err := json.Unmarshal([]byte(s), r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	sales, err := w.org.SaveRole(ctx, admin, role(`{"name":"销售","tables":{"客户":{"actions":["view","edit"],
		"read":{"kind":"own"},"change":{"kind":"custom","cond":{"field":"销售","op":"eq","value":"$me"}},
		"fields":{"联系电话":"masked"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if p := sales.Tables[w.cust.ID]; p == nil || p.Fields[w.cust.Field("联系电话").ID] != access.FieldMasked {
		t.Fatalf("tables and fields are stored by id: %+v", sales.Tables)
	}
	for _, tc := range []struct{ body, code, msg string }{
		{`{"name":""}`, "bad_name", ""},
		{`{"name":"销售"}`, "duplicate_name", ""},
		{`{"name":"x","global":["fly"]}`, "role_bad_global", ""},
		{`{"name":"x","tables":{"订单":{"actions":["view"]}}}`, "unknown_table", ""},
		{`{"name":"x","tables":{"客户":{"actions":["fly"]}}}`, "role_bad_action", "tables.客户.actions[0]：表「客户」：未知的操作「fly」，可选：查看、新增、编辑、删除、导入、导出、批量编辑、管理字段、管理规则"},
		{`{"name":"x","tables":{"客户":{"actions":[],"read":{"kind":"mine"}}}}`, "role_bad_scope", "tables.客户.read.kind：表「客户」的查看范围「mine」未知，可选：全部、本部门及下级、本部门、仅本人、自定义条件"},
		{`{"name":"x","tables":{"客户":{"actions":[],"change":{"kind":"custom"}}}}`, "role_need_cond", ""},
		{`{"name":"x","tables":{"客户":{"actions":[],"read":{"kind":"custom","cond":{"field":"地址","op":"eq","value":"a"}}}}}`, "unknown_field", ""},
		{`{"name":"x","tables":{"客户":{"actions":[],"read":{"kind":"custom","cond":{"field":"销售","op":"eq","value":"me"}}}}}`, "not_integer", ""},
		{`{"name":"x","tables":{"客户":{"actions":[],"fields":{"地址":"hidden"}}}}`, "unknown_field", ""},
		{`{"name":"x","tables":{"客户":{"actions":[],"fields":{"联系电话":"secret"}}}}`, "role_bad_field_access", "tables.客户.fields.联系电话：表「客户」字段「联系电话」的权限「secret」未知，可选：隐藏、脱敏、只读、可编辑"},
		{`{"name":"x","default":{"actions":[],"read":{"kind":"custom","cond":{"field":"销售","op":"eq","value":"$me"}}}}`, "role_custom_default", ""},
	} {
		_, err := w.org.SaveRole(ctx, admin, role(tc.body))
		if code(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.body, err, tc.code)
		} else if tc.msg != "" && err.Error() != tc.msg {
			t.Errorf("%s: message %q, want %q", tc.body, err.Error(), tc.msg)
		}
	}
	// Of 管理员 only the name changes.
	a, err := w.org.SaveRole(ctx, admin, role(`{"id":"admin","name":"超级管理员","all":false}`))
	if err != nil || !a.All || !a.Builtin || a.Name != "超级管理员" {
		t.Fatalf("renaming 管理员: %+v %v", a, err)
	}
	// A role in use cannot go, nor can a built-in one.
	w.people.set(7, []string{sales.ID})
	if err := w.org.DeleteRole(ctx, admin, sales.ID); code(err) != "role_in_use" || err.Error() != "还有 1 人拥有角色「销售」，请先在成员管理中给他们换成其他角色" {
		t.Fatalf("deleting a role in use: %v", err)
	}
	if err := w.org.DeleteRole(ctx, admin, "member"); code(err) != "role_builtin" {
		t.Fatalf("deleting 成员: %v", err)
	}
	if _, err := w.org.SaveRole(ctx, access.Actor{UserID: 7, Role: access.RoleMember}, role(`{"name":"y"}`)); code(err) != "not_allowed" {
		t.Fatalf("a member making a role: %v", err)
	}
	w.people.set(7, []string{"member"})
	if err := w.org.DeleteRole(ctx, admin, sales.ID); err != nil {
		t.Fatal(err)
	}
	if w.org.RoleExists(sales.ID) || !w.org.RoleExists("member") {
		t.Fatal("RoleExists after the delete")
	}
	// Saved, renamed 管理员, deleted: each in the operation log with what it was before.
	var n int
	w.db.R.QueryRow("SELECT count(*) FROM _audit WHERE action = 'role_change' AND (detail LIKE '%\"before\"%' OR detail LIKE '%\"after\"%')").Scan(&n)
	if n != 3 {
		t.Fatalf("%d role changes logged, want 3", n)
	}
}

// Grants for a person of a 2,000-person organisation in 200 departments.
func BenchmarkGrants(b *testing.B) {
	w := open(b)
	var depts []int64
	for i := range 200 {
		parent := int64(0)
		if i > 0 {
			parent = depts[(i-1)/5] // five below each
		}
		d, err := w.org.CreateDepartment(ctx, admin, fmt.Sprint("部门", i), parent, nil)
		if err != nil {
			b.Fatal(err)
		}
		depts = append(depts, d.ID)
	}
	for i := range 2000 {
		w.people.set(int64(i+2), []string{"member"}, depts[i%200])
	}
	manager := w.people.get(2) // in the top department: everyone is below
	w.org.Grants(manager)
	b.ResetTimer()
	for b.Loop() {
		if g := w.org.Grants(manager); len(g.SubDepartmentUsers) != 2000 {
			b.Fatal(len(g.SubDepartmentUsers))
		}
	}
}

// Roles of one name saved at the same moment on two nodes (two services on one database),
// round after round: one is kept each time, the others are refused.
func TestRoleNameAtOnce(t *testing.T) {
	w := open(t)
	other, err := org.Open(w.db, w.cat, w.people)
	if err != nil {
		t.Fatal(err)
	}
	nodes := []*org.Service{w.org, other}
	for round := range 50 {
		name := fmt.Sprint("同名", round)
		errs := make(chan error, 4)
		for i := range cap(errs) {
			go func() {
				_, err := nodes[i%2].SaveRole(ctx, admin, &access.Role{Name: name})
				errs <- err
			}()
		}
		saved := 0
		for range cap(errs) {
			if err := <-errs; err == nil {
				saved++
			} else if p := problem.As(err); p == nil || p.Code != "duplicate_name" {
				t.Fatal(err)
			}
		}
		if saved != 1 {
			t.Fatalf("%s: %d roles saved", name, saved)
		}
	}
}
