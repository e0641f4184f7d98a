package api_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/users"
)

// The permission matrix: for every route of the OpenAPI document that reads or writes
// records or aggregates, and every data scope × permission on one field, 小王 sees and
// changes exactly what the rules allow. Routes come from the document, so a new route that
// no checker or exemption names fails the test.
//
// The table 客户 has one record per person, named 客户-王 … 客户-钱, with the phone
// MARKER-王 … (the field whose permission varies) and 地区 华东, 华南, 华北, 华东. 小王's
// department holds 小李; 小赵 is in the department below; 小钱 is elsewhere.

// people are the owners of the records, 小王 first.
var people = []string{"王", "李", "赵", "钱"}

var regions = map[string]string{"王": "华东", "李": "华南", "赵": "华北", "钱": "华东"}

// matrix is the world the checks run in.
type matrix struct {
	t           *testing.T
	admin, wang *client
	ids         map[string]float64 // person → user id
	recs        map[string]float64 // person → id of their record
	chart       string             // a saved chart: count by 客户名称
	role        *access.Role       // 小王's role under test
	grants      func() *access.Grants
}

// combo is one cell of the matrix.
type combo struct {
	scope string
	read  []string // whose records 小王 may read and change
	field access.FieldAccess
}

func (c combo) String() string { return c.scope + "/" + string(c.field) }

func (c combo) reads(p string) bool { return slices.Contains(c.read, p) }

// routeChecks names, per route of the document, the check that covers it; several routes of
// one flow share a check.
var routeChecks = map[string]func(m *matrix, c combo){
	"GET /api/tables/{table}/records":                            checkList,
	"GET /api/tables/{table}/records/{id}":                       checkGet,
	"GET /api/tables/{table}/records/{id}/history":               checkGet,
	"GET /api/tables/{table}/records/{id}/tier-history":          checkGet,
	"GET /api/tables/{table}/records/{id}/events":                checkGet,
	"POST /api/events":                                           checkEvents,
	"GET /api/tables/{table}/records/{id}/comments":              checkGet,
	"POST /api/tables/{table}/records/{id}/comments":             checkComments,
	"DELETE /api/tables/{table}/records/{id}/comments/{comment}": checkComments,
	"POST /api/tables/{table}/records":                           checkCreate,
	"POST /api/tables/{table}/records/batch":                     checkBatch,
	"PATCH /api/tables/{table}/records/{id}":                     checkUpdate,
	"DELETE /api/tables/{table}/records/{id}":                    checkDelete,
	"GET /api/tables/{table}/export":                             checkExport,
	"POST /api/tables/{table}/imports":                           checkImport,
	"POST /api/imports":                                          checkImport,
	"GET /api/imports/{id}":                                      checkImport,
	"POST /api/imports/{id}/start":                               checkImport,
	"GET /api/imports/{id}/report":                               checkImport,
	"POST /api/charts/preview":                                   checkCharts,
	"GET /api/charts/{id}/data":                                  checkCharts,
	"GET /api/charts/{id}/export.xlsx":                           checkCharts,
	"GET /api/tables/{table}/tier-migrations":                    checkCharts,
	"POST /api/schemes/preview":                                  checkPreviews,
	"POST /api/rules/preview":                                    checkPreviews,
	"GET /api/workbench":                                         checkRecent,
	"POST /api/recent":                                           checkRecent,
	"GET /api/tables/{table}/openapi.json":                       checkDocument,
	"POST /api/tables/{table}/conditions/describe":               checkDocument,
	"GET /api/tables/{table}":                                    checkDocument,
	"POST /api/schemes":                                          checkManage,
	"PUT /api/schemes/{id}":                                      checkManage,
	"DELETE /api/schemes/{id}":                                   checkManage,
	"POST /api/schemes/{id}/run":                                 checkManage,
	"POST /api/rules":                                            checkManage,
	"PUT /api/rules/{id}":                                        checkManage,
	"DELETE /api/rules/{id}":                                     checkManage,
	"POST /api/rules/{id}/run":                                   checkManage,
	"POST /api/rfm":                                              checkManage,
	"DELETE /api/rfm/{table}":                                    checkManage,
	"PATCH /api/tables/{table}":                                  checkManage,
	"POST /api/tables/{table}/fields":                            checkManage,
	"POST /api/tables/{table}/fields/batch":                      checkManage,
	"PATCH /api/tables/{table}/fields/{field}":                   checkManage,
	"DELETE /api/tables/{table}/fields/{field}":                  checkManage,
	"POST /api/tables/{table}/records/bulk":                      checkBulk,
	"GET /api/tables/{table}/board":                              checkBoard,
	"GET /api/tables/{table}/groups":                             checkBoard,
	"GET /api/tables/{table}/calendar":                           checkCalendar,
}

