package org

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"tierbase/core/access"
	"tierbase/core/audit"
	"tierbase/core/cond"
	"tierbase/core/schema"
	"tierbase/platform/problem"
)

// RoleInfo is a role with how many people have it, for the 角色 page.
type RoleInfo struct {
	*access.Role
	People int `json:"people"`
}

// maxRoleName bounds a role's name.
const maxRoleName = 30

// Roles returns every role in display order with its people count.
func (s *Service) Roles() []RoleInfo {
	sn := s.current()
	out := make([]RoleInfo, 0, len(sn.base.order))
	for _, r := range sn.base.order {
		out = append(out, RoleInfo{Role: r, People: sn.roleUsers[r.ID]})
	}
	return out
}

// Role returns one role by id.
func (s *Service) Role(id string) (RoleInfo, error) {
	sn := s.current()
	r := sn.roles[id]
	if r == nil {
		return RoleInfo{}, problem.NotFound("role", id)
	}
	return RoleInfo{Role: r, People: sn.roleUsers[id]}, nil
}

// RoleExists reports whether a role has the id, for package users' checks.
func (s *Service) RoleExists(id string) bool {
	for _, r := range s.base.Load().order {
		if r.ID == id {
			return true
		}
	}
	return false
}

// DepartmentExists reports whether a department has the id, for package users' checks.
func (s *Service) DepartmentExists(id int64) bool { return s.base.Load().depts[id] != nil }

