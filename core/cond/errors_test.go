package cond

import (
	"fmt"
	"strings"
	"testing"

	"tierbase/platform/problem"
)

func TestParseErrors(t *testing.T) {
	cases := []struct{ input, path string }{
		{`{"and":[`, ""},
		{`[]`, ""},
		{`"x"`, ""},
		{`{"and":{}}`, "and"},
		{`{"and":[null]}`, "and[0]"},
		{`{"and":[{"field":"name","op":"eq","value":1,"x":1}]}`, "and[0].x"},
		{`{"and":[{"field":"name","op":"eq","value":1},{"field":"name","op":"like","value":"a"}]}`, "and[1].op"},
		{`{"or":[{"field":"name"}]}`, "or[0].op"},
		{`{"op":"eq","value":1}`, "field"},
		{`{"field":""}`, "field"},
		{`{"and":[{"value":null}]}`, "and[0].field"},
		{`{"field":3,"op":"eq"}`, "field"},
		{`{"And":[]}`, "And"},
		{`{"and":[],"or":[]}`, ""},
		{`{"and":[],"field":"name","op":"empty"}`, ""},
		{`{"not":[]}`, "not"},
		{`{"field":"name","op":"eq","value":{"a":1}}`, "value"},
		{`{"field":"name","op":"in","value":["a",["b"]]}`, "value[1]"},
		{`{"field":"name","op":"eq","value":"a\u0000b"}`, "value"},
		{deep(MaxDepth + 1), strings.TrimSuffix(strings.Repeat("not.", MaxDepth), ".")},
		{wide(MaxSize), fmt.Sprintf("and[%d]", MaxSize-1)},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.input))
		p := problem.As(err)
		if p == nil || p.Status != 400 || p.Code != "bad_condition" || p.Path != c.path {
			t.Errorf("Parse(%.60s) = %#v, want bad_condition at %q", c.input, p, c.path)
		}
	}
	if _, err := Parse([]byte(deep(MaxDepth))); err != nil {
		t.Errorf("Parse of a tree %d deep: %v", MaxDepth, err)
	}
	long := `{"field":"name","op":"eq","value":"` + strings.Repeat("x", MaxValueLen+1) + `"}`
	if p := problem.As(must(Parse([]byte(long)))); p == nil || p.Code != "too_long" || p.Path != "value" {
		t.Errorf("Parse of a long value = %#v, want too_long at value", p)
	}
	for _, empty := range []string{"", " \n", "null"} {
		if n, err := Parse([]byte(empty)); err != nil || Describe(n, testTable(), "en") != "all records" {
			t.Errorf("Parse(%q) = %v, %v; want match all", empty, n, err)
		}
	}
}

// deep is a condition nested depth levels: depth-1 nots around a leaf.
func deep(depth int) string {
	return strings.Repeat(`{"not":`, depth-1) + `{"field":"name","op":"empty"}` + strings.Repeat("}", depth-1)
}

// wide is an and of n leaves: n+1 nodes.
func wide(n int) string {
	return `{"and":[` + strings.TrimSuffix(strings.Repeat(`{"field":"name","op":"empty"},`, n), ",") + `]}`
}

func must(_ *Node, err error) error { return err }

