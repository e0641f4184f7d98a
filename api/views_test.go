package api_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"tierbase/core/access"
	"tierbase/core/users"
	"tierbase/platform/store"
)

// viewsWorld is a 客户 table with a 等级 (单选), an amount, tags and a required name, an admin
// and two members: 小王 (read all, change his own, bulk edit) and 小李 (the built-in 成员).
type viewsWorld struct {
	admin, wang, li *client
	wangID, liID    float64
}

func newViewsWorld(t *testing.T) *viewsWorld {
	w := &viewsWorld{admin: setup(t)}
	w.admin.createTable("客户", f("客户名称", "text", "required", true), f("客户等级", "select", "options", options("A", "B", "C")),
		f("累计消费金额", "money"), f("标签", "tags"), f("电话", "text", "format", `^1\d{10}$`))
	w.wangID, w.wang = w.admin.addMember("wang@example.com", "小王")
	w.liID, w.li = w.admin.addMember("li@example.com", "小李")
	wangID := int64(w.wangID)
	all, own := access.DataScope{Kind: access.ScopeAll}, access.DataScope{Kind: access.ScopeOwn}
	role := &access.Role{ID: "sales", Default: &access.TablePerm{Actions: []access.TableAction{access.View, access.Add, access.Edit,
		access.Remove, access.BulkEdit}, Read: all, Change: own}}
	w.admin.server().Users.Grants = func(u users.User) *access.Grants {
		if u.ID == wangID {
			return &access.Grants{Roles: []*access.Role{role}}
		}
		return nil
	}
	return w
}

// Views: personal ones are their owner's alone; sharing, and changing a shared one, takes the
// table's manage action; a kanban needs a 单选 field.
func TestViewsSharing(t *testing.T) {
	w := newViewsWorld(t)
	path := tablePath("客户") + "/views"
	mine := w.wang.post(path, map[string]any{"name": "我的大客户", "filter": map[string]any{"field": "累计消费金额", "op": "gt", "value": 1000},
		"sort": "-累计消费金额", "columns": []any{map[string]any{"field": "客户名称", "frozen": true, "width": 180},
			map[string]any{"field": "电话", "hidden": true}}, "group": "客户等级"}).must(t, 201)
	if mine["shared"] != false || mine["owner"] != w.wangID || mine["kind"] != "grid" {
		t.Fatalf("saved %v", mine)
	}
	id := str(mine["id"])
	if cols := mine["columns"].([]any); !strings.HasPrefix(str(cols[0].(map[string]any)["field"]), "fld") {
		t.Errorf("columns are not kept by field id: %v", cols)
	}
	w.li.get(path+"/"+id).wantError(t, 404, "not_found")
	w.li.del(path+"/"+id).wantError(t, 404, "not_found")
	if n := len(items(w.li.get(path).must(t, 200))); n != 0 {
		t.Errorf("小李 lists %d views", n)
	}
	w.wang.post(path, map[string]any{"name": "大家的", "shared": true}).wantError(t, 403, "not_allowed_on")
	w.wang.call("PUT", path+"/"+id, map[string]any{"name": "我的大客户", "shared": true}).wantError(t, 403, "not_allowed_on")
	shared := w.admin.post(path, map[string]any{"name": "按等级看板", "kind": "kanban", "board": "客户等级", "sum": "累计消费金额", "shared": true}).must(t, 201)
	got := items(w.li.get(path).must(t, 200))
	if len(got) != 1 || got[0]["id"] != shared["id"] {
		t.Errorf("小李 lists %v", got)
	}
	w.li.call("PUT", path+"/"+str(shared["id"]), map[string]any{"name": "改"}).wantError(t, 403, "not_allowed_on")
	w.li.del(path+"/"+str(shared["id"])).wantError(t, 403, "not_allowed_on")
	w.wang.call("PUT", path+"/"+id, map[string]any{"name": "改名了"}).must(t, 200)
	if got := w.wang.get(path+"/"+id).must(t, 200); got["name"] != "改名了" || got["sort"] != nil {
		t.Errorf("after the change: %v", got)
	}
	w.admin.post(path, map[string]any{"name": "x", "kind": "kanban", "board": "客户名称"}).wantError(t, 400, "view_kanban_field")
	w.admin.post(path, map[string]any{"name": "x", "group": "标签"}).wantError(t, 400, "view_group_field")
	w.admin.post(path, map[string]any{"name": "x", "columns": []any{map[string]any{"field": "无此字段"}}}).wantError(t, 400, "unknown_field")
	w.admin.post(path, map[string]any{"name": " "}).wantError(t, 400, "required")
	w.wang.del(path+"/"+id).must(t, 200)
	w.wang.get(path+"/"+id).wantError(t, 404, "not_found")
	// A deleted table's views go with it.
	w.admin.del(tablePath("客户")).must(t, 200)
	var n int
	if err := w.admin.server().Records.DB.R.QueryRow("SELECT COUNT(*) FROM _views").Scan(&n); err != nil || n != 0 {
		t.Errorf("%d views left of a deleted table (%v)", n, err)
	}
}

