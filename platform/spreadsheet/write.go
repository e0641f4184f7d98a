package spreadsheet

import (
	"archive/zip"
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Writer streams rows out for export. The first Write is the header row. Close finishes the
// file (for XLSX it is only then written to the io.Writer) and does not close that io.Writer.
//
// Values become cells so that they read back the same through Open: strings as text (in XLSX,
// "2006-01-02" and "2006-01-02 15:04[:05]" strings become real date cells, shown yyyy-mm-dd and
// yyyy-mm-dd hh:mm:ss); integers and floats as numbers (integers beyond 15 digits, which Excel
// cannot hold exactly, as text); bool as 是/否; time.Time as a date (at midnight) or date-time,
// in its own location; json.Number as a number; Money as a number formatted ¥#,##0.00 (CSV:
// plain decimal); []string joined with ", "; nil as an empty cell; anything else as fmt.Sprint
// gives it.
type Writer interface {
	Write(row []any) error
	Close() error
}

// Create starts an export in format "csv" (UTF-8 with a BOM, so that Excel on Windows shows
// Chinese correctly, CRLF line ends; floats with Excel's 15 significant digits; text a
// spreadsheet program would run as a formula, such as =HYPERLINK(…), behind an apostrophe,
// which Open removes) or "xlsx" (one sheet, bold frozen header row, at most 1,048,576 rows).
func Create(w io.Writer, format string) (Writer, error) {
	switch strings.ToLower(strings.TrimPrefix(format, ".")) {
	case "csv":
		bw := bufio.NewWriterSize(w, 64<<10)
		if _, err := bw.WriteString("\uFEFF"); err != nil {
			return nil, err
		}
		cw := csv.NewWriter(bw)
		cw.UseCRLF = true
		return &csvWriter{bw: bw, cw: cw}, nil
	case "xlsx":
		return newXLSXWriter(w)
	}
	return nil, fmt.Errorf("不支持的导出格式 %q，可选 csv 或 xlsx / unsupported export format %q; use csv or xlsx", format, format)
}

// Money is an amount in yuan. In XLSX it is a number cell with the currency format
// MoneyFormat, so Excel sums it and shows ¥1,234.50; in CSV it is plain decimal text.
type Money float64

// MoneyFormat is the number format of Money cells.
const MoneyFormat = "¥#,##0.00"

var errClosed = errors.New("导出已结束 / the writer is closed")

type csvWriter struct {
	bw     *bufio.Writer
	cw     *csv.Writer
	rec    []string
	closed bool
}

func (w *csvWriter) Write(row []any) error {
	if w.closed {
		return errClosed
	}
	w.rec = w.rec[:0]
	for _, v := range row {
		w.rec = append(w.rec, guard(text(v)))
	}
	return w.cw.Write(w.rec)
}

func (w *csvWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	w.cw.Flush()
	if err := w.cw.Error(); err != nil {
		return err
	}
	return w.bw.Flush()
}

// guard puts an apostrophe before text that a spreadsheet program opening the CSV would run
// as a formula (=HYPERLINK(…), @SUM(…), +cmd|…), against CSV injection; numbers and phone
// numbers such as "-5" or "+86 139 1234 5678" are left alone. Text already starting with
// apostrophes before such a formula gets one more, so that Open, which removes one, gives every
// value back as it was written.
func guard(s string) string {
	if formulaLike(strings.TrimLeft(s, "'")) {
		return "'" + s
	}
	return s
}

// text is a value's CSV text.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "是"
		}
		return "否"
	case float64:
		return floatText(x)
	case float32:
		return floatText(float64(x))
	case Money:
		return floatText(float64(x))
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format("2006-01-02")
		}
		return x.Format("2006-01-02 15:04:05")
	case *time.Time:
		if x == nil {
			return ""
		}
		return text(*x)
	case json.Number:
		return string(x)
	case []string:
		return strings.Join(x, ", ")
	case []byte:
		return string(x)
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// floatText writes a float in plain decimal notation with Excel's 15 significant digits, so a
// computed 0.30000000000000004 exports as 0.3.
func floatText(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return ""
	}
	return formatFloat(f)
}

// xlsxWriter streams rows into an excelize StreamWriter, which keeps at most 16 MB of rows in
// memory and the rest in a temporary file; Close zips the workbook into w. excelize's own
// WriteTo first builds the whole zip in a bytes.Buffer (memory as large as the file), so the
// writer gives excelize a zip writer over w itself (SetZipWriter), and the buffer stays empty.
type xlsxWriter struct {
	w          io.Writer
	f          *excelize.File
	sw         *excelize.StreamWriter
	row        int
	dateStyle  int
	timeStyle  int
	moneyStyle int
	boldStyle  int
	cells      []any
	closed     bool
}

const sheetName = "Sheet1"

