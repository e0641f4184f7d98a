package webhooks_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/engines/importer"
	"tierbase/engines/webhooks"
	"tierbase/platform/problem"
	"tierbase/platform/spreadsheet"
)

// clock is the tests' settable time, shared by every engine and the job queue.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type world struct {
	*app.App
	t      *testing.T
	dir    string
	clock  *clock
	orders *schema.Table
	admin  access.Actor
}

// open makes a data directory with a table 订单 and an admin, on the tests' clock, with
// 127.0.0.1 allow-listed for the local receivers.
func open(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, dir: t.TempDir(), clock: &clock{t: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)}}
	w.reopen()
	t.Cleanup(func() { w.App.Close() })
	ctx := context.Background()
	var err error
	w.orders, err = w.Catalog.CreateTable(ctx, access.System, "", "订单", []*schema.Field{
		{Name: "订单名称", Type: schema.Text}, {Name: "金额", Type: schema.Money},
		{Name: "状态", Type: schema.Select, Options: []schema.Option{{Value: "草稿"}, {Value: "已审批"}}},
		{Name: "联系电话", Type: schema.Phone, Sensitive: true}})
	if err != nil {
		t.Fatal(err)
	}
	u, err := w.Users.Setup(ctx, "admin@example.com", "a long enough password 1", "管理员")
	if err != nil {
		t.Fatal(err)
	}
	w.admin = w.Users.ActorOf(u)
	return w
}

// reopen opens the data directory (again: a restart of the process), closing what was open.
func (w *world) reopen() {
	w.t.Helper()
	if w.App != nil {
		w.App.Close()
	}
	a, err := app.Open(w.dir)
	if err != nil {
		w.t.Fatal(err)
	}
	a.SetClock(w.clock.now, time.UTC)
	if err := a.AllowOutbound([]string{"127.0.0.1"}); err != nil {
		w.t.Fatal(err)
	}
	w.App = a
	if w.orders != nil {
		if w.orders, err = a.Catalog.Table("订单"); err != nil {
			w.t.Fatal(err)
		}
	}
}

func (w *world) create(in records.Input) records.Record {
	w.t.Helper()
	r, err := w.Records.Create(context.Background(), access.System, w.orders, in)
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

func (w *world) update(id int64, in records.Input) {
	w.t.Helper()
	if _, err := w.Records.Update(context.Background(), access.System, w.orders, id, in); err != nil {
		w.t.Fatal(err)
	}
}

// drain runs the due jobs.
func (w *world) drain() {
	w.t.Helper()
	if _, err := w.Jobs.Drain(context.Background()); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) save(e *webhooks.Endpoint) *webhooks.Endpoint {
	w.t.Helper()
	out, err := w.Webhooks.Save(context.Background(), w.admin, e)
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

// request is one request a receiver got.
type request struct {
	id, timestamp string
	ok            bool // the receiver accepted it
	body          map[string]any
}

// receiver is a webhook consumer that verifies each request exactly as the Standard Webhooks
// specification says: the content signed is "id.timestamp.body", the key is the base64
// decoded part of the secret after whsec_, the header holds space-delimited "v1,<base64>"
// signatures of which one must match (constant-time), and the timestamp must be within five
// minutes of now. It answers with status() (200 when up), and logs every request.
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	secret  string
	now     func() time.Time
	status  func() (int, http.Header)
	got     []request
	badSigs int
}

func newReceiver(t *testing.T, now func() time.Time) *receiver {
	rc := &receiver{now: now}
	rc.status = func() (int, http.Header) { return 200, nil }
	rc.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
		if !rc.verify(id, ts, r.Header.Get("webhook-signature"), body) {
			rc.badSigs++
			rw.WriteHeader(400)
			return
		}
		status, h := rc.status()
		for k, v := range h {
			rw.Header()[k] = v
		}
		var m map[string]any
		json.Unmarshal(body, &m)
		rc.got = append(rc.got, request{id: id, timestamp: ts, ok: status/100 == 2, body: m})
		rw.WriteHeader(status)
		rw.Write([]byte(`{"received":true}`))
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) verify(id, ts, header string, body []byte) bool {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || id == "" {
		return false
	}
	if d := rc.now().Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return false
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(rc.secret, "whsec_"))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	want := mac.Sum(nil)
	for _, s := range strings.Split(header, " ") {
		version, sig, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

// accepted returns the requests accepted, in order.
func (rc *receiver) accepted() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []request
	for _, r := range rc.got {
		if r.ok {
			out = append(out, r)
		}
	}
	return out
}

func (rc *receiver) all() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.got...)
}

