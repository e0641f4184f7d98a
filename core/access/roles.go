package access

import (
	"slices"

	"tierbase/core/cond"
	"tierbase/core/schema"
)

// Role is a named set of permissions an admin defines (角色). A person has one or more; what
// they may do is the union of their roles, row by row (see Grants). Roles are stored by
// package org as JSON of this shape.
type Role struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Builtin bool   `json:"builtin,omitempty"` // 管理员 and 成员: renamable, never deleted
	// All grants everything on every table and every global action (管理员).
	All bool `json:"all,omitempty"`
	// Global are the actions beyond tables the role may take: ManageUsers (成员, 部门, 角色,
	// 操作日志), ManageSchema (new apps and tables, dashboards).
	Global []Action `json:"global,omitempty"`
	// Default applies to every table not in Tables (nil: no access to them).
	Default *TablePerm `json:"default,omitempty"`
	// Tables are the role's permissions per table, by table id.
	Tables map[string]*TablePerm `json:"tables,omitempty"`
}

// TablePerm is what a role may do with one table.
type TablePerm struct {
	Actions []TableAction `json:"actions"`
	Read    DataScope     `json:"read"`   // the rows the role reads
	Change  DataScope     `json:"change"` // the rows the role edits and deletes
	// Fields are the field permissions by field id; a field not listed is editable.
	Fields map[string]FieldAccess `json:"fields,omitempty"`
}

// TableAction is something a role may do with a table's records or design.
type TableAction string

// The table actions.
const (
	View             TableAction = "view"
	Add              TableAction = "add"
	Edit             TableAction = "edit"
	Remove           TableAction = "delete"
	ImportRows       TableAction = "import"
	ExportRows       TableAction = "export"
	BulkEdit         TableAction = "bulk_edit"
	ManageFields     TableAction = "manage_fields"
	ManageTableRules TableAction = "manage_rules"
)

// TableActions lists the table actions in the order the role editor shows them.
var TableActions = []TableAction{View, Add, Edit, Remove, ImportRows, ExportRows, BulkEdit, ManageFields, ManageTableRules}

// DataScope is a role's 数据范围 for reading or for changing a table's rows.
type DataScope struct {
	Kind ScopeKind `json:"kind"`
	// By is whose rows "own" means: "owner" (负责人, the default) or "creator" (创建人).
	By string `json:"by,omitempty"`
	// Cond is the condition of a custom scope, in the shared condition language; in user
	// fields it may use $me, $myDepartments (the people of my departments) and
	// $mySubDepartments (the people of my departments and every department below them).
	Cond *cond.Node `json:"cond,omitempty"`
}

// ScopeKind names a data scope.
type ScopeKind string

// The data scopes.
const (
	ScopeAll            ScopeKind = "all"            // 全部
	ScopeSubDepartments ScopeKind = "subdepartments" // 本部门及下级
	ScopeDepartment     ScopeKind = "department"     // 本部门
	ScopeOwn            ScopeKind = "own"            // 仅本人
	ScopeCustom         ScopeKind = "custom"         // 自定义条件
)

// FieldAccess is a role's permission on one field.
type FieldAccess string

// The field permissions. Masked applies to 敏感 fields: the value is shown masked
// (138****8000) and cannot be changed; a role with Read or Edit sees it in full.
const (
	FieldHidden FieldAccess = "hidden"
	FieldMasked FieldAccess = "masked"
	FieldRead   FieldAccess = "read"
	FieldEdit   FieldAccess = "edit"
)

// Built-in role ids. The ids are those of the two roles users had before roles existed, so
// stored users and rules' notify-by-role keep working.
const (
	AdminRoleID  = RoleAdmin  // 管理员
	MemberRoleID = RoleMember // 成员
)

// AdminRole is the built-in 管理员: everything.
func AdminRole() *Role { return &Role{ID: AdminRoleID, Name: "管理员", Builtin: true, All: true} }

// MemberRole is the built-in 成员 as it ships: on every table, view, add, edit and delete the
// records one is 负责人 of.
func MemberRole() *Role {
	own := DataScope{Kind: ScopeOwn}
	return &Role{ID: MemberRoleID, Name: "成员", Builtin: true,
		Default: &TablePerm{Actions: []TableAction{View, Add, Edit, Remove}, Read: own, Change: own}}
}

