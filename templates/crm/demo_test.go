package crm_test

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"reflect"
	"testing"
	"tierbase/app"
	"time"

	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/core/users"
	"tierbase/platform/store"
	"tierbase/templates/crm"
)

var today = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

const customers = 2000

type demoDB struct {
	db      *store.DB
	cat     *schema.Catalog
	users   *users.Service
	records *records.Service
	app     *app.App
	sum     crm.DemoSummary
}

// newDemo fills a fresh database with the demo data of n customers for a seed and a fixed day.
func newDemo(t *testing.T, seed uint64, n int) *demoDB {
	t.Helper()
	a, err := app.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	sum, err := crm.Demo(context.Background(), a.DB, a.Catalog, a.Users, crm.DemoOptions{Customers: n, Seed: seed, Today: today})
	if err != nil {
		t.Fatal(err)
	}
	a.SetClock(func() time.Time { return today.Add(10 * time.Hour) }, time.UTC)
	return &demoDB{db: a.DB, cat: a.Catalog, users: a.Users, records: a.Records, app: a, sum: sum}
}

func (d *demoDB) table(t *testing.T, name string) *schema.Table {
	t.Helper()
	tbl, err := d.cat.Table(name)
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

// col is the quoted SQL column of a field, for aggregate checks.
func col(t *testing.T, tbl *schema.Table, field string) string {
	t.Helper()
	f := tbl.Field(field)
	if f == nil {
		t.Fatalf("%s has no field %s", tbl.Name, field)
	}
	return store.Quote(f.Column())
}

// fingerprint sums up a demo database in terms that do not depend on generated ids.
type fingerprint struct {
	Counts       [4]int64
	Amount       float64
	Frequency    float64
	Tiers        map[string]int64
	FirstNames   []string
	FirstNumbers []string
	OrderTotal   float64
}

func (d *demoDB) fingerprint(t *testing.T) fingerprint {
	t.Helper()
	ctx := context.Background()
	var fp fingerprint
	for i, name := range []string{"客户", "联系人", "跟进记录", "订单"} {
		n, err := d.records.Count(ctx, access.System, d.table(t, name), nil)
		if err != nil {
			t.Fatal(err)
		}
		fp.Counts[i] = n
	}
	cust, orders := d.table(t, "客户"), d.table(t, "订单")
	q := fmt.Sprintf("SELECT SUM(%s), SUM(%s) FROM %s", col(t, cust, "累计消费金额"), col(t, cust, "购买频率"), store.Quote(cust.SQLName()))
	if err := d.db.R.QueryRow(q).Scan(&fp.Amount, &fp.Frequency); err != nil {
		t.Fatal(err)
	}
	q = fmt.Sprintf("SELECT SUM(%s) FROM %s", col(t, orders, "订单金额"), store.Quote(orders.SQLName()))
	if err := d.db.R.QueryRow(q).Scan(&fp.OrderTotal); err != nil {
		t.Fatal(err)
	}
	fp.Tiers = map[string]int64{}
	rows, err := d.db.R.Query(fmt.Sprintf("SELECT %s, COUNT(*) FROM %s GROUP BY 1", col(t, cust, "客户等级"), store.Quote(cust.SQLName())))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var tier string
		var n int64
		if err := rows.Scan(&tier, &n); err != nil {
			t.Fatal(err)
		}
		fp.Tiers[tier] = n
	}
	for id := int64(1); id <= 5; id++ {
		rec, err := d.records.Get(ctx, access.System, cust, id)
		if err != nil {
			t.Fatal(err)
		}
		fp.FirstNames = append(fp.FirstNames, rec[cust.Field("客户名称").ID].(string))
		fp.FirstNumbers = append(fp.FirstNumbers, rec[cust.Field("客户编号").ID].(string))
	}
	return fp
}

