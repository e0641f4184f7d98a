package spreadsheet

import (
	"archive/zip"
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMeasure is the manual memory and throughput check, not part of the suite: it writes or
// reads 1,000,000 rows × 10 columns and prints rows/s and the process's peak RSS. Run each step
// in its own process so that the peak belongs to that step alone (write-sst/read-sst: an XLSX
// with 5 million unique texts in its shared-strings table, as Excel saves text):
//
//	for m in write-csv read-csv write-xlsx read-xlsx write-sst read-sst; do
//	  SPREADSHEET_MEASURE=$m SPREADSHEET_DIR=/tmp/m go test -count=1 -run TestMeasure -v ./spreadsheet
//	done
func TestMeasure(t *testing.T) {
	mode, dir := os.Getenv("SPREADSHEET_MEASURE"), os.Getenv("SPREADSHEET_DIR")
	if mode == "" || dir == "" {
		t.Skip("manual check: set SPREADSHEET_MEASURE (write-csv, read-csv, write-xlsx, read-xlsx) and SPREADSHEET_DIR")
	}
	rows := 1_000_000
	if n, _ := strconv.Atoi(os.Getenv("SPREADSHEET_ROWS")); n > 0 {
		rows = n
	}
	format := mode[strings.IndexByte(mode, '-')+1:]
	path := filepath.Join(dir, "measure."+format)
	if format == "sst" { // an XLSX whose text is all in the shared-strings table, as Excel saves
		path = filepath.Join(dir, "measure-sst.xlsx")
	}
	start := time.Now()
	count := 0
	switch mode[:strings.IndexByte(mode, '-')] {
	case "write":
		if format == "sst" {
			count = writeSSTBook(t, path, rows)
			break
		}
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		w, err := Create(bw, format)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write([]any{"客户编号", "客户名称", "联系电话", "客户来源", "地区", "首次购买日期", "最近消费时间", "累计消费金额", "购买频率", "是否VIP"}); err != nil {
			t.Fatal(err)
		}
		sources := []string{"展会", "转介绍", "官网", "企业微信", "电话营销"}
		regions := []string{"北京", "上海", "广东", "四川", "浙江"}
		base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range rows {
			day := base.AddDate(0, 0, i%900)
			row := []any{
				fmt.Sprintf("K%07d", i), fmt.Sprintf("测试客户%d号", i), fmt.Sprintf("+86 139 %04d %04d", i%10000, i/10000),
				sources[i%5], regions[i/5%5], day.Format("2006-01-02"), day.Add(time.Duration(i%86400) * time.Second),
				float64(i%10000000) / 100, i % 50, i%3 == 0,
			}
			if err := w.Write(row); err != nil {
				t.Fatal(err)
			}
			count++
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := bw.Flush(); err != nil {
			t.Fatal(err)
		}
		f.Close()
	case "read":
		r, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for {
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(row) != 10 {
				t.Fatalf("row of %d", len(row))
			}
			count++
		}
		r.Close()
		if count != rows {
			t.Fatalf("read %d rows, want %d", count, rows)
		}
	default:
		t.Fatalf("unknown mode %q", mode)
	}
	elapsed := time.Since(start)
	st, _ := os.Stat(path)
	t.Logf("%s: %d rows in %v = %.0f rows/s; file %.1f MB; peak RSS %s", mode, count, elapsed.Round(time.Millisecond),
		float64(count)/elapsed.Seconds(), float64(st.Size())/1e6, peakRSS())
}

// writeSSTBook writes rows × 10 cells, 5 of them unique texts in the shared-strings table.
func writeSSTBook(t *testing.T, path string, rows int) int {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	part := func(name string) *bufio.Writer {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		return bufio.NewWriterSize(w, 1<<20)
	}
	w := part("xl/workbook.xml")
	w.WriteString(`<workbook xmlns:r="r"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	w.Flush()
	w = part("xl/_rels/workbook.xml.rels")
	w.WriteString(`<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId3" Type="x/sharedStrings" Target="sharedStrings.xml"/></Relationships>`)
	w.Flush()
	w = part("xl/sharedStrings.xml")
	w.WriteString("<sst>")
	for i := range 10 {
		fmt.Fprintf(w, "<si><t>列%d</t></si>", i)
	}
	for i := range rows {
		fmt.Fprintf(w, "<si><t>K%07d</t></si><si><t>测试客户%d号</t></si><si><t>+86 139 %04d %04d</t></si><si><t>地址%d</t></si><si><t>备注%d</t></si>", i, i, i%10000, i/10000, i, i)
	}
	w.WriteString("</sst>")
	w.Flush()
	w = part("xl/worksheets/sheet1.xml")
	w.WriteString(`<worksheet><sheetData><row r="1">`)
	for i := range 10 {
		fmt.Fprintf(w, `<c t="s"><v>%d</v></c>`, i)
	}
	w.WriteString("</row>")
	for i := range rows {
		fmt.Fprintf(w, `<row r="%d">`, i+2)
		for k := range 5 {
			fmt.Fprintf(w, `<c t="s"><v>%d</v></c>`, 10+i*5+k)
		}
		fmt.Fprintf(w, `<c><v>%d</v></c><c><v>%d.5</v></c><c><v>%d</v></c><c><v>0.%d</v></c><c t="b"><v>1</v></c></row>`, i, i, i%50, i%100)
	}
	w.WriteString("</sheetData></worksheet>")
	w.Flush()
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// peakRSS reads the process's high-water resident set size (Linux).
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))
		}
	}
	return "unknown"
}