func newXLSXWriter(w io.Writer) (*xlsxWriter, error) {
	f := excelize.NewFile()
	x := &xlsxWriter{w: w, f: f}
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	var err error
	dateFmt, timeFmt, moneyFmt := "yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss", MoneyFormat
	if x.dateStyle, err = f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt}); err == nil {
		if x.timeStyle, err = f.NewStyle(&excelize.Style{CustomNumFmt: &timeFmt}); err == nil {
			if x.moneyStyle, err = f.NewStyle(&excelize.Style{CustomNumFmt: &moneyFmt}); err == nil {
				if x.boldStyle, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err == nil {
					x.sw, err = f.NewStreamWriter(sheetName)
				}
			}
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return x, nil
}

func (x *xlsxWriter) Write(row []any) error {
	if x.closed {
		return errClosed
	}
	if x.row >= excelize.TotalRows {
		return fmt.Errorf("超过 Excel 的最大行数 %d，请分批导出或使用 CSV / more than Excel's %d rows; export in parts or as CSV", excelize.TotalRows, excelize.TotalRows)
	}
	if len(row) > maxColumns {
		return fmt.Errorf("超过 Excel 的最大列数 %d / more than Excel's %d columns", maxColumns, maxColumns)
	}
	x.row++
	x.cells = x.cells[:0]
	if x.row == 1 {
		if err := x.startSheet(row); err != nil {
			return err
		}
		for _, v := range row {
			x.cells = append(x.cells, text(v))
		}
		return x.sw.SetRow("A1", x.cells, excelize.RowOpts{StyleID: x.boldStyle})
	}
	for _, v := range row {
		x.cells = append(x.cells, x.cell(v))
	}
	ref, _ := excelize.CoordinatesToCellName(1, x.row)
	return x.sw.SetRow(ref, x.cells)
}

// startSheet sizes the columns to the header and freezes the header row; excelize needs both
// before the first row.
func (x *xlsxWriter) startSheet(header []any) error {
	for i, v := range header {
		w := 2.0
		for _, r := range text(v) {
			if r < utf8.RuneSelf {
				w++
			} else {
				w += 2
			}
		}
		if err := x.sw.SetColWidth(i+1, i+1, min(max(w, 10), 40)); err != nil {
			return err
		}
	}
	return x.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
}

var (
	dateRe     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	dateTimeRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$`)
)

// maxExact is the largest integer written as a number: Excel keeps 15 significant digits.
const maxExact = 999_999_999_999_999

// cell converts a value for excelize (see Writer).
func (x *xlsxWriter) cell(v any) any {
	switch t := v.(type) {
	case nil:
		return nil
	case string:
		if len(t) == 10 && dateRe.MatchString(t) {
			if d, err := time.Parse("2006-01-02", t); err == nil {
				return x.dateCell(d)
			}
		} else if len(t) >= 16 && len(t) <= 19 && dateTimeRe.MatchString(t) {
			s := strings.Replace(t, "T", " ", 1)
			if len(s) == 16 {
				s += ":00"
			}
			if d, err := time.Parse("2006-01-02 15:04:05", s); err == nil {
				return x.dateCell(d)
			}
		}
		return t
	case time.Time:
		return x.dateCell(t)
	case *time.Time:
		if t == nil {
			return nil
		}
		return x.dateCell(*t)
	case int:
		return intCell(int64(t))
	case int64:
		return intCell(t)
	case int32, int16, int8, uint8, uint16, uint32:
		return t
	case uint:
		if uint64(t) > maxExact {
			return strconv.FormatUint(uint64(t), 10)
		}
		return t
	case uint64:
		if t > maxExact {
			return strconv.FormatUint(t, 10)
		}
		return t
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil
		}
		return t
	case float32:
		return x.cell(float64(t))
	case Money:
		if math.IsNaN(float64(t)) || math.IsInf(float64(t), 0) {
			return nil
		}
		return excelize.Cell{StyleID: x.moneyStyle, Value: float64(t)}
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return intCell(i)
		}
		if f, err := strconv.ParseFloat(string(t), 64); err == nil && !math.IsInf(f, 0) {
			return f
		}
		return string(t)
	}
	return text(v)
}

func intCell(i int64) any {
	if i > maxExact || i < -maxExact {
		return strconv.FormatInt(i, 10)
	}
	return i
}

// dateCell writes t's wall-clock date and time as an Excel day number with a date format;
// dates Excel cannot show (before 1900) stay text.
func (x *xlsxWriter) dateCell(t time.Time) any {
	if t.Year() < 1900 || t.Year() > 9999 {
		return text(t)
	}
	wall := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
	elapsed := wall.Unix() - time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).Unix()
	days, secs := elapsed/86400, elapsed%86400
	if wall.Before(time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC)) {
		days-- // Excel's day 60 is a 1900-02-29 that never was
	}
	serial := float64(days) + float64(secs)/86400
	style := x.dateStyle
	if secs != 0 {
		style = x.timeStyle
	}
	return excelize.Cell{StyleID: style, Value: serial}
}

func (x *xlsxWriter) Close() error {
	if x.closed {
		return nil
	}
	x.closed = true
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return err
	}
	_, err := x.f.WriteTo(x.w)
	return err
}
