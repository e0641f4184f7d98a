package schema

import (
	"testing"
	"time"
)

// Values in messages read as the UI shows them: ¥67,809.96, 1,234,567.5, 12.5%.
func TestDisplay(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	cases := []struct {
		typ  Type
		v    any
		want string
	}{
		{Money, 67809.96, "¥67,809.96"},
		{Money, 1234567.0, "¥1,234,567.00"},
		{Money, 999.5, "¥999.50"},
		{Money, -5.0, "-¥5.00"},
		{Money, 0.0, "¥0.00"},
		{Number, 1234567.5, "1,234,567.5"},
		{Number, 12.0, "12"},
		{Number, 100.0, "100"},
		{Number, -1000.25, "-1,000.25"},
		{Percent, 12.5, "12.5%"},
		{Checkbox, true, "是"},
		{Tags, []string{"a", "b"}, "a、b"},
		{DateTime, "2026-11-23T06:30:00Z", "2026-11-23 14:30"},
		{Date, "2026-11-23", "2026-11-23"},
		{Text, nil, ""},
		{Numbers, []float64{1234.5, 3}, "1,234.5、3"},
		{RichText, "<p>您好，<strong>王总</strong></p><ul><li>报价 &amp; 合同</li></ul>", "您好，王总\n报价 & 合同"},
	}
	for _, c := range cases {
		f := &Field{Type: c.typ}
		if got := f.Display(c.v, shanghai); got != c.want {
			t.Errorf("%s %v: got %q, want %q", c.typ, c.v, got, c.want)
		}
	}
}
