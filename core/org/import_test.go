package org_test

import (
	"bytes"
	"context"
	"database/sql"
	"strings"
	"testing"

	"tierbase/core/access"
	"tierbase/platform/problem"
)

// enroll makes w.people stand for package users in the import: new emails become people,
// who show once the import's transaction commits.
func (w *world) enroll() {
	next := int64(100)
	w.org.Enroll = func(ctx context.Context, tx *sql.Tx, a access.Actor, email, name string, roles []string, depts []int64) (int64, error) {
		for _, u := range w.people.List() {
			if u.Email == email {
				w.db.AfterCommit(tx, &u, func() { w.people.set(u.ID, roles, depts...) })
				return u.ID, nil
			}
		}
		next++
		id := next
		w.db.AfterCommit(tx, &id, func() {
			w.people.set(id, roles, depts...)
			w.people.mu.Lock()
			w.people.list[len(w.people.list)-1].Email = email
			w.people.mu.Unlock()
		})
		return id, nil
	}
}

// Any file either imports or is refused with a problem before a department is made; an
// imported file's people are in the departments its rows name.
func FuzzImport(f *testing.F) {
	f.Add("部门,姓名,邮箱,主管,角色\n销售部/华东区,周强,zq@example.com,是,成员\n销售部,吴丽,wl@example.com,否,管理员、成员\n")
	f.Add("部门,姓名,邮箱\n//,a,a@b\n")
	f.Add("部门,姓名,邮箱,主管\n a / b / c ,x,X@Y.com,maybe\n")
	f.Add("姓名,邮箱\n")
	f.Add("部门,姓名,邮箱,角色\n甲,乙,c@d,销售;成员\n甲,乙,C@D,\n")
	f.Fuzz(func(t *testing.T, data string) {
		w := open(t)
		w.enroll()
		sum, err := w.org.Import(ctx, admin, bytes.NewReader([]byte(data)), "org.csv")
		depts := w.org.Departments()
		if err != nil {
			if problem.As(err) == nil {
				t.Fatalf("not a problem: %v", err)
			}
			if len(depts) > 0 {
				t.Fatalf("a refused file left %d departments", len(depts))
			}
			return
		}
		if sum.Departments != len(depts) {
			t.Fatalf("summary says %d departments, the tree has %d", sum.Departments, len(depts))
		}
		for _, d := range depts {
			if strings.TrimSpace(d.Name) == "" || strings.Contains(d.Name, "/") {
				t.Fatalf("department named %q", d.Name)
			}
		}
		for _, u := range w.people.List()[1:] {
			if len(u.Departments) == 0 {
				t.Fatalf("%s is in no department", u.Email)
			}
		}
	})
}
