package spreadsheet

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkReadXLSX reads 100,000 rows of an XLSX written as the exporter writes one (inline
// strings, dates, date-times, amounts in the currency format, integers; 15 columns, as the
// bench's 1M-row import reads): go test -run '^$' -bench ReadXLSX -benchtime 5x ./platform/spreadsheet/
// Besides the time it reports the process's CPU time per read (cpu-ns/op, garbage collection
// included), steadier than the time on a shared machine.
func BenchmarkReadXLSX(b *testing.B) {
	const n = 100_000
	path := filepath.Join(b.TempDir(), "export.xlsx")
	writeExportLike(b, path, n)
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	cpu := cpuTime()
	for b.Loop() {
		r, err := Open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		count := 0
		for {
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if len(row) != 15 {
				b.Fatalf("row of %d cells", len(row))
			}
			count++
		}
		r.Close()
		if count != n {
			b.Fatalf("read %d rows, want %d", count, n)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the CPU time the process has used, user and system, in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// writeExportLike writes n rows shaped as `tierbase export` writes the bench's customers.
func writeExportLike(b *testing.B, path string, n int) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w, err := Create(bw, "xlsx")
	if err != nil {
		b.Fatal(err)
	}
	header := []any{"ID", "客户编号", "客户名称", "联系电话", "客户来源", "所属行业", "地区", "首次购买日期", "最近消费日", "累计消费金额", "购买频率", "负责人", "创建人", "创建时间", "修改时间"}
	if err := w.Write(header); err != nil {
		b.Fatal(err)
	}
	sources := []string{"市场活动", "官网", "转介绍", "展会", "电话营销", "企业微信"}
	industries := []string{"互联网", "制造业", "零售", "金融", "教育", "医疗"}
	regions := []string{"广东", "江苏", "浙江", "山东", "上海", "北京", "四川", "湖北"}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	made := time.Date(2026, 12, 7, 14, 15, 16, 0, time.UTC)
	for i := range n {
		d1 := base.AddDate(0, 0, i%700)
		row := []any{i + 1, fmt.Sprintf("K%07d", i), fmt.Sprintf("客户%d有限公司", i), fmt.Sprintf("1%d%09d", 3+i%7, i*7919%1000000000),
			sources[i%6], industries[i/6%6], regions[i%8], d1, d1.AddDate(0, 0, i%180), Money(float64(i%10000000) / 100), i % 30,
			nil, nil, made, made}
		if err := w.Write(row); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}
