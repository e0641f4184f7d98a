package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestGroupCommitFailsAlone blocks the writer, queues three transactions that each write,
// the middle one failing after its write, and checks they were committed as one group in
// which only the middle one's changes were discarded.
func TestGroupCommitFailsAlone(t *testing.T) {
	sqliteOnly(t) // the writer's group commit
	db, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := db.Exec(ctx, "CREATE TABLE t_g(v TEXT)"); err != nil {
		t.Fatal(err)
	}
	release, started := make(chan struct{}), make(chan struct{})
	blocked := make(chan error, 1)
	go func() {
		blocked <- db.Tx(ctx, func(tx *sql.Tx) error { close(started); <-release; return nil })
	}()
	<-started // the blocker has been taken by the writer (counting the queue raced with its enqueuing)
	writes := db.Writes()
	errs := make([]chan error, 3)
	for i, v := range []string{"甲", "乙", "丙"} {
		errs[i] = make(chan error, 1)
		go func() {
			errs[i] <- db.Tx(ctx, func(tx *sql.Tx) error {
				if _, err := tx.Exec("INSERT INTO t_g VALUES(?)", v); err != nil {
					return err
				}
				if v == "乙" {
					return errors.New("乙 fails after writing")
				}
				return nil
			})
		}()
		for len(db.jobs) != i+1 { // queued in this order, behind the blocker
			time.Sleep(time.Millisecond)
		}
	}
	close(release)
	if err := <-blocked; err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false, true} {
		if err := <-errs[i]; (err == nil) != want {
			t.Errorf("transaction %d: error %v", i+1, err)
		}
	}
	rows, err := db.R.Query("SELECT v FROM t_g ORDER BY rowid")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var v string
		rows.Scan(&v)
		got = append(got, v)
	}
	if len(got) != 2 || got[0] != "甲" || got[1] != "丙" {
		t.Errorf("rows %v, want [甲 丙]: the failed transaction's write must be discarded, the others kept", got)
	}
	if n := db.Writes() - writes; n != 2 { // the blocker's commit, then the three together
		t.Errorf("%d commits after the blocker was taken, want 2 (the blocker, then one group)", n)
	}
}

// TestGroupRetriesAlone holds a Group's first write while three requests arrive, checks the
// three are written together, and that when one of them fails the group, each is written
// again alone: only the failing one fails.
func TestGroupRetriesAlone(t *testing.T) {
	db, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := db.Exec(ctx, "CREATE TABLE t_gr(v TEXT)"); err != nil {
		t.Fatal(err)
	}
	release, started := make(chan struct{}), make(chan struct{})
	var sizes []int // of the groups written, in order (one writer goroutine)
	g := &Group[string]{DB: db, Write: func(ctx context.Context, tx *sql.Tx, group []string) error {
		sizes = append(sizes, len(group))
		for _, v := range group {
			if v == "hold" {
				close(started)
				<-release
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO t_gr VALUES(?)", v); err != nil {
				return err
			}
			if v == "乙" {
				return errors.New("乙 fails")
			}
		}
		return nil
	}}
	held := make(chan error, 1)
	go func() { held <- g.Do("hold") }()
	<-started
	errs := make([]chan error, 3)
	for i, v := range []string{"甲", "乙", "丙"} {
		errs[i] = make(chan error, 1)
		go func() { errs[i] <- g.Do(v) }()
		for waiting := 0; waiting != i+1; time.Sleep(time.Millisecond) { // arrived in this order
			g.mu.Lock()
			waiting = len(g.waiting)
			g.mu.Unlock()
		}
	}
	close(release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false, true} {
		if err := <-errs[i]; (err == nil) != want {
			t.Errorf("request %d: error %v", i+1, err)
		}
	}
	if fmt.Sprint(sizes) != "[1 3 1 1 1]" {
		t.Errorf("groups of %v, want [1 3 1 1 1]: the held one, the three together, then each alone", sizes)
	}
	var got []string
	rows, err := db.R.Query("SELECT v FROM t_gr ORDER BY v")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v string
		rows.Scan(&v)
		got = append(got, v)
	}
	if fmt.Sprint(got) != "[hold 丙 甲]" {
		t.Errorf("rows %v, want [hold 丙 甲]", got)
	}
}

// TestGroupJournalsStayInMemory queues a Group's write between two other transactions, so
// that all three wait for the writer together, and has the write change some 40 pages in each
// of ten savepoints of its own (as a form's group does, a submission in each): it commits
// alone, so each savepoint's journal is forgotten at its release and none goes to a temporary
// file. Shared with the other transactions, its savepoints would sit inside a job's, their
// journals add up to 1.6 MB, and SQLite would move them to a file past 128 KB.
func TestGroupJournalsStayInMemory(t *testing.T) {
	sqliteOnly(t)
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("needs /proc to see the open files")
	}
	db, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := db.Exec(ctx, `CREATE TABLE t_j(id INTEGER PRIMARY KEY, v TEXT);
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 3000)
		INSERT INTO t_j SELECT i, printf('%.100c', 'a') FROM n`); err != nil {
		t.Fatal(err)
	}
	tempFiles := func() (n int) {
		fds, _ := os.ReadDir("/proc/self/fd")
		for _, fd := range fds {
			if to, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && strings.HasSuffix(to, "(deleted)") {
				n++
			}
		}
		return n
	}
	var spilled int
	g := Group[int]{DB: db, Write: func(ctx context.Context, tx *sql.Tx, group []int) error {
		for _, r := range group {
			for i := range 10 {
				if _, err := tx.Exec("SAVEPOINT r"); err != nil {
					return err
				}
				// Rows 300 apart: each savepoint changes its own 40-odd pages.
				if _, err := tx.Exec("UPDATE t_j SET v = printf('%.100c', ?) WHERE id % 300 = ?", string(rune('b'+r)), i); err != nil {
					return err
				}
				if _, err := tx.Exec("RELEASE r"); err != nil {
					return err
				}
			}
		}
		spilled = tempFiles()
		return nil
	}}
	release, started := make(chan struct{}), make(chan struct{})
	blocked := make(chan error, 1)
	go func() {
		blocked <- db.Tx(ctx, func(tx *sql.Tx) error { close(started); <-release; return nil })
	}()
	<-started
	errs := make(chan error, 3)
	write := func() { errs <- db.Exec(ctx, "INSERT INTO t_j(v) VALUES('x')") }
	go write()
	time.Sleep(50 * time.Millisecond)
	go func() { errs <- g.Do(1) }()
	time.Sleep(50 * time.Millisecond)
	go write()
	time.Sleep(50 * time.Millisecond)
	close(release)
	if err := <-blocked; err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if spilled > 0 {
		t.Fatalf("the group's savepoint journals went to %d temporary file(s)", spilled)
	}
}
