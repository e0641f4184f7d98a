package records_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// quotes gives the world a 报价单 table with the sub-table 报价明细 (产品, 数量, 单价,
// 小计 = 数量 × 单价) and 明细合计, a rollup of 小计.
func (w *world) quotes(t *testing.T) (quote, items *schema.Table) {
	t.Helper()
	cat := w.recs.Catalog
	quote, err := cat.CreateTable(ctx, access.System, "", "报价单", []*schema.Field{{Name: "报价名称", Type: schema.Text}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cat.AddField(ctx, access.System, "报价单", &schema.Field{Name: "报价明细", Type: schema.Subform, Fields: []*schema.Field{
		{Name: "产品", Type: schema.Text, Required: true}, {Name: "数量", Type: schema.Number}, {Name: "单价", Type: schema.Money},
		{Name: "小计", Type: schema.Money, Computed: &schema.Computed{Kind: schema.Formula, Formula: "数量 * 单价"}},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.AddField(ctx, access.System, "报价单", &schema.Field{Name: "明细合计",
		Computed: &schema.Computed{Kind: schema.Rollup, Table: "报价明细", Link: "报价单", Fn: "sum", Field: "小计"}}); err != nil {
		t.Fatal(err)
	}
	quote, _ = cat.Table("报价单")
	items, _ = cat.Table("报价明细")
	if items.Parent != quote.ID || items.ParentField != quote.Field("报价明细").ID {
		t.Fatalf("rows' table %+v is not the sub-table's", items)
	}
	return quote, items
}

// rowsOf returns the 报价明细 of rec.
func rowsOf(t *testing.T, quote *schema.Table, rec records.Record) []records.Row {
	t.Helper()
	rows, ok := rec[quote.Field("报价明细").ID].([]records.Row)
	if !ok {
		t.Fatalf("报价明细 = %#v, want rows", rec[quote.Field("报价明细").ID])
	}
	return rows
}

// handSum is SUM(数量 × 单价) and COUNT(*) of the rows of quote id, written by hand.
func (w *world) handSum(t *testing.T, items *schema.Table, id int64) (float64, int) {
	t.Helper()
	var sum float64
	var n int
	q := fmt.Sprintf("SELECT COALESCE(SUM(%s * %s), 0), COUNT(*) FROM %s WHERE %s = ?", store.Quote(items.Field("数量").Column()),
		store.Quote(items.Field("单价").Column()), store.Quote(items.SQLName()), store.Quote(items.Field("报价单").Column()))
	if err := w.db.R.QueryRowContext(ctx, q, id).Scan(&sum, &n); err != nil {
		t.Fatal(err)
	}
	return sum, n
}

func TestSubformRowsWrittenWithTheirRecordAndRolledUp(t *testing.T) {
	w := open(t)
	quote, items := w.quotes(t)
	total, count := quote.Field("明细合计").ID, quote.Field("报价明细").ID
	rec := w.create(t, w.wang, quote, records.Input{"报价名称": "年度采购", "报价明细": []any{
		map[string]any{"产品": "服务器", "数量": 2, "单价": 5000},
		map[string]any{"产品": "交换机", "数量": "3", "单价": 800},
	}})
	rows := rowsOf(t, quote, rec)
	if len(rows) != 2 || rows[0]["产品"] != "服务器" || rows[0]["小计"] != 10000.0 || rows[1]["小计"] != 2400.0 || rows[0]["id"] == nil {
		t.Fatalf("rows = %v", rows)
	}
	if rec[total] != 12400.0 {
		t.Fatalf("明细合计 = %v, want 12400", rec[total])
	}
	// random edits: change, add and remove rows; the rollup follows a hand-written SUM
	r := rand.New(rand.NewPCG(1, 2))
	for step := range 30 {
		var in []any
		for _, row := range rows {
			switch r.IntN(3) {
			case 0: // removed
			case 1:
				in = append(in, map[string]any{"id": row["id"], "数量": r.IntN(10)})
			default:
				in = append(in, map[string]any{"id": row["id"], "产品": row["产品"]}) // unchanged
			}
		}
		for range r.IntN(3) {
			in = append(in, map[string]any{"产品": fmt.Sprint("配件", step), "数量": r.IntN(5), "单价": float64(r.IntN(1000))})
		}
		got, err := w.recs.Update(ctx, w.wang, quote, rec.ID(), records.Input{"报价明细": in})
		if err != nil {
			t.Fatal(err)
		}
		rows = rowsOf(t, quote, got)
		sum, n := w.handSum(t, items, rec.ID())
		if len(rows) != len(in) || n != len(in) {
			t.Fatalf("step %d: %d rows, %d in the table, want %d", step, len(rows), n, len(in))
		}
		if got[total] != sum {
			t.Fatalf("step %d: 明细合计 = %v, hand-written SUM = %v", step, got[total], sum)
		}
		page, err := w.recs.List(ctx, w.wang, quote, records.Query{})
		if err != nil {
			t.Fatal(err)
		}
		if page.Items[0][count] != float64(n) {
			t.Fatalf("step %d: the list shows %v rows, want %d", step, page.Items[0][count], n)
		}
	}
}

func TestSubformBadRowLeavesNothingChanged(t *testing.T) {
	w := open(t)
	quote, items := w.quotes(t)
	rec := w.create(t, w.wang, quote, records.Input{"报价名称": "年度采购", "报价明细": []any{
		map[string]any{"产品": "服务器", "数量": 2, "单价": 5000},
	}})
	first := rowsOf(t, quote, rec)[0]["id"]
	_, err := w.recs.Update(ctx, w.wang, quote, rec.ID(), records.Input{"报价名称": "改了名", "报价明细": []any{
		map[string]any{"id": first, "数量": 9},
		map[string]any{"产品": "交换机", "数量": "很多", "单价": 800},
		map[string]any{"单价": 1},
	}})
	p := problem.As(err)
	if p == nil || len(p.Details) != 2 {
		t.Fatalf("err = %v, want two problems", err)
	}
	zh, en := p.Details[0].Message("zh"), p.Details[0].Message("en")
	if !strings.Contains(zh, "报价明细") || !strings.Contains(zh, "第 2 行") || !strings.Contains(zh, "数量") || !strings.Contains(en, "row 2") || !strings.Contains(en, "数量") {
		t.Fatalf("messages %q / %q do not name the row and the field", zh, en)
	}
	if m := p.Details[1].Message("zh"); !strings.Contains(m, "第 3 行") || !strings.Contains(m, "产品") {
		t.Fatalf("second problem %q", m)
	}
	got, err := w.recs.Get(ctx, w.wang, quote, rec.ID())
	if err != nil {
		t.Fatal(err)
	}
	rows := rowsOf(t, quote, got)
	if got[quote.Field("报价名称").ID] != "年度采购" || len(rows) != 1 || rows[0]["数量"] != 2.0 {
		t.Fatalf("after a refused write: %v with rows %v", got, rows)
	}
	if sum, n := w.handSum(t, items, rec.ID()); n != 1 || sum != 10000 {
		t.Fatalf("rows' table holds %d rows summing %v", n, sum)
	}
	// a row of another record is not this one's to change
	other := w.create(t, w.wang, quote, records.Input{"报价名称": "另一单", "报价明细": []any{map[string]any{"产品": "网线"}}})
	_, err = w.recs.Update(ctx, w.wang, quote, rec.ID(), records.Input{"报价明细": []any{map[string]any{"id": rowsOf(t, quote, other)[0]["id"], "产品": "偷来的"}}})
	if p := problem.As(err); p == nil || !strings.Contains(p.Message("zh"), "没有 id") {
		t.Fatalf("taking another record's row: %v", err)
	}
}

func TestSubformRowsFollowTheParentsAccess(t *testing.T) {
	w := open(t)
	quote, items := w.quotes(t)
	rec := w.create(t, w.wang, quote, records.Input{"报价名称": "小王的报价", "报价明细": []any{map[string]any{"产品": "服务器", "数量": 1, "单价": 10}}})
	// 小李 reads nothing of 小王's quote, nor its rows through their table
	if _, err := w.recs.Get(ctx, w.li, quote, rec.ID()); code(err) != "not_found" {
		t.Fatalf("小李 got 小王's quote: %v", err)
	}
	for _, a := range []access.Actor{w.li, w.wang} {
		page, err := w.recs.List(ctx, a, items, records.Query{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 0 {
			t.Fatalf("%d rows read straight from their table", len(page.Items))
		}
		if _, err := w.recs.Create(ctx, a, items, records.Input{"产品": "x", "报价单": rec.ID()}); code(err) != "subform_table" {
			t.Fatalf("a row written straight to its table: %v", err)
		}
	}
	// a member who may not see the field gets no rows, and one who may only read it writes none
	hidden := withFields(w.wang, quote, map[string]access.FieldAccess{quote.Field("报价明细").ID: access.FieldHidden})
	got, err := w.recs.Get(ctx, hidden, quote, rec.ID())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got[quote.Field("报价明细").ID]; ok {
		t.Fatalf("hidden 报价明细 read: %v", got)
	}
	readOnly := withFields(w.wang, quote, map[string]access.FieldAccess{quote.Field("报价明细").ID: access.FieldRead})
	if len(rowsOf(t, quote, mustGet(t, w, readOnly, quote, rec.ID()))) != 1 {
		t.Fatal("a reader of 报价明细 does not see its rows")
	}
	if _, err := w.recs.Update(ctx, readOnly, quote, rec.ID(), records.Input{"报价明细": []any{}}); code(err) != "field_readonly" {
		t.Fatalf("a reader of 报价明细 removed its rows: %v", err)
	}
}

func mustGet(t *testing.T, w *world, a access.Actor, tb *schema.Table, id int64) records.Record {
	t.Helper()
	rec, err := w.recs.Get(ctx, a, tb, id)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestSubformRowsDeletedAndRestoredWithTheirRecord(t *testing.T) {
	w := open(t)
	quote, items := w.quotes(t)
	rec := w.create(t, w.wang, quote, records.Input{"报价名称": "年度采购", "报价明细": []any{
		map[string]any{"产品": "服务器", "数量": 2, "单价": 5000}, map[string]any{"产品": "交换机", "数量": 1, "单价": 800},
	}})
	before := rowsOf(t, quote, rec)
	if err := w.recs.Delete(ctx, w.wang, quote, rec.ID()); err != nil {
		t.Fatal(err)
	}
	if _, n := w.handSum(t, items, rec.ID()); n != 0 {
		t.Fatalf("%d rows left after their record was deleted", n)
	}
	if _, err := w.recs.Restore(ctx, w.admin, quote, rec.ID()); err != nil {
		t.Fatal(err)
	}
	got := mustGet(t, w, w.wang, quote, rec.ID())
	after := rowsOf(t, quote, got)
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("rows restored as %v, were %v", after, before)
	}
	if got[quote.Field("明细合计").ID] != 10800.0 || got[quote.Field("报价明细").ID] == nil {
		t.Fatalf("restored record %v", got)
	}
}

// A bulk delete bins each record with its own rows, and brings them back with it.
func TestSubformRowsOfABulkDeleteRestoredEachWithItsRecord(t *testing.T) {
	w := open(t)
	quote, items := w.quotes(t)
	recs := []records.Record{
		w.create(t, w.wang, quote, records.Input{"报价名称": "甲", "报价明细": []any{
			map[string]any{"产品": "服务器", "数量": 2, "单价": 5000}, map[string]any{"产品": "交换机", "数量": 1, "单价": 800}}}),
		w.create(t, w.wang, quote, records.Input{"报价名称": "乙"}),
		w.create(t, w.wang, quote, records.Input{"报价名称": "丙", "报价明细": []any{map[string]any{"产品": "路由器", "数量": 3, "单价": 300}}}),
	}
	ids := []int64{recs[0].ID(), recs[1].ID(), recs[2].ID()}
	if res, err := w.recs.BulkChange(ctx, w.admin, quote, records.Bulk{IDs: ids, Delete: true}, nil); err != nil || res.Changed != 3 {
		t.Fatalf("bulk delete: %+v %v", res, err)
	}
	for i, rec := range recs {
		if _, n := w.handSum(t, items, rec.ID()); n != 0 {
			t.Fatalf("%d rows left after their record was deleted", n)
		}
		if _, err := w.recs.Restore(ctx, w.admin, quote, rec.ID()); err != nil {
			t.Fatal(err)
		}
		got := mustGet(t, w, w.wang, quote, rec.ID())
		if fmt.Sprint(got[quote.Field("报价明细").ID]) != fmt.Sprint(rec[quote.Field("报价明细").ID]) || got[quote.Field("明细合计").ID] != rec[quote.Field("明细合计").ID] {
			t.Fatalf("record %d restored as %v, was %v", i, got, rec)
		}
	}
}

func TestSubformTableGoesWithItsFieldAndItsTable(t *testing.T) {
	w := open(t)
	cat := w.recs.Catalog
	quote, items := w.quotes(t)
	if err := cat.DeleteTable(ctx, access.System, items.ID); code(err) != "in_use" {
		t.Fatalf("deleting the rows' table by itself: %v", err)
	}
	if err := cat.DeleteField(ctx, access.System, quote.ID, "报价明细"); code(err) != "in_use" {
		t.Fatalf("deleting 报价明细 while 明细合计 reads it: %v", err)
	}
	w.create(t, w.wang, quote, records.Input{"报价明细": []any{map[string]any{"产品": "服务器"}}})
	if err := cat.DeleteTable(ctx, access.System, quote.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.Table(items.ID); err == nil {
		t.Fatal("the rows' table outlived its table")
	}
	quote, items = w.quotes(t)
	if err := cat.DeleteField(ctx, access.System, quote.ID, "明细合计"); err != nil {
		t.Fatal(err)
	}
	if err := cat.DeleteField(ctx, access.System, quote.ID, "报价明细"); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.Table(items.ID); err == nil {
		t.Fatal("the rows' table outlived its field")
	}
}

func TestSubformDefinitionsRefused(t *testing.T) {
	w := open(t)
	cat := w.recs.Catalog
	_, items := w.quotes(t)
	for _, tc := range []struct {
		table string
		field *schema.Field
		want  string
	}{
		{"订单", &schema.Field{Name: "明细", Type: schema.Subform}, "subform_empty"},
		{"订单", &schema.Field{Name: "明细", Type: schema.Subform, Fields: []*schema.Field{{Name: "手机", Type: schema.Phone, Sensitive: true}}}, "subform_nested"},
		{items.ID, &schema.Field{Name: "子明细", Type: schema.Subform, Fields: []*schema.Field{{Name: "x", Type: schema.Text}}}, "subform_nested"},
		{"订单", &schema.Field{Name: "客户", Type: schema.Subform, Fields: []*schema.Field{{Name: "x", Type: schema.Text}}}, "duplicate_name"},
	} {
		if _, err := cat.AddField(ctx, access.System, tc.table, tc.field); code(err) != tc.want {
			t.Errorf("%s: %v, want %s", tc.field.Name, err, tc.want)
		}
	}
	if len(cat.Tables()) != 4 {
		t.Errorf("%d tables after refused sub-tables, want 4", len(cat.Tables()))
	}
}

// The record's history shows its rows' changes cell by cell: the rows it was created with
// (and the 明细合计 they make), a row's edit (and the 小计 it moves), a row added and a row
// deleted, at their positions.
func TestSubformRowsInTheRecordsHistory(t *testing.T) {
	w := open(t)
	quote, _ := w.quotes(t)
	rec := w.create(t, w.wang, quote, records.Input{"报价名称": "年度采购", "报价明细": []any{
		map[string]any{"产品": "服务器", "数量": 2, "单价": 5000},
		map[string]any{"产品": "交换机", "数量": 3, "单价": 800},
	}})
	rows := rowsOf(t, quote, rec)
	got, err := w.recs.Update(ctx, w.wang, quote, rec.ID(), records.Input{"报价名称": "年度采购（改）", "报价明细": []any{
		map[string]any{"id": rows[0]["id"], "数量": 4}, // 交换机 deleted
		map[string]any{"产品": "机柜", "数量": 1, "单价": 300},
	}})
	if err != nil {
		t.Fatal(err)
	}
	rows = rowsOf(t, quote, got)
	if _, err := w.recs.Update(ctx, w.wang, quote, rec.ID(), records.Input{"报价明细": []any{
		map[string]any{"id": rows[0]["id"]}, map[string]any{"id": rows[1]["id"], "单价": 320},
	}}); err != nil {
		t.Fatal(err)
	}
	hist, err := w.recs.History(ctx, w.wang, quote, rec.ID())
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 3 {
		t.Fatalf("%d entries, want the creation and two updates: %+v", len(hist), hist)
	}
	// line renders a change as the history shows it
	line := func(c records.Change) string {
		if c.Row == 0 {
			return fmt.Sprintf("%s: %v → %v", c.Name, c.Before, c.After)
		}
		return fmt.Sprintf("%s %d %s %s: %v → %v", c.Name, c.Row, c.RowOp, c.SubName, c.Before, c.After)
	}
	lines := func(e records.Entry) string {
		var out []string
		for _, c := range e.Changes {
			out = append(out, line(c))
		}
		return strings.Join(out, "; ")
	}
	want := []string{
		"报价明细 2  单价: 300 → 320; 报价明细 2  小计: 300 → 320",
		"报价名称: 年度采购 → 年度采购（改）; 报价明细 2 deleted 产品: 交换机 → <nil>; 报价明细 2 deleted 数量: 3 → <nil>; 报价明细 2 deleted 单价: 800 → <nil>; 报价明细 2 deleted 小计: 2400 → <nil>; " +
			"报价明细 1  数量: 2 → 4; 报价明细 1  小计: 10000 → 20000; " +
			"报价明细 2 added 产品: <nil> → 机柜; 报价明细 2 added 数量: <nil> → 1; 报价明细 2 added 单价: <nil> → 300; 报价明细 2 added 小计: <nil> → 300",
		"报价名称: <nil> → 年度采购; 明细合计: <nil> → 12400; 报价明细 1 added 产品: <nil> → 服务器; 报价明细 1 added 数量: <nil> → 2; 报价明细 1 added 单价: <nil> → 5000; 报价明细 1 added 小计: <nil> → 10000; " +
			"报价明细 2 added 产品: <nil> → 交换机; 报价明细 2 added 数量: <nil> → 3; 报价明细 2 added 单价: <nil> → 800; 报价明细 2 added 小计: <nil> → 2400",
	}
	for i, e := range hist {
		if got := lines(e); got != want[i] {
			t.Errorf("entry %d (%s):\n got %s\nwant %s", i, e.Action, got, want[i])
		}
	}
	if hist[1].Action != "update" || hist[2].Action != "create" {
		t.Errorf("actions %s, %s", hist[1].Action, hist[2].Action)
	}
}
