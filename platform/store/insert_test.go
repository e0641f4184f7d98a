package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// bulkTable makes a table with a column of each kind the engines bulk-load.
func bulkTable(t *testing.T, db *DB) {
	t.Helper()
	d := db.Dialect
	err := db.Exec(context.Background(), fmt.Sprintf(`CREATE TABLE t_bulk(%s, name TEXT, n %s, tags %s, ok %s, by %s, at TEXT)`,
		d.RecordID(), d.NumberType(), d.ListType(), d.IntegerType(), d.IntegerType()))
	if err != nil {
		t.Fatal(err)
	}
}

// bulkDB opens a database of the test's own with the table of bulkTable.
func bulkDB(t *testing.T) *DB {
	t.Helper()
	db, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bulkTable(t, db)
	return db
}

// bulkInserter prepares inserts into bulkTable's table inside tx.
func bulkInserter(db *DB, tx *sql.Tx) (*Inserter, error) {
	return NewInserter(db, tx, "t_bulk", []string{"id", "name", "n", "tags", "ok"}, []string{"by", "at"}, []any{7, "2026-12-06T00:00:00Z"})
}

// addBulkRows adds rows ids from+1 … from+n to in.
func addBulkRows(in *Inserter, from, n int) error {
	for i := from + 1; i <= from+n; i++ {
		if err := in.Add(i, fmt.Sprintf("名%d", i), float64(i)+0.5, `["a","b"]`, i%2 == 0); err != nil {
			return err
		}
	}
	return nil
}

// bulkRows adds rows ids from+1 … from+n with the Inserter.
func bulkRows(db *DB, tx *sql.Tx, from, n int) (*Inserter, error) {
	in, err := bulkInserter(db, tx)
	if err != nil {
		return nil, err
	}
	if err := addBulkRows(in, from, n); err != nil {
		return in, err
	}
	return in, in.Flush()
}

// The Inserter writes every row with its constants inside the caller's transaction, which
// RawQuery reads before the commit; transactions load side by side; a row failing after
// tens of thousands were sent leaves nothing of its transaction.
func TestInserter(t *testing.T) {
	ctx := context.Background()
	db := bulkDB(t)

	const n = 20000 // more than one statement, or one COPY
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		in, err := bulkRows(db, tx, 0, n)
		if err != nil {
			return err
		}
		if in.Count() != n {
			t.Errorf("Count() = %d, want %d", in.Count(), n)
		}
		q, err := db.PrepareRaw(tx, "SELECT id, name FROM t_bulk WHERE id > ? ORDER BY id")
		if err != nil {
			return err
		}
		defer q.Close()
		var got []string
		err = q.Each(ctx, []any{n - 2}, func(row []driver.Value) error {
			name := row[1]
			if b, ok := name.([]byte); ok {
				name = string(b)
			}
			got = append(got, fmt.Sprint(row[0], name))
			return nil
		})
		if want := fmt.Sprintf("%d名%d %d名%d", n-1, n-1, n, n); strings.Join(got, " ") != want {
			t.Errorf("RawQuery inside the transaction read %q, want %q", got, want)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() {
			errs[i] = db.Tx(ctx, func(tx *sql.Tx) error {
				_, err := bulkRows(db, tx, n+i*n, n)
				return err
			})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := bulkRows(db, tx, 3*n, n); err != nil {
			return err
		}
		_, err := bulkRows(db, tx, 4*n-1, 2) // its first row repeats the id just written
		return err
	})
	if err == nil {
		t.Fatal("a duplicate id was inserted")
	}
	var rows, ok, by, halves int
	var name, at, tags string
	err = db.R.QueryRowContext(ctx, `SELECT COUNT(*), SUM(ok), MIN(by), MIN(at), SUM(CASE WHEN n = id + 0.5 THEN 1 ELSE 0 END),
		MIN(CASE WHEN id = 3 THEN name END), MIN(CAST(tags AS TEXT)) FROM t_bulk`).Scan(&rows, &ok, &by, &at, &halves, &name, &tags)
	if err != nil {
		t.Fatal(err)
	}
	if rows != 3*n || ok != 3*n/2 || by != 7 || at != "2026-12-06T00:00:00Z" || halves != 3*n || name != "名3" || strings.ReplaceAll(tags, " ", "") != `["a","b"]` {
		t.Fatalf("rows %d, ok %d, by %d, at %s, n = id+0.5 in %d, name %s, tags %s", rows, ok, by, at, halves, name, tags)
	}
}

