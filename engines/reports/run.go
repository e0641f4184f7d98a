package reports

import (
	"context"
	"fmt"
	"strings"
	"time"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// run computes a resolved chart's result for actor a with the dashboard filters f.
func (e *Engine) run(ctx context.Context, p *plan, a access.Actor, f Filters) (*Result, error) {
	res := &Result{Chart: p.c.ID, Type: p.c.Type, Table: p.t.ID, Dimensions: []string{}, Measures: []string{}, Max: p.c.Max}
	for _, d := range p.dims {
		res.Dimensions = append(res.Dimensions, d.label)
	}
	for _, m := range p.measures {
		res.Measures = append(res.Measures, m.name)
	}
	res.Formats = p.formats()
	switch p.c.Type {
	case Detail:
		return res, e.detail(ctx, p, a, f, res)
	case Migration:
		return res, e.migration(ctx, p, a, f, res)
	case Indicator, Gauge:
		return res, e.indicator(ctx, p, a, f, res)
	case RFM:
		if err := p.rfm(); err != nil {
			return nil, err
		}
		res.Dimensions, res.Measures, res.Formats = []string{"R分", "F分"}, []string{"记录数", "平均M分"}, []string{"count", ""}
	}
	s, err := e.source(p, a, f)
	if err != nil {
		return nil, err
	}
	rows, capped, err := e.aggregate(ctx, p, s)
	if err != nil {
		return nil, err
	}
	if p.c.Type == RFM {
		kept := rows[:0]
		for _, r := range rows {
			if r.Keys[0] != nil && r.Keys[1] != nil {
				kept = append(kept, r)
			}
		}
		rows = kept
	}
	if !capped {
		rows = p.emptyStages(rows)
	}
	p.formulas(rows)
	p.order(rows)
	res.Rows, res.Capped = rows, capped
	res.Fields = e.drill(p, a, f, rows)
	for i, d := range p.dims {
		e.nameKey(res, i, d.ref.Field)
	}
	e.keyNames(res)
	return res, nil
}

// indicator computes one value (the first measure) and, with Compare, the same value over
// the previous period of equal length.
func (e *Engine) indicator(ctx context.Context, p *plan, a access.Actor, f Filters, res *Result) error {
	cur, prev, ok := p.periods(e.Now().In(e.loc()), f)
	if ok {
		f.From, f.To = "", "" // the periods replace the dashboard's date range
	}
	s, err := e.source(p, a, f)
	if err != nil {
		return err
	}
	meas := p.stored()
	var cols []string
	where := s.where
	if ok {
		in := e.dayRange(s.col(ref{Field: p.dateF}), p.dateF)
		for _, m := range meas {
			cols = append(cols, s.aggSQL(e.DB.Dialect, m, in(cur)))
		}
		for _, m := range meas {
			cols = append(cols, s.aggSQL(e.DB.Dialect, m, in(prev)))
		}
		where = "(" + where + ") AND " + in([2]string{prev[0], cur[1]})
	} else {
		for _, m := range meas {
			cols = append(cols, s.aggSQL(e.DB.Dialect, m, ""))
		}
	}
	q := fmt.Sprintf("SELECT %s FROM %s WHERE %s", strings.Join(cols, ", "), s.from, where)
	rows, err := e.query(ctx, q, s.args, nil, len(cols))
	if err != nil {
		return err
	}
	vals := rows[0].Values
	current := []Row{{Keys: []any{}, Values: vals[:len(meas)]}}
	p.formulas(current)
	res.Rows = current
	res.Value = current[0].Values[0]
	if ok {
		previous := []Row{{Keys: []any{}, Values: vals[len(meas):]}}
		p.formulas(previous)
		res.Previous = previous[0].Values[0]
		if res.Value != nil && res.Previous != nil && *res.Previous != 0 {
			ch := (*res.Value - *res.Previous) / *res.Previous
			res.Change = &ch
		}
	}
	if base := p.drillBase(f); base != nil {
		res.Fields = map[string]string{}
		res.Rows[0].Filter = named(base, p.t, res.Fields)
	}
	return nil
}

// dayRange returns the SQL condition "col falls on the days [from, to]" in the users' zone,
// written so that the column's index serves it: dates compare as they are, date-times (UTC)
// against the UTC instants the local days begin and end. The bounds are dates we formatted.
func (e *Engine) dayRange(col string, f *schema.Field) func(r [2]string) string {
	if f.Type != schema.DateTime {
		return func(r [2]string) string { return fmt.Sprintf("%s BETWEEN '%s' AND '%s'", col, r[0], r[1]) }
	}
	return func(r [2]string) string {
		from, _ := time.ParseInLocation("2006-01-02", r[0], e.loc())
		to, _ := time.ParseInLocation("2006-01-02", r[1], e.loc())
		const layout = "2006-01-02T15:04:05Z"
		return fmt.Sprintf("%s >= '%s' AND %s < '%s'", col, from.UTC().Format(layout), col, to.AddDate(0, 0, 1).UTC().Format(layout))
	}
}

// periods are the current and previous date ranges of an indicator with Compare: the
// dashboard's date range, or the period (month…) up to today; the previous one has the same
// length and ends the day before.
func (p *plan) periods(today time.Time, f Filters) (cur, prev [2]string, ok bool) {
	if p.c.Compare == "" {
		return cur, prev, false
	}
	const layout = "2006-01-02"
	day := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	var start, end time.Time
	if f.From != "" && f.To != "" {
		start, _ = time.Parse(layout, f.From)
		end, _ = time.Parse(layout, f.To)
	} else {
		end = day
		switch p.c.Compare {
		case Day:
			start = day
		case Week:
			start = day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
		case Month:
			start = day.AddDate(0, 0, 1-day.Day())
		case Quarter:
			start = time.Date(day.Year(), (day.Month()-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC)
		case Year:
			start = time.Date(day.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
		}
	}
	var pstart, pend time.Time
	switch {
	case f.From != "" && f.To != "" || p.c.Compare == Day || p.c.Compare == Week:
		n := int(end.Sub(start).Hours()/24) + 1
		pstart, pend = start.AddDate(0, 0, -n), start.AddDate(0, 0, -1)
	default: // the same days of the previous month, quarter or year
		months := map[string]int{Month: 1, Quarter: 3, Year: 12}[p.c.Compare]
		pstart = start.AddDate(0, -months, 0)
		pend = pstart.AddDate(0, 0, int(end.Sub(start).Hours()/24))
		if pend.After(start.AddDate(0, 0, -1)) {
			pend = start.AddDate(0, 0, -1)
		}
	}
	return [2]string{start.Format(layout), end.Format(layout)}, [2]string{pstart.Format(layout), pend.Format(layout)}, true
}

// detail lists the newest records (at most maxDetailRows) with the chart's columns. A column
// the actor sees on some rows only is empty on the others, as in the grid: those rows are
// read whole and judged by the actor's policy.
func (e *Engine) detail(ctx context.Context, p *plan, a access.Actor, f Filters, res *Result) error {
	s, err := e.source(p, a, f)
	if err != nil {
		return err
	}
	cols := []string{"s.id"}
	res.Dimensions = []string{}
	fs := access.FieldsOf(a, p.t)
	var partial []int // the columns seen on some rows only
	for i, r := range p.columns {
		cols = append(cols, s.col(r))
		res.Dimensions = append(res.Dimensions, r.name())
		e.nameKey(res, i, r.Field)
		if fs.Partial[r.Field.ID] {
			partial = append(partial, i)
		}
	}
	var policy *access.Policy
	if partial != nil {
		if policy, err = access.PolicyOf(a, p.t, e.env(a)); err != nil {
			return err
		}
		for _, fl := range p.t.Fields {
			cols = append(cols, s.col(ref{Field: fl}))
		}
	}
	n := 1 + len(p.columns) // the id and the chart's columns; then, with partial ones, the whole record
	q := fmt.Sprintf("SELECT %s FROM %s WHERE %s ORDER BY s.id DESC LIMIT %d", strings.Join(cols, ", "), s.from, s.where, maxDetailRows)
	rs, err := e.DB.R.QueryContext(ctx, q, s.args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	res.Rows = []Row{}
	for rs.Next() {
		vals := make([]any, len(cols))
		dst := make([]any, len(cols))
		for i := range vals {
			dst[i] = &vals[i]
		}
		if err := rs.Scan(dst...); err != nil {
			return err
		}
		for i, v := range vals {
			var f *schema.Field
			if i >= 1 && i < n {
				f = p.columns[i-1].Field
			}
			vals[i] = value(f, v)
		}
		if policy != nil {
			rec := make(map[string]any, len(p.t.Fields))
			for i, fl := range p.t.Fields {
				rec[fl.ID] = records.FromSQL(fl, vals[n+i])
			}
			sees := policy.Sees(rec)
			for _, i := range partial {
				if !sees(p.columns[i].Field.ID) {
					vals[1+i] = nil
				}
			}
		}
		res.Rows = append(res.Rows, Row{Keys: vals[1:n:n], Values: []*float64{},
			Filter: &cond.Node{Field: schema.FieldID, Op: "eq", Value: vals[0]}})
	}
	e.keyNames(res)
	return rs.Err()
}

// migration counts, per month, the records that moved from one grade to another: the tier
// history of the chart's graded field, for the records the viewer may read.
func (e *Engine) migration(ctx context.Context, p *plan, a access.Actor, f Filters, res *Result) error {
	df := Filters{Owners: f.Owners, Regions: f.Regions} // the date range applies to the moves
	where, args, err := cond.Compile(p.condition(a, df), p.t, e.env(a))
	if err != nil {
		return err
	}
	d, z := e.DB.Dialect, e.zone() // the moves' times (h.at) are UTC
	q := fmt.Sprintf(`SELECT %s, COALESCE(h.from_value, ''), COALESCE(h.to_value, ''), COUNT(*)
		FROM _tier_history h JOIN (SELECT id FROM %s WHERE %s) AS s ON s.id = h.record_id
		WHERE h.table_id = ? AND h.field = ?`, d.DateBucket("h.at", Month, z), store.Quote(p.t.SQLName()), where)
	args = append(args, p.t.ID, p.dims[0].ref.Field.ID)
	if f.From != "" {
		q += " AND " + d.DateBucket("h.at", Day, z) + " >= ?"
		args = append(args, f.From)
	}
	if f.To != "" {
		q += " AND " + d.DateBucket("h.at", Day, z) + " <= ?"
		args = append(args, f.To)
	}
	q += " GROUP BY 1, 2, 3 ORDER BY 1, 4 DESC"
	rows, err := e.query(ctx, q, args, make([]*schema.Field, 3), 1)
	if err != nil {
		return err
	}
	res.Dimensions = []string{"月份", "原等级", "新等级"}
	res.Measures, res.Formats = []string{"记录数"}, []string{"count"}
	res.Rows = rows
	return nil
}

// drillBase is the condition of the chart's records without the viewer's scope (the list
// applies it anyway): the chart's filter and the dashboard's filters.
func (p *plan) drillBase(f Filters) *cond.Node {
	n := p.condition(access.System, f)
	if len(n.And) == 0 {
		return nil
	}
	return n
}

// drill sets each row's Filter: the condition that lists the row's records in the table
// view, when its dimensions are fields of the chart's own table. The filters name fields by
// name; it returns those names' ids.
func (e *Engine) drill(p *plan, a access.Actor, f Filters, rows []Row) map[string]string {
	for _, d := range p.dims {
		if d.ref.Link != nil {
			return nil
		}
	}
	fields := map[string]string{}
	if p.c.Type == Map {
		f.Regions = nil // the province clicked replaces the 地区 filter
	}
	base := p.drillBase(f)
	others := make([][]any, len(p.dims)) // the categories kept, for 其他
	for i := range p.dims {
		for _, r := range rows {
			if k := r.Keys[i]; k != nil && k != Other {
				others[i] = append(others[i], k)
			}
		}
	}
	for ri := range rows {
		var parts []*cond.Node
		if base != nil {
			parts = append(parts, base.And...)
		}
		ok := true
		for i, d := range p.dims {
			leaf := e.keyCond(d, rows[ri].Keys[i], others[i])
			if leaf == nil {
				ok = false
				break
			}
			parts = append(parts, leaf)
		}
		if ok {
			rows[ri].Filter = named(&cond.Node{And: parts}, p.t, fields)
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return fields
}

// named is a copy of the condition n on t that names its fields by name (by id when another
// field's id is that name), adding each name's id to ids. The copy shares no node with n.
func named(n *cond.Node, t *schema.Table, ids map[string]string) *cond.Node {
	if n == nil {
		return nil
	}
	out := *n
	if f := t.Field(n.Field); n.Field != "" && f != nil && t.Field(f.Name) == f {
		out.Field = f.Name
		ids[f.Name] = f.ID
	}
	list := func(ns []*cond.Node) []*cond.Node {
		if ns == nil {
			return nil
		}
		cp := make([]*cond.Node, len(ns))
		for i, k := range ns {
			cp[i] = named(k, t, ids)
		}
		return cp
	}
	out.And, out.Or, out.Not = list(n.And), list(n.Or), named(n.Not, t, ids)
	return &out
}

// keyCond is the condition on a dimension's field that picks the records of one category.
func (e *Engine) keyCond(d dimPlan, key any, kept []any) *cond.Node {
	fld := d.ref.Field
	if key == nil {
		return &cond.Node{Field: fld.ID, Op: "empty"}
	}
	if key == Other {
		switch d.bucket {
		case "":
			return &cond.Node{Field: fld.ID, Op: "nin", Value: kept}
		case Province, City:
			if len(kept) == 0 {
				return &cond.Node{}
			}
			provinces := make([]string, len(kept))
			for i, k := range kept {
				provinces[i] = fmt.Sprint(k)
			}
			return &cond.Node{Not: under(fld, provinces)}
		}
		return nil
	}
	s, _ := key.(string)
	switch d.bucket {
	case "":
		if fld.Type == schema.Checkbox {
			return &cond.Node{Field: fld.ID, Op: "eq", Value: key != int64(0)}
		}
		return &cond.Node{Field: fld.ID, Op: "eq", Value: key}
	case Province, City:
		return under(fld, []string{s})
	}
	from, to, ok := bucketRange(d.bucket, s)
	if !ok {
		return nil
	}
	return &cond.Node{Field: fld.ID, Op: "between", Value: []any{from, to}}
}

// bucketRange is the first and last day of a date bucket label.
func bucketRange(bucket, label string) (string, string, bool) {
	const layout = "2006-01-02"
	var start, end time.Time
	var err error
	switch bucket {
	case Day:
		start, err = time.Parse(layout, label)
		end = start
	case Week:
		start, err = time.Parse(layout, label)
		end = start.AddDate(0, 0, 6)
	case Month:
		start, err = time.Parse("2006-01", label)
		end = start.AddDate(0, 1, -1)
	case Quarter:
		var y, q int
		if _, err = fmt.Sscanf(label, "%d-Q%d", &y, &q); err == nil && q >= 1 && q <= 4 {
			start = time.Date(y, time.Month(3*q-2), 1, 0, 0, 0, 0, time.UTC)
			end = start.AddDate(0, 3, -1)
		} else if err == nil {
			err = fmt.Errorf("bad quarter")
		}
	case Year:
		start, err = time.Parse("2006", label)
		end = start.AddDate(1, 0, -1)
	}
	if err != nil {
		return "", "", false
	}
	return start.Format(layout), end.Format(layout), true
}

// rfm sets the RFM matrix's dimensions, R分 × F分, and measures, the count and the average M分.
// The fields exist once the RFM model has run.
func (p *plan) rfm() error {
	var fs [3]*schema.Field
	for i, name := range []string{"R分", "F分", "M分"} {
		if fs[i] = p.t.Field(name); fs[i] == nil {
			return problem.Invalid("report_rfm_missing", "table", p.t.Name).At("table")
		}
	}
	p.dims = []dimPlan{{ref: ref{Field: fs[0]}, label: "R分"}, {ref: ref{Field: fs[1]}, label: "F分"}}
	p.measures = []measPlan{{agg: Count, name: "记录数"}, {agg: Avg, ref: ref{Field: fs[2]}, name: "平均M分"}}
	p.c.Sort = "label"
	return nil
}
