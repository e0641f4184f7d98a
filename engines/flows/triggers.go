package flows

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/platform/jobs"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// Triggers say when a published, enabled flow starts by itself, besides by hand and by a
// rule's action 发起流程. The initiator of such a start is the record's 负责人 (its 创建人 when
// it has none).
type Triggers struct {
	OnCreate bool       `json:"onCreate,omitempty"` // a record is created (and matches When, if set)
	OnMatch  bool       `json:"onMatch,omitempty"`  // a record comes to match When: created so, or changed to
	When     *cond.Node `json:"when,omitempty"`
	// Cron starts it on a schedule (minute hour day month weekday) for each record that
	// matches When and has no running instance of it, at most MaxScheduled a run.
	Cron string `json:"cron,omitempty"`
}

func (tr Triggers) empty() bool { return !tr.OnCreate && !tr.OnMatch && tr.Cron == "" }

// MaxScheduled bounds the instances one scheduled run starts.
const MaxScheduled = 1000

const kindCron = "flow.cron"

// triggered is a flow that starts by itself, as the write hook and the schedule see it.
type triggered struct {
	flow     string
	table    string
	triggers Triggers
}

// checkTriggers checks a flow's triggers against its table.
func checkTriggers(tr Triggers, t *schema.Table) error {
	if tr.OnMatch && tr.When == nil {
		return problem.Invalid("flow_match_no_condition").At("triggers.when")
	}
	if tr.When != nil {
		if err := cond.Check(tr.When, t); err != nil {
			if p := problem.As(err); p != nil {
				return p.At("triggers.when." + p.Path)
			}
			return err
		}
	}
	if tr.Cron != "" {
		if _, err := jobs.ParseCron(tr.Cron); err != nil {
			return problem.Invalid("flow_bad_cron", "cron", tr.Cron).At("triggers.cron")
		}
	}
	return nil
}

