// Package events keeps what customers do elsewhere (客户行为事件): a page of the website
// viewed (浏览), a brochure downloaded, a sign-up — sent by other systems with an API token
// (POST /api/events), each linked to one record of the customer table by its key (客户编号,
// phone or email), stored append-only in _events, read as the record's timeline, and counted
// by rules (近7天 浏览 产品A ≥ 3 次 → 标签 产品A意向; package rules, Rule.Events).
package events

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
	"tierbase/core/schema"
	"tierbase/engines/rules"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

func init() {
	problem.AddMessage("event_key", "表「{table}」不能用「{key}」找客户：请用唯一字段、自动编号、手机或邮箱字段的名称，或 phone、email", "customers of \"{table}\" cannot be found by \"{key}\": use the name of a unique, auto-number, mobile or email field, or phone or email")
	problem.AddMessage("event_unknown", "找不到{key}为「{value}」的客户（或你无权修改它）", "no customer with {key} \"{value}\" (or you may not change it)")
	problem.AddMessage("event_ambiguous", "{key}为「{value}」的客户有 {count} 个，请改用唯一的字段（如客户编号）", "{count} customers have {key} \"{value}\"; use a unique field such as the customer number")
	problem.AddTerm("event", "行为事件", "event")
}

// DefaultTable is the customer table events go to when the request names none: the
// 客户 table of the 客户管理 template.
const DefaultTable = "客户"

// Service stores and reads the events.
type Service struct {
	DB      *store.DB
	Catalog *schema.Catalog
	Now     func() time.Time
	Loc     *time.Location // zone of relative dates in data scopes; nil: time.Local
	// Rules re-applies the rules counting events to the records that just got some they
	// count, inside the transaction storing them (nil: none).
	Rules *rules.Engine

	group store.Group[*request] // checked requests, stored together (see Add)
}

// New returns the events of db.
func New(db *store.DB, cat *schema.Catalog) *Service {
	s := &Service{DB: db, Catalog: cat, Now: time.Now}
	s.group = store.Group[*request]{DB: db, Write: s.write}
	return s
}

// Event is one stored event as a record's timeline shows it.
type Event struct {
	ID         int64           `json:"id"`
	Name       string          `json:"name"`
	Properties json.RawMessage `json:"properties"`
	Time       string          `json:"time"` // RFC 3339, UTC, with milliseconds
}

func (s *Service) env() cond.Env { return cond.Env{Now: s.Now(), Loc: s.Loc} }

// Add stores items (Decode's) as events of records of table (by id or name), all or none:
// each names a record the actor may change, found by its key, else the whole batch is
// refused with a 400 naming each bad item. The keys of a batch are looked up with one query
// per kind of key; the events are written with multi-row INSERTs, and the rules counting
// events are applied to their records, in one transaction — shared with the other requests
// being stored at the same time (store.Group): one multi-row INSERT and one pass of the
// counting rules for all of them, instead of a transaction and a pass each, is what lets
// events sent one at a time keep up. It returns how many were stored.
func (s *Service) Add(ctx context.Context, a access.Actor, table string, items []Item) (int, error) {
	t, err := s.Catalog.Table(table)
	if err != nil {
		return 0, err
	}
	if err := access.CanOn(a, t, access.Edit); err != nil {
		return 0, err
	}
	ids, err := s.resolve(ctx, a, t, items)
	if err != nil {
		return 0, err
	}
	if err := s.group.Do(&request{a: a, t: t, items: items, ids: ids}); err != nil {
		return 0, err
	}
	return len(items), nil
}

// request is one Add's events, checked and their records found, waiting to be stored.
type request struct {
	a     access.Actor
	t     *schema.Table
	items []Item
	ids   map[string]int64 // see resolve
}