// TestEventsSignedAndNamed: a create, an update and a delete reach the receiver as three
// signed messages with their own ids (a write rolled back sends nothing); the record is keyed by field names, the update
// carries the record before and the names of the fields that changed, and 敏感 fields are
// masked.
func TestEventsSignedAndNamed(t *testing.T) {
	w := open(t)
	rc := newReceiver(t, w.clock.now)
	e := w.save(&webhooks.Endpoint{Name: "ERP", URL: rc.URL + "/hook", Table: "订单", Enabled: true,
		Events: []webhooks.Event{webhooks.Created, webhooks.Updated, webhooks.Deleted}})
	if !strings.HasPrefix(e.Secret, "whsec_") {
		t.Fatalf("secret %q", e.Secret)
	}
	if key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(e.Secret, "whsec_")); err != nil || len(key) < 24 {
		t.Fatalf("secret key %d bytes, %v", len(key), err)
	}
	rc.secret = e.Secret
	if again, _ := w.Webhooks.Get(context.Background(), w.admin, e.ID); again.Secret != "" {
		t.Fatal("the secret is answered again")
	}

	r := w.create(records.Input{"订单名称": "年度框架协议", "金额": 12000, "状态": "草稿", "联系电话": "13800138000"})
	w.update(r.ID(), records.Input{"状态": "已审批"})
	w.update(r.ID(), records.Input{"状态": "已审批"}) // nothing changes: no event
	if err := w.Records.Delete(context.Background(), access.System, w.orders, r.ID()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err := w.DB.Tx(ctx, func(tx *sql.Tx) error { // a write rolled back leaves no message
		if _, err := w.Records.CreateTx(ctx, tx, access.System, w.orders, records.Input{"订单名称": "作废"}); err != nil {
			return err
		}
		return errors.New("changed my mind")
	})
	if err == nil {
		t.Fatal("the write committed")
	}
	if got := rc.accepted(); len(got) != 0 {
		t.Fatalf("delivered before the queue ran: %v", got)
	}
	w.drain()
	got := rc.accepted()
	if len(got) != 3 || rc.badSigs != 0 {
		t.Fatalf("%d delivered, %d bad signatures", len(got), rc.badSigs)
	}
	types := []string{"record.created", "record.updated", "record.deleted"}
	// Deliveries run side by side, so they may arrive in any order (the payload's timestamp
	// tells a receiver which came first).
	slices.SortFunc(got, func(a, b request) int {
		return slices.Index(types, a.body["type"].(string)) - slices.Index(types, b.body["type"].(string))
	})
	ids := map[string]bool{}
	for i, g := range got {
		ids[g.id] = true
		if g.body["type"] != types[i] {
			t.Errorf("message %d is %v", i, g.body["type"])
		}
		data := g.body["data"].(map[string]any)
		if data["table"] != "订单" || data["id"] != float64(r.ID()) {
			t.Errorf("message %d data %v", i, data)
		}
	}
	if len(ids) != 3 {
		t.Fatalf("ids %v", ids)
	}
	created := got[0].body["data"].(map[string]any)["record"].(map[string]any)
	if created["订单名称"] != "年度框架协议" || created["金额"] != float64(12000) || created["联系电话"] != "138****8000" || created["id"] != float64(r.ID()) {
		t.Fatalf("created record %v", created)
	}
	upd := got[1].body["data"].(map[string]any)
	before, after := upd["before"].(map[string]any), upd["record"].(map[string]any)
	if before["状态"] != "草稿" || after["状态"] != "已审批" || strings.Join(toStrings(upd["changed"]), ",") != "状态" {
		t.Fatalf("update %v", upd)
	}
	del := got[2].body["data"].(map[string]any)
	if del["record"] != nil || del["before"].(map[string]any)["订单名称"] != "年度框架协议" {
		t.Fatalf("delete %v", del)
	}
	log, err := w.Webhooks.Deliveries(ctx, w.admin, e.ID, 0, 10)
	if err != nil || len(log) != 3 || !log[0].OK || log[0].Status != 200 || !slices.Contains(types, log[0].Type) || log[0].Response != `{"received":true}` {
		t.Fatalf("log %+v %v", log, err)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// TestDownThenUpAcrossRestart: the receiver is down, the queue tries, the process restarts
// in the middle of the retries, and the receiver comes back: every event is delivered once
// accepted, each attempt of a message with the same webhook-id, on the schedule (nothing
// before 5 s, then nothing before 5 min).
func TestDownThenUpAcrossRestart(t *testing.T) {
	w := open(t)
	rc := newReceiver(t, w.clock.now)
	var mu sync.Mutex
	up := false
	rc.status = func() (int, http.Header) {
		mu.Lock()
		defer mu.Unlock()
		if up {
			return 200, nil
		}
		return 503, nil
	}
	e := w.save(&webhooks.Endpoint{Name: "ERP", URL: rc.URL, Table: "订单", Events: []webhooks.Event{webhooks.Created}, Enabled: true})
	rc.secret = e.Secret
	for _, name := range []string{"甲", "乙", "丙"} {
		w.create(records.Input{"订单名称": name})
	}
	w.drain()
	if n := len(rc.all()); n != 3 {
		t.Fatalf("first attempts: %d", n)
	}
	w.clock.add(4 * time.Second) // the 5 s step less at most a tenth is more than this
	w.drain()
	if n := len(rc.all()); n != 3 {
		t.Fatalf("retried before 5 s: %d", n)
	}
	w.clock.add(1 * time.Second)
	w.reopen() // the process restarts between the first and the second retry
	w.drain()
	if n := len(rc.all()); n != 6 {
		t.Fatalf("second attempts after the restart: %d", n)
	}
	mu.Lock()
	up = true
	mu.Unlock()
	w.clock.add(4 * time.Minute)
	w.drain()
	if n := len(rc.all()); n != 6 {
		t.Fatalf("retried before 5 min: %d", n)
	}
	w.clock.add(time.Minute)
	w.drain()
	got := rc.accepted()
	if len(got) != 3 {
		t.Fatalf("accepted %d", len(got))
	}
	perID := map[string]int{}
	for _, r := range rc.all() {
		perID[r.id]++
	}
	names := map[string]bool{}
	for _, g := range got {
		if perID[g.id] != 3 {
			t.Errorf("message %s came %d times, want 3 attempts with the same id", g.id, perID[g.id])
		}
		names[g.body["data"].(map[string]any)["record"].(map[string]any)["订单名称"].(string)] = true
	}
	if len(perID) != 3 || len(names) != 3 {
		t.Fatalf("ids %v, names %v", perID, names)
	}
	w.clock.add(24 * time.Hour)
	w.drain()
	if n := len(rc.all()); n != 9 {
		t.Fatalf("after delivery: %d requests", n)
	}
	log, _ := w.Webhooks.Deliveries(context.Background(), w.admin, e.ID, 0, 50)
	if len(log) != 9 || log[0].Attempt != 3 || !log[0].OK || log[8].Attempt != 1 || log[8].Status != 503 {
		t.Fatalf("log %+v", log)
	}
}

// TestRetryAfter: a receiver that answers 429 with Retry-After is left alone that long.
func TestRetryAfter(t *testing.T) {
	w := open(t)
	rc := newReceiver(t, w.clock.now)
	calls := 0
	rc.status = func() (int, http.Header) {
		calls++
		if calls == 1 {
			return 429, http.Header{"Retry-After": {"120"}}
		}
		return 204, nil
	}
	e := w.save(&webhooks.Endpoint{Name: "ERP", URL: rc.URL, Table: "订单", Events: []webhooks.Event{webhooks.Created}, Enabled: true})
	rc.secret = e.Secret
	w.create(records.Input{"订单名称": "甲"})
	w.drain()
	w.clock.add(119 * time.Second)
	w.drain()
	if calls != 1 {
		t.Fatalf("came back after 119 s of 120: %d calls", calls)
	}
	w.clock.add(time.Second)
	w.drain()
	if calls != 2 || len(rc.accepted()) != 1 {
		t.Fatalf("%d calls", calls)
	}
}

// TestGoneAndFailingDisable: 410 Gone disables the endpoint at once; an endpoint whose every
// attempt fails for three days is disabled too, its messages given up after ten attempts;
// the owner is told each time, and a disabled endpoint's messages wait for a replay.
func TestGoneAndFailingDisable(t *testing.T) {
	w := open(t)
	ctx := context.Background()
	rc := newReceiver(t, w.clock.now)
	status := 410
	rc.status = func() (int, http.Header) { return status, nil }
	e := w.save(&webhooks.Endpoint{Name: "旧系统", URL: rc.URL, Table: "订单", Events: []webhooks.Event{webhooks.Created}, Enabled: true})
	rc.secret = e.Secret
	w.create(records.Input{"订单名称": "甲"})
	w.drain()
	got, _ := w.Webhooks.Get(ctx, w.admin, e.ID)
	if got.Enabled || !strings.Contains(got.DisabledReason, "410") {
		t.Fatalf("after 410: %+v", got)
	}
	notices, _, err := w.Inbox.List(ctx, w.admin.UserID, false, 10)
	if err != nil || len(notices) != 1 || !strings.Contains(notices[0].Title, "旧系统") {
		t.Fatalf("notices %v %v", notices, err)
	}
	w.create(records.Input{"订单名称": "乙"}) // no message for a disabled endpoint
	w.clock.add(time.Hour)
	w.drain()
	if n := len(rc.all()); n != 1 {
		t.Fatalf("%d requests after 410", n)
	}

	// Turned on again, the receiver now fails every time for more than three days.
	status = 500
	got.Enabled = true
	w.save(got)
	first := w.create(records.Input{"订单名称": "丙"})
	var disabledAt time.Duration
	failed := 2                                                          // 甲 (410) and 丙
	for h := time.Duration(0); h < 100*time.Hour; h += 5 * time.Minute { // each attempt at most 5 min late
		if ep, _ := w.Webhooks.Get(ctx, w.admin, e.ID); h == 77*time.Hour && ep.Enabled {
			// 丙's ten attempts (jittered) ended short of three days: a new message fails
			w.create(records.Input{"订单名称": "丁"})
			failed++
		}
		w.drain()
		if ep, _ := w.Webhooks.Get(ctx, w.admin, e.ID); !ep.Enabled && disabledAt == 0 {
			disabledAt = h
			if !strings.Contains(ep.DisabledReason, "3") {
				t.Fatalf("reason %q", ep.DisabledReason)
			}
		}
		w.clock.add(5 * time.Minute)
	}
	if disabledAt < 72*time.Hour || disabledAt > 77*time.Hour {
		t.Fatalf("disabled after %s", disabledAt)
	}
	log, _ := w.Webhooks.Deliveries(ctx, w.admin, e.ID, 0, 100)
	attempts := 0
	for _, d := range log {
		if d.Message == messageOf(t, w, first) {
			attempts++
		}
	}
	if attempts != 10 {
		t.Fatalf("the first message was tried %d times, want 10", attempts)
	}
	if notices, _, _ := w.Inbox.List(ctx, w.admin.UserID, false, 10); len(notices) != 2 {
		t.Fatalf("notices %v", notices)
	}

	// Fixed and on again: a replay of the failed and skipped messages delivers them.
	status = 200
	got, _ = w.Webhooks.Get(ctx, w.admin, e.ID)
	got.Enabled = true
	w.save(got)
	n, err := w.Webhooks.Replay(ctx, w.admin, e.ID, "", true)
	if err != nil || n != failed { // 乙 made none: its endpoint was off
		t.Fatalf("replayed %d, %v", n, err)
	}
	w.drain()
	if len(rc.accepted()) != failed {
		t.Fatalf("accepted %d after the replay", len(rc.accepted()))
	}
}

// messageOf finds the id of the message about the record r.
func messageOf(t *testing.T, w *world, r records.Record) string {
	t.Helper()
	var id string
	rows, err := w.DB.R.Query("SELECT id, body FROM _webhook_messages")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var m, body string
		rows.Scan(&m, &body)
		if strings.Contains(body, `"订单名称":"`+r[w.orders.Field("订单名称").ID].(string)+`"`) {
			id = m
		}
	}
	return id
}

// TestFieldChangedWithCondition: an endpoint for a field's change under a condition hears
// only the writes that change that field of a record meeting the condition.
func TestFieldChangedWithCondition(t *testing.T) {
	w := open(t)
	rc := newReceiver(t, w.clock.now)
	when, err := cond.Parse([]byte(`{"field":"金额","op":"gt","value":1000}`))
	if err != nil {
		t.Fatal(err)
	}
	e := w.save(&webhooks.Endpoint{Name: "大单审批", URL: rc.URL, Table: "订单", Events: []webhooks.Event{webhooks.FieldChanged},
		Fields: []string{"状态"}, When: when, Enabled: true})
	rc.secret = e.Secret
	small := w.create(records.Input{"订单名称": "小单", "金额": 500, "状态": "草稿"})
	big := w.create(records.Input{"订单名称": "大单", "金额": 5000, "状态": "草稿"})
	w.update(big.ID(), records.Input{"订单名称": "大单（改）"})
	w.update(small.ID(), records.Input{"状态": "已审批"})
	w.update(big.ID(), records.Input{"状态": "已审批"})
	w.drain()
	got := rc.accepted()
	if len(got) != 1 || got[0].body["type"] != "record.field_changed" {
		t.Fatalf("got %v", got)
	}
	if data := got[0].body["data"].(map[string]any); data["id"] != float64(big.ID()) || strings.Join(toStrings(data["changed"]), ",") != "状态" {
		t.Fatalf("data %v", data)
	}
	if e.Fields[0] != "状态" || e.When == nil {
		t.Fatalf("endpoint %+v", e)
	}
}

// TestRefusedURLs: saving an endpoint that points inside without an allow-list is refused
// with the reason; one saved while allow-listed is refused at the call once the list no
// longer holds it (what DNS rebinding would try).
func TestRefusedURLs(t *testing.T) {
	w := open(t)
	ctx := context.Background()
	rc := newReceiver(t, w.clock.now)
	e := w.save(&webhooks.Endpoint{Name: "内网", URL: rc.URL, Table: "订单", Events: []webhooks.Event{webhooks.Created}, Enabled: true})
	if err := w.AllowOutbound(nil); err != nil {
		t.Fatal(err)
	}
	for url, reason := range map[string]string{
		"http://127.0.0.1:9/": "addr_loopback", "http://10.0.0.8/": "addr_private", "http://169.254.169.254/": "addr_link_local",
		"http://[::1]/": "addr_loopback", "http://localhost:8080/": "addr_loopback", "ftp://example.com/": "addr_scheme",
	} {
		_, err := w.Webhooks.Save(ctx, w.admin, &webhooks.Endpoint{Name: "x", URL: url, Table: "订单", Events: []webhooks.Event{webhooks.Created}})
		p := problem.As(err)
		if p == nil || p.Code != "url_refused" || p.Params["reason"] != reason || p.Path != "url" {
			t.Errorf("%s: %v", url, err)
		}
	}
	w.create(records.Input{"订单名称": "甲"})
	w.drain()
	if len(rc.all()) != 0 {
		t.Fatal("the receiver was called")
	}
	log, _ := w.Webhooks.Deliveries(ctx, w.admin, e.ID, 0, 10)
	if len(log) != 1 || log[0].OK || !strings.Contains(log[0].Response, "refused") {
		t.Fatalf("log %+v", log)
	}
}

// TestRotation: after a rotation each message carries two signatures, the new secret's
// and the old one's, for a day; then the new one's only.
func TestRotation(t *testing.T) {
	w := open(t)
	rc := newReceiver(t, w.clock.now)
	e := w.save(&webhooks.Endpoint{Name: "ERP", URL: rc.URL, Table: "订单", Events: []webhooks.Event{webhooks.Created}, Enabled: true})
	old := e.Secret
	e.RotateSecret = true
	rotated := w.save(e)
	if rotated.Secret == "" || rotated.Secret == old {
		t.Fatalf("rotated secret %q", rotated.Secret)
	}
	for _, sec := range []string{old, rotated.Secret} {
		rc.secret = sec
		w.create(records.Input{"订单名称": "甲"})
		w.drain()
	}
	if len(rc.accepted()) != 2 {
		t.Fatalf("with either secret: %d accepted", len(rc.accepted()))
	}
	w.clock.add(25 * time.Hour)
	rc.secret = old
	w.create(records.Input{"订单名称": "乙"})
	w.drain()
	if len(rc.accepted()) != 2 || rc.badSigs != 1 {
		t.Fatalf("the old secret still signs a day later: %d, %d", len(rc.accepted()), rc.badSigs)
	}
}

// TestSlowReceiverNeverSlowsASave: with the queue running and the receiver stuck, saves
// return at once.
func TestSlowReceiverNeverSlowsASave(t *testing.T) {
	w := open(t)
	stuck := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		select {
		case <-stuck:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(stuck)
	w.save(&webhooks.Endpoint{Name: "慢", URL: srv.URL, Table: "订单", Events: []webhooks.Event{webhooks.Created}, Enabled: true})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Jobs.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	for i := range 5 {
		start := time.Now()
		w.create(records.Input{"订单名称": strconv.Itoa(i)})
		if d := time.Since(start); d > time.Second {
			t.Fatalf("save %d took %s", i, d)
		}
	}
}

// TestImport: an import's new records are sent as record.created and the records an upsert
// changed as record.field_changed to an endpoint watching the field (without "before").
func TestImport(t *testing.T) {
	w := open(t)
	ctx := context.Background()
	rc := newReceiver(t, w.clock.now)
	e := w.save(&webhooks.Endpoint{Name: "ERP", URL: rc.URL, Table: "订单", Enabled: true,
		Events: []webhooks.Event{webhooks.Created, webhooks.FieldChanged}, Fields: []string{"状态"}})
	rc.secret = e.Secret
	run := func(csv string, plan importer.Plan) {
		t.Helper()
		src, err := spreadsheet.OpenReader(strings.NewReader(csv), "x.csv", spreadsheet.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Importer.Run(ctx, access.System, w.orders, src, plan, nil); err != nil {
			t.Fatal(err)
		}
	}
	run("订单名称,状态\n甲,草稿\n乙,草稿\n", importer.Plan{Columns: []string{"订单名称", "状态"}})
	run("订单名称,状态,金额\n甲,已审批,5\n乙,草稿,7\n", importer.Plan{Columns: []string{"订单名称", "状态", "金额"}, Mode: importer.Upsert, Key: "订单名称"})
	w.drain()
	types := map[string]int{}
	for _, g := range rc.accepted() {
		types[g.body["type"].(string)]++
		if g.body["type"] == "record.field_changed" {
			data := g.body["data"].(map[string]any)
			if rec := data["record"].(map[string]any); rec["订单名称"] != "甲" || rec["状态"] != "已审批" || data["before"] != nil {
				t.Fatalf("imported update %v", data)
			}
		}
	}
	if types["record.created"] != 2 || types["record.field_changed"] != 1 || len(types) != 2 {
		t.Fatalf("sent %v", types)
	}
}

// TestOwnersView: an endpoint sends what its owner could read, never more: a designer who
// reads only their own 订单 and not 金额 gets their records' events, without 金额, and none
// of the others'.
func TestOwnersView(t *testing.T) {
	w := open(t)
	ctx := context.Background()
	own := access.DataScope{Kind: access.ScopeOwn}
	role, err := w.Org.SaveRole(ctx, access.System, &access.Role{Name: "设计员", Global: []access.Action{access.ManageSchema},
		Tables: map[string]*access.TablePerm{w.orders.ID: {Actions: []access.TableAction{access.View}, Read: own, Change: own,
			Fields: map[string]access.FieldAccess{w.orders.Field("金额").ID: access.FieldHidden}}}})
	if err != nil {
		t.Fatal(err)
	}
	u, err := w.Users.Create(ctx, access.System, "design@example.com", "a long enough password 2", "设计员小周", role.ID)
	if err != nil {
		t.Fatal(err)
	}
	designer := w.Users.ActorOf(u)
	rc := newReceiver(t, w.clock.now)
	e, err := w.Webhooks.Save(ctx, designer, &webhooks.Endpoint{Name: "小周的", URL: rc.URL, Table: "订单", Enabled: true,
		Events: []webhooks.Event{webhooks.Created, webhooks.Updated}})
	if err != nil {
		t.Fatal(err)
	}
	rc.secret = e.Secret
	mine := w.create(records.Input{"订单名称": "小周的单", "金额": 100, "负责人": u.ID})
	w.create(records.Input{"订单名称": "别人的单", "金额": 200})
	w.update(mine.ID(), records.Input{"金额": 300}) // only a field hidden from the owner
	w.update(mine.ID(), records.Input{"状态": "已审批"})
	w.drain()
	got := rc.accepted()
	if len(got) != 2 {
		t.Fatalf("sent %d: %v", len(got), got)
	}
	for _, g := range got {
		rec := g.body["data"].(map[string]any)["record"].(map[string]any)
		if _, has := rec["金额"]; has || rec["订单名称"] != "小周的单" {
			t.Fatalf("sent %v", g.body)
		}
	}
}

// A record's files are sent as the API shows them: name, size, type and a link under the
// server's public address (which an API token of someone who may read the record opens).
func TestFilesSentAsLinks(t *testing.T) {
	w := open(t)
	ctx := context.Background()
	f, err := w.Catalog.AddField(ctx, access.System, w.orders.ID, &schema.Field{Name: "合同扫描件", Type: schema.File})
	if err != nil {
		t.Fatal(err)
	}
	w.orders, _ = w.Catalog.Table("订单")
	info, err := w.Records.Upload(access.System, w.orders, f, strings.NewReader("合同正文"))
	if err != nil {
		t.Fatal(err)
	}
	w.Webhooks.PublicURL = "https://crm.example.com/"
	rc := newReceiver(t, w.clock.now)
	rc.secret = w.save(&webhooks.Endpoint{Name: "ERP", URL: rc.URL, Table: "订单", Events: []webhooks.Event{webhooks.Created}, Enabled: true}).Secret
	rec := w.create(records.Input{"订单名称": "甲", "合同扫描件": []any{map[string]any{"hash": info.Hash, "name": "合同.txt"}}})
	w.drain()
	got := rc.accepted()
	if len(got) != 1 {
		t.Fatalf("%d deliveries", len(got))
	}
	record, _ := got[0].body["data"].(map[string]any)["record"].(map[string]any)
	want := []any{map[string]any{"hash": info.Hash, "name": "合同.txt", "size": float64(len("合同正文")), "type": info.Type,
		"url": fmt.Sprintf("https://crm.example.com/api/tables/%s/records/%d/files/%s/%s", w.orders.ID, rec.ID(), f.ID, info.Hash)}}
	if !reflect.DeepEqual(record["合同扫描件"], want) {
		t.Fatalf("sent %#v\nwant %#v", record["合同扫描件"], want)
	}
}