// A kanban's counts and sums are those of a hand-written GROUP BY; each column shows its
// first cards, the next ones are a list with the column's value; dragging a card to a
// value the field refuses leaves it where it was, with the message.
func TestBoard(t *testing.T) {
	w := newViewsWorld(t)
	rng := rand.New(rand.NewPCG(1, 2))
	var batch []map[string]any
	for i := range 300 {
		rec := map[string]any{"客户名称": fmt.Sprint("客户", i), "累计消费金额": rng.IntN(10000)}
		if g := rng.IntN(4); g < 3 {
			rec["客户等级"] = string(rune('A' + g))
		}
		batch = append(batch, rec)
	}
	w.admin.post(recordsPath("客户")+"/batch", map[string]any{"items": batch}).must(t, 200)
	filter := `{"field":"累计消费金额","op":"gte","value":2000}`
	b := w.admin.get(tablePath("客户")+"/board?field=客户等级&sum=累计消费金额&limit=10&filter="+url.QueryEscape(filter)).must(t, 200)
	tb := w.admin.get(tablePath("客户")).must(t, 200)
	grade, amount := str(field(t, tb, "客户等级")["id"]), str(field(t, tb, "累计消费金额")["id"])
	db := w.admin.server().Records.DB
	rows, err := db.R.Query(fmt.Sprintf(`SELECT COALESCE(%s, ''), COUNT(*), SUM(%s) FROM %s WHERE %s >= 2000 GROUP BY 1 ORDER BY 1`,
		store.Quote(grade), store.Quote(amount), store.Quote("t_"+str(tb["id"])), store.Quote(amount)))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for rows.Next() {
		var v string
		var n int64
		var sum float64
		if err := rows.Scan(&v, &n, &sum); err != nil {
			t.Fatal(err)
		}
		want[v] = fmt.Sprint(n, " ", sum)
	}
	rows.Close()
	got := map[string]string{}
	var order []string
	for _, c := range b["columns"].([]any) {
		col := c.(map[string]any)
		v := str(col["value"])
		order = append(order, v)
		got[v] = fmt.Sprint(num(col["count"]), " ", num(col["sums"].(map[string]any)[amount]))
		if n := len(col["items"].([]any)); n != min(10, int(num(col["count"]))) {
			t.Errorf("column %q has %d cards of %v", v, n, col["count"])
		}
		for _, it := range col["items"].([]any) {
			if rec := it.(map[string]any); str(rec["客户等级"]) != v || num(rec["累计消费金额"]) < 2000 {
				t.Errorf("column %q holds %v", v, rec)
			}
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || strings.Join(order, ",") != ",A,B,C" {
		t.Errorf("board %v in order %v, GROUP BY says %v", got, order, want)
	}
	// The next cards of one column, and of 未填.
	for _, v := range []string{"A", ""} {
		more := w.admin.get(tablePath("客户")+"/board?field=客户等级&limit=1000&offset=10&column="+v+"&filter="+url.QueryEscape(filter)).must(t, 200)
		col := more["columns"].([]any)[0].(map[string]any)
		var n float64
		fmt.Sscan(strings.Fields(got[v])[0], &n)
		if m := len(col["items"].([]any)); float64(m+10) != n {
			t.Errorf("load more of %q: %d after 10 of %v", v, m, n)
		}
	}
	// C is no longer an option: its column stays while records hold it, cards and all.
	w.admin.patch(tablePath("客户")+"/fields/"+grade, map[string]any{"options": options("A", "B")}).must(t, 200)
	b = w.admin.get(tablePath("客户")+"/board?field=客户等级&limit=10").must(t, 200)
	if cols := b["columns"].([]any); len(cols) != 4 || cols[3].(map[string]any)["value"] != "C" || len(cols[3].(map[string]any)["items"].([]any)) != 10 {
		t.Errorf("after C was dropped: %.500v", cols)
	}
	// The 小李 of the built-in 成员 sees only his own cards.
	w.li.create("客户", map[string]any{"客户名称": "小李的", "客户等级": "B", "累计消费金额": 5})
	lb := w.li.get(tablePath("客户")+"/board?field=客户等级&sum=累计消费金额").must(t, 200)
	var seen []string
	for _, c := range lb["columns"].([]any) {
		col := c.(map[string]any)
		for _, it := range col["items"].([]any) {
			seen = append(seen, fmt.Sprint(col["value"], ":", it.(map[string]any)["客户名称"], ":", col["count"]))
		}
	}
	if fmt.Sprint(seen) != "[B:小李的:1]" {
		t.Errorf("小李's board shows %v", seen)
	}
	// A drag the field refuses: the card stays, with the message; nothing is logged.
	card := w.li.list("客户").must(t, 200)
	id := num(items(card)[0]["id"])
	w.li.patch(recordPath("客户", id), map[string]any{"客户等级": "D"}).wantDetail(t, "bad_option", "客户等级", 0, "")
	if rec := w.li.get(recordPath("客户", id)).must(t, 200); rec["客户等级"] != "B" {
		t.Errorf("after a refused drag: %v", rec)
	}
	if h := items(w.li.get(recordPath("客户", id)+"/history").must(t, 200)); len(h) != 1 {
		t.Errorf("a refused drag is in the history: %v", h)
	}
	w.li.patch(recordPath("客户", id), map[string]any{"客户等级": "A"}).must(t, 200)
	w.li.get(tablePath("客户")+"/board?field=客户名称").wantError(t, 404, "not_found")
	w.li.get(tablePath("客户")+"/board?field=客户等级&sum=客户名称").wantError(t, 400, "bad_sum")
	// Groups of the grid: the same counts, by any single-valued field.
	gs := items(w.admin.get(tablePath("客户")+"/groups?field=客户等级&sum=累计消费金额&filter="+url.QueryEscape(filter)).must(t, 200))
	if len(gs) != len(want) {
		t.Errorf("groups %v", gs)
	}
}

// A bulk edit of every record matching a filter runs through the records engine in one
// transaction: those 小王 may read but not change are skipped and counted, each changed one
// has its history entry; a value the field refuses writes nothing; tags are added; a bulk
// delete sends the records to the recycle bin.
func TestBulk(t *testing.T) {
	w := newViewsWorld(t)
	var batch []map[string]any
	for i := range 1500 {
		batch = append(batch, map[string]any{"客户名称": fmt.Sprint("客户", i), "客户等级": "A", "负责人": w.wangID, "标签": []string{"老客户"}})
	}
	w.admin.post(recordsPath("客户")+"/batch", map[string]any{"items": batch}).must(t, 200)
	others := w.admin.create("客户", map[string]any{"客户名称": "小李的", "客户等级": "A", "负责人": w.liID})
	w.admin.create("客户", map[string]any{"客户名称": "B 级", "客户等级": "B", "负责人": w.wangID})
	filter := map[string]any{"field": "客户等级", "op": "eq", "value": "A"}
	path := recordsPath("客户") + "/bulk"

	// Streamed: progress after each thousand, then the result.
	lines := w.wang.stream(path+"?stream=1", map[string]any{"filter": filter, "set": map[string]any{"累计消费金额": 88}, "add": map[string]any{"标签": "重点"}})
	if want := `[{"done":1000,"total":1500} {"done":1500,"total":1500} {"changed":1500,"skipped":1}]`; fmt.Sprint(lines) != want {
		t.Errorf("streamed %v, want %s", lines, want)
	}
	if n := w.admin.count2("客户", `{"and":[{"field":"累计消费金额","op":"eq","value":88},{"field":"标签","op":"contains","value":"重点"},{"field":"标签","op":"contains","value":"老客户"}]}`); n != 1500 {
		t.Errorf("%d records changed", n)
	}
	if rec := w.admin.get(recordPath("客户", num(others["id"]))).must(t, 200); rec["累计消费金额"] != nil {
		t.Errorf("a record outside the change scope was changed: %v", rec)
	}
	first := items(w.admin.list("客户", "sort", "id", "limit", "1").must(t, 200))[0]
	if h := items(w.admin.get(recordPath("客户", num(first["id"]))+"/history").must(t, 200)); len(h) != 2 || h[0]["action"] != "update" {
		t.Errorf("history %v", h)
	}
	// A value the field refuses: nothing written, the row named.
	r := w.wang.post(path, map[string]any{"filter": filter, "set": map[string]any{"电话": "123"}})
	r.wantDetail(t, "regex_mismatch", "电话", 1, "")
	if n := len(r.errorOf(t)["details"].([]any)); n != 5 {
		t.Errorf("%d problems told", n)
	}
	if n := w.admin.count2("客户", `{"field":"电话","op":"notEmpty"}`); n != 0 {
		t.Errorf("a refused bulk edit wrote %d records", n)
	}
	// Chosen records; assigning the 负责人 to someone outside his scope is refused.
	ids := []float64{num(first["id"]), num(others["id"])}
	if res := w.wang.post(path, map[string]any{"ids": ids, "set": map[string]any{"客户等级": "C"}}).must(t, 200); res["changed"] != 1.0 || res["skipped"] != 1.0 {
		t.Errorf("chosen: %v", res)
	}
	w.wang.post(path, map[string]any{"ids": ids[:1], "set": map[string]any{"负责人": w.liID}}).wantDetail(t, "outside_scope", "", 1, "")
	w.li.post(path, map[string]any{"filter": filter, "set": map[string]any{"累计消费金额": 1}}).wantError(t, 403, "not_allowed_on")
	w.wang.post(path, map[string]any{}).wantError(t, 400, "bulk_nothing")
	// Delete in bulk: into the recycle bin.
	if res := w.wang.post(path, map[string]any{"filter": filter, "delete": true}).must(t, 200); res["changed"] != 1499.0 || res["skipped"] != 1.0 {
		t.Errorf("delete: %v", res)
	}
	if n := w.admin.count("客户"); n != 3 {
		t.Errorf("%d records left", n)
	}
}

// stream posts body and returns the NDJSON lines of the answer.
func (c *client) stream(path string, body any) []string {
	c.t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", c.base+path, strings.NewReader(string(data)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	var out []string
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// count2 is how many records match filter.
func (c *client) count2(table, filter string) int {
	c.t.Helper()
	return int(num(c.list(table, "filter", filter, "limit", "1").must(c.t, 200)["total"]))
}

// A calendar lists the records whose date falls in the range, earliest first, under the
// reader's access policy; a date-time falls on the reader's day (UTC+8). A range that is not
// two dates, runs backwards or spans more than 62 days is refused in the reader's language.
func TestCalendar(t *testing.T) {
	w := newViewsWorld(t)
	w.admin.post(tablePath("客户")+"/fields", f("下次跟进日", "date")).must(t, 201)
	w.admin.post(tablePath("客户")+"/fields", f("拜访时间", "datetime")).must(t, 201)
	for name, day := range map[string]string{"月前": "2026-11-30", "月初": "2026-12-01", "月末": "2026-12-31", "下月": "2027-01-01"} {
		w.admin.create("客户", map[string]any{"客户名称": name, "下次跟进日": day})
	}
	w.admin.create("客户", map[string]any{"客户名称": "未定"})
	w.admin.create("客户", map[string]any{"客户名称": "深夜", "拜访时间": "2026-12-01T16:30:00Z"}) // 12-02 00:30 in UTC+8
	w.li.create("客户", map[string]any{"客户名称": "小李的", "下次跟进日": "2026-12-05"})
	cal := func(c *client, field, from, to, filter string) reply {
		return c.get(tablePath("客户") + "/calendar?field=" + url.QueryEscape(field) + "&from=" + from + "&to=" + to +
			"&filter=" + url.QueryEscape(filter))
	}
	names := func(r reply) string {
		var out []string
		for _, rec := range items(r.must(t, 200)) {
			out = append(out, str(rec["客户名称"]))
		}
		return fmt.Sprint(out, " ", r.Body["total"])
	}
	for _, c := range []struct {
		who                     *client
		field, from, to, filter string
		want                    string
	}{
		{w.admin, "下次跟进日", "2026-12-01", "2026-12-31", "", "[月初 小李的 月末] 3"},
		{w.admin, "下次跟进日", "2026-11-30", "2027-01-01", `{"field":"客户名称","op":"ne","value":"月末"}`, "[月前 月初 小李的 下月] 4"},
		{w.wang, "下次跟进日", "2026-12-05", "2026-12-05", "", "[小李的] 1"},
		{w.li, "下次跟进日", "2026-11-30", "2027-01-01", "", "[小李的] 1"},
		{w.admin, "拜访时间", "2026-12-02", "2026-12-02", "", "[深夜] 1"},
		{w.admin, "拜访时间", "2026-12-01", "2026-12-01", "", "[] 0"},
	} {
		if got := names(cal(c.who, c.field, c.from, c.to, c.filter)); got != c.want {
			t.Errorf("%s %s..%s %s: %s, want %s", c.field, c.from, c.to, c.filter, got, c.want)
		}
	}
	for _, r := range [][2]string{{"", "2026-12-31"}, {"2026-12-01", ""}, {"2026-12-1", "2026-12-31"}, {"2026-13-01", "2026-12-31"},
		{"2026-12-31", "2026-12-01"}, {"2026-12-01", "2027-02-01"}} {
		e := cal(w.admin, "下次跟进日", r[0], r[1], "").wantError(t, 400, "calendar_range")
		if msg := str(e["message"]); !strings.Contains(msg, "YYYY-MM-DD") || !strings.Contains(msg, "最多 62 天") {
			t.Errorf("%v: %s", r, msg)
		}
	}
	cal(w.admin, "下次跟进日", "2026-12-01", "2027-01-31", "").must(t, 200) // 62 days
	w.admin.lang = "en"
	if msg := str(cal(w.admin, "下次跟进日", "2026-12-31", "2026-12-01", "").wantError(t, 400, "calendar_range")["message"]); !strings.Contains(msg, "at most 62 days") {
		t.Errorf("in English: %s", msg)
	}
	w.admin.lang = ""
	cal(w.admin, "客户名称", "2026-12-01", "2026-12-31", "").wantError(t, 400, "view_calendar_field")
	cal(w.admin, "无此字段", "2026-12-01", "2026-12-31", "").wantError(t, 404, "not_found")
	// A calendar view keeps its date field by id; only a date field arranges one.
	path := tablePath("客户") + "/views"
	v := w.wang.post(path, map[string]any{"name": "跟进日历", "kind": "calendar", "date": "下次跟进日"}).must(t, 201)
	if !strings.HasPrefix(str(v["date"]), "fld") || v["kind"] != "calendar" {
		t.Errorf("saved %v", v)
	}
	w.wang.post(path, map[string]any{"name": "x", "kind": "calendar", "date": "客户名称"}).wantError(t, 400, "view_calendar_field")
	w.wang.post(path, map[string]any{"name": "x", "kind": "calendar"}).wantError(t, 400, "unknown_field")
}

// A kanban view with a sum makes an index of the 单选 field, the id, the 负责人 and the sum,
// from which the columns' counts and sums are read without the rows, and their newest cards
// without sorting (on SQLite, the plan says so); either field can still be deleted.
func TestBoardSumIndex(t *testing.T) {
	w := newViewsWorld(t)
	w.admin.post(tablePath("客户")+"/views", map[string]any{"name": "看板", "kind": "kanban", "board": "客户等级", "sum": "累计消费金额", "shared": true}).must(t, 201)
	w.admin.create("客户", map[string]any{"客户名称": "甲", "客户等级": "A", "累计消费金额": 5})
	tb := w.admin.get(tablePath("客户")).must(t, 200)
	grade, amount := str(field(t, tb, "客户等级")["id"]), str(field(t, tb, "累计消费金额")["id"])
	db := w.admin.server().Records.DB
	plan := func(q string, args ...any) string {
		var out []string
		rows, err := db.R.Query("EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, parent, unused int
			var detail string
			rows.Scan(&id, &parent, &unused, &detail)
			out = append(out, detail)
		}
		rows.Close()
		return strings.Join(out, "; ")
	}
	if db.Dialect != store.Postgres {
		table := store.Quote("t_" + str(tb["id"]))
		if p := plan(fmt.Sprintf(`SELECT %s, COUNT(*), TOTAL(%s) FROM %s GROUP BY 1 ORDER BY 1`, store.Quote(grade), store.Quote(amount), table)); !strings.Contains(p, "COVERING INDEX sum_") {
			t.Errorf("the counts and sums read the rows: %s", p)
		}
		if p := plan(fmt.Sprintf(`SELECT * FROM %s WHERE %s = ? ORDER BY id DESC LIMIT 50`, table, store.Quote(grade)), "A"); !strings.Contains(p, "INDEX sum_") || strings.Contains(p, "TEMP B-TREE") {
			t.Errorf("a column's cards are sorted: %s", p)
		}
	}
	for _, name := range []string{"累计消费金额", "客户等级"} {
		w.admin.del(tablePath("客户")+"/fields/"+str(field(t, tb, name)["id"])).must(t, 200)
	}
	w.li.get(recordsPath("客户")).must(t, 200)
}
