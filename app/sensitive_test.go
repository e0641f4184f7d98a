package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"tierbase/core/audit"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/engines/importer"
	"tierbase/platform/problem"
	"tierbase/platform/secret"
	"tierbase/platform/spreadsheet"
	"tierbase/platform/store"
	"tierbase/templates/crm"
)

const phone = "13800138000"

// open opens a data directory with the 客户管理 template (联系电话 is 敏感) installed, and
// returns it with its Close, which the test's end calls too when the test did not.
func open(t *testing.T, dir string) (*app.App, func()) {
	t.Helper()
	a, err := app.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	shut := sync.OnceFunc(func() { a.Close() })
	t.Cleanup(shut)
	if _, err := a.Catalog.App(crm.AppName); err != nil {
		if _, err := crm.Install(context.Background(), access.System, a.Catalog); err != nil {
			t.Fatal(err)
		}
	}
	return a, shut
}

func customers(t *testing.T, a *app.App) *schema.Table {
	t.Helper()
	tb, err := a.Catalog.Table("客户")
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// find lists the customers matching filter as the actor.
func find(t *testing.T, a *app.App, by access.Actor, filter *cond.Node) []records.Record {
	t.Helper()
	p, err := a.Records.List(context.Background(), by, customers(t, a), records.Query{Filter: filter})
	if err != nil {
		t.Fatal(err)
	}
	return p.Items
}

// fileHolds reports whether any file of the data directory (database, WAL, keys…) holds s.
func fileHolds(t *testing.T, dir, s string) bool {
	t.Helper()
	found := false
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(path)
			found = found || bytes.Contains(b, []byte(s))
		}
		return nil
	})
	return found
}

func code(err error) string {
	if p := problem.As(err); p != nil {
		if len(p.Details) > 0 {
			return p.Details[0].Code
		}
		return p.Code
	}
	return ""
}

func TestSensitiveRoundTripSearchAndRest(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, shut := open(t, dir)
	tb := customers(t, a)
	rec, err := a.Records.Create(ctx, access.System, tb, records.Input{"客户名称": "甲公司", "联系电话": "+86 138 0013 8000"})
	if err != nil {
		t.Fatal(err)
	}
	f := tb.Field("联系电话")
	if got, _ := a.Records.Get(ctx, access.System, tb, rec.ID()); got[f.ID] != phone {
		t.Fatalf("read back %v, want %s", got[f.ID], phone)
	}
	if _, err := a.Records.Update(ctx, access.System, tb, rec.ID(), records.Input{"联系电话": "13900139000"}); err != nil {
		t.Fatal(err)
	}
	h, err := a.Records.History(ctx, access.System, tb, rec.ID())
	if err != nil || h[0].Changes[0].Before != phone || h[0].Changes[0].After != "13900139000" {
		t.Fatalf("history %+v %v", h, err)
	}
	if _, err := a.Records.Update(ctx, access.System, tb, rec.ID(), records.Input{"联系电话": phone}); err != nil {
		t.Fatal(err)
	}
	a.Records.Create(ctx, access.System, tb, records.Input{"客户名称": "乙公司"})

	for _, c := range []struct {
		filter *cond.Node
		want   int
	}{
		{&cond.Node{Field: "联系电话", Op: "eq", Value: "138-0013-8000"}, 1},
		{&cond.Node{Field: "联系电话", Op: "ne", Value: phone}, 1},
		{&cond.Node{Field: "联系电话", Op: "in", Value: []any{"13700137000", phone}}, 1},
		{&cond.Node{Field: "联系电话", Op: "nin", Value: []any{phone}}, 1},
		{&cond.Node{Field: "联系电话", Op: "empty"}, 1},
		{&cond.Node{Field: "联系电话", Op: "notEmpty"}, 1},
		{&cond.Node{Field: "联系电话", Op: "eq", Value: "13900139000"}, 0},
	} {
		if got := find(t, a, access.System, c.filter); len(got) != c.want {
			t.Errorf("%+v: %d records, want %d", c.filter, len(got), c.want)
		}
	}
	if p, _ := a.Records.List(ctx, access.System, tb, records.Query{Search: phone}); len(p.Items) != 1 {
		t.Errorf("search by the whole phone found %d", len(p.Items))
	}
	_, err = a.Records.List(ctx, access.System, tb, records.Query{Filter: &cond.Node{Field: "联系电话", Op: "contains", Value: "1380"}})
	if code(err) != "sensitive_op" || !strings.Contains(problem.As(err).Message("zh"), "联系电话") {
		t.Errorf("contains on a sensitive field: %v", err)
	}
	if _, err = a.Records.List(ctx, access.System, tb, records.Query{Sort: "联系电话"}); code(err) != "sensitive_op" {
		t.Errorf("sort by a sensitive field: %v", err)
	}
	if _, err = a.Records.CountBy(ctx, access.System, tb, nil, "联系电话"); code(err) != "sensitive_op" {
		t.Errorf("group by a sensitive field: %v", err)
	}
	on := true
	if _, err := a.Catalog.UpdateField(ctx, access.System, "客户", "客户名称", schema.FieldPatch{Sensitive: &on}); err != nil {
		t.Fatal(err)
	}
	if titles, err := a.Records.TitlesOf(ctx, access.System, customers(t, a), []int64{rec.ID()}); err != nil || titles[rec.ID()] != "甲公司" {
		t.Errorf("title of a sensitive title field: %v %v", titles, err)
	}

	shut()
	for _, s := range []string{phone, "13900139000", "甲公司"} {
		if fileHolds(t, dir, s) {
			t.Errorf("the data directory holds %s in plain", s)
		}
	}
}