// noRecords are the routes that neither read nor write records nor aggregate them, and why.
var noRecords = map[string]string{
	"GET /api/health": "status", "GET /api/openapi.json": "the API's description",
	"GET /api/setup": "setup", "POST /api/setup": "setup", "POST /api/auth/login": "sign-in", "POST /api/auth/logout": "sign-out",
	"GET /api/auth/me": "oneself (checked: the role stays)", "GET /api/users": "the directory",
	"POST /api/users": "admins only (checked: no one raises their rights)", "GET /api/field-types": "constants", "GET /api/divisions": "constants",
	"GET /api/apps": "table names (checked with view)", "POST /api/apps": "ManageSchema", "POST /api/templates/crm": "ManageSchema",
	"GET /api/tables": "table names (checked with view)", "POST /api/tables": "ManageSchema", "DELETE /api/tables/{table}": "ManageSchema",
	"GET /api/schemes": "definitions", "GET /api/schemes/{id}": "definitions", "GET /api/rfm": "definitions",
	"GET /api/rules": "definitions", "GET /api/rules/{id}": "definitions", "GET /api/rules/functions": "constants",
	"GET /api/notifications": "one's own inbox", "POST /api/notifications/read": "one's own inbox",
	"GET /api/notifications/stream": "one's own unread count",
	"GET /api/dashboards":           "definitions", "POST /api/dashboards": "ManageSchema", "GET /api/dashboards/{id}": "definitions",
	"PUT /api/dashboards/{id}": "ManageSchema", "DELETE /api/dashboards/{id}": "ManageSchema",
	"POST /api/charts": "ManageSchema", "GET /api/charts/{id}": "definitions", "PUT /api/charts/{id}": "ManageSchema",
	"DELETE /api/charts/{id}": "ManageSchema",
	// people: admins only (checked in people_test.go), or oneself
	"PATCH /api/auth/me": "one's own name", "POST /api/auth/password": "one's own password",
	"GET /api/invites/{token}": "the token is the credential", "POST /api/invites/{token}": "the token is the credential",
	"PATCH /api/users/{id}": "ManageUsers", "POST /api/users/{id}/disable": "ManageUsers", "POST /api/users/{id}/enable": "ManageUsers",
	"POST /api/users/{id}/invite": "ManageUsers", "POST /api/users/{id}/reset-password": "ManageUsers",
	// deleted records and whole-database copies: admins only (SeeDeleted, Backup; checked in trash_test.go)
	"GET /api/trash": "SeeDeleted", "POST /api/trash/{table}/{id}/restore": "SeeDeleted", "DELETE /api/trash/{table}/{id}": "SeeDeleted",
	"GET /api/departments": "department names", "GET /api/roles": "role names (whole for admins)",
	"POST /api/departments": "ManageUsers", "PATCH /api/departments/{id}": "ManageUsers", "DELETE /api/departments/{id}": "ManageUsers",
	"POST /api/roles": "ManageUsers", "PUT /api/roles/{id}": "ManageUsers", "DELETE /api/roles/{id}": "ManageUsers",
	"POST /api/org/import": "ManageUsers",
	"GET /api/audit":       "ManageUsers", "GET /api/audit/export": "ManageUsers",
	"GET /api/backups": "Backup", "POST /api/backups": "Backup", "GET /api/backups/{name}": "Backup",
	// files: an upload takes adding or editing and the field; a file is served through the
	// record as the actor reads it (checked in files_test.go)
	"POST /api/tables/{table}/fields/{field}/files": "adding or editing, and the field", "GET /api/tables/{table}/records/{id}/files/{field}/{hash}": "the record as the actor reads it",
	// group robots: names for everyone, addresses never (checked in robots_test.go)
	"GET /api/robots": "robot names", "POST /api/robots": "ManageSchema", "PUT /api/robots/{id}": "ManageSchema",
	"DELETE /api/robots/{id}": "ManageSchema", "POST /api/robots/{id}/test": "ManageSchema", "GET /api/robots/{id}/deliveries": "ManageSchema",
	// API tokens: one's own, made with a session (a token's records are checked in tokens_test.go)
	"GET /api/tokens": "one's own tokens", "POST /api/tokens": "one's own tokens", "DELETE /api/tokens/{id}": "one's own tokens",
	// public forms: ManageSchema and adding to the table; the public routes answer the form's
	// own definition and take submissions, never a record (checked in forms_test.go)
	"GET /api/forms": "ManageSchema", "POST /api/forms": "ManageSchema", "GET /api/forms/{id}": "ManageSchema",
	"PUT /api/forms/{id}": "ManageSchema", "DELETE /api/forms/{id}": "ManageSchema", "GET /api/forms/{id}/qr.png": "ManageSchema",
	"GET /api/public/forms/{token}": "the token is the credential", "GET /api/public/forms/{token}/captcha": "the token is the credential",
	"POST /api/public/forms/{token}": "the token is the credential",
	// webhooks: ManageSchema and viewing the table (checked in webhooks_test.go)
	"GET /api/webhooks": "ManageSchema", "POST /api/webhooks": "ManageSchema", "GET /api/webhooks/{id}": "ManageSchema",
	"PUT /api/webhooks/{id}": "ManageSchema", "DELETE /api/webhooks/{id}": "ManageSchema", "GET /api/webhooks/{id}/deliveries": "ManageSchema",
	"POST /api/webhooks/{id}/replay": "ManageSchema", "POST /api/webhooks/{id}/test": "ManageSchema",
	// flows: definitions (ManageTableRules to change), a start reads the record as the actor, an instance
	// is its initiator's, its approvers' or the record's readers' (checked in engines/flows and flows_test.go)
	"GET /api/flows": "definitions", "GET /api/flows/{id}": "definitions", "POST /api/flows": "ManageTableRules",
	"PUT /api/flows/{id}": "ManageTableRules", "POST /api/flows/{id}/publish": "ManageTableRules",
	"POST /api/flows/{id}/start": "the record as the actor reads it", "GET /api/instances/{id}": "initiator, approvers, readers of the record",
	"GET /api/instances":                "readers of the record",
	"POST /api/instances/{id}/withdraw": "the initiator", "POST /api/instances/{id}/urge": "the initiator", "POST /api/instances/{id}/comments": "initiator, approvers, readers of the record",
	"GET /api/tasks": "one's own tasks", "POST /api/tasks/{id}/{action}": "one's own tasks",
	// saved views: definitions, shared ones or one's own; sharing takes ManageFields (checked in views_test.go);
	// their records are listed through the routes above
	"GET /api/tables/{table}/views": "definitions", "POST /api/tables/{table}/views": "definitions",
	"GET /api/tables/{table}/views/{id}": "definitions", "PUT /api/tables/{table}/views/{id}": "definitions",
	"DELETE /api/tables/{table}/views/{id}": "definitions",
}

