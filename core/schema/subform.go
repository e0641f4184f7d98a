package schema

import (
	"context"
	"database/sql"
	"strings"

	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// A 子表单 (sub-table) field holds rows inside a record, e.g. the 报价明细 of a 报价单. Its rows
// are the records of a table of their own, made with the field and named after it, whose
// first field links each row to its parent record (named after the parent table). So the
// rows' formulas, the parent's rollups over them, history and the condition language work on
// them as on any table. The field's own column counts the rows. The rows' table is not
// listed among the tables (Table.Parent) and its records are read and written through the
// parent's only (core/records/subform.go).

// subTable drafts the table of the rows of f, a new sub-table field of t, from the fields f
// was given; t may still be a draft itself.
func subTable(s *snapshot, t *Table, f *Field, comp Computer) (*Table, error) {
	if len(f.Fields) == 0 {
		return nil, problem.Invalid("subform_empty").OnField(f.Name)
	}
	if _, ok := s.byName[f.Name]; ok {
		return nil, problem.New(409, "duplicate_name", "name", f.Name).OnField(f.Name)
	}
	c := &Table{ID: NewID("tbl"), AppID: t.AppID, Name: f.Name, Dialect: t.Dialect, Parent: t.ID, ParentField: f.ID}
	c.Fields = []*Field{{ID: NewID("fld"), Name: t.Name, Type: Link, LinkTable: t.ID, Indexed: true}}
	c.index()
	for i, g := range f.Fields {
		g.ID, g.System, g.Position = NewID("fld"), false, i+1
		if err := checkField(s, c, g, comp); err != nil {
			if p := problem.As(err); p != nil {
				p.OnField(f.Name + "." + g.Name)
			}
			return nil, err
		}
		c.Fields = append(c.Fields, g)
		c.index()
	}
	c.Fields = append(c.Fields, systemFields()...)
	c.index()
	f.LinkTable, f.Fields = c.ID, nil
	return c, nil
}

// ParentLink is the field of t, the table of a sub-table's rows, that links each row to its
// parent record; nil when t is no such table.
func (t *Table) ParentLink() *Field {
	if t.Parent == "" {
		return nil
	}
	for _, f := range t.Fields {
		if f.Type == Link && f.LinkTable == t.Parent {
			return f
		}
	}
	return nil
}

// Subforms returns t's sub-table fields.
func (t *Table) Subforms() []*Field {
	var out []*Field
	for _, f := range t.Fields {
		if f.Type == Subform {
			out = append(out, f)
		}
	}
	return out
}

// dropTable drops t's SQL table and its metadata, recycle bin and saved views inside tx; its
// operation log stays.
func dropTable(ctx context.Context, tx *sql.Tx, t *Table) error {
	for _, f := range t.UserFields() {
		if f.Type == AutoNumber {
			if _, err := tx.ExecContext(ctx, "DELETE FROM _sequences WHERE substr(key, 1, ?) = ?", len(f.ID)+1, f.ID+"|"); err != nil {
				return err
			}
		}
	}
	for _, f := range t.UserFields() {
		if f.Type == Links && t.Dialect != store.Postgres {
			if _, err := tx.ExecContext(ctx, dropLinksIndex(t, f)); err != nil {
				return err
			}
		}
	}
	for _, q := range []string{
		"DROP TABLE " + store.Quote(t.SQLName()),
		"DELETE FROM _fields WHERE table_id = ?",
		"DELETE FROM _tables WHERE id = ?",
		"DELETE FROM _imports WHERE table_id = ?",
		"DELETE FROM _trash WHERE table_id = ?", // its recycle bin goes with it
		"DELETE FROM _views WHERE table_id = ?", // and its saved views
	} {
		var args []any
		if strings.Contains(q, "?") {
			args = []any{t.ID}
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// dropSubTable drops the table of the rows of sub-table field f, unless a computed field of
// another table than those of keep (by id, dropped too) reads it.
func dropSubTable(ctx context.Context, tx *sql.Tx, s *snapshot, f *Field, keep ...string) error {
	c, ok := s.byID[f.LinkTable]
	if !ok {
		return nil
	}
	if err := readBy(s, c, "", append(keep, c.ID)...); err != nil {
		return err
	}
	return dropTable(ctx, tx, c)
}

func init() {
	problem.AddMessage("subform_empty", "子表单至少要有一个字段", "a sub-table needs at least one field")
	problem.AddMessage("subform_nested", "子表单里不能再放子表单或敏感字段", "a sub-table cannot hold another sub-table or a sensitive field")
	problem.AddMessage("subform_table", "表「{name}」是子表单「{field}」的明细，请在它所属的记录中查看和修改",
		"the table \"{name}\" holds the rows of the sub-table \"{field}\"; read and change them in the record they belong to")
	problem.AddMessage("subform_row", "第 {row} 行，{problem}", "row {row}, {problem}")
	problem.AddMessage("subform_rows", "子表单的值应是明细行的列表，例如 [{\"产品\": \"A\", \"数量\": 2}]",
		"a sub-table's value is a list of rows, e.g. [{\"产品\": \"A\", \"数量\": 2}]")
	problem.AddMessage("subform_no_row", "没有 id 为 {id} 的明细行", "there is no row with id {id}")
}
