package rules_test

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
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/engines/rules"
	"tierbase/engines/webhooks"
	"tierbase/platform/problem"
)

// TestWebhookAction: S10's "an order pushed to the ERP": a rule calls a webhook endpoint (a
// real local receiver checking the Standard Webhooks signature) with a body mapped from the
// record — a value alone keeps its type, a text takes the values as shown, the 敏感 phone
// is masked — once per firing, logged like any delivery.
func TestWebhookAction(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	var mu sync.Mutex
	var got []map[string]any
	var secret string
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(r.Header.Get("webhook-id") + "." + r.Header.Get("webhook-timestamp") + "." + string(body)))
		if r.Header.Get("webhook-signature") != "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
			http.Error(rw, "bad signature", 401)
			return
		}
		var m map[string]any
		json.Unmarshal(body, &m)
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	}))
	defer srv.Close()
	if err := w.AllowOutbound([]string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	hook, err := w.Webhooks.Save(ctx, access.System, &webhooks.Endpoint{Name: "ERP", URL: srv.URL, Table: "客户", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	secret = hook.Secret
	rule := &rules.Rule{Name: "推送大客户", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnCreated}},
		When: &cond.Node{Field: "累计消费金额", Op: "gt", Value: 100000},
		Actions: []rules.Action{{Type: rules.ActWebhook, Webhook: hook.ID, Payload: map[string]any{
			"customer": "{客户名称}", "amount": "{累计消费金额}", "phone": "{联系电话}", "note": "大客户 {客户名称} 消费 {累计消费金额}", "source": "tierbase", "level": 3}}}}
	w.save(t, rule)
	if d := rule.Describe(w.Catalog, "zh"); !strings.Contains(d, "调用 Webhook，发送 amount、customer、level、note、phone、source") {
		t.Errorf("describe: %s", d)
	}
	w.customer(t, records.Input{"客户名称": "华盛科技", "历史消费金额": 200000, "联系电话": "13800138000"})
	w.customer(t, records.Input{"客户名称": "小客户", "历史消费金额": 100})
	w.drain(t)
	w.drain(t)
	mu.Lock()
	if len(got) != 1 {
		t.Fatalf("%d calls, want 1: %v (%s)", len(got), got, jobErrors(w.App))
	}
	want := map[string]any{"customer": "华盛科技", "amount": 200000.0, "phone": "138****8000", "note": "大客户 华盛科技 消费 ¥200,000.00", "source": "tierbase", "level": 3.0}
	for k, v := range want {
		if got[0][k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[0][k], v)
		}
	}
	mu.Unlock()
	log, err := w.Webhooks.Deliveries(ctx, access.System, hook.ID, 0, 10)
	if err != nil || len(log) != 1 || log[0].Type != "call" || !log[0].OK {
		t.Errorf("log %+v %v", log, err)
	}

	// A rule naming an endpoint that does not exist, or a field the table lacks, is refused
	// where it names it.
	for path, a := range map[string]rules.Action{
		"actions[0].webhook":        {Type: rules.ActWebhook, Webhook: "whknope", Payload: map[string]any{"a": "1"}},
		"actions[0].payload.amount": {Type: rules.ActWebhook, Webhook: hook.ID, Payload: map[string]any{"amount": "{金额}"}},
		"actions[0].payload":        {Type: rules.ActWebhook, Webhook: hook.ID},
	} {
		bad := &rules.Rule{Name: "坏", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnCreated}}, Actions: []rules.Action{a}}
		if _, _, err := w.Rules.SaveRule(ctx, access.System, bad); problem.As(err) == nil || problem.As(err).Path != path {
			t.Errorf("%s: %v", path, err)
		}
	}
}
