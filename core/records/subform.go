package records

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"tierbase/core/access"
	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// Row is one row of a 子表单 (sub-table) as a record shows it: values keyed by the names of
// the sub-table's fields, and its "id".
type Row map[string]any

// rowsActor reads and writes the rows of a sub-table for a: no role grants anything on the
// rows' table (access), so the rows follow their parent record, whose permissions — and those
// of the 子表单 field on it — were asked; a stays the one the rows' history names.
func rowsActor(a access.Actor) access.Actor {
	return access.Actor{UserID: a.UserID, Role: access.RoleSystem}
}

// rowsTable returns the table of the rows of sub-table field f and its link to the parent.
func (s *Service) rowsTable(f *schema.Field) (*schema.Table, *schema.Field, error) {
	c, err := s.Catalog.Table(f.LinkTable)
	if err != nil {
		return nil, nil, err
	}
	link := c.ParentLink()
	if link == nil {
		return nil, nil, fmt.Errorf("records: the table of sub-table %s has no link to its parent", f.Name)
	}
	return c, link, nil
}

// Rows puts in each of recs of t, in place of the row count of every sub-table field it
// holds (one the reader may see), that sub-table's rows in the order they were added.
func (s *Service) Rows(ctx context.Context, t *schema.Table, recs ...Record) error {
	return s.withRows(ctx, s.DB.R, t, recs...)
}

func (s *Service) withRows(ctx context.Context, db querier, t *schema.Table, recs ...Record) error {
	for _, f := range t.Subforms() {
		var ids []any
		for _, r := range recs {
			if _, ok := r[f.ID]; ok {
				ids = append(ids, r.ID())
			}
		}
		if len(ids) == 0 {
			continue
		}
		c, link, err := s.rowsTable(f)
		if err != nil {
			return err
		}
		by := map[int64][]Row{}
		for chunk := range slices.Chunk(ids, 500) {
			q := fmt.Sprintf("SELECT %s FROM %s WHERE %s IN (?%s) ORDER BY id", columns(c), store.Quote(c.SQLName()),
				store.Quote(link.Column()), strings.Repeat(", ?", len(chunk)-1))
			rows, err := s.query(ctx, db, c, q, chunk...)
			if err != nil {
				return err
			}
			for _, r := range rows {
				parent, _ := r[link.ID].(int64)
				by[parent] = append(by[parent], rowOf(c, link, r))
			}
		}
		for _, r := range recs {
			if _, ok := r[f.ID]; ok {
				r[f.ID] = append([]Row{}, by[r.ID()]...)
			}
		}
	}
	return nil
}

// rowOf is rec, a record of the rows' table c, as a Row.
func rowOf(c *schema.Table, link *schema.Field, rec Record) Row {
	row := Row{schema.FieldID: rec.ID()}
	for _, f := range c.UserFields() {
		if f.ID != link.ID {
			row[f.Name] = rec[f.ID]
		}
	}
	return row
}

// subformInput reports whether in gives sub-table field f, and its value.
func subformInput(in Input, f *schema.Field) (any, bool) {
	if v, ok := in[f.ID]; ok {
		return v, true
	}
	v, ok := in[f.Name]
	return v, ok
}

// saveRows makes the rows of sub-table field f of record parent of t those of v, a list of
// rows keyed by field name or id, inside the write transaction of the record: rows with an
// id are updated, rows without one added, the record's other rows deleted; each row is
// validated as a record of the rows' table, and a problem names its row (1-based) and field.
// The record's row count and 修改时间 follow. It answers the rows' changes, cell by cell, for
// the record's history.
func (s *Service) saveRows(ctx context.Context, tx *sql.Tx, a access.Actor, t *schema.Table, f *schema.Field, parent int64, v any, stamp string) ([]change, []*problem.Error, error) {
	c, link, err := s.rowsTable(f)
	if err != nil {
		return nil, nil, err
	}
	list, ok := rowList(v)
	if !ok {
		return nil, []*problem.Error{problem.Invalid("subform_rows").OnField(f.Name)}, nil
	}
	read := fmt.Sprintf("SELECT %s FROM %s WHERE %s = ? ORDER BY id", columns(c), store.Quote(c.SQLName()), store.Quote(link.Column()))
	before, err := s.query(ctx, tx, c, read, parent)
	if err != nil {
		return nil, nil, err
	}
	have := map[int64]bool{}
	for _, r := range before {
		have[r.ID()] = true
	}
	var probs []*problem.Error
	inRow := func(row int, p *problem.Error) {
		p.Row = 0
		probs = append(probs, problem.Invalid("subform_row", "row", row, "problem", p).OnField(f.Name))
	}
	items := make([]Input, len(list))
	keep := map[int64]bool{}
	for i, r := range list {
		in := make(Input, len(r)+1)
		for k, x := range r {
			if k != link.ID && k != link.Name { // each row links to its record, and to no other
				in[k] = x
			}
		}
		in[link.ID] = parent
		id, isUpdate, perr := itemID(in)
		switch {
		case perr != nil:
			inRow(i+1, perr)
		case isUpdate && (!have[id] || keep[id]):
			inRow(i+1, problem.Invalid("subform_no_row", "id", id))
		case isUpdate:
			keep[id] = true
		}
		items[i] = in
	}
	if len(probs) > 0 {
		return nil, probs, nil
	}
	sys := rowsActor(a)
	var gone []int64
	for _, r := range before {
		if !keep[r.ID()] {
			gone = append(gone, r.ID())
		}
	}
	if len(gone) > 0 {
		if err := s.deleteMany(ctx, tx, sys, c, gone, stamp); err != nil {
			return nil, nil, err
		}
	}
	if len(items) > 0 {
		if _, err := s.batchTx(ctx, tx, sys, c, items); err != nil {
			p := problem.As(err)
			if p == nil {
				return nil, nil, err
			}
			details := p.Details
			if len(details) == 0 {
				details = []*problem.Error{p}
			}
			for _, d := range details {
				inRow(max(d.Row, 1), d)
			}
			return nil, probs, nil
		}
	}
	after, err := s.query(ctx, tx, c, read, parent)
	if err != nil {
		return nil, nil, err
	}
	_, err = tx.ExecContext(ctx, fmt.Sprintf("UPDATE %s SET %s = ?, %s = ? WHERE id = ?",
		store.Quote(t.SQLName()), store.Quote(f.Column()), store.Quote(schema.FieldUpdatedAt)), len(after), stamp, parent)
	return rowChanges(f, c, link, before, after), nil, err
}

