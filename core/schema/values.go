package schema

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"tierbase/core/divisions"
	"tierbase/platform/problem"
)

// Normalize turns an input value (decoded JSON, or text typed by a person or read from a
// file) into the field's storage form (see the Type constants), or explains what is wrong.
// Chinese conventions are understood: 2026年11月23日, ¥1,234.50, 1.2万, 是/否, +86 138 0013 8000,
// full-width digits. nil and "" become nil. Required and unique are checked by records.
// loc is the zone for date-times written without one (nil means time.Local).
func (f *Field) Normalize(v any, loc *time.Location) (any, *problem.Error) {
	if loc == nil {
		loc = time.Local
	}
	if n, ok := v.(json.Number); ok {
		v = string(n)
		// A JSON number in a date field is an Excel serial day (8-digit 20261123 stays text).
		if x, err := n.Float64(); err == nil && f.Type.IsTime() && x <= maxExcelSerial {
			v = x
		}
	}
	if s, ok := v.(string); ok {
		if f.Type != TextArea {
			if t := trimSpace(s); len(t) != len(s) {
				v = t // re-boxed only when trimming changed it
			}
		}
		if v == "" {
			return nil, nil
		}
	}
	if v == nil {
		return nil, nil
	}
	bad := func(code string) *problem.Error {
		return problem.Invalid(code, "value", shorten(v)).OnField(f.Name)
	}
	switch f.Type {
	case Text, TextArea, AutoNumber:
		s, ok := scalarText(v)
		if !ok {
			return nil, problem.Invalid("bad_type", "expected", "json_text").OnField(f.Name)
		}
		if strings.ContainsRune(s, 0) || !utf8.ValidString(s) {
			return nil, problem.Invalid("bad_type", "expected", "json_text").OnField(f.Name)
		}
		limit := 2000
		if f.Type == TextArea {
			limit = 100000
		}
		if len(s) > limit && utf8.RuneCountInString(s) > limit {
			return nil, problem.Invalid("too_long", "max", limit).OnField(f.Name)
		}
		if f.Format != "" && f.Type != AutoNumber {
			if re := compiled(f.Format); re != nil && !re.MatchString(s) {
				return nil, bad("regex_mismatch")
			}
		}
		return stored(v, s), nil
	case Number, Money, Percent, Rating, Subform:
		n, ok := toNumber(v)
		if !ok {
			return nil, bad("not_number")
		}
		if f.Type == Rating {
			if n != math.Trunc(n) {
				return nil, bad("not_integer")
			}
			max := 5.0
			if f.Max != nil {
				max = *f.Max
			}
			if n < 0 {
				return nil, problem.Invalid("too_small", "min", 0).OnField(f.Name)
			}
			if n > max {
				return nil, problem.Invalid("too_large", "max", max).OnField(f.Name)
			}
			return n, nil
		}
		if f.Min != nil && n < *f.Min {
			return nil, problem.Invalid("too_small", "min", *f.Min).OnField(f.Name)
		}
		if f.Max != nil && n > *f.Max {
			return nil, problem.Invalid("too_large", "max", *f.Max).OnField(f.Name)
		}
		return n, nil
	case Date:
		if s, ok := v.(string); ok {
			if _, _, _, ok := isoDate(s); ok {
				return v, nil // already in storage form
			}
		}
		d, ok := ParseDate(v, loc)
		if !ok {
			return nil, bad("bad_date")
		}
		return d.Format("2006-01-02"), nil
	case DateTime:
		d, ok := ParseDateTime(v, loc)
		if !ok {
			return nil, bad("bad_datetime")
		}
		return d.UTC().Format(time.RFC3339), nil
	case Phone:
		s, ok := scalarText(v)
		p, valid := ParsePhone(s)
		if !ok || !valid {
			return nil, bad("bad_phone")
		}
		return stored(v, p), nil
	case Landline:
		s, ok := scalarText(v)
		p, valid := ParseLandline(s)
		if !ok || !valid {
			return nil, bad("bad_landline")
		}
		return p, nil
	case RichText:
		s, ok := v.(string)
		if !ok || strings.ContainsRune(s, 0) || !utf8.ValidString(s) {
			return nil, problem.Invalid("bad_type", "expected", "json_text").OnField(f.Name)
		}
		if len(s) > 100000 && utf8.RuneCountInString(s) > 100000 {
			return nil, problem.Invalid("too_long", "max", 100000).OnField(f.Name)
		}
		if h := SanitizeHTML(s); h != "" {
			return h, nil
		}
		return nil, nil
	case Address:
		s, ok := v.(string)
		if !ok || strings.ContainsRune(s, 0) || !utf8.ValidString(s) {
			return nil, problem.Invalid("bad_type", "expected", "json_text").OnField(f.Name)
		}
		if utf8.RuneCountInString(s) > 500 {
			return nil, problem.Invalid("too_long", "max", 500).OnField(f.Name)
		}
		a, p := divisions.China.Parse(s)
		if p != nil {
			return nil, p.OnField(f.Name)
		}
		return a, nil
	case File, Image, Signature:
		return f.normalizeFiles(v)
	case Email:
		s, ok := v.(string)
		s = halfWidth(s)
		if !ok || !emailRe.MatchString(s) {
			return nil, bad("bad_email")
		}
		return s, nil
	case URL:
		s, ok := v.(string)
		if ok && !strings.Contains(s, "://") {
			s = "https://" + s
		}
		u, err := url.Parse(s)
		if !ok || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(s, " \t\n") {
			return nil, bad("bad_url")
		}
		return s, nil
	case Select:
		s, ok := scalarText(v)
		if !ok || !f.HasOption(s) {
			return nil, problem.Invalid("bad_option", "value", shorten(v), "options", strings.Join(f.OptionValues(), "、")).OnField(f.Name)
		}
		return stored(v, s), nil
	case MultiSelect, Tags:
		list, ok := toList(v)
		if !ok {
			return nil, problem.Invalid("bad_type", "expected", "json_list").OnField(f.Name)
		}
		for _, s := range list {
			if f.Type == MultiSelect && !f.HasOption(s) {
				return nil, problem.Invalid("bad_option", "value", s, "options", strings.Join(f.OptionValues(), "、")).OnField(f.Name)
			}
		}
		if len(list) == 0 {
			return nil, nil
		}
		return list, nil
	case Checkbox:
		b, ok := ParseBool(v)
		if !ok {
			return nil, bad("bad_bool")
		}
		return b, nil
	case User, Link, Department:
		id, ok := toID(v)
		if !ok {
			return nil, bad(map[Type]string{User: "bad_user", Link: "bad_link", Department: "bad_department"}[f.Type])
		}
		return id, nil
	case Links:
		return toIDs(f, v)
	case Numbers:
		return toNumbers(f, v)
	}
	return nil, problem.Invalid("bad_field_type", "value", f.Type, "types", "").OnField(f.Name)
}