// A number bound to a text column is stored as SQLite stores it there, on both databases
// (COPY's binary format takes only text for text).
func TestInserterNumbersIntoText(t *testing.T) {
	ctx := context.Background()
	db, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Exec(ctx, "CREATE TABLE t_text(k INTEGER, v TEXT)"); err != nil {
		t.Fatal(err)
	}
	insertAll(t, db, "t_text", "v", int64(5), 5, 2.5, 5.0, -0.25, "x")
	q := "SELECT group_concat(v, ' ') FROM (SELECT v FROM t_text ORDER BY k) AS s"
	if db.Dialect == Postgres {
		q = "SELECT string_agg(v, ' ' ORDER BY k) FROM t_text"
	}
	var got string
	if err := db.R.QueryRowContext(ctx, q).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := "5 5 2.5 5.0 -0.25 x"; got != want {
		t.Fatalf("stored %q, want %q", got, want)
	}
}

// Numbers loaded into a number column read back as the same values, on PostgreSQL as the
// same NUMERIC text too: whole numbers and amounts in cents with no trailing zeros, and
// values with more decimals or beyond 10¹³ as their shortest decimal.
func TestInserterNumbers(t *testing.T) {
	ctx := context.Background()
	db, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Exec(ctx, "CREATE TABLE t_num(k INTEGER, n "+db.Dialect.NumberType()+")"); err != nil {
		t.Fatal(err)
	}
	vals := []float64{5, 44938.13, 44938.1, 44938.10000000001, -0.5, -1234.05, 1e6, 1234567.5, 0.30000000000000004, 99999999999.99, 1e13 + 0.5, 1e20, 2.5e-7, 0}
	want := "5 44938.13 44938.1 44938.10000000001 -0.5 -1234.05 1000000 1234567.5 0.30000000000000004 99999999999.99 10000000000000.5 100000000000000000000 0.00000025 0"
	var args []any
	for _, v := range vals {
		args = append(args, v)
	}
	insertAll(t, db, "t_num", "n", args...)
	rows, err := db.R.QueryContext(ctx, "SELECT CAST(n AS TEXT), n FROM t_num ORDER BY k")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var texts []string
	for i := 0; rows.Next(); i++ {
		var text string
		var n float64
		if err := rows.Scan(&text, &n); err != nil {
			t.Fatal(err)
		}
		if n != vals[i] {
			t.Errorf("%v read back as %v", vals[i], n)
		}
		texts = append(texts, text)
	}
	if got := strings.Join(texts, " "); db.Dialect == Postgres && got != want {
		t.Fatalf("stored %q, want %q", got, want)
	}
}

// Text the COPY format escapes (tab, newline, backslash, \N), an empty string beside a NULL,
// and bytes arrive as given, on both databases.
func TestInserterEscapes(t *testing.T) {
	ctx := context.Background()
	db, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Exec(ctx, "CREATE TABLE t_esc(k INTEGER, v TEXT, b "+db.Dialect.BytesType()+")"); err != nil {
		t.Fatal(err)
	}
	vals := []any{"a\tb", "行1\n行2\r", `C:\new\N`, `\N`, "", nil, `\.`}
	blob := []byte{0, '\\', '\t', 0xff}
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		in, err := NewInserter(db, tx, "t_esc", []string{"k", "v", "b"}, nil, nil)
		if err != nil {
			return err
		}
		for i, v := range vals {
			if err := in.Add(i, v, blob); err != nil {
				return err
			}
		}
		return in.Flush()
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.R.QueryContext(ctx, "SELECT v, b FROM t_esc ORDER BY k")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	i := 0
	for ; rows.Next(); i++ {
		var v sql.NullString
		var b []byte
		if err := rows.Scan(&v, &b); err != nil {
			t.Fatal(err)
		}
		want, null := vals[i], vals[i] == nil
		if v.Valid == null || !null && v.String != want || string(b) != string(blob) {
			t.Errorf("row %d: stored %q (valid %v) and %x, want %q and %x", i, v.String, v.Valid, b, want, blob)
		}
	}
	if i != len(vals) {
		t.Fatalf("%d rows, want %d", i, len(vals))
	}
}

