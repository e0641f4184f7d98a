package reports_test

import (
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

// A chart of a 地址 grouped by province or by city counts each group as a hand count of the
// stored paths does, and each bar's drill-down lists exactly the records it counts (其他 too).
func TestAddressByProvinceAndCity(t *testing.T) {
	a, err := app.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	tbl, err := a.Catalog.CreateTable(ctx, access.System, "", "门店", []*schema.Field{{Name: "名称", Type: schema.Text}, {Name: "地址", Type: schema.Address}})
	if err != nil {
		t.Fatal(err)
	}
	values := []string{"广东省/深圳市/南山区/科技园", "广东深圳福田区", "广东省/广州市/天河区", "北京朝阳区建国路1号", "北京市/北京市/海淀区",
		"浙江省/杭州市/西湖区", "浙江省/宁波市/鄞州区/x/y", ""}
	r := rand.New(rand.NewPCG(7, 1))
	want := map[string]map[string]int{reports.Province: {}, reports.City: {}}
	var batch []records.Input
	for range 300 {
		v := values[r.IntN(len(values))]
		batch = append(batch, records.Input{"名称": "店", "地址": v})
		if v == "" {
			want[reports.Province][""]++
			want[reports.City][""]++
			continue
		}
		p, _ := tbl.Field("地址").Normalize(v, nil)
		parts := strings.Split(p.(string), "/")
		want[reports.Province][parts[0]]++
		want[reports.City][parts[0]+"/"+parts[1]]++
	}
	if _, err := a.Records.Batch(ctx, access.System, tbl, batch); err != nil {
		t.Fatal(err)
	}
	for _, bucket := range []string{reports.Province, reports.City} {
		for _, limit := range []int{0, 2} {
			c := &reports.Chart{Title: "门店分布", Type: reports.Bar, Table: "门店", Limit: limit,
				Dimensions: []reports.Dimension{{Field: "地址", Bucket: bucket}}}
			res, err := a.Reports.Preview(ctx, access.System, c, reports.Filters{})
			if err != nil {
				t.Fatal(err)
			}
			sum := 0.0
			for _, row := range res.Rows {
				n := *row.Values[0]
				sum += n
				k, _ := row.Keys[0].(string)
				if row.Keys[0] != nil && k != reports.Other && float64(want[bucket][k]) != n {
					t.Errorf("%s: %q counts %v, want %d", bucket, k, n, want[bucket][k])
				}
				drillDownLists(t, a, tbl, row, n, fmt.Sprintf("%s top %d", bucket, limit))
			}
			if sum != 300 {
				t.Errorf("%s top %d: %v records counted", bucket, limit, sum)
			}
		}
	}
}
