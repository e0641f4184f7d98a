package importer_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"tierbase/core/access"
	"tierbase/core/schema"
	"tierbase/engines/importer"
	"tierbase/platform/store"
)

// customersCSV is a file of n customers (unique key, phone, select, date, money) for the
// customers table of setup.
func customersCSV(n int) string {
	var sb strings.Builder
	sb.WriteString("客户编号,客户名称,联系方式,客户来源,首次购买日期,累计消费金额\n")
	sources := []string{"官网", "展会", "转介绍"}
	for i := range n {
		fmt.Fprintf(&sb, "K%d,客户%d有限公司,1390000%04d,%s,2026-%02d-%02d,%d.%02d\n", i, i, i%10000, sources[i%3], i%12+1, i%28+1, i%100000, i%100)
	}
	return sb.String()
}

// importCustomers imports the n customers of file into a new customers table through the
// importer, as the server's import jobs do (one write transaction of the database's writer),
// and returns the table.
func importCustomers(t testing.TB, e *env, file string, n int) *schema.Table {
	tb := e.customers(t)
	src := csvFile(t, file)
	res, err := e.im.Run(context.Background(), access.System, tb, src, importer.Plan{Columns: importer.Suggest(src.Header(), tb)}, nil)
	if err != nil || res.Inserted != n {
		t.Fatalf("%v: %+v", err, res)
	}
	return tb
}

// An import of 400,000 rows through the server's path commits. With SQLite's statement
// journals kept in memory up to 4 MB (SQLITE_CONFIG_STMTJRNL_SPILL), it failed at its end
// with "database or disk is full".
func TestImportLargerThanJournalMemory(t *testing.T) {
	const n = 400000
	e := setup(t)
	tb := importCustomers(t, e, customersCSV(n), n)
	var got int
	if err := e.db.R.QueryRow(`SELECT COUNT(*) FROM "` + tb.SQLName() + `"`).Scan(&got); err != nil || got != n {
		t.Fatalf("%d rows, %v", got, err)
	}
}

// BenchmarkImport100k imports 100,000 customers (unique key, phone, select, date, money,
// and an autonumber the file does not feed) into an empty table, on the database the suite
// runs on: go test -run '^$' -bench Import100k -benchtime 1x ./engines/importer/
// (with TIERBASE_TEST_PG set, PostgreSQL through COPY).
func BenchmarkImport100k(b *testing.B) {
	const n = 100000
	file := customersCSV(n)
	for b.Loop() {
		b.StopTimer()
		e := setup(b)
		b.StartTimer()
		importCustomers(b, e, file, n)
	}
}

// On PostgreSQL an import of 10,000 rows or more into an empty table leaves the planner's
// statistics of the owner columns, committed with the rows: a data scope's first page after
// it is not planned blind until autovacuum comes by.
func TestImportAnalyzesOwners(t *testing.T) {
	const n = 10_000
	e := setup(t)
	if e.db.Dialect != store.Postgres {
		t.Skip("SQLite takes its statistics when the database is opened")
	}
	tb := importCustomers(t, e, customersCSV(n), n)
	rows, err := e.db.R.Query("SELECT attname FROM pg_stats WHERE schemaname = current_schema() AND tablename = ? ORDER BY attname", tb.SQLName())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var col string
		if err := rows.Scan(&col); err != nil {
			t.Fatal(err)
		}
		got = append(got, col)
	}
	if want := []string{schema.FieldCreatedBy, schema.FieldOwner}; !slices.Equal(got, want) {
		t.Errorf("statistics of %v after the import, want %v", got, want)
	}
}
