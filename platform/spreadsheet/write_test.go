package spreadsheet

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

var roundTripRows = [][]any{
	{"名称", "金额", "数量", "签约日", "到访", "VIP", "备注", "电话", "编号"},
	{"甲公司, 北京", Money(12345.6), 3, "2026-03-05", "2026-03-05 14:30:00", true, "说 \"好\"\r\n第二行", "+86 139 1234 5678", "007"},
	{"=HYPERLINK(\"http://x\")", -0.5, int64(-7), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 9, 5, 7, 0, time.UTC), false, nil, "-5", json.Number("42")},
	{"@SUM(A1)", 0.1 + 0.2, 0, "2026/3/5", "2026-03-05T08:00", nil, "'=quoted", "+cmd|' /C calc'!A0", int64(1234567890123456789)},
	{"乙", 1e-7, 1000000, "1899-12-31", "", false, "tab\there", "", []string{"a", "b"}},
}

// wantBack is what reading roundTripRows back gives, as text: the same for CSV and XLSX.
var wantBack = [][]string{
	{"甲公司, 北京", "12345.6", "3", "2026-03-05", "2026-03-05 14:30:00", "是", "说 \"好\"\n第二行", "+86 139 1234 5678", "007"},
	{"=HYPERLINK(\"http://x\")", "-0.5", "-7", "2025-01-01", "2025-01-01 09:05:07", "否", "", "-5", "42"},
	{"@SUM(A1)", "0.3", "0", "2026/3/5", "2026-03-05 08:00:00", "", "'=quoted", "+cmd|' /C calc'!A0", "1234567890123456789"},
	{"乙", "0.0000001", "1000000", "1899-12-31", "", "否", "tab\there", "", "a, b"},
}

func TestRoundTrip(t *testing.T) {
	for _, format := range []string{"csv", "xlsx"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := Create(&buf, format)
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range roundTripRows {
				if err := w.Write(row); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if err := w.Write([]any{"late"}); err == nil {
				t.Error("Write after Close: no error")
			}
			r, err := OpenReader(bytes.NewReader(buf.Bytes()), "export."+format, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if h := r.Header(); !reflect.DeepEqual(h, []string{"名称", "金额", "数量", "签约日", "到访", "VIP", "备注", "电话", "编号"}) {
				t.Fatalf("header %q", h)
			}
			rows, lines := readAll(t, r)
			want := append([][]string{}, wantBack...)
			want[0] = append([]string{}, wantBack[0]...)
			want[2] = append([]string{}, wantBack[2]...)
			if format == "csv" {
				want[2][4] = "2026-03-05T08:00" // text as written; XLSX made it a date cell
			} else {
				want[0][6] = "说 \"好\"\r\n第二行" // encoding/csv reads a quoted CRLF as LF
			}
			if !reflect.DeepEqual(rows, want) {
				t.Fatalf("rows\n%q\nwant\n%q", rows, want)
			}
			if !reflect.DeepEqual(lines, []int{2, 3, 4, 5}) {
				t.Fatalf("lines %v", lines)
			}
		})
	}
}

func TestCSVWriterBytes(t *testing.T) {
	var buf bytes.Buffer
	w, err := Create(&buf, "CSV")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]any{"名称", "金额"})
	w.Write([]any{"=1+1", 1.5})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "\uFEFF名称,金额\r\n'=1+1,1.5\r\n"; got != want {
		t.Fatalf("csv = %q, want %q", got, want)
	}
	if _, err := Create(&buf, "xls"); err == nil || !strings.Contains(err.Error(), "不支持的导出格式") {
		t.Fatalf("Create xls: %v", err)
	}
}

// TestXLSXWriterCells checks the exported workbook with excelize itself: real date cells with
// a yyyy-mm-dd format, numbers as numbers, long integers as text, a bold frozen header.
func TestXLSXWriterCells(t *testing.T) {
	var buf bytes.Buffer
	w, err := Create(&buf, "xlsx")
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range roundTripRows {
		if err := w.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := f.GetSheetName(0)
	for cell, want := range map[string]excelize.CellType{
		// numbers and dates are written without a type attribute, strings as inline strings
		"B2": excelize.CellTypeUnset, "C2": excelize.CellTypeUnset, "D2": excelize.CellTypeUnset,
		"A2": excelize.CellTypeInlineString, "I2": excelize.CellTypeInlineString, "I4": excelize.CellTypeInlineString,
	} {
		if got, err := f.GetCellType(s, cell); err != nil || got != want {
			t.Errorf("%s: type %v, want %v (%v)", cell, got, want, err)
		}
	}
	for cell, want := range map[string]string{"D2": "2026-03-05", "E2": "2026-03-05 14:30:00", "D3": "2025-01-01", "B2": "¥12,345.60", "B3": "-0.5"} {
		if got, _ := f.GetCellValue(s, cell); got != want {
			t.Errorf("%s shows %q, want %q", cell, got, want)
		}
	}
	if raw, _ := f.GetCellValue(s, "D2", excelize.Options{RawCellValue: true}); raw != "46086" {
		t.Errorf("D2 raw %q, want the day number 46086", raw)
	}
	id, _ := f.GetCellStyle(s, "A1")
	if st, err := f.GetStyle(id); err != nil || st.Font == nil || !st.Font.Bold {
		t.Errorf("header not bold: %+v %v", st, err)
	}
	if panes, err := f.GetPanes(s); err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("header not frozen: %+v %v", panes, err)
	}
}
