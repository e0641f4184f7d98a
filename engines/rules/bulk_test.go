package rules_test

import (
	"context"
	"fmt"
	"testing"

	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/engines/rules"
)

// A bulk change tells the rules of each chunk of records at once (AfterBatch), with what
// saving them one by one would do: orders moved in bulk to one customer re-count it and the
// customers they left (the rule "2 orders or more" tags it alone); customers changed in bulk
// keep their counted tags and each get the to-do of the rule their change fires.
func TestBulkChangeRulesSetWise(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	orders, err := w.Catalog.CreateTable(ctx, access.System, "", "消费", []*schema.Field{{Name: "订单金额", Type: schema.Money},
		{Name: "客户", Type: schema.Link, LinkTable: w.cust.ID}})
	if err != nil {
		t.Fatal(err)
	}
	w.save(t, &rules.Rule{Name: "高频客户", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnAlways}},
		Related: &rules.Related{Table: "消费", Link: "客户", Op: "gte", Value: 2},
		Actions: []rules.Action{{Type: rules.ActAddTag, Field: "标签", Tag: "高频客户"}}})
	w.save(t, &rules.Rule{Name: "广东跟进", Table: "客户", Enabled: true,
		Triggers: []rules.Trigger{{On: rules.OnChanged, Fields: []string{"地区"}}}, When: leaf("地区", "eq", "广东"),
		Actions: []rules.Action{{Type: rules.ActCreate, Target: "待办", Values: map[string]any{"标题": `=CONCAT("跟进 ", 客户名称)`}}}})
	var custs, moved []int64
	for i := range 10 {
		c := w.customer(t, records.Input{"客户名称": fmt.Sprint("客户", i)})
		custs = append(custs, c.ID())
		o, err := w.Records.Create(ctx, access.System, orders, records.Input{"客户": c.ID(), "订单金额": 100})
		if err != nil {
			t.Fatal(err)
		}
		if i < 5 {
			moved = append(moved, o.ID())
		}
	}
	tags := func() string {
		var out []string
		for _, id := range custs {
			rec, err := w.Records.Get(ctx, access.System, w.cust, id)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(rec[w.fieldOf(w.cust, "标签")]))
		}
		return fmt.Sprint(out)
	}
	const want = "[<nil> <nil> <nil> <nil> <nil> <nil> <nil> <nil> <nil> [高频客户]]"
	if _, err := w.Records.BulkChange(ctx, access.System, orders, records.Bulk{IDs: moved, Set: records.Input{"客户": custs[9]}}, nil); err != nil {
		t.Fatal(err)
	}
	if got := tags(); got != want {
		t.Errorf("after the orders moved: %s", got)
	}
	res, err := w.Records.BulkChange(ctx, access.System, w.cust, records.Bulk{IDs: custs, Set: records.Input{"地区": "广东"}}, nil)
	if err != nil || res.Changed != 10 {
		t.Fatal(res, err)
	}
	if got := tags(); got != want {
		t.Errorf("after the customers changed: %s", got)
	}
	w.drain(t)
	page, err := w.Records.List(ctx, access.System, w.todo, records.Query{})
	if err != nil || page.Total != 10 {
		t.Errorf("%v to-dos (%v): %s", page.Total, err, jobErrors(w.App))
	}
}
