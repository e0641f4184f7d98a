package api_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestWebhooks: an admin adds an endpoint for a local receiver (allow-listed), which gets a
// signed test event and then, from the running job queue, the record created; a replay
// sends the same message with the same webhook-id; an address inside the network is a 400
// saying why; members and tokens may not manage webhooks.
func TestWebhooks(t *testing.T) {
	var mu sync.Mutex
	var secret string
	type hit struct {
		id   string
		body map[string]any
	}
	var hits []hit
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(r.Header.Get("webhook-id") + "." + r.Header.Get("webhook-timestamp") + "." + string(body)))
		if r.Header.Get("webhook-signature") != "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
			w.WriteHeader(401)
			return
		}
		var m map[string]any
		json.Unmarshal(body, &m)
		hits = append(hits, hit{r.Header.Get("webhook-id"), m})
	}))
	defer srv.Close()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(hits) }

	c := setup(t)
	customers(c)
	c.lang = "en"
	e := c.post("/api/webhooks", map[string]any{"name": "ERP", "url": "http://10.0.0.8/hook", "table": "客户", "events": []string{"record.created"}}).wantError(t, 400, "url_refused")
	if !strings.Contains(str(e["message"]), "private network address") || !strings.Contains(str(e["message"]), "allow-list") {
		t.Fatalf("message %v", e["message"])
	}
	c.lang = ""
	if e := c.post("/api/webhooks", map[string]any{"name": "ERP", "url": "http://169.254.169.254/", "table": "客户", "events": []string{"record.created"}}).wantError(t, 400, "url_refused"); !strings.Contains(str(e["message"]), "链路本地") {
		t.Fatalf("message %v", e["message"])
	}
	c.post("/api/webhooks", map[string]any{"name": "ERP", "url": srv.URL, "table": "客户", "events": []string{"record.moved"}}).wantError(t, 400, "bad_choice")
	hook := c.post("/api/webhooks", map[string]any{"name": "ERP", "url": srv.URL + "/hook", "table": "客户", "events": []string{"record.created"}, "enabled": true}).must(t, 201)
	id := str(hook["id"])
	mu.Lock()
	secret = str(hook["secret"])
	mu.Unlock()
	if !strings.HasPrefix(secret, "whsec_") || c.get("/api/webhooks/"+id).must(t, 200)["secret"] != nil || strings.Contains(c.get("/api/webhooks").Raw, secret) {
		t.Fatalf("secret %q shown again", secret)
	}

	d := c.post("/api/webhooks/"+id+"/test", nil).must(t, 200)
	if d["ok"] != true || count() != 1 || hits[0].body["type"] != "webhook.test" {
		t.Fatalf("test event %v, %d hits", d, count())
	}
	rec := c.create("客户", map[string]any{"客户名称": "新客户"})
	deadline := time.Now().Add(10 * time.Second)
	for count() < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if count() != 2 {
		t.Fatal("the record's event did not arrive")
	}
	data := hits[1].body["data"].(map[string]any)
	if hits[1].body["type"] != "record.created" || data["record"].(map[string]any)["客户名称"] != "新客户" || data["id"] != rec["id"] {
		t.Fatalf("event %v", hits[1].body)
	}
	var log []map[string]any // the attempt is logged once the receiver has answered
	for deadline := time.Now().Add(10 * time.Second); len(log) < 2 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		log = items(c.get("/api/webhooks/"+id+"/deliveries").must(t, 200))
	}
	if len(log) != 2 || log[0]["message"] != hits[1].id || log[0]["ok"] != true {
		t.Fatalf("log %v", log)
	}
	if r := c.post("/api/webhooks/"+id+"/replay", map[string]any{"message": hits[1].id}).must(t, 200); r["queued"] != float64(1) {
		t.Fatalf("replay %v", r)
	}
	deadline = time.Now().Add(10 * time.Second)
	for count() < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if count() != 3 || hits[2].id != hits[1].id {
		t.Fatalf("replayed with id %v, first %v", hits[len(hits)-1].id, hits[1].id)
	}
	c.post("/api/webhooks/"+id+"/replay", map[string]any{"message": "msg_nope"}).wantError(t, 404, "not_found")

	_, member := c.addMember("m@example.com", "小王")
	member.get("/api/webhooks").wantError(t, 403, "not_allowed")
	member.post("/api/webhooks/"+id+"/test", nil).wantError(t, 403, "not_allowed")
	member.get("/api/webhooks/"+id+"/deliveries").wantError(t, 403, "not_allowed")
	member.call("PUT", "/api/webhooks/"+id, map[string]any{"name": "x", "url": srv.URL, "table": "客户", "events": []string{"record.created"}}).wantError(t, 403, "not_allowed")
	member.del("/api/webhooks/"+id).wantError(t, 403, "not_allowed")
	token := withToken(c, str(c.post("/api/tokens", map[string]any{"name": "集成"}).must(t, 201)["token"]))
	token.get("/api/webhooks").wantError(t, 403, "not_allowed")

	upd := c.call("PUT", "/api/webhooks/"+id, map[string]any{"name": "ERP", "url": srv.URL + "/hook", "table": "客户", "events": []string{"record.created", "record.deleted"}, "enabled": true, "rotateSecret": true}).must(t, 200)
	if s := str(upd["secret"]); s == "" || s == secret {
		t.Fatalf("rotated %v", upd)
	}
	c.del("/api/webhooks/"+id).must(t, 200)
	c.del("/api/webhooks/"+id).wantError(t, 404, "not_found")
}
