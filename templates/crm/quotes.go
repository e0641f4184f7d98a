package crm

import (
	"context"
	"fmt"

	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/engines/flows"
)

// demoQuotes are the demo's quotes: whose, how much, and how far 报价审批 has taken them
// (草稿: not submitted; 待总监: waiting for the 销售总监; 待财务: for the 财务总监, the
// 销售总监 having approved; 已批准 with its 合同; 已驳回).
var demoQuotes = []struct {
	seller string
	amount int
	stage  string
	note   string
}{
	{"lina", 36000, "草稿", "年度软件服务报价，待与客户确认用户数"},
	{"chenjing", 128000, "草稿", "含三年运维服务"},
	{"lina", 68000, "待总监", "标准版 50 用户"},
	{"zhaomin", 186000, "待总监", "企业版，含私有化部署"},
	{"huangyong", 245000, "待财务", "集团版，分两期付款"},
	{"chenjing", 132000, "待财务", "企业版 200 用户"},
	{"huangyong", 58000, "已批准", "标准版续费"},
	{"zhaomin", 156000, "已批准", "企业版，含培训"},
	{"lina", 42000, "已驳回", "折扣过低"},
}

// DemoQuotes makes the demo's quotes through the flow 报价审批, as the people would: each
// 销售 submits theirs (状态 审批中 starts the flow), and the 销售总监 (zhangwei) and 财务总监
// (zhoumin) act on their tasks, so every stage — 草稿, 审批中 with open tasks for each of them,
// 已批准 with its 合同, 已驳回 — has a real timeline. It runs after InstallOrg and
// InstallFlows, and does nothing when 报价单 has records. It returns how many it made.
func DemoQuotes(ctx context.Context, fl *flows.Engine) (int, error) {
	recs := fl.Records
	quotes, err := fl.Catalog.Table("报价单")
	if err != nil {
		return 0, err
	}
	customers, err := fl.Catalog.Table("客户")
	if err != nil {
		return 0, err
	}
	if n, err := recs.Count(ctx, access.System, quotes, nil); err != nil || n > 0 {
		return 0, err
	}
	people := map[string]access.Actor{}
	for _, u := range fl.Users.List() {
		people[u.Email] = fl.Users.ActorOf(u)
	}
	as := func(who string) access.Actor { return people[who+"@demo.tierbase"] }
	made := 0
	for i, q := range demoQuotes {
		seller := as(q.seller)
		if seller.UserID == 0 {
			continue
		}
		// The seller's customers, as they see them; the i-th quote goes to one of them.
		page, err := recs.List(ctx, seller, customers, records.Query{Limit: 10, SkipTotal: true, Sort: "客户编号"})
		if err != nil {
			return made, err
		}
		if len(page.Items) == 0 {
			continue
		}
		status := "审批中"
		if q.stage == "草稿" {
			status = "草稿"
		}
		if _, err := recs.Create(ctx, seller, quotes, records.Input{"客户": page.Items[i%len(page.Items)].ID(), "报价金额": q.amount,
			"状态": status, "报价说明": q.note}); err != nil {
			return made, err
		}
		made++
		switch q.stage {
		case "待财务":
			err = actOnNewest(ctx, fl, as("zhangwei"), flows.ActApprove)
		case "已批准":
			err = actOnNewest(ctx, fl, as("zhangwei"), flows.ActApprove)
			if err == nil && q.amount > QuoteLimit {
				err = actOnNewest(ctx, fl, as("zhoumin"), flows.ActApprove)
			}
		case "已驳回":
			err = actOnNewest(ctx, fl, as("zhangwei"), flows.ActReject)
		}
		if err != nil {
			return made, err
		}
	}
	return made, nil
}

// actOnNewest does action on the person's newest open task: the one of the quote just
// submitted, or just passed on to them.
func actOnNewest(ctx context.Context, fl *flows.Engine, a access.Actor, action string) error {
	todo, err := fl.Box(ctx, a, flows.BoxTodo, flows.Page{Limit: 1})
	if err != nil {
		return err
	}
	if len(todo) == 0 || todo[0].FlowName != QuoteFlow {
		return fmt.Errorf("demo quote: no task of %s to %s", QuoteFlow, action)
	}
	comment := map[string]string{flows.ActApprove: "同意", flows.ActReject: "折扣超出权限，请重新核算后再提交"}[action]
	_, err = fl.Act(ctx, a, todo[0].TaskID, action, flows.Input{Comment: comment})
	if err != nil {
		return fmt.Errorf("demo quote: %s: %w", action, err)
	}
	return nil
}
