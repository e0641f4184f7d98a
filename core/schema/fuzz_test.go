package schema_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"tierbase/core/schema"
)

// The fuzz targets check that parsing never panics, that what is accepted is in storage form,
// and that a stored value read back (also through JSON, as the API round-trips it) is accepted
// again unchanged.

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"1234.5", "¥1,234.50", "1234.5元", "1.2万", "3亿", "(500)", "12%", "１２３",
		"-0", "1e308万", "1e303万", "(-5)", "0x1p-2", "NaN", "inf", "", "RMB 1,000", "--1", "1e-400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := schema.ParseNumber(s)
		if !ok {
			return
		}
		if math.IsNaN(n) || math.IsInf(n, 0) {
			t.Fatalf("ParseNumber(%q) = %v", s, n)
		}
		for _, text := range []string{strconv.FormatFloat(n, 'f', -1, 64), strconv.FormatFloat(n, 'g', -1, 64)} {
			if again, ok := schema.ParseNumber(text); !ok || again != n {
				t.Fatalf("ParseNumber(%q) = %v, but ParseNumber(%q) = %v, %v", s, n, text, again, ok)
			}
		}
	})
}

var storedDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-11-23", "2026/11/23", "2026.11.23", "2026年11月23日", "20261123", "２０２６-１１-２３",
		"2026-02-30", "2026-11-23T20:00:00Z", "9999-12-31T23:00:00-05:00", "1000-01-01T00:30:00+01:00", "0000-01-01T00:00:00Z",
		"2026-11-23 14:30", "2026年11月23日 14时30分", ""} {
		f.Add(s, 0.0)
	}
	for _, n := range []float64{1, 59, 60, 61, 45000.75, 46349, 2958465, 2958465.9999, -1, math.NaN(), math.Inf(1)} {
		f.Add("", n)
	}
	f.Fuzz(func(t *testing.T, s string, serial float64) {
		for _, in := range []any{s, serial} {
			if in == "" {
				continue
			}
			d, ok := schema.ParseDate(in, cst)
			if ok {
				text := d.Format("2006-01-02")
				if !storedDate.MatchString(text) {
					t.Fatalf("ParseDate(%#v) = %v, not a four-digit year", in, d)
				}
				if again, ok := schema.ParseDate(text, cst); !ok || !again.Equal(d) {
					t.Fatalf("ParseDate(%#v) = %s, but ParseDate(%q) = %v, %v", in, text, text, again, ok)
				}
			}
			dt, ok := schema.ParseDateTime(in, cst)
			if ok {
				text := dt.UTC().Format(time.RFC3339)
				again, ok := schema.ParseDateTime(text, cst)
				if !ok || !again.Equal(dt.Truncate(time.Second)) {
					t.Fatalf("ParseDateTime(%#v) = %s, but ParseDateTime(%q) = %v, %v", in, text, text, again, ok)
				}
			}
		}
	})
}

var storedPhone = regexp.MustCompile(`^1[3-9][0-9]{9}$`)

func FuzzParsePhone(f *testing.F) {
	for _, s := range []string{"13800138000", "+86 138 0013 8000", "138-0013-8000", "0086 13800138000", "１３８００１３８０００",
		"12345", "+8613800138000", "(138) 0013.8000", "138+00138000", "٣٨٠٠١٣٨٠٠٠"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := schema.ParsePhone(s)
		if !ok {
			return
		}
		if !storedPhone.MatchString(p) {
			t.Fatalf("ParsePhone(%q) = %q", s, p)
		}
		if again, ok := schema.ParsePhone(p); !ok || again != p {
			t.Fatalf("ParsePhone(%q) = %q, %v", p, again, ok)
		}
	})
}

var storedLandline = regexp.MustCompile(`^(?:(?:010|02\d|0[3-9]\d\d)-[1-9]\d{6,7}|[1-9]\d{6,7}|[48]00-\d{3}-\d{4})(?:-\d{1,6})?$`)

