package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestMigrateDropsTimeNotNull opens a database made before the NOT NULL migration, with a record
// table whose created_at/updated_at are NOT NULL, and checks the constraint is gone from the
// stored schema and from the opened connection, and that the rows are untouched.
func TestMigrateDropsTimeNotNull(t *testing.T) {
	sqliteOnly(t)
	dir := t.TempDir()
	old, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	// The database as it was just before that migration (later ones may follow it).
	before := slices.IndexFunc(migrations, func(m string) bool { return strings.Contains(m, "PRAGMA writable_schema = ON") })
	for _, m := range migrations[:before] {
		if _, err := old.Exec(m); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		fmt.Sprintf("PRAGMA user_version = %d", before),
		`CREATE TABLE "t_tbl1" (id INTEGER PRIMARY KEY AUTOINCREMENT, "owner" INTEGER, "created_by" INTEGER,
			"created_at" TEXT NOT NULL, "updated_at" TEXT NOT NULL, "fld1" TEXT NOT NULL)`,
		`INSERT INTO "t_tbl1"("created_at", "updated_at", "fld1") VALUES ('2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', '甲')`,
	} {
		if _, err := old.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	old.Close()

	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ddl, check string
	if err := db.R.QueryRow(`SELECT sql FROM sqlite_schema WHERE name = 't_tbl1'`).Scan(&ddl); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(ddl, `"updated_at" TEXT NOT NULL`) || strings.Contains(ddl, `"created_at" TEXT NOT NULL`) ||
		!strings.Contains(ddl, `"fld1" TEXT NOT NULL`) {
		t.Fatalf("migrated schema: %s", ddl)
	}
	if err := db.R.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %s %v", check, err)
	}
	// The writer, which ran the migration, sees the new schema at once.
	if err := db.Exec(context.Background(), `UPDATE "t_tbl1" SET "updated_at" = NULL`); err != nil {
		t.Fatalf("updated_at still NOT NULL for the writer: %v", err)
	}
	if err := db.Exec(context.Background(), `UPDATE "t_tbl1" SET "fld1" = NULL`); err == nil {
		t.Fatal("a user field's NOT NULL was lost")
	}
	var created, name string
	if err := db.R.QueryRow(`SELECT "created_at", "fld1" FROM "t_tbl1"`).Scan(&created, &name); err != nil ||
		created != "2026-01-01T00:00:00Z" || name != "甲" {
		t.Fatalf("row after migration: %q %q %v", created, name, err)
	}
}

// TestCheckpointer checks that commits leave copying the log into the file to the
// checkpointer: the writer never checkpoints on its own, and a committed row reaches the
// database file itself (read with immutable=1, which ignores the log) soon after.
func TestCheckpointer(t *testing.T) {
	sqliteOnly(t)
	dir := t.TempDir()
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var auto int
	if err := db.conn.QueryRowContext(context.Background(), "PRAGMA wal_autocheckpoint").Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("writer's wal_autocheckpoint = %d, %v; want 0", auto, err)
	}
	if err := db.Exec(context.Background(), "CREATE TABLE t_ck(v TEXT); INSERT INTO t_ck VALUES('甲')"); err != nil {
		t.Fatal(err)
	}
	file, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, FileName)+"?immutable=1&mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	file.SetMaxIdleConns(0) // immutable connections cache the file: open afresh each time
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var v string
		if file.QueryRow("SELECT v FROM t_ck").Scan(&v) == nil && v == "甲" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the committed row never reached the database file")
		}
	}
}

// TestSavepointJournalSpills writes more under one savepoint than SQLite keeps of its journal
// in memory (journalInMemory), so the journal moves to a temporary file mid-transaction: rolling
// back to the savepoint restores every row, and the rewrite then commits. At a limit larger than
// SQLite's file layer writes in one call, the move wrote nothing and failed with "database or
// disk is full".
func TestSavepointJournalSpills(t *testing.T) {
	db := sqliteDB(t)
	ctx := context.Background()
	const rows = 12000 // ~1,500 pages of 4 KB: a journal of 6 MB
	count := func(q Querier, v string) (n int) {
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM "spill" WHERE v LIKE ?`, v+"%").Scan(&n); err != nil {
			return -1
		}
		return n
	}
	run := func(tx *sql.Tx, qs ...string) error {
		for _, q := range qs {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		return nil
	}
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		return run(tx, `CREATE TABLE "spill" (id INTEGER PRIMARY KEY, v TEXT)`,
			fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < %d)
			INSERT INTO "spill" SELECT i, printf('%%.500c', 'a') FROM n`, rows))
	})
	if err != nil {
		t.Fatal(err)
	}
	var restored int
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		if err := run(tx, `SAVEPOINT "big"`, `UPDATE "spill" SET v = printf('%.500c', 'b')`, `ROLLBACK TO "big"`); err != nil {
			return err
		}
		restored = count(tx, "a")
		return run(tx, `UPDATE "spill" SET v = printf('%.500c', 'c')`, `RELEASE "big"`)
	})
	if err != nil {
		t.Fatal(err)
	}
	if restored != rows {
		t.Fatalf("after ROLLBACK TO: %d of %d rows as before", restored, rows)
	}
	if c := count(db.R, "c"); c != rows {
		t.Fatalf("committed: %d of %d rows rewritten", c, rows)
	}
}

