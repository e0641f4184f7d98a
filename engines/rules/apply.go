package rules

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/engines/channels"
	"tierbase/platform/problem"
)

// MaxDepth bounds how deep rules may trigger rules: rounds of field actions within one
// write, and records created by rules whose own rules create records.
const MaxDepth = 8

// ruleSet is the rules as stored, with what they compile to against the current catalog.
type ruleSet struct {
	list []*Rule
	mu   sync.Mutex
	cat  map[string]*tableRules // table id → compiled rules, rebuilt when the table changes
}

// tableRules are the enabled, valid rules of one version of a table.
type tableRules struct {
	t     *schema.Table
	rules []*compiled
}

func (e *Engine) reloadRules(ctx context.Context) error {
	e.loading.Lock()
	defer e.loading.Unlock()
	rows, err := e.DB.R.QueryContext(ctx, "SELECT def FROM _rules ORDER BY position, "+e.DB.Dialect.InsertionOrder())
	if err != nil {
		return err
	}
	defer rows.Close()
	set := &ruleSet{cat: map[string]*tableRules{}}
	for rows.Next() {
		var def string
		if err := rows.Scan(&def); err != nil {
			return err
		}
		r, err := decodeRule(def)
		if err != nil {
			return err
		}
		set.list = append(set.list, r)
	}
	e.rules.Store(set)
	return rows.Err()
}

// Rules returns every rule, in the order they were made.
func (e *Engine) Rules() []*Rule { return e.rules.Load().list }

// Rule finds a rule by id or name.
func (e *Engine) Rule(ref string) (*Rule, error) {
	for _, r := range e.Rules() {
		if r.ID == ref || r.Name == ref {
			return r, nil
		}
	}
	return nil, problem.NotFound("rule", ref)
}

func (e *Engine) userExists(id int64) bool {
	if e.Users == nil {
		return true
	}
	_, ok := e.Users.Get(id)
	return ok
}

// checkRoles refuses an action naming a role, a robot or a webhook that does not exist.
func (e *Engine) checkRoles(r *Rule) error {
	for i, a := range r.Actions {
		if a.Type == ActRobot {
			if e.Channels == nil {
				return problem.NotFound("robot", a.Robot).At(fmt.Sprintf("actions[%d].robot", i))
			}
			ch, err := e.Channels.Get(context.Background(), a.Robot)
			if err != nil {
				return problem.As(err).At(fmt.Sprintf("actions[%d].robot", i))
			}
			if ch.Kind == channels.Email && len(a.At) == 0 { // a mail goes to someone
				return problem.Invalid("required").At(fmt.Sprintf("actions[%d].at", i))
			}
		}
		if a.Type == ActWebhook {
			at := fmt.Sprintf("actions[%d]", i)
			if e.Webhooks == nil {
				return problem.NotFound("webhook", a.Webhook).At(at + ".webhook")
			}
			t, err := e.Catalog.Table(r.Table)
			if err != nil {
				return err
			}
			if err := e.Webhooks.CheckCall(context.Background(), a.Webhook, t, a.Payload); err != nil {
				if p := problem.As(err); p != nil {
					p.Path = at + "." + p.Path
				}
				return err
			}
		}
		for j, role := range a.Roles {
			ok := role == access.AdminRoleID || role == access.MemberRoleID
			if e.RoleExists != nil {
				ok = e.RoleExists(role)
			}
			if !ok {
				return problem.Invalid("rule_bad_role", "value", role).At(fmt.Sprintf("actions[%d].roles[%d]", i, j))
			}
		}
	}
	return nil
}

// RuleProblem returns why a rule cannot run any more (a field it uses was deleted), or nil.
func (e *Engine) RuleProblem(r *Rule) error {
	c := cloneRule(r)
	_, err := c.check(e.Catalog, e.userExists)
	return err
}

func cloneRule(r *Rule) *Rule {
	b, _ := json.Marshal(r)
	c := &Rule{}
	json.Unmarshal(b, c)
	return c
}

