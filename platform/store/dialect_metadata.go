package store

// The Dialect methods of the metadata tables: people, roles, and locks for a read, check and
// write that must not interleave across nodes.

import (
	"context"
	"database/sql"
)

// FoldedEquals is the condition that column equals the one placeholder's text, ignoring
// case, written so that the column's case-insensitive unique index serves it: on SQLite the
// column collates NOCASE already; on PostgreSQL the index is on lower(column).
func (d Dialect) FoldedEquals(column string) string {
	if d == Postgres {
		return "lower(" + column + ") = lower(?)"
	}
	return column + " = ?"
}

// JSONText is the expression for the text at the top-level key of the JSON object in
// column (the key is a plain word written by the engine, never input).
func (d Dialect) JSONText(column, key string) string {
	if d == Postgres {
		return "(" + column + "::jsonb ->> '" + key + "')"
	}
	return "json_extract(" + column + ", '$." + key + "')"
}

// Lock holds the lock named key until tx ends, so that a read, a check and a write in tx
// cannot interleave with the same steps on another node (the last admin, a role's name).
// SQLite's single writer runs one write transaction at a time: nothing to take there. On
// PostgreSQL it is a transaction-scoped advisory lock, per schema (data directory).
func (d Dialect) Lock(ctx context.Context, tx *sql.Tx, key string) error {
	if d != Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.' || ?))", key)
	return err
}
