// Package migrate moves a data directory's rows from its SQLite database into an empty
// PostgreSQL database (tierbase migrate --to postgres://…): the metadata tables as they are
// and every record table with its ids, in one PostgreSQL transaction, then checks the row
// counts of every table before committing.
package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// Options tune a migration.
type Options struct {
	// Sessions copies the signed-in sessions too, so nobody has to sign in again; without
	// it everyone signs in anew on PostgreSQL.
	Sessions bool
	// Progress, if set, is told of each table's rows copied so far (done of total). name is
	// the table's display name for record tables, the SQL name for metadata tables.
	Progress func(name string, done, total int64)
	// Batch is how many rows are copied between two calls of Progress (default 5000).
	Batch int
}

// Count is one table's rows, on both sides once the copy is done.
type Count struct {
	Table  string // SQL name
	Name   string // display name of a record table, else the SQL name
	Source int64
	Target int64
}

// Run copies every row of src (a SQLite database) into dst (an empty PostgreSQL database
// whose metadata tables exist, as store.OpenURL leaves it), in one transaction of dst: on
// any error nothing is written. It returns the row counts of every table copied, in order.
func Run(ctx context.Context, src, dst *store.DB, opt Options) ([]Count, error) {
	if src.Dialect != store.SQLite || dst.Dialect != store.Postgres {
		return nil, fmt.Errorf("tierbase migrate copies a SQLite data directory into PostgreSQL, not %s into %s", src.Dialect, dst.Dialect)
	}
	if opt.Batch <= 0 {
		opt.Batch = 5000
	}
	cat, err := schema.Open(src)
	if err != nil {
		return nil, err
	}
	from, err := src.Describe(ctx)
	if err != nil {
		return nil, err
	}
	to, err := dst.Describe(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkEmpty(ctx, dst, to); err != nil {
		return nil, err
	}
	target := map[string]*store.TableInfo{}
	for i := range to {
		target[to[i].Name] = &to[i]
	}
	records := map[string]*schema.Table{}
	for _, t := range cat.Tables() {
		records[t.SQLName()] = t
	}
	// A snapshot of the source: its rows do not move while they are copied (a server still
	// running on it would add rows that the counts would then miss).
	rtx, err := src.R.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer rtx.Rollback()
	var plan []step
	for i := range from {
		t := &from[i]
		if t.Name == "_sessions" && !opt.Sessions || t.Name == "_flow_task_counts" { // the counts: kept by triggers as _flow_tasks is copied
			continue
		}
		s := step{from: t, name: t.Name}
		if rt := records[t.Name]; rt != nil && len(t.Columns) > store.Postgres.MaxColumns() { // made before SQLite had PostgreSQL's limit
			return nil, problem.Invalid("migrate_too_wide", "table", rt.Name, "columns", len(t.Columns), "max", store.Postgres.MaxColumns())
		}
		if rt := records[t.Name]; rt != nil {
			pg := *rt
			pg.Dialect = store.Postgres
			s.record, s.name = &pg, rt.Name
		} else if target[t.Name] == nil {
			return nil, fmt.Errorf("the table %s of the SQLite database has no place in PostgreSQL (is this tierbase older than the data directory?)", t.Name)
		}
		if err := rtx.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+store.Quote(t.Name)).Scan(&s.total); err != nil {
			return nil, err
		}
		plan = append(plan, s)
	}
	// Metadata first, then the record tables in the catalog's order.
	slices.SortStableFunc(plan, func(a, b step) int {
		if (a.record == nil) != (b.record == nil) {
			if a.record == nil {
				return -1
			}
			return 1
		}
		if a.record != nil {
			return a.record.Position - b.record.Position
		}
		return 0
	})
	var counts []Count
	err = dst.Tx(ctx, func(tx *sql.Tx) error {
		counts = counts[:0]
		for i := range plan {
			s := &plan[i]
			if s.record != nil {
				if err := schema.CreateSQLTx(ctx, tx, s.record); err != nil {
					return fmt.Errorf("create the table %s: %w", s.name, err)
				}
				var err error // the new table is seen inside tx only
				if s.to, err = dst.DescribeTable(ctx, tx, s.from.Name); err != nil {
					return err
				}
			} else {
				s.to = target[s.from.Name]
			}
			if err := copyTable(ctx, dst, rtx, tx, s, opt); err != nil {
				return err
			}
			if s.record != nil { // indexed once the rows are in: faster than row by row
				_, create := schema.IndexStatements(s.record)
				for _, q := range create {
					if _, err := tx.ExecContext(ctx, q); err != nil {
						return fmt.Errorf("index the table %s: %w", s.name, err)
					}
				}
			}
			if err := carryIDs(ctx, src, dst, rtx, tx, s); err != nil {
				return err
			}
		}
		var bad []string
		for _, s := range plan {
			c := Count{Table: s.from.Name, Name: s.name, Source: s.total}
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+store.Quote(s.from.Name)).Scan(&c.Target); err != nil {
				return err
			}
			if c.Target != c.Source {
				bad = append(bad, fmt.Sprintf("%s %d → %d", c.Name, c.Source, c.Target))
			}
			counts = append(counts, c)
		}
		if bad != nil {
			return problem.New(500, "migrate_mismatch", "tables", strings.Join(bad, ", "))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}

// step is the copy of one table.
type step struct {
	from   *store.TableInfo
	to     *store.TableInfo
	record *schema.Table // a record table, in PostgreSQL's types; nil for metadata
	name   string
	total  int64
}

// checkEmpty refuses a target that holds a row, or a table tierbase's baseline does not make.
func checkEmpty(ctx context.Context, dst *store.DB, tables []store.TableInfo) error {
	var full []string
	for _, t := range tables {
		if t.Name == "_meta" {
			continue
		}
		var n int64
		if err := dst.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM "+store.Quote(t.Name)+" LIMIT 1) x").Scan(&n); err != nil {
			return err
		}
		if n > 0 || !strings.HasPrefix(t.Name, "_") {
			full = append(full, t.Name)
		}
	}
	if full != nil {
		if len(full) > 10 {
			full = append(full[:10], "…")
		}
		return problem.New(409, "migrate_not_empty", "tables", strings.Join(full, ", "))
	}
	return nil
}

