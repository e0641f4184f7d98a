package importer_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"tierbase/app"
	"time"

	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/core/users"
	"tierbase/engines/importer"
	"tierbase/platform/problem"
	"tierbase/platform/spreadsheet"
	"tierbase/platform/store"
)

type env struct {
	db   *store.DB
	cat  *schema.Catalog
	us   *users.Service
	im   *importer.Importer
	recs *records.Service
}

func setup(t testing.TB) *env {
	t.Helper()
	a, err := app.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, err := a.Users.Create(context.Background(), access.System, "zhang@example.com", "password-1", "张伟", "member"); err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) }
	a.SetClock(now, time.UTC)
	return &env{db: a.DB, cat: a.Catalog, us: a.Users, recs: a.Records,
		im: &importer.Importer{DB: a.DB, Catalog: a.Catalog, Users: a.Users, Now: now, Loc: time.UTC}}
}

func (e *env) customers(t testing.TB) *schema.Table {
	t.Helper()
	tb, err := e.cat.CreateTable(context.Background(), access.System, "", "客户", []*schema.Field{
		{Name: "客户编号", Type: schema.Text, Unique: true},
		{Name: "客户名称", Type: schema.Text, Required: true},
		{Name: "联系电话", Type: schema.Phone},
		{Name: "客户来源", Type: schema.Select, Options: []schema.Option{{Value: "官网"}, {Value: "展会"}, {Value: "转介绍"}}},
		{Name: "首次购买日期", Type: schema.Date},
		{Name: "累计消费金额", Type: schema.Money},
		{Name: "序号", Type: schema.AutoNumber, Format: "KH-{YYYYMMDD}-{0000}"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func csvFile(t testing.TB, content string) spreadsheet.Reader {
	t.Helper()
	path := filepath.Join(t.TempDir(), "customers.csv")
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

func count(t *testing.T, e *env, tb *schema.Table) int64 {
	t.Helper()
	n, err := e.recs.Count(context.Background(), access.System, tb, nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

const good = `客户编号,客户名称,联系方式,客户来源,首次购买日期,累计消费金额
K1,北京星辰科技有限公司,+86 138 0013 8000,官网,2026年3月5日,"¥12,345.60"
K2,上海恒通商贸有限公司,139-1234-5678,展会,2026/11/23,1.2万
K3,杭州云启网络科技有限公司,,转介绍,20260101,(500)
`

func TestInsertMapsByNameAndAliasAndNormalises(t *testing.T) {
	e := setup(t)
	tb := e.customers(t)
	src := csvFile(t, good)
	cols := importer.Suggest(src.Header(), tb)
	want := []string{"客户编号", "客户名称", "联系电话", "客户来源", "首次购买日期", "累计消费金额"}
	for i, name := range want {
		if f := tb.Field(cols[i]); f == nil || f.Name != name {
			t.Fatalf("column %d (%s) mapped to %q, want %s", i, src.Header()[i], cols[i], name)
		}
	}
	res, err := e.im.Run(context.Background(), access.System, tb, src, importer.Plan{Columns: cols, FileName: "customers.csv"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Read != 3 || res.Inserted != 3 || res.Rejected != 0 || !res.Committed {
		t.Fatalf("result %+v", res)
	}
	page, err := e.recs.List(context.Background(), access.System, tb, records.Query{Sort: "客户编号"})
	if err != nil {
		t.Fatal(err)
	}
	r := page.Items[1]
	if r[tb.Field("联系电话").ID] != "13912345678" || r[tb.Field("首次购买日期").ID] != "2026-11-23" || r[tb.Field("累计消费金额").ID] != 12000.0 {
		t.Fatalf("row 2 stored as %v", r)
	}
	if page.Items[2][tb.Field("累计消费金额").ID] != -500.0 || page.Items[0][tb.Field("序号").ID] != "KH-20261123-0001" {
		t.Fatalf("rows stored as %v", page.Items)
	}
	hist, err := e.recs.History(context.Background(), access.System, tb, page.Items[0].ID())
	if err != nil || len(hist) != 1 || hist[0].Action != "create" || hist[0].Changes[0].After != "customers.csv" {
		t.Fatalf("history of an imported record: %+v, %v", hist, err)
	}
	// A record created afterwards continues the numbering.
	rec, err := e.recs.Create(context.Background(), access.System, tb, records.Input{"客户名称": "新客户"})
	if err != nil || rec[tb.Field("序号").ID] != "KH-20261123-0004" {
		t.Fatalf("next number %v, %v", rec, err)
	}
}

func TestOneBadRowImportsNothing(t *testing.T) {
	e := setup(t)
	tb := e.customers(t)
	bad := good + "K4,坏客户,12345,火星,2026-13-45,abc\nK5,,13800138000,官网,2026-01-01,1\n"
	src := csvFile(t, bad)
	res, err := e.im.Run(context.Background(), access.System, tb, src, importer.Plan{Columns: importer.Suggest(src.Header(), tb)}, nil)
	p := problem.As(err)
	if p == nil || p.Code != "import_rejected" {
		t.Fatalf("want import_rejected, got %v", err)
	}
	if n := count(t, e, tb); n != 0 {
		t.Fatalf("a refused import left %d rows", n)
	}
	if res.Read != 5 || res.Rejected != 2 || res.Committed || len(res.Rejects) != 2 {
		t.Fatalf("result %+v", res)
	}
	// Row 5 of the file (header is row 1) has four bad cells, each named with its column.
	var cols []string
	for _, pr := range res.Problems {
		if pr.Line == 5 {
			cols = append(cols, pr.Column)
		}
	}
	if strings.Join(cols, ",") != "联系方式,客户来源,首次购买日期,累计消费金额" {
		t.Fatalf("problems of line 5: %v (all: %+v)", cols, res.Problems)
	}
	if res.Problems[len(res.Problems)-1].Line != 6 || res.Problems[len(res.Problems)-1].Err.Code != "required" {
		t.Fatalf("missing 客户名称 on line 6 not reported: %+v", res.Problems)
	}
	if msg := res.Problems[0].Err.Message("zh"); !strings.Contains(msg, "手机号") {
		t.Fatalf("phone problem reads %q", msg)
	}
}

// TestUnreadableRowImportsNothing: a row the reader refuses far into the file (past the
// rows already written) stops the import with the reader's error, and the table is as before.
func TestUnreadableRowImportsNothing(t *testing.T) {
	e := setup(t)
	tb := e.customers(t)
	var sb strings.Builder
	sb.WriteString("客户编号,客户名称\n")
	for i := range 3000 {
		fmt.Fprintf(&sb, "K%d,客户%d\n", i, i)
	}
	sb.WriteString("K3000," + strings.Repeat(",", spreadsheet.MaxColumns) + "\nK3001,客户3001\n")
	src := csvFile(t, sb.String())
	res, err := e.im.Run(context.Background(), access.System, tb, src, importer.Plan{Columns: importer.Suggest(src.Header(), tb)}, nil)
	if p := problem.As(err); p == nil || p.Code != "too_many_columns" || !strings.Contains(err.Error(), "3002") {
		t.Fatalf("want too_many_columns at row 3002, got %v", err)
	}
	if n := count(t, e, tb); n != 0 || res.Committed || res.Read != 3000 {
		t.Fatalf("a refused file left %d rows; result %+v", n, res)
	}
}

func TestSkipInvalidKeepsGoodRows(t *testing.T) {
	e := setup(t)
	tb := e.customers(t)
	src := csvFile(t, good+"K4,坏客户,12345,官网,2026-01-01,1\n")
	res, err := e.im.Run(context.Background(), access.System, tb, src, importer.Plan{Columns: importer.Suggest(src.Header(), tb), SkipInvalid: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Inserted != 3 || res.Rejected != 1 || res.Rejects[0].Line != 5 || count(t, e, tb) != 3 {
		t.Fatalf("result %+v", res)
	}
}

func TestUpsertByKey(t *testing.T) {
	e := setup(t)
	tb := e.customers(t)
	src := csvFile(t, good)
	plan := importer.Plan{Columns: importer.Suggest(src.Header(), tb), Mode: importer.Upsert, Key: "客户编号"}
	if _, err := e.im.Run(context.Background(), access.System, tb, src, plan, nil); err != nil {
		t.Fatal(err)
	}
	again := strings.Replace(good, "1.2万", "3万", 1) + "K9,新客户,,,,\n"
	res, err := e.im.Run(context.Background(), access.System, tb, csvFile(t, again), plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Updated != 1 || res.Unchanged != 2 || res.Inserted != 1 || count(t, e, tb) != 4 {
		t.Fatalf("result %+v, rows %d", res, count(t, e, tb))
	}
	page, _ := e.recs.List(context.Background(), access.System, tb, records.Query{Sort: "客户编号"})
	k2 := page.Items[1]
	if k2[tb.Field("累计消费金额").ID] != 30000.0 {
		t.Fatalf("K2 after upsert: %v", k2)
	}
	hist, _ := e.recs.History(context.Background(), access.System, tb, k2.ID())
	if len(hist) != 2 || hist[0].Action != "update" || hist[0].Changes[0].Before != 12000.0 || hist[0].Changes[0].After != 30000.0 {
		t.Fatalf("history after upsert: %+v", hist)
	}
	// A key twice in one file is reported, and nothing changes.
	dup := good + "K1,重复,,,,\n"
	res, err = e.im.Run(context.Background(), access.System, tb, csvFile(t, dup), plan, nil)
	if p := problem.As(err); p == nil || res.Problems[0].Err.Code != "import_duplicate_key" || res.Problems[0].Line != 5 {
		t.Fatalf("duplicate key: %v %+v", err, res)
	}
}

func TestUniqueValuesAgainstTableAndFile(t *testing.T) {
	e := setup(t)
	tb := e.customers(t)
	if _, err := e.recs.Create(context.Background(), access.System, tb, records.Input{"客户编号": "K2", "客户名称": "已有"}); err != nil {
		t.Fatal(err)
	}
	src := csvFile(t, good)
	res, err := e.im.Run(context.Background(), access.System, tb, src, importer.Plan{Columns: importer.Suggest(src.Header(), tb)}, nil)
	if err == nil || res.Problems[0].Err.Code != "not_unique" || res.Problems[0].Line != 3 || count(t, e, tb) != 1 {
		t.Fatalf("unique clash: %v %+v", err, res)
	}
}

func TestBadPlans(t *testing.T) {
	e := setup(t)
	tb := e.customers(t)
	src := csvFile(t, good)
	cols := importer.Suggest(src.Header(), tb)
	cases := map[string]struct {
		plan importer.Plan
		code string
	}{
		"wrong column count": {importer.Plan{Columns: cols[:2]}, "bad_param"},
		"unknown field":      {importer.Plan{Columns: append([]string{"没有这个字段"}, cols[1:]...)}, "unknown_field"},
		"mapped twice":       {importer.Plan{Columns: append([]string{"客户名称"}, cols[1:]...)}, "import_twice"},
		"nothing mapped":     {importer.Plan{Columns: make([]string, len(cols))}, "import_nothing"},
		"upsert without key": {importer.Plan{Columns: cols, Mode: importer.Upsert}, "import_need_key"},
		"required unmapped":  {importer.Plan{Columns: append(append([]string{}, cols[0], ""), cols[2:]...)}, "import_required"},
		"system field":       {importer.Plan{Columns: append([]string{"创建时间"}, cols[1:]...)}, "readonly_field"},
	}
	for name, c := range cases {
		_, err := e.im.Run(context.Background(), access.System, tb, src, c.plan, nil)
		if p := problem.As(err); p == nil || p.Code != c.code {
			t.Errorf("%s: want %s, got %v", name, c.code, err)
		}
	}
	member := access.Actor{UserID: 1, Role: access.RoleMember}
	if _, err := e.im.Run(context.Background(), member, tb, src, importer.Plan{Columns: cols}, nil); problem.As(err) == nil || problem.As(err).Status != 403 {
		t.Errorf("a member may not import: %v", err)
	}
}

func TestFixtureInferAndCreate(t *testing.T) {
	e := setup(t)
	for _, name := range []string{"customers_libreoffice.xlsx", "customers_gbk.csv"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("..", "..", "platform", "spreadsheet", "testdata", name)
			src, err := spreadsheet.Open(path, spreadsheet.Options{})
			if err != nil {
				t.Fatal(err)
			}
			cols, rows, err := importer.Infer(src, 0)
			src.Close()
			if err != nil || rows != 300 {
				t.Fatalf("infer: %d rows, %v", rows, err)
			}
			want := map[string]schema.Type{"客户编号": schema.Text, "客户名称": schema.Text, "联系电话": schema.Phone, "客户来源": schema.Select,
				"首次购买日期": schema.Date, "最近消费日": schema.Date, "累计消费金额": schema.Money, "购买频率": schema.Number,
				"毛利率": schema.Percent, "是否VIP": schema.Checkbox}
			for _, c := range cols {
				if w, ok := want[c.Name]; ok && c.Type != w {
					t.Errorf("column %s inferred as %s, want %s", c.Name, c.Type, w)
				}
			}
			tb, err := e.cat.CreateTable(context.Background(), access.System, "", "导入_"+name, importer.Fields(cols))
			if err != nil {
				t.Fatal(err)
			}
			src, _ = spreadsheet.Open(path, spreadsheet.Options{})
			defer src.Close()
			plan := importer.Plan{Columns: importer.Suggest(src.Header(), tb)}
			res, err := e.im.Run(context.Background(), access.System, tb, src, plan, nil)
			if err != nil {
				t.Fatalf("%v: %+v", err, res.Problems)
			}
			var sum float64
			err = e.db.R.QueryRow("SELECT SUM(" + store.Quote(tb.Field("累计消费金额").Column()) + ") FROM " + store.Quote(tb.SQLName())).Scan(&sum)
			if err != nil || res.Inserted != 300 || math.Abs(sum-12066281.50) > 0.005 {
				t.Fatalf("inserted %d, sum %.2f, %v", res.Inserted, sum, err)
			}
		})
	}
}

// CreateTable: the table made for a file lands with its rows or not at all, and takes the
// select values its sample did not show.
func TestCreateTable(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	draft := func() *schema.Table {
		tb, err := e.cat.Draft(ctx, "", "新客户", []*schema.Field{{Name: "客户编号", Type: schema.Text},
			{Name: "客户来源", Type: schema.Select, Options: []schema.Option{{Value: "官网"}}}, {Name: "金额", Type: schema.Number}})
		if err != nil {
			t.Fatal(err)
		}
		return tb
	}
	plan := importer.Plan{Columns: []string{"客户编号", "客户来源", "金额"}, CreateTable: true}
	bad := "客户编号,客户来源,金额\nK1,官网,1\nK2,抖音,abc\n"
	res, err := e.im.Run(ctx, access.System, draft(), csvFile(t, bad), plan, nil)
	if problem.As(err) == nil || res.Rejected != 1 {
		t.Fatalf("a bad amount rejects the file: %v %+v", err, res)
	}
	var n int
	tables := "SELECT COUNT(*) FROM sqlite_schema WHERE name LIKE 't_tbl%' OR name = '新客户'"
	if e.db.Dialect == store.Postgres {
		tables = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND (table_name LIKE 't_tbl%' OR table_name = '新客户')"
	}
	if err := e.db.R.QueryRow(tables).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cat.Table("新客户"); err == nil || n != 0 {
		t.Fatalf("a rejected import leaves no table behind (%d SQL tables)", n)
	}
	good := "客户编号,客户来源,金额\nK1,官网,1\nK2,抖音,2\nK3,抖音,3\n"
	if _, err := e.im.Run(ctx, access.System, draft(), csvFile(t, good), plan, nil); err != nil {
		t.Fatal(err)
	}
	tb, err := e.cat.Table("新客户")
	if err != nil || !tb.Field("客户来源").HasOption("抖音") || len(tb.Field("客户来源").Options) != 2 {
		t.Fatalf("table after the import: %v %v", tb, err)
	}
	if err := e.db.R.QueryRow(tables).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d SQL tables after the import (%v), want 1", n, err)
	}
}

// An import may link only to records that exist and that the importer may read, as a write
// through the records engine may: a link to a missing record, inserted or upserted, refuses
// the whole file with bad_link naming the field and the value, and nothing is written.
func TestImportedLinksMustBeReadable(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	cust := e.customers(t)
	orders, err := e.cat.CreateTable(ctx, access.System, "", "订单", []*schema.Field{
		{Name: "订单号", Type: schema.Text, Unique: true},
		{Name: "客户", Type: schema.Link, LinkTable: cust.ID},
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.recs.Create(ctx, access.System, cust, records.Input{"客户名称": "甲"})
	if err != nil {
		t.Fatal(err)
	}
	file := func(rows string) spreadsheet.Reader { return csvFile(t, "订单号,客户\n"+rows) }
	plan := func(src spreadsheet.Reader, mode importer.Mode) importer.Plan {
		return importer.Plan{Columns: importer.Suggest(src.Header(), orders), Mode: mode, Key: "订单号"}
	}
	src := file(fmt.Sprintf("D1,%d\n", c.ID()))
	if _, err := e.im.Run(ctx, access.System, orders, src, plan(src, importer.Insert), nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mode importer.Mode
		rows string
	}{
		{importer.Insert, fmt.Sprintf("D2,%d\nD3,999999\n", c.ID())},
		{importer.Upsert, "D1,999999\n"},
	} {
		src := file(tc.rows)
		_, err := e.im.Run(ctx, access.System, orders, src, plan(src, tc.mode), nil)
		if p := problem.As(err); p == nil || p.Code != "bad_link" || p.Field != "客户" || !strings.Contains(p.Message("zh"), "999999") {
			t.Fatalf("%s %q: want bad_link on 客户 naming 999999, got %v", tc.mode, tc.rows, err)
		}
		page, _ := e.recs.List(ctx, access.System, orders, records.Query{})
		if len(page.Items) != 1 || page.Items[0][orders.Field("客户").ID] != c.ID() {
			t.Fatalf("%s: a refused import changed the orders: %v", tc.mode, page.Items)
		}
	}
}

// Records added while an import runs (several nodes on PostgreSQL) neither land among the
// ids the import records as its own nor share an autonumber with the imported records.
func TestImportBesideWriters(t *testing.T) {
	e := setup(t)
	plain, err := e.cat.CreateTable(context.Background(), access.System, "", "线索", []*schema.Field{
		{Name: "客户编号", Type: schema.Text, Unique: true}, {Name: "客户名称", Type: schema.Text}})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("autonumber", func(t *testing.T) { importBesideWriters(t, e, e.customers(t)) })
	t.Run("plain", func(t *testing.T) { importBesideWriters(t, e, plain) })
}

func importBesideWriters(t *testing.T, e *env, tb *schema.Table) {
	ctx := context.Background()
	var sb strings.Builder
	sb.WriteString("客户编号,客户名称\n")
	const n = 5000
	for i := range n {
		fmt.Fprintf(&sb, "K%d,客户%d\n", i, i)
	}
	src := csvFile(t, sb.String())
	done := make(chan struct{})
	added := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			_, err := e.recs.Create(ctx, access.System, tb, records.Input{"客户编号": fmt.Sprint("C", i), "客户名称": "同时"})
			select {
			case <-done:
				added <- err
				return
			default:
			}
			if err != nil {
				added <- err
				return
			}
		}
	}()
	time.Sleep(50 * time.Millisecond)
	res, err := e.im.Run(ctx, access.System, tb, src, importer.Plan{Columns: importer.Suggest(src.Header(), tb)}, nil)
	close(done)
	if err != nil || res.Inserted != n {
		t.Fatalf("%v %+v", err, res)
	}
	if err := <-added; err != nil {
		t.Fatal(err)
	}
	var first, last int64
	if err := e.db.R.QueryRow("SELECT first_id, last_id FROM _imports WHERE table_id = ?", tb.ID).Scan(&first, &last); err != nil {
		t.Fatal(err)
	}
	table, key, number := store.Quote(tb.SQLName()), store.Quote(tb.Field("客户编号").Column()), "id"
	if f := tb.Field("序号"); f != nil {
		number = store.Quote(f.Column())
	}
	var inRange, imported, all, numbers int
	err = e.db.R.QueryRow(fmt.Sprintf("SELECT SUM(CASE WHEN id BETWEEN ? AND ? THEN 1 ELSE 0 END), SUM(CASE WHEN id BETWEEN ? AND ? AND %s LIKE 'K%%' THEN 1 ELSE 0 END), COUNT(*), COUNT(DISTINCT %s) FROM %s",
		key, number, table), first, last, first, last).Scan(&inRange, &imported, &all, &numbers)
	if err != nil {
		t.Fatal(err)
	}
	if inRange != n || imported != n || numbers != all || all <= n {
		t.Fatalf("ids %d … %d hold %d records, %d of them imported (want %d); %d records, %d autonumbers", first, last, inRange, imported, n, all, numbers)
	}
}

// Columns of landline numbers and of addresses, however written, are proposed as 座机 and 地址
// and land in one form.
func TestInferLandlineAndAddress(t *testing.T) {
	e := setup(t)
	src := csvFile(t, "门店,电话,邮编,地址\n南山店,(0755)8888 8888-12,518000,广东深圳南山区科技园\n朝阳店,010-12345678转123,100020,北京朝阳区建国路1号\n总部,021 6234 5678,200000,上海市/上海市/浦东新区\n")
	cols, _, err := importer.Infer(src, 0)
	if err != nil {
		t.Fatal(err)
	}
	if cols[1].Type != schema.Landline || cols[2].Type == schema.Landline || cols[3].Type != schema.Address {
		t.Fatalf("电话 inferred as %s, 邮编 as %s, 地址 as %s", cols[1].Type, cols[2].Type, cols[3].Type)
	}
	tb, err := e.cat.CreateTable(context.Background(), access.System, "", "门店", importer.Fields(cols))
	if err != nil {
		t.Fatal(err)
	}
	src = csvFile(t, "门店,电话,邮编,地址\n南山店,(0755)8888 8888-12,518000,广东深圳南山区科技园\n朝阳店,010-12345678转123,100020,北京朝阳区建国路1号\n总部,021 6234 5678,200000,上海市/上海市/浦东新区\n")
	if _, err := e.im.Run(context.Background(), access.System, tb, src, importer.Plan{Columns: importer.Suggest(src.Header(), tb)}, nil); err != nil {
		t.Fatal(err)
	}
	var got []string
	rows, err := e.db.R.Query("SELECT " + store.Quote(tb.Field("电话").Column()) + ", " + store.Quote(tb.Field("地址").Column()) + " FROM " + store.Quote(tb.SQLName()) + " ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var tel, addr string
		rows.Scan(&tel, &addr)
		got = append(got, tel, addr)
	}
	if want := []string{"0755-88888888-12", "广东省/深圳市/南山区/科技园", "010-12345678-123", "北京市/北京市/朝阳区/建国路1号", "021-62345678", "上海市/上海市/浦东新区"}; !reflect.DeepEqual(got, want) {
		t.Errorf("stored %v, want %v", got, want)
	}
}
