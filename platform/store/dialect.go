package store

// Dialect is the database a DB runs on. The few SQL forms that differ between SQLite and
// PostgreSQL are its methods, both forms side by side, so that engines write each query once.
type Dialect int

const (
	SQLite Dialect = iota
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "PostgreSQL"
	}
	return "SQLite"
}

// SkipLocked is the clause that makes a SELECT of rows to be claimed (jobs) lock them and
// pass over rows another transaction holds, so that several nodes claim different rows.
// SQLite's single writer serialises claims already.
func (d Dialect) SkipLocked() string {
	if d == Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}
