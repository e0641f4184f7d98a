package api_test

import (
	"encoding/json"
	"net/url"
	"reflect"
	"testing"
)

func TestFieldTypes(t *testing.T) {
	c := setup(t)
	zh := items(c.get("/api/field-types").must(t, 200))
	c.lang = "en"
	en := items(c.get("/api/field-types").must(t, 200))
	if len(zh) < 21 || len(en) != len(zh) {
		t.Fatalf("%d field types, want 21 or more", len(zh))
	}
	if zh[0]["type"] != "text" || zh[0]["label"] != "单行文本" || en[0]["label"] != "Text" {
		t.Errorf("field types zh %v en %v", zh[0], en[0])
	}
	labels := map[string][2]any{}
	for i := range zh {
		labels[str(zh[i]["type"])] = [2]any{zh[i]["label"], en[i]["label"]}
	}
	for ty, want := range map[string][2]any{"landline": {"座机", "Landline"}, "address": {"地址", "Address"}, "richtext": {"富文本", "Rich text"}, "link": {"关联记录", "Link"}} {
		if labels[ty] != want {
			t.Errorf("%s: %v, want %v", ty, labels[ty], want)
		}
	}
}

// The 地址 cascader's dataset says where it comes from, and a public form's visitor, who is
// not signed in, gets it too.
func TestDivisions(t *testing.T) {
	c := newClient(t, setup(t).base)
	var d struct {
		Source, Version string
		Provinces       []struct {
			Name     string
			Children []struct{ Name string }
		}
	}
	r := c.get("/api/divisions")
	r.must(t, 200)
	if err := json.Unmarshal([]byte(r.Raw), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Provinces) != 31 || d.Source == "" || d.Version == "" || d.Provinces[0].Name != "北京市" || d.Provinces[0].Children[0].Name != "北京市" {
		t.Errorf("divisions: %d provinces, %q %q, first %+v", len(d.Provinces), d.Source, d.Version, d.Provinces[0].Name)
	}
}

// allTypes has one field of each of the 18 types; 公司 links to the table given.
func allTypes(companies string) []map[string]any {
	return []map[string]any{
		f("名称", "text", "required", true),
		f("描述", "textarea"),
		f("数量", "number", "min", 0),
		f("金额", "money"),
		f("折扣", "percent"),
		f("日期", "date"),
		f("时间", "datetime"),
		f("手机", "phone"),
		f("邮箱", "email"),
		f("网址", "url"),
		f("等级", "select", "options", []map[string]string{{"value": "A", "color": "#ff0000"}, {"value": "B"}}),
		f("爱好", "multiselect", "options", options("读书", "运动", "音乐")),
		f("启用", "checkbox"),
		f("评分", "rating", "max", 5),
		f("销售", "user"),
		f("标签", "tags"),
		f("编号", "autonumber", "format", "KH-{YYYYMMDD}-{0000}"),
		f("公司", "link", "linkTable", companies),
	}
}

