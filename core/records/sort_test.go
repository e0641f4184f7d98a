package records_test

import (
	"fmt"
	"testing"

	"tierbase/core/records"
	"tierbase/core/schema"
)

// A sort puts empty values first going up and last going down, ties by id, and orders tag
// lists by their text — the same pages on SQLite and on PostgreSQL (whose own rules put
// empty values last going up and a longer list after a shorter one).
func TestSortEmptyValuesAndLists(t *testing.T) {
	w := open(t)
	cat, err := schema.Open(w.db)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := cat.CreateTable(ctx, w.admin, "", "线索", []*schema.Field{
		{Name: "名称", Type: schema.Text}, {Name: "金额", Type: schema.Money, Indexed: true}, {Name: "标签", Type: schema.Tags}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, in := range []records.Input{
		{"名称": "甲", "金额": 300, "标签": []string{"高频客户"}},
		{"名称": "乙"},
		{"名称": "丙", "金额": 100, "标签": []string{"高频客户", "待回访"}},
		{"名称": "丁", "金额": 300, "标签": []string{"a"}},
		{"名称": "戊"},
	} {
		ids = append(ids, w.create(t, w.admin, tb, in).ID())
	}
	at := func(is ...int) string {
		var out []int64
		for _, i := range is {
			out = append(out, ids[i])
		}
		return fmt.Sprint(out)
	}
	for sort, want := range map[string]string{
		"金额":  at(1, 4, 2, 0, 3),
		"-金额": at(3, 0, 2, 4, 1),
		"标签":  at(1, 4, 3, 2, 0),
		"-标签": at(0, 2, 3, 4, 1),
	} {
		page, err := w.recs.List(ctx, w.admin, tb, records.Query{Sort: sort})
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, r := range page.Items {
			got = append(got, r.ID())
		}
		if fmt.Sprint(got) != want {
			t.Errorf("sort %s: %v, want %s", sort, got, want)
		}
	}
}