// toID reads a record, user or department id: a positive whole number, or {"id": …}.
func toID(v any) (int64, bool) {
	if m, ok := v.(map[string]any); ok {
		v = m["id"]
	}
	n, ok := toNumber(v)
	if !ok || n != math.Trunc(n) || n <= 0 || n > 1<<53 {
		return 0, false
	}
	return int64(n), true
}

// toNumbers reads a list of numbers (a lookup's through a 多条关联), nil when empty.
func toNumbers(f *Field, v any) (any, *problem.Error) {
	var items []any
	switch x := v.(type) {
	case []float64:
		items = make([]any, len(x))
		for i, n := range x {
			items[i] = n
		}
	case []any:
		items = x
	default:
		return nil, problem.Invalid("bad_type", "expected", "json_list").OnField(f.Name)
	}
	out := make([]float64, 0, len(items))
	for _, it := range items {
		n, ok := toNumber(it)
		if !ok {
			return nil, problem.Invalid("not_number", "value", shorten(it)).OnField(f.Name)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// MaxLinks bounds the records one 多条关联 value links to.
const MaxLinks = 1000

// toIDs reads the value of a 多条关联 field: a list of ids (or of {"id": …}), or text of ids
// separated as toList separates; sorted, without repeats, nil when empty.
func toIDs(f *Field, v any) (any, *problem.Error) {
	var items []any
	switch x := v.(type) {
	case []int64:
		for _, id := range x {
			items = append(items, id)
		}
	case []any:
		items = x
	default:
		list, ok := toList(v)
		if !ok {
			return nil, problem.Invalid("bad_type", "expected", "json_list").OnField(f.Name)
		}
		for _, s := range list {
			items = append(items, s)
		}
	}
	ids := make([]int64, 0, len(items))
	for _, it := range items {
		id, ok := toID(it)
		if !ok {
			return nil, problem.Invalid("bad_link", "value", shorten(it)).OnField(f.Name)
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) > MaxLinks {
		return nil, problem.Invalid("too_many_links", "max", MaxLinks).OnField(f.Name)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return ids, nil
}

// patterns caches the compiled regular expressions of text fields' formats.
var patterns sync.Map // string → *regexp.Regexp (nil if it does not compile)

func compiled(format string) *regexp.Regexp {
	if re, ok := patterns.Load(format); ok {
		return re.(*regexp.Regexp)
	}
	re, _ := regexp.Compile(format)
	patterns.Store(format, re)
	return re
}

func shorten(v any) string {
	s := fmt.Sprint(v)
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

// stored is s, the storage form of v: v itself when it is that string already, so that a
// string is not boxed a second time (an import normalizes millions of cells).
func stored(v any, s string) any {
	if vs, ok := v.(string); ok && vs == s {
		return v
	}
	return s
}

func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case int:
		return strconv.Itoa(x), true
	case bool:
		if x {
			return "是", true
		}
		return "否", true
	case json.Number:
		return string(x), true
	}
	return "", false
}

var emailRe = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// halfWidth turns full-width ASCII (１２３，ＡＢＣ) and the ideographic space into plain ASCII.
func halfWidth(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r >= 0xFF01 && r <= 0xFF5E || r == 0x3000 }) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			return r - 0xFEE0
		case r == 0x3000:
			return ' '
		}
		return r
	}, s)
}

