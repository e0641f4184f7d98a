package spreadsheet

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func gbk(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCSVCases(t *testing.T) {
	utf16 := func(s string) []byte {
		b, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []struct {
		name   string
		file   string
		data   []byte
		opt    Options
		header []string
		rows   [][]string
		lines  []int
	}{{
		name: "UTF-8 BOM, CRLF", file: "a.csv",
		data:   []byte("\uFEFF名称,金额\r\n甲,1\r\n乙,2\r\n"),
		header: []string{"名称", "金额"}, rows: [][]string{{"甲", "1"}, {"乙", "2"}}, lines: []int{2, 3},
	}, {
		name: "UTF-8 without BOM, no final newline", file: "a.csv",
		data:   []byte("名称,金额\n甲,1\n乙,2"),
		header: []string{"名称", "金额"}, rows: [][]string{{"甲", "1"}, {"乙", "2"}}, lines: []int{2, 3},
	}, {
		name: "GBK", file: "a.csv",
		data:   gbk(t, "客户名称,地区\r\n测试客户,广东\r\n"),
		header: []string{"客户名称", "地区"}, rows: [][]string{{"测试客户", "广东"}}, lines: []int{2},
	}, {
		name: "GBK after 100 KB of ASCII", file: "a.csv",
		data:   append(gbk(t, "name,city\r\n"+strings.Repeat("abc,def\r\n", 100<<10/9)), gbk(t, "北京客户,北京\r\n")...),
		header: []string{"name", "city"},
	}, {
		name: "UTF-16 tab text (Excel's Unicode text)", file: "a.txt",
		data:   utf16("名称\t金额\r\n甲\t1,5\r\n"),
		header: []string{"名称", "金额"}, rows: [][]string{{"甲", "1,5"}}, lines: []int{2},
	}, {
		name: "tab separated with commas in values", file: "a.tsv",
		data:   []byte("名称\t地址\t金额\n甲\t北京, 朝阳\t1,234.5\n乙\t上海\t2\n"),
		header: []string{"名称", "地址", "金额"}, rows: [][]string{{"甲", "北京, 朝阳", "1,234.5"}, {"乙", "上海", "2"}}, lines: []int{2, 3},
	}, {
		name: "tab separated named .csv", file: "a.csv",
		data:   []byte("a\tb\tc\n1\t2\t3\n"),
		header: []string{"a", "b", "c"}, rows: [][]string{{"1", "2", "3"}}, lines: []int{2},
	}, {
		name: "semicolon (European Excel) with decimal commas", file: "a.csv",
		data:   []byte("name;price;qty\nA;1,5;2\nB;2,25;3\n"),
		header: []string{"name", "price", "qty"}, rows: [][]string{{"A", "1,5", "2"}, {"B", "2,25", "3"}}, lines: []int{2, 3},
	}, {
		name: "quoted newlines, quotes and separators", file: "a.csv",
		data:   []byte("名称,备注,金额\r\n甲,\"第一行\r\n第二行\",1\r\n乙,\"说 \"\"好\"\", 就好\",2\r\n丙,\"a\nb\nc\",3\r\n"),
		header: []string{"名称", "备注", "金额"},
		rows:   [][]string{{"甲", "第一行\n第二行", "1"}, {"乙", `说 "好", 就好`, "2"}, {"丙", "a\nb\nc", "3"}},
		lines:  []int{2, 3, 4}, // rows as a spreadsheet program shows them
	}, {
		name: "ragged rows padded and cut, blank lines skipped but counted", file: "a.csv",
		data:   []byte("a,b,c\n1\n\n1,2,3,4,5\n,,\n4,5\n"),
		header: []string{"a", "b", "c"}, rows: [][]string{{"1", "", ""}, {"1", "2", "3"}, {"4", "5", ""}}, lines: []int{2, 4, 6},
	}, {
		name: "title and note rows above the header", file: "a.csv",
		data:   []byte("2026年客户名单,,,\n制表人：销售部,,,\n\n编号,名称,金额,日期\nK1,甲,\"¥1,234.50\",2026年3月5日\n"),
		header: []string{"编号", "名称", "金额", "日期"}, rows: [][]string{{"K1", "甲", "¥1,234.50", "2026年3月5日"}}, lines: []int{5},
	}, {
		name: "numbers-only row above the header is not the header", file: "a.csv",
		data:   []byte("1,2,3\n名称,金额,日期\n甲,5,2026-01-02\n"),
		header: []string{"名称", "金额", "日期"}, rows: [][]string{{"甲", "5", "2026-01-02"}}, lines: []int{3},
	}, {
		name: "year column names under a title", file: "a.csv",
		data:   []byte("各地区销售额,,,\n地区,2024年,2025年,2026年\n北京,1,2,3\n"),
		header: []string{"地区", "2024年", "2025年", "2026年"}, rows: [][]string{{"北京", "1", "2", "3"}}, lines: []int{3},
	}, {
		name: "header names cleaned", file: "a.csv",
		data:   []byte("\u3000名称\u3000,,名称,\"累计消费\n金额\",\"Unit  \nPrice\",名称_2,,\n1,2,3,4,5,6,,\n"),
		header: []string{"名称", "列2", "名称_3", "累计消费金额", "Unit Price", "名称_2"},
		rows:   [][]string{{"1", "2", "3", "4", "5", "6"}}, lines: []int{2},
	}, {
		name: "explicit header row", file: "a.csv", opt: Options{HeaderRow: 2},
		data:   []byte("x,y\na,b\n1,2\n"),
		header: []string{"a", "b"}, rows: [][]string{{"1", "2"}}, lines: []int{3},
	}, {
		name: "header only", file: "a.csv",
		data:   []byte("a,b\r\n"),
		header: []string{"a", "b"}, lines: nil,
	}, {
		name: "formula guard removed", file: "a.csv",
		data:   []byte("a,b\n'=1+1,'hello\n"),
		header: []string{"a", "b"}, rows: [][]string{{"=1+1", "'hello"}}, lines: []int{2},
	}, {
		name: "lazy quotes", file: "a.csv",
		data:   []byte("a,b\nsay \"hi\",x\"y\n"),
		header: []string{"a", "b"}, rows: [][]string{{`say "hi"`, `x"y`}}, lines: []int{2},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check := func(t *testing.T, r Reader) {
				defer r.Close()
				if !reflect.DeepEqual(r.Header(), c.header) {
					t.Fatalf("header %q, want %q", r.Header(), c.header)
				}
				rows, lines := readAll(t, r)
				if c.name == "GBK after 100 KB of ASCII" {
					if last := rows[len(rows)-1]; !reflect.DeepEqual(last, []string{"北京客户", "北京"}) {
						t.Fatalf("last row %q", last)
					}
					return
				}
				if !reflect.DeepEqual(rows, c.rows) || !reflect.DeepEqual(lines, c.lines) {
					t.Fatalf("rows %q lines %v\nwant %q lines %v", rows, lines, c.rows, c.lines)
				}
			}
			r, err := Open(writeFile(t, c.file, c.data), c.opt)
			if err != nil {
				t.Fatal(err)
			}
			check(t, r)
			// The same through a plain stream, as an upload.
			r, err = OpenReader(io.MultiReader(bytes.NewReader(c.data)), c.file, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			check(t, r)
		})
	}
}

func TestCSVHeaderRowErrors(t *testing.T) {
	p := writeFile(t, "a.csv", []byte("a,b\n\n1,2\n"))
	for _, row := range []int{2, 9, -1} {
		if _, err := Open(p, Options{HeaderRow: row}); err == nil {
			t.Errorf("HeaderRow %d: no error", row)
		}
	}
}

func TestDetectSeparator(t *testing.T) {
	for in, want := range map[string]rune{
		"":                                ',',
		"single column\nx\ny\n":           ',',
		"a,b,c\n1,2,3\n":                  ',',
		"a;b;c\n1;2,5;3\n4;5,5;6\n":       ';',
		"a\tb\n1,5\t2\n":                  '\t',
		"\"a,b\";c;d\n1;2;3\n":            ';',
		"\"x\ny,z\",b\n1,2\n":             ',',
		"title,,,\nnote,,,\na,b,c,d\n1,2": ',',
	} {
		if got := detectSeparator([]byte(in), false); got != want {
			t.Errorf("detectSeparator(%q) = %q, want %q", in, got, want)
		}
	}
	if got := detectSeparator([]byte("one\ntwo\n"), true); got != '\t' {
		t.Errorf("tsv default = %q", got)
	}
}

func TestCleanName(t *testing.T) {
	for in, want := range map[string]string{
		"\uFEFF客户编号":       "客户编号",
		"\u3000 名称 \u3000": "名称",
		"累计\r\n消费":         "累计消费",
		"Unit\nPrice":      "Unit Price",
		"a   b":            "a b",
		"金额\n(元)":          "金额(元)",
		"\u200b":           "",
	} {
		if got := cleanName(in); got != want {
			t.Errorf("cleanName(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzCSV feeds arbitrary bytes as a CSV file: reading never panics, and every row has the
// header's width.
func FuzzCSV(f *testing.F) {
	seed, _ := os.ReadFile("testdata/customers_gbk.csv")
	f.Add(seed[:2000])
	for _, s := range []string{"", "a,b\n1,2\n", "\uFEFFa;b\r\n\"x\ny\";2", "\xff\xfea\x00\t\x00b\x00", "\"unterminated,\n1,2",
		",,,\n,,\n", "a\tb\n\xd6\xd0\xce\xc4\t1\n", "'=1,@x\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opt := range []Options{{}, {HeaderRow: 2}} {
			r, err := OpenReader(bytes.NewReader(data), "fuzz.csv", opt)
			if err != nil {
				continue
			}
			n := len(r.Header())
			if n == 0 {
				t.Fatalf("empty header from %q", data)
			}
			for i := 0; ; i++ {
				row, err := r.Next()
				if err != nil {
					break
				}
				if len(row) != n {
					t.Fatalf("row of %d cells, header of %d", len(row), n)
				}
				if r.Line() < 1 {
					t.Fatalf("line %d", r.Line())
				}
			}
			r.Close()
		}
	})
}
