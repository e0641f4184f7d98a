package flows

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"tierbase/core/access"
	"tierbase/core/schema"
	"tierbase/platform/jobs"
	"tierbase/platform/problem"
)

// Limit is an 审批 node's time limit: due Hours or Days after the node is reached, or by the
// date in the record's Field; a reminder RemindHours before; and what happens when it is due
// with the node still waiting.
type Limit struct {
	Hours       int    `json:"hours,omitempty"`
	Days        int    `json:"days,omitempty"`
	Field       string `json:"field,omitempty"` // a date or date-time field; a date is due at its end
	RemindHours int    `json:"remindHours,omitempty"`
	OnExpiry    string `json:"onExpiry"`
	// EscalateTo takes the node's open tasks over when OnExpiry is ExpiryEscalate.
	EscalateTo *Who `json:"escalateTo,omitempty"`
}

// What an expired time limit does.
const (
	ExpiryPass     = "pass"     // the node passes
	ExpiryReject   = "reject"   // the instance is rejected
	ExpiryEscalate = "escalate" // the open tasks go to EscalateTo
	ExpiryReturn   = "return"   // 退回 to the initiator, to 重新提交
	ExpiryRemind   = "remind"   // only the reminders: the approvers are told it is overdue
)

// Job kinds of the timers (time limits and 延时). A timer is a job at its time with the key
// of the instance's step, so a node reached again (a new step) arms timers of its own, and one
// that passed before its time leaves a timer that finds the step gone by and does nothing.
// A time limit with a reminder is one job at a time: the reminder, which queues the expiry
// when it runs and finds the step still waiting. Waiting timers are rows of _jobs that no
// worker reads until they are due.
const (
	kindDue    = "flow.due"
	kindRemind = "flow.remind"
	kindWake   = "flow.wake" // the end of a 延时
)

// maxLimitDays bounds a time limit.
const maxLimitDays = 3650

// ActTimeout is the timeline's entry of an expired time limit; ActRemind of its reminder.
const (
	ActTimeout = "timeout"
	ActRemind  = "remind"
	ActWait    = "wait" // a 延时 began; detail says until when
	ActWake    = "wake" // it ended
)

// timer is the payload of a timer's job: the instance's step it is for and, for a reminder,
// when the step falls due (Unix milliseconds), to queue the expiry then.
type timer struct {
	Instance int64  `json:"instance"`
	Step     int    `json:"step"`
	Node     string `json:"node"`
	Due      int64  `json:"due,omitempty"`
}

// UseJobs makes q run the engine's timers and scheduled starts, and the engine arm them on q.
func (e *Engine) UseJobs(q *jobs.Queue) {
	e.Jobs = q
	e.Handle(q)
	q.Every(e.schedule)
}

// Handle registers the timers' job kinds on q, so that q's workers run them (another
// process's queue on the same database, say). Each runs in the transaction that completes
// its job: a timer's effects happen once, whichever worker claims it.
func (e *Engine) Handle(q *jobs.Queue) {
	q.Handle(kindDue, jobs.Kind{Tx: e.runTimer})
	q.Handle(kindRemind, jobs.Kind{Tx: e.runTimer})
	q.Handle(kindWake, jobs.Kind{Tx: e.runTimer})
	q.Handle(kindCron, jobs.Kind{Tx: e.runScheduled, MaxAttempts: 1})
}

// checkLimit checks a node's time limit.
func (c *checker) checkLimit(n *Node) {
	l := n.Limit
	if l == nil {
		return
	}
	c.checkWhen(n, l.Hours, l.Days, l.Field)
	if l.RemindHours < 0 {
		c.fail(n, "flow_bad_limit", "max", maxLimitDays)
	}
	switch l.OnExpiry {
	case ExpiryPass, ExpiryReject, ExpiryRemind, ExpiryReturn:
	case ExpiryEscalate:
		if l.EscalateTo.empty() {
			c.fail(n, "flow_no_escalation")
		}
		saved := n.Who
		n.Who = l.EscalateTo
		c.who(n)
		n.Who = saved
	default:
		c.fail(n, "flow_bad_expiry", "expiry", l.OnExpiry)
	}
}

// due is when the tasks of the node the instance just reached fall due; false when the node
// has no time limit, or it is a date field left empty.
func (e *Engine) due(ctx context.Context, in *instance, n *Node) (time.Time, bool, error) {
	l := n.Limit
	if l == nil {
		return time.Time{}, false, nil
	}
	if e.Jobs == nil {
		return time.Time{}, false, fmt.Errorf("flows: no job queue for the time limit of %q", n.Name)
	}
	return e.dueAt(ctx, in, l.Hours, l.Days, l.Field)
}

