package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/core/users"
	"tierbase/engines/reports"
)

// policy measures what data scopes cost, in process on the demo data: a 销售经理 whose scope
// is 本部门及下级 in an organisation of 2,000 people in 200 departments (his 事业部 and its 9
// groups: 100 people, one of the demo's eight salespeople among them, so he reads an eighth
// of the 客户) against the admin in the same run — a filtered page of 50 from 客户, and the
// 客户分级看板 cold. The organisation is made through packages org and users, and the actor
// through users.ActorOf, as a signed-in manager gets it.
func policy(data string) {
	ctx := context.Background()
	a, err := app.Open(data)
	must(err)
	defer a.Close()
	t, err := a.Catalog.Table("客户")
	must(err)
	var managerRole string
	for _, r := range a.Org.Roles() {
		if r.Name == "销售经理" {
			managerRole = r.ID
		}
	}
	people := a.Users.List()
	var manager int64
	for d := range 20 {
		top, err := a.Org.CreateDepartment(ctx, access.System, fmt.Sprintf("事业部%02d", d+1), 0, nil)
		must(err)
		depts := []int64{top.ID}
		for g := range 9 {
			sub, err := a.Org.CreateDepartment(ctx, access.System, fmt.Sprintf("%d组", g+1), top.ID, nil)
			must(err)
			depts = append(depts, sub.ID)
		}
		for i, dept := range depts {
			for p := range 10 {
				roles := []string{access.MemberRoleID}
				if d == 0 && i == 0 && p == 0 {
					roles = []string{managerRole}
				}
				u, _, err := a.Users.Add(ctx, access.System, users.NewUser{Email: fmt.Sprintf("p%d-%d-%d@bench.tierbase", d, i, p),
					Name: fmt.Sprintf("成员%d-%d-%d", d, i, p), Roles: roles, Departments: []int64{dept}})
				must(err)
				if len(roles) == 1 && roles[0] == managerRole {
					manager = u.ID
				}
			}
		}
		if d == 0 { // one of the demo's salespeople works in the manager's first group
			for _, u := range people {
				if u.Email == "lina@demo.tierbase" {
					_, err := a.Users.Update(ctx, access.System, u.ID, users.Patch{Departments: &[]int64{depts[1]}})
					must(err)
				}
			}
		}
	}
	mu, _ := a.Users.Get(manager)
	me := a.Users.ActorOf(mu)
	if n := len(me.Grants.SubDepartmentUsers); n != 101 {
		fatalf("the manager's subtree holds %d people, want 101", n)
	}
	admin := access.Actor{UserID: people[0].ID, Role: access.RoleAdmin}
	var seller access.Actor // 李娜, 销售 (仅本人): an eighth of the 客户 are hers
	for _, u := range a.Users.List() {
		if u.Email == "lina@demo.tierbase" {
			seller = a.Users.ActorOf(u)
		}
	}
	actors := []struct {
		name string
		a    access.Actor
	}{{"admin", admin}, {"销售经理 (本部门及下级)", me}, {"销售 (仅本人)", seller}}

	q := records.Query{Filter: &cond.Node{Field: "累计消费金额", Op: "gt", Value: 10000}, Sort: "-累计消费金额", Limit: 50, SkipTotal: true}
	// The actors take turns page by page, so that whatever else the machine does (a collection,
	// another process) falls on each alike: 4 × *lists pages each, the first *lists a warm-up.
	lat := make([][]float64, len(actors))
	for i := range 4 * *lists {
		for k, ac := range actors {
			t0 := time.Now()
			if _, err := a.Records.List(ctx, ac.a, t, q); err != nil {
				fatalf("%v", err)
			}
			if i >= *lists {
				lat[k] = append(lat[k], float64(time.Since(t0).Nanoseconds())/1e6)
			}
		}
	}
	p99 := map[string]float64{}
	for k, ac := range actors {
		p99[ac.name] = pct(lat[k], 99)
	}
	record(fmt.Sprintf("filtered page of 50 from %s 客户 in process: admin vs 销售经理 (本部门及下级: 101 of 2,000 people in 200 departments)", count(a, t)),
		fmt.Sprintf("p99 %.2f vs %.2f ms = %.2f×", p99["admin"], p99["销售经理 (本部门及下级)"], p99["销售经理 (本部门及下级)"]/p99["admin"]), "≤ 1.2× the admin", "")
	record("same page as a 销售 (仅本人: 李娜, an eighth of the 客户)",
		fmt.Sprintf("p99 %.2f ms = %.2f× the admin", p99["销售 (仅本人)"], p99["销售 (仅本人)"]/p99["admin"]), "", "")

	board, err := a.Reports.Dashboard("客户分级看板")
	must(err)
	charts := board.Charts
	cold := map[string]float64{}
	for _, ac := range actors {
		touch := func() { // a write makes every cached result stale
			_, err := a.Records.Create(ctx, access.System, t, records.Input{"客户名称": "基准测试客户"})
			must(err)
		}
		all := func() {
			var wg sync.WaitGroup
			for _, c := range charts {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := a.Reports.Data(ctx, ac.a, c.ID, reports.Filters{}); err != nil {
						fatalf("%v", err)
					}
				}()
			}
			wg.Wait()
		}
		cold[ac.name] = median(3, touch, all)
	}
	record(fmt.Sprintf("客户分级看板 cold, all %d charts, in process: admin vs 销售经理", len(charts)),
		fmt.Sprintf("%.2f vs %.2f s = %.2f×", cold["admin"], cold["销售经理 (本部门及下级)"], cold["销售经理 (本部门及下级)"]/cold["admin"]), "≤ 1.2× the admin", "")
}

// count returns how many records t holds.
func count(a *app.App, t interface{ SQLName() string }) string {
	var n int64
	must(a.DB.R.QueryRow(`SELECT COUNT(*) FROM "` + t.SQLName() + `"`).Scan(&n))
	return fmt.Sprint(n)
}
