package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/engines/importer"
	"tierbase/platform/problem"
	"tierbase/platform/spreadsheet"
	"tierbase/platform/store"
)

// shop is an app with 客户 and 订单 (linking to 客户), and computed fields over them.
type shop struct {
	a              *app.App
	cust, orders   *schema.Table
	now            time.Time
	fieldOf        func(t *schema.Table, name string) string
	reload         func()
	customerIDs    []int64
	customerByName map[string]int64
}

func openShop(t *testing.T) *shop {
	t.Helper()
	ctx := context.Background()
	a, err := app.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	s := &shop{a: a, now: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), customerByName: map[string]int64{}}
	a.Records.Now = func() time.Time { return s.now }
	if _, err := a.Catalog.CreateTable(ctx, access.System, "", "客户", []*schema.Field{
		{Name: "客户名称", Type: schema.Text}, {Name: "城市", Type: schema.Text}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Catalog.CreateTable(ctx, access.System, "", "订单", []*schema.Field{
		{Name: "订单名称", Type: schema.Text}, {Name: "客户", Type: schema.Link, LinkTable: "客户"},
		{Name: "金额", Type: schema.Money}, {Name: "下单日期", Type: schema.Date},
		{Name: "状态", Type: schema.Select, Options: []schema.Option{{Value: "已付款"}, {Value: "已取消"}}}}); err != nil {
		t.Fatal(err)
	}
	s.reload = func() {
		s.cust, _ = a.Catalog.Table("客户")
		s.orders, _ = a.Catalog.Table("订单")
	}
	s.fieldOf = func(tb *schema.Table, name string) string { return tb.Field(name).ID }
	s.reload()
	for i := range 8 {
		name := fmt.Sprintf("客户%d", i)
		rec, err := a.Records.Create(ctx, access.System, s.table("客户"), records.Input{"客户名称": name, "城市": "城" + name})
		if err != nil {
			t.Fatal(err)
		}
		s.customerIDs = append(s.customerIDs, rec.ID())
		s.customerByName[name] = rec.ID()
	}
	return s
}

func (s *shop) table(name string) *schema.Table { tb, _ := s.a.Catalog.Table(name); return tb }

func (s *shop) add(t *testing.T, table string, f *schema.Field) error {
	t.Helper()
	_, err := s.a.Catalog.AddField(context.Background(), access.System, table, f)
	s.reload()
	return err
}

func (s *shop) mustAdd(t *testing.T, table string, f *schema.Field) {
	t.Helper()
	if err := s.add(t, table, f); err != nil {
		t.Fatalf("%s.%s: %v", table, f.Name, err)
	}
}

func rollup(name, fn, field string, where string) *schema.Field {
	return &schema.Field{Name: name, Computed: &schema.Computed{Kind: schema.Rollup, Table: "订单", Link: "客户", Fn: fn, Field: field, Where: json.RawMessage(where)}}
}

// addComputed adds rollups of 订单 on 客户, a formula over them, a lookup of 客户.城市 on 订单
// and a formula on 订单.
func (s *shop) addComputed(t *testing.T) {
	for _, f := range []*schema.Field{
		rollup("累计消费金额", "sum", "金额", ""), rollup("购买频率", "count", "", ""), rollup("最近消费日", "max", "下单日期", ""),
		rollup("平均金额", "avg", "金额", ""), rollup("最小金额", "min", "金额", ""),
		rollup("付款单数", "count", "", `{"field":"状态","op":"eq","value":"已付款"}`),
	} {
		s.mustAdd(t, "客户", f)
	}
	s.mustAdd(t, "客户", &schema.Field{Name: "客单价", Type: schema.Money, Computed: &schema.Computed{Kind: schema.Formula, Formula: "IF(购买频率 > 0, 累计消费金额 / 购买频率, 0)"}})
	s.mustAdd(t, "订单", &schema.Field{Name: "客户城市", Computed: &schema.Computed{Kind: schema.Lookup, Link: "客户", Field: "城市"}})
	s.mustAdd(t, "订单", &schema.Field{Name: "含税金额", Type: schema.Money, Computed: &schema.Computed{Kind: schema.Formula, Formula: "金额 * 1.13"}})
}

// check compares the stored computed fields with what a hand-written GROUP BY and join give.
func (s *shop) check(t *testing.T, step string) {
	t.Helper()
	ctx := context.Background()
	o := func(name string) string { return store.Quote(s.fieldOf(s.orders, name)) }
	q := fmt.Sprintf(`SELECT %[1]s, COUNT(*), SUM(%[2]s), MAX(%[3]s), AVG(%[2]s), MIN(%[2]s), SUM(CASE WHEN %[4]s = '已付款' THEN 1 ELSE 0 END)
		FROM %[5]s WHERE %[1]s IS NOT NULL GROUP BY %[1]s`, o("客户"), o("金额"), o("下单日期"), o("状态"), store.Quote(s.orders.SQLName()))
	rows, err := s.a.DB.R.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64][]any{}
	for rows.Next() {
		var id int64
		var n, paid float64
		var sum, avg, minimum any
		var last any
		if err := rows.Scan(&id, &n, &sum, &last, &avg, &minimum, &paid); err != nil {
			t.Fatal(err)
		}
		num := func(v any) any { return records.FromSQL(&schema.Field{Type: schema.Number}, v) }
		if b, ok := last.([]byte); ok {
			last = string(b)
		}
		want[id] = []any{num(sum), n, last, num(avg), num(minimum), paid}
	}
	rows.Close()
	names := []string{"累计消费金额", "购买频率", "最近消费日", "平均金额", "最小金额", "付款单数"}
	for _, id := range s.customerIDs {
		rec, err := s.a.Records.Get(ctx, access.System, s.cust, id)
		if err != nil {
			t.Fatal(err)
		}
		w, ok := want[id]
		if !ok {
			w = []any{0.0, 0.0, nil, nil, nil, 0.0}
		}
		if w[0] == nil {
			w[0] = 0.0
		}
		for i, name := range names {
			if got := rec[s.fieldOf(s.cust, name)]; !same(got, w[i]) {
				t.Fatalf("%s: 客户 %d %s = %v, GROUP BY gives %v", step, id, name, got, w[i])
			}
		}
		price := 0.0
		if n := w[1].(float64); n > 0 {
			price = w[0].(float64) / n
		}
		if got := rec[s.fieldOf(s.cust, "客单价")]; !same(got, price) {
			t.Fatalf("%s: 客户 %d 客单价 = %v, want %v", step, id, got, price)
		}
	}
	// lookups and formulas of every order, against a join
	q = fmt.Sprintf(`SELECT o.id, c.%s FROM %s o LEFT JOIN %s c ON c.id = o.%s`, store.Quote(s.fieldOf(s.cust, "城市")),
		store.Quote(s.orders.SQLName()), store.Quote(s.cust.SQLName()), o("客户"))
	rows, err = s.a.DB.R.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	city := map[int64]any{}
	for rows.Next() {
		var id int64
		var c any
		if err := rows.Scan(&id, &c); err != nil {
			t.Fatal(err)
		}
		if b, ok := c.([]byte); ok {
			c = string(b)
		}
		city[id] = c
	}
	rows.Close()
	for id, c := range city {
		rec, err := s.a.Records.Get(ctx, access.System, s.orders, id)
		if err != nil {
			t.Fatal(err)
		}
		if got := rec[s.fieldOf(s.orders, "客户城市")]; got != c {
			t.Fatalf("%s: 订单 %d 客户城市 = %v, want %v", step, id, got, c)
		}
		amount, _ := rec[s.fieldOf(s.orders, "金额")].(float64)
		if got := rec[s.fieldOf(s.orders, "含税金额")]; !same(got, amount*1.13) {
			t.Fatalf("%s: 订单 %d 含税金额 = %v, want %v", step, id, got, amount*1.13)
		}
	}
}

