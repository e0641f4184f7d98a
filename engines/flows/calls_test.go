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
		key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(r.Header.Get("webhook-id") + "." + r.Header.Get("webhook-timestamp") + "." + string(body)))
		if r.Header.Get("webhook-signature") != "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
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