func TestCreateTableAllTypes(t *testing.T) {
	c := setup(t)
	companies := c.createTable("公司", f("公司名称", "text"))
	tbl := c.createTable("全类型", allTypes(str(companies["id"]))...)

	if str(tbl["id"]) == "" || str(tbl["appId"]) == "" || tbl["name"] != "全类型" {
		t.Fatalf("table %v", tbl)
	}
	want := []string{"名称", "描述", "数量", "金额", "折扣", "日期", "时间", "手机", "邮箱", "网址", "等级", "爱好", "启用",
		"评分", "销售", "标签", "编号", "公司", "负责人", "创建人", "创建时间", "修改时间", "ID"}
	if got := fieldNames(tbl); !reflect.DeepEqual(got, want) {
		t.Fatalf("fields %v, want %v", got, want)
	}
	for i, def := range allTypes("") {
		fld := field(t, tbl, def["name"].(string))
		if fld["type"] != def["type"] || fld["system"] == true || len(str(fld["id"])) < 4 || str(fld["id"])[:3] != "fld" {
			t.Errorf("field %d: %v", i, fld)
		}
	}
	for _, name := range []string{"负责人", "创建人", "创建时间", "修改时间", "ID"} {
		if field(t, tbl, name)["system"] != true {
			t.Errorf("%s is not marked system", name)
		}
	}
	level := field(t, tbl, "等级")["options"].([]any)
	if len(level) != 2 || level[0].(map[string]any)["color"] != "#ff0000" || str(level[1].(map[string]any)["color"]) == "" {
		t.Errorf("select options %v: want the given colour kept and a default colour added", level)
	}
	if link := field(t, tbl, "公司"); link["linkTable"] != companies["id"] {
		t.Errorf("link field %v, want linkTable %v", link, companies["id"])
	}
	if field(t, tbl, "编号")["format"] != "KH-{YYYYMMDD}-{0000}" {
		t.Errorf("autonumber %v", field(t, tbl, "编号"))
	}
	// The same table by id and by name.
	if byID := c.get(tablePath(str(tbl["id"]))).must(t, 200); byID["name"] != "全类型" || !reflect.DeepEqual(byID, c.get(tablePath("全类型")).must(t, 200)) {
		t.Errorf("table by id %v differs from by name", byID)
	}
	// Both tables are listed, in the default app.
	if list := items(c.get("/api/tables").must(t, 200)); len(list) != 2 {
		t.Errorf("tables %v", list)
	}
	apps := items(c.get("/api/apps").must(t, 200))
	if len(apps) != 1 || len(apps[0]["tables"].([]any)) != 2 {
		t.Errorf("apps %v", apps)
	}

	// One record with a value of every type, given the friendly way.
	co := c.create("公司", map[string]any{"公司名称": "北京某科技有限公司"})
	rec := c.create("全类型", map[string]any{
		"名称": "测试", "描述": "第一行\n第二行", "数量": "1,234", "金额": "¥1,234.50", "折扣": "12%",
		"日期": "2026年11月23日", "时间": "2026-11-23 14:30", "手机": "+86 138 0013 8000", "邮箱": "wang@example.com",
		"网址": "example.com", "等级": "A", "爱好": []string{"读书", "运动"}, "启用": "是", "评分": 4, "销售": 1,
		"标签": "VIP，高频", "公司": co["id"],
	})
	wantRec := map[string]any{
		"名称": "测试", "描述": "第一行\n第二行", "数量": 1234.0, "金额": 1234.5, "折扣": 12.0,
		"日期": "2026-11-23", "时间": "2026-11-23T06:30:00Z", "手机": "13800138000", "邮箱": "wang@example.com",
		"网址": "https://example.com", "等级": "A", "爱好": []any{"读书", "运动"}, "启用": true, "评分": 4.0, "销售": 1.0,
		"标签": []any{"VIP", "高频"}, "编号": "KH-20261123-0001", "公司": co["id"],
		"负责人": 1.0, "创建人": 1.0, "创建时间": "2026-11-23T02:30:00Z", "修改时间": "2026-11-23T02:30:00Z",
	}
	for k, v := range wantRec {
		if !reflect.DeepEqual(rec[k], v) {
			t.Errorf("created %s = %#v, want %#v", k, rec[k], v)
		}
	}
	titles, _ := rec["_titles"].(map[string]any)
	if !reflect.DeepEqual(titles["公司"], map[string]any{formatNum(co["id"]): "北京某科技有限公司"}) ||
		!reflect.DeepEqual(titles["销售"], map[string]any{"1": adminName}) {
		t.Errorf("_titles = %v", titles)
	}
	got := c.get(recordPath("全类型", num(rec["id"]))).must(t, 200)
	for k, v := range wantRec {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("read back %s = %#v, want %#v", k, got[k], v)
		}
	}
	// The counter goes on.
	if next := c.create("全类型", map[string]any{"名称": "第二条"}); next["编号"] != "KH-20261123-0002" {
		t.Errorf("second autonumber %v", next["编号"])
	}
	// A link to a record that does not exist is refused.
	r := c.post(recordsPath("全类型"), map[string]any{"名称": "坏链接", "公司": 999})
	r.wantError(t, 400, "validation_failed")
	r.wantDetail(t, "bad_link", "公司", 0, "")
	// So is a user who does not exist.
	c.post(recordsPath("全类型"), map[string]any{"名称": "坏成员", "销售": 999}).wantDetail(t, "bad_user", "销售", 0, "")
}

