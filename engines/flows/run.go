package flows

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/org"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/engines/channels"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// States of an instance.
const (
	Running   = "running"
	Approved  = "approved"  // reached 结束
	Rejected  = "rejected"  // an approver said 拒绝
	Withdrawn = "withdrawn" // the initiator took it back (撤回)
	Stopped   = "stopped"   // it could not go on (Reason says why)
)

// States of a task.
const (
	taskWaiting   = "waiting" // 依次: not this person's turn yet
	taskOpen      = "open"    // in the person's 待我处理
	taskDone      = "done"    // they acted on it (我已处理)
	taskCancelled = "cancelled"
	taskCC        = "cc" // a copy (抄送我的)
)

// Actions: what people do on a task or an instance, and what the engine does by itself, as
// the timeline records them.
const (
	ActStart    = "start"
	ActApprove  = "approve"  // 同意
	ActReject   = "reject"   // 拒绝
	ActTransfer = "transfer" // 转交
	ActWithdraw = "withdraw" // 撤回
	ActComment  = "comment"  // 评论
	ActReturn   = "return"   // 退回
	ActResubmit = "resubmit" // 重新提交, after a 退回 to the initiator
	ActAddSign  = "addsign"  // 加签
	ActUrge     = "urge"     // 催办
	ActArrive   = "arrive"   // the instance reached an 审批 node; detail lists the approvers
	ActAutoPass = "autopass" // nobody to approve, or all approved earlier: passed by itself
	ActCC       = "cc"
	ActNotify   = "notify"
	ActEnd      = "end"
	ActStop     = "stop"
	ActJoin     = "join" // every branch of a 并行分支 ended
)

// instance is a running instance as a step works on it.
type instance struct {
	id        int64
	flow      string
	flowName  string
	version   int
	table     *schema.Table
	record    int64
	initiator int64
	state     string
	step      int
	chosen    map[string][]int64
	joins     map[string]int // per 并行分支 in flight: how many of its branches have not ended
	reason    string         // JSON of the problem that stopped it
	g         *graph
	rec       records.Record // read once per step when a node needs it
	actor     access.Actor   // who moves it in this step (the engine itself for timers)
	tx        *sql.Tx        // the step's transaction, which reads the record too
	events    []any          // the step's timeline entries, 7 values each, written at its end (see saveEvents)
	later     *writes        // for an instance started with others: its writes held back until all have started
}

// Start starts the published version of a flow on a record the actor may read, and returns
// the new instance's id. chosen names, per node id, the approvers of 发起人自选 nodes.
// A record has at most one running instance of a flow.
func (e *Engine) Start(ctx context.Context, a access.Actor, flowID string, recordID int64, chosen map[string][]int64) (int64, error) {
	f, err := e.published(ctx, e.DB.R, flowID)
	if err != nil {
		return 0, err
	}
	if _, err := e.Records.Get(ctx, a, f.table, recordID); err != nil {
		return 0, err
	}
	for node, ids := range chosen {
		if n := f.g.nodes[node]; n == nil || n.Who == nil || !n.Who.Chosen {
			return 0, problem.Invalid("flow_not_chosen", "node", node)
		}
		for _, id := range ids {
			if !e.userOK(id) {
				return 0, problem.Invalid("flow_unknown_user", "node", f.g.nodes[node].Name, "user", id)
			}
		}
	}
	var id int64
	err = e.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = e.startTx(ctx, tx, a, f, recordID, nil, chosen) // the record is read whole when a node needs it
		return err
	})
	return id, err
}

// flowRow is a published flow as a start needs it.
type flowRow struct {
	id, name string
	version  int
	table    *schema.Table
	g        *graph
}

