package store

// The Dialect methods of the rule engine (engines/rules) and the grading engine
// (engines/grading): scratch tables of record ids for set-wise runs, tag lists, and the lock
// a record write takes on the row its rules and grades are worked out from.

// RowLock is the clause that ends a SELECT of a row inside a write transaction that will
// rewrite it from what it read (a record's update: its rules and grades are worked out in Go
// from the row as read). SQLite's single writer lets no other write in between. On
// PostgreSQL (read committed) another transaction could change the row after the read and
// one of the two writes would be lost: FOR UPDATE makes the second wait, then read the
// first's result.
//
//	SQLite:     (nothing)
//	PostgreSQL: FOR UPDATE
func (d Dialect) RowLock() string {
	if d == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// TempTable is the statement that creates, unless it exists, the temporary table name with
// the column definitions cols, and the name statements call it by. Only the transaction that
// creates it may use it (a set-wise run keeps the ids it works on there); it starts
// empty only the first time in a transaction, so callers DELETE its rows before refilling it.
//
//	SQLite:     CREATE TEMP TABLE IF NOT EXISTS name(cols)                  temp.name
//	PostgreSQL: CREATE TEMP TABLE IF NOT EXISTS name(cols) ON COMMIT DROP   pg_temp.name
//
// SQLite's temporary tables live in the writer's one connection and cost nothing to keep.
// PostgreSQL's live in the pool connection the transaction ran on, with catalog rows: it is
// dropped when the transaction ends, so a pooled connection keeps none, and no later
// transaction on it sees the rows of an earlier one. Write an id column as
// "id " + d.IntegerType() + " PRIMARY KEY": SQLite's rowid, a bigint on PostgreSQL.
func (d Dialect) TempTable(name, cols string) (create, table string) {
	if d == Postgres {
		return "CREATE TEMP TABLE IF NOT EXISTS " + name + "(" + cols + ") ON COMMIT DROP", "pg_temp." + name
	}
	return "CREATE TEMP TABLE IF NOT EXISTS " + name + "(" + cols + ")", "temp." + name
}

// ListAdd is the list column col (JSON array of strings, NULL as empty) with the text of
// placeholder ph appended, for an UPDATE's SET.
//
//	SQLite:     json_insert(COALESCE(col, '[]'), '$[#]', ?)
//	PostgreSQL: COALESCE(col, '[]'::jsonb) || jsonb_build_array(CAST(? AS text))
func (d Dialect) ListAdd(col, ph string) string {
	if d == Postgres {
		return "(COALESCE(" + col + ", CAST('[]' AS jsonb)) || jsonb_build_array(CAST(" + ph + " AS text)))"
	}
	return "json_insert(COALESCE(" + col + ", '[]'), '$[#]', " + ph + ")"
}

// ListRemove is the list column col without the elements equal to the text of placeholder
// ph, the others in their order; an emptied list is [] (not NULL) on both databases, and a
// NULL column stays as SQLite leaves it: [] too.
//
//	SQLite:     (SELECT json_group_array(value) FROM json_each(col) WHERE value != ?)
//	PostgreSQL: (SELECT COALESCE(jsonb_agg(v ORDER BY n), '[]') FROM jsonb_array_elements_text(col)
//	            WITH ORDINALITY AS x(v, n) WHERE v <> ?)
func (d Dialect) ListRemove(col, ph string) string {
	if d == Postgres {
		return "(SELECT COALESCE(jsonb_agg(x.v ORDER BY x.n), CAST('[]' AS jsonb)) FROM jsonb_array_elements_text(" + col +
			") WITH ORDINALITY AS x(v, n) WHERE x.v <> CAST(" + ph + " AS text))"
	}
	return "(SELECT json_group_array(value) FROM json_each(" + col + ") WHERE value != " + ph + ")"
}
