package api_test

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// A table's own OpenAPI document types its records field by field, as the API really returns
// them: a real record of every field type, read back, fits its schema; hidden fields are left out.
// A lookup through a 多条关联 of a number field is a list of numbers in the table's schema,
// and the records carry it so.
func TestTableOpenAPINumbers(t *testing.T) {
	c := setup(t)
	c.createTable("项目", f("项目名称", "text"), f("预算", "number"))
	p1 := c.create("项目", map[string]any{"项目名称": "甲", "预算": 1200.5})
	p2 := c.create("项目", map[string]any{"项目名称": "乙", "预算": 300})
	c.createTable("工单", f("标题", "text"), f("项目们", "links", "linkTable", "项目"))
	c.post(tablePath("工单")+"/fields", map[string]any{"name": "预算们", "computed": map[string]any{"kind": "lookup", "link": "项目们", "field": "预算"}}).must(t, 201)
	rec := c.create("工单", map[string]any{"标题": "一", "项目们": []any{p1["id"], p2["id"]}})
	doc := c.get(tablePath("工单")+"/openapi.json").must(t, 200)
	s := doc["components"].(map[string]any)["schemas"].(map[string]any)["Record"].(map[string]any)["properties"].(map[string]any)["预算们"].(map[string]any)
	if got := describe(s); got != "array" || s["items"].(map[string]any)["type"] != "number" {
		t.Fatalf("预算们 in the schema: %v", s)
	}
	if got := fmt.Sprint(rec["预算们"]); got != "[1200.5 300]" {
		t.Fatalf("预算们 = %s, want [1200.5 300]", got)
	}
}

