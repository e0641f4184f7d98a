package api_test

import (
	"slices"
	"strings"
	"testing"

	"tierbase/core/access"
	"tierbase/core/users"
)

// orders creates 客户 and 订单 (linking to 客户), a customer of the admin's and one of the
// member 小王's, and returns the member's client, id and the two customers' ids.
func orders(t *testing.T, admin *client) (wang *client, wangID, theirs, mine float64) {
	t.Helper()
	customers(admin)
	cust := admin.get(tablePath("客户")).must(t, 200)
	admin.createTable("订单", f("订单名称", "text"), f("客户", "link", "linkTable", cust["id"]), f("金额", "money"))
	wangID, wang = admin.addMember("wang@example.com", "小王")
	theirs = num(admin.create("客户", map[string]any{"客户名称": "管理员的秘密客户"})["id"])
	mine = num(wang.create("客户", map[string]any{"客户名称": "小王的客户"})["id"])
	return wang, wangID, theirs, mine
}

// A member's records may link to a customer they cannot see (an admin set it up so): the
// answer does not name that customer.
func TestTitlesOnlyOfReadableRecords(t *testing.T) {
	admin := setup(t)
	wang, wangID, theirs, mine := orders(t, admin)
	o := admin.create("订单", map[string]any{"订单名称": "单1", "客户": theirs, "负责人": wangID})
	admin.create("订单", map[string]any{"订单名称": "单2", "客户": mine, "负责人": wangID})

	got := wang.get(recordPath("订单", num(o["id"]))).must(t, 200)
	if name, leaked := got["_titles"].(map[string]any)["客户"].(map[string]any)[formatNum(theirs)]; leaked {
		t.Fatalf("get names a customer the member cannot see: %v", name)
	}
	if got["客户"] != theirs {
		t.Fatalf("the link itself is the member's to see: %v", got["客户"])
	}
	list := wang.list("订单").must(t, 200)
	titles := list["_titles"].(map[string]any)["客户"].(map[string]any)
	if _, leaked := titles[formatNum(theirs)]; leaked || titles[formatNum(mine)] != "小王的客户" {
		t.Fatalf("list _titles %v: want only 小王的客户", titles)
	}
	// The admin sees both names.
	all := admin.list("订单").must(t, 200)["_titles"].(map[string]any)["客户"].(map[string]any)
	if all[formatNum(theirs)] != "管理员的秘密客户" || all[formatNum(mine)] != "小王的客户" {
		t.Fatalf("admin _titles %v", all)
	}
}

// A member may link only to records they can read, and cannot tell a hidden record from a
// missing one.
func TestLinksOnlyToReadableRecords(t *testing.T) {
	admin := setup(t)
	wang, _, theirs, mine := orders(t, admin)
	wang.post(recordsPath("订单"), map[string]any{"订单名称": "探测", "客户": theirs}).wantError(t, 400, "validation_failed")
	d1 := wang.post(recordsPath("订单"), map[string]any{"订单名称": "探测", "客户": theirs}).wantDetail(t, "bad_link", "客户", 0, "")
	d2 := wang.post(recordsPath("订单"), map[string]any{"订单名称": "探测", "客户": 999999}).wantDetail(t, "bad_link", "客户", 0, "")
	if strings.ReplaceAll(str(d1["message"]), formatNum(theirs), "#") != strings.ReplaceAll(str(d2["message"]), "999999", "#") {
		t.Errorf("a hidden record reads differently from a missing one: %v / %v", d1, d2)
	}
	// Updates and batches too; nothing is written.
	own := wang.create("订单", map[string]any{"订单名称": "我的单", "客户": mine})
	wang.patch(recordPath("订单", num(own["id"])), map[string]any{"客户": theirs}).wantDetail(t, "bad_link", "客户", 0, "")
	wang.post(recordsPath("订单")+"/batch", map[string]any{"items": []map[string]any{{"订单名称": "批量", "客户": theirs}}}).wantDetail(t, "bad_link", "客户", 1, "")
	if n := admin.count("订单"); n != 1 {
		t.Errorf("%d orders after refused links, want 1", n)
	}
	// The admin may link anywhere.
	admin.create("订单", map[string]any{"订单名称": "管理员的单", "客户": theirs})
}

