package formula_test

import (
	"testing"
	"unicode/utf8"

	"tierbase/core/formula"
	"tierbase/platform/problem"
)

// FuzzCompile: whatever a person types as a formula field, Compile answers a problem or a
// formula, never panics; an unknown name is reported at a character inside the formula, and
// a compiled formula evaluates to a value or a problem.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{"累计消费金额 * 1.13", "IF(购买频率 > 5, \"常客\", \"\")", "{客户-等级} + 无此字段", "ROUNDUP(1)",
		"DATEDIF(最近消费日, TODAY(), \"D\")", "{", "\"{x}\" + {y", "= = 1", "1 +", "求和(1)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		fo, err := formula.Compile(src, table)
		if err != nil {
			p := problem.As(err)
			if p == nil {
				t.Fatalf("%q: not a problem: %v", src, err)
			}
			if pos, ok := p.Params["pos"]; ok {
				if n := pos.(int); n < 1 || n > utf8.RuneCountInString(src) {
					t.Fatalf("%q: position %d outside the formula", src, n)
				}
			}
			return
		}
		if _, err := fo.Eval(map[string]any{"f1": 1.5, "f3": "x"}, env); err != nil && problem.As(err) == nil {
			t.Fatalf("%q: %v", src, err)
		}
	})
}
