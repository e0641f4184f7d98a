package api_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestEvents: another system sends customers' events with an API token — found by phone or
// email, all or none, a bad item named by its index in Chinese and English — and they show
// on the record, newest first. A token that may not write gets 403, a revoked one 401.
func TestEvents(t *testing.T) {
	admin := setup(t)
	customers(admin)
	admin.createTable("订单", f("订单名称", "text"))
	c := admin.create("客户", map[string]any{"客户名称": "北京某公司", "联系电话": "13800138000", "邮箱": "buyer@example.com"})
	tok := admin.post("/api/tokens", map[string]any{"name": "官网", "tables": []string{"客户"}}).must(t, 201)
	site := withToken(admin, str(tok["token"]))

	view := func(key, value, page, at string) map[string]any {
		return map[string]any{"customer": map[string]string{key: value}, "name": "浏览", "properties": map[string]string{"page": page}, "time": at}
	}
	batch := map[string]any{"events": []any{
		view("phone", "138 0013 8000", "产品A", "2026-11-22T10:00:00+08:00"),
		view("email", "buyer@example.com", "产品B", "2026-11-23T09:00:00+08:00"),
		view("phone", "13900000000", "产品A", ""),
		view("email", "other@example.com", "产品C", ""),
	}}
	e := site.post("/api/events?table=客户", batch).wantError(t, 400, "validation_failed")
	msg := str(e["message"])
	if !strings.Contains(msg, "events[2].customer") || !strings.Contains(str(e["details"].([]any)[1].(map[string]any)["message"]), "events[3].customer") {
		t.Fatalf("the 400 does not name the bad items: %v", e)
	}
	site.lang = "en"
	one := site.post("/api/events", view("phone", "13900000000", "产品A", "")).wantError(t, 400, "event_unknown")
	if !strings.Contains(str(one["message"]), "no customer with phone \"13900000000\"") {
		t.Fatalf("message %v", one["message"])
	}
	site.post("/api/events", map[string]any{"events": []any{view("phone", "13800138000", "产品A", "昨天")}}).wantError(t, 400, "event_time")
	site.lang = ""
	timeline := recordPath("客户", num(c["id"])) + "/events"
	if got := items(admin.get(timeline).must(t, 200)); len(got) != 0 {
		t.Fatalf("a refused batch left %v", got)
	}
	rule := admin.post("/api/rules", map[string]any{"name": "产品A意向", "table": "客户", "enabled": true, "triggers": []any{map[string]any{"on": "always"}},
		"events":  map[string]any{"name": "浏览", "property": "page", "equals": "产品A", "days": 7, "op": "gte", "value": 1},
		"actions": []any{map[string]any{"type": "add_tag", "field": "标签", "tag": "产品A意向"}}}).must(t, 201)
	if ev, _ := admin.get("/api/rules/"+str(rule["id"])).must(t, 200)["events"].(map[string]any); ev["equals"] != "产品A" || ev["days"] != 7.0 {
		t.Fatalf("the rule reads back %v", ev)
	}
	batch["events"] = batch["events"].([]any)[:2]
	if n := site.post("/api/events", batch).must(t, 201)["count"]; n != 2.0 {
		t.Fatalf("count %v", n)
	}
	if tags := admin.get(recordPath("客户", num(c["id"]))).must(t, 200)["标签"]; fmt.Sprint(tags) != "[产品A意向]" {
		t.Fatalf("tags %v after a view of 产品A", tags)
	}
	got := items(admin.get(timeline).must(t, 200))
	if len(got) != 2 || got[0]["properties"].(map[string]any)["page"] != "产品B" || got[1]["time"] != "2026-11-22T02:00:00.000Z" {
		t.Fatalf("timeline %v", got)
	}
	if older := items(admin.get(fmt.Sprintf("%s?limit=1&before=%v", timeline, got[0]["id"])).must(t, 200)); len(older) != 1 || older[0]["id"] != got[1]["id"] {
		t.Fatalf("page before %v: %v", got[0]["id"], older)
	}

	// Tokens that may not write the customers: read-only, or for another table.
	ro := withToken(admin, str(admin.post("/api/tokens", map[string]any{"name": "只读", "readOnly": true}).must(t, 201)["token"]))
	ro.post("/api/events", view("phone", "13800138000", "产品A", "")).wantError(t, 403, "token_read_only")
	ro.get(timeline).must(t, 200)
	orders := withToken(admin, str(admin.post("/api/tokens", map[string]any{"name": "订单", "tables": []string{"订单"}}).must(t, 201)["token"]))
	orders.post("/api/events", view("phone", "13800138000", "产品A", "")).wantError(t, 403, "not_allowed_on")
	// Revoked: 401 at once.
	admin.del("/api/tokens/"+str(tok["id"])).must(t, 200)
	site.post("/api/events", view("phone", "13800138000", "产品A", "")).wantError(t, 401, "token_revoked")
	if n := len(items(admin.get(timeline).must(t, 200))); n != 2 {
		t.Fatalf("%d events after the refusals", n)
	}
}