// toNumber understands numbers and text such as "1,234.5", "¥1,234.50", "1234.5元", "1.2万",
// "(500)" (negative), "12%" (12).
func toNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case string:
		return ParseNumber(x)
	case json.Number:
		return ParseNumber(string(x))
	}
	return 0, false
}

// trimSpace is strings.TrimSpace, quick for the common value whose first and last bytes
// cannot belong to a space (strings.TrimSpace decodes a rune at each end of text that starts
// or ends with, say, a Chinese character). Unicode's spaces beyond ASCII start with byte
// 0xC2, 0xE1, 0xE2 or 0xE3 and end with 0x80–0x8A, 0x9F, 0xA0, 0xA8, 0xA9 or 0xAF.
func trimSpace(s string) string {
	if s == "" {
		return s
	}
	first, last := s[0], s[len(s)-1]
	switch {
	case asciiSpace(first), first == 0xC2, first >= 0xE1 && first <= 0xE3:
	case asciiSpace(last), last >= 0x80 && last <= 0x8A,
		last == 0x9F, last == 0xA0, last == 0xA8, last == 0xA9, last == 0xAF:
	default:
		return s
	}
	return strings.TrimSpace(s)
}

func asciiSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\v' || b == '\f' || b == '\r'
}

// amountNoise is what people write around amounts and ParseNumber ignores.
var amountNoise = strings.NewReplacer("¥", "", "￥", "", "$", "", ",", "", " ", "", "元", "", "RMB", "", "CNY", "", "%", "")

// ParseNumber reads a number written the way people write amounts in China.
func ParseNumber(s string) (float64, bool) {
	if n, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(n) && !math.IsInf(n, 0) && plainNumber(s) {
		return n, true // the common case, without allocations
	}
	s = strings.TrimSpace(halfWidth(s))
	neg := false
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		neg, s = true, s[1:len(s)-1]
	}
	s = amountNoise.Replace(s)
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "万"):
		mult, s = 1e4, strings.TrimSuffix(s, "万")
	case strings.HasSuffix(s, "亿"):
		mult, s = 1e8, strings.TrimSuffix(s, "亿")
	}
	if strings.HasPrefix(s, "-") && neg {
		return 0, false
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
		return 0, false
	}
	n *= mult
	if math.IsInf(n, 0) {
		return 0, false
	}
	if neg {
		n = -n
	}
	// Round away float noise from the multiplication (1.2万 → 12000, not 12000.000000000002).
	if mult != 1 && math.Abs(n) < 1e15 {
		n = math.Round(n*1e6) / 1e6
	}
	return n, true
}