// Reload reads which flows start by themselves (after a change on another node).
func (e *Engine) Reload(ctx context.Context) error {
	rows, err := e.DB.R.QueryContext(ctx, "SELECT id, table_id, triggers FROM _flows WHERE version > 0 AND enabled = 1 AND triggers <> '{}' ORDER BY id")
	if err != nil {
		return err
	}
	defer rows.Close()
	byTable := map[string][]*triggered{}
	for rows.Next() {
		var tg triggered
		var def string
		if err := rows.Scan(&tg.flow, &tg.table, &def); err != nil {
			return err
		}
		if json.Unmarshal([]byte(def), &tg.triggers) != nil || tg.triggers.empty() {
			continue
		}
		byTable[tg.table] = append(byTable[tg.table], &tg)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	e.triggered.Store(&byTable)
	return nil
}

func (e *Engine) triggersOf(table string) []*triggered {
	if m := e.triggered.Load(); m != nil {
		return (*m)[table]
	}
	return nil
}

// Before is the records hook's first half: flows change nothing before a write.
func (e *Engine) Before(ctx context.Context, tx *sql.Tx, t *schema.Table, old, vals records.Record) error {
	return nil
}

// After starts, inside a record's write, the flows its creation or its change to match
// triggers — but not the flow whose own status write it is: its instance runs already, or
// just ended.
func (e *Engine) After(ctx context.Context, tx *sql.Tx, t *schema.Table, old, rec records.Record) error {
	return e.AfterBatch(ctx, tx, t, []records.Record{old}, []records.Record{rec})
}

// AfterBatch is After for many writes of t at once (olds[i] became recs[i]), each trigger's
// condition prepared and each flow started read once for all of them, the instances' first
// events written together. The records the write created start each flow together (see
// startCreated); a changed record starts it by itself, after the created ones before it.
func (e *Engine) AfterBatch(ctx context.Context, tx *sql.Tx, t *schema.Table, olds, recs []records.Record) error {
	own, _ := ctx.Value(statusOf{}).(string)
	var tgs []*triggered // the triggers that may start a flow here, with their conditions
	var whens []*cond.Cond
	env := cond.Env{Now: e.Now(), Loc: e.loc()}
	for _, tg := range e.triggersOf(t.ID) {
		tr := tg.triggers
		if !tr.OnCreate && !tr.OnMatch || tg.flow == own {
			continue
		}
		var when *cond.Cond
		if tr.When != nil {
			c, err := cond.Prepare(tr.When, t, env)
			if err != nil {
				continue // a condition broken by a schema change starts nothing
			}
			when = c
		}
		tgs, whens = append(tgs, tg), append(whens, when)
	}
	matches := func(j int, rec records.Record) bool {
		if whens[j] == nil {
			return true
		}
		ok, err := whens[j].Match(rec)
		return err == nil && ok
	}
	read := map[string]*flowRow{}
	flow := func(id string) (*flowRow, error) {
		if f := read[id]; f != nil {
			return f, nil
		}
		f, err := e.published(ctx, tx, id)
		read[id] = f
		return f, err
	}
	var events []any
	created := make([][]records.Record, len(tgs)) // per trigger, the created records it starts, not yet started
	startCreated := func() error {
		for j, list := range created {
			if len(list) == 0 {
				continue
			}
			f, err := flow(tgs[j].flow)
			if err != nil {
				return err
			}
			evs, err := e.startCreated(ctx, tx, f, list)
			if err != nil {
				return err
			}
			events, created[j] = append(events, evs...), nil
		}
		return nil
	}
	for i, rec := range recs {
		if rec == nil {
			continue
		}
		old := olds[i]
		for j, tg := range tgs {
			tr := tg.triggers
			if !matches(j, rec) {
				continue
			}
			start := tr.OnCreate && old == nil
			if tr.OnMatch && !start {
				start = old == nil || !matches(j, old)
			}
			if !start {
				continue
			}
			if old == nil {
				created[j] = append(created[j], rec)
				continue
			}
			if err := startCreated(); err != nil {
				return err
			}
			f, err := flow(tg.flow)
			if err != nil {
				return err
			}
			in, err := e.start(ctx, tx, f, t, rec)
			if err != nil {
				return err
			}
			if in != nil {
				events = append(events, in.events...)
			}
		}
	}
	if err := startCreated(); err != nil {
		return err
	}
	return writeEvents(ctx, tx, events)
}

// startCreated starts flow f on records of its table that the write in tx created, together,
// and returns the instances' first events. Such a record has no running instance of f — but
// when the write started one already (another flow's 数据操作 nodes changed the record so that
// it came to match f's condition again), which one query finds for all of them — and no other
// transaction sees it, so it needs no lock.
// The instances are added in one statement, and the tasks, steps and timers of the nodes they
// reach written together once all have started (see writes).
func (e *Engine) startCreated(ctx context.Context, tx *sql.Tx, f *flowRow, recs []records.Record) ([]any, error) {
	running := map[int64]bool{}
	for chunk := range slices.Chunk(recs, 500) {
		args := []any{f.table.ID, f.id, Running}
		for _, rec := range chunk {
			args = append(args, rec.ID())
		}
		rows, err := tx.QueryContext(ctx, "SELECT record_id FROM _flow_instances WHERE table_id = ? AND flow_id = ? AND state = ? AND record_id IN ("+
			strings.Repeat(", ?", len(chunk))[2:]+")", args...)
		if err != nil {
			return nil, err
		}
		ids, err := scanIDs(rows)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			running[id] = true
		}
	}
	w := &writes{}
	var ins []*instance
	for _, rec := range recs {
		if running[rec.ID()] {
			continue
		}
		running[rec.ID()] = true // a record listed twice starts once
		a := e.initiatorOf(rec)
		ins = append(ins, &instance{flow: f.id, flowName: f.name, version: f.version, table: f.table, record: rec.ID(), initiator: a.UserID,
			state: Running, chosen: map[string][]int64{}, joins: map[string]int{}, g: f.g, actor: a, rec: rec, tx: tx, later: w})
	}
	now := e.stamp()
	for chunk := range slices.Chunk(ins, 500) {
		args := make([]any, 0, 8*len(chunk))
		for _, in := range chunk {
			args = append(args, f.id, f.version, f.table.ID, in.record, in.initiator, Running, "{}", now)
		}
		rows, err := tx.QueryContext(ctx, "INSERT INTO _flow_instances(flow_id, version, table_id, record_id, initiator, state, chosen, started_at) VALUES "+
			strings.Repeat(",(?, ?, ?, ?, ?, ?, ?, ?)", len(chunk))[1:]+" RETURNING id, record_id", args...)
		if err != nil {
			return nil, err
		}
		byRecord := map[int64]int64{} // RETURNING keeps no order
		for rows.Next() {
			var id, record int64
			if err := rows.Scan(&id, &record); err != nil {
				rows.Close()
				return nil, err
			}
			byRecord[record] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, in := range chunk {
			in.id = byRecord[in.record]
		}
	}
	var events []any
	for _, in := range ins {
		if err := e.event(in, in.initiator, "", ActStart, "", nil); err != nil {
			return nil, err
		}
		if err := e.writeStatus(ctx, tx, in); err != nil {
			return nil, err
		}
		if err := e.enter(ctx, tx, in, f.g.first); err != nil {
			return nil, err
		}
		events = append(events, in.events...)
	}
	return events, e.flush(ctx, tx, w)
}

// StartTx starts a flow on a record inside the caller's write transaction — a record's write
// (the triggers) or a rule's side effect (发起流程) — as the record's 负责人 (or 创建人). A
// record with a running instance of the flow is left as it is.
func (e *Engine) StartTx(ctx context.Context, tx *sql.Tx, flowID string, t *schema.Table, rec records.Record) error {
	f, err := e.published(ctx, tx, flowID)
	if err != nil {
		return err
	}
	in, err := e.start(ctx, tx, f, t, rec)
	if in == nil {
		return err
	}
	return e.saveEvents(ctx, tx, in)
}

// start is StartTx of the published flow f, the instance's first events left to the caller
// (see begin); no instance when one runs on the record already.
func (e *Engine) start(ctx context.Context, tx *sql.Tx, f *flowRow, t *schema.Table, rec records.Record) (*instance, error) {
	if f.table.ID != t.ID {
		return nil, problem.Invalid("flow_other_table", "flow", f.name, "table", t.Name)
	}
	in, err := e.begin(ctx, tx, e.initiatorOf(rec), f, rec.ID(), rec, nil)
	if p := problem.As(err); p != nil && p.Code == "flow_running" {
		return nil, nil
	}
	return in, err
}

// initiatorOf is who starts a flow on a record by itself: its 负责人, or its 创建人 when it
// has none (the system when neither is a user).
func (e *Engine) initiatorOf(rec records.Record) access.Actor {
	who, _ := rec[schema.FieldOwner].(int64)
	if who == 0 {
		who, _ = rec[schema.FieldCreatedBy].(int64)
	}
	if u, ok := e.Users.Get(who); ok {
		return e.Users.ActorOf(u)
	}
	return access.System
}

// FlowName is a flow's name, "" when there is none (for a rule's sentence).
func (e *Engine) FlowName(id string) string {
	var name string
	e.DB.R.QueryRow("SELECT name FROM _flows WHERE id = ?", id).Scan(&name)
	return name
}

// schedule queues, each minute, the scheduled runs of the flows whose cron matches it.
func (e *Engine) schedule(ctx context.Context, tx *sql.Tx, minute time.Time) error {
	m := minute.In(e.loc())
	slot := minute.UTC().Format("2006-01-02T15:04Z")
	if all := e.triggered.Load(); all != nil {
		for _, list := range *all {
			for _, tg := range list {
				if tg.triggers.Cron == "" {
					continue
				}
				if cr, err := jobs.ParseCron(tg.triggers.Cron); err == nil && cr.Matches(m) {
					if _, err := e.Jobs.Enqueue(ctx, tx, kindCron, fmt.Sprintf("%s:%s:%s", kindCron, tg.flow, slot), map[string]string{"flow": tg.flow}, minute); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// runScheduled starts a scheduled flow on the records that match its condition and have no
// running instance of it, in the job's transaction.
func (e *Engine) runScheduled(ctx context.Context, tx *sql.Tx, j *jobs.Job) error {
	var p struct{ Flow string }
	if err := j.Decode(&p); err != nil {
		return jobs.Permanent(err)
	}
	f, err := e.published(ctx, tx, p.Flow)
	if problem.As(err) != nil {
		return nil // unpublished, disabled or deleted since
	}
	if err != nil {
		return err
	}
	var def string
	if err := tx.QueryRowContext(ctx, "SELECT triggers FROM _flows WHERE id = ?", p.Flow).Scan(&def); err != nil {
		return err
	}
	var tr Triggers
	if err := json.Unmarshal([]byte(def), &tr); err != nil {
		return jobs.Permanent(err)
	}
	where, args, err := cond.Compile(tr.When, f.table, cond.Env{Now: e.Now(), Loc: e.loc()})
	if err != nil {
		return jobs.Permanent(err)
	}
	// An anti-join: PostgreSQL runs NOT IN over more running instances than fit its work_mem
	// by scanning them again for every record.
	t := store.Quote(f.table.SQLName())
	q := fmt.Sprintf(`SELECT id FROM %s WHERE (%s) AND NOT EXISTS (SELECT 1 FROM _flow_instances i
		WHERE i.table_id = ? AND i.record_id = %s.id AND i.flow_id = ? AND i.state = ?) ORDER BY id LIMIT %d`, t, where, t, MaxScheduled)
	rows, err := tx.QueryContext(ctx, q, append(args, f.table.ID, f.id, Running)...)
	if err != nil {
		return err
	}
	ids, err := scanIDs(rows)
	if err != nil {
		return err
	}
	for _, id := range ids {
		rec, err := e.Records.GetTx(ctx, tx, access.System, f.table, id)
		if p := problem.As(err); p != nil && p.Status == 404 {
			continue // deleted meanwhile
		} else if err != nil {
			return err
		}
		if err := e.StartTx(ctx, tx, f.id, f.table, rec); err != nil {
			return err
		}
	}
	return nil
}

func init() {
	for code, m := range map[string][2]string{
		"flow_match_no_condition": {"「满足条件时发起」需要设置条件", "starting when a record comes to match needs a condition"},
		"flow_bad_cron":           {"定时规则 {cron} 无效，格式为：分 时 日 月 周", "{cron} is not a schedule: minute hour day month weekday"},
		"flow_other_table":        {"流程「{flow}」不属于表「{table}」", "the flow \"{flow}\" is not on the table \"{table}\""},
	} {
		problem.AddMessage(code, m[0], m[1])
	}
}
