package api_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"tierbase/platform/spreadsheet"
)

func chartDataPath(id string, filters string) string {
	p := "/api/charts/" + url.PathEscape(id) + "/data"
	if filters != "" {
		p += "?filters=" + url.QueryEscape(filters)
	}
	return p
}

// dashboard finds a dashboard by name and returns it with its charts.
func (c *client) dashboard(name string) map[string]any {
	c.t.Helper()
	for _, d := range items(c.get("/api/dashboards").must(c.t, 200)) {
		if d["name"] == name {
			return c.get("/api/dashboards/"+url.PathEscape(str(d["id"]))).must(c.t, 200)
		}
	}
	c.t.Fatalf("no dashboard %s", name)
	return nil
}

func chartID(t *testing.T, d map[string]any, title string) string {
	t.Helper()
	for _, c := range d["charts"].([]any) {
		if m := c.(map[string]any); m["title"] == title {
			return str(m["id"])
		}
	}
	t.Fatalf("no chart %s", title)
	return ""
}

// counts is a single-dimension result as key → first measure.
func counts(res map[string]any) map[string]float64 {
	out := map[string]float64{}
	for _, r := range res["rows"].([]any) {
		row := r.(map[string]any)
		out[str(row["keys"].([]any)[0])] = num(row["values"].([]any)[0])
	}
	return out
}