func TestPermissionMatrix(t *testing.T) {
	m := newMatrix(t)
	// Every route of the document is classified.
	doc := m.admin.get("/api/openapi.json").must(t, 200)
	var checks []func(*matrix, combo)
	for p, ops := range doc["paths"].(map[string]any) {
		for method := range ops.(map[string]any) {
			route := strings.ToUpper(method) + " " + p
			check, ok := routeChecks[route]
			if _, exempt := noRecords[route]; !ok && !exempt {
				t.Errorf("route %s is not classified: add it to routeChecks or noRecords", route)
			}
			if ok && !slices.ContainsFunc(checks, func(c func(*matrix, combo)) bool {
				return reflect.ValueOf(c).Pointer() == reflect.ValueOf(check).Pointer()
			}) {
				checks = append(checks, check)
			}
		}
	}
	east := access.DataScope{Kind: access.ScopeCustom, Cond: &cond.Node{Field: "地区", Op: "eq", Value: "华东"}}
	scopes := []struct {
		name  string
		scope access.DataScope
		read  []string
	}{
		{"全部", access.DataScope{Kind: access.ScopeAll}, people},
		{"本部门及下级", access.DataScope{Kind: access.ScopeSubDepartments}, []string{"王", "李", "赵"}},
		{"本部门", access.DataScope{Kind: access.ScopeDepartment}, []string{"王", "李"}},
		{"仅本人", access.DataScope{Kind: access.ScopeOwn}, []string{"王"}},
		{"自定义", east, []string{"王", "钱"}},
	}
	phone := m.fieldID("电话")
	for _, sc := range scopes {
		for _, fa := range []access.FieldAccess{access.FieldHidden, access.FieldRead, access.FieldEdit} {
			c := combo{scope: sc.name, read: sc.read, field: fa}
			m.role = &access.Role{ID: "r", Default: &access.TablePerm{Actions: access.TableActions, Read: sc.scope, Change: sc.scope,
				Fields: map[string]access.FieldAccess{phone: fa}}}
			for _, check := range checks {
				check(m, c)
			}
			m.cleanUp()
		}
	}
	// No route let 小王 raise his rights.
	if me := m.wang.get("/api/auth/me").must(t, 200); me["role"] != "member" {
		t.Errorf("小王 is now %v", me["role"])
	}
	m.wang.post("/api/users", map[string]any{"email": "x@example.com", "password": "long-enough-1", "name": "x", "role": "admin"}).wantError(t, 403, "not_allowed")
}

// With the view action only, every write, import, export and rule route is refused, and a
// table without view is out of sight: 403 on its routes, absent from the lists.
func TestMatrixActions(t *testing.T) {
	m := newMatrix(t)
	all := access.DataScope{Kind: access.ScopeAll}
	m.role = &access.Role{ID: "v", Default: &access.TablePerm{Actions: []access.TableAction{access.View}, Read: all, Change: all}}
	w := m.wang
	w.post(recordsPath("客户"), map[string]any{"客户名称": "新"}).wantError(t, 403, "not_allowed_on")
	w.patch(recordPath("客户", m.recs["王"]), map[string]any{"累计消费金额": 1}).wantError(t, 403, "not_allowed_on")
	w.del(recordPath("客户", m.recs["王"])).wantError(t, 403, "not_allowed_on")
	w.get(tablePath("客户")+"/export?format=csv").wantError(t, 403, "not_allowed_on")
	w.upload(tablePath("客户")+"/imports", "x.csv", "客户编号\nK-王\n").wantError(t, 403, "not_allowed")
	w.post("/api/schemes/preview", gradeScheme()).wantError(t, 403, "not_allowed_on")
	w.post("/api/rules/preview", gradeRule()).wantError(t, 403, "not_allowed_on")
	w.post(tablePath("客户")+"/fields", f("新字段", "text")).wantError(t, 403, "not_allowed_on")
	w.post(tablePath("客户")+"/fields/batch", map[string]any{"fields": []any{f("新字段", "text")}}).wantError(t, 403, "not_allowed_on")
	if n := w.count("客户"); n != 4 {
		t.Errorf("小王 reads %d records with view", n)
	}
	// Bulk edit is its own action.
	m.role.Default.Actions = []access.TableAction{access.View, access.Edit}
	both := []map[string]any{{"id": m.recs["王"], "累计消费金额": 2}, {"id": m.recs["李"], "累计消费金额": 2}}
	w.post(recordsPath("客户")+"/batch", map[string]any{"items": both}).wantError(t, 403, "not_allowed_on")
	m.role.Default.Actions = append(m.role.Default.Actions, access.BulkEdit)
	w.post(recordsPath("客户")+"/batch", map[string]any{"items": both}).must(t, 200)

	// Without view: the table is gone for him.
	m.role.Default.Actions = []access.TableAction{access.Add, access.Edit}
	if raw := w.get("/api/tables").Raw; strings.Contains(raw, "客户") {
		t.Errorf("a table without view is listed: %s", raw)
	}
	if raw := w.get("/api/apps").Raw; strings.Contains(raw, "客户") {
		t.Errorf("a table without view is listed in its app: %s", raw)
	}
	w.list("客户").wantError(t, 403, "not_allowed_on")
	w.get(recordPath("客户", m.recs["王"])).wantError(t, 403, "not_allowed_on")
	chart := map[string]any{"title": "x", "type": "bar", "table": "客户", "dimensions": []any{map[string]any{"field": "客户名称"}}, "measures": []any{map[string]any{"agg": "count"}}}
	w.post("/api/charts/preview", map[string]any{"chart": chart}).wantError(t, 403, "not_allowed_on")
	w.get("/api/charts/"+m.chart+"/data").wantError(t, 403, "not_allowed_on")
	perms := w.get("/api/auth/me").must(t, 200)["permissions"].(map[string]any)
	tp := perms["tables"].(map[string]any)[m.tableID()].(map[string]any)
	if acts := fmt.Sprint(tp["actions"]); acts != "[add edit]" || len(perms["global"].([]any)) != 0 {
		t.Errorf("permissions %v", perms)
	}
}

