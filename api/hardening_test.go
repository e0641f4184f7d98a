package api_test

import (
	"strings"
	"testing"
)

// Every answer — the UI, API answers, errors — refuses to be framed by another site.
func TestNoFraming(t *testing.T) {
	c := newClient(t, newServer(t))
	for _, path := range []string{"/", "/t/客户", "/api/health", "/api/setup", "/api/auth/me", "/api/no-such-route"} {
		r := c.get(path)
		if got := r.Header.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("GET %s (%d): X-Frame-Options %q, want DENY", path, r.Status, got)
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s (%d): Content-Security-Policy %q lacks frame-ancestors 'none'", path, r.Status, csp)
		}
	}
}

// Marking notices read names at most inbox.MaxReadIDs ids; "all" marks everything set-wise.
func TestMarkReadLimit(t *testing.T) {
	admin := setup(t)
	ids := make([]int, 1001)
	for i := range ids {
		ids[i] = i + 1
	}
	e := admin.post("/api/notifications/read", map[string]any{"ids": ids}).wantError(t, 400, "too_many_ids")
	if msg := str(e["message"]); !strings.Contains(msg, "1000") {
		t.Errorf("message %q does not name the limit", msg)
	}
	admin.post("/api/notifications/read", map[string]any{"ids": ids[:1000]}).must(t, 200)
	admin.post("/api/notifications/read", map[string]any{"all": true}).must(t, 200)
}
