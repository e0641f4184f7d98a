package reports

import (
	"math"
	"testing"
)

func TestFormula(t *testing.T) {
	x, y, zero := 6.0, 4.0, 0.0
	vals := map[string]*float64{"赢单数": &x, "商机数": &y, "零": &zero, "空": nil}
	cases := map[string]any{
		"赢单数 / 商机数":           1.5,
		"赢单数 ÷ 商机数 × 100":     150.0,
		"(赢单数 − 商机数) * 2 + 1": 5.0,
		"-赢单数 + -(-2)":        -4.0,
		"赢单数 - 商机数 - 1":       1.0,
		"赢单数（）":               "error",
		"（赢单数 + 商机数）/ 2":      5.0,
		"赢单数 / 零":             nil,
		"空 + 1":               nil,
		"1e308 * 1e308":       nil,
		"赢单数 +":               "error",
		"(赢单数":                "error",
		"":                    "error",
		"* 2":                 "error",
		"赢单数 商机数":             "error",
	}
	for src, want := range cases {
		f, err := parseFormula(src)
		if want == "error" {
			if err == nil {
				t.Errorf("%q parsed", src)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", src, err)
			continue
		}
		got := f.eval(vals)
		switch w := want.(type) {
		case nil:
			if got != nil {
				t.Errorf("%q = %v, want none", src, *got)
			}
		case float64:
			if got == nil || math.Abs(*got-w) > 1e-12 {
				t.Errorf("%q = %v, want %v", src, got, w)
			}
		}
	}
}

// FuzzFormula: any text parses or fails cleanly, and a parsed formula evaluates to a finite
// number or nothing.
func FuzzFormula(f *testing.F) {
	for _, s := range []string{"a / b", "(a - b) × 100 ÷ c", "-(-a)", "1e308*1e308", "((((a))))", "a/0", "（a）"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseFormula(s)
		if err != nil {
			return
		}
		one := 1.0
		vals := map[string]*float64{}
		p.names(func(n string) { vals[n] = &one })
		if v := p.eval(vals); v != nil && (math.IsInf(*v, 0) || math.IsNaN(*v)) {
			t.Fatalf("%q = %v", s, *v)
		}
	})
}
