package org

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	"tierbase/core/access"
	"tierbase/core/audit"
	"tierbase/platform/problem"
)

// Department is one node of the tree (部门).
type Department struct {
	ID       int64   `json:"id"`
	Name     string  `json:"name"`
	ParentID int64   `json:"parentId"` // 0: a top department
	Position int     `json:"position"` // order among its siblings
	Heads    []int64 `json:"heads"`    // 主管, by user id
	People   int     `json:"people"`   // how many people belong to it (not counting those below)
}

// DepartmentPatch is a change to a department; nil members stay as they are.
type DepartmentPatch struct {
	Name     *string  `json:"name"`
	ParentID *int64   `json:"parentId"`
	Position *int     `json:"position"` // the place among its (new) siblings, 0 the first
	Heads    *[]int64 `json:"heads"`
}

// maxDeptName bounds a department's name.
const maxDeptName = 50

// Departments returns the tree in display order (each department before those below it,
// siblings by position), with heads and people counts.
func (s *Service) Departments() []Department {
	sn := s.current()
	var out []Department
	var walk func(parent int64)
	walk = func(parent int64) {
		for _, id := range sn.children[parent] {
			d := *sn.base.depts[id]
			d.Heads = slices.Clone(d.Heads)
			d.People = len(sn.deptUsers[id])
			out = append(out, d)
			walk(id)
		}
	}
	walk(0)
	return out
}

// Department returns one department.
func (s *Service) Department(id int64) (Department, error) {
	sn := s.current()
	d := sn.base.depts[id]
	if d == nil {
		return Department{}, problem.NotFound("department", itoa(id))
	}
	out := *d
	out.Heads = slices.Clone(d.Heads)
	out.People = len(sn.deptUsers[id])
	return out, nil
}

// CreateDepartment adds a department under parentID (0: at the top), last among its siblings.
func (s *Service) CreateDepartment(ctx context.Context, a access.Actor, name string, parentID int64, heads []int64) (Department, error) {
	var id int64
	err := s.change(ctx, a, audit.DeptChange, func(tx *sql.Tx) (map[string]any, error) {
		var err error
		id, err = s.createTx(ctx, tx, name, parentID, heads)
		return map[string]any{"department": strings.TrimSpace(name), "after": s.describe(tx, ctx, id)}, err
	})
	if err != nil {
		return Department{}, err
	}
	return s.Department(id)
}

