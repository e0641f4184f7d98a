package flows

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"tierbase/core/access"
	"tierbase/core/org"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/core/users"
	"tierbase/engines/channels"
	"tierbase/engines/inbox"
	"tierbase/platform/jobs"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// Engine keeps the flow definitions and runs their instances.
type Engine struct {
	DB      *store.DB
	Catalog *schema.Catalog
	Users   *users.Service
	Org     *org.Service     // departments with their 主管, and the roles
	Records *records.Service // reads the records flows run on
	Inbox   *inbox.Service   // tells people of their tasks, copies and results
	Jobs    *jobs.Queue      // runs the time limits' timers; see UseJobs
	Now     func() time.Time // injectable clock
	// Channels and Webhooks take what 通知 nodes post to a group robot or send to a webhook
	// (set by app; nil: such a node is refused).
	Channels *channels.Service
	Webhooks WebhookCaller

	graphs    sync.Map                                // "flow@version" → *graph; versions never change once published
	formulas  sync.Map                                // table id + formula → compiledFormula (see formula)
	triggered atomic.Pointer[map[string][]*triggered] // by table: the flows that start by themselves (see Reload)
}

// New returns the flow engine over db.
func New(db *store.DB, cat *schema.Catalog, us *users.Service, o *org.Service, recs *records.Service, in *inbox.Service) *Engine {
	return &Engine{DB: db, Catalog: cat, Users: us, Org: o, Records: recs, Inbox: in, Now: time.Now}
}

func (e *Engine) stamp() string { return e.Now().UTC().Format(time.RFC3339) }

func (e *Engine) userOK(id int64) bool {
	u, ok := e.Users.Get(id)
	return ok && !u.Disabled
}

func (e *Engine) roleOK(id string) bool { return e.Org.RoleExists(id) }

// WebhookCaller queues a call of a webhook endpoint with a body mapped from a record, inside
// the caller's transaction: the webhooks engine, as the flow engine sees it.
type WebhookCaller interface {
	CheckCall(ctx context.Context, endpoint string, t *schema.Table, payload map[string]any) error
	CallTx(ctx context.Context, tx *sql.Tx, endpoint string, t *schema.Table, rec records.Record, payload map[string]any) error
	// FlowEndedTx sends flow.approved or flow.rejected to the endpoints of t that want it.
	FlowEndedTx(ctx context.Context, tx *sql.Tx, t *schema.Table, rec records.Record, flow string, instance int64, approved bool) error
}

// callsOK checks the group robot and the webhook call of a 通知 node on t: "" when they are
// fine (or unset), else a problem's code and its values.
func (e *Engine) callsOK(n *Node, t *schema.Table) (string, []any) {
	ctx := context.Background()
	if n.Robot != "" {
		if e.Channels == nil {
			return "flow_unknown_robot", nil
		}
		if _, err := e.Channels.Get(ctx, n.Robot); err != nil {
			return "flow_unknown_robot", nil
		}
	}
	if n.Webhook == "" {
		return "", nil
	}
	if e.Webhooks == nil {
		return "flow_unknown_webhook", nil
	}
	err := e.Webhooks.CheckCall(ctx, n.Webhook, t, n.Payload)
	p := problem.As(err)
	switch {
	case err == nil:
		return "", nil
	case p == nil || p.Path == "webhook":
		return "flow_unknown_webhook", nil
	case p.Code == "unknown_field":
		return "flow_unknown_field", []any{"field", p.Params["name"]}
	}
	return "flow_no_payload", nil
}

func (e *Engine) otherTable(ref string) *schema.Table {
	t, _ := e.Catalog.Table(ref)
	return t
}

// table finds a flow's table by id or name; a missing one is a 404.
func (e *Engine) table(ref string) (*schema.Table, error) {
	t, err := e.Catalog.Table(ref)
	if err != nil {
		return nil, problem.NotFound("table", ref)
	}
	return t, nil
}

// Validate checks a definition without saving it, for the designer: nil, or a 400 listing
// every problem, each naming its node.
func (e *Engine) Validate(f *Flow) error {
	t, err := e.table(f.Table)
	if err != nil {
		return err
	}
	if strings.TrimSpace(f.Name) == "" {
		return problem.Invalid("flow_no_name")
	}
	if err := checkTriggers(f.Triggers, t); err != nil {
		return err
	}
	if err := checkStatus(f.Status, t); err != nil {
		return err
	}
	_, err = compile(f.Nodes, t, e.otherTable, e.userOK, e.roleOK, e.callsOK)
	return err
}