// published reads a flow that may start: published and enabled.
func (e *Engine) published(ctx context.Context, q store.Querier, flowID string) (*flowRow, error) {
	f := &flowRow{id: flowID}
	var tableID string
	var enabled int
	err := q.QueryRowContext(ctx, "SELECT table_id, name, version, enabled FROM _flows WHERE id = ?", flowID).Scan(&tableID, &f.name, &f.version, &enabled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFound("flow", flowID)
	}
	if err != nil {
		return nil, err
	}
	if f.table, err = e.table(tableID); err != nil {
		return nil, err
	}
	if f.version == 0 {
		return nil, problem.New(409, "flow_not_published", "flow", f.name)
	}
	if enabled == 0 {
		return nil, problem.New(409, "flow_disabled", "flow", f.name)
	}
	f.g, err = e.version(ctx, q, flowID, f.version)
	return f, err
}

// startTx starts flow f on a record inside tx, as a. rec is the whole record as tx sees it,
// for a start from the record's own write, which reads it before it commits; nil to read it
// when a node needs it.
func (e *Engine) startTx(ctx context.Context, tx *sql.Tx, a access.Actor, f *flowRow, recordID int64, rec records.Record, chosen map[string][]int64) (int64, error) {
	in, err := e.begin(ctx, tx, a, f, recordID, rec, chosen)
	if err != nil {
		return 0, err
	}
	return in.id, e.saveEvents(ctx, tx, in)
}

// begin is startTx leaving the instance's first events to the caller (in.events, see
// saveEvents), to be written with other instances' started in tx.
func (e *Engine) begin(ctx context.Context, tx *sql.Tx, a access.Actor, f *flowRow, recordID int64, rec records.Record, chosen map[string][]int64) (*instance, error) {
	if chosen == nil {
		chosen = map[string][]int64{}
	}
	chosenJSON, _ := json.Marshal(chosen)
	in := &instance{flow: f.id, flowName: f.name, version: f.version, table: f.table, record: recordID, initiator: a.UserID,
		state: Running, chosen: chosen, joins: map[string]int{}, g: f.g, actor: a, rec: rec, tx: tx}
	if err := e.DB.Dialect.Lock(ctx, tx, fmt.Sprintf("flow:%s:%d", f.id, recordID)); err != nil {
		return nil, err
	}
	// One statement: the instance is added unless one of the flow runs on the record already.
	var err error
	in.id, err = e.DB.Dialect.InsertID(ctx, tx, `INSERT INTO _flow_instances(flow_id, version, table_id, record_id, initiator, state, chosen, started_at)
		SELECT CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT)
		WHERE NOT EXISTS (SELECT 1 FROM _flow_instances WHERE table_id = ? AND record_id = ? AND flow_id = ? AND state = ?) RETURNING id`,
		f.id, f.version, f.table.ID, recordID, a.UserID, Running, string(chosenJSON), e.stamp(), f.table.ID, recordID, f.id, Running)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.New(409, "flow_running", "flow", f.name)
	}
	if err != nil {
		return nil, err
	}
	if err := e.event(in, a.UserID, "", ActStart, "", nil); err != nil {
		return nil, err
	}
	if err := e.writeStatus(ctx, tx, in); err != nil {
		return nil, err
	}
	if err := e.enter(ctx, tx, in, f.g.first); err != nil {
		return nil, err
	}
	return in, nil
}

// load reads an instance inside a step's transaction, locking its row: the steps of one
// instance take turns. Only its row: the flow's name is a subquery, not a join, as
// PostgreSQL's FOR UPDATE would lock the flow's row too and make every step of every
// instance of the flow take turns.
func (e *Engine) load(ctx context.Context, tx *sql.Tx, id int64) (*instance, error) {
	return e.loadWhere(ctx, tx, "i.id = ?", id, "instance")
}

