package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
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
	vip := c.create("客户", map[string]any{"客户名称": "甲", "历史最近消费日": "2026-11-20", "历史购买次数": 8, "历史消费金额": 20000})
	other := c.create("客户", map[string]any{"客户名称": "乙", "历史消费金额": 100})

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
	c.patch(recordPath("客户", num(other["id"])), map[string]any{"历史最近消费日": "2026-11-22", "历史购买次数": 6, "历史消费金额": 50000}).must(t, 200)
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
	member.post("/api/schemes", s2Scheme()).wantError(t, 403, "not_allowed_on")
	c.del("/api/schemes/"+str(saved["id"])).must(t, 200)
	c.get("/api/schemes/"+str(saved["id"])).wantError(t, 404, "not_found")
}

func TestRFMThroughAPI(t *testing.T) {
	c := setup(t)
	c.post("/api/templates/crm", nil).must(t, 201)
	for i := 0; i < 6; i++ {
		c.create("客户", map[string]any{"客户名称": "客户", "历史最近消费日": "2026-11-0" + string(rune('1'+i)), "历史购买次数": i + 1, "历史消费金额": (i + 1) * 1000})
	}
	res := c.post("/api/rfm", map[string]any{"table": "客户", "recency": "最近消费日", "frequency": "购买频率", "monetary": "累计消费金额"}).must(t, 200)
	if num(res["scored"]) != 6 {
		t.Fatalf("scored %v", res)
	}
	best := c.get(recordsPath("客户")+"?sort=-累计消费金额&limit=1").must(t, 200)["items"].([]any)[0].(map[string]any)
	if best["RFM分群"] != "重要价值客户" || num(best["R分"]) != 5 {
		t.Fatalf("best customer %v", best)
	}
	models := c.get("/api/rfm").must(t, 200)["items"].([]any)
	last, _ := models[0].(map[string]any)["lastRun"].(map[string]any)
	if len(models) != 1 || last == nil || num(last["scored"]) != 6 || last["at"] == "" || last["ms"] == nil {
		t.Fatalf("GET /api/rfm: %v", models)
	}
	c.post("/api/rfm", map[string]any{"table": "客户", "recency": "客户名称"}).wantError(t, 400, "rfm_field")
}