// copyTable copies the rows of one table from the source snapshot into tx, in the order
// they were added (so PostgreSQL's seq columns number them in that order), through the
// store's Inserter (COPY on PostgreSQL), converting each value to its target column's type.
func copyTable(ctx context.Context, dst *store.DB, rtx, tx *sql.Tx, s *step, opt Options) error {
	var cols []string
	var types []string
	for _, c := range s.from.Columns {
		tc := s.to.Column(c.Name)
		if tc == nil {
			return fmt.Errorf("the column %s.%s of the SQLite database has no place in PostgreSQL", s.from.Name, c.Name)
		}
		cols = append(cols, c.Name)
		types = append(types, tc.Type)
	}
	if opt.Progress != nil {
		opt.Progress(s.name, 0, s.total)
	}
	if s.total == 0 {
		return nil
	}
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = store.Quote(c)
	}
	q := "SELECT " + strings.Join(quoted, ", ") + " FROM " + store.Quote(s.from.Name)
	if s.from.Order != "" {
		q += " ORDER BY " + s.from.Order
	}
	rows, err := rtx.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	in, err := store.NewInserter(dst, tx, s.from.Name, cols, nil, nil)
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	row := make([]any, len(cols))
	var done int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			if row[i], err = convert(v, types[i]); err != nil {
				return problem.New(400, "migrate_bad_value", "table", s.name, "column", columnName(s, cols[i]),
					"row", done+1, "value", fmt.Sprint(text(v)), "type", types[i])
			}
		}
		if err := in.Add(row...); err != nil {
			return fmt.Errorf("copy the rows of %s: %w", s.name, err)
		}
		done++
		if done%int64(opt.Batch) == 0 {
			if opt.Progress != nil {
				opt.Progress(s.name, done, s.total)
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := in.Flush(); err != nil {
		return fmt.Errorf("copy the rows of %s: %w", s.name, err)
	}
	if opt.Progress != nil {
		opt.Progress(s.name, done, s.total)
	}
	return nil
}

// convert turns a value read from SQLite into one for a PostgreSQL column of type typ.
func convert(v any, typ string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "text", "character varying":
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		case int64:
			return strconv.FormatInt(x, 10), nil
		case float64:
			return strconv.FormatFloat(x, 'g', -1, 64), nil
		}
	case "bigint", "integer", "smallint":
		switch x := v.(type) {
		case int64:
			return x, nil
		case bool:
			if x {
				return int64(1), nil
			}
			return int64(0), nil
		case float64:
			if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
				return int64(x), nil
			}
		case string:
			if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
				return n, nil
			}
		}
	case "numeric", "real", "double precision":
		switch x := v.(type) {
		case int64:
			return strconv.FormatInt(x, 10), nil
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, errors.New("not a finite number")
			}
			// The shortest text that reads back as the same float64: 1999.99, not 1999.9900000000000091.
			return strconv.FormatFloat(x, 'f', -1, 64), nil
		case string:
			if _, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
				return strings.TrimSpace(x), nil
			}
		}
	case "jsonb", "json":
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		}
	case "bytea":
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return []byte(x), nil
		}
	default:
		return v, nil
	}
	return nil, errors.New("does not fit")
}

// text is v for a message: bytes as text.
func text(v any) any {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}

// columnName is the field name of a record table's column (the column itself for the
// system columns and metadata tables), for messages.
func columnName(s *step, col string) string {
	if s.record != nil {
		for _, f := range s.record.Fields {
			if f.Column() == col {
				return f.Name
			}
		}
	}
	return col
}

// carryIDs sets the identity counters of the copied table past every id the source gave,
// so that the next record, log entry or user gets a new id, never a reused one.
func carryIDs(ctx context.Context, src, dst *store.DB, rtx, tx *sql.Tx, s *step) error {
	id := s.to.Column("id")
	if id == nil || !id.Identity {
		return nil
	}
	var last int64
	var err error
	if s.record != nil {
		last, err = src.Dialect.LastID(ctx, rtx, s.from.Name) // AUTOINCREMENT: past deleted records too
	} else {
		err = rtx.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM "+store.Quote(s.from.Name)).Scan(&last)
	}
	if err != nil {
		return err
	}
	if err := dst.SetNextIDTx(ctx, tx, s.from.Name, last+1); err != nil {
		return fmt.Errorf("set the next id of %s: %w", s.name, err)
	}
	return nil
}
