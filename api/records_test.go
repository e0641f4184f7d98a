package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// customers creates the 客户 table used by the record tests.
func customers(c *client) {
	c.t.Helper()
	c.createTable("客户",
		f("客户名称", "text", "required", true),
		f("联系电话", "phone"),
		f("累计消费金额", "money"),
		f("首次购买日期", "date"),
		f("客户等级", "select", "options", options("高价值客户", "潜力客户", "普通客户")),
		f("VIP", "checkbox"),
		f("邮箱", "email", "unique", true),
		f("标签", "tags"),
	)
}

func TestRecordCRUD(t *testing.T) {
	c := setup(t)
	customers(c)
	rec := c.create("客户", map[string]any{
		"客户名称": "北京某公司", "累计消费金额": "¥1,234.50", "首次购买日期": "2026年11月23日",
		"联系电话": "+86 138 0013 8000", "VIP": "是", "客户等级": "潜力客户",
	})
	id := num(rec["id"])
	want := map[string]any{"客户名称": "北京某公司", "累计消费金额": 1234.5, "首次购买日期": "2026-11-23",
		"联系电话": "13800138000", "VIP": true, "客户等级": "潜力客户", "邮箱": nil, "标签": nil,
		"负责人": 1.0, "创建人": 1.0, "创建时间": "2026-11-23T02:30:00Z"}
	if id < 1 {
		t.Fatalf("no id: %v", rec)
	}
	check := func(what string, got map[string]any) {
		t.Helper()
		for k, v := range want {
			if !reflect.DeepEqual(got[k], v) {
				t.Errorf("%s: %s = %#v, want %#v", what, k, got[k], v)
			}
		}
	}
	check("created", rec)
	got := c.get(recordPath("客户", id)).must(t, 200)
	check("read", got)
	if titles := got["_titles"].(map[string]any); !reflect.DeepEqual(titles["负责人"], map[string]any{"1": adminName}) {
		t.Errorf("_titles %v", titles)
	}
	// The table may be named by id as well.
	tblID := str(c.get(tablePath("客户")).must(t, 200)["id"])
	check("read by table id", c.get(recordPath(tblID, id)).must(t, 200))

	// PATCH changes only what is sent.
	patched := c.patch(recordPath("客户", id), map[string]any{"累计消费金额": "1.2万", "VIP": "否"}).must(t, 200)
	want["累计消费金额"], want["VIP"] = 12000.0, false
	check("patched", patched)
	check("read after patch", c.get(recordPath("客户", id)).must(t, 200))
	// Clearing a value: null and "" both empty it.
	c.patch(recordPath("客户", id), map[string]any{"联系电话": nil, "客户等级": ""}).must(t, 200)
	want["联系电话"], want["客户等级"] = nil, nil
	check("cleared", c.get(recordPath("客户", id)).must(t, 200))
	// A required field cannot be cleared.
	c.patch(recordPath("客户", id), map[string]any{"客户名称": "  "}).wantDetail(t, "required", "客户名称", 0, "")
	// System fields cannot be written.
	c.patch(recordPath("客户", id), map[string]any{"创建时间": "2020-01-01"}).wantDetail(t, "readonly_field", "创建时间", 0, "")
	check("after refused patches", c.get(recordPath("客户", id)).must(t, 200))

	// DELETE.
	c.del(recordPath("客户", id)).must(t, 200)
	c.get(recordPath("客户", id)).wantError(t, 404, "not_found")
	c.del(recordPath("客户", id)).wantError(t, 404, "not_found")
	if n := c.count("客户"); n != 0 {
		t.Errorf("%d records after delete", n)
	}
}

// POST creates; an id in the body (say, of a copied record) is refused, never overwritten.
func TestCreateIgnoresID(t *testing.T) {
	c := setup(t)
	customers(c)
	first := c.create("客户", map[string]any{"客户名称": "原记录"})
	copied := c.post(recordsPath("客户"), map[string]any{"id": first["id"], "客户名称": "复制的记录"})
	copied.wantDetail(t, "readonly_field", "id", 0, "")
	if got := c.get(recordPath("客户", num(first["id"]))).must(t, 200); got["客户名称"] != "原记录" {
		t.Errorf("original record changed: %v", got)
	}
}

