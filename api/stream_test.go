package api_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"tierbase/api"
	"tierbase/app"
)

// liveServer serves the API as `tierbase serve` does (an http.Server whose Shutdown closes
// the notification streams) and returns the app, the server and its base URL.
func liveServer(t *testing.T) (*app.App, *http.Server, string) {
	t.Helper()
	a, srv := newApp(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv.Handler()}
	hs.RegisterOnShutdown(srv.CloseStreams)
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	return a, hs, "http://" + ln.Addr().String()
}

// events opens the notification stream as c and returns its lines (events' data and
// comments) as they arrive; the channel closes when the stream ends.
func (c *client) events(ctx context.Context) (<-chan string, *http.Response) {
	c.t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.base+"/api/notifications/stream", nil)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	out := make(chan string, 100)
	go func() {
		defer close(out)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, "data: ") || strings.HasPrefix(l, ":") {
				out <- l
			}
		}
	}()
	return out, res
}

// next waits up to d for the next line of a stream; "" when none came, "<closed>" at its end.
func next(lines <-chan string, d time.Duration) string {
	select {
	case l, ok := <-lines:
		if !ok {
			return "<closed>"
		}
		return l
	case <-time.After(d):
		return ""
	}
}

// The notification stream: it starts with the unread count, tells each user of their own
// new notices at once (and of nobody else's), beats while idle, and ends on logout and on
// shutdown without holding the server, leaving no subscription behind.
func TestNotificationStream(t *testing.T) {
	old := api.StreamHeartbeat
	api.StreamHeartbeat = 200 * time.Millisecond
	defer func() { api.StreamHeartbeat = old }()
	a, hs, base := liveServer(t)
	admin := newClient(t, base)
	body := admin.post("/api/setup", map[string]string{"email": adminEmail, "password": adminPassword, "name": adminName}).must(t, 200)
	admin.token = str(body["token"])
	wangID, wang := admin.addMember("wang@example.com", "小王")
	_, li := admin.addMember("li@example.com", "小李")
	ctx := context.Background()

	// A browser signs in with the cookie only; the stream is a GET, so it needs no CSRF header.
	browser := newClient(t, base)
	browser.post("/api/auth/login", map[string]string{"email": "wang@example.com", "password": "member-password"}).must(t, 200)
	wangLines, res := browser.events(ctx)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type %q", ct)
	}
	liLines, _ := li.events(ctx)
	for who, lines := range map[string]<-chan string{"小王": wangLines, "小李": liLines} {
		if l := next(lines, 2*time.Second); l != `data: {"unread":0}` {
			t.Fatalf("%s's stream starts with %q", who, l)
		}
	}
	if err := a.Inbox.Notify(ctx, []int64{int64(wangID)}, "客户「华为」成为高价值客户", "", ""); err != nil {
		t.Fatal(err)
	}
	if l := next(wangLines, 2*time.Second); l != `data: {"unread":1}` {
		t.Fatalf("小王 got %q after his notice, want the count 1 within 2 s", l)
	}
	if l := next(liLines, 2*time.Second); l != ": ping" { // the notice would come first: it goes at commit, a beat later
		t.Fatalf("小李 got %q after 小王's notice, want only the heartbeat", l)
	}
	// Marking read on another device updates the count.
	wang.post("/api/notifications/read", map[string]any{"all": true}).must(t, 200)
	for l := next(wangLines, 2*time.Second); l != `data: {"unread":0}`; l = next(wangLines, 2*time.Second) {
		if l != ": ping" {
			t.Fatalf("小王 got %q after marking read, want the count 0", l)
		}
	}
	// Logout ends the browser's stream (小王's API token keeps its own session).
	browser.head["X-CSRF-Token"] = csrfOf(t, browser)
	browser.post("/api/auth/logout", nil).must(t, 200)
	if !closedWithin(wangLines, 2*time.Second) {
		t.Fatal("the stream stayed open after logout")
	}
	if r := browser.get("/api/notifications/stream"); r.Status != 401 {
		t.Fatalf("stream after logout: %d", r.Status)
	}
	// Shutdown ends the others at once instead of waiting for its timeout.
	start := time.Now()
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(c); err != nil {
		t.Fatalf("shutdown: %v after %v", err, time.Since(start))
	}
	if !closedWithin(liLines, time.Second) {
		t.Fatal("小李's stream stayed open after shutdown")
	}
	deadline := time.Now().Add(2 * time.Second)
	for a.Inbox.Subscribers() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := a.Inbox.Subscribers(); n != 0 {
		t.Fatalf("%d inbox subscriptions left after the streams closed", n)
	}
}

// closedWithin drains a stream's lines until it ends, up to d.
func closedWithin(lines <-chan string, d time.Duration) bool {
	end := time.After(d)
	for {
		select {
		case _, ok := <-lines:
			if !ok {
				return true
			}
		case <-end:
			return false
		}
	}
}

// csrfOf is the CSRF cookie a browser client got at sign-in.
func csrfOf(t *testing.T, c *client) string {
	t.Helper()
	u, _ := http.NewRequest("GET", c.base, nil)
	for _, k := range c.http.Jar.Cookies(u.URL) {
		if k.Name == "tb_csrf" {
			return k.Value
		}
	}
	t.Fatal("no CSRF cookie")
	return ""
}
