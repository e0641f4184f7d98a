package api_test

import (
	"reflect"
	"testing"
	"tierbase/templates/crm"
)

func TestCRMTemplate(t *testing.T) {
	c := setup(t)
	app := c.post("/api/templates/crm", nil).must(t, 201)
	if app["name"] != "客户管理" || str(app["id"]) == "" {
		t.Fatalf("template app %v", app)
	}
	apps := items(c.get("/api/apps").must(t, 200))
	if len(apps) != 1 {
		t.Fatalf("apps %v", apps)
	}
	var tableNames []any
	for _, tb := range apps[0]["tables"].([]any) {
		tableNames = append(tableNames, tb.(map[string]any)["name"])
	}
	if !reflect.DeepEqual(tableNames, []any{"客户", "联系人", "跟进记录", "订单", "待办任务", "报价单", "合同", "工单"}) {
		t.Errorf("tables %v", tableNames)
	}

	want := map[string][][2]string{
		"客户": {{"客户编号", "autonumber"}, {"客户名称", "text"}, {"联系电话", "phone"}, {"客户来源", "select"},
			{"所属行业", "select"}, {"地区", "select"}, {"首次购买日期", "date"}, {"最近消费日", "date"},
			{"累计消费金额", "money"}, {"购买频率", "number"}, {"客户等级", "select"}, {"标签", "tags"}, {"备注", "textarea"},
			{"历史最近消费日", "date"}, {"历史消费金额", "money"}, {"历史购买次数", "number"}},
		"联系人":  {{"姓名", "text"}, {"客户", "link"}, {"职位", "text"}, {"手机", "phone"}, {"邮箱", "email"}, {"关键决策人", "checkbox"}},
		"跟进记录": {{"客户", "link"}, {"跟进方式", "select"}, {"跟进时间", "datetime"}, {"跟进内容", "textarea"}, {"下次跟进日期", "date"}},
		"订单":   {{"订单编号", "autonumber"}, {"客户", "link"}, {"下单日期", "date"}, {"订单金额", "money"}, {"订单状态", "select"}, {"产品", "text"}},
	}
	tables := map[string]map[string]any{}
	for name, fields := range want {
		tbl := c.get(tablePath(name)).must(t, 200)
		tables[name] = tbl
		if tbl["appId"] != app["id"] {
			t.Errorf("%s is in app %v", name, tbl["appId"])
		}
		var got [][2]string
		for _, x := range tbl["fields"].([]any) {
			if fm := x.(map[string]any); fm["system"] != true {
				got = append(got, [2]string{str(fm["name"]), str(fm["type"])})
			}
		}
		if !reflect.DeepEqual(got, fields) {
			t.Errorf("%s fields\n got %v\nwant %v", name, got, fields)
		}
	}
	cust := tables["客户"]
	var tiers []any
	for _, o := range field(t, cust, "客户等级")["options"].([]any) {
		tiers = append(tiers, o.(map[string]any)["value"])
	}
	if !reflect.DeepEqual(tiers, []any{"高价值客户", "潜力客户", "普通客户"}) {
		t.Errorf("客户等级 options %v", tiers)
	}
	if cust["titleField"] != field(t, cust, "客户名称")["id"] {
		t.Errorf("客户 title field %v", cust["titleField"])
	}
	if field(t, cust, "客户编号")["format"] != "KH-{YYYYMMDD}-{0000}" {
		t.Errorf("客户编号 %v", field(t, cust, "客户编号"))
	}
	for _, name := range []string{"联系人", "跟进记录", "订单"} {
		link := field(t, tables[name], "客户")
		if link["linkTable"] != cust["id"] || link["required"] != true {
			t.Errorf("%s.客户 = %v", name, link)
		}
	}

	// The tables work: a customer with an order, titles resolved through the link.
	k := c.create("客户", map[string]any{"客户名称": "北京某公司", "客户等级": "高价值客户", "客户来源": "官网", "地区": "北京"})
	if k["客户编号"] != "KH-20261123-0001" {
		t.Errorf("客户编号 %v", k["客户编号"])
	}
	o := c.create("订单", map[string]any{"客户": k["id"], "订单金额": "¥12,000", "订单状态": "已付款", "下单日期": "2026/11/20"})
	if o["订单编号"] != "DD-20261123-0001" || o["订单金额"] != 12000.0 {
		t.Errorf("order %v", o)
	}
	if titles := o["_titles"].(map[string]any); !reflect.DeepEqual(titles["客户"], map[string]any{formatNum(k["id"]): "北京某公司"}) {
		t.Errorf("order _titles %v", titles)
	}
	c.post(recordsPath("订单"), map[string]any{"订单金额": 1}).wantDetail(t, "required", "客户", 0, "")
	// A customer others link to cannot be dropped with its table.
	c.del(tablePath("客户")).wantError(t, 409, "in_use")

	// Installing twice is refused and changes nothing.
	c.post("/api/templates/crm", nil).wantError(t, 409, "template_exists")
	if list := items(c.get("/api/tables").must(t, 200)); len(list) != len(crm.Tables) {
		t.Errorf("%d tables after the second install", len(list))
	}
}

// A template whose table name is taken is refused before anything is made.
func TestCRMTemplateNameClash(t *testing.T) {
	c := setup(t)
	c.createTable("订单", f("单号", "text"))
	c.post("/api/templates/crm", nil).wantError(t, 409, "duplicate_name")
	apps := items(c.get("/api/apps").must(t, 200))
	if len(apps) != 1 || apps[0]["name"] == "客户管理" {
		t.Errorf("apps after a refused install: %v", apps)
	}
	if list := items(c.get("/api/tables").must(t, 200)); len(list) != 1 {
		t.Errorf("tables after a refused install: %v", list)
	}
	// Once the clash is gone, it installs.
	c.patch(tablePath("订单"), map[string]any{"name": "旧订单"}).must(t, 200)
	c.post("/api/templates/crm", nil).must(t, 201)
}