// loadWhere is load of the instance that where names with arg (a 404 of kind when none).
func (e *Engine) loadWhere(ctx context.Context, tx *sql.Tx, where string, arg int64, kind string) (*instance, error) {
	in := &instance{tx: tx}
	var tableID, chosen, joins string
	err := tx.QueryRowContext(ctx, `SELECT i.id, i.flow_id, (SELECT f.name FROM _flows f WHERE f.id = i.flow_id), i.version, i.table_id, i.record_id,
		i.initiator, i.state, i.step, i.chosen, i.joins, i.reason FROM _flow_instances i WHERE `+where+e.DB.Dialect.RowLock(), arg).
		Scan(&in.id, &in.flow, &in.flowName, &in.version, &tableID, &in.record, &in.initiator, &in.state, &in.step, &chosen, &joins, &in.reason)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFound(kind, fmt.Sprint(arg))
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(chosen), &in.chosen); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(joins), &in.joins); err != nil {
		return nil, err
	}
	if in.table, err = e.table(tableID); err != nil {
		return nil, err
	}
	in.g, err = e.version(ctx, tx, in.flow, in.version)
	return in, err
}

// enter moves the instance to node id and on through the nodes that need nobody (抄送,
// 通知, 条件分支, 数据操作), until a node waits for people or time, or the instance ends. A
// 并行分支 enters each branch in turn; the branch that ends last goes on after it.
func (e *Engine) enter(ctx context.Context, tx *sql.Tx, in *instance, id string) error {
	for id != "" && in.state == Running {
		if p, ok := strings.CutPrefix(id, joinPrefix); ok {
			if in.joins[p]--; in.joins[p] > 0 {
				return e.saveJoins(ctx, tx, in)
			}
			delete(in.joins, p)
			if err := e.saveJoins(ctx, tx, in); err != nil {
				return err
			}
			if err := e.event(in, 0, p, ActJoin, "", nil); err != nil {
				return err
			}
			id = in.g.next[p]
			continue
		}
		n := in.g.nodes[id]
		switch n.Type {
		case Parallel:
			in.joins[n.ID] = len(n.Branches)
			if err := e.saveJoins(ctx, tx, in); err != nil {
				return err
			}
			for _, b := range n.Branches {
				first := joinPrefix + n.ID
				if len(b.Nodes) > 0 {
					first = b.Nodes[0].ID
				}
				if err := e.enter(ctx, tx, in, first); err != nil {
					return err
				}
			}
			return nil
		case End:
			if err := e.event(in, 0, n.ID, ActEnd, "", nil); err != nil {
				return err
			}
			return e.finish(ctx, tx, in, Approved, nil)
		case CC, Notify:
			people, stop, err := e.resolve(ctx, in, n)
			if err != nil || stop != nil {
				return e.stopOr(ctx, tx, in, stop, err)
			}
			if err := e.send(ctx, tx, in, n, people); err != nil {
				return err
			}
		case Condition:
			next, stop, err := e.branch(ctx, in, n)
			if err != nil || stop != nil {
				return e.stopOr(ctx, tx, in, stop, err)
			}
			id = next
			continue
		case DataOp:
			stop, err := e.writeData(ctx, tx, in, n)
			if err != nil || stop != nil {
				return e.stopOr(ctx, tx, in, stop, err)
			}
		case DelayOp:
			waiting, err := e.wait(ctx, tx, in, n)
			if err != nil || waiting {
				return err
			}
		case Approve, Fill:
			waiting, err := e.arrive(ctx, tx, in, n)
			if err != nil || waiting || in.state != Running {
				return err
			}
		default:
			return e.stopOr(ctx, tx, in, problem.New(409, "flow_bad_type", "node", n.Name, "type", n.Type), nil)
		}
		id = in.g.next[id]
	}
	return nil
}

// saveJoins writes the instance's count of parallel branches in flight.
func (e *Engine) saveJoins(ctx context.Context, tx *sql.Tx, in *instance) error {
	data, _ := json.Marshal(in.joins)
	_, err := tx.ExecContext(ctx, "UPDATE _flow_instances SET joins = ? WHERE id = ?", string(data), in.id)
	return err
}

// stopOr stops the instance with the problem stop, or returns err.
func (e *Engine) stopOr(ctx context.Context, tx *sql.Tx, in *instance, stop *problem.Error, err error) error {
	if err != nil {
		return err
	}
	return e.finish(ctx, tx, in, Stopped, stop)
}

