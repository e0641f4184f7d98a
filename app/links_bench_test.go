package app_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"testing"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/platform/store"
)

// linksWorld is 项目 and 工单 whose 相关项目 (a 多条关联) names 3 项目 each, with a count and a
// sum of 工时 over it on 项目. TIERBASE_BENCH_LINKS sets the 工单 (200,000 by default), a
// twentieth of that the 项目.
func linksWorld(b *testing.B) (*app.App, *schema.Table, int64) {
	b.Helper()
	ctx := context.Background()
	n := 200_000
	if s := os.Getenv("TIERBASE_BENCH_LINKS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	projects := n / 20
	a, err := app.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	p, err := a.Catalog.CreateTable(ctx, access.System, "", "项目", []*schema.Field{{Name: "项目名称", Type: schema.Text}})
	if err != nil {
		b.Fatal(err)
	}
	w, err := a.Catalog.CreateTable(ctx, access.System, "", "工单", []*schema.Field{
		{Name: "工单名称", Type: schema.Text}, {Name: "相关项目", Type: schema.Links, LinkTable: "项目"}, {Name: "工时", Type: schema.Number}})
	if err != nil {
		b.Fatal(err)
	}
	// insert is an INSERT of rows i = 1…n into table (cols) of the values vals.
	insert := func(table, cols string, n int, vals string) string {
		if a.DB.Dialect == store.Postgres {
			return fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM generate_series(1, %d) AS s(i)", table, cols, vals, n)
		}
		return fmt.Sprintf("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %d) INSERT INTO %s (%s) SELECT %s FROM s", n, table, cols, vals)
	}
	col := func(t *schema.Table, name string) string { return store.Quote(t.Field(name).Column()) }
	// list is the 相关项目 of row i: 3 项目 spread over all (fewer where two coincide)
	var list string
	if a.DB.Dialect == store.Postgres {
		list = "(SELECT jsonb_agg(DISTINCT x ORDER BY x) FROM (VALUES (1 + i %% %[1]d), (1 + (i * 7 + 3) %% %[1]d), (1 + (i * 13 + 5) %% %[1]d)) v(x))"
	} else {
		list = "(SELECT json_group_array(x ORDER BY x) FROM (SELECT DISTINCT x FROM (SELECT 1 + i %% %[1]d AS x UNION ALL SELECT 1 + (i * 7 + 3) %% %[1]d UNION ALL SELECT 1 + (i * 13 + 5) %% %[1]d)))"
	}
	err = a.DB.Tx(ctx, func(tx *sql.Tx) error {
		const times = ", '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'"
		if _, err := tx.ExecContext(ctx, insert(store.Quote(p.SQLName()), col(p, "项目名称")+", created_at, updated_at", projects, "'项目' || i"+times)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, insert(store.Quote(w.SQLName()), col(w, "工单名称")+", "+col(w, "相关项目")+", "+col(w, "工时")+", created_at, updated_at", n,
			"'工单' || i, "+fmt.Sprintf(list, projects)+", i % 40"+times))
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range []*schema.Field{
		{Name: "工单数", Computed: &schema.Computed{Kind: schema.Rollup, Table: "工单", Link: "相关项目", Fn: "count"}},
		{Name: "总工时", Computed: &schema.Computed{Kind: schema.Rollup, Table: "工单", Link: "相关项目", Fn: "sum", Field: "工时"}},
	} {
		if _, err := a.Catalog.AddField(ctx, access.System, "项目", f); err != nil {
			b.Fatal(err)
		}
	}
	w, _ = a.Catalog.Table("工单")
	if a.DB.Dialect == store.Postgres { // as autovacuum would after such a load
		if _, err := a.DB.R.ExecContext(ctx, "VACUUM (ANALYZE) "+store.Quote(w.SQLName())); err != nil {
			b.Fatal(err)
		}
	}
	return a, w, int64(projects)
}

// A page of 50 工单 whose 相关项目 holds one 项目, with its total.
func BenchmarkLinksContains(b *testing.B) {
	a, w, projects := linksWorld(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		n, err := cond.Parse(json.RawMessage(fmt.Sprintf(`{"field":"相关项目","op":"contains","value":[%d]}`, 1+int64(i*37)%projects)))
		if err != nil {
			b.Fatal(err)
		}
		page, err := a.Records.List(ctx, access.System, w, records.Query{Filter: n, Limit: 50})
		if err != nil || len(page.Items) == 0 {
			b.Fatalf("%v %v", page, err)
		}
	}
}

// Saving a 工单's 工时: the count and sum of its 3 项目 recomputed.
func BenchmarkLinksRollupSave(b *testing.B) {
	a, w, projects := linksWorld(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := a.Records.Update(ctx, access.System, w, 1+int64(i*7919)%(projects*20), records.Input{"工时": float64(i % 50)}); err != nil {
			b.Fatal(err)
		}
	}
}