func TestListRecords(t *testing.T) {
	c := setup(t)
	customers(c)
	var batch []map[string]any
	for i, name := range []string{"北京一号公司", "上海二号工厂", "北京三号公司", "广州四号商行", "深圳五号公司",
		"北京六号工厂", "杭州七号公司", "南京八号公司", "成都九号公司", "武汉十号_公司"} {
		batch = append(batch, map[string]any{"客户名称": name, "累计消费金额": (i + 1) * 1000, "标签": []string{"批次" + string(rune('A'+i%2))}})
	}
	body := c.post(recordsPath("客户")+"/batch", map[string]any{"items": batch}).must(t, 200)
	if len(items(body)) != 10 {
		t.Fatalf("batch created %v", body)
	}

	names := func(list []map[string]any) []any { return column(list, "客户名称") }
	body = c.list("客户").must(t, 200)
	if num(body["total"]) != 10 || len(items(body)) != 10 {
		t.Errorf("list all: total %v, %d items", body["total"], len(items(body)))
	}
	if _, ok := body["_titles"].(map[string]any); !ok {
		t.Errorf("list without _titles: %v", body)
	}
	// filter + total
	body = c.list("客户", "filter", `{"field":"累计消费金额","op":"gt","value":5000}`).must(t, 200)
	if num(body["total"]) != 5 || len(items(body)) != 5 {
		t.Errorf("filter gt 5000: %v", body)
	}
	// sort, limit, offset: total counts all matches
	body = c.list("客户", "filter", `{"field":"客户名称","op":"contains","value":"北京"}`, "sort", "-累计消费金额", "limit", "2", "offset", "1").must(t, 200)
	if got := names(items(body)); num(body["total"]) != 3 || !reflect.DeepEqual(got, []any{"北京三号公司", "北京一号公司"}) {
		t.Errorf("sorted page: total %v, %v", body["total"], got)
	}
	// several sort keys
	body = c.list("客户", "sort", "标签,-累计消费金额", "limit", "3").must(t, 200)
	if got := column(items(body), "累计消费金额"); !reflect.DeepEqual(got, []any{9000.0, 7000.0, 5000.0}) {
		t.Errorf("sort by tags then amount: %v", got)
	}
	// skipTotal
	body = c.list("客户", "skipTotal", "1", "limit", "3").must(t, 200)
	if _, ok := body["total"]; ok || len(items(body)) != 3 {
		t.Errorf("skipTotal=1: %v", body)
	}
	// offset beyond the end
	body = c.list("客户", "offset", "100").must(t, 200)
	if num(body["total"]) != 10 || len(items(body)) != 0 {
		t.Errorf("offset 100: %v", body)
	}
	// q searches text fields; % and _ are literal
	for q, want := range map[string]int{"北京": 3, "工厂": 2, "批次B": 5, "%": 0, "_": 1, "no such": 0} {
		if body := c.list("客户", "q", q).must(t, 200); num(body["total"]) != float64(want) {
			t.Errorf("q=%q: total %v, want %d", q, body["total"], want)
		}
	}
	// q and filter together
	body = c.list("客户", "q", "公司", "filter", `{"field":"累计消费金额","op":"lte","value":3000}`).must(t, 200)
	if got := names(items(body)); !reflect.DeepEqual(got, []any{"北京三号公司", "北京一号公司"}) {
		t.Errorf("q + filter, newest first: %v", got)
	}
	// The default order is newest first; ID sorts oldest first.
	body = c.list("客户", "limit", "1").must(t, 200)
	if got := names(items(body)); !reflect.DeepEqual(got, []any{"武汉十号_公司"}) {
		t.Errorf("default order: %v", got)
	}
	body = c.list("客户", "sort", "ID", "limit", "1").must(t, 200)
	if got := names(items(body)); !reflect.DeepEqual(got, []any{"北京一号公司"}) {
		t.Errorf("sort ID: %v", got)
	}
	c.list("客户", "limit", "-1").wantError(t, 400, "bad_param")
	c.list("客户", "offset", "x").wantError(t, 400, "bad_param")
}

