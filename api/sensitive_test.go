package api_test

import (
	"net/url"
	"strings"
	"testing"
)

// problemOf is the code and message of an error answer: its first detail when it has details.
func problemOf(t *testing.T, r reply) (code, message string) {
	t.Helper()
	e := r.errorOf(t)
	if ds, _ := e["details"].([]any); len(ds) > 0 {
		e = ds[0].(map[string]any)
	}
	return str(e["code"]), str(e["message"])
}

// TestSensitiveField: over HTTP a field is marked 敏感, keeps answering in full to an admin,
// is found by its whole value, and refuses a partial search or a sort with a message that
// says why and what to do, in Chinese and English.
func TestSensitiveField(t *testing.T) {
	c := setup(t)
	c.createTable("线索", f("名称", "text"), f("手机", "phone"), f("预算", "number"))
	c.create("线索", map[string]any{"名称": "甲", "手机": "13800138000"})
	c.create("线索", map[string]any{"名称": "乙", "手机": "13900139000"})
	r := c.patch(tablePath("线索")+"/fields/"+url.PathEscape("预算"), map[string]any{"sensitive": true})
	if code, msg := problemOf(t, r); r.Status != 400 || code != "sensitive_type" || !strings.Contains(msg, "手机") {
		t.Fatalf("a sensitive number: %s", r.Raw)
	}
	c.patch(tablePath("线索")+"/fields/"+url.PathEscape("手机"), map[string]any{"sensitive": true}).must(t, 200)
	if fl := field(t, c.get(tablePath("线索")).must(t, 200), "手机"); fl["sensitive"] != true {
		t.Fatalf("field after marking: %v", fl)
	}
	got := items(c.list("线索", "filter", `{"field":"手机","op":"eq","value":"138 0013 8000"}`).must(t, 200))
	if len(got) != 1 || got[0]["手机"] != "13800138000" {
		t.Fatalf("eq: %v", got)
	}
	r = c.list("线索", "filter", `{"field":"手机","op":"contains","value":"1380"}`)
	if code, msg := problemOf(t, r); r.Status != 400 || code != "sensitive_op" || !strings.Contains(msg, "手机") || !strings.Contains(msg, "完整的值") {
		t.Fatalf("contains: %s", r.Raw)
	}
	c.lang = "en"
	r = c.list("线索", "sort", "手机")
	if code, msg := problemOf(t, r); r.Status != 400 || code != "sensitive_op" || !strings.Contains(msg, "whole value") {
		t.Fatalf("sort: %s", r.Raw)
	}
}
