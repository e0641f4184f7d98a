package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"io"
)

// RawQuery is a read statement prepared on the connection of a write transaction and run
// straight through the driver, for bulk work inside it (an upsert looks up a million
// records): no database/sql bookkeeping per row. It sees the transaction's own writes.
type RawQuery struct {
	conn *sql.Conn
	stmt driver.Stmt
}

// PrepareRaw prepares query inside tx, the transaction a Tx function of db was given (on
// SQLite, the writer's connection).
func (db *DB) PrepareRaw(tx *sql.Tx, query string) (*RawQuery, error) {
	conn, err := db.txConn(tx)
	if err != nil {
		return nil, err
	}
	q := &RawQuery{conn: conn}
	err = conn.Raw(func(dc any) error {
		var err error
		q.stmt, err = dc.(driver.Conn).Prepare(query)
		return err
	})
	return q, err
}

// Each runs the query with args and calls fn with each row's values (valid only during the
// call; text may be string or []byte).
func (q *RawQuery) Each(ctx context.Context, args []any, fn func(row []driver.Value) error) error {
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: driverValue(a)}
	}
	return q.conn.Raw(func(any) error {
		rows, err := q.stmt.(driver.StmtQueryContext).QueryContext(ctx, named)
		if err != nil {
			return err
		}
		defer rows.Close()
		dest := make([]driver.Value, len(rows.Columns()))
		for {
			if err := rows.Next(dest); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
			if err := fn(dest); err != nil {
				return err
			}
		}
	})
}

// Close releases the statement.
func (q *RawQuery) Close() error { return q.stmt.Close() }
