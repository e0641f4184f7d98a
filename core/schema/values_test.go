package schema_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"

	"tierbase/core/schema"
)

// cst is the users' time zone in the tests (UTC+8, like Asia/Shanghai).
var cst = time.FixedZone("CST", 8*3600)

func opts(vals ...string) []schema.Option {
	out := make([]schema.Option, len(vals))
	for i, v := range vals {
		out[i] = schema.Option{Value: v}
	}
	return out
}

func ptr(f float64) *float64 { return &f }

// ok is a value that must be accepted and become want (nil for "empty").
type ok struct {
	in   any
	want any
}

// bad is a value that must be rejected with the given problem code.
type bad struct {
	in   any
	code string
}

// checkType runs the accept and reject tables of one field through Normalize (in cst).
func checkType(t *testing.T, f *schema.Field, accept []ok, reject []bad) {
	t.Helper()
	for _, c := range accept {
		got, p := f.Normalize(c.in, cst)
		if p != nil {
			t.Errorf("%s: Normalize(%#v) failed: %v", f.Type, c.in, p)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: Normalize(%#v) = %#v, want %#v", f.Type, c.in, got, c.want)
		}
	}
	for _, c := range reject {
		got, p := f.Normalize(c.in, cst)
		if p == nil {
			t.Errorf("%s: Normalize(%#v) = %#v, want error %s", f.Type, c.in, got, c.code)
			continue
		}
		if p.Code != c.code || p.Status != 400 || p.Field != f.Name {
			t.Errorf("%s: Normalize(%#v) error = %s/%d on %q, want %s/400 on %q", f.Type, c.in, p.Code, p.Status, p.Field, c.code, f.Name)
		}
	}
}

func TestNormalizeEmpty(t *testing.T) {
	for _, ty := range schema.Types {
		f := &schema.Field{Name: "字段", Type: ty, Options: opts("A")}
		for _, in := range []any{nil, "", "   ", json.Number("")} {
			if ty == schema.TextArea && in == "   " {
				continue // long text keeps its spaces
			}
			if got, p := f.Normalize(in, cst); got != nil || p != nil {
				t.Errorf("%s: Normalize(%#v) = %#v, %v; want nil, nil", ty, in, got, p)
			}
		}
	}
}

func TestNormalizeText(t *testing.T) {
	checkType(t, &schema.Field{Name: "客户名称", Type: schema.Text}, []ok{
		{"  北京某公司 ", "北京某公司"},
		{"客\"户'; DROP TABLE x;--", "客\"户'; DROP TABLE x;--"},
		{"😀 emoji", "😀 emoji"},
		{json.Number("12"), "12"},
		{12.5, "12.5"},
		{true, "是"},
		{strings.Repeat("字", 2000), strings.Repeat("字", 2000)},
	}, []bad{
		{"a\x00b", "bad_type"},
		{strings.Repeat("字", 2001), "too_long"},
		{[]any{"a"}, "bad_type"},
		{map[string]any{"a": 1}, "bad_type"},
	})
	checkType(t, &schema.Field{Name: "编码", Type: schema.Text, Format: `^KH\d+$`},
		[]ok{{"KH12", "KH12"}}, []bad{{"XX12", "regex_mismatch"}})
	checkType(t, &schema.Field{Name: "备注", Type: schema.TextArea}, []ok{
		{"  第一行\n第二行  ", "  第一行\n第二行  "},
		{strings.Repeat("x", 100000), strings.Repeat("x", 100000)},
	}, []bad{{strings.Repeat("x", 100001), "too_long"}})
	checkType(t, &schema.Field{Name: "客户编号", Type: schema.AutoNumber},
		[]ok{{"KH-20261123-0001", "KH-20261123-0001"}}, nil)
}

// TestNormalizeTrimsEverySpace: a value is trimmed of every Unicode space at either end,
// whatever text it holds, and of nothing else.
func TestNormalizeTrimsEverySpace(t *testing.T) {
	f := &schema.Field{Name: "客户名称", Type: schema.Text}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !unicode.IsSpace(r) {
			continue
		}
		sp := string(r)
		for _, text := range []string{"北京某公司", "a", "1", "é", "𠀀"} {
			for _, in := range []string{sp + text, text + sp, sp + sp + text + sp} {
				if v, p := f.Normalize(in, nil); p != nil || v != text {
					t.Fatalf("Normalize(%q) = %#v, %v; want %q", in, v, p, text)
				}
			}
		}
	}
	// Characters that start or end with a byte a space can start or end with are kept: U+4E05
	// ends with 0x85, U+8A00 with 0x80; U+200B (zero width) is no space.
	for _, in := range []string{"丅", "言", "丅客户言", "\u200bx\u200b"} {
		if v, p := f.Normalize(in, nil); p != nil || v != in {
			t.Fatalf("Normalize(%q) = %#v, %v; want it unchanged", in, v, p)
		}
	}
}