func TestCheckErrors(t *testing.T) {
	cases := []struct{ input, code, path string }{
		{`{"and":[{"field":"nope","op":"eq","value":1}]}`, "unknown_field", "and[0].field"},
		{`{"and":[{"field":"name","op":"empty"},{"or":[{"field":"name","op":"empty"},{"field":"累计消费金额","op":"contains","value":1}]}]}`, "bad_operator", "and[1].or[1].op"},
		{`{"field":"vip","op":"gt","value":true}`, "bad_operator", "op"},
		{`{"field":"tags","op":"eq","value":"a"}`, "bad_operator", "op"},
		{`{"field":"last","op":"in","value":["2026-11-23"]}`, "bad_operator", "op"},
		{`{"field":"amount","op":"eq","value":"abc"}`, "not_number", "value"},
		{`{"field":"amount","op":"eq","value":true}`, "not_number", "value"},
		{`{"field":"amount","op":"eq"}`, "cond_need_value", "value"},
		{`{"field":"amount","op":"eq","value":[1]}`, "cond_one_value", "value"},
		{`{"field":"name","op":"contains","value":["a"]}`, "cond_one_value", "value"},
		{`{"field":"name","op":"eq","value":true}`, "cond_need_text", "value"},
		{`{"field":"tags","op":"contains","value":[]}`, "cond_need_value", "value"},
		{`{"field":"last","op":"eq","value":"2026-13-01"}`, "bad_date", "value"},
		{`{"field":"last","op":"eq","value":"2026-11-23T10:00:00Z"}`, "bad_date", "value"},
		{`{"field":"visit","op":"before","value":"yesterday"}`, "bad_datetime", "value"},
		{`{"field":"level","op":"eq","value":"VIP"}`, "bad_option", "value"},
		{`{"not":{"field":"level","op":"in","value":["普通客户","VIP"]}}`, "bad_option", "not.value[1]"},
		{`{"field":"hobby","op":"contains","value":"游泳"}`, "bad_option", "value"},
		{`{"field":"level","op":"in","value":"普通客户"}`, "cond_need_list", "value"},
		{`{"field":"amount","op":"between","value":[1,2,3]}`, "cond_need_range", "value"},
		{`{"field":"amount","op":"between","value":[1,"x"]}`, "not_number", "value[1]"},
		{`{"field":"last","op":"withinLastDays","value":-1}`, "cond_need_days", "value"},
		{`{"field":"last","op":"withinLastDays","value":1.5}`, "cond_need_days", "value"},
		{`{"field":"last","op":"olderThanDays","value":"x"}`, "cond_need_days", "value"},
		{`{"field":"vip","op":"eq","value":"yes"}`, "bad_bool", "value"},
		{`{"field":"rep","op":"eq","value":"bob"}`, "not_integer", "value"},
		{`{"field":"rep","op":"eq","value":1.5}`, "not_integer", "value"},
		{`{"field":"company","op":"eq","value":"$me"}`, "not_integer", "value"},
		{`{"field":"company","op":"eq","value":"$myDepartments"}`, "not_integer", "value"},
		{`{"field":"company","op":"in","value":["$mySubDepartments"]}`, "not_integer", "value[0]"},
	}
	tbl := testTable()
	for _, c := range cases {
		n, err := Parse([]byte(c.input))
		if err != nil {
			t.Errorf("Parse(%s): %v", c.input, err)
			continue
		}
		p := problem.As(Check(n, tbl))
		if p == nil || p.Status != 400 || p.Code != c.code || p.Path != c.path {
			t.Errorf("Check(%s) = %#v, want %s at %q", c.input, p, c.code, c.path)
			continue
		}
		if _, _, err := Compile(n, tbl, testEnv); problem.As(err) == nil {
			t.Errorf("Compile(%s) = %v, want the same error as Check", c.input, err)
		}
		for _, lang := range []string{"zh", "en"} {
			if msg := p.Message(lang); strings.Contains(msg, "{") || strings.Contains(msg, c.code) {
				t.Errorf("message of %s in %s is not filled in: %s", c.code, lang, msg)
			}
		}
	}
}

func TestCheckGoBuiltShape(t *testing.T) {
	tbl := testTable()
	for _, n := range []*Node{
		{And: []*Node{nil}},
		{And: []*Node{{Field: "name", Op: "empty"}}, Field: "name"},
		{Field: "name", Op: "sounds like", Value: "x"},
		{Field: "name", Op: "eq", Value: []int{1}},
		{Field: "name", Op: "eq", Value: "a\x00"},
		{Field: "name", Op: "eq", Value: "\xff"},
	} {
		if p := problem.As(Check(n, tbl)); p == nil || p.Code != "bad_condition" {
			t.Errorf("Check(%+v) = %v, want bad_condition", n, p)
		}
	}
}
