package formula

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// fn is a formula function; the clock-bound ones read Env.
type fn func(env Env, args []any) (any, error)

type function struct{ call fn }

// bind makes the function callable by expr, with the clock of env.
func (f function) bind(env Env) func(args ...any) (any, error) {
	return func(args ...any) (any, error) { return f.call(env, args) }
}

// functions are the only functions a formula can call (names are case-insensitive).
var functions = map[string]function{
	"IF": {func(_ Env, a []any) (any, error) {
		if err := arity("IF", a, 2, 3); err != nil {
			return nil, err
		}
		if truthy(a[0]) {
			return a[1], nil
		}
		if len(a) == 3 {
			return a[2], nil
		}
		return false, nil
	}},
	"AND": {func(_ Env, a []any) (any, error) {
		for _, x := range a {
			if !truthy(x) {
				return false, nil
			}
		}
		return true, nil
	}},
	"OR": {func(_ Env, a []any) (any, error) {
		return slices.ContainsFunc(a, truthy), nil
	}},
	"NOT": {func(_ Env, a []any) (any, error) {
		if err := arity("NOT", a, 1, 1); err != nil {
			return nil, err
		}
		return !truthy(a[0]), nil
	}},
	"SUM": {numbers("SUM", func(xs []float64) float64 {
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return s
	})},
	"AVERAGE": {numbers("AVERAGE", func(xs []float64) float64 {
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return s / float64(max(len(xs), 1))
	})},
	"MAX": {numbers("MAX", func(xs []float64) float64 { return slices.Max(append(xs, math.Inf(-1))) })},
	"MIN": {numbers("MIN", func(xs []float64) float64 { return slices.Min(append(xs, math.Inf(1))) })},
	"ABS": {func(_ Env, a []any) (any, error) {
		x, err := one("ABS", a)
		return math.Abs(x), err
	}},
	"INT": {func(_ Env, a []any) (any, error) {
		x, err := one("INT", a)
		return math.Floor(x), err
	}},
	"ROUND": {func(_ Env, a []any) (any, error) {
		if err := arity("ROUND", a, 1, 2); err != nil {
			return nil, err
		}
		x, err := number(a[0])
		if err != nil {
			return nil, err
		}
		digits := 0.0
		if len(a) == 2 {
			if digits, err = number(a[1]); err != nil {
				return nil, err
			}
		}
		p := math.Pow(10, math.Max(-15, math.Min(15, math.Trunc(digits))))
		return math.Round(x*p) / p, nil
	}},
	"CONCAT": {func(_ Env, a []any) (any, error) {
		var b strings.Builder
		for _, x := range a {
			b.WriteString(text(x))
		}
		return b.String(), nil
	}},
	"LEN": {func(_ Env, a []any) (any, error) {
		if err := arity("LEN", a, 1, 1); err != nil {
			return nil, err
		}
		return float64(utf8.RuneCountInString(text(a[0]))), nil
	}},
	"TODAY": {func(env Env, a []any) (any, error) {
		if err := arity("TODAY", a, 0, 0); err != nil {
			return nil, err
		}
		return env.Now.In(env.loc()).Format(time.DateOnly), nil
	}},
	"NOW": {func(env Env, a []any) (any, error) {
		if err := arity("NOW", a, 0, 0); err != nil {
			return nil, err
		}
		return env.Now.UTC().Format(time.RFC3339), nil
	}},
	"YEAR":  {datePart("YEAR", func(t time.Time) int { return t.Year() })},
	"MONTH": {datePart("MONTH", func(t time.Time) int { return int(t.Month()) })},
	"DAY":   {datePart("DAY", func(t time.Time) int { return t.Day() })},
	// DATEDIF(start, end, unit): whole years "Y", months "M" or days "D" from start to end.
	"DATEDIF": {func(env Env, a []any) (any, error) {
		if err := arity("DATEDIF", a, 2, 3); err != nil {
			return nil, err
		}
		from, err := date(a[0], env)
		if err != nil {
			return nil, err
		}
		to, err := date(a[1], env)
		if err != nil {
			return nil, err
		}
		unit := "D"
		if len(a) == 3 {
			unit = strings.ToUpper(text(a[2]))
		}
		months := (to.Year()-from.Year())*12 + int(to.Month()-from.Month())
		if to.Day() < from.Day() {
			months--
		}
		switch unit {
		case "D":
			y1, m1, d1 := from.Date()
			y2, m2, d2 := to.Date()
			days := time.Date(y2, m2, d2, 0, 0, 0, 0, time.UTC).Sub(time.Date(y1, m1, d1, 0, 0, 0, 0, time.UTC)).Hours() / 24
			return math.Round(days), nil
		case "M":
			return float64(months), nil
		case "Y":
			return float64(months / 12), nil
		case "H": // whole hours between two date-times (a ticket's time to resolve)
			return math.Floor(to.Sub(from).Hours()), nil
		case "MIN": // whole minutes (a ticket's first response)
			return math.Floor(to.Sub(from).Minutes()), nil
		}
		return nil, fmt.Errorf(`DATEDIF: unit %q is not one of "Y", "M", "D", "H", "MIN"`, unit)
	}},
	// DATEADD(date, n, unit): the date or date-time n units later ("year", "month", "day",
	// "hour", "minute"; 年 月 日 小时 分钟 too). A date stays a date for whole-day units.
	"DATEADD": {func(env Env, a []any) (any, error) {
		if err := arity("DATEADD", a, 2, 3); err != nil {
			return nil, err
		}
		t, err := date(a[0], env)
		if err != nil {
			return nil, err
		}
		n, err := number(a[1])
		if err != nil {
			return nil, err
		}
		if math.Abs(n) > 1e6 {
			return nil, errors.New("DATEADD: too far")
		}
		unit := "day"
		if len(a) == 3 {
			unit = strings.ToLower(text(a[2]))
		}
		isDate := len(text(a[0])) == len(time.DateOnly)
		switch unit {
		case "year", "years", "y", "年":
			t = t.AddDate(int(n), 0, 0)
		case "month", "months", "m", "月":
			t = t.AddDate(0, int(n), 0)
		case "day", "days", "d", "日", "天":
			t = t.AddDate(0, 0, int(n))
		case "hour", "hours", "h", "小时":
			t, isDate = t.Add(time.Duration(n*float64(time.Hour))), false
		case "minute", "minutes", "min", "分钟":
			t, isDate = t.Add(time.Duration(n*float64(time.Minute))), false
		default:
			return nil, fmt.Errorf("DATEADD: unit %q is not year, month, day, hour or minute", unit)
		}
		if isDate {
			return t.Format(time.DateOnly), nil
		}
		return t.UTC().Format(time.RFC3339), nil
	}},
}

