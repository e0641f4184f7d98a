package api_test

import (
	"fmt"
	"strings"
	"testing"
)

// S6 of the seed end to end, as the people do it: the 客户管理 template installs the flow
// 报价审批 published; a 销售 submits a 150,000 quote (状态 审批中), the 销售总监 approves, then
// the 财务总监; the 合同 exists with an HT- number, linked to the quote and its customer, and
// the quote is 已批准. A 50,000 quote needs the 销售总监 only; a rejected one is 已驳回 and the
// 销售 is told; submitted again, it runs again, and withdrawn it is a 草稿.
func TestQuoteApprovalS6(t *testing.T) {
	c := setup(t)
	c.post("/api/templates/crm", nil).must(t, 201)
	flowList := items(c.get("/api/flows?table=报价单").must(t, 200))
	if len(flowList) != 1 || flowList[0]["name"] != "报价审批" || flowList[0]["version"] != 1.0 {
		t.Fatalf("the template's quote flows %v", flowList)
	}
	if followUp := items(c.get("/api/flows?table=客户").must(t, 200)); len(followUp) != 1 || followUp[0]["name"] != "新客户跟进提醒" {
		t.Fatalf("the template's customer flows %v", followUp)
	}
	roles := map[string]any{}
	for _, r := range c.get("/api/roles").must(t, 200)["roles"].([]any) {
		roles[str(r.(map[string]any)["name"])] = r.(map[string]any)["id"]
	}
	person := func(email, name, role string) *client {
		id, who := c.addMember(email, name)
		c.patch(fmt.Sprintf("/api/users/%d", int64(id)), map[string]any{"roles": []any{roles[role]}}).must(t, 200)
		return who
	}
	lina := person("lina@example.com", "李娜", "销售")
	zhangwei := person("zhangwei@example.com", "张伟", "销售总监")
	zhoumin := person("zhoumin@example.com", "周敏", "财务总监")

	cust := lina.create("客户", map[string]any{"客户名称": "杭州某科技有限公司"})
	submit := func(amount int) map[string]any {
		q := lina.create("报价单", map[string]any{"客户": cust["id"], "报价金额": amount, "状态": "审批中"})
		if q["状态"] != "审批中" || !strings.HasPrefix(str(q["报价单号"]), "BJ-") {
			t.Fatalf("submitted quote %v", q)
		}
		return q
	}
	// act does the action on the approver's only open task and answers the instance's state.
	act := func(who *client, action, comment string) string {
		t.Helper()
		todo := items(who.get("/api/tasks?box=todo").must(t, 200))
		if len(todo) != 1 {
			t.Fatalf("%d open tasks, want 1: %v", len(todo), todo)
		}
		return str(who.post(fmt.Sprintf("/api/tasks/%v/%s", todo[0]["taskId"], action), map[string]any{"comment": comment}).must(t, 200)["state"])
	}
	status := func(q map[string]any) any { return c.get(recordPath("报价单", num(q["id"]))).must(t, 200)["状态"] }

	big := submit(150000)
	if state := act(zhangwei, "approve", "同意"); state != "running" {
		t.Fatalf("after the 销售总监, the 150,000 quote is %s", state)
	}
	if got := c.count("合同"); got != 0 {
		t.Fatalf("%d 合同 before the 财务总监 approved", got)
	}
	if state := act(zhoumin, "approve", "同意"); state != "approved" {
		t.Fatalf("after the 财务总监, the 150,000 quote is %s", state)
	}
	contracts := items(c.list("合同").must(t, 200))
	if len(contracts) != 1 {
		t.Fatalf("合同 %v", contracts)
	}
	k := contracts[0]
	if k["合同编号"] != "HT-20261123-0001" || k["报价单"] != big["id"] || k["客户"] != cust["id"] || k["金额"] != 150000.0 || k["状态"] != "待签署" {
		t.Fatalf("合同 %v", k)
	}
	if s := status(big); s != "已批准" {
		t.Fatalf("the approved quote's 状态 %v", s)
	}

	small := submit(50000)
	if state := act(zhangwei, "approve", ""); state != "approved" {
		t.Fatalf("the 50,000 quote after the 销售总监 is %s", state)
	}
	if todo := items(zhoumin.get("/api/tasks?box=todo").must(t, 200)); len(todo) != 0 {
		t.Fatalf("the 财务总监 has %v", todo)
	}
	contracts = items(c.list("合同", "sort", "合同编号").must(t, 200))
	if len(contracts) != 2 || contracts[1]["合同编号"] != "HT-20261123-0002" || contracts[1]["报价单"] != small["id"] || status(small) != "已批准" {
		t.Fatalf("合同 after the small quote %v", contracts)
	}

	rejected := submit(80000)
	todo := items(zhangwei.get("/api/tasks?box=todo").must(t, 200))
	zhangwei.post(fmt.Sprintf("/api/tasks/%v/reject", todo[0]["taskId"]), nil).wantError(t, 400, "flow_comment_required")
	if state := act(zhangwei, "reject", "价格太低"); state != "rejected" {
		t.Fatalf("the rejected quote is %s", state)
	}
	if s := status(rejected); s != "已驳回" || c.count("合同") != 2 {
		t.Fatalf("the rejected quote's 状态 %v, %d 合同", s, c.count("合同"))
	}
	var told bool
	for _, n := range items(lina.get("/api/notifications").must(t, 200)) {
		told = told || n["title"] == "报价审批：已拒绝"
	}
	if !told {
		t.Fatalf("the 销售 was not told: %v", lina.get("/api/notifications").Body)
	}

	// Submitted again, it goes to the 销售总监 again; withdrawn, it is a 草稿.
	lina.patch(recordPath("报价单", num(rejected["id"])), map[string]any{"报价金额": 90000, "状态": "审批中"}).must(t, 200)
	mine := items(lina.get("/api/tasks?box=mine").must(t, 200)) // four quotes', and 新客户跟进提醒 waiting on her customer
	if len(mine) != 5 || mine[0]["record"] != rejected["id"] || mine[0]["instanceState"] != "running" {
		t.Fatalf("the 销售's instances %v", mine)
	}
	lina.post(fmt.Sprintf("/api/instances/%v/withdraw", mine[0]["instanceId"]), nil).must(t, 200)
	if s := status(rejected); s != "草稿" || len(items(zhangwei.get("/api/tasks?box=todo").must(t, 200))) != 0 {
		t.Fatalf("the withdrawn quote's 状态 %v", s)
	}
}