// send copies (抄送) or tells (通知) people at node n.
func (e *Engine) send(ctx context.Context, tx *sql.Tx, in *instance, n *Node, people []int64) error {
	now := e.stamp()
	title, body, act := n.Title, n.Body, ActNotify
	if n.Type == CC {
		act = ActCC
		title = fmt.Sprintf("抄送：%s", in.flowName)
		body = fmt.Sprintf("%s 发起的「%s」抄送给你", e.name(in.initiator), in.flowName)
		for _, u := range people {
			if err := e.addTask(ctx, tx, in, n.ID, u, taskCC, 0, now, ""); err != nil {
				return err
			}
		}
	}
	if err := e.Inbox.SendTx(ctx, tx, people, title, body, e.link(in)); err != nil {
		return err
	}
	detail := map[string]any{"users": people}
	if n.Type == Notify {
		if err := e.call(ctx, tx, in, n, detail); err != nil {
			return err
		}
	}
	return e.event(in, 0, n.ID, act, "", detail)
}

// call posts a 通知 node's message to its group robot and queues its webhook call, in the
// instance's transaction (so once, with the step). A robot or endpoint gone or disabled
// since is noted in the event's detail and does not hold the flow up.
func (e *Engine) call(ctx context.Context, tx *sql.Tx, in *instance, n *Node, detail map[string]any) error {
	if n.Robot != "" && e.Channels != nil {
		m := channels.Message{Title: n.Title, Text: n.Body}
		if m.Text == "" {
			m.Text = m.Title
		}
		if base := e.Channels.PublicURL; base != "" {
			m.Link = strings.TrimRight(base, "/") + e.link(in)
		}
		err := e.Channels.SendTx(ctx, tx, n.Robot, m)
		if p := problem.As(err); p != nil {
			detail["robot"] = p.Message("zh")
		} else if err != nil {
			return err
		}
	}
	if n.Webhook == "" || e.Webhooks == nil {
		return nil
	}
	rec, stop, err := e.record(ctx, in)
	if err != nil || stop != nil {
		return err // a record gone: nothing to map
	}
	err = e.Webhooks.CallTx(ctx, tx, n.Webhook, in.table, rec, n.Payload)
	if p := problem.As(err); p != nil {
		detail["webhook"] = p.Message("zh")
		return nil
	}
	return err
}

// branch picks the branch of a 条件分支 the record takes, and returns the node it leads to.
func (e *Engine) branch(ctx context.Context, in *instance, n *Node) (string, *problem.Error, error) {
	rec, stop, err := e.record(ctx, in)
	if err != nil || stop != nil {
		return "", stop, err
	}
	env := cond.Env{Now: e.Now(), UserID: in.initiator}
	for _, b := range n.Branches {
		ok := b.Default
		if !ok {
			if ok, err = cond.Eval(b.When, in.table, env, rec); err != nil {
				return "", problem.New(409, "flow_condition_broken", "node", n.Name, "branch", b.Name), nil
			}
		}
		if ok {
			if len(b.Nodes) > 0 {
				return b.Nodes[0].ID, nil, nil
			}
			return in.g.next[n.ID], nil, nil
		}
	}
	return in.g.next[n.ID], nil, nil
}

// record reads the instance's record once per step; a record deleted since stops it.
func (e *Engine) record(ctx context.Context, in *instance) (records.Record, *problem.Error, error) {
	if in.rec != nil {
		return in.rec, nil, nil
	}
	rec, err := e.Records.GetTx(ctx, in.tx, access.System, in.table, in.record)
	if p := problem.As(err); p != nil && p.Status == 404 {
		return nil, problem.New(409, "flow_record_gone"), nil
	}
	in.rec = rec
	return rec, nil, err
}

