package main

import (
	"bufio"
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"tierbase/platform/store"
)

// TestMain lets a test run this program as a child process: with TIERBASE_TEST_MAIN set,
// the test binary behaves as the tierbase command.
func TestMain(m *testing.M) {
	if os.Getenv("TIERBASE_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func writeCSV(t *testing.T, path string, rows int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "客户编号,客户名称,联系电话,累计消费金额,最近消费日")
	for i := 0; i < rows; i++ {
		fmt.Fprintf(w, "K%07d,客户%d有限公司,138%08d,%d.50,2026-11-%02d\n", i, i, i, i%100000, 1+i%28)
	}
	w.Flush()
	f.Close()
}

func TestImportExportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	in := filepath.Join(dir, "客户.csv")
	writeCSV(t, in, 1000)
	var out, errb bytes.Buffer
	if err := run([]string{"import", "--data", data, "--table", "客户", "--create", in}, &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "inserted 1000") || !strings.Contains(out.String(), "联系电话: 手机") {
		t.Fatalf("import said %q", out.String())
	}
	exp := filepath.Join(dir, "out.xlsx")
	out.Reset()
	if err := run([]string{"export", "--data", data, "--table", "客户", "--filter", `{"field":"累计消费金额","op":"lt","value":100}`, exp}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "exported 100 records") {
		t.Fatalf("export said %q", out.String())
	}
	// Importing the export back by key changes nothing.
	out.Reset()
	if err := run([]string{"import", "--data", data, "--table", "客户", "--mode", "upsert", "--key", "客户编号", exp}, &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "unchanged 100") {
		t.Fatalf("re-import said %q", out.String())
	}
	// A bad row rejects the file and writes a report.
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("客户编号,客户名称,联系电话\nK9,好客户,13800138000\nK10,坏客户,12345\n"), 0o644)
	out.Reset()
	err := run([]string{"import", "--data", data, "--table", "客户", bad}, &out, &errb)
	if err == nil || !strings.Contains(out.String(), "rejected 1") {
		t.Fatalf("bad import: %v %q", err, out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "bad-错误报告.xlsx")); err != nil {
		t.Fatalf("no error report: %v", err)
	}
}

// TestImportKilledMidway kills an import with SIGKILL and checks the database is consistent
// and the table exactly as before.
func TestImportKilledMidway(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	small := filepath.Join(dir, "small.csv")
	writeCSV(t, small, 10)
	var out, errb bytes.Buffer
	if err := run([]string{"import", "--data", data, "--table", "客户", "--create", small}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.csv")
	writeCSV(t, big, 400000)
	db := killImport(t, data, big, "--table", "客户")
	var table string
	db.QueryRow("SELECT id FROM _tables WHERE name = '客户'").Scan(&table)
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM "t_` + table + `"`).Scan(&n); err != nil || n != 10 {
		t.Fatalf("after the kill the table has %d rows (%v), want the 10 from before", n, err)
	}
	// A killed import that was creating its table leaves no table behind.
	db = killImport(t, data, big, "--table", "新客户", "--create")
	var tables, fields int
	sqlTables := "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name LIKE 't_%'"
	if os.Getenv(store.TestServerEnv) != "" {
		sqlTables = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 't_%'"
	}
	db.QueryRow(sqlTables).Scan(&tables)
	db.QueryRow("SELECT COUNT(*) FROM _fields WHERE table_id NOT IN (SELECT id FROM _tables)").Scan(&fields)
	if err := db.QueryRow("SELECT COUNT(*) FROM _tables WHERE name = '新客户'").Scan(&n); err != nil || n != 0 || tables != 1 || fields != 0 {
		t.Fatalf("after the kill: 新客户 %d, SQL tables %d, stray fields %d (%v)", n, tables, fields, err)
	}
	// And the database works: the same imports now succeed.
	out.Reset()
	if err := run([]string{"import", "--data", data, "--table", "客户", small}, &out, &errb); err != nil || !strings.Contains(out.String(), "inserted 10") {
		t.Fatalf("import after the kill: %v %q", err, out.String())
	}
	if err := run([]string{"import", "--data", data, "--table", "新客户", "--create", small}, &out, &errb); err != nil {
		t.Fatalf("import --create after the kill: %v %q", err, out.String())
	}
}

// killImport starts `tierbase import --data data args…`, kills it with SIGKILL once it has
// read half of the file in its import pass (the bytes it has read, from /proc, pass 1.5× the
// file: the row count and type inference read before it), and returns the database after a
// PRAGMA integrity_check that passed (on SQLite). An import that ends before that fails the test.
func killImport(t *testing.T, data, file string, args ...string) *sql.DB {
	t.Helper()
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], append(append([]string{"import", "--data", data}, args...), file)...)
	cmd.Env = append(os.Environ(), "TIERBASE_TEST_MAIN=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for killed := false; !killed; {
		select {
		case err := <-exited:
			t.Fatalf("the import ended (%v) before it had read half of %s", err, file)
		case <-time.After(time.Millisecond):
		}
		if readBytes(cmd.Process.Pid) > st.Size()*3/2 {
			cmd.Process.Signal(syscall.SIGKILL)
			killed = true
		}
	}
	<-exited
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("the import was not killed: %v", cmd.ProcessState)
	}
	if os.Getenv(store.TestServerEnv) != "" { // the import's transaction died with it
		db, err := store.Open(data)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db.R
	}
	db, err := sql.Open("sqlite3", filepath.Join(data, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q %v", check, err)
	}
	return db
}

// readBytes is how many bytes process pid has read so far (rchar of /proc/pid/io), 0 if unknown.
func readBytes(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "rchar: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// A select value that first appears after the rows used to infer the types still imports.
func TestCreateTakesLateSelectValues(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "渠道.csv")
	f, _ := os.Create(in)
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "编号,渠道")
	for i := 0; i < 25000; i++ {
		ch := []string{"官网", "展会", "转介绍"}[i%3]
		if i >= 24990 {
			ch = "抖音"
		}
		fmt.Fprintf(w, "N%d,%s\n", i, ch)
	}
	w.Flush()
	f.Close()
	var out, errb bytes.Buffer
	if err := run([]string{"import", "--data", filepath.Join(dir, "data"), "--table", "渠道", "--create", in}, &out, &errb); err != nil {
		t.Fatalf("%v\n%s%s", err, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "渠道: 单选") || !strings.Contains(out.String(), "inserted 25000") {
		t.Fatalf("import said %q", out.String())
	}
}