func TestInvalidInputWritesNothing(t *testing.T) {
	c := setup(t)
	customers(c)
	existing := c.create("客户", map[string]any{"客户名称": "已有客户", "联系电话": "13800138000"})
	cases := []struct {
		name  string
		body  map[string]any
		field string
		code  string
	}{
		{"short phone", map[string]any{"客户名称": "A", "联系电话": "12345"}, "联系电话", "bad_phone"},
		{"text in a number", map[string]any{"客户名称": "A", "累计消费金额": "很多"}, "累计消费金额", "not_number"},
		{"unknown option", map[string]any{"客户名称": "A", "客户等级": "VIP客户"}, "客户等级", "bad_option"},
		{"missing required", map[string]any{"联系电话": "13800138000"}, "客户名称", "required"},
		{"empty required", map[string]any{"客户名称": ""}, "客户名称", "required"},
		{"unknown field", map[string]any{"客户名称": "A", "传真": "010-1234"}, "传真", "unknown_field"},
		{"bad date", map[string]any{"客户名称": "A", "首次购买日期": "2026-02-30"}, "首次购买日期", "bad_date"},
		{"bad email", map[string]any{"客户名称": "A", "邮箱": "not-an-email"}, "邮箱", "bad_email"},
		{"not yes or no", map[string]any{"客户名称": "A", "VIP": "也许"}, "VIP", "bad_bool"},
		{"system field", map[string]any{"客户名称": "A", "创建人": 1}, "创建人", "readonly_field"},
		{"unknown owner", map[string]any{"客户名称": "A", "负责人": 42}, "负责人", "bad_user"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := c.count("客户")
			r := c.post(recordsPath("客户"), tc.body)
			e := r.wantError(t, 400, "validation_failed")
			r.wantDetail(t, tc.code, tc.field, 0, "")
			if !strings.Contains(str(e["message"]), tc.field) {
				t.Errorf("message %q does not name %s", e["message"], tc.field)
			}
			if after := c.count("客户"); after != before {
				t.Errorf("%d records before, %d after", before, after)
			}
			// The same value is refused on update, and the record keeps its values.
			if tc.name != "missing required" { // leaving a field out of a PATCH keeps it
				body := map[string]any{}
				for k, v := range tc.body {
					if k != "客户名称" || tc.code == "required" {
						body[k] = v
					}
				}
				c.patch(recordPath("客户", num(existing["id"])), body).wantDetail(t, tc.code, tc.field, 0, "")
				if got := c.get(recordPath("客户", num(existing["id"]))).must(t, 200); got["客户名称"] != "已有客户" || got["联系电话"] != "13800138000" {
					t.Errorf("record changed by a refused update: %v", got)
				}
			}
		})
	}
	// All problems of one record are reported at once.
	r := c.post(recordsPath("客户"), map[string]any{"联系电话": "12345", "累计消费金额": "很多"})
	r.wantError(t, 400, "validation_failed")
	if ds := r.errorOf(t)["details"].([]any); len(ds) != 3 {
		t.Errorf("want 3 details (phone, amount, required): %v", ds)
	}
	c.post(recordsPath("客户"), `{"客户名称": `).wantError(t, 400, "bad_json")
	c.post(recordsPath("客户"), `["客户名称"]`).wantError(t, 400, "bad_json_body")
	if n := c.count("客户"); n != 1 {
		t.Errorf("%d records, want only the first", n)
	}
}

func TestBatchAllOrNothing(t *testing.T) {
	c := setup(t)
	customers(c)
	keep := c.create("客户", map[string]any{"客户名称": "老客户", "累计消费金额": 100})
	r := c.post(recordsPath("客户")+"/batch", map[string]any{"items": []map[string]any{
		{"客户名称": "甲", "联系电话": "13800138000"},
		{"id": keep["id"], "累计消费金额": 999},
		{"客户名称": "乙", "联系电话": "12345"},
		{"客户名称": "丙"},
	}})
	r.wantError(t, 400, "validation_failed")
	r.wantDetail(t, "bad_phone", "联系电话", 3, "")
	if msg := str(r.detail(t, 0)["message"]); !strings.Contains(msg, "第 3 行") {
		t.Errorf("detail message %q does not name the row", msg)
	}
	if n := c.count("客户"); n != 1 {
		t.Errorf("%d records after a refused batch, want 1", n)
	}
	if got := c.get(recordPath("客户", num(keep["id"]))).must(t, 200); got["累计消费金额"] != 100.0 {
		t.Errorf("update of a refused batch was written: %v", got)
	}
	// Each bad row is reported.
	r = c.post(recordsPath("客户")+"/batch", map[string]any{"items": []map[string]any{
		{"客户名称": "甲", "客户等级": "X"}, {"客户名称": "乙"}, {}, {"id": 999, "客户名称": "丁"},
	}})
	var rows []float64
	for _, d := range r.errorOf(t)["details"].([]any) {
		rows = append(rows, num(d.(map[string]any)["row"]))
	}
	if !reflect.DeepEqual(rows, []float64{1, 3, 4}) {
		t.Errorf("rows reported %v, want [1 3 4]: %s", rows, r.Raw)
	}
	// A good batch creates and updates.
	body := c.post(recordsPath("客户")+"/batch", map[string]any{"items": []map[string]any{
		{"客户名称": "甲"}, {"id": keep["id"], "累计消费金额": 999},
	}}).must(t, 200)
	if list := items(body); len(list) != 2 || list[1]["累计消费金额"] != 999.0 || list[1]["客户名称"] != "老客户" {
		t.Errorf("good batch answered %v", list)
	}
	if n := c.count("客户"); n != 2 {
		t.Errorf("%d records, want 2", n)
	}
}

