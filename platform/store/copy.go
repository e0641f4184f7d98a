package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
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
	text   []bool // per column of row, whether it is text or bytes (see asColumn); nil until the first COPY
	bytea  []bool
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

// asText is a number bound to a text column as SQLite stores it there (its TEXT affinity):
// 5 as "5", 2.5 as "2.5", 5.0 as "5.0". COPY's binary format takes only text for text.
func asText(v any) any {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eIN") {
			s += ".0"
		}
		return s
	}
	return v
}

func (c *copyRows) Next() bool {
	if c.next >= c.rows() {
		return false
	}
	copy(c.row, c.vals[c.next*c.width:(c.next+1)*c.width])
	copy(c.row[c.width:], c.consts)
	for i, v := range c.row {
		if c.text[i] {
			c.row[i] = asText(v)
		} else if s, ok := v.(string); ok && c.bytea[i] {
			c.row[i] = []byte(s)
		}
	}
	c.next++
	return true
}

func (c *copyRows) Values() ([]any, error) { return c.row, nil }

func (c *copyRows) Err() error { return c.err }

// columnTypes finds which columns are text and which bytes, to bind values of other Go
// types to them as SQLite would store them (asText; a string's bytes).
func (c *copyRows) columnTypes(ctx context.Context, conn *pgx.Conn, table string, cols []string) error {
	quoted := make([]string, len(cols))
	for i, col := range cols {
		quoted[i] = Quote(col)
	}
	sd, err := conn.Prepare(ctx, "", "SELECT "+strings.Join(quoted, ", ")+" FROM "+Quote(table))
	if err != nil {
		return err
	}
	c.text, c.bytea = make([]bool, len(cols)), make([]bool, len(cols))
	for i, f := range sd.Fields {
		switch f.DataTypeOID {
		case pgtype.TextOID, pgtype.VarcharOID:
			c.text[i] = true
		case pgtype.ByteaOID:
			c.bytea[i] = true
		}
	}
	return nil
}

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
		// A background context, as on SQLite: the caller checks for cancellation between batches.
		ctx, conn := context.Background(), pc.Conn.Conn()
		if c.text == nil {
			if err := c.columnTypes(ctx, conn, in.table, cols); err != nil {
				return err
			}
		}
		var err error
		n, err = conn.CopyFrom(ctx, pgx.Identifier{in.table}, cols, c)
		return err
	})
	if err != nil {
		return fmt.Errorf("insert into %s: %w", in.table, err)
	}
	in.count += int(n)
	c.vals = c.vals[:0]
	return nil
}