func TestTableOpenAPI(t *testing.T) {
	c := setup(t)
	c.createTable("公司", f("公司名称", "text"))
	co := c.create("公司", map[string]any{"公司名称": "北京某公司"})
	tb := c.createTable("客户",
		f("客户名称", "text", "required", true), f("备注", "textarea"), f("员工数", "number"), f("累计消费金额", "money"),
		f("折扣", "percent"), f("首次购买日期", "date"), f("最近联系", "datetime"), f("手机", "phone"), f("邮箱", "email"),
		f("网站", "url"), f("客户等级", "select", "options", []string{"高价值客户", "普通客户"}),
		f("兴趣", "multiselect", "options", []string{"阅读", "旅行"}), f("已签约", "checkbox"), f("星级", "rating", "max", 5),
		f("跟进人", "user"), f("标签", "tags"), f("客户编号", "autonumber", "format", "KH-{0000}"),
		f("所属公司", "link", "linkTable", "公司"))
	full := c.create("客户", map[string]any{"客户名称": "甲", "备注": "第一行\n第二行", "员工数": 12, "累计消费金额": "¥67,809.96",
		"折扣": 12.5, "首次购买日期": "2026/11/23", "最近联系": "2026-11-23 14:30", "手机": "13800138000", "邮箱": "a@example.com",
		"网站": "https://example.com", "客户等级": "高价值客户", "兴趣": []string{"阅读"}, "已签约": true, "星级": 4,
		"跟进人": 1, "标签": []string{"VIP"}, "所属公司": co["id"], "负责人": 1})
	empty := c.create("客户", map[string]any{"客户名称": "乙"})

	doc := c.get(tablePath("客户")+"/openapi.json").must(t, 200)
	if doc["openapi"] != "3.1.0" || asList(doc["servers"])[0].(map[string]any)["url"] != c.base {
		t.Fatalf("openapi %v, servers %v", doc["openapi"], doc["servers"])
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	record := schemas["Record"].(map[string]any)["properties"].(map[string]any)
	input := schemas["RecordInput"].(map[string]any)["properties"].(map[string]any)
	for _, name := range fieldNames(tb) {
		if name == "ID" {
			name = "id"
		}
		if record[name] == nil {
			t.Errorf("Record has no property %s", name)
		}
	}
	want := map[string]string{"员工数": "number", "累计消费金额": "number", "首次购买日期": "string date", "最近联系": "string date-time",
		"客户等级": "string enum 高价值客户,普通客户,<nil>", "兴趣": "array enum 阅读,旅行", "已签约": "boolean", "星级": "integer",
		"跟进人": "integer", "所属公司": "integer", "id": "integer", "创建时间": "string date-time", "标签": "array"}
	for name, w := range want {
		if got := describe(record[name].(map[string]any)); got != w {
			t.Errorf("%s: %s, want %s", name, got, w)
		}
	}
	for _, name := range []string{"id", "创建人", "创建时间", "修改时间", "客户编号"} {
		if input[name] != nil || record[name].(map[string]any)["readOnly"] != true {
			t.Errorf("%s must be read-only and not in RecordInput", name)
		}
	}
	if input["负责人"] == nil || input["客户名称"] == nil {
		t.Errorf("RecordInput lacks 负责人 or 客户名称: %v", input)
	}
	if req := schemas["RecordCreate"].(map[string]any)["required"]; fmt.Sprint(req) != "[客户名称]" {
		t.Errorf("RecordCreate requires %v", req)
	}
	// The records the API gives fit the schema, key for key.
	paths := doc["paths"].(map[string]any)
	listPath := "/api/tables/" + url.PathEscape(str(tb["id"])) + "/records"
	if paths[listPath] == nil || paths[listPath+"/{id}"] == nil || paths[listPath+"/batch"] == nil {
		t.Fatalf("paths %v", paths)
	}
	for _, rec := range []map[string]any{full, empty} {
		got := c.get(listPath+"/"+formatNum(rec["id"])).must(t, 200)
		for k, v := range got {
			if k == "_titles" {
				continue
			}
			s, ok := record[k].(map[string]any)
			if !ok {
				t.Errorf("record key %s is not in the schema", k)
				continue
			}
			if err := fits(v, s); err != "" {
				t.Errorf("record %v: %s = %#v does not fit %v: %s", rec["id"], k, v, s, err)
			}
		}
	}
	// Unique operationIds.
	var ids []string
	for _, ops := range paths {
		for m, op := range ops.(map[string]any) {
			if m != "parameters" {
				ids = append(ids, str(op.(map[string]any)["operationId"]))
			}
		}
	}
	slices.Sort(ids)
	if len(slices.Compact(slices.Clone(ids))) != len(ids) || len(ids) != 6 {
		t.Errorf("operationIds %v", ids)
	}

	// A field hidden from the caller is not in their document.
	_, wang := c.addMember("wang@example.com", "小王")
	hideField(c, "客户", "累计消费金额")
	raw := wang.get(tablePath("客户") + "/openapi.json").Raw
	if strings.Contains(raw, "累计消费金额") || !strings.Contains(raw, "客户名称") {
		t.Errorf("a member's document shows the hidden field: %s", raw)
	}
	if !strings.Contains(c.get(tablePath("客户")+"/openapi.json").Raw, "累计消费金额") {
		t.Errorf("the admin's document lacks the field")
	}
	c.get(tablePath("没有这张表")+"/openapi.json").wantError(t, 404, "not_found")
}

// describe sums up a property schema: its non-null type, format, enum.
func describe(s map[string]any) string {
	var typ string
	switch x := s["type"].(type) {
	case string:
		typ = x
	case []any:
		typ = str(x[0])
	}
	out := typ
	if f := str(s["format"]); f != "" {
		out += " " + f
	}
	enum := s["enum"]
	if items, ok := s["items"].(map[string]any); ok && items["enum"] != nil {
		enum = items["enum"]
	}
	if e, ok := enum.([]any); ok {
		var vals []string
		for _, v := range e {
			vals = append(vals, fmt.Sprint(v))
		}
		out += " enum " + strings.Join(vals, ",")
	}
	return out
}

// fits checks a JSON value against the parts of a schema the table documents use.
func fits(v any, s map[string]any) string {
	var types []string
	switch x := s["type"].(type) {
	case string:
		types = []string{x}
	case []any:
		for _, e := range x {
			types = append(types, str(e))
		}
	}
	kind := map[bool]string{true: "null"}[v == nil]
	switch x := v.(type) {
	case string:
		kind = "string"
	case bool:
		kind = "boolean"
	case []any:
		kind = "array"
	case float64:
		kind = "number"
		if x == float64(int64(x)) && slices.Contains(types, "integer") {
			kind = "integer"
		}
	}
	if !slices.Contains(types, kind) {
		return "type " + kind + " is not one of " + strings.Join(types, ",")
	}
	if e, ok := s["enum"].([]any); ok && !slices.Contains(e, v) {
		return "not in the enum"
	}
	if kind == "string" {
		switch s["format"] {
		case "date":
			if _, err := time.Parse("2006-01-02", v.(string)); err != nil {
				return "not a date"
			}
		case "date-time":
			if _, err := time.Parse(time.RFC3339, v.(string)); err != nil {
				return "not a date-time"
			}
		}
		if p := str(s["pattern"]); p != "" && !regexp.MustCompile(p).MatchString(v.(string)) {
			return "does not match " + p
		}
	}
	if kind == "array" {
		items, _ := s["items"].(map[string]any)
		for _, e := range v.([]any) {
			if err := fits(e, items); err != "" {
				return "item: " + err
			}
		}
	}
	return ""
}