// Role A reads the 华东 records with the phone, role B reads 小王's department without it:
// the phone shows on the 华东 records only — never B's rows with A's column.
func TestMatrixTwoRoles(t *testing.T) {
	m := newMatrix(t)
	phone := m.fieldID("电话")
	east := access.DataScope{Kind: access.ScopeCustom, Cond: &cond.Node{Field: "地区", Op: "eq", Value: "华东"}}
	dept := access.DataScope{Kind: access.ScopeDepartment}
	a := &access.Role{ID: "a", Default: &access.TablePerm{Actions: []access.TableAction{access.View, access.ExportRows}, Read: east, Change: east,
		Fields: map[string]access.FieldAccess{phone: access.FieldRead}}}
	b := &access.Role{ID: "b", Default: &access.TablePerm{Actions: []access.TableAction{access.View, access.ExportRows}, Read: dept, Change: dept,
		Fields: map[string]access.FieldAccess{phone: access.FieldHidden}}}
	m.grants = func() *access.Grants { return m.wangGrants(a, b) }
	page := m.wang.list("客户", "sort", "id").must(t, 200)
	shown := map[string]bool{}
	for _, r := range items(page) {
		_, has := r["电话"]
		shown[strings.TrimPrefix(str(r["客户名称"]), "客户-")] = has
	}
	if want := map[string]bool{"王": true, "李": false, "钱": true}; fmt.Sprint(shown) != fmt.Sprint(want) {
		t.Errorf("the phone shows on %v, want %v", shown, want)
	}
	if raw := m.wang.get(recordPath("客户", m.recs["李"])).Raw; strings.Contains(raw, "MARKER") {
		t.Errorf("get shows 小李's phone: %s", raw)
	}
	m.wang.list("客户", "filter", `{"field":"电话","op":"contains","value":"MARKER"}`).wantError(t, 403, "field_hidden")
	m.wang.list("客户", "sort", "电话").wantError(t, 403, "field_hidden")
	if raw := m.wang.get(tablePath("客户") + "/export?format=csv").Raw; strings.Contains(raw, "MARKER-李") {
		t.Errorf("export shows 小李's phone: %s", raw)
	}
}

func newMatrix(t *testing.T) *matrix {
	m := &matrix{t: t, admin: setup(t), ids: map[string]float64{}, recs: map[string]float64{}}
	m.admin.createTable("客户", f("客户编号", "text", "unique", true), f("客户名称", "text", "required", true), f("电话", "text"), f("地区", "text"),
		f("累计消费金额", "money"), f("客户等级", "select", "options", options("A", "B")))
	for _, p := range people {
		id, c := m.admin.addMember(p+"@example.com", "小"+p)
		m.ids[p] = id
		if p == "王" {
			m.wang = c
		}
	}
	for _, p := range people {
		rec := m.admin.create("客户", map[string]any{"客户编号": "K-" + p, "客户名称": "客户-" + p, "电话": "MARKER-" + p,
			"地区": regions[p], "累计消费金额": 100, "负责人": m.ids[p]})
		m.recs[p] = num(rec["id"])
	}
	d := m.admin.post("/api/dashboards", map[string]any{"name": "看板"}).must(t, 201)
	m.chart = str(m.admin.post("/api/charts", map[string]any{"dashboard": d["id"], "title": "客户数", "type": "bar", "table": "客户",
		"dimensions": []any{map[string]any{"field": "客户名称"}}, "measures": []any{map[string]any{"agg": "count"}}}).must(t, 201)["id"])
	m.grants = func() *access.Grants { return m.wangGrants(m.role) }
	wangID := int64(m.ids["王"])
	m.admin.server().Users.Grants = func(u users.User) *access.Grants {
		if u.ID == wangID {
			return m.grants()
		}
		return nil
	}
	return m
}

// wangGrants are 小王's roles and departments: his holds 小李, the one below it 小赵.
func (m *matrix) wangGrants(roles ...*access.Role) *access.Grants {
	w, l, z := int64(m.ids["王"]), int64(m.ids["李"]), int64(m.ids["赵"])
	return &access.Grants{Roles: roles, Departments: []int64{1}, DepartmentUsers: []int64{w, l}, SubDepartmentUsers: []int64{w, l, z}}
}

func (m *matrix) tableID() string { return str(m.admin.get(tablePath("客户")).must(m.t, 200)["id"]) }

func (m *matrix) fieldID(name string) string {
	return str(field(m.t, m.admin.get(tablePath("客户")).must(m.t, 200), name)["id"])
}

// cleanUp removes the records a check added and puts the amounts back.
func (m *matrix) cleanUp() {
	for _, r := range items(m.admin.list("客户", "limit", "1000").must(m.t, 200)) {
		if !strings.HasPrefix(str(r["客户名称"]), "客户-") {
			m.admin.del(recordPath("客户", num(r["id"]))).must(m.t, 200)
		}
	}
}

// seen returns whose records' names an answer shows.
func seen(raw string) []string {
	var out []string
	for _, p := range people {
		if strings.Contains(raw, "客户-"+p) {
			out = append(out, p)
		}
	}
	return out
}

