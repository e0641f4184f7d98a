package store

// The Dialect methods that keep what the API answers the same on both databases.

// NullsSort follows a sort key of a nullable column so that empty values sort as SQLite sorts
// them, first going up and last going down: "" on SQLite, where that is the rule; " NULLS
// FIRST" (ascending) or " NULLS LAST" (descending) on PostgreSQL, whose rule is the reverse.
func (d Dialect) NullsSort(desc bool) string {
	if d != Postgres {
		return ""
	}
	if desc {
		return " NULLS LAST"
	}
	return " NULLS FIRST"
}

// IndexKey is column col as a key of an index that pages sorted with NullsSort are read
// from: col on SQLite; col NULLS FIRST on PostgreSQL, so that an ascending page walks the
// index forwards and a descending one backwards, as on SQLite, rather than sorting the rows.
func (d Dialect) IndexKey(col string) string {
	if d != Postgres {
		return col
	}
	return col + " NULLS FIRST"
}

// ListSortKey is the sort key of list column col (tags, several choices), ordered as SQLite
// orders the lists' JSON text, byte by byte: col on SQLite; on PostgreSQL the jsonb's text in
// the "C" collation, as jsonb itself orders a longer list after a shorter one whatever their
// values (its ", " between items orders as SQLite's ",": both come after the same items).
func (d Dialect) ListSortKey(col string) string {
	if d != Postgres {
		return col
	}
	return "CAST(" + col + " AS TEXT) COLLATE \"C\""
}
