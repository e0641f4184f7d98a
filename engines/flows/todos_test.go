package flows_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"tierbase/core/access"
	"tierbase/engines/flows"
)

// The workbench lists the approver's open flow tasks, titled by flow and record, each opening
// in the to-do center; a task acted on leaves it.
func TestWorkbenchShowsOpenFlowTasks(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	f := w.publish(t, approve("经理审批", &flows.Who{Users: []int64{w.people["王经理"]}}, ""), end())
	w.start(t, f, "李娜", w.claim(t, 100))
	w.now = w.now.Add(time.Hour)
	w.start(t, f, "李娜", w.claim(t, 200))
	board, err := w.Workbench.Board(ctx, w.as("王经理"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range board.Tasks.Items {
		if k.Source == "flow" {
			got = append(got, k.Title+" "+k.Status+" "+k.Link)
		}
	}
	items, err := w.Flows.Box(ctx, w.as("王经理"), flows.BoxTodo, flows.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	var ids []int64
	for _, it := range items {
		want = append(want, fmt.Sprintf("报销审批 · 差旅 经理审批 /todo?instance=%d&task=%d", it.InstanceID, it.TaskID))
		ids = append(ids, it.TaskID)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("flow tasks %q, want %q", got, want)
	}
	var total int64
	for _, s := range board.Tasks.Sources {
		if s.Link == "/todo" {
			total = s.Total
		}
	}
	if total != 2 {
		t.Fatalf("the flows' source counts %d, want 2 (%+v)", total, board.Tasks.Sources)
	}
	if _, err := w.Flows.Act(ctx, w.as("王经理"), ids[1], "approve", flows.Input{}); err != nil {
		t.Fatal(err)
	}
	if board, err = w.Workbench.Board(ctx, w.as("王经理")); err != nil {
		t.Fatal(err)
	}
	for _, k := range board.Tasks.Items {
		if k.Source == "flow" && k.ID == ids[1] {
			t.Fatalf("the approved task %d is still on the workbench", k.ID)
		}
	}
	if board, err = w.Workbench.Board(ctx, w.as("李娜")); err != nil {
		t.Fatal(err)
	}
	for _, k := range board.Tasks.Items {
		if k.Source == "flow" {
			t.Fatalf("the initiator sees the approver's task %+v", k)
		}
	}
}

// A box narrows to one flow, one table or a time, and its lines carry the records' titles; a
// record lists the instances on it to its readers only.
func TestBoxFiltersAndARecordsInstances(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	f := w.publish(t, approve("经理审批", &flows.Who{Users: []int64{w.people["王经理"]}}, ""), end())
	g := w.publish(t, approve("复核", &flows.Who{Users: []int64{w.people["王经理"]}}, ""), end())
	rec := w.claim(t, 100)
	w.start(t, f, "李娜", rec)
	w.now = w.now.Add(2 * time.Hour)
	since := w.now.UTC().Format(time.RFC3339)
	later := w.start(t, g, "李娜", rec)
	box := func(p flows.Page) string {
		items, err := w.Flows.Box(ctx, w.as("王经理"), flows.BoxTodo, p)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range items {
			out = append(out, it.NodeName+"/"+it.RecordTitle)
		}
		return fmt.Sprint(out)
	}
	if got := box(flows.Page{}); got != "[复核/差旅 经理审批/差旅]" {
		t.Fatalf("box %s", got)
	}
	if got := box(flows.Page{Flow: f.ID}); got != "[经理审批/差旅]" {
		t.Fatalf("box of one flow %s", got)
	}
	if got := box(flows.Page{Since: since}); got != "[复核/差旅]" {
		t.Fatalf("box since %s: %s", since, got)
	}
	if got := box(flows.Page{Table: w.paid.ID}); got != "[]" {
		t.Fatalf("box of another table %s", got)
	}
	items, err := w.Flows.OfRecord(ctx, w.as("赵敏"), w.t.Name, rec)
	if err != nil || len(items) != 2 || items[0].InstanceID != later || items[0].FlowName != "报销审批" || items[0].InstanceState != "running" {
		t.Fatalf("instances on the record %+v %v", items, err)
	}
	if _, err := w.Flows.OfRecord(ctx, w.as("外人"), w.t.Name, rec); err == nil {
		t.Fatal("someone who may not read the record lists its instances")
	}
	other := w.claim(t, 5)
	if items, err := w.Flows.OfRecord(ctx, access.System, w.t.ID, other); err != nil || len(items) != 0 {
		t.Fatalf("a record without flows: %+v %v", items, err)
	}
}