// arm queues the timer of the node the instance just reached, due then, in the step's
// transaction: its reminder, which queues the expiry (see fire), or the expiry when the node
// has no reminder or its time has passed.
func (e *Engine) arm(ctx context.Context, tx *sql.Tx, in *instance, n *Node, due time.Time) error {
	t := timer{Instance: in.id, Step: in.step, Node: n.ID}
	if h := n.Limit.RemindHours; h > 0 {
		if at := due.Add(-time.Duration(h) * time.Hour); at.After(e.Now()) {
			t.Due = due.UnixMilli()
			return e.queue(ctx, tx, in, kindRemind, t, at)
		}
	}
	return e.queue(ctx, tx, in, kindDue, t, due)
}

// enqueue queues a timer of kind at at, keyed by the kind and the instance's step.
func (e *Engine) enqueue(ctx context.Context, tx *sql.Tx, kind string, t timer, at time.Time) error {
	_, err := e.Jobs.Enqueue(ctx, tx, kind, t.key(kind), t, at)
	return err
}

// key is the job key of a timer of kind: the kind and the instance's step.
func (t timer) key(kind string) string { return fmt.Sprintf("%s:%d:%d", kind, t.Instance, t.Step) }

// dueAt is the time hours and days from now, or the date in the record's field (a date is
// due at its end, in the zone of dates); false when the field is empty or gone.
func (e *Engine) dueAt(ctx context.Context, in *instance, hours, days int, field string) (time.Time, bool, error) {
	if field == "" {
		return e.Now().Add(time.Duration(hours)*time.Hour).AddDate(0, 0, days), true, nil
	}
	rec, stop, err := e.record(ctx, in)
	if err != nil || stop != nil {
		return time.Time{}, false, err
	}
	f := in.table.Field(field)
	if f == nil {
		return time.Time{}, false, nil
	}
	s, _ := rec[f.ID].(string)
	if f.Type == schema.Date {
		d, err := time.ParseInLocation("2006-01-02", s, e.loc())
		return d.AddDate(0, 0, 1), err == nil, nil
	}
	due, err := time.Parse(time.RFC3339, s)
	return due, err == nil, nil
}

// checkWhen checks a time given as hours, days or a date field, one of them.
func (c *checker) checkWhen(n *Node, hours, days int, field string) {
	set := 0
	for _, v := range []bool{hours != 0, days != 0, field != ""} {
		if v {
			set++
		}
	}
	if set != 1 || hours < 0 || days < 0 || hours > maxLimitDays*24 || days > maxLimitDays {
		c.fail(n, "flow_bad_limit", "max", maxLimitDays)
	}
	if field != "" {
		if f := c.t.Field(field); f == nil {
			c.fail(n, "flow_unknown_field", "field", field)
		} else if f.Type != schema.Date && f.Type != schema.DateTime {
			c.fail(n, "flow_not_date_field", "field", f.Name)
		}
	}
}

// wait holds the instance at a 延时 node until its time (a job), unless that has come.
func (e *Engine) wait(ctx context.Context, tx *sql.Tx, in *instance, n *Node) (bool, error) {
	if e.Jobs == nil {
		return false, fmt.Errorf("flows: no job queue for the delay %q", n.Name)
	}
	d := n.Delay
	at, ok, err := e.dueAt(ctx, in, d.Hours, d.Days, d.Field)
	if err != nil || !ok || !at.After(e.Now()) {
		return false, err
	}
	in.step++
	if err := e.setStep(ctx, tx, in); err != nil {
		return false, err
	}
	// the wait is a task of nobody's (user 0), closed when it ends or is called off
	if err := e.addTask(ctx, tx, in, n.ID, 0, taskWaiting, 0, e.stamp(), ""); err != nil {
		return false, err
	}
	if err := e.queue(ctx, tx, in, kindWake, timer{Instance: in.id, Step: in.step, Node: n.ID}, at); err != nil {
		return false, err
	}
	return true, e.event(in, 0, n.ID, ActWait, "", map[string]any{"until": at.UTC().Format(time.RFC3339)})
}

// runTimer runs a due timer or reminder, unless its step has gone by.
func (e *Engine) runTimer(ctx context.Context, tx *sql.Tx, j *jobs.Job) error {
	var t timer
	if err := j.Decode(&t); err != nil {
		return jobs.Permanent(err)
	}
	in, err := e.load(ctx, tx, t.Instance)
	if p := problem.As(err); p != nil && p.Status == 404 {
		return nil
	}
	if err != nil {
		return err
	}
	if in.state != Running {
		return nil
	}
	in.actor = access.System
	if err := e.fire(ctx, tx, in, j.Kind, t); err != nil {
		return err
	}
	return e.saveEvents(ctx, tx, in)
}

