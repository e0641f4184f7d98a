package flows_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/engines/flows"
	"tierbase/engines/rules"
)

// instances is the number of instances of a flow and their initiators' names.
func (w *world) instances(t *testing.T, f *flows.Flow) (int, string) {
	t.Helper()
	rows, err := w.DB.R.Query("SELECT initiator FROM _flow_instances WHERE flow_id = ? ORDER BY id", f.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		u, _ := w.Users.Get(id)
		names = append(names, u.Name)
	}
	return len(names), strings.Join(names, " ")
}

// publishWith publishes a flow of one approval by 王经理 with triggers.
func (w *world) publishWith(t *testing.T, tr flows.Triggers) *flows.Flow {
	t.Helper()
	ctx := context.Background()
	f, err := w.Flows.Save(ctx, access.System, &flows.Flow{Table: w.t.ID, Name: "报销审批", Enabled: true, Triggers: tr,
		Nodes: []*flows.Node{approve("审批", &flows.Who{Users: []int64{w.people["王经理"]}}, ""), end()}})
	if err != nil {
		t.Fatal(err)
	}
	if f, err = w.Flows.Publish(ctx, access.System, f.ID); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestTriggers(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	big := &cond.Node{Field: "金额", Op: "gt", Value: 1000}
	create := func(by string, amount float64) records.Record {
		r, err := w.Records.Create(ctx, w.as(by), w.t, records.Input{"事由": "差旅", "金额": amount})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	t.Run("on create", func(t *testing.T) {
		f := w.publishWith(t, flows.Triggers{OnCreate: true, When: big})
		create("李娜", 500)
		create("李娜", 2000)
		if n, who := w.instances(t, f); n != 1 || who != "李娜" {
			t.Fatalf("%d instances by %s", n, who)
		}
		f.Enabled = false
		if _, err := w.Flows.Save(ctx, access.System, f); err != nil {
			t.Fatal(err)
		}
		create("李娜", 3000)
		if n, _ := w.instances(t, f); n != 1 {
			t.Fatal("a disabled flow started")
		}
	})
	t.Run("on coming to match", func(t *testing.T) {
		f := w.publishWith(t, flows.Triggers{OnMatch: true, When: big})
		r := create("赵敏", 500)
		if n, _ := w.instances(t, f); n != 0 {
			t.Fatal("started on a small claim")
		}
		for _, amount := range []float64{2000, 3000} {
			if _, err := w.Records.Update(ctx, w.as("赵敏"), w.t, r.ID(), records.Input{"金额": amount}); err != nil {
				t.Fatal(err)
			}
		}
		if n, who := w.instances(t, f); n != 1 || who != "赵敏" {
			t.Fatalf("%d instances by %s", n, who)
		}
		if _, err := w.Flows.Save(ctx, access.System, &flows.Flow{Table: w.t.ID, Name: "x", Triggers: flows.Triggers{OnMatch: true},
			Nodes: []*flows.Node{end()}}); code(err) != "flow_match_no_condition" {
			t.Fatalf("coming to match nothing: %v", err)
		}
		f.Enabled = false
		w.Flows.Save(ctx, access.System, f)
	})
	t.Run("still matching starts nothing again", func(t *testing.T) {
		// a flow that ends at once: only the trigger keeps it from starting on every change
		f, err := w.Flows.Save(ctx, access.System, &flows.Flow{Table: w.t.ID, Name: "大额登记", Enabled: true,
			Triggers: flows.Triggers{OnMatch: true, When: big}, Nodes: []*flows.Node{end()}})
		if err != nil {
			t.Fatal(err)
		}
		if f, err = w.Flows.Publish(ctx, access.System, f.ID); err != nil {
			t.Fatal(err)
		}
		r := create("赵敏", 500)
		for _, amount := range []float64{2000, 3000, 800, 4000} {
			if _, err := w.Records.Update(ctx, w.as("赵敏"), w.t, r.ID(), records.Input{"金额": amount}); err != nil {
				t.Fatal(err)
			}
		}
		if n, _ := w.instances(t, f); n != 2 { // at 2000, and at 4000 after 800
			t.Fatalf("%d instances, want 2", n)
		}
		f.Enabled = false
		w.Flows.Save(ctx, access.System, f)
	})
	t.Run("by a rule's action", func(t *testing.T) {
		f := w.publishWith(t, flows.Triggers{})
		if _, _, err := w.Rules.SaveRule(ctx, access.System, &rules.Rule{Name: "大额报销走审批", Table: w.t.ID, Enabled: true,
			Triggers: []rules.Trigger{{On: rules.OnCreated}}, When: big, Actions: []rules.Action{{Type: rules.ActStartFlow, Flow: f.ID}}}); err != nil {
			t.Fatal(err)
		}
		create("李娜", 5000)
		w.drain(t)
		if n, who := w.instances(t, f); n != 1 || who != "李娜" {
			t.Fatalf("%d instances by %s", n, who)
		}
	})
	t.Run("on a schedule", func(t *testing.T) {
		f := w.publishWith(t, flows.Triggers{Cron: "0 9 * * *", When: &cond.Node{Field: "金额", Op: "gt", Value: 4000}})
		before, _ := w.instances(t, f)
		day := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
		w.now = day
		if err := w.Jobs.Tick(ctx, day); err != nil {
			t.Fatal(err)
		}
		w.drain(t)
		first, _ := w.instances(t, f)
		w.now = day.AddDate(0, 0, 1)
		if err := w.Jobs.Tick(ctx, w.now); err != nil {
			t.Fatal(err)
		}
		w.drain(t)
		// one claim is above 4000 (the 5000): started once, not again while it runs
		if again, _ := w.instances(t, f); first-before != 1 || again != first {
			t.Fatalf("scheduled starts: %d before, %d after the first run, %d after the second", before, first, again)
		}
	})
}

// A flow the system started (a record without 负责人 or 创建人) has nobody to resubmit it: a
// 退回 to the initiator stops it with the reason.
func TestReturnWithoutInitiator(t *testing.T) {
	w := newWorld(t)
	f := w.publishWith(t, flows.Triggers{OnCreate: true})
	w.claim(t, 1) // by the system
	if n, who := w.instances(t, f); n != 1 || who != "" {
		t.Fatalf("%d instances by %q", n, who)
	}
	w.act(t, "王经理", flows.ActReturn, flows.Input{})
	var state, reason string
	if err := w.DB.R.QueryRow("SELECT state, reason FROM _flow_instances WHERE flow_id = ?", f.ID).Scan(&state, &reason); err != nil {
		t.Fatal(err)
	}
	if state != flows.Stopped || !strings.Contains(reason, "flow_return_no_initiator") {
		t.Fatalf("%s %s", state, reason)
	}
}

// The flow keeps its instance's state in the record's 状态, as the system, also when it
// starts from the record's own creation.
func TestStatusField(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	f, err := w.Flows.Save(ctx, access.System, &flows.Flow{Table: w.t.ID, Name: "报销审批", Enabled: true, Triggers: flows.Triggers{OnCreate: true,
		When: &cond.Node{Field: "金额", Op: "gt", Value: 1000}},
		Status: &flows.Status{Field: "状态", Running: "审批中", Approved: "已批准", Rejected: "已驳回", Withdrawn: "草稿"},
		Nodes:  []*flows.Node{approve("审批", &flows.Who{Users: []int64{w.people["王经理"]}}, ""), end()}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Flows.Publish(ctx, access.System, f.ID); err != nil {
		t.Fatal(err)
	}
	status := func(id int64) string {
		r, err := w.Records.Get(ctx, access.System, w.t, id)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := r[w.t.Field("状态").ID].(string)
		return s
	}
	created, err := w.Records.Create(ctx, w.as("李娜"), w.t, records.Input{"事由": "差旅", "金额": 2000})
	if err != nil {
		t.Fatal(err)
	}
	if s := status(created.ID()); s != "审批中" {
		t.Fatalf("started from its creation: %q", s)
	}
	w.act(t, "王经理", flows.ActApprove, flows.Input{})
	if s := status(created.ID()); s != "已批准" {
		t.Fatalf("approved: %q", s)
	}
	r2 := w.claim(t, 10)
	w.start(t, f, "李娜", r2)
	w.act(t, "王经理", flows.ActReject, flows.Input{})
	r3 := w.claim(t, 20)
	id := w.start(t, f, "李娜", r3)
	if err := w.Flows.Withdraw(ctx, w.as("李娜"), id, ""); err != nil {
		t.Fatal(err)
	}
	if s2, s3 := status(r2), status(r3); s2 != "已驳回" || s3 != "草稿" {
		t.Fatalf("rejected %q, withdrawn %q", s2, s3)
	}
	if _, err := w.Flows.Save(ctx, access.System, &flows.Flow{Table: w.t.ID, Name: "x", Status: &flows.Status{Field: "创建人"},
		Nodes: []*flows.Node{end()}}); code(err) != "flow_status_field" {
		t.Fatalf("a system field for the status: %v", err)
	}
}

// TestOwnStatusStartsNothing: a flow whose trigger matches the status it writes itself
// (状态 comes to 已批准 when it is approved) does not start again from its own write.
func TestOwnStatusStartsNothing(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	f, err := w.Flows.Save(ctx, access.System, &flows.Flow{Table: w.t.ID, Name: "归档", Enabled: true,
		Triggers: flows.Triggers{OnMatch: true, When: &cond.Node{Field: "状态", Op: "eq", Value: "已批准"}},
		Status:   &flows.Status{Field: "状态", Approved: "已批准"},
		Nodes:    []*flows.Node{approve("审批", &flows.Who{Users: []int64{w.people["王经理"]}}, ""), end()}})
	if err != nil {
		t.Fatal(err)
	}
	if f, err = w.Flows.Publish(ctx, access.System, f.ID); err != nil {
		t.Fatal(err)
	}
	w.start(t, f, "李娜", w.claim(t, 100))
	w.act(t, "王经理", flows.ActApprove, flows.Input{})
	if n, _ := w.instances(t, f); n != 1 {
		t.Fatalf("%d instances after the flow wrote 已批准, want 1", n)
	}
}

// Records created in one write start each flow together (one INSERT of the instances, their
// tasks, steps and timers written at the end): each record's instance is exactly what a
// record starting the flow by itself (changed to match) gets — the same state, step, tasks,
// timers and timeline — once per record, also when a branch stops the instance after
// another made its task (which must then be cancelled).
func TestCreatedTogether(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	nobody, err := w.Org.SaveRole(ctx, access.System, &access.Role{Name: "空岗"})
	if err != nil {
		t.Fatal(err)
	}
	when := flows.Triggers{OnMatch: true, When: &cond.Node{Field: "状态", Op: "eq", Value: "提交"}}
	limited := approve("审批", &flows.Who{Users: []int64{w.people["王经理"]}}, "")
	limited.Limit = &flows.Limit{Days: 2, RemindHours: 4, OnExpiry: flows.ExpiryRemind}
	defs := map[string][]*flows.Node{
		"抄送后审批": {{ID: "cc", Type: flows.CC, Name: "抄送", Who: &flows.Who{Users: []int64{w.people["吴婷"]}}}, limited, end()},
		"并行后终止": {{ID: "par", Type: flows.Parallel, Name: "并行", Branches: []*flows.Branch{
			{Name: "一", Nodes: []*flows.Node{approve("甲", &flows.Who{Users: []int64{w.people["李娜"]}}, "")}},
			{Name: "二", Nodes: []*flows.Node{{ID: "乙", Type: flows.Approve, Name: "乙", Who: &flows.Who{Roles: []string{nobody.ID}}, Empty: flows.EmptyStop}}},
		}}, end()},
		"延时": {{ID: "wait", Type: flows.DelayOp, Name: "等一天", Delay: &flows.Delay{Days: 1}}, end()},
	}
	var fs []*flows.Flow
	for name, nodes := range defs {
		f, err := w.Flows.Save(ctx, access.System, &flows.Flow{Table: w.t.ID, Name: name, Enabled: true, Triggers: when, Nodes: nodes})
		if err != nil {
			t.Fatal(err)
		}
		if f, err = w.Flows.Publish(ctx, access.System, f.ID); err != nil {
			t.Fatal(err)
		}
		fs = append(fs, f)
	}
	items := make([]records.Input, 4)
	for i := range items {
		items[i] = records.Input{"事由": "差旅", "金额": 100 * (i + 1), "状态": "提交"}
	}
	var together []records.Record // as a public form's submissions are written: the hooks hear of them at once
	err = w.DB.Tx(ctx, func(tx *sql.Tx) error {
		for _, in := range items {
			r, err := w.Records.CreateLater(ctx, tx, w.as("李娜"), w.t, in)
			if err != nil {
				return err
			}
			together = append(together, r)
		}
		return w.Records.Created(ctx, tx, w.t, together)
	})
	if err != nil {
		t.Fatal(err)
	}
	alone, err := w.Records.Create(ctx, w.as("李娜"), w.t, records.Input{"事由": "差旅", "金额": 50, "状态": "草稿"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Records.Update(ctx, w.as("李娜"), w.t, alone.ID(), records.Input{"状态": "提交"}); err != nil {
		t.Fatal(err)
	}
	// of ends the instances of f on record in a line, without their ids
	of := func(f *flows.Flow, record int64) string {
		var out []string
		rows, err := w.DB.R.Query("SELECT id, state, step, initiator FROM _flow_instances WHERE flow_id = ? AND record_id = ? ORDER BY id", f.ID, record)
		if err != nil {
			t.Fatal(err)
		}
		type inst struct {
			id, initiator int64
			state         string
			step          int
		}
		var ins []inst
		for rows.Next() {
			var in inst
			if err := rows.Scan(&in.id, &in.state, &in.step, &in.initiator); err != nil {
				t.Fatal(err)
			}
			ins = append(ins, in)
		}
		rows.Close()
		list := func(q string, args ...any) string {
			rows, err := w.DB.R.Query(q, args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			cols, _ := rows.Columns()
			var out []string
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				out = append(out, strings.TrimSuffix(strings.TrimPrefix(fmt.Sprint(vals), "["), "]"))
			}
			return strings.Join(out, "; ")
		}
		for _, in := range ins {
			key := fmt.Sprintf("%%:%d:%%", in.id)
			out = append(out, fmt.Sprintf("%s step %d by %d | tasks %s | jobs %s | events %s", in.state, in.step, in.initiator,
				list("SELECT node_id, user_id, state, step, seq, due_at FROM _flow_tasks WHERE instance_id = ? ORDER BY id", in.id),
				list("SELECT kind, run_at, state FROM _jobs WHERE key LIKE ? ORDER BY id", key),
				list("SELECT action, node_id, user_id, detail FROM _flow_events WHERE instance_id = ? ORDER BY id", in.id)))
		}
		return strings.Join(out, " || ")
	}
	expect := map[string][]string{ // what each instance has, besides being the same
		"抄送后审批": {"running step 1", fmt.Sprintf("cc %d cc 0 0", w.people["吴婷"]),
			fmt.Sprintf("审批 %d open 1 0 2026-11-25T09:00:00Z", w.people["王经理"]), "flow.remind", "arrive"},
		"并行后终止": {"stopped step 1", fmt.Sprintf("甲 %d cancelled 1 0", w.people["李娜"]), "flow_no_approver_found"},
		"延时":    {"running step 1", "wait 0 waiting 1 0", "flow.wake", "wait"},
	}
	for _, f := range fs {
		want := of(f, alone.ID())
		if strings.Count(want, "||") != 0 || want == "" {
			t.Fatalf("%s: the record alone has %q", f.Name, want)
		}
		for _, part := range expect[f.Name] {
			if !strings.Contains(want, part) {
				t.Errorf("%s: %q has no %q", f.Name, want, part)
			}
		}
		for _, r := range together {
			if got := of(f, r.ID()); got != want {
				t.Errorf("%s on a record created with others:\n%s\nwant, as on a record alone:\n%s", f.Name, got, want)
			}
		}
	}
}

// A record created with others that the write starts a flow on already — another flow's
// 数据操作 nodes made it stop and then come again to match — starts that flow once, whichever
// of the two starts first.
func TestCreatedTogetherOnce(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	wait := &flows.Node{ID: "wait", Type: flows.DelayOp, Name: "等一天", Delay: &flows.Delay{Days: 1}}
	save := func(name string, tr flows.Triggers, nodes ...*flows.Node) *flows.Flow {
		f, err := w.Flows.Save(ctx, access.System, &flows.Flow{Table: w.t.ID, Name: name, Enabled: true, Triggers: tr, Nodes: nodes})
		if err != nil {
			t.Fatal(err)
		}
		if f, err = w.Flows.Publish(ctx, access.System, f.ID); err != nil {
			t.Fatal(err)
		}
		return f
	}
	set := func(id string, amount int) *flows.Node {
		return &flows.Node{ID: id, Type: flows.DataOp, Name: id, Data: &flows.Data{Op: flows.DataUpdate, Values: map[string]any{"金额": amount}}}
	}
	save("改金额", flows.Triggers{OnCreate: true}, set("清零", 0), set("还原", 500), end())
	var fs []*flows.Flow // several, so that some come before 改金额 in the triggers' order, some after
	for i := range 4 {
		fs = append(fs, save(fmt.Sprint("跟进", i), flows.Triggers{OnCreate: true, OnMatch: true, When: &cond.Node{Field: "金额", Op: "gt", Value: 100}}, wait, end()))
	}
	var recs []records.Record
	err := w.DB.Tx(ctx, func(tx *sql.Tx) error {
		for range 3 {
			r, err := w.Records.CreateLater(ctx, tx, w.as("李娜"), w.t, records.Input{"事由": "差旅", "金额": 500})
			if err != nil {
				return err
			}
			recs = append(recs, r)
		}
		return w.Records.Created(ctx, tx, w.t, recs)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if n, _ := w.instances(t, f); n != len(recs) {
			t.Errorf("%s: %d instances on %d records", f.Name, n, len(recs))
		}
	}
}