// Handing a record to someone else is for admins; members make themselves the owner only.
func TestOnlyAdminsHandRecordsOver(t *testing.T) {
	admin := setup(t)
	wang, wangID, theirs, mine := orders(t, admin)
	liID, li := admin.addMember("li@example.com", "小李")
	wang.post(recordsPath("客户"), map[string]any{"客户名称": "塞给小李", "负责人": liID}).wantError(t, 403, "outside_scope")
	wang.post(recordsPath("客户"), map[string]any{"客户名称": "没有负责人", "负责人": nil}).wantError(t, 403, "outside_scope")
	wang.patch(recordPath("客户", mine), map[string]any{"负责人": liID}).wantError(t, 403, "outside_scope")
	wang.post(recordsPath("客户")+"/batch", map[string]any{"items": []map[string]any{{"客户名称": "批量塞给小李", "负责人": liID}}}).wantDetail(t, "outside_scope", "负责人", 1, "")
	if n := li.count("客户"); n != 0 {
		t.Fatalf("小李 was handed %d records", n)
	}
	// Naming oneself, or sending back the owner unchanged, is fine.
	wang.create("客户", map[string]any{"客户名称": "自己的", "负责人": wangID})
	wang.patch(recordPath("客户", mine), map[string]any{"客户名称": "改名", "负责人": wangID}).must(t, 200)
	// The admin hands records over.
	admin.patch(recordPath("客户", theirs), map[string]any{"负责人": liID}).must(t, 200)
	admin.create("客户", map[string]any{"客户名称": "给小李的", "负责人": liID})
	if n := li.count("客户"); n != 2 {
		t.Fatalf("小李 sees %d records after the admin's hand-over, want 2", n)
	}
	en := wang
	en.lang = "en"
	msg := str(en.patch(recordPath("客户", mine), map[string]any{"负责人": liID}).wantError(t, 403, "outside_scope")["message"])
	if !strings.Contains(msg, "owner") {
		t.Errorf("English message %q", msg)
	}
}

// An import's status and error report belong to its uploader and the admins.
func TestImportStatusIsTheUploaders(t *testing.T) {
	admin := setup(t)
	up := admin.upload("/api/imports", "名单.csv", importCSV).must(t, 201)
	id := str(up["id"])
	admin.post("/api/imports/"+id+"/start", map[string]any{"newTable": map[string]any{"name": "名单", "columns": up["columns"]}}).must(t, 200)
	admin.waitImport(id)
	_, member := admin.addMember("m@example.com", "成员")
	for _, p := range []string{"/api/imports/" + id, "/api/imports/" + id + "/report"} {
		member.get(p).wantError(t, 404, "not_found")
		admin.get(p).must(t, 200)
	}
	member.post("/api/imports/"+id+"/start", map[string]any{"table": "名单"}).wantError(t, 404, "not_found")
}

// Members get the names of users (for the 负责人 picker), not their emails or roles.
func TestMembersSeeNamesOnly(t *testing.T) {
	admin := setup(t)
	id, member := admin.addMember("wang@example.com", "小王")
	list := items(member.get("/api/users").must(t, 200))
	if len(list) != 2 {
		t.Fatalf("member sees users %v", list)
	}
	for _, u := range list {
		if _, ok := u["email"]; ok || u["role"] != nil || u["name"] == "" || u["id"] == nil {
			t.Errorf("a member sees %v; want id and name only", u)
		}
	}
	if me := member.get("/api/auth/me").must(t, 200); me["email"] != "wang@example.com" || num(me["id"]) != id {
		t.Errorf("me = %v", me)
	}
	if all := items(admin.get("/api/users").must(t, 200)); all[1]["email"] != "wang@example.com" || all[1]["role"] != "member" {
		t.Errorf("admin sees users %v", all)
	}
}

// Auto numbers are the server's: a client cannot set or change one, so none repeats.
func TestAutoNumberIsTheServers(t *testing.T) {
	admin := setup(t)
	admin.createTable("客户", f("客户名称", "text"), f("客户编号", "autonumber", "format", "KH-{0000}"))
	first := admin.create("客户", map[string]any{"客户名称": "甲"})
	if first["客户编号"] != "KH-0001" {
		t.Fatalf("first number %v", first["客户编号"])
	}
	admin.post(recordsPath("客户"), map[string]any{"客户名称": "乙", "客户编号": "KH-0001"}).wantDetail(t, "autonumber_given", "客户编号", 0, "")
	second := admin.create("客户", map[string]any{"客户名称": "乙", "客户编号": nil})
	admin.patch(recordPath("客户", num(second["id"])), map[string]any{"客户编号": "KH-0001"}).wantDetail(t, "autonumber_given", "客户编号", 0, "")
	admin.post(recordsPath("客户")+"/batch", map[string]any{"items": []map[string]any{{"客户名称": "丙", "客户编号": "KH-9999"}}}).wantDetail(t, "autonumber_given", "客户编号", 1, "")
	// A form sending back the number it showed changes nothing and is fine.
	admin.patch(recordPath("客户", num(second["id"])), map[string]any{"客户名称": "乙二", "客户编号": second["客户编号"]}).must(t, 200)
	seen := map[any]bool{}
	for _, r := range items(admin.list("客户").must(t, 200)) {
		if seen[r["客户编号"]] {
			t.Fatalf("number %v repeats", r["客户编号"])
		}
		seen[r["客户编号"]] = true
	}
	if !seen["KH-0001"] || !seen["KH-0002"] || len(seen) != 2 {
		t.Fatalf("numbers %v", seen)
	}
}