func TestNormalizeNumbers(t *testing.T) {
	numbers := []ok{
		{"1234.5", 1234.5},
		{"1,234.5", 1234.5},
		{"¥1,234.50", 1234.5},
		{"￥ 1,234.50", 1234.5},
		{"1234.5元", 1234.5},
		{"RMB 88", 88.0},
		{"1.2万", 12000.0},
		{"3亿", 3e8},
		{"(500)", -500.0},
		{"-7", -7.0},
		{"１２３", 123.0},
		{"12%", 12.0},
		{json.Number("42"), 42.0},
		{json.Number("1e3"), 1000.0},
		{7, 7.0},
		{int64(8), 8.0},
		{2.5, 2.5},
	}
	notNumbers := []bad{
		{"abc", "not_number"},
		{"12abc", "not_number"},
		{"(-5)", "not_number"},
		{"1e400", "not_number"},
		{"1e308万", "not_number"},
		{"NaN", "not_number"},
		{"Inf", "not_number"},
		{true, "not_number"},
		{[]any{1}, "not_number"},
	}
	for _, ty := range []schema.Type{schema.Number, schema.Money, schema.Percent} {
		checkType(t, &schema.Field{Name: "金额", Type: ty}, numbers, notNumbers)
	}
	checkType(t, &schema.Field{Name: "折扣", Type: schema.Percent}, []ok{{"12.5 %", 12.5}, {"0.5", 0.5}}, nil)
	checkType(t, &schema.Field{Name: "数量", Type: schema.Number, Min: ptr(0), Max: ptr(100)},
		[]ok{{"0", 0.0}, {"100", 100.0}},
		[]bad{{"-1", "too_small"}, {"100.5", "too_large"}})
	checkType(t, &schema.Field{Name: "评分", Type: schema.Rating}, []ok{
		{"3", 3.0}, {5.0, 5.0}, {"0", 0.0}, {json.Number("4"), 4.0},
	}, []bad{
		{"3.5", "not_integer"}, {"6", "too_large"}, {"-1", "too_small"}, {"好", "not_number"},
	})
	checkType(t, &schema.Field{Name: "评分", Type: schema.Rating, Max: ptr(10)},
		[]ok{{"10", 10.0}}, []bad{{"11", "too_large"}})
}

func TestNormalizeDate(t *testing.T) {
	checkType(t, &schema.Field{Name: "首次购买日期", Type: schema.Date}, []ok{
		{"2026-11-23", "2026-11-23"},
		{"2026/11/23", "2026-11-23"},
		{"2026.11.23", "2026-11-23"},
		{"2026年11月23日", "2026-11-23"},
		{"2026 年 11 月 23 日", "2026-11-23"},
		{"20261123", "2026-11-23"},
		{"２０２６－１１－２３", "2026-11-23"},
		{"2026-1-5", "2026-01-05"},
		{"2024-02-29", "2024-02-29"},
		{"2026-11-23 14:30", "2026-11-23"},
		{"2026-11-23T20:00:00Z", "2026-11-24"}, // 04:00 on the 24th in UTC+8
		// Excel serial day numbers, as numbers and as JSON numbers.
		{46349.0, "2026-11-23"},
		{json.Number("46349"), "2026-11-23"},
		{45000.75, "2023-03-15"},
		{1.0, "1900-01-01"},
		{59.0, "1900-02-28"},
		{61.0, "1900-03-01"},
	}, []bad{
		{"2026-02-30", "bad_date"},
		{"2025-02-29", "bad_date"},
		{"2026-13-01", "bad_date"},
		{"20261323", "bad_date"},
		{"23/11/2026", "bad_date"},
		{"0999-01-01", "bad_date"},
		{"明天", "bad_date"},
		{60.0, "bad_date"}, // Excel's 1900-02-29 never existed
		{0.5, "bad_date"},
		{true, "bad_date"},
	})
}