// write inserts the events of the requests with multi-row INSERTs and applies the rules
// counting events to their records, table by table, inside tx.
func (s *Service) write(ctx context.Context, tx *sql.Tx, group []*request) error {
	var args []any
	rows := 0
	flush := func() error {
		if rows == 0 {
			return nil
		}
		q := "INSERT INTO _events(table_id, record_id, name, props, at, user_id) VALUES " + strings.Repeat(",(?,?,?,?,?,?)", rows)[1:]
		_, err := tx.ExecContext(ctx, q, args...)
		args, rows = args[:0], 0
		return err
	}
	var tables []*schema.Table
	for _, r := range group {
		if !slices.ContainsFunc(tables, func(t *schema.Table) bool { return t.ID == r.t.ID }) {
			tables = append(tables, r.t)
		}
		for _, it := range r.items {
			args = append(args, r.t.ID, r.ids[it.Key+"\x00"+it.Value], it.Name, it.Props, it.At.UnixMilli(), r.a.UserID)
			if rows++; rows == MaxBatch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if s.Rules == nil {
		return nil
	}
	for _, t := range tables {
		err := s.Rules.EventsArrived(ctx, tx, t, func(ev *rules.Events) []int64 {
			var out []int64
			for _, r := range group {
				if r.t.ID != t.ID {
					continue
				}
				for _, it := range r.items {
					if it.counts(ev) {
						out = append(out, r.ids[it.Key+"\x00"+it.Value])
					}
				}
			}
			slices.Sort(out)
			return slices.Compact(out)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// counts reports whether the rule condition ev may count the event: its name, and its
// property if ev names one (a value that is not text is left to SQL to compare).
func (it *Item) counts(ev *rules.Events) bool {
	if it.Name != ev.Name {
		return false
	}
	if ev.Property == "" {
		return true
	}
	var props map[string]any
	json.Unmarshal([]byte(it.Props), &props)
	v, ok := props[ev.Property]
	if s, text := v.(string); text {
		return s == ev.Equals
	}
	return ok && v != nil
}

// keyField is the field of t that key names: "phone" and "email" the first visible field of
// that type, any other a visible text, auto-number, mobile or email field by name or id that
// is unique (auto numbers are; mobile and email fields may be, see resolve's ambiguity).
func keyField(a access.Actor, t *schema.Table, key string) *schema.Field {
	fs := access.FieldsOf(a, t)
	switch key {
	case "phone", "email":
		typ := schema.Phone
		if key == "email" {
			typ = schema.Email
		}
		for _, f := range t.Fields {
			if f.Type == typ && fs.Visible(f.ID) {
				return f
			}
		}
		return nil
	}
	f := t.Field(key)
	if f == nil || !fs.Visible(f.ID) {
		return nil
	}
	switch f.Type {
	case schema.AutoNumber, schema.Phone, schema.Email:
		return f
	case schema.Text:
		if f.Unique {
			return f
		}
	}
	return nil
}

// lookupForm is the form a key's value is stored in: a phone's 11 digits (138 0013 8000 and
// +86 13800138000 alike), anything else as sent. A sensitive field's hash takes its own form.
func lookupForm(f *schema.Field, v string) string {
	if p, ok := schema.ParsePhone(v); ok && f.Type == schema.Phone {
		return p
	}
	return v
}

// resolve finds the record of each item's key (Key + "\x00" + Value → id) among those the
// actor may change: one query per kind of key in the batch.
func (s *Service) resolve(ctx context.Context, a access.Actor, t *schema.Table, items []Item) (map[string]int64, error) {
	var bad []*problem.Error
	fail := func(it Item, p *problem.Error) {
		bad = append(bad, p.At(strings.TrimPrefix(it.Path+".customer", ".")))
	}
	byKey := map[string][]string{} // key → its distinct values
	seen := map[string]bool{}
	fields := map[string]*schema.Field{}
	for _, it := range items {
		f, ok := fields[it.Key]
		if !ok {
			f = keyField(a, t, it.Key)
			fields[it.Key] = f
		}
		if f == nil {
			fail(it, problem.Invalid("event_key", "table", t.Name, "key", it.Key))
			continue
		}
		if k := it.Key + "\x00" + it.Value; !seen[k] {
			seen[k] = true
			byKey[it.Key] = append(byKey[it.Key], it.Value)
		}
	}
	if len(bad) > 0 {
		return nil, collect(bad)
	}
	scope, scopeArgs, err := access.ScopeSQL(a, t, access.Update, s.env())
	if err != nil {
		return nil, err
	}
	found := map[string][]int64{}
	for key, values := range byKey {
		f := fields[key]
		col := f.Column()
		// match is the stored form (or hash) → the value sent.
		match := map[string]string{}
		var args []any
		for _, v := range values {
			if f.Sensitive {
				for _, h := range f.Hashes(v) {
					match[string(h.([]byte))] = v
					args = append(args, h)
				}
				continue
			}
			form := lookupForm(f, v)
			match[form] = v
			args = append(args, form)
		}
		if f.Sensitive {
			col = f.HashColumn()
		}
		q := fmt.Sprintf("SELECT %s, id FROM %s WHERE %s IN (%s) AND (%s)", store.Quote(col), store.Quote(t.SQLName()),
			store.Quote(col), strings.Repeat(",?", len(args))[1:], scope)
		rows, err := s.DB.R.QueryContext(ctx, q, append(args, scopeArgs...)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var stored any
			var id int64
			if err := rows.Scan(&stored, &id); err != nil {
				rows.Close()
				return nil, err
			}
			var form string
			switch v := stored.(type) {
			case []byte:
				form = string(v)
			default:
				form = fmt.Sprint(v)
			}
			if v, ok := match[form]; ok {
				found[key+"\x00"+v] = append(found[key+"\x00"+v], id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	ids := map[string]int64{}
	for _, it := range items {
		k := it.Key + "\x00" + it.Value
		switch list := found[k]; len(list) {
		case 0:
			fail(it, problem.Invalid("event_unknown", "key", it.Key, "value", it.Value))
		case 1:
			ids[k] = list[0]
		default:
			fail(it, problem.Invalid("event_ambiguous", "key", it.Key, "value", it.Value, "count", len(list)))
		}
	}
	if len(bad) > 0 {
		return nil, collect(bad)
	}
	return ids, nil
}

// collect is one problem as itself, several as one validation_failed (at most 20 listed).
func collect(bad []*problem.Error) error {
	if len(bad) == 1 {
		return bad[0]
	}
	return problem.Collect(bad[:min(len(bad), 20)])
}

// Timeline returns the events of a record the actor may read, newest first, limit of them
// (at most 200) before the event before (0: from the newest).
func (s *Service) Timeline(ctx context.Context, a access.Actor, t *schema.Table, record, before int64, limit int) ([]Event, error) {
	if err := access.CanOn(a, t, access.View); err != nil {
		return nil, err
	}
	scope, args, err := access.ScopeSQL(a, t, access.Read, s.env())
	if err != nil {
		return nil, err
	}
	var n int
	q := fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE id = ? AND (%s)", store.Quote(t.SQLName()), scope)
	if err := s.DB.R.QueryRowContext(ctx, q, append([]any{record}, args...)...).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, problem.NotFound("record", fmt.Sprint(record))
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	q = "SELECT id, name, props, at FROM _events WHERE table_id = ? AND record_id = ?"
	qargs := []any{t.ID, record}
	if before > 0 {
		var at int64
		err := s.DB.R.QueryRowContext(ctx, "SELECT at FROM _events WHERE id = ? AND table_id = ? AND record_id = ?", before, t.ID, record).Scan(&at)
		if err == sql.ErrNoRows { // not an event of this record: nothing before it
			return []Event{}, nil
		}
		if err != nil {
			return nil, err
		}
		q += " AND (at < ? OR at = ? AND id < ?)"
		qargs = append(qargs, at, at, before)
	}
	q += fmt.Sprintf(" ORDER BY at DESC, id DESC LIMIT %d", limit)
	rows, err := s.DB.R.QueryContext(ctx, q, qargs...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		var e Event
		var props string
		var at int64
		if err := rows.Scan(&e.ID, &e.Name, &props, &at); err != nil {
			return nil, err
		}
		e.Properties = json.RawMessage(props)
		e.Time = time.UnixMilli(at).UTC().Format("2006-01-02T15:04:05.000Z07:00")
		out = append(out, e)
	}
	return out, rows.Err()
}
