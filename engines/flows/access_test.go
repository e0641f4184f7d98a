package flows_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/engines/flows"
)

// outsider adds 审计, a person whose roles cannot read 报销 at all.
func (w *world) outsider(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	none, err := w.Org.SaveRole(ctx, access.System, &access.Role{Name: "外部审计", Tables: map[string]*access.TablePerm{w.t.ID: {}}})
	if err != nil {
		t.Fatal(err)
	}
	if w.people["审计"], err = w.Users.Enroll(ctx, access.System, "audit@example.com", "审计", []string{none.ID}, nil); err != nil {
		t.Fatal(err)
	}
}

// TestTaskGrantsItsRecord: an approver whose roles cannot read 报销 at all gets a task on one
// record, as in 钉钉 and 飞书: they read that record with the node's field permissions (金额
// hidden, 状态 editable, the rest read), edit 状态 as they approve, and still read it —
// read-only — after acting; the records engine still refuses them that record, the others
// and the list, and someone without a task on the instance reads nothing of it.
func TestTaskGrantsItsRecord(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.outsider(t)
	node := approve("审计审批", &flows.Who{Users: []int64{w.people["审计"]}}, "")
	node.Fields = map[string]string{"金额": flows.FieldHidden, "状态": flows.FieldEdit}
	f := w.publish(t, node, end())
	mine, other := w.claim(t, 5000), w.claim(t, 7000)
	id := w.start(t, f, "李娜", mine)
	a := w.as("审计")

	items, err := w.Flows.Box(ctx, a, flows.BoxTodo, flows.Page{})
	if err != nil || len(items) != 1 || items[0].RecordTitle != "差旅" {
		t.Fatalf("todo %+v %v", items, err)
	}
	in, err := w.Flows.Instance(ctx, a, id)
	if err != nil {
		t.Fatal(err)
	}
	seen := func(in *flows.Instance) map[string]any {
		out := map[string]any{}
		for _, fl := range w.t.Fields {
			if v, ok := in.Data[fl.ID]; ok && fl.Name != "id" {
				out[fl.Name] = v
			}
		}
		return out
	}
	got := seen(in)
	if _, hidden := got["金额"]; hidden || got["事由"] != "差旅" || len(in.Data) == 0 {
		t.Fatalf("the approver sees %v, want the node's visible fields (no 金额)", got)
	}
	for _, rec := range []int64{mine, other} {
		if _, err := w.Records.Get(ctx, a, w.t, rec); err == nil {
			t.Fatalf("the records engine lets the approver read record %d", rec)
		}
	}
	if page, err := w.Records.List(ctx, a, w.t, records.Query{}); err == nil && len(page.Items) > 0 {
		t.Fatalf("the approver lists %d records", len(page.Items))
	}
	if _, err := w.Flows.Act(ctx, a, items[0].TaskID, flows.ActApprove, flows.Input{Values: map[string]any{"金额": 1}}); code(err) != "flow_field_not_editable" {
		t.Fatalf("editing a hidden field: %v", err)
	}
	if _, err := w.Flows.Act(ctx, a, items[0].TaskID, flows.ActApprove, flows.Input{Values: map[string]any{"状态": "已审"}}); err != nil {
		t.Fatal(err)
	}
	rec, err := w.Records.Get(ctx, access.System, w.t, mine)
	if err != nil || rec[w.t.Field("状态").ID] != "已审" {
		t.Fatalf("the approver's edit %v %v", rec, err)
	}
	done, err := w.Flows.Box(ctx, a, flows.BoxDone, flows.Page{})
	if err != nil || len(done) != 1 || done[0].RecordTitle != "差旅" {
		t.Fatalf("done %+v %v", done, err)
	}
	if in, err = w.Flows.Instance(ctx, a, id); err != nil || seen(in)["状态"] != "已审" || seen(in)["金额"] != nil {
		t.Fatalf("after acting the approver sees %v (%v)", seen(in), err)
	}
	if list, err := w.Flows.OfRecord(ctx, a, w.t.ID, mine); err != nil || len(list) != 1 {
		t.Fatalf("the record's instances for the approver: %v %v", list, err)
	}
	if _, err := w.Flows.OfRecord(ctx, a, w.t.ID, other); err == nil {
		t.Fatal("the approver lists the instances of a record they have no task on")
	}
	if _, err := w.Flows.Instance(ctx, w.as("外人"), id); err == nil {
		t.Fatal("someone without a task reads the instance")
	}
}