func FuzzParseLandline(f *testing.F) {
	for _, s := range []string{"010-12345678转123", "(0755)8888 8888-12", "+86 755 8888 8888 ext. 12", "400-800-8888",
		"０２１－６２３４５６７８", "88888888-12", "0086 10 12345678", "13800138000", "0755-8888-8888-1", "+86-400-800-8888",
		"010-12345678#", "x", "-", "0", "+86", "0755 8888888 分机：6"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := schema.ParseLandline(s)
		if !ok {
			return
		}
		if !storedLandline.MatchString(p) {
			t.Fatalf("ParseLandline(%q) = %q", s, p)
		}
		if again, ok := schema.ParseLandline(p); !ok || again != p {
			t.Fatalf("ParseLandline(%q) = %q, %v", p, again, ok)
		}
	})
}

var unsafeHTML = regexp.MustCompile(`(?i)<\s*(script|style|img|iframe|object|embed|svg|form|input)|<[^>]*\son[a-z]+\s*=|<[^>]*javascript:|<[^>]*\sstyle\s*=`)

func FuzzSanitizeHTML(f *testing.F) {
	for _, s := range []string{`<p>客户<b>很重要</b></p>`, `<script>alert(1)</script>hi`, `<a href="javascript:alert(1)">x</a>`,
		`<a href="https://example.com" onclick="x()">官网</a>`, `<img src=x onerror=alert(1)>`, `<p style="color:red">红</p>`,
		`<svg><script>1</script></svg>`, `<<script>script>`, `&lt;b&gt;`, `<a href="mailto:a@b.cn">邮件</a>`, `<ul><li>一</li></ul>`, `<h2>交付</h2><p>先发<br/>再装</p><hr>`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h := schema.SanitizeHTML(s)
		if unsafeHTML.MatchString(h) {
			t.Fatalf("SanitizeHTML(%q) = %q", s, h)
		}
		if again := schema.SanitizeHTML(h); again != h {
			t.Fatalf("SanitizeHTML(%q) = %q, but SanitizeHTML of that = %q", s, h, again)
		}
		// As an export shows it: lines of text, none blank or padded, none lost.
		text := schema.TextLines(h)
		for _, l := range strings.Split(text, "\n") {
			if text != "" && (l == "" || l != strings.TrimSpace(l)) {
				t.Fatalf("TextLines(%q) = %q: a blank or padded line", h, text)
			}
		}
		if (text == "") != (strings.TrimSpace(schema.PlainText(h)) == "") {
			t.Fatalf("TextLines(%q) = %q, but its plain text is %q", h, text, schema.PlainText(h))
		}
	})
}

// fuzzFields has one field of each type, in schema.Types order.
func fuzzFields() []*schema.Field {
	var out []*schema.Field
	for _, ty := range schema.Types {
		f := &schema.Field{Name: "字段" + string(ty), Type: ty}
		switch ty {
		case schema.Select, schema.MultiSelect:
			f.Options = opts("A", "高价值客户", "是", "1")
		case schema.Number:
			f.Min, f.Max = ptr(-1e6), ptr(1e12)
		case schema.Text:
			f.Format = `^[^x]*$`
		}
		out = append(out, f)
	}
	return append(out, &schema.Field{Name: "数字列表", Type: schema.Numbers}) // a lookup's only
}