// FuzzAppendNumber: a number written for a number column is the decimal strconv's shortest
// form is (the same value, so NUMERIC stores it alike).
func FuzzAppendNumber(f *testing.F) {
	for _, x := range []float64{0, 5, -0.5, 44938.13, 44938.1, 0.30000000000000004, 1e13 - 0.01, 1e13 + 0.5, 1 << 56, 1e20, 2.5e-7} {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return
		}
		got, _ := new(big.Rat).SetString(string(appendNumber(nil, x)))
		want, _ := new(big.Rat).SetString(strconv.FormatFloat(x, 'g', -1, 64))
		if got == nil || got.Cmp(want) != 0 {
			t.Fatalf("appendNumber(%v) = %s, strconv gives %s", x, appendNumber(nil, x), strconv.FormatFloat(x, 'g', -1, 64))
		}
	})
}

// insertAll loads vals through an Inserter into table's columns k and col, a row each, k
// counting from 0.
func insertAll(t *testing.T, db *DB, table, col string, vals ...any) {
	t.Helper()
	err := db.Tx(context.Background(), func(tx *sql.Tx) error {
		in, err := NewInserter(db, tx, table, []string{"k", col}, nil, nil)
		if err != nil {
			return err
		}
		for i, v := range vals {
			if err := in.Add(i, v); err != nil {
				return err
			}
		}
		return in.Flush()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A streaming Inserter sends batches in one COPY: every row arrives; a row the server
// refuses in a later batch fails the load (at the latest at Flush) and leaves nothing of its
// transaction; a load given up before Flush (Close) lets its transaction roll back. None of
// them may leave the connection waiting for rows that never come.
func TestInserterStream(t *testing.T) {
	ctx := context.Background()
	db := bulkDB(t)
	const n = 3*copyBatch + 5
	stream := func(tx *sql.Tx, from, rows int, flush bool) (*Inserter, error) {
		in, err := bulkInserter(db, tx)
		if err != nil {
			return nil, err
		}
		in.Stream()
		defer in.Close()
		if err := addBulkRows(in, from, rows); err != nil {
			return in, err
		}
		if !flush {
			return in, errors.New("given up")
		}
		return in, in.Flush()
	}
	within := func(what string, fn func() error) error {
		done := make(chan error, 1)
		go func() { done <- fn() }()
		select {
		case err := <-done:
			return err
		case <-time.After(time.Minute):
			t.Fatalf("%s: still waiting after a minute", what)
			return nil
		}
	}
	err := within("a streamed load", func() error {
		return db.Tx(ctx, func(tx *sql.Tx) error {
			in, err := stream(tx, 0, n, true)
			if err == nil && in.Count() != n {
				t.Errorf("Count() = %d, want %d", in.Count(), n)
			}
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = within("a load refused in its third batch", func() error {
		return db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := stream(tx, -2*copyBatch, n, true) // two batches of new ids, then id 1 again
			return err
		})
	})
	if err == nil {
		t.Error("a streamed load of ids already there was committed")
	}
	err = within("a load given up", func() error {
		return db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := stream(tx, n, 2*copyBatch+1, false)
			return err
		})
	})
	if err == nil {
		t.Error("a load given up was committed")
	}
	var rows, last int
	if err := db.R.QueryRowContext(ctx, "SELECT COUNT(*), MAX(id) FROM t_bulk").Scan(&rows, &last); err != nil {
		t.Fatal(err)
	}
	if rows != n || last != n {
		t.Fatalf("%d rows up to id %d, want %d", rows, last, n)
	}
}
