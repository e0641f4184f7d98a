// Package org is the organisation: the department tree (部门) with its 主管, the roles (角色)
// admins define, and the grants a signed-in person acts with — their roles, their departments
// and the people of those departments and of every department below. Grants are served from
// an in-memory snapshot of the tree, the roles and the people, rebuilt when any of them
// changes, so resolving them costs microseconds per request.
package org

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"tierbase/core/access"
	"tierbase/core/audit"
	"tierbase/core/schema"
	"tierbase/core/users"
	"tierbase/platform/store"
)

// People is who the organisation is made of: package users' accounts, with their roles and
// departments. Version changes whenever any person or membership changes.
type People interface {
	List() []users.User
	Version() uint64
}

// Service keeps the departments and roles and resolves grants.
type Service struct {
	db      *store.DB
	catalog *schema.Catalog
	people  People
	Now     func() time.Time
	// Enroll adds people and their memberships for the import (set by package app).
	Enroll Enroll

	mu      sync.Mutex // serialises changes
	buildMu sync.Mutex // serialises snapshot rebuilds
	base    atomic.Pointer[base]
	snap    atomic.Pointer[snapshot]
}

// base is what the database holds: the tree and the roles.
type base struct {
	depts map[int64]*Department // heads filled, People not
	order []*access.Role        // by position
}

// snapshot is base joined with the people, for one version of them.
type snapshot struct {
	version   uint64
	base      *base
	roles     map[string]*access.Role
	children  map[int64][]int64 // parent (0: the top) → children, by position
	deptUsers map[int64][]int64 // people of each department, by id
	subUsers  map[int64][]int64 // people of each department and every one below, by id
	subDepts  map[int64][]int64 // each department and every one below it, by id
	main      map[int64]int64   // person → main department
	roleUsers map[string]int    // role id → how many people have it
	grants    sync.Map          // person id → shared grants, as Grants resolved them
}

// sharedGrants are a person's grants shared by their requests (access.Grants.Shared), with
// what they were resolved from.
type sharedGrants struct {
	roles       []string
	departments []int64
	g           *access.Grants
}

