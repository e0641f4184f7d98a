package api_test

import (
	"reflect"
	"sort"
	"testing"
)

func TestMemberSeesOwnRecords(t *testing.T) {
	admin := setup(t)
	customers(admin)
	wangID, wang := admin.addMember("wang@example.com", "小王")
	liID, li := admin.addMember("li@example.com", "小李")

	adminRec := admin.create("客户", map[string]any{"客户名称": "管理员的客户"})
	forWang := admin.create("客户", map[string]any{"客户名称": "分给小王的客户", "负责人": wangID})
	forLi := admin.create("客户", map[string]any{"客户名称": "分给小李的客户", "负责人": liID})
	own := wang.create("客户", map[string]any{"客户名称": "小王自己的客户"})
	if own["负责人"] != wangID || own["创建人"] != wangID {
		t.Errorf("a member's new record: 负责人 %v 创建人 %v, want %v", own["负责人"], own["创建人"], wangID)
	}
	if titles := own["_titles"].(map[string]any); !reflect.DeepEqual(titles["负责人"], map[string]any{formatNum(wangID): "小王"}) {
		t.Errorf("_titles %v", titles)
	}

	names := func(c *client, kv ...string) []string {
		t.Helper()
		body := c.list("客户", kv...).must(t, 200)
		var out []string
		for _, r := range items(body) {
			out = append(out, str(r["客户名称"]))
		}
		sort.Strings(out)
		if _, hasTotal := body["total"]; !hasTotal || int(num(body["total"])) != len(out) {
			t.Errorf("total %v for %d items", body["total"], len(out))
		}
		return out
	}
	if got := names(wang); !reflect.DeepEqual(got, []string{"分给小王的客户", "小王自己的客户"}) {
		t.Errorf("小王 sees %v", got)
	}
	if got := names(li); !reflect.DeepEqual(got, []string{"分给小李的客户"}) {
		t.Errorf("小李 sees %v", got)
	}
	if got := names(admin); len(got) != 4 {
		t.Errorf("admin sees %v, want all 4", got)
	}
	// Filters, search and sort cannot widen the scope.
	if got := names(wang, "q", "客户"); len(got) != 2 {
		t.Errorf("小王 searching sees %v", got)
	}
	if got := names(wang, "filter", `{"or":[{"field":"负责人","op":"ne","value":"$me"},{"field":"负责人","op":"empty"}]}`); len(got) != 0 {
		t.Errorf("小王 filtering for others' records sees %v", got)
	}
	if got := names(li, "filter", `{"field":"负责人","op":"eq","value":"$me"}`); !reflect.DeepEqual(got, []string{"分给小李的客户"}) {
		t.Errorf("小李 with $me sees %v", got)
	}

	// Someone else's record: not found, whatever the method; nothing changes.
	for _, rec := range []map[string]any{adminRec, forLi} {
		p := recordPath("客户", num(rec["id"]))
		wang.get(p).wantError(t, 404, "not_found")
		wang.get(p+"/history").wantError(t, 404, "not_found")
		wang.get(p+"/tier-history").wantError(t, 404, "not_found")
		wang.patch(p, map[string]any{"客户名称": "改掉"}).wantError(t, 404, "not_found")
		wang.del(p).wantError(t, 404, "not_found")
		wang.post(recordsPath("客户")+"/batch", map[string]any{"items": []map[string]any{{"id": rec["id"], "客户名称": "改掉"}}}).wantDetail(t, "not_found", "", 1, "")
		if got := admin.get(p).must(t, 200); got["客户名称"] != rec["客户名称"] {
			t.Errorf("someone else's record changed: %v", got)
		}
	}
	// Their own: read, change, delete.
	p := recordPath("客户", num(forWang["id"]))
	wang.get(p).must(t, 200)
	wang.patch(p, map[string]any{"客户名称": "小王改过的客户"}).must(t, 200)
	wang.del(recordPath("客户", num(own["id"]))).must(t, 200)
	if got := names(admin); !reflect.DeepEqual(got, []string{"分给小李的客户", "小王改过的客户", "管理员的客户"}) {
		t.Errorf("admin sees %v after 小王's changes", got)
	}
	// Handing a record over is the admin's, and takes it out of the member's sight.
	wang.patch(p, map[string]any{"负责人": liID}).wantError(t, 403, "outside_scope")
	admin.patch(p, map[string]any{"负责人": liID}).must(t, 200)
	wang.get(p).wantError(t, 404, "not_found")
	if got := names(li); len(got) != 2 {
		t.Errorf("小李 sees %v after the hand-over", got)
	}
}

func TestMemberCannotManageSchema(t *testing.T) {
	admin := setup(t)
	customers(admin)
	_, member := admin.addMember("wang@example.com", "小王")
	forbidden := []struct {
		method, path, code string
		body               any
	}{
		{"POST", "/api/tables", "not_allowed", map[string]any{"name": "我的表", "fields": []any{f("名称", "text")}}},
		{"POST", "/api/apps", "not_allowed", map[string]any{"name": "我的应用"}},
		{"POST", "/api/templates/crm", "not_allowed", nil},
		{"PATCH", tablePath("客户"), "not_allowed_on", map[string]any{"name": "改名"}},
		{"DELETE", tablePath("客户"), "not_allowed", nil},
		{"POST", tablePath("客户") + "/fields", "not_allowed_on", f("新字段", "text")},
		{"PATCH", tablePath("客户") + "/fields/客户名称", "not_allowed_on", map[string]any{"name": "改名"}},
		{"DELETE", tablePath("客户") + "/fields/客户名称", "not_allowed_on", nil},
		{"POST", "/api/users", "not_allowed", map[string]any{"email": "x@example.com", "password": "long-enough"}},
	}
	for _, op := range forbidden {
		member.call(op.method, op.path, op.body).wantError(t, 403, op.code)
	}
	// Nothing changed.
	tbl := admin.get(tablePath("客户")).must(t, 200)
	if names := fieldNames(tbl); names[0] != "客户名称" || len(names) != 13 {
		t.Errorf("客户 fields after refused changes: %v", names)
	}
	if list := items(admin.get("/api/tables").must(t, 200)); len(list) != 1 {
		t.Errorf("tables after refused creates: %v", list)
	}
	// Members may read the schema and use the tables.
	member.get("/api/tables").must(t, 200)
	member.get(tablePath("客户")).must(t, 200)
	member.get("/api/apps").must(t, 200)
	member.create("客户", map[string]any{"客户名称": "小王的客户"})
	// The admin may do all of it.
	admin.post("/api/tables", map[string]any{"name": "我的表"}).must(t, 201)
	admin.post("/api/apps", map[string]any{"name": "销售部"}).must(t, 201)
}