func TestNotFound(t *testing.T) {
	c := setup(t)
	customers(c)
	rec := c.create("客户", map[string]any{"客户名称": "甲"})
	c.get(recordsPath("无此表")).wantError(t, 404, "not_found")
	c.post(recordsPath("无此表"), map[string]any{"客户名称": "甲"}).wantError(t, 404, "not_found")
	c.get(tablePath("无此表")).wantError(t, 404, "not_found")
	c.patch(tablePath("客户")+"/fields/无此字段", map[string]any{"name": "x"}).wantError(t, 404, "not_found")
	c.del(tablePath("客户")+"/fields/无此字段").wantError(t, 404, "not_found")
	for _, id := range []string{"999", "0", "-1", "abc"} {
		p := recordsPath("客户") + "/" + id
		c.get(p).wantError(t, 404, "not_found")
		c.del(p).wantError(t, 404, "not_found")
		c.get(p+"/history").wantError(t, 404, "not_found")
		c.patch(p, map[string]any{"客户名称": "乙"}).wantError(t, 404, "not_found")
	}
	c.lang = "en"
	e := c.get(recordPath("客户", 999)).wantError(t, 404, "not_found")
	if msg := str(e["message"]); !strings.Contains(msg, `record "999" was not found`) {
		t.Errorf("message %q", msg)
	}
	if n := c.count("客户"); n != 1 || c.get(recordPath("客户", num(rec["id"]))).must(t, 200)["客户名称"] != "甲" {
		t.Errorf("404s changed data")
	}
}

func TestBadFilterAndSort(t *testing.T) {
	c := setup(t)
	customers(c)
	c.create("客户", map[string]any{"客户名称": "甲", "累计消费金额": 1})
	cases := []struct {
		filter, code, path, field string
	}{
		{`{"and":[`, "bad_condition", "", ""},
		{`not json`, "bad_condition", "", ""},
		{`{"and":[{"field":"客户名称","op":"like","value":"甲"}]}`, "bad_condition", "and[0].op", ""},
		{`{"and":[{"field":"无此字段","op":"eq","value":1}]}`, "unknown_field", "and[0].field", ""},
		{`{"field":"累计消费金额","op":"contains","value":"1"}`, "bad_operator", "op", "累计消费金额"},
		{`{"or":[{"field":"客户名称","op":"empty"},{"field":"累计消费金额","op":"gt","value":"很多"}]}`, "not_number", "or[1].value", "累计消费金额"},
		{`{"field":"客户等级","op":"eq","value":"VIP"}`, "bad_option", "value", "客户等级"},
	}
	for _, tc := range cases {
		r := c.list("客户", "filter", tc.filter)
		r.wantError(t, 400, tc.code)
		if tc.path != "" {
			r.wantDetail(t, tc.code, tc.field, 0, tc.path)
		}
		// describe reports the same problem
		d := c.post(tablePath("客户")+"/conditions/describe", tc.filter)
		d.wantError(t, 400, tc.code)
		if tc.path != "" {
			d.wantDetail(t, tc.code, tc.field, 0, tc.path)
		}
	}
	r := c.list("客户", "sort", "-无此字段")
	r.wantError(t, 400, "bad_sort")
	r.wantDetail(t, "bad_sort", "", 0, "sort")
	if body := c.post(tablePath("客户")+"/conditions/describe", `{"and":[{"field":"累计消费金额","op":"gt","value":10000},{"field":"首次购买日期","op":"withinLastDays","value":30}]}`).must(t, 200); !strings.Contains(str(body["text"]), "累计消费金额") {
		t.Errorf("describe: %v", body)
	}
}

