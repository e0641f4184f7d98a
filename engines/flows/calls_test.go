package flows_test

import (
	"context"
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

	"tierbase/core/access"
	"tierbase/engines/channels"
	"tierbase/engines/flows"
	"tierbase/engines/webhooks"
)

// TestNotifyCalls: S10's "order approved → pushed to the ERP, told in a 企业微信 group": a
// 通知 node with nobody in the app posts to a group robot and calls a webhook endpoint (both
// real local receivers; the webhook's Standard Webhooks signature is checked) with a body
// mapped from the record, once, when the approval passes it.
func TestNotifyCalls(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	var mu sync.Mutex
	var robot, erp []map[string]any
	var secret string
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m map[string]any
		json.Unmarshal(body, &m)
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path == "/send" {
			robot = append(robot, m)
			rw.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
			return
		}
		if !signed(r, body, secret) {
			http.Error(rw, "bad signature", 401)
			return
		}
		erp = append(erp, m)
	}))
	defer srv.Close()
	if err := w.AllowOutbound([]string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	rb, err := w.Channels.Save(ctx, access.System, &channels.Robot{Name: "财务群", Kind: channels.WeCom, URL: srv.URL + "/send?key=k", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	hook, err := w.Webhooks.Save(ctx, access.System, &webhooks.Endpoint{Name: "ERP", URL: srv.URL + "/erp", Table: "报销", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	secret = hook.Secret
	tell := &flows.Node{ID: "tell", Type: flows.Notify, Name: "推送", Title: "报销已批准", Body: "请安排付款",
		Robot: rb.ID, Webhook: hook.ID, Payload: map[string]any{"reason": "{事由}", "amount": "{金额}", "kind": "报销"}}

	// A node naming a robot or endpoint that does not exist, or a field the table lacks, is
	// refused on its node.
	for want, n := range map[string]flows.Node{
		"flow_unknown_robot tell":   {Robot: "rbtnope"},
		"flow_unknown_webhook tell": {Webhook: "whknope", Payload: map[string]any{"a": "1"}},
		"flow_unknown_field tell":   {Webhook: hook.ID, Payload: map[string]any{"a": "{客户}"}},
		"flow_no_payload tell":      {Webhook: hook.ID},
		"flow_no_recipient tell":    {},
	} {
		n.ID, n.Type, n.Name, n.Title = "tell", flows.Notify, "推送", "x"
		_, err := w.Flows.Save(ctx, access.System, &flows.Flow{Table: w.t.Name, Name: "坏", Nodes: []*flows.Node{&n, end()}})
		if code(err) != want {
			t.Errorf("%s: %v", want, err)
		}
	}

	f := w.publish(t, approve("经理审批", &flows.Who{Users: []int64{w.people["王经理"]}}, ""), tell, end())
	names := func(id int64) string { u, _ := w.Users.Get(id); return u.Name }
	if d := strings.Join(flows.Describe(f, w.t, names, func(string) string { return "" }, "zh"), "\n"); !strings.Contains(d, "通知「推送」：发到群机器人「报销已批准」；调用 Webhook，发送 amount、kind、reason") {
		t.Errorf("describe:\n%s", d)
	}
	id := w.start(t, f, "赵敏", w.claim(t, 1234.5))
	w.drain(t)
	mu.Lock()
	if len(robot)+len(erp) != 0 {
		t.Fatalf("sent before the approval: %v %v", robot, erp)
	}
	mu.Unlock()
	w.act(t, "王经理", flows.ActApprove, flows.Input{})
	w.drain(t)
	w.drain(t)
	if s := w.state(t, id); s != flows.Approved {
		t.Fatalf("state %s", s)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(robot) != 1 || !strings.Contains(robot[0]["text"].(map[string]any)["content"].(string), "请安排付款") {
		t.Errorf("robot got %v", robot)
	}
	if len(erp) != 1 || erp[0]["reason"] != "差旅" || erp[0]["amount"] != 1234.5 || erp[0]["kind"] != "报销" {
		t.Errorf("erp got %v", erp)
	}
}

// signed reports whether r carries the Standard Webhooks signature of body under secret:
// v1,<base64 HMAC-SHA256 of id.timestamp.body>, keyed by the base64 after whsec_.
func signed(r *http.Request, body []byte, secret string) bool {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(r.Header.Get("webhook-id") + "." + r.Header.Get("webhook-timestamp") + "." + string(body)))
	return hmac.Equal([]byte(r.Header.Get("webhook-signature")), []byte("v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil))))
}

// TestFlowEndedWebhooks: S10's "an order approved is pushed to the ERP": an endpoint wanting
// flow.approved and flow.rejected hears, signed, of each flow on the table's records that ends
// so — with the record, the flow's name and the instance — and of nothing withdrawn.
func TestFlowEndedWebhooks(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	var mu sync.Mutex
	var got []map[string]any
	var secret string
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if !signed(r, body, secret) {
			http.Error(rw, "bad signature", 401)
			t.Errorf("bad signature on %s", body)
			return
		}
		var m map[string]any
		json.Unmarshal(body, &m)
		got = append(got, m)
	}))
	defer srv.Close()
	if err := w.AllowOutbound([]string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	for _, u := range w.Users.List() { // an endpoint sends what its owner may read: the admin owns it
		if u.Email == "admin@example.com" {
			w.people["管理员"] = u.ID
		}
	}
	hook, err := w.Webhooks.Save(ctx, w.as("管理员"), &webhooks.Endpoint{Name: "ERP", URL: srv.URL, Table: "报销",
		Events: []webhooks.Event{webhooks.FlowApproved, webhooks.FlowRejected}, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	secret = hook.Secret

	f := w.publish(t, approve("经理审批", &flows.Who{Users: []int64{w.people["王经理"]}}, ""), end())
	passed := w.start(t, f, "赵敏", w.claim(t, 100))
	w.act(t, "王经理", flows.ActApprove, flows.Input{})
	refused := w.start(t, f, "赵敏", w.claim(t, 200))
	w.act(t, "王经理", flows.ActReject, flows.Input{})
	withdrawn := w.start(t, f, "赵敏", w.claim(t, 300))
	if err := w.Flows.Withdraw(ctx, w.as("赵敏"), withdrawn, ""); err != nil {
		t.Fatal(err)
	}
	w.drain(t)

	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("%d messages, want 2: %v", len(got), got)
	}
	byType := map[any]map[string]any{}
	for _, m := range got { // delivery is in no guaranteed order
		byType[m["type"]] = m
	}
	for _, want := range []struct {
		typ      string
		instance int64
		amount   float64
	}{{"flow.approved", passed, 100}, {"flow.rejected", refused, 200}} {
		data, _ := byType[want.typ]["data"].(map[string]any)
		rec, _ := data["record"].(map[string]any)
		if data["flow"] != f.Name || data["instance"] != float64(want.instance) || data["table"] != "报销" || rec["金额"] != want.amount || rec["事由"] != "差旅" {
			t.Errorf("%s: %v, want instance %d", want.typ, byType[want.typ], want.instance)
		}
	}
}
