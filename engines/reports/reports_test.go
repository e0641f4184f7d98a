package reports_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/engines/grading"
	"tierbase/engines/reports"
	"tierbase/platform/problem"
	"tierbase/templates/crm"
)

var (
	cst   = time.FixedZone("CST", 8*3600)
	today = time.Date(2026, 11, 23, 10, 30, 0, 0, cst)
	ctx   = context.Background()
)

// env is a database with the CRM template, demo data, graded tiers, RFM scores and the
// default dashboards.
type env struct {
	a     *app.App
	dir   string // the data directory, for a second node (DB.Path is empty on PostgreSQL)
	board map[string]*reports.Dashboard
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	a, err := app.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, err := crm.Demo(ctx, a.DB, a.Catalog, a.Users, crm.DemoOptions{Customers: 1500, Seed: 7, Today: today}); err != nil {
		t.Fatal(err)
	}
	// Grade two months ago, then today: the tier history has moves in two months.
	a.SetClock(func() time.Time { return today.AddDate(0, -2, 0) }, cst)
	if err := crm.InstallRules(ctx, a.Rules); err != nil {
		t.Fatal(err)
	}
	a.SetClock(func() time.Time { return today }, cst)
	if _, err := a.Grading.RegradeAll(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Grading.RunRFM(ctx, access.System, grading.RFM{Table: "客户", Orders: "订单", OrderDate: "下单日期", OrderAmount: "订单金额"}); err != nil {
		t.Fatal(err)
	}
	if err := crm.InstallDashboards(ctx, a.Reports); err != nil {
		t.Fatal(err)
	}
	e := &env{a: a, dir: dir, board: map[string]*reports.Dashboard{}}
	for _, d := range a.Reports.Dashboards() {
		full, err := a.Reports.Dashboard(d.ID)
		if err != nil {
			t.Fatal(err)
		}
		e.board[d.Name] = full
	}
	return e
}

// col is the quoted column of a field of a table.
func (e *env) col(t *testing.T, table, field string) string {
	t.Helper()
	tbl := e.table(t, table)
	f := tbl.Field(field)
	if f == nil {
		t.Fatalf("no field %s.%s", table, field)
	}
	return `"` + f.Column() + `"`
}

func (e *env) table(t *testing.T, name string) *schema.Table {
	t.Helper()
	tbl, err := e.a.Catalog.Table(name)
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

// sql runs a hand-written query of keys then one number per row, as "key|key" → value.
func (e *env) sql(t *testing.T, q string, args ...any) map[string]float64 {
	t.Helper()
	rows, err := e.a.DB.R.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	out := map[string]float64{}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, k := range vals[:len(vals)-1] {
			keys = append(keys, keyText(k))
		}
		var n sql.NullFloat64
		n.Scan(vals[len(vals)-1])
		out[strings.Join(keys, "|")] = n.Float64
	}
	return out
}

// rows runs a hand-written query and returns its rows, text as strings.
func (e *env) rows(t *testing.T, q string, args ...any) [][]any {
	t.Helper()
	rows, err := e.a.DB.R.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// local is the local time in the users' zone (cst) of a UTC date-time as stored, or nil.
func local(t *testing.T, v any) *time.Time {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		return nil
	}
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("date-time %q: %v", s, err)
	}
	at = at.In(cst)
	return &at
}

// day is the date of a stored date, or nil.
func day(t *testing.T, v any) *time.Time {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		return nil
	}
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		t.Fatalf("date %q: %v", s, err)
	}
	return &d
}

// number is a number as either database returns it (NUMERIC as text on PostgreSQL).
func number(v any) float64 {
	var n sql.NullFloat64
	n.Scan(v)
	return n.Float64
}

