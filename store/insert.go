package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Inserter adds many rows to one table inside a transaction, with multi-row prepared
// INSERT statements: the fast path of bulk loads (imports, demo data).
type Inserter struct {
	ctx     context.Context
	tx      *sql.Tx
	table   string
	cols    []string
	perStmt int
	stmt    *sql.Stmt // for perStmt rows
	pending []any
	count   int
}

// NewInserter prepares inserts of the given columns into table (names are quoted here).
func NewInserter(ctx context.Context, tx *sql.Tx, table string, cols []string) (*Inserter, error) {
	in := &Inserter{ctx: ctx, tx: tx, table: table, cols: cols, perStmt: max(1, min(64, 30000/len(cols)))}
	stmt, err := tx.PrepareContext(ctx, in.sql(in.perStmt))
	if err != nil {
		return nil, err
	}
	in.stmt = stmt
	in.pending = make([]any, 0, in.perStmt*len(cols))
	return in, nil
}

func (in *Inserter) sql(rows int) string {
	quoted := make([]string, len(in.cols))
	for i, c := range in.cols {
		quoted[i] = Quote(c)
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(in.cols)), ",") + ")"
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES %s", Quote(in.table), strings.Join(quoted, ", "),
		strings.TrimSuffix(strings.Repeat(one+",", rows), ","))
}

// Add queues one row (one value per column) and writes when a statement is full.
func (in *Inserter) Add(vals ...any) error {
	if len(vals) != len(in.cols) {
		return fmt.Errorf("insert into %s: %d values for %d columns", in.table, len(vals), len(in.cols))
	}
	in.pending = append(in.pending, vals...)
	if len(in.pending) == cap(in.pending) {
		return in.exec(in.stmt)
	}
	return nil
}

func (in *Inserter) exec(stmt *sql.Stmt) error {
	if _, err := stmt.ExecContext(in.ctx, in.pending...); err != nil {
		return fmt.Errorf("insert into %s: %w", in.table, err)
	}
	in.count += len(in.pending) / len(in.cols)
	in.pending = in.pending[:0]
	return nil
}

// Flush writes the queued rows and releases the statement. Call it once, at the end.
func (in *Inserter) Flush() error {
	defer in.stmt.Close()
	if len(in.pending) == 0 {
		return nil
	}
	stmt, err := in.tx.PrepareContext(in.ctx, in.sql(len(in.pending)/len(in.cols)))
	if err != nil {
		return err
	}
	defer stmt.Close()
	return in.exec(stmt)
}

// Count returns how many rows have been written.
func (in *Inserter) Count() int { return in.count }

// LastID returns the largest id table has ever given (rows since deleted included); the
// next inserted row gets LastID + 1.
func LastID(ctx context.Context, tx *sql.Tx, table string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, fmt.Sprintf(`SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?), 0),
		COALESCE((SELECT MAX(id) FROM %s), 0))`, Quote(table)), table).Scan(&id)
	return id, err
}
