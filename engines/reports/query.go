package reports

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/schema"
	"tierbase/platform/store"
)

// maxGroups caps the categories of a dimension without a top-N (huge cardinality, such as
// grouping by 客户名称): the rest are summed as 其他.
const maxGroups = 200

// maxDetailRows bounds a detail table.
const maxDetailRows = 200

// source is the FROM and WHERE of a chart's query: the table (alias s), its links (l0, l1…)
// and the condition — scope, chart filter and dashboard filters — with its arguments.
type source struct {
	from  string
	where string
	args  []any
	joins []*schema.Field // link fields, alias l<i>
}

// env is the clock, zone and user the conditions are evaluated with.
func (e *Engine) env(a access.Actor) cond.Env {
	return access.Env(a, cond.Env{Now: e.Now(), Loc: e.loc()})
}

func (e *Engine) loc() *time.Location {
	if e.Loc != nil {
		return e.Loc
	}
	return time.Local
}

// condition is everything that selects a chart's records: the viewer's scope, the chart's
// filter and the dashboard filters, as one flat "and" where possible.
func (p *plan) condition(a access.Actor, f Filters) *cond.Node {
	var parts []*cond.Node
	add := func(n *cond.Node) {
		switch {
		case n == nil || (n.Field == "" && n.And == nil && n.Or == nil && n.Not == nil):
		case n.And != nil:
			parts = append(parts, n.And...)
		default:
			parts = append(parts, n)
		}
	}
	add(access.Scope(a, p.t, access.Read))
	add(p.c.Filter)
	if p.dateF != nil && (f.From != "" || f.To != "") && p.c.Type != Migration {
		from, to := f.From, f.To
		switch {
		case from == "":
			add(&cond.Node{Field: p.dateF.ID, Op: "lte", Value: to})
		case to == "":
			add(&cond.Node{Field: p.dateF.ID, Op: "gte", Value: from})
		default:
			add(&cond.Node{Field: p.dateF.ID, Op: "between", Value: []any{from, to}})
		}
	}
	if len(f.Owners) > 0 {
		ids := make([]any, len(f.Owners))
		for i, id := range f.Owners {
			ids[i] = id
		}
		add(&cond.Node{Field: schema.FieldOwner, Op: "in", Value: ids})
	}
	if len(f.Regions) > 0 && p.regionF != nil {
		add(under(p.regionF, f.Regions)) // 广东 keeps 广东 and 广东/深圳, as the chart folds them
	}
	return &cond.Node{And: parts}
}

// under is the condition "f is one of the regions or under one of them" (广东 keeps 广东 and
// 广东/深圳): the same folding as the Province bucket.
func under(f *schema.Field, regions []string) *cond.Node {
	ors := make([]*cond.Node, len(regions))
	for i, r := range regions {
		ors[i] = &cond.Node{Field: f.ID, Op: "under", Value: r}
	}
	if len(ors) == 1 {
		return ors[0]
	}
	return &cond.Node{Or: ors}
}

// source builds the FROM and WHERE of the chart's query for actor a: the table and every
// linked table it reads are limited to the rows a may read.
func (e *Engine) source(p *plan, a access.Actor, f Filters) (*source, error) {
	where, args, err := cond.Compile(p.condition(a, f), p.t, e.env(a))
	if err != nil {
		return nil, err
	}
	s := &source{where: where, args: args}
	refs := slices.Clone(p.columns)
	for _, d := range p.dims {
		refs = append(refs, d.ref)
	}
	for _, m := range p.measures {
		refs = append(refs, m.ref)
	}
	for _, r := range refs {
		if r.Link != nil && !slices.Contains(s.joins, r.Link) {
			s.joins = append(s.joins, r.Link)
		}
	}
	table := store.Quote(p.t.SQLName())
	if len(s.joins) == 0 {
		s.from = table + " AS s"
		return s, nil
	}
	// The condition names the table's columns unqualified: apply it in a subquery, so the
	// joined tables' columns (id, owner…) cannot clash with them.
	var b strings.Builder
	fmt.Fprintf(&b, "(SELECT * FROM %s WHERE %s) AS s", table, where)
	// A linked table is read within the viewer's scope of it too: a linked record they may
	// not read joins as if the link were empty, so its fields never show.
	for i, l := range s.joins {
		lt, err := e.Catalog.Table(l.LinkTable)
		if err != nil {
			return nil, err
		}
		joined := store.Quote(lt.SQLName())
		if sc := access.Scope(a, lt, access.Read); sc != nil {
			w, args, err := cond.Compile(sc, lt, e.env(a))
			if err != nil {
				return nil, err
			}
			joined = fmt.Sprintf("(SELECT * FROM %s WHERE %s)", joined, w)
			s.args = append(s.args, args...)
		}
		fmt.Fprintf(&b, " LEFT JOIN %s AS l%d ON l%d.id = s.%s", joined, i, i, store.Quote(l.Column()))
	}
	s.from, s.where = b.String(), "1=1"
	return s, nil
}

