package importer_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"tierbase/core/access"
	"tierbase/core/schema"
	"tierbase/engines/importer"
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
