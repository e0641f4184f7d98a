package store

// What a database holds, table by table, read from its own catalog (sqlite_schema and
// pragma_table_info; information_schema on PostgreSQL): for tierbase migrate, which copies
// every table of a SQLite data directory into PostgreSQL and needs to know both sides.

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// TableInfo describes one table of a database.
type TableInfo struct {
	Name    string
	Columns []ColumnInfo
	// Order is the column that lists the rows in the order they were added: rowid on a
	// SQLite table that has one; seq or id on PostgreSQL; "" when there is none.
	Order string
}

// ColumnInfo is one column of a table: its name, its declared type in lower case
// ("integer", "text", "real", "blob" on SQLite; "bigint", "numeric", "jsonb", "bytea" … on
// PostgreSQL), and whether the database numbers it itself (an identity column, or SQLite's
// INTEGER PRIMARY KEY).
type ColumnInfo struct {
	Name     string
	Type     string
	Identity bool
}

// Column returns the column called name, or nil.
func (t *TableInfo) Column(name string) *ColumnInfo {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

// Describe lists the tables of the database (tierbase's, not the database's own), by name.
func (db *DB) Describe(ctx context.Context) ([]TableInfo, error) {
	if db.Dialect == Postgres {
		return describePostgres(ctx, db.R, "")
	}
	rows, err := db.R.QueryContext(ctx, `SELECT name, sql FROM sqlite_schema WHERE type = 'table'
		AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	var out []TableInfo
	for rows.Next() {
		var name, ddl string
		if err := rows.Scan(&name, &ddl); err != nil {
			rows.Close()
			return nil, err
		}
		t := TableInfo{Name: name, Order: "rowid"}
		if strings.Contains(strings.ToUpper(ddl), "WITHOUT ROWID") {
			t.Order = ""
		}
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		cols, err := db.R.QueryContext(ctx, "SELECT name, lower(type), pk FROM pragma_table_info(?) ORDER BY cid", out[i].Name)
		if err != nil {
			return nil, err
		}
		for cols.Next() {
			var c ColumnInfo
			var pk int
			if err := cols.Scan(&c.Name, &c.Type, &pk); err != nil {
				cols.Close()
				return nil, err
			}
			c.Identity = pk == 1 && c.Type == "integer" && out[i].Order == "rowid"
			out[i].Columns = append(out[i].Columns, c)
		}
		cols.Close()
		if err := cols.Err(); err != nil {
			return nil, err
		}
		// An INTEGER PRIMARY KEY is the rowid only when it is the whole key.
		keys := 0
		for _, c := range out[i].Columns {
			if c.Identity {
				keys++
			}
		}
		if keys > 1 {
			for j := range out[i].Columns {
				out[i].Columns[j].Identity = false
			}
		}
	}
	return out, nil
}

// DescribeTable describes the PostgreSQL table called name as q sees it (inside the
// transaction that created it, say); nil if there is none.
func (db *DB) DescribeTable(ctx context.Context, q Querier, name string) (*TableInfo, error) {
	if db.Dialect != Postgres {
		return nil, fmt.Errorf("DescribeTable reads PostgreSQL's catalog only")
	}
	out, err := describePostgres(ctx, q, name)
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return &out[0], nil
}

// describePostgres describes the tables of the current schema, or only the one called only.
func describePostgres(ctx context.Context, q Querier, only string) ([]TableInfo, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.table_name, c.column_name, c.data_type, c.is_identity
		FROM information_schema.columns c JOIN information_schema.tables t
			ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
		WHERE c.table_schema = current_schema() AND (CAST(? AS TEXT) = '' OR c.table_name = ?)
		ORDER BY c.table_name COLLATE "C", c.ordinal_position`, only, only)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TableInfo
	for rows.Next() {
		var table, identity string
		var c ColumnInfo
		if err := rows.Scan(&table, &c.Name, &c.Type, &identity); err != nil {
			return nil, err
		}
		c.Identity = identity == "YES"
		if len(out) == 0 || out[len(out)-1].Name != table {
			out = append(out, TableInfo{Name: table})
		}
		out[len(out)-1].Columns = append(out[len(out)-1].Columns, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Column("seq") != nil {
			out[i].Order = "seq"
		} else if c := out[i].Column("id"); c != nil && c.Identity {
			out[i].Order = "id"
		}
	}
	return out, nil
}

// SetNextIDTx makes the database give next as the next id of table's identity column id,
// inside tx: after rows were copied in with their ids (Dialect.LastID + 1 of the source).
// On SQLite, the AUTOINCREMENT counter.
func (db *DB) SetNextIDTx(ctx context.Context, tx *sql.Tx, table string, next int64) error {
	if next < 1 {
		next = 1
	}
	if db.Dialect == Postgres {
		// Called (true) past the last id, so that pg_sequence_last_value (Dialect.LastID) sees
		// it; a sequence cannot be set called below 1, so an empty table's stays uncalled at 1.
		q := "SELECT setval(pg_get_serial_sequence(?, 'id'), ?, true)"
		if next == 1 {
			q = "SELECT setval(pg_get_serial_sequence(?, 'id'), ?, false)"
		} else {
			next--
		}
		_, err := tx.ExecContext(ctx, q, Quote(table), next)
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO sqlite_sequence(name, seq) SELECT ?, ?
		WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?)`, table, next-1, table)
	if err == nil {
		_, err = tx.ExecContext(ctx, "UPDATE sqlite_sequence SET seq = ? WHERE name = ?", next-1, table)
	}
	return err
}

// Querier is what reads rows: a *sql.DB, *sql.Tx or *sql.Conn.
type Querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}