func TestEnglishMessages(t *testing.T) {
	c := setup(t)
	customers(c)
	c.lang = "en-US,en;q=0.9"
	r := c.post(recordsPath("客户"), map[string]any{"客户名称": "A", "联系电话": "12345"})
	e := r.wantError(t, 400, "validation_failed")
	d := r.wantDetail(t, "bad_phone", "联系电话", 0, "")
	if msg := str(e["message"]); !strings.HasPrefix(msg, "1 value(s) need fixing") || !strings.Contains(msg, "not a valid mobile number") {
		t.Errorf("en message %q", msg)
	}
	if msg := str(d["message"]); msg != `field "联系电话": "12345" is not a valid mobile number; enter 11 digits like 13800138000` {
		t.Errorf("en detail %q", msg)
	}
	c.lang = "zh-CN"
	r = c.post(recordsPath("客户"), map[string]any{"客户名称": "A", "联系电话": "12345"})
	if msg := str(r.errorOf(t)["message"]); !strings.HasPrefix(msg, "有 1 处内容需要修改") || !strings.Contains(msg, "不是有效的手机号") {
		t.Errorf("zh message %q", msg)
	}
	c.lang = ""
	if msg := str(c.list("客户", "sort", "x").errorOf(t)["message"]); !strings.Contains(msg, "无法按「x」排序") {
		t.Errorf("default language message %q", msg)
	}
	c.lang = "en"
	if msg := str(c.list("客户", "sort", "x").errorOf(t)["message"]); !strings.Contains(msg, `cannot sort by "x"`) {
		t.Errorf("en sort message %q", msg)
	}
}

func TestUniqueField(t *testing.T) {
	c := setup(t)
	customers(c)
	first := c.create("客户", map[string]any{"客户名称": "甲", "邮箱": "a@example.com"})
	other := c.create("客户", map[string]any{"客户名称": "乙", "邮箱": "b@example.com"})
	r := c.post(recordsPath("客户"), map[string]any{"客户名称": "丙", "邮箱": "a@example.com"})
	r.wantError(t, 409, "not_unique")
	d := r.wantDetail(t, "not_unique", "邮箱", 0, "")
	if !strings.Contains(str(d["message"]), "a@example.com") {
		t.Errorf("detail %v does not name the value", d)
	}
	// Updating onto an existing value is refused too.
	c.patch(recordPath("客户", num(other["id"])), map[string]any{"邮箱": "a@example.com"}).wantDetail(t, "not_unique", "邮箱", 0, "")
	// Two equal values inside one batch: nothing is written.
	r = c.post(recordsPath("客户")+"/batch", map[string]any{"items": []map[string]any{
		{"客户名称": "丁", "邮箱": "d@example.com"}, {"客户名称": "戊", "邮箱": "d@example.com"},
	}})
	if r.Status != 409 {
		t.Fatalf("duplicate in a batch: %s", r.Raw)
	}
	r.wantDetail(t, "not_unique", "邮箱", 2, "")
	if n := c.count("客户"); n != 2 {
		t.Errorf("%d records, want 2", n)
	}
	// Empty values do not clash; a record keeps its own value on update.
	c.create("客户", map[string]any{"客户名称": "己"})
	c.create("客户", map[string]any{"客户名称": "庚"})
	c.patch(recordPath("客户", num(first["id"])), map[string]any{"邮箱": "a@example.com", "客户名称": "甲2"}).must(t, 200)
}