// hideField gives the members of c's server the 成员 role as shipped, plus the extra actions,
// with one field of a table hidden.
func hideField(c *client, table, field string, extra ...access.TableAction) {
	srv := c.server()
	tb, err := srv.Catalog.Table(table)
	if err != nil {
		c.t.Fatal(err)
	}
	r := access.MemberRole()
	r.Tables = map[string]*access.TablePerm{tb.ID: {Actions: append(slices.Clone(r.Default.Actions), extra...),
		Read: r.Default.Read, Change: r.Default.Change, Fields: map[string]access.FieldAccess{tb.Field(field).ID: access.FieldHidden}}}
	srv.Users.Grants = func(users.User) *access.Grants { return &access.Grants{Roles: []*access.Role{r}} }
}

// A field hidden by the policy stays out of list, get, history, search, filters, sorts and
// export, and cannot be written.
func TestHiddenField(t *testing.T) {
	admin := setup(t)
	customers(admin)
	_, wang := admin.addMember("wang@example.com", "小王")
	rec := wang.create("客户", map[string]any{"客户名称": "甲", "累计消费金额": 5000})
	wang.patch(recordPath("客户", num(rec["id"])), map[string]any{"累计消费金额": 6000}).must(t, 200)
	hideField(admin, "客户", "累计消费金额", access.ExportRows)

	p := recordPath("客户", num(rec["id"]))
	if got := wang.get(p).must(t, 200); strings.Contains(wang.get(p).Raw, "累计消费金额") || got["客户名称"] != "甲" {
		t.Errorf("get shows the hidden field: %s", wang.get(p).Raw)
	}
	if raw := wang.list("客户").must(t, 200); strings.Contains(wang.list("客户").Raw, "累计消费金额") {
		t.Errorf("list shows the hidden field: %v", raw)
	}
	if raw := wang.get(p + "/history").Raw; strings.Contains(raw, "6000") || strings.Contains(raw, "5000") {
		t.Errorf("history shows the hidden field: %s", raw)
	}
	wang.list("客户", "filter", `{"field":"累计消费金额","op":"gt","value":5500}`).wantError(t, 403, "field_hidden")
	wang.list("客户", "sort", "-累计消费金额").wantError(t, 403, "field_hidden")
	wang.patch(p, map[string]any{"累计消费金额": 1}).wantDetail(t, "field_readonly", "累计消费金额", 0, "")
	if got := admin.get(p).must(t, 200); num(got["累计消费金额"]) != 6000 {
		t.Errorf("admin sees %v", got["累计消费金额"])
	}
	// Charts over the hidden field are refused; others still work.
	sum := map[string]any{"title": "消费", "type": "indicator", "table": "客户", "measures": []any{map[string]any{"agg": "sum", "field": "累计消费金额"}}}
	wang.post("/api/charts/preview", map[string]any{"chart": sum}).wantError(t, 403, "field_hidden")
	byName := map[string]any{"title": "名称", "type": "bar", "table": "客户", "dimensions": []any{map[string]any{"field": "客户名称"}},
		"measures": []any{map[string]any{"agg": "count"}}}
	wang.post("/api/charts/preview", map[string]any{"chart": byName}).must(t, 200)
	byName["filter"] = map[string]any{"field": "累计消费金额", "op": "gt", "value": 5500}
	wang.post("/api/charts/preview", map[string]any{"chart": byName}).wantError(t, 403, "field_hidden")
	if got := admin.post("/api/charts/preview", map[string]any{"chart": sum}).must(t, 200); num(got["value"]) != 6000 {
		t.Errorf("admin's sum %v", got)
	}
	// Export leaves the column out.
	raw := wang.get(tablePath("客户") + "/export?format=csv").Raw
	if strings.Contains(raw, "累计消费金额") || strings.Contains(raw, "6000") || !strings.Contains(raw, "客户名称") {
		t.Errorf("export shows the hidden field:\n%s", raw)
	}
}
