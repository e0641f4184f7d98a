package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"testing"
)

// ListAdd and ListRemove give the same lists on either database: the others kept in their
// order, an emptied list [] (not NULL), a NULL list started by an add. A temporary table
// can be created twice in a transaction, and in the next.
func TestListEditsAndTempTable(t *testing.T) {
	db, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d, ctx := db.Dialect, context.Background()
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "CREATE TABLE lists(id INTEGER PRIMARY KEY, tags "+d.ListType()+")"); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO lists(id, tags) VALUES(1, '["a","b","c","b"]'), (2, '["b"]'), (3, NULL)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	read := func() string {
		rows, err := db.R.QueryContext(ctx, "SELECT id, tags FROM lists ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := ""
		for rows.Next() {
			var id int
			var tags sql.NullString
			if err := rows.Scan(&id, &tags); err != nil {
				t.Fatal(err)
			}
			var list []string
			switch {
			case !tags.Valid:
				out += fmt.Sprintf("%d:NULL ", id)
			case json.Unmarshal([]byte(tags.String), &list) != nil || list == nil:
				t.Fatalf("row %d: %q is no JSON list", id, tags.String)
			default:
				out += fmt.Sprintf("%d:%q ", id, list)
			}
		}
		return out
	}
	edit := func(set string, where string) {
		t.Helper()
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "UPDATE lists SET tags = "+set+" WHERE "+where, "b")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	edit(d.ListRemove("tags", "?"), "id IN (1, 2)")
	if got, want := read(), `1:["a" "c"] 2:[] 3:NULL `; got != want {
		t.Fatalf("after removing b: %s, want %s", got, want)
	}
	edit(d.ListAdd("tags", "?"), "id IN (2, 3)")
	if got, want := read(), `1:["a" "c"] 2:["b"] 3:["b"] `; got != want {
		t.Fatalf("after adding b: %s, want %s", got, want)
	}
	create, table := d.TempTable("_scratch", "id "+d.IntegerType()+" PRIMARY KEY")
	for range 2 { // created again, or still there (SQLite): emptied, then refilled
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			for _, q := range []string{create, create, "DELETE FROM " + table, "INSERT INTO " + table + " SELECT id FROM lists"} {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return err
				}
			}
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil || n != 3 {
				return fmt.Errorf("%d rows in the temporary table (%v), want 3", n, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