func TestHistory(t *testing.T) {
	admin := setup(t)
	customers(admin)
	memberID, member := admin.addMember("wang@example.com", "小王")
	rec := admin.create("客户", map[string]any{"客户名称": "北京某公司", "累计消费金额": 100, "负责人": memberID, "标签": "VIP"})
	p := recordPath("客户", num(rec["id"]))
	member.patch(p, map[string]any{"累计消费金额": "¥2,000", "客户等级": "高价值客户", "客户名称": "北京某公司"}).must(t, 200)
	member.patch(p, map[string]any{"客户名称": "北京某公司"}).must(t, 200) // no change: no entry

	// Readable by the member who owns it.
	list := items(member.get(p+"/history").must(t, 200))
	if len(list) != 2 {
		t.Fatalf("history %v", list)
	}
	admin.del(p).must(t, 200)
	list = items(admin.get(p+"/history").must(t, 200))
	if got := column(list, "action"); !reflect.DeepEqual(got, []any{"delete", "update", "create"}) {
		t.Fatalf("actions %v, want newest first", got)
	}
	users := []any{adminName, "小王", adminName}
	for i, e := range list {
		u := e["user"].(map[string]any)
		if u["name"] != users[i] || str(e["at"]) != "2026-11-23T02:30:00Z" {
			t.Errorf("entry %d: %v", i, e)
		}
	}
	changes := func(e map[string]any) map[string][2]any {
		out := map[string][2]any{}
		for _, x := range e["changes"].([]any) {
			ch := x.(map[string]any)
			if !strings.HasPrefix(str(ch["field"]), "fld") {
				t.Errorf("change without field id: %v", ch)
			}
			out[str(ch["name"])] = [2]any{ch["before"], ch["after"]}
		}
		return out
	}
	if got, want := changes(list[1]), map[string][2]any{"累计消费金额": {100.0, 2000.0}, "客户等级": {nil, "高价值客户"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("update changes %v, want %v", got, want)
	}
	created := changes(list[2])
	if created["客户名称"] != [2]any{nil, "北京某公司"} || created["累计消费金额"] != [2]any{nil, 100.0} || !reflect.DeepEqual(created["标签"], [2]any{nil, []any{"VIP"}}) {
		t.Errorf("create changes %v", created)
	}
	deleted := changes(list[0])
	if deleted["累计消费金额"] != [2]any{2000.0, nil} || deleted["客户等级"] != [2]any{"高价值客户", nil} {
		t.Errorf("delete changes %v", deleted)
	}
	// The member no longer sees it; its history is for admins.
	member.get(p+"/history").wantError(t, 404, "not_found")
}

// Concurrent writers each get their own record and number. Writes are committed in groups,
// each in its own savepoint: a create refused by validation writes nothing, and one whose
// unique value is taken fails after it has drawn a number — its savepoint must be rolled
// back, or the numbers of the others would have gaps.
func TestConcurrentCreates(t *testing.T) {
	c := setup(t)
	c.createTable("工单", f("标题", "text", "required", true), f("编号", "autonumber", "format", "GD-{0000}"),
		f("手机", "phone"), f("外部单号", "text", "unique", true))
	c.create("工单", map[string]any{"标题": "已有", "外部单号": "EXT-1"}) // GD-0001
	const n = 60
	type result struct {
		status int
		number string
	}
	results := make(chan result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := map[string]any{"标题": fmt.Sprintf("工单 %d", i)}
			switch i % 6 {
			case 5:
				body["手机"] = "12345" // refused before writing
			case 2:
				body["外部单号"] = "EXT-1" // refused after drawing a number
			}
			data, _ := json.Marshal(body)
			req, _ := http.NewRequest("POST", c.base+recordsPath("工单"), bytes.NewReader(data))
			req.Header.Set("Authorization", "Bearer "+c.token)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				results <- result{status: -1}
				return
			}
			defer res.Body.Close()
			var rec map[string]any
			json.NewDecoder(res.Body).Decode(&rec)
			results <- result{res.StatusCode, str(rec["编号"])}
		}()
	}
	wg.Wait()
	close(results)
	numbers := map[string]bool{"GD-0001": true}
	invalid, taken := 0, 0
	for r := range results {
		switch r.status {
		case 201:
			if numbers[r.number] {
				t.Errorf("number %q given twice", r.number)
			}
			numbers[r.number] = true
		case 400:
			invalid++
		case 409:
			taken++
		default:
			t.Errorf("status %d", r.status)
		}
	}
	created := n - 2*n/6
	if invalid != n/6 || taken != n/6 || len(numbers) != created+1 {
		t.Errorf("%d created, %d invalid, %d taken; want %d, %d and %d", len(numbers)-1, invalid, taken, created, n/6, n/6)
	}
	for i := 1; i <= created+1; i++ { // no gaps: failed creates gave their numbers back
		if want := fmt.Sprintf("GD-%04d", i); !numbers[want] {
			t.Errorf("number %s missing (have %d numbers): a failed create kept its number", want, len(numbers))
			break
		}
	}
	if got := c.count("工单"); got != created+1 {
		t.Errorf("%d records stored, want %d", got, created+1)
	}
}

// Ids are never reused: a record created after the newest one was deleted gets a new id,
// and its history holds only its own entries.
func TestIDsNeverReused(t *testing.T) {
	c := setup(t)
	customers(c)
	first := c.create("客户", map[string]any{"客户名称": "甲"})
	c.del(recordPath("客户", num(first["id"]))).must(t, 200)
	second := c.create("客户", map[string]any{"客户名称": "乙"})
	if num(second["id"]) == num(first["id"]) {
		t.Fatalf("id %v was reused", second["id"])
	}
	hist := c.get(recordPath("客户", num(second["id"]))+"/history").must(t, 200)
	if items := hist["items"].([]any); len(items) != 1 || items[0].(map[string]any)["action"] != "create" {
		t.Fatalf("history of the new record: %v", items)
	}
}
