package rules_test

import (
	"context"
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
	"tierbase/engines/channels"
	"tierbase/engines/channels/mailtest"
	"tierbase/engines/rules"
	"tierbase/platform/problem"
)

// TestRobotAction: S10's "a new key customer announced in a 企业微信 group": a rule posts to a
// group robot (a real local server) with the record's values filled in, the 敏感 phone
// masked, the 负责人's number @'d from a 手机 field, and a link back to the record.
func TestRobotAction(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	var mu sync.Mutex
	var got []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m map[string]any
		json.Unmarshal(body, &m)
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
		rw.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
	}))
	defer srv.Close()
	w.Channels.PublicURL = "https://crm.example.com/"
	if err := w.AllowOutbound([]string{"127.0.0.1"}); err != nil { // the receiver is local
		t.Fatal(err)
	}
	robot, err := w.Channels.Save(ctx, access.System, &channels.Robot{Name: "销售群", Kind: channels.WeCom, URL: srv.URL + "/send?key=k", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	rule := &rules.Rule{Name: "大客户播报", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnCreated}},
		When: &cond.Node{Field: "累计消费金额", Op: "gt", Value: 100000},
		Actions: []rules.Action{{Type: rules.ActRobot, Robot: robot.ID, Title: "新重点客户",
			Body: "客户「{客户名称}」累计消费 {累计消费金额}，电话 {联系电话}", At: []string{"{联系电话}", "13900000000"}}}}
	w.save(t, rule)
	if d := rule.Describe(w.Catalog, "zh"); !strings.Contains(d, "发到群机器人「新重点客户」") {
		t.Errorf("describe: %s", d)
	}
	w.customer(t, records.Input{"客户名称": "华盛科技", "历史消费金额": 200000, "联系电话": "13800138000"})
	w.customer(t, records.Input{"客户名称": "小客户", "历史消费金额": 100})
	w.drain(t)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("%d messages, want 1: %v", len(got), got)
	}
	text := got[0]["text"].(map[string]any)
	content := text["content"].(string)
	if !strings.Contains(content, "客户「华盛科技」累计消费 ¥200,000.00，电话 138****8000") || strings.Contains(content, "13800138000") ||
		!strings.Contains(content, "https://crm.example.com/t/"+w.cust.ID+"?record=") {
		t.Errorf("content %q", content)
	}
	if at := text["mentioned_mobile_list"].([]any); len(at) != 2 || at[0] != "13800138000" || at[1] != "13900000000" {
		t.Errorf("@ %v", at)
	}

	// A rule naming a robot that does not exist is refused where it names it.
	bad := &rules.Rule{Name: "坏", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnCreated}},
		Actions: []rules.Action{{Type: rules.ActRobot, Robot: "rbtnope", Title: "x"}}}
	if _, _, err := w.Rules.SaveRule(ctx, access.System, bad); problem.As(err) == nil || problem.As(err).Path != "actions[0].robot" {
		t.Errorf("unknown robot: %v", err)
	}
}

// TestEmailAction: the same action through an email channel mails the 负责人 (a 成员 field
// gives the person's address) and a fixed address, through a real SMTP server; a rule
// mailing nobody is refused where the recipients go.
func TestEmailAction(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	srv := mailtest.New(t, mailtest.StartTLS)
	w.Channels.TLS = mailtest.TLS()
	if err := w.AllowOutbound([]string{"127.0.0.1"}); err != nil { // the mail server is local
		t.Fatal(err)
	}
	box, err := w.Channels.Save(ctx, access.System, &channels.Robot{Name: "通知邮箱", Kind: channels.Email, URL: srv.URL(), Secret: mailtest.Password, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	mailNobody := &rules.Rule{Name: "无人", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnCreated}},
		Actions: []rules.Action{{Type: rules.ActRobot, Robot: box.ID, Title: "x"}}}
	if _, _, err := w.Rules.SaveRule(ctx, access.System, mailNobody); problem.As(err) == nil || problem.As(err).Path != "actions[0].at" {
		t.Fatalf("no recipient: %v", err)
	}
	w.save(t, &rules.Rule{Name: "大客户邮件", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnCreated}},
		When: &cond.Node{Field: "累计消费金额", Op: "gt", Value: 100000},
		Actions: []rules.Action{{Type: rules.ActRobot, Robot: box.ID, Title: "新重点客户「{客户名称}」",
			Body: "累计消费 {累计消费金额}，电话 {联系电话}", At: []string{"{负责人}", "boss@example.com"}}}})
	w.customer(t, records.Input{"客户名称": "华盛科技", "历史消费金额": 200000, "联系电话": "13800138000", "负责人": w.zhang})
	w.drain(t)
	sent := srv.Sent()
	if len(sent) != 1 || strings.Join(sent[0].To, ",") != "张伟@example.com,boss@example.com" {
		t.Fatalf("sent %+v", sent)
	}
	_, subject, text := mailtest.Read(t, sent[0])
	if subject != "新重点客户「华盛科技」" || !strings.Contains(text, "¥200,000.00") || !strings.Contains(text, "138****8000") {
		t.Fatalf("subject %q text %q", subject, text)
	}
}
