package api_test

import (
	"fmt"
	"os"
	"slices"
	"testing"
)

// deptNames lists the department tree as name<parentName.
func deptNames(c *client) []string {
	c.t.Helper()
	body := c.get("/api/departments").must(c.t, 200)
	byID := map[float64]string{0: ""}
	var out []string
	for _, d := range body["departments"].([]any) {
		m := d.(map[string]any)
		byID[num(m["id"])] = str(m["name"])
		out = append(out, fmt.Sprintf("%s<%s", m["name"], byID[num(m["parentId"])]))
	}
	return out
}

func TestDepartmentsAndRoles(t *testing.T) {
	c := setup(t)
	memberID, member := c.addMember("wang@example.com", "王")
	sales := c.post("/api/departments", map[string]any{"name": "销售部"}).must(t, 201)
	east := c.post("/api/departments", map[string]any{"name": "华东区", "parentId": sales["id"], "heads": []float64{memberID}}).must(t, 201)
	if got := east["heads"].([]any); len(got) != 1 || num(got[0]) != memberID {
		t.Fatalf("heads %v", got)
	}
	c.post("/api/departments", map[string]any{"name": "华东区", "parentId": sales["id"]}).wantError(t, 409, "dept_name_taken")
	c.patch(fmt.Sprint("/api/departments/", sales["id"]), map[string]any{"parentId": east["id"]}).wantError(t, 400, "dept_cycle")
	c.del(fmt.Sprint("/api/departments/", sales["id"])).wantError(t, 409, "dept_has_children")
	if got := deptNames(c); !slices.Equal(got, []string{"销售部<", "华东区<销售部"}) {
		t.Fatalf("tree %v", got)
	}
	// Members read the tree by name, without heads or counts, and may not change it.
	body := member.get("/api/departments").must(t, 200)
	if d := body["departments"].([]any)[1].(map[string]any); d["heads"] != nil || d["people"] != nil || d["name"] != "华东区" {
		t.Fatalf("a member sees %v", d)
	}
	member.post("/api/departments", map[string]any{"name": "我的部门"}).wantError(t, 403, "not_allowed")
	member.patch(fmt.Sprint("/api/departments/", east["id"]), map[string]any{"name": "x"}).wantError(t, 403, "not_allowed")
	member.del(fmt.Sprint("/api/departments/", east["id"])).wantError(t, 403, "not_allowed")

	c.createTable("客户", f("客户名称", "text"), f("联系电话", "phone"))
	role := c.post("/api/roles", map[string]any{"name": "销售", "tables": map[string]any{"客户": map[string]any{
		"actions": []string{"view", "add", "edit"}, "read": map[string]any{"kind": "own"}, "change": map[string]any{"kind": "own"},
		"fields": map[string]any{"联系电话": "hidden"}}}}).must(t, 201)
	e := c.post("/api/roles", map[string]any{"name": "坏", "tables": map[string]any{"客户": map[string]any{
		"actions": []string{"view"}, "fields": map[string]any{"地址": "hidden"}}}}).wantError(t, 400, "unknown_field")
	if e["message"] != "tables.客户.fields.地址：表「客户」没有字段「地址」" {
		t.Fatalf("message %q", e["message"])
	}
	// Members may not make, change or delete roles, nor raise their own: the built-in 成员
	// stays as it is.
	member.post("/api/roles", map[string]any{"name": "我的角色", "all": true}).wantError(t, 403, "not_allowed")
	member.call("PUT", "/api/roles/member", map[string]any{"name": "成员", "all": true}).wantError(t, 403, "not_allowed")
	member.del(fmt.Sprint("/api/roles/", role["id"])).wantError(t, 403, "not_allowed")
	roles := member.get("/api/roles").must(t, 200)["roles"].([]any)
	if len(roles) != 3 || roles[2].(map[string]any)["tables"] != nil {
		t.Fatalf("a member sees the roles as %v", roles)
	}
	roles = c.get("/api/roles").must(t, 200)["roles"].([]any)
	if m := roles[1].(map[string]any); m["id"] != "member" || num(m["people"]) != 1 || m["all"] != nil {
		t.Fatalf("成员 as the admin sees it: %v", m)
	}
	c.call("PUT", fmt.Sprint("/api/roles/", role["id"]), map[string]any{"name": "销售代表", "tables": map[string]any{}}).must(t, 200)
	c.del("/api/roles/admin").wantError(t, 409, "role_builtin")
	c.del(fmt.Sprint("/api/roles/", role["id"])).must(t, 200)
	var n int
	for _, r := range c.get("/api/roles").must(t, 200)["roles"].([]any) {
		if r.(map[string]any)["name"] == "销售代表" {
			n++
		}
	}
	if n != 0 {
		t.Fatal("the deleted role is still listed")
	}
}

func TestImportOrganisation(t *testing.T) {
	c := setup(t)
	for _, name := range []string{"销售经理", "销售"} {
		c.post("/api/roles", map[string]any{"name": name}).must(t, 201)
	}
	// A bad row refuses the whole file, naming row and column.
	bad := "部门,姓名,邮箱,主管,角色\n销售部/华东区,周强,zhouqiang@example.com,是,销售\n客服部,钱多,qianduo@example.com,否,客服\n"
	e := c.upload("/api/org/import", "org.csv", bad).wantError(t, 400, "org_import_role")
	if e["message"] != "第 3 行，字段「角色」：没有角色「客服」，请先在角色页面创建，或改为已有的角色（多个用、分隔）" {
		t.Fatalf("message %q", e["message"])
	}
	c.upload("/api/org/import", "org.csv", "姓名,邮箱\n周强,zhouqiang@example.com\n").wantError(t, 400, "org_import_column")
	if got := deptNames(c); len(got) != 0 {
		t.Fatalf("a refused file left departments %v", got)
	}
	if users := c.get("/api/users").must(t, 200)["items"].([]any); len(users) != 1 {
		t.Fatalf("a refused file left people: %v", users)
	}
	_, member := c.addMember("wang@example.com", "王")
	member.upload("/api/org/import", "org.csv", bad).wantError(t, 403, "not_allowed")

	xlsx, err := os.ReadFile("testdata/org.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	sum := c.upload("/api/org/import", "组织架构.xlsx", string(xlsx)).must(t, 200)
	if num(sum["departments"]) != 4 || num(sum["people"]) != 4 || num(sum["rows"]) != 5 {
		t.Fatalf("import summary %v", sum)
	}
	if got := deptNames(c); !slices.Equal(got, []string{"销售部<", "华东区<销售部", "华南区<销售部", "财务部<"}) {
		t.Fatalf("tree %v", got)
	}
	heads := map[string]int{}
	for _, d := range c.get("/api/departments").must(t, 200)["departments"].([]any) {
		m := d.(map[string]any)
		heads[str(m["name"])] = len(m["heads"].([]any))
	}
	if heads["华东区"] != 1 || heads["华南区"] != 1 || heads["财务部"] != 1 || heads["销售部"] != 0 {
		t.Fatalf("heads per department %v", heads)
	}
	// Importing the same file again adds nothing.
	sum = c.upload("/api/org/import", "组织架构.xlsx", string(xlsx)).must(t, 200)
	if num(sum["departments"]) != 0 || num(sum["people"]) != 0 {
		t.Fatalf("second import %v", sum)
	}
}