// label is the chart's label of a date bucket, computed in Go; "<nil>" for no date.
func label(d *time.Time, bucket string) string {
	if d == nil {
		return "<nil>"
	}
	switch bucket {
	case reports.Day:
		return d.Format("2006-01-02")
	case reports.Week:
		return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7)).Format("2006-01-02")
	case reports.Month:
		return d.Format("2006-01")
	case reports.Quarter:
		return fmt.Sprintf("%d-Q%d", d.Year(), (int(d.Month())+2)/3)
	}
	return d.Format("2006")
}

func keyText(k any) string {
	switch x := k.(type) {
	case nil:
		return "<nil>"
	case []byte:
		return string(x)
	case float64:
		return fmt.Sprint(x)
	}
	return fmt.Sprint(k)
}

// series is a result as "key|key" → the measure at index m.
func series(res *reports.Result, m int) map[string]float64 {
	out := map[string]float64{}
	for _, r := range res.Rows {
		var keys []string
		for _, k := range r.Keys {
			keys = append(keys, keyText(k))
		}
		v := 0.0
		if r.Values[m] != nil {
			v = *r.Values[m]
		}
		out[strings.Join(keys, "|")] = v
	}
	return out
}

func same(t *testing.T, what string, got, want map[string]float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d categories, want %d\n got %v\nwant %v", what, len(got), len(want), got, want)
		return
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok || math.Abs(g-w) > 1e-6*math.Max(1, math.Abs(w)) {
			t.Errorf("%s: %q = %v (present %v), want %v", what, k, g, ok, w)
		}
	}
}

func (e *env) preview(t *testing.T, a access.Actor, c reports.Chart, f reports.Filters) *reports.Result {
	t.Helper()
	if c.Title == "" {
		c.Title = "测试"
	}
	res, err := e.a.Reports.Preview(ctx, a, &c, f)
	if err != nil {
		t.Fatalf("%s: %v", c.Title, err)
	}
	return res
}

func chartByTitle(t *testing.T, d *reports.Dashboard, title string) *reports.Chart {
	t.Helper()
	for _, c := range d.Charts {
		if c.Title == title {
			return c
		}
	}
	t.Fatalf("no chart %s on %s", title, d.Name)
	return nil
}

func TestDefaultDashboardsDraw(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"客户分级看板", "RFM 矩阵", "客户地区分布", "团队业绩", "客服看板"} {
		d := e.board[name]
		if d == nil {
			t.Fatalf("dashboard %s missing", name)
		}
		if len(d.Charts) == 0 || len(d.Layout) != len(d.Charts) {
			t.Fatalf("%s: %d charts, layout %v", name, len(d.Charts), d.Layout)
		}
		for _, c := range d.Charts {
			res, err := e.a.Reports.Data(ctx, access.System, c.ID, reports.Filters{})
			if err != nil {
				t.Fatalf("%s / %s: %v", name, c.Title, err)
			}
			if len(res.Rows) == 0 && name != "客服看板" { // no 工单 here: templates/crm checks its figures
				t.Errorf("%s / %s: no rows", name, c.Title)
			}
		}
	}
	// Installing again adds nothing.
	if err := crm.InstallDashboards(ctx, e.a.Reports); err != nil {
		t.Fatal(err)
	}
	if n := len(e.a.Reports.Dashboards()); n != 5 {
		t.Fatalf("%d dashboards after a second install", n)
	}
}

