package api_test

import (
	"context"
	"io"
	"net"
	"net/http/httptest"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"tierbase/api"
	"tierbase/app"
	"tierbase/platform/store"
)

// proxy forwards TCP connections to a PostgreSQL server until it is taken down, which cuts
// them all and refuses new ones, as a stopped server or a cut network does.
type proxy struct {
	target, addr string
	mu           sync.Mutex
	ln           net.Listener
	conns        []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	p := &proxy{target: target, addr: "127.0.0.1:0"}
	p.up(t)
	t.Cleanup(p.down)
	return p
}

func (p *proxy) up(t *testing.T) {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
}

func (p *proxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// While PostgreSQL cannot be reached, requests that need it fail at once with 503 and a
// message in the user's language, not 500; once it is back the node answers again by itself.
// Backends killed under a node (a server restart as the node sees it) cost at most a 503.
func TestDatabaseUnreachable(t *testing.T) {
	server := os.Getenv(store.TestServerEnv)
	if server == "" {
		t.Skip("no PostgreSQL server to test on (make test starts one: scripts/pgtest)")
	}
	u, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, u.Host)
	u.Host = p.addr
	t.Setenv(store.TestServerEnv, u.String())
	dir := t.TempDir()
	a, err := app.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv := &api.Server{Catalog: a.Catalog, Records: a.Records, Users: a.Users, Org: a.Org, Grading: a.Grading, Rules: a.Rules,
		Inbox: a.Inbox, Reports: a.Reports, Workbench: a.Workbench, Audit: a.Audit, Version: "test-1"}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	c := newClient(t, ts.URL)
	c.token = str(c.post("/api/setup", map[string]string{"email": adminEmail, "password": adminPassword, "name": adminName}).must(t, 200)["token"])
	c.post("/api/tables", map[string]any{"name": "客户", "fields": []any{f("客户名称", "text")}}).must(t, 201)
	c.post(recordsPath("客户"), map[string]any{"客户名称": "格力"}).must(t, 201)
	// A session opened on another node, which this one has yet to look up.
	other, err := app.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	session, err := other.Users.Login(context.Background(), adminEmail, adminPassword, "test")
	other.Close()
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := newClient(t, ts.URL)
	elsewhere.token = session.Token

	c.get("/api/health").must(t, 200)
	p.down()
	c.get("/api/health").wantError(t, 503, "db_unavailable")             // the load balancer sends requests elsewhere
	elsewhere.get(recordsPath("客户")).wantError(t, 503, "db_unavailable") // not 401: the person stays signed in
	start := time.Now()
	e := c.get(recordsPath("客户")).wantError(t, 503, "db_unavailable")
	if e["message"] != "数据库暂时无法连接，请稍后重试" {
		t.Errorf("message %q", e["message"])
	}
	c.lang = "en"
	r := c.post(recordsPath("客户"), map[string]any{"客户名称": "美的"})
	if e := r.wantError(t, 503, "db_unavailable"); e["message"] != "The database cannot be reached; try again shortly" || r.Header.Get("Retry-After") == "" {
		t.Errorf("message %q, Retry-After %q", e["message"], r.Header.Get("Retry-After"))
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the refusals took %v", d)
	}

	p.up(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := c.post(recordsPath("客户"), map[string]any{"客户名称": "美的"})
		if r.Status == 201 {
			break
		}
		if r.Status != 503 || time.Now().After(deadline) {
			t.Fatalf("after the database came back: %d %s", r.Status, r.Raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
	elsewhere.get(recordsPath("客户")).must(t, 200)
	c.get("/api/health").must(t, 200)
	if n := c.count("客户"); n != 2 {
		t.Fatalf("%d records, want 2", n)
	}

	// Every connection of the node killed on the server, the listening one included.
	deadline = time.Now().Add(10 * time.Second)
	for listening := 0; listening == 0; time.Sleep(50 * time.Millisecond) {
		a.DB.R.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE application_name = ? AND query LIKE 'LISTEN%'", a.DB.Node()).Scan(&listening)
		if time.Now().After(deadline) {
			t.Fatal("the node did not listen again")
		}
	}
	var killed int
	if err := a.DB.R.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = ? AND pid <> pg_backend_pid()`, a.DB.Node()).Scan(&killed); err != nil || killed == 0 {
		t.Fatalf("killed %d backends of %s (%v)", killed, a.DB.Node(), err)
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		r := c.get(recordsPath("客户"))
		if r.Status == 200 {
			break
		}
		if r.Status != 503 || time.Now().After(deadline) {
			t.Fatalf("after its backends were killed: %d %s", r.Status, r.Raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
