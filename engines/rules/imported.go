package rules

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	"tierbase/core/records"
	"tierbase/engines/importer"
	"tierbase/platform/store"
)

// fewImported is the size up to which an import's records count their related records one
// by one (an indexed count each) rather than in one GROUP BY over the related table.
const fewImported = 2000

// AfterImport does, set-wise and inside the import's transaction, what saving the imported
// rows one by one would have done: it grades them (one UPDATE … CASE per scheme over the
// imported ids, each change in the tier history), applies the field actions of the rules
// the writes fire, grades again if those changed anything, and queues the side effects
// (create, notify) of the rules that fire, once per record. Created records fire the
// created, changed and always rules; updated ones the updated and always rules, and the
// changed rules watching a field the file or the grading changed. Rules of other tables
// counting the imported records are re-applied to the records they point at.
func (e *Engine) AfterImport(ctx context.Context, tx *sql.Tx, im *importer.Imported) error {
	t := im.Table
	graded, active, counting := len(e.Grading.Graded(t)) > 0, e.active(t), e.relatedTo(t)
	if !graded && len(active) == 0 && len(counting) == 0 {
		return nil
	}
	imported, add, err := fillImported(ctx, tx, e.DB.Dialect, im)
	if err != nil {
		return err
	}
	all := &among{where: "id BETWEEN ? AND ? OR id IN (SELECT id FROM " + imported + ")", args: []any{im.FirstID, im.LastID},
		few: im.Inserted()+int64(len(im.Updated)) <= fewImported}
	grade := func(again bool) error {
		if !graded {
			return nil
		}
		sub := all
		if !again {
			if im.Inserted() > 0 {
				if err := e.Grading.GradeNewTx(ctx, tx, t, im.FirstID, im.LastID); err != nil {
					return err
				}
			}
			sub = &among{where: "id IN (SELECT id FROM " + imported + " WHERE field = '')", few: true}
		}
		n, moved, err := e.Grading.GradeTx(ctx, tx, t, sub.where, sub.args, len(active) > 0)
		if err != nil || n == 0 {
			return err
		}
		// The updated records whose grade changed fire the rules watching it.
		for field, ids := range moved {
			if err := add(field, slices.DeleteFunc(ids, func(id int64) bool { return id >= im.FirstID })); err != nil {
				return err
			}
		}
		return nil
	}
	if err := grade(false); err != nil {
		return err
	}
	changed := 0
	for _, c := range active {
		if !slices.ContainsFunc(c.r.Actions, func(a Action) bool { return a.fieldAction() }) {
			continue
		}
		if sub := firedByImport(c, im, imported, all.few); sub != nil {
			_, n, err := e.keep(ctx, tx, c, sub)
			if err != nil {
				return err
			}
			changed += n
		}
	}
	if changed > 0 && graded { // the rules may have changed what the grades read
		if err := grade(true); err != nil {
			return err
		}
	}
	for _, c := range active {
		if !slices.ContainsFunc(c.r.Actions, func(a Action) bool { return !a.fieldAction() }) {
			continue
		}
		sub := firedByImport(c, im, imported, all.few)
		if sub == nil {
			continue
		}
		if _, err := e.matchInto(ctx, tx, c, sub); err != nil {
			return err
		}
		if _, err := e.queueAll(ctx, tx, c); err != nil {
			return err
		}
	}
	for _, c := range counting {
		link := quoteCol(c.related.Field(c.r.Related.Link))
		sub := &among{where: "id IN (SELECT " + link + " FROM " + quoteTable(t) + " WHERE " + all.where + ")", args: all.args, few: all.few}
		if _, _, err := e.keep(ctx, tx, c, sub); err != nil {
			return err
		}
	}
	return nil
}

// fillImported lists the updated records in the temporary table _imported, whose name it
// returns with a function adding more: each once with field "", and once per field whose
// value changed.
func fillImported(ctx context.Context, tx *sql.Tx, d store.Dialect, im *importer.Imported) (string, func(field string, ids []int64) error, error) {
	create, table := d.TempTable("_imported", "id "+d.IntegerType()+" NOT NULL, field TEXT NOT NULL")
	for _, q := range []string{create, "DELETE FROM " + table} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return "", nil, err
		}
	}
	add := func(field string, ids []int64) error {
		for chunk := range slices.Chunk(ids, 500) {
			args := make([]any, 0, 2*len(chunk))
			for _, id := range chunk {
				args = append(args, id, field)
			}
			q := "INSERT INTO " + table + "(id, field) VALUES " + strings.Repeat(",(?,?)", len(chunk))[1:]
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	}
	if err := add("", im.Updated); err != nil {
		return "", nil, err
	}
	for f, ids := range im.Changed {
		if err := add(f, ids); err != nil {
			return "", nil, err
		}
	}
	return table, add, nil
}

// firedByImport is the imported records whose write fires c (nil: none): the created ones
// for a created, changed or always rule; the updated ones for an updated or always rule,
// and those of them whose watched field changed for a changed rule.
func firedByImport(c *compiled, im *importer.Imported, imported string, few bool) *among {
	var parts []string
	var args []any
	if im.Inserted() > 0 && (c.has(OnCreated) || c.has(OnChanged) || c.has(OnAlways)) {
		parts, args = append(parts, "id BETWEEN ? AND ?"), append(args, im.FirstID, im.LastID)
	}
	var fields []any
	for _, tr := range c.r.Triggers {
		switch tr.On {
		case OnUpdated, OnAlways:
			fields = append(fields, "")
		case OnChanged:
			for _, f := range tr.Fields {
				fields = append(fields, f)
			}
		}
	}
	if len(im.Updated) > 0 && len(fields) > 0 {
		parts = append(parts, "id IN (SELECT id FROM "+imported+" WHERE field IN ("+strings.Repeat(",?", len(fields))[1:]+"))")
		args = append(args, fields...)
	}
	if len(parts) == 0 {
		return nil
	}
	return &among{where: strings.Join(parts, " OR "), args: args, few: few}
}

// queueAll queues the side effects of c for every record keep last matched, a page at a
// time, and returns how many.
func (e *Engine) queueAll(ctx context.Context, tx *sql.Tx, c *compiled) (int, error) {
	n := 0
	for after := int64(0); ; {
		page := 0
		err := e.eachMatch(ctx, tx, c, after, 1000, func(rec records.Record) error {
			page++
			after = rec.ID()
			return e.enqueue(ctx, tx, c, rec, 0)
		})
		n += page
		if err != nil {
			return n, err
		}
		if page < 1000 {
			return n, e.fired(ctx, tx, c, n)
		}
	}
}
