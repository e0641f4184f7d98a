package flows

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// The to-do boxes (待办中心).
const (
	BoxTodo = "todo" // 待我处理: my open tasks
	BoxDone = "done" // 我已处理: tasks I acted on
	BoxCC   = "cc"   // 抄送我的
	BoxMine = "mine" // 我发起的: the instances I started
)

// Item is one line of a box: a task (TaskID > 0), or in BoxMine an instance I started.
type Item struct {
	TaskID        int64  `json:"taskId,omitempty"`
	InstanceID    int64  `json:"instanceId"`
	Flow          string `json:"flow"`
	FlowName      string `json:"flowName"`
	Table         string `json:"table"`
	Record        int64  `json:"record"`
	RecordTitle   string `json:"recordTitle"` // "" when the actor may not read the record or its title
	Node          string `json:"node,omitempty"`
	NodeName      string `json:"nodeName,omitempty"`
	Action        string `json:"action,omitempty"` // what I did (BoxDone)
	Initiator     int64  `json:"initiator"`
	InitiatorName string `json:"initiatorName"`
	InstanceState string `json:"instanceState"`
	At            string `json:"at"`            // when the task came (when I acted, in BoxDone; when it started, in BoxMine)
	Due           string `json:"due,omitempty"` // when the task falls due (its node's time limit), RFC 3339
}

// MaxPage is the longest page of a box.
const MaxPage = 200

// Page picks a page of a box: the items with ids below Before (0 for the first page), at most
// Limit of them, of one Flow or Table when given (ids), that came (were acted on, in BoxDone;
// started, in BoxMine) at or after Since (RFC 3339) when given.
type Page struct {
	Before int64
	Limit  int
	Flow   string
	Table  string
	Since  string
}

// Box returns a page of the actor's box, newest first. Each page is one range of an index.
func (e *Engine) Box(ctx context.Context, a access.Actor, box string, p Page) ([]Item, error) {
	if p.Limit <= 0 || p.Limit > MaxPage {
		p.Limit = 50
	}
	if p.Before <= 0 {
		p.Before = 1<<63 - 1
	}
	var q, at string
	var args []any
	if box == BoxMine {
		at = "i.started_at"
		q = `SELECT 0, i.id, i.flow_id, f.name, i.table_id, i.record_id, '', i.version, '', i.initiator, i.state, i.started_at, ''
			FROM _flow_instances i JOIN _flows f ON f.id = i.flow_id
			WHERE i.initiator = ? AND i.id < ?`
		args = []any{a.UserID, p.Before}
	} else {
		state := map[string]string{BoxTodo: taskOpen, BoxDone: taskDone, BoxCC: taskCC}[box]
		if state == "" {
			return nil, problem.Invalid("flow_bad_box", "box", box)
		}
		at = "t.created_at"
		if box == BoxDone {
			at = "t.acted_at"
		}
		q = `SELECT t.id, i.id, i.flow_id, f.name, i.table_id, i.record_id, t.node_id, i.version, t.action, i.initiator, i.state, ` + at + `, t.due_at
			FROM _flow_tasks t JOIN _flow_instances i ON i.id = t.instance_id JOIN _flows f ON f.id = i.flow_id
			WHERE t.user_id = ? AND t.state = ? AND t.id < ?`
		args = []any{a.UserID, state, p.Before}
	}
	if p.Flow != "" {
		q += " AND i.flow_id = ?"
		args = append(args, p.Flow)
	}
	if p.Table != "" {
		q += " AND i.table_id = ?"
		args = append(args, p.Table)
	}
	if p.Since != "" {
		q += " AND " + at + " >= ?"
		args = append(args, p.Since)
	}
	key := "t.id"
	if box == BoxMine {
		key = "i.id"
	}
	q += " ORDER BY " + key + " DESC LIMIT ?"
	args = append(args, p.Limit)
	return e.items(ctx, a, q, args...)
}

