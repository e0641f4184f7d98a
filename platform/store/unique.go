package store

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
)

// UniqueViolation reports whether err is a write refused by a unique index or constraint,
// and which: SQLite names the columns ("_users.email"), PostgreSQL the index ("_users_email").
func UniqueViolation(err error) (index string, ok bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.ConstraintName, pe.Code == "23505"
	}
	var se sqlite3.Error
	if errors.As(err, &se) && (se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey) {
		return strings.TrimPrefix(se.Error(), "UNIQUE constraint failed: "), true
	}
	return "", false
}
