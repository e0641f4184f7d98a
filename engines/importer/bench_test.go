package importer_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"tierbase/core/access"
	"tierbase/engines/importer"
)

// BenchmarkImport100k imports 100,000 customers (unique key, phone, select, date, money,
// and an autonumber the file does not feed) into an empty table, on the database the suite
// runs on: go test -run '^$' -bench Import100k -benchtime 1x ./engines/importer/
// (with TIERBASE_TEST_PG set, PostgreSQL through COPY).
func BenchmarkImport100k(b *testing.B) {
	const n = 100000
	var sb strings.Builder
	sb.WriteString("客户编号,客户名称,联系方式,客户来源,首次购买日期,累计消费金额\n")
	sources := []string{"官网", "展会", "转介绍"}
	for i := range n {
		fmt.Fprintf(&sb, "K%d,客户%d有限公司,1390000%04d,%s,2026-%02d-%02d,%d.%02d\n", i, i, i%10000, sources[i%3], i%12+1, i%28+1, i%100000, i%100)
	}
	for b.Loop() {
		b.StopTimer()
		e := setup(b)
		tb := e.customers(b)
		src := csvFile(b, sb.String())
		b.StartTimer()
		res, err := e.im.Run(context.Background(), access.System, tb, src, importer.Plan{Columns: importer.Suggest(src.Header(), tb)}, nil)
		if err != nil || res.Inserted != n {
			b.Fatalf("%v: %+v", err, res)
		}
	}
}