func TestNormalizeDateTime(t *testing.T) {
	checkType(t, &schema.Field{Name: "跟进时间", Type: schema.DateTime}, []ok{
		{"2026-11-23 14:30", "2026-11-23T06:30:00Z"},
		{"2026-11-23 14:30:05", "2026-11-23T06:30:05Z"},
		{"2024-02-29 23:59:59", "2024-02-29T15:59:59Z"},
		{"2026-11-23 04:05:06", "2026-11-22T20:05:06Z"},
		{"2026/11/23 14:30", "2026-11-23T06:30:00Z"},
		{"2026年11月23日 14:30", "2026-11-23T06:30:00Z"},
		{"2026年11月23日 14时30分", "2026-11-23T06:30:00Z"},
		{"2026年11月23日 14时30分05秒", "2026-11-23T06:30:05Z"},
		{"2026-11-23T14:30:00+08:00", "2026-11-23T06:30:00Z"},
		{"2026-11-23T06:30:00Z", "2026-11-23T06:30:00Z"},
		{"2026-11-23", "2026-11-22T16:00:00Z"}, // midnight in UTC+8
		{46349.5, "2026-11-23T04:00:00Z"},      // Excel: noon, local time
		{json.Number("46349.5"), "2026-11-23T04:00:00Z"},
	}, []bad{
		{"2026-11-23 25:00", "bad_datetime"},
		{"2026-11-23 14:60", "bad_datetime"},
		{"2025-02-29 10:00:00", "bad_datetime"},
		{"2026-11-31 10:00:00", "bad_datetime"},
		{"2026-11-23 24:00:00", "bad_datetime"},
		{"2026-11-23 14:30:60", "bad_datetime"},
		{"0999-11-23 14:30:05", "bad_datetime"},
		{"9999-12-31T23:00:00-05:00", "bad_datetime"}, // year 10000 in UTC
		{"昨天", "bad_datetime"},
		{false, "bad_datetime"},
	})
}

