package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"tierbase/core/access"
	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// The record actions, as _oplog keeps them.
const (
	Created = "create"
	Updated = "update"
	Deleted = "delete"
)

// TableDeleted is the event of a deleted table; its detail keeps the table's name and its
// fields' names (TableNames), so the log names what the table's entries changed after it is gone.
const TableDeleted = "table_delete"

// ruleNote is the pseudo-field naming the rule in a record change a rule made (records.RuleNote).
const ruleNote = "_rule"

// formNote is the pseudo-field naming the public form a record was submitted through
// (records.FormNote).
const formNote = "_form"

// flowNote is the pseudo-field naming the flow whose 数据操作 node made a record change
// (records.FlowNote).
const flowNote = "_flow"

// Log reads the operation log: the record changes in _oplog and the events in _audit.
type Log struct {
	DB      *store.DB
	Catalog *schema.Catalog
	Now     func() time.Time // injectable clock: when an export of the log happened
}

// Query chooses entries of the log. Zero values choose everything.
type Query struct {
	UserID int64     // who did it (0: anyone)
	Table  string    // the table, by id or name
	Action string    // Created, Updated, Deleted, or an event's action
	From   time.Time // at or after
	To     time.Time // before
	Cursor string    // where the previous page ended (its Next)
	Limit  int       // entries per page: 50 when 0, at most 1000
}

// Entry is one line of the operation log.
type Entry struct {
	ID        string         `json:"id"` // "r" + the _oplog id, or "e" + the _audit id
	At        string         `json:"at"`
	UserID    int64          `json:"userId"`
	UserName  string         `json:"userName"` // "" for the system or an unknown person
	Action    string         `json:"action"`
	TableID   string         `json:"tableId,omitempty"`
	TableName string         `json:"tableName,omitempty"` // the table's name, or its last name when deleted
	Exists    bool           `json:"tableExists"`         // the table still exists (the record may be opened)
	RecordID  int64          `json:"recordId,omitempty"`
	Rule      string         `json:"rule,omitempty"`    // the rule that made a record change
	Form      string         `json:"form,omitempty"`    // the public form a record was submitted through
	Flow      string         `json:"flow,omitempty"`    // the flow whose 数据操作 node made a record change
	Changes   []Change       `json:"changes,omitempty"` // a record change's fields, before → after
	Detail    map[string]any `json:"detail,omitempty"`  // an event's detail
	Client    string         `json:"client,omitempty"`
}

// Change is one field's value before and after a record change.
type Change struct {
	Field  string `json:"field"`
	Name   string `json:"name"`
	Before any    `json:"before"`
	After  any    `json:"after"`
	// A change to a row of 子表单 Field, as records.Change has it.
	Row     int    `json:"row,omitempty"`
	Sub     string `json:"sub,omitempty"`
	SubName string `json:"subName,omitempty"`
	RowOp   string `json:"rowOp,omitempty"`
}

// TableNames is the detail of a TableDeleted event: the table's name and its fields' names by id.
func TableNames(t *schema.Table) map[string]any {
	fields := map[string]string{}
	for _, f := range t.Fields {
		fields[f.ID] = f.Name
	}
	return map[string]any{"table": t.Name, "fields": fields}
}

// maxLimit bounds a page.
const maxLimit = 1000

// cursor is where a page ended in each source: the next page reads ids below these.
type cursor struct{ oplog, events int64 }

func parseCursor(s string) (cursor, error) {
	c := cursor{1<<63 - 1, 1<<63 - 1}
	if s == "" {
		return c, nil
	}
	a, b, ok := strings.Cut(s, ".")
	var err1, err2 error
	c.oplog, err1 = strconv.ParseInt(a, 10, 64)
	c.events, err2 = strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil || c.oplog < 0 || c.events < 0 {
		return c, problem.Invalid("bad_param", "param", "cursor", "reason", "param_cursor")
	}
	return c, nil
}

func (c cursor) String() string { return fmt.Sprintf("%d.%d", c.oplog, c.events) }

