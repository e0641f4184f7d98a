package api_test

import (
	"regexp"
	"sort"
	"strings"
	"testing"
)

// routes are the endpoints of docs/api.md.
var routes = []string{
	"GET /api/health", "GET /api/openapi.json", "GET /api/setup", "POST /api/setup",
	"POST /api/auth/login", "POST /api/auth/logout", "GET /api/auth/me",
	"PATCH /api/auth/me", "POST /api/auth/password", "GET /api/invites/{token}", "POST /api/invites/{token}",
	"GET /api/users", "POST /api/users", "PATCH /api/users/{id}", "POST /api/users/{id}/disable", "POST /api/users/{id}/enable",
	"POST /api/users/{id}/invite", "POST /api/users/{id}/reset-password", "GET /api/field-types", "GET /api/divisions",
	"GET /api/apps", "POST /api/apps", "POST /api/templates/crm",
	"GET /api/tables", "POST /api/tables",
	"GET /api/tables/{table}", "PATCH /api/tables/{table}", "DELETE /api/tables/{table}",
	"POST /api/tables/{table}/fields", "POST /api/tables/{table}/fields/batch", "PATCH /api/tables/{table}/fields/{field}", "DELETE /api/tables/{table}/fields/{field}",
	"POST /api/tables/{table}/conditions/describe",
	"GET /api/tables/{table}/records", "POST /api/tables/{table}/records", "POST /api/tables/{table}/records/batch", "POST /api/tables/{table}/records/bulk",
	"GET /api/tables/{table}/board", "GET /api/tables/{table}/groups", "GET /api/tables/{table}/calendar", "GET /api/tables/{table}/views", "POST /api/tables/{table}/views",
	"GET /api/tables/{table}/views/{id}", "PUT /api/tables/{table}/views/{id}", "DELETE /api/tables/{table}/views/{id}",
	"GET /api/tables/{table}/records/{id}", "PATCH /api/tables/{table}/records/{id}", "DELETE /api/tables/{table}/records/{id}",
	"GET /api/tables/{table}/records/{id}/history", "GET /api/tables/{table}/records/{id}/events", "POST /api/events",
	"POST /api/tables/{table}/fields/{field}/files", "GET /api/tables/{table}/records/{id}/files/{field}/{hash}",
	"GET /api/tables/{table}/records/{id}/comments", "POST /api/tables/{table}/records/{id}/comments", "DELETE /api/tables/{table}/records/{id}/comments/{comment}",
	"GET /api/trash", "POST /api/trash/{table}/{id}/restore", "DELETE /api/trash/{table}/{id}",
	"GET /api/backups", "POST /api/backups", "GET /api/backups/{name}",
	"GET /api/tables/{table}/export", "POST /api/tables/{table}/imports", "POST /api/imports",
	"GET /api/imports/{id}", "POST /api/imports/{id}/start", "GET /api/imports/{id}/report",
	"GET /api/schemes", "POST /api/schemes", "POST /api/schemes/preview", "GET /api/schemes/{id}", "PUT /api/schemes/{id}",
	"DELETE /api/schemes/{id}", "POST /api/schemes/{id}/run", "POST /api/rfm", "GET /api/rfm", "DELETE /api/rfm/{table}",
	"GET /api/rules", "POST /api/rules", "POST /api/rules/preview", "GET /api/rules/functions", "GET /api/rules/{id}", "PUT /api/rules/{id}",
	"DELETE /api/rules/{id}", "POST /api/rules/{id}/run", "GET /api/notifications", "POST /api/notifications/read",
	"GET /api/tables/{table}/records/{id}/tier-history", "GET /api/tables/{table}/tier-migrations",
	"GET /api/dashboards", "POST /api/dashboards", "GET /api/dashboards/{id}", "PUT /api/dashboards/{id}", "DELETE /api/dashboards/{id}",
	"POST /api/charts", "POST /api/charts/preview", "GET /api/charts/{id}", "PUT /api/charts/{id}", "DELETE /api/charts/{id}",
	"GET /api/charts/{id}/data", "GET /api/charts/{id}/export.xlsx",
	"GET /api/tables/{table}/openapi.json",
	"GET /api/notifications/stream", "GET /api/workbench", "POST /api/recent",
	"GET /api/audit", "GET /api/audit/export",
	"GET /api/departments", "POST /api/departments", "PATCH /api/departments/{id}", "DELETE /api/departments/{id}",
	"GET /api/roles", "POST /api/roles", "PUT /api/roles/{id}", "DELETE /api/roles/{id}", "POST /api/org/import",
	"GET /api/robots", "POST /api/robots", "PUT /api/robots/{id}", "DELETE /api/robots/{id}", "POST /api/robots/{id}/test",
	"GET /api/robots/{id}/deliveries",
	"GET /api/tokens", "POST /api/tokens", "DELETE /api/tokens/{id}",
	"GET /api/webhooks", "POST /api/webhooks", "GET /api/webhooks/{id}", "PUT /api/webhooks/{id}", "DELETE /api/webhooks/{id}",
	"GET /api/webhooks/{id}/deliveries", "POST /api/webhooks/{id}/replay", "POST /api/webhooks/{id}/test",
	"GET /api/forms", "POST /api/forms", "GET /api/forms/{id}", "PUT /api/forms/{id}", "DELETE /api/forms/{id}", "GET /api/forms/{id}/qr.png",
	"GET /api/public/forms/{token}", "GET /api/public/forms/{token}/captcha", "POST /api/public/forms/{token}",
	"GET /api/flows", "POST /api/flows", "GET /api/flows/{id}", "PUT /api/flows/{id}", "POST /api/flows/{id}/publish",
	"POST /api/flows/{id}/start", "GET /api/instances", "GET /api/instances/{id}", "POST /api/instances/{id}/withdraw", "POST /api/instances/{id}/comments",
	"POST /api/instances/{id}/urge",
	"GET /api/tasks", "POST /api/tasks/{id}/{action}",
}