// The S3 charts of 客户分级看板 equal hand-written SQL over the same data.
func TestTierBoardEqualsSQL(t *testing.T) {
	e := newEnv(t)
	d := e.board["客户分级看板"]
	tbl := `"t_` + e.table(t, "客户").ID + `"`
	tier, source, first := e.col(t, "客户", "客户等级"), e.col(t, "客户", "客户来源"), e.col(t, "客户", "首次购买日期")

	pie, err := e.a.Reports.Data(ctx, access.System, chartByTitle(t, d, "客户等级分布").ID, reports.Filters{})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "pie", series(pie, 0), e.sql(t, "SELECT "+tier+", COUNT(*) FROM "+tbl+" GROUP BY 1"))
	for i := 1; i < len(pie.Rows); i++ {
		if *pie.Rows[i].Values[0] > *pie.Rows[i-1].Values[0] {
			t.Errorf("pie not largest first: %v", series(pie, 0))
		}
	}

	bar, err := e.a.Reports.Data(ctx, access.System, chartByTitle(t, d, "高价值客户来源").ID, reports.Filters{})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "bar", series(bar, 0), e.sql(t, "SELECT "+source+", COUNT(*) FROM "+tbl+" WHERE "+tier+" = '高价值客户' GROUP BY 1"))

	line, err := e.a.Reports.Data(ctx, access.System, chartByTitle(t, d, "每月新增高价值客户").ID, reports.Filters{})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "line", series(line, 0), e.sql(t, "SELECT substr("+first+", 1, 7), COUNT(*) FROM "+tbl+" WHERE "+tier+" = '高价值客户' GROUP BY 1"))
	for i := 1; i < len(line.Rows); i++ {
		if keyText(line.Rows[i].Keys[0]) < keyText(line.Rows[i-1].Keys[0]) && line.Rows[i].Keys[0] != nil {
			t.Errorf("line not in date order: %v", line.Rows)
		}
	}

	// A dashboard date range applies to the line's date dimension.
	ranged, err := e.a.Reports.Data(ctx, access.System, chartByTitle(t, d, "每月新增高价值客户").ID, reports.Filters{From: "2026-01-01", To: "2026-06-30"})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "line in a range", series(ranged, 0), e.sql(t, "SELECT substr("+first+", 1, 7), COUNT(*) FROM "+tbl+" WHERE "+tier+
		" = '高价值客户' AND "+first+" BETWEEN '2026-01-01' AND '2026-06-30' GROUP BY 1"))

	// Indicator with the change against the previous month (by 首次购买日期): Nov 1–23 vs Oct 1–23.
	ind, err := e.a.Reports.Data(ctx, access.System, chartByTitle(t, d, "本月新客户").ID, reports.Filters{})
	if err != nil {
		t.Fatal(err)
	}
	cur := e.sql(t, "SELECT 'x', COUNT(*) FROM "+tbl+" WHERE "+first+" BETWEEN '2026-11-01' AND '2026-11-23'")["x"]
	prev := e.sql(t, "SELECT 'x', COUNT(*) FROM "+tbl+" WHERE "+first+" BETWEEN '2026-10-01' AND '2026-10-23'")["x"]
	if ind.Value == nil || *ind.Value != cur || ind.Previous == nil || *ind.Previous != prev {
		t.Fatalf("indicator %v / %v, want %v / %v", ind.Value, ind.Previous, cur, prev)
	}
	if prev > 0 && (ind.Change == nil || math.Abs(*ind.Change-(cur-prev)/prev) > 1e-9) {
		t.Fatalf("change %v", ind.Change)
	}
}

