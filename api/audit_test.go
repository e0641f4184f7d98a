package api_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"tierbase/platform/spreadsheet"
)

// auditPage GETs a page of the operation log with the given query parameters (key, value pairs).
func (c *client) auditPage(kv ...string) map[string]any {
	c.t.Helper()
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return c.get("/api/audit?"+q.Encode()).must(c.t, 200)
}

func TestOperationLog(t *testing.T) {
	admin := setup(t)
	newClient(t, admin.base).post("/api/auth/login", map[string]string{"email": "ADMIN@example.com", "password": "wrong-secret"}).wantError(t, 401, "bad_login")
	memberID, member := admin.addMember("li@example.com", "小李")
	member.get("/api/audit").wantError(t, 403, "not_allowed")
	member.get("/api/audit/export").wantError(t, 403, "not_allowed")

	admin.createTable("客户", f("客户名称", "text"), f("累计消费金额", "money"))
	rec := admin.create("客户", map[string]any{"客户名称": "北京星辰", "累计消费金额": 100})
	admin.patch(recordPath("客户", num(rec["id"])), map[string]any{"客户名称": "北京星辰科技"}).must(t, 200)
	admin.createTable("订单", f("订单号", "text"))
	admin.create("订单", map[string]any{"订单号": "D1"})

	// Newest first; a record change names its fields and shows before → after.
	all := items(admin.auditPage("limit", "1000"))
	actions := column(all, "action")
	want := []any{"create", "update", "create", "sign_in", "user_change", "sign_in_failed", "sign_in", "user_change"}
	if !slices.Equal(actions, want) {
		t.Fatalf("actions %v, want %v", actions, want)
	}
	upd := all[1]
	ch := upd["changes"].([]any)[0].(map[string]any)
	if upd["tableName"] != "客户" || upd["userName"] != "管理员" || ch["name"] != "客户名称" || ch["before"] != "北京星辰" || ch["after"] != "北京星辰科技" {
		t.Fatalf("update entry %v", upd)
	}
	failed := all[5]
	if failed["detail"].(map[string]any)["email"] != "admin@example.com" || failed["client"] != "127.0.0.1" || strings.Contains(admin.get("/api/audit").Raw, "wrong-secret") {
		t.Fatalf("failed sign-in %v", failed)
	}

	// Filters: table (by name), action, person, time.
	if got := column(items(admin.auditPage("table", "客户")), "action"); !slices.Equal(got, []any{"update", "create"}) {
		t.Fatalf("table 客户: %v", got)
	}
	if got := items(admin.auditPage("action", "update")); len(got) != 1 || got[0]["id"] != upd["id"] {
		t.Fatalf("updates: %v", got)
	}
	if got := items(admin.auditPage("user", formatNum(memberID))); len(got) != 1 || got[0]["action"] != "sign_in" || got[0]["userName"] != "小李" {
		t.Fatalf("小李's entries: %v", got)
	}
	if got := items(admin.auditPage("from", "2026-11-24")); len(got) != 0 {
		t.Fatalf("entries after today: %v", got)
	}
	if got := items(admin.auditPage("to", "2026-11-23", "action", "sign_in")); len(got) != 2 {
		t.Fatalf("sign-ins until today: %v", got)
	}
	admin.get("/api/audit?from=soon").wantError(t, 400, "bad_param")
	admin.get("/api/audit?cursor=x").wantError(t, 400, "bad_param")

	// Pages of 4 then 4 then the rest give the whole log once, in order.
	var paged []any
	next := ""
	for pages := 0; ; pages++ {
		page := admin.auditPage("limit", "4", "cursor", next)
		paged = append(paged, column(items(page), "id")...)
		if next = str(page["next"]); next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("pages never end")
		}
	}
	if !slices.Equal(paged, column(all, "id")) {
		t.Fatalf("paged %v, whole %v", paged, column(all, "id"))
	}

	// Exports and imports are logged; the log's own export too.
	admin.get(tablePath("客户")+"/export?filter="+url.QueryEscape(`{"field":"累计消费金额","op":"gt","value":10}`)).must(t, 200)
	up := admin.upload(tablePath("订单")+"/imports", "订单.csv", "订单号\nD2\nD3\n").must(t, 201)
	admin.post("/api/imports/"+str(up["id"])+"/start", map[string]any{"table": "订单", "columns": up["mapping"]}).must(t, 200)
	admin.waitImport(str(up["id"]))
	res := admin.get("/api/audit/export?table=" + url.QueryEscape("客户"))
	if res.Status != 200 || !strings.Contains(res.Header.Get("Content-Disposition"), ".xlsx") {
		t.Fatalf("log export %d %s", res.Status, res.Raw)
	}
	rows, err := spreadsheet.OpenReader(strings.NewReader(res.Raw), "log.xlsx", spreadsheet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for {
		r, err := rows.Next()
		if err != nil {
			break
		}
		lines = append(lines, strings.Join(r, "|"))
	}
	whole := strings.Join(lines, "\n")
	if strings.Join(rows.Header(), ",") != "时间,操作人,操作,表,记录,内容,客户端地址" || len(lines) != 3 ||
		!strings.Contains(whole, "|管理员|导出|客户||") || !strings.Contains(whole, "|修改记录|客户|1|客户名称: 北京星辰 → 北京星辰科技|") {
		t.Fatalf("log export rows %q", lines)
	}
	events := items(admin.auditPage("action", "export"))
	if len(events) != 2 {
		t.Fatalf("exports %v", events)
	}
	if d := events[0]["detail"].(map[string]any); d["log"] != true || num(d["rows"]) != 3 || events[0]["tableName"] != "客户" {
		t.Fatalf("the log's export %v", d)
	}
	if d := events[1]["detail"].(map[string]any); num(d["rows"]) != 1 || !strings.Contains(str(d["filter"]), "累计消费金额") || d["table"] != "客户" {
		t.Fatalf("the table's export %v", d)
	}
	imp := items(admin.auditPage("action", "import"))
	if len(imp) != 1 || imp[0]["tableName"] != "订单" || imp[0]["detail"].(map[string]any)["file"] != "订单.csv" || num(imp[0]["detail"].(map[string]any)["created"]) != 2 {
		t.Fatalf("import %v", imp)
	}

	// A deleted table's entries stay, named as they were; the deletion is logged.
	admin.del(tablePath("客户")).must(t, 200)
	gone := items(admin.auditPage("action", "table_delete"))
	if len(gone) != 1 || gone[0]["tableName"] != "客户" || gone[0]["tableExists"] != false || gone[0]["userName"] != "管理员" {
		t.Fatalf("table deletion %v", gone)
	}
	kept := items(admin.auditPage("table", str(upd["tableId"]), "action", "update"))
	if len(kept) != 1 || kept[0]["tableName"] != "客户" || kept[0]["changes"].([]any)[0].(map[string]any)["name"] != "客户名称" {
		t.Fatalf("a deleted table's update %v", kept)
	}

	// No route changes or deletes the log, for admins either.
	for _, m := range []string{"PATCH", "PUT", "DELETE", "POST"} {
		for _, p := range []string{"/api/audit", "/api/audit/" + str(upd["id"]), "/api/audit/export"} {
			if r := admin.call(m, p, "{}"); r.Status < 400 {
				t.Errorf("%s %s: %d", m, p, r.Status)
			}
		}
	}
}
