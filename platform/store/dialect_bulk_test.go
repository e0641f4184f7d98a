package store

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"
)

// ReserveIDs sets a block of ids aside, and the rows its transaction then inserts without an
// id follow the block with no other transaction's rows among them, even when another writer
// inserts into the table meanwhile; on PostgreSQL, ids set aside by a rolled-back
// transaction are never given.
func TestReserveIDs(t *testing.T) {
	ctx := context.Background()
	db := bulkDB(t)
	add := func(tx *sql.Tx, id any, name string) error {
		if id == nil {
			_, err := tx.ExecContext(ctx, "INSERT INTO t_bulk(name) VALUES(?)", name)
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO t_bulk(id, name) VALUES(?, ?)", id, name)
		return err
	}
	if err := db.Tx(ctx, func(tx *sql.Tx) error { return add(tx, nil, "first") }); err != nil {
		t.Fatal(err)
	}
	var first, last int64
	var err error
	other := make(chan error, 1)
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		if first, last, err = db.Dialect.ReserveIDs(ctx, tx, "t_bulk", 3); err != nil {
			return err
		}
		if first != 2 || last != 4 {
			t.Errorf("reserved %d … %d, want 2 … 4", first, last)
		}
		go func() { other <- db.Exec(ctx, "INSERT INTO t_bulk(name) VALUES('other')") }()
		time.Sleep(200 * time.Millisecond) // the other writer is waiting now
		for id := first; id <= last; id++ {
			if err := add(tx, id, "given"); err != nil {
				return err
			}
		}
		for range 3 {
			if err := add(tx, nil, "load"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-other; err != nil {
		t.Fatal(err)
	}
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		if _, _, err := db.Dialect.ReserveIDs(ctx, tx, "t_bulk", 10); err != nil {
			return err
		}
		return fmt.Errorf("rolled back")
	})
	if err == nil {
		t.Fatal("no error")
	}
	if err := db.Tx(ctx, func(tx *sql.Tx) error { return add(tx, nil, "after") }); err != nil {
		t.Fatal(err)
	}
	rows, err := db.R.QueryContext(ctx, "SELECT id, name FROM t_bulk ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got string
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		got += fmt.Sprintf(" %d:%s", id, name)
	}
	want := " 1:first 2:given 3:given 4:given 5:load 6:load 7:load 8:other"
	if db.Dialect == Postgres { // the sequence moved past the rolled-back block
		want += " 19:after"
	} else { // the rolled-back transaction left nothing, AUTOINCREMENT's counter included
		want += " 9:after"
	}
	if got != want {
		t.Fatalf("rows%s\nwant%s", got, want)
	}
}

// After an update of every row, Vacuum has PostgreSQL's table vacuumed and analyzed (the old
// row versions gone, unless a transaction of the time may still read them).
func TestVacuumAfterBulkUpdate(t *testing.T) {
	ctx := context.Background()
	db := onPostgres(t, t.TempDir())
	bulkTable(t, db)
	if err := db.Exec(ctx, "INSERT INTO t_bulk(name) SELECT 'n' || g FROM generate_series(1, 5000) AS g"); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(ctx, "UPDATE t_bulk SET name = name || '!'"); err != nil {
		t.Fatal(err)
	}
	if err := db.Vacuum(ctx, "t_bulk"); err != nil {
		t.Fatal(err)
	}
	var vacuums, analyzes int
	err := db.R.QueryRowContext(ctx, "SELECT vacuum_count, analyze_count FROM pg_stat_user_tables WHERE relid = CAST('t_bulk' AS regclass)").
		Scan(&vacuums, &analyzes)
	if err != nil {
		t.Fatal(err)
	}
	if vacuums != 1 || analyzes != 1 {
		t.Fatalf("after Vacuum: %d vacuums, %d analyzes; want 1 and 1", vacuums, analyzes)
	}
}

// LargeWrite gives one write transaction a page cache of its own on SQLite, and the writer's
// connection has its usual one again for the next transaction.
func TestLargeWrite(t *testing.T) {
	ctx := context.Background()
	db, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cache := func(tx *sql.Tx) (n int64) {
		if db.Dialect == Postgres {
			return 0
		}
		if err := tx.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var during, usual, after int64
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		usual = cache(tx)
		restore, err := db.LargeWrite(ctx, tx, 64)
		if err != nil {
			return err
		}
		during = cache(tx)
		restore()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Tx(ctx, func(tx *sql.Tx) error { after = cache(tx); return nil }); err != nil {
		t.Fatal(err)
	}
	if db.Dialect == SQLite && (during != -64*1024 || usual != -cacheKB || after != usual) {
		t.Fatalf("cache_size %d, then %d during the large write, then %d", usual, during, after)
	}
}
