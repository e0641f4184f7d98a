package formula_test

import (
	"strings"
	"testing"
	"time"

	"tierbase/core/formula"
	"tierbase/core/schema"
	"tierbase/platform/problem"
)

var table = func() *schema.Table {
	t := &schema.Table{ID: "tbl1", Name: "客户", Fields: []*schema.Field{
		{ID: "f1", Name: "累计消费金额", Type: schema.Money},
		{ID: "f2", Name: "最近消费日", Type: schema.Date},
		{ID: "f3", Name: "客户名称", Type: schema.Text},
		{ID: "f4", Name: "购买频率", Type: schema.Number},
		{ID: "f5", Name: "客户-等级", Type: schema.Select},
	}}
	return t
}()

var env = formula.Env{Now: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), Loc: time.FixedZone("CST", 8*3600)}

func TestEval(t *testing.T) {
	rec := map[string]any{"f1": 12000.5, "f2": "2026-10-01", "f3": "华为", "f4": 6.0, "f5": "高价值客户"}
	cases := []struct {
		src  string
		want any
	}{
		{`IF(累计消费金额 > 10000, "VIP", "普通")`, "VIP"},
		{`=if(AND(购买频率 > 5, 累计消费金额 > 10000), 1, 0)`, 1.0},
		{`OR(购买频率 > 10, 累计消费金额 < 0)`, false},
		{`SUM(累计消费金额, 购买频率, 1)`, 12007.5},
		{`ROUND(累计消费金额 / 3, 2)`, 4000.17},
		{`DATEDIF(最近消费日, TODAY(), "D")`, 53.0},
		{`DATEDIF("2025-11-24", TODAY(), "Y")`, 0.0},
		{`DATEDIF("2024-11-23", TODAY(), "M")`, 24.0},
		{`DATEDIF("2026-11-23T07:15:30Z", NOW(), "H")`, 2.0},
		{`DATEDIF("2026-11-23T09:58:31Z", NOW(), "min")`, 1.0},
		{`TODAY()`, "2026-11-23"},
		{`DATEADD(NOW(), 24, "hour")`, "2026-11-24T10:00:00Z"},
		{`DATEADD(最近消费日, 1, "月")`, "2026-11-01"},
		{`CONCAT(客户名称, "-", {客户-等级})`, "华为-高价值客户"},
		{`LEN(客户名称) + MAX(1, 2) * 2`, 6.0},
		{`购买频率 > 5 ? "常客" : "新客"`, "常客"},
		{`IF(客户名称 = "华为", 1, 2)`, 1.0},
		{`IF(客户名称 <> "华为", 1, 2)`, 2.0},
		{`购买频率 >= 6 && 购买频率 <= 6 && 购买频率 == 6 && 购买频率 != 5`, true},
		{`IF(客户名称 = "a=b", 1, 2)`, 2.0},
		{`"a{b}c"`, "a{b}c"},
	}
	for _, c := range cases {
		f, err := formula.Compile(c.src, table)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		got, err := f.Eval(rec, env)
		if err != nil || got != c.want {
			t.Errorf("%s = %#v (%v), want %#v", c.src, got, err, c.want)
		}
	}
	// Empty numbers count as 0, as in a spreadsheet.
	f, _ := formula.Compile("累计消费金额 + 1", table)
	if got, err := f.Eval(map[string]any{}, env); got != 1.0 || err != nil {
		t.Errorf("empty + 1 = %v %v", got, err)
	}
}

func TestBadFormulas(t *testing.T) {
	cases := map[string]string{
		"":                              "bad_formula",
		"1 +":                           "bad_formula",
		"不存在的字段 + 1":                    "formula_unknown_field",
		"EXEC(1)":                       "unknown_function",
		"len(客户名称)":                     "",
		"1..1000000000":                 "bad_formula",
		"客户名称.Length":                   "bad_formula",
		"[1,2,3]":                       "bad_formula",
		"{a":                            "bad_formula",
		`map([1,2], # * 2)`:             "bad_formula",
		"let x = 1; x":                  "bad_formula",
		strings.Repeat("1+", 600) + "1": "bad_formula",
	}
	for src, code := range cases {
		_, err := formula.Compile(src, table)
		if code == "" {
			if err != nil {
				t.Errorf("%q: %v", src, err)
			}
			continue
		}
		p := problem.As(err)
		if p == nil || p.Code != code || p.Path != "formula" {
			t.Errorf("%q: got %v, want %s", src, err, code)
		}
	}
	// Unknown names are named with the character they start at, braced or not.
	for src, want := range map[string]string{
		"累计消费金额 + {无此 字段}":   "第 10 个字符处：表「客户」没有字段「无此 字段」",
		`IF(TRUE, 1, 求和(2))`: "第 13 个字符处：没有函数「求和」",
		"= 1 + 无此字段":         "第 5 个字符处：表「客户」没有字段「无此字段」",
	} {
		_, err := formula.Compile(src, table)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %s", src, err, want)
		}
	}
	// Errors at run time are problems too, never panics.
	for _, src := range []string{`DATEDIF("x", TODAY())`, `DATEADD(TODAY(), 1, "fortnight")`, `ROUND("abc")`, `IF()`} {
		f, err := formula.Compile(src, table)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if _, err := f.Eval(nil, env); problem.As(err) == nil {
			t.Errorf("%s: %v", src, err)
		}
	}
}

func FuzzFormula(f *testing.F) {
	for _, s := range []string{`IF(累计消费金额 > 10000, "VIP", "普通")`, `DATEADD(NOW(), 24, "hour")`, `{客户-等级} + "x"`,
		`ROUND(1/3, 2)`, `1..3`, `"\"{"`, `(1+2)*3 ?? 4`} {
		f.Add(s)
	}
	rec := map[string]any{"f1": 1.5, "f2": "2026-01-31", "f3": "x", "f4": 2.0, "f5": "a"}
	f.Fuzz(func(t *testing.T, src string) {
		fm, err := formula.Compile(src, table)
		if err != nil {
			if problem.As(err) == nil {
				t.Fatalf("%q: error is not a problem: %v", src, err)
			}
			return
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			if _, err := fm.Eval(rec, env); err != nil && problem.As(err) == nil {
				t.Errorf("%q: run error is not a problem: %v", src, err)
			}
		}()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			t.Fatalf("%q: evaluation took too long", src)
		}
	})
}
