package api_test

import (
	"strings"
	"testing"
	"time"
)

// withToken returns a client calling with the API token only (no cookie, no session).
func withToken(c *client, token string) *client {
	other := newClient(c.t, c.base)
	other.token = token
	return other
}

// TestTokens: a token acts for its owner within its tables and its read-only limit, never
// beyond what the owner may; it is shown once, stored hashed, its last use recorded at most
// once a minute; revoked or expired it is a 401 saying so in Chinese and English.
func TestTokens(t *testing.T) {
	admin := setup(t)
	customers(admin)
	admin.createTable("订单", f("订单名称", "text"))
	wangID, wang := admin.addMember("wang@example.com", "小王")
	mine := admin.create("客户", map[string]any{"客户名称": "小王的客户", "负责人": wangID})
	theirs := admin.create("客户", map[string]any{"客户名称": "管理员的客户"})
	admin.create("订单", map[string]any{"订单名称": "小王的订单", "负责人": wangID})

	tok := wang.post("/api/tokens", map[string]any{"name": "ERP 同步", "tables": []string{"客户"}}).must(t, 201)
	secret := str(tok["token"])
	if !strings.HasPrefix(secret, "tb_") || len(secret) < 40 || !strings.HasPrefix(secret, strings.TrimSuffix(str(tok["hint"]), "…")) {
		t.Fatalf("token %v", tok)
	}
	list := items(wang.get("/api/tokens").must(t, 200))
	if len(list) != 1 || list[0]["token"] != nil || list[0]["tables"].([]any)[0] != "客户" {
		t.Fatalf("list %v", list)
	}
	var stored string
	a := admin.server()
	if err := a.Records.DB.R.QueryRow("SELECT hash FROM _tokens").Scan(&stored); err != nil || strings.Contains(stored, secret) || len(stored) != 64 {
		t.Fatalf("stored %q (%v)", stored, err)
	}

	// Within 小王's rights on 客户: his record only.
	tc := withToken(admin, secret)
	got := items(tc.list("客户").must(t, 200))
	if len(got) != 1 || got[0]["客户名称"] != "小王的客户" {
		t.Fatalf("the token lists %v", got)
	}
	tc.get(recordPath("客户", num(theirs["id"]))).wantError(t, 404, "not_found")
	tc.patch(recordPath("客户", num(mine["id"])), map[string]any{"客户名称": "改名"}).must(t, 200)
	tc.post(recordsPath("客户"), map[string]any{"客户名称": "令牌新建的"}).must(t, 201)
	// Not another table, though 小王 may see his 订单 when signed in.
	wang.list("订单").must(t, 200)
	tc.list("订单").wantError(t, 403, "not_allowed_on")
	// No global action, no tokens made with a token.
	tc.post("/api/tables", map[string]any{"name": "新表", "fields": []any{f("名称", "text")}}).wantError(t, 403, "not_allowed")
	tc.post("/api/tokens", map[string]any{"name": "再来一个"}).wantError(t, 403, "token_session")
	tc.get("/api/tokens").wantError(t, 403, "token_session")

	// An admin's read-only token reads everything and writes nothing, not even users.
	ro := withToken(admin, str(admin.post("/api/tokens", map[string]any{"name": "报表", "readOnly": true}).must(t, 201)["token"]))
	if n := len(items(ro.list("客户").must(t, 200))); n != 3 {
		t.Fatalf("the admin's read-only token lists %d", n)
	}
	ro.post(recordsPath("客户"), map[string]any{"客户名称": "x"}).wantError(t, 403, "token_read_only")
	ro.call("DELETE", recordPath("客户", num(mine["id"])), nil).wantError(t, 403, "token_read_only")
	ro.post("/api/users", map[string]string{"email": "x@example.com", "password": "member-password", "name": "x", "role": "admin"}).wantError(t, 403, "token_read_only")
	ro.get("/api/webhooks").wantError(t, 403, "not_allowed")
	ro.get("/api/auth/me").must(t, 200)
	// A read/write token of the admin: still no users, no account changes.
	rwAdmin := withToken(admin, str(admin.post("/api/tokens", map[string]any{"name": "同步"}).must(t, 201)["token"]))
	rwAdmin.post("/api/users", map[string]string{"email": "x@example.com", "password": "member-password", "name": "x", "role": "admin"}).wantError(t, 403, "not_allowed")
	rwAdmin.patch("/api/auth/me", map[string]any{"name": "改名"}).wantError(t, 403, "token_session")
	rwAdmin.post("/api/auth/logout", nil).wantError(t, 403, "token_session")
	// 小王 cannot make a service account's token.
	wang.post("/api/tokens", map[string]any{"name": "集成", "service": true}).wantError(t, 403, "not_allowed")

	// Last use: written once, not again within the minute.
	srv := admin.server()
	now := today
	srv.Tokens.Now = func() time.Time { return now }
	tc.list("客户").must(t, 200)
	first := str(items(wang.get("/api/tokens").must(t, 200))[0]["lastUsedAt"])
	now = now.Add(30 * time.Second)
	tc.list("客户").must(t, 200)
	if again := str(items(wang.get("/api/tokens").must(t, 200))[0]["lastUsedAt"]); again != first || first == "" {
		t.Fatalf("last use %q then %q within the minute", first, again)
	}
	now = now.Add(31 * time.Second)
	tc.list("客户").must(t, 200)
	if later := str(items(wang.get("/api/tokens").must(t, 200))[0]["lastUsedAt"]); later == first {
		t.Fatalf("last use not written after a minute: %q", later)
	}

	// Expired.
	short := wang.post("/api/tokens", map[string]any{"name": "临时", "expiresAt": now.Add(time.Hour).Format(time.RFC3339)}).must(t, 201)
	sc := withToken(admin, str(short["token"]))
	sc.list("客户").must(t, 200)
	now = now.Add(2 * time.Hour)
	sc.lang = "en"
	if e := sc.list("客户").wantError(t, 401, "token_expired"); !strings.Contains(str(e["message"]), "\"临时\" expired") {
		t.Fatalf("message %v", e["message"])
	}
	wang.post("/api/tokens", map[string]any{"name": "过去", "expiresAt": "2020-01-01"}).wantError(t, 400, "too_small")

	// Revoked: at once, with a message; only by its owner.
	admin.del("/api/tokens/"+str(tok["id"])).wantError(t, 404, "not_found")
	wang.del("/api/tokens/"+str(tok["id"])).must(t, 200)
	if e := tc.list("客户").wantError(t, 401, "token_revoked"); !strings.Contains(str(e["message"]), "已被撤销") {
		t.Fatalf("message %v", e["message"])
	}
	withToken(admin, "tb_not-a-real-token").list("客户").wantError(t, 401, "token_invalid")

	// A disabled owner's tokens stop.
	alive := withToken(admin, str(wang.post("/api/tokens", map[string]any{"name": "又一个"}).must(t, 201)["token"]))
	alive.list("客户").must(t, 200)
	admin.post("/api/users/"+formatNum(wangID)+"/disable", nil).must(t, 200)
	alive.list("客户").wantError(t, 401, "token_revoked")
}
