package api_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// contacts creates 客户 and 联系人, whose 客户 is a 多条关联 to 客户; three customers, 甲 and 乙
// the admin's and 丙 the member 小王's. It returns 小王's client and id and the customers' ids.
func contacts(t *testing.T, admin *client) (wang *client, wangID float64, ids map[string]float64) {
	t.Helper()
	admin.createTable("客户", f("客户名称", "text"))
	admin.createTable("联系人", f("姓名", "text"), f("客户", "links", "linkTable", "客户"))
	wangID, wang = admin.addMember("wang@example.com", "小王")
	ids = map[string]float64{
		"甲": num(admin.create("客户", map[string]any{"客户名称": "甲公司"})["id"]),
		"乙": num(admin.create("客户", map[string]any{"客户名称": "乙公司"})["id"]),
		"丙": num(wang.create("客户", map[string]any{"客户名称": "丙公司"})["id"]),
	}
	return wang, wangID, ids
}

// ids reads a 多条关联 value of an answer.
func idsOf(v any) []float64 {
	var out []float64
	list, _ := v.([]any)
	for _, x := range list {
		out = append(out, num(x))
	}
	return out
}

// A contact links to several customers: written as a list of ids (kept sorted, without
// repeats), filtered by "contains" and "is one of", named through _titles, and the table's
// related lists show the contacts on a customer's page.
func TestManyLinksWriteFilterRelated(t *testing.T) {
	admin := setup(t)
	_, _, ids := contacts(t, admin)
	a, b, c := ids["甲"], ids["乙"], ids["丙"]
	both := admin.create("联系人", map[string]any{"姓名": "张三", "客户": []any{b, a, b}})
	if got := idsOf(both["客户"]); !slices.Equal(got, []float64{a, b}) {
		t.Fatalf("links %v, want [%v %v]", got, a, b)
	}
	admin.create("联系人", map[string]any{"姓名": "李四", "客户": []any{fmt.Sprint(c)}})
	admin.create("联系人", map[string]any{"姓名": "王五"})

	names := func(filter string) []string {
		t.Helper()
		var out []string
		for _, it := range items(admin.list("联系人", "filter", filter, "sort", "姓名").must(t, 200)) {
			out = append(out, str(it["姓名"]))
		}
		slices.Sort(out)
		return out
	}
	for filter, want := range map[string][]string{
		fmt.Sprintf(`{"field":"客户","op":"contains","value":%v}`, a):         {"张三"},
		fmt.Sprintf(`{"field":"客户","op":"contains","value":[%v,%v]}`, a, b): {"张三"},
		fmt.Sprintf(`{"field":"客户","op":"contains","value":[%v,%v]}`, a, c): nil,
		fmt.Sprintf(`{"field":"客户","op":"in","value":[%v,%v]}`, a, c):       {"张三", "李四"},
		fmt.Sprintf(`{"field":"客户","op":"notContains","value":%v}`, a):      {"李四", "王五"},
		fmt.Sprintf(`{"field":"客户","op":"nin","value":[%v]}`, c):            {"张三", "王五"},
		`{"field":"客户","op":"empty"}`:                                       {"王五"},
		`{"field":"客户","op":"notEmpty"}`:                                    {"张三", "李四"},
	} {
		if got := names(filter); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", filter, got, want)
		}
	}
	admin.list("联系人", "filter", `{"field":"客户","op":"eq","value":1}`).wantError(t, 400, "bad_operator")

	got := admin.get(recordPath("联系人", num(both["id"]))).must(t, 200)
	titles := got["_titles"].(map[string]any)["客户"].(map[string]any)
	if titles[formatNum(a)] != "甲公司" || titles[formatNum(b)] != "乙公司" {
		t.Fatalf("_titles %v", titles)
	}
	var related []string
	for _, r := range admin.get(tablePath("客户")).must(t, 200)["related"].([]any) {
		m := r.(map[string]any)
		related = append(related, fmt.Sprint(m["tableName"], ".", m["fieldName"], ".", m["multiple"]))
	}
	if !slices.Equal(related, []string{"联系人.客户.true"}) {
		t.Fatalf("related %v", related)
	}
}

