package rules_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/engines/rules"
	"tierbase/engines/webhooks"
	"tierbase/platform/problem"
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

// A bulk edit of more records than a chunk (1,000) does what saving them one by one would,
// all or nothing: each record gets one history entry with its own before and after, the rule
// its change fires (a tag and a value of its own, counted once per record) and a webhook
// message. A record the rule cannot be applied to, in the last chunk, or a value its unique
// field refuses, leaves every record as it was, with no history and no message.
func TestBulkEditAcrossChunks(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	leads, err := w.Catalog.CreateTable(ctx, access.System, "", "线索", []*schema.Field{{Name: "名称", Type: schema.Text},
		{Name: "地区", Type: schema.Text}, {Name: "备注", Type: schema.Text}, {Name: "编码", Type: schema.Text, Unique: true},
		{Name: "行业", Type: schema.Select, Options: []schema.Option{{Value: "制造"}}}, {Name: "标签", Type: schema.Tags}})
	if err != nil {
		t.Fatal(err)
	}
	const n = 1050
	var items []records.Input
	for i := range n {
		items = append(items, records.Input{"名称": fmt.Sprint("线索", i), "地区": fmt.Sprint("区", i%7), "备注": "制造", "编码": fmt.Sprint("C", i)})
	}
	items[n-1]["备注"] = "不是行业" // the rule's 行业 refuses it
	created, err := w.Records.Batch(ctx, access.System, leads, items)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, n)
	for i, rec := range created {
		ids[i] = rec.ID()
	}
	if err := w.AllowOutbound([]string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	admin, err := w.Users.Setup(ctx, "admin@example.com", "a long enough password 1", "管理员")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Webhooks.Save(ctx, w.Users.ActorOf(admin), &webhooks.Endpoint{Name: "ERP", URL: "http://127.0.0.1:9/hook", Table: "线索",
		Events: []webhooks.Event{webhooks.Updated}, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	rule := w.save(t, &rules.Rule{Name: "换区", Table: "线索", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnChanged, Fields: []string{"地区"}}},
		Actions: []rules.Action{{Type: rules.ActAddTag, Field: "标签", Tag: "换区"}, {Type: rules.ActSet, Field: "行业", Formula: "备注"}}})
	count := func(q string, args ...any) int {
		var c int
		if err := w.DB.R.QueryRowContext(ctx, q, args...).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	unchanged := func(what string) {
		t.Helper()
		if c := count("SELECT COUNT(*) FROM _oplog WHERE table_id = ? AND action = 'update'", leads.ID); c != 0 {
			t.Errorf("%s: %d history entries", what, c)
		}
		if c := count("SELECT COUNT(*) FROM _webhook_messages"); c != 0 {
			t.Errorf("%s: %d webhook messages", what, c)
		}
		page, err := w.Records.List(ctx, access.System, leads, records.Query{Filter: leaf("地区", "eq", "上海")})
		if err != nil || page.Total != 0 {
			t.Errorf("%s: %d records in 上海 (%v)", what, page.Total, err)
		}
	}
	_, err = w.Records.BulkChange(ctx, access.System, leads, records.Bulk{IDs: ids, Set: records.Input{"地区": "上海"}}, nil)
	if p := problem.As(err); p == nil || !strings.Contains(p.Message("zh"), "换区") {
		t.Errorf("a record the rule refuses: %v", err)
	}
	unchanged("a record the rule refuses")
	_, err = w.Records.BulkChange(ctx, access.System, leads, records.Bulk{IDs: ids, Set: records.Input{"编码": "同一个", "地区": "上海"}}, nil)
	if p := problem.As(err); p == nil || len(p.Details) == 0 || p.Details[0].Code != "not_unique" || p.Details[0].Field != "编码" {
		t.Errorf("a value the unique field refuses: %v", err)
	}
	unchanged("a value the unique field refuses")

	if _, err := w.Records.Update(ctx, access.System, leads, ids[n-1], records.Input{"备注": "制造"}); err != nil {
		t.Fatal(err)
	}
	before := count("SELECT COUNT(*) FROM _webhook_messages")
	res, err := w.Records.BulkChange(ctx, access.System, leads, records.Bulk{IDs: ids, Set: records.Input{"地区": "上海"}}, nil)
	if err != nil || res.Changed != n {
		t.Fatal(res, err)
	}
	rows, err := w.DB.R.QueryContext(ctx, "SELECT record_id, changes FROM _oplog WHERE table_id = ? AND action = 'update' AND changes LIKE ?", leads.ID, "%上海%")
	if err != nil {
		t.Fatal(err)
	}
	entries := map[int64]int{}
	for rows.Next() {
		var id int64
		var changes string
		if err := rows.Scan(&id, &changes); err != nil {
			t.Fatal(err)
		}
		entries[id]++
		i := slices.Index(ids, id)
		for _, want := range []string{fmt.Sprintf(`{"f":%q,"b":"区%d","a":"上海"}`, leads.Field("地区").ID, i%7),
			fmt.Sprintf(`{"f":%q,"b":null,"a":"制造"}`, leads.Field("行业").ID), fmt.Sprintf(`{"f":%q,"b":null,"a":["换区"]}`, leads.Field("标签").ID)} {
			if !strings.Contains(changes, want) {
				t.Errorf("record %d: history %s, want %s in it", id, changes, want)
			}
		}
	}
	rows.Close()
	for _, id := range ids {
		if entries[id] != 1 {
			t.Errorf("record %d: %d history entries", id, entries[id])
		}
	}
	if c := count("SELECT COUNT(*) FROM _webhook_messages") - before; c != n {
		t.Errorf("%d webhook messages, want %d", c, n)
	}
	status, err := w.Rules.Status(ctx)
	if err != nil || status[rule.ID].Fired != n {
		t.Errorf("the rule fired %d times (%v)", status[rule.ID].Fired, err)
	}
	page, err := w.Records.List(ctx, access.System, leads, records.Query{Filter: leaf("标签", "contains", "换区")})
	if err != nil || page.Total != n {
		t.Errorf("%d records tagged (%v)", page.Total, err)
	}
}

// A rule giving records to the least busy person spreads a bulk edit's records as saving them
// one by one would: the chunk's earlier records count though they are written together.
func TestBulkEditLeastBusy(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.save(t, &rules.Rule{Name: "华南分配", Table: "客户", Enabled: true,
		Triggers: []rules.Trigger{{On: rules.OnChanged, Fields: []string{"地区"}}}, When: leaf("地区", "eq", "广东"),
		Actions: []rules.Action{{Type: rules.ActAssign, Field: schema.FieldOwner, Mode: rules.LeastBusy, Users: []int64{w.zhang, w.li}}}})
	var ids []int64
	for i := range 30 {
		ids = append(ids, w.customer(t, records.Input{"客户名称": fmt.Sprint("客户", i), "负责人": w.zhang}).ID())
	}
	if _, err := w.Records.BulkChange(ctx, access.System, w.cust, records.Bulk{IDs: ids, Set: records.Input{"地区": "广东"}}, nil); err != nil {
		t.Fatal(err)
	}
	owners := map[any]int{}
	for _, id := range ids {
		rec, err := w.Records.Get(ctx, access.System, w.cust, id)
		if err != nil {
			t.Fatal(err)
		}
		owners[rec[schema.FieldOwner]]++
	}
	if owners[w.zhang] != 15 || owners[w.li] != 15 {
		t.Errorf("owners after the bulk edit: %v, want 15 each", owners)
	}
}

// A write answers the record as the rules left it: a tag an always-kept rule counting related
// records puts on (or takes off) the record written shows in what the write returns.
func TestWriteShowsCountedTag(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	orders, err := w.Catalog.CreateTable(ctx, access.System, "", "消费", []*schema.Field{{Name: "订单金额", Type: schema.Money},
		{Name: "客户", Type: schema.Link, LinkTable: w.cust.ID}})
	if err != nil {
		t.Fatal(err)
	}
	w.save(t, &rules.Rule{Name: "广东高频", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnAlways}},
		When: leaf("地区", "eq", "广东"), Related: &rules.Related{Table: "消费", Link: "客户", Op: "gte", Value: 2},
		Actions: []rules.Action{{Type: rules.ActAddTag, Field: "标签", Tag: "广东高频"}}})
	c := w.customer(t, records.Input{"地区": "上海"})
	for range 2 {
		if _, err := w.Records.Create(ctx, access.System, orders, records.Input{"客户": c.ID(), "订单金额": 100}); err != nil {
			t.Fatal(err)
		}
	}
	tags := w.fieldOf(w.cust, "标签")
	for _, step := range []struct {
		in   records.Input
		want string
	}{{records.Input{"地区": "广东"}, "[广东高频]"}, {records.Input{"备注": "老客户"}, "[广东高频]"}, {records.Input{"地区": "上海"}, "[]"}} {
		rec, err := w.Records.Update(ctx, access.System, w.cust, c.ID(), step.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(rec[tags]); got != step.want {
			t.Errorf("after %v: tags %s, want %s", step.in, got, step.want)
		}
	}
}