func TestNormalizePhoneEmailURL(t *testing.T) {
	checkType(t, &schema.Field{Name: "联系电话", Type: schema.Phone}, []ok{
		{"13800138000", "13800138000"},
		{"+86 138 0013 8000", "13800138000"},
		{"138-0013-8000", "13800138000"},
		{"0086 13800138000", "13800138000"},
		{"(138) 0013.8000", "13800138000"},
		{"１３８００１３８０００", "13800138000"},
		{"＋８６ １３８ ００１３ ８０００", "13800138000"},
		{json.Number("13800138000"), "13800138000"},
		{13800138000.0, "13800138000"}, // a number cell from a spreadsheet
	}, []bad{
		{"12345", "bad_phone"},
		{"23800138000", "bad_phone"},
		{"12800138000", "bad_phone"},
		{"138001380001", "bad_phone"},
		{"1380013800a", "bad_phone"},
		{"138+00138000", "bad_phone"},
		{"+86 138 0013 800", "bad_phone"},
		{"010-12345678", "bad_phone"},
		{[]any{"13800138000"}, "bad_phone"},
	})
	checkType(t, &schema.Field{Name: "备注", Type: schema.RichText}, []ok{
		{"<p>客户<b>很重要</b></p>", "<p>客户<b>很重要</b></p>"},
		{`<p onclick="x()" style="color:red">红<script>alert(1)</script></p>`, "<p>红</p>"},
		{`<a href="https://example.com">官网</a>`, `<a href="https://example.com" rel="nofollow noopener" target="_blank">官网</a>`},
		{`<a href="javascript:alert(1)">x</a>`, "x"},
		{"<p> </p>", nil},
	}, []bad{
		{5.0, "bad_type"},
	})
	checkType(t, &schema.Field{Name: "座机", Type: schema.Landline}, []ok{
		{"010-12345678", "010-12345678"},
		{"010-12345678转123", "010-12345678-123"},
		{"(0755)8888 8888-12", "0755-88888888-12"},
		{"（０７５５）８８８８８８８８", "0755-88888888"},
		{"0755 8888 8888 分机 12", "0755-88888888-12"},
		{"+86 755 8888 8888 ext. 12", "0755-88888888-12"},
		{"0086-10-12345678", "010-12345678"},
		{"021 6234 5678", "021-62345678"},
		{"0571-8765432", "0571-8765432"},
		{"0755-88888888-12", "0755-88888888-12"},
		{"88888888", "88888888"},
		{"8888-8888", "88888888"},
		{"400-800-8888", "400-800-8888"},
		{"4008008888转2", "400-800-8888-2"},
		{json.Number("88888888"), "88888888"},
	}, []bad{
		{"13800138000", "bad_landline"},       // a mobile number belongs in a 手机 field
		{"0755 8888 8888 12", "bad_landline"}, // number or extension? unclear without a "-"
		{"010-1234567890", "bad_landline"},
		{"011-12345678", "bad_landline"},
		{"010-02345678", "bad_landline"},
		{"010-12345678转", "bad_landline"},
		{"010-12345678转1234567", "bad_landline"},
		{"010-12345678-12转3", "bad_landline"},
		{"+1 212 555 0100", "bad_landline"},
		{"总机", "bad_landline"},
		{"2024-01-15", "bad_landline"},
		{[]any{"88888888"}, "bad_landline"},
	})
	checkType(t, &schema.Field{Name: "邮箱", Type: schema.Email}, []ok{
		{"name@example.com", "name@example.com"},
		{" Wang.Fang@Example.com.cn ", "Wang.Fang@Example.com.cn"},
		{"ｎａｍｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", "name@example.com"},
	}, []bad{
		{"name", "bad_email"}, {"a@b", "bad_email"}, {"a b@c.d", "bad_email"}, {"a@@b.c", "bad_email"}, {5.0, "bad_email"},
	})
	checkType(t, &schema.Field{Name: "网址", Type: schema.URL}, []ok{
		{"example.com", "https://example.com"},
		{"http://a.cn/x?y=1", "http://a.cn/x?y=1"},
		{"HTTPS://Example.com", "HTTPS://Example.com"},
	}, []bad{
		{"ftp://x.com", "bad_url"}, {"http://", "bad_url"}, {"exa mple.com", "bad_url"},
		{"javascript:alert(1)", "bad_url"}, {3.0, "bad_url"},
	})
}

func TestNormalizeChoices(t *testing.T) {
	tier := &schema.Field{Name: "客户等级", Type: schema.Select, Options: opts("高价值客户", "潜力客户", "普通客户")}
	checkType(t, tier, []ok{
		{"高价值客户", "高价值客户"}, {" 潜力客户 ", "潜力客户"},
	}, []bad{
		{"VIP", "bad_option"}, {"高价值", "bad_option"}, {[]any{"高价值客户"}, "bad_option"},
	})
	if _, p := tier.Normalize("VIP", cst); p == nil || !strings.Contains(p.Message("zh"), "高价值客户、潜力客户、普通客户") {
		t.Errorf("bad option message does not list the options: %v", p)
	}
	checkType(t, &schema.Field{Name: "兴趣", Type: schema.MultiSelect, Options: opts("阅读", "运动", "音乐")}, []ok{
		{[]any{"阅读", "运动"}, []string{"阅读", "运动"}},
		{[]string{"音乐"}, []string{"音乐"}},
		{"阅读、运动", []string{"阅读", "运动"}},
		{"阅读，阅读", []string{"阅读"}},
		{[]any{}, nil},
	}, []bad{
		{[]any{"钓鱼"}, "bad_option"}, {"阅读,钓鱼", "bad_option"}, {5.0, "bad_type"}, {[]any{map[string]any{}}, "bad_type"},
	})
	checkType(t, &schema.Field{Name: "标签", Type: schema.Tags}, []ok{
		{"VIP，高频；待回访", []string{"VIP", "高频", "待回访"}},
		{"a,b;c\nd", []string{"a", "b", "c", "d"}},
		{[]any{" a ", "a", "", "b,c"}, []string{"a", "b,c"}},
		{[]any{json.Number("2026"), "VIP"}, []string{"2026", "VIP"}},
	}, []bad{{map[string]any{"a": 1}, "bad_type"}, {true, "bad_type"}})
}