// sees checks that an answer shows exactly the records of want (or, with subset, no others),
// and no phone the combination hides or that belongs to a record outside the scope.
func (m *matrix) sees(c combo, what string, r reply, subset bool) {
	m.t.Helper()
	got := seen(r.Raw)
	if subset && slices.ContainsFunc(got, func(p string) bool { return !c.reads(p) }) || !subset && !slices.Equal(got, c.read) {
		m.t.Errorf("%s: %s shows the records of %v, want %v", c, what, got, c.read)
	}
	for _, p := range people {
		if strings.Contains(r.Raw, "MARKER-"+p) && (c.field == access.FieldHidden || !c.reads(p)) {
			m.t.Errorf("%s: %s shows the phone of %s", c, what, p)
		}
	}
}

// status checks an answer's status.
func (m *matrix) status(c combo, what string, r reply, want int) {
	m.t.Helper()
	if r.Status != want {
		m.t.Errorf("%s: %s answered %d, want %d: %.300s", c, what, r.Status, want, r.Raw)
	}
}

// hiddenOr checks an answer is 403 field_hidden when the field is hidden, else ok.
func (m *matrix) hiddenOr(c combo, what string, r reply, ok int) {
	m.t.Helper()
	if c.field == access.FieldHidden {
		m.status(c, what, r, 403)
		if e, _ := r.Body["error"].(map[string]any); e == nil || e["code"] != "field_hidden" {
			m.t.Errorf("%s: %s: %.300s", c, what, r.Raw)
		}
		return
	}
	m.status(c, what, r, ok)
}

func checkList(m *matrix, c combo) {
	w := m.wang
	m.sees(c, "the list", w.list("客户", "sort", "id"), false)
	m.hiddenOr(c, "a filter on the phone", w.list("客户", "filter", `{"field":"电话","op":"contains","value":"MARKER-钱"}`), 200)
	m.hiddenOr(c, "a sort on the phone", w.list("客户", "sort", "-电话"), 200)
	r := w.list("客户", "q", "MARKER")
	if c.field == access.FieldHidden {
		if n := num(r.Body["total"]); n != 0 {
			m.t.Errorf("%s: a search finds %v records by the hidden phone", c, n)
		}
	} else {
		m.sees(c, "a search", r, false)
	}
}

func checkGet(m *matrix, c combo) {
	for _, p := range people {
		for _, suffix := range []string{"", "/history", "/tier-history", "/events", "/comments"} {
			r := m.wang.get(recordPath("客户", m.recs[p]) + suffix)
			if c.reads(p) {
				m.status(c, "GET "+p+suffix, r, 200)
				if suffix == "" || suffix == "/history" {
					m.sees(c, "GET "+p+suffix, r, true)
				}
			} else {
				m.status(c, "GET "+p+suffix, r, 404)
			}
		}
	}
}

// checkEvents: 小王 sends events of the customers he may change only; the others are not
// found (400, as a customer that does not exist).
func checkEvents(m *matrix, c combo) {
	for _, p := range people {
		r := m.wang.post("/api/events?table=客户", map[string]any{"customer": map[string]string{"客户编号": "K-" + p}, "name": "浏览"})
		m.status(c, "an event of "+p, r, map[bool]int{true: 201, false: 400}[c.reads(p)])
	}
}

// checkComments: 小王 comments on the customers he may read and deletes his comment; the
// others are not found.
func checkComments(m *matrix, c combo) {
	for _, p := range people {
		path := recordPath("客户", m.recs[p]) + "/comments"
		r := m.wang.post(path, map[string]any{"body": "跟进一下"})
		if !c.reads(p) {
			m.status(c, "a comment on "+p, r, 404)
			continue
		}
		m.status(c, "a comment on "+p, r, 201)
		id, _ := r.Body["id"].(float64)
		m.status(c, "deleting the comment on "+p, m.wang.del(fmt.Sprintf("%s/%d", path, int64(id))), 200)
	}
}

// region is the 地区 a new record needs to fall inside the custom scope.
func region(c combo) string {
	return map[bool]string{true: "华东", false: "华南"}[c.scope == "自定义"]
}

// mayOwn reports whether 小王 may make p the 负责人 of a new record.
func mayOwn(c combo, p string) bool { return c.reads(p) || c.scope == "自定义" }

func checkCreate(m *matrix, c combo) {
	for _, p := range people {
		r := m.wang.post(recordsPath("客户"), map[string]any{"客户名称": "新-" + p, "负责人": m.ids[p], "地区": region(c)})
		m.status(c, "create for "+p, r, map[bool]int{true: 201, false: 403}[mayOwn(c, p)])
	}
	r := m.wang.post(recordsPath("客户"), map[string]any{"客户名称": "新电话", "电话": "x", "地区": region(c)})
	m.status(c, "create with the phone", r, map[bool]int{true: 201, false: 403}[c.field == access.FieldEdit])
}

func checkBatch(m *matrix, c combo) {
	for _, p := range people {
		items := []map[string]any{{"id": m.recs[p], "累计消费金额": 100}, {"客户名称": "批量-" + p, "负责人": m.ids[p], "地区": region(c)}}
		r := m.wang.post(recordsPath("客户")+"/batch", map[string]any{"items": items})
		m.status(c, "batch over "+p, r, map[bool]int{true: 200, false: r.Status}[c.reads(p)])
		if !c.reads(p) && r.Status == 200 {
			m.t.Errorf("%s: a batch changed %s's record", c, p)
		}
		if r.Status == 200 {
			m.sees(c, "the batch answer", r, true)
		}
	}
}

// theirs is a filter of the people's own records (the checks before may have added others).
const theirs = `{"field":"客户编号","op":"in","value":["K-王","K-李","K-赵","K-钱"]}`

