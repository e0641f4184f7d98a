package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"regexp"
	"testing"

	"tierbase/app"
	"tierbase/templates/crm"
)

// The same data read through the API answers the same on SQLite and on PostgreSQL: every
// table's records, sorted by each field both ways and searched, the exports, grades, rules,
// dashboards' charts, the workbench and the log. (Found this way: empty values and tag
// lists sorted differently on PostgreSQL.) Runs when the suite has a PostgreSQL server.
func TestSameAnswersOnBothDatabases(t *testing.T) {
	if !onPostgres() {
		t.Skip("needs PostgreSQL beside SQLite (TIERBASE_TEST_PG)")
	}
	sqlite := answers(t, func(dir string) (*app.App, error) { return app.OpenURL(dir, "") })
	pg := answers(t, app.Open)
	if len(sqlite) != len(pg) {
		t.Fatalf("%d answers on SQLite, %d on PostgreSQL", len(sqlite), len(pg))
	}
	for i := range sqlite {
		if a, b := sqlite[i], pg[i]; a != b {
			n := 0
			for n < min(len(a), len(b)) && a[n] == b[n] {
				n++
			}
			from := max(0, n-300)
			t.Errorf("answers differ from byte %d:\nSQLite:     …%.600s\nPostgreSQL: …%.600s", n, a[from:], b[from:])
		}
	}
}

// generatedID matches the random ids of tables, fields, apps, charts, dashboards, rules and
// schemes, which differ from one database to the other.
var generatedID = regexp.MustCompile(`\b(fld|cht|tbl|dsh|app|rul|sch)[0-9a-z]{9,10}\b`)

// answers loads the CRM demo on a fresh database and returns what a series of GETs answer:
// the path, status and body with the generated ids numbered as they first appear, and the
// objects' keys sorted.
func answers(t *testing.T, open func(dir string) (*app.App, error)) []string {
	ctx := context.Background()
	a, srv := newAppOn(t, open)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	c := newClient(t, ts.URL)
	c.token = str(c.post("/api/setup", map[string]string{"email": adminEmail, "password": adminPassword, "name": adminName}).must(t, 200)["token"])
	if _, err := crm.Demo(ctx, a.DB, a.Catalog, a.Users, crm.DemoOptions{Customers: 400, Seed: 7, Today: today}); err != nil {
		t.Fatal(err)
	}
	if err := crm.InstallDashboards(ctx, a.Reports); err != nil {
		t.Fatal(err)
	}
	if r := c.post("/api/schemes", crm.Scheme()); r.Status != 201 && r.Status != 200 {
		t.Fatalf("scheme: %d %s", r.Status, r.Raw)
	}
	for _, rule := range crm.Rules() {
		if r := c.post("/api/rules", rule); r.Status != 201 && r.Status != 200 {
			t.Fatalf("rule %s: %d %s", rule.Name, r.Status, r.Raw)
		}
	}
	ids := map[string]string{}
	var out []string
	get := func(p string) reply {
		r := c.get(p)
		body := generatedID.ReplaceAllFunc([]byte(r.Raw), func(id []byte) []byte {
			if ids[string(id)] == "" {
				ids[string(id)] = fmt.Sprintf("%s#%d", id[:3], len(ids))
			}
			return []byte(ids[string(id)])
		})
		var v any
		if json.Unmarshal(body, &v) == nil {
			body, _ = json.Marshal(v) // keys sorted: maps keyed by ids come in their random order
		}
		out = append(out, fmt.Sprintf("GET %s %d %s", generatedID.ReplaceAllString(p, "…"), r.Status, bytes.TrimSpace(body)))
		return r
	}
	// The tables first: they number the field ids in the fields' order.
	for _, p := range []string{"/api/tables", "/api/users", "/api/departments", "/api/roles", "/api/apps", "/api/schemes", "/api/rfm", "/api/rules"} {
		get(p)
	}
	for _, tb := range []string{"客户", "联系人", "跟进记录", "订单"} {
		table := get(tablePath(tb)).Body
		get(recordsPath(tb) + "?limit=50")
		for _, f := range fieldNames(table) {
			get(recordsPath(tb) + "?limit=15&sort=" + url.QueryEscape(f))
			get(recordsPath(tb) + "?limit=15&sort=" + url.QueryEscape("-"+f))
		}
		for _, q := range []string{"科技", "a", "138"} {
			get(recordsPath(tb) + "?limit=20&q=" + url.QueryEscape(q))
		}
		get(tablePath(tb) + "/export?format=csv")
	}
	get(recordPath("客户", 2))
	get(recordPath("客户", 2) + "/history")
	get(tablePath("客户") + "/tier-migrations")
	get("/api/workbench")
	get("/api/notifications")
	for _, d := range items(get("/api/dashboards").Body) {
		dash := get(fmt.Sprintf("/api/dashboards/%v", d["id"])).Body
		charts, _ := dash["charts"].([]any)
		for _, ch := range charts {
			get(fmt.Sprintf("/api/charts/%v/data", ch.(map[string]any)["id"]))
		}
	}
	get("/api/audit?limit=50")
	return out
}