func TestSensitiveMasked(t *testing.T) {
	ctx := context.Background()
	a, _ := open(t, t.TempDir())
	tb := customers(t, a)
	f := tb.Field("联系电话")
	own := access.DataScope{Kind: access.ScopeOwn}
	me := access.Actor{UserID: 7, Role: access.RoleMember, Grants: &access.Grants{Roles: []*access.Role{{ID: "sales",
		Default: &access.TablePerm{Actions: access.TableActions, Read: own, Change: own,
			Fields: map[string]access.FieldAccess{f.ID: access.FieldMasked}}}}}}
	rec, err := a.Records.Create(ctx, access.System, tb, records.Input{"客户名称": "甲公司", "联系电话": phone, "负责人": nil})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.DB.Exec(ctx, "UPDATE "+tb.SQLName()+" SET owner = 7"); err != nil {
		t.Fatal(err)
	}
	got, err := a.Records.Get(ctx, me, tb, rec.ID())
	if err != nil || got[f.ID] != "138****8000" {
		t.Fatalf("masked read %v %v", got[f.ID], err)
	}
	if items := find(t, a, me, &cond.Node{Field: "联系电话", Op: "eq", Value: phone}); len(items) != 1 || items[0][f.ID] != "138****8000" {
		t.Fatalf("masked list %v", items)
	}
	err = a.Records.Each(ctx, me, tb, records.Query{}, func(r records.Record) error { // what export writes
		if r[f.ID] != "138****8000" {
			t.Errorf("export row %v", r[f.ID])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Records.Update(ctx, me, tb, rec.ID(), records.Input{"联系电话": "13900139000"})
	if p := problem.As(err); p == nil || p.Status != 403 || p.Code != "field_masked" || !strings.Contains(p.Message("zh"), "联系电话") {
		t.Fatalf("masked write: %v", err)
	}
	// a form sends back what it showed: the masked value changes nothing
	if _, err := a.Records.Update(ctx, me, tb, rec.ID(), records.Input{"联系电话": "138****8000", "客户名称": "甲"}); err != nil {
		t.Fatal(err)
	}
	h, _ := a.Records.History(ctx, me, tb, rec.ID())
	for _, e := range h {
		for _, c := range e.Changes {
			if c.Field == f.ID && c.After != "138****8000" {
				t.Errorf("history shows %v", c.After)
			}
		}
	}
	if got, _ := a.Records.Get(ctx, access.System, tb, rec.ID()); got[f.ID] != phone {
		t.Errorf("after the masked form was sent back: %v", got[f.ID])
	}
}

func TestSensitiveMask(t *testing.T) {
	for _, c := range []struct {
		ty      schema.Type
		in, out string
	}{
		{schema.Phone, phone, "138****8000"},
		{schema.Email, "zhang@example.com", "z***@example.com"},
		{schema.Text, "张三丰", "张***丰"},
		{schema.Text, "张三", "张***"},
	} {
		if got := records.Mask(&schema.Field{Type: c.ty}, c.in); got != c.out {
			t.Errorf("Mask(%s) = %v, want %s", c.in, got, c.out)
		}
	}
}

func TestSensitiveRotate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, shut := open(t, dir)
	tb := customers(t, a)
	var ids []int64
	for _, p := range []string{phone, "13900139000", "13700137000"} {
		r, err := a.Records.Create(ctx, access.System, tb, records.Input{"客户名称": "公司" + p, "联系电话": p})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID())
	}
	f := tb.Field("联系电话")
	stored := func() string {
		var s string
		a.DB.R.QueryRow("SELECT "+f.Column()+" FROM "+tb.SQLName()+" WHERE id = ?", ids[0]).Scan(&s)
		return s
	}
	before, oldKey := stored(), a.Keys.Current()
	if err := a.Catalog.Rotate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	after := stored()
	if after == before || secret.KeyOf(after) == oldKey || secret.KeyOf(after) != a.Keys.Current() || len(a.Keys.IDs()) != 1 {
		t.Fatalf("rotation: %s → %s, keys %v", before, after, a.Keys.IDs())
	}
	if got := find(t, a, access.System, &cond.Node{Field: "联系电话", Op: "eq", Value: "13900139000"}); len(got) != 1 || got[0].ID() != ids[1] {
		t.Fatalf("eq after rotation: %v", got)
	}
	shut()
	b, _ := open(t, dir) // the rotated ring was saved
	for i, p := range []string{phone, "13900139000", "13700137000"} {
		if got, _ := b.Records.Get(ctx, access.System, customers(t, b), ids[i]); got[f.ID] != p {
			t.Errorf("record %d reads %v after rotation", ids[i], got[f.ID])
		}
	}
	if err := b.Keys.Exclusive(); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Open(dir); err == nil || !strings.Contains(err.Error(), "rotated") {
		t.Errorf("opening while keys are rotated: %v", err)
	}
}

func TestSensitiveWrongOrMissingKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, shut := open(t, dir)
	if _, err := a.Records.Create(ctx, access.System, customers(t, a), records.Input{"客户名称": "甲", "联系电话": phone}); err != nil {
		t.Fatal(err)
	}
	shut()
	t.Setenv(secret.EnvKey, base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)))
	if _, err := app.Open(dir); err == nil || !strings.Contains(err.Error(), "联系电话") || !strings.Contains(err.Error(), "not among the keys") {
		t.Errorf("wrong key: %v", err)
	}
	t.Setenv(secret.EnvKey, "c2hvcnQ=")
	if _, err := app.Open(dir); err == nil || !strings.Contains(err.Error(), secret.EnvKey) {
		t.Errorf("bad key: %v", err)
	}
	t.Setenv(secret.EnvKey, "")
	os.Remove(filepath.Join(dir, "keys", "keyring.json"))
	if _, err := app.Open(dir); err == nil || !strings.Contains(err.Error(), "is missing") || !strings.Contains(err.Error(), "联系电话") {
		t.Errorf("missing key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "keys", "keyring.json")); err == nil {
		t.Error("a new key was made although values are sealed with the lost one")
	}
}

