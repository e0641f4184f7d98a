package api_test

import (
	"fmt"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// newProxiedServer starts the real handler as newServer does, believing the given proxies.
func newProxiedServer(t *testing.T, proxies ...string) *client {
	t.Helper()
	_, srv := newApp(t)
	for _, p := range proxies {
		srv.TrustedProxies = append(srv.TrustedProxies, netip.MustParsePrefix(p))
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	c := newClient(t, ts.URL)
	c.post("/api/setup", map[string]string{"email": adminEmail, "password": adminPassword, "name": adminName}).must(t, 200)
	return c
}

// Behind nginx every connection comes from nginx: the client is the one X-Forwarded-For names,
// so one person's wrong passwords lock out that person's address, not everyone's; the
// operation log shows their address; and HTTPS at nginx makes the cookies Secure.
func TestClientBehindTrustedProxy(t *testing.T) {
	c := newProxiedServer(t, "127.0.0.0/8")
	// A forged hop before the real one is ignored: nginx appends the address it saw.
	c.head["X-Forwarded-For"] = "198.51.100.1, 203.0.113.5"
	for i := range 20 {
		c.post("/api/auth/login", map[string]string{"email": fmt.Sprintf("nobody%d@example.com", i), "password": "wrong-password"}).wantError(t, 401, "bad_login")
	}
	c.post("/api/auth/login", map[string]string{"email": adminEmail, "password": adminPassword}).wantError(t, 429, "throttled")

	other := newClient(t, c.base)
	other.head["X-Forwarded-For"] = "203.0.113.6"
	other.head["X-Forwarded-Proto"] = "https"
	r := other.post("/api/auth/login", map[string]string{"email": adminEmail, "password": adminPassword})
	r.must(t, 200)
	for _, ck := range r.Header.Values("Set-Cookie") {
		if !strings.Contains(ck, "; Secure") {
			t.Errorf("cookie over HTTPS at the proxy is not Secure: %s", ck)
		}
	}
	admin := other.login(adminEmail, adminPassword)
	failed := items(admin.auditPage("action", "sign_in_failed", "limit", "1"))
	if len(failed) != 1 || failed[0]["client"] != "203.0.113.5" {
		t.Fatalf("failed sign-in logged as %v, want client 203.0.113.5", failed)
	}
}

// From a connection that is not a trusted proxy the headers are not believed: a guesser cannot
// dodge the throttle by sending a new X-Forwarded-For with each attempt, nor ask for Secure.
func TestForwardedHeadersIgnoredFromOthers(t *testing.T) {
	c := newProxiedServer(t) // no trusted proxy
	for i := range 20 {
		c.head["X-Forwarded-For"] = fmt.Sprintf("203.0.113.%d", i+1)
		c.post("/api/auth/login", map[string]string{"email": fmt.Sprintf("nobody%d@example.com", i), "password": "wrong-password"}).wantError(t, 401, "bad_login")
	}
	c.head["X-Forwarded-For"] = "203.0.113.200"
	c.head["X-Forwarded-Proto"] = "https"
	c.post("/api/auth/login", map[string]string{"email": adminEmail, "password": adminPassword}).wantError(t, 429, "throttled")
}