// ParseBool reads 是/否, Y/N, yes/no, true/false, 1/0, √/×, ✓/✗, 对/错.
func ParseBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case float64:
		return x != 0, x == 0 || x == 1
	case string:
		switch strings.ToLower(strings.TrimSpace(halfWidth(x))) {
		case "是", "y", "yes", "true", "1", "√", "✓", "✔", "对", "有":
			return true, true
		case "否", "n", "no", "false", "0", "×", "✗", "✘", "错", "无":
			return false, true
		}
	}
	return false, false
}

// isMobile reports whether d is a mainland mobile number: 11 digits, 1 then 3–9 first.
func isMobile(d string) bool {
	if len(d) != 11 || d[0] != '1' || d[1] < '3' || d[1] > '9' {
		return false
	}
	for i := 2; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return true
}

// ParsePhone reads a mainland mobile number: "+86 138 0013 8000", "138-0013-8000",
// "0086 13800138000", full-width digits. It returns the 11 digits.
func ParsePhone(s string) (string, bool) {
	if isMobile(s) {
		return s, true // the common case
	}
	s = halfWidth(s)
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		case r == '+' && i == 0:
		default:
			return "", false
		}
	}
	d := b.String()
	switch {
	case len(d) == 13 && strings.HasPrefix(d, "86"):
		d = d[2:]
	case len(d) == 15 && strings.HasPrefix(d, "0086"):
		d = d[4:]
	}
	return d, isMobile(d)
}

// isISODate reports whether s is written exactly as dates are stored: 2006-01-02.
func isISODate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i := 0; i < 10; i++ {
		if i != 4 && i != 7 && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}

// isoDate reads s when it is written as dates are stored (2006-01-02) and names a day of the
// calendar in the years 1000 to 9999; without time.Parse, which takes most of an import's
// time for dates.
func isoDate(s string) (y, m, d int, ok bool) {
	if !isISODate(s) {
		return 0, 0, 0, false
	}
	digit := func(i int) int { return int(s[i] - '0') }
	y = digit(0)*1000 + digit(1)*100 + digit(2)*10 + digit(3)
	m, d = digit(5)*10+digit(6), digit(8)*10+digit(9)
	days := 31
	switch m {
	case 4, 6, 9, 11:
		days = 30
	case 2:
		days = 28
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			days = 29
		}
	}
	if y < 1000 || m < 1 || m > 12 || d < 1 || d > days {
		return 0, 0, 0, false
	}
	return y, m, d, true
}

// plainNumber reports whether s is made of digits, one optional leading minus and dots only
// (so strconv's extras — hex, exponents, underscores, "inf" — take the slow, strict path).
func plainNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == '-' && i == 0) {
			return false
		}
	}
	return true
}

var dateRe = regexp.MustCompile(`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$`)

// ParseDate reads a date: 2026-11-23, 2026/11/23, 2026.11.23, 2026年11月23日, 20261123,
// a date-time (its day in loc), or an Excel serial day number.
func ParseDate(v any, loc *time.Location) (time.Time, bool) {
	if loc == nil {
		loc = time.Local
	}
	if n, ok := v.(float64); ok {
		t, ok := excelSerial(n)
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), ok
	}
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	if y, m, d, ok := isoDate(s); ok { // the common case
		return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), true
	}
	s = strings.TrimSpace(halfWidth(s))
	if m := dateRe.FindStringSubmatch(s); m != nil {
		return ymd(m[1], m[2], m[3])
	}
	if len(s) == 8 && strings.Trim(s, "0123456789") == "" {
		return ymd(s[:4], s[4:6], s[6:])
	}
	if t, ok := ParseDateTime(s, loc); ok {
		t = t.In(loc)
		d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		return d, inRange(d)
	}
	return time.Time{}, false
}

func ymd(y, m, d string) (time.Time, bool) {
	yi, _ := strconv.Atoi(y)
	mi, _ := strconv.Atoi(m)
	di, _ := strconv.Atoi(d)
	t := time.Date(yi, time.Month(mi), di, 0, 0, 0, 0, time.UTC)
	if yi < 1000 || t.Month() != time.Month(mi) || t.Day() != di {
		return time.Time{}, false
	}
	return t, true
}

