package channels_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"tierbase/core/access"
	"tierbase/engines/channels"
	"tierbase/platform/jobs"
	"tierbase/platform/problem"
	"tierbase/platform/secret"
	"tierbase/platform/store"
)

var admin = access.Actor{UserID: 1, Role: access.RoleAdmin}

// clock is a settable time for the queue and the service.
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
	db    *store.DB
	keys  *secret.Ring
	q     *jobs.Queue
	s     *channels.Service
	clock *clock
}

func open(t *testing.T) *world {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keys, err := secret.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { keys.Close() })
	if err := keys.Add(); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)}
	q := jobs.New(db)
	q.Now = c.now
	s := channels.New(db, keys, q)
	s.Now = c.now
	return &world{db, keys, q, s, c}
}

// receiver is a robot server of one vendor: it checks each request as the vendor does
// (the key or token in the address, the signature when a secret is set) and keeps the
// messages it accepted.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []map[string]any
	fail   int // answer the next fail requests with 503
	refuse bool
}

func newReceiver(t *testing.T, kind channels.Kind, secret string, now func() time.Time) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.fail > 0 {
			r.fail--
			w.WriteHeader(503)
			return
		}
		body, _ := io.ReadAll(req.Body)
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Errorf("%s: body %q is not JSON", kind, body)
		}
		bad := func(code int, msg string) {
			key := "errcode"
			if kind == channels.Feishu {
				key = "code"
			}
			json.NewEncoder(w).Encode(map[string]any{key: code, "errmsg": msg, "msg": msg})
		}
		switch kind {
		case channels.WeCom:
			if req.URL.Query().Get("key") != "wecom-key" {
				bad(93000, "invalid webhook url")
				return
			}
		case channels.DingTalk:
			q := req.URL.Query()
			ts := q.Get("timestamp")
			ms, _ := strconv.ParseInt(ts, 10, 64)
			mac := hmac.New(sha256.New, []byte(secret))
			mac.Write([]byte(ts + "\n" + secret))
			if q.Get("access_token") != "ding-token" || q.Get("sign") != base64.StdEncoding.EncodeToString(mac.Sum(nil)) ||
				now().Sub(time.UnixMilli(ms)).Abs() > time.Hour {
				bad(310000, "sign not match")
				return
			}
		case channels.Feishu:
			ts, _ := m["timestamp"].(string)
			mac := hmac.New(sha256.New, []byte(ts+"\n"+secret))
			if m["sign"] != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
				bad(19021, "sign match fail or timestamp is not within one hour from current time")
				return
			}
		}
		if r.refuse {
			bad(45009, "api freq out of limit")
			return
		}
		r.got = append(r.got, m)
		bad(0, "ok")
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) messages() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]any(nil), r.got...)
}

