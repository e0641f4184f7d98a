package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// The Inserter's PostgreSQL path: rows go to the server with COPY (pgx's CopyFrom, binary),
// on the connection of the caller's transaction, a batch at a time, so a load of a million
// rows never holds more than a batch in memory. COPY is part of that transaction: when a row
// fails, the transaction is aborted and rolled back with everything copied before it.

// copyBatch is how many rows one COPY sends.
const copyBatch = 8192

// txConn is the connection that tx, a transaction a Tx function of db was given, runs on:
// the writer's on SQLite; on PostgreSQL the one pgTx holds for it.
func (db *DB) txConn(tx *sql.Tx) (*sql.Conn, error) {
	if db.Dialect != Postgres {
		return db.conn, nil
	}
	v, ok := db.running.Load(tx)
	if !ok || v.(*job).conn == nil {
		return nil, errors.New("store: a bulk insert or raw query outside its write transaction")
	}
	return v.(*job).conn, nil
}

// copyRows holds the rows of the next COPY, flat, and hands them to pgx one at a time with
// the constants after each row's values (pgx.CopyFromSource).
type copyRows struct {
	width  int   // values per row given to Add
	vals   []any // the rows, width values each
	consts []any
	row    []any // the row being sent: its values, then the constants
	next   int   // the row being sent, +1
	err    error
}

func newCopyRows(width int, consts []any) *copyRows {
	c := &copyRows{width: width, vals: make([]any, 0, copyBatch*width), row: make([]any, width+len(consts))}
	c.consts = make([]any, len(consts))
	for i, v := range consts {
		c.consts[i] = copyValue(v)
	}
	return c
}

// add queues a row and returns how many are queued.
func (c *copyRows) add(vals []any) int {
	for _, v := range vals {
		c.vals = append(c.vals, copyValue(v))
	}
	return c.rows()
}

func (c *copyRows) rows() int { return len(c.vals) / c.width }

// copyValue is v as COPY takes it into the tables' columns: booleans are 0/1 integers.
func copyValue(v any) any {
	if b, ok := v.(bool); ok {
		if b {
			return int64(1)
		}
		return int64(0)
	}
	return v
}

func (c *copyRows) Next() bool {
	if c.next >= c.rows() {
		return false
	}
	copy(c.row, c.vals[c.next*c.width:(c.next+1)*c.width])
	copy(c.row[c.width:], c.consts)
	c.next++
	return true
}

func (c *copyRows) Values() ([]any, error) { return c.row, nil }

func (c *copyRows) Err() error { return c.err }

// copyOut sends the queued rows with one COPY.
func (in *Inserter) copyOut() error {
	cols := make([]string, 0, len(in.cols)+len(in.constCols))
	cols = append(append(cols, in.cols...), in.constCols...)
	c := in.copy
	c.next = 0
	var n int64
	err := in.conn.Raw(func(dc any) error {
		pc, ok := dc.(*rebindConn)
		if !ok {
			return fmt.Errorf("store: COPY needs a pgx connection, not %T", dc)
		}
		var err error
		// A background context, as on SQLite: the caller checks for cancellation between batches.
		n, err = pc.Conn.Conn().CopyFrom(context.Background(), pgx.Identifier{in.table}, cols, c)
		return err
	})
	if err != nil {
		return fmt.Errorf("insert into %s: %w", in.table, err)
	}
	in.count += int(n)
	c.vals = c.vals[:0]
	return nil
}
