package rules

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
	"tierbase/engines/grading"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// MaxQueuedPerRun bounds the side effects one scheduled run queues (the first records, by id).
const MaxQueuedPerRun = 10000

func quoteTable(t *schema.Table) string { return store.Quote(t.SQLName()) }
func quoteCol(f *schema.Field) string   { return store.Quote(f.Column()) }

// among restricts a set-wise statement to some records of a table (nil: all of them).
type among struct {
	where string // SQL over the record's id, e.g. "id BETWEEN ? AND ?"
	args  []any
	few   bool // few records: count related records per record rather than in one GROUP BY
}

// byIDs restricts a statement to the given records (nil: all).
func byIDs(ids []int64) *among {
	if ids == nil {
		return nil
	}
	marks := strings.Repeat(",?", len(ids))[1:]
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return &among{where: "id IN (" + marks + ")", args: args, few: true}
}

// and is " AND (restriction)" with its arguments, or nothing for all records.
func (s *among) and() (string, []any) {
	if s == nil {
		return "", nil
	}
	return " AND (" + s.where + ")", s.args
}

// match is the SQL condition of the records c applies to: its condition and its counts of
// related records and of events (the restriction to sub is left to the caller).
func (e *Engine) match(c *compiled, sub *among) (string, []any, error) {
	w, args, err := cond.Compile(c.r.When, c.t, e.env())
	if err != nil {
		return "", nil, err
	}
	parts := []string{"(" + w + ")"}
	if rel := c.r.Related; rel != nil {
		rw, rargs, err := cond.Compile(rel.Where, c.related, e.env())
		if err != nil {
			return "", nil, err
		}
		parts = append(parts, counted(c.t, sub, quoteTable(c.related), quoteCol(c.related.Field(rel.Link)), rw, rel.Op, rel.Value))
		args = append(append(args, rargs...), rel.Value)
	}
	if ev := c.r.Events; ev != nil {
		since := e.Now().Add(-time.Duration(ev.Days) * 24 * time.Hour).UnixMilli()
		ew, eargs := "table_id = ? AND name = ? AND at >= ?", []any{c.t.ID, ev.Name, since}
		if ev.Property != "" {
			ew += " AND " + e.DB.Dialect.JSONText("props", ev.Property) + " = ?"
			eargs = append(eargs, ev.Equals)
		}
		parts = append(parts, counted(c.t, sub, "_events", "record_id", ew, ev.Op, ev.Value))
		args = append(append(args, eargs...), ev.Value)
	}
	return strings.Join(parts, " AND "), args, nil
}

// counted is the SQL condition that the rows of the table from whose column link points at
// the record and that match where number op ? (where's arguments, then the number). Over
// many records the count is one GROUP BY over from; for a few, an indexed count per record.
func counted(t *schema.Table, sub *among, from, link, where, op string, value float64) string {
	switch sqlOp := countOps[op]; {
	case sub != nil && sub.few:
		return fmt.Sprintf("(SELECT COUNT(*) FROM %s r WHERE r.%s = %s.id AND (%s)) %s ?", from, link, quoteTable(t), where, sqlOp)
	case countHolds(0, op, value): // records with none match too
		return fmt.Sprintf("id NOT IN (SELECT %s FROM %s WHERE %s IS NOT NULL AND (%s) GROUP BY 1 HAVING NOT (COUNT(*) %s ?))", link, from, link, where, sqlOp)
	default:
		return fmt.Sprintf("id IN (SELECT %s FROM %s WHERE %s IS NOT NULL AND (%s) GROUP BY 1 HAVING COUNT(*) %s ?)", link, from, link, where, sqlOp)
	}
}

// countHolds compares a count as a Related condition does.
func countHolds(n float64, op string, value float64) bool {
	switch op {
	case "gt":
		return n > value
	case "gte":
		return n >= value
	case "eq":
		return n == value
	case "lte":
		return n <= value
	}
	return n < value
}

// RunResult says what running a rule over a table did.
type RunResult struct {
	Matched int `json:"matched"`
	Changed int `json:"changed"`
	Queued  int `json:"queued"`
}