// unknownRoute reports whether an answer is the API's "no such endpoint".
func unknownRoute(r reply) bool {
	e, _ := r.Body["error"].(map[string]any)
	return r.Status == 404 && e != nil && strings.HasPrefix(str(e["message"]), "endpoint ")
}

func TestOpenAPI(t *testing.T) {
	c := setup(t)
	c.lang = "en"
	doc := c.get("/api/openapi.json").must(t, 200)
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi = %v", doc["openapi"])
	}
	info, _ := doc["info"].(map[string]any)
	if str(info["title"]) == "" || info["version"] != "test-1" {
		t.Errorf("info = %v", info)
	}
	paths, _ := doc["paths"].(map[string]any)
	schemas, _ := doc["components"].(map[string]any)["schemas"].(map[string]any)

	// Every documented route is in the document, and the document has nothing else.
	documented := map[string]bool{}
	for p, ops := range paths {
		for method, op := range ops.(map[string]any) {
			documented[strings.ToUpper(method)+" "+p] = true
			// each operation is complete and its schemas exist
			o := op.(map[string]any)
			if str(o["summary"]) == "" {
				t.Errorf("%s %s has no summary", method, p)
			}
			for status, res := range o["responses"].(map[string]any) {
				refs := collectRefs(res)
				if len(refs) == 0 {
					t.Errorf("%s %s answer %s has no schema", method, p, status)
				}
				for _, ref := range refs {
					if _, ok := schemas[strings.TrimPrefix(ref, "#/components/schemas/")]; !ok {
						t.Errorf("%s %s refers to missing %s", method, p, ref)
					}
				}
			}
			for _, param := range asList(o["parameters"]) {
				pm := param.(map[string]any)
				if pm["in"] == "path" && !strings.Contains(p, "{"+str(pm["name"])+"}") {
					t.Errorf("%s %s: path parameter %v not in the path", method, p, pm["name"])
				}
			}
		}
	}
	for _, r := range routes {
		if !documented[r] {
			t.Errorf("route %s is not in openapi.json", r)
		}
		delete(documented, r)
	}
	var extra []string
	for r := range documented {
		extra = append(extra, r)
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("openapi.json documents routes that docs/api.md does not: %v", extra)
	}
	for _, ref := range collectRefs(schemas) {
		if _, ok := schemas[strings.TrimPrefix(ref, "#/components/schemas/")]; !ok {
			t.Errorf("a schema refers to missing %s", ref)
		}
	}
}

