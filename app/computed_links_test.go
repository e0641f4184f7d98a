package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/engines/importer"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// Rollups over a 多条关联 (项目 ← 工单.相关项目) equal a hand-written aggregate over the 工单
// whose list holds the 项目, after a backfill and random creates, list edits that add and
// remove ids, other edits, batches, deletes and restores of 工单 and of 项目, and imports
// (insert and upsert).
func TestRollupsOverManyLinksFollowEveryWrite(t *testing.T) {
	ctx := context.Background()
	a, err := app.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, err := a.Catalog.CreateTable(ctx, access.System, "", "项目", []*schema.Field{
		{Name: "项目名称", Type: schema.Text}, {Name: "期初工时", Type: schema.Number}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Catalog.CreateTable(ctx, access.System, "", "工单", []*schema.Field{
		{Name: "工单名称", Type: schema.Text}, {Name: "相关项目", Type: schema.Links, LinkTable: "项目"},
		{Name: "工时", Type: schema.Number}, {Name: "截止日期", Type: schema.Date},
		{Name: "状态", Type: schema.Select, Options: []schema.Option{{Value: "进行中"}, {Value: "已关闭"}}}}); err != nil {
		t.Fatal(err)
	}
	table := func(name string) *schema.Table { tb, _ := a.Catalog.Table(name); return tb }
	r := rand.New(rand.NewPCG(16, 2))
	var projects, tickets, trashed []int64
	title := map[int64]string{}
	for i := range 8 {
		rec, err := a.Records.Create(ctx, access.System, table("项目"), records.Input{"项目名称": fmt.Sprintf("项目%d", i), "期初工时": float64(r.IntN(50))})
		if err != nil {
			t.Fatal(err)
		}
		projects = append(projects, rec.ID())
		title[rec.ID()] = fmt.Sprintf("项目%d", i)
	}
	some := func() []any {
		var out []any
		for _, id := range projects {
			if r.IntN(3) == 0 {
				out = append(out, id)
			}
		}
		return out
	}
	n := 0
	ticket := func() records.Input {
		n++
		return records.Input{"工单名称": fmt.Sprintf("工单%d", n), "相关项目": some(), "工时": float64(r.IntN(400)) / 4,
			"截止日期": time.Date(2026, 1, 1+r.IntN(300), 0, 0, 0, 0, time.UTC).Format(time.DateOnly), "状态": []string{"进行中", "已关闭"}[r.IntN(2)]}
	}
	create := func() {
		rec, err := a.Records.Create(ctx, access.System, table("工单"), ticket())
		if err != nil {
			t.Fatal(err)
		}
		tickets = append(tickets, rec.ID())
	}
	for range 15 {
		create()
	}
	rollup := func(name, fn, field, where, base string) *schema.Field {
		return &schema.Field{Name: name, Computed: &schema.Computed{Kind: schema.Rollup, Table: "工单", Link: "相关项目", Fn: fn, Field: field, Where: json.RawMessage(where), Base: base}}
	}
	rollups := []*schema.Field{ // backfilled over the 工单 already there
		rollup("工单数", "count", "", "", ""), rollup("总工时", "sum", "工时", "", ""), rollup("最晚截止", "max", "截止日期", "", ""),
		rollup("平均工时", "avg", "工时", "", ""), rollup("最少工时", "min", "工时", "", ""),
		rollup("进行中工单", "count", "", `{"field":"状态","op":"eq","value":"进行中"}`, ""), rollup("累计工时", "sum", "工时", "", "期初工时"),
	}
	for _, f := range rollups {
		if _, err := a.Catalog.AddField(ctx, access.System, "项目", f); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
	}
	// 相关项目 points at 项目, not at 工单: no rollup of 工单 counts through it.
	_, err = a.Catalog.AddField(ctx, access.System, "工单", rollup("同表工单数", "count", "", "", ""))
	p := problem.As(err)
	if p != nil && len(p.Details) == 1 {
		p = p.Details[0]
	}
	if p == nil || p.Code != "rollup_not_link_back" {
		t.Fatalf("a rollup over a 多条关联 pointing elsewhere: %v", err)
	}
	if _, err := a.Catalog.AddField(ctx, access.System, "项目", &schema.Field{Name: "人均工时", Type: schema.Number,
		Computed: &schema.Computed{Kind: schema.Formula, Formula: "IF(工单数 > 0, 总工时 / 工单数, 0)"}}); err != nil {
		t.Fatal(err)
	}

	// check compares every 项目's rollups with aggregates, in Go, over the 工单 read raw.
	check := func(step string) {
		t.Helper()
		p, w := table("项目"), table("工单")
		col := func(tb *schema.Table, name string) string { return store.Quote(tb.Field(name).Column()) }
		rows, err := a.DB.R.QueryContext(ctx, fmt.Sprintf("SELECT %s, %s, %s, %s FROM %s", col(w, "相关项目"), col(w, "工时"), col(w, "截止日期"), col(w, "状态"), store.Quote(w.SQLName())))
		if err != nil {
			t.Fatal(err)
		}
		type agg struct {
			n, sum, open float64
			hours        []float64
			last         any
		}
		want := map[int64]*agg{}
		for rows.Next() {
			var list, hours, due, state any
			if err := rows.Scan(&list, &hours, &due, &state); err != nil {
				t.Fatal(err)
			}
			var ids []int64
			if list != nil {
				if err := json.Unmarshal(fmt.Appendf(nil, "%s", list), &ids); err != nil {
					t.Fatal(err)
				}
			}
			h := records.FromSQL(w.Field("工时"), hours)
			d := records.FromSQL(w.Field("截止日期"), due)
			for _, id := range ids {
				g := want[id]
				if g == nil {
					g = &agg{}
					want[id] = g
				}
				g.n++
				if x, ok := h.(float64); ok {
					g.sum += x
					g.hours = append(g.hours, x)
				}
				if d != nil && (g.last == nil || d.(string) > g.last.(string)) {
					g.last = d
				}
				if fmt.Sprintf("%s", state) == "进行中" {
					g.open++
				}
			}
		}
		rows.Close()
		for _, id := range projects {
			rec, err := a.Records.Get(ctx, access.System, p, id)
			if err != nil {
				t.Fatal(err)
			}
			g := want[id]
			if g == nil {
				g = &agg{}
			}
			var avg, least any
			if len(g.hours) > 0 {
				avg, least = g.sum/float64(len(g.hours)), slices.Min(g.hours)
			}
			base, _ := rec[p.Field("期初工时").ID].(float64)
			per := 0.0
			if g.n > 0 {
				per = g.sum / g.n
			}
			for name, v := range map[string]any{"工单数": g.n, "总工时": g.sum, "最晚截止": g.last, "平均工时": avg, "最少工时": least,
				"进行中工单": g.open, "累计工时": base + g.sum, "人均工时": per} {
				if got := rec[p.Field(name).ID]; !same(got, v) {
					t.Fatalf("%s: 项目 %d %s = %v, hand-written %v", step, id, name, got, v)
				}
			}
		}
	}
	check("backfill")

	for step := range 120 {
		kind := r.IntN(9)
		if len(tickets) == 0 || (kind == 8 && len(trashed) == 0) {
			kind = 0
		}
		pick := func() int64 { return tickets[r.IntN(len(tickets))] }
		var what string
		switch kind {
		case 0:
			what = "create"
			create()
		case 1, 2:
			what = "add and remove ids"
			w := table("工单")
			rec, err := a.Records.Get(ctx, access.System, w, pick())
			if err != nil {
				t.Fatal(err)
			}
			list, _ := rec[w.Field("相关项目").ID].([]int64)
			var next []any
			for _, id := range list {
				if r.IntN(3) > 0 {
					next = append(next, id)
				}
			}
			next = append(next, projects[r.IntN(len(projects))], projects[r.IntN(len(projects))])
			if _, err := a.Records.Update(ctx, access.System, w, rec.ID(), records.Input{"相关项目": next}); err != nil {
				t.Fatal(err)
			}
		case 3:
			what = "update"
			in := ticket()
			for k := range in {
				if k == "工单名称" || r.IntN(2) == 0 {
					delete(in, k)
				}
			}
			if _, err := a.Records.Update(ctx, access.System, table("工单"), pick(), in); err != nil {
				t.Fatal(err)
			}
		case 4:
			what = "delete"
			i := r.IntN(len(tickets))
			if err := a.Records.Delete(ctx, access.System, table("工单"), tickets[i]); err != nil {
				t.Fatal(err)
			}
			trashed = append(trashed, tickets[i])
			tickets = slices.Delete(tickets, i, i+1)
		case 8:
			what = "restore"
			id := trashed[len(trashed)-1]
			trashed = trashed[:len(trashed)-1]
			if _, err := a.Records.Restore(ctx, access.System, table("工单"), id); err != nil {
				t.Fatal(err)
			}
			tickets = append(tickets, id)
		case 5:
			what = "batch"
			items := []records.Input{ticket(), ticket(), {"id": pick(), "相关项目": some(), "工时": 7.5}}
			out, err := a.Records.Batch(ctx, access.System, table("工单"), items)
			if err != nil {
				t.Fatal(err)
			}
			tickets = append(tickets, out[0].ID(), out[1].ID())
		case 6:
			what = "opening value"
			if _, err := a.Records.Update(ctx, access.System, table("项目"), projects[r.IntN(len(projects))], records.Input{"期初工时": float64(r.IntN(50))}); err != nil {
				t.Fatal(err)
			}
		case 7:
			what = "empty the list"
			if _, err := a.Records.Update(ctx, access.System, table("工单"), pick(), records.Input{"相关项目": nil}); err != nil {
				t.Fatal(err)
			}
		}
		check(fmt.Sprintf("step %d (%s)", step, what))
		if step == 60 { // an import of new 工单, then an upsert changing some lists
			names := func() string {
				var out []string
				for _, id := range some() {
					out = append(out, title[id.(int64)])
				}
				return strings.Join(out, "、")
			}
			var b strings.Builder
			b.WriteString("工单名称,相关项目,工时,状态\n")
			for i := range 20 {
				fmt.Fprintf(&b, "导入%d,%s,%d,进行中\n", i, names(), r.IntN(90))
			}
			src := csvReader(t, b.String())
			res, err := a.Importer.Run(ctx, access.System, table("工单"), src, importer.Plan{Columns: importer.Suggest(src.Header(), table("工单"))}, nil)
			if err != nil || res.Inserted != 20 {
				t.Fatalf("import: %+v %v", res, err)
			}
			check("import")
			b.Reset()
			b.WriteString("工单名称,相关项目,工时\n")
			for i := range 8 { // moved to the first 项目 or to none: the others lose them
				fmt.Fprintf(&b, "导入%d,%s,%d\n", i*2, []string{title[projects[0]], ""}[r.IntN(2)], r.IntN(90))
			}
			src = csvReader(t, b.String())
			res, err = a.Importer.Run(ctx, access.System, table("工单"), src, importer.Plan{Columns: importer.Suggest(src.Header(), table("工单")), Mode: importer.Upsert, Key: "工单名称"}, nil)
			if err != nil || res.Updated == 0 {
				t.Fatalf("upsert: %+v %v", res, err)
			}
			check("upsert import")
			w := table("工单")
			rows, err := a.DB.R.QueryContext(ctx, "SELECT id FROM "+store.Quote(w.SQLName())+" WHERE id > ?", slices.Max(tickets))
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id int64
				rows.Scan(&id)
				tickets = append(tickets, id)
			}
			rows.Close()
		}
		if step%40 == 39 { // deleting a 项目 takes it out of the lists; the others' rollups stay
			i := r.IntN(len(projects))
			id := projects[i]
			if err := a.Records.Delete(ctx, access.System, table("项目"), id); err != nil {
				t.Fatal(err)
			}
			projects = slices.Delete(projects, i, i+1)
			check(fmt.Sprintf("step %d (项目 deleted)", step))
			if step == 39 { // restored, no list names it: its opening value alone
				if _, err := a.Records.Restore(ctx, access.System, table("项目"), id); err != nil {
					t.Fatal(err)
				}
				projects = append(projects, id)
				check(fmt.Sprintf("step %d (项目 restored)", step))
			}
		}
	}
}