// Deleting a customer takes it out of every contact's links; the last one gone leaves the
// field empty. Restoring the contact from the trash keeps only the links still there.
func TestManyLinksDeleteUnlinks(t *testing.T) {
	admin := setup(t)
	_, _, ids := contacts(t, admin)
	a, b := ids["甲"], ids["乙"]
	x := admin.create("联系人", map[string]any{"姓名": "张三", "客户": []any{a, b}})
	y := admin.create("联系人", map[string]any{"姓名": "李四", "客户": []any{a}})
	admin.del(recordPath("客户", a)).must(t, 200)
	if got := idsOf(admin.get(recordPath("联系人", num(x["id"]))).must(t, 200)["客户"]); !slices.Equal(got, []float64{b}) {
		t.Fatalf("after deleting 甲: %v, want [%v]", got, b)
	}
	if got := admin.get(recordPath("联系人", num(y["id"]))).must(t, 200)["客户"]; got != nil {
		t.Fatalf("the last link deleted leaves %v, want null", got)
	}
	n := admin.count("联系人")
	if got := num(admin.list("联系人", "filter", `{"field":"客户","op":"empty"}`).must(t, 200)["total"]); got != 1 || n != 2 {
		t.Fatalf("empty after delete: %v of %d", got, n)
	}
	admin.del(recordPath("联系人", num(x["id"]))).must(t, 200)
	admin.del(recordPath("客户", b)).must(t, 200)
	body := admin.post(fmt.Sprintf("/api/trash/%s/%v/restore", "联系人", num(x["id"])), nil).must(t, 200)
	if un := body["unlinked"].([]any); len(un) != 1 || un[0] != "客户" {
		t.Fatalf("restore %v", body)
	}
	if got := admin.get(recordPath("联系人", num(x["id"]))).must(t, 200)["客户"]; got != nil {
		t.Fatalf("restored links %v, want none", got)
	}
}

// A member sees the titles only of the customers they may read, keeps the links to the
// others when saving, and cannot add one; bad values are refused naming the field and value,
// in Chinese and English.
func TestManyLinksAccessAndBadValues(t *testing.T) {
	admin := setup(t)
	wang, wangID, ids := contacts(t, admin)
	a, c := ids["甲"], ids["丙"]
	rec := admin.create("联系人", map[string]any{"姓名": "张三", "客户": []any{a, c}, "负责人": wangID})
	path := recordPath("联系人", num(rec["id"]))
	got := wang.get(path).must(t, 200)
	titles := got["_titles"].(map[string]any)["客户"].(map[string]any)
	if _, leaked := titles[formatNum(a)]; leaked || titles[formatNum(c)] != "丙公司" {
		t.Fatalf("member's _titles %v: want only 丙公司", titles)
	}
	list := wang.list("联系人").must(t, 200)["_titles"].(map[string]any)["客户"].(map[string]any)
	if _, leaked := list[formatNum(a)]; leaked {
		t.Fatalf("list _titles %v", list)
	}
	// Saving what they were given keeps 甲, which they cannot read.
	wang.patch(path, map[string]any{"姓名": "张三丰", "客户": got["客户"]}).must(t, 200)
	theirs := num(admin.create("客户", map[string]any{"客户名称": "丁公司"})["id"])
	wang.patch(path, map[string]any{"客户": []any{a, c, theirs}}).wantDetail(t, "bad_link", "客户", 0, "")
	if got := idsOf(admin.get(path).must(t, 200)["客户"]); !slices.Equal(got, []float64{a, c}) {
		t.Fatalf("links after the refused change %v", got)
	}
	d := admin.post(recordsPath("联系人"), map[string]any{"客户": []any{"abc"}}).wantDetail(t, "bad_link", "客户", 0, "")
	if !strings.Contains(str(d["message"]), "abc") || !strings.Contains(str(d["message"]), "关联的记录") {
		t.Fatalf("zh message %q", d["message"])
	}
	admin.lang = "en"
	d = admin.post(recordsPath("联系人"), map[string]any{"客户": []any{999999}}).wantDetail(t, "bad_link", "客户", 0, "")
	if !strings.Contains(str(d["message"]), "999999") || !strings.Contains(str(d["message"]), "linked record") {
		t.Fatalf("en message %q", d["message"])
	}
	admin.post(recordsPath("联系人"), map[string]any{"客户": map[string]any{"x": 1}}).wantDetail(t, "bad_type", "客户", 0, "")
}