// items reads box lines, with the names of their initiators and nodes and the titles of their
// records as the actor sees them — or as their task on it lets them (see holder).
func (e *Engine) items(ctx context.Context, a access.Actor, q string, args ...any) ([]Item, error) {
	rows, err := e.DB.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Item{}
	var versions []int
	ids := map[string][]int64{} // record ids by table
	for rows.Next() {
		var it Item
		var version int
		if err := rows.Scan(&it.TaskID, &it.InstanceID, &it.Flow, &it.FlowName, &it.Table, &it.Record, &it.Node, &version,
			&it.Action, &it.Initiator, &it.InstanceState, &it.At, &it.Due); err != nil {
			return nil, err
		}
		it.InitiatorName = e.name(it.Initiator)
		if it.Node != "" {
			it.NodeName = e.nodeName(ctx, e.DB.R, it.Flow, version, it.Node)
		}
		ids[it.Table] = append(ids[it.Table], it.Record)
		out = append(out, it)
		versions = append(versions, version)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	titles := map[string]map[int64]string{}
	for table, list := range ids {
		if t, err := e.Catalog.Table(table); err == nil {
			if titles[table], err = e.Records.TitlesOf(ctx, a, t, list); err != nil {
				return nil, err
			}
		}
	}
	granted := map[string][]int64{} // by table: the records whose title only a task shows
	for i := range out {
		it := &out[i]
		it.RecordTitle = titles[it.Table][it.Record]
		if t := e.otherTable(it.Table); it.RecordTitle == "" && it.TaskID > 0 && t != nil && t.Title() != nil &&
			e.fieldPerms(ctx, t, it.Flow, versions[i], it.Node)[t.Title().ID] != FieldHidden {
			granted[it.Table] = append(granted[it.Table], it.Record)
		}
	}
	for table, list := range granted {
		t := e.otherTable(table)
		more, err := e.Records.TitlesOf(ctx, access.WithRecords(a, t, list, nil, false), t, list)
		if err != nil {
			return nil, err
		}
		for i := range out {
			if out[i].Table == table && out[i].RecordTitle == "" {
				out[i].RecordTitle = more[out[i].Record]
			}
		}
	}
	return out, nil
}

// OfRecord lists the instances of flows on a record, newest first, for whoever may read it
// and whoever holds or held a task on one of them.
func (e *Engine) OfRecord(ctx context.Context, a access.Actor, table string, record int64) ([]Item, error) {
	t, err := e.table(table)
	if err != nil {
		return nil, err
	}
	if _, err := e.Records.Get(ctx, a, t, record); err != nil {
		var held int
		if err := e.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM _flow_instances i JOIN _flow_tasks k ON k.instance_id = i.id
			WHERE i.table_id = ? AND i.record_id = ? AND k.user_id = ?`, t.ID, record, a.UserID).Scan(&held); err != nil {
			return nil, err
		}
		if held == 0 {
			return nil, err
		}
	}
	return e.items(ctx, a, `SELECT 0, i.id, i.flow_id, f.name, i.table_id, i.record_id, '', i.version, '', i.initiator, i.state, i.started_at, ''
		FROM _flow_instances i JOIN _flows f ON f.id = i.flow_id
		WHERE i.table_id = ? AND i.record_id = ? ORDER BY i.id DESC`, t.ID, record)
}

// Counts are the numbers of the actor's open tasks and copies, for the to-do center's header:
// two rows of _flow_task_counts, which triggers keep in the transaction of each task's change.
func (e *Engine) Counts(ctx context.Context, a access.Actor) (todo, cc int, err error) {
	err = e.DB.R.QueryRowContext(ctx, `SELECT COALESCE(SUM(CASE WHEN state = ? THEN n ELSE 0 END), 0), COALESCE(SUM(CASE WHEN state = ? THEN n ELSE 0 END), 0)
		FROM _flow_task_counts WHERE user_id = ? AND state IN (?, ?)`, taskOpen, taskCC, a.UserID, taskOpen, taskCC).Scan(&todo, &cc)
	return todo, cc, err
}

func (e *Engine) nodeName(ctx context.Context, q store.Querier, flow string, version int, node string) string {
	if node == resubmitNode {
		return "重新提交"
	}
	if g, err := e.version(ctx, q, flow, version); err == nil && g.nodes[node] != nil {
		return g.nodes[node].Name
	}
	return node
}

// fieldPerms are a node's field permissions by field id (fields deleted since left out).
func (e *Engine) fieldPerms(ctx context.Context, t *schema.Table, flow string, version int, node string) map[string]string {
	g, err := e.version(ctx, e.DB.R, flow, version)
	if err != nil || g.nodes[node] == nil || len(g.nodes[node].Fields) == 0 {
		return nil
	}
	out := map[string]string{}
	for ref, perm := range g.nodes[node].Fields {
		if f := t.Field(ref); f != nil {
			out[f.ID] = perm
		}
	}
	return out
}

// Instance is an instance as the record page shows it: where it is, and its timeline.
type Instance struct {
	ID            int64           `json:"id"`
	Flow          string          `json:"flow"`
	FlowName      string          `json:"flowName"`
	Version       int             `json:"version"`
	Table         string          `json:"table"`
	Record        int64           `json:"record"`
	Initiator     int64           `json:"initiator"`
	InitiatorName string          `json:"initiatorName"`
	State         string          `json:"state"`
	Reason        *problem.Error  `json:"-"` // why it stopped (State Stopped)
	StartedAt     string          `json:"startedAt"`
	EndedAt       string          `json:"endedAt,omitempty"`
	Tasks         []Task          `json:"tasks"`  // every task, in order
	Events        []Event         `json:"events"` // the timeline, oldest first
	Nodes         json.RawMessage `json:"nodes"`  // the nodes of its version (JSON), to draw its diagram
	// Data is the instance's record as the actor may read it, their roles or their task on
	// it allowing (see holder), with the titles of the records it links to; nil when neither
	// lets them.
	Data   records.Record              `json:"-"`
	Titles map[string]map[int64]string `json:"-"`
}

// Task is one task of an instance.
type Task struct {
	ID        int64  `json:"id"`
	Node      string `json:"node"`
	NodeName  string `json:"nodeName"`
	User      int64  `json:"user"`
	UserName  string `json:"userName"`
	State     string `json:"state"`
	Action    string `json:"action,omitempty"`
	ActedBy   int64  `json:"actedBy,omitempty"`
	Comment   string `json:"comment,omitempty"`
	CreatedAt string `json:"createdAt"`
	ActedAt   string `json:"actedAt,omitempty"`
	Due       string `json:"due,omitempty"` // when it falls due (its node's time limit)
	// Fields are the field permissions of an open task's node, by field id: FieldHidden,
	// FieldRead, FieldEdit (a field not listed is read as the person's role allows).
	Fields map[string]string `json:"fields,omitempty"`
}

// Event is one entry of an instance's timeline.
type Event struct {
	At       string          `json:"at"`
	User     int64           `json:"user,omitempty"` // 0: the engine itself
	UserName string          `json:"userName,omitempty"`
	Node     string          `json:"node,omitempty"`
	NodeName string          `json:"nodeName,omitempty"`
	Action   string          `json:"action"`
	Comment  string          `json:"comment,omitempty"`
	Detail   json.RawMessage `json:"detail"`
	id       int64           // its order
}

// Instance returns an instance with its tasks and timeline, to its initiator, the people it
// reached, and whoever may read its record.
func (e *Engine) Instance(ctx context.Context, a access.Actor, id int64) (*Instance, error) {
	var in Instance
	var reason string
	// three plain queries, each put in order here (by id, as they were made): on SQLite, what
	// a read costs is mostly its statement's, and a join or an ORDER BY costs more than the
	// rows — the instance joined with its tasks, and the events in the order of their index,
	// cost about 100 and 45 µs of CPU where these cost 12, 13 and 15
	err := e.DB.R.QueryRowContext(ctx, `SELECT i.flow_id, (SELECT f.name FROM _flows f WHERE f.id = i.flow_id), i.version, i.table_id, i.record_id,
		i.initiator, i.state, i.reason, i.started_at, i.ended_at FROM _flow_instances i WHERE i.id = ?`, id).
		Scan(&in.Flow, &in.FlowName, &in.Version, &in.Table, &in.Record, &in.Initiator, &in.State, &reason, &in.StartedAt, &in.EndedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFound("instance", fmt.Sprint(id))
	}
	if err != nil {
		return nil, err
	}
	in.ID = id
	rows, err := e.DB.R.QueryContext(ctx, `SELECT id, node_id, user_id, state, action, acted_by, comment, created_at, acted_at, due_at
		FROM _flow_tasks WHERE instance_id = ?`, id)
	if err != nil {
		return nil, err
	}
	in.Tasks = []Task{}
	for rows.Next() {
		var tk Task
		if err := rows.Scan(&tk.ID, &tk.Node, &tk.User, &tk.State, &tk.Action, &tk.ActedBy, &tk.Comment, &tk.CreatedAt, &tk.ActedAt, &tk.Due); err != nil {
			rows.Close()
			return nil, err
		}
		in.Tasks = append(in.Tasks, tk)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(in.Tasks, func(a, b Task) int { return cmp.Compare(a.ID, b.ID) })
	t, err := e.table(in.Table)
	if err != nil {
		return nil, err
	}
	g, err := e.version(ctx, e.DB.R, in.Flow, in.Version)
	if err != nil {
		return nil, err
	}
	in.Nodes = g.tree
	in.InitiatorName = e.name(in.Initiator)
	if reason != "" {
		var r struct {
			Code   string         `json:"code"`
			Params map[string]any `json:"params"`
		}
		if json.Unmarshal([]byte(reason), &r) == nil {
			in.Reason = &problem.Error{Status: 409, Code: r.Code, Params: r.Params}
		}
	}
	for i := range in.Tasks {
		tk := &in.Tasks[i]
		tk.UserName, tk.NodeName = e.name(tk.User), e.nodeName(ctx, e.DB.R, in.Flow, in.Version, tk.Node)
		if tk.State == taskOpen {
			tk.Fields = e.fieldPerms(ctx, t, in.Flow, in.Version, tk.Node)
		}
	}
	var held *Task // the actor's task on it: the open one, else the last
	for i := range in.Tasks {
		if tk := &in.Tasks[i]; tk.User == a.UserID && (held == nil || held.State != taskOpen) {
			held = tk
		}
	}
	ra, rec, err := e.reader(ctx, a, &instance{id: in.ID, flow: in.Flow, version: in.Version, initiator: in.Initiator, table: t, record: in.Record}, held)
	if err != nil {
		return nil, err
	}
	if rec != nil {
		in.Data = rec
		if in.Titles, err = e.Records.Titles(ctx, ra, t, []records.Record{rec}); err != nil {
			return nil, err
		}
	}
	rows, err = e.DB.R.QueryContext(ctx, "SELECT id, at, user_id, node_id, action, comment, detail FROM _flow_events WHERE instance_id = ?", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	in.Events = []Event{}
	for rows.Next() {
		var ev Event
		var detail string
		if err := rows.Scan(&ev.id, &ev.At, &ev.User, &ev.Node, &ev.Action, &ev.Comment, &detail); err != nil {
			return nil, err
		}
		ev.Detail = json.RawMessage(detail)
		if ev.User != 0 {
			ev.UserName = e.name(ev.User)
		}
		if ev.Node != "" {
			ev.NodeName = e.nodeName(ctx, e.DB.R, in.Flow, in.Version, ev.Node)
		}
		in.Events = append(in.Events, ev)
	}
	slices.SortFunc(in.Events, func(a, b Event) int { return cmp.Compare(a.id, b.id) })
	return &in, rows.Err()
}

// reader is the actor as they read an instance and its record, and the record as they read
// it (nil when they may not). Admins, the initiator, the people it reached and whoever may
// read the record may read the instance. held is the actor's task on it — the open one, else
// the last (see heldTask); nil when they have none. As in 钉钉 and 飞书, it grants them the
// record, each field as its node allows, editable only while it is open (access.WithRecords).
// Others get a 403.
func (e *Engine) reader(ctx context.Context, a access.Actor, in *instance, held *Task) (access.Actor, records.Record, error) {
	ra := a
	if held != nil && !a.Admin() {
		ra = e.grant(ctx, a, in.table, in.flow, in.version, in.record, held.Node, held.State == taskOpen)
	}
	rec, err := e.Records.Get(ctx, ra, in.table, in.record)
	if p := problem.As(err); p != nil && (p.Status == 403 || p.Status == 404) {
		if held != nil || a.Admin() || a.UserID == in.initiator {
			return ra, nil, nil
		}
		return a, nil, problem.Forbidden()
	}
	return ra, rec, err
}

// heldTask is the actor's task on an instance for reader: the open one, else the last; nil
// when they have none.
func (e *Engine) heldTask(ctx context.Context, q store.Querier, a access.Actor, instance int64) (*Task, error) {
	var tk Task
	err := q.QueryRowContext(ctx, `SELECT node_id, state FROM _flow_tasks WHERE instance_id = ? AND user_id = ?
		ORDER BY CASE WHEN state = ? THEN 0 ELSE 1 END, id DESC LIMIT 1`, instance, a.UserID, taskOpen).Scan(&tk.Node, &tk.State)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return &tk, err
}

// grant is the actor with the record granted by a task at node (see holder).
func (e *Engine) grant(ctx context.Context, a access.Actor, t *schema.Table, flow string, version int, record int64, node string, open bool) access.Actor {
	fields, edit := map[string]access.FieldAccess{}, false
	for id, perm := range e.fieldPerms(ctx, t, flow, version, node) {
		if perm == FieldEdit && !open {
			perm = FieldRead
		}
		edit = edit || perm == FieldEdit
		fields[id] = access.FieldAccess(perm)
	}
	return access.WithRecords(a, t, []int64{record}, fields, edit)
}

func init() {
	problem.AddMessage("flow_bad_box", "没有「{box}」这个待办分类，可选 todo、done、mine、cc", "there is no box \"{box}\"; use todo, done, mine or cc")
}