// Grants are a signed-in person's roles and departments, resolved when the actor is built
// (users.Service.Actor). Nil grants mean the built-in 成员 role and no departments.
type Grants struct {
	Roles []*Role
	// Departments are the person's departments (ids), the main one first.
	Departments []int64
	// DepartmentUsers are the people of the person's departments, the person included:
	// 本部门 and $myDepartments.
	DepartmentUsers []int64
	// SubDepartmentUsers are the people of the person's departments and of every department
	// below them: 本部门及下级 and $mySubDepartments.
	SubDepartmentUsers []int64
	// SubDepartments are the person's departments and every department below them (ids):
	// $mySubDepartments in 部门 fields.
	SubDepartments []int64
	memo           *memo // see Shared
}

// Limit returns the actor as an API token acting for a sees it: only on the given tables
// (ids; every table when none is given), only the record actions (and, when readOnly, only
// viewing and exporting), no global action, never more than a itself may do. Each of a's
// roles keeps, per table, the intersection of what it granted there and the token's limits,
// with its data scopes and field permissions unchanged.
func Limit(a Actor, tables []string, readOnly bool) Actor {
	keep := []TableAction{View, Add, Edit, Remove, ImportRows, ExportRows, BulkEdit}
	if readOnly {
		keep = []TableAction{View, ExportRows}
	}
	cut := func(p *TablePerm) *TablePerm {
		if p == nil {
			return &TablePerm{} // grants nothing, and hides the role's default for the table
		}
		c := *p
		c.Actions = nil
		for _, act := range p.Actions {
			if slices.Contains(keep, act) {
				c.Actions = append(c.Actions, act)
			}
		}
		return &c
	}
	src := roles(a)
	if a.Admin() {
		src = []*Role{AdminRole()}
	}
	everything := &TablePerm{Actions: TableActions, Read: DataScope{Kind: ScopeAll}, Change: DataScope{Kind: ScopeAll}}
	out := make([]*Role, 0, len(src))
	for _, r := range src {
		lr := &Role{ID: r.ID, Name: r.Name, Tables: map[string]*TablePerm{}}
		switch {
		case len(tables) == 0 && r.All:
			lr.Default = cut(everything)
		case len(tables) == 0:
			if r.Default != nil {
				lr.Default = cut(r.Default)
			}
			for id, p := range r.Tables {
				lr.Tables[id] = cut(p)
			}
		default:
			for _, id := range tables {
				p := everything
				if !r.All {
					if p = r.Tables[id]; p == nil {
						p = r.Default
					}
				}
				lr.Tables[id] = cut(p)
			}
		}
		out = append(out, lr)
	}
	g := &Grants{Roles: out}
	if a.Grants != nil {
		g.Departments, g.DepartmentUsers, g.SubDepartmentUsers = a.Grants.Departments, a.Grants.DepartmentUsers, a.Grants.SubDepartmentUsers
	}
	return Actor{UserID: a.UserID, Role: RoleMember, Grants: g}
}

// WithRecords returns the actor with one more role, on the given records of t only: what a
// task of a flow gives the person holding it, as in 钉钉 and 飞书 — they read those records
// whatever their roles, each field as the task's node allows (fields: by id; a field not
// listed is readable; a 敏感 one they may read is masked, one they may edit shown in full),
// and with edit they may change the fields the node lets them edit. Nothing else of t, nor of
// any other table, changes for them.
func WithRecords(a Actor, t *schema.Table, ids []int64, fields map[string]FieldAccess, edit bool) Actor {
	if all(a) || len(ids) == 0 {
		return a
	}
	vals := make([]any, len(ids))
	for i, id := range ids {
		vals[i] = id
	}
	only := DataScope{Kind: ScopeCustom, Cond: &cond.Node{Field: schema.FieldID, Op: "in", Value: vals}}
	p := &TablePerm{Actions: []TableAction{View}, Read: only, Change: only, Fields: map[string]FieldAccess{}}
	if edit {
		p.Actions = append(p.Actions, Edit)
	}
	for _, f := range t.Fields {
		level, ok := fields[f.ID]
		if !ok {
			level = FieldRead
		}
		if f.Sensitive && level == FieldRead {
			level = FieldMasked
		}
		p.Fields[f.ID] = level
	}
	g := &Grants{}
	if a.Grants != nil {
		*g = *a.Grants
		g.memo = nil // other roles
	}
	g.Roles = append(slices.Clip(roles(a)), &Role{ID: "flow_task", Name: "流程待办", Tables: map[string]*TablePerm{t.ID: p}})
	a.Grants = g
	return a
}
