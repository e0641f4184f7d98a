package api_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestFlows: an admin designs a flow (a broken one is refused naming its node), publishes it
// and starts it on a record; the approver finds it in 待我处理 and approves; acting again is a
// 409 saying who did; the initiator sees it approved in 我发起的 with its timeline.
func TestFlows(t *testing.T) {
	c := setup(t)
	c.createTable("报销", f("事由", "text"), f("金额", "money"))
	rec := c.create("报销", map[string]any{"事由": "差旅", "金额": 3000})
	wangID, wang := c.addMember("wang@example.com", "小王")

	bad := map[string]any{"table": "报销", "name": "报销审批", "enabled": true, "nodes": []any{
		map[string]any{"id": "a", "type": "approve", "name": "经理审批", "who": map[string]any{}},
		map[string]any{"id": "end", "type": "end", "name": "结束"}}}
	r := c.post("/api/flows", bad)
	r.wantError(t, 400, "validation_failed")
	if d := r.wantDetail(t, "flow_no_approver", "", 0, "a"); !strings.Contains(str(d["message"]), "经理审批") {
		t.Fatalf("the problem does not name the node: %v", d)
	}
	bad["nodes"].([]any)[0].(map[string]any)["who"] = map[string]any{"users": []any{wangID}}
	flow := c.post("/api/flows", bad).must(t, 201)
	id := str(flow["id"])
	if text := fmt.Sprint(flow["text"]); !strings.Contains(text, "审批「经理审批」：小王") || flow["version"] != 0.0 {
		t.Fatalf("flow %v", flow)
	}
	c.post("/api/flows/"+id+"/start", map[string]any{"record": rec["id"]}).wantError(t, 409, "flow_not_published")
	if published := c.post("/api/flows/"+id+"/publish", nil).must(t, 200); published["version"] != 1.0 || published["changed"] != false {
		t.Fatalf("published %v", published)
	}
	wang.post("/api/flows/"+id+"/publish", nil).wantError(t, 403, "not_allowed_on")
	inst := c.post("/api/flows/"+id+"/start", map[string]any{"record": rec["id"]}).must(t, 201)
	if inst["state"] != "running" {
		t.Fatalf("instance %v", inst)
	}

	todo := wang.get("/api/tasks?box=todo").must(t, 200)
	tasks := items(todo)
	if len(tasks) != 1 || todo["todo"] != 1.0 || tasks[0]["nodeName"] != "经理审批" || tasks[0]["initiatorName"] != "管理员" {
		t.Fatalf("todo %v", todo)
	}
	task := fmt.Sprint(tasks[0]["taskId"])
	c.post("/api/tasks/"+task+"/approve", nil).wantError(t, 409, "flow_task_not_yours")
	done := wang.post("/api/tasks/"+task+"/approve", map[string]any{"comment": "同意"}).must(t, 200)
	if done["state"] != "approved" {
		t.Fatalf("after approving %v", done)
	}
	e := wang.post("/api/tasks/"+task+"/approve", nil).wantError(t, 409, "flow_task_done_approve")
	if !strings.Contains(str(e["message"]), "小王") {
		t.Fatalf("the 409 does not say who: %v", e)
	}
	wang.post("/api/tasks/"+task+"/cheer", nil).wantError(t, 400, "flow_bad_action")
	wang.get("/api/tasks?box=all").wantError(t, 400, "flow_bad_box")
	mine := items(c.get("/api/tasks?box=mine").must(t, 200))
	if len(mine) != 1 || mine[0]["instanceState"] != "approved" {
		t.Fatalf("mine %v", mine)
	}
	if done := items(wang.get("/api/tasks?box=done&flow="+id).must(t, 200)); len(done) != 1 || done[0]["recordTitle"] != "差旅" {
		t.Fatalf("done of the flow (the record's title shown by the task, to one whose roles may not read it) %v", done)
	}
	if mine := items(c.get("/api/tasks?box=mine&flow="+id).must(t, 200)); len(mine) != 1 || mine[0]["recordTitle"] != "差旅" {
		t.Fatalf("mine of the flow %v", mine)
	}
	if done := items(wang.get("/api/tasks?box=done&flow=other").must(t, 200)); len(done) != 0 {
		t.Fatalf("done of another flow %v", done)
	}
	onRecord := items(c.get(fmt.Sprintf("/api/instances?table=报销&record=%v", rec["id"])).must(t, 200))
	if len(onRecord) != 1 || onRecord[0]["instanceId"] != inst["id"] || onRecord[0]["instanceState"] != "approved" {
		t.Fatalf("the record's instances %v", onRecord)
	}
	c.get("/api/instances?table=报销&record=999").wantError(t, 404, "not_found")
	got := c.get(fmt.Sprintf("/api/instances/%v", inst["id"])).must(t, 200)
	var actions []string
	for _, ev := range got["events"].([]any) {
		actions = append(actions, str(ev.(map[string]any)["action"]))
	}
	if strings.Join(actions, " ") != "start arrive approve end" {
		t.Fatalf("timeline %v", got["events"])
	}
	c.post(fmt.Sprintf("/api/instances/%v/comments", inst["id"]), map[string]any{"comment": "好"}).must(t, 201)
	c.post(fmt.Sprintf("/api/instances/%v/withdraw", inst["id"]), nil).wantError(t, 409, "flow_ended_approved")
	if list := items(c.get("/api/flows?table=报销").must(t, 200)); len(list) != 1 || list[0]["version"] != 1.0 || list[0]["changed"] != false {
		t.Fatalf("flows %v", list)
	}
	// A draft saved after publishing is an unpublished change (有未发布的修改) until the next 发布.
	bad["nodes"].([]any)[0].(map[string]any)["name"] = "主管审批"
	if saved := c.call("PUT", "/api/flows/"+id, bad).must(t, 200); saved["version"] != 1.0 || saved["changed"] != true {
		t.Fatalf("saved after publishing %v", saved)
	}
	if again := c.post("/api/flows/"+id+"/publish", nil).must(t, 200); again["version"] != 2.0 || again["changed"] != false {
		t.Fatalf("published again %v", again)
	}
	// The approver, who may not read the admin's 报销, reads that one record through the task
	// they held — and its instance still draws version 1 — but not through the records API.
	held := wang.get(fmt.Sprintf("/api/instances/%v", inst["id"])).must(t, 200)
	data, _ := held["data"].(map[string]any)
	nodes, _ := held["nodes"].([]any)
	if data["事由"] != "差旅" || len(nodes) != 2 || nodes[0].(map[string]any)["name"] != "经理审批" {
		t.Fatalf("the approver's instance %v", held)
	}
	if r := wang.get(fmt.Sprintf("/api/tables/报销/records/%v", rec["id"])); r.Status != 403 && r.Status != 404 {
		t.Fatalf("the records API gives the approver the record: %d", r.Status)
	}
	if list := wang.get("/api/tables/报销/records"); list.Status == 200 && len(items(list.must(t, 200))) != 0 {
		t.Fatal("the records API lists the record to the approver")
	}
}
