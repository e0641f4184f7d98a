package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"tierbase/app"
	"time"

	"tierbase/api"
	"tierbase/core/access"
	"tierbase/core/schema"
	"tierbase/engines/importer"
	"tierbase/platform/store"
	"tierbase/templates/crm"
)

// cst is the users' time zone (UTC+8); today is the server's clock in every test.
var (
	cst   = time.FixedZone("CST", 8*3600)
	today = time.Date(2026, 11, 23, 10, 30, 0, 0, cst)
)

const (
	adminEmail    = "admin@example.com"
	adminPassword = "admin-password"
	adminName     = "管理员"
)

// onPostgres tells whether the suite runs on PostgreSQL (TIERBASE_TEST_PG set).
func onPostgres() bool { return os.Getenv(store.TestServerEnv) != "" }

// newApp opens the app on a fresh database (SQLite, or PostgreSQL with TIERBASE_TEST_PG), on the tests' clock, and the API over it.
func newApp(t *testing.T) (*app.App, *api.Server) {
	t.Helper()
	return newAppOn(t, app.Open)
}

// newAppOn is newApp on the database open chooses for a fresh data directory.
func newAppOn(t *testing.T, open func(dir string) (*app.App, error)) (*app.App, *api.Server) {
	t.Helper()
	a, err := open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	a.SetClock(func() time.Time { return today }, cst)
	if err := a.AllowOutbound([]string{"127.0.0.1"}); err != nil { // the tests' receivers are local
		t.Fatal(err)
	}
	return a, &api.Server{Catalog: a.Catalog, Records: a.Records, Users: a.Users, Org: a.Org, Grading: a.Grading, Rules: a.Rules, Inbox: a.Inbox,
		Reports: a.Reports, Workbench: a.Workbench, Channels: a.Channels, Tokens: a.Tokens, Webhooks: a.Webhooks, Forms: a.Forms, Views: a.Views, Events: a.Events, Flows: a.Flows, Comments: a.Comments, Audit: a.Audit, Imports: &importer.Jobs{Dir: t.TempDir(), Importer: a.Importer}, Backups: a.Backups(), Version: "test-1"}
}

// newServer starts the real handler on a fresh database and returns its base URL.
func newServer(t *testing.T) string {
	t.Helper()
	a, srv := newApp(t)
	srv.InstallCRM = func(ctx context.Context, by access.Actor) (*schema.App, error) {
		installed, err := crm.Install(ctx, by, a.Catalog)
		if err == nil {
			err = crm.InstallDashboards(ctx, a.Reports)
		}
		if err == nil {
			err = crm.InstallFlows(ctx, a.Flows, a.Org)
		}
		return installed, err
	}
	work, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Jobs.Run(work); close(done) }()
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); stop(); <-done })
	servers.Store(ts.URL, srv)
	return ts.URL
}

// servers are the API servers of newServer by base URL, for tests that set people's grants.
var servers sync.Map

// server returns the API server the client talks to.
func (c *client) server() *api.Server {
	srv, _ := servers.Load(c.base)
	return srv.(*api.Server)
}

// client talks to a test server: with a bearer token if it has one, and with cookies.
type client struct {
	t     *testing.T
	base  string
	token string
	lang  string            // Accept-Language, "" for none
	head  map[string]string // extra headers
	http  *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, http: &http.Client{Jar: jar}, head: map[string]string{}}
}

// reply is a decoded answer.
type reply struct {
	Status int
	Body   map[string]any
	Raw    string
	Header http.Header
}

func (c *client) call(method, path string, body any) reply {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	for k, v := range c.head {
		req.Header.Set(k, v)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	r := reply{Status: res.StatusCode, Raw: string(raw), Header: res.Header}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			c.t.Fatalf("%s %s: answer is not a JSON object: %v\n%s", method, path, err, raw)
		}
	}
	return r
}

func (c *client) get(path string) reply             { c.t.Helper(); return c.call("GET", path, nil) }
func (c *client) post(path string, body any) reply  { c.t.Helper(); return c.call("POST", path, body) }
func (c *client) patch(path string, body any) reply { c.t.Helper(); return c.call("PATCH", path, body) }
func (c *client) del(path string) reply             { c.t.Helper(); return c.call("DELETE", path, nil) }

