// Package rules is the rule engine: "when <trigger>, if <condition>, do <actions>" on the
// records of a table. Field actions apply inside the write's transaction, in rounds, and
// ask the grading engine to grade in each; side effects (create, notify) and scheduled runs
// go through the job queue. It imports grading and hooks into it (FieldTaken,
// GradesChanged); grading knows no rules.
package rules

import (
	"context"
	"database/sql"
	"slices"
	"sync"
	"sync/atomic"
	"tierbase/core/access"
	"time"

	"tierbase/core/cond"
	"tierbase/core/formula"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/core/users"
	"tierbase/engines/channels"
	"tierbase/engines/grading"
	"tierbase/engines/inbox"
	"tierbase/platform/jobs"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// Engine keeps the rules and applies them.
type Engine struct {
	DB      *store.DB
	Catalog *schema.Catalog
	Users   *users.Service
	Grading *grading.Engine  // grades every write, after the rounds of rules
	Records *records.Service // creates the records of "create" actions
	Inbox   *inbox.Service   // receives notifications
	// Channels are the group robots robot actions post to (nil: they are refused).
	Channels *channels.Service
	Now      func() time.Time // injectable clock: "today" of relative-date conditions
	Loc      *time.Location   // zone of "today"; nil means time.Local
	rules    atomic.Pointer[ruleSet]
	loading  sync.Mutex    // one reload at a time, so the last to start is the last stored
	Jobs     *jobs.Queue   // runs side effects and scheduled runs; see UseJobs
	DailyAt  time.Duration // time of day (in Loc) of the daily pass; 01:00 unless set
	// RoleExists tells the roles a notify action may name (package org's roles); nil: the
	// built-in admin and member only.
	RoleExists func(id string) bool
	// Flows start the flows of 发起流程 actions (package flows, set by app; nil: refused).
	Flows FlowStarter
	// Webhooks take the calls of 调用 Webhook actions (package webhooks, set by app; nil:
	// refused).
	Webhooks WebhookCaller
}

// WebhookCaller queues a call of a webhook endpoint with a body mapped from a record, inside
// the caller's transaction: the webhooks engine, as the rule engine sees it.
type WebhookCaller interface {
	CheckCall(ctx context.Context, endpoint string, t *schema.Table, payload map[string]any) error
	CallTx(ctx context.Context, tx *sql.Tx, endpoint string, t *schema.Table, rec records.Record, payload map[string]any) error
}

// FlowStarter starts a flow on a record inside the caller's transaction: the flow engine, as
// the rule engine sees it (it imports no engine of flows).
type FlowStarter interface {
	StartTx(ctx context.Context, tx *sql.Tx, flow string, t *schema.Table, rec records.Record) error
	FlowName(id string) string // "" when there is no such flow
}

// Open loads the rules and hooks them into g: a scheme may not keep a field a rule sets,
// and grades a regrade changed fire the rules watching them.
func Open(db *store.DB, cat *schema.Catalog, us *users.Service, g *grading.Engine) (*Engine, error) {
	e := &Engine{DB: db, Catalog: cat, Users: us, Grading: g, Now: time.Now, DailyAt: time.Hour}
	g.FieldTaken = e.fieldTaken
	g.Watching = func(t *schema.Table, field string) bool { return len(e.watching(t, field)) > 0 }
	g.GradesChanged = func(ctx context.Context, tx *sql.Tx, t *schema.Table, field string, ids []int64) error {
		_, err := e.gradesChanged(ctx, tx, t, field, ids)
		return err
	}
	return e, e.reloadRules(context.Background())
}

func (e *Engine) env() cond.Env { return cond.Env{Now: e.Now(), Loc: e.Loc} }

// mayManage returns nil when the actor may manage the rules of the table (by id or name).
func (e *Engine) mayManage(a access.Actor, table string) error {
	t, err := e.Catalog.Table(table)
	if err != nil {
		t = &schema.Table{ID: table, Name: table} // refused by the checks that follow, unless the role's default allows
	}
	return access.CanOn(a, t, access.ManageTableRules)
}

// formulaEnv is the clock formulas see.
func (e *Engine) formulaEnv() formula.Env { return formula.Env{Now: e.Now(), Loc: e.Loc} }

// fieldTaken refuses a grading scheme that would keep a field an enabled rule sets.
func (e *Engine) fieldTaken(table, field string) error {
	for _, r := range e.Rules() {
		if r.Enabled && r.Table == table && slices.ContainsFunc(r.Actions, func(a Action) bool { return a.fieldAction() && a.Field == field }) {
			return problem.New(409, "scheme_rule_sets", "rule", r.Name).At("field")
		}
	}
	return nil
}

// watching is the active rules of t that a change of field fires.
func (e *Engine) watching(t *schema.Table, field string) []*compiled {
	var out []*compiled
	for _, c := range e.active(t) {
		if slices.ContainsFunc(c.r.Triggers, func(tr Trigger) bool { return tr.On == OnChanged && slices.Contains(tr.Fields, field) }) {
			out = append(out, c)
		}
	}
	return out
}

// gradesChanged runs, for the records a regrade changed (ids), the rules watching the graded
// field: their field actions set-wise, their side effects queued (at most MaxQueuedPerRun
// per rule). It returns how many were queued.
func (e *Engine) gradesChanged(ctx context.Context, tx *sql.Tx, t *schema.Table, field string, ids []int64) (int, error) {
	queued := 0
	for _, c := range e.watching(t, field) {
		hasFieldActions := slices.ContainsFunc(c.r.Actions, func(a Action) bool { return a.fieldAction() })
		left := MaxQueuedPerRun
		for chunk := range slices.Chunk(ids, 500) {
			if !hasFieldActions && left == 0 {
				break
			}
			if _, _, err := e.keep(ctx, tx, c, byIDs(chunk)); err != nil {
				return queued, err
			}
			n, err := e.queueMatches(ctx, tx, c, left)
			if err != nil {
				return queued, err
			}
			left -= n
			queued += n
		}
	}
	return queued, nil
}

// DailyPass refreshes the computed fields that change with the day, the kept RFM models, regrades every enabled scheme (grading) and
// re-applies every always-kept rule, so scores, grades and tags that depend on "today" stay
// right with no edit. It runs each day at DailyAt as a job (see UseJobs). It returns how
// many records changed.
func (e *Engine) DailyPass(ctx context.Context) (int, error) {
	if err := e.Records.RefreshDaily(ctx); err != nil {
		return 0, err
	}
	if err := e.Grading.RefreshRFM(ctx); err != nil {
		return 0, err
	}
	n, err := e.Grading.RegradeAll(ctx)
	if err != nil {
		return n, err
	}
	kept, err := e.KeepAll(ctx)
	return n + kept, err
}

// loc is the zone of "today".
func (e *Engine) loc() *time.Location {
	if e.Loc == nil {
		return time.Local
	}
	return e.Loc
}

func init() {
	problem.AddMessage("scheme_rule_sets", "规则「{rule}」会改这个字段，请先停用该规则，或让它改别的字段", "the rule \"{rule}\" changes this field; disable it first, or let it change another field")
}