// TestStatisticsFollowGrowth grows a table some 3,000-fold after its statistics were taken
// and checks that renewStatistics makes a reader plan by the new size: a rowid IN list read
// by its key, not by reading the whole table as the table's old statistics make it.
func TestStatisticsFollowGrowth(t *testing.T) {
	db := sqliteDB(t)
	ctx := context.Background()
	add := func(n int) {
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			for i := 0; i < n; i++ {
				if _, err := tx.Exec("INSERT INTO grown(kind, state) VALUES(?, ?)", i%7, "open"); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Exec(ctx, "CREATE TABLE grown(id INTEGER PRIMARY KEY, kind INTEGER, state TEXT)"); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(ctx, "CREATE INDEX grown_kind ON grown(kind, id)"); err != nil {
		t.Fatal(err)
	}
	add(7)
	if err := db.renewStatistics(ctx); err != nil { // as when the server started: 7 rows
		t.Fatal(err)
	}
	plans := 0
	plan := func() string { // each time a text of its own: the connection keeps an EXPLAIN prepared, plan and all
		c, err := db.R.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var n int
		if err := c.QueryRowContext(ctx, "SELECT COUNT(*) FROM grown WHERE id < 3").Scan(&n); err != nil {
			t.Fatal(err)
		}
		var a, b, d int
		var detail string
		plans++
		q := fmt.Sprintf("EXPLAIN QUERY PLAN SELECT state FROM grown WHERE id IN (1, 2, 3, 4, %d)", 4+plans)
		if err := c.QueryRowContext(ctx, q).Scan(&a, &b, &d, &detail); err != nil {
			t.Fatal(err)
		}
		return detail
	}
	if p := plan(); !strings.HasPrefix(p, "SCAN") {
		t.Fatalf("with the statistics of 7 rows the plan is %q; the test expects SQLite to read them all", p)
	}
	add(20000)
	if err := db.renewStatistics(ctx); err != nil {
		t.Fatal(err)
	}
	if p := plan(); !strings.Contains(p, "INTEGER PRIMARY KEY") {
		t.Fatalf("after 20,000 rows more the plan is still %q", p)
	}
	if err := db.renewStatistics(ctx); err != nil { // nothing to renew: nothing changes
		t.Fatal(err)
	}
}

// TestLogShrinksAfterBusySpell: a reader that stays open while 24 MB are written keeps the
// write-ahead log from starting over, so the file grows past walKept; once the reader is gone
// and the checkpointer has caught up, the next commit starts the log over and the file is cut
// back to walKept.
func TestLogShrinksAfterBusySpell(t *testing.T) {
	db := sqliteDB(t)
	ctx := context.Background()
	if err := db.Exec(ctx, "CREATE TABLE spell(id INTEGER PRIMARY KEY, body BLOB)"); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(ctx, "INSERT INTO spell(body) VALUES(zeroblob(10))"); err != nil {
		t.Fatal(err)
	}
	rows, err := db.R.QueryContext(ctx, "SELECT id FROM spell")
	if err != nil {
		t.Fatal(err)
	}
	rows.Next() // the reader holds its state of the log
	for range 24 {
		if err := db.Exec(ctx, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 256) INSERT INTO spell(body) SELECT zeroblob(4000) FROM n"); err != nil {
			t.Fatal(err)
		}
	}
	size := func() int64 {
		fi, err := os.Stat(db.Path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	if s := size(); s <= walKept {
		t.Fatalf("the log is %d bytes after 24 MB written beside an open reader; the test expects more than %d", s, walKept)
	}
	rows.Close()
	for deadline := time.Now().Add(10 * time.Second); size() > walKept; time.Sleep(150 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the log is still %d bytes after the reader left (kept: %d)", size(), walKept)
		}
		if err := db.Exec(ctx, "INSERT INTO spell(body) VALUES(zeroblob(10))"); err != nil {
			t.Fatal(err)
		}
	}
}

// sqliteDB opens a SQLite database of the test's own, skipping the test when the suite runs on
// PostgreSQL (it tests SQLite's file, journal or writer).
func sqliteDB(t *testing.T) *DB {
	t.Helper()
	sqliteOnly(t)
	db, err := OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