// must fails the test unless the answer has the given status; it returns the body.
func (r reply) must(t *testing.T, status int) map[string]any {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	return r.Body
}

// errorOf returns the "error" object of an error answer.
func (r reply) errorOf(t *testing.T) map[string]any {
	t.Helper()
	e, ok := r.Body["error"].(map[string]any)
	if !ok {
		t.Fatalf("status %d without an error object: %s", r.Status, r.Raw)
	}
	return e
}

// wantError checks status and error code and returns the error object.
func (r reply) wantError(t *testing.T, status int, code string) map[string]any {
	t.Helper()
	e := r.errorOf(t)
	if r.Status != status || e["code"] != code {
		t.Fatalf("got %d %v, want %d %s: %s", r.Status, e["code"], status, code, r.Raw)
	}
	if msg, _ := e["message"].(string); msg == "" {
		t.Fatalf("error without a message: %s", r.Raw)
	}
	return e
}

// detail returns the i-th detail of an error answer.
func (r reply) detail(t *testing.T, i int) map[string]any {
	t.Helper()
	ds, _ := r.errorOf(t)["details"].([]any)
	if i >= len(ds) {
		t.Fatalf("no detail %d: %s", i, r.Raw)
	}
	return ds[i].(map[string]any)
}

// wantDetail checks the first detail's code, field, row and path ("" / 0 to skip).
func (r reply) wantDetail(t *testing.T, code, field string, row int, path string) map[string]any {
	t.Helper()
	d := r.detail(t, 0)
	if d["code"] != code || (field != "" && d["field"] != field) || (row != 0 && num(d["row"]) != float64(row)) || (path != "" && d["path"] != path) {
		t.Fatalf("detail %v, want code %s field %q row %d path %q", d, code, field, row, path)
	}
	if msg, _ := d["message"].(string); field != "" && !strings.Contains(msg, field) {
		t.Fatalf("detail message %q does not name the field %q", msg, field)
	}
	return d
}

func num(v any) float64 { f, _ := v.(float64); return f }

func str(v any) string { s, _ := v.(string); return s }

// setup creates the first admin and returns a client signed in as them.
func setup(t *testing.T) *client {
	t.Helper()
	c := newClient(t, newServer(t))
	body := c.post("/api/setup", map[string]string{"email": adminEmail, "password": adminPassword, "name": adminName}).must(t, 200)
	c.token = str(body["token"])
	if c.token == "" {
		t.Fatalf("setup gave no token: %v", body)
	}
	c.http.Jar, _ = cookiejar.New(nil) // bearer only from here on
	return c
}

// login signs in on the same server and returns a bearer client.
func (c *client) login(email, password string) *client {
	c.t.Helper()
	other := newClient(c.t, c.base)
	body := other.post("/api/auth/login", map[string]string{"email": email, "password": password}).must(c.t, 200)
	other.token = str(body["token"])
	other.http.Jar, _ = cookiejar.New(nil)
	return other
}

// addMember creates a member through the API and returns their id and a client signed in as them.
func (c *client) addMember(email, name string) (float64, *client) {
	c.t.Helper()
	u := c.post("/api/users", map[string]string{"email": email, "password": "member-password", "name": name, "role": "member"}).must(c.t, 201)
	if u["role"] != "member" || u["name"] != name {
		c.t.Fatalf("created user %v", u)
	}
	return num(u["id"]), c.login(email, "member-password")
}

func tablePath(name string) string { return "/api/tables/" + url.PathEscape(name) }

func recordsPath(table string) string { return tablePath(table) + "/records" }

func recordPath(table string, id float64) string {
	return recordsPath(table) + "/" + strconv.FormatInt(int64(id), 10)
}