// TestDemo builds the demo twice from one seed and day: the data must be the same, and hang
// together (links, sums, tiers).
func TestDemo(t *testing.T) {
	a, b := newDemo(t, 42, customers), newDemo(t, 42, customers)
	t.Run("deterministic", func(t *testing.T) { checkDeterministic(t, a, b) })
	t.Run("consistent", func(t *testing.T) { checkConsistent(t, a) })
}

func checkDeterministic(t *testing.T, a, b *demoDB) {
	if a.sum.Customers != customers || a.sum.Orders == 0 || a.sum.Contacts == 0 || a.sum.FollowUps == 0 || len(a.sum.Users) != 8 {
		t.Fatalf("summary %+v", a.sum)
	}
	if !reflect.DeepEqual(a.sum, b.sum) {
		t.Errorf("summaries differ: %+v vs %+v", a.sum, b.sum)
	}
	fa, fb := a.fingerprint(t), b.fingerprint(t)
	if !reflect.DeepEqual(fa, fb) {
		t.Errorf("same seed and day, different data:\n%+v\n%+v", fa, fb)
	}
	if fa.Counts != [4]int64{int64(a.sum.Customers), int64(a.sum.Contacts), int64(a.sum.FollowUps), int64(a.sum.Orders)} {
		t.Errorf("counts %v, summary %+v", fa.Counts, a.sum)
	}
	if fa.Tiers["高价值客户"] == 0 || fa.Tiers["潜力客户"] == 0 || fa.Tiers["普通客户"] == 0 || len(fa.Tiers) != 3 {
		t.Errorf("tiers %v: want all three, nothing else", fa.Tiers)
	}
	for i, n := range fa.FirstNumbers {
		if len(n) != len("KH-20261123-0001") || n[:3] != "KH-" {
			t.Errorf("客户编号 of customer %d: %q", i+1, n)
		}
	}
	// Another seed gives other data.
	c := newDemo(t, 7, 20)
	if fc := c.fingerprint(t); reflect.DeepEqual(fc.FirstNames, fa.FirstNames) {
		t.Errorf("seed 7 and seed 42 give the same customers %v", fc.FirstNames)
	}
}

// customerFacts is what the orders say about a customer.
type customerFacts struct {
	amount      float64
	count       int
	first, last string
}