// Measures, buckets, links, top-N and formulas equal hand-written SQL.
func TestChartKindsEqualSQL(t *testing.T) {
	e := newEnv(t)
	cust, orders, follow := e.table(t, "客户"), e.table(t, "订单"), e.table(t, "跟进记录")
	ct, ot, ft := `"t_`+cust.ID+`"`, `"t_`+orders.ID+`"`, `"t_`+follow.ID+`"`
	amount, region, industry := e.col(t, "客户", "累计消费金额"), e.col(t, "客户", "地区"), e.col(t, "客户", "所属行业")
	oAmount, oLink, oDate, oStatus := e.col(t, "订单", "订单金额"), e.col(t, "订单", "客户"), e.col(t, "订单", "下单日期"), e.col(t, "订单", "订单状态")
	fAt := e.col(t, "跟进记录", "跟进时间")

	// sum, avg, min, max and distinct by 所属行业, filtered.
	res := e.preview(t, access.System, reports.Chart{Type: reports.Bar, Table: "客户", Dimensions: []reports.Dimension{{Field: "所属行业"}},
		Filter: &cond.Node{Field: "累计消费金额", Op: "gt", Value: 5000},
		Measures: []reports.Measure{{Agg: "sum", Field: "累计消费金额"}, {Agg: "avg", Field: "累计消费金额"}, {Agg: "min", Field: "购买频率"},
			{Agg: "max", Field: "购买频率"}, {Agg: "distinct", Field: "地区"}}}, reports.Filters{})
	w := " FROM " + ct + " WHERE " + amount + " > 5000 GROUP BY 1"
	same(t, "sum", series(res, 0), e.sql(t, "SELECT "+industry+", SUM("+amount+")"+w))
	same(t, "avg", series(res, 1), e.sql(t, "SELECT "+industry+", AVG("+amount+")"+w))
	same(t, "min", series(res, 2), e.sql(t, "SELECT "+industry+", MIN("+e.col(t, "客户", "购买频率")+")"+w))
	same(t, "distinct", series(res, 4), e.sql(t, "SELECT "+industry+", COUNT(DISTINCT "+region+")"+w))
	if res.Measures[0] != "累计消费金额合计" {
		t.Errorf("default measure name %q", res.Measures[0])
	}

	// Orders by the customer's province (through the link), quarter buckets, stacked.
	res = e.preview(t, access.System, reports.Chart{Type: reports.Bar, Stack: true, Table: "订单",
		Dimensions: []reports.Dimension{{Field: "下单日期", Bucket: "quarter"}, {Field: "客户.地区"}},
		Measures:   []reports.Measure{{Name: "金额", Agg: "sum", Field: "订单金额"}}}, reports.Filters{})
	want := map[string]float64{}
	for _, r := range e.rows(t, `SELECT o.`+oDate+`, c.`+region+`, o.`+oAmount+` FROM `+ot+` o LEFT JOIN `+ct+` c ON c.id = o.`+oLink) {
		want[label(day(t, r[0]), reports.Quarter)+"|"+keyText(r[1])] += number(r[2])
	}
	same(t, "link × quarter", series(res, 0), want)

	// Follow-ups per week of 跟进时间 (a UTC datetime) in the users' zone, UTC+8.
	res = e.preview(t, access.System, reports.Chart{Type: reports.Line, Table: "跟进记录",
		Dimensions: []reports.Dimension{{Field: "跟进时间", Bucket: "week"}}}, reports.Filters{})
	want = map[string]float64{}
	for _, r := range e.rows(t, `SELECT `+fAt+` FROM `+ft) {
		want[label(local(t, r[0]), reports.Week)]++
	}
	same(t, "weeks in CST", series(res, 0), want)

	// A formula over measures; division by zero is empty.
	res = e.preview(t, access.System, reports.Chart{Type: reports.Bar, Table: "订单", Dimensions: []reports.Dimension{{Field: "订单状态"}},
		Measures: []reports.Measure{{Name: "成交", Agg: "sum", Field: "订单金额"}, {Name: "单数", Agg: "count"},
			{Name: "均价", Agg: "formula", Formula: "成交 ÷ 单数"}, {Name: "零", Agg: "formula", Formula: "成交 / (单数 - 单数)"}}}, reports.Filters{})
	same(t, "formula", series(res, 2), e.sql(t, "SELECT "+oStatus+", AVG("+oAmount+") FROM "+ot+" GROUP BY 1"))
	for _, r := range res.Rows {
		if r.Values[3] != nil {
			t.Fatalf("division by zero gave %v", *r.Values[3])
		}
	}

	// An indicator over a datetime, this quarter so far against the same days of the last one,
	// in the users' zone.
	res = e.preview(t, access.System, reports.Chart{Type: reports.Indicator, Table: "跟进记录", Compare: "quarter", DateField: "跟进时间"}, reports.Filters{})
	followUps := e.rows(t, `SELECT `+fAt+` FROM `+ft)
	days := func(from, to string) float64 {
		n := 0.0
		for _, r := range followUps {
			if d := label(local(t, r[0]), reports.Day); d != "<nil>" && d >= from && d <= to {
				n++
			}
		}
		return n
	}
	if cur, prev := days("2026-10-01", "2026-11-23"), days("2026-07-01", "2026-08-23"); res.Value == nil || *res.Value != cur || res.Previous == nil || *res.Previous != prev {
		t.Errorf("quarter indicator %v / %v, want %v / %v", res.Value, res.Previous, cur, prev)
	}

	// Top 5 provinces by customers, the rest summed as 其他.
	res = e.preview(t, access.System, reports.Chart{Type: reports.Pie, Table: "客户", Dimensions: []reports.Dimension{{Field: "地区"}},
		Limit: 5}, reports.Filters{})
	all := e.sql(t, "SELECT COALESCE("+region+", '<nil>'), COUNT(*) FROM "+ct+" GROUP BY 1 ORDER BY 2 DESC")
	type kv struct {
		k string
		v float64
	}
	var sorted []kv
	for k, v := range all {
		if k != "<nil>" {
			sorted = append(sorted, kv{k, v})
		}
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].v > sorted[j].v })
	want = map[string]float64{reports.Other: all["<nil>"]}
	for i, x := range sorted {
		if i < 5 {
			want[x.k] = x.v
		} else {
			want[reports.Other] += x.v
		}
	}
	if !res.Capped || res.Rows[len(res.Rows)-1].Keys[0] != reports.Other {
		t.Errorf("top-5 not capped with 其他 last: %v", series(res, 0))
	}
	same(t, "top 5", series(res, 0), want)

	// The RFM matrix: R分 × F分 with the average M分.
	res = e.preview(t, access.System, reports.Chart{Type: reports.RFM, Table: "客户"}, reports.Filters{})
	r, f, m := e.col(t, "客户", "R分"), e.col(t, "客户", "F分"), e.col(t, "客户", "M分")
	// The scores are whole numbers: as integers, both databases write them alike (3, not 3.0).
	scores := "CAST(" + r + " AS INTEGER), CAST(" + f + " AS INTEGER)"
	same(t, "rfm count", series(res, 0), e.sql(t, "SELECT "+scores+", COUNT(*) FROM "+ct+" WHERE "+r+" IS NOT NULL AND "+f+" IS NOT NULL GROUP BY 1, 2"))
	same(t, "rfm avg M", series(res, 1), e.sql(t, "SELECT "+scores+", AVG("+m+") FROM "+ct+" WHERE "+r+" IS NOT NULL AND "+f+" IS NOT NULL GROUP BY 1, 2"))

	// Tier migration by month from the tier history.
	res = e.preview(t, access.System, reports.Chart{Type: reports.Migration, Table: "客户", Dimensions: []reports.Dimension{{Field: "客户等级"}}}, reports.Filters{})
	want = map[string]float64{}
	for _, r := range e.rows(t, `SELECT at, COALESCE(from_value, ''), COALESCE(to_value, '') FROM _tier_history WHERE table_id = ? AND field = ?`,
		cust.ID, cust.Field("客户等级").ID) {
		want[label(local(t, r[0]), reports.Month)+"|"+keyText(r[1])+"|"+keyText(r[2])]++
	}
	if len(want) == 0 {
		t.Fatal("no tier history")
	}
	same(t, "migration", series(res, 0), want)
}