// col is the SQL of a field reference in the chart's query.
func (s *source) col(r ref) string {
	if r.Link != nil {
		return fmt.Sprintf("l%d.%s", slices.Index(s.joins, r.Link), store.Quote(r.Field.Column()))
	}
	return "s." + store.Quote(r.Field.Column())
}

// zone is the users' zone as the date buckets read it: datetimes are stored in UTC.
func (e *Engine) zone() *store.Zone {
	z := store.ZoneOf(e.loc(), e.Now())
	return &z
}

// bucket is the SQL of the date bucket of a date or date-time column in the users' zone.
func (e *Engine) bucket(colSQL, bucket string, f *schema.Field) string {
	var z *store.Zone
	if f.Type == schema.DateTime {
		z = e.zone()
	}
	return e.DB.Dialect.DateBucket(colSQL, bucket, z)
}

// dimSQL is the SQL of a dimension's value: the column, its date bucket, its province or city.
func (e *Engine) dimSQL(s *source, d dimPlan) string {
	c := s.col(d.ref)
	switch d.bucket {
	case "":
		return c
	case Province:
		return e.DB.Dialect.Province(c)
	case City:
		return e.DB.Dialect.City(c)
	}
	return e.bucket(c, d.bucket, d.ref.Field)
}

// aggSQL is the SQL of a measure's aggregate; only is a condition that limits it (for the
// current and previous periods of an indicator), or "".
func (s *source) aggSQL(d store.Dialect, m measPlan, only string) string {
	if m.agg == Count {
		if only != "" {
			return "COUNT(CASE WHEN " + only + " THEN 1 END)"
		}
		return "COUNT(*)"
	}
	x := s.col(m.ref)
	if only != "" {
		x = "CASE WHEN " + only + " THEN " + x + " END"
	}
	switch m.agg {
	case Distinct:
		return "COUNT(DISTINCT " + x + ")"
	case Sum:
		return d.Total(x)
	}
	return strings.ToUpper(m.agg) + "(" + x + ")"
}

// stored lists the measures computed by SQL (formulas are computed from them).
func (p *plan) stored() []measPlan {
	var out []measPlan
	for _, m := range p.measures {
		if m.formula == nil {
			out = append(out, m)
		}
	}
	return out
}

// aggregate runs the chart's GROUP BY and returns its rows. Without more categories than
// the top-N (or the cap), that is one query; otherwise a second one folds the rest into 其他
// exactly (each aggregate computed over the folded records).
func (e *Engine) aggregate(ctx context.Context, p *plan, s *source) ([]Row, bool, error) {
	meas := p.stored()
	limits := make([]int, len(p.dims))
	for i := range p.dims {
		limits[i] = maxGroups
		if i == 0 && p.c.Limit > 0 {
			limits[i] = p.c.Limit
		}
	}
	keys := make([]string, len(p.dims))
	for i, d := range p.dims {
		keys[i] = e.dimSQL(s, d)
	}
	cols := slices.Clone(keys)
	for _, m := range meas {
		cols = append(cols, s.aggSQL(e.DB.Dialect, m, ""))
	}
	group := ""
	if len(keys) > 0 {
		n := make([]string, len(keys))
		for i := range keys {
			n[i] = strconv.Itoa(i + 1)
		}
		group = " GROUP BY " + strings.Join(n, ", ")
	}
	// More rows than this means some dimension has more categories than its limit.
	bound := 1
	for _, l := range limits {
		bound *= l
	}
	q := fmt.Sprintf("SELECT %s FROM %s WHERE %s%s LIMIT %d", strings.Join(cols, ", "), s.from, s.where, group, bound+1)
	rows, err := e.query(ctx, q, s.args, p.keyFields(), len(meas))
	if err != nil {
		return nil, false, err
	}
	if !overflows(rows, limits) {
		return rows, false, nil
	}
	// Fold: each dimension keeps its top categories by the first measure, the rest is 其他.
	folded := slices.Clone(keys)
	var args []any
	for i, k := range keys {
		first := s.aggSQL(e.DB.Dialect, meas[0], "")
		// The top categories are named ones (empty values go to 其他 anyway), ties broken by
		// the category, so both databases keep the same ones.
		top := fmt.Sprintf("SELECT %s FROM %s WHERE (%s) AND %s IS NOT NULL GROUP BY 1 ORDER BY %s DESC, 1 LIMIT %d",
			k, s.from, s.where, k, first, limits[i])
		// NULL for the rest (and for empty values, which are never in the top): 其他 below.
		// A text '其他' here would not type-check against a number's column on PostgreSQL.
		folded[i] = fmt.Sprintf("CASE WHEN %s IN (%s) THEN %s END", k, top, k)
		args = append(args, s.args...)
	}
	cols = slices.Clone(folded)
	for _, m := range meas {
		cols = append(cols, s.aggSQL(e.DB.Dialect, m, ""))
	}
	q = fmt.Sprintf("SELECT %s FROM %s WHERE %s%s", strings.Join(cols, ", "), s.from, s.where, group)
	rows, err = e.query(ctx, q, append(args, s.args...), p.keyFields(), len(meas))
	for _, r := range rows {
		for i, k := range r.Keys {
			if k == nil {
				r.Keys[i] = Other
			}
		}
	}
	return rows, true, err
}

