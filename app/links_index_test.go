package app_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/engines/importer"
	"tierbase/platform/store"
)

// linksIndexAgrees fails unless, on SQLite, the side table of 多条关联 f of t holds exactly a
// row per id in each record's list.
func linksIndexAgrees(t *testing.T, a *app.App, tb *schema.Table, f *schema.Field, step string) {
	t.Helper()
	if a.DB.Dialect == store.Postgres {
		return
	}
	ctx := context.Background()
	read := func(q string) []string {
		rows, err := a.DB.R.QueryContext(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var linked, record int64
			rows.Scan(&linked, &record)
			out = append(out, fmt.Sprint(linked, "←", record))
		}
		return out
	}
	have := read(fmt.Sprintf("SELECT linked, record FROM %s ORDER BY linked, record", store.Quote(schema.LinksIndex(tb, f))))
	want := read(fmt.Sprintf("SELECT j.value, r.id FROM %s r, json_each(r.%s) j ORDER BY 1, 2", store.Quote(tb.SQLName()), store.Quote(f.Column())))
	if !slices.Equal(have, want) {
		t.Fatalf("%s: the side table of %s holds %v, the lists %v", step, f.Name, have, want)
	}
}

// The side table indexing a 多条关联 on SQLite follows an import into an empty table (made
// after the rows), is made and filled when a data directory without it is opened, and goes
// with its field and with its table; the contains filter reads it.
func TestLinksIndexLifecycle(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, err := app.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { a.Close() }()
	if _, err := a.Catalog.CreateTable(ctx, access.System, "", "项目", []*schema.Field{{Name: "项目名称", Type: schema.Text}}); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if _, err := a.Records.Create(ctx, access.System, mustTable(t, a, "项目"), records.Input{"项目名称": fmt.Sprintf("项目%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Catalog.CreateTable(ctx, access.System, "", "工单", []*schema.Field{
		{Name: "工单名称", Type: schema.Text}, {Name: "相关项目", Type: schema.Links, LinkTable: "项目"}, {Name: "抄送项目", Type: schema.Links, LinkTable: "项目"}}); err != nil {
		t.Fatal(err)
	}
	// a rollup over the 工单, which the import's hook recomputes before the indexes are made
	if _, err := a.Catalog.AddField(ctx, access.System, "项目", &schema.Field{Name: "工单数",
		Computed: &schema.Computed{Kind: schema.Rollup, Table: "工单", Link: "相关项目", Fn: "count"}}); err != nil {
		t.Fatal(err)
	}
	src := csvReader(t, "工单名称,相关项目,抄送项目\n甲,项目0、项目2,项目1\n乙,项目2,\n丙,,项目3、项目0\n")
	res, err := a.Importer.Run(ctx, access.System, mustTable(t, a, "工单"), src, importer.Plan{Columns: importer.Suggest(src.Header(), mustTable(t, a, "工单"))}, nil)
	if err != nil || res.Inserted != 3 {
		t.Fatalf("import: %+v %v", res, err)
	}
	w := mustTable(t, a, "工单")
	linksIndexAgrees(t, a, w, w.Field("相关项目"), "import into an empty table")
	contains := func(step string, want ...string) {
		t.Helper()
		page, err := a.Records.List(ctx, access.System, mustTable(t, a, "工单"), records.Query{Filter: parseCond(t, `{"field":"相关项目","op":"contains","value":[3]}`)})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range page.Items {
			got = append(got, r[w.Field("工单名称").ID].(string))
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("%s: contains 项目2 finds %v, want %v", step, got, want)
		}
	}
	contains("import", "乙", "甲")
	counts := func(step string, want ...float64) {
		t.Helper()
		p := mustTable(t, a, "项目")
		for i, n := range want {
			rec, err := a.Records.Get(ctx, access.System, p, int64(i+1))
			if err != nil {
				t.Fatal(err)
			}
			if got := rec[p.Field("工单数").ID]; got != n {
				t.Fatalf("%s: 项目%d has 工单数 %v, want %v", step, i, got, n)
			}
		}
	}
	counts("import", 1, 0, 2, 0)
	if a.DB.Dialect != store.Postgres { // a data directory from before the side tables
		lk := schema.LinksIndex(w, w.Field("相关项目"))
		for _, q := range []string{"DROP TRIGGER " + store.Quote(lk+"_insert"), "DROP TRIGGER " + store.Quote(lk+"_update"),
			"DROP TRIGGER " + store.Quote(lk+"_delete"), "DROP TABLE " + store.Quote(lk)} {
			if err := a.DB.Tx(ctx, func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, q); return err }); err != nil {
				t.Fatal(err)
			}
		}
		a.Close()
		if a, err = app.Open(dir); err != nil {
			t.Fatal(err)
		}
		w = mustTable(t, a, "工单")
		linksIndexAgrees(t, a, w, w.Field("相关项目"), "reopened")
		contains("reopened", "乙", "甲")
	}
	if err := a.Catalog.DeleteField(ctx, access.System, "工单", "抄送项目"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Records.Update(ctx, access.System, mustTable(t, a, "工单"), 3, records.Input{"相关项目": []any{3}}); err != nil {
		t.Fatal(err)
	}
	contains("field deleted", "丙", "乙", "甲")
	counts("field deleted", 1, 0, 3, 0)
	if err := a.Catalog.DeleteField(ctx, access.System, "项目", "工单数"); err != nil {
		t.Fatal(err)
	}
	if err := a.Catalog.DeleteTable(ctx, access.System, "工单"); err != nil {
		t.Fatal(err)
	}
	if a.DB.Dialect != store.Postgres {
		var left []string
		rows, err := a.DB.R.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE name LIKE 'lk\\_%' ESCAPE '\\'")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name string
			rows.Scan(&name)
			left = append(left, name)
		}
		rows.Close()
		if len(left) > 0 {
			t.Fatalf("left behind: %s", strings.Join(left, ", "))
		}
	}
}

func parseCond(t *testing.T, s string) *cond.Node {
	t.Helper()
	n, err := cond.Parse(json.RawMessage(s))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func mustTable(t *testing.T, a *app.App, name string) *schema.Table {
	t.Helper()
	tb, err := a.Catalog.Table(name)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}