// createTx adds a department inside tx (as CreateDepartment, and the import).
func (s *Service) createTx(ctx context.Context, tx *sql.Tx, name string, parentID int64, heads []int64) (int64, error) {
	name, err := s.checkName(ctx, tx, name, parentID, 0)
	if err != nil {
		return 0, err
	}
	if parentID != 0 && !exists(ctx, tx, parentID) {
		return 0, problem.NotFound("department", itoa(parentID)).At("parentId")
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO _departments(name, parent_id, position)
		VALUES(?, ?, (SELECT COALESCE(MAX(position) + 1, 0) FROM _departments WHERE parent_id = ?)) RETURNING id`,
		name, parentID, parentID).Scan(&id)
	if err != nil {
		return 0, err
	}
	return id, s.setHeads(ctx, tx, id, heads)
}

// UpdateDepartment renames, moves, reorders a department or sets its heads.
func (s *Service) UpdateDepartment(ctx context.Context, a access.Actor, id int64, p DepartmentPatch) (Department, error) {
	err := s.change(ctx, a, audit.DeptChange, func(tx *sql.Tx) (map[string]any, error) {
		var parent int64
		var name string
		if err := tx.QueryRowContext(ctx, "SELECT name, parent_id FROM _departments WHERE id = ?", id).Scan(&name, &parent); err == sql.ErrNoRows {
			return nil, problem.NotFound("department", itoa(id))
		} else if err != nil {
			return nil, err
		}
		before := s.describe(tx, ctx, id)
		if p.ParentID != nil && *p.ParentID != parent {
			if err := s.checkMove(ctx, tx, id, name, *p.ParentID); err != nil {
				return nil, err
			}
			parent = *p.ParentID
			if p.Position == nil { // moved without a place: last among the new siblings
				last := 1 << 30
				p.Position = &last
			}
		}
		if p.Name != nil {
			name = *p.Name
		}
		name, err := s.checkName(ctx, tx, name, parent, id)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE _departments SET name = ?, parent_id = ? WHERE id = ?", name, parent, id); err != nil {
			return nil, err
		}
		if p.Position != nil {
			if err := place(ctx, tx, id, parent, *p.Position); err != nil {
				return nil, err
			}
		}
		if p.Heads != nil {
			if err := s.setHeads(ctx, tx, id, *p.Heads); err != nil {
				return nil, err
			}
		}
		return map[string]any{"department": name, "before": before, "after": s.describe(tx, ctx, id)}, nil
	})
	if err != nil {
		return Department{}, err
	}
	return s.Department(id)
}

// DeleteDepartment removes a department that has no people and no departments below it.
func (s *Service) DeleteDepartment(ctx context.Context, a access.Actor, id int64) error {
	return s.change(ctx, a, audit.DeptChange, func(tx *sql.Tx) (map[string]any, error) {
		d, err := s.Department(id)
		if err != nil {
			return nil, err
		}
		var children int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM _departments WHERE parent_id = ?", id).Scan(&children); err != nil {
			return nil, err
		}
		if children > 0 {
			return nil, problem.New(409, "dept_has_children", "name", d.Name, "count", children)
		}
		if d.People > 0 {
			return nil, problem.New(409, "dept_has_people", "name", d.Name, "count", d.People)
		}
		before := s.describe(tx, ctx, id)
		for _, q := range []string{"DELETE FROM _department_heads WHERE department_id = ?", "DELETE FROM _departments WHERE id = ?"} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return nil, err
			}
		}
		return map[string]any{"department": d.Name, "before": before}, nil
	})
}

// checkName trims a department's name and refuses an empty, long or taken one among the
// siblings under parent (self: the department being renamed, 0 for a new one).
func (s *Service) checkName(ctx context.Context, tx *sql.Tx, name string, parent, self int64) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > maxDeptName || strings.Contains(name, "/") {
		return "", problem.Invalid("dept_bad_name", "max", maxDeptName).At("name")
	}
	var taken int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM _departments WHERE parent_id = ? AND name = ? AND id != ?", parent, name, self).Scan(&taken); err != nil {
		return "", err
	}
	if taken > 0 {
		if parent == 0 {
			return "", problem.New(409, "dept_top_name_taken", "name", name).At("name")
		}
		return "", problem.New(409, "dept_name_taken", "name", name, "parent", s.pathOf(ctx, tx, parent)).At("name")
	}
	return name, nil
}

// checkMove refuses moving id under parent when parent is missing, id itself or below it.
func (s *Service) checkMove(ctx context.Context, tx *sql.Tx, id int64, name string, parent int64) error {
	for p := parent; p != 0; {
		if p == id {
			return problem.Invalid("dept_cycle", "name", name, "parent", s.pathOf(ctx, tx, parent)).At("parentId")
		}
		if err := tx.QueryRowContext(ctx, "SELECT parent_id FROM _departments WHERE id = ?", p).Scan(&p); err == sql.ErrNoRows {
			return problem.NotFound("department", itoa(parent)).At("parentId")
		} else if err != nil {
			return err
		}
	}
	return nil
}

// place puts id at position pos among its siblings under parent and renumbers them 0, 1, ….
func place(ctx context.Context, tx *sql.Tx, id, parent int64, pos int) error {
	rows, err := tx.QueryContext(ctx, "SELECT id FROM _departments WHERE parent_id = ? AND id != ? ORDER BY position, id", parent, id)
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var s int64
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	ids = slices.Insert(ids, min(max(pos, 0), len(ids)), id)
	for i, d := range ids {
		if _, err := tx.ExecContext(ctx, "UPDATE _departments SET position = ? WHERE id = ?", i, d); err != nil {
			return err
		}
	}
	return nil
}

// setHeads replaces the department's 主管; each must be a person.
func (s *Service) setHeads(ctx context.Context, tx *sql.Tx, id int64, heads []int64) error {
	known := map[int64]bool{}
	for _, u := range s.people.List() {
		known[u.ID] = true
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM _department_heads WHERE department_id = ?", id); err != nil {
		return err
	}
	for _, h := range heads {
		if !known[h] {
			return problem.Invalid("bad_user", "value", h).At("heads")
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO _department_heads(department_id, user_id) VALUES(?, ?) ON CONFLICT DO NOTHING", id, h); err != nil {
			return err
		}
	}
	return nil
}

// describe says a department as the audit log shows it: its path and its heads.
func (s *Service) describe(tx *sql.Tx, ctx context.Context, id int64) map[string]any {
	var heads []int64
	rows, err := tx.QueryContext(ctx, "SELECT user_id FROM _department_heads WHERE department_id = ? ORDER BY user_id", id)
	if err == nil {
		for rows.Next() {
			var h int64
			if rows.Scan(&h) == nil {
				heads = append(heads, h)
			}
		}
		rows.Close()
	}
	return map[string]any{"path": s.pathOf(ctx, tx, id), "heads": heads}
}

// pathOf is a department's path from the top, as 销售部/华东区.
func (s *Service) pathOf(ctx context.Context, tx *sql.Tx, id int64) string {
	var parts []string
	for p := id; p != 0 && len(parts) < 100; {
		var name string
		if tx.QueryRowContext(ctx, "SELECT name, parent_id FROM _departments WHERE id = ?", p).Scan(&name, &p) != nil {
			break
		}
		parts = append([]string{name}, parts...)
	}
	return strings.Join(parts, "/")
}

func exists(ctx context.Context, tx *sql.Tx, id int64) bool {
	var n int
	return tx.QueryRowContext(ctx, "SELECT count(*) FROM _departments WHERE id = ?", id).Scan(&n) == nil && n > 0
}

// DepartmentName returns the name of department id; false when there is none.
func (s *Service) DepartmentName(id int64) (string, bool) {
	if d := s.base.Load().depts[id]; d != nil {
		return d.Name, true
	}
	return "", false
}

// FindDepartment returns the department ref names, and how many it could name (0: none,
// 2 and more: ambiguous, the id then 0): a path from a top department (总部/销售部), or the
// name of a department no other has.
func (s *Service) FindDepartment(ref string) (int64, int) {
	depts := s.base.Load().depts
	path, perr := cleanPath(ref)
	if perr != nil {
		return 0, 0
	}
	var parent int64
	found := true
	for _, name := range strings.Split(path, "/") {
		found = false
		for _, d := range depts {
			if d.ParentID == parent && d.Name == name {
				parent, found = d.ID, true
				break
			}
		}
		if !found {
			break
		}
	}
	if found {
		return parent, 1
	}
	var id int64
	n := 0
	for _, d := range depts {
		if d.Name == path {
			id, n = d.ID, n+1
		}
	}
	if n > 1 {
		id = 0
	}
	return id, n
}