func TestSensitiveMarkImportAndUnmark(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, shut := open(t, dir)
	tb := customers(t, a)
	if _, err := a.Catalog.AddField(ctx, access.System, "客户", &schema.Field{Name: "评分", Type: schema.Number, Sensitive: true}); code(err) != "sensitive_type" {
		t.Fatalf("a sensitive number: %v", err)
	}
	mail, err := a.Catalog.AddField(ctx, access.System, "客户", &schema.Field{Name: "邮箱", Type: schema.Email, Unique: true})
	if err != nil {
		t.Fatal(err)
	}
	tb = customers(t, a)
	for i, m := range []string{"zhang@example.com", "li@example.com"} {
		if _, err := a.Records.Create(ctx, access.System, tb, records.Input{"客户名称": string(rune('甲' + i)), "邮箱": m}); err != nil {
			t.Fatal(err)
		}
	}
	on := true
	if _, err := a.Catalog.UpdateField(ctx, access.System, "客户", "邮箱", schema.FieldPatch{Sensitive: &on}); err != nil {
		t.Fatal(err)
	}
	tb = customers(t, a)
	src, err := spreadsheet.OpenReader(strings.NewReader("客户名称,邮箱,联系电话\n丙,wang@example.com,13500135000\n"), "x.csv", spreadsheet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Importer.Run(ctx, access.System, tb, src, importer.Plan{Columns: []string{"客户名称", "邮箱", "联系电话"}}, nil); err != nil {
		t.Fatal(err)
	}
	// an upsert keyed by the sensitive phone finds the record and writes the new email sealed
	src, err = spreadsheet.OpenReader(strings.NewReader("联系电话,邮箱\n13500135000,zhao@example.com\n"), "y.csv", spreadsheet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.Importer.Run(ctx, access.System, tb, src, importer.Plan{Columns: []string{"联系电话", "邮箱"}, Mode: importer.Upsert, Key: "联系电话"}, nil)
	if err != nil || res.Updated != 1 || res.Inserted != 0 {
		t.Fatalf("upsert by a sensitive key: %+v %v", res, err)
	}
	if got := find(t, a, access.System, &cond.Node{Field: "邮箱", Op: "eq", Value: "zhao@example.com"}); len(got) != 1 || got[0][tb.Field("联系电话").ID] != "13500135000" {
		t.Fatalf("after the upsert: %v", got)
	}
	h, err := a.Records.History(ctx, access.System, tb, find(t, a, access.System, &cond.Node{Field: "联系电话", Op: "eq", Value: "13500135000"})[0].ID())
	if err != nil || h[0].Changes[0].Before != "wang@example.com" || h[0].Changes[0].After != "zhao@example.com" {
		t.Fatalf("history of the upsert: %+v %v", h, err)
	}
	if got := find(t, a, access.System, &cond.Node{Field: "邮箱", Op: "eq", Value: "zhang@example.com"}); len(got) != 1 {
		t.Fatalf("eq on a newly sensitive field: %d", len(got))
	}
	if got := find(t, a, access.System, &cond.Node{Field: "联系电话", Op: "eq", Value: "13500135000"}); len(got) != 1 || got[0][mail.ID] != "zhao@example.com" {
		t.Fatalf("imported row: %v", got)
	}
	if _, err := a.Records.Create(ctx, access.System, tb, records.Input{"客户名称": "丁", "邮箱": "li@example.com"}); code(err) != "not_unique" {
		t.Errorf("unique on a sensitive field: %v", err)
	}
	shut()
	for _, s := range []string{"zhang@example.com", "wang@example.com", "zhao@example.com", "13500135000"} {
		if fileHolds(t, dir, s) {
			t.Errorf("the data directory holds %s in plain", s)
		}
	}
	a, _ = open(t, dir)
	off := false
	if _, err := a.Catalog.UpdateField(ctx, access.System, "客户", "邮箱", schema.FieldPatch{Sensitive: &off}); err != nil {
		t.Fatal(err)
	}
	var plain int
	a.DB.R.QueryRow("SELECT COUNT(*) FROM " + tb.SQLName() + " WHERE " + mail.ID + " LIKE '%@example.com'").Scan(&plain)
	if plain != 3 {
		t.Errorf("%d plain emails after unmarking, want 3", plain)
	}
	if h, _ := a.Records.History(ctx, access.System, tb, find(t, a, access.System, &cond.Node{Field: "联系电话", Op: "eq", Value: "13500135000"})[0].ID()); h[0].Changes[0].After != "zhao@example.com" {
		t.Errorf("history after unmarking: %+v", h[0])
	}
	if got := find(t, a, access.System, &cond.Node{Field: "邮箱", Op: "contains", Value: "zhang"}); len(got) != 1 {
		t.Errorf("contains after unmarking: %d", len(got))
	}
}

// The operation log shows an admin a sensitive field's changes in full, never its ciphertext.
func TestSensitiveInTheOperationLog(t *testing.T) {
	ctx := context.Background()
	a, _ := open(t, t.TempDir())
	tb := customers(t, a)
	rec, err := a.Records.Create(ctx, access.System, tb, records.Input{"客户名称": "甲公司", "联系电话": phone})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Records.Update(ctx, access.System, tb, rec.ID(), records.Input{"联系电话": "13900139000"}); err != nil {
		t.Fatal(err)
	}
	entries, _, err := a.Audit.List(ctx, access.System, audit.Query{Table: tb.ID})
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(entries)
	if !strings.Contains(got, phone) || !strings.Contains(got, "13900139000") || strings.Contains(got, "tb1:") {
		t.Fatalf("log entries %s", got)
	}
}

// A 敏感 email is found whatever its case and surrounding spaces, a phone however it is
// typed; a data directory whose email hashes were taken of the exact text (before this
// version) has them recomputed once when opened, and is then found the same way.
func TestSensitiveEmailAnyCase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, shut := open(t, dir)
	mail, err := a.Catalog.AddField(ctx, access.System, "客户", &schema.Field{Name: "邮箱", Type: schema.Email, Unique: true, Sensitive: true})
	if err != nil {
		t.Fatal(err)
	}
	tb := customers(t, a)
	rec, err := a.Records.Create(ctx, access.System, tb, records.Input{"客户名称": "甲公司", "邮箱": "Li.Na@Example.com", "联系电话": phone})
	if err != nil {
		t.Fatal(err)
	}
	a.Records.Create(ctx, access.System, tb, records.Input{"客户名称": "乙公司", "邮箱": "wang@example.com"})
	if _, err := a.Records.Create(ctx, access.System, tb, records.Input{"客户名称": "丙公司", "邮箱": "LI.NA@example.COM"}); err == nil {
		t.Error("a unique sensitive email was taken twice in different case")
	}
	found := func(a *app.App, filter *cond.Node) bool {
		t.Helper()
		got := find(t, a, access.System, filter)
		return len(got) == 1 && got[0].ID() == rec.ID()
	}
	for _, c := range []*cond.Node{
		{Field: "邮箱", Op: "eq", Value: "li.na@example.com"},
		{Field: "邮箱", Op: "eq", Value: " LI.NA@EXAMPLE.COM "},
		{Field: "邮箱", Op: "eq", Value: "Li.Na＠Example.com"}, // a full-width @ from a Chinese keyboard
		{Field: "邮箱", Op: "in", Value: []any{"nobody@example.com", "li.na@example.COM"}},
		{Field: "邮箱", Op: "nin", Value: []any{"WANG@example.com"}},
		{Field: "联系电话", Op: "eq", Value: "138 0013 8000"},
		{Field: "联系电话", Op: "eq", Value: "+86 13800138000"},
	} {
		if !found(a, c) {
			t.Errorf("%+v does not find the record", c)
		}
	}
	if p, _ := a.Records.List(ctx, access.System, tb, records.Query{Search: "li.na@EXAMPLE.com"}); len(p.Items) != 1 {
		t.Errorf("the quick search by the whole email in other case found %d", len(p.Items))
	}
	if got, _ := a.Records.Get(ctx, access.System, tb, rec.ID()); got[mail.ID] != "Li.Na@Example.com" {
		t.Errorf("the email reads back as %v, not as it was written", got[mail.ID])
	}

	// An older version's data directory: the hash of the exact text, and no version mark.
	exact := a.Keys.Hash("Li.Na@Example.com", mail.ID)
	err = a.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE "`+tb.SQLName()+`" SET "`+mail.HashColumn()+`" = ? WHERE id = ?`, exact, rec.ID()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM _sequences WHERE key = '_sensitive_hash_form'")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	lower := &cond.Node{Field: "邮箱", Op: "eq", Value: "li.na@example.com"}
	if found(a, lower) {
		t.Fatal("the old hash was not written: the test proves nothing")
	}
	shut()
	b, shut := open(t, dir)
	if !found(b, lower) || !found(b, &cond.Node{Field: "邮箱", Op: "eq", Value: "Li.Na@Example.com"}) {
		t.Error("after opening an old data directory, the email is not found in any case")
	}
	// Once: a hash written in the old form after the upgrade stays as it is.
	if err := b.DB.Exec(ctx, `UPDATE "`+tb.SQLName()+`" SET "`+mail.HashColumn()+`" = ? WHERE id = ?`, exact, rec.ID()); err != nil {
		t.Fatal(err)
	}
	shut()
	c, _ := open(t, dir)
	if found(c, lower) {
		t.Error("the hashes were recomputed again on the second opening")
	}
}

// An old data directory whose unique 敏感 email is held twice in different case cannot be
// upgraded: opening it names the records, and changes nothing.
func TestSensitiveEmailUpgradeCaseClash(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, shut := open(t, dir)
	mail, err := a.Catalog.AddField(ctx, access.System, "客户", &schema.Field{Name: "邮箱", Type: schema.Email, Unique: true, Sensitive: true})
	if err != nil {
		t.Fatal(err)
	}
	tb := customers(t, a)
	var ids []int64
	for _, m := range []string{"Li.Na@Example.com", "wang@example.com"} {
		r, err := a.Records.Create(ctx, access.System, tb, records.Input{"客户名称": m, "邮箱": m})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID())
	}
	// As an older version could store them: the second holds the first in lower case, each
	// hashed by its exact text.
	set := `UPDATE "` + tb.SQLName() + `" SET "` + mail.Column() + `" = ?, "` + mail.HashColumn() + `" = ? WHERE id = ?`
	exact := a.Keys.Hash("Li.Na@Example.com", mail.ID)
	err = a.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, set, a.Keys.Seal("Li.Na@Example.com", mail.ID), exact, ids[0]); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, set, a.Keys.Seal("li.na@example.com", mail.ID), a.Keys.Hash("li.na@example.com", mail.ID), ids[1]); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM _sequences WHERE key = '_sensitive_hash_form'")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	shut()
	if _, err := app.Open(dir); err == nil || !strings.Contains(err.Error(), "邮箱") || !strings.Contains(err.Error(), fmt.Sprintf("records %d, %d", ids[0], ids[1])) {
		t.Fatalf("opening: %v", err)
	}
	db, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var h []byte
	var marks int
	db.R.QueryRow(`SELECT "`+mail.HashColumn()+`" FROM "`+tb.SQLName()+`" WHERE id = ?`, ids[0]).Scan(&h)
	db.R.QueryRow("SELECT COUNT(*) FROM _sequences WHERE key = '_sensitive_hash_form'").Scan(&marks)
	if !bytes.Equal(h, exact) || marks != 0 {
		t.Errorf("the failed upgrade changed the data: hash %x, want %x; %d version marks", h, exact, marks)
	}
}
