package records

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// Group is one value of a field, how many records have it (Value nil: the empty ones) and,
// with Totals, the sums of the asked numeric fields over them (keyed by field id).
type Group struct {
	Value any                `json:"value"`
	Count int64              `json:"count"`
	Sums  map[string]float64 `json:"sums,omitempty"`
}

// CountBy counts the records of t the actor may read that match filter, per value of a
// single-valued field they may see: one GROUP BY query, largest groups first.
func (s *Service) CountBy(ctx context.Context, a access.Actor, t *schema.Table, filter *cond.Node, field string) ([]Group, error) {
	out, err := s.Totals(ctx, a, t, filter, "", field, nil)
	slices.SortStableFunc(out, func(x, y Group) int { return int(y.Count - x.Count) })
	return out, err
}

// Totals counts the records of t the actor may read that match filter and search, per value
// of a single-valued field they may see, and sums the numeric fields sums (names or ids, which
// they must see too) per value: one GROUP BY query, groups in the field's order. Kanban
// columns and the grid's groups show them.
func (s *Service) Totals(ctx context.Context, a access.Actor, t *schema.Table, filter *cond.Node, search, field string, sums []string) ([]Group, error) {
	f := t.Field(field)
	fs := access.FieldsOf(a, t)
	switch {
	case f == nil || f.Type.IsList():
		return nil, problem.NotFound("field", field)
	case !fs.Visible(f.ID):
		return nil, problem.New(403, "field_hidden", "name", f.Name).At("field")
	case f.Sensitive:
		return nil, sensitiveOp(f, "field")
	}
	col := store.Quote(f.Column())
	exprs := []string{col, "COUNT(*)"}
	var summed []*schema.Field
	for _, name := range sums {
		sf := t.Field(name)
		switch {
		case sf != nil && !fs.Visible(sf.ID):
			return nil, problem.New(403, "field_hidden", "name", sf.Name).At("sum")
		case sf == nil || !sf.Type.IsNumeric() || sf.Sensitive || fs.Masked[sf.ID]:
			return nil, problem.Invalid("bad_sum", "name", name).At("sum")
		}
		summed = append(summed, sf)
		exprs = append(exprs, t.Dialect.Total(store.Quote(sf.Column())))
	}
	w, args, err := s.where(a, t, fs, access.Read, filter, search)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %s WHERE %s GROUP BY 1 ORDER BY 1",
		strings.Join(exprs, ", "), store.Quote(t.SQLName()), w), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Group
	dest := make([]any, len(exprs))
	ptrs := make([]any, len(exprs))
	for i := range dest {
		ptrs[i] = &dest[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		g := Group{Value: FromSQL(f, dest[0]), Count: toInt(dest[1])}
		if len(summed) > 0 {
			g.Sums = make(map[string]float64, len(summed))
			for i, sf := range summed {
				g.Sums[sf.ID] = toFloat(dest[2+i])
			}
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// toInt and toFloat read a count and a sum as either database returns them.
func toInt(v any) int64 {
	n, _ := v.(int64)
	return n
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	case []byte:
		n, _ := strconv.ParseFloat(string(x), 64)
		return n
	case string:
		n, _ := strconv.ParseFloat(x, 64)
		return n
	}
	return 0
}

// Column is one column of a kanban: a value of its 单选 field (nil: 未填) with its count and
// sum, and its first cards.
type Column struct {
	Group
	Items []Record
}

// BoardQuery asks for a kanban of the records matching Filter and Search, in columns by the
// 单选 field Field, each with the sum of the numeric field Sum ("" for none) and its first
// Limit cards in the order Sort (newest first by default). With Column set, only that
// column's cards from Offset on (loading more; *Column nil: 未填), without counts.
type BoardQuery struct {
	Field, Sum   string
	Filter       *cond.Node
	Search, Sort string
	Limit        int
	Column       *any
	Offset       int
}

// Board answers a kanban as the actor may see it: one column per option of the field in its
// order, then any other value records still hold, the empty ones (未填) first. Counts and
// sums come from one GROUP BY (Totals); the cards of each column from one query with a LIMIT,
// which reads the field's index when it has one.
func (s *Service) Board(ctx context.Context, a access.Actor, t *schema.Table, q BoardQuery) ([]Column, error) {
	f := t.Field(q.Field)
	if f == nil || f.Type != schema.Select {
		return nil, problem.NotFound("field", q.Field)
	}
	p, err := s.policy(a, t)
	if err != nil {
		return nil, err
	}
	fs := p.Fields()
	if !fs.Visible(f.ID) {
		return nil, problem.New(403, "field_hidden", "name", f.Name).At("field")
	}
	w, args, err := s.where(a, t, fs, access.Read, q.Filter, q.Search)
	if err != nil {
		return nil, err
	}
	order, err := orderBy(t, fs, q.Sort)
	if err != nil {
		return nil, err
	}
	q.Limit = min(max(q.Limit, 1), MaxLimit)
	var cols []Column
	if q.Column != nil {
		cols = []Column{{Group: Group{Value: *q.Column, Count: -1}}}
	} else if cols, err = s.boardColumns(ctx, a, t, f, q); err != nil {
		return nil, err
	}
	col := store.Quote(f.Column())
	for i, c := range cols {
		if c.Count == 0 {
			continue
		}
		cw, cargs := w+" AND "+col+" IS NULL", args
		if c.Value != nil {
			cw, cargs = w+" AND "+col+" = ?", append(append([]any{}, args...), c.Value)
		}
		items, err := s.query(ctx, s.DB.R, t, pageSQL(t, cw, order, q.Limit, max(q.Offset, 0)), cargs...)
		if err != nil {
			return nil, err
		}
		stripWith(p, t, items...)
		cols[i].Items = items
	}
	return cols, nil
}

// boardColumns are the columns of a kanban by f with their counts and sums, without cards.
func (s *Service) boardColumns(ctx context.Context, a access.Actor, t *schema.Table, f *schema.Field, q BoardQuery) ([]Column, error) {
	var sums []string
	if q.Sum != "" {
		sums = []string{q.Sum}
	}
	groups, err := s.Totals(ctx, a, t, q.Filter, q.Search, f.ID, sums)
	if err != nil {
		return nil, err
	}
	cols := []Column{{Group: Group{Value: nil}}}
	at := map[any]int{nil: 0}
	for _, o := range f.Options {
		at[o.Value] = len(cols)
		cols = append(cols, Column{Group: Group{Value: o.Value}})
	}
	for _, g := range groups {
		i, ok := at[g.Value]
		if !ok {
			i, at[g.Value] = len(cols), len(cols)
			cols = append(cols, Column{})
		}
		cols[i].Group = g
	}
	return cols, nil
}
