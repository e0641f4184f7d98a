package spreadsheet

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"tierbase/core/schema"
)

// The fixtures in testdata are copies of shared/fixtures: a real LibreOffice Calc workbook and
// the same sheet saved by Excel on Chinese Windows as a GB18030 CSV.

var fixtureHeader = []string{"客户编号", "客户名称", "联系电话", "客户来源", "地区", "首次购买日期", "最近消费日", "累计消费金额", "购买频率", "毛利率", "是否VIP"}

type expected struct {
	HeaderRow int     `json:"header_row"`
	Rows      int     `json:"rows"`
	Sum       float64 `json:"sum_累计消费金额"`
}

func loadExpected(t *testing.T) expected {
	t.Helper()
	b, err := os.ReadFile("testdata/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var e expected
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// readAll reads every row, checking each has the header's width, and the row numbers.
func readAll(t *testing.T, r Reader) (rows [][]string, lines []int) {
	t.Helper()
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Next after line %d: %v", r.Line(), err)
		}
		if len(row) != len(r.Header()) {
			t.Fatalf("line %d: %d cells, header has %d", r.Line(), len(row), len(r.Header()))
		}
		rows = append(rows, row)
		lines = append(lines, r.Line())
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("Next after EOF: %v", err)
	}
	return rows, lines
}

func openAll(t *testing.T, path string, opt Options) ([]string, [][]string, []int) {
	t.Helper()
	r, err := Open(path, opt)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	defer func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	h := r.Header()
	rows, lines := readAll(t, r)
	return h, rows, lines
}