// List returns a page of the log, newest first, and the cursor of the next page ("" after
// the last). Only people who manage users (admins) may read it. Each source is read by its
// ids downwards from the cursor, so pages neither repeat nor skip an entry however many
// are written meanwhile.
func (l *Log) List(ctx context.Context, a access.Actor, q Query) ([]Entry, string, error) {
	if err := access.Can(a, access.ManageUsers); err != nil {
		return nil, "", err
	}
	c, err := parseCursor(q.Cursor)
	if err != nil {
		return nil, "", err
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Limit = min(q.Limit, maxLimit)
	q.Table = l.tableID(q.Table)
	var ops, events []Entry
	if q.Action == "" || isRecordAction(q.Action) {
		if ops, err = l.oplog(ctx, q, c.oplog); err != nil {
			return nil, "", err
		}
	}
	if !isRecordAction(q.Action) {
		if events, err = l.events(ctx, q, c.events); err != nil {
			return nil, "", err
		}
	}
	page := make([]Entry, 0, min(q.Limit, len(ops)+len(events)))
	i, j := 0, 0
	for len(page) < q.Limit && (i < len(ops) || j < len(events)) {
		if j == len(events) || i < len(ops) && ops[i].At >= events[j].At {
			c.oplog, _ = strconv.ParseInt(ops[i].ID[1:], 10, 64)
			page = append(page, ops[i])
			i++
		} else {
			c.events, _ = strconv.ParseInt(events[j].ID[1:], 10, 64)
			page = append(page, events[j])
			j++
		}
	}
	next := ""
	if i < len(ops) || j < len(events) {
		next = c.String()
	}
	return page, next, l.name(ctx, page)
}

// tableID is the id of the table ref names; a deleted table is found by its id only.
func (l *Log) tableID(ref string) string {
	if t, err := l.Catalog.Table(ref); ref != "" && err == nil {
		return t.ID
	}
	return ref
}

func isRecordAction(a string) bool { return a == Created || a == Updated || a == Deleted }

// filter is the WHERE clause of q over one source, below id before.
func filter(q Query, before int64) (string, []any) {
	where, args := []string{"id < ?"}, []any{before}
	if q.UserID != 0 {
		where, args = append(where, "user_id = ?"), append(args, q.UserID)
	}
	if q.Table != "" {
		where, args = append(where, "table_id = ?"), append(args, q.Table)
	}
	if q.Action != "" {
		where, args = append(where, "action = ?"), append(args, q.Action)
	}
	if !q.From.IsZero() {
		where, args = append(where, "at >= ?"), append(args, q.From.UTC().Format(time.RFC3339))
	}
	if !q.To.IsZero() {
		where, args = append(where, "at < ?"), append(args, q.To.UTC().Format(time.RFC3339))
	}
	return strings.Join(where, " AND "), args
}

// oplog reads up to q.Limit+1 record changes below id before.
func (l *Log) oplog(ctx context.Context, q Query, before int64) ([]Entry, error) {
	where, args := filter(q, before)
	rows, err := l.DB.R.QueryContext(ctx, `SELECT id, at, user_id, action, table_id, record_id, changes FROM _oplog
		WHERE `+where+` ORDER BY id DESC LIMIT ?`, append(args, q.Limit+1)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var id int64
		var raw string
		if err := rows.Scan(&id, &e.At, &e.UserID, &e.Action, &e.TableID, &e.RecordID, &raw); err != nil {
			return nil, err
		}
		e.ID = "r" + strconv.FormatInt(id, 10)
		var cs []struct {
			F string `json:"f"`
			B any    `json:"b"`
			A any    `json:"a"`
			R int    `json:"r"`
			S string `json:"s"`
			O string `json:"o"`
		}
		if err := json.Unmarshal([]byte(raw), &cs); err != nil {
			return nil, err
		}
		t, _ := l.Catalog.Table(e.TableID)
		for _, c := range cs {
			if c.F == ruleNote {
				e.Rule, _ = c.A.(string)
				continue
			}
			if c.F == formNote {
				e.Form, _ = c.A.(string)
				continue
			}
			if c.F == flowNote {
				e.Flow, _ = c.A.(string)
				continue
			}
			if f := fieldOf(t, c.F); f != nil && f.Sensitive { // the log is for admins: shown in full
				c.B, c.A = f.Unseal(c.B), f.Unseal(c.A)
			}
			e.Changes = append(e.Changes, Change{Field: c.F, Before: c.B, After: c.A, Row: c.R, Sub: c.S, RowOp: c.O})
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// events reads up to q.Limit+1 events below id before.
func (l *Log) events(ctx context.Context, q Query, before int64) ([]Entry, error) {
	where, args := filter(q, before)
	rows, err := l.DB.R.QueryContext(ctx, `SELECT id, at, user_id, action, table_id, record_id, detail, client FROM _audit
		WHERE `+where+` ORDER BY id DESC LIMIT ?`, append(args, q.Limit+1)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var id int64
		var raw string
		if err := rows.Scan(&id, &e.At, &e.UserID, &e.Action, &e.TableID, &e.RecordID, &raw, &e.Client); err != nil {
			return nil, err
		}
		e.ID = "e" + strconv.FormatInt(id, 10)
		if err := json.Unmarshal([]byte(raw), &e.Detail); err != nil {
			return nil, err
		}
		if len(e.Detail) == 0 {
			e.Detail = nil
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// name fills in the names of the page's people, tables and fields; a deleted table's come
// from its TableDeleted event.
func (l *Log) name(ctx context.Context, page []Entry) error {
	people := map[int64]string{}
	gone := map[string]*droppedTable{}
	for _, e := range page {
		if e.UserID != 0 {
			people[e.UserID] = ""
		}
		if _, err := l.Catalog.Table(e.TableID); e.TableID != "" && err != nil {
			gone[e.TableID] = nil
		}
	}
	if err := l.userNames(ctx, people); err != nil {
		return err
	}
	for id := range gone {
		d, err := l.deletedTable(ctx, id)
		if err != nil {
			return err
		}
		gone[id] = d
	}
	for i := range page {
		e := &page[i]
		e.UserName = people[e.UserID]
		if e.TableID == "" {
			continue
		}
		fieldName := func(id string) string { return id }
		var parent *schema.Table // the table, while it exists
		if t, err := l.Catalog.Table(e.TableID); err == nil {
			parent = t
			e.TableName, e.Exists = t.Name, true
			fieldName = func(id string) string {
				if f := t.Field(id); f != nil {
					return f.Name
				}
				return id
			}
		} else if d := gone[e.TableID]; d == nil {
			e.TableName = e.TableID // deleted before deletions were logged
		} else {
			e.TableName = d.Table
			fieldName = func(id string) string {
				if n, ok := d.Fields[id]; ok {
					return n
				}
				return id
			}
		}
		for k := range e.Changes {
			c := &e.Changes[k]
			c.Name = fieldName(c.Field)
			if c.Sub != "" {
				c.SubName = c.Sub
				if f := fieldOf(parent, c.Field); f != nil {
					if rows, err := l.Catalog.Table(f.LinkTable); err == nil && rows.Field(c.Sub) != nil {
						c.SubName = rows.Field(c.Sub).Name
					}
				}
			}
		}
	}
	return nil
}

func (l *Log) userNames(ctx context.Context, people map[int64]string) error {
	if len(people) == 0 {
		return nil
	}
	ids := make([]any, 0, len(people))
	for id := range people {
		ids = append(ids, id)
	}
	rows, err := l.DB.R.QueryContext(ctx, "SELECT id, name FROM _users WHERE id IN (?"+strings.Repeat(",?", len(ids)-1)+")", ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return err
		}
		people[id] = name
	}
	return rows.Err()
}

// droppedTable is the detail of a TableDeleted event.
type droppedTable struct {
	Table  string            `json:"table"`
	Fields map[string]string `json:"fields"`
}

// deletedTable returns the names a deleted table had, or nil if its deletion is not logged.
func (l *Log) deletedTable(ctx context.Context, id string) (*droppedTable, error) {
	var raw string
	err := l.DB.R.QueryRowContext(ctx, "SELECT detail FROM _audit WHERE action = ? AND table_id = ? ORDER BY id DESC LIMIT 1",
		TableDeleted, id).Scan(&raw)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var d droppedTable
	return &d, json.Unmarshal([]byte(raw), &d)
}

func init() {
	problem.AddMessage("param_cursor", "不是上一页给出的 next 值，请从第一页重新开始", "not a next value from a previous page; start again from the first page")
}

// fieldOf is t's field id, or nil when the table or the field is gone.
func fieldOf(t *schema.Table, id string) *schema.Field {
	if t == nil {
		return nil
	}
	return t.Field(id)
}