// f builds a field definition.
func f(name, typ string, kv ...any) map[string]any {
	m := map[string]any{"name": name, "type": typ}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func options(vals ...string) []map[string]string {
	out := make([]map[string]string, len(vals))
	for i, v := range vals {
		out[i] = map[string]string{"value": v}
	}
	return out
}

// createTable makes a table through the API and returns it.
func (c *client) createTable(name string, fields ...map[string]any) map[string]any {
	c.t.Helper()
	return c.post("/api/tables", map[string]any{"name": name, "fields": fields}).must(c.t, 201)
}

// field finds a field of a table JSON by name.
func field(t *testing.T, table map[string]any, name string) map[string]any {
	t.Helper()
	for _, x := range table["fields"].([]any) {
		if fm := x.(map[string]any); fm["name"] == name {
			return fm
		}
	}
	t.Fatalf("table %v has no field %s", table["name"], name)
	return nil
}

// fieldNames lists a table's field names in display order.
func fieldNames(table map[string]any) []string {
	var out []string
	for _, x := range table["fields"].([]any) {
		out = append(out, str(x.(map[string]any)["name"]))
	}
	return out
}

// list GETs records with the given query parameters (key, value pairs).
func (c *client) list(table string, kv ...string) reply {
	c.t.Helper()
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return c.get(recordsPath(table) + "?" + q.Encode())
}

// count returns how many records of the table the client sees.
func (c *client) count(table string) int {
	c.t.Helper()
	return int(num(c.list(table, "limit", "1").must(c.t, 200)["total"]))
}

// create POSTs a record and returns it.
func (c *client) create(table string, rec map[string]any) map[string]any {
	c.t.Helper()
	return c.post(recordsPath(table), rec).must(c.t, 201)
}

// items returns the "items" of a list answer.
func items(body map[string]any) []map[string]any {
	var out []map[string]any
	for _, x := range body["items"].([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

// column returns one key of every item.
func column(list []map[string]any, key string) []any {
	out := make([]any, len(list))
	for i, m := range list {
		out[i] = m[key]
	}
	return out
}

func TestHealth(t *testing.T) {
	c := newClient(t, newServer(t))
	body := c.get("/api/health").must(t, 200)
	if body["status"] != "ok" || body["version"] != "test-1" {
		t.Errorf("health = %v", body)
	}
}

func TestSetupFlow(t *testing.T) {
	c := newClient(t, newServer(t))
	if body := c.get("/api/setup").must(t, 200); body["needsSetup"] != true {
		t.Fatalf("fresh server: %v", body)
	}
	// Nothing but setup works yet.
	c.get("/api/tables").wantError(t, 401, "unauthorized")
	c.post("/api/setup", map[string]string{"email": adminEmail, "password": "short", "name": adminName}).wantError(t, 400, "password_too_short")

	body := c.post("/api/setup", map[string]string{"email": adminEmail, "password": adminPassword, "name": adminName}).must(t, 200)
	user, _ := body["user"].(map[string]any)
	if str(body["token"]) == "" || user["email"] != adminEmail || user["role"] != "admin" || user["name"] != adminName {
		t.Fatalf("setup answer %v", body)
	}
	if body := c.get("/api/setup").must(t, 200); body["needsSetup"] != false {
		t.Fatalf("after setup: %v", body)
	}
	// Setup signs in: the token works.
	c.token = str(body["token"])
	if me := c.get("/api/auth/me").must(t, 200); me["email"] != adminEmail {
		t.Errorf("me = %v", me)
	}
	// A second setup is refused and creates nobody.
	anon := newClient(t, c.base)
	anon.post("/api/setup", map[string]string{"email": "evil@example.com", "password": "evil-password"}).wantError(t, 409, "setup_done")
	anon.post("/api/auth/login", map[string]string{"email": "evil@example.com", "password": "evil-password"}).wantError(t, 401, "bad_login")
	if list := items(c.get("/api/users").must(t, 200)); len(list) != 1 {
		t.Errorf("users after a refused second setup: %v", list)
	}
}

func TestLoginBearer(t *testing.T) {
	admin := setup(t)
	c := newClient(t, admin.base)
	c.http.Jar = nil // no cookies: the token alone must do
	body := c.post("/api/auth/login", map[string]string{"email": " ADMIN@example.com ", "password": adminPassword}).must(t, 200)
	c.token = str(body["token"])
	if c.token == "" || body["user"].(map[string]any)["role"] != "admin" {
		t.Fatalf("login answer %v", body)
	}
	if me := c.get("/api/auth/me").must(t, 200); me["email"] != adminEmail || me["name"] != adminName {
		t.Errorf("me = %v", me)
	}
	// Writes need no CSRF header with a bearer token.
	c.post("/api/apps", map[string]string{"name": "销售"}).must(t, 201)

	c.post("/api/auth/logout", nil).must(t, 200)
	c.get("/api/auth/me").wantError(t, 401, "unauthorized")
	c.token = "not-a-token"
	c.get("/api/auth/me").wantError(t, 401, "unauthorized")
}

func TestCookieLoginNeedsCSRF(t *testing.T) {
	admin := setup(t)
	c := newClient(t, admin.base)
	c.post("/api/auth/login", map[string]string{"email": adminEmail, "password": adminPassword}).must(t, 200)
	u, _ := url.Parse(c.base)
	cookies := map[string]string{}
	for _, ck := range c.http.Jar.Cookies(u) {
		cookies[ck.Name] = ck.Value
	}
	if cookies["tb_session"] == "" || cookies["tb_csrf"] == "" {
		t.Fatalf("login set cookies %v", cookies)
	}
	// Reads work with the cookie alone.
	if me := c.get("/api/auth/me").must(t, 200); me["email"] != adminEmail {
		t.Fatalf("me = %v", me)
	}
	// Writes need the CSRF header.
	c.post("/api/apps", map[string]string{"name": "无令牌"}).wantError(t, 403, "csrf")
	c.head["X-CSRF-Token"] = "wrong"
	c.post("/api/apps", map[string]string{"name": "错令牌"}).wantError(t, 403, "csrf")
	c.head["X-CSRF-Token"] = cookies["tb_csrf"]
	c.post("/api/apps", map[string]string{"name": "有令牌"}).must(t, 201)
	var names []any
	for _, a := range items(admin.get("/api/apps").must(t, 200)) {
		names = append(names, a["name"])
	}
	if len(names) != 1 || names[0] != "有令牌" {
		t.Errorf("apps = %v, want only the one created with the CSRF token", names)
	}
}

func TestLoginThrottled(t *testing.T) {
	admin := setup(t)
	c := newClient(t, admin.base)
	for i := 0; i < 5; i++ {
		c.post("/api/auth/login", map[string]string{"email": adminEmail, "password": "wrong-password"}).wantError(t, 401, "bad_login")
	}
	e := c.post("/api/auth/login", map[string]string{"email": adminEmail, "password": adminPassword}).wantError(t, 429, "throttled")
	if msg := str(e["message"]); !strings.Contains(msg, "秒后再试") {
		t.Errorf("throttled message %q", msg)
	}
	c.lang = "en"
	e = c.post("/api/auth/login", map[string]string{"email": adminEmail, "password": adminPassword}).wantError(t, 429, "throttled")
	if msg := str(e["message"]); !strings.Contains(msg, "too many attempts") {
		t.Errorf("throttled message %q", msg)
	}
	// The session from before is unaffected.
	admin.get("/api/auth/me").must(t, 200)
}

func TestUsers(t *testing.T) {
	admin := setup(t)
	id, member := admin.addMember("sales@example.com", "小王")
	if me := member.get("/api/auth/me").must(t, 200); num(me["id"]) != id || me["role"] != "member" {
		t.Errorf("member me = %v", me)
	}
	admin.post("/api/users", map[string]string{"email": "SALES@example.com", "password": "another-password"}).wantError(t, 409, "email_taken")
	admin.post("/api/users", map[string]string{"email": "x@example.com", "password": "long-enough", "role": "boss"}).wantError(t, 400, "unknown_role")
	member.post("/api/users", map[string]string{"email": "y@example.com", "password": "long-enough"}).wantError(t, 403, "not_allowed")
	list := items(admin.get("/api/users").must(t, 200))
	if len(list) != 2 || list[0]["email"] != adminEmail || list[1]["name"] != "小王" {
		t.Errorf("users = %v", list)
	}
	for _, u := range list {
		for k := range u {
			if strings.Contains(strings.ToLower(k), "password") {
				t.Errorf("user JSON leaks %s", k)
			}
		}
	}
}