func TestDashboardsThroughAPI(t *testing.T) {
	admin := setup(t)
	admin.post("/api/templates/crm", nil).must(t, 201)
	wangID, wang := admin.addMember("wang@example.com", "小王")
	admin.create("客户", map[string]any{"客户名称": "甲", "客户等级": "高价值客户", "客户来源": "官网"})
	admin.create("客户", map[string]any{"客户名称": "乙", "客户等级": "普通客户", "客户来源": "官网", "负责人": wangID})
	admin.create("客户", map[string]any{"客户名称": "丙", "客户等级": "高价值客户", "客户来源": "展会", "负责人": wangID})

	board := admin.dashboard("客户分级看板")
	if len(board["layout"].([]any)) != len(board["charts"].([]any)) || len(board["charts"].([]any)) < 3 {
		t.Fatalf("客户分级看板 %v", board)
	}
	pie := chartID(t, board, "客户等级分布")
	all := counts(admin.get(chartDataPath(pie, "")).must(t, 200))
	if all["高价值客户"] != 2 || all["普通客户"] != 1 {
		t.Fatalf("admin's pie %v", all)
	}
	mine := counts(wang.get(chartDataPath(pie, "")).must(t, 200))
	if mine["高价值客户"] != 1 || mine["普通客户"] != 1 || len(mine) != 2 {
		t.Fatalf("小王's pie %v", mine)
	}
	// Dashboard filters: 负责人.
	byWang := counts(admin.get(chartDataPath(pie, `{"owners":[`+formatNum(wangID)+`]}`)).must(t, 200))
	if byWang["高价值客户"] != 1 || byWang["普通客户"] != 1 {
		t.Fatalf("pie filtered by 负责人 %v", byWang)
	}
	admin.get(chartDataPath(pie, `{"from":"soon"}`)).wantError(t, 400, "bad_date")
	admin.get(chartDataPath(pie, `not json`)).wantError(t, 400, "bad_param")

	// A new dashboard with a chart made through the API; members may not.
	d := admin.post("/api/dashboards", map[string]any{"name": "销售看板"}).must(t, 201)
	wang.post("/api/dashboards", map[string]any{"name": "我的看板"}).wantError(t, 403, "not_allowed")
	chart := map[string]any{"dashboard": d["id"], "title": "来源", "type": "bar", "table": "客户",
		"dimensions": []any{map[string]any{"field": "客户来源"}}, "measures": []any{map[string]any{"agg": "count", "name": "客户数"}}}
	saved := admin.post("/api/charts", chart).must(t, 201)
	if !strings.HasPrefix(str(saved["table"]), "tbl") || !strings.HasPrefix(str(saved["dimensions"].([]any)[0].(map[string]any)["field"]), "fld") {
		t.Errorf("saved chart keeps names: %v", saved)
	}
	bySource := counts(admin.get(chartDataPath(str(saved["id"]), "")).must(t, 200))
	if bySource["官网"] != 2 || bySource["展会"] != 1 {
		t.Fatalf("by source %v", bySource)
	}
	// Layout: move the chart.
	layout := []any{map[string]any{"i": saved["id"], "x": 6, "y": 0, "w": 6, "h": 9}}
	moved := admin.call("PUT", "/api/dashboards/"+str(d["id"]), map[string]any{"name": "销售看板", "layout": layout}).must(t, 200)
	if it := moved["layout"].([]any)[0].(map[string]any); num(it["x"]) != 6 || num(it["h"]) != 9 {
		t.Fatalf("layout %v", moved["layout"])
	}
	bad := []any{map[string]any{"i": saved["id"], "x": 10, "y": 0, "w": 6, "h": 9}}
	admin.call("PUT", "/api/dashboards/"+str(d["id"]), map[string]any{"name": "销售看板", "layout": bad}).wantError(t, 400, "report_layout_size")

	// Preview of an unsaved chart, and a bad definition naming the part.
	prev := admin.post("/api/charts/preview", map[string]any{"chart": chart}).must(t, 200)
	if counts(prev)["官网"] != 2 {
		t.Fatalf("preview %v", prev)
	}
	broken := map[string]any{"title": "坏", "type": "bar", "table": "客户", "dimensions": []any{map[string]any{"field": "客户来源"}},
		"measures": []any{map[string]any{"agg": "count"}, map[string]any{"agg": "sum", "field": "客户名称"}}}
	admin.post("/api/charts/preview", map[string]any{"chart": broken}).wantDetail(t, "report_bad_agg", "", 0, "measures[1].field")

	// Export as xlsx.
	res := admin.get("/api/charts/" + str(saved["id"]) + "/export.xlsx")
	if res.Status != 200 || !strings.Contains(res.Header.Get("Content-Disposition"), ".xlsx") {
		t.Fatalf("export %d %s", res.Status, res.Raw)
	}
	rows, err := spreadsheet.OpenReader(strings.NewReader(res.Raw), "来源.xlsx", spreadsheet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	first, _ := rows.Next()
	if strings.Join(rows.Header(), ",") != "客户来源,客户数" || strings.Join(first, ",") != "官网,2" {
		t.Fatalf("export %v %v", rows.Header(), first)
	}
	if ev := items(admin.get("/api/audit?action=export").must(t, 200)); len(ev) != 1 || ev[0]["detail"].(map[string]any)["chart"] != "来源" {
		t.Fatalf("the chart's export in the operation log: %v", ev)
	}

	// A deleted field: that chart explains itself, the dashboard still loads.
	admin.del(tablePath("客户")+"/fields/"+url.PathEscape("客户来源")).must(t, 200)
	admin.get("/api/dashboards/"+str(d["id"])).must(t, 200)
	e := admin.get(chartDataPath(str(saved["id"]), "")).wantError(t, 409, "report_field_gone")
	if !strings.Contains(str(e["message"]), "客户来源") {
		t.Errorf("message %v", e["message"])
	}
	admin.get(chartDataPath(pie, "")).must(t, 200)

	admin.del("/api/charts/"+str(saved["id"])).must(t, 200)
	admin.get("/api/charts/"+str(saved["id"])).wantError(t, 404, "not_found")
	admin.del("/api/dashboards/"+str(d["id"])).must(t, 200)
	admin.get("/api/dashboards/"+str(d["id"])).wantError(t, 404, "not_found")
}

// The chart editor's preview needs no title (saving does, and says so); a funnel follows its
// stages (the select's options, or the order stored with the chart), stages nobody reached
// included; each measure says how it reads; a row's drill-down filter names fields by name,
// with their ids beside it, and lists the row's records.
func TestChartPreviewFunnelAndDrillDownShapes(t *testing.T) {
	admin := setup(t)
	admin.post("/api/templates/crm", nil).must(t, 201)
	for i, tier := range []string{"普通客户", "普通客户", "普通客户", "高价值客户", "普通客户"} {
		admin.create("客户", map[string]any{"客户名称": fmt.Sprint("客户", i), "客户等级": tier, "历史消费金额": 20000 + i})
	}
	funnel := map[string]any{"type": "funnel", "table": "客户", "dimensions": []any{map[string]any{"field": "客户等级"}},
		"measures": []any{map[string]any{"agg": "count", "name": "客户数"}, map[string]any{"agg": "sum", "field": "累计消费金额"}}}

	// No title: the preview draws, saving explains what is missing.
	res := admin.post("/api/charts/preview", map[string]any{"chart": funnel}).must(t, 200)
	d := admin.post("/api/dashboards", map[string]any{"name": "漏斗看板"}).must(t, 201)
	funnel["dashboard"] = d["id"]
	e := admin.post("/api/charts", funnel).wantError(t, 400, "report_title")
	if !strings.Contains(str(e["message"]), "标题") || e["details"].([]any)[0].(map[string]any)["path"] != "title" {
		t.Errorf("no title: %v", e)
	}

	// The stages in the options' order (高价值客户, 潜力客户, 普通客户), not by count; 潜力客户 has
	// no record and still shows, with 0.
	stages := func(res map[string]any) (keys []string, values []float64) {
		for _, r := range res["rows"].([]any) {
			row := r.(map[string]any)
			keys = append(keys, str(row["keys"].([]any)[0]))
			values = append(values, num(row["values"].([]any)[0]))
		}
		return
	}
	keys, values := stages(res)
	if strings.Join(keys, ",") != "高价值客户,潜力客户,普通客户" || fmt.Sprint(values) != "[1 0 4]" {
		t.Errorf("funnel stages %v %v", keys, values)
	}
	if fmt.Sprint(res["formats"]) != "[count money]" {
		t.Errorf("formats %v", res["formats"])
	}
	// An order chosen in the editor is stored with the chart and drawn (its stages are the ones
	// listed, then the categories it leaves out that have records).
	funnel["title"] = "客户漏斗"
	funnel["order"] = []any{"普通客户", "高价值客户"}
	admin.create("客户", map[string]any{"客户名称": "潜", "客户等级": "潜力客户"})
	saved := admin.post("/api/charts", funnel).must(t, 201)
	if fmt.Sprint(saved["order"]) != "[普通客户 高价值客户]" {
		t.Errorf("saved order %v", saved["order"])
	}
	data := admin.get(chartDataPath(str(saved["id"]), "")).must(t, 200)
	if keys, _ := stages(data); strings.Join(keys, ",") != "普通客户,高价值客户,潜力客户" {
		t.Errorf("ordered stages %v", keys)
	}

	// Drill-down: the filter names 客户等级 (and the chart's own filter's fields) by name, the
	// ids beside; it lists the row's records.
	bar := map[string]any{"title": "等级", "type": "bar", "table": "客户", "dimensions": []any{map[string]any{"field": "客户等级"}},
		"filter": map[string]any{"field": "累计消费金额", "op": "gt", "value": 20001}}
	res = admin.post("/api/charts/preview", map[string]any{"chart": bar}).must(t, 200)
	fields := res["fields"].(map[string]any)
	if !strings.HasPrefix(str(fields["客户等级"]), "fld") || !strings.HasPrefix(str(fields["累计消费金额"]), "fld") {
		t.Errorf("fields %v", fields)
	}
	for _, r := range res["rows"].([]any) {
		row := r.(map[string]any)
		filter, _ := json.Marshal(row["filter"])
		if strings.Contains(string(filter), `"fld`) || !strings.Contains(string(filter), `"field":"客户等级"`) || !strings.Contains(string(filter), `"field":"累计消费金额"`) {
			t.Errorf("drill-down filter %s", filter)
		}
		listed := admin.list("客户", "filter", string(filter), "limit", "1").must(t, 200)
		if num(listed["total"]) != num(row["values"].([]any)[0]) {
			t.Errorf("%s lists %v records, the row counts %v", filter, listed["total"], row["values"])
		}
	}
}