// arrive makes the tasks of an 审批 node, and reports whether the instance now waits for
// them (false: passed at once, or stopped).
func (e *Engine) arrive(ctx context.Context, tx *sql.Tx, in *instance, n *Node) (bool, error) {
	people, stop, err := e.resolve(ctx, in, n)
	if err != nil || stop != nil {
		return false, e.stopOr(ctx, tx, in, stop, err)
	}
	if n.SkipApproved && len(people) > 0 {
		rows, err := tx.QueryContext(ctx, "SELECT DISTINCT user_id FROM _flow_tasks WHERE instance_id = ? AND state = ? AND action = ?", in.id, taskDone, ActApprove)
		if err != nil {
			return false, err
		}
		approved, err := scanIDs(rows)
		if err != nil {
			return false, err
		}
		people = slices.DeleteFunc(people, func(u int64) bool { return slices.Contains(approved, u) })
		if len(people) == 0 {
			return false, e.event(in, 0, n.ID, ActAutoPass, "", map[string]any{"why": "approved"})
		}
	}
	if len(people) == 0 {
		switch n.Empty {
		case EmptyPass:
			return false, e.event(in, 0, n.ID, ActAutoPass, "", map[string]any{"why": "nobody"})
		case EmptyStop:
			return false, e.finish(ctx, tx, in, Stopped, problem.New(409, "flow_no_approver_found", "node", n.Name))
		}
		people = e.admins()
		if len(people) == 0 {
			return false, e.finish(ctx, tx, in, Stopped, problem.New(409, "flow_no_approver_found", "node", n.Name))
		}
	}
	due, limited, err := e.due(ctx, in, n)
	if err != nil {
		return false, err
	}
	dueAt := ""
	if limited {
		dueAt = due.UTC().Format(time.RFC3339)
	}
	in.step++
	now := e.stamp()
	for i, u := range people {
		state := taskOpen
		if n.Mode == ModeSeq && i > 0 {
			state = taskWaiting
		}
		if err := e.addTask(ctx, tx, in, n.ID, u, state, i, now, dueAt); err != nil {
			return false, err
		}
	}
	if err := e.setStep(ctx, tx, in); err != nil {
		return false, err
	}
	open := people
	if n.Mode == ModeSeq {
		open = people[:1]
	}
	if err := e.tell(ctx, tx, in, n, open); err != nil {
		return false, err
	}
	if limited {
		if err := e.arm(ctx, tx, in, n, due); err != nil {
			return false, err
		}
	}
	return true, e.event(in, 0, n.ID, ActArrive, "", map[string]any{"users": people})
}

// tell tells approvers (or fillers) a task waits for them.
func (e *Engine) tell(ctx context.Context, tx *sql.Tx, in *instance, n *Node, people []int64) error {
	what := "审批"
	if n.Type == Fill {
		what = "填写"
	}
	return e.Inbox.SendTx(ctx, tx, people, fmt.Sprintf("待%s：%s", what, in.flowName),
		fmt.Sprintf("%s 发起的「%s」等你%s（%s）", e.name(in.initiator), in.flowName, what, n.Name), e.link(in))
}

// finish ends the instance in state, closing what is still open, and tells the initiator —
// unless it went through, and asked nobody: then it was an automation (a reminder, say) that
// did its work, which is no news to the record's 负责人.
func (e *Engine) finish(ctx context.Context, tx *sql.Tx, in *instance, state string, why *problem.Error) error {
	if err := e.flush(ctx, tx, in.later); err != nil { // the held-back tasks, for the closing below
		return err
	}
	in.state = state
	reason := ""
	if why != nil {
		data, _ := json.Marshal(map[string]any{"code": why.Code, "params": why.Params})
		reason = string(data)
		if err := e.event(in, 0, "", ActStop, "", map[string]any{"code": why.Code, "params": why.Params}); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, "UPDATE _flow_tasks SET state = ? WHERE instance_id = ? AND state IN (?, ?)",
		taskCancelled, in.id, taskOpen, taskWaiting); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE _flow_instances SET state = ?, step = ?, reason = ?, ended_at = ? WHERE id = ?",
		state, in.step, reason, e.stamp(), in.id); err != nil {
		return err
	}
	if err := e.writeStatus(ctx, tx, in); err != nil {
		return err
	}
	if e.Webhooks != nil && (state == Approved || state == Rejected) {
		rec, gone, err := e.record(ctx, in)
		if err != nil {
			return err
		}
		if gone == nil {
			if err := e.Webhooks.FlowEndedTx(ctx, tx, in.table, rec, in.flowName, in.id, state == Approved); err != nil {
				return err
			}
		}
	}
	results := map[string]string{Approved: "已通过", Rejected: "已拒绝", Stopped: "已终止"}
	if r, ok := results[state]; ok && in.initiator != 0 && (state != Approved || in.g.asks) { // 0: started by the system, nobody to tell
		body := fmt.Sprintf("你发起的「%s」%s", in.flowName, r)
		if why != nil {
			body += "：" + why.Message("zh")
		}
		return e.Inbox.SendTx(ctx, tx, []int64{in.initiator}, fmt.Sprintf("%s：%s", in.flowName, r), body, e.link(in))
	}
	return nil
}

