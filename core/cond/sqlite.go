package cond

import "strings"

// This file holds the SQL that is specific to SQLite, so that a PostgreSQL dialect only
// has to replace these (with ILIKE or lower() LIKE for the ASCII-only case folding, and
// jsonb_array_elements_text for json_each) and number the ? placeholders ($1, $2, …).

// likeSQL is "col contains the pattern ph, ignoring ASCII case": SQLite's LIKE folds
// ASCII letters only. With neg, NULL counts as not containing.
func likeSQL(col, ph string, neg bool) string {
	if neg {
		return "(" + col + " IS NULL OR " + col + " NOT LIKE " + ph + ` ESCAPE '\')`
	}
	return col + " LIKE " + ph + ` ESCAPE '\'`
}

// likePattern is the LIKE pattern matching any text containing s.
func likePattern(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

// hasSQL is "the JSON array in col has an element among the placeholders phs" (or, with
// neg, has none). A NULL column has no elements.
func hasSQL(col, phs string, neg bool) string {
	s := "EXISTS (SELECT 1 FROM json_each(" + col + ") WHERE value IN (" + phs + "))"
	if neg {
		return "NOT " + s
	}
	return s
}

// multiEmptySQL is "the JSON array in col is NULL or has no elements" (or, with neg, has some).
func multiEmptySQL(col string, neg bool) string {
	s := "EXISTS (SELECT 1 FROM json_each(" + col + "))"
	if neg {
		return s
	}
	return "NOT " + s
}