// fire does what a due timer of kind says to the instance's step, unless it has gone by; a
// reminder also queues the step's expiry (one armed before reminders did, so carrying no Due,
// has its expiry queued already).
func (e *Engine) fire(ctx context.Context, tx *sql.Tx, in *instance, kind string, t timer) error {
	n := in.g.nodes[t.Node]
	if kind == kindWake {
		res, err := tx.ExecContext(ctx, "UPDATE _flow_tasks SET state = ?, action = ?, acted_at = ? WHERE instance_id = ? AND step = ? AND user_id = 0 AND state = ?",
			taskDone, ActWake, e.stamp(), in.id, t.Step, taskWaiting)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return nil // the wait was called off (withdrawn, rejected, sent back)
		}
		if err := e.event(in, 0, n.ID, ActWake, "", nil); err != nil {
			return err
		}
		return e.enter(ctx, tx, in, in.g.next[n.ID])
	}
	var pending int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM _flow_tasks WHERE instance_id = ? AND step = ? AND state IN (?, ?)",
		in.id, t.Step, taskOpen, taskWaiting).Scan(&pending); err != nil || pending == 0 {
		return err // the step has gone by: decided in time, or called off
	}
	rows, err := tx.QueryContext(ctx, "SELECT user_id FROM _flow_tasks WHERE instance_id = ? AND step = ? AND state = ?", in.id, t.Step, taskOpen)
	if err != nil {
		return err
	}
	open, err := scanIDs(rows)
	if err != nil {
		return err
	}
	if kind == kindRemind && t.Due != 0 { // the step still waits: its expiry comes next
		due := t
		due.Due = 0
		if err := e.enqueue(ctx, tx, kindDue, due, time.UnixMilli(t.Due)); err != nil {
			return err
		}
	}
	if kind == kindRemind || n.Limit.OnExpiry == ExpiryRemind {
		title := fmt.Sprintf("即将超时：%s", in.flowName)
		if kind == kindDue {
			title = fmt.Sprintf("已超时：%s", in.flowName)
		}
		if err := e.Inbox.SendTx(ctx, tx, open, title, fmt.Sprintf("%s 发起的「%s」在「%s」等你审批", e.name(in.initiator), in.flowName, n.Name), e.link(in)); err != nil {
			return err
		}
		act := ActRemind
		if kind == kindDue {
			act = ActTimeout
		}
		return e.event(in, 0, n.ID, act, "", map[string]any{"users": open})
	}
	if err := e.event(in, 0, n.ID, ActTimeout, "", map[string]any{"then": n.Limit.OnExpiry}); err != nil {
		return err
	}
	if err := e.closeRest(ctx, tx, in, t.Step, ActTimeout, 0); err != nil {
		return err
	}
	switch n.Limit.OnExpiry {
	case ExpiryPass:
		return e.enter(ctx, tx, in, in.g.next[n.ID])
	case ExpiryReject:
		return e.finish(ctx, tx, in, Rejected, nil)
	case ExpiryReturn:
		return e.backToInitiator(ctx, tx, in, 0)
	}
	// escalate: the people named take the step over, as its open tasks
	people, stop, err := e.resolve(ctx, in, &Node{ID: n.ID, Name: n.Name, Who: n.Limit.EscalateTo})
	if err != nil || stop != nil {
		return e.stopOr(ctx, tx, in, stop, err)
	}
	if len(people) == 0 {
		return e.finish(ctx, tx, in, Stopped, problem.New(409, "flow_no_approver_found", "node", n.Name))
	}
	now := e.stamp()
	for i, u := range people {
		if _, err := tx.ExecContext(ctx, "INSERT INTO _flow_tasks(instance_id, node_id, step, user_id, state, seq, created_at) VALUES(?, ?, ?, ?, ?, ?, ?)",
			in.id, n.ID, t.Step, u, taskOpen, i, now); err != nil {
			return err
		}
	}
	return e.tell(ctx, tx, in, n, people)
}

// loc is the zone of date fields' days.
func (e *Engine) loc() *time.Location {
	if e.Records.Loc != nil {
		return e.Records.Loc
	}
	return time.Local
}

func init() {
	for code, m := range map[string][2]string{
		"flow_bad_limit":          {"节点「{node}」的时限须设为若干小时、若干天或一个日期字段之一（最多 {max} 天）", "node \"{node}\": a time limit is hours, days or a date field, one of them (at most {max} days)"},
		"flow_not_date_field":     {"节点「{node}」：字段「{field}」不是日期字段", "node \"{node}\": the field \"{field}\" is not a date field"},
		"flow_no_escalation":      {"节点「{node}」超时后转交给谁？请设置接手的人", "node \"{node}\": set who takes over when the time limit passes"},
		"flow_bad_expiry":         {"节点「{node}」超时处理 {expiry} 无效，可选 自动通过、自动拒绝、退回发起人、转交、仅提醒", "node \"{node}\": {expiry} is not one of pass, reject, return, escalate, remind"},
		"flow_task_done_timeout":  {"这一步已超时，于 {at} 由系统处理", "this step timed out and was settled at {at}"},
		"flow_task_done_autopass": {"这一步已于 {at} 自动通过", "this step passed by itself at {at}"},
	} {
		problem.AddMessage(code, m[0], m[1])
	}
}
