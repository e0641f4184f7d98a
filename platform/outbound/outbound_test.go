package outbound_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"tierbase/platform/outbound"
	"tierbase/platform/problem"
)

// TestCheckURL: the addresses of the server's own networks are refused with the reason, in
// Chinese and English; a public address, and an allow-listed one, pass.
func TestCheckURL(t *testing.T) {
	g, err := outbound.NewGuard(nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for raw, reason := range map[string]string{
		"http://127.0.0.1:8080/hook":      "addr_loopback",
		"http://127.9.9.9/":               "addr_loopback",
		"http://[::1]:9000/":              "addr_loopback",
		"http://localhost:9000/":          "addr_loopback", // a name resolving to loopback
		"http://10.1.2.3/":                "addr_private",
		"https://172.16.0.1/":             "addr_private",
		"http://192.168.1.10/erp":         "addr_private",
		"http://[fd00::1]/":               "addr_private",
		"http://169.254.169.254/latest/":  "addr_link_local",
		"http://[fe80::1]/":               "addr_link_local",
		"http://100.64.0.1/":              "addr_cgnat",
		"http://0.0.0.0/":                 "addr_unspecified",
		"http://[::]/":                    "addr_unspecified",
		"http://224.0.0.1/":               "addr_multicast",
		"http://[::ffff:127.0.0.1]/":      "addr_loopback", // IPv4 in IPv6 clothing
		"http://[64:ff9b::a00:1]/":        "addr_private",
		"ftp://example.com/":              "addr_scheme",
		"file:///etc/passwd":              "addr_scheme",
		"gopher://127.0.0.1:6379/_FLUSH":  "addr_scheme",
		"http:///nohost":                  "addr_scheme",
		"not a url at all":                "addr_scheme",
		"http://no-such-host.invalid/":    "addr_unresolved",
		"https://user:pw@127.0.0.1:1/x/y": "addr_loopback",
	} {
		err := g.CheckURL(ctx, raw)
		p := problem.As(err)
		if p == nil || p.Code != "url_refused" || p.Params["reason"] != reason {
			t.Errorf("%s: %v, want %s", raw, err, reason)
			continue
		}
		if p.Status != 400 {
			t.Errorf("%s: status %d", raw, p.Status)
		}
	}
	p := problem.As(g.CheckURL(ctx, "http://10.0.0.5/"))
	if zh, en := p.Message("zh"), p.Message("en"); !strings.Contains(zh, "内网地址") || !strings.Contains(zh, "允许列表") ||
		!strings.Contains(en, "private network address") || !strings.Contains(en, "allow-list") {
		t.Errorf("messages %q / %q", zh, en)
	}
	for _, raw := range []string{"https://93.184.215.14/hook", "http://8.8.8.8:8080/", "https://[2606:4700::1111]/"} {
		if err := g.CheckURL(ctx, raw); err != nil {
			t.Errorf("%s refused: %v", raw, err)
		}
	}

	allowed, err := outbound.NewGuard([]string{"10.0.0.0/8", "192.168.1.10", " erp.intranet ", ""})
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{"http://10.20.30.40/", "http://192.168.1.10/erp", "http://ERP.intranet/api"} {
		if err := allowed.CheckURL(ctx, raw); err != nil {
			t.Errorf("%s refused though allow-listed: %v", raw, err)
		}
	}
	for _, raw := range []string{"http://192.168.1.11/", "http://127.0.0.1/"} {
		if err := allowed.CheckURL(ctx, raw); err == nil {
			t.Errorf("%s passed, only its neighbour is allow-listed", raw)
		}
	}
	if _, err := outbound.NewGuard([]string{"10.0.0.0/33"}); err == nil {
		t.Error("a bad range was taken")
	}
}

// TestClientRefusesAtDial: the client checks the address it actually connects to, so a
// name that resolves inside (or is rebound there after the URL was checked) is refused too;
// an allow-listed 127.0.0.1 is reached.
func TestClientRefusesAtDial(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.WriteHeader(204)
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]

	g, _ := outbound.NewGuard(nil)
	c := g.Client(5 * time.Second)
	for _, u := range []string{srv.URL, "http://localhost:" + port + "/", "http://[::1]:" + port + "/"} {
		resp, err := c.Get(u)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("%s reached", u)
		}
		if !outbound.IsRefused(err) {
			t.Errorf("%s: %v, not a refusal", u, err)
		}
	}
	if hits != 0 {
		t.Fatalf("the receiver was hit %d times", hits)
	}

	// A redirect to the inside is not followed: the 3xx is the answer.
	redirect := httptest.NewServer(http.RedirectHandler(srv.URL, http.StatusFound))
	defer redirect.Close()
	ok, _ := outbound.NewGuard([]string{"127.0.0.1"})
	resp, err := ok.Client(5 * time.Second).Get(redirect.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || hits != 0 {
		t.Fatalf("redirect: %d, %d hits", resp.StatusCode, hits)
	}
	resp, err = ok.Client(5 * time.Second).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || hits != 1 {
		t.Fatalf("allow-listed: %d, %d hits", resp.StatusCode, hits)
	}

	// An allow-listed host name is dialled as named (the admin trusts its resolution).
	byName, _ := outbound.NewGuard([]string{"localhost"})
	resp, err = byName.Client(5 * time.Second).Get("http://localhost:" + port + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if hits != 2 {
		t.Fatalf("by name: %d hits", hits)
	}
}

// TestClientTimeout: a receiver that does not answer gives up after the client's timeout.
func TestClientTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	g, _ := outbound.NewGuard([]string{"127.0.0.1"})
	start := time.Now()
	_, err := g.Client(200 * time.Millisecond).Get(srv.URL)
	if err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("%v after %s", err, time.Since(start))
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("%v is not a timeout", err)
	}
}

// FuzzNewGuard: any allow-list either parses or is refused with a problem; never a panic,
// and a parsed list never lets the loopback through unless it names it.
func FuzzNewGuard(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "erp.intranet", "::1", "127.0.0.1/32", "a b", "1.2.3.4/99", "[::1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, entry string) {
		g, err := outbound.NewGuard([]string{entry})
		if err != nil {
			if problem.As(err) == nil {
				t.Fatalf("%q: %v is no problem", entry, err)
			}
			return
		}
		names := strings.Contains(entry, "127.") || strings.Contains(entry, "/") || strings.Contains(entry, ":")
		if err := g.CheckURL(context.Background(), "http://127.0.0.1/"); err == nil && !names {
			t.Fatalf("%q lets 127.0.0.1 through", entry)
		}
	})
}