func FuzzNormalize(f *testing.F) {
	seeds := []struct {
		typ    schema.Type
		raw    string
		asJSON bool
	}{
		{schema.Text, " 北京某公司 ", false}, {schema.TextArea, " a\n", false}, {schema.Number, "1.2万", false},
		{schema.Money, `"¥1,234.50"`, true}, {schema.Money, `1e308`, true}, {schema.Percent, "12%", false},
		{schema.Date, "2026年11月23日", false}, {schema.Date, `46349`, true}, {schema.DateTime, "2026-11-23 14:30", false},
		{schema.DateTime, `46349.5`, true}, {schema.Phone, "+86 138 0013 8000", false}, {schema.Phone, `13800138000`, true},
		{schema.Email, "ｎａｍｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", false}, {schema.URL, "example.com", false},
		{schema.Select, "高价值客户", false}, {schema.Select, `true`, true}, {schema.MultiSelect, `["A","是"]`, true},
		{schema.MultiSelect, "A、高价值客户", false}, {schema.Checkbox, "√", false}, {schema.Checkbox, `1`, true},
		{schema.Rating, "5", false}, {schema.Rating, "-0", false}, {schema.User, `{"id":3}`, true},
		{schema.Tags, `[" a ", 1, true, "a"]`, true}, {schema.Tags, "VIP，高频", false},
		{schema.AutoNumber, "KH-20261123-0001", false}, {schema.Link, "12", false}, {schema.Link, `9007199254740993`, true},
		{schema.Numbers, `[1, "1.2万", 3.5, 1]`, true}, {schema.Numbers, `[]`, true}, {schema.Numbers, `[1e400]`, true}, {schema.Numbers, "1", false},
	}
	for _, s := range seeds {
		f.Add(uint8(indexOf(s.typ)), s.raw, s.asJSON)
	}
	fields := fuzzFields()
	f.Fuzz(func(t *testing.T, typ uint8, raw string, asJSON bool) {
		fld := fields[int(typ)%len(fields)]
		var in any = raw
		if asJSON {
			dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
			dec.UseNumber()
			if dec.Decode(&in) != nil {
				return
			}
		}
		v, p := fld.Normalize(in, cst)
		if p != nil {
			if p.Status != 400 || p.Field != fld.Name || p.Code == "" {
				t.Fatalf("%s: Normalize(%#v) gave a malformed problem %#v", fld.Type, in, p)
			}
			return
		}
		if v == nil {
			return
		}
		if err := storageForm(fld, v); err != nil {
			t.Fatalf("%s: Normalize(%#v) = %#v: %v", fld.Type, in, v, err)
		}
		again, p := fld.Normalize(v, cst)
		if p != nil || !reflect.DeepEqual(again, v) {
			t.Fatalf("%s: Normalize(%#v) = %#v, but normalizing that gives %#v, %v", fld.Type, in, v, again, p)
		}
		// The API sends the stored value out as JSON and may get it back unchanged.
		if !utf8.ValidString(raw) {
			return // JSON cannot carry it; values from the API are always valid UTF-8
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: stored value %#v cannot be sent as JSON: %v", fld.Type, v, err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var back any
		if err := dec.Decode(&back); err != nil {
			t.Fatal(err)
		}
		again, p = fld.Normalize(back, cst)
		if p != nil || !reflect.DeepEqual(again, v) {
			t.Fatalf("%s: Normalize(%#v) = %#v, sent as %s it comes back as %#v, %v", fld.Type, in, v, b, again, p)
		}
	})
}

func indexOf(t schema.Type) int {
	for i, ty := range schema.Types {
		if ty == t {
			return i
		}
	}
	if t == schema.Numbers {
		return len(schema.Types) // after them in fuzzFields
	}
	panic(t)
}

// storageForm checks that v is the Go value records hold for the field (see schema.Type).
func storageForm(f *schema.Field, v any) error {
	switch f.Type {
	case schema.Text, schema.TextArea, schema.AutoNumber, schema.Email, schema.URL, schema.Landline, schema.Address, schema.RichText:
		if s, ok := v.(string); !ok || s == "" {
			return fmt.Errorf("want a non-empty string")
		}
	case schema.File, schema.Image, schema.Signature:
		s, ok := v.(string)
		if refs, parsed := schema.ParseFiles(s); !ok || !parsed || len(refs) == 0 || schema.FilesJSON(refs) != any(s) {
			return fmt.Errorf("want a non-empty list of files as FilesJSON writes it")
		}
	case schema.Links:
		ids, ok := v.([]int64)
		if !ok || len(ids) == 0 || len(ids) > schema.MaxLinks {
			return fmt.Errorf("want a non-empty []int64 of at most %d", schema.MaxLinks)
		}
		for i, id := range ids {
			if id <= 0 || i > 0 && id <= ids[i-1] {
				return fmt.Errorf("want positive ids, ascending, each once")
			}
		}
	case schema.Number, schema.Money, schema.Percent, schema.Rating, schema.Subform: // a 子表单: how many rows it has
		n, ok := v.(float64)
		if !ok || math.IsNaN(n) || math.IsInf(n, 0) {
			return fmt.Errorf("want a finite float64")
		}
		if f.Type == schema.Rating && (n != math.Trunc(n) || n < 0 || n > 5) {
			return fmt.Errorf("want a whole number 0..5")
		}
	case schema.Date:
		s, ok := v.(string)
		if _, err := time.Parse("2006-01-02", s); !ok || err != nil || !storedDate.MatchString(s) {
			return fmt.Errorf("want YYYY-MM-DD")
		}
	case schema.DateTime:
		s, ok := v.(string)
		d, err := time.Parse(time.RFC3339, s)
		if !ok || err != nil || d.UTC().Format(time.RFC3339) != s {
			return fmt.Errorf("want RFC 3339 in UTC")
		}
	case schema.Phone:
		if s, ok := v.(string); !ok || !storedPhone.MatchString(s) {
			return fmt.Errorf("want 11 digits")
		}
	case schema.Select:
		if s, ok := v.(string); !ok || !f.HasOption(s) {
			return fmt.Errorf("want one of the options")
		}
	case schema.MultiSelect, schema.Tags:
		list, ok := v.([]string)
		if !ok || len(list) == 0 {
			return fmt.Errorf("want a non-empty []string")
		}
		seen := map[string]bool{}
		for _, s := range list {
			if s == "" || seen[s] || (f.Type == schema.MultiSelect && !f.HasOption(s)) {
				return fmt.Errorf("bad element %q", s)
			}
			seen[s] = true
		}
	case schema.Checkbox:
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("want a bool")
		}
	case schema.Numbers:
		ns, ok := v.([]float64)
		if !ok || len(ns) == 0 {
			return fmt.Errorf("want a non-empty []float64")
		}
		for _, n := range ns {
			if math.IsNaN(n) || math.IsInf(n, 0) {
				return fmt.Errorf("want finite numbers")
			}
		}
	case schema.User, schema.Link, schema.Department:
		if n, ok := v.(int64); !ok || n <= 0 {
			return fmt.Errorf("want a positive int64")
		}
	default:
		return fmt.Errorf("unknown type")
	}
	return nil
}

