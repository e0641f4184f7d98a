package records

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"tierbase/core/access"
	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

type logEntry struct {
	recordID int64
	action   string
	changes  []change
}

// logInsert adds one entry to the operation log (more with more VALUES).
const logInsert = "INSERT INTO _oplog(table_id, record_id, action, user_id, at, changes) VALUES(?,?,?,?,?,?)"

// writeLog adds logs to the operation log: up to 500 entries a statement.
func writeLog(ctx context.Context, tx *sql.Tx, t *schema.Table, logs []logEntry, a access.Actor, stamp string) error {
	for chunk := range slices.Chunk(logs, 500) {
		args := make([]any, 0, 6*len(chunk))
		for _, l := range chunk {
			args = append(args, t.ID, l.recordID, l.action, a.UserID, stamp, logJSON(t, l.changes))
		}
		if _, err := tx.ExecContext(ctx, logInsert+strings.Repeat(",(?,?,?,?,?,?)", len(chunk)-1), args...); err != nil {
			return err
		}
	}
	return nil
}

// logJSON is the changes of a history entry as _oplog keeps them (as encoding/json writes
// them): 敏感 values sealed.
func logJSON(t *schema.Table, changes []change) string {
	sealLog(t, changes)
	b := make([]byte, 0, 64*len(changes)+2)
	b = append(b, '[')
	for i, c := range changes {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"f":`...)
		b = store.AppendJSONString(b, c.Field)
		b = append(b, `,"b":`...)
		b = store.AppendJSON(b, c.Before)
		b = append(b, `,"a":`...)
		b = store.AppendJSON(b, c.After)
		if c.Row != 0 {
			b = append(b, `,"r":`...)
			b = strconv.AppendInt(b, int64(c.Row), 10)
		}
		if c.Sub != "" {
			b = append(b, `,"s":`...)
			b = store.AppendJSONString(b, c.Sub)
		}
		if c.Op != "" {
			b = append(b, `,"o":`...)
			b = store.AppendJSONString(b, c.Op)
		}
		b = append(b, '}')
	}
	return string(append(b, ']'))
}

// ImportNote is the pseudo-field of the history entry of an imported record: its value is
// the file the record came from.
const ImportNote = "_import"

// RuleNote is the pseudo-field of a history entry written by a rule run over a whole table:
// its value is the rule's name.
const RuleNote = "_rule"

// FormNote is the pseudo-field of the history entry of a record submitted through a public
// form (线索收集表单): its value is the form's title. Such records keep no 创建人.
const FormNote = "_form"

// FlowNote is the pseudo-field of a history entry written by a flow's 数据操作 node: its
// value is the flow's name.
const FlowNote = "_flow"

// SystemUser is the 创建人 (created_by) of the records a rule or a flow creates: not a
// person, so the UI shows it as 系统 and the record's history names the rule or flow. Filters
// find them with 创建人 = 0; records made by the system otherwise (templates, the CLI) keep no
// 创建人.
const SystemUser int64 = 0

// notes are the pseudo-fields naming what wrote an entry for the system, with the Via kind
// and the name the history shows for each.
var notes = map[string]struct{ kind, name string }{
	RuleNote: {"rule", "规则"},
	FormNote: {"form", "公开表单"},
	FlowNote: {"flow", "流程"},
}

type viaKey struct{}

// via is what the writes of a context are made by: a pseudo-field of notes and its value.
type via struct{ note, name string }

// ForRule marks the writes made with ctx as done by the named rule: records they create get
// SystemUser as 创建人 and a history entry naming the rule (RuleNote).
func ForRule(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, viaKey{}, via{RuleNote, name})
}

// ForForm marks the writes made with ctx as submitted through the public form titled title:
// the history of the records they create names the form (FormNote).
func ForForm(ctx context.Context, title string) context.Context {
	return context.WithValue(ctx, viaKey{}, via{FormNote, title})
}

// ForFlow marks the writes made with ctx as done by the named flow (its 数据操作 nodes, run
// as the system): records they create get SystemUser as 创建人, and the history entries of
// what they create and change name the flow (FlowNote).
func ForFlow(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, viaKey{}, via{FlowNote, name})
}

func viaOf(ctx context.Context) via {
	v, _ := ctx.Value(viaKey{}).(via)
	return v
}

// LogUpdates writes, set-wise, one history entry per record an UPDATE is about to change: on
// the records where (with whereArgs) field f goes from its value to newExpr (an SQL
// expression over the row, with newArgs). by names the rule. Call it just before the UPDATE.
func LogUpdates(ctx context.Context, tx *sql.Tx, t *schema.Table, f *schema.Field, newExpr string, newArgs []any,
	where string, whereArgs []any, by, stamp string) error {
	col, d := store.Quote(f.Column()), t.Dialect
	changes := d.JSONArray(
		d.JSONObject("'f'", "CAST(? AS TEXT)", "'b'", jsonValue(d, f, col), "'a'", jsonValue(d, f, "("+newExpr+")")),
		d.JSONObject("'f'", "CAST(? AS TEXT)", "'a'", "CAST(? AS TEXT)"))
	q := fmt.Sprintf(`INSERT INTO _oplog(table_id, record_id, action, user_id, at, changes)
		SELECT ?, id, 'update', 0, ?, %s
		FROM %s WHERE %s`, changes, store.Quote(t.SQLName()), where)
	args := append(append([]any{t.ID, stamp, f.ID}, newArgs...), RuleNote, by)
	_, err := tx.ExecContext(ctx, q, append(args, whereArgs...)...)
	return err
}

// subName is the name of field sub of 子表单 f's rows, or sub itself when either is gone.
func (s *Service) subName(f *schema.Field, sub string) string {
	if f == nil {
		return sub
	}
	c, err := s.Catalog.Table(f.LinkTable)
	if err != nil || c.Field(sub) == nil {
		return sub
	}
	return c.Field(sub).Name
}

// jsonValue is the SQL expression of a column value as the history keeps it (see FromSQL).
func jsonValue(d store.Dialect, f *schema.Field, x string) string {
	switch {
	case f.Type.IsList():
		return d.AsJSON(x)
	case f.Type == schema.Checkbox:
		// x once, as its arguments are bound once; NULL matches neither branch.
		return "CASE " + x + " <> 0 WHEN true THEN " + d.AsJSON("'true'") + " WHEN false THEN " + d.AsJSON("'false'") + " END"
	}
	return x
}

// Change is one field's value before and after, as the history shows it.
type Change struct {
	Field  string `json:"field"`
	Name   string `json:"name"`
	Before any    `json:"before"`
	After  any    `json:"after"`
	// A change to a row of 子表单 Field: the row's position (1-based), the sub-field's id and
	// name, and "added" or "deleted" when the row came or went.
	Row     int    `json:"row,omitempty"`
	Sub     string `json:"sub,omitempty"`
	SubName string `json:"subName,omitempty"`
	RowOp   string `json:"rowOp,omitempty"`
}

// Entry is one operation on a record: who, when, what.
type Entry struct {
	ID      int64    `json:"id"`
	Action  string   `json:"action"` // create, update, delete
	At      string   `json:"at"`
	UserID  int64    `json:"userId"`
	Via     *Via     `json:"via,omitempty"` // the rule, grading scheme, form or flow that made it, for the system
	Changes []Change `json:"changes"`
}

// Via names what acted for the system: a rule ("rule"), a grading scheme ("scheme"), a
// public form ("form") or a flow ("flow").
type Via struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// History returns the operation log of a record, newest first, without the changes of fields
// the actor may not see on it. Members see the history of records they may read; the history
// of a deleted record needs the SeeDeleted permission.
func (s *Service) History(ctx context.Context, a access.Actor, t *schema.Table, id int64) ([]Entry, error) {
	rec, err := s.Get(ctx, a, t, id)
	if err != nil && (problem.As(err) == nil || access.Can(a, access.SeeDeleted) != nil) {
		return nil, err
	}
	fs := access.FieldsOf(a, t)
	shown := func(field string) bool {
		_, onRecord := rec[field]
		return fs.Visible(field) || fs.Partial[field] && onRecord
	}
	rows, err := s.DB.R.QueryContext(ctx, "SELECT id, action, at, user_id, changes FROM _oplog WHERE table_id = ? AND record_id = ? ORDER BY id DESC", t.ID, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		var e Entry
		var raw string
		if err := rows.Scan(&e.ID, &e.Action, &e.At, &e.UserID, &raw); err != nil {
			return nil, err
		}
		var cs []change
		if err := json.Unmarshal([]byte(raw), &cs); err != nil {
			return nil, err
		}
		e.Changes = make([]Change, 0, len(cs))
		for _, c := range cs {
			if !shown(c.Field) {
				continue
			}
			name := c.Field
			ch := Change{Field: c.Field, Before: c.Before, After: c.After, Row: c.Row, Sub: c.Sub, RowOp: c.Op}
			if c.Sub != "" {
				ch.SubName = s.subName(t.Field(c.Field), c.Sub)
			}
			if f := t.Field(c.Field); f != nil {
				name = f.Name
				openLog(f, fs, &ch)
			} else if n, ok := notes[c.Field]; ok {
				name = n.name
				if by, ok := c.After.(string); ok {
					e.Via = &Via{Kind: n.kind, Name: by}
				}
			}
			ch.Name = name
			e.Changes = append(e.Changes, ch)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	imported, err := s.importEntry(ctx, t, id)
	if err != nil {
		return nil, err
	}
	if imported != nil {
		out = append(out, *imported)
	}
	if len(out) == 0 {
		return nil, problem.NotFound("record", "")
	}
	return out, nil
}

// importEntry returns the creation of a record by an import, or nil if no import made it.
func (s *Service) importEntry(ctx context.Context, t *schema.Table, id int64) (*Entry, error) {
	var e Entry
	var file string
	err := s.DB.R.QueryRowContext(ctx, `SELECT id, at, user_id, file FROM _imports
		WHERE table_id = ? AND first_id <= ? AND last_id >= ? ORDER BY id DESC LIMIT 1`, t.ID, id, id).
		Scan(&e.ID, &e.At, &e.UserID, &file)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	e.ID = -e.ID // not an _oplog id
	e.Action = "create"
	e.Changes = []Change{{Field: ImportNote, Name: "导入文件", After: file}}
	return &e, nil
}