// checkBoard: a kanban's cards, counts and sums, and the groups' subtotals, count only the
// records in scope; the hidden phone can be neither a column nor a group.
func checkBoard(m *matrix, c combo) {
	w := m.wang
	r := w.get(tablePath("客户") + "/board?field=客户等级&sum=累计消费金额&filter=" + url.QueryEscape(theirs))
	m.sees(c, "the board", r, false)
	m.status(c, "the board", r, 200)
	if r.Status == 200 {
		col := r.Body["columns"].([]any)[0].(map[string]any) // 未填: no record has a 等级
		sums, _ := col["sums"].(map[string]any)
		if n, sum := num(col["count"]), num(sums[m.fieldID("累计消费金额")]); n != float64(len(c.read)) || sum != 100*n {
			m.t.Errorf("%s: the board counts %v with %v", c, n, sum)
		}
	}
	g := w.get(tablePath("客户") + "/groups?field=地区&sum=累计消费金额&filter=" + url.QueryEscape(theirs))
	m.status(c, "the groups", g, 200)
	var n float64
	for _, it := range g.Body["items"].([]any) {
		n += num(it.(map[string]any)["count"])
	}
	if n != float64(len(c.read)) {
		m.t.Errorf("%s: the groups count %v records", c, n)
	}
	m.hiddenOr(c, "groups by the phone", w.get(tablePath("客户")+"/groups?field=电话"), 200)
	m.hiddenOr(c, "a board filtered on the phone", w.get(tablePath("客户")+"/board?field=客户等级&filter="+
		url.QueryEscape(`{"field":"电话","op":"contains","value":"MARKER"}`)), 200)
}

// checkCalendar: a calendar lists the records in scope only, without the hidden phone, and
// cannot be filtered on it.
func checkCalendar(m *matrix, c combo) {
	cal := tablePath("客户") + "/calendar?field=创建时间&from=2026-11-01&to=2026-11-23"
	r := m.wang.get(cal + "&filter=" + url.QueryEscape(theirs))
	m.status(c, "the calendar", r, 200)
	m.sees(c, "the calendar", r, false)
	m.hiddenOr(c, "a calendar filtered on the phone", m.wang.get(cal+"&filter="+
		url.QueryEscape(`{"field":"电话","op":"contains","value":"MARKER"}`)), 200)
}

// checkBulk: a bulk edit of all matching records changes those in scope only; the phone is
// set in bulk only where it is editable.
func checkBulk(m *matrix, c combo) {
	r := m.wang.post(recordsPath("客户")+"/bulk", map[string]any{"filter": json.RawMessage(theirs), "set": map[string]any{"累计消费金额": 7}})
	m.status(c, "a bulk edit", r, 200)
	if num(r.Body["changed"]) != float64(len(c.read)) || num(r.Body["skipped"]) != 0 {
		m.t.Errorf("%s: a bulk edit answered %s", c, r.Raw)
	}
	for _, rec := range items(m.admin.list("客户", "limit", "1000").must(m.t, 200)) {
		p := strings.TrimPrefix(str(rec["客户名称"]), "客户-")
		if changed := num(rec["累计消费金额"]) == 7; changed != c.reads(p) && slices.Contains(people, p) {
			m.t.Errorf("%s: a bulk edit changed %s's record: %v", c, p, changed)
		}
	}
	m.admin.post(recordsPath("客户")+"/bulk", map[string]any{"set": map[string]any{"累计消费金额": 100}}).must(m.t, 200)
	r = m.wang.post(recordsPath("客户")+"/bulk", map[string]any{"ids": []float64{m.recs["王"]}, "set": map[string]any{"电话": "改"}})
	m.status(c, "a bulk edit of the phone", r, map[bool]int{true: 200, false: 403}[c.field == access.FieldEdit])
	m.admin.patch(recordPath("客户", m.recs["王"]), map[string]any{"电话": "MARKER-王"}).must(m.t, 200)
}

func checkUpdate(m *matrix, c combo) {
	for _, p := range people {
		r := m.wang.patch(recordPath("客户", m.recs[p]), map[string]any{"累计消费金额": 100})
		m.status(c, "update "+p, r, map[bool]int{true: 200, false: 404}[c.reads(p)])
		if r.Status == 200 {
			m.sees(c, "the update answer", r, true)
		}
	}
	r := m.wang.patch(recordPath("客户", m.recs["王"]), map[string]any{"电话": "MARKER-王"})
	if c.field == access.FieldEdit {
		m.status(c, "unchanged phone", r, 200)
		r = m.wang.patch(recordPath("客户", m.recs["王"]), map[string]any{"电话": "MARKER-王 "})
		m.status(c, "update the phone", r, 200)
		m.admin.patch(recordPath("客户", m.recs["王"]), map[string]any{"电话": "MARKER-王"}).must(m.t, 200)
	} else if c.field == access.FieldHidden {
		m.status(c, "update the hidden phone", r, 403)
	}
	if c.field == access.FieldRead {
		m.status(c, "update the read-only phone", m.wang.patch(recordPath("客户", m.recs["王"]), map[string]any{"电话": "改"}), 403)
	}
	// Handing a record to someone outside the change scope is refused.
	if !c.reads("钱") && c.scope != "自定义" {
		m.status(c, "hand 王's record to 钱", m.wang.patch(recordPath("客户", m.recs["王"]), map[string]any{"负责人": m.ids["钱"]}), 403)
	}
}

func checkDelete(m *matrix, c combo) {
	for _, p := range people {
		rec := m.admin.create("客户", map[string]any{"客户名称": "删-" + p, "负责人": m.ids[p], "地区": regions[p]})
		r := m.wang.del(recordPath("客户", num(rec["id"])))
		m.status(c, "delete "+p, r, map[bool]int{true: 200, false: 404}[c.reads(p)])
	}
}

