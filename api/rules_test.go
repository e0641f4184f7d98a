package api_test

import (
	"testing"
)

func s2Scheme() map[string]any {
	return map[string]any{"name": "客户分级", "table": "客户", "field": "客户等级", "enabled": true, "default": "普通客户",
		"levels": []map[string]any{
			{"value": "高价值客户", "when": map[string]any{"and": []map[string]any{
				{"field": "最近消费日", "op": "withinLastDays", "value": 30}, {"field": "购买频率", "op": "gt", "value": 5},
				{"field": "累计消费金额", "op": "gt", "value": 10000}}}},
			{"value": "潜力客户", "when": map[string]any{"and": []map[string]any{
				{"field": "客户来源", "op": "eq", "value": "市场活动"}, {"field": "首次购买日期", "op": "withinLastDays", "value": 60}}}},
		}}
}

func TestGradingSchemeThroughAPI(t *testing.T) {
	c := setup(t)
	c.post("/api/templates/crm", nil).must(t, 201)
	vip := c.create("客户", map[string]any{"客户名称": "甲", "最近消费日": "2026-11-20", "购买频率": 8, "累计消费金额": 20000})
	other := c.create("客户", map[string]any{"客户名称": "乙", "累计消费金额": 100})

	imp := c.post("/api/schemes/preview", s2Scheme()).must(t, 200)
	if num(imp["changed"]) != 2 || num(imp["net"].(map[string]any)["高价值客户"]) != 1 {
		t.Fatalf("preview %v", imp)
	}
	if g := c.get(recordPath("客户", num(vip["id"]))).must(t, 200)["客户等级"]; g != nil {
		t.Fatalf("the preview graded a record: %v", g)
	}
	saved := c.post("/api/schemes", s2Scheme()).must(t, 201)
	if num(saved["changed"]) != 2 || str(saved["text"]) == "" {
		t.Fatalf("saved %v", saved)
	}
	if g := c.get(recordPath("客户", num(vip["id"]))).must(t, 200)["客户等级"]; g != "高价值客户" {
		t.Fatalf("after saving, 甲 is %v", g)
	}
	// Edits regrade inside the write.
	c.patch(recordPath("客户", num(other["id"])), map[string]any{"最近消费日": "2026-11-22", "购买频率": 6, "累计消费金额": 50000}).must(t, 200)
	hist := c.get(recordPath("客户", num(other["id"]))+"/tier-history").must(t, 200)["items"].([]any)
	if len(hist) != 2 || hist[0].(map[string]any)["to"] != "高价值客户" || hist[0].(map[string]any)["from"] != "普通客户" {
		t.Fatalf("tier history %v", hist)
	}
	moves := c.get(tablePath("客户")+"/tier-migrations?field=客户等级").must(t, 200)["items"].([]any)
	if len(moves) == 0 {
		t.Fatal("no migrations")
	}
	c.post("/api/schemes/"+str(saved["id"])+"/run", nil).must(t, 200)
	// A second enabled scheme on the same field, a bad condition, members: refused.
	second := s2Scheme()
	second["name"] = "另一个分级"
	c.post("/api/schemes", second).wantError(t, 409, "scheme_twice")
	c.post("/api/schemes", s2Scheme()).wantError(t, 409, "duplicate_name")
	bad := s2Scheme()
	bad["levels"].([]map[string]any)[0]["when"] = map[string]any{"field": "累计消费金额", "op": "contains", "value": "1"}
	c.post("/api/schemes/preview", bad).wantError(t, 400, "bad_operator")
	_, member := c.addMember("m@example.com", "成员")
	member.post("/api/schemes", s2Scheme()).wantError(t, 403, "forbidden")
	c.del("/api/schemes/"+str(saved["id"])).must(t, 200)
	c.get("/api/schemes/"+str(saved["id"])).wantError(t, 404, "not_found")
}

func TestRFMThroughAPI(t *testing.T) {
	c := setup(t)
	c.post("/api/templates/crm", nil).must(t, 201)
	for i := 0; i < 6; i++ {
		c.create("客户", map[string]any{"客户名称": "客户", "最近消费日": "2026-11-0" + string(rune('1'+i)), "购买频率": i + 1, "累计消费金额": (i + 1) * 1000})
	}
	res := c.post("/api/rfm", map[string]any{"table": "客户", "recency": "最近消费日", "frequency": "购买频率", "monetary": "累计消费金额"}).must(t, 200)
	if num(res["scored"]) != 6 {
		t.Fatalf("scored %v", res)
	}
	best := c.get(recordsPath("客户")+"?sort=-累计消费金额&limit=1").must(t, 200)["items"].([]any)[0].(map[string]any)
	if best["RFM分群"] != "重要价值客户" || num(best["R分"]) != 5 {
		t.Fatalf("best customer %v", best)
	}
	c.post("/api/rfm", map[string]any{"table": "客户", "recency": "客户名称"}).wantError(t, 400, "rfm_field")
}
