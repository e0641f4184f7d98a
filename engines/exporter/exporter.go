// Package exporter writes the records of a table — all of them, or those matching a filter —
// to a CSV or XLSX file, streaming, with values as people read them: users by name, linked
// records by their title, dates as dates, numbers as numbers and amounts as numbers in the
// currency format (¥#,##0.00 in XLSX), files as their names and links.
package exporter

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"tierbase/core/access"
	"tierbase/core/audit"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/platform/spreadsheet"
)

// batch is how many records share one lookup of user names and link titles.
const batch = 2000

// Query chooses the records to export, as a grid view does.
type Query struct {
	Filter *cond.Node
	Search string // text searched in the text fields
	Sort   string // default: by id
	Base   string // the server's address, which the links to files start with
}

// Write exports t's records that the actor may see and that match q, as format "csv" or
// "xlsx", cell by cell as the grid shows them: without the fields hidden from the actor, and
// a field they see on some rows only written on those rows (masked where the grid masks it),
// empty on the others. It needs the Export permission. progress, if not nil, gets the count
// so far. It returns the number written.
// A finished export is logged (操作日志: table, rows, the filter as a sentence).
func Write(ctx context.Context, recs *records.Service, a access.Actor, t *schema.Table, q Query,
	w io.Writer, format string, progress func(n int)) (int, error) {
	if err := access.CanOn(a, t, access.ExportRows); err != nil {
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
	fields := exported(t, access.FieldsOf(a, t))
	head := make([]any, len(fields))
	for i, f := range fields {
		head[i] = f.Name
	}
	if err := sw.Write(head); err != nil {
		return 0, err
	}
	// Reading (SQLite) and writing (formatting) run on two goroutines, batch by batch.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []records.Record, 2)
	read := make(chan error, 1)
	go func() {
		defer close(batches)
		send := func(b []records.Record) error {
			select {
			case batches <- b:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		pending := make([]records.Record, 0, batch)
		err := recs.Each(ctx, a, t, records.Query{Filter: q.Filter, Search: q.Search, Sort: q.Sort}, func(r records.Record) error {
			pending = append(pending, r)
			if len(pending) < batch {
				return nil
			}
			b := pending
			pending = make([]records.Record, 0, batch)
			return send(b)
		})
		if err == nil && len(pending) > 0 {
			err = send(pending)
		}
		read <- err
	}()
	n := 0
	row := make([]any, len(fields))
	write := func(b []records.Record) error {
		titles, err := recs.Titles(ctx, a, t, b)
		if err != nil {
			return err
		}
		if err := recs.Rows(ctx, t, b...); err != nil {
			return err
		}
		for _, rec := range b {
			for i, f := range fields {
				row[i] = cell(f, rec[f.ID], titles[f.ID], loc)
				if v, ok := row[i].(string); ok && f.Type.IsFile() {
					row[i] = links(q.Base, t, rec.ID(), f, v)
				}
			}
			if err := sw.Write(row); err != nil {
				return err
			}
		}
		n += len(b)
		if progress != nil {
			progress(n)
		}
		return nil
	}
	for b := range batches {
		if err == nil {
			if err = write(b); err != nil {
				cancel() // stop the reader; keep draining so it can finish
			}
		}
	}
	if rerr := <-read; err == nil {
		err = rerr
	}
	if err != nil {
		sw.Close() // releases the XLSX writer's temporary data; the caller discards the output
		return n, err
	}
	if err := sw.Close(); err != nil {
		return n, err
	}
	detail := map[string]any{"table": t.Name, "rows": n, "format": format, "filter": cond.Describe(q.Filter, t, "zh")}
	if q.Search != "" {
		detail["search"] = q.Search
	}
	return n, audit.RecordAt(ctx, recs.DB, recs.Now(), audit.Event{UserID: a.UserID, Action: audit.Export, TableID: t.ID, Detail: detail})
}

// exported lists the columns of the file: the id first, then the fields the actor may see on
// some rows (records.Each leaves a field out of the rows where they may not).
func exported(t *schema.Table, fs access.Fields) []*schema.Field {
	out := []*schema.Field{t.Field(schema.FieldID)}
	for _, f := range t.Fields {
		if f.ID != schema.FieldID && !fs.Hidden[f.ID] {
			out = append(out, f)
		}
	}
	return out
}

// links writes a file value as one line per file: its name and the link it is served at
// (to those who may read the record).
func links(base string, t *schema.Table, id int64, f *schema.Field, v string) string {
	refs, _ := schema.ParseFiles(v)
	lines := make([]string, len(refs))
	for i, r := range refs {
		lines[i] = r.Name + " " + base + schema.FilePath(t, id, f, r.Hash)
	}
	return strings.Join(lines, "\n")
}

// cell turns a stored value into what the file shows.
func cell(f *schema.Field, v any, titles map[int64]string, loc *time.Location) any {
	if rows, ok := v.([]records.Row); ok {
		return rowLines(f, rows)
	}
	if f.Type == schema.Money {
		switch x := v.(type) {
		case float64:
			return spreadsheet.Money(x)
		case int64:
			return spreadsheet.Money(x)
		}
	}
	if id, ok := v.(int64); ok && f.Type.IsRef() {
		if name, ok := titles[id]; ok {
			return name
		}
	}
	if ids, ok := v.([]int64); ok { // 多条关联: the titles the actor may read, joined as imports split them
		names := make([]string, 0, len(ids))
		for _, id := range ids {
			if name, ok := titles[id]; ok {
				names = append(names, name)
			}
		}
		return strings.Join(names, "、")
	}
	if ns, ok := v.([]float64); ok { // a lookup's numbers through a 多条关联, joined as lists are
		items := make([]string, len(ns))
		for i, n := range ns {
			items[i] = strconv.FormatFloat(n, 'f', -1, 64)
		}
		return items
	}
	if s, ok := v.(string); ok && f.Type == schema.RichText {
		return schema.TextLines(s) // its text, a line per paragraph: no tags in a spreadsheet
	}
	if s, ok := v.(string); ok && f.Type == schema.DateTime {
		if at, err := time.Parse(time.RFC3339, s); err == nil {
			return at.In(loc).Format("2006-01-02 15:04:05") // stored in UTC, shown in local time
		}
	}
	return v
}

// rowLines shows the rows of sub-table f in one cell, a line per row: 产品：服务器，数量：2，…
// (empty values left out): the record stays one row of the file, its rows readable in it.
func rowLines(f *schema.Field, rows []records.Row) string {
	lines := make([]string, len(rows))
	for i, r := range rows {
		var parts []string
		for _, g := range f.Fields {
			if v := r[g.Name]; v != nil {
				switch x := v.(type) {
				case []string:
					v = strings.Join(x, "、")
				case float64:
					v = strconv.FormatFloat(x, 'f', -1, 64)
				}
				parts = append(parts, g.Name+"："+fmt.Sprint(v))
			}
		}
		lines[i] = strings.Join(parts, "，")
	}
	return strings.Join(lines, "\n")
}