// RunRule runs a rule now over every record that matches it, set-wise: field actions as
// UPDATE statements (formulas and assignments record by record), side effects queued for
// the first MaxQueuedPerRun matching records. An always-kept rule also takes its tags off
// the records that no longer match.
func (e *Engine) RunRule(ctx context.Context, a access.Actor, ref string) (*RunResult, error) {
	r, err := e.Rule(ref)
	if err != nil {
		return nil, err
	}
	if err := e.mayManage(a, r.Table); err != nil {
		return nil, err
	}
	c, err := cloneRule(r).check(e.Catalog, e.userExists)
	if err != nil {
		return nil, err
	}
	var res *RunResult
	err = e.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err = e.runRule(ctx, tx, c)
		return err
	})
	failure := ""
	if err != nil {
		failure = err.Error()
	}
	e.setStatus(ctx, r.ID, true, failure)
	return res, err
}

// runRule runs a checked rule over its table inside tx (see RunRule).
func (e *Engine) runRule(ctx context.Context, tx *sql.Tx, c *compiled) (*RunResult, error) {
	res := &RunResult{}
	var err error
	if res.Matched, res.Changed, err = e.keep(ctx, tx, c, nil); err != nil {
		return res, err
	}
	res.Queued, err = e.queueMatches(ctx, tx, c, MaxQueuedPerRun)
	return res, err
}

// ruleMatch is the temporary table of the records keep (matchInto) last matched, and the
// statement creating it.
func (e *Engine) ruleMatch() (create, table string) {
	return e.DB.Dialect.TempTable("_rule_match", "id "+e.DB.Dialect.IntegerType()+" PRIMARY KEY")
}

// matched is the SQL condition "the record is in the set keep last computed".
func (e *Engine) matched() string {
	_, table := e.ruleMatch()
	return "id IN (SELECT id FROM " + table + ")"
}

// unmatched is its opposite over the rows of t, as an anti-join: PostgreSQL runs NOT IN over
// a set larger than its work_mem by scanning the set again for every row (minutes at 1M).
func (e *Engine) unmatched(t *schema.Table) string {
	_, table := e.ruleMatch()
	return "NOT EXISTS (SELECT 1 FROM " + table + " m WHERE m.id = " + quoteTable(t) + ".id)"
}

// keep finds the records c matches among sub (nil: all) — evaluating its condition and its
// count of related records once, into the temporary table _rule_match — and applies c's
// field actions to them set-wise; an always-kept rule also takes its tags off the records
// that no longer match. It returns how many records match and how many changes it made.
func (e *Engine) keep(ctx context.Context, tx *sql.Tx, c *compiled, sub *among) (int, int, error) {
	n, err := e.matchInto(ctx, tx, c, sub)
	if err != nil {
		return 0, 0, err
	}
	in, inArgs := sub.and()
	table := quoteTable(c.t)
	stamp := e.Now().UTC().Format(time.RFC3339)
	updated := store.Quote(schema.FieldUpdatedAt)
	matched, d := e.matched(), e.DB.Dialect
	total := 0
	// update sets f to newExpr where the condition holds, each change in the records' history.
	update := func(f *schema.Field, newExpr string, newArgs []any, where string, whereArgs []any) error {
		if err := records.LogUpdates(ctx, tx, c.t, f, newExpr, newArgs, where, whereArgs, c.r.Name, stamp); err != nil {
			return err
		}
		q := fmt.Sprintf("UPDATE %s SET %s = %s, %s = ? WHERE %s", table, quoteCol(f), newExpr, updated, where)
		res, err := tx.ExecContext(ctx, q, slices.Concat(newArgs, []any{stamp}, whereArgs)...)
		if _, dup := store.UniqueViolation(err); dup {
			return problem.New(409, "rule_not_unique", "name", c.r.Name, "field", f.Name).OnField(f.Name)
		}
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		total += int(n)
		return nil
	}
	for i := range c.r.Actions {
		a := &c.r.Actions[i]
		f := c.fields[i]
		if f == nil {
			continue
		}
		col := quoteCol(f)
		has := col + " IS NOT NULL AND " + d.ListHasAny(col, []string{"?"}, false)
		add, del := d.ListAdd(col, "?"), d.ListRemove(col, "?")
		value := "CAST(? AS " + f.Type.SQLType(d) + ")" // typed, as PostgreSQL's history (to_json) needs
		switch {
		case a.Type == ActSet && c.formulas[i] == nil:
			v := records.SQLValue(a.Value)
			if err := update(f, value, []any{v}, matched+" AND "+col+" IS DISTINCT FROM ?", []any{v}); err != nil {
				return 0, total, err
			}
		case a.Type == ActAddTag || a.Type == ActRemoveTag:
			on, off := add, del
			onWhere, offWhere := "NOT ("+has+")", has
			if a.Type == ActRemoveTag {
				on, off, onWhere, offWhere = del, add, has, "NOT ("+has+")"
			}
			tag := []any{a.Tag}
			if err := update(f, on, tag, matched+" AND "+onWhere, tag); err != nil {
				return 0, total, err
			}
			if c.has(OnAlways) { // the records that no longer match: tested for the tag first, which is cheap
				if err := update(f, off, tag, offWhere+" AND "+e.unmatched(c.t)+in, append([]any{a.Tag}, inArgs...)); err != nil {
					return 0, total, err
				}
			}
		default: // formulas and assignments: record by record
			err := e.eachMatch(ctx, tx, c, 0, -1, func(rec records.Record) error {
				vals := records.Record{}
				did, err := e.fieldAction(ctx, tx, c, i, true, rec, vals)
				if err != nil || !did {
					return err
				}
				return update(f, value, []any{records.SQLValue(vals[f.ID])}, "id = ?", []any{rec.ID()})
			})
			if err != nil {
				return 0, total, err
			}
		}
	}
	if !c.hasEffects() {
		if err := e.fired(ctx, tx, c, total); err != nil {
			return 0, total, err
		}
	}
	return int(n), total, nil
}