// A 多条关联 exports as the titles joined by 、 and imports from titles; a title no record
// has is refused naming it.
func TestManyLinksExportImport(t *testing.T) {
	admin := setup(t)
	_, _, ids := contacts(t, admin)
	admin.create("联系人", map[string]any{"姓名": "张三", "客户": []any{ids["甲"], ids["乙"]}})
	if raw := string(admin.exportFile("联系人", "format=csv")); !strings.Contains(raw, "甲公司、乙公司") {
		t.Fatalf("export %q", raw)
	}
	up := admin.upload(tablePath("联系人")+"/imports", "联系人.csv", "姓名,客户\n李四,乙公司、丙公司\n王五,\n").must(t, 201)
	admin.post("/api/imports/"+str(up["id"])+"/start", map[string]any{"table": "联系人", "columns": []string{"姓名", "客户"}}).must(t, 200)
	if st := admin.waitImport(str(up["id"])); st["state"] != "done" {
		t.Fatalf("import %v", st)
	}
	li := items(admin.list("联系人", "filter", `{"field":"姓名","op":"eq","value":"李四"}`).must(t, 200))
	if len(li) != 1 || !slices.Equal(idsOf(li[0]["客户"]), []float64{ids["乙"], ids["丙"]}) {
		t.Fatalf("imported %v", li)
	}
	up = admin.upload(tablePath("联系人")+"/imports", "坏.csv", "姓名,客户\n赵六,甲公司、不存在的公司\n").must(t, 201)
	admin.post("/api/imports/"+str(up["id"])+"/start", map[string]any{"table": "联系人", "columns": []string{"姓名", "客户"}}).must(t, 200)
	st := admin.waitImport(str(up["id"]))
	p := st["problems"].([]any)
	if st["state"] != "failed" || len(p) != 1 || !strings.Contains(fmt.Sprint(p[0]), "不存在的公司") {
		t.Fatalf("bad import %v", st)
	}
}

