package exporter_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/engines/exporter"
)

// A CSV export shows values as people read them, the same on either database: numbers as
// written (12, 12.5, not 12.0 or 12.50), amounts, checkboxes, lists, people and linked
// records by name, date-times in the users' zone, 富文本 as its text, a line per paragraph.
func TestExportCSV(t *testing.T) {
	ctx := context.Background()
	a, err := app.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	a.SetClock(time.Now, time.FixedZone("CST", 8*3600))
	u, err := a.Users.Create(ctx, access.System, "m@example.com", "member-password", "小王", "member")
	if err != nil {
		t.Fatal(err)
	}
	cust, err := a.Catalog.CreateTable(ctx, access.System, "", "客户", []*schema.Field{{Name: "客户名称", Type: schema.Text}})
	if err != nil {
		t.Fatal(err)
	}
	orders, err := a.Catalog.CreateTable(ctx, access.System, "", "订单", []*schema.Field{{Name: "订单名称", Type: schema.Text},
		{Name: "数量", Type: schema.Number}, {Name: "金额", Type: schema.Money}, {Name: "折扣", Type: schema.Percent},
		{Name: "加急", Type: schema.Checkbox}, {Name: "下单日期", Type: schema.Date}, {Name: "付款时间", Type: schema.DateTime},
		{Name: "渠道", Type: schema.MultiSelect, Options: []schema.Option{{Value: "线上"}, {Value: "门店"}}},
		{Name: "客户", Type: schema.Link, LinkTable: cust.ID}, {Name: "备注", Type: schema.RichText}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.Records.Create(ctx, access.System, cust, records.Input{"客户名称": "华为"})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []records.Input{
		{"订单名称": "甲", "数量": 12, "金额": 12.5, "折扣": 7.25, "加急": true, "下单日期": "2026-11-23",
			"付款时间": "2026-11-22T16:30:00Z", "渠道": []string{"线上", "门店"}, "客户": c.ID(), "负责人": u.ID,
			"备注": "<h2>交付</h2><p>先发<b>服务器</b> &amp; 网线<br>再安装</p><ul><li>周一</li><li>周三</li></ul>"},
		{"订单名称": "乙", "数量": 0.1, "金额": 1234567.89, "加急": false},
	} {
		if _, err := a.Records.Create(ctx, access.System, orders, in); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	n, err := exporter.Write(ctx, a.Records, access.System, orders, exporter.Query{}, &out, "csv", nil)
	if err != nil || n != 2 {
		t.Fatalf("%d rows, %v", n, err)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := func(row int, name string) string {
		t.Helper()
		for i, h := range rows[0] {
			if h == name {
				return rows[row][i]
			}
		}
		t.Fatalf("no column %s in %v", name, rows[0])
		return ""
	}
	for _, tc := range []struct {
		row        int
		name, want string
	}{
		{1, "数量", "12"}, {1, "金额", "12.5"}, {1, "折扣", "7.25"}, {1, "加急", "是"}, {1, "下单日期", "2026-11-23"},
		{1, "付款时间", "2026-11-23 00:30:00"}, {1, "渠道", "线上, 门店"}, {1, "客户", "华为"}, {1, "负责人", "小王"},
		{1, "备注", "交付\n先发服务器 & 网线\n再安装\n周一\n周三"}, {2, "备注", ""},
		{2, "数量", "0.1"}, {2, "金额", "1234567.89"}, {2, "折扣", ""}, {2, "加急", "否"}, {2, "渠道", ""}, {2, "客户", ""},
	} {
		if got := col(tc.row, tc.name); got != tc.want {
			t.Errorf("row %d, %s: %q, want %q\n%s", tc.row, tc.name, got, tc.want, out.String())
		}
	}
}

// A 子表单 is exported in its record's row, a line per row of it.
func TestExportSubformRows(t *testing.T) {
	ctx := context.Background()
	a, err := app.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	quotes, err := a.Catalog.CreateTable(ctx, access.System, "", "报价单", []*schema.Field{{Name: "报价名称", Type: schema.Text},
		{Name: "报价明细", Type: schema.Subform, Fields: []*schema.Field{{Name: "产品", Type: schema.Text}, {Name: "数量", Type: schema.Number},
			{Name: "单价", Type: schema.Money}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Records.Create(ctx, access.System, quotes, records.Input{"报价名称": "年度采购", "报价明细": []any{
		map[string]any{"产品": "服务器", "数量": 2, "单价": 1500000}, map[string]any{"产品": "网线"}}}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := exporter.Write(ctx, a.Records, access.System, quotes, exporter.Query{}, &out, "csv", nil); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0][2] != "报价明细" || rows[1][2] != "产品：服务器，数量：2，单价：1500000\n产品：网线" {
		t.Fatalf("export %q", rows)
	}
}