// TestInstanceDrawsItsVersion: an instance answers the definition of the version it runs,
// not a later one; its tasks carry when they fall due.
func TestInstanceDrawsItsVersion(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	node := approve("审批", &flows.Who{Users: []int64{w.people["王经理"]}}, "")
	node.Limit = &flows.Limit{Hours: 24, OnExpiry: flows.ExpiryRemind}
	f := w.publish(t, node, end())
	id := w.start(t, f, "李娜", w.claim(t, 1))
	f.Nodes = append([]*flows.Node{approve("初审", &flows.Who{Users: []int64{w.people["张总"]}}, "")}, f.Nodes...)
	if _, err := w.Flows.Save(ctx, access.System, f); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Flows.Publish(ctx, access.System, f.ID); err != nil {
		t.Fatal(err)
	}
	in, err := w.Flows.Instance(ctx, w.as("李娜"), id)
	if err != nil {
		t.Fatal(err)
	}
	var drawn []*flows.Node
	if err := json.Unmarshal(in.Nodes, &drawn); err != nil || len(drawn) != 2 || drawn[0].Name != "审批" {
		t.Fatalf("the instance on v1 draws %s (%v)", in.Nodes, err)
	}
	due := w.now.Add(24 * time.Hour).Format(time.RFC3339)
	if in.Tasks[0].Due != due {
		t.Fatalf("the task is due %q, want %q", in.Tasks[0].Due, due)
	}
	if items, err := w.Flows.Box(ctx, w.as("王经理"), flows.BoxTodo, flows.Page{}); err != nil || len(items) != 1 || items[0].Due != due {
		t.Fatalf("todo %+v %v", items, err)
	}
}

// TestTaskEditsSensitiveField: a 敏感 field the task's node lets its holder edit is shown to
// them in full and saved as they approve, through the records engine as them; one it lets
// them read is masked, and so is the edited one once they acted.
func TestTaskEditsSensitiveField(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if _, err := w.Catalog.AddField(ctx, access.System, w.t.ID, &schema.Field{Name: "身份证号", Type: schema.Text, Sensitive: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Catalog.AddField(ctx, access.System, w.t.ID, &schema.Field{Name: "银行卡号", Type: schema.Text, Sensitive: true}); err != nil {
		t.Fatal(err)
	}
	w.t, _ = w.Catalog.Table(w.t.ID)
	w.outsider(t)
	node := approve("核对证件", &flows.Who{Users: []int64{w.people["审计"]}}, "")
	node.Fields = map[string]string{"身份证号": flows.FieldEdit, "银行卡号": flows.FieldRead}
	f := w.publish(t, node, end())
	rec, err := w.Records.Create(ctx, access.System, w.t, records.Input{"事由": "差旅", "身份证号": "110101199003071234", "银行卡号": "6222020200112233"})
	if err != nil {
		t.Fatal(err)
	}
	id := w.start(t, f, "李娜", rec.ID())
	a := w.as("审计")
	id1, card := w.t.Field("身份证号").ID, w.t.Field("银行卡号").ID
	in, err := w.Flows.Instance(ctx, a, id)
	if err != nil || in.Data[id1] != "110101199003071234" || in.Data[card] != "6***3" {
		t.Fatalf("the approver sees 身份证号 %v, 银行卡号 %v (%v); want the first in full, the second masked", in.Data[id1], in.Data[card], err)
	}
	task := w.one(t, "审计")
	if _, err := w.Flows.Act(ctx, a, task, flows.ActApprove, flows.Input{Values: map[string]any{"银行卡号": "6222020200119999"}}); code(err) != "flow_field_not_editable" {
		t.Fatalf("editing a 敏感 field the node lets them read: %v", err)
	}
	if _, err := w.Flows.Act(ctx, a, task, flows.ActApprove, flows.Input{Values: map[string]any{"身份证号": "110101199003075678"}}); err != nil {
		t.Fatalf("editing a 敏感 field the node lets them edit: %v", err)
	}
	got, err := w.Records.Get(ctx, access.System, w.t, rec.ID())
	if err != nil || got[id1] != "110101199003075678" || got[card] != "6222020200112233" {
		t.Fatalf("record %v %v", got, err)
	}
	hist, err := w.Records.History(ctx, access.System, w.t, rec.ID())
	if err != nil || hist[0].UserID != w.people["审计"] || hist[0].Changes[0].After != "110101199003075678" {
		t.Fatalf("history %+v %v", hist, err)
	}
	if in, err = w.Flows.Instance(ctx, a, id); err != nil || in.Data[id1] != "1***8" {
		t.Fatalf("after acting the approver sees 身份证号 %v (%v), want it masked", in.Data[id1], err)
	}
}
