package reports_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/engines/reports"
)

// A chart on 订单 grouped by its 客户 shows a member only the customers they may read: an
// order of theirs that links to someone else's customer counts as an order without one.
func TestLinkedFieldsStayInScope(t *testing.T) {
	a, err := app.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	member, err := a.Users.Create(ctx, access.System, "m@example.com", "member-password", "小王", "member")
	if err != nil {
		t.Fatal(err)
	}
	other, err := a.Users.Create(ctx, access.System, "o@example.com", "other-password", "小李", "member")
	if err != nil {
		t.Fatal(err)
	}
	cust, err := a.Catalog.CreateTable(ctx, access.System, "", "客户", []*schema.Field{{Name: "客户名称", Type: schema.Text}, {Name: "客户等级", Type: schema.Text}})
	if err != nil {
		t.Fatal(err)
	}
	orders, err := a.Catalog.CreateTable(ctx, access.System, "", "订单", []*schema.Field{{Name: "订单名称", Type: schema.Text},
		{Name: "客户", Type: schema.Link, LinkTable: cust.ID}, {Name: "金额", Type: schema.Money}})
	if err != nil {
		t.Fatal(err)
	}
	mine, err := a.Records.Create(ctx, access.System, cust, records.Input{"客户名称": "我的客户", "客户等级": "普通", "负责人": member.ID})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := a.Records.Create(ctx, access.System, cust, records.Input{"客户名称": "秘密客户", "客户等级": "高价值", "负责人": other.ID})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []any{mine["id"], secret["id"], secret["id"]} {
		if _, err := a.Records.Create(ctx, access.System, orders, records.Input{"订单名称": fmt.Sprint("单", i), "客户": c, "金额": 100, "负责人": member.ID}); err != nil {
			t.Fatal(err)
		}
	}
	as := access.Actor{UserID: member.ID, Role: access.RoleMember}
	for _, c := range []reports.Chart{
		{Title: "按客户", Type: reports.Bar, Table: "订单", Dimensions: []reports.Dimension{{Field: "客户"}}},
		{Title: "按等级", Type: reports.Bar, Table: "订单", Dimensions: []reports.Dimension{{Field: "客户.客户等级"}},
			Measures: []reports.Measure{{Agg: "count"}, {Agg: "distinct", Field: "客户.客户名称"}}},
	} {
		res, err := a.Reports.Preview(ctx, as, &c, reports.Filters{})
		if err != nil {
			t.Fatalf("%s: %v", c.Title, err)
		}
		b, _ := json.Marshal(res.Rows)
		if strings.Contains(string(b), "秘密客户") || strings.Contains(string(b), "高价值") {
			t.Errorf("%s: a member sees another's customer: %s", c.Title, b)
		}
		got := map[string]float64{}
		for _, r := range res.Rows {
			got[keyText(r.Keys[0])] = *r.Values[0]
		}
		want := map[string]float64{"<nil>": 2, "我的客户": 1}
		if c.Title == "按等级" {
			want = map[string]float64{"<nil>": 2, "普通": 1}
		}
		same(t, c.Title, got, want)
	}
	// The admin sees them all.
	res, err := a.Reports.Preview(ctx, access.System, &reports.Chart{Title: "按客户", Type: reports.Bar, Table: "订单",
		Dimensions: []reports.Dimension{{Field: "客户"}}}, reports.Filters{})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "admin", series(res, 0), map[string]float64{"秘密客户": 2, "我的客户": 1})
}

// inbox keeps each notification's recipients and body.
type inbox struct{ got []string }

func (n *inbox) SendTx(_ context.Context, _ *sql.Tx, ids []int64, title, body, link string) error {
	n.got = append(n.got, fmt.Sprint(ids, " ", body))
	return nil
}