// matchInto puts the records c matches among sub (nil: all) into the table _rule_match, and
// returns how many.
func (e *Engine) matchInto(ctx context.Context, tx *sql.Tx, c *compiled, sub *among) (int, error) {
	w, args, err := e.match(c, sub)
	if err != nil {
		return 0, err
	}
	in, inArgs := sub.and()
	create, table := e.ruleMatch()
	for _, q := range []string{create, "DELETE FROM " + table} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return 0, err
		}
	}
	res, err := tx.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s SELECT id FROM %s WHERE %s%s", table, quoteTable(c.t), w, in), append(args, inArgs...)...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// queueMatches queues the side effects (create, notify) of c for the records keep last
// matched, at most limit; it returns how many.
func (e *Engine) queueMatches(ctx context.Context, tx *sql.Tx, c *compiled, limit int) (int, error) {
	if limit <= 0 || !slices.ContainsFunc(c.r.Actions, func(a Action) bool { return !a.fieldAction() }) {
		return 0, nil
	}
	n := 0
	err := e.eachMatch(ctx, tx, c, 0, limit, func(rec records.Record) error {
		n++
		return e.enqueue(ctx, tx, c, rec, 0)
	})
	if err != nil {
		return n, err
	}
	return n, e.fired(ctx, tx, c, n)
}

// eachMatch calls fn with each record keep last matched whose id is above after, in id
// order, at most limit (<0: all).
func (e *Engine) eachMatch(ctx context.Context, tx *sql.Tx, c *compiled, after int64, limit int, fn func(records.Record) error) error {
	fields := c.t.Fields
	cols := make([]string, len(fields))
	for i, f := range fields {
		cols[i] = quoteCol(f)
	}
	q := fmt.Sprintf("SELECT %s FROM %s WHERE %s AND id > ? ORDER BY id", strings.Join(cols, ", "), quoteTable(c.t), e.matched())
	if limit >= 0 { // no LIMIT for all: PostgreSQL refuses SQLite's LIMIT -1
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := tx.QueryContext(ctx, q, after)
	if err != nil {
		return err
	}
	var recs []records.Record
	for rows.Next() {
		raw := make([]any, len(fields))
		ptrs := make([]any, len(fields))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			rows.Close()
			return err
		}
		rec := make(records.Record, len(fields))
		for i, f := range fields {
			rec[f.ID] = records.FromSQL(f, raw[i])
		}
		recs = append(recs, rec)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, rec := range recs {
		if err := fn(rec); err != nil {
			return err
		}
	}
	return nil
}

// KeepAll applies every enabled always-kept rule to its whole table: part of the daily pass,
// so tags that depend on "today" come and go with no edit.
func (e *Engine) KeepAll(ctx context.Context) (int, error) {
	total := 0
	for _, r := range e.Rules() {
		if !r.Enabled || !slices.ContainsFunc(r.Triggers, func(t Trigger) bool { return t.On == OnAlways }) || e.RuleProblem(r) != nil {
			continue
		}
		res, err := e.RunRule(ctx, access.System, r.ID)
		if err != nil {
			return total, fmt.Errorf("规则「%s」: %w", r.Name, err)
		}
		total += res.Changed
	}
	return total, nil
}

// Change is how many records a field action would change, from a value to another.
type Change struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
	Count int    `json:"count"`
}