func same(a, b any) bool {
	x, ok1 := a.(float64)
	y, ok2 := b.(float64)
	if ok1 && ok2 {
		return math.Abs(x-y) < 1e-6*math.Max(1, math.Abs(y))
	}
	return a == b
}

func csvReader(t *testing.T, content string) spreadsheet.Reader {
	t.Helper()
	path := filepath.Join(t.TempDir(), "orders.csv")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := spreadsheet.Open(path, spreadsheet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// Rollups, lookups and formulas equal a hand-written GROUP BY and join after random inserts,
// updates, deletes, re-links, restores from the recycle bin and imports (insert and upsert).
func TestComputedFieldsFollowEveryWrite(t *testing.T) {
	ctx := context.Background()
	s := openShop(t)
	r := rand.New(rand.NewPCG(16, 1))
	order := func(i int) records.Input {
		in := records.Input{"订单名称": fmt.Sprintf("单%d", i), "金额": float64(r.IntN(100000)) / 100,
			"下单日期": s.now.AddDate(0, 0, -r.IntN(400)).Format(time.DateOnly), "状态": []string{"已付款", "已取消"}[r.IntN(2)]}
		if r.IntN(6) > 0 {
			in["客户"] = s.customerIDs[r.IntN(len(s.customerIDs))]
		} else {
			in["客户"] = nil
		}
		return in
	}
	var ids, trashed []int64
	n := 0
	add := func() {
		n++
		rec, err := s.a.Records.Create(ctx, access.System, s.orders, order(n))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rec.ID())
	}
	for range 20 {
		add()
	}
	s.addComputed(t) // backfilled over the orders already there
	s.check(t, "backfill")
	for step := range 150 {
		kind := r.IntN(7)
		if len(ids) == 0 {
			kind = 0
		}
		var what string
		switch kind {
		case 0:
			what = "insert"
			add()
		case 1, 2:
			what = "update"
			in := order(n)
			delete(in, "订单名称")
			for k := range in {
				if r.IntN(2) == 0 {
					delete(in, k)
				}
			}
			if _, err := s.a.Records.Update(ctx, access.System, s.orders, ids[r.IntN(len(ids))], in); err != nil {
				t.Fatal(err)
			}
		case 3:
			what = "re-link"
			if _, err := s.a.Records.Update(ctx, access.System, s.orders, ids[r.IntN(len(ids))], records.Input{"客户": s.customerIDs[r.IntN(len(s.customerIDs))]}); err != nil {
				t.Fatal(err)
			}
		case 4:
			what = "delete"
			i := r.IntN(len(ids))
			if err := s.a.Records.Delete(ctx, access.System, s.orders, ids[i]); err != nil {
				t.Fatal(err)
			}
			trashed = append(trashed, ids[i])
			ids = append(ids[:i], ids[i+1:]...)
		case 5:
			what = "restore"
			if len(trashed) == 0 {
				continue
			}
			id := trashed[len(trashed)-1]
			trashed = trashed[:len(trashed)-1]
			if _, err := s.a.Records.Restore(ctx, access.System, s.orders, id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		case 6:
			what = "batch"
			var items []records.Input
			for range 3 {
				n++
				items = append(items, order(n))
			}
			items = append(items, records.Input{"id": ids[r.IntN(len(ids))], "金额": 1.5})
			out, err := s.a.Records.Batch(ctx, access.System, s.orders, items)
			if err != nil {
				t.Fatal(err)
			}
			for _, rec := range out[:3] {
				ids = append(ids, rec.ID())
			}
		}
		s.check(t, fmt.Sprintf("step %d (%s)", step, what))
		if step == 70 { // an import of new orders, then an upsert moving some to other customers
			var b strings.Builder
			b.WriteString("订单名称,客户,金额,下单日期,状态\n")
			for i := range 30 {
				fmt.Fprintf(&b, "导入%d,%d,%d.5,2026-0%d-1%d,已付款\n", i, s.customerIDs[r.IntN(8)], r.IntN(5000), 1+r.IntN(9), r.IntN(10))
			}
			src := csvReader(t, b.String())
			res, err := s.a.Importer.Run(ctx, access.System, s.orders, src, importer.Plan{Columns: importer.Suggest(src.Header(), s.orders)}, nil)
			if err != nil || res.Inserted != 30 {
				t.Fatalf("import: %+v %v", res, err)
			}
			s.check(t, "import")
			b.Reset()
			b.WriteString("订单名称,客户,金额\n")
			for i := range 10 {
				fmt.Fprintf(&b, "导入%d,%d,%d\n", i*3, s.customerIDs[r.IntN(8)], r.IntN(900))
			}
			src = csvReader(t, b.String())
			res, err = s.a.Importer.Run(ctx, access.System, s.orders, src, importer.Plan{Columns: importer.Suggest(src.Header(), s.orders), Mode: importer.Upsert, Key: "订单名称"}, nil)
			if err != nil || res.Updated == 0 {
				t.Fatalf("upsert: %+v %v", res, err)
			}
			s.check(t, "upsert import")
			rows, err := s.a.DB.R.QueryContext(ctx, "SELECT id FROM "+store.Quote(s.orders.SQLName())+" WHERE id > ?", ids[len(ids)-1])
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id int64
				rows.Scan(&id)
				ids = append(ids, id)
			}
			rows.Close()
		}
	}
	// Deleting a customer unlinks its orders: their lookup empties, the other rollups stay.
	if err := s.a.Records.Delete(ctx, access.System, s.cust, s.customerIDs[0]); err != nil {
		t.Fatal(err)
	}
	s.customerIDs = s.customerIDs[1:]
	s.check(t, "customer deleted")
}

// A lookup follows its linked record: renaming the value shows in every record linking to it.
func TestLookupFollowsRenamedValue(t *testing.T) {
	ctx := context.Background()
	s := openShop(t)
	s.addComputed(t)
	s.mustAdd(t, "订单", &schema.Field{Name: "客户名", Computed: &schema.Computed{Kind: schema.Lookup, Link: "客户", Field: "客户名称"}})
	id := s.customerByName["客户3"]
	o, err := s.a.Records.Create(ctx, access.System, s.orders, records.Input{"订单名称": "A", "客户": id, "金额": 10})
	if err != nil {
		t.Fatal(err)
	}
	if o[s.fieldOf(s.orders, "客户名")] != "客户3" || o[s.fieldOf(s.orders, "客户城市")] != "城客户3" {
		t.Fatalf("new order: %v", o)
	}
	if _, err := s.a.Records.Update(ctx, access.System, s.cust, id, records.Input{"客户名称": "星辰科技", "城市": "杭州"}); err != nil {
		t.Fatal(err)
	}
	o, _ = s.a.Records.Get(ctx, access.System, s.orders, o.ID())
	if o[s.fieldOf(s.orders, "客户名")] != "星辰科技" || o[s.fieldOf(s.orders, "客户城市")] != "杭州" {
		t.Fatalf("after the rename: %v", o)
	}
}

// Bad definitions and writes to computed fields are 400s that say what is wrong, in zh and en.
func TestComputedFieldsRefuseBadInput(t *testing.T) {
	ctx := context.Background()
	s := openShop(t)
	s.addComputed(t)
	wantProblem := func(err error, code string, zh, en string) {
		t.Helper()
		p := problem.As(err)
		if p == nil || p.Status != 400 {
			t.Fatalf("want a 400 %s, got %v", code, err)
		}
		if len(p.Details) == 1 {
			p = p.Details[0]
		}
		if p.Code != code || !strings.Contains(p.Message("zh"), zh) || !strings.Contains(p.Message("en"), en) {
			t.Fatalf("want %s with %q / %q, got %s: %s / %s", code, zh, en, p.Code, p.Message("zh"), p.Message("en"))
		}
		for _, lang := range []string{"zh", "en"} {
			if m := p.Message(lang); strings.Contains(m, "schema.") || strings.Contains(m, "*") || strings.Contains(m, "%!") {
				t.Fatalf("a Go name in %q", m)
			}
		}
	}
	formula := func(name, src string) *schema.Field {
		return &schema.Field{Name: name, Computed: &schema.Computed{Kind: schema.Formula, Formula: src}}
	}
	wantProblem(s.add(t, "订单", formula("毛利", "金额 - {成本 价}")), "formula_unknown_field", "第 6 个字符处：表「订单」没有字段「成本 价」", `at character 6: table "订单" has no field "成本 价"`)
	wantProblem(s.add(t, "订单", formula("毛利", "ROUNDUP(金额)")), "unknown_function", "第 1 个字符处：没有函数「ROUNDUP」", `at character 1: there is no function "ROUNDUP"`)
	bad := rollup("错误汇总", "sum", "金额", "")
	bad.Computed.Link = "状态"
	wantProblem(s.add(t, "客户", bad), "rollup_not_link_back", "「状态」不是关联到「客户」", `"状态" of table "订单" is not a link field pointing at "客户"`)
	bad = rollup("错误汇总", "sum", "金额", "")
	bad.Computed.Table = "客户"
	wantProblem(s.add(t, "订单", bad), "rollup_not_link_back", "汇总只能统计关联到本表的记录", "a rollup counts the records that link here")
	// A ring: 客户.基数 → 客户.环 → 订单.客户基数 → 客户.基数.
	s.mustAdd(t, "客户", formula("基数", "1"))
	s.mustAdd(t, "订单", &schema.Field{Name: "客户基数", Computed: &schema.Computed{Kind: schema.Lookup, Link: "客户", Field: "基数"}})
	s.mustAdd(t, "客户", rollup("环", "sum", "客户基数", ""))
	_, err := s.a.Catalog.UpdateField(ctx, access.System, "客户", "基数", schema.FieldPatch{Computed: &schema.Computed{Kind: schema.Formula, Formula: "环 + 1"}})
	wantProblem(err, "computed_cycle", "客户.基数 → 客户.环 → 订单.客户基数 → 客户.基数", "read each other in a ring: 客户.基数 → 客户.环 → 订单.客户基数 → 客户.基数")
	// A field a computed field reads stays until that one goes.
	if err := s.a.Catalog.DeleteField(ctx, access.System, "订单", "金额"); problem.As(err) == nil || problem.As(err).Code != "in_use" || !strings.Contains(err.Error(), "客户.累计消费金额") {
		t.Fatalf("deleting 订单.金额: %v", err)
	}
	// Writing a computed field: one record, a batch, an import.
	_, err = s.a.Records.Create(ctx, access.System, s.cust, records.Input{"客户名称": "新客户", "累计消费金额": 100})
	wantProblem(err, "computed_field", "累计消费金额」：是计算字段", "is a computed field")
	_, err = s.a.Records.Batch(ctx, access.System, s.orders, []records.Input{{"订单名称": "B"}, {"订单名称": "C", "含税金额": 3}})
	wantProblem(err, "computed_field", "是计算字段", "cannot be written")
	src := csvReader(t, "客户名称,购买频率\n甲,3\n")
	_, err = s.a.Importer.Run(ctx, access.System, s.cust, src, importer.Plan{Columns: []string{"客户名称", "购买频率"}}, nil)
	wantProblem(err, "computed_field", "字段「购买频率」，columns[1]：是计算字段", "is a computed field")
	if got := importer.Suggest([]string{"客户名称", "购买频率"}, s.cust); got[1] != "" {
		t.Fatalf("the import suggests a computed field: %v", got)
	}
	// A form sending back the value it showed is no write.
	rec, err := s.a.Records.Create(ctx, access.System, s.cust, records.Input{"客户名称": "新客户"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.Records.Update(ctx, access.System, s.cust, rec.ID(), records.Input{"客户名称": "改名", "购买频率": 0}); err != nil {
		t.Fatal(err)
	}
}

// A formula reading TODAY() is refreshed by the daily pass, with no edit.
func TestDailyPassRefreshesTodayFormulas(t *testing.T) {
	ctx := context.Background()
	s := openShop(t)
	s.mustAdd(t, "订单", &schema.Field{Name: "账龄", Computed: &schema.Computed{Kind: schema.Formula, Formula: `DATEDIF(下单日期, TODAY(), "D")`}})
	s.mustAdd(t, "客户", rollup("近30天订单", "count", "", `{"field":"下单日期","op":"withinLastDays","value":30}`))
	o, err := s.a.Records.Create(ctx, access.System, s.orders, records.Input{"订单名称": "A", "下单日期": "2026-11-20", "客户": s.customerIDs[0]})
	if err != nil {
		t.Fatal(err)
	}
	if got := o[s.fieldOf(s.orders, "账龄")]; got != 3.0 {
		t.Fatalf("账龄 = %v", got)
	}
	s.now = s.now.AddDate(0, 1, 0)
	if _, err := s.a.Rules.DailyPass(ctx); err != nil {
		t.Fatal(err)
	}
	o, _ = s.a.Records.Get(ctx, access.System, s.orders, o.ID())
	c, _ := s.a.Records.Get(ctx, access.System, s.cust, s.customerIDs[0])
	if o[s.fieldOf(s.orders, "账龄")] != 33.0 || c[s.fieldOf(s.cust, "近30天订单")] != 0.0 {
		t.Fatalf("after a month: 账龄 %v, 近30天订单 %v", o[s.fieldOf(s.orders, "账龄")], c[s.fieldOf(s.cust, "近30天订单")])
	}
}

// A rollup with an opening value (期初值): a customer list moved from Excel keeps its history
// in typed fields, and the rollups add the orders kept here to it — on backfill, on every
// order and on every change of the history, by hand or by an import whose columns are named
// after the rollups.
func TestRollupOpeningValue(t *testing.T) {
	ctx := context.Background()
	s := openShop(t)
	for _, f := range []*schema.Field{{Name: "历史消费金额", Type: schema.Money}, {Name: "历史购买次数", Type: schema.Number}, {Name: "历史最近消费日", Type: schema.Date}} {
		s.mustAdd(t, "客户", f)
	}
	history := func(id int64, amount float64, times float64, last string) {
		t.Helper()
		if _, err := s.a.Records.Update(ctx, access.System, s.cust, id, records.Input{"历史消费金额": amount, "历史购买次数": times, "历史最近消费日": last}); err != nil {
			t.Fatal(err)
		}
	}
	history(s.customerIDs[0], 5000, 4, "2025-12-01")
	history(s.customerIDs[1], 800.5, 1, "2024-03-08")
	order := func(customer int64, amount float64, day string) {
		t.Helper()
		if _, err := s.a.Records.Create(ctx, access.System, s.orders, records.Input{"客户": customer, "金额": amount, "下单日期": day, "状态": "已付款"}); err != nil {
			t.Fatal(err)
		}
	}
	order(s.customerIDs[0], 1000, "2025-06-01") // before the history's last day
	order(s.customerIDs[2], 300, "2026-01-05")
	based := func(name, fn, field, base string) *schema.Field {
		f := rollup(name, fn, field, "")
		f.Computed.Base = base
		return f
	}
	for _, f := range []*schema.Field{based("累计消费金额", "sum", "金额", "历史消费金额"), based("购买频率", "count", "", "历史购买次数"), based("最近消费日", "max", "下单日期", "历史最近消费日")} {
		s.mustAdd(t, "客户", f)
	}
	want := func(step string, id int64, amount, times float64, last any) {
		t.Helper()
		rec, err := s.a.Records.Get(ctx, access.System, s.cust, id)
		if err != nil {
			t.Fatal(err)
		}
		got := []any{rec[s.fieldOf(s.cust, "累计消费金额")], rec[s.fieldOf(s.cust, "购买频率")], rec[s.fieldOf(s.cust, "最近消费日")]}
		if !same(got[0], amount) || !same(got[1], times) || got[2] != last {
			t.Fatalf("%s: 客户 %d has 累计消费金额, 购买频率, 最近消费日 = %v, want %v %v %v", step, id, got, amount, times, last)
		}
	}
	want("backfill", s.customerIDs[0], 6000, 5, "2025-12-01")
	want("backfill", s.customerIDs[1], 800.5, 1, "2024-03-08")
	want("backfill", s.customerIDs[2], 300, 1, "2026-01-05")
	want("backfill", s.customerIDs[3], 0, 0, nil)
	order(s.customerIDs[1], 99.5, "2026-11-20")
	want("an order", s.customerIDs[1], 900, 2, "2026-11-20")
	history(s.customerIDs[2], 1700, 2, "2025-01-01")
	want("history changed", s.customerIDs[2], 2000, 3, "2026-01-05")
	rec, err := s.a.Records.Create(ctx, access.System, s.cust, records.Input{"客户名称": "新客户", "历史消费金额": 10, "历史最近消费日": "2020-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	want("a new customer", rec.ID(), 10, 0, "2020-01-01")
	s.customerIDs = append(s.customerIDs, rec.ID())

	// An import from Excel: its columns named after the rollups fill the history.
	src := csvReader(t, "客户名称,累计消费金额,购买频率,最近消费日\n客户0,7000,6,2026-02-02\n导入客户,1234.5,3,2026-10-10\n")
	cols := importer.Suggest(src.Header(), s.cust)
	if got := []string{cols[1], cols[2], cols[3]}; got[0] != s.fieldOf(s.cust, "历史消费金额") || got[1] != s.fieldOf(s.cust, "历史购买次数") || got[2] != s.fieldOf(s.cust, "历史最近消费日") {
		t.Fatalf("the import maps the rollups' columns to %v, want their opening values", got)
	}
	// A file exported from here has both: each column fills its own field, the rollup none.
	if got := importer.Suggest([]string{"累计消费金额", "客户名称", "历史消费金额"}, s.cust); got[0] != "" || got[2] != s.fieldOf(s.cust, "历史消费金额") {
		t.Fatalf("an exported file's columns map to %v", got)
	}
	res, err := s.a.Importer.Run(ctx, access.System, s.cust, src, importer.Plan{Columns: cols, Mode: importer.Upsert, Key: "客户名称"}, nil)
	if err != nil || res.Inserted != 1 || res.Updated != 1 {
		t.Fatalf("import: %+v %v", res, err)
	}
	want("imported over its orders", s.customerIDs[0], 8000, 7, "2026-02-02")
	page, err := s.a.Records.List(ctx, access.System, s.cust, records.Query{Filter: &cond.Node{Field: "客户名称", Op: "eq", Value: "导入客户"}})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("the imported customer: %v %v", page, err)
	}
	want("imported", page.Items[0].ID(), 1234.5, 3, "2026-10-10")

	// The rollup itself is not written; the answer names where history goes.
	_, err = s.a.Records.Update(ctx, access.System, s.cust, s.customerIDs[3], records.Input{"累计消费金额": 100})
	p := problem.As(err)
	if p != nil && len(p.Details) == 1 {
		p = p.Details[0]
	}
	if p == nil || p.Code != "computed_field_base" || !strings.Contains(p.Message("zh"), "「历史消费金额」") || !strings.Contains(p.Message("en"), `"历史消费金额"`) {
		t.Fatalf("writing 累计消费金额: %v", err)
	}
	// Opening values that cannot be: of an average, of another type, computed, unknown.
	for _, f := range []*schema.Field{based("平均金额", "avg", "金额", "历史消费金额"), based("首单日", "min", "下单日期", "历史消费金额"),
		based("金额合计", "sum", "金额", "购买频率"), based("金额合计", "sum", "金额", "没有这个字段")} {
		if p := problem.As(s.add(t, "客户", f)); p == nil || p.Status != 400 || p.Code != "bad_rollup_base" || !strings.Contains(p.Message("zh"), "期初值") {
			t.Fatalf("%s with opening value %s: %v", f.Name, f.Computed.Base, p)
		}
	}
	// The history stays while a rollup starts from it.
	if err := s.a.Catalog.DeleteField(ctx, access.System, "客户", "历史消费金额"); problem.As(err) == nil || problem.As(err).Code != "in_use" {
		t.Fatalf("deleting 历史消费金额: %v", err)
	}
}