// rowChanges lists, cell by cell, how the rows of 子表单 f (records of c, linked to their
// record by link) went from before to after, both in row order: the deleted rows at the
// positions they had, then the rows as they are now.
func rowChanges(f *schema.Field, c *schema.Table, link *schema.Field, before, after []Record) []change {
	now := map[int64]bool{}
	for _, r := range after {
		now[r.ID()] = true
	}
	var out []change
	cells := func(row int, op string, old, rec Record) {
		for _, g := range c.UserFields() {
			if g.ID != link.ID && !Equal(old[g.ID], rec[g.ID]) {
				out = append(out, change{Field: f.ID, Row: row, Sub: g.ID, Op: op, Before: old[g.ID], After: rec[g.ID]})
			}
		}
	}
	was := map[int64]Record{}
	for i, r := range before {
		if now[r.ID()] {
			was[r.ID()] = r
		} else {
			cells(i+1, RowDeleted, r, nil)
		}
	}
	for i, r := range after {
		old, ok := was[r.ID()]
		op := ""
		if !ok {
			op = RowAdded
		}
		cells(i+1, op, old, r)
	}
	return out
}

// rowList reads a sub-table's value as a list of rows (as JSON gives it, or the rows a read
// gave); nil is no rows.
func rowList(v any) ([]map[string]any, bool) {
	switch x := v.(type) {
	case nil:
		return nil, true
	case []map[string]any:
		return x, true
	case []Row:
		out := make([]map[string]any, len(x))
		for i, r := range x {
			out[i] = r
		}
		return out, true
	case []any:
		out := make([]map[string]any, len(x))
		for i, r := range x {
			m, ok := r.(map[string]any)
			if !ok {
				return nil, false
			}
			out[i] = m
		}
		return out, true
	}
	return nil, false
}

// direct refuses to write the rows of a sub-table but through their record.
func direct(t *schema.Table) error {
	if t.Parent == "" {
		return nil
	}
	name := t.Name
	if f := t.ParentLink(); f != nil {
		name = f.Name
	}
	return problem.New(409, "subform_table", "name", t.Name, "field", name)
}

// deleteRows deletes the rows of every sub-table of the records ids of t, as a deletes the
// records, set-wise, and returns each record's rows by field id as the recycle bin keeps them
// (binRow).
func (s *Service) deleteRows(ctx context.Context, tx *sql.Tx, a access.Actor, t *schema.Table, ids []int64, stamp string) ([]map[string]any, error) {
	out := make([]map[string]any, len(ids))
	at := make(map[int64]int, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		out[i], at[id], args[i] = map[string]any{}, i, id
	}
	for _, f := range t.Subforms() {
		c, link, err := s.rowsTable(f)
		if err != nil {
			return nil, err
		}
		rows, err := s.query(ctx, tx, c, fmt.Sprintf("SELECT %s FROM %s WHERE %s IN (?%s) ORDER BY id", columns(c), store.Quote(c.SQLName()),
			store.Quote(link.Column()), strings.Repeat(", ?", len(ids)-1)), args...)
		if err != nil {
			return nil, err
		}
		for i := range ids {
			out[i][f.ID] = []map[string]any{}
		}
		gone := make([]int64, len(rows))
		for j, r := range rows {
			binned := out[at[toInt(r[link.ID])]]
			binned[f.ID], gone[j] = append(binned[f.ID].([]map[string]any), binRow(c, r)), r.ID()
		}
		for chunk := range slices.Chunk(gone, bulkChunk) { // a chunk's records may have many rows each
			if err := s.deleteMany(ctx, tx, rowsActor(a), c, chunk, stamp); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// restoreRows puts back the rows of sub-table field f of a record brought back from the
// recycle bin: binned, as toTrash keeps them.
func (s *Service) restoreRows(ctx context.Context, tx *sql.Tx, f *schema.Field, binned any) error {
	c, _, err := s.rowsTable(f)
	if err != nil {
		return err
	}
	list, _ := binned.([]any)
	for _, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			continue
		}
		rec := make(Record, len(c.Fields))
		for _, g := range c.Fields {
			if v, ok := m[g.ID]; ok {
				rec[g.ID] = FromSQL(g, binValue(g, v))
			}
		}
		if _, err := insertRow(ctx, tx, c, rec); err != nil {
			return err
		}
		if err := s.written(ctx, tx, c, nil, rec); err != nil {
			return err
		}
	}
	return nil
}