// active returns the enabled rules of t that still fit it.
func (e *Engine) active(t *schema.Table) []*compiled {
	set := e.rules.Load()
	if len(set.list) == 0 {
		return nil
	}
	set.mu.Lock()
	defer set.mu.Unlock()
	if tr := set.cat[t.ID]; tr != nil && tr.t == t {
		return tr.rules
	}
	tr := &tableRules{t: t}
	for _, r := range set.list {
		if !r.Enabled || r.Table != t.ID {
			continue
		}
		if c, err := cloneRule(r).check(e.Catalog, e.userExists); err == nil && c.t.ID == t.ID {
			c.t = t
			tr.rules = append(tr.rules, c)
		}
	}
	set.cat[t.ID] = tr
	return tr.rules
}

// relatedTo returns the enabled rules that count records of t (Related.Table is t).
func (e *Engine) relatedTo(t *schema.Table) []*compiled {
	var out []*compiled
	for _, other := range e.Catalog.Tables() {
		for _, c := range e.active(other) {
			if c.related != nil && c.related.ID == t.ID {
				out = append(out, c)
			}
		}
	}
	return out
}

// SaveRule creates (empty ID) or replaces a rule. An enabled always-kept rule is applied to
// every record at once; the result says how.
func (e *Engine) SaveRule(ctx context.Context, a access.Actor, r *Rule) (*Rule, *RunResult, error) {
	if err := e.mayManage(a, r.Table); err != nil {
		return nil, nil, err
	}
	if old, err := e.Rule(r.ID); r.ID != "" && err == nil {
		if err := e.mayManage(a, old.Table); err != nil {
			return nil, nil, err
		}
	}
	c, err := r.check(e.Catalog, e.userExists)
	if err != nil {
		return nil, nil, err
	}
	if err := e.checkRoles(r); err != nil {
		return nil, nil, err
	}
	if err := e.gradedByScheme(c); err != nil {
		return nil, nil, err
	}
	if r.ID == "" {
		r.ID = schema.NewID("rul")
	} else if _, err := e.Rule(r.ID); err != nil {
		return nil, nil, err
	}
	for _, o := range e.Rules() {
		if o.ID != r.ID && o.Name == r.Name {
			return nil, nil, problem.New(409, "duplicate_name", "name", r.Name).At("name")
		}
	}
	def, err := json.Marshal(r)
	if err != nil {
		return nil, nil, err
	}
	err = e.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO _rules(id, table_id, position, def) VALUES(?, ?, (SELECT COUNT(*) FROM _rules), ?)
			ON CONFLICT(id) DO UPDATE SET table_id = excluded.table_id, def = excluded.def, last_error = ''`, r.ID, r.Table, string(def))
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if err := e.reloadRules(ctx); err != nil {
		return nil, nil, err
	}
	var res *RunResult
	if r.Enabled && slices.ContainsFunc(r.Triggers, func(t Trigger) bool { return t.On == OnAlways }) {
		res, err = e.RunRule(ctx, a, r.ID)
	}
	return r, res, err
}

// gradedByScheme refuses an enabled rule that would set a field a grading scheme keeps: the
// scheme would undo it at the next write, and the tier history would name the wrong source.
func (e *Engine) gradedByScheme(c *compiled) error {
	if !c.r.Enabled {
		return nil
	}
	for i, a := range c.r.Actions {
		for _, s := range e.Grading.Schemes() {
			if a.fieldAction() && s.Enabled && s.Table == c.t.ID && s.Field == a.Field {
				return problem.Invalid("rule_graded_field", "field", c.fields[i].Name, "scheme", s.Name).At(fmt.Sprintf("actions[%d].field", i))
			}
		}
	}
	return nil
}

// DeleteRule removes a rule; what it did stays.
func (e *Engine) DeleteRule(ctx context.Context, a access.Actor, ref string) error {
	r, err := e.Rule(ref)
	if err != nil {
		return err
	}
	if err := e.mayManage(a, r.Table); err != nil {
		return err
	}
	err = e.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM _rules WHERE id = ?", r.ID)
		return err
	})
	if err != nil {
		return err
	}
	return e.reloadRules(ctx)
}

// RuleStatus is when a rule last ran on a schedule or by hand, its last failure, and when
// it last fired (acted on a record: changed a field or queued its side effects) and how
// many times in all.
type RuleStatus struct {
	LastRun   string `json:"lastRun,omitempty"`
	LastError string `json:"lastError,omitempty"`
	LastFired string `json:"lastFired,omitempty"`
	Fired     int64  `json:"fired"`
}

// Status returns the status of every rule by id.
func (e *Engine) Status(ctx context.Context) (map[string]RuleStatus, error) {
	rows, err := e.DB.R.QueryContext(ctx, "SELECT id, last_run, last_error, fired_at, fired FROM _rules")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]RuleStatus{}
	for rows.Next() {
		var id string
		var s RuleStatus
		if err := rows.Scan(&id, &s.LastRun, &s.LastError, &s.LastFired, &s.Fired); err != nil {
			return nil, err
		}
		out[id] = s
	}
	return out, rows.Err()
}

func (e *Engine) setStatus(ctx context.Context, id string, ran bool, failure string) {
	e.DB.Tx(ctx, func(tx *sql.Tx) error { return e.statusTx(ctx, tx, id, ran, failure) })
}

// statusTx is setStatus inside a write transaction.
func (e *Engine) statusTx(ctx context.Context, tx *sql.Tx, id string, ran bool, failure string) error {
	q := "UPDATE _rules SET last_error = ? WHERE id = ?"
	args := []any{failure, id}
	if ran {
		q = "UPDATE _rules SET last_error = ?, last_run = ? WHERE id = ?"
		args = []any{failure, e.Now().UTC().Format(time.RFC3339), id}
	}
	_, err := tx.ExecContext(ctx, q, args...)
	return err
}

// fired counts n more firings of c (records it acted on), in the write's transaction: one
// UPDATE of its row per write or set-wise run.
func (e *Engine) fired(ctx context.Context, tx *sql.Tx, c *compiled, n int) error {
	if n <= 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, "UPDATE _rules SET fired_at = ?, fired = fired + ? WHERE id = ?",
		e.Now().UTC().Format(time.RFC3339), n, c.r.ID)
	return err
}

// hasEffects reports whether c has side effects (create, notify); those count as fired when
// queued, the others when they change a field.
func (c *compiled) hasEffects() bool {
	return slices.ContainsFunc(c.r.Actions, func(a Action) bool { return !a.fieldAction() })
}

// depthKey carries, in a context, how deep in a chain of rules a write is.
type depthKey struct{}

func depthOf(ctx context.Context) int {
	d, _ := ctx.Value(depthKey{}).(int)
	return d
}

// triggered reports whether a record write (old nil: created; rec nil: deleted) fires c.
func (c *compiled) triggered(old, rec records.Record) bool {
	for _, tr := range c.r.Triggers {
		switch tr.On {
		case OnCreated:
			if old == nil && rec != nil {
				return true
			}
		case OnUpdated:
			if old != nil && rec != nil {
				return true
			}
		case OnDeleted:
			if rec == nil {
				return true
			}
		case OnChanged:
			if rec != nil && slices.ContainsFunc(tr.Fields, func(f string) bool { return old == nil || !records.Equal(old[f], rec[f]) }) {
				return true
			}
		case OnAlways:
			if rec != nil && !c.counts() {
				return true
			}
		}
	}
	return false
}

// Before grades a record about to be written and applies the field actions of the rules it
// fires, in rounds: the write fires rules; the fields they change fire the rules watching
// those fields in the next round, and so on. Rules that keep changing each other are
// stopped after MaxDepth rounds with a message naming them, and the write is refused.
func (e *Engine) Before(ctx context.Context, tx *sql.Tx, t *schema.Table, old, vals records.Record) error {
	rules := e.active(t)
	if len(rules) == 0 && len(e.Grading.Graded(t)) == 0 {
		return nil
	}
	merged := maps.Clone(old)
	if merged == nil {
		merged = make(records.Record, len(t.Fields))
	}
	maps.Copy(merged, vals)
	env := e.env()
	settable := e.settable(t, rules)
	start := make([]any, len(settable)) // their values before the round
	var delta []string                  // fields changed by the previous round
	var chain []string
	var acted []*compiled // rules that changed the record, counted as fired once
	for round := 0; ; round++ {
		for i, f := range settable {
			start[i] = merged[f]
		}
		e.Grading.Grade(t, env, merged, vals)
		for _, c := range rules {
			if !slices.ContainsFunc(c.r.Actions, func(a Action) bool { return a.fieldAction() }) {
				continue
			}
			if round == 0 && !c.triggered(old, merged) || round > 0 && !c.changedBy(delta) {
				continue
			}
			ok, err := cond.Eval(c.r.When, t, env, merged)
			if err != nil {
				continue // no longer fits the table; RuleProblem tells why
			}
			if !ok && !c.has(OnAlways) {
				continue
			}
			chain = append(chain, c.r.Name)
			for i := range c.r.Actions {
				did, err := e.fieldAction(ctx, tx, c, i, ok, merged, vals)
				if err != nil {
					return err
				}
				if did && !c.hasEffects() && !slices.Contains(acted, c) {
					acted = append(acted, c)
				}
			}
		}
		delta = delta[:0]
		for i, f := range settable {
			if !records.Equal(start[i], merged[f]) {
				delta = append(delta, f)
			}
		}
		if len(delta) == 0 {
			for _, c := range acted {
				if err := e.fired(ctx, tx, c, 1); err != nil {
					return err
				}
			}
			return nil
		}
		if round == MaxDepth {
			return problem.Invalid("rule_loop", "max", MaxDepth, "rules", strings.Join(chain, " → "))
		}
	}
}

// settable lists the fields a round of Before can change in a record of t: the graded ones
// and those the field actions of rules set.
func (e *Engine) settable(t *schema.Table, rules []*compiled) []string {
	var out []string
	for _, s := range e.Grading.Graded(t) {
		out = append(out, s.Field)
	}
	for _, c := range rules {
		for _, a := range c.r.Actions {
			if a.fieldAction() {
				out = append(out, a.Field)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// changedBy reports whether a change of the given fields fires c (later rounds of Before).
func (c *compiled) changedBy(fields []string) bool {
	for _, tr := range c.r.Triggers {
		if tr.On == OnAlways && !c.counts() || tr.On == OnChanged && slices.ContainsFunc(tr.Fields, func(f string) bool { return slices.Contains(fields, f) }) {
			return true
		}
	}
	return false
}

// fieldAction applies action i of c to a record about to be written. holds says whether the
// rule's condition holds (always-kept rules undo their tags when it does not).
func (e *Engine) fieldAction(ctx context.Context, tx *sql.Tx, c *compiled, i int, holds bool, merged, vals records.Record) (bool, error) {
	a := &c.r.Actions[i]
	var v any
	switch a.Type {
	case ActSet:
		if !holds {
			return false, nil
		}
		v = a.Value
		if fm := c.formulas[i]; fm != nil {
			out, err := fm.Eval(merged, e.formulaEnv())
			if err != nil {
				return false, e.actionProblem(c, i, err)
			}
			nv, p := c.fields[i].Normalize(out, e.Loc)
			if p != nil {
				return false, e.actionProblem(c, i, p)
			}
			v = nv
		}
	case ActAddTag, ActRemoveTag:
		list, _ := merged[a.Field].([]string)
		want := (a.Type == ActAddTag) == holds
		if slices.Contains(list, a.Tag) == want {
			return false, nil
		}
		if want {
			v = append(slices.Clone(list), a.Tag)
		} else {
			v = slices.DeleteFunc(slices.Clone(list), func(s string) bool { return s == a.Tag })
		}
	case ActAssign:
		if !holds || merged[a.Field] != nil && a.Field != schema.FieldOwner {
			return false, nil
		}
		u, err := e.pickUser(ctx, tx, c, i, merged)
		if err != nil || u == 0 {
			return false, err
		}
		v = u
	default:
		return false, nil
	}
	if records.Equal(merged[a.Field], v) {
		return false, nil
	}
	merged[a.Field], vals[a.Field] = v, v
	return true, nil
}

// actionProblem explains a failed action of a rule to the person whose write it stopped.
func (e *Engine) actionProblem(c *compiled, i int, err error) error {
	msg := err.Error()
	if p := problem.As(err); p != nil {
		msg = p.Message("zh")
	}
	return problem.Invalid("rule_failed", "name", c.r.Name, "reason", msg).At(fmt.Sprintf("actions[%d]", i))
}

// pickUser chooses the user an assign action gives the record to (0: none fits).
func (e *Engine) pickUser(ctx context.Context, tx *sql.Tx, c *compiled, i int, rec records.Record) (int64, error) {
	a := &c.r.Actions[i]
	switch a.Mode {
	case ByMap:
		key := fmt.Sprint(rec[a.By])
		if list, ok := rec[a.By].([]string); ok && len(list) > 0 {
			key = list[0]
		}
		return a.Map[key], nil
	case RoundRobin:
		var n int64
		err := tx.QueryRowContext(ctx, `INSERT INTO _sequences(key, value) VALUES(?, 1)
			ON CONFLICT(key) DO UPDATE SET value = _sequences.value + 1 RETURNING value`, "rr|"+c.r.ID+fmt.Sprint("|", i)).Scan(&n)
		if err != nil {
			return 0, err
		}
		return a.Users[(n-1)%int64(len(a.Users))], nil
	case LeastBusy:
		// A batch's earlier updates are not in the table yet: what they gave counts too.
		tally, deferred := records.Pending(ctx)
		key := func(u int64) string { return fmt.Sprint(c.fields[i].ID, "|", u) }
		best, fewest := int64(0), int64(-1)
		q := fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE %s = ?", quoteTable(c.t), quoteCol(c.fields[i]))
		for _, u := range a.Users {
			var n int64
			if err := tx.QueryRowContext(ctx, q, u).Scan(&n); err != nil {
				return 0, err
			}
			if n += tally[key(u)]; fewest < 0 || n < fewest {
				best, fewest = u, n
			}
		}
		if deferred && best != 0 {
			tally[key(best)]++
			if was, ok := rec[c.fields[i].ID].(int64); ok {
				tally[key(was)]--
			}
		}
		return best, nil
	}
	return 0, nil
}

// After keeps the tier history, re-counts always-kept rules over related records, and
// queues the side effects (create, notify) of the rules a write fired — durably, in the
// write's transaction, so they happen once it commits and survive a restart.
func (e *Engine) After(ctx context.Context, tx *sql.Tx, t *schema.Table, old, rec records.Record) error {
	return e.AfterBatch(ctx, tx, t, []records.Record{old}, []records.Record{rec})
}

// AfterBatch does After for many writes of t at once (olds[i] became recs[i]), set-wise: the
// always-kept rules that count are re-applied to all the records in one statement each, and
// to all the related records they point at in another.
func (e *Engine) AfterBatch(ctx context.Context, tx *sql.Tx, t *schema.Table, olds, recs []records.Record) error {
	var written []records.Record
	for i, rec := range recs {
		if rec == nil {
			continue
		}
		if err := e.Grading.History(ctx, tx, t, olds[i], rec); err != nil {
			return err
		}
		written = append(written, rec)
	}
	for _, c := range e.active(t) {
		if c.counts() && c.has(OnAlways) && len(written) > 0 {
			ids := make([]int64, len(written))
			for i, rec := range written {
				ids[i] = rec.ID()
			}
			_, changes, err := e.keep(ctx, tx, c, byIDs(ids))
			if err != nil {
				return err
			}
			if changes == 0 { // the records are as written
				continue
			}
			if err := e.refresh(ctx, tx, t, written, c); err != nil {
				return err
			}
		}
	}
	for _, c := range e.relatedTo(t) {
		var ids []int64
		for _, r := range slices.Concat(olds, recs) {
			if id, ok := r[c.r.Related.Link].(int64); ok && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		if len(ids) > 0 {
			if err := e.lockRows(ctx, tx, c.t, ids); err != nil {
				return err
			}
			if _, _, err := e.keep(ctx, tx, c, byIDs(ids)); err != nil {
				return err
			}
		}
	}
	for i, rec := range recs {
		old, now := olds[i], rec
		if now == nil {
			now = old
		}
		for _, c := range e.active(t) {
			if !slices.ContainsFunc(c.r.Actions, func(a Action) bool { return !a.fieldAction() }) || !c.triggered(old, rec) {
				continue
			}
			if ok, err := cond.Eval(c.r.When, t, e.env(), now); err != nil || !ok {
				continue
			}
			if err := e.enqueue(ctx, tx, c, now, depthOf(ctx)); err != nil {
				return err
			}
			if err := e.fired(ctx, tx, c, 1); err != nil {
				return err
			}
		}
	}
	return nil
}

// EventsArrived re-applies the always-kept rules of t that count events to the records
// whose events were just stored in tx, set-wise, in that transaction: counted(ev) lists the
// records that got events the condition ev may count (its name, its property's value).
func (e *Engine) EventsArrived(ctx context.Context, tx *sql.Tx, t *schema.Table, counted func(ev *Events) []int64) error {
	for _, c := range e.active(t) {
		if c.r.Events == nil || !c.has(OnAlways) {
			continue
		}
		for chunk := range slices.Chunk(counted(c.r.Events), 500) {
			if err := e.lockRows(ctx, tx, t, chunk); err != nil {
				return err
			}
			if _, _, err := e.keep(ctx, tx, c, byIDs(chunk)); err != nil {
				return err
			}
		}
	}
	return nil
}

// lockRows locks the records ids of t until tx ends, before a rule counts their related
// records: two writes of related records at once then count one after the other, each
// seeing the other's record (on PostgreSQL; SQLite's single writer needs no lock).
func (e *Engine) lockRows(ctx context.Context, tx *sql.Tx, t *schema.Table, ids []int64) error {
	lock := e.DB.Dialect.RowLock()
	if lock == "" {
		return nil
	}
	in := byIDs(ids)
	rows, err := tx.QueryContext(ctx, "SELECT id FROM "+quoteTable(t)+" WHERE "+in.where+" ORDER BY id"+lock, in.args...)
	if err != nil {
		return err
	}
	return rows.Close()
}

// refresh reads back the fields an always-kept rule changed by SQL in recs, so the caller
// sees them.
func (e *Engine) refresh(ctx context.Context, tx *sql.Tx, t *schema.Table, recs []records.Record, c *compiled) error {
	var fields []*schema.Field
	cols := []string{"id"}
	for _, f := range c.fields {
		if f != nil && !slices.Contains(fields, f) {
			fields, cols = append(fields, f), append(cols, quoteCol(f))
		}
	}
	if len(fields) == 0 {
		return nil
	}
	byID := make(map[int64]records.Record, len(recs))
	ids := make([]int64, len(recs))
	for i, rec := range recs {
		byID[rec.ID()], ids[i] = rec, rec.ID()
	}
	in := byIDs(ids)
	rows, err := tx.QueryContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+quoteTable(t)+" WHERE "+in.where, in.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	dest := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range dest {
		ptrs[i] = &dest[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		id, _ := dest[0].(int64)
		for i, f := range fields {
			byID[id][f.ID] = records.FromSQL(f, dest[1+i])
		}
	}
	return rows.Err()
}

func init() {
	problem.AddMessage("rule_failed", "规则「{name}」执行失败：{reason}", "the rule \"{name}\" failed: {reason}")
	problem.AddMessage("rule_not_unique", "规则「{name}」会让几条记录的「{field}」取同一个值，而「{field}」要求唯一：请让规则用公式给出各不相同的值，或在字段设置中取消「唯一」",
		"the rule \"{name}\" would give several records the same \"{field}\", which must be unique: have the rule compute a different value for each (a formula), or untick Unique in the field's settings")
}