// maxExcelSerial is Excel's last day, 9999-12-31.
const maxExcelSerial = 2958465

// excelSerial converts an Excel day number (1 = 1900-01-01, with Excel's 1900 leap-year bug:
// its day 60 is 1900-02-29, which never existed).
func excelSerial(n float64) (time.Time, bool) {
	if !(n >= 1 && n <= maxExcelSerial) || math.Floor(n) == 60 {
		return time.Time{}, false
	}
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	if n < 60 {
		base = base.AddDate(0, 0, 1)
	}
	days := math.Floor(n)
	t := base.AddDate(0, 0, int(days))
	t = t.Add(time.Duration(math.Round((n-days)*86400)) * time.Second)
	return t, true
}

// inRange reports whether t's year (in UTC) has four digits, as stored dates need.
func inRange(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 1000 && y <= 9999
}

var dateTimeRe = regexp.MustCompile(`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?[\sT]+(\d{1,2})[:时](\d{1,2})(?:分|[:分](\d{1,2})秒?)?$`)

// isoDateTime reads "2026-11-23 14:30:05", the form exports and XLSX date-time cells give,
// without the regular expression (a million-row import reads millions of them); it reports
// false for any other text, which ParseDateTime then reads as before.
func isoDateTime(s string, loc *time.Location) (time.Time, bool) {
	if len(s) != 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	n := func(i, j int) int {
		v := 0
		for ; i < j; i++ {
			if s[i] < '0' || s[i] > '9' {
				return -1
			}
			v = v*10 + int(s[i]-'0')
		}
		return v
	}
	y, mo, d, h, mi, sec := n(0, 4), n(5, 7), n(8, 10), n(11, 13), n(14, 16), n(17, 19)
	if y < 1000 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	if day := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC); day.Day() != d {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, 0, loc), true
}

// ParseDateTime reads a date-time: RFC 3339, "2026-11-23 14:30[:05]", "2026年11月23日 14:30",
// a plain date (midnight), or an Excel serial number. Without a zone, loc applies.
func ParseDateTime(v any, loc *time.Location) (time.Time, bool) {
	if loc == nil {
		loc = time.Local
	}
	if n, ok := v.(float64); ok {
		t, ok := excelSerial(n)
		t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, loc)
		return t, ok && inRange(t)
	}
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	s = strings.TrimSpace(halfWidth(s))
	if t, ok := isoDateTime(s, loc); ok {
		return t, inRange(t)
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, inRange(t)
	}
	if m := dateTimeRe.FindStringSubmatch(s); m != nil {
		d, ok := ymd(m[1], m[2], m[3])
		h, _ := strconv.Atoi(m[4])
		mi, _ := strconv.Atoi(m[5])
		sec, _ := strconv.Atoi(m[6])
		if !ok || h > 23 || mi > 59 || sec > 59 {
			return time.Time{}, false
		}
		t := time.Date(d.Year(), d.Month(), d.Day(), h, mi, sec, 0, loc)
		return t, inRange(t)
	}
	if m := dateRe.FindStringSubmatch(s); m != nil {
		d, ok := ymd(m[1], m[2], m[3])
		t := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
		return t, ok && inRange(t)
	}
	return time.Time{}, false
}

// toList reads a list of strings: a JSON array, or text separated by , ， ; ； 、 or newlines.
func toList(v any) ([]string, bool) {
	var raw []string
	switch x := v.(type) {
	case []string:
		raw = x
	case []any:
		for _, e := range x {
			s, ok := scalarText(e)
			if !ok {
				return nil, false
			}
			raw = append(raw, s)
		}
	case string:
		return SplitList(x), true
	default:
		return nil, false
	}
	return cleanList(raw), true
}

// SplitList splits text listing several values — separated by , ， ; ； 、 or new lines —
// into them, trimmed, without empty ones and repeats.
func SplitList(s string) []string {
	return cleanList(strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == '，' || r == ';' || r == '；' || r == '、' || r == '\n'
	}))
}

func cleanList(raw []string) []string {
	out := make([]string, 0, len(raw))
	seen := map[string]bool{}
	for _, s := range raw {
		s = strings.TrimSpace(s)
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
