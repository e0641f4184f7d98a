package records

import (
	"context"
	"fmt"
	"strings"

	"tierbase/core/access"
	"tierbase/core/schema"
	"tierbase/platform/store"
)

// Titles maps, per user, department or link field id, the ids found in recs to display
// names: user names, department names, and the title field of the linked records the actor may read (others stay unnamed,
// and so does a title field hidden from the actor). One query per link field.
func (s *Service) Titles(ctx context.Context, a access.Actor, t *schema.Table, recs []Record) (map[string]map[int64]string, error) {
	out := map[string]map[int64]string{}
	fs := access.FieldsOf(a, t)
	for _, f := range t.Fields {
		if !f.Type.IsRef() && f.Type != schema.Links || fs.Hidden[f.ID] { // recs hold partial fields only where the actor sees them
			continue
		}
		ids := map[int64]bool{}
		for _, r := range recs {
			switch v := r[f.ID].(type) {
			case int64:
				ids[v] = true
			case []int64:
				for _, id := range v {
					ids[id] = true
				}
			}
		}
		if len(ids) == 0 {
			continue
		}
		m := make(map[int64]string, len(ids))
		out[f.ID] = m
		switch f.Type {
		case schema.User:
			for id := range ids {
				if u, ok := s.Users.Get(id); ok {
					m[id] = u.Name
				}
			}
			continue
		case schema.Department:
			for id := range ids {
				if name, ok := s.departmentName(id); ok {
					m[id] = name
				}
			}
			continue
		}
		target, err := s.Catalog.Table(f.LinkTable)
		if err != nil {
			continue
		}
		list := make([]int64, 0, len(ids))
		for id := range ids {
			list = append(list, id)
		}
		named, err := s.TitlesOf(ctx, a, target, list)
		if err != nil {
			return nil, err
		}
		for id, title := range named {
			if title != "" {
				m[id] = title
			}
		}
	}
	return out, nil
}

// TitlesOf maps those of ids that are records of t the actor may read to their titles (""
// when the title field is hidden from the actor or empty); the others are left out. One query.
func (s *Service) TitlesOf(ctx context.Context, a access.Actor, t *schema.Table, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	title := "NULL"
	fs := access.FieldsOf(a, t)
	f := t.Title()
	if f != nil && fs.Visible(f.ID) {
		title = store.Quote(f.Column())
	}
	scope, scopeArgs, err := s.where(a, t, fs, access.Read, nil, "")
	if err != nil {
		return nil, err
	}
	args := make([]any, 0, len(ids)+len(scopeArgs))
	for _, id := range ids {
		args = append(args, id)
	}
	q := fmt.Sprintf("SELECT id, %s FROM %s WHERE id IN (%s) AND (%s)", title,
		store.Quote(t.SQLName()), strings.TrimSuffix(strings.Repeat("?,", len(ids)), ","), scope)
	rows, err := s.DB.R.QueryContext(ctx, q, append(args, scopeArgs...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var v any
		if err := rows.Scan(&id, &v); err != nil {
			return nil, err
		}
		if f != nil && f.Sensitive {
			v = titleOf(f, fs, v)
		} else if f != nil && f.Type.IsNumeric() { // PostgreSQL's NUMERIC arrives as text
			v = FromSQL(f, v)
		}
		switch x := v.(type) {
		case nil:
			out[id] = ""
		case []byte:
			out[id] = string(x)
		default:
			out[id] = fmt.Sprint(x)
		}
	}
	return out, rows.Err()
}

// departmentName returns the name of department id, false when there is none.
func (s *Service) departmentName(id int64) (string, bool) {
	if s.Departments == nil {
		return "", false
	}
	return s.Departments.DepartmentName(id)
}