// RulePreview is what running a rule over its table now would do, without doing it.
type RulePreview struct {
	Matched     int              `json:"matched"`
	Effects     int              `json:"effects"`     // records whose side effects (create, notify) running it now would queue
	SideEffects []SideEffect     `json:"sideEffects"` // those side effects, counted by kind (and table)
	EffectsText string           `json:"effectsText"` // them in words: 将创建 12 条待办任务，发送 12 条通知
	Changes     []Change         `json:"changes"`
	Samples     []grading.Sample `json:"samples"`
	Text        string           `json:"text"`
}

// SideEffect counts the records a rule would create in one table ("create"), or the
// notifications it would send ("notify"), one per matched record and action.
type SideEffect struct {
	Kind      string `json:"kind"`
	Table     string `json:"table,omitempty"`     // create: the table's id
	TableName string `json:"tableName,omitempty"` // and its name
	Count     int    `json:"count"`
}

// sideEffects counts what c's create and notify actions would do for n matched records.
func sideEffects(c *compiled, cat *schema.Catalog, n int) []SideEffect {
	out := []SideEffect{}
	if n == 0 {
		return out
	}
	add := func(kind, table, name string) {
		for i := range out {
			if out[i].Kind == kind && out[i].Table == table {
				out[i].Count += n
				return
			}
		}
		out = append(out, SideEffect{Kind: kind, Table: table, TableName: name, Count: n})
	}
	for _, a := range c.r.Actions {
		switch a.Type {
		case ActCreate:
			name := a.Target
			if t, err := cat.Table(a.Target); err == nil {
				name = t.Name
			}
			add(ActCreate, a.Target, name)
		case ActNotify, ActRobot, ActStartFlow, ActWebhook:
			add(a.Type, "", "")
		}
	}
	return out
}