// TestRoutesServed calls every route of openapi.json: none may be answered as an unknown route.
func TestRoutesServed(t *testing.T) {
	c := setup(t)
	c.lang = "en"
	customers(c)
	rec := c.create("客户", map[string]any{"客户名称": "甲"})
	paths := c.get("/api/openapi.json").must(t, 200)["paths"].(map[string]any)
	probe := c.login(adminEmail, adminPassword) // logging out ends only this session
	probe.lang = "en"
	var calls []string
	for p, ops := range paths {
		for method := range ops.(map[string]any) {
			calls = append(calls, strings.ToUpper(method)+" "+p)
		}
	}
	// Deletes and logout last, so they do not take away what the others use.
	sort.Slice(calls, func(i, j int) bool {
		rank := func(s string) int {
			switch {
			case strings.HasSuffix(s, "/logout"):
				return 3
			case strings.HasPrefix(s, "DELETE /api/tables/{table}/records"):
				return 1
			case strings.HasPrefix(s, "DELETE"):
				return 2
			}
			return 0
		}
		if rank(calls[i]) != rank(calls[j]) {
			return rank(calls[i]) < rank(calls[j])
		}
		return calls[i] < calls[j]
	})
	fill := strings.NewReplacer("{table}", "客户", "{field}", "客户名称", "{id}", formatNum(rec["id"]))
	for _, call := range calls {
		method, p, _ := strings.Cut(call, " ")
		if strings.HasSuffix(p, "/stream") {
			continue // never ends by itself; TestNotificationStream calls it
		}
		var body any
		if method == "POST" || method == "PATCH" {
			body = map[string]any{}
		}
		r := probe.call(method, fill.Replace(p), body)
		if unknownRoute(r) || r.Status == 405 || r.Status >= 500 {
			t.Errorf("%s: %d %s", call, r.Status, r.Raw)
		}
	}
	// The check can tell: a route that does not exist is reported as such.
	for _, call := range []string{"GET /api/nope", "PUT /api/tables/客户", "POST /api/tables/客户/records/1/history"} {
		method, p, _ := strings.Cut(call, " ")
		if r := c.call(method, p, nil); !unknownRoute(r) {
			t.Errorf("%s: %d %s, want an unknown-route 404", call, r.Status, r.Raw)
		}
	}
}

func asList(v any) []any { l, _ := v.([]any); return l }

// collectRefs returns every "$ref" inside v.
func collectRefs(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == "$ref" {
				out = append(out, str(e))
			} else {
				out = append(out, collectRefs(e)...)
			}
		}
	case []any:
		for _, e := range x {
			out = append(out, collectRefs(e)...)
		}
	}
	return out
}

// Client generators need a unique operationId on every operation and a server to call.
func TestOpenAPIForClientGenerators(t *testing.T) {
	c := setup(t)
	doc := c.get("/api/openapi.json").must(t, 200)
	servers := asList(doc["servers"])
	if len(servers) != 1 || servers[0].(map[string]any)["url"] != c.base {
		t.Errorf("servers = %v, want the server's own address %s", doc["servers"], c.base)
	}
	seen := map[string]string{}
	for p, ops := range doc["paths"].(map[string]any) {
		for method, op := range ops.(map[string]any) {
			id := str(op.(map[string]any)["operationId"])
			call := strings.ToUpper(method) + " " + p
			switch {
			case id == "":
				t.Errorf("%s has no operationId", call)
			case seen[id] != "":
				t.Errorf("%s and %s share the operationId %q", call, seen[id], id)
			case !regexp.MustCompile(`^[a-z][A-Za-z0-9]*$`).MatchString(id):
				t.Errorf("%s: operationId %q is not a plain identifier", call, id)
			}
			seen[id] = call
		}
	}
}