func formatNum(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestCreateTableRejects(t *testing.T) {
	c := setup(t)
	c.createTable("客户", f("客户名称", "text"))
	c.post("/api/tables", map[string]any{"name": "客户"}).wantError(t, 409, "duplicate_name")
	c.post("/api/tables", map[string]any{"name": "  "}).wantError(t, 400, "bad_name")
	c.post("/api/tables", map[string]any{"name": "新表", "fields": []any{f("a", "text"), f("a", "number")}}).wantError(t, 409, "duplicate_name")
	r := c.post("/api/tables", map[string]any{"name": "新表", "fields": []any{f("颜色", "colour")}})
	r.wantError(t, 400, "bad_field_type")
	r.wantDetail(t, "bad_field_type", "颜色", 0, "")
	c.post("/api/tables", map[string]any{"name": "新表", "fields": []any{f("编号", "autonumber", "format", "KH-{YYYY}")}}).wantError(t, 400, "bad_pattern")
	c.post("/api/tables", map[string]any{"name": "新表", "fields": []any{f("客户", "link", "linkTable", "无此表")}}).wantError(t, 404, "not_found")
	c.post("/api/tables", `{"name": "新表", "fields": [`).wantError(t, 400, "bad_json")
	// None of the refused tables exists, not even half-made.
	if list := items(c.get("/api/tables").must(t, 200)); len(list) != 1 {
		t.Errorf("tables after refused creates: %v", list)
	}
	c.get(tablePath("新表")).wantError(t, 404, "not_found")
}

func TestFieldLifecycle(t *testing.T) {
	c := setup(t)
	c.createTable("产品", f("名称", "text"), f("价格", "money"), f("库存", "number"))
	a := c.create("产品", map[string]any{"名称": "标准版", "价格": 1999, "库存": 10})
	b := c.create("产品", map[string]any{"名称": "专业版", "价格": 4999, "库存": 3})

	// Add a field: existing records get it empty, new ones can fill it.
	added := c.post(tablePath("产品")+"/fields", f("产地", "select", "options", options("北京", "上海"))).must(t, 201)
	if str(added["id"]) == "" || added["name"] != "产地" {
		t.Fatalf("added field %v", added)
	}
	if got := c.get(recordPath("产品", num(a["id"]))).must(t, 200); got["产地"] != nil || got["名称"] != "标准版" {
		t.Errorf("old record after adding a field: %v", got)
	}
	c.patch(recordPath("产品", num(a["id"])), map[string]any{"产地": "北京"}).must(t, 200)

	// Rename by name, then by id: the data stays.
	c.patch(tablePath("产品")+"/fields/价格", map[string]any{"name": "单价"}).must(t, 200)
	tbl := c.get(tablePath("产品")).must(t, 200)
	priceID := str(field(t, tbl, "单价")["id"])
	c.patch(tablePath("产品")+"/fields/"+priceID, map[string]any{"help": "含税价"}).must(t, 200)
	got := c.get(recordPath("产品", num(a["id"]))).must(t, 200)
	if got["单价"] != 1999.0 || got["产地"] != "北京" {
		t.Errorf("after rename: %v", got)
	}
	if _, ok := got["价格"]; ok {
		t.Errorf("old name still present: %v", got)
	}
	if h := field(t, c.get(tablePath("产品")).must(t, 200), "单价"); h["help"] != "含税价" {
		t.Errorf("help not saved: %v", h)
	}
	// Renaming onto another field's name is refused.
	c.patch(tablePath("产品")+"/fields/单价", map[string]any{"name": "名称"}).wantError(t, 409, "duplicate_name")
	// The type cannot change (number to text), nor can a system field.
	c.patch(tablePath("产品")+"/fields/库存", map[string]any{"type": "text"}).wantError(t, 400, "type_change")
	c.patch(tablePath("产品")+"/fields/创建人", map[string]any{"name": "作者"}).wantError(t, 400, "readonly_field")
	c.del(tablePath("产品")+"/fields/负责人").wantError(t, 400, "readonly_field")

	// Reorder: the new order shows, the data stays.
	ids := map[string]string{}
	for _, n := range []string{"名称", "单价", "库存", "产地"} {
		ids[n] = str(field(t, tbl, n)["id"])
	}
	tbl = c.patch(tablePath("产品"), map[string]any{"fieldOrder": []string{ids["库存"], ids["产地"], ids["名称"], ids["单价"]}}).must(t, 200)
	if names := fieldNames(tbl)[:4]; !reflect.DeepEqual(names, []string{"库存", "产地", "名称", "单价"}) {
		t.Errorf("order after reorder: %v", names)
	}
	if names := fieldNames(c.get(tablePath("产品")).must(t, 200))[:4]; !reflect.DeepEqual(names, []string{"库存", "产地", "名称", "单价"}) {
		t.Errorf("order read back: %v", names)
	}
	c.patch(tablePath("产品"), map[string]any{"fieldOrder": []string{"无此字段"}}).wantError(t, 400, "unknown_field")
	got = c.get(recordPath("产品", num(b["id"]))).must(t, 200)
	if got["名称"] != "专业版" || got["单价"] != 4999.0 || got["库存"] != 3.0 {
		t.Errorf("after reorder: %v", got)
	}

	// Delete one field: it is gone, the others keep their data.
	c.del(tablePath("产品")+"/fields/库存").must(t, 200)
	for _, rec := range []map[string]any{a, b} {
		got := c.get(recordPath("产品", num(rec["id"]))).must(t, 200)
		if _, ok := got["库存"]; ok {
			t.Errorf("deleted field still in %v", got)
		}
		if got["名称"] != rec["名称"] || got["单价"] != rec["价格"] {
			t.Errorf("after deleting 库存: %v, was %v", got, rec)
		}
	}
	c.list("产品", "filter", `{"field":"库存","op":"gt","value":1}`).wantError(t, 400, "unknown_field")
	c.post(recordsPath("产品"), map[string]any{"名称": "x", "库存": 1}).wantDetail(t, "unknown_field", "库存", 0, "")
	c.del(tablePath("产品")+"/fields/库存").wantError(t, 404, "not_found")
	// A new field may take the deleted one's name; it starts empty.
	c.post(tablePath("产品")+"/fields", f("库存", "number")).must(t, 201)
	if got := c.get(recordPath("产品", num(b["id"]))).must(t, 200); got["库存"] != nil {
		t.Errorf("re-added field is not empty: %v", got)
	}

	// Rename the table; the old name is gone.
	c.patch(tablePath("产品"), map[string]any{"name": "商品", "titleField": "单价"}).must(t, 200)
	c.get(tablePath("产品")).wantError(t, 404, "not_found")
	if n := c.count("商品"); n != 2 {
		t.Errorf("商品 has %d records, want 2", n)
	}
	// Delete the table.
	c.del(tablePath("商品")).must(t, 200)
	c.get(tablePath("商品")).wantError(t, 404, "not_found")
	c.get(recordsPath("商品")).wantError(t, 404, "not_found")
}

func TestFieldLimitsAndDefaults(t *testing.T) {
	c := setup(t)
	c.createTable("订单", f("名称", "text"), f("金额", "money"),
		f("状态", "select", "options", options("新建", "完成"), "default", "新建"),
		f("标签", "tags", "default", []string{"新客户"}),
		f("数量", "number", "default", 1))

	// Defaults fill what is not given.
	rec := c.create("订单", map[string]any{"名称": "默认值"})
	if rec["状态"] != "新建" || !reflect.DeepEqual(rec["标签"], []any{"新客户"}) || rec["数量"] != 1.0 {
		t.Errorf("defaults not applied: %v", rec)
	}
	// A default that is not a valid value is refused.
	c.post(tablePath("订单")+"/fields", f("日期", "date", "default", "明天")).wantDetail(t, "bad_date", "日期", 0, "default")

	// Limits can be set and cleared again.
	c.patch(tablePath("订单")+"/fields/金额", map[string]any{"min": 0}).must(t, 200)
	c.post(recordsPath("订单"), map[string]any{"名称": "负数", "金额": -1}).wantDetail(t, "too_small", "金额", 0, "")
	fld := c.patch(tablePath("订单")+"/fields/金额", map[string]any{"min": nil}).must(t, 200)
	if _, ok := fld["min"]; ok {
		t.Errorf("min not cleared: %v", fld)
	}
	c.create("订单", map[string]any{"名称": "负数", "金额": -1})
	// Defaults can be cleared too.
	c.patch(tablePath("订单")+"/fields/状态", map[string]any{"default": nil}).must(t, 200)
	if rec := c.create("订单", map[string]any{"名称": "无默认"}); rec["状态"] != nil {
		t.Errorf("cleared default still applied: %v", rec)
	}
	// A field cannot become unique while it holds duplicates.
	c.create("订单", map[string]any{"名称": "默认值"})
	c.patch(tablePath("订单")+"/fields/名称", map[string]any{"unique": true}).wantError(t, 409, "unique_conflict")
}

// Names with quotes, spaces, SQL keywords, emoji and Chinese must work everywhere: they are
// data, never SQL.
func TestOddNames(t *testing.T) {
	c := setup(t)
	tables := []string{`客"户'表`, "select", "drop table x;--", "客户 表 😀", `a/b 100%?#`, "_tables"}
	quote, keyword, inject, spaced, emoji := `名"称'`, "select", `drop table "x";--`, "金 额", "😀评分"
	for _, name := range tables {
		t.Run(name, func(t *testing.T) {
			tbl := c.createTable(name, f(quote, "text"), f(keyword, "number"), f(inject, "text"),
				f(spaced, "money"), f(emoji, "rating"))
			if tbl["name"] != name || !reflect.DeepEqual(fieldNames(tbl)[:5], []string{quote, keyword, inject, spaced, emoji}) {
				t.Fatalf("table %v", tbl)
			}
			for i, text := range []string{"alpha 'x'", `beta "y"`, "gamma; DROP TABLE _users;--"} {
				rec := c.create(name, map[string]any{quote: text, keyword: i + 1, inject: text + " 备注", spaced: "¥1,000", emoji: i + 1})
				if rec[quote] != text || rec[keyword] != float64(i+1) || rec[spaced] != 1000.0 {
					t.Fatalf("created %v", rec)
				}
			}
			// filter on every odd field name
			for _, cond := range []string{
				`{"field":` + jsonStr(quote) + `,"op":"contains","value":"'x'"}`,
				`{"field":` + jsonStr(keyword) + `,"op":"eq","value":1}`,
				`{"field":` + jsonStr(inject) + `,"op":"contains","value":"DROP TABLE"}`,
				`{"and":[{"field":` + jsonStr(spaced) + `,"op":"eq","value":1000},{"field":` + jsonStr(emoji) + `,"op":"gte","value":3}]}`,
			} {
				body := c.list(name, "filter", cond).must(t, 200)
				if num(body["total"]) != 1 {
					t.Errorf("filter %s: %v", cond, body)
				}
			}
			// sort by them
			body := c.list(name, "sort", "-"+keyword).must(t, 200)
			if got := column(items(body), keyword); !reflect.DeepEqual(got, []any{3.0, 2.0, 1.0}) {
				t.Errorf("sort -%s: %v", keyword, got)
			}
			body = c.list(name, "sort", quote).must(t, 200)
			if got := column(items(body), keyword); !reflect.DeepEqual(got, []any{1.0, 2.0, 3.0}) {
				t.Errorf("sort %s: %v", quote, got)
			}
			// search, update and rename
			if body := c.list(name, "q", `"y"`).must(t, 200); num(body["total"]) != 1 {
				t.Errorf("search: %v", body)
			}
			id := num(items(body)[0]["id"])
			c.patch(recordPath(name, id), map[string]any{inject: `it's "fine"`}).must(t, 200)
			c.patch(tablePath(name)+"/fields/"+url.PathEscape(keyword), map[string]any{"name": "where"}).must(t, 200)
			if got := c.get(recordPath(name, id)).must(t, 200); got[inject] != `it's "fine"` || got["where"] != 1.0 {
				t.Errorf("after update and rename: %v", got)
			}
		})
	}
	// The metadata survived all of it.
	if list := items(c.get("/api/tables").must(t, 200)); len(list) != len(tables) {
		t.Errorf("%d tables, want %d", len(list), len(tables))
	}
	c.get("/api/auth/me").must(t, 200)
}

func jsonStr(s string) string { b, _ := json.Marshal(s); return string(b) }

// A list of fields goes in whole, its rollups backfilled over the records there; one bad
// field of the list answers 400 at its place, naming it, and adds none of them.
func TestAddFieldList(t *testing.T) {
	c := setup(t)
	c.createTable("客户", f("客户名称", "text"))
	c.createTable("订单", f("客户", "link", "linkTable", "客户"), f("金额", "money"))
	a := c.create("客户", map[string]any{"客户名称": "甲"})
	c.create("客户", map[string]any{"客户名称": "乙"})
	for _, amount := range []float64{100, 250.5} {
		c.create("订单", map[string]any{"客户": num(a["id"]), "金额": amount})
	}
	rollup := func(name, fn, field string) map[string]any {
		return map[string]any{"name": name, "computed": map[string]any{"kind": "rollup", "table": "订单", "link": "客户", "fn": fn, "field": field}}
	}
	list := []any{f("备注", "text"), rollup("累计消费金额", "sum", "金额"), rollup("购买频率", "median", ""), rollup("最大金额", "max", "金额")}
	r := c.post(tablePath("客户")+"/fields/batch", map[string]any{"fields": list})
	r.wantError(t, 400, "bad_rollup_fn")
	r.wantDetail(t, "bad_rollup_fn", "购买频率", 0, "fields[2].computed.fn")
	c.post(tablePath("客户")+"/fields/batch", map[string]any{"fields": []any{}}).wantDetail(t, "required", "", 0, "fields")
	if got := len(c.get(tablePath("客户")).must(t, 200)["fields"].([]any)); got != 6 {
		t.Fatalf("客户 has %d fields after refused lists, want 6", got)
	}
	list[2] = rollup("购买频率", "count", "")
	added := items(c.post(tablePath("客户")+"/fields/batch", map[string]any{"fields": list}).must(t, 201))
	if len(added) != 4 || str(added[2]["id"]) == "" || added[2]["type"] != "number" || added[3]["type"] != "money" {
		t.Fatalf("added %v", added)
	}
	got := c.get(recordPath("客户", num(a["id"]))).must(t, 200)
	if got["累计消费金额"] != 350.5 || got["购买频率"] != 2.0 || got["最大金额"] != 250.5 || got["备注"] != nil {
		t.Fatalf("甲 after the list: %v", got)
	}
}