// writeStatus writes the instance's state to the flow's status field, as the system naming
// the flow (the approver may not edit the record; the state is the engine's), through the
// records engine. The write starts no instance of the same flow (see After).
// A field deleted since is left alone (the flow shows the problem).
func (e *Engine) writeStatus(ctx context.Context, tx *sql.Tx, in *instance) error {
	v := in.g.status.value(in.state)
	if v == "" {
		return nil
	}
	f := in.table.Field(in.g.status.Field)
	if f == nil {
		return nil
	}
	rec, err := e.Records.UpdateTx(records.ForFlow(context.WithValue(ctx, statusOf{}, in.flow), in.flowName), tx, access.System, in.table, in.record, records.Input{f.ID: v})
	if p := problem.As(err); p != nil && p.Status == 404 {
		return nil // the record was deleted: nothing to keep the state in
	}
	in.rec = rec
	return err
}

// statusOf is the context key of a flow's own status write (writeStatus): its value is the
// flow's id.
type statusOf struct{}

// event adds an entry to the instance's timeline, written with the step's others when the
// step ends (saveEvents).
func (e *Engine) event(in *instance, user int64, node, action, comment string, detail map[string]any) error {
	d := "{}"
	if detail != nil {
		data, err := json.Marshal(detail)
		if err != nil {
			return err
		}
		d = string(data)
	}
	in.events = append(in.events, in.id, e.stamp(), user, node, action, comment, d)
	return nil
}

// eventColumns is how many values an entry of the timeline has.
const eventColumns = 7

// saveEvents writes the timeline entries of a step that went through, in one statement:
// each step's transaction ends with it.
func (e *Engine) saveEvents(ctx context.Context, tx *sql.Tx, in *instance) error {
	err := writeEvents(ctx, tx, in.events)
	in.events = nil
	return err
}

// writeEvents writes timeline entries (eventColumns values each), up to 1,000 a statement.
func writeEvents(ctx context.Context, tx *sql.Tx, events []any) error {
	for chunk := range slices.Chunk(events, 1000*eventColumns) {
		if _, err := tx.ExecContext(ctx, "INSERT INTO _flow_events(instance_id, at, user_id, node_id, action, comment, detail) VALUES "+
			strings.Repeat(",(?, ?, ?, ?, ?, ?, ?)", len(chunk)/eventColumns)[1:], chunk...); err != nil {
			return err
		}
	}
	return nil
}

