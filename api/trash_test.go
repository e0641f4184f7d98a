package api_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestTrashRestore(t *testing.T) {
	admin := setup(t)
	customers(admin)
	_, member := admin.addMember("wang@example.com", "小王")
	rec := member.create("客户", map[string]any{"客户名称": "格力"})
	id := num(rec["id"])
	member.del(recordPath("客户", id)).must(t, 200)
	restore := fmt.Sprintf("/api/trash/%s/%v/restore", url.PathEscape("客户"), id)
	for _, r := range []reply{member.get("/api/trash"), member.post(restore, nil), member.del(fmt.Sprintf("/api/trash/%s/%v", url.PathEscape("客户"), id))} {
		r.wantError(t, 403, "not_allowed")
	}
	page := admin.get("/api/trash?table="+url.QueryEscape("客户")).must(t, 200)
	list := items(page)
	if len(list) != 1 || list[0]["title"] != "格力" || list[0]["deletedByName"] != "小王" || num(list[0]["recordId"]) != id || num(page["next"]) != 0 {
		t.Fatalf("trash: %v", page)
	}
	admin.get("/api/trash?cursor=x").wantError(t, 400, "bad_param")
	admin.get("/api/trash?table="+url.QueryEscape("没有这张表")).wantError(t, 404, "not_found")
	res := admin.post(restore, nil).must(t, 200)
	if num(res["id"]) != id || num(res["dropped"]) != 0 {
		t.Fatalf("restore: %v", res)
	}
	if got := member.get(recordPath("客户", id)).must(t, 200); got["客户名称"] != "格力" {
		t.Fatalf("restored record: %v", got)
	}
	h := member.get(recordPath("客户", id) + "/history").Raw
	if !strings.Contains(h, `"action":"restore"`) || !strings.Contains(h, `"action":"delete"`) || !strings.Contains(h, `"action":"create"`) {
		t.Fatalf("history: %s", h)
	}
	admin.post(restore, nil).wantError(t, 404, "not_found")
}

func TestBackupsAPI(t *testing.T) {
	admin := setup(t)
	customers(admin)
	_, member := admin.addMember("wang@example.com", "小王")
	member.get("/api/backups").wantError(t, 403, "not_allowed")
	member.post("/api/backups", nil).wantError(t, 403, "not_allowed")
	if list := items(admin.get("/api/backups").must(t, 200)); len(list) != 0 {
		t.Fatalf("backups at first: %v", list)
	}
	if onPostgres() { // the data is in PostgreSQL: backups are pg_dump's, the API says so
		e := admin.post("/api/backups", nil).wantError(t, 409, "backup_postgres")
		if !strings.Contains(str(e["message"]), "pg_dump") {
			t.Errorf("message %v", e["message"])
		}
		if list := items(admin.get("/api/backups").must(t, 200)); len(list) != 0 {
			t.Fatalf("backups on PostgreSQL: %v", list)
		}
		return
	}
	made := admin.post("/api/backups", nil).must(t, 201)
	name := str(made["name"])
	if !strings.HasPrefix(name, "tierbase-") || num(made["size"]) < 4096 {
		t.Fatalf("backup: %v", made)
	}
	if list := items(admin.get("/api/backups").must(t, 200)); len(list) != 1 || list[0]["name"] != name {
		t.Fatalf("backups: %v", list)
	}
	member.get("/api/backups/"+name).wantError(t, 403, "not_allowed")
	file := admin.get("/api/backups/" + name)
	if file.Status != 200 || !strings.HasPrefix(file.Raw, "SQLite format 3\x00") || len(file.Raw) != int(num(made["size"])) ||
		!strings.Contains(file.Header.Get("Content-Disposition"), name) {
		t.Fatalf("download: %d %q", file.Status, file.Header)
	}
	// Only a backup's own name is served: no way out of the backup directory.
	for _, bad := range []string{"..%2Ftierbase.db", "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "tierbase.db", name + ".part", "x" + name} {
		if r := admin.get("/api/backups/" + bad); r.Status != 404 || strings.HasPrefix(r.Raw, "SQLite") {
			t.Fatalf("%s: %d %.40q", bad, r.Status, r.Raw)
		}
	}
	log := admin.get("/api/backups/../tierbase.db")
	if strings.HasPrefix(log.Raw, "SQLite") {
		t.Fatal("served the live database")
	}
}
