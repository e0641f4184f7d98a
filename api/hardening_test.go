package api_test

import (
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
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

// fire sends n requests at once and returns the answers.
func fire(n int, send func(i int) reply) []reply {
	out := make([]reply, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = send(i)
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// codeOf is an answer's error code, or its status for a success.
func codeOf(r reply) string {
	if e, ok := r.Body["error"].(map[string]any); ok {
		return str(e["code"])
	}
	return fmt.Sprint(r.Status)
}

// Ten first-run setups at once: one admin, nine clear 409s.
func TestSetupConcurrent(t *testing.T) {
	base := newServer(t)
	got := map[string]int{}
	for _, r := range fire(10, func(i int) reply {
		c := newClient(t, base)
		return c.post("/api/setup", map[string]string{"email": fmt.Sprintf("admin%d@example.com", i), "password": adminPassword})
	}) {
		got[codeOf(r)]++
		if r.Status == 409 && !strings.Contains(str(r.Body["error"].(map[string]any)["message"]), "初始化") {
			t.Errorf("409 message %v", r.Body)
		}
	}
	if got["200"] != 1 || got["setup_done"] != 9 {
		t.Fatalf("10 setups at once: %v, want one 200 and nine setup_done", got)
	}
	if c := newClient(t, base); c.get("/api/setup").must(t, 200)["needsSetup"] != false {
		t.Error("setup still needed")
	}
}

// Forty wrong passwords for one account at once: at most five are checked, the rest are 429
// with Retry-After.
func TestWrongPasswordsAtOnce(t *testing.T) {
	admin := setup(t)
	got := map[string]int{}
	for _, r := range fire(40, func(i int) reply {
		return newClient(t, admin.base).post("/api/auth/login", map[string]string{"email": adminEmail, "password": fmt.Sprintf("guess-%d", i)})
	}) {
		got[codeOf(r)]++
		if r.Status == 429 && r.Header.Get("Retry-After") == "" {
			t.Errorf("429 without Retry-After: %v", r.Body)
		}
	}
	if got["bad_login"] > 5 || got["bad_login"]+got["throttled"]+got["busy"] != 40 || got["throttled"] < 30 {
		t.Errorf("40 wrong passwords at once: %v, want at most 5 bad_login, the rest throttled", got)
	}
}

// 150 logins at once, each for an account and from an address of its own (so that no
// throttle hides the bound; an unknown email costs the same hash as a known one): the password
// hashes in flight (19 MiB each) are bounded, so the heap stays far below 150 × 19 MiB; those
// not served within a short wait get 429 busy with Retry-After.
func TestLoginFloodBounded(t *testing.T) {
	admin := setup(t)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak uint64
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
		}
	}()
	answers := fire(150, func(i int) reply {
		c := newClient(t, admin.base)
		dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(i+1))}}
		c.http.Transport = &http.Transport{DialContext: dialer.DialContext}
		return c.post("/api/auth/login", map[string]string{"email": fmt.Sprintf("nobody%d@example.com", i), "password": adminPassword})
	})
	close(stop)
	<-sampled
	got := map[string]int{}
	for _, r := range answers {
		got[codeOf(r)]++
		if r.Status == 429 && r.Header.Get("Retry-After") == "" {
			t.Errorf("429 without Retry-After: %v", r.Body)
		}
	}
	if got["bad_login"] == 0 || got["bad_login"]+got["busy"] != 150 {
		t.Errorf("150 logins at once: %v, want bad_login (checked) and 429 busy only", got)
	}
	grew := int64(peak) - int64(before.HeapAlloc)
	t.Logf("150 logins at once: %v; heap grew by %d MiB at most", got, grew>>20)
	if limit := int64(12 * 19 << 20); grew > limit {
		t.Errorf("heap grew by %d MiB during 150 logins, want under %d MiB (hashes in flight bounded)", grew>>20, limit>>20)
	}
}
