package schema

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Display is a value in storage form as text people read in a message (a notification, an
// alert), formatted as the UI shows it: amounts as ¥67,809.96, numbers with thousands
// separators, percents with %, date-times in loc (nil: time.Local), 富文本 as its text (a line
// per paragraph, as the exporter writes it: no tags in a robot message). Users and links stay
// their ids: naming them needs the users and the records, which the caller has.
func (f *Field) Display(v any, loc *time.Location) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []string:
		return strings.Join(x, "、")
	case []float64:
		parts := make([]string, len(x))
		for i, n := range x {
			parts[i] = FormatDecimal(n)
		}
		return strings.Join(parts, "、")
	case bool:
		if x {
			return "是"
		}
		return "否"
	case float64:
		switch f.Type {
		case Money:
			return FormatMoney(x)
		case Percent:
			return FormatDecimal(x) + "%"
		}
		return FormatDecimal(x)
	case string:
		if f.Type.IsFile() {
			refs, _ := ParseFiles(x)
			names := make([]string, len(refs))
			for i, r := range refs {
				names[i] = r.Name
			}
			return strings.Join(names, "、")
		}
		if f.Type == RichText {
			return TextLines(x)
		}
		if f.Type == DateTime {
			if t, err := time.Parse(time.RFC3339, x); err == nil {
				if loc == nil {
					loc = time.Local
				}
				return t.In(loc).Format("2006-01-02 15:04")
			}
		}
		return x
	}
	return fmt.Sprint(v)
}

// FormatMoney writes an amount in yuan as the UI does: ¥67,809.96, -¥5.00.
func FormatMoney(v float64) string {
	s := strconv.FormatFloat(math.Abs(v), 'f', 2, 64)
	sign := ""
	if v < 0 && s != "0.00" {
		sign = "-"
	}
	return sign + "¥" + group(s)
}

// FormatDecimal writes a number with thousands separators and without trailing zeros, at
// most 10 decimals, as the UI does: 1,234,567.5.
func FormatDecimal(v float64) string {
	s := strconv.FormatFloat(math.Abs(v), 'f', 10, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if v < 0 && s != "0" {
		return "-" + group(s)
	}
	return group(s)
}

// group puts a comma between each three digits of the whole part of an unsigned decimal.
func group(s string) string {
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}
