package spreadsheet

import (
	"archive/zip"
	"bytes"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// makeXLSX builds a workbook with excelize, the way office users lay sheets out.
func makeXLSX(t *testing.T, build func(f *excelize.File)) string {
	t.Helper()
	f := excelize.NewFile()
	build(f)
	p := filepath.Join(t.TempDir(), "book.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func style(t *testing.T, f *excelize.File, s *excelize.Style) int {
	t.Helper()
	id, err := f.NewStyle(s)
	must(t, err)
	return id
}

func customFmt(code string) *excelize.Style { return &excelize.Style{CustomNumFmt: &code} }

func TestXLSXGenerated(t *testing.T) {
	p := makeXLSX(t, func(f *excelize.File) {
		s := "Sheet1"
		must(t, f.SetSheetName(s, "客户"))
		s = "客户"
		title := style(t, f, &excelize.Style{Font: &excelize.Font{Bold: true, Size: 16}})
		must(t, f.SetCellValue(s, "A1", "2026 客户名单"))
		must(t, f.MergeCell(s, "A1", "I1"))
		must(t, f.SetCellStyle(s, "A1", "I1", title))
		must(t, f.SetCellValue(s, "A2", "制表：销售部"))
		must(t, f.SetCellValue(s, "C2", "单位：元"))
		must(t, f.SetSheetRow(s, "A3", &[]any{"名称", "签约日", "金额", "毛利率", "到访", "时间", "文本日期", "VIP", " 备注 "}))
		dateBuiltin := style(t, f, &excelize.Style{NumFmt: 14})
		dateCN := style(t, f, customFmt(`yyyy"年"m"月"d"日"`))
		dateTime := style(t, f, customFmt("yyyy-mm-dd hh:mm"))
		clock := style(t, f, customFmt("h:mm"))
		money := style(t, f, customFmt(`"¥"#,##0.00;[Red]\-"¥"#,##0.00`))
		pct := style(t, f, &excelize.Style{NumFmt: 10}) // 0.00%
		// row 4
		must(t, f.SetSheetRow(s, "A4", &[]any{"甲公司", 46086, 12345.6, 0.2575, 46086.6041666667, 0.75, "2026/3/5", true, "第一行\n第二行"}))
		must(t, f.SetCellStyle(s, "B4", "B4", dateCN))
		must(t, f.SetCellStyle(s, "C4", "C4", money))
		must(t, f.SetCellStyle(s, "D4", "D4", pct))
		must(t, f.SetCellStyle(s, "E4", "E4", dateTime))
		must(t, f.SetCellStyle(s, "F4", "F4", clock))
		// row 5: a gap row 6 is left empty; row 7 has sparse cells
		must(t, f.SetSheetRow(s, "A5", &[]any{"乙公司", 45658, -0.5, 1, 45658, 0, "2025-01-01", false, 0.1 + 0.2}))
		must(t, f.SetCellStyle(s, "B5", "B5", dateBuiltin))
		must(t, f.SetCellStyle(s, "C5", "C5", money))
		must(t, f.SetCellStyle(s, "D5", "D5", pct))
		must(t, f.SetCellStyle(s, "E5", "E5", dateTime))
		must(t, f.SetCellStyle(s, "F5", "F5", clock))
		must(t, f.SetCellValue(s, "A7", "丙公司"))
		must(t, f.SetCellValue(s, "C7", 13800000000))
		must(t, f.SetCellValue(s, "I7", "x"))
		// formatted empty cells: trailing columns and rows that hold only styles
		must(t, f.SetCellStyle(s, "J3", "L10", money))
		must(t, f.SetCellStyle(s, "A8", "I12", dateBuiltin))
	})
	h, rows, lines := openAll(t, p, Options{})
	wantHeader := []string{"名称", "签约日", "金额", "毛利率", "到访", "时间", "文本日期", "VIP", "备注"}
	if !reflect.DeepEqual(h, wantHeader) {
		t.Fatalf("header %q", h)
	}
	want := [][]string{
		{"甲公司", "2026-03-05", "12345.6", "25.75%", "2026-03-05 14:30:00", "18:00:00", "2026/3/5", "TRUE", "第一行\n第二行"},
		{"乙公司", "2025-01-01", "-0.5", "100%", "2025-01-01 00:00:00", "00:00:00", "2025-01-01", "FALSE", "0.3"},
		{"丙公司", "", "13800000000", "", "", "", "", "", "x"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows\n%q\nwant\n%q", rows, want)
	}
	if !reflect.DeepEqual(lines, []int{4, 5, 7}) {
		t.Fatalf("lines %v", lines)
	}
}

func TestXLSXSheets(t *testing.T) {
	p := makeXLSX(t, func(f *excelize.File) {
		must(t, f.SetSheetName("Sheet1", "空表"))
		for i, name := range []string{"一月", "二月", "隐藏"} {
			_, err := f.NewSheet(name)
			must(t, err)
			must(t, f.SetSheetRow(name, "A1", &[]any{"名称", "月份"}))
			must(t, f.SetSheetRow(name, "A2", &[]any{"甲", i + 1}))
		}
		must(t, f.SetSheetVisible("隐藏", false))
		must(t, f.SetCellStyle("空表", "A1", "C3", style(t, f, &excelize.Style{Font: &excelize.Font{Bold: true}})))
	})
	names, err := Sheets(p)
	must(t, err)
	if !reflect.DeepEqual(names, []string{"空表", "一月", "二月", "隐藏"}) {
		t.Fatalf("Sheets = %q", names)
	}
	for _, c := range []struct{ sheet, month string }{
		{"", "1"}, // the first visible sheet with data
		{"一月", "1"}, {"二月", "2"}, {"3", "2"}, {" 二月 ", "2"}, {"隐藏", "3"}, {"4", "3"},
	} {
		_, rows, _ := openAll(t, p, Options{Sheet: c.sheet})
		if len(rows) != 1 || rows[0][1] != c.month {
			t.Errorf("Sheet %q: rows %q, want month %s", c.sheet, rows, c.month)
		}
	}
	if _, err := Open(p, Options{Sheet: "空表"}); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty sheet: %v", err)
	}
	for sheet, want := range map[string]string{
		"三月": `找不到工作表“三月”，文件中的工作表：空表、一月、二月、隐藏 / no sheet named "三月"; the sheets are: 空表、一月、二月、隐藏`,
		"5":  "没有第 5 个工作表，文件共有 4 个：空表、一月、二月、隐藏 / there is no sheet 5; the file has 4: 空表、一月、二月、隐藏",
		"0":  "there is no sheet 0",
	} {
		_, err := Open(p, Options{Sheet: sheet})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Sheet %q: %v", sheet, err)
		}
	}
}

// TestXLSXHandWritten reads XML the way other producers write it: no r attributes, inline
// and rich strings with phonetic guides, escapes, ISO date cells, the 1904 date system,
// error and formula-string cells, a prefixed namespace, and a workbook at an unusual path.
func TestXLSXHandWritten(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	part := func(name, body string) {
		w, err := zw.Create(name)
		must(t, err)
		_, err = w.Write([]byte(body))
		must(t, err)
	}
	part("_rels/.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="/book/wb.xml"/></Relationships>`)
	part("book/wb.xml", `<?xml version="1.0"?><x:workbook xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><x:workbookPr date1904="1"/><x:sheets><x:sheet name="数据" sheetId="1" r:id="rId7"/></x:sheets></x:workbook>`)
	part("book/_rels/wb.xml.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="s/one.xml"/><Relationship Id="rId8" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="st.xml"/><Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="/book/ss.xml"/></Relationships>`)
	part("book/st.xml", `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="200" formatCode="[$-804]yyyy\年m\月d\日;@"/></numFmts><cellStyleXfs count="1"><xf numFmtId="9"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="200"/><xf numFmtId="31"/><xf numFmtId="9"/></cellXfs></styleSheet>`)
	part("book/ss.xml", `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3"><si><t>名称</t></si><si><r><rPr><b/></rPr><t>日</t></r><r><t xml:space="preserve">期 </t></r><rPh sb="0" eb="1"><t>ri</t></rPh></si><si><t>a_x000D_b_x005F_x0041_</t></si></sst>`)
	part("book/s/one.xml", `<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>`+
		`<x:row><x:c t="s"><x:v>0</x:v></x:c><x:c t="s"><x:v>1</x:v></x:c><x:c t="inlineStr"><x:is><x:t>比例</x:t></x:is></x:c><x:c t="inlineStr"><x:is><x:t>其他</x:t></x:is></x:c></x:row>`+
		`<x:row><x:c t="s"><x:v>2</x:v></x:c><x:c s="1"><x:v>0</x:v></x:c><x:c s="3"><x:v>0.125</x:v></x:c><x:c t="e"><x:v>#DIV/0!</x:v></x:c></x:row>`+
		`<x:row r="5"><x:c r="B5" s="2"><x:v>45000.5</x:v></x:c><x:c r="D5" t="str"><x:f>A1&amp;"x"</x:f><x:v>名称x</x:v></x:c><x:c r="A5" t="d"><x:v>2026-03-05T00:00:00Z</x:v></x:c></x:row>`+
		`<x:row r="6"><x:c r="A6" t="d"><x:v>2026-03-05T14:30:00</x:v></x:c><x:c r="C6" t="b"><x:v>1</x:v></x:c><x:c r="D6"><x:v>1.5E-3</x:v></x:c></x:row>`+
		`</x:sheetData></x:worksheet>`)
	must(t, zw.Close())
	r, err := OpenReader(bytes.NewReader(buf.Bytes()), "hand.xlsx", Options{})
	must(t, err)
	defer r.Close()
	if h := r.Header(); !reflect.DeepEqual(h, []string{"名称", "日期", "比例", "其他"}) {
		t.Fatalf("header %q", h)
	}
	rows, lines := readAll(t, r)
	want := [][]string{
		{"a\rb_x0041_", "1904-01-01", "12.5%", "#DIV/0!"},
		{"2026-03-05", "2027-03-16 12:00:00", "", "名称x"},
		{"2026-03-05 14:30:00", "", "TRUE", "0.0015"},
	}
	if !reflect.DeepEqual(rows, want) || !reflect.DeepEqual(lines, []int{2, 5, 6}) {
		t.Fatalf("rows %q lines %v\nwant %q", rows, lines, want)
	}
}

func TestClassifyFormat(t *testing.T) {
	for code, want := range map[string]numKind{
		"General":                    numPlain,
		"0.00":                       numPlain,
		"#,##0.00_);[Red](#,##0.00)": numPlain,
		`[$¥]#,##0.00`:               numPlain,
		`"¥"#,##0.00`:                numPlain,
		`_ ¥* #,##0.00_ ;_ ¥* -#,##0.00_ ;_ ¥* "-"??_ ;_ @_ `: numPlain,
		"0.00E+00":                 numPlain,
		"# ?/?":                    numPlain,
		"@":                        numPlain,
		`0.00"元"`:                  numPlain,
		`#,##0"天"`:                 numPlain,
		"0%":                       numPercent,
		"0.00%":                    numPercent,
		`yyyy\年m\月d\日`:             numDate,
		`yyyy"年"m"月"d"日"`:          numDate,
		"[$-804]yyyy年m月d日 dddd":    numDate,
		"m/d/yy":                   numDate,
		"mmm-yy":                   numDate,
		"[DBNum1][$-804]yyyy年m月d日": numDate,
		"yyyy-mm-dd hh:mm:ss":      numDateTime,
		"yyyy/m/d h:mm AM/PM":      numDateTime,
		"h:mm":                     numTime,
		"mm:ss":                    numTime,
		"h:mm AM/PM":               numTime,
		`上午/下午h"时"mm"分"`:           numTime,
		"[h]:mm:ss":                numPlain,
		"[Red]0.00":                numPlain,
	} {
		if got := classifyFormat(code); got != want {
			t.Errorf("classifyFormat(%q) = %d, want %d", code, got, want)
		}
	}
}

func TestCellText(t *testing.T) {
	for _, c := range []struct {
		v    float64
		kind numKind
		want string
		ok   bool
	}{
		{46086, numDate, "2026-03-05", true},
		{46086.604166666664, numDate, "2026-03-05 14:30:00", true},
		{46086, numDateTime, "2026-03-05 00:00:00", true},
		{0.5, numTime, "12:00:00", true},
		{1.25, numTime, "1900-01-01 06:00:00", true},
		{1, numDate, "1900-01-01", true},
		{59, numDate, "1900-02-28", true},
		{61, numDate, "1900-03-01", true},
		{2958465, numDate, "9999-12-31", true},
		{0.99999999, numDate, "1900-01-01", true}, // rounds to the next second, day 1
		{0, numDate, "", false},
		{-1, numDate, "", false},
		{1e9, numDate, "", false},
	} {
		b, ok := appendSerial([]byte("x"), c.v, c.kind, false)
		if got := string(b[1:]); got != c.want || ok != c.ok {
			t.Errorf("appendSerial(%v, %d) = %q %v, want %q %v", c.v, c.kind, got, ok, c.want, c.ok)
		}
	}
	for in, want := range map[string]string{
		"12345.6": "12345.6", "0.30000000000000004": "0.3", "1.5E-3": "0.0015", "13800000000": "13800000000",
		"-0": "0", "1E+21": "1000000000000000000000", "007": "7", "1.50": "1.5", "abc": "abc", "1234.5600000000002": "1234.56",
	} {
		if got := plainNumber(in); got != want {
			t.Errorf("plainNumber(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"0.26": "26%", "0.2575": "25.75%", "1": "100%", "-0.005": "-0.5%", "0": "0%", "12.3456": "1234.56%", "0.07": "7%", "1.1E-2": "1.1%",
	} {
		if got := percentText(in); got != want {
			t.Errorf("percentText(%q) = %q, want %q", in, got, want)
		}
	}
}

// sheetPackage wraps worksheet XML in a minimal XLSX package with one shared string and a
// date and a percent style.
func sheetPackage(t testing.TB, sheet []byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{
		"xl/workbook.xml":            `<workbook><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="x/styles" Target="styles.xml"/><Relationship Id="rId3" Type="x/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
		"xl/styles.xml":              `<styleSheet><cellXfs><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="9"/></cellXfs></styleSheet>`,
		"xl/sharedStrings.xml":       `<sst><si><t>名称</t></si></sst>`,
		"xl/worksheets/sheet1.xml":   string(sheet),
	} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	zw.Close()
	return buf.Bytes()
}

// FuzzXLSXSheet reads arbitrary worksheet XML: never a panic, and every row has the header's
// width.
func FuzzXLSXSheet(f *testing.F) {
	f.Add([]byte(`<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>b</t></is></c></row><row><c s="1"><v>46086.5</v></c><c s="2"><v>0.25</v></c><c t="b"><v>1</v></c></row></sheetData></worksheet>`))
	f.Add([]byte(`<sheetData><row r="3"><c r="XFD3" t="s"><v>7</v></c><c r="A3" t="d"><v>2026-01-01T00:00:00Z</v></c></row></sheetData>`))
	f.Fuzz(func(t *testing.T, sheet []byte) {
		r, err := OpenReader(bytes.NewReader(sheetPackage(t, sheet)), "f.xlsx", Options{})
		if err != nil {
			return
		}
		defer r.Close()
		n := len(r.Header())
		for {
			row, err := r.Next()
			if err != nil {
				return
			}
			if len(row) != n {
				t.Fatalf("row of %d cells, header of %d", len(row), n)
			}
		}
	})
}

// TestXLSXBomb: a worksheet that unzips to one 17 MB text is refused, not read into memory.
func TestXLSXBomb(t *testing.T) {
	sheet := []byte(`<worksheet><sheetData><row r="1"><c t="inlineStr"><is><t>` + strings.Repeat("A", 17<<20) + `</t></is></c></row></sheetData></worksheet>`)
	_, err := OpenReader(bytes.NewReader(sheetPackage(t, sheet)), "bomb.xlsx", Options{})
	if err == nil || !strings.Contains(err.Error(), "larger than 16 MB") {
		t.Fatalf("bomb: %v", err)
	}
}