// effectsText says the side effects in words: 将创建 12 条待办任务，发送 12 条通知 /
// Will create 12 records in 待办任务, send 12 notifications ("" when there are none).
func effectsText(list []SideEffect, lang string) string {
	var parts []string
	for _, se := range list {
		switch {
		case se.Kind == ActCreate && lang == "en":
			parts = append(parts, fmt.Sprintf("create %d %s in %s", se.Count, plural(se.Count, "record", "records"), se.TableName))
		case se.Kind == ActCreate:
			parts = append(parts, fmt.Sprintf("创建 %d 条%s", se.Count, se.TableName))
		case se.Kind == ActStartFlow && lang == "en":
			parts = append(parts, fmt.Sprintf("start %d %s", se.Count, plural(se.Count, "flow", "flows")))
		case se.Kind == ActStartFlow:
			parts = append(parts, fmt.Sprintf("发起 %d 个流程", se.Count))
		case se.Kind == ActRobot && lang == "en":
			parts = append(parts, fmt.Sprintf("post %d %s to a group", se.Count, plural(se.Count, "message", "messages")))
		case se.Kind == ActWebhook && lang == "en":
			parts = append(parts, fmt.Sprintf("call a webhook %d %s", se.Count, plural(se.Count, "time", "times")))
		case se.Kind == ActWebhook:
			parts = append(parts, fmt.Sprintf("调用 %d 次 Webhook", se.Count))
		case se.Kind == ActRobot:
			parts = append(parts, fmt.Sprintf("向群里发送 %d 条消息", se.Count))
		case lang == "en":
			parts = append(parts, fmt.Sprintf("send %d %s", se.Count, plural(se.Count, "notification", "notifications")))
		default:
			parts = append(parts, fmt.Sprintf("发送 %d 条通知", se.Count))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	if lang == "en" {
		return "Will " + strings.Join(parts, ", ")
	}
	return "将" + strings.Join(parts, "，")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// valueText is a column's value raw as a preview shows it, the same on either database: ""
// for none, a number as Go writes it (12, not SQLite's 12.0 or NUMERIC's 12.50), a list as
// its JSON array.
func valueText(f *schema.Field, raw any) string {
	plain := *f
	plain.Sensitive = false // a sealed value stays sealed
	switch v := records.FromSQL(&plain, raw).(type) {
	case nil:
		return ""
	case string:
		return v
	case []string:
		b, _ := json.Marshal(v)
		return string(b)
	default:
		return fmt.Sprint(v)
	}
}

// PreviewRule counts the records a rule matches now and what its field actions would change
// on them (set to a value, tags added or removed), with a few examples. Nothing is written.
func (e *Engine) PreviewRule(ctx context.Context, a access.Actor, r *Rule, lang string) (*RulePreview, error) {
	if err := e.mayManage(a, r.Table); err != nil {
		return nil, err
	}
	if strings.TrimSpace(r.Name) == "" {
		c := *r
		c.Name, r = "preview", &c
	}
	c, err := r.check(e.Catalog, e.userExists)
	if err != nil {
		return nil, err
	}
	w, args, err := e.match(c, nil)
	if err != nil {
		return nil, err
	}
	// Counts, changes and samples cover only the records the actor may read: a designer who
	// reads some rows learns nothing of the others.
	scope, scopeArgs, err := access.ScopeSQL(a, c.t, access.Read, e.env())
	if err != nil {
		return nil, err
	}
	w, args = "("+w+") AND ("+scope+")", slices.Concat(args, scopeArgs)
	p := &RulePreview{Changes: []Change{}, Samples: []grading.Sample{}, Text: r.Describe(e.Catalog, lang)}
	table := quoteTable(c.t)
	if err := e.DB.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table+" WHERE "+w, args...).Scan(&p.Matched); err != nil {
		return nil, err
	}
	if c.hasEffects() {
		p.Effects = min(p.Matched, MaxQueuedPerRun)
	}
	p.SideEffects = sideEffects(c, e.Catalog, p.Effects)
	p.EffectsText = effectsText(p.SideEffects, lang)
	for i := range r.Actions {
		a, f := &r.Actions[i], c.fields[i]
		if f == nil {
			continue
		}
		col := quoteCol(f)
		has := "(" + col + " IS NOT NULL AND " + e.DB.Dialect.ListHasAny(col, []string{"?"}, false) + ")"
		var q string
		var qa []any
		switch {
		case a.Type == ActSet && c.formulas[i] == nil:
			v := records.SQLValue(a.Value)
			// Grouped by the value itself (12.5 and 12.50 are one NUMERIC), written as text in Go.
			q = fmt.Sprintf("SELECT %s, ?, COUNT(*) FROM %s WHERE %s AND %s IS DISTINCT FROM ? GROUP BY 1 ORDER BY 3 DESC LIMIT 20", col, table, w, col)
			qa = append(append([]any{fmt.Sprint(a.Value)}, args...), v)
		case a.Type == ActAddTag:
			q = fmt.Sprintf("SELECT '', ?, COUNT(*) FROM %s WHERE %s AND NOT %s", table, w, has)
			qa = append(append([]any{a.Tag}, args...), a.Tag)
		case a.Type == ActRemoveTag:
			q = fmt.Sprintf("SELECT ?, '', COUNT(*) FROM %s WHERE %s AND %s", table, w, has)
			qa = append(append([]any{a.Tag}, args...), a.Tag)
		default:
			continue
		}
		rows, err := e.DB.R.QueryContext(ctx, q, qa...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			ch := Change{Field: f.Name}
			var from any
			if err := rows.Scan(&from, &ch.To, &ch.Count); err != nil {
				rows.Close()
				return nil, err
			}
			ch.From = valueText(f, from)
			if ch.Count > 0 {
				p.Changes = append(p.Changes, ch)
			}
		}
		rows.Close()
	}
	// The samples are named only if the actor may see the title.
	rows, err := e.DB.R.QueryContext(ctx, fmt.Sprintf("SELECT id, COALESCE(CAST(%s AS TEXT), '') FROM %s WHERE %s LIMIT 5",
		access.TitleSQL(a, c.t), table, w), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var s grading.Sample
		if err := rows.Scan(&s.ID, &s.Title); err != nil {
			return nil, err
		}
		p.Samples = append(p.Samples, s)
	}
	return p, rows.Err()
}