// A member's charts count only the records they are 负责人 of.
func TestMemberSeesOwnAggregates(t *testing.T) {
	e := newEnv(t)
	var member int64
	for _, u := range e.a.Users.List() {
		if u.Role == "member" {
			member = u.ID
			break
		}
	}
	ct := `"t_` + e.table(t, "客户").ID + `"`
	tier := e.col(t, "客户", "客户等级")
	pie := chartByTitle(t, e.board["客户分级看板"], "客户等级分布")
	res, err := e.a.Reports.Data(ctx, access.Actor{UserID: member, Role: "member"}, pie.ID, reports.Filters{})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "member pie", series(res, 0), e.sql(t, "SELECT "+tier+", COUNT(*) FROM "+ct+" WHERE owner = ? GROUP BY 1", member))
	all, _ := e.a.Reports.Data(ctx, access.System, pie.ID, reports.Filters{})
	if fmt.Sprint(series(all, 0)) == fmt.Sprint(series(res, 0)) {
		t.Fatal("the member sees everyone's counts")
	}
	// The dashboard's 负责人 filter narrows an admin's view the same way.
	byOwner, _ := e.a.Reports.Data(ctx, access.Actor{UserID: 1, Role: "admin"}, pie.ID, reports.Filters{Owners: []int64{member}})
	same(t, "owner filter", series(byOwner, 0), series(res, 0))
}