func checkExport(m *matrix, c combo) {
	m.sees(c, "the export", m.wang.get(tablePath("客户")+"/export?format=csv"), false)
}

func checkImport(m *matrix, c combo) {
	w := m.wang
	csv := "客户编号,累计消费金额\n"
	for _, p := range people {
		csv += "K-" + p + ",100\n"
	}
	for _, path := range []string{tablePath("客户") + "/imports", "/api/imports"} {
		up := w.upload(path, "x.csv", csv).must(m.t, 201)
		id := str(up["id"])
		w.post("/api/imports/"+id+"/start", map[string]any{"table": "客户", "columns": []string{"客户编号", "累计消费金额"}, "mode": "upsert", "key": "客户编号"}).must(m.t, 200)
		st := w.waitImport(id)
		outside := len(people) - len(c.read)
		if c.scope == "全部" {
			if st["state"] != "done" {
				m.t.Errorf("%s: import %v", c, st)
			}
		} else if probs, _ := st["problems"].([]any); st["state"] != "failed" || len(probs) != outside {
			m.t.Errorf("%s: an upsert over %d records outside the scope: %v", c, outside, st)
		} else {
			m.status(c, "the import report", w.get("/api/imports/"+id+"/report?format=csv"), 200)
		}
	}
	// A file feeding the phone imports only where the phone is editable.
	up := w.upload(tablePath("客户")+"/imports", "x.csv", "客户编号,客户名称,电话,地区\nK-新,新导入,1,"+region(c)+"\n").must(m.t, 201)
	w.post("/api/imports/"+str(up["id"])+"/start", map[string]any{"table": "客户", "columns": up["mapping"]}).must(m.t, 200)
	if st := w.waitImport(str(up["id"])); (st["state"] == "done") != (c.field == access.FieldEdit) {
		m.t.Errorf("%s: importing the phone: %v", c, st)
	}
}

func checkCharts(m *matrix, c combo) {
	w := m.wang
	chart := map[string]any{"title": "x", "type": "bar", "table": "客户", "dimensions": []any{map[string]any{"field": "客户名称"}}, "measures": []any{map[string]any{"agg": "count"}}}
	m.sees(c, "a chart preview", w.post("/api/charts/preview", map[string]any{"chart": chart}), false)
	m.sees(c, "a chart's data", w.get("/api/charts/"+m.chart+"/data"), false)
	m.status(c, "a chart's export", w.get("/api/charts/"+m.chart+"/export.xlsx"), 200)
	chart["dimensions"] = []any{map[string]any{"field": "电话"}}
	r := w.post("/api/charts/preview", map[string]any{"chart": chart})
	m.hiddenOr(c, "a chart by the phone", r, 200)
	if r.Status == 200 {
		m.sees(c, "a chart by the phone", r, true)
	}
	chart["dimensions"] = []any{map[string]any{"field": "客户名称"}}
	chart["filter"] = map[string]any{"field": "电话", "op": "contains", "value": "MARKER"}
	m.hiddenOr(c, "a chart filtered by the phone", w.post("/api/charts/preview", map[string]any{"chart": chart}), 200)
	m.hiddenOr(c, "grade moves of the phone", w.get(tablePath("客户")+"/tier-migrations?field=电话"), 200)
	m.status(c, "grade moves", w.get(tablePath("客户")+"/tier-migrations?field=客户等级"), 200)
}

func gradeScheme() map[string]any {
	return map[string]any{"name": "分级", "table": "客户", "field": "客户等级", "enabled": true, "default": "B",
		"levels": []map[string]any{{"value": "A", "when": map[string]any{"field": "累计消费金额", "op": "gt", "value": 0}}}}
}

func gradeRule() map[string]any {
	return map[string]any{"name": "规则", "table": "客户", "enabled": true, "triggers": []map[string]any{{"on": "created"}},
		"when": map[string]any{"field": "累计消费金额", "op": "gt", "value": 0}, "actions": []map[string]any{{"type": "set", "field": "客户等级", "value": "A"}}}
}

// checkPreviews also checks that the previews count only the records 小王 reads: as many as
// his list holds (those the rule matches, for the rule).
func checkPreviews(m *matrix, c combo) {
	scheme := m.wang.post("/api/schemes/preview", gradeScheme())
	m.sees(c, "a scheme preview", scheme, true)
	counted := 0.0
	for _, g := range scheme.Body["grades"].([]any) {
		counted += num(g.(map[string]any)["before"])
	}
	if n := m.wang.count("客户"); counted != float64(n) {
		m.t.Errorf("%s: a scheme preview counts %v records, 小王 reads %d", c, counted, n)
	}
	rule := m.wang.post("/api/rules/preview", gradeRule())
	m.sees(c, "a rule preview", rule, true)
	matching := m.wang.list("客户", "limit", "1", "filter", `{"field":"累计消费金额","op":"gt","value":0}`).must(m.t, 200)
	if got, want := num(rule.Body["matched"]), num(matching["total"]); got != want {
		m.t.Errorf("%s: a rule preview matches %v records, 小王 reads %v of them", c, got, want)
	}
}

func checkRecent(m *matrix, c combo) {
	for _, p := range people {
		r := m.wang.post("/api/recent", map[string]any{"table": "客户", "id": m.recs[p]})
		m.status(c, "open "+p, r, map[bool]int{true: 200, false: 404}[c.reads(p)])
	}
	m.sees(c, "the workbench", m.wang.get("/api/workbench"), true)
}