// keyFields are the fields of the dimensions' values.
func (p *plan) keyFields() []*schema.Field {
	out := make([]*schema.Field, len(p.dims))
	for i, d := range p.dims {
		if d.bucket == "" {
			out[i] = d.ref.Field
		}
	}
	return out
}

// overflows reports whether a dimension has more distinct values than its limit.
func overflows(rows []Row, limits []int) bool {
	for i, l := range limits {
		seen := map[any]bool{}
		for _, r := range rows {
			seen[r.Keys[i]] = true
		}
		if len(seen) > l {
			return true
		}
	}
	return false
}

// query runs an aggregate query whose columns are the keys, values of fields (nil for
// labels such as date buckets), then nv numbers.
func (e *Engine) query(ctx context.Context, q string, args []any, fields []*schema.Field, nv int) ([]Row, error) {
	rs, err := e.DB.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	nk := len(fields)
	out := []Row{}
	for rs.Next() {
		keys := make([]any, nk)
		vals := make([]sql.NullFloat64, nv) // NUMERIC (PostgreSQL's sums) arrives as text: Scan parses it
		dst := make([]any, 0, nk+nv)
		for i := range keys {
			dst = append(dst, &keys[i])
		}
		for i := range vals {
			dst = append(dst, &vals[i])
		}
		if err := rs.Scan(dst...); err != nil {
			return nil, err
		}
		r := Row{Keys: keys, Values: make([]*float64, nv)}
		for i, k := range keys {
			r.Keys[i] = value(fields[i], k)
		}
		for i, v := range vals {
			if v.Valid && !math.IsInf(v.Float64, 0) && !math.IsNaN(v.Float64) {
				f := v.Float64
				r.Values[i] = &f
			}
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

// value is a column's value as read from either database, in SQLite's form: text as a
// string, numbers as float64 (PostgreSQL gives NUMERIC as text: 12.50 reads 12.5), lists
// as compact JSON text (PostgreSQL writes jsonb with spaces). f is nil for a computed label.
func value(f *schema.Field, v any) any {
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	s, ok := v.(string)
	if !ok || f == nil {
		return v
	}
	switch {
	case f.Type.IsNumeric():
		if n, err := strconv.ParseFloat(s, 64); err == nil {
			return n
		}
	case f.Type.IsMulti():
		var list []string
		if json.Unmarshal([]byte(s), &list) == nil {
			b, _ := json.Marshal(list)
			return string(b)
		}
	}
	return v
}

// formulas adds the formula measures to rows computed with the stored measures only, so
// each row's values follow p.measures.
func (p *plan) formulas(rows []Row) {
	if len(p.stored()) == len(p.measures) {
		return
	}
	for i := range rows {
		byName := map[string]*float64{}
		j := 0
		out := make([]*float64, len(p.measures))
		for k, m := range p.measures {
			if m.formula == nil {
				out[k] = rows[i].Values[j]
				byName[m.name] = rows[i].Values[j]
				j++
			}
		}
		for k, m := range p.measures {
			if m.formula != nil {
				out[k] = m.formula.eval(byName)
			}
		}
		rows[i].Values = out
	}
}

// stages are the categories of the first dimension drawn first, in this order: the chart's
// Order, or for a funnel over a select field its options (the stages of a sales funnel).
func (p *plan) stages() []string {
	if len(p.c.Order) > 0 {
		return p.c.Order
	}
	if p.c.Type != Funnel || len(p.dims) != 1 || p.dims[0].bucket != "" || p.dims[0].ref.Field.Type != schema.Select {
		return nil
	}
	var out []string
	for _, o := range p.dims[0].ref.Field.Options {
		out = append(out, o.Value)
	}
	return out
}

// emptyStages adds to a funnel's rows the stages no record reached, with zero counts and sums,
// so each stage's conversion is against the stage before it.
func (p *plan) emptyStages(rows []Row) []Row {
	if p.c.Type != Funnel {
		return rows
	}
	for _, st := range p.stages() {
		if slices.ContainsFunc(rows, func(r Row) bool { return fmt.Sprint(r.Keys[0]) == st }) {
			continue
		}
		r := Row{Keys: []any{st}}
		for _, m := range p.stored() {
			var v *float64
			if m.agg == Count || m.agg == Distinct || m.agg == Sum {
				v = new(float64)
			}
			r.Values = append(r.Values, v)
		}
		rows = append(rows, r)
	}
	return rows
}

// formats is how each measure reads (Result.Formats): counts, amounts of money (an aggregate
// of a money field, or a formula over one), percentages, or plain numbers.
func (p *plan) formats() []string {
	out := make([]string, len(p.measures))
	money := map[string]bool{}
	for i, m := range p.measures {
		switch {
		case m.agg == Count || m.agg == Distinct:
			out[i] = "count"
		case m.formula != nil:
		case m.ref.Field.Type == schema.Money:
			out[i], money[m.name] = "money", true
		case m.ref.Field.Type == schema.Percent:
			out[i] = "percent"
		}
	}
	for i, m := range p.measures {
		if m.formula != nil {
			m.formula.names(func(n string) {
				if money[n] {
					out[i] = "money"
				}
			})
		}
	}
	return out
}

// order sorts the rows: the stages first in their order (see stages), then by label for date
// buckets and by value otherwise, unless the chart says; 其他 and empty categories go last.
func (p *plan) order(rows []Row) {
	rank := map[string]int{}
	for i, st := range p.stages() {
		if _, ok := rank[st]; !ok {
			rank[st] = i
		}
	}
	sortBy := p.c.Sort
	if sortBy == "" {
		sortBy = "value"
		if len(p.dims) > 0 && p.dims[0].bucket != "" && p.dims[0].bucket != Province && p.dims[0].bucket != City || p.c.Type == Line || p.c.Type == Area {
			sortBy = "label"
		}
	}
	desc := strings.HasPrefix(sortBy, "-")
	byLabel := strings.TrimPrefix(sortBy, "-") == "label"
	if !byLabel {
		desc = !desc // "value" is largest first
	}
	// Series of a second dimension sort together by their category's total.
	totals := map[string]float64{}
	for _, r := range rows {
		if len(r.Keys) > 0 && len(r.Values) > 0 && r.Values[0] != nil {
			totals[fmt.Sprint(r.Keys[0])] += *r.Values[0]
		}
	}
	last := func(r Row) bool { return len(r.Keys) > 0 && (r.Keys[0] == nil || r.Keys[0] == Other) }
	slices.SortStableFunc(rows, func(a, b Row) int {
		if la, lb := last(a), last(b); la != lb {
			if la {
				return 1
			}
			return -1
		}
		if len(rank) > 0 && len(a.Keys) > 0 {
			ra, aok := rank[fmt.Sprint(a.Keys[0])]
			rb, bok := rank[fmt.Sprint(b.Keys[0])]
			switch {
			case aok && bok && ra != rb:
				return ra - rb
			case aok != bok:
				if aok {
					return -1
				}
				return 1
			}
		}
		var c int
		if byLabel || len(a.Keys) == 0 {
			c = compareKeys(a.Keys, b.Keys)
		} else {
			c = cmpFloat(totals[fmt.Sprint(a.Keys[0])], totals[fmt.Sprint(b.Keys[0])])
			if c == 0 {
				c = compareKeys(a.Keys[:1], b.Keys[:1])
				if desc {
					c = -c // equal totals: keep labels ascending after the flip below
				}
			}
		}
		if desc {
			c = -c
		}
		if c == 0 && len(a.Keys) > 1 {
			c = compareKeys(a.Keys[1:], b.Keys[1:])
		}
		return c
	})
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compareKeys(a, b []any) int {
	for i := range min(len(a), len(b)) {
		if c := compareKey(a[i], b[i]); c != 0 {
			return c
		}
	}
	return 0
}

func compareKey(a, b any) int {
	fa, aok := toFloat(a)
	fb, bok := toFloat(b)
	if aok && bok {
		return cmpFloat(fa, fb)
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}