// Each row's drill-down filter lists exactly the records the row counts.
func TestDrillDownFilterListsTheRows(t *testing.T) {
	e := newEnv(t)
	cust := e.table(t, "客户")
	check := func(c reports.Chart, f reports.Filters) {
		t.Helper()
		res := e.preview(t, access.System, c, f)
		if len(res.Rows) == 0 {
			t.Fatalf("%s: no rows", c.Title)
		}
		for _, r := range res.Rows {
			if r.Filter == nil {
				t.Fatalf("%s: row %v has no filter", c.Title, r.Keys)
			}
			page, err := e.a.Records.List(ctx, access.System, cust, records.Query{Filter: r.Filter, Limit: 1})
			if err != nil {
				b, _ := json.Marshal(r.Filter)
				t.Fatalf("%s: %s: %v", c.Title, b, err)
			}
			if float64(page.Total) != *r.Values[0] {
				b, _ := json.Marshal(r.Filter)
				t.Errorf("%s: row %v counts %v, its filter %s lists %d", c.Title, r.Keys, *r.Values[0], b, page.Total)
			}
		}
	}
	check(reports.Chart{Title: "等级", Type: reports.Pie, Table: "客户", Dimensions: []reports.Dimension{{Field: "客户等级"}},
		Filter: &cond.Node{Field: "客户来源", Op: "ne", Value: "官网"}}, reports.Filters{Regions: []string{"广东", "浙江"}})
	check(reports.Chart{Title: "月份", Type: reports.Bar, Table: "客户", Dimensions: []reports.Dimension{{Field: "首次购买日期", Bucket: "month"}}},
		reports.Filters{From: "2025-01-01", To: "2026-11-23"})
	check(reports.Chart{Title: "创建周", Type: reports.Bar, Table: "客户", Dimensions: []reports.Dimension{{Field: "创建时间", Bucket: "week"}}}, reports.Filters{})
	check(reports.Chart{Title: "省份前三", Type: reports.Map, Table: "客户", Dimensions: []reports.Dimension{{Field: "地区"}}, Limit: 3}, reports.Filters{})
	check(reports.Chart{Title: "负责人", Type: reports.Bar, Table: "客户", Dimensions: []reports.Dimension{{Field: "负责人"}}}, reports.Filters{})
}

