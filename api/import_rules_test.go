package api_test

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"tierbase/platform/spreadsheet"
	"tierbase/templates/crm"
)

// fixtures holds copies of shared/fixtures: the seed's customer list as Excel on Chinese Windows saves it.
const fixtures = "../platform/spreadsheet/testdata"

// crmClient starts a server with the 客户管理 template, its grading scheme and rules, and a
// member 销售A; it returns the admin's client and the member's.
func crmClient(t *testing.T) (*client, *client) {
	t.Helper()
	c := setup(t)
	c.post("/api/templates/crm", nil).must(t, 201)
	if r := c.post("/api/schemes", crm.Scheme()); r.Status != 200 && r.Status != 201 {
		t.Fatalf("scheme: %d %s", r.Status, r.Raw)
	}
	for _, rule := range crm.Rules() {
		if r := c.post("/api/rules", rule); r.Status != 200 && r.Status != 201 {
			t.Fatalf("rule %s: %d %s", rule.Name, r.Status, r.Raw)
		}
	}
	_, member := c.addMember("sales@example.com", "销售A")
	return c, member
}

// customerRows reads the template's customers from the fixture, with a 负责人 column
// added: the member by email on every third row, by name on the next, empty on the third.
func customerRows(t *testing.T) ([]string, [][]string) {
	t.Helper()
	src, err := spreadsheet.Open(fixtures+"/customers_gbk.csv", spreadsheet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	header := append(src.Header(), "负责人")
	var rows [][]string
	for {
		cells, err := src.Next()
		if err != nil {
			break
		}
		owner := []string{"SALES@example.com", "销售A", ""}[len(rows)%3]
		rows = append(rows, append(cells, owner))
	}
	if len(rows) != 300 {
		t.Fatalf("fixture has %d rows, want 300", len(rows))
	}
	return header, rows
}

func csvOf(header []string, rows [][]string) string {
	var b strings.Builder
	for _, r := range append([][]string{header}, rows...) {
		for i, c := range r {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"` + strings.ReplaceAll(c, `"`, `""`) + `"`)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// mapping maps the file's columns to the template's fields: 客户编号 is the table's own
// numbering, 毛利率 and 是否VIP have no field.
func mapping(header []string) []string {
	cols := make([]string, len(header))
	for i, h := range header {
		switch h {
		case "客户编号", "毛利率", "是否VIP":
		default:
			cols[i] = cmp.Or(opening[h], h)
		}
	}
	return cols
}

// opening names the fields of the template's 客户 that take a file's history: the opening
// values of its rollups (as the import wizard suggests them).
var opening = map[string]string{"累计消费金额": "历史消费金额", "购买频率": "历史购买次数", "最近消费日": "历史最近消费日"}

// importFile runs a wizard import and returns its final status.
func (c *client) importFile(table, name, content string, start map[string]any) map[string]any {
	c.t.Helper()
	up := c.upload(tablePath(table)+"/imports", name, content).must(c.t, 201)
	start["table"] = table
	c.post("/api/imports/"+str(up["id"])+"/start", start).must(c.t, 200)
	return c.waitImport(str(up["id"]))
}

// oneByOne saves the rows through the records API, one request each, as a person would:
// what an import must be equivalent to. Rows whose key (column 1, 客户名称) exists are updated.
func (c *client) oneByOne(table string, header []string, rows [][]string, owners map[string]float64) {
	c.t.Helper()
	cols := mapping(header)
	ids := map[string]float64{}
	for _, it := range c.all(table, "") {
		ids[str(it["客户名称"])] = num(it["id"])
	}
	for _, row := range rows {
		in := map[string]any{}
		for i, name := range cols {
			switch {
			case name == "":
			case name == "负责人":
				if id, ok := owners[strings.ToLower(row[i])]; ok {
					in[name] = id
				}
			default:
				in[name] = row[i]
			}
		}
		if id, ok := ids[row[1]]; ok {
			c.patch(recordPath(table, id), in).must(c.t, 200)
		} else {
			c.post(recordsPath(table), in).must(c.t, 201)
		}
	}
}

// all lists every record of a table matching filter (JSON, "" for all) that the client sees.
func (c *client) all(table, filter string) []map[string]any {
	c.t.Helper()
	q := "?limit=1000&sort=id"
	if filter != "" {
		q += "&filter=" + url.QueryEscape(filter)
	}
	return items(c.get(recordsPath(table)+q).must(c.t, 200))
}

// tiers counts the customers per 客户等级 ("" for none).
func (c *client) tiers() map[string]int {
	out := map[string]int{}
	for _, it := range c.all("客户", "") {
		out[str(it["客户等级"])]++
	}
	return out
}

// settled waits until the rules' side effects ran: the to-do count stops moving.
func (c *client) settled(want int) int {
	c.t.Helper()
	n, last, still := 0, -1, 0
	for i := 0; i < 400 && still < 8; i++ {
		n = len(c.all("待办任务", ""))
		if n == last && n >= want {
			still++
		} else {
			still = 0
		}
		last = n
		time.Sleep(25 * time.Millisecond)
	}
	return n
}

func tagged(list []map[string]any, tag string) int {
	n := 0
	for _, it := range list {
		tags, _ := it["标签"].([]any)
		for _, x := range tags {
			if x == tag {
				n++
			}
		}
	}
	return n
}

// The template's customers imported through the wizard are graded, tagged, owned and
// followed up exactly as if they had been saved one by one (issue 10): first an insert,
// then orders that make some customers 高频客户, then an upsert that moves grades, then a
// file with a bad row that changes nothing.
func TestImportGradesAndRunsRules(t *testing.T) {
	header, rows := customerRows(t)
	admin, member := crmClient(t)
	ref, _ := crmClient(t) // the same rows saved one by one
	owners := map[string]float64{"sales@example.com": 2, "销售a": 2}

	st := admin.importFile("客户", "客户.csv", csvOf(header, rows), map[string]any{"columns": mapping(header)})
	if res := st["result"].(map[string]any); st["state"] != "done" || num(res["inserted"]) != 300 {
		t.Fatalf("import: %v", st)
	}
	ref.oneByOne("客户", header, rows, owners)

	got, want := admin.tiers(), ref.tiers()
	if fmt.Sprint(got) != fmt.Sprint(want) || got["高价值客户"] == 0 || got[""] != 0 {
		t.Fatalf("客户等级 after the import %v, saved one by one %v", got, want)
	}
	high := got["高价值客户"]
	if n := admin.settled(high); n != high || ref.settled(high) != high {
		t.Fatalf("to-dos: import %d, one by one %d, want one per 高价值客户 (%d)", n, ref.settled(high), high)
	}
	// Ownership: 销售A sees the rows the file gave them, the admin owns and created the rest.
	mine := member.all("客户", "")
	if len(mine) != 200 {
		t.Fatalf("the member sees %d imported customers, want 200", len(mine))
	}
	for _, it := range admin.all("客户", "") {
		if num(it["创建人"]) != 1 || num(it["负责人"]) == 0 {
			t.Fatalf("imported customer %v: 创建人 %v 负责人 %v", it["客户名称"], it["创建人"], it["负责人"])
		}
	}
	memberHigh := 0
	for _, it := range mine {
		if it["客户等级"] == "高价值客户" {
			memberHigh++
		}
	}
	notes := items(member.get("/api/notifications").must(t, 200))
	if len(notes) != memberHigh {
		t.Fatalf("the member got %d notifications for their %d 高价值客户", len(notes), memberHigh)
	}
	hist := items(admin.get(tablePath("客户")+"/records/"+fmt.Sprint(num(mine[0]["id"]))+"/tier-history").must(t, 200))
	if len(hist) != 1 || hist[0]["to"] != mine[0]["客户等级"] {
		t.Fatalf("tier history of an imported customer: %v", hist)
	}

	// Orders: two recent ones for each of the first five customers make them 高频客户.
	orders := [][]string{}
	for id := 1; id <= 5; id++ {
		for k := 0; k < 2; k++ {
			orders = append(orders, []string{fmt.Sprint(id), "2026-11-2" + fmt.Sprint(k), "100"})
		}
	}
	oh := []string{"客户", "下单日期", "订单金额"}
	admin.importFile("订单", "订单.csv", csvOf(oh, orders), map[string]any{"columns": oh})
	for _, o := range orders {
		ref.post(recordsPath("订单"), map[string]any{"客户": json.Number(o[0]), "下单日期": o[1], "订单金额": o[2]}).must(t, 201)
	}
	hot := `{"field":"标签","op":"contains","value":"高频客户"}`
	if a, b := len(admin.all("客户", hot)), len(ref.all("客户", hot)); a != 5 || b != 5 {
		t.Fatalf("高频客户 after importing orders: %d, saved one by one %d, want 5", a, b)
	}

	// Upsert by 客户名称: ten customers buy a lot today (→ 高价值客户), ten others stop.
	changed := [][]string{}
	for i, row := range rows {
		r := append([]string(nil), row...)
		switch {
		case i < 10:
			r[6], r[7], r[8] = "2026-11-20", "99999", "9"
		case i >= 290:
			r[6] = "2025-01-01"
		default:
			continue
		}
		changed = append(changed, r)
	}
	unchanged := rows[100:110]
	file := append(append([][]string(nil), changed...), unchanged...)
	st = admin.importFile("客户", "更新.csv", csvOf(header, file), map[string]any{"columns": mapping(header), "mode": "upsert", "key": "客户名称"})
	if res := st["result"].(map[string]any); num(res["updated"]) == 0 || num(res["unchanged"]) != 10 {
		t.Fatalf("upsert: %v", st)
	}
	ref.oneByOne("客户", header, file, owners)
	got, want = admin.tiers(), ref.tiers()
	if fmt.Sprint(got) != fmt.Sprint(want) || got["高价值客户"] == high {
		t.Fatalf("客户等级 after the upsert %v, saved one by one %v (before: %d 高价值客户)", got, want, high)
	}
	todos := admin.settled(0)
	if ref := ref.settled(0); todos != ref || todos <= high {
		t.Fatalf("to-dos after the upsert: import %d, one by one %d (before %d)", todos, ref, high)
	}

	// A file with a bad row changes nothing: no grade, no to-do, no tier history.
	bad := [][]string{append([]string(nil), rows[20]...), append([]string(nil), rows[21]...)}
	bad[0][6], bad[0][7], bad[0][8] = "2026-11-20", "99999", "9"
	bad[1][6] = "不是日期"
	before := admin.all("客户", "")
	st = admin.importFile("客户", "坏.csv", csvOf(header, bad), map[string]any{"columns": mapping(header), "mode": "upsert", "key": "客户名称"})
	if st["state"] != "failed" {
		t.Fatalf("a file with a bad row: %v", st)
	}
	if after := admin.all("客户", ""); fmt.Sprint(after) != fmt.Sprint(before) || admin.settled(todos) != todos {
		t.Fatal("a rejected import changed customers or queued to-dos")
	}
}

// A 负责人 cell that names nobody, or a name two users share, is a clear error on its row.
func TestImportOwnerCellErrors(t *testing.T) {
	admin, _ := crmClient(t)
	admin.addMember("other@example.com", "销售A") // a second 销售A
	content := "客户名称,负责人\n甲公司,nobody@example.com\n乙公司,销售A\n丙公司,other@example.com\n"
	st := admin.importFile("客户", "owners.csv", content, map[string]any{"columns": []string{"客户名称", "负责人"}})
	problems, _ := st["problems"].([]any)
	if st["state"] != "failed" || len(problems) != 2 {
		t.Fatalf("import with unknown and ambiguous owners: %v", st)
	}
	p0, p1 := problems[0].(map[string]any), problems[1].(map[string]any)
	if num(p0["line"]) != 2 || !strings.Contains(str(p0["message"]), "nobody@example.com") ||
		num(p1["line"]) != 3 || !strings.Contains(str(p1["message"]), "邮箱") {
		t.Fatalf("problems %v", problems)
	}
}

// A rule that fails on one imported row stops the whole import: no customer, no grade, no
// to-do, no tier history is left behind, and the message names the rule.
func TestImportRollsBackWhenARuleFails(t *testing.T) {
	admin, _ := crmClient(t)
	rule := map[string]any{"name": "坏规则", "table": "客户", "enabled": true,
		"triggers": []map[string]any{{"on": "created"}},
		"when":     map[string]any{"field": "客户名称", "op": "eq", "value": "坏公司"},
		"actions":  []map[string]any{{"type": "set", "field": "历史消费金额", "formula": "=客户名称"}}}
	if r := admin.post("/api/rules", rule); r.Status != 200 && r.Status != 201 {
		t.Fatalf("rule: %d %s", r.Status, r.Raw)
	}
	content := "客户名称,最近消费日,购买频率,累计消费金额\n好公司,2026-11-20,9,99999\n坏公司,2026-11-20,9,99999\n"
	st := admin.importFile("客户", "c.csv", content, map[string]any{"columns": []string{"客户名称", "历史最近消费日", "历史购买次数", "历史消费金额"}})
	e, _ := st["error"].(map[string]any)
	msg := str(e["message"])
	if st["state"] != "failed" || !strings.Contains(msg, "坏规则") {
		t.Fatalf("import with a failing rule: %v", st)
	}
	if n, todos := len(admin.all("客户", "")), admin.settled(0); n != 0 || todos != 0 {
		t.Fatalf("after the failed import: %d customers, %d to-dos", n, todos)
	}
	// The same file without the bad row lands, graded, with its to-do.
	content = "客户名称,最近消费日,购买频率,累计消费金额\n好公司,2026-11-20,9,99999\n"
	admin.importFile("客户", "c.csv", content, map[string]any{"columns": []string{"客户名称", "历史最近消费日", "历史购买次数", "历史消费金额"}})
	if got := admin.tiers(); got["高价值客户"] != 1 || admin.settled(1) != 1 {
		t.Fatalf("after the good import: %v, %d to-dos", got, admin.settled(1))
	}
}
