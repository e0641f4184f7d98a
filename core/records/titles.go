package records

import (
	"context"
	"fmt"
	"strings"

	"tierbase/core/access"
	"tierbase/core/schema"
	"tierbase/platform/store"
)

// Titles maps, per user or link field id, the ids found in recs to display names: user
// names, and the title field of the linked records the actor may read (others stay unnamed,
// and so does a title field hidden from the actor). One query per link field.
func (s *Service) Titles(ctx context.Context, a access.Actor, t *schema.Table, recs []Record) (map[string]map[int64]string, error) {
	out := map[string]map[int64]string{}
	fs := access.FieldsOf(a, t)
	for _, f := range t.Fields {
		if !f.Type.IsRef() || !fs.Visible(f.ID) {
			continue
		}
		ids := map[int64]bool{}
		for _, r := range recs {
			if id, ok := r[f.ID].(int64); ok {
				ids[id] = true
			}
		}
		if len(ids) == 0 {
			continue
		}
		m := make(map[int64]string, len(ids))
		out[f.ID] = m
		if f.Type == schema.User {
			for id := range ids {
				if u, ok := s.Users.Get(id); ok {
					m[id] = u.Name
				}
			}
			continue
		}
		target, err := s.Catalog.Table(f.LinkTable)
		if err != nil {
			continue
		}
		title := target.Title()
		if !access.FieldsOf(a, target).Visible(title.ID) {
			continue
		}
		scope, scopeArgs, err := s.where(a, target, access.Read, nil, "")
		if err != nil {
			return nil, err
		}
		args := make([]any, 0, len(ids)+len(scopeArgs))
		for id := range ids {
			args = append(args, id)
		}
		q := fmt.Sprintf("SELECT id, %s FROM %s WHERE id IN (%s) AND (%s)", store.Quote(title.Column()),
			store.Quote(target.SQLName()), strings.TrimSuffix(strings.Repeat("?,", len(args)), ","), scope)
		rows, err := s.DB.R.QueryContext(ctx, q, append(args, scopeArgs...)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var v any
			if err := rows.Scan(&id, &v); err != nil {
				rows.Close()
				return nil, err
			}
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			m[id] = fmt.Sprint(v)
		}
		rows.Close()
	}
	return out, nil
}