func TestNormalizeCheckbox(t *testing.T) {
	f := &schema.Field{Name: "关键决策人", Type: schema.Checkbox}
	var accept []ok
	for _, s := range []string{"是", "Y", "y", "yes", "TRUE", "true", "1", "√", "✓", "对", "有", "ｙｅｓ"} {
		accept = append(accept, ok{s, true})
	}
	for _, s := range []string{"否", "N", "n", "no", "FALSE", "false", "0", "×", "✗", "错", "无"} {
		accept = append(accept, ok{s, false})
	}
	accept = append(accept, ok{true, true}, ok{false, false}, ok{1.0, true}, ok{0.0, false}, ok{json.Number("1"), true})
	checkType(t, f, accept, []bad{{"也许", "bad_bool"}, {2.0, "bad_bool"}, {"是的吧", "bad_bool"}})
}

func TestNormalizeRefs(t *testing.T) {
	accept := []ok{
		{3.0, int64(3)},
		{"3", int64(3)},
		{json.Number("3"), int64(3)},
		{int64(3), int64(3)},
		{map[string]any{"id": 3.0, "name": "张三"}, int64(3)},
		{map[string]any{"id": json.Number("3")}, int64(3)},
	}
	checkType(t, &schema.Field{Name: "销售", Type: schema.User}, accept, []bad{
		{0.0, "bad_user"}, {-1.0, "bad_user"}, {1.5, "bad_user"}, {"张三", "bad_user"}, {1e300, "bad_user"},
	})
	checkType(t, &schema.Field{Name: "客户", Type: schema.Link}, accept, []bad{
		{0.0, "bad_link"}, {"北京某公司", "bad_link"}, {map[string]any{}, "bad_link"},
	})
}

// TestNormalizeMessages checks that a rejected value is named in both languages.
func TestNormalizeMessages(t *testing.T) {
	f := &schema.Field{Name: "联系电话", Type: schema.Phone}
	_, p := f.Normalize("12345", cst)
	if p == nil {
		t.Fatal("12345 accepted as a phone number")
	}
	if zh := p.Message("zh"); !strings.Contains(zh, "联系电话") || !strings.Contains(zh, "12345") || !strings.Contains(zh, "手机号") {
		t.Errorf("zh message %q", zh)
	}
	if en := p.Message("en"); !strings.Contains(en, `field "联系电话"`) || !strings.Contains(en, "not a valid mobile number") {
		t.Errorf("en message %q", en)
	}
}

// The fast reading of stored dates agrees with time.Parse on every day of several years
// (leap years, centuries) and on impossible days.
func TestISODateAgreesWithTimeParse(t *testing.T) {
	for _, y := range []int{999, 1000, 1900, 2000, 2023, 2024, 2100, 9999} {
		for m := 0; m <= 13; m++ {
			for d := 0; d <= 32; d++ {
				s := fmt.Sprintf("%04d-%02d-%02d", y, m, d)
				want, err := time.Parse("2006-01-02", s)
				wantOK := err == nil && y >= 1000
				got, ok := schema.ParseDate(s, time.UTC)
				if ok != wantOK || ok && !got.Equal(want) {
					t.Errorf("ParseDate(%s) = %v %v, want %v %v", s, got, ok, want, wantOK)
				}
			}
		}
	}
}

// An autonumber pattern's date parts are rendered for the day, each wherever it stands, the
// counter and the rest left as they are.
func TestNumberPattern(t *testing.T) {
	day := time.Date(2026, 3, 7, 23, 0, 0, 0, time.UTC)
	for format, want := range map[string]string{
		"KH-{YYYYMMDD}-{0000}":      "KH-20260307-{0000}",
		"{YYYY}{MM}{DD}{DD}":        "2026030707",
		"X{YYMMDD}/{YYYYM}{YYYYMM}": "X260307/{YYYYM}202603",
		"{{YYYY}}-{0}":              "{2026}-{0}",
		"HT-":                       "HT-",
	} {
		if got := (&schema.Field{Format: format}).NumberPattern(day); got != want {
			t.Errorf("%s: %s, want %s", format, got, want)
		}
	}
}