func checkConsistent(t *testing.T, d *demoDB) {
	cust, orders := d.table(t, "客户"), d.table(t, "订单")
	custSQL, ordSQL := store.Quote(cust.SQLName()), store.Quote(orders.SQLName())

	// Every order, contact and follow-up points to an existing customer.
	for _, name := range []string{"订单", "联系人", "跟进记录"} {
		tbl := d.table(t, name)
		link := col(t, tbl, "客户")
		var dangling int
		q := fmt.Sprintf("SELECT COUNT(*) FROM %s o LEFT JOIN %s c ON c.id = o.%s WHERE c.id IS NULL", store.Quote(tbl.SQLName()), custSQL, link)
		if err := d.db.R.QueryRow(q).Scan(&dangling); err != nil {
			t.Fatal(err)
		}
		if dangling != 0 {
			t.Errorf("%d %s rows point to no customer", dangling, name)
		}
	}

	// What the non-cancelled orders add up to, per customer.
	facts := map[int64]*customerFacts{}
	rows, err := d.db.R.Query(fmt.Sprintf("SELECT %s, %s, %s, %s FROM %s", col(t, orders, "客户"), col(t, orders, "订单金额"),
		col(t, orders, "订单状态"), col(t, orders, "下单日期"), ordSQL))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var amount float64
		var status, day string
		if err := rows.Scan(&id, &amount, &status, &day); err != nil {
			t.Fatal(err)
		}
		if status == "已取消" {
			continue
		}
		f := facts[id]
		if f == nil {
			f = &customerFacts{first: day, last: day}
			facts[id] = f
		}
		f.amount += amount
		f.count++
		f.first, f.last = min(f.first, day), max(f.last, day)
	}
	rows.Close()

	var high int
	rows, err = d.db.R.Query(fmt.Sprintf("SELECT id, %s, %s, %s, %s, %s, %s FROM %s ORDER BY id", col(t, cust, "累计消费金额"), col(t, cust, "购买频率"),
		col(t, cust, "首次购买日期"), col(t, cust, "最近消费日"), col(t, cust, "客户等级"), col(t, cust, "客户来源"), custSQL))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
		var id int64
		var amount, freq sql.NullFloat64
		var first, last sql.NullString
		var tier, source string
		if err := rows.Scan(&id, &amount, &freq, &first, &last, &tier, &source); err != nil {
			t.Fatal(err)
		}
		f := facts[id]
		if f == nil {
			if amount.Valid || freq.Valid || last.Valid {
				t.Errorf("customer %d has no paid orders but 累计消费金额 %v, 购买频率 %v, 最近消费日 %v", id, amount, freq, last)
			}
			f = &customerFacts{}
		} else if math.Abs(amount.Float64-f.amount) > 0.005 || int(freq.Float64) != f.count || first.String != f.first || last.String != f.last {
			t.Errorf("customer %d: 累计消费金额 %v 购买频率 %v 首次 %v 最近 %v; its orders say %.2f, %d, %s, %s",
				id, amount.Float64, freq.Float64, first.String, last.String, f.amount, f.count, f.first, f.last)
		}
		// S2: 高价值客户 exactly when bought in the last 30 days, more than 5 times, over 10000 in all.
		recent := false
		if last.Valid {
			day, err := time.Parse("2006-01-02", last.String)
			if err != nil {
				t.Fatal(err)
			}
			recent = today.Sub(day) <= 30*24*time.Hour && !day.After(today)
		}
		rule := recent && freq.Float64 > 5 && amount.Float64 > 10000
		if (tier == "高价值客户") != rule {
			t.Errorf("customer %d is %s but 最近消费日 %v, 购买频率 %v, 累计消费金额 %v", id, tier, last.String, freq.Float64, amount.Float64)
		}
		if rule {
			high++
		}
	}
	if n != customers {
		t.Errorf("%d customers, want %d", n, customers)
	}
	if high == 0 {
		t.Error("no 高价值客户: the rule was not exercised")
	}
}

