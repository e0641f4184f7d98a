package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
)

// Inserter adds many rows to one table inside a write transaction: the fast path of bulk
// loads (imports, demo data). On SQLite it writes multi-row prepared INSERT statements:
// columns with the same value in every row (who, when) are bound once per statement, not once
// per row, and statements go straight to the driver on the writer's connection (inside the
// caller's transaction), skipping database/sql's per-argument work. On PostgreSQL it sends
// the rows with COPY (see copy.go) on the transaction's connection, the constants repeated in
// every row; a failure aborts the caller's transaction, so nothing of it stays.
type Inserter struct {
	db        *DB
	conn      *sql.Conn // the connection of the caller's transaction
	copy      *copyRows // PostgreSQL: rows waiting for the next COPY
	table     string
	cols      []string // columns given per row
	constCols []string // columns with one value for all rows
	consts    []any
	perStmt   int
	stmt      driver.Stmt // for perStmt rows
	pending   []driver.NamedValue
	count     int
}

// NewInserter prepares inserts into table of cols (a value per row) and constCols (the
// values consts in every row), inside tx, the transaction a Tx function of db was given.
// Names are quoted here.
func NewInserter(db *DB, tx *sql.Tx, table string, cols []string, constCols []string, consts []any) (*Inserter, error) {
	conn, err := db.txConn(tx)
	if err != nil {
		return nil, err
	}
	in := &Inserter{db: db, conn: conn, table: table, cols: cols, constCols: constCols, consts: consts,
		perStmt: max(1, min(64, 30000/len(cols)))}
	if db.Dialect == Postgres {
		in.copy = &copyRows{consts: consts}
		return in, in.copy.columnTypes(context.Background(), conn, table, append(append([]string{}, cols...), constCols...))
	}
	stmt, err := in.prepare(in.perStmt)
	if err != nil {
		return nil, err
	}
	in.stmt = stmt
	in.pending = make([]driver.NamedValue, 0, in.perStmt*len(cols)+len(consts))
	return in, nil
}

func (in *Inserter) prepare(rows int) (driver.Stmt, error) {
	var stmt driver.Stmt
	err := in.conn.Raw(func(dc any) error {
		var err error
		stmt, err = dc.(driver.Conn).Prepare(in.sql(rows))
		return err
	})
	return stmt, err
}

// sql writes the statement for rows rows: ?1… for the row values, then the constants'
// numbers repeated in every row.
func (in *Inserter) sql(rows int) string {
	quoted := make([]string, 0, len(in.cols)+len(in.constCols))
	for _, c := range append(append([]string{}, in.cols...), in.constCols...) {
		quoted = append(quoted, Quote(c))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", Quote(in.table), strings.Join(quoted, ", "))
	n := 1
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range in.cols {
			if c > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "?%d", n)
			n++
		}
		for k := range in.constCols {
			fmt.Fprintf(&b, ",?%d", rows*len(in.cols)+k+1)
		}
		b.WriteByte(')')
	}
	return b.String()
}

// driverValue turns a Go value into one the driver binds (ints become int64).
func driverValue(v any) driver.Value {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int32:
		return int64(x)
	}
	return v
}

// Add queues one row (one value per column) and writes when a statement is full.
func (in *Inserter) Add(vals ...any) error {
	if len(vals) != len(in.cols) {
		return fmt.Errorf("insert into %s: %d values for %d columns", in.table, len(vals), len(in.cols))
	}
	if in.copy != nil {
		if err := in.copy.add(vals); err != nil || in.copy.rows < copyBatch {
			return err
		}
		return in.copyOut()
	}
	for _, v := range vals {
		in.pending = append(in.pending, driver.NamedValue{Ordinal: len(in.pending) + 1, Value: driverValue(v)})
	}
	if len(in.pending) == in.perStmt*len(in.cols) {
		return in.exec(in.stmt)
	}
	return nil
}

func (in *Inserter) exec(stmt driver.Stmt) error {
	rows := len(in.pending) / len(in.cols)
	args := in.pending
	for _, v := range in.consts {
		args = append(args, driver.NamedValue{Ordinal: len(args) + 1, Value: driverValue(v)})
	}
	err := in.conn.Raw(func(any) error {
		// A background context: the caller checks for cancellation between statements.
		_, err := stmt.(driver.StmtExecContext).ExecContext(context.Background(), args)
		return err
	})
	if err != nil {
		return fmt.Errorf("insert into %s: %w", in.table, err)
	}
	in.count += rows
	in.pending = in.pending[:0]
	return nil
}

// Flush writes the queued rows and releases the statement. Call it once, at the end.
func (in *Inserter) Flush() error {
	if in.copy != nil {
		if in.copy.rows > 0 {
			if err := in.copyOut(); err != nil {
				return err
			}
		}
		return in.landed()
	}
	defer in.stmt.Close()
	if len(in.pending) == 0 {
		return nil
	}
	stmt, err := in.prepare(len(in.pending) / len(in.cols))
	if err != nil {
		return err
	}
	defer stmt.Close()
	return in.exec(stmt)
}

// Stream makes a PostgreSQL Inserter send all its rows in one COPY, open from the first full
// batch until Flush or Close, which costs the server less than a COPY a batch. The caller runs
// no other statement on the transaction in between (it would wait for the COPY's end, which
// never comes), adds rows from one Inserter only, and calls Close when it gives up before
// Flush. Nothing on SQLite.
func (in *Inserter) Stream() {
	if in.copy != nil {
		in.copy.stream = true
	}
}

// Close ends what an Inserter that is given up on left open (a streaming COPY) before the
// caller's transaction is rolled back; after Flush it does nothing.
func (in *Inserter) Close() {
	if in.copy != nil {
		in.landed()
	}
}

// Count returns how many rows have been written.
func (in *Inserter) Count() int { return in.count }
