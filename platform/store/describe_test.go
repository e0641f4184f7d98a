package store

import (
	"context"
	"database/sql"
	"testing"
)

// Describe and SetNextIDTx read and write both databases' catalogs the same way: the migration to
// PostgreSQL relies on them to pair the columns and to carry the ids on.
func TestDescribeAndNextID(t *testing.T) {
	ctx := context.Background()
	db, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "CREATE TABLE t_x ("+db.Dialect.RecordID()+", amount "+db.Dialect.NumberType()+", tags "+db.Dialect.ListType()+")")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tables, err := db.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var x, users *TableInfo
	for i := range tables {
		switch tables[i].Name {
		case "t_x":
			x = &tables[i]
		case "_users":
			users = &tables[i]
		}
	}
	if x == nil || users == nil {
		t.Fatalf("Describe gave %v, want t_x and _users among them", tables)
	}
	if len(x.Columns) != 3 || !x.Column("id").Identity || x.Column("amount").Identity || x.Order == "" {
		t.Errorf("t_x = %+v, want id (identity), amount, tags, in insertion order", x)
	}
	if want := map[Dialect]string{SQLite: "real", Postgres: "numeric"}[db.Dialect]; x.Column("amount").Type != want {
		t.Errorf("amount is %q, want %q", x.Column("amount").Type, want)
	}
	if users.Column("email") == nil || users.Column("email").Identity {
		t.Errorf("_users = %+v", users)
	}
	lastID := func() (id int64) {
		err := db.Tx(ctx, func(tx *sql.Tx) (err error) { id, err = db.Dialect.LastID(ctx, tx, "t_x"); return err })
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	if id := lastID(); id != 0 {
		t.Fatalf("LastID of an empty table = %d, want 0", id)
	}
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO t_x(id, amount) VALUES(41, 1.5)"); err != nil {
			return err
		}
		return db.SetNextIDTx(ctx, tx, "t_x", 100)
	})
	if err != nil {
		t.Fatal(err)
	}
	if id := lastID(); id != 99 {
		t.Fatalf("LastID after SetNextIDTx(100) = %d, want 99", id)
	}
	var id int64
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, "INSERT INTO t_x(amount) VALUES(2) RETURNING id").Scan(&id)
	})
	if err != nil || id != 100 {
		t.Fatalf("the next row got id %d (%v), want 100", id, err)
	}
}
