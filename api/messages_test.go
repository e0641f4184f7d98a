package api_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// Select options may be plain strings as well as objects, wherever options are read.
func TestOptionsAsText(t *testing.T) {
	c := setup(t)
	tb := c.post("/api/tables", `{"name":"客户","fields":[{"name":"客户名称","type":"text"},
		{"name":"客户等级","type":"select","options":["高价值客户",{"value":"普通客户","color":"#999"}]},
		{"name":"标签","type":"multiselect","options":["VIP","老客户"]}]}`).must(t, 201)
	opts := func(table map[string]any, name string) string {
		for _, fl := range table["fields"].([]any) {
			fm := fl.(map[string]any)
			if fm["name"] == name {
				var vals []string
				for _, o := range fm["options"].([]any) {
					vals = append(vals, str(o.(map[string]any)["value"]))
				}
				return strings.Join(vals, ",")
			}
		}
		return ""
	}
	if got := opts(tb, "客户等级"); got != "高价值客户,普通客户" {
		t.Fatalf("options of 客户等级 = %q", got)
	}
	if got := opts(tb, "标签"); got != "VIP,老客户" {
		t.Fatalf("options of 标签 = %q", got)
	}
	c.post(tablePath("客户")+"/fields", `{"name":"来源","type":"select","options":["转介绍","展会"]}`).must(t, 201)
	c.patch(tablePath("客户")+"/fields/客户等级", `{"options":["高价值客户","普通客户","流失客户"]}`).must(t, 200)
	tb = c.get(tablePath("客户")).must(t, 200)
	if got := opts(tb, "来源") + "|" + opts(tb, "客户等级"); got != "转介绍,展会|高价值客户,普通客户,流失客户" {
		t.Fatalf("options after add and change = %q", got)
	}
	c.create("客户", map[string]any{"客户名称": "甲", "客户等级": "流失客户", "标签": []string{"VIP"}, "来源": "展会"})
}

// A body that does not fit says where and what was expected, in the caller's language.
func TestBadBodyNamesThePath(t *testing.T) {
	c := setup(t)
	body := `{"name":"客户","fields":[{"name":"a","type":"text"},{"name":"b","type":"text"},{"name":"c","type":"text"},
		{"name":"客户等级","type":"select","options":[1]}]}`
	for _, tc := range []struct{ lang, msg string }{
		{"zh", `fields[3].options[0]：应为文本或 {"value": …}`},
		{"en", `fields[3].options[0]: expected text or {"value": …}`},
	} {
		c.lang = tc.lang
		r := c.post("/api/tables", body)
		e := r.wantError(t, 400, "bad_json_type")
		if e["message"] != tc.msg {
			t.Errorf("%s: message %q, want %q", tc.lang, e["message"], tc.msg)
		}
		r.wantDetail(t, "bad_json_type", "", 0, "fields[3].options[0]")
	}
	for _, tc := range []struct{ body, code, msg string }{
		{`{"name":"客户","fields":[{"name":"a","type":"select","options":[{"value":2}]}]}`, "bad_json_type", "fields[0].options[0].value: expected text"},
		{`{"name":"客户","fields":{"name":"a"}}`, "bad_json_type", "fields: expected a list [ … ]"},
		{`{"name":7}`, "bad_json_type", "name: expected text"},
		{`{"name":"客户","fields":[{"name":"a","required":"yes"}]}`, "bad_json_type", "fields[0].required: expected true or false"},
		{`["客户"]`, "bad_json_body", "the request body must be an object { … }"},
		{``, "bad_json_body", "the request body must be an object { … }"},
		{"{\n  \"name\": \"客户\",\n  \"fields\": [,]\n}", "bad_json", "the request body is not valid JSON; check near line 3, column 14"},
		{`{"name":"客户"`, "bad_json", "the request body is not valid JSON; check near line 1, column 12"},
	} {
		c.lang = "en"
		e := c.post("/api/tables", tc.body).wantError(t, 400, tc.code)
		if e["message"] != tc.msg {
			t.Errorf("%s: message %q, want %q", tc.body, e["message"], tc.msg)
		}
	}
	// A field patch (it decodes itself) names the path inside it too.
	c.post("/api/tables", `{"name":"客户","fields":[{"name":"客户等级","type":"select","options":["A"]}]}`).must(t, 201)
	c.lang = "zh"
	e := c.patch(tablePath("客户")+"/fields/客户等级", `{"options":["A",{"value":"B"},true]}`).wantError(t, 400, "bad_json_type")
	if e["message"] != `options[2]：应为文本或 {"value": …}` {
		t.Errorf("patch: message %q", e["message"])
	}
}

