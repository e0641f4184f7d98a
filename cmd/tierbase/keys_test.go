package main

import (
	"path/filepath"
	"strings"
	"testing"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/platform/secret"
)

// TestKeysRotate: rotation refuses to run beside a server on the same data directory, and
// otherwise re-encrypts the demo's phones with a new key that opens them all.
func TestKeysRotate(t *testing.T) {
	t.Setenv(secret.EnvKey, "")
	dir := filepath.Join(t.TempDir(), "data")
	if _, _, err := runCLI("demo", "--data", dir, "--customers", "30", "--seed", "2"); err != nil {
		t.Fatal(err)
	}
	server, err := app.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	tb, _ := server.Catalog.Table("客户")
	page, err := server.Records.List(ctx(), access.System, tb, records.Query{Sort: "id"})
	if err != nil {
		t.Fatal(err)
	}
	phone := page.Items[7][tb.Field("联系电话").ID].(string)
	oldKey := server.Keys.Current()
	if _, _, err := runCLI("keys", "rotate", "--data", dir); err != secret.ErrRunning {
		t.Fatalf("rotate beside a server: %v", err)
	}
	server.Close()
	out, _, err := runCLI("keys", "rotate", "--data", dir)
	if err != nil || !strings.Contains(out, "keys rotated") {
		t.Fatalf("rotate: %v %s", err, out)
	}
	a, err := app.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if ids := a.Keys.IDs(); len(ids) != 1 || ids[0] == oldKey || !strings.Contains(out, ids[0]) {
		t.Fatalf("keys after rotation: %v (old %s)\n%s", ids, oldKey, out)
	}
	tb, _ = a.Catalog.Table("客户")
	got, err := a.Records.List(ctx(), access.System, tb, records.Query{Filter: &cond.Node{Field: "联系电话", Op: "eq", Value: phone}})
	if err != nil || len(got.Items) == 0 || got.Items[0][tb.Field("联系电话").ID] != phone {
		t.Fatalf("after rotation: %v %v", got, err)
	}
}
