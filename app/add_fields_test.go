package app_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/platform/problem"
)

// Fields added together are backfilled as when added one by one: the rollups (over the same
// orders with and without a condition, one with an opening value), a formula reading them,
// and on 订单 a lookup and a formula equal a hand-written GROUP BY and join.
func TestAddFieldsBackfillsTogether(t *testing.T) {
	ctx := context.Background()
	s := openShop(t)
	s.mustAdd(t, "客户", &schema.Field{Name: "历史消费金额", Type: schema.Money})
	history := map[int64]float64{s.customerIDs[0]: 5000, s.customerIDs[3]: 12.5}
	for id, v := range history {
		if _, err := s.a.Records.Update(ctx, access.System, s.cust, id, records.Input{"历史消费金额": v}); err != nil {
			t.Fatal(err)
		}
	}
	r := rand.New(rand.NewPCG(16, 7))
	var batch []records.Input
	for i := range 40 {
		in := records.Input{"订单名称": fmt.Sprintf("单%d", i), "金额": float64(r.IntN(100000)) / 100,
			"下单日期": s.now.AddDate(0, 0, -r.IntN(400)).Format(time.DateOnly), "状态": []string{"已付款", "已取消"}[r.IntN(2)]}
		if r.IntN(6) > 0 {
			in["客户"] = s.customerIDs[r.IntN(len(s.customerIDs))]
		}
		batch = append(batch, in)
	}
	if _, err := s.a.Records.Batch(ctx, access.System, s.orders, batch); err != nil {
		t.Fatal(err)
	}
	// and one with a history but no orders: its rollup with an opening value is the history
	rec, err := s.a.Records.Create(ctx, access.System, s.cust, records.Input{"客户名称": "老客户", "历史消费金额": 300})
	if err != nil {
		t.Fatal(err)
	}
	s.customerIDs, history[rec.ID()] = append(s.customerIDs, rec.ID()), 300
	withHistory := rollup("含历史消费", "sum", "金额", "")
	withHistory.Computed.Base = "历史消费金额"
	added, err := s.a.Catalog.AddFields(ctx, access.System, "客户", []*schema.Field{
		rollup("累计消费金额", "sum", "金额", ""), rollup("购买频率", "count", "", ""), rollup("最近消费日", "max", "下单日期", ""),
		rollup("平均金额", "avg", "金额", ""), rollup("最小金额", "min", "金额", ""),
		rollup("付款单数", "count", "", `{"field":"状态","op":"eq","value":"已付款"}`), withHistory,
		{Name: "客单价", Type: schema.Money, Computed: &schema.Computed{Kind: schema.Formula, Formula: "IF(购买频率 > 0, 累计消费金额 / 购买频率, 0)"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 8 || added[7].ID == "" || added[7].Position != added[6].Position+1 {
		t.Fatalf("added %d fields, the last %+v", len(added), added[len(added)-1])
	}
	if _, err := s.a.Catalog.AddFields(ctx, access.System, "订单", []*schema.Field{
		{Name: "客户城市", Computed: &schema.Computed{Kind: schema.Lookup, Link: "客户", Field: "城市"}},
		{Name: "含税金额", Type: schema.Money, Computed: &schema.Computed{Kind: schema.Formula, Formula: "金额 * 1.13"}},
	}); err != nil {
		t.Fatal(err)
	}
	s.reload()
	s.check(t, "added together")
	for _, id := range s.customerIDs {
		rec, err := s.a.Records.Get(ctx, access.System, s.cust, id)
		if err != nil {
			t.Fatal(err)
		}
		want := history[id] + rec[s.fieldOf(s.cust, "累计消费金额")].(float64)
		if got := rec[s.fieldOf(s.cust, "含历史消费")]; !same(got, want) {
			t.Fatalf("客户 %d 含历史消费 = %v, want %v", id, got, want)
		}
	}
}

// A field of the list may read one before it, even where the engine would fill it first: a
// rollup of 客户 over its own link 上级客户 summing a formula added just before it.
func TestAddFieldsReadEarlierOnes(t *testing.T) {
	ctx := context.Background()
	s := openShop(t)
	s.mustAdd(t, "客户", &schema.Field{Name: "上级客户", Type: schema.Link, LinkTable: "客户"})
	top := s.customerIDs[0]
	for _, id := range s.customerIDs[1:4] {
		if _, err := s.a.Records.Update(ctx, access.System, s.cust, id, records.Input{"上级客户": top}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.a.Catalog.AddFields(ctx, access.System, "客户", []*schema.Field{
		{Name: "基数", Computed: &schema.Computed{Kind: schema.Formula, Formula: "2"}},
		{Name: "下级基数", Computed: &schema.Computed{Kind: schema.Rollup, Table: "客户", Link: "上级客户", Fn: "sum", Field: "基数"}},
	}); err != nil {
		t.Fatal(err)
	}
	s.reload()
	for _, id := range s.customerIDs {
		rec, err := s.a.Records.Get(ctx, access.System, s.cust, id)
		if err != nil {
			t.Fatal(err)
		}
		want := 0.0
		if id == top {
			want = 6
		}
		if got := rec[s.fieldOf(s.cust, "下级基数")]; !same(got, want) {
			t.Fatalf("客户 %d 下级基数 = %v, want %v", id, got, want)
		}
	}
}

// One bad field of a list is answered at its place, naming it, and none of the list is added.
func TestAddFieldsRefuseTheWholeList(t *testing.T) {
	ctx := context.Background()
	s := openShop(t)
	before := len(s.cust.Fields)
	formula := func(name, src string) *schema.Field {
		return &schema.Field{Name: name, Computed: &schema.Computed{Kind: schema.Formula, Formula: src}}
	}
	list := func() []*schema.Field {
		bad := rollup("中位金额", "median", "金额", "")
		return []*schema.Field{{Name: "备注", Type: schema.Text}, rollup("累计消费金额", "sum", "金额", ""), bad, formula("两倍", "累计消费金额 * 2")}
	}
	for _, c := range []struct {
		fields       []*schema.Field
		status       int
		code, zh, en string
	}{
		{list(), 400, "bad_rollup_fn", "字段「中位金额」，fields[2].computed.fn：汇总方式「median」无效", `field "中位金额", fields[2].computed.fn: "median" is not a rollup function`},
		{[]*schema.Field{{Name: "备注", Type: schema.Text}, {Name: " 备注", Type: schema.Number}}, 409, "duplicate_name", "fields[1]", "fields[1]"},
		{[]*schema.Field{formula("两倍", "基数 * 2"), formula("基数", "1")}, 400, "formula_unknown_field", "字段「两倍」，fields[0].formula：第 1 个字符处：表「客户」没有字段「基数」", `field "两倍", fields[0]`},
		{[]*schema.Field{{Name: "坏类型", Type: "median"}}, 400, "bad_field_type", "字段「坏类型」，fields[0]", `field "坏类型", fields[0]`},
		{[]*schema.Field{{Name: "备注", Type: schema.Text}, {Name: "分数们", Type: schema.Numbers}}, 400, "bad_field_type", "字段「分数们」，fields[1]", `field "分数们", fields[1]`}, // a lookup's type only
		{nil, 400, "required", "fields：必填", "fields: is required"},
	} {
		_, err := s.a.Catalog.AddFields(ctx, access.System, "客户", c.fields)
		p := problem.As(err)
		if p == nil || p.Status != c.status || p.Code != c.code || !strings.Contains(p.Message("zh"), c.zh) || !strings.Contains(p.Message("en"), c.en) {
			t.Fatalf("want a %d %s saying %q / %q, got %v", c.status, c.code, c.zh, c.en, err)
		}
		s.reload()
		if len(s.cust.Fields) != before || s.cust.Field("备注") != nil {
			t.Fatalf("%s: the table has %d fields, had %d", c.code, len(s.cust.Fields), before)
		}
	}
	// The same list, made good, goes in whole.
	good := list()
	good[2].Computed.Fn = "max"
	if _, err := s.a.Catalog.AddFields(ctx, access.System, "客户", good); err != nil {
		t.Fatal(err)
	}
	s.reload()
	if len(s.cust.Fields) != before+4 {
		t.Fatalf("the table has %d fields, want %d", len(s.cust.Fields), before+4)
	}
}