func TestBadDefinitionsNameThePart(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		c    reports.Chart
		path string
	}{
		{reports.Chart{Type: "radar", Table: "客户"}, "type"},
		{reports.Chart{Type: reports.Pie, Table: "没有这个表"}, "table"},
		{reports.Chart{Type: reports.Pie, Table: "客户"}, "dimensions"},
		{reports.Chart{Type: reports.Pie, Table: "客户", Dimensions: []reports.Dimension{{Field: "不存在"}}}, "dimensions[0].field"},
		{reports.Chart{Type: reports.Bar, Table: "客户", Dimensions: []reports.Dimension{{Field: "客户等级", Bucket: "month"}}}, "dimensions[0].bucket"},
		{reports.Chart{Type: reports.Bar, Table: "客户", Dimensions: []reports.Dimension{{Field: "标签"}}}, "dimensions[0].field"},
		{reports.Chart{Type: reports.Bar, Table: "客户", Dimensions: []reports.Dimension{{Field: "客户等级"}},
			Measures: []reports.Measure{{Agg: "count"}, {Agg: "sum", Field: "客户名称"}}}, "measures[1].field"},
		{reports.Chart{Type: reports.Bar, Table: "客户", Dimensions: []reports.Dimension{{Field: "客户等级"}},
			Measures: []reports.Measure{{Agg: "median", Field: "累计消费金额"}}}, "measures[0].agg"},
		{reports.Chart{Type: reports.Bar, Table: "客户", Dimensions: []reports.Dimension{{Field: "客户等级"}},
			Measures: []reports.Measure{{Name: "数", Agg: "count"}, {Agg: "formula", Formula: "数 / (数"}}}, "measures[1].formula"},
		{reports.Chart{Type: reports.Bar, Table: "客户", Dimensions: []reports.Dimension{{Field: "客户等级"}},
			Measures: []reports.Measure{{Name: "数", Agg: "count"}, {Agg: "formula", Formula: "数 / 商机数"}}}, "measures[1].formula"},
		{reports.Chart{Type: reports.Bar, Table: "客户", Dimensions: []reports.Dimension{{Field: "客户等级"}},
			Filter: &cond.Node{And: []*cond.Node{{Field: "客户等级", Op: "eq", Value: "潜力客户"}, {Field: "累计消费金额", Op: "gt", Value: "many"}}}}, "filter.and[1].value"},
		{reports.Chart{Type: reports.Bar, Table: "客户", Dimensions: []reports.Dimension{{Field: "客户等级"}}, Sort: "random"}, "sort"},
		{reports.Chart{Type: reports.Indicator, Table: "客户", Alert: &reports.Alert{Op: "over", Value: 1}}, "alert.op"},
		{reports.Chart{Type: reports.Map, Table: "客户", Dimensions: []reports.Dimension{{Field: "累计消费金额"}}}, "dimensions[0].field"},
	}
	for _, tc := range cases {
		tc.c.Title = "坏图表"
		_, err := e.a.Reports.Preview(ctx, access.System, &tc.c, reports.Filters{})
		p := problem.As(err)
		if p == nil || p.Status != 400 || p.Path != tc.path {
			t.Errorf("%+v: got %v (path %q), want a 400 at %s", tc.c, err, pathOf(p), tc.path)
		}
	}
	if _, err := e.a.Reports.Preview(ctx, access.System, &reports.Chart{Title: "x", Type: reports.Indicator, Table: "客户"},
		reports.Filters{From: "yesterday"}); problem.As(err) == nil || problem.As(err).Path != "from" {
		t.Errorf("bad date range: %v", err)
	}
}

func pathOf(p *problem.Error) string {
	if p == nil {
		return ""
	}
	return p.Path
}