// SaveRole creates a role (empty ID) or replaces the one with r's ID, after checking it
// against the catalog. Table and field references may be names; they are stored as ids.
// Of the built-in 管理员 only the name changes; 成员 changes wholly but stays built in.
func (s *Service) SaveRole(ctx context.Context, a access.Actor, r *access.Role) (RoleInfo, error) {
	if err := s.checkRole(r); err != nil {
		return RoleInfo{}, err
	}
	err := s.change(ctx, a, audit.RoleChange, func(tx *sql.Tx) (map[string]any, error) {
		var before *access.Role
		if r.ID == "" {
			r.ID = newRoleID()
		} else {
			var def string
			if err := tx.QueryRowContext(ctx, "SELECT def FROM _roles WHERE id = ?", r.ID).Scan(&def); err == sql.ErrNoRows {
				return nil, problem.NotFound("role", r.ID)
			} else if err != nil {
				return nil, err
			}
			before = &access.Role{}
			if err := json.Unmarshal([]byte(def), before); err != nil {
				return nil, err
			}
			if before.ID == access.AdminRoleID {
				name := r.Name
				*r = *before
				r.Name = name
			}
			r.Builtin = before.Builtin
		}
		// Another node may be saving a role of the same name: one check at a time.
		if err := s.db.Dialect.Lock(ctx, tx, "org.role-names"); err != nil {
			return nil, err
		}
		var taken int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM _roles WHERE "+s.db.Dialect.JSONText("def", "name")+" = ? AND id != ?", r.Name, r.ID).Scan(&taken); err != nil {
			return nil, err
		}
		if taken > 0 {
			return nil, problem.New(409, "duplicate_name", "name", r.Name).At("name")
		}
		def, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO _roles(id, position, def) VALUES(?, (SELECT COALESCE(MAX(position) + 1, 0) FROM _roles), ?)
			ON CONFLICT(id) DO UPDATE SET def = excluded.def`, r.ID, string(def)); err != nil {
			return nil, err
		}
		detail := map[string]any{"role": r.Name, "after": r}
		if before != nil {
			detail["before"] = before
		}
		return detail, nil
	})
	if err != nil {
		return RoleInfo{}, err
	}
	return s.Role(r.ID)
}

// DeleteRole removes a role nobody has; the built-in roles stay.
func (s *Service) DeleteRole(ctx context.Context, a access.Actor, id string) error {
	return s.change(ctx, a, audit.RoleChange, func(tx *sql.Tx) (map[string]any, error) {
		r, err := s.Role(id)
		if err != nil {
			return nil, err
		}
		if r.Builtin {
			return nil, problem.New(409, "role_builtin", "name", r.Name)
		}
		if r.People > 0 {
			return nil, problem.New(409, "role_in_use", "name", r.Name, "count", r.People)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM _roles WHERE id = ?", id); err != nil {
			return nil, err
		}
		return map[string]any{"role": r.Name, "before": r.Role}, nil
	})
}

func newRoleID() string {
	b := make([]byte, 5)
	rand.Read(b)
	return "role_" + hex.EncodeToString(b)
}

// checkRole checks r against the catalog and puts its table and field references as ids.
// Each error names the table and the field as the user calls them.
func (s *Service) checkRole(r *access.Role) error {
	r.Name = strings.TrimSpace(r.Name)
	if r.Name == "" || len([]rune(r.Name)) > maxRoleName {
		return problem.Invalid("bad_name", "max", maxRoleName).At("name")
	}
	for i, g := range r.Global {
		if g != access.ManageUsers && g != access.ManageSchema {
			return problem.Invalid("role_bad_global", "value", g).At(fmt.Sprintf("global[%d]", i))
		}
	}
	if r.Default != nil {
		if err := checkPerm(r.Default, nil, "default"); err != nil {
			return err
		}
	}
	tables := map[string]*access.TablePerm{}
	for ref, p := range r.Tables {
		t, err := s.catalog.Table(ref)
		if err != nil {
			return problem.Invalid("unknown_table", "name", ref).At("tables." + ref)
		}
		if p == nil {
			p = &access.TablePerm{}
		}
		if err := checkPerm(p, t, "tables."+t.Name); err != nil {
			return err
		}
		tables[t.ID] = p
	}
	if len(tables) > 0 {
		r.Tables = tables
	} else {
		r.Tables = nil
	}
	return nil
}

// checkPerm checks one table's permissions (t nil: the default for every table).
func checkPerm(p *access.TablePerm, t *schema.Table, at string) error {
	table := "*"
	if t != nil {
		table = t.Name
	}
	if p.Actions == nil {
		p.Actions = []access.TableAction{}
	}
	for i, act := range p.Actions {
		if !slices.Contains(access.TableActions, act) {
			return problem.Invalid("role_bad_action", "table", table, "value", act).At(fmt.Sprintf("%s.actions[%d]", at, i))
		}
	}
	for _, sc := range []struct {
		which string
		scope *access.DataScope
	}{{"read_scope", &p.Read}, {"change_scope", &p.Change}} {
		path := at + "." + strings.TrimSuffix(sc.which, "_scope")
		d := sc.scope
		if d.Kind == "" {
			d.Kind = access.ScopeOwn
		}
		switch d.Kind {
		case access.ScopeAll, access.ScopeSubDepartments, access.ScopeDepartment, access.ScopeOwn:
			d.Cond = nil
		case access.ScopeCustom:
			if t == nil {
				return problem.Invalid("role_custom_default", "kind", sc.which).At(path)
			}
			if d.Cond == nil {
				return problem.Invalid("role_need_cond", "table", table, "kind", sc.which).At(path + ".cond")
			}
			if err := cond.Check(d.Cond, t); err != nil {
				if pe := problem.As(err); pe != nil {
					c := *pe
					c.Path = strings.TrimSuffix(path+".cond."+pe.Path, ".")
					return &c
				}
				return err
			}
		default:
			return problem.Invalid("role_bad_scope", "table", table, "kind", sc.which, "value", d.Kind).At(path + ".kind")
		}
		if d.By != "" && d.By != "owner" && d.By != "creator" {
			return problem.Invalid("role_bad_scope_by", "table", table, "value", d.By).At(path + ".by")
		}
	}
	fields := map[string]access.FieldAccess{}
	for ref, v := range p.Fields {
		if t == nil {
			return problem.Invalid("role_default_fields").At(at + ".fields")
		}
		f := t.Field(ref)
		if f == nil {
			return problem.Invalid("unknown_field", "table", table, "name", ref).At(at + ".fields." + ref)
		}
		switch v {
		case access.FieldHidden, access.FieldMasked, access.FieldRead, access.FieldEdit:
		default:
			return problem.Invalid("role_bad_field_access", "table", table, "field", f.Name, "value", v).At(at + ".fields." + f.Name)
		}
		fields[f.ID] = v
	}
	if len(fields) > 0 {
		p.Fields = fields
	} else {
		p.Fields = nil
	}
	return nil
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

func init() {
	for _, m := range [][3]string{
		{"dept_bad_name", "部门名称不能为空，不能含 /，且不超过 {max} 个字", "a department's name must be 1 to {max} characters without /"},
		{"dept_name_taken", "「{parent}」下已有部门「{name}」，请换一个名称", "\"{parent}\" already has a department \"{name}\"; choose another name"},
		{"dept_top_name_taken", "顶层已有部门「{name}」，请换一个名称", "there is already a top department \"{name}\"; choose another name"},
		{"dept_cycle", "不能把部门「{name}」移到它自己或它的下级「{parent}」之下，请选择其他上级部门", "the department \"{name}\" cannot move under itself or its own sub-department \"{parent}\"; choose another parent"},
		{"dept_has_children", "部门「{name}」下还有 {count} 个下级部门，请先删除或移走它们", "the department \"{name}\" still has {count} sub-department(s); delete or move them first"},
		{"dept_has_people", "部门「{name}」还有 {count} 名成员，请先在成员管理中把他们调到其他部门", "the department \"{name}\" still has {count} member(s); move them to another department in People first"},
		{"role_builtin", "「{name}」是内置角色，不能删除", "\"{name}\" is a built-in role and cannot be deleted"},
		{"role_in_use", "还有 {count} 人拥有角色「{name}」，请先在成员管理中给他们换成其他角色", "{count} person(s) still have the role \"{name}\"; give them another role in People first"},
		{"role_bad_global", "未知的全局权限「{value}」，可选：manage_users（成员与权限管理）、manage_schema（新建表/仪表盘）", "unknown global permission \"{value}\"; choose manage_users or manage_schema"},
		{"role_bad_action", "表「{table}」：未知的操作「{value}」，可选：查看、新增、编辑、删除、导入、导出、批量编辑、管理字段、管理规则", "table \"{table}\": unknown action \"{value}\"; choose view, add, edit, delete, import, export, bulk_edit, manage_fields or manage_rules"},
		{"role_bad_scope", "表「{table}」的{kind}「{value}」未知，可选：全部、本部门及下级、本部门、仅本人、自定义条件", "table \"{table}\": unknown {kind} \"{value}\"; choose all, subdepartments, department, own or custom"},
		{"role_bad_scope_by", "表「{table}」：仅本人按「{value}」无法判断，请选择负责人或创建人", "table \"{table}\": \"own\" cannot go by \"{value}\"; choose owner or creator"},
		{"role_need_cond", "表「{table}」的{kind}是自定义条件，请填写条件", "table \"{table}\": the {kind} is a custom condition; enter the condition"},
		{"role_custom_default", "其他表的{kind}不能用自定义条件（条件里的字段因表而异），请在具体的表上设置", "the {kind} for all other tables cannot be a custom condition (fields differ by table); set it on a table"},
		{"role_default_fields", "字段权限只能在具体的表上设置", "field permissions are set on a particular table"},
		{"role_bad_field_access", "表「{table}」字段「{field}」的权限「{value}」未知，可选：隐藏、脱敏、只读、可编辑", "table \"{table}\", field \"{field}\": unknown permission \"{value}\"; choose hidden, masked, read or edit"},
	} {
		problem.AddMessage(m[0], m[1], m[2])
	}
	problem.AddTerm("read_scope", "查看范围", "read scope")
	problem.AddTerm("change_scope", "修改范围", "change scope")
	problem.AddTerm("department", "部门", "department")
	problem.AddTerm("role", "角色", "role")
}