// A 部门 field holds a department: shown by name, filtered by equality, lists and the
// $myDepartments / $mySubDepartments of the reader, imported by name or path and exported by
// name; an unknown department is refused naming the field and the value.
func TestDepartmentField(t *testing.T) {
	admin := setup(t)
	wangID, wang := admin.addMember("wang@example.com", "小王")
	dept := func(name string, parent any) float64 {
		return num(admin.post("/api/departments", map[string]any{"name": name, "parentId": parent}).must(t, 201)["id"])
	}
	hq := dept("总部", nil)
	sales := dept("销售部", hq)
	east := dept("华东组", sales)
	market := dept("市场部", hq)
	dept("华东组", market) // a second 华东组: the name alone is ambiguous
	admin.patch(fmt.Sprint("/api/users/", wangID), map[string]any{"departments": []float64{sales}}).must(t, 200)
	admin.createTable("商机", f("商机名称", "text"), f("所属部门", "department"))
	for name, d := range map[string]float64{"甲": sales, "乙": east, "丙": market} {
		admin.create("商机", map[string]any{"商机名称": name, "所属部门": d, "负责人": wangID})
	}
	admin.create("商机", map[string]any{"商机名称": "丁", "负责人": wangID})

	names := func(c *client, filter string) []string {
		t.Helper()
		var out []string
		for _, it := range items(c.list("商机", "filter", filter).must(t, 200)) {
			out = append(out, str(it["商机名称"]))
		}
		slices.Sort(out)
		return out
	}
	for filter, want := range map[string][]string{
		fmt.Sprintf(`{"field":"所属部门","op":"eq","value":%v}`, sales):             {"甲"},
		fmt.Sprintf(`{"field":"所属部门","op":"in","value":[%v,%v]}`, east, market): {"丙", "乙"},
		fmt.Sprintf(`{"field":"所属部门","op":"ne","value":%v}`, sales):             {"丁", "丙", "乙"},
		`{"field":"所属部门","op":"eq","value":"$myDepartments"}`:                   {"甲"},
		`{"field":"所属部门","op":"eq","value":"$mySubDepartments"}`:                {"乙", "甲"},
		`{"field":"所属部门","op":"empty"}`:                                         {"丁"},
	} {
		if got := names(wang, filter); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", filter, got, want)
		}
	}
	body := wang.list("商机", "filter", `{"field":"商机名称","op":"eq","value":"乙"}`).must(t, 200)
	if len(items(body)) != 1 || body["_titles"].(map[string]any)["所属部门"].(map[string]any)[formatNum(east)] != "华东组" {
		t.Fatalf("department named %v", body)
	}
	d := admin.post(recordsPath("商机"), map[string]any{"所属部门": 999999}).wantDetail(t, "bad_department", "所属部门", 0, "")
	if !strings.Contains(str(d["message"]), "999999") {
		t.Fatalf("message %q", d["message"])
	}
	admin.lang = "en"
	d = admin.post(recordsPath("商机"), map[string]any{"所属部门": "销售部"}).wantDetail(t, "bad_department", "所属部门", 0, "")
	if !strings.Contains(str(d["message"]), "department \"销售部\"") {
		t.Fatalf("en message %q", d["message"])
	}
	admin.lang = ""

	chart := map[string]any{"title": "各部门商机", "type": "bar", "table": "商机",
		"dimensions": []any{map[string]any{"field": "所属部门"}}, "measures": []any{map[string]any{"agg": "count", "name": "商机数"}}}
	res := admin.post("/api/charts/preview", map[string]any{"chart": chart}).must(t, 200)
	if keys, named := res["departmentKeys"].([]any), res["departmentNames"].(map[string]any); len(keys) != 1 ||
		named[formatNum(sales)] != "销售部" || named[formatNum(east)] != "华东组" || len(res["rows"].([]any)) != 4 {
		t.Fatalf("chart by department %v", res)
	}
	if raw := string(admin.exportFile("商机", "format=csv")); !strings.Contains(raw, "甲,销售部") || !strings.Contains(raw, "乙,华东组") {
		t.Fatalf("export %q", raw)
	}
	up := admin.upload(tablePath("商机")+"/imports", "商机.csv", "商机名称,所属部门\n戊,总部/市场部/华东组\n己,市场部\n").must(t, 201)
	admin.post("/api/imports/"+str(up["id"])+"/start", map[string]any{"table": "商机", "columns": []string{"商机名称", "所属部门"}}).must(t, 200)
	if st := admin.waitImport(str(up["id"])); st["state"] != "done" {
		t.Fatalf("import %v", st)
	}
	if got := names(admin, fmt.Sprintf(`{"field":"所属部门","op":"eq","value":%v}`, market)); !slices.Equal(got, []string{"丙", "己"}) {
		t.Fatalf("imported by name: %v", got)
	}
	up = admin.upload(tablePath("商机")+"/imports", "坏.csv", "商机名称,所属部门\n庚,华东组\n辛,研发部\n").must(t, 201)
	admin.post("/api/imports/"+str(up["id"])+"/start", map[string]any{"table": "商机", "columns": []string{"商机名称", "所属部门"}}).must(t, 200)
	st := admin.waitImport(str(up["id"]))
	p := fmt.Sprint(st["problems"])
	if st["state"] != "failed" || !strings.Contains(p, "有多个部门叫「华东组」") || !strings.Contains(p, "研发部") {
		t.Fatalf("bad import %v", st)
	}
}
