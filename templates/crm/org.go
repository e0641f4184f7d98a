package crm

import (
	"context"

	"tierbase/core/access"
	"tierbase/core/org"
	"tierbase/core/users"
)

// finance is what 财务 may do: keep 订单 and 合同; a 财务总监 also reads every 报价单 and
// 客户, as the second approver of the large ones in 报价审批, and adds 合同 (their approval
// makes the quote's 合同, linked to its customer).
func finance(director bool) map[string]*access.TablePerm {
	all := access.DataScope{Kind: access.ScopeAll}
	keep := func() *access.TablePerm {
		return &access.TablePerm{Actions: []access.TableAction{access.View, access.Edit, access.ExportRows}, Read: all, Change: all}
	}
	out := map[string]*access.TablePerm{"订单": keep(), "合同": keep()}
	if director {
		for _, t := range []string{"报价单", "客户"} {
			out[t] = &access.TablePerm{Actions: []access.TableAction{access.View}, Read: all, Change: all}
		}
		out["合同"].Actions = append(out["合同"].Actions, access.Add)
	}
	return out
}

// The demo organisation's roles: what each may do with the template's tables. The template
// has no 回款 table, so 财务 works on 订单 and 合同; 客服 reads customers, keeps their
// follow-ups and handles every 工单.
func demoRoles() []*access.Role {
	work := []access.TableAction{access.View, access.Add, access.Edit}
	scope := func(k access.ScopeKind) access.DataScope { return access.DataScope{Kind: k} }
	salesTables := func(k access.ScopeKind, actions []access.TableAction, phone access.FieldAccess) map[string]*access.TablePerm {
		out := map[string]*access.TablePerm{}
		for _, t := range []string{"客户", "联系人", "跟进记录", "订单", "待办任务", "报价单", "合同"} {
			out[t] = &access.TablePerm{Actions: actions, Read: scope(k), Change: scope(k)}
		}
		if phone != "" {
			out["客户"].Fields = map[string]access.FieldAccess{"联系电话": phone}
		}
		return out
	}
	managed := append(append([]access.TableAction{}, work...), access.Remove, access.ExportRows, access.BulkEdit)
	return []*access.Role{
		{Name: "销售", Tables: salesTables(access.ScopeOwn, work, access.FieldMasked)},
		{Name: "销售经理", Tables: salesTables(access.ScopeSubDepartments, managed, "")},
		{Name: "销售总监", Tables: salesTables(access.ScopeAll, append(managed, access.ImportRows), "")},
		{Name: "财务", Tables: finance(false)},
		{Name: "财务总监", Tables: finance(true)},
		{Name: "客服", Tables: map[string]*access.TablePerm{
			"客户":   {Actions: []access.TableAction{access.View}, Read: scope(access.ScopeAll), Change: scope(access.ScopeOwn)},
			"跟进记录": {Actions: work, Read: scope(access.ScopeAll), Change: scope(access.ScopeOwn)},
			"工单":   {Actions: work, Read: scope(access.ScopeAll), Change: scope(access.ScopeAll)},
		}},
	}
}

// demoPeople place the demo users (the sales team, then 客服 and 财务) in the tree with their
// roles; head marks the department's 主管.
var demoPeople = []struct {
	email, dept, role string
	head              bool
}{
	{"zhangwei", "销售部", "销售总监", true},
	{"wangfang", "销售部/华东区", "销售经理", true}, {"lina", "销售部/华东区", "销售", false},
	{"liuyang", "销售部/华南区", "销售经理", true}, {"chenjing", "销售部/华南区", "销售", false},
	{"yanglei", "销售部/华北区", "销售经理", true}, {"zhaomin", "销售部/华北区", "销售", false},
	{"huangyong", "销售部/华东区", "销售", false},
	{"sunli", "客服部", "客服", true}, {"zhenghao", "客服部", "客服", false},
	{"zhoumin", "财务部", "财务总监", true}, {"wuting", "财务部", "财务", false},
}

// officeStaff are the demo users beyond the sales team: they own no customers.
var officeStaff = []struct{ name, email string }{{"孙丽", "sunli"}, {"郑浩", "zhenghao"}, {"周敏", "zhoumin"}, {"吴婷", "wuting"}}

// InstallOrg gives the demo an organisation, so that roles and data scopes show on first
// start: departments 销售部 (华东区, 华南区, 华北区), 客服部 and 财务部 with a 主管 each; roles
// 销售 (仅本人, 联系电话 masked), 销售经理 (本部门及下级), 销售总监 (全部), 财务 (订单, 合同),
// 财务总监 (also reads 报价单) and 客服;
// the demo users in them with those roles. It runs after Demo and skips what exists.
func InstallOrg(ctx context.Context, o *org.Service, us *users.Service) error {
	if len(o.Departments()) > 0 {
		return nil
	}
	if _, err := ensureUsers(ctx, us, officeStaff); err != nil {
		return err
	}
	roleIDs, err := templateRoles(ctx, o)
	if err != nil {
		return err
	}
	depts := map[string]int64{}
	for _, path := range []struct{ name, parent string }{
		{"销售部", ""}, {"华东区", "销售部"}, {"华南区", "销售部"}, {"华北区", "销售部"}, {"客服部", ""}, {"财务部", ""},
	} {
		d, err := o.CreateDepartment(ctx, access.System, path.name, depts[path.parent], nil)
		if err != nil {
			return err
		}
		key := path.name
		if path.parent != "" {
			key = path.parent + "/" + path.name
		}
		depts[key] = d.ID
	}
	heads := map[int64][]int64{}
	for _, p := range demoPeople {
		dept := depts[p.dept]
		id, err := us.Enroll(ctx, access.System, p.email+"@demo.tierbase", "", []string{roleIDs[p.role]}, []int64{dept})
		if err != nil {
			return err
		}
		if p.head {
			heads[dept] = append(heads[dept], id)
		}
	}
	for dept, hs := range heads {
		if _, err := o.UpdateDepartment(ctx, access.System, dept, org.DepartmentPatch{Heads: &hs}); err != nil {
			return err
		}
	}
	return nil
}
