package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/engines/exporter"
	"tierbase/engines/importer"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// Lookups through a 多条关联 (工单.相关项目 → 项目) equal, after a backfill and random creates,
// list edits, edits of the linked 项目, deletes and restores of either side and imports of
// either side, the lists read by hand: the shown field of every linked 项目 in the order of
// the ids (a text as 标签, a money as numbers, a select as 多选, tags flattened); and the
// filters contains, empty and notEmpty pick the 工单 the lists say.
func TestLookupsOverManyLinksFollowEveryWrite(t *testing.T) {
	ctx := context.Background()
	a, err := app.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	stages := []string{"立项", "实施", "验收"}
	if _, err := a.Catalog.CreateTable(ctx, access.System, "", "项目", []*schema.Field{
		{Name: "项目名称", Type: schema.Text}, {Name: "预算", Type: schema.Money}, {Name: "已结项", Type: schema.Checkbox},
		{Name: "阶段", Type: schema.Select, Options: []schema.Option{{Value: stages[0]}, {Value: stages[1]}, {Value: stages[2]}}},
		{Name: "标签", Type: schema.Tags}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Catalog.CreateTable(ctx, access.System, "", "工单", []*schema.Field{
		{Name: "工单名称", Type: schema.Text}, {Name: "相关项目", Type: schema.Links, LinkTable: "项目"}}); err != nil {
		t.Fatal(err)
	}
	table := func(name string) *schema.Table { tb, _ := a.Catalog.Table(name); return tb }
	r := rand.New(rand.NewPCG(16, 3))
	var projects, tickets, trashedP, trashedT []int64
	if _, err := a.Catalog.AddField(ctx, access.System, "项目", &schema.Field{Name: "上级项目", Type: schema.Link, LinkTable: "项目"}); err != nil {
		t.Fatal(err)
	}
	project := func(i int) records.Input {
		in := records.Input{"项目名称": fmt.Sprintf("项目%d", i), "阶段": stages[r.IntN(3)], "标签": []string{"重点", "外包", "延期"}[:r.IntN(3)]}
		if r.IntN(4) > 0 {
			in["预算"] = float64(r.IntN(100000)) / 100
		}
		if len(projects) > 0 && r.IntN(2) == 0 {
			in["上级项目"] = projects[r.IntN(len(projects))]
		}
		return in
	}
	np := 0
	for range 8 {
		rec, err := a.Records.Create(ctx, access.System, table("项目"), project(np))
		if err != nil {
			t.Fatal(err)
		}
		np++
		projects = append(projects, rec.ID())
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
	nt := 0
	create := func() {
		nt++
		rec, err := a.Records.Create(ctx, access.System, table("工单"), records.Input{"工单名称": fmt.Sprintf("工单%d", nt), "相关项目": some()})
		if err != nil {
			t.Fatal(err)
		}
		tickets = append(tickets, rec.ID())
	}
	for range 12 {
		create()
	}
	lookup := func(name, field string) *schema.Field {
		return &schema.Field{Name: name, Computed: &schema.Computed{Kind: schema.Lookup, Link: "相关项目", Field: field}}
	}
	types := map[string]schema.Type{"项目名称们": schema.Tags, "预算们": schema.Numbers, "阶段们": schema.MultiSelect, "标签们": schema.Tags, "上级项目们": schema.Links}
	for name, field := range map[string]string{"项目名称们": "项目名称", "预算们": "预算", "阶段们": "阶段", "标签们": "标签", "上级项目们": "上级项目"} {
		f, err := a.Catalog.AddField(ctx, access.System, "工单", lookup(name, field))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if f.Type != types[name] {
			t.Fatalf("%s has type %s, want %s", name, f.Type, types[name])
		}
	}
	// A checkbox has no list form: refused, naming it.
	_, err = a.Catalog.AddField(ctx, access.System, "工单", lookup("已结项们", "已结项"))
	p := problem.As(err)
	if p != nil && len(p.Details) == 1 {
		p = p.Details[0]
	}
	if p == nil || p.Code != "lookup_no_list" || !strings.Contains(p.Message("zh"), "已结项") || !strings.Contains(p.Message("en"), "Checkbox") {
		t.Fatalf("a lookup of a checkbox through a 多条关联: %v", err)
	}

	// check compares every 工单's lookups with lists made in Go from the raw rows, and the
	// filters with the lists.
	check := func(step string) {
		t.Helper()
		pt, w := table("项目"), table("工单")
		linksIndexAgrees(t, a, w, w.Field("相关项目"), step)
		linksIndexAgrees(t, a, w, w.Field("上级项目们"), step)
		raw := map[int64][]any{} // 项目 id → its name, budget, stage, tags as stored
		rows, err := a.DB.R.QueryContext(ctx, fmt.Sprintf("SELECT id, %s, %s, %s, %s, %s FROM %s", store.Quote(pt.Field("项目名称").ID),
			store.Quote(pt.Field("预算").ID), store.Quote(pt.Field("阶段").ID), store.Quote(pt.Field("标签").ID), store.Quote(pt.Field("上级项目").ID), store.Quote(pt.SQLName())))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			vs := make([]any, 5)
			if err := rows.Scan(&id, &vs[0], &vs[1], &vs[2], &vs[3], &vs[4]); err != nil {
				t.Fatal(err)
			}
			for i, name := range []string{"项目名称", "预算", "阶段", "标签", "上级项目"} {
				vs[i] = records.FromSQL(pt.Field(name), vs[i])
			}
			raw[id] = vs
		}
		rows.Close()
		has := map[string]map[int64]bool{} // a 项目名称 → the 工单 whose list shows it
		under := map[int64][]int64{}       // a 上级项目 → the 工单 whose list shows it
		var empty []int64
		for _, id := range tickets {
			var list any
			if err := a.DB.R.QueryRowContext(ctx, fmt.Sprintf("SELECT %s FROM %s WHERE id = ?", store.Quote(w.Field("相关项目").ID), store.Quote(w.SQLName())), id).Scan(&list); err != nil {
				t.Fatal(err)
			}
			var ids []int64
			if list != nil {
				json.Unmarshal(fmt.Appendf(nil, "%s", list), &ids)
			}
			// Texts and options once each, where they first show; a number per 项目; the 上级项目
			// once each, ascending.
			var names, stageList, tags []string
			var budgets []float64
			var parents []int64
			once := func(l []string, items ...string) []string {
				for _, s := range items {
					if !slices.Contains(l, s) {
						l = append(l, s)
					}
				}
				return l
			}
			for _, p := range ids {
				vs := raw[p]
				if vs == nil {
					t.Fatalf("%s: 工单 %d names 项目 %d, which is gone", step, id, p)
				}
				if s, ok := vs[0].(string); ok {
					names = once(names, s)
					if has[s] == nil {
						has[s] = map[int64]bool{}
					}
					has[s][id] = true
				}
				if x, ok := vs[1].(float64); ok {
					budgets = append(budgets, x)
				}
				if s, ok := vs[2].(string); ok {
					stageList = once(stageList, s)
				}
				if l, ok := vs[3].([]string); ok {
					tags = once(tags, l...)
				}
				if p, ok := vs[4].(int64); ok && !slices.Contains(parents, p) {
					parents = append(parents, p)
				}
			}
			if len(names) == 0 {
				empty = append(empty, id)
			}
			rec, err := a.Records.Get(ctx, access.System, w, id)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(parents)
			for _, p := range parents {
				under[p] = append(under[p], id)
			}
			for name, want := range map[string]any{"项目名称们": names, "预算们": budgets, "阶段们": stageList, "标签们": tags, "上级项目们": parents} {
				got := rec[w.Field(name).ID]
				if reflect.ValueOf(want).Len() == 0 {
					want = nil
				}
				if !reflect.DeepEqual(got, want) && !(got == nil && want == nil) {
					t.Fatalf("%s: 工单 %d %s = %#v, by hand %#v (ids %v)", step, id, name, got, want, ids)
				}
			}
		}
		list := func(filter string) []int64 {
			n, err := cond.Parse(json.RawMessage(filter))
			if err != nil {
				t.Fatal(err)
			}
			page, err := a.Records.List(ctx, access.System, w, records.Query{Filter: n, Limit: 1000, SkipTotal: true})
			if err != nil {
				t.Fatalf("%s: %v", filter, err)
			}
			var out []int64
			for _, rec := range page.Items {
				out = append(out, rec.ID())
			}
			slices.Sort(out)
			return out
		}
		sorted := func(ids []int64) []int64 { ids = slices.Clone(ids); slices.Sort(ids); return ids }
		if got := list(`{"field":"项目名称们","op":"empty"}`); !slices.Equal(got, sorted(empty)) {
			t.Fatalf("%s: empty picks %v, the lists say %v", step, got, sorted(empty))
		}
		if got := list(`{"field":"项目名称们","op":"notEmpty"}`); len(got)+len(empty) != len(tickets) {
			t.Fatalf("%s: notEmpty picks %d of %d, %d are empty", step, len(got), len(tickets), len(empty))
		}
		name := fmt.Sprintf("项目%d", r.IntN(np))
		want := []int64{}
		for id := range has[name] {
			want = append(want, id)
		}
		if got := list(`{"field":"项目名称们","op":"contains","value":"` + name + `"}`); !slices.Equal(append([]int64{}, got...), sorted(want)) {
			t.Fatalf("%s: contains %s picks %v, the lists say %v", step, name, got, sorted(want))
		}
		p := projects[r.IntN(len(projects))]
		if got := list(fmt.Sprintf(`{"field":"上级项目们","op":"contains","value":[%d]}`, p)); !slices.Equal(got, sorted(under[p])) {
			t.Fatalf("%s: 上级项目们 contains %d picks %v, the lists say %v", step, p, got, sorted(under[p]))
		}
	}
	check("backfill")

	// An export writes the lists as text: 项目甲, 项目乙 and 1200.5, 300.
	pt := table("项目")
	one, err := a.Records.Create(ctx, access.System, pt, records.Input{"项目名称": "项目甲", "预算": 1200.5})
	if err != nil {
		t.Fatal(err)
	}
	two, err := a.Records.Create(ctx, access.System, pt, records.Input{"项目名称": "项目乙", "预算": 300})
	if err != nil {
		t.Fatal(err)
	}
	exported, err := a.Records.Create(ctx, access.System, table("工单"), records.Input{"工单名称": "导出", "相关项目": []any{one.ID(), two.ID()}})
	if err != nil {
		t.Fatal(err)
	}
	tickets = append(tickets, exported.ID())
	var csv strings.Builder
	n, err := exporter.Write(ctx, a.Records, access.System, table("工单"), exporter.Query{Filter: parseCond(t, `{"field":"工单名称","op":"eq","value":"导出"}`)}, &csv, "csv", nil)
	if err != nil || n != 1 || !strings.Contains(csv.String(), `"项目甲, 项目乙"`) || !strings.Contains(csv.String(), `"1200.5, 300"`) {
		t.Fatalf("export (%d, %v):\n%s", n, err, csv.String())
	}
	for _, p := range []int64{one.ID(), two.ID()} {
		if err := a.Records.Delete(ctx, access.System, pt, p); err != nil {
			t.Fatal(err)
		}
	}
	trashedP = append(trashedP, one.ID(), two.ID())

	for step := range 100 {
		kind := r.IntN(9)
		if (kind == 6 && len(trashedT) == 0) || (kind == 8 && len(trashedP) == 0) {
			kind = 0
		}
		var what string
		switch kind {
		case 0:
			what = "create"
			create()
		case 1, 2:
			what = "relink"
			if _, err := a.Records.Update(ctx, access.System, table("工单"), tickets[r.IntN(len(tickets))], records.Input{"相关项目": some()}); err != nil {
				t.Fatal(err)
			}
		case 3, 4:
			what = "edit a 项目"
			in := project(np)
			np++
			for k := range in {
				if r.IntN(2) == 0 {
					delete(in, k)
				}
			}
			if _, err := a.Records.Update(ctx, access.System, table("项目"), projects[r.IntN(len(projects))], in); err != nil {
				t.Fatal(err)
			}
		case 5:
			what = "delete a 工单"
			i := r.IntN(len(tickets))
			if err := a.Records.Delete(ctx, access.System, table("工单"), tickets[i]); err != nil {
				t.Fatal(err)
			}
			trashedT = append(trashedT, tickets[i])
			tickets = slices.Delete(tickets, i, i+1)
		case 6:
			what = "restore a 工单"
			id := trashedT[len(trashedT)-1]
			trashedT = trashedT[:len(trashedT)-1]
			if _, err := a.Records.Restore(ctx, access.System, table("工单"), id); err != nil {
				t.Fatal(err)
			}
			tickets = append(tickets, id)
		case 7:
			what = "delete a 项目"
			if len(projects) < 3 {
				continue
			}
			i := r.IntN(len(projects))
			if err := a.Records.Delete(ctx, access.System, table("项目"), projects[i]); err != nil {
				t.Fatal(err)
			}
			trashedP = append(trashedP, projects[i])
			projects = slices.Delete(projects, i, i+1)
		case 8:
			what = "restore a 项目, then link it"
			id := trashedP[len(trashedP)-1]
			trashedP = trashedP[:len(trashedP)-1]
			if _, err := a.Records.Restore(ctx, access.System, table("项目"), id); err != nil {
				t.Fatal(err)
			}
			projects = append(projects, id)
			if _, err := a.Records.Update(ctx, access.System, table("工单"), tickets[r.IntN(len(tickets))], records.Input{"相关项目": []any{id}}); err != nil {
				t.Fatal(err)
			}
		}
		check(fmt.Sprintf("step %d (%s)", step, what))
		if step == 50 { // imports: new 工单 naming 项目, then an upsert renaming 项目
			var b strings.Builder
			b.WriteString("工单名称,相关项目\n")
			for i := range 10 {
				var names []string
				for _, id := range some() {
					rec, _ := a.Records.Get(ctx, access.System, table("项目"), id.(int64))
					names = append(names, rec[table("项目").Field("项目名称").ID].(string))
				}
				fmt.Fprintf(&b, "导入%d,%s\n", i, strings.Join(names, "、"))
			}
			src := csvReader(t, b.String())
			res, err := a.Importer.Run(ctx, access.System, table("工单"), src, importer.Plan{Columns: importer.Suggest(src.Header(), table("工单"))}, nil)
			if err != nil || res.Inserted != 10 {
				t.Fatalf("import: %+v %v", res, err)
			}
			rows, err := a.DB.R.QueryContext(ctx, "SELECT id FROM "+store.Quote(table("工单").SQLName())+" WHERE id > ?", slices.Max(slices.Concat(tickets, trashedT)))
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id int64
				rows.Scan(&id)
				tickets = append(tickets, id)
			}
			rows.Close()
			check("import")
			b.Reset()
			b.WriteString("项目名称,预算\n")
			for _, id := range projects[:3] {
				rec, _ := a.Records.Get(ctx, access.System, table("项目"), id)
				fmt.Fprintf(&b, "%s,%d\n", rec[table("项目").Field("项目名称").ID], r.IntN(900))
			}
			src = csvReader(t, b.String())
			res, err = a.Importer.Run(ctx, access.System, table("项目"), src, importer.Plan{Columns: importer.Suggest(src.Header(), table("项目")), Mode: importer.Upsert, Key: "项目名称"}, nil)
			if err != nil || res.Updated == 0 {
				t.Fatalf("upsert: %+v %v", res, err)
			}
			check("upsert import of 项目")
		}
	}
}
