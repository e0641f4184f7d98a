package api_test

import (
	"bytes"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// TestPublicForm: an admin publishes a form of 客户 and gets its QR code; a visitor with no
// session reads it and submits through it (a bad phone is refused on its field, in their
// language); past the limit of one address the answer is 429 in Chinese; X-Forwarded-For
// counts only from a trusted proxy; members may not manage forms.
func TestPublicForm(t *testing.T) {
	c := setup(t)
	customers(c)
	c.server().Forms.Digits = func() string { return "24680" }
	c.server().Forms.PerClient = 4
	form := c.post("/api/forms", map[string]any{"table": "客户", "title": "留下联系方式", "successMessage": "谢谢", "enabled": true,
		"fields": []map[string]any{{"name": "客户名称", "required": true}, {"name": "联系电话"}, {"name": "客户等级", "hidden": true}}}).must(t, 201)
	token, id := str(form["token"]), str(form["id"])
	if token == "" || num(form["submissions"]) != 0 {
		t.Fatalf("form %v", form)
	}
	qr := c.get("/api/forms/" + id + "/qr.png")
	if qr.Status != 200 || qr.Header.Get("Content-Type") != "image/png" || !bytes.HasPrefix([]byte(qr.Raw), []byte("\x89PNG")) {
		t.Fatalf("qr: %d %s", qr.Status, qr.Header.Get("Content-Type"))
	}
	_, member := c.addMember("m@example.com", "小王")
	member.get("/api/forms").wantError(t, 403, "not_allowed")
	member.post("/api/forms", form).wantError(t, 403, "not_allowed")

	visitor := newClient(t, c.base)
	path := "/api/public/forms/" + url.PathEscape(token)
	def := visitor.get(path).must(t, 200)
	if def["title"] != "留下联系方式" || len(def["fields"].([]any)) != 3 {
		t.Fatalf("definition %v", def)
	}
	send := func(v *client, values map[string]any) reply {
		t.Helper()
		captcha := v.get(path+"/captcha").must(t, 200)
		return v.post(path, map[string]any{"values": values, "captcha": captcha["id"], "answer": "24680"})
	}
	visitor.lang = "en"
	send(visitor, map[string]any{"客户名称": "李雷", "联系电话": "123"}).wantError(t, 400, "validation_failed")
	visitor.lang = ""
	res := send(visitor, map[string]any{"客户名称": "李雷", "联系电话": "13900000002", "客户等级": "潜力客户"}).must(t, 201)
	if res["message"] != "谢谢" {
		t.Fatalf("result %v", res)
	}
	list := c.get(recordsPath("客户")).must(t, 200)["items"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["客户等级"] != "潜力客户" {
		t.Fatalf("records %v", list)
	}
	if got := c.get("/api/forms/"+id).must(t, 200); num(got["submissions"]) != 1 {
		t.Fatalf("form %v", got)
	}

	// Two submissions from 127.0.0.1 so far (one refused counts too); the header of an
	// untrusted peer changes nothing.
	visitor.head["X-Forwarded-For"] = "198.51.100.1"
	send(visitor, map[string]any{"客户名称": "韩梅梅"}).must(t, 201)
	send(visitor, map[string]any{"客户名称": "韩梅梅"}).must(t, 201)
	e := send(visitor, map[string]any{"客户名称": "韩梅梅"}).wantError(t, 429, "form_rate_limited")
	if !strings.Contains(str(e["message"]), "提交太频繁") {
		t.Fatalf("429 message %v", e["message"])
	}
	c.server().TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	send(visitor, map[string]any{"客户名称": "韩梅梅"}).must(t, 201) // now 198.51.100.1's first
}