// Problems lists what is wrong with a saved flow now — a field, person or role it names went
// away since — each naming its node (Path starts with the node's id); nil when nothing is.
func (e *Engine) Problems(f *Flow) []*problem.Error {
	err := e.Validate(f)
	p := problem.As(err)
	switch {
	case err == nil:
		return nil
	case p == nil:
		return []*problem.Error{problem.New(500, "internal")}
	case len(p.Details) > 0:
		return p.Details
	}
	return []*problem.Error{p}
}

// Save stores the draft of a flow (new when f.ID is empty) once it is valid, and returns it
// as stored. Instances keep running on the versions they started on; new ones start on the
// published version, so a saved draft changes nothing until Publish.
func (e *Engine) Save(ctx context.Context, a access.Actor, f *Flow) (*Flow, error) {
	t, err := e.table(f.Table)
	if err != nil {
		return nil, err
	}
	if err := access.CanOn(a, t, access.ManageTableRules); err != nil {
		return nil, err
	}
	if err := e.Validate(f); err != nil {
		return nil, err
	}
	def, err := json.Marshal(definition{Nodes: f.Nodes, Status: f.Status})
	if err != nil {
		return nil, err
	}
	triggers, err := json.Marshal(f.Triggers)
	if err != nil {
		return nil, err
	}
	now := e.stamp()
	err = e.DB.Tx(ctx, func(tx *sql.Tx) error {
		if f.ID == "" {
			f.ID = newFlowID()
			_, err := tx.ExecContext(ctx, `INSERT INTO _flows(id, table_id, name, def, triggers, enabled, created_at, updated_at)
				VALUES(?, ?, ?, ?, ?, ?, ?, ?)`, f.ID, t.ID, f.Name, string(def), string(triggers), btoi(f.Enabled), now, now)
			return err
		}
		res, err := tx.ExecContext(ctx, "UPDATE _flows SET name = ?, def = ?, triggers = ?, enabled = ?, updated_at = ? WHERE id = ? AND table_id = ?",
			f.Name, string(def), string(triggers), btoi(f.Enabled), now, f.ID, t.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.NotFound("flow", f.ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := e.Reload(ctx); err != nil {
		return nil, err
	}
	return e.Flow(ctx, a, f.ID)
}

// Publish makes the flow's draft its next version: instances started from now on run it,
// those running stay on theirs.
func (e *Engine) Publish(ctx context.Context, a access.Actor, id string) (*Flow, error) {
	f, err := e.Flow(ctx, a, id)
	if err != nil {
		return nil, err
	}
	t, err := e.table(f.Table)
	if err != nil {
		return nil, err
	}
	if err := access.CanOn(a, t, access.ManageTableRules); err != nil {
		return nil, err
	}
	err = e.DB.Tx(ctx, func(tx *sql.Tx) error {
		var def string
		var version int
		if err := tx.QueryRowContext(ctx, "SELECT def, version FROM _flows WHERE id = ?"+e.DB.Dialect.RowLock(), id).Scan(&def, &version); err != nil {
			return err
		}
		d, err := decodeDef(def)
		if err != nil {
			return err
		}
		if err := checkStatus(d.Status, t); err != nil {
			return err
		}
		if _, err := compile(d.Nodes, t, e.otherTable, e.userOK, e.roleOK, e.callsOK); err != nil {
			return err // a field or person it names went away since it was saved
		}
		now := e.stamp()
		if _, err := tx.ExecContext(ctx, "INSERT INTO _flow_versions(flow_id, version, def, published_at, published_by) VALUES(?, ?, ?, ?, ?)",
			id, version+1, def, now, a.UserID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE _flows SET version = ?, updated_at = ? WHERE id = ?", version+1, now, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := e.Reload(ctx); err != nil {
		return nil, err
	}
	return e.Flow(ctx, a, id)
}

// flowColumns are a flow's columns and the definition of its published version ("" before
// the first), to tell whether the draft was changed since.
const flowColumns = "id, table_id, name, def, triggers, version, enabled, updated_at, " +
	"COALESCE((SELECT v.def FROM _flow_versions v WHERE v.flow_id = _flows.id AND v.version = _flows.version), '')"

func scanFlow(row interface{ Scan(...any) error }) (*Flow, error) {
	var f Flow
	var def, triggers, published string
	var enabled int
	if err := row.Scan(&f.ID, &f.Table, &f.Name, &def, &triggers, &f.Version, &enabled, &f.UpdatedAt, &published); err != nil {
		return nil, err
	}
	f.Enabled = enabled != 0
	f.Changed = f.Version > 0 && def != published
	if err := json.Unmarshal([]byte(triggers), &f.Triggers); err != nil {
		return nil, err
	}
	d, err := decodeDef(def)
	f.Nodes, f.Status = d.Nodes, d.Status
	return &f, err
}

// Flow returns one flow with its draft, to people who may see its table.
func (e *Engine) Flow(ctx context.Context, a access.Actor, id string) (*Flow, error) {
	f, err := scanFlow(e.DB.R.QueryRowContext(ctx, "SELECT "+flowColumns+" FROM _flows WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFound("flow", id)
	}
	if err != nil {
		return nil, err
	}
	t, err := e.table(f.Table)
	if err != nil {
		return nil, err
	}
	if err := access.CanOn(a, t, access.View); err != nil {
		return nil, err
	}
	return f, nil
}

// Flows lists the flows of a table (by id or name; "" for every table the actor may see).
func (e *Engine) Flows(ctx context.Context, a access.Actor, table string) ([]*Flow, error) {
	q, args := "SELECT "+flowColumns+" FROM _flows ORDER BY created_at, id", []any{}
	if table != "" {
		t, err := e.table(table)
		if err != nil {
			return nil, err
		}
		q, args = "SELECT "+flowColumns+" FROM _flows WHERE table_id = ? ORDER BY created_at, id", []any{t.ID}
	}
	rows, err := e.DB.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*Flow{}
	for rows.Next() {
		f, err := scanFlow(rows)
		if err != nil {
			return nil, err
		}
		if t, err := e.Catalog.Table(f.Table); err == nil && access.CanOn(a, t, access.View) == nil {
			out = append(out, f)
		}
	}
	return out, rows.Err()
}

// version returns the checked graph of a published version (cached: versions never change).
func (e *Engine) version(ctx context.Context, q store.Querier, flowID string, version int) (*graph, error) {
	key := fmt.Sprintf("%s@%d", flowID, version)
	if g, ok := e.graphs.Load(key); ok {
		return g.(*graph), nil
	}
	var def, tableID string
	err := q.QueryRowContext(ctx, "SELECT v.def, f.table_id FROM _flow_versions v JOIN _flows f ON f.id = v.flow_id WHERE v.flow_id = ? AND v.version = ?",
		flowID, version).Scan(&def, &tableID)
	if err != nil {
		return nil, err
	}
	d, err := decodeDef(def)
	if err != nil {
		return nil, err
	}
	g := flatten(d.Nodes)
	g.status = d.Status
	if g.tree, err = json.Marshal(d.Nodes); err != nil {
		return nil, err
	}
	e.graphs.Store(key, g)
	return g, nil
}

// flatten is compile without the checks, for a version checked when it was published: a
// field or person that went away since then stops the instance at the node that needs it.
func flatten(nodes []*Node) *graph {
	g := newGraph()
	var walk func(nodes []*Node, after string, inParallel bool)
	walk = func(nodes []*Node, after string, inParallel bool) {
		for i, n := range nodes {
			next := after
			if i+1 < len(nodes) {
				next = nodes[i+1].ID
			}
			lead := g.link(n, next, inParallel)
			for _, b := range n.Branches {
				walk(b.Nodes, lead, inParallel || n.Type == Parallel)
			}
		}
	}
	walk(nodes, "", false)
	if len(nodes) > 0 {
		g.first = nodes[0].ID
	}
	return g
}

func newFlowID() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "flow_" + hex.EncodeToString(b)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func init() {
	problem.AddMessage("flow_no_name", "请填写流程名称", "give the flow a name")
}