// resolve finds the people a node names, in order, each once, without the disabled.
// A field or department that went away is a reason to stop.
func (e *Engine) resolve(ctx context.Context, in *instance, n *Node) ([]int64, *problem.Error, error) {
	w := n.Who
	var out []int64
	add := func(ids ...int64) {
		for _, id := range ids {
			if id != 0 && e.userOK(id) && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	if w == nil {
		return nil, nil, nil
	}
	add(w.Users...)
	if len(w.Roles) > 0 {
		for _, u := range e.Users.List() {
			if slices.ContainsFunc(org.RolesOf(u), func(r string) bool { return slices.Contains(w.Roles, r) }) {
				add(u.ID)
			}
		}
	}
	fieldUser := func(ref string) (int64, *problem.Error, error) {
		rec, stop, err := e.record(ctx, in)
		if err != nil || stop != nil {
			return 0, stop, err
		}
		f := in.table.Field(ref)
		if f == nil || f.Type != schema.User {
			return 0, problem.New(409, "flow_field_gone", "node", n.Name, "field", ref), nil
		}
		id, _ := rec[f.ID].(int64)
		return id, nil, nil
	}
	if w.Field != "" {
		id, stop, err := fieldUser(w.Field)
		if err != nil || stop != nil {
			return nil, stop, err
		}
		add(id)
	}
	if w.Heads > 0 {
		whose := in.initiator
		if w.HeadsOf != "" {
			id, stop, err := fieldUser(w.HeadsOf)
			if err != nil || stop != nil {
				return nil, stop, err
			}
			whose = id
		}
		add(e.heads(whose, w.Heads)...)
	}
	if w.Initiator {
		add(in.initiator)
	}
	if w.Chosen {
		add(in.chosen[n.ID]...)
	}
	return out, nil, nil
}

// heads is the chain of 主管 above a person, levels deep, nearest first: the 主管 of their
// main department (a 主管 of it is led by the department above), then of each department up.
func (e *Engine) heads(person int64, levels int) []int64 {
	dept, ok := e.Org.MainDepartment(person)
	var out []int64
	for level := 0; ok && level < levels; {
		hs := slices.DeleteFunc(e.Org.Heads(dept), func(u int64) bool { return u == person })
		if len(hs) > 0 {
			out = append(out, hs...)
			level++
		}
		dept, ok = e.Org.Parent(dept)
	}
	return out
}

// admins are the people with the 管理员 role, who take an approval nobody else was found for.
func (e *Engine) admins() []int64 {
	var out []int64
	for _, u := range e.Users.List() {
		if u.Role == access.RoleAdmin && !u.Disabled {
			out = append(out, u.ID)
		}
	}
	return out
}

// name is a person's display name.
func (e *Engine) name(id int64) string {
	if u, ok := e.Users.Get(id); ok {
		return u.Name
	}
	return fmt.Sprint(id)
}

// link is where a notice of the instance leads: its record.
func (e *Engine) link(in *instance) string {
	return fmt.Sprintf("/t/%s?record=%d&flow=%d", in.table.ID, in.record, in.id)
}

func scanIDs(rows *sql.Rows) ([]int64, error) {
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func init() {
	for code, m := range map[string][2]string{
		"flow_not_published":     {"流程「{flow}」还没有发布，请先发布", "the flow \"{flow}\" is not published yet; publish it first"},
		"flow_disabled":          {"流程「{flow}」已停用", "the flow \"{flow}\" is disabled"},
		"flow_running":           {"这条记录已有进行中的「{flow}」，请等它结束或撤回后再发起", "this record already has a running \"{flow}\"; wait for it to end or withdraw it first"},
		"flow_not_chosen":        {"节点 {node} 不是由发起人自选审批人的审批节点", "node {node} is not an approval whose approvers the initiator chooses"},
		"flow_condition_broken":  {"条件分支「{node}」的分支「{branch}」条件已失效（字段可能已删除），流程停在这里", "condition node \"{node}\": the condition of \"{branch}\" no longer works (a field may have been deleted); the flow stopped here"},
		"flow_record_gone":       {"流程所属的记录已被删除", "the flow's record was deleted"},
		"flow_field_gone":        {"节点「{node}」用到的字段「{field}」已不存在，流程停在这里", "node \"{node}\" uses the field \"{field}\", which no longer exists; the flow stopped here"},
		"flow_no_approver_found": {"审批节点「{node}」找不到审批人，流程已终止；请检查节点的审批人设置", "approval node \"{node}\" found nobody to approve; the flow stopped: check the node's approvers"},
	} {
		problem.AddMessage(code, m[0], m[1])
	}
}