// A rule made through the API tags new customers inside the write and notifies their owner,
// who reads it in the inbox; bad rules are refused with the part named.
func TestRulesThroughAPI(t *testing.T) {
	c := setup(t)
	c.post("/api/templates/crm", nil).must(t, 201)
	memberID, member := c.addMember("m@example.com", "成员")
	rule := map[string]any{"name": "大客户", "table": "客户", "enabled": true, "triggers": []map[string]any{{"on": "created"}},
		"when": map[string]any{"field": "累计消费金额", "op": "gt", "value": 10000},
		"actions": []map[string]any{{"type": "add_tag", "field": "标签", "tag": "大客户"},
			{"type": "notify", "owner": true, "title": "新的大客户：{客户名称}"}}}
	c.create("客户", map[string]any{"客户名称": "旧客户", "历史消费金额": 50000})
	prev := c.post("/api/rules/preview", rule).must(t, 200)
	if num(prev["matched"]) != 1 || len(prev["changes"].([]any)) != 1 || str(prev["text"]) == "" {
		t.Fatalf("preview %v", prev)
	}
	saved := c.post("/api/rules", rule).must(t, 201)
	if str(saved["text"]) != "当 新增记录时，如果 累计消费金额 大于 10000，则 给 标签 加上 大客户；发送通知「新的大客户：{客户名称}」" {
		t.Fatalf("sentence %q", saved["text"])
	}
	rec := c.create("客户", map[string]any{"客户名称": "华为", "历史消费金额": 20000, "负责人": memberID})
	if tags, _ := rec["标签"].([]any); len(tags) != 1 || tags[0] != "大客户" {
		t.Fatalf("tags %v", rec["标签"])
	}
	var inbox map[string]any
	for i := 0; i < 100; i++ {
		// The list and the count are two reads: the notice can commit between them.
		if inbox = member.get("/api/notifications?unread=1").must(t, 200); num(inbox["unread"]) == 1 && len(inbox["items"].([]any)) == 1 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	items, _ := inbox["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["title"] != "新的大客户：华为" {
		t.Fatalf("member's inbox %v", inbox)
	}
	if n := num(c.get("/api/notifications").must(t, 200)["unread"]); n != 0 {
		t.Fatalf("the admin got %v notifications meant for the owner", n)
	}
	if n := member.post("/api/notifications/read", map[string]any{"all": true}).must(t, 200)["unread"]; num(n) != 0 {
		t.Fatalf("unread after reading all: %v", n)
	}
	if len(c.get("/api/rules?table=客户").must(t, 200)["items"].([]any)) != 1 || len(c.get("/api/rules/functions").must(t, 200)["items"].([]any)) < 10 {
		t.Fatal("rule list or functions")
	}
	bad := map[string]any{"name": "坏", "table": "客户", "enabled": true, "triggers": []map[string]any{{"on": "schedule", "cron": "0 25 * * *"}},
		"actions": []map[string]any{{"type": "set", "field": "备注", "formula": "IF(1,"}}}
	if d := c.post("/api/rules", bad).wantError(t, 400, "bad_cron"); str(d["message"]) == "" {
		t.Fatal("no message")
	}
	bad["triggers"] = []map[string]any{{"on": "updated"}}
	c.post("/api/rules", bad).wantError(t, 400, "bad_formula")
	member.post("/api/rules", rule).wantError(t, 403, "not_allowed_on")
	c.post("/api/rules/"+str(saved["id"])+"/run", nil).must(t, 200)
	c.del("/api/rules/"+str(saved["id"])).must(t, 200)
}

// followUpRule is S4 of the seed, by names: a customer who becomes 高价值客户 gets a to-do
// linked to it (the triggering record, "=ID") and its 负责人 a notification.
func followUpRule() map[string]any {
	return map[string]any{"name": "高价值客户跟进", "table": "客户", "enabled": true,
		"triggers": []map[string]any{{"on": "changed", "fields": []string{"客户等级"}}},
		"when":     map[string]any{"field": "客户等级", "op": "eq", "value": "高价值客户"},
		"actions": []map[string]any{
			{"type": "create", "table": "待办任务", "values": map[string]any{"任务标题": `=CONCAT("跟进：", 客户名称)`, "关联客户": "=ID"}},
			{"type": "notify", "owner": true, "title": "客户「{客户名称}」成为高价值客户"}}}
}

// Rules and schemes answer with the names of their table and fields beside the ids, and take
// either on input.
func TestRulesAndSchemesAnswerFieldNames(t *testing.T) {
	c := setup(t)
	c.post("/api/templates/crm", nil).must(t, 201)
	customers := c.get(tablePath("客户")).must(t, 200)
	tasks := c.get(tablePath("待办任务")).must(t, 200)
	grade, link := str(field(t, customers, "客户等级")["id"]), str(field(t, tasks, "关联客户")["id"])
	saved := c.post("/api/rules", followUpRule()).must(t, 201)
	for _, ru := range []map[string]any{saved, c.get("/api/rules/"+str(saved["id"])).must(t, 200), items(c.get("/api/rules").must(t, 200))[0]} {
		tr := ru["triggers"].([]any)[0].(map[string]any)
		act := ru["actions"].([]any)[0].(map[string]any)
		byName, _ := act["valuesByName"].(map[string]any)
		if ru["tableName"] != "客户" || tr["fields"].([]any)[0] != grade || tr["fieldNames"].([]any)[0] != "客户等级" ||
			act["tableName"] != "待办任务" || byName["关联客户"] != "=ID" || act["values"].(map[string]any)[link] != "=ID" {
			t.Fatalf("rule answer without names beside ids: %v", ru)
		}
	}
	// Sent back as answered (names and ids), it saves and keeps ids only.
	back := c.get("/api/rules/"+str(saved["id"])).must(t, 200)
	again := c.call("PUT", "/api/rules/"+str(saved["id"]), back).must(t, 200)
	if again["actions"].([]any)[0].(map[string]any)["tableName"] != "待办任务" {
		t.Fatalf("resaved %v", again)
	}
	setRule := map[string]any{"name": "备注", "table": "客户", "enabled": true, "triggers": []map[string]any{{"on": "created"}},
		"actions": []map[string]any{{"type": "set", "field": "备注", "value": "新客户"}}}
	set := c.post("/api/rules", setRule).must(t, 201)["actions"].([]any)[0].(map[string]any)
	if set["fieldName"] != "备注" || !strings.HasPrefix(str(set["field"]), "f") {
		t.Fatalf("set action %v", set)
	}
	sc := c.post("/api/schemes", s2Scheme()).must(t, 201)
	for _, s := range []map[string]any{sc, items(c.get("/api/schemes").must(t, 200))[0]} {
		if s["fieldName"] != "客户等级" || s["field"] != grade || s["tableName"] != "客户" {
			t.Fatalf("scheme answer %v", s)
		}
	}
}

// The preview of a rule says its side effects in words; the list tells when each rule last
// fired and how often; a record the rule creates has the system as 创建人 and names the rule
// in its history, and 创建人 = 0 (the system) finds it.
func TestRuleSideEffectsFiredAndCreator(t *testing.T) {
	c := setup(t)
	c.post("/api/templates/crm", nil).must(t, 201)
	for _, name := range []string{"甲", "乙"} {
		c.create("客户", map[string]any{"客户名称": name, "客户等级": "高价值客户"})
	}
	prev := c.post("/api/rules/preview", followUpRule()).must(t, 200)
	if prev["effectsText"] != "将创建 2 条待办任务，发送 2 条通知" {
		t.Fatalf("effects in words: %q (%v)", prev["effectsText"], prev["sideEffects"])
	}
	c.lang = "en"
	if en := c.post("/api/rules/preview", followUpRule()).must(t, 200)["effectsText"]; en != "Will create 2 records in 待办任务, send 2 notifications" {
		t.Fatalf("in English: %q", en)
	}
	c.lang = ""
	saved := c.post("/api/rules", followUpRule()).must(t, 201)
	if _, ok := saved["lastFired"]; ok {
		t.Fatalf("fired before any write: %v", saved)
	}
	rec := c.create("客户", map[string]any{"客户名称": "华为", "客户等级": "高价值客户"})
	var task map[string]any
	for i := 0; i < 100 && task == nil; i++ {
		if list := items(c.list("待办任务").must(t, 200)); len(list) == 1 {
			task = list[0]
		}
		time.Sleep(20 * time.Millisecond)
	}
	if task == nil || num(task["关联客户"]) != num(rec["id"]) {
		t.Fatalf("to-do %v", task)
	}
	if by, ok := task["创建人"].(float64); !ok || by != 0 {
		t.Fatalf("创建人 of the rule's to-do: %v", task["创建人"])
	}
	hist := items(c.get(recordPath("待办任务", num(task["id"]))+"/history").must(t, 200))
	via, _ := hist[len(hist)-1]["via"].(map[string]any)
	if via["kind"] != "rule" || via["name"] != "高价值客户跟进" || hist[len(hist)-1]["user"].(map[string]any)["name"] != "系统" {
		t.Fatalf("history of the rule's to-do: %v", hist)
	}
	c.create("待办任务", map[string]any{"任务标题": "手工任务"})
	bySystem := c.list("待办任务", "filter", `{"field":"创建人","op":"eq","value":0}`).must(t, 200)
	if list := items(bySystem); len(list) != 1 || list[0]["任务标题"] != "跟进：华为" {
		t.Fatalf("filter 创建人 = system: %v", list)
	}
	ru := items(c.get("/api/rules").must(t, 200))[0]
	if str(ru["lastFired"]) == "" || num(ru["fired"]) != 1 {
		t.Fatalf("rule list: fired %v at %v", ru["fired"], ru["lastFired"])
	}
}

// A scheme's preview counts the records per grade now and after; the grades a scheme sets
// show in the record's history as made by the scheme, the first grading included.
func TestSchemePreviewCountsAndHistory(t *testing.T) {
	c := setup(t)
	c.post("/api/templates/crm", nil).must(t, 201)
	vip := c.create("客户", map[string]any{"客户名称": "甲", "历史最近消费日": "2026-11-20", "历史购买次数": 8, "历史消费金额": 20000})
	c.create("客户", map[string]any{"客户名称": "乙", "历史消费金额": 100})
	c.create("客户", map[string]any{"客户名称": "丙", "历史消费金额": 200})
	imp := c.post("/api/schemes/preview", s2Scheme()).must(t, 200)
	counts := map[string][2]float64{}
	var order []string
	for _, g := range imp["grades"].([]any) {
		m := g.(map[string]any)
		counts[str(m["value"])] = [2]float64{num(m["before"]), num(m["after"])}
		order = append(order, str(m["value"]))
	}
	if counts["高价值客户"] != [2]float64{0, 1} || counts["普通客户"] != [2]float64{0, 2} || counts[""] != [2]float64{3, 0} ||
		order[len(order)-1] != "" {
		t.Fatalf("grade counts %v (%v)", counts, imp["grades"])
	}
	c.post("/api/schemes", s2Scheme()).must(t, 201)
	c.patch(recordPath("客户", num(vip["id"])), map[string]any{"历史消费金额": 500}).must(t, 200)
	hist := items(c.get(recordPath("客户", num(vip["id"]))+"/history").must(t, 200))
	var graded []string
	for _, e := range hist {
		for _, ch := range e["changes"].([]any) {
			ch := ch.(map[string]any)
			if ch["name"] != "客户等级" {
				continue
			}
			via, _ := e["via"].(map[string]any)
			if via["kind"] != "scheme" || via["name"] != "客户分级" {
				t.Fatalf("a grade change not by the scheme: %v", e)
			}
			graded = append(graded, fmt.Sprint(ch["before"], "→", ch["after"]))
		}
	}
	if strings.Join(graded, " ") != "高价值客户→普通客户 <nil>→高价值客户" {
		t.Fatalf("grade changes in the history: %v (%v)", graded, hist)
	}
}
