package grading

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// The tier history (_tier_history) keeps every change of a graded field: who (which scheme),
// when, from what to what. It is written by History on each write and set-wise by regrades
// and imports.

// History keeps the tier history of the graded fields of a written record (old nil: created).
func (e *Engine) History(ctx context.Context, tx *sql.Tx, t *schema.Table, old, rec records.Record) error {
	for _, s := range e.Graded(t) {
		var before any
		if old != nil {
			before = old[s.Field]
		}
		if before == rec[s.Field] {
			continue
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO _tier_history(table_id, record_id, field, from_value, to_value, at, source)
			VALUES(?, ?, ?, ?, ?, ?, ?)`, t.ID, rec.ID(), s.Field, before, rec[s.Field], e.Now().UTC().Format(time.RFC3339), s.Name)
		if err != nil {
			return err
		}
	}
	return nil
}

// TierChange is one change of a graded field.
type TierChange struct {
	Field  string `json:"field"`
	From   string `json:"from"`
	To     string `json:"to"`
	At     string `json:"at"`
	Source string `json:"source"` // the scheme that made it
}

// TierHistory returns the grade changes of a record the actor may read, newest first, of the
// fields they may see on it.
func (e *Engine) TierHistory(ctx context.Context, a access.Actor, t *schema.Table, id int64) ([]TierChange, error) {
	rec, err := e.Records.Get(ctx, a, t, id)
	if err != nil {
		return nil, err
	}
	rows, err := e.DB.R.QueryContext(ctx, `SELECT field, COALESCE(from_value, ''), COALESCE(to_value, ''), at, source
		FROM _tier_history WHERE table_id = ? AND record_id = ? ORDER BY id DESC`, t.ID, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []TierChange{}
	for rows.Next() {
		var c TierChange
		if err := rows.Scan(&c.Field, &c.From, &c.To, &c.At, &c.Source); err != nil {
			return nil, err
		}
		if _, seen := rec[c.Field]; !seen {
			continue
		}
		if f := t.Field(c.Field); f != nil {
			c.Field = f.Name
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Migration counts, per month, the records that moved from one grade of field to another.
type Migration struct {
	Month string `json:"month"` // 2026-11
	From  string `json:"from"`
	To    string `json:"to"`
	Count int    `json:"count"`
}

// Migrations returns the month-by-month grade moves of a field ("" is no grade), for charts.
func (e *Engine) Migrations(ctx context.Context, a access.Actor, t *schema.Table, field string) ([]Migration, error) {
	if err := e.mayManage(a, t.ID); err != nil {
		return nil, err
	}
	f := t.Field(field)
	if f == nil {
		return nil, problem.Invalid("unknown_field", "table", t.Name, "name", field).At("field")
	}
	if !access.FieldsOf(a, t).Visible(f.ID) {
		return nil, problem.New(403, "field_hidden", "name", f.Name).At("field")
	}
	scope, args, err := access.ScopeSQL(a, t, access.Read, e.env())
	if err != nil {
		return nil, err
	}
	rows, err := e.DB.R.QueryContext(ctx, `SELECT substr(at, 1, 7), COALESCE(from_value, ''), COALESCE(to_value, ''), COUNT(*)
		FROM _tier_history WHERE table_id = ? AND field = ? AND record_id IN (SELECT id FROM `+store.Quote(t.SQLName())+` WHERE `+scope+`)
		GROUP BY 1, 2, 3 ORDER BY 1, 4 DESC`, append([]any{t.ID, f.ID}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Migration{}
	for rows.Next() {
		var m Migration
		if err := rows.Scan(&m.Month, &m.From, &m.To, &m.Count); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// RecordHistory is a record's history (records.History) with each grade change of its tier
// history as an entry of its own, made by the grading scheme (Via kind "scheme"): on
// creation, on each write, and by regrades (a scheme's first save, "run now", the daily
// pass) and imports. A grade change that the write's own entry also lists is shown in the
// scheme's entry only.
func (e *Engine) RecordHistory(ctx context.Context, a access.Actor, t *schema.Table, id int64) ([]records.Entry, error) {
	entries, err := e.Records.History(ctx, a, t, id)
	if err != nil {
		return nil, err
	}
	rows, err := e.DB.R.QueryContext(ctx, `SELECT id, field, from_value, to_value, at, source
		FROM _tier_history WHERE record_id = ? AND table_id = ? ORDER BY id DESC`, id, t.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	fs := access.FieldsOf(a, t)
	var graded []records.Entry
	for rows.Next() {
		var hid int64
		var field, at, source string
		var from, to sql.NullString
		if err := rows.Scan(&hid, &field, &from, &to, &at, &source); err != nil {
			return nil, err
		}
		f := t.Field(field)
		if f == nil || !fs.Visible(f.ID) {
			continue
		}
		ch := records.Change{Field: f.ID, Name: f.Name, Before: nullable(from), After: nullable(to)}
		graded = append(graded, records.Entry{ID: -(1<<40 + hid), Action: "update", At: at,
			Via: &records.Via{Kind: "scheme", Name: source}, Changes: []records.Change{ch}})
		for i := range entries { // the write that made the change lists it too
			w := &entries[i]
			if w.At == at && w.Via == nil && w.Action != "delete" {
				w.Changes = slices.DeleteFunc(w.Changes, func(c records.Change) bool { return c.Field == f.ID && c.After == ch.After })
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(graded) == 0 {
		return entries, nil
	}
	// Newest first; a grade change comes just after (above) the write it followed.
	out := append(graded, entries...)
	slices.SortStableFunc(out, func(x, y records.Entry) int { return strings.Compare(y.At, x.At) })
	return out, nil
}

func nullable(s sql.NullString) any {
	if !s.Valid {
		return nil
	}
	return s.String
}
