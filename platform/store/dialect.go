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
