package reports_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/engines/reports"
)

// regionEnv is a table 门店 whose text field 地区 holds provinces (浙江), provinces with a
// city (浙江/杭州), look-alikes that are other provinces (浙江省) and empty values, at random.
// want maps each province (the part before "/") to its number of records, "" for empty,
// and each value as stored, prefixed with "=", to its number.
func regionEnv(t *testing.T, seed uint64) (*app.App, *schema.Table, map[string]int) {
	t.Helper()
	a, err := app.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	tbl, err := a.Catalog.CreateTable(ctx, access.System, "", "门店", []*schema.Field{{Name: "名称", Type: schema.Text}, {Name: "地区", Type: schema.Text}})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 1))
	values := []string{"浙江", "浙江/杭州", "浙江/宁波", "浙江/杭州/西湖区", "浙江省", "广东", "广东/深圳", "广东/广州",
		"江苏", "江苏/南京", "北京", "上海/浦东", "四川/成都", "", ""}
	want := map[string]int{}
	var batch []records.Input
	for i := range 1200 {
		v := values[r.IntN(len(values))]
		batch = append(batch, records.Input{"名称": "门店" + string(rune('A'+i%26)), "地区": v})
		want[strings.SplitN(v, "/", 2)[0]]++
		want["="+v]++
	}
	if _, err := a.Records.Batch(ctx, access.System, tbl, batch); err != nil {
		t.Fatal(err)
	}
	return a, tbl, want
}

// The drill-down of each province bar lists exactly the records the bar counts — 浙江 counts
// 浙江, 浙江/杭州 and 浙江/杭州/西湖区, not 浙江省 — also for 其他 when the chart keeps its top 3.
func TestProvinceDrillDownListsTheBar(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		a, tbl, want := regionEnv(t, seed)
		for _, limit := range []int{0, 3} {
			c := &reports.Chart{Title: "省份", Type: reports.Bar, Table: "门店", Limit: limit,
				Dimensions: []reports.Dimension{{Field: "地区", Bucket: reports.Province}}}
			res, err := a.Reports.Preview(ctx, access.System, c, reports.Filters{})
			if err != nil {
				t.Fatal(err)
			}
			sum := 0.0
			for _, row := range res.Rows {
				n := *row.Values[0]
				sum += n
				if k, ok := row.Keys[0].(string); ok && k != reports.Other && float64(want[k]) != n {
					t.Errorf("seed %d: bar %q counts %v, want %d", seed, k, n, want[k])
				}
				if row.Filter == nil {
					t.Fatalf("seed %d: bar %v has no drill-down", seed, row.Keys)
				}
				drillDownLists(t, a, tbl, row, n, fmt.Sprintf("seed %d, top %d", seed, limit))
			}
			if sum != 1200 {
				t.Errorf("seed %d, top %d: the bars count %v records, want 1200", seed, limit, sum)
			}
		}
	}
}

// The dashboard's 地区 filter keeps a province's records with or without a city, as the chart
// counts them: 广东 keeps 广东 and 广东/深圳, and 浙江 does not keep 浙江省.
func TestRegionFilterFoldsProvinces(t *testing.T) {
	a, _, want := regionEnv(t, 4)
	count := &reports.Chart{Title: "门店数", Type: reports.Indicator, Table: "门店"}
	cases := []struct {
		regions []string
		want    int
	}{
		{[]string{"广东"}, want["广东"]},
		{[]string{"浙江"}, want["浙江"]},
		{[]string{"浙江", "上海"}, want["浙江"] + want["上海"]},
		{[]string{"浙江/杭州"}, want["=浙江/杭州"] + want["=浙江/杭州/西湖区"]},
	}
	for _, c := range cases {
		res, err := a.Reports.Preview(ctx, access.System, count, reports.Filters{Regions: c.regions})
		if err != nil {
			t.Fatal(err)
		}
		if *res.Value != float64(c.want) {
			t.Errorf("地区 %v keeps %v records, want %d", c.regions, *res.Value, c.want)
		}
	}
}

// drillDownLists checks that the drill-down of a chart's row lists the n records it counts.
func drillDownLists(t *testing.T, a *app.App, tbl *schema.Table, row reports.Row, n float64, what string) {
	t.Helper()
	listed, err := a.Records.Count(ctx, access.System, tbl, row.Filter)
	if err != nil {
		t.Fatal(err)
	}
	if float64(listed) != n {
		b, _ := json.Marshal(row.Filter)
		t.Errorf("%s: %v counts %v, its drill-down %s lists %d", what, row.Keys, n, b, listed)
	}
}