// An alert's value for a recipient is computed within what they may read: a member is not
// told about everyone's customers, only about their own, and only when their own count
// crosses the threshold.
func TestAlertIsComputedPerRecipient(t *testing.T) {
	e := newEnv(t)
	n := &inbox{}
	e.a.Reports.Notifier = n
	boss, err := e.a.Users.Create(ctx, access.System, "boss@example.com", "boss-password", "老板", access.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	var member int64
	var admins []int64
	for _, u := range e.a.Users.List() {
		if u.Role == access.RoleMember && member == 0 {
			member = u.ID
		}
		if u.Role == access.RoleAdmin {
			admins = append(admins, u.ID)
		}
	}
	if member == 0 || !slices.Contains(admins, boss.ID) {
		t.Fatal("the demo has no member")
	}
	d := e.board["客户分级看板"]
	c := *chartByTitle(t, d, "流失预警客户数")
	all, err := e.a.Reports.Data(ctx, access.System, c.ID, reports.Filters{})
	if err != nil {
		t.Fatal(err)
	}
	own, err := e.a.Reports.Data(ctx, access.Actor{UserID: member, Role: access.RoleMember}, c.ID, reports.Filters{})
	if err != nil {
		t.Fatal(err)
	}
	if *own.Value == 0 || *own.Value >= *all.Value {
		t.Fatalf("the member's count %v should be some of all %v", *own.Value, *all.Value)
	}
	notify := []json.RawMessage{json.RawMessage(fmt.Sprint(member)), json.RawMessage(`"admin"`)}
	// Crossed over all records, not over the member's: only the admins hear of it.
	c.Alert = &reports.Alert{Op: "gte", Value: *all.Value, Notify: notify}
	if _, err := e.a.Reports.SaveChart(ctx, access.System, &c); err != nil {
		t.Fatal(err)
	}
	e.a.Reports.CheckAlerts(ctx)
	want := []string{fmt.Sprint(admins, " ", fmt.Sprintf("「流失预警客户数」当前为 %s，触发预警条件（≥ %[1]s）。", schema.FormatDecimal(*all.Value)))}
	if !slices.Equal(n.got, want) {
		t.Fatalf("notifications %q, want %q", n.got, want)
	}
	// A threshold the member's own count crosses: they hear their own number; the admins,
	// already alerted, hear nothing new.
	n.got = nil
	c.Alert = &reports.Alert{Op: "gte", Value: *own.Value, Notify: notify}
	if _, err := e.a.Reports.SaveChart(ctx, access.System, &c); err != nil {
		t.Fatal(err)
	}
	e.a.Reports.CheckAlerts(ctx)
	e.a.Reports.CheckAlerts(ctx)
	want = []string{fmt.Sprint([]int64{member}, " ", fmt.Sprintf("「流失预警客户数」当前为 %s，触发预警条件（≥ %[1]s）。", schema.FormatDecimal(*own.Value)))}
	if !slices.Equal(n.got, want) {
		t.Fatalf("notifications %q, want %q", n.got, want)
	}
}

// An alert on an amount tells it as the UI shows amounts (¥1,234,567.89), not as 1234567.89.
func TestAlertFormatsAmounts(t *testing.T) {
	e := newEnv(t)
	n := &inbox{}
	e.a.Reports.Notifier = n
	if _, err := e.a.Users.Create(ctx, access.System, "boss@example.com", "boss-password", "老板", access.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	c := *chartByTitle(t, e.board["团队业绩"], "本月成交金额")
	res, err := e.a.Reports.Data(ctx, access.System, c.ID, reports.Filters{})
	if err != nil || res.Value == nil || *res.Value < 1000 {
		t.Fatalf("本月成交金额 %v %v: the demo should have sales this month", res, err)
	}
	c.Alert = &reports.Alert{Op: "gte", Value: 1000, Notify: []json.RawMessage{json.RawMessage(`"admin"`)}}
	if _, err := e.a.Reports.SaveChart(ctx, access.System, &c); err != nil {
		t.Fatal(err)
	}
	e.a.Reports.CheckAlerts(ctx)
	want := fmt.Sprintf("「本月成交金额」当前为 %s，触发预警条件（≥ ¥1,000.00）。", schema.FormatMoney(*res.Value))
	if len(n.got) != 1 || !strings.HasSuffix(n.got[0], want) || !strings.Contains(want, ",") {
		t.Fatalf("notifications %q, want one ending %q", n.got, want)
	}
}

// Numbers read alike from either database: a dimension over a number field keys its bars
// 12 and 12.5 (PostgreSQL's NUMERIC arrives as text such as "12.50"), sums and averages are
// numbers, a detail table shows numbers and lists as SQLite gives them, and a top-N over
// numbers or people folds the rest into 其他.
func TestNumbersReadAlike(t *testing.T) {
	a, err := app.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	var people []int64
	for i := range 3 {
		u, err := a.Users.Create(ctx, access.System, fmt.Sprintf("u%d@example.com", i), "member-password", fmt.Sprint("员工", i), "member")
		if err != nil {
			t.Fatal(err)
		}
		people = append(people, u.ID)
	}
	tbl, err := a.Catalog.CreateTable(ctx, access.System, "", "订单", []*schema.Field{{Name: "订单名称", Type: schema.Text},
		{Name: "单价", Type: schema.Money}, {Name: "数量", Type: schema.Number},
		{Name: "渠道", Type: schema.MultiSelect, Options: []schema.Option{{Value: "线上"}, {Value: "门店"}}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 { // more orders without a price than of any one price: still not a top category
		if _, err := a.Records.Create(ctx, access.System, tbl, records.Input{"订单名称": fmt.Sprint("无价", i), "负责人": people[i]}); err != nil {
			t.Fatal(err)
		}
	}
	for i, price := range []float64{12, 12.5, 12.50, 3, 7.25, 12} {
		if _, err := a.Records.Create(ctx, access.System, tbl, records.Input{"订单名称": fmt.Sprint("单", i), "单价": price,
			"数量": float64(i) + 0.5, "渠道": []string{"线上", "门店"}, "负责人": people[i%3]}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := a.Reports.Preview(ctx, access.System, &reports.Chart{Title: "按单价", Type: reports.Bar, Table: "订单",
		Dimensions: []reports.Dimension{{Field: "单价"}}, Sort: "label",
		Measures: []reports.Measure{{Agg: "count"}, {Agg: "sum", Field: "数量"}, {Agg: "avg", Field: "数量"}}}, reports.Filters{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(res.Rows)
	got := string(b)
	for _, want := range []string{`"keys":[3],"values":[1,3.5,3.5]`, `"keys":[7.25],"values":[1,4.5,4.5]`,
		`"keys":[12],"values":[2,6,3]`, `"keys":[12.5],"values":[2,4,2]`} {
		if !strings.Contains(got, want) {
			t.Errorf("rows %s lack %s", got, want)
		}
	}
	for _, r := range res.Rows {
		if _, ok := r.Keys[0].(float64); !ok && r.Keys[0] != nil {
			t.Errorf("key %#v is not a number", r.Keys[0])
		}
		if r.Filter == nil {
			t.Fatalf("row %v has no drill-down", r.Keys)
		}
		if n, err := a.Records.Count(ctx, access.System, tbl, r.Filter); err != nil || float64(n) != *r.Values[0] {
			t.Errorf("bar %v counts %v, its drill-down lists %d (%v)", r.Keys, *r.Values[0], n, err)
		}
	}

	for _, dim := range []string{"单价", "负责人"} {
		res, err = a.Reports.Preview(ctx, access.System, &reports.Chart{Title: "前二", Type: reports.Pie, Table: "订单", Limit: 2,
			Dimensions: []reports.Dimension{{Field: dim}}}, reports.Filters{})
		if err != nil {
			t.Fatalf("top 2 by %s: %v", dim, err)
		}
		if len(res.Rows) != 3 || res.Rows[2].Keys[0] != reports.Other || !res.Capped {
			t.Errorf("top 2 by %s: %s", dim, mustJSON(res.Rows))
		}
	}

	res, err = a.Reports.Preview(ctx, access.System, &reports.Chart{Title: "明细", Type: reports.Detail, Table: "订单",
		Columns: []string{"单价", "数量", "渠道"}}, reports.Filters{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := mustJSON(res.Rows[0].Keys), `[12,5.5,"[\"线上\",\"门店\"]"]`; got != want {
		t.Errorf("detail row %s, want %s", got, want)
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