func (w *world) robot(t *testing.T, name string, kind channels.Kind, url, secret string) *channels.Robot {
	t.Helper()
	r, err := w.s.Save(context.Background(), admin, &channels.Robot{Name: name, Kind: kind, URL: url, Secret: secret, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (w *world) send(t *testing.T, robot string, m channels.Message) {
	t.Helper()
	if err := w.db.Tx(context.Background(), func(tx *sql.Tx) error { return w.s.SendTx(context.Background(), tx, robot, m) }); err != nil {
		t.Fatal(err)
	}
}

func (w *world) drain(t *testing.T) {
	t.Helper()
	if _, err := w.q.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestEachVendorSigned: a message reaches each vendor's robot in its own format, signed as
// its documents say, with the link back and the @ by mobile number.
func TestEachVendorSigned(t *testing.T) {
	w := open(t)
	wecom := newReceiver(t, channels.WeCom, "", w.clock.now)
	ding := newReceiver(t, channels.DingTalk, "SECding", w.clock.now)
	fei := newReceiver(t, channels.Feishu, "feishu-secret", w.clock.now)
	rw := w.robot(t, "销售群", channels.WeCom, wecom.URL+"/cgi-bin/webhook/send?key=wecom-key", "")
	rd := w.robot(t, "钉钉群", channels.DingTalk, ding.URL+"/robot/send?access_token=ding-token", "SECding")
	rf := w.robot(t, "飞书群", channels.Feishu, fei.URL+"/open-apis/bot/v2/hook/abc-123", "feishu-secret")
	m := channels.Message{Title: "新重点客户", Text: "客户「华盛科技」成为高价值客户", Link: "https://crm.example.com/t/x?record=7", AtPhones: []string{"13800138000"}}
	for _, r := range []*channels.Robot{rw, rd, rf} {
		w.send(t, r.ID, m)
	}
	w.drain(t)

	got := wecom.messages()
	if len(got) != 1 || got[0]["msgtype"] != "text" {
		t.Fatalf("企业微信 got %v", got)
	}
	text := got[0]["text"].(map[string]any)
	if !strings.Contains(text["content"].(string), "华盛科技") || !strings.Contains(text["content"].(string), "record=7") ||
		text["mentioned_mobile_list"].([]any)[0] != "13800138000" {
		t.Errorf("企业微信 text %v", text)
	}
	got = ding.messages()
	if len(got) != 1 || got[0]["at"].(map[string]any)["atMobiles"].([]any)[0] != "13800138000" ||
		!strings.Contains(got[0]["text"].(map[string]any)["content"].(string), "@13800138000") {
		t.Fatalf("钉钉 got %v", got)
	}
	got = fei.messages()
	if len(got) != 1 || !strings.Contains(got[0]["content"].(map[string]any)["text"].(string), "华盛科技") {
		t.Fatalf("飞书 got %v", got)
	}

	// A wrong secret is refused by the vendor and given up at once, logged with its answer.
	bad := w.robot(t, "错密钥", channels.DingTalk, ding.URL+"/robot/send?access_token=ding-token", "wrong")
	w.send(t, bad.ID, m)
	w.drain(t)
	log, err := w.s.Deliveries(context.Background(), admin, bad.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].OK || !strings.Contains(log[0].Response, "sign not match") {
		t.Fatalf("delivery log of a refused message: %+v", log)
	}
	if len(ding.messages()) != 1 {
		t.Fatal("a message with a wrong signature was accepted")
	}
}

// TestThrottledToTheVendorLimit: 25 messages at once to a 企业微信 robot: 20 go out in the first
// minute, the other 5 wait for the next, none is lost; 飞书 keeps 5 a second.
func TestThrottledToTheVendorLimit(t *testing.T) {
	w := open(t)
	wecom := newReceiver(t, channels.WeCom, "", w.clock.now)
	r := w.robot(t, "销售群", channels.WeCom, wecom.URL+"/send?key=wecom-key", "")
	for i := range 25 {
		w.send(t, r.ID, channels.Message{Title: "提醒", Text: "第 " + strconv.Itoa(i) + " 条"})
	}
	w.drain(t)
	if n := len(wecom.messages()); n != 20 {
		t.Fatalf("%d sent in the first minute, want 20", n)
	}
	w.clock.add(59 * time.Second)
	w.drain(t)
	if n := len(wecom.messages()); n != 20 {
		t.Fatalf("%d sent before the minute was over, want 20", n)
	}
	w.clock.add(time.Second)
	w.drain(t)
	got := wecom.messages()
	if len(got) != 25 {
		t.Fatalf("%d sent after a minute, want 25", len(got))
	}
	for i, m := range got { // in the order queued
		if c := m["text"].(map[string]any)["content"]; c != "第 "+strconv.Itoa(i)+" 条" {
			t.Fatalf("message %d is %q", i, c)
		}
	}

	fei := newReceiver(t, channels.Feishu, "s", w.clock.now)
	rf := w.robot(t, "飞书群", channels.Feishu, fei.URL+"/open-apis/bot/v2/hook/h", "s")
	for range 7 {
		w.send(t, rf.ID, channels.Message{Title: "t", Text: "x"})
	}
	w.drain(t)
	if n := len(fei.messages()); n != 5 {
		t.Fatalf("飞书: %d in the first second, want 5", n)
	}
	w.clock.add(time.Second)
	w.drain(t)
	if n := len(fei.messages()); n != 7 {
		t.Fatalf("飞书: %d after a second, want 7", n)
	}
}

// TestRetriedUntilDelivered: a robot server that is down, then throttling, then up: the
// message is tried again with the queue's backoff and arrives once; the log has each try.
func TestRetriedUntilDelivered(t *testing.T) {
	w := open(t)
	wecom := newReceiver(t, channels.WeCom, "", w.clock.now)
	wecom.fail = 2
	r := w.robot(t, "销售群", channels.WeCom, wecom.URL+"/send?key=wecom-key", "")
	w.send(t, r.ID, channels.Message{Title: "提醒", Text: "跟进"})
	for range 5 {
		w.drain(t)
		w.clock.add(time.Hour)
	}
	if n := len(wecom.messages()); n != 1 {
		t.Fatalf("%d delivered, want 1", n)
	}
	log, _ := w.s.Deliveries(context.Background(), admin, r.ID, 0, 10)
	if len(log) != 3 || !log[0].OK || log[1].OK || log[1].Status != 503 || log[2].Attempt != 1 {
		t.Fatalf("log %+v", log)
	}

	wecom.refuse = true // 45009: sent too fast, worth another try
	w.send(t, r.ID, channels.Message{Title: "提醒", Text: "再次"})
	w.drain(t)
	wecom.refuse = false
	w.clock.add(time.Hour)
	w.drain(t)
	if n := len(wecom.messages()); n != 2 {
		t.Fatalf("%d delivered after a throttled answer, want 2", n)
	}
}

// TestSecretsSealed: the address (with its key) and the secret are not in the database in
// the clear, never in an answer, and still work after the keys are rotated.
func TestSecretsSealed(t *testing.T) {
	ctx := context.Background()
	w := open(t)
	ding := newReceiver(t, channels.DingTalk, "SECtop", w.clock.now)
	r := w.robot(t, "钉钉群", channels.DingTalk, ding.URL+"/robot/send?access_token=ding-token", "SECtop")
	var url, sec string
	if err := w.db.R.QueryRowContext(ctx, "SELECT url, secret FROM _robots").Scan(&url, &sec); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(url, "ding-token") || strings.Contains(sec, "SECtop") {
		t.Fatalf("stored in the clear: %q %q", url, sec)
	}
	list, _ := w.s.List(ctx)
	answer, _ := json.Marshal(list)
	if strings.Contains(string(answer), "ding-token") || strings.Contains(string(answer), "SECtop") ||
		!strings.Contains(list[0].Masked, "access_token=ding****") || !list[0].HasSecret {
		t.Fatalf("answer %s", answer)
	}

	if err := w.keys.Add(); err != nil { // what `tierbase keys rotate` does
		t.Fatal(err)
	}
	if err := w.s.Reseal(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.keys.DropOld(); err != nil {
		t.Fatal(err)
	}
	d, err := w.s.Test(ctx, admin, r.ID)
	if err != nil || !d.OK {
		t.Fatalf("test message after rotation: %+v %v", d, err)
	}

	// Changing the name keeps the address and secret.
	if _, err := w.s.Save(ctx, admin, &channels.Robot{ID: r.ID, Name: "华东钉钉群", Kind: channels.DingTalk, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if d, err := w.s.Test(ctx, admin, r.ID); err != nil || !d.OK {
		t.Fatalf("test message after a rename: %+v %v", d, err)
	}
}

// TestBadRobots: what the editor refuses, in words a person can act on.
func TestBadRobots(t *testing.T) {
	ctx := context.Background()
	w := open(t)
	member := access.Actor{UserID: 2, Role: access.RoleMember}
	for _, c := range []struct {
		by   access.Actor
		r    channels.Robot
		code string
	}{
		{member, channels.Robot{Name: "群", Kind: channels.WeCom, URL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}, "not_allowed"},
		{admin, channels.Robot{Name: "", Kind: channels.WeCom, URL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}, "required"},
		{admin, channels.Robot{Name: "群", Kind: "qq", URL: "https://example.com"}, "bad_choice"},
		{admin, channels.Robot{Name: "群", Kind: channels.WeCom, URL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"}, "robot_url"},
		{admin, channels.Robot{Name: "群", Kind: channels.DingTalk, URL: "ftp://oapi.dingtalk.com/robot/send?access_token=t"}, "robot_url"},
	} {
		_, err := w.s.Save(ctx, c.by, &c.r)
		if p := problem.As(err); p == nil || p.Code != c.code {
			t.Errorf("%+v: %v, want %s", c.r, err, c.code)
		}
	}
	_, err := w.s.Save(ctx, admin, &channels.Robot{Name: "群", Kind: channels.WeCom, URL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"})
	if msg := problem.As(err).Message("zh"); !strings.Contains(msg, "Webhook 地址") || !strings.Contains(msg, "key=") {
		t.Errorf("message %q", msg)
	}
	r := w.robot(t, "群", channels.WeCom, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "")
	if _, err := w.s.Save(ctx, admin, &channels.Robot{Name: "群", Kind: channels.WeCom, URL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=j"}); problem.As(err) == nil || problem.As(err).Code != "duplicate_name" {
		t.Errorf("a second 群: %v", err)
	}
	r.Enabled, r.URL = false, ""
	if _, err := w.s.Save(ctx, admin, r); err != nil {
		t.Fatal(err)
	}
	err = w.db.Tx(ctx, func(tx *sql.Tx) error { return w.s.SendTx(ctx, tx, r.ID, channels.Message{Title: "t", Text: "x"}) })
	if p := problem.As(err); p == nil || p.Code != "robot_disabled" {
		t.Errorf("send to a disabled robot: %v", err)
	}
}

// TestSigns: the two signatures against the vendors' published examples' recipe, computed
// independently here.
func TestSigns(t *testing.T) {
	mac := hmac.New(sha256.New, []byte("SEC000"))
	mac.Write([]byte("1700000000000\nSEC000"))
	if got := channels.DingTalkSign("1700000000000", "SEC000"); got != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
		t.Errorf("钉钉 %s", got)
	}
	mac = hmac.New(sha256.New, []byte("1700000000\nabc"))
	if got := channels.FeishuSign("1700000000", "abc"); got != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
		t.Errorf("飞书 %s", got)
	}
}