// A chart over a deleted field explains itself; the dashboard's other charts still draw.
func TestDeletedFieldExplains(t *testing.T) {
	e := newEnv(t)
	d := e.board["客户分级看板"]
	if err := e.a.Catalog.DeleteField(ctx, access.System, "客户", "客户来源"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.Reports.Dashboard(d.ID); err != nil {
		t.Fatalf("the dashboard does not load: %v", err)
	}
	_, err := e.a.Reports.Data(ctx, access.System, chartByTitle(t, d, "高价值客户来源").ID, reports.Filters{})
	p := problem.As(err)
	if p == nil || p.Code != "report_field_gone" || !strings.Contains(p.Message("zh"), "客户来源") {
		t.Fatalf("chart over a deleted field: %v", err)
	}
	if _, err := e.a.Reports.Data(ctx, access.System, chartByTitle(t, d, "客户等级分布").ID, reports.Filters{}); err != nil {
		t.Fatalf("another chart broke: %v", err)
	}
}

// Results are cached until the data changes.
func TestCacheFollowsWrites(t *testing.T) {
	e := newEnv(t)
	pie := chartByTitle(t, e.board["客户分级看板"], "客户等级分布")
	first, err := e.a.Reports.Data(ctx, access.System, pie.ID, reports.Filters{})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := e.a.Reports.Data(ctx, access.System, pie.ID, reports.Filters{})
	if again != first {
		t.Fatal("unchanged data was computed again")
	}
	tbl := e.table(t, "客户")
	if _, err := e.a.Records.Create(ctx, access.System, tbl, records.Input{"客户名称": "新客户"}); err != nil {
		t.Fatal(err)
	}
	after, _ := e.a.Reports.Data(ctx, access.System, pie.ID, reports.Filters{})
	if after == first || total(after) != total(first)+1 {
		t.Fatalf("after a new customer: %v → %v", total(first), total(after))
	}
}

func total(r *reports.Result) float64 {
	s := 0.0
	for _, row := range r.Rows {
		s += *row.Values[0]
	}
	return s
}

// An indicator's alert notifies once when its threshold is crossed: checked again by the same
// process, or by another process on the same database taking its turn (the job queue hands
// each slot to one of them) — what was told is kept in the database.
func TestAlertNotifiesOnCrossing(t *testing.T) {
	e := newEnv(t)
	admin, err := e.a.Users.Create(ctx, access.System, "boss@example.com", "boss-password", "老板", "admin")
	if err != nil {
		t.Fatal(err)
	}
	d := e.board["客户分级看板"]
	c := *chartByTitle(t, d, "流失预警客户数")
	res, err := e.a.Reports.Data(ctx, access.System, c.ID, reports.Filters{})
	if err != nil {
		t.Fatal(err)
	}
	c.Alert = &reports.Alert{Op: "gte", Value: *res.Value, Notify: []json.RawMessage{json.RawMessage(`"admin"`)}}
	if _, err := e.a.Reports.SaveChart(ctx, access.System, &c); err != nil {
		t.Fatal(err)
	}
	other, err := app.Open(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetClock(func() time.Time { return today }, cst)
	e.a.Reports.CheckAlerts(ctx)
	e.a.Reports.CheckAlerts(ctx)
	other.Reports.CheckAlerts(ctx)
	notes, _, err := e.a.Inbox.List(ctx, admin.ID, false, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 1 || notes[0].Title != "数据预警：流失预警客户数" || notes[0].Link != "/dashboards/"+d.ID {
		t.Fatalf("the admin's inbox %+v, want one alert", notes)
	}
}

// Two nodes checking the same alerts at the same moment tell each crossing once.
func TestAlertToldOnceByTwoNodesAtOnce(t *testing.T) {
	e := newEnv(t)
	admin, err := e.a.Users.Create(ctx, access.System, "boss@example.com", "boss-password", "老板", "admin")
	if err != nil {
		t.Fatal(err)
	}
	d := e.board["客户分级看板"]
	base := *chartByTitle(t, d, "流失预警客户数")
	const charts = 8
	for i := range charts {
		c := base
		c.ID, c.Title = "", fmt.Sprintf("预警%d", i)
		c.Alert = &reports.Alert{Op: "gte", Value: 0, Notify: []json.RawMessage{json.RawMessage(`"admin"`)}}
		if _, err := e.a.Reports.SaveChart(ctx, access.System, &c); err != nil {
			t.Fatal(err)
		}
	}
	other, err := app.Open(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetClock(func() time.Time { return today }, cst)
	var wg sync.WaitGroup
	for _, node := range []*app.App{e.a, other} {
		wg.Go(func() { node.Reports.CheckAlerts(ctx) })
	}
	wg.Wait()
	notes, _, err := e.a.Inbox.List(ctx, admin.ID, false, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != charts {
		var titles []string
		for _, n := range notes {
			titles = append(titles, n.Title)
		}
		t.Fatalf("%d notifications for %d crossings: %v", len(notes), charts, titles)
	}
}
