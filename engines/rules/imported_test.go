package rules_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"testing"

	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/engines/importer"
	"tierbase/engines/rules"
	"tierbase/platform/store"
	"tierbase/templates/crm"
)

// After an import's rows are written (here by hand, as the importer writes them: no hooks),
// AfterImport grades them and fires the rules as saving them one by one would: a created
// 高价值客户 and an updated record that becomes one each get a to-do, once; the others none.
func TestAfterImportGradesAndFires(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if _, _, err := w.Grading.Save(ctx, access.System, crm.Scheme()); err != nil {
		t.Fatal(err)
	}
	w.save(t, &rules.Rule{Name: "高价值客户跟进", Table: "客户", Enabled: true,
		Triggers: []rules.Trigger{{On: rules.OnChanged, Fields: []string{"客户等级"}}},
		When:     leaf("客户等级", "eq", "高价值客户"),
		Actions:  []rules.Action{{Type: rules.ActCreate, Target: "待办", Values: map[string]any{"标题": `=CONCAT("跟进 ", 客户名称)`}}}})
	up := w.customer(t, records.Input{"客户名称": "美的"})
	same := w.customer(t, records.Input{"客户名称": "小店"})
	col := func(name string) string { return store.Quote(w.fieldOf(w.cust, name)) }
	table := store.Quote(w.cust.SQLName())
	recent := day(w.now, -3)
	var ids []int64
	err := w.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, fmt.Sprintf("UPDATE %s SET %s = ?, %s = ?, %s = ? WHERE id = ?", table, col("最近消费日"), col("购买频率"), col("累计消费金额")),
			recent, 8, 50000, up.ID())
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, fmt.Sprintf("INSERT INTO %s(%s, %s, %s, %s) VALUES(?, ?, ?, ?), (?, NULL, NULL, ?) RETURNING id",
			table, col("客户名称"), col("最近消费日"), col("购买频率"), col("累计消费金额")), "华为", recent, 9, 90000, "路人", 10)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			ids = append(ids, id)
		}
		rows.Close()
		slices.Sort(ids)
		return w.Rules.AfterImport(ctx, tx, &importer.Imported{Table: w.cust, FirstID: ids[0], LastID: ids[len(ids)-1],
			Updated: []int64{up.ID(), same.ID()}, Changed: map[string][]int64{w.fieldOf(w.cust, "购买频率"): {up.ID()}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	w.drain(t)
	for id, want := range map[int64]string{up.ID(): "高价值客户", same.ID(): "普通客户", ids[0]: "高价值客户", ids[1]: "普通客户"} {
		rec, err := w.Records.Get(ctx, access.System, w.cust, id)
		if err != nil || rec[w.fieldOf(w.cust, "客户等级")] != want {
			t.Errorf("record %d: %v (%v), want %s", id, rec[w.fieldOf(w.cust, "客户等级")], err, want)
		}
	}
	page, err := w.Records.List(ctx, access.System, w.todo, records.Query{})
	var titles []string
	for _, r := range page.Items {
		titles = append(titles, fmt.Sprint(r[w.fieldOf(w.todo, "标题")]))
	}
	slices.Sort(titles)
	if err != nil || fmt.Sprint(titles) != "[跟进 华为 跟进 美的]" {
		t.Fatalf("to-dos %q (%v), job errors: %s", titles, err, jobErrors(w.App))
	}
}

// Two people editing one record at once each change one of the two things that make it a
// 高价值客户: the grade (worked out in the write, from the record as it reads it) follows
// both edits, as when they come one after the other; on PostgreSQL the second write waits
// for the first and reads its result.
func TestEditsAtOnceGradeOnBoth(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if _, _, err := w.Grading.Save(ctx, access.System, crm.Scheme()); err != nil {
		t.Fatal(err)
	}
	var recs []records.Record
	for range 60 {
		recs = append(recs, w.customer(t, records.Input{"历史最近消费日": day(w.now, -3), "历史购买次数": 1, "历史消费金额": 10}))
	}
	var wg sync.WaitGroup
	for _, rec := range recs {
		for _, in := range []records.Input{{"历史购买次数": 8}, {"历史消费金额": 50000}} {
			wg.Go(func() {
				if _, err := w.Records.Update(ctx, access.System, w.cust, rec.ID(), in); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	for _, rec := range recs {
		got, err := w.Records.Get(ctx, access.System, w.cust, rec.ID())
		if err != nil || got[w.fieldOf(w.cust, "客户等级")] != "高价值客户" {
			t.Errorf("record %d: %v (%v) after both edits", rec.ID(), got[w.fieldOf(w.cust, "客户等级")], err)
		}
	}
}

// Two orders of one customer written at once each count the other: a customer with two new
// orders at the same time has two, and the rule "2 orders or more" (counted set-wise in each
// order's write) tags it, as when they come one after the other; on
// PostgreSQL the second order's write waits for the first before it counts.
func TestOrdersAtOnceCountEachOther(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	// A table of its own: the template's 订单 numbers each order (订单编号), which already
	// makes their writes take turns.
	orders, err := w.Catalog.CreateTable(ctx, access.System, "", "消费", []*schema.Field{{Name: "下单日期", Type: schema.Date},
		{Name: "订单金额", Type: schema.Money}, {Name: "客户", Type: schema.Link, LinkTable: w.cust.ID}})
	if err != nil {
		t.Fatal(err)
	}
	w.save(t, &rules.Rule{Name: "高频客户", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnAlways}},
		Related: &rules.Related{Table: "消费", Link: "客户", Op: "gte", Value: 2},
		Actions: []rules.Action{{Type: rules.ActAddTag, Field: "标签", Tag: "高频客户"}}})
	var custs []records.Record
	for range 40 {
		custs = append(custs, w.customer(t, records.Input{}))
	}
	var wg sync.WaitGroup
	for _, c := range custs {
		for range 2 {
			wg.Go(func() {
				if _, err := w.Records.Create(ctx, access.System, orders, records.Input{"客户": c.ID(), "下单日期": day(w.now, 0), "订单金额": 100}); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	for _, c := range custs {
		got, err := w.Records.Get(ctx, access.System, w.cust, c.ID())
		if err != nil || fmt.Sprint(got[w.fieldOf(w.cust, "标签")]) != "[高频客户]" {
			t.Errorf("customer %d with two orders: 标签 %v (%v)", c.ID(), got[w.fieldOf(w.cust, "标签")], err)
		}
	}
}