// leaks are words of the Go decoder that must never reach a person.
var leaks = []string{"json:", "unmarshal", "Unmarshal", "schema.", "Go ", "struct", "invalid character", "reflect", "map[", "[]", "interface"}

// Every route taking a body answers bodies of every shape without Go's words: each property
// of its documented request schema is sent with a value of every JSON type.
func TestBadBodiesOnEveryRoute(t *testing.T) {
	c := setup(t)
	customers(c)
	rec := c.create("客户", map[string]any{"客户名称": "甲"})
	doc := c.get("/api/openapi.json").must(t, 200)
	paths := doc["paths"].(map[string]any)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	// By id: a body may rename the table or the field, and the next ones must still reach it.
	tb := c.get(tablePath("客户")).must(t, 200)
	fill := strings.NewReplacer("{table}", str(tb["id"]), "{field}", str(field(t, tb, "客户名称")["id"]), "{id}", formatNum(rec["id"]))
	values := []string{`1`, `-2.5`, `"x"`, `true`, `null`, `[]`, `{}`, `[1]`, `["x"]`, `[{}]`, `[[1]]`, `{"a":1}`, `[{"value":1}]`, `[{"a":[1]}]`}
	shapes := append([]string{``, `{`, `[`, `}`, `{"a":}`, `nul`, `"\u12"`, `{"a":1}{`}, values...)
	var calls []string
	for p, ops := range paths {
		for method, op := range ops.(map[string]any) {
			if method == "get" || method == "delete" || strings.HasSuffix(p, "/logout") || strings.HasSuffix(p, "/imports") {
				continue
			}
			calls = append(calls, method+" "+p)
			_ = op
		}
	}
	sort.Strings(calls)
	if len(calls) < 25 {
		t.Fatalf("only %d routes take a body: %v", len(calls), calls)
	}
	sent := 0
	for _, call := range calls {
		method, p, _ := strings.Cut(call, " ")
		op := paths[p].(map[string]any)[method].(map[string]any)
		var bodies []string
		bodies = append(bodies, shapes...)
		for _, key := range requestKeys(op, schemas) {
			for _, v := range values {
				bodies = append(bodies, fmt.Sprintf(`{%q:%s}`, key, v))
				for _, inner := range []string{"field", "value", "options", "type", "name", "and", "items"} {
					bodies = append(bodies, fmt.Sprintf(`{%q:[{%q:%s}]}`, key, inner, v), fmt.Sprintf(`{%q:{%q:%s}}`, key, inner, v))
				}
			}
		}
		for i, b := range bodies {
			langs := []string{"en"}
			if i < len(shapes) {
				langs = []string{"zh", "en"}
			}
			for _, lang := range langs {
				c.lang = lang
				r := c.call(strings.ToUpper(method), fill.Replace(p), b)
				sent++
				if r.Status >= 500 {
					t.Errorf("%s %s: %d %s", call, b, r.Status, r.Raw)
					continue
				}
				if r.Status < 400 {
					continue
				}
				if r.Status == 404 && strings.Contains(p, "{table}") && !strings.Contains(p, "{id}") {
					t.Errorf("%s with %s: %s (the probe lost its table)", call, b, r.Raw)
				}
				said := messages(t, r)
				for _, w := range leaks {
					if strings.Contains(said, w) {
						t.Errorf("%s with %s (%s): the answer contains %q: %s", call, b, lang, w, r.Raw)
						break
					}
				}
			}
		}
	}
	t.Logf("%d requests over %d routes", sent, len(calls))
}