func FuzzParseFiles(f *testing.F) {
	h := "81df5304c7b2cb3b140f97610b85c6ecb3ccfb19c110b2b7a88f00c2adfadd99"
	for _, s := range []string{`[]`, `[{"hash":"` + h + `","name":"合同.pdf","size":12,"type":"application/pdf"}]`,
		`[{"hash":"` + h + `","name":"../../etc/passwd"},{"hash":"` + h + `"}]`, `[{"hash":"` + h + `","name":"a\u0000b\nc","size":-1}]`,
		`[{"hash":"ABC"}]`, `{"hash":"` + h + `"}`, `[{"hash":"` + h + `","name":"` + strings.Repeat("长", 300) + `","url":"/x"}]`, `null`, `[1]`} {
		f.Add(s)
	}
	field := &schema.Field{Name: "附件", Type: schema.File}
	f.Fuzz(func(t *testing.T, s string) {
		refs, ok := schema.ParseFiles(s)
		if !ok {
			return
		}
		seen := map[string]bool{}
		for _, r := range refs {
			if len(r.Hash) != 64 || seen[r.Hash] || r.Name == "" || strings.ContainsAny(r.Name, "/\\\x00\n") ||
				!utf8.ValidString(r.Name) || utf8.RuneCountInString(r.Name) > 200 || r.Size < 0 {
				t.Fatalf("ParseFiles(%q) = %+v", s, refs)
			}
			seen[r.Hash] = true
		}
		// stored, then read back through the API's JSON: the same value
		v, p := field.Normalize(s, nil)
		if p != nil {
			if len(refs) > 50 {
				return
			}
			t.Fatalf("Normalize(%q) refused what ParseFiles read: %v", s, p)
		}
		if v == nil {
			if len(refs) != 0 {
				t.Fatalf("Normalize(%q) = nil for %+v", s, refs)
			}
			return
		}
		var decoded any
		if err := json.Unmarshal([]byte(v.(string)), &decoded); err != nil {
			t.Fatal(err)
		}
		if again, p := field.Normalize(decoded, nil); p != nil || again != v {
			t.Fatalf("Normalize(%q) = %v, read back %v, %v", s, v, again, p)
		}
	})
}

