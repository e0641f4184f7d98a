package api_test

import (
	"database/sql"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"tierbase/app"
)

// peopleServer starts the API with the first admin signed in, and returns the app to read
// the operation log from.
func peopleServer(t *testing.T) (*app.App, *client) {
	t.Helper()
	a, srv := newApp(t)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	c := newClient(t, ts.URL)
	body := c.post("/api/setup", map[string]string{"email": adminEmail, "password": adminPassword, "name": adminName}).must(t, 200)
	c.token = str(body["token"])
	return a, c
}

// userChanges counts the operation log's user_change events and returns their details.
func userChanges(t *testing.T, a *app.App) (int, string) {
	t.Helper()
	rows, err := a.DB.R.Query("SELECT detail FROM _audit WHERE action = 'user_change'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var details []string
	for rows.Next() {
		var d sql.NullString
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}
		details = append(details, d.String)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return len(details), strings.Join(details, " ")
}

func TestPeopleAdminRoutesForbidden(t *testing.T) {
	a, admin := peopleServer(t)
	id, member := admin.addMember("wang@example.com", "小王")
	before, _ := userChanges(t, a)
	p := "/api/users/" + jsonNum(id)
	for _, op := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/users", map[string]any{"email": "x@example.com", "name": "x"}},
		{"PATCH", p, map[string]any{"roles": []string{"admin"}}},
		{"POST", p + "/disable", nil},
		{"POST", p + "/enable", nil},
		{"POST", p + "/invite", nil},
		{"POST", p + "/reset-password", nil},
		{"POST", "/api/users/1/disable", nil},
	} {
		member.call(op.method, op.path, op.body).wantError(t, 403, "not_allowed")
	}
	if after, _ := userChanges(t, a); after != before {
		t.Errorf("refused changes wrote %d events", after-before)
	}
	for _, u := range items(member.get("/api/users").must(t, 200)) {
		if len(u) != 2 || u["email"] != nil || u["roles"] != nil {
			t.Errorf("a member sees %v", u)
		}
	}
	if me := member.get("/api/auth/me").must(t, 200); me["role"] != "member" {
		t.Errorf("the member became %v", me)
	}
}

// jsonNum writes an id read from JSON as the path wants it.
func jsonNum(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func TestInviteLink(t *testing.T) {
	a, admin := peopleServer(t)
	added := admin.post("/api/users", map[string]any{"email": "Li@example.com", "name": "小李", "roles": []string{"member"}}).must(t, 201)
	link := str(added["invite"])
	if !strings.HasPrefix(link, "/invite/") || added["invited"] != true {
		t.Fatalf("added %v", added)
	}
	path := "/api/invites/" + strings.TrimPrefix(link, "/invite/")
	guest := newClient(t, admin.base)
	if got := guest.get(path).must(t, 200); got["email"] != "li@example.com" || got["name"] != "小李" {
		t.Fatalf("invitation %v", got)
	}
	guest.post(path, map[string]string{"password": "li"}).wantError(t, 400, "password_too_short")
	guest.post(path, map[string]string{"password": "LI@example.com"}).wantError(t, 400, "password_is_email")
	guest.post(path, map[string]string{"password": "superman123"}).wantError(t, 400, "password_common")
	body := guest.post(path, map[string]string{"password": "li-password-1"}).must(t, 200)
	guest.token = str(body["token"])
	if me := guest.get("/api/auth/me").must(t, 200); me["email"] != "li@example.com" {
		t.Fatalf("signed in as %v", me)
	}
	newClient(t, admin.base).get(path).wantError(t, 410, "invite_used")
	newClient(t, admin.base).post(path, map[string]string{"password": "li-password-2"}).wantError(t, 410, "invite_used")
	admin.login("li@example.com", "li-password-1")
	// The log has the invitation and the password set, but neither the token nor the password.
	n, details := userChanges(t, a)
	if n != 3 || strings.Contains(details, link[8:]) || strings.Contains(details, "li-password") { // setup, add, password set
		t.Errorf("%d events: %s", n, details)
	}
}

func TestDisableSignsOut(t *testing.T) {
	a, admin := peopleServer(t)
	id, member := admin.addMember("wang@example.com", "小王")
	p := "/api/users/" + jsonNum(id)
	member.get("/api/auth/me").must(t, 200)
	if u := admin.post(p+"/disable", nil).must(t, 200); u["disabled"] != true {
		t.Fatalf("disabled %v", u)
	}
	member.get("/api/auth/me").wantError(t, 401, "unauthorized")
	login := newClient(t, admin.base).post("/api/auth/login", map[string]string{"email": "wang@example.com", "password": "member-password"})
	if e := login.wantError(t, 403, "account_disabled"); !strings.Contains(str(e["message"]), "账号已停用") {
		t.Errorf("message %v", e["message"])
	}
	if list := items(admin.get("/api/users").must(t, 200)); list[1]["disabled"] != true || list[1]["email"] != "wang@example.com" {
		t.Errorf("directory %v", list)
	}
	admin.post(p+"/enable", nil).must(t, 200)
	member = admin.login("wang@example.com", "member-password")
	// An admin's reset ends the sessions and gives a link; the old password stops working.
	reset := admin.post(p+"/reset-password", nil).must(t, 200)
	member.get("/api/auth/me").wantError(t, 401, "unauthorized")
	newClient(t, admin.base).post("/api/auth/login", map[string]string{"email": "wang@example.com", "password": "member-password"}).wantError(t, 401, "bad_login")
	if !strings.HasPrefix(str(reset["invite"]), "/invite/") {
		t.Errorf("reset %v", reset)
	}
	// The last enabled admin stays.
	admin.post("/api/users/1/disable", nil).wantError(t, 409, "last_admin")
	admin.patch("/api/users/1", map[string]any{"roles": []string{"member"}}).wantError(t, 409, "last_admin")
	admin.patch(p, map[string]any{"roles": []string{"ghost"}}).wantError(t, 400, "unknown_role")
	if u := admin.patch(p, map[string]any{"name": "王小明", "roles": []string{"member", "admin"}}).must(t, 200); u["role"] != "admin" {
		t.Errorf("edited %v", u)
	}
	admin.post("/api/users/1/disable", nil).must(t, 200)
	admin.get("/api/auth/me").wantError(t, 401, "unauthorized")
	if n, details := userChanges(t, a); n != 7 || !strings.Contains(details, `"change":"disabled"`) || !strings.Contains(details, `"name":"王小明"`) {
		t.Errorf("%d events: %s", n, details) // setup, add, disable, enable, reset, edit, disable
	}
}

func TestOwnNameAndPassword(t *testing.T) {
	_, admin := peopleServer(t)
	_, here := admin.addMember("wang@example.com", "小王")
	there := admin.login("wang@example.com", "member-password")
	if u := here.patch("/api/auth/me", map[string]string{"name": "王小明"}).must(t, 200); u["name"] != "王小明" {
		t.Errorf("renamed %v", u)
	}
	here.patch("/api/auth/me", map[string]string{"name": " "}).wantError(t, 400, "required")
	here.post("/api/auth/password", map[string]string{"current": "nope-nope", "password": "wang-password-2"}).wantError(t, 400, "wrong_password")
	here.post("/api/auth/password", map[string]string{"current": "member-password", "password": "wang@example.com"}).wantError(t, 400, "password_is_email")
	here.post("/api/auth/password", map[string]string{"current": "member-password", "password": "wang-password-2"}).must(t, 200)
	here.get("/api/auth/me").must(t, 200)
	there.get("/api/auth/me").wantError(t, 401, "unauthorized")
	admin.login("wang@example.com", "wang-password-2")
}
