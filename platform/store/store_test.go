package store

import (
	"context"
	"database/sql"
	"fmt"
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
	sqliteOnly(t)
	db, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
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
	err = db.Tx(ctx, func(tx *sql.Tx) error {
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