func checkDocument(m *matrix, c combo) {
	raw := m.wang.get(tablePath("客户") + "/openapi.json").Raw
	if strings.Contains(raw, "电话") != (c.field != access.FieldHidden) {
		m.t.Errorf("%s: the table's document and the phone", c)
	}
	m.sees(c, "the table", m.wang.get(tablePath("客户")), true)
	m.status(c, "describing a condition", m.wang.post(tablePath("客户")+"/conditions/describe", map[string]any{"field": "客户名称", "op": "eq", "value": "x"}), 200)
}

// checkManage: rules, schemes, RFM and field design need their table actions (granted to
// every role of the matrix); TestMatrixActions checks the refusals.
func checkManage(m *matrix, c combo) {
	r := m.wang.post("/api/schemes/preview", gradeScheme())
	m.status(c, "a scheme preview with manage rules", r, 200)
}

// An export and a detail table show every record's cells as the grid shows them: with two
// roles over different rows and fields, a field 小王 sees on some rows only is a column of
// the file, filled where the list shows it (masked where the list masks it) and empty elsewhere.
func TestExportAndDetailCellsAreTheGrids(t *testing.T) {
	m := newMatrix(t)
	m.admin.patch(tablePath("客户")+"/fields/"+url.PathEscape("电话"), map[string]any{"sensitive": true}).must(t, 200)
	phone, grade, amount := m.fieldID("电话"), m.fieldID("客户等级"), m.fieldID("累计消费金额")
	for _, id := range m.recs {
		m.admin.patch(recordPath("客户", id), map[string]any{"客户等级": "A"}).must(t, 200)
	}
	east := access.DataScope{Kind: access.ScopeCustom, Cond: &cond.Node{Field: "地区", Op: "eq", Value: "华东"}}
	dept := access.DataScope{Kind: access.ScopeDepartment}
	acts := []access.TableAction{access.View, access.ExportRows}
	// a reads 王's and 钱's records (华东): the phone masked, the amount, no grade;
	// b reads 王's and 李's (the department): the grade, no phone, no amount.
	a := &access.Role{ID: "a", Default: &access.TablePerm{Actions: acts, Read: east, Change: east,
		Fields: map[string]access.FieldAccess{phone: access.FieldMasked, grade: access.FieldHidden}}}
	b := &access.Role{ID: "b", Default: &access.TablePerm{Actions: acts, Read: dept, Change: dept,
		Fields: map[string]access.FieldAccess{phone: access.FieldHidden, amount: access.FieldHidden}}}
	m.grants = func() *access.Grants { return m.wangGrants(a, b) }

	grid := map[string]map[string]any{} // 客户编号 → the record as the list shows it
	for _, r := range items(m.wang.list("客户", "limit", "1000").must(t, 200)) {
		grid[str(r["客户编号"])] = r
	}
	file, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(m.wang.get(tablePath("客户")+"/export?format=csv").Raw, "\ufeff"))).ReadAll()
	if err != nil || len(file) != len(grid)+1 {
		t.Fatalf("export: %v rows, %v; the grid has %d", len(file), err, len(grid))
	}
	head := file[0]
	for _, name := range []string{"电话", "客户等级", "累计消费金额"} {
		if !slices.Contains(head, name) {
			t.Errorf("the export leaves out %s: %v", name, head)
		}
	}
	// The fields whose cells read as the list's values; the others (dates, people) are
	// formatted for people, so only their being empty is compared.
	same := []string{"客户编号", "客户名称", "电话", "客户等级", "累计消费金额"}
	shown := map[string][]string{}
	for _, row := range file[1:] {
		rec := grid[row[slices.Index(head, "客户编号")]]
		if rec == nil {
			t.Fatalf("the export has a record the grid does not: %v", row)
		}
		for i, name := range head {
			if i == 0 { // the id, which the list calls "id"
				name = "id"
			}
			v, has := rec[name]
			want := ""
			if has && v != nil {
				want = fmt.Sprint(v)
			}
			if cell := row[i]; slices.Contains(same, name) && cell != want || (cell == "") != (want == "") {
				t.Errorf("%s of %s: the export says %q, the grid %q", name, rec["客户名称"], cell, want)
			}
			if want != "" && slices.Contains([]string{"电话", "客户等级", "累计消费金额"}, name) {
				shown[name] = append(shown[name], strings.TrimPrefix(str(rec["客户名称"]), "客户-"))
			}
		}
	}
	for name, want := range map[string][]string{"电话": {"王", "钱"}, "客户等级": {"李", "王"}, "累计消费金额": {"王", "钱"}} {
		if slices.Sort(shown[name]); !slices.Equal(shown[name], want) {
			t.Errorf("%s shows on the records of %v, want %v", name, shown[name], want)
		}
	}
	if raw := m.wang.get(tablePath("客户") + "/export?format=csv").Raw; strings.Contains(raw, "MARKER") {
		t.Errorf("the export shows a phone in full: %s", raw)
	}
	// A detail table of the same fields shows the same cells.
	chart := map[string]any{"title": "明细", "type": "table", "table": "客户", "columns": []string{"客户编号", "客户等级", "累计消费金额"}}
	rows := m.wang.post("/api/charts/preview", map[string]any{"chart": chart}).must(t, 200)["rows"].([]any)
	if len(rows) != len(grid) {
		t.Fatalf("the detail table lists %d records, the grid %d", len(rows), len(grid))
	}
	for _, x := range rows {
		keys := x.(map[string]any)["keys"].([]any)
		rec := grid[str(keys[0])]
		if rec == nil {
			t.Fatalf("the detail table has a record the grid does not: %v", keys)
		}
		for i, name := range []string{"客户等级", "累计消费金额"} {
			if got, want := keys[1+i], rec[name]; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s of %s: the detail table says %v, the grid %v", name, rec["客户名称"], got, want)
			}
		}
	}
}
