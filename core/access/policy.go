package access

import (
	"maps"
	"reflect"
	"slices"

	"tierbase/core/cond"
	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

func init() {
	problem.AddMessage("not_allowed_on", "你没有在表「{table}」中{kind}的权限，请联系管理员",
		"you are not allowed to {kind} in the table \"{table}\"; ask an administrator")
	problem.AddMessage("outside_scope", "保存后这条记录将不在你可以修改的数据范围内（例如负责人不在你的部门），请换一位负责人或联系管理员",
		"after this change the record would be outside the records you may change (for example, its owner is not in your departments); choose another owner or ask an administrator")
	for act, words := range map[TableAction][2]string{
		View: {"查看记录", "view records"}, Add: {"新增记录", "add records"}, Edit: {"编辑记录", "edit records"},
		Remove: {"删除记录", "delete records"}, ImportRows: {"导入", "import"}, ExportRows: {"导出", "export"},
		BulkEdit: {"批量编辑", "edit records in bulk"}, ManageFields: {"管理字段和表设置", "manage fields and table settings"},
		ManageTableRules: {"管理分级方案和规则", "manage grading schemes and rules"},
	} {
		problem.AddTerm(actionTerm(act), words[0], words[1])
	}
}

// actionTerm is the problem term naming a table action.
func actionTerm(act TableAction) string { return "table_" + string(act) }

// memberRoles are the roles of an actor without grants: the built-in 成员 as shipped.
var memberRoles = []*Role{MemberRole()}

// roles returns the actor's roles.
func roles(a Actor) []*Role {
	if a.Grants == nil {
		return memberRoles
	}
	return a.Grants.Roles
}

// all reports whether the actor may do everything: the system, admins, and people with a
// role granting everything.
func all(a Actor) bool {
	if a.Admin() {
		return true
	}
	return slices.ContainsFunc(roles(a), func(r *Role) bool { return r.All })
}

// perm returns the role's permissions on t, or nil when it grants nothing there. No role
// grants anything on the table of a sub-table's rows: they are read and written through
// their parent record, as its permissions allow (core/records/subform.go).
func perm(r *Role, t *schema.Table) *TablePerm {
	if t.Parent != "" {
		return nil
	}
	if p := r.Tables[t.ID]; p != nil {
		return p
	}
	return r.Default
}

func (p *TablePerm) has(act TableAction) bool { return slices.Contains(p.Actions, act) }

// level returns the role's permission on a field; a field not listed is editable.
func (p *TablePerm) level(id string) FieldAccess {
	if fa, ok := p.Fields[id]; ok {
		return fa
	}
	return FieldEdit
}

// rank orders the field permissions from hidden to editable.
var rank = map[FieldAccess]int{FieldHidden: 0, FieldMasked: 1, FieldRead: 2, FieldEdit: 3}

// Env returns base with the actor filled in: $me, $myDepartments and $mySubDepartments.
func Env(a Actor, base cond.Env) cond.Env {
	base.UserID = a.UserID
	if a.Grants != nil {
		base.MyDepartments = withSelf(a, a.Grants.DepartmentUsers)
		base.MySubDepartments = withSelf(a, a.Grants.SubDepartmentUsers)
		base.Departments, base.SubDepartments = a.Grants.Departments, a.Grants.SubDepartments
	} else {
		base.MyDepartments, base.MySubDepartments = []int64{a.UserID}, []int64{a.UserID}
	}
	return base
}

// withSelf returns the people with the actor among them: one is always in one's own department.
func withSelf(a Actor, ids []int64) []int64 {
	if slices.Contains(ids, a.UserID) {
		return ids
	}
	return append(slices.Clip(ids), a.UserID)
}

// opActions are the table actions that give each operation its scope.
var opActions = map[Op]TableAction{Read: View, Update: Edit, Delete: Remove, Create: Add}

// nothing is a condition no row meets.
func nothing() *cond.Node { return &cond.Node{Field: schema.FieldID, Op: "in", Value: []any{}} }

// Scope returns the condition that limits the rows of t the actor may read, update, delete or
// create (op), or nil for all rows: the union of the read (or change) scopes of the roles that
// may view (edit, delete, add) t. Rows one may change must also be rows one may read. The scopes
// compare the 负责人 (or 创建人) column with a list of people, so they use its index.
func Scope(a Actor, t *schema.Table, op Op) *cond.Node {
	if all(a) {
		return nil
	}
	sc := union(a, t, op)
	if op == Read {
		return sc
	}
	read := union(a, t, Read)
	switch {
	case read == nil:
		return sc
	case sc == nil || reflect.DeepEqual(sc, read):
		return read
	}
	return &cond.Node{And: []*cond.Node{sc, read}}
}

// ScopeSQL is Scope compiled for SQL against t's table ("1=1" for all rows), with the actor
// in the environment.
func ScopeSQL(a Actor, t *schema.Table, op Op, env cond.Env) (string, []any, error) {
	if all(a) {
		return "1=1", nil, nil
	}
	return scopeSQL(a, t, op, env)
}

// TitleSQL is the column of t's title field as the actor may see it: the quoted column, or
// NULL when the title field is not visible to them on every row (or there is none).
func TitleSQL(a Actor, t *schema.Table) string {
	if f := t.Title(); f != nil && FieldsOf(a, t).Visible(f.ID) {
		return store.Quote(f.Column())
	}
	return "NULL"
}

// union is the OR of the scopes of the actor's roles for op on t (nil: every row).
func union(a Actor, t *schema.Table, op Op) *cond.Node {
	var or []*cond.Node
	for _, r := range roles(a) {
		p := perm(r, t)
		if p == nil || !p.has(opActions[op]) {
			continue
		}
		s := p.Read
		if op != Read {
			s = p.Change
		}
		n := scopeNode(a, s)
		if n == nil {
			return nil
		}
		if !slices.ContainsFunc(or, func(m *cond.Node) bool { return reflect.DeepEqual(m, n) }) {
			or = append(or, n)
		}
	}
	switch len(or) {
	case 0:
		return nothing()
	case 1:
		return or[0]
	}
	return &cond.Node{Or: or}
}

// scopeNode is one data scope as a condition for the actor (nil: every row).
func scopeNode(a Actor, s DataScope) *cond.Node {
	by := schema.FieldOwner
	if s.By == "creator" {
		by = schema.FieldCreatedBy
	}
	people := func(ids []int64) *cond.Node {
		vals := make([]any, 0, len(ids)+1)
		for _, id := range withSelf(a, ids) {
			vals = append(vals, id)
		}
		return &cond.Node{Field: by, Op: "in", Value: vals}
	}
	switch s.Kind {
	case ScopeAll:
		return nil
	case ScopeOwn:
		return &cond.Node{Field: by, Op: "eq", Value: a.UserID}
	case ScopeDepartment, ScopeSubDepartments:
		var ids []int64
		if g := a.Grants; g != nil && s.Kind == ScopeDepartment {
			ids = g.DepartmentUsers
		} else if g != nil {
			ids = g.SubDepartmentUsers
		}
		return people(ids)
	case ScopeCustom:
		if s.Cond != nil {
			return s.Cond
		}
	}
	return nothing()
}

// CanOn returns nil when one of the actor's roles may take the action on t, or a 403 naming
// the action and the table.
func CanOn(a Actor, t *schema.Table, act TableAction) error {
	if all(a) {
		return nil
	}
	for _, r := range roles(a) {
		if p := perm(r, t); p != nil && p.has(act) {
			return nil
		}
	}
	return problem.New(403, "not_allowed_on", "kind", actionTerm(act), "table", t.Name)
}

// CanSomewhere returns nil when one of the actor's roles may take the action on some table,
// for steps that come before a table is chosen (uploading a file to import).
func CanSomewhere(a Actor, act TableAction) error {
	if all(a) {
		return nil
	}
	for _, r := range roles(a) {
		if r.Default != nil && r.Default.has(act) || slices.ContainsFunc(slices.Collect(maps.Values(r.Tables)), func(p *TablePerm) bool { return p.has(act) }) {
			return nil
		}
	}
	return problem.New(403, "not_allowed", "kind", actionTerm(act))
}

// assignees returns the people the actor may make 负责人 of t's records, or nil for anyone:
// those of the owner-based change scopes of their roles that may add or edit.
func assignees(a Actor, t *schema.Table) []int64 {
	if all(a) {
		return nil
	}
	out := []int64{}
	for _, r := range roles(a) {
		p := perm(r, t)
		if p == nil || !p.has(Add) && !p.has(Edit) {
			continue
		}
		var ids []int64
		switch {
		case p.Change.By == "creator" || p.Change.Kind == ScopeAll || p.Change.Kind == ScopeCustom:
			return nil
		case p.Change.Kind == ScopeOwn:
			ids = []int64{a.UserID}
		case a.Grants != nil && p.Change.Kind == ScopeDepartment:
			ids = withSelf(a, a.Grants.DepartmentUsers)
		case a.Grants != nil && p.Change.Kind == ScopeSubDepartments:
			ids = withSelf(a, a.Grants.SubDepartmentUsers)
		default:
			ids = []int64{a.UserID}
		}
		for _, id := range ids {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Designer is an actor changing the fields and settings of one table: a schema.Changer that
// asks for the table's manage fields action.
type Designer struct {
	Actor Actor
	Table *schema.Table
}

// MayChangeSchema asks CanOn(the actor, the table, ManageFields).
func (d Designer) MayChangeSchema() error { return CanOn(d.Actor, d.Table, ManageFields) }

// FieldsOf returns the actor's permissions on t's fields that hold on every row they read:
// a field no reading role may see is hidden, one some may see and others not is partial,
// one no role that may add or edit records may edit is read-only. The system sees everything.
// Its maps may be shared (Grants.Shared): they are only to be read.
func FieldsOf(a Actor, t *schema.Table) Fields {
	if all(a) {
		return Fields{}
	}
	return fieldsOf(a, t)
}

// fieldsOfRoles works FieldsOf out from the actor's roles.
func fieldsOfRoles(a Actor, t *schema.Table) Fields {
	var readers, writers []*TablePerm
	for _, r := range roles(a) {
		p := perm(r, t)
		switch {
		case p == nil:
			continue
		case p.has(View):
			readers = append(readers, p)
		}
		if p.has(Add) || p.has(Edit) {
			writers = append(writers, p)
		}
	}
	fs := Fields{Hidden: map[string]bool{}, ReadOnly: map[string]bool{}, Masked: map[string]bool{}, Partial: map[string]bool{}}
	for _, f := range t.Fields {
		lo, hi := rank[FieldEdit], -1
		for _, p := range readers {
			r := rank[p.level(f.ID)]
			lo, hi = min(lo, r), max(hi, r)
		}
		switch {
		case hi <= rank[FieldHidden]:
			fs.Hidden[f.ID] = true
		case hi == rank[FieldMasked]:
			fs.Masked[f.ID] = true
			fs.Partial[f.ID] = lo < hi
		default:
			fs.Partial[f.ID] = lo < rank[FieldRead]
		}
		if !slices.ContainsFunc(writers, func(p *TablePerm) bool { return p.level(f.ID) == FieldEdit }) {
			fs.ReadOnly[f.ID] = true
		}
		if !fs.Partial[f.ID] {
			delete(fs.Partial, f.ID)
		}
	}
	return fs
}

// Policy is the actor's permissions on one table, prepared to judge records one by one: which
// partial fields show on a row, which fields of a row may be changed, and whether a record
// as written stays within what the actor may change. It is for one request, in one goroutine.
type Policy struct {
	all    bool
	t      *schema.Table
	fields Fields
	roles  []rolePolicy
}

// rolePolicy is one role's permissions on the table with its scopes, prepared when first
// used: a page whose fields show on every row never judges a row by its scope.
type rolePolicy struct {
	perm         *TablePerm
	read, change *scope
}

// scope is one of the actor's data scopes on the table, its condition prepared on first use
// (nil then: every row).
type scope struct {
	a    Actor
	s    DataScope
	t    *schema.Table
	env  cond.Env
	done bool
	c    *cond.Cond
	err  error
}

// PolicyOf prepares the actor's policy on t; env gives the clock and zone of custom scopes.
func PolicyOf(a Actor, t *schema.Table, env cond.Env) (*Policy, error) {
	p := &Policy{all: all(a), t: t, fields: FieldsOf(a, t)}
	if p.all {
		return p, nil
	}
	for _, r := range roles(a) {
		if tp := perm(r, t); tp != nil {
			p.roles = append(p.roles, rolePolicy{perm: tp,
				read: &scope{a: a, s: tp.Read, t: t, env: env}, change: &scope{a: a, s: tp.Change, t: t, env: env}})
		}
	}
	return p, nil
}

// All reports whether nothing limits the actor on the table (an administrator): every record
// and field is theirs to read and change, so Holds and Editable need no record to judge.
func (p *Policy) All() bool { return p.all }

// Fields returns the field permissions that hold on every row (FieldsOf).
func (p *Policy) Fields() Fields { return p.fields }

// matches reports whether the record is in the scope s. A record the condition cannot judge
// is outside it, and so is every record when the condition does not prepare (a role naming a
// field since deleted): its lists fail where the scope is compiled to SQL.
func matches(s *scope, rec map[string]any) bool {
	if !s.done {
		s.done = true
		if n := scopeNode(s.a, s.s); n != nil {
			s.c, s.err = cond.Prepare(n, s.t, Env(s.a, s.env))
		}
	}
	switch {
	case s.err != nil:
		return false
	case s.c == nil:
		return true
	}
	ok, err := s.c.Match(rec)
	return err == nil && ok
}

// Reads reports whether the actor may read the whole record rec (keyed by field id, storage
// form): one of their roles views the table and its read scope holds the record.
func (p *Policy) Reads(rec map[string]any) bool {
	return p.all || slices.ContainsFunc(p.roles, func(r rolePolicy) bool { return r.perm.has(View) && matches(r.read, rec) })
}

// Strip removes from a whole record (keyed by field id, storage form) what the actor may not
// see of it: the hidden fields, and the partial fields no role reading this row may read. A
// partial field some role sees masked shows only where a role that sees it masked or better
// reads the row; otherwise it shows where a role that reads it in full reads the row.
func (p *Policy) Strip(rec map[string]any) {
	for id := range p.fields.Hidden {
		delete(rec, id)
	}
	if len(p.fields.Partial) == 0 {
		return
	}
	var reading []*TablePerm
	for _, r := range p.roles {
		if r.perm.has(View) && matches(r.read, rec) {
			reading = append(reading, r.perm)
		}
	}
	for id := range p.fields.Partial {
		need := rank[FieldRead]
		if p.fields.Masked[id] {
			need = rank[FieldMasked]
		}
		if !slices.ContainsFunc(reading, func(tp *TablePerm) bool { return rank[tp.level(id)] >= need }) {
			delete(rec, id)
		}
	}
}

// Sees returns whether the actor sees a field (by id) of the whole record rec (as Strip).
func (p *Policy) Sees(rec map[string]any) func(id string) bool {
	if len(p.fields.Partial) == 0 { // no copy to strip: only the hidden fields are unseen
		return func(id string) bool { return !p.fields.Hidden[id] }
	}
	shown := map[string]any{}
	maps.Copy(shown, rec)
	for id := range p.fields.Partial {
		if _, ok := shown[id]; !ok {
			shown[id] = nil
		}
	}
	p.Strip(shown)
	return func(id string) bool {
		_, ok := shown[id]
		return ok || !p.fields.Hidden[id] && !p.fields.Partial[id]
	}
}

// changers returns the roles that may add (create) or edit a record and whose change scope
// holds row.
func (p *Policy) changers(row map[string]any, create bool) []*TablePerm {
	act := Edit
	if create {
		act = Add
	}
	var out []*TablePerm
	for _, r := range p.roles {
		if r.perm.has(act) && matches(r.change, row) {
			out = append(out, r.perm)
		}
	}
	return out
}

// Editable returns whether the actor may change a field (by id) of row: the record as it is
// (an update) or as it will be (a create). A role that may edit (add) and whose change scope
// holds the row must let the field be edited.
func (p *Policy) Editable(row map[string]any, create bool) func(id string) bool {
	if p.all {
		return func(string) bool { return true }
	}
	perms := p.changers(row, create)
	return func(id string) bool {
		return slices.ContainsFunc(perms, func(tp *TablePerm) bool { return tp.level(id) == FieldEdit })
	}
}

// Holds returns nil when row, the record as it will be written, lies within the change scope
// of one of the actor's roles that may add (create) or edit it; otherwise a 403 on the 负责人:
// nobody makes a record they could not change themselves, nor hands one outside their scope.
func (p *Policy) Holds(row map[string]any, create bool) error {
	if p.all || len(p.changers(row, create)) > 0 {
		return nil
	}
	return problem.New(403, "outside_scope").OnField(ownerName(p.t))
}

// Permissions is what a person may do, for the UI to show only that.
type Permissions struct {
	Global []Action                    `json:"global"`
	Tables map[string]TablePermissions `json:"tables"` // by table id
}

// TablePermissions is what a person may do with one table: the table actions of any of
// their roles, and per field the best permission any role that may view the table grants.
type TablePermissions struct {
	Actions []TableAction          `json:"actions"`
	Fields  map[string]FieldAccess `json:"fields"`
	// Assignees are the people the person may make 负责人 of the records they add or edit;
	// null: anyone (the server still checks custom scopes).
	Assignees []int64 `json:"assignees"`
}

// PermissionsOf sums up the actor's permissions on the given tables.
func PermissionsOf(a Actor, tables []*schema.Table) Permissions {
	out := Permissions{Global: []Action{}, Tables: map[string]TablePermissions{}}
	for _, act := range []Action{ManageSchema, ManageUsers, SeeDeleted, Backup} {
		if Can(a, act) == nil {
			out.Global = append(out.Global, act)
		}
	}
	for _, t := range tables {
		tp := TablePermissions{Actions: []TableAction{}, Fields: map[string]FieldAccess{}}
		for _, act := range TableActions {
			if CanOn(a, t, act) == nil {
				tp.Actions = append(tp.Actions, act)
			}
		}
		for _, f := range t.Fields {
			best := FieldEdit
			if !all(a) {
				best = FieldHidden
				for _, r := range roles(a) {
					if p := perm(r, t); p != nil && p.has(View) && rank[p.level(f.ID)] > rank[best] {
						best = p.level(f.ID)
					}
				}
			}
			tp.Fields[f.ID] = best
		}
		tp.Assignees = assignees(a, t)
		out.Tables[t.ID] = tp
	}
	return out
}