// FuzzLinks feeds a 多条关联 text (as typed or imported) and a JSON value (as the API sends
// it): an accepted value is ascending positive ids without repeats, at most MaxLinks, and is
// accepted again unchanged, also read back through JSON.
func FuzzLinks(f *testing.F) {
	for _, s := range []string{"1,2,3", "3、1、3", "12；7\n5", "[1,2]", `[{"id":4},"5"]`, "0", "-1", "1.5", "abc", "9007199254740993", "", "[]", `{"id":1}`} {
		f.Add(s)
	}
	field := &schema.Field{Name: "客户", Type: schema.Links, LinkTable: "客户"}
	f.Fuzz(func(t *testing.T, s string) {
		inputs := []any{s}
		var decoded any
		if json.Unmarshal([]byte(s), &decoded) == nil {
			inputs = append(inputs, decoded)
		}
		for _, in := range inputs {
			v, perr := field.Normalize(in, cst)
			if perr != nil || v == nil {
				continue
			}
			ids, ok := v.([]int64)
			if !ok || len(ids) == 0 || len(ids) > schema.MaxLinks {
				t.Fatalf("Normalize(%#v) = %#v", in, v)
			}
			for i, id := range ids {
				if id <= 0 || i > 0 && ids[i-1] >= id {
					t.Fatalf("Normalize(%#v) = %v: not ascending positive ids", in, ids)
				}
			}
			data, _ := json.Marshal(ids)
			var back any
			json.Unmarshal(data, &back)
			for _, again := range []any{v, back} {
				if w, perr := field.Normalize(again, cst); perr != nil || !reflect.DeepEqual(w, v) {
					t.Fatalf("Normalize(%#v) = %v, but again %#v → %v, %v", in, v, again, w, perr)
				}
			}
		}
	})
}

// FuzzNormalizeTrims: a text value is stored as strings.TrimSpace leaves it.
func FuzzNormalizeTrims(f *testing.F) {
	for _, s := range []string{" 北京某公司 ", "丅\u3000", "\u00a0言", "\u00a0客", "\u2029", "a\u205f", "\xe2\x80", "\xc2"} {
		f.Add(s)
	}
	fld := &schema.Field{Name: "客户名称", Type: schema.Text}
	f.Fuzz(func(t *testing.T, s string) {
		v, p := fld.Normalize(s, nil)
		want := strings.TrimSpace(s)
		switch {
		case p != nil && (!utf8.ValidString(s) || strings.ContainsRune(s, 0) || utf8.RuneCountInString(want) > 2000):
		case p != nil:
			t.Fatalf("Normalize(%q): %v", s, p)
		case want == "" && v != nil, want != "" && v != want:
			t.Fatalf("Normalize(%q) = %#v; want %q", s, v, want)
		}
	})
}