// requestKeys lists the top-level properties of an operation's JSON request schema.
func requestKeys(op map[string]any, schemas map[string]any) []string {
	rb, _ := op["requestBody"].(map[string]any)
	content, _ := rb["content"].(map[string]any)
	js, _ := content["application/json"].(map[string]any)
	s, _ := js["schema"].(map[string]any)
	if ref := str(s["$ref"]); ref != "" {
		s, _ = schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
	}
	props, _ := s["properties"].(map[string]any)
	var keys []string
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// messages joins the messages of an error answer: what a person reads.
func messages(t *testing.T, r reply) string {
	e := r.errorOf(t)
	out := []string{str(e["message"])}
	ds, _ := e["details"].([]any)
	for _, d := range ds {
		out = append(out, str(d.(map[string]any)["message"]))
	}
	return strings.Join(out, "\n")
}

// Query parameters carrying JSON and other bad parameters say what is wrong in words.
func TestBadParamsInWords(t *testing.T) {
	c := setup(t)
	c.lang = "en"
	c.post("/api/templates/crm", nil).must(t, 201)
	boards := c.get("/api/dashboards").must(t, 200)["items"].([]any)
	board := c.get("/api/dashboards/"+str(boards[0].(map[string]any)["id"])).must(t, 200)
	chart := str(board["charts"].([]any)[0].(map[string]any)["id"])
	for _, tc := range []struct{ path, code, msg string }{
		{chartDataPath(chart, `{"owners":"张三"}`), "bad_json_type", "filters.owners: expected a list [ … ]"},
		{chartDataPath(chart, `{"owners":[`), "bad_param", "parameter filters is invalid: not valid JSON"},
		{recordsPath("客户") + "?limit=-1", "bad_param", "parameter limit is invalid: a non-negative integer is needed"},
		{recordsPath("客户") + "?filter=%7Bx", "bad_condition", "the filter is invalid: not valid JSON"},
	} {
		e := c.get(tc.path).wantError(t, 400, tc.code)
		if e["message"] != tc.msg {
			t.Errorf("%s: message %q, want %q", tc.path, e["message"], tc.msg)
		}
	}
	e := c.post(tablePath("客户")+"/fields", `{"name":"编码","type":"text","format":"(["}`).wantError(t, 400, "bad_param")
	if e["message"] != `field "编码": parameter format is invalid: not a valid regular expression` {
		t.Errorf("regex: message %q", e["message"])
	}
}

// withinLastDays N holds for today and the N days before, as docs/api.md says: on 2026-11-23,
// 30 days reach back to 2026-10-24 and no further; tomorrow is not within the last days.
func TestWithinLastDaysIncludesToday(t *testing.T) {
	c := setup(t)
	c.createTable("客户", f("客户名称", "text"), f("最近消费日", "date"))
	for _, d := range []string{"2026-11-24", "2026-11-23", "2026-10-24", "2026-10-23"} {
		c.create("客户", map[string]any{"客户名称": d, "最近消费日": d})
	}
	got := column(items(c.list("客户", "filter", `{"field":"最近消费日","op":"withinLastDays","value":30}`, "sort", "最近消费日").must(t, 200)), "客户名称")
	if fmt.Sprint(got) != "[2026-10-24 2026-11-23]" {
		t.Errorf("within the last 30 days: %v, want [2026-10-24 2026-11-23]", got)
	}
	got = column(items(c.list("客户", "filter", `{"field":"最近消费日","op":"withinLastDays","value":0}`).must(t, 200)), "客户名称")
	if fmt.Sprint(got) != "[2026-11-23]" {
		t.Errorf("within the last 0 days: %v, want today only", got)
	}
}
