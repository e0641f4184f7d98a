// Package exporter writes the records of a table — all of them, or those matching a filter —
// to a CSV or XLSX file, streaming, with values as people read them: users by name, linked
// records by their title, dates as dates, amounts as numbers.
package exporter

import (
	"context"
	"io"
	"time"

	"tierbase/access"
	"tierbase/cond"
	"tierbase/records"
	"tierbase/schema"
	"tierbase/spreadsheet"
)

// batch is how many records share one lookup of user names and link titles.
const batch = 2000

// Query chooses the records to export, as a grid view does.
type Query struct {
	Filter *cond.Node
	Search string // text searched in the text fields
	Sort   string // default: by id
}

// Write exports t's records that the actor may see and that match q, as format "csv" or
// "xlsx". progress, if not nil, gets the count so far. It returns the number written.
func Write(ctx context.Context, recs *records.Service, a access.Actor, t *schema.Table, q Query,
	w io.Writer, format string, progress func(n int)) (int, error) {
	if err := access.CanImport(a); err != nil {
		return 0, err
	}
	sw, err := spreadsheet.Create(w, format)
	if err != nil {
		return 0, err
	}
	loc := recs.Loc
	if loc == nil {
		loc = time.Local
	}
	fields := exported(t)
	head := make([]any, len(fields))
	for i, f := range fields {
		head[i] = f.Name
	}
	if err := sw.Write(head); err != nil {
		return 0, err
	}
	n := 0
	pending := make([]records.Record, 0, batch)
	flush := func() error {
		titles, err := recs.Titles(ctx, t, pending)
		if err != nil {
			return err
		}
		row := make([]any, len(fields))
		for _, rec := range pending {
			for i, f := range fields {
				row[i] = cell(f, rec[f.ID], titles[f.ID], loc)
			}
			if err := sw.Write(row); err != nil {
				return err
			}
		}
		n += len(pending)
		pending = pending[:0]
		if progress != nil {
			progress(n)
		}
		return nil
	}
	err = recs.Each(ctx, a, t, records.Query{Filter: q.Filter, Search: q.Search, Sort: q.Sort}, func(r records.Record) error {
		pending = append(pending, r)
		if len(pending) == batch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		sw.Close() // releases the XLSX writer's temporary data; the caller discards the output
		return n, err
	}
	return n, sw.Close()
}

// exported lists the columns of an export: the record id first, then the fields in order.
func exported(t *schema.Table) []*schema.Field {
	out := []*schema.Field{t.Field(schema.FieldID)}
	for _, f := range t.Fields {
		if f.ID != schema.FieldID {
			out = append(out, f)
		}
	}
	return out
}

// cell turns a stored value into what the file shows.
func cell(f *schema.Field, v any, titles map[int64]string, loc *time.Location) any {
	if id, ok := v.(int64); ok && f.Type.IsRef() {
		if name, ok := titles[id]; ok {
			return name
		}
	}
	if s, ok := v.(string); ok && f.Type == schema.DateTime {
		if at, err := time.Parse(time.RFC3339, s); err == nil {
			return at.In(loc).Format("2006-01-02 15:04:05") // stored in UTC, shown in local time
		}
	}
	return v
}
