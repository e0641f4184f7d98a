package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRobots: an admin adds a 企业微信 robot and sends a test message to a real local receiver;
// its address never comes back; a member sees the robot's name only and may not change it.
func TestRobots(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("key") != "secret-key-123" {
			w.Write([]byte(`{"errcode":93000,"errmsg":"invalid webhook url"}`))
			return
		}
		hits++
		w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
	}))
	defer srv.Close()
	c := setup(t)
	c.post("/api/robots", map[string]any{"name": "销售群", "kind": "wecom", "url": srv.URL + "/send"}).wantError(t, 400, "robot_url")
	robot := c.post("/api/robots", map[string]any{"name": "销售群", "kind": "wecom", "url": srv.URL + "/send?key=secret-key-123", "enabled": true}).must(t, 201)
	id := str(robot["id"])
	if !strings.Contains(str(robot["masked"]), "key=secr****") || robot["url"] != nil {
		t.Fatalf("robot answered %v", robot)
	}
	d := c.post("/api/robots/"+id+"/test", nil).must(t, 200)
	if d["ok"] != true || hits != 1 {
		t.Fatalf("test message %v (%d hits)", d, hits)
	}
	if log := items(c.get("/api/robots/"+id+"/deliveries").must(t, 200)); len(log) != 1 {
		t.Fatalf("log %v", log)
	}
	// A wrong key: the test says what the vendor answered.
	c.call("PUT", "/api/robots/"+id, map[string]any{"name": "销售群", "kind": "wecom", "url": srv.URL + "/send?key=wrong", "enabled": true}).must(t, 200)
	if d := c.post("/api/robots/"+id+"/test", nil).must(t, 200); d["ok"] != false || !strings.Contains(str(d["response"]), "invalid webhook url") {
		t.Fatalf("test with a wrong key %v", d)
	}

	_, member := c.addMember("m@example.com", "小王")
	list := member.get("/api/robots").must(t, 200)
	if l := items(list); len(l) != 1 || strings.Contains(member.get("/api/robots").Raw, "wrong") {
		t.Fatalf("member's list %v", list)
	}
	member.post("/api/robots", map[string]any{"name": "群", "kind": "wecom", "url": srv.URL + "/send?key=k"}).wantError(t, 403, "not_allowed")
	member.post("/api/robots/"+id+"/test", nil).wantError(t, 403, "not_allowed")
	member.get("/api/robots/"+id+"/deliveries").wantError(t, 403, "not_allowed")
	member.del("/api/robots/"+id).wantError(t, 403, "not_allowed")
	c.del("/api/robots/"+id).must(t, 200)
	c.del("/api/robots/"+id).wantError(t, 404, "not_found")
}
