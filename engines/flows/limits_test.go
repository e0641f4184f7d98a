package flows_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/engines/flows"
	"tierbase/platform/jobs"
	"tierbase/platform/problem"
)

// drain runs the due jobs until none is left.
func (w *world) drain(t *testing.T) {
	t.Helper()
	if _, err := w.Jobs.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func limited(who *flows.Who, l *flows.Limit) *flows.Node {
	return &flows.Node{ID: "审批", Type: flows.Approve, Name: "审批", Who: who, Limit: l}
}

func TestTimeLimits(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	manager := &flows.Who{Users: []int64{w.people["王经理"]}}

	t.Run("pass, with a reminder", func(t *testing.T) {
		f := w.publish(t, limited(manager, &flows.Limit{Days: 2, RemindHours: 4, OnExpiry: flows.ExpiryPass}), end())
		id := w.start(t, f, "李娜", w.claim(t, 1))
		task := w.one(t, "王经理")
		w.now = w.now.Add(43 * time.Hour)
		w.drain(t)
		if w.state(t, id) != flows.Running || strings.Contains(w.timeline(t, id), "remind") {
			t.Fatal("the reminder came early")
		}
		w.now = w.now.Add(time.Hour + time.Minute)
		w.drain(t)
		notes, _, _ := w.Inbox.List(ctx, w.people["王经理"], false, 1)
		if len(notes) != 1 || !strings.HasPrefix(notes[0].Title, "即将超时") || w.state(t, id) != flows.Running {
			t.Fatalf("no reminder: %+v", notes)
		}
		w.now = w.now.Add(4 * time.Hour)
		w.drain(t)
		if w.state(t, id) != flows.Approved || !strings.Contains(w.timeline(t, id), "remind@审批 timeout@审批 end@结束") {
			t.Fatalf("not passed on time: %s", w.timeline(t, id))
		}
		_, err := w.Flows.Act(ctx, w.as("王经理"), task, flows.ActApprove, flows.Input{})
		if p := problem.As(err); p == nil || p.Code != "flow_task_done_timeout" {
			t.Fatalf("acting after the time limit: %v", err)
		}
	})
	t.Run("escalate to a role", func(t *testing.T) {
		f := w.publish(t, limited(manager, &flows.Limit{Hours: 8, OnExpiry: flows.ExpiryEscalate, EscalateTo: &flows.Who{Roles: []string{w.roles["财务总监"]}}}), end())
		id := w.start(t, f, "李娜", w.claim(t, 2))
		w.now = w.now.Add(9 * time.Hour)
		w.drain(t)
		if len(w.todo(t, "王经理")) != 0 {
			t.Fatal("the task stayed")
		}
		w.act(t, "周敏", flows.ActApprove, flows.Input{})
		if w.state(t, id) != flows.Approved {
			t.Fatal("not approved by the escalation")
		}
	})
	t.Run("a step that passed in time", func(t *testing.T) {
		f := w.publish(t, limited(manager, &flows.Limit{Hours: 1, OnExpiry: flows.ExpiryReject}), approve("二审", manager, ""), end())
		id := w.start(t, f, "李娜", w.claim(t, 3))
		w.act(t, "王经理", flows.ActApprove, flows.Input{})
		w.now = w.now.Add(2 * time.Hour)
		w.drain(t)
		if w.state(t, id) != flows.Running || strings.Contains(w.timeline(t, id), "timeout") {
			t.Fatal("the timer of a step gone by acted")
		}
	})
	t.Run("by a date field, across a restart", func(t *testing.T) {
		f := w.publish(t, limited(manager, &flows.Limit{Field: "截止日期", OnExpiry: flows.ExpiryReject}), end())
		r, err := w.Records.Create(ctx, access.System, w.t, records.Input{"事由": "会议", "截止日期": w.now.AddDate(0, 0, 2).Format("2006-01-02")})
		if err != nil {
			t.Fatal(err)
		}
		id := w.start(t, f, "李娜", r.ID())
		w.App.Close()
		a, err := app.Open(w.dir)
		if err != nil {
			t.Fatal(err)
		}
		w.App = a
		a.SetClock(func() time.Time { return w.now }, time.UTC)
		day := w.now.Truncate(24*time.Hour).AddDate(0, 0, 2)
		w.now = day.Add(23 * time.Hour)
		w.drain(t)
		if w.state(t, id) != flows.Running {
			t.Fatal("due before the day ended")
		}
		w.now = day.Add(24*time.Hour + time.Minute)
		w.drain(t)
		if w.state(t, id) != flows.Rejected {
			t.Fatalf("not rejected when due: %s", w.timeline(t, id))
		}
	})
	t.Run("bad limits", func(t *testing.T) {
		for l, want := range map[*flows.Limit]string{
			{Days: 1, Hours: 2, OnExpiry: flows.ExpiryPass}: "flow_bad_limit",
			{Field: "事由", OnExpiry: flows.ExpiryPass}:       "flow_not_date_field",
			{Days: 1, OnExpiry: flows.ExpiryEscalate}:       "flow_no_escalation",
			{Days: 1, OnExpiry: "explode"}:                  "flow_bad_expiry",
		} {
			_, err := w.Flows.Save(ctx, access.System, &flows.Flow{Table: w.t.ID, Name: "x", Nodes: []*flows.Node{limited(manager, l), end()}})
			if got := code(err); got != want+" 审批" {
				t.Errorf("%+v: %s, want %s", l, got, want)
			}
		}
	})
}

// Two queues (two processes' workers) on one database share 100 time limits falling due at
// once, each with its reminder: each runs once — one reminder, one timeout, one copy, one end
// per instance (the reminder queues the expiry as it runs).
func TestTimersOnceWithTwoWorkers(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	f := w.publish(t, limited(&flows.Who{Users: []int64{w.people["王经理"]}}, &flows.Limit{Hours: 2, RemindHours: 1, OnExpiry: flows.ExpiryPass}),
		&flows.Node{ID: "cc", Type: flows.CC, Name: "抄送", Who: &flows.Who{Users: []int64{w.people["吴婷"]}}}, end())
	const n = 100
	for i := range n {
		w.start(t, f, "李娜", w.claim(t, float64(i)))
	}
	w.now = w.now.Add(3 * time.Hour)
	other := jobs.New(w.DB)
	other.Now = w.Jobs.Now
	other.Batch = 7
	w.Jobs.Batch = 5
	w.Flows.Handle(other)
	var wg sync.WaitGroup
	for _, q := range []*jobs.Queue{w.Jobs, other} {
		wg.Go(func() {
			for {
				k, err := q.RunOnce(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if k == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	w.drain(t)
	var reminders, timeouts, ends, approved, copies int
	for _, q := range []struct {
		sql string
		n   *int
	}{
		{"SELECT COUNT(*) FROM _flow_events WHERE action = 'remind'", &reminders},
		{"SELECT COUNT(*) FROM _flow_events WHERE action = 'timeout'", &timeouts},
		{"SELECT COUNT(*) FROM _flow_events WHERE action = 'end'", &ends},
		{"SELECT COUNT(*) FROM _flow_instances WHERE state = 'approved'", &approved},
		{"SELECT COUNT(*) FROM _flow_tasks WHERE state = 'cc'", &copies},
	} {
		if err := w.DB.R.QueryRow(q.sql).Scan(q.n); err != nil {
			t.Fatal(err)
		}
	}
	if reminders != n || timeouts != n || ends != n || approved != n || copies != n {
		t.Fatalf("reminders %d, timeouts %d, ends %d, approved %d, copies %d; want %d each", reminders, timeouts, ends, approved, copies, n)
	}
}

func TestDelay(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	f := w.publish(t, &flows.Node{ID: "wait", Type: flows.DelayOp, Name: "等三天", Delay: &flows.Delay{Days: 3}},
		&flows.Node{ID: "until", Type: flows.DelayOp, Name: "等到截止日", Delay: &flows.Delay{Field: "截止日期"}},
		approve("审批", &flows.Who{Users: []int64{w.people["王经理"]}}, ""), end())
	r, err := w.Records.Create(ctx, access.System, w.t, records.Input{"事由": "会议", "截止日期": "2026-11-20"}) // already past
	if err != nil {
		t.Fatal(err)
	}
	id := w.start(t, f, "李娜", r.ID())
	w.now = w.now.Add(71 * time.Hour)
	w.drain(t)
	if len(w.todo(t, "王经理")) != 0 {
		t.Fatal("the delay ended early")
	}
	w.now = w.now.Add(time.Hour)
	w.drain(t)
	if len(w.todo(t, "王经理")) != 1 || !strings.HasPrefix(w.timeline(t, id), "start/李娜 wait@等三天 wake@等三天 arrive@审批") {
		t.Fatalf("after the delay: %s", w.timeline(t, id))
	}
	if _, err := w.Flows.Save(ctx, access.System, &flows.Flow{Table: w.t.ID, Name: "x", Nodes: []*flows.Node{
		{ID: "w", Type: flows.DelayOp, Name: "等", Delay: &flows.Delay{Field: "事由"}}, end()}}); code(err) != "flow_not_date_field w" {
		t.Fatalf("a delay until a text field: %v", err)
	}
}

func TestParallel(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	user := func(name string) *flows.Who { return &flows.Who{Users: []int64{w.people[name]}} }
	f := w.publish(t, &flows.Node{ID: "p", Type: flows.Parallel, Name: "会审", Branches: []*flows.Branch{
		{Name: "业务", Nodes: []*flows.Node{approve("经理审批", user("王经理"), "")}},
		{Name: "财务", Nodes: []*flows.Node{approve("财务审批", user("周敏"), ""),
			&flows.Node{ID: "cc", Type: flows.CC, Name: "抄送财务", Who: user("吴婷")}}},
		{Name: "等待", Nodes: []*flows.Node{{ID: "wait", Type: flows.DelayOp, Name: "冷静期", Delay: &flows.Delay{Hours: 2}}}},
	}}, approve("总监审批", user("张总"), ""), end())

	id := w.start(t, f, "李娜", w.claim(t, 1))
	w.act(t, "周敏", flows.ActApprove, flows.Input{})
	w.act(t, "王经理", flows.ActApprove, flows.Input{})
	if len(w.todo(t, "张总")) != 0 {
		t.Fatal("joined before the delay ended")
	}
	w.now = w.now.Add(2 * time.Hour)
	w.drain(t)
	w.act(t, "张总", flows.ActApprove, flows.Input{})
	if got, want := w.timeline(t, id), "start/李娜 arrive@经理审批 arrive@财务审批 wait@冷静期 approve@财务审批/周敏 cc@抄送财务 approve@经理审批/王经理 wake@冷静期 join@会审 arrive@总监审批 approve@总监审批/张总 end@结束"; got != want {
		t.Fatalf("timeline\n%s\nwant\n%s", got, want)
	}

	// A no in one branch rejects the whole; the other branch's task and the wait are called off.
	id = w.start(t, f, "李娜", w.claim(t, 2))
	w.act(t, "王经理", flows.ActReject, flows.Input{})
	if w.state(t, id) != flows.Rejected || len(w.todo(t, "周敏")) != 0 {
		t.Fatal("a rejection in one branch did not end the others")
	}
	w.now = w.now.Add(3 * time.Hour)
	w.drain(t)
	if strings.Contains(w.timeline(t, id), "wake") {
		t.Fatal("the wait of a rejected instance ended")
	}

	// 退回 to the initiator from a branch calls every branch off; 重新提交 forks again.
	id = w.start(t, f, "李娜", w.claim(t, 3))
	w.act(t, "周敏", flows.ActReturn, flows.Input{})
	if len(w.todo(t, "王经理")) != 0 {
		t.Fatal("the other branch stayed open")
	}
	w.act(t, "李娜", flows.ActResubmit, flows.Input{})
	if len(w.todo(t, "王经理")) != 1 || len(w.todo(t, "周敏")) != 1 {
		t.Fatal("resubmitting did not fork again")
	}
	if _, err := w.Flows.Act(ctx, w.as("王经理"), w.one(t, "王经理"), flows.ActReturn, flows.Input{Node: "财务审批"}); code(err) != "flow_return_target" {
		t.Fatalf("back into a parallel branch: %v", err)
	}

	for name, nodes := range map[string][]*flows.Node{
		"flow_end_in_parallel": {{ID: "p", Type: flows.Parallel, Name: "会审", Branches: []*flows.Branch{{Name: "a", Nodes: []*flows.Node{{ID: "e1", Type: flows.End, Name: "提前结束"}}}, {Name: "b"}}}, end()},
		"flow_few_parallel":    {{ID: "p", Type: flows.Parallel, Name: "会审", Branches: []*flows.Branch{{Name: "a"}}}, end()},
		"flow_parallel_condition": {{ID: "p", Type: flows.Parallel, Name: "会审", Branches: []*flows.Branch{
			{Name: "a", When: &cond.Node{Field: "金额", Op: "gt", Value: 1}}, {Name: "b"}}}, end()},
	} {
		_, err := w.Flows.Save(ctx, access.System, &flows.Flow{Table: w.t.ID, Name: "x", Nodes: nodes})
		if got := code(err); !strings.HasPrefix(got, name) {
			t.Errorf("%s: %s", name, got)
		}
	}
}

func TestExpiryReturns(t *testing.T) {
	w := newWorld(t)
	f := w.publish(t, limited(&flows.Who{Users: []int64{w.people["王经理"]}}, &flows.Limit{Days: 1, OnExpiry: flows.ExpiryReturn}), end())
	id := w.start(t, f, "李娜", w.claim(t, 1))
	w.now = w.now.Add(25 * time.Hour)
	w.drain(t)
	if len(w.todo(t, "王经理")) != 0 || len(w.todo(t, "李娜")) != 1 || w.state(t, id) != flows.Running {
		t.Fatalf("not sent back: %s", w.timeline(t, id))
	}
}

// TestTasksInOrder: an instance's tasks read in the order they came, also when a task of an
// earlier step (a branch's, handed on) came after those of later steps.
func TestTasksInOrder(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	user := func(name string) *flows.Who { return &flows.Who{Users: []int64{w.people[name]}} }
	f := w.publish(t, &flows.Node{ID: "p", Type: flows.Parallel, Name: "会审", Branches: []*flows.Branch{
		{Name: "业务", Nodes: []*flows.Node{approve("经理审批", user("王经理"), "")}},
		{Name: "财务", Nodes: []*flows.Node{approve("财务审批", user("周敏"), "")}},
	}}, end())
	id := w.start(t, f, "李娜", w.claim(t, 1))
	w.act(t, "王经理", flows.ActTransfer, flows.Input{To: w.people["赵敏"]})
	in, err := w.Flows.Instance(ctx, w.as("李娜"), id)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tk := range in.Tasks {
		got = append(got, tk.UserName+"/"+tk.State)
	}
	if strings.Join(got, " ") != "王经理/done 周敏/open 赵敏/open" {
		t.Fatalf("tasks %v", got)
	}
}
