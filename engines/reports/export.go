package reports

import (
	"context"
	"fmt"
	"io"
	"slices"

	"tierbase/core/access"
	"tierbase/core/audit"
	"tierbase/platform/spreadsheet"
)

// Export writes a chart's data, as Data computes it for a, to w as a spreadsheet (format
// "xlsx" or "csv"): one column per dimension, then one per measure. A detail table lists
// records, so exporting it needs the export action on its table. The export is logged (操作日志).
func (e *Engine) Export(ctx context.Context, a access.Actor, id string, f Filters, format string, w io.Writer) error {
	c, err := e.Chart(id)
	if err != nil {
		return err
	}
	if c.Type == Detail {
		t, err := e.Catalog.Table(c.Table)
		if err != nil {
			return err
		}
		if err := access.CanOn(a, t, access.ExportRows); err != nil {
			return err
		}
	}
	res, err := e.Data(ctx, a, id, f)
	if err != nil {
		return err
	}
	out, err := spreadsheet.Create(w, format)
	if err != nil {
		return err
	}
	header := []any{}
	for _, d := range res.Dimensions {
		header = append(header, d)
	}
	for _, m := range res.Measures {
		header = append(header, m)
	}
	if len(header) == 0 {
		header = append(header, "值")
	}
	if err := out.Write(header); err != nil {
		return err
	}
	for _, r := range res.Rows {
		row := make([]any, 0, len(header))
		for i, k := range r.Keys {
			row = append(row, e.label(res, i, k))
		}
		for _, v := range r.Values {
			if v == nil {
				row = append(row, nil)
			} else {
				row = append(row, *v)
			}
		}
		if err := out.Write(row); err != nil {
			return err
		}
	}
	if err := out.Close(); err != nil {
		return err
	}
	return audit.RecordAt(ctx, e.DB, e.Now(), audit.Event{UserID: a.UserID, Action: audit.Export, TableID: res.Table,
		Detail: map[string]any{"chart": c.Title, "rows": len(res.Rows), "format": format}})
}

// label is a category as people read it: a user's name for user ids, "(空)" for none.
func (e *Engine) label(res *Result, i int, k any) any {
	if k == nil {
		return "(空)"
	}
	if slices.Contains(res.UserKeys, i) {
		if n, ok := res.Names[fmt.Sprint(k)]; ok {
			return n
		}
	}
	if slices.Contains(res.DepartmentKeys, i) {
		if n, ok := res.DepartmentNames[fmt.Sprint(k)]; ok {
			return n
		}
	}
	return k
}
