package records

import (
	"context"
	"fmt"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// Group is one value of a field and how many records have it (Value nil: the empty ones).
type Group struct {
	Value any   `json:"value"`
	Count int64 `json:"count"`
}

// CountBy counts the records of t the actor may read that match filter, per value of a
// single-valued field they may see: one GROUP BY query, largest groups first.
func (s *Service) CountBy(ctx context.Context, a access.Actor, t *schema.Table, filter *cond.Node, field string) ([]Group, error) {
	f := t.Field(field)
	fs := access.FieldsOf(a, t)
	if f == nil || !fs.Visible(f.ID) || f.Type.IsMulti() {
		return nil, problem.NotFound("field", field)
	}
	if f.Sensitive {
		return nil, sensitiveOp(f, "field")
	}
	w, args, err := s.where(a, t, fs, access.Read, filter, "")
	if err != nil {
		return nil, err
	}
	col := store.Quote(f.Column())
	rows, err := s.DB.R.QueryContext(ctx, fmt.Sprintf("SELECT %s, COUNT(*) FROM %s WHERE %s GROUP BY 1 ORDER BY 2 DESC, 1",
		col, store.Quote(t.SQLName()), w), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Group
	for rows.Next() {
		var g Group
		if err := rows.Scan(&g.Value, &g.Count); err != nil {
			return nil, err
		}
		g.Value = FromSQL(f, g.Value)
		out = append(out, g)
	}
	return out, rows.Err()
}
