package crm

import (
	"context"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/org"
	"tierbase/engines/flows"
)

// The template's flows.
const (
	QuoteFlow     = "报价审批"
	FollowUpFlow  = "新客户跟进提醒"
	QuoteLimit    = 100000 // 报价金额 above which 财务总监 approves too
	FollowedUpTag = "已跟进"  // the tag a 客户 gets with its first 跟进记录 (rule 已跟进)
)

// templateRoles makes the template's roles (销售, 销售经理, 销售总监, 财务, 财务总监, 客服) that
// no role of the same name stands for yet, and returns every one's id by name.
func templateRoles(ctx context.Context, o *org.Service) (map[string]string, error) {
	ids := map[string]string{}
	for _, r := range o.Roles() {
		ids[r.Name] = r.ID
	}
	for _, r := range demoRoles() {
		if ids[r.Name] != "" {
			continue
		}
		saved, err := o.SaveRole(ctx, access.System, r)
		if err != nil {
			return nil, err
		}
		ids[r.Name] = saved.ID
	}
	return ids, nil
}

// Flows are the template's flows, naming roles by id (roles maps the names):
//
// 报价审批 (S6 of the seed): a 报价单 whose 状态 comes to 审批中 (or started by hand) goes to
// the 销售总监; above ¥100,000 to the 财务总监 as well; each has 2 days, is reminded 4 hours
// before and told when it is overdue. Approved, it makes the 合同 (numbered HT-…, linked to
// the quote and its customer, 金额 = 报价金额) and 状态 becomes 已批准; rejected, 已驳回 and
// the initiator is told; withdrawn, back to 草稿.
//
// 新客户跟进提醒 (S5): 3 days after a 客户 is created, if it still has no 跟进记录 (it has
// not got the tag 已跟进 the rule of that name gives with the first one: the flow's
// conditions see the record's own fields, not its related records), the 销售总监 is told.
func Flows(roles map[string]string) []*flows.Flow {
	limit := &flows.Limit{Days: 2, RemindHours: 4, OnExpiry: flows.ExpiryRemind}
	approve := func(id, name, role string) *flows.Node {
		return &flows.Node{ID: id, Type: flows.Approve, Name: name, Who: &flows.Who{Roles: []string{roles[role]}},
			CommentOnReject: true, Limit: limit}
	}
	quote := &flows.Flow{Name: QuoteFlow, Table: "报价单", Enabled: true,
		Status:   &flows.Status{Field: "状态", Running: "审批中", Approved: "已批准", Rejected: "已驳回", Withdrawn: "草稿"},
		Triggers: flows.Triggers{OnMatch: true, When: &cond.Node{Field: "状态", Op: "eq", Value: "审批中"}},
		Nodes: []*flows.Node{
			approve("sales", "销售总监审批", "销售总监"),
			{ID: "amount", Type: flows.Condition, Name: "报价金额", Branches: []*flows.Branch{
				{Name: "超过 10 万", When: &cond.Node{Field: "报价金额", Op: "gt", Value: QuoteLimit},
					Nodes: []*flows.Node{approve("finance", "财务总监审批", "财务总监")}},
				{Name: "默认", Default: true},
			}},
			{ID: "contract", Type: flows.DataOp, Name: "生成合同", Data: &flows.Data{Op: flows.DataCreate, Table: "合同",
				Values: map[string]any{"报价单": "=ID", "客户": "=客户", "金额": "=报价金额"}}},
			{ID: "end", Type: flows.End, Name: "结束"},
		}}
	followUp := &flows.Flow{Name: FollowUpFlow, Table: "客户", Enabled: true,
		Triggers: flows.Triggers{OnCreate: true},
		Nodes: []*flows.Node{
			{ID: "wait", Type: flows.DelayOp, Name: "等待 3 天", Delay: &flows.Delay{Days: 3}},
			{ID: "check", Type: flows.Condition, Name: "是否已跟进", Branches: []*flows.Branch{
				{Name: "未跟进", When: &cond.Node{Field: "标签", Op: "notContains", Value: FollowedUpTag},
					Nodes: []*flows.Node{{ID: "tell", Type: flows.Notify, Name: "提醒销售总监",
						Who: &flows.Who{Roles: []string{roles["销售总监"]}}, Title: "新客户 3 天未跟进",
						Body: "这位客户录入已满 3 天，还没有跟进记录，请安排负责人跟进"}}},
				{Name: "默认", Default: true},
			}},
			{ID: "end", Type: flows.End, Name: "结束"},
		}}
	return []*flows.Flow{quote, followUp}
}

// InstallFlows adds the template's roles that are missing and its flows, each unless a flow
// of its name exists, saved and published.
func InstallFlows(ctx context.Context, fl *flows.Engine, o *org.Service) error {
	roles, err := templateRoles(ctx, o)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, table := range []string{"报价单", "客户"} {
		list, err := fl.Flows(ctx, access.System, table)
		if err != nil {
			return err
		}
		for _, f := range list {
			have[f.Name] = true
		}
	}
	for _, f := range Flows(roles) {
		if have[f.Name] {
			continue
		}
		saved, err := fl.Save(ctx, access.System, f)
		if err != nil {
			return err
		}
		if _, err := fl.Publish(ctx, access.System, saved.ID); err != nil {
			return err
		}
	}
	return nil
}