func TestFixtures(t *testing.T) {
	want := loadExpected(t)
	firstRows := map[string][]string{
		// XLSX: stored values — ISO dates, plain amounts, percent without the sign.
		"customers_libreoffice.xlsx": {"K100000", "测试客户0号", "+86 139 1931 8117", "展会", "四川", "2026-06-09", "2026-11-01", "67809.96", "3", "26%", "是"},
		// CSV: the text as shown in the cells, decoded from GB18030.
		"customers_gbk.csv": {"K100000", "测试客户0号", "+86 139 1931 8117", "展会", "四川", "2026年6月9日", "2026年11月1日", "¥67,809.96", "3", "26%", "是"},
	}
	for name, first := range firstRows {
		t.Run(name, func(t *testing.T) {
			r, err := Open(filepath.Join("testdata", name), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if !reflect.DeepEqual(r.Header(), fixtureHeader) {
				t.Fatalf("header %q, want %q", r.Header(), fixtureHeader)
			}
			if r.Line() != want.HeaderRow {
				t.Errorf("header line %d, want %d", r.Line(), want.HeaderRow)
			}
			rows, lines := readAll(t, r)
			if len(rows) != want.Rows {
				t.Fatalf("%d rows, want %d", len(rows), want.Rows)
			}
			if lines[0] != 4 || lines[len(lines)-1] != 303 {
				t.Errorf("first/last data lines %d/%d, want 4/303", lines[0], lines[len(lines)-1])
			}
			if !reflect.DeepEqual(rows[0], first) {
				t.Errorf("first row\n got %q\nwant %q", rows[0], first)
			}
			var cents int64
			var sum float64
			for i, row := range rows {
				n, ok := schema.ParseNumber(row[7])
				if !ok {
					t.Fatalf("line %d: 累计消费金额 %q is not a number", lines[i], row[7])
				}
				cents += int64(math.Round(n * 100))
				sum += n
				if _, ok := schema.ParseDate(row[5], time.UTC); !ok {
					t.Fatalf("line %d: 首次购买日期 %q is not a date", lines[i], row[5])
				}
				if _, ok := schema.ParseBool(row[10]); !ok {
					t.Fatalf("line %d: 是否VIP %q is not a yes/no", lines[i], row[10])
				}
				if _, ok := schema.ParsePhone(row[2]); !ok {
					t.Fatalf("line %d: 联系电话 %q is not a phone", lines[i], row[2])
				}
			}
			if cents != int64(math.Round(want.Sum*100)) || math.Abs(sum-want.Sum) > 1e-6 {
				t.Errorf("sum of 累计消费金额 = %.2f (%d cents), want %.2f", sum, cents, want.Sum)
			}
		})
	}
}

// TestFixturesAgree reads both fixtures and checks that every cell means the same once the
// importer's parsers have read it: the XLSX reader's ISO dates and plain numbers against the
// CSV's displayed 2026年6月9日, ¥67,809.96 and 26%.
func TestFixturesAgree(t *testing.T) {
	_, xrows, _ := openAll(t, "testdata/customers_libreoffice.xlsx", Options{})
	_, crows, _ := openAll(t, "testdata/customers_gbk.csv", Options{})
	if len(xrows) != len(crows) {
		t.Fatalf("%d xlsx rows, %d csv rows", len(xrows), len(crows))
	}
	for i := range xrows {
		for j, name := range fixtureHeader {
			x, c := xrows[i][j], crows[i][j]
			switch name {
			case "首次购买日期", "最近消费日":
				dx, ok1 := schema.ParseDate(x, time.UTC)
				dc, ok2 := schema.ParseDate(c, time.UTC)
				if !ok1 || !ok2 || !dx.Equal(dc) {
					t.Fatalf("row %d %s: xlsx %q, csv %q", i+4, name, x, c)
				}
			case "累计消费金额", "购买频率", "毛利率":
				nx, ok1 := schema.ParseNumber(x)
				nc, ok2 := schema.ParseNumber(c)
				if !ok1 || !ok2 || nx != nc {
					t.Fatalf("row %d %s: xlsx %q, csv %q", i+4, name, x, c)
				}
			default:
				if x != c {
					t.Fatalf("row %d %s: xlsx %q, csv %q", i+4, name, x, c)
				}
			}
		}
	}
}

func TestFixtureSheets(t *testing.T) {
	names, err := Sheets("testdata/customers_libreoffice.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(names, []string{"客户名单", "说明"}) {
		t.Fatalf("Sheets = %q", names)
	}
	h1, rows1, _ := openAll(t, "testdata/customers_libreoffice.xlsx", Options{Sheet: "客户名单"})
	if !reflect.DeepEqual(h1, fixtureHeader) || len(rows1) != 300 {
		t.Fatalf("sheet 客户名单: header %q, %d rows", h1, len(rows1))
	}
	h2, rows2, _ := openAll(t, "testdata/customers_libreoffice.xlsx", Options{Sheet: "2"})
	h3, rows3, _ := openAll(t, "testdata/customers_libreoffice.xlsx", Options{Sheet: "说明"})
	if len(h2) == 0 || !reflect.DeepEqual(h2, h3) || !reflect.DeepEqual(rows2, rows3) {
		t.Fatalf("sheet 2 and 说明 differ: %q %q / %q %q", h2, rows2, h3, rows3)
	}
	if reflect.DeepEqual(h2, fixtureHeader) {
		t.Fatalf("sheet 2 read the first sheet")
	}
	_, err = Open("testdata/customers_libreoffice.xlsx", Options{Sheet: "客户"})
	if err == nil || !strings.Contains(err.Error(), "客户名单、说明") || !strings.Contains(err.Error(), `no sheet named "客户"`) {
		t.Fatalf("unknown sheet: %v", err)
	}
	if _, err := Sheets("testdata/customers_gbk.csv"); err == nil {
		t.Fatal("Sheets of a CSV file: no error")
	}
}

// TestOpenReaderFixtures reads the fixtures as uploads: in place from an io.ReaderAt, and
// through a temporary file from a plain stream, which Close removes.
func TestOpenReaderFixtures(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	for _, name := range []string{"customers_libreoffice.xlsx", "customers_gbk.csv"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		for _, src := range []struct {
			kind string
			r    io.Reader
		}{{"ReaderAt", bytes.NewReader(data)}, {"stream", io.MultiReader(bytes.NewReader(data))}} {
			r, err := OpenReader(src.r, "上传的"+strings.ToUpper(name), Options{})
			if err != nil {
				t.Fatalf("%s %s: %v", name, src.kind, err)
			}
			rows, lines := readAll(t, r)
			if len(rows) != 300 || lines[0] != 4 || !reflect.DeepEqual(r.Header(), fixtureHeader) {
				t.Fatalf("%s %s: %d rows from line %d, header %q", name, src.kind, len(rows), lines[0], r.Header())
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Fatalf("%s %s: temporary files left: %v", name, src.kind, left)
			}
		}
	}
}

func TestUnsupportedFiles(t *testing.T) {
	dir := t.TempDir()
	for name, wantText := range map[string]string{
		"客户.xls":   "请在 Excel 或 WPS 中另存为 .xlsx",
		"客户.XLS":   "save it as .xlsx",
		"客户.pdf":   "不支持的文件类型 .pdf",
		"客户":       "no extension",
		"客户.et":    "另存为 .xlsx",
		"old.xlsx": "加密的工作簿或旧版 .xls",
		"bad.xlsx": "不是有效的 .xlsx 文件",
		"zip.xlsx": "不是有效的 .xlsx 文件",
	} {
		p := filepath.Join(dir, name)
		content := []byte("a,b\n1,2\n")
		switch name {
		case "old.xlsx":
			content = append(append([]byte{}, oleMagic...), make([]byte, 512)...)
		case "zip.xlsx":
			content = []byte("PK\x03\x04 truncated")
		}
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Open(p, Options{})
		if err == nil || !strings.Contains(err.Error(), wantText) {
			t.Errorf("Open(%s) = %v, want an error with %q", name, err, wantText)
		}
		if _, err2 := OpenReader(bytes.NewReader(content), name, Options{}); err2 == nil || !strings.Contains(err2.Error(), wantText) {
			t.Errorf("OpenReader(%s) = %v, want an error with %q", name, err2, wantText)
		}
	}
	// An .xlsx renamed to .csv is still read as XLSX.
	data, err := os.ReadFile("testdata/customers_libreoffice.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "renamed.csv")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	h, rows, _ := openAll(t, p, Options{})
	if !reflect.DeepEqual(h, fixtureHeader) || len(rows) != 300 {
		t.Fatalf("renamed xlsx: header %q, %d rows", h, len(rows))
	}
	// Empty files.
	for _, name := range []string{"empty.csv", "blank.csv"} {
		content := ""
		if name == "blank.csv" {
			content = "\uFEFF , ,\r\n\r\n\t\r\n"
		}
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o644)
		if _, err := Open(p, Options{}); !errors.Is(err, ErrEmpty) {
			t.Errorf("Open(%s) = %v, want ErrEmpty", name, err)
		}
	}
}
