package main

import (
	"context"
	"fmt"
	"log"
	"sync"
	"time"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/engines/reports"
)

// policy measures what data scopes cost, in process on the demo data: a 销售经理 whose scope
// is 本部门及下级 in an organisation of 2,000 people in 200 departments (his subtree: 20
// departments, 200 people, half of the demo's salespeople among them) against the admin in
// the same run — a filtered page of 50 from 客户, and the 客户分级看板 cold.
func policy(data string) {
	ctx := context.Background()
	a, err := app.Open(data)
	must(err)
	defer a.Close()
	t, err := a.Catalog.Table("客户")
	must(err)
	people := a.Users.List()
	var sub []int64
	for i, u := range people {
		if i%2 == 0 {
			sub = append(sub, u.ID)
		}
	}
	for id := int64(100_000); len(sub) < 200; id++ { // the rest of the subtree: people without customers
		sub = append(sub, id)
	}
	scope := access.DataScope{Kind: access.ScopeSubDepartments}
	manager := access.Actor{UserID: sub[0], Role: access.RoleMember, Grants: &access.Grants{
		Roles:       []*access.Role{{ID: "sales_manager", Name: "销售经理", Default: &access.TablePerm{Actions: access.TableActions, Read: scope, Change: scope}}},
		Departments: []int64{1}, DepartmentUsers: sub[:10], SubDepartmentUsers: sub,
	}}
	admin := access.Actor{UserID: people[0].ID, Role: access.RoleAdmin}
	actors := []struct {
		name string
		a    access.Actor
	}{{"admin", admin}, {"销售经理 (本部门及下级)", manager}}

	q := records.Query{Filter: &cond.Node{Field: "累计消费金额", Op: "gt", Value: 10000}, Sort: "-累计消费金额", Limit: 50, SkipTotal: true}
	p99 := map[string]float64{}
	for range 2 { // interleaved twice, so neither runs on a colder cache
		for _, ac := range actors {
			lat := make([]float64, *lists)
			for i := range lat {
				t0 := time.Now()
				if _, err := a.Records.List(ctx, ac.a, t, q); err != nil {
					log.Fatal(err)
				}
				lat[i] = float64(time.Since(t0).Microseconds()) / 1000
			}
			p99[ac.name] = pct(lat, 99)
		}
	}
	record(fmt.Sprintf("filtered page of 50 from %s 客户 in process: admin vs 销售经理 (本部门及下级, 200 of 2,000 people)", count(a, t)),
		fmt.Sprintf("p99 %.2f vs %.2f ms = %.2f×", p99["admin"], p99["销售经理 (本部门及下级)"], p99["销售经理 (本部门及下级)"]/p99["admin"]), "≤ 1.2× the admin", "")

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
						log.Fatal(err)
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