// Open loads the departments and roles, seeding the built-in roles 管理员 and 成员 when missing.
func Open(db *store.DB, cat *schema.Catalog, people People) (*Service, error) {
	s := &Service{db: db, catalog: cat, people: people, Now: time.Now}
	ctx := context.Background()
	var n int
	if err := db.R.QueryRowContext(ctx, "SELECT count(*) FROM _roles WHERE id IN (?, ?)", access.AdminRoleID, access.MemberRoleID).Scan(&n); err != nil {
		return nil, err
	}
	if n < 2 {
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			for i, r := range []*access.Role{access.AdminRole(), access.MemberRole()} {
				def, _ := json.Marshal(r)
				if _, err := tx.ExecContext(ctx, "INSERT INTO _roles(id, position, def) VALUES(?, ?, ?) ON CONFLICT DO NOTHING", r.ID, i-2, string(def)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if err := s.reload(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// reload reads the tree and the roles from the database and drops the snapshot.
func (s *Service) reload(ctx context.Context) error {
	b := &base{depts: map[int64]*Department{}}
	rows, err := s.db.R.QueryContext(ctx, "SELECT id, name, parent_id, position FROM _departments")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		d := &Department{Heads: []int64{}}
		if err := rows.Scan(&d.ID, &d.Name, &d.ParentID, &d.Position); err != nil {
			return err
		}
		b.depts[d.ID] = d
	}
	if err := rows.Err(); err != nil {
		return err
	}
	hrows, err := s.db.R.QueryContext(ctx, "SELECT department_id, user_id FROM _department_heads ORDER BY user_id")
	if err != nil {
		return err
	}
	defer hrows.Close()
	for hrows.Next() {
		var d, u int64
		if err := hrows.Scan(&d, &u); err != nil {
			return err
		}
		if dep := b.depts[d]; dep != nil {
			dep.Heads = append(dep.Heads, u)
		}
	}
	if err := hrows.Err(); err != nil {
		return err
	}
	rrows, err := s.db.R.QueryContext(ctx, "SELECT def FROM _roles ORDER BY position, id")
	if err != nil {
		return err
	}
	defer rrows.Close()
	for rrows.Next() {
		var def string
		if err := rrows.Scan(&def); err != nil {
			return err
		}
		r := &access.Role{}
		if err := json.Unmarshal([]byte(def), r); err != nil {
			return err
		}
		b.order = append(b.order, r)
	}
	if err := rrows.Err(); err != nil {
		return err
	}
	s.buildMu.Lock()
	s.base.Store(b)
	s.snap.Store(nil)
	s.buildMu.Unlock()
	return nil
}

// current returns the snapshot for the people as they are now, rebuilding it if they changed.
func (s *Service) current() *snapshot {
	v := s.people.Version()
	if sn := s.snap.Load(); sn != nil && sn.version == v {
		return sn
	}
	s.buildMu.Lock()
	defer s.buildMu.Unlock()
	if sn := s.snap.Load(); sn != nil && sn.version == v {
		return sn
	}
	sn := build(s.base.Load(), s.people.List(), v)
	s.snap.Store(sn)
	return sn
}

func build(b *base, people []users.User, version uint64) *snapshot {
	sn := &snapshot{version: version, base: b, roles: map[string]*access.Role{}, children: map[int64][]int64{},
		deptUsers: map[int64][]int64{}, subUsers: map[int64][]int64{}, subDepts: map[int64][]int64{}, main: map[int64]int64{}, roleUsers: map[string]int{}}
	for _, r := range b.order {
		sn.roles[r.ID] = r
	}
	for _, d := range b.depts {
		sn.children[d.ParentID] = append(sn.children[d.ParentID], d.ID)
	}
	for p, ids := range sn.children {
		slices.SortFunc(ids, func(x, y int64) int { return compareDepts(b.depts[x], b.depts[y]) })
		sn.children[p] = ids
	}
	for _, u := range people { // by id, so every list below is sorted
		for _, r := range RolesOf(u) {
			sn.roleUsers[r]++
		}
		if len(u.Departments) > 0 {
			sn.main[u.ID] = u.Departments[0]
		}
		for _, d := range u.Departments {
			if b.depts[d] == nil || slices.Contains(sn.deptUsers[d], u.ID) {
				continue
			}
			sn.deptUsers[d] = append(sn.deptUsers[d], u.ID)
		}
	}
	var below func(id int64) []int64
	below = func(id int64) []int64 {
		if l, ok := sn.subUsers[id]; ok {
			return l
		}
		l := sn.deptUsers[id]
		for _, c := range sn.children[id] {
			l = union(l, below(c))
		}
		sn.subUsers[id] = l
		return l
	}
	var tree func(id int64) []int64
	tree = func(id int64) []int64 {
		if l, ok := sn.subDepts[id]; ok {
			return l
		}
		l := []int64{id}
		for _, c := range sn.children[id] {
			l = union(l, tree(c))
		}
		sn.subDepts[id] = l
		return l
	}
	for id := range b.depts {
		below(id)
		tree(id)
	}
	return sn
}

func compareDepts(x, y *Department) int {
	if x.Position != y.Position {
		return x.Position - y.Position
	}
	return int(x.ID - y.ID)
}

// union merges two sorted id lists into a new sorted list without repeats.
func union(a, b []int64) []int64 {
	if len(b) == 0 {
		return a
	}
	if len(a) == 0 {
		return b
	}
	out := make([]int64, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i] < b[j]):
			out = append(out, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i, j = i+1, j+1
		}
	}
	return out
}

// RolesOf returns a person's role ids: their Roles, or, for accounts stored before roles
// existed, their Role.
func RolesOf(u users.User) []string {
	if len(u.Roles) > 0 {
		return u.Roles
	}
	if u.Role != "" {
		return []string{u.Role}
	}
	return []string{access.MemberRoleID}
}

// Grants resolves what u acts with: their roles (unknown ids are ignored), their departments
// and the people of those departments and of every department below them.
// They are shared by the calls for the same person until anything changes (a snapshot holds
// them), so that what access works out from them is kept between requests.
func (s *Service) Grants(u users.User) *access.Grants {
	sn := s.current()
	roles := RolesOf(u)
	if v, ok := sn.grants.Load(u.ID); ok {
		if e := v.(*sharedGrants); slices.Equal(e.roles, roles) && slices.Equal(e.departments, u.Departments) {
			return e.g
		}
	}
	g := sn.resolve(u).Shared()
	sn.grants.Store(u.ID, &sharedGrants{roles: slices.Clone(roles), departments: slices.Clone(u.Departments), g: g})
	return g
}

// resolve works out u's grants in the snapshot.
func (sn *snapshot) resolve(u users.User) *access.Grants {
	g := &access.Grants{}
	for _, id := range RolesOf(u) {
		if r := sn.roles[id]; r != nil {
			g.Roles = append(g.Roles, r)
		}
	}
	for _, d := range u.Departments {
		if sn.base.depts[d] == nil {
			continue
		}
		g.Departments = append(g.Departments, d)
		g.DepartmentUsers = union(g.DepartmentUsers, sn.deptUsers[d])
		g.SubDepartmentUsers = union(g.SubDepartmentUsers, sn.subUsers[d])
		g.SubDepartments = union(g.SubDepartments, sn.subDepts[d])
	}
	return g
}

// Heads returns the 主管 of a department, for the flow engine's approvers.
func (s *Service) Heads(deptID int64) []int64 {
	if d := s.base.Load().depts[deptID]; d != nil {
		return slices.Clone(d.Heads)
	}
	return nil
}

// Parent returns the department above deptID; false for a top department or an unknown id.
func (s *Service) Parent(deptID int64) (int64, bool) {
	if d := s.base.Load().depts[deptID]; d != nil && d.ParentID != 0 {
		return d.ParentID, true
	}
	return 0, false
}

// MainDepartment returns the person's main department; false if they belong to none.
func (s *Service) MainDepartment(userID int64) (int64, bool) {
	d, ok := s.current().main[userID]
	return d, ok
}

// change runs fn in a write transaction with an audit event of the detail fn answers (none
// for a nil detail: fn wrote its own), then reloads the tree and roles.
func (s *Service) change(ctx context.Context, a access.Actor, action string, fn func(tx *sql.Tx) (detail map[string]any, err error)) error {
	if err := access.Can(a, access.ManageUsers); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		detail, err := fn(tx)
		if err != nil || detail == nil {
			return err
		}
		return audit.Write(ctx, tx, s.Now(), audit.Event{UserID: a.UserID, Action: action, Detail: detail})
	})
	if rerr := s.reload(context.WithoutCancel(ctx)); err == nil {
		err = rerr
	}
	return err
}