// Functions lists the function names, sorted.
func Functions() []string {
	out := make([]string, 0, len(functions))
	for name := range functions {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

func (env Env) loc() *time.Location {
	if env.Loc != nil {
		return env.Loc
	}
	return time.Local
}

func arity(name string, a []any, lo, hi int) error {
	if len(a) < lo || len(a) > hi {
		if lo == hi {
			return fmt.Errorf("%s takes %d arguments, got %d", name, lo, len(a))
		}
		return fmt.Errorf("%s takes %d to %d arguments, got %d", name, lo, hi, len(a))
	}
	return nil
}

func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case nil:
		return false
	case string:
		return x != ""
	}
	f, err := number(v)
	return err == nil && f != 0
}

func number(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case nil:
		return 0, nil
	case string:
		if x == "" {
			return 0, nil
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
			return f, nil
		}
	}
	return 0, fmt.Errorf("%q is not a number", text(v))
}

func one(name string, a []any) (float64, error) {
	if err := arity(name, a, 1, 1); err != nil {
		return 0, err
	}
	return number(a[0])
}

func numbers(name string, agg func([]float64) float64) fn {
	return func(_ Env, a []any) (any, error) {
		if len(a) == 0 {
			return nil, fmt.Errorf("%s needs at least one argument", name)
		}
		xs := make([]float64, len(a))
		for i, v := range a {
			x, err := number(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			xs[i] = x
		}
		return agg(xs), nil
	}
}

func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// date reads "2006-01-02" or an RFC 3339 date-time.
func date(v any, env Env) (time.Time, error) {
	s := text(v)
	if t, err := time.ParseInLocation(time.DateOnly, s, env.loc()); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(env.loc()), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date", s)
}

func datePart(name string, part func(time.Time) int) fn {
	return func(env Env, a []any) (any, error) {
		if err := arity(name, a, 1, 1); err != nil {
			return nil, err
		}
		t, err := date(a[0], env)
		if err != nil {
			return nil, err
		}
		return float64(part(t)), nil
	}
}

// Help describes one function for people writing formulas.
type Help struct {
	Name        string `json:"name"`
	Syntax      string `json:"syntax"`
	Description string `json:"description"`
}

// help is the syntax and meaning of each function, in Chinese and English.
var help = map[string][3]string{
	"IF":      {"IF(条件, 成立时, 不成立时)", "条件成立取第二个值，否则取第三个", "the second value when the condition holds, else the third"},
	"AND":     {"AND(条件1, 条件2, …)", "全部成立时为真", "true when all hold"},
	"OR":      {"OR(条件1, 条件2, …)", "任一成立时为真", "true when any holds"},
	"NOT":     {"NOT(条件)", "取反", "the opposite"},
	"SUM":     {"SUM(数1, 数2, …)", "求和", "the sum"},
	"AVERAGE": {"AVERAGE(数1, 数2, …)", "平均值", "the average"},
	"MAX":     {"MAX(数1, 数2, …)", "最大值", "the largest"},
	"MIN":     {"MIN(数1, 数2, …)", "最小值", "the smallest"},
	"ABS":     {"ABS(数)", "绝对值", "the absolute value"},
	"INT":     {"INT(数)", "向下取整", "rounded down to a whole number"},
	"ROUND":   {"ROUND(数, 小数位)", "四舍五入", "rounded to the given decimals"},
	"CONCAT":  {"CONCAT(文本1, 文本2, …)", "连接文本", "the texts joined"},
	"LEN":     {"LEN(文本)", "字符数", "the number of characters"},
	"TODAY":   {"TODAY()", "今天的日期", "today's date"},
	"NOW":     {"NOW()", "当前时间", "the current date and time"},
	"YEAR":    {"YEAR(日期)", "年份", "the year"},
	"MONTH":   {"MONTH(日期)", "月份", "the month"},
	"DAY":     {"DAY(日期)", "日", "the day of the month"},
	"DATEDIF": {"DATEDIF(开始日期, 结束日期, \"Y\"|\"M\"|\"D\"|\"H\"|\"MIN\")", "两个日期相差的整年/整月/天数/小时数/分钟数", "whole years, months, days, hours or minutes between two dates"},
	"DATEADD": {"DATEADD(日期, 数量, \"day\"|\"hour\"|…)", "日期加上若干年/月/日/小时/分钟，如 DATEADD(NOW(), 24, \"hour\")", "the date plus years, months, days, hours or minutes, e.g. DATEADD(NOW(), 24, \"hour\")"},
}

// Describe lists the functions with their syntax and meaning in lang ("en", otherwise Chinese).
func Describe(lang string) []Help {
	out := make([]Help, 0, len(functions))
	for _, name := range Functions() {
		h := help[name]
		d := h[1]
		if lang == "en" {
			d = h[2]
		}
		out = append(out, Help{Name: name, Syntax: h[0], Description: d})
	}
	return out
}