// New records continue the demo's numbering instead of clashing with it.
func TestDemoThenNewRecords(t *testing.T) {
	d := newDemo(t, 42, 200)
	ctx := context.Background()
	cust := d.table(t, "客户")
	rec, err := d.records.Create(ctx, access.System, cust, records.Input{"客户名称": "新客户"})
	if err != nil {
		t.Fatal(err)
	}
	number := rec[cust.Field("客户编号").ID].(string)
	filter := fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE %s = ?", store.Quote(cust.SQLName()), col(t, cust, "客户编号"))
	var n int
	if err := d.db.R.QueryRow(filter, number).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 || number[:12] != "KH-20261123-" {
		t.Errorf("new customer numbered %s, held by %d records", number, n)
	}
	if rec.ID() != 201 {
		t.Errorf("new customer id %d", rec.ID())
	}
	// Its figures come from its orders (a cancelled one aside), and its grade follows them.
	if _, _, err := d.app.Grading.Save(ctx, access.System, crm.Scheme()); err != nil {
		t.Fatal(err)
	}
	orders := d.table(t, "订单")
	for i := range 6 {
		if _, err := d.records.Create(ctx, access.System, orders, records.Input{"客户": rec.ID(), "订单金额": 2000, "下单日期": fmt.Sprintf("2026-11-1%d", i), "订单状态": "已完成"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.records.Create(ctx, access.System, orders, records.Input{"客户": rec.ID(), "订单金额": 99999, "下单日期": "2026-11-23", "订单状态": "已取消"}); err != nil {
		t.Fatal(err)
	}
	rec, _ = d.records.Get(ctx, access.System, cust, rec.ID())
	got := []any{rec[cust.Field("累计消费金额").ID], rec[cust.Field("购买频率").ID], rec[cust.Field("最近消费日").ID], rec[cust.Field("客户等级").ID]}
	if !reflect.DeepEqual(got, []any{12000.0, 6.0, "2026-11-15", "高价值客户"}) {
		t.Errorf("after six orders and a cancelled one: 累计消费金额, 购买频率, 最近消费日, 客户等级 = %v", got)
	}
	// The demo's users can sign in.
	if _, err := d.users.Login(ctx, d.sum.Users[0], crm.DemoPassword, "test"); err != nil {
		t.Errorf("demo user %s cannot sign in: %v", d.sum.Users[0], err)
	}
}

// On PostgreSQL the demo leaves the planner statistics of its tables (ANALYZE): without them
// a data scope's first pages are planned blind until autovacuum comes by.
func TestDemoAnalyzes(t *testing.T) {
	d := newDemo(t, 42, 200)
	if d.db.Dialect != store.Postgres {
		t.Skip("SQLite takes its statistics when the database is opened")
	}
	for _, name := range []string{"客户", "联系人", "跟进记录", "订单"} {
		var n int
		q := "SELECT COUNT(*) FROM pg_stats WHERE schemaname = current_schema() AND tablename = ?"
		if err := d.db.R.QueryRow(q, d.table(t, name).SQLName()).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("%s has no planner statistics after the demo", name)
		}
	}
}

// The demo data already agrees with the template's grading scheme and its dynamic tag, so
// installing them changes no record (and a fresh demo needs no rewrite of its customers).
func TestDemoAgreesWithTemplateRules(t *testing.T) {
	a, err := app.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	if _, err := crm.Demo(ctx, a.DB, a.Catalog, a.Users, crm.DemoOptions{Customers: customers, Seed: 7, Today: today}); err != nil {
		t.Fatal(err)
	}
	a.SetClock(func() time.Time { return today.Add(10 * time.Hour) }, time.UTC)
	if _, n, err := a.Grading.Save(ctx, access.System, crm.Scheme()); err != nil || n != 0 {
		t.Fatalf("the scheme regraded %d demo customers (%v)", n, err)
	}
	for _, r := range crm.Rules() {
		_, res, err := a.Rules.SaveRule(ctx, access.System, r)
		if err != nil {
			t.Fatal(err)
		}
		if res != nil && (res.Changed != 0 || res.Matched == 0) {
			t.Errorf("rule %s over the demo: %+v", r.Name, res)
		}
	}
}

// The demo writes 客户's figures with its rows; they are what the rollups over its 订单 give.
func TestDemoFiguresAreTheRollups(t *testing.T) {
	d := newDemo(t, 7, 300)
	cust, orders := d.table(t, "客户"), d.table(t, "订单")
	q := fmt.Sprintf(`SELECT COUNT(*) FROM %[1]s c LEFT JOIN (SELECT %[3]s AS k, SUM(%[4]s) AS s, COUNT(*) AS n, MAX(%[5]s) AS m
		FROM %[2]s WHERE %[6]s <> '已取消' GROUP BY %[3]s) g ON g.k = c.id
		WHERE COALESCE(g.s, 0) <> c.%[7]s OR COALESCE(g.n, 0) <> c.%[8]s OR COALESCE(g.m, '') <> COALESCE(c.%[9]s, '')`,
		store.Quote(cust.SQLName()), store.Quote(orders.SQLName()), col(t, orders, "客户"), col(t, orders, "订单金额"), col(t, orders, "下单日期"),
		col(t, orders, "订单状态"), col(t, cust, "累计消费金额"), col(t, cust, "购买频率"), col(t, cust, "最近消费日"))
	var n int
	if err := d.db.R.QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d customers' figures differ from their orders'", n)
	}
}
