package store

import (
	"encoding/json"
	"math"
	"testing"
)

// FuzzAppendString checks the hand-written JSON string encoder against encoding/json.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "客户", `a"b\c`, "<script>&", "\x00\x1f\n\r\t", "\u2028\u2029", "\xff\xfe", "😀", "\xe0\x80\x80", "\xed\xa0\x80", "客\xe5\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := AppendJSONString(nil, s)
		want, _ := json.Marshal(s)
		if string(got) != string(want) {
			t.Fatalf("AppendJSONString(%q) = %s, encoding/json gives %s", s, got, want)
		}
	})
}

// FuzzAppendFloat checks that numbers read back to the same value, written as encoding/json
// writes them.
func FuzzAppendFloat(f *testing.F) {
	for _, x := range []float64{0, 1, -1.5, 12000, 1234.5, 1e21, 1e-7, -2.5e-9, 1e-300, 0.1, math.MaxFloat64} {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return
		}
		var back float64
		if err := json.Unmarshal(AppendJSON(nil, x), &back); err != nil || back != x {
			t.Fatalf("AppendJSON(%v) = %s, reads back as %v (%v)", x, AppendJSON(nil, x), back, err)
		}
		if want, _ := json.Marshal(x); string(AppendJSON(nil, x)) != string(want) {
			t.Fatalf("AppendJSON(%v) = %s, encoding/json gives %s", x, AppendJSON(nil, x), want)
		}
	})
}
