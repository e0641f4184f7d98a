package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"tierbase/app"
	"tierbase/core/audit"
	"tierbase/core/users"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// An organisation import is one transaction: when the write refuses a person midway (the last
// admin losing the role, or the database failing on a membership), the departments, people,
// memberships, invitations, 主管 and the operation log are exactly as before, in the database
// and in memory; the same file without the refused row then imports wholly.
func TestOrgImportIsOneTransaction(t *testing.T) {
	ctx := context.Background()
	a, err := app.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	boss, err := a.Users.Setup(ctx, "boss@example.com", "a long passphrase 1", "老板")
	if err != nil {
		t.Fatal(err)
	}
	admin := a.Users.ActorOf(boss)
	fin, err := a.Org.CreateDepartment(ctx, admin, "财务部", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	kj, _, err := a.Users.Add(ctx, admin, users.NewUser{Email: "kj@example.com", Name: "会计", Departments: []int64{fin.ID}})
	if err != nil {
		t.Fatal(err)
	}
	const good = "部门,姓名,邮箱,主管,角色\n" +
		"销售部/华东区,周强,zq@example.com,是,成员\n" +
		"销售部,吴丽,wl@example.com,是,\n" +
		"销售部/华东区,会计,kj@example.com,否,成员\n"

	// state is everything an import writes, as stored and as served from memory.
	state := func() string {
		var b strings.Builder
		for _, table := range []string{"_departments", "_department_heads", "_users", "_user_roles", "_user_departments", "_invites", "_audit"} {
			rows, err := a.DB.R.Query("SELECT * FROM " + table + " ORDER BY 1, 2")
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				fmt.Fprintln(&b, table, vals)
			}
			rows.Close()
		}
		k, _ := a.Users.Get(kj.ID)
		g := a.Org.Grants(k)
		version := a.Users.Version()
		if a.DB.Dialect == store.Postgres {
			version = 0 // the watcher's first reload (store.Watch) moves it at a moment of its own
		}
		fmt.Fprintln(&b, a.Users.List(), version, a.Org.Departments(), a.Org.Heads(fin.ID),
			len(g.Roles), g.Departments, g.DepartmentUsers, g.SubDepartmentUsers)
		return b.String()
	}
	importing := func(file string) (int, error) {
		sum, err := a.Org.Import(ctx, admin, strings.NewReader(file), "org.csv")
		return sum.People, err
	}

	before := state()
	if _, err := importing(good + "财务部,老板,boss@example.com,否,成员\n"); problem.As(err) == nil || problem.As(err).Code != "last_admin" {
		t.Fatalf("taking the last admin's role: %v, want last_admin", err)
	}
	if after := state(); after != before {
		t.Fatalf("a refused import changed things:\nbefore\n%s\nafter\n%s", before, after)
	}

	// The second membership this import writes fails in the database.
	refuse := []string{`CREATE TRIGGER refuse BEFORE INSERT ON _user_departments
		WHEN (SELECT count(*) FROM _user_departments) >= 2 BEGIN SELECT RAISE(ABORT, 'membership refused'); END`}
	if a.DB.Dialect == store.Postgres {
		refuse = []string{`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
			IF (SELECT count(*) FROM _user_departments) >= 2 THEN RAISE EXCEPTION 'membership refused'; END IF;
			RETURN NEW; END $$`,
			`CREATE TRIGGER refuse BEFORE INSERT ON _user_departments FOR EACH ROW EXECUTE FUNCTION refuse()`}
	}
	for _, q := range refuse {
		if err := a.DB.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	before = state()
	if _, err := importing(good); err == nil || !strings.Contains(err.Error(), "membership refused") {
		t.Fatalf("a failing membership: %v", err)
	}
	if after := state(); after != before {
		t.Fatalf("a failed import changed things:\nbefore\n%s\nafter\n%s", before, after)
	}
	drop := []string{"DROP TRIGGER refuse"}
	if a.DB.Dialect == store.Postgres {
		drop = []string{"DROP TRIGGER refuse ON _user_departments", "DROP FUNCTION refuse()"}
	}
	for _, q := range drop {
		if err := a.DB.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}

	logged := func() (n int) {
		if err := a.DB.R.QueryRow("SELECT count(*) FROM _audit WHERE action IN (?, ?)", audit.DeptChange, audit.UserChange).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	logBefore := logged()
	people, err := importing(good)
	if err != nil || people != 2 {
		t.Fatalf("the good file: %d people added, %v", people, err)
	}
	depts := map[string]int64{}
	for _, d := range a.Org.Departments() {
		depts[d.Name] = d.ID
	}
	east := depts["华东区"]
	if len(depts) != 3 || len(a.Org.Heads(east)) != 1 || len(a.Org.Heads(depts["销售部"])) != 1 {
		t.Fatalf("departments %v, heads of 华东区 %v", depts, a.Org.Heads(east))
	}
	if k, _ := a.Users.Get(kj.ID); len(k.Departments) != 1 || k.Departments[0] != east {
		t.Fatalf("会计 is in %v, want 华东区 (%d)", k.Departments, east)
	}
	if g := a.Org.Grants(boss); len(g.Departments) != 0 {
		t.Fatalf("the admin got departments %v", g.Departments)
	}
	// The departments made, two people added and one edited, the 主管.
	if n := logged() - logBefore; n != 5 {
		t.Fatalf("the import logged %d entries, want 5", n)
	}
}
