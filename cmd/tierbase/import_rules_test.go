package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/platform/spreadsheet"
	"tierbase/platform/store"
	"tierbase/templates/crm"
)

// crmData makes a data directory with the 客户管理 template, its scheme and rules, and the
// given users (email → role).
func crmData(t *testing.T, dir string, people map[string]string) {
	t.Helper()
	a, err := app.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := crm.Install(context.Background(), access.System, a.Catalog); err != nil {
		t.Fatal(err)
	}
	if err := crm.InstallRules(context.Background(), a.Rules); err != nil {
		t.Fatal(err)
	}
	for email, role := range people {
		if _, err := a.Users.Create(context.Background(), access.System, email, "a-good-password", strings.Split(email, "@")[0], role); err != nil {
			t.Fatal(err)
		}
	}
}

// fixtureCustomers writes the shared fixture's customers as a UTF-8 CSV without 客户编号
// (the table numbers its customers itself) and returns the path, the header and the rows.
func fixtureCustomers(t *testing.T, dir string) (string, []string, [][]string) {
	t.Helper()
	src, err := spreadsheet.Open("../../platform/spreadsheet/testdata/customers_gbk.csv", spreadsheet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	header := src.Header()[1:]
	var rows [][]string
	var b strings.Builder
	b.WriteString(strings.Join(header, ",") + "\n")
	for {
		cells, err := src.Next()
		if err != nil {
			break
		}
		rows = append(rows, cells[1:])
		for i, c := range cells[1:] {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"` + c + `"`)
		}
		b.WriteByte('\n')
	}
	path := filepath.Join(dir, "客户.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, header, rows
}

// customers reads, per customer, its 客户等级, 负责人 and 创建人 emails; and the to-dos the queued
// side effects create when they run.
func customers(t *testing.T, dir string) (tiers map[string]int, owners map[string]int, todos int) {
	t.Helper()
	a, err := app.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Jobs.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	tb, _ := a.Catalog.Table("客户")
	emails := map[int64]string{}
	for _, u := range a.Users.List() {
		emails[u.ID] = u.Email
	}
	tiers, owners = map[string]int{}, map[string]int{}
	page, err := a.Records.List(context.Background(), access.System, tb, records.Query{Limit: records.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range page.Items {
		g, _ := r[tb.Field("客户等级").ID].(string)
		tiers[g]++
		o, _ := r[schema.FieldOwner].(int64)
		c, _ := r[schema.FieldCreatedBy].(int64)
		owners[emails[o]+"/"+emails[c]]++
	}
	todo, _ := a.Catalog.Table("待办任务")
	var n int
	a.DB.R.QueryRow("SELECT COUNT(*) FROM " + store.Quote(todo.SQLName())).Scan(&n)
	return tiers, owners, n
}

// `tierbase import` grades the template's customers, queues their follow-ups and owns them
// as saving them one by one does; with several admins it asks who imports.
func TestImportCLIGradesAndOwns(t *testing.T) {
	dir := t.TempDir()
	file, header, rows := fixtureCustomers(t, dir)
	data, ref := filepath.Join(dir, "data"), filepath.Join(dir, "ref")
	crmData(t, data, map[string]string{"boss@example.com": "admin", "it@example.com": "admin", "sales@example.com": "member"})
	crmData(t, ref, map[string]string{"sales@example.com": "member"})

	var out, errb bytes.Buffer
	err := run([]string{"import", "--data", data, "--table", "客户", file}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "--owner") || !strings.Contains(err.Error(), "boss@example.com") {
		t.Fatalf("an import with two admins and no --owner: %v", err)
	}
	if err := run([]string{"import", "--data", data, "--table", "客户", "--owner", "SALES@example.com", file}, &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}

	// The reference: the same rows saved one by one by the member through the records engine.
	a, err := app.Open(ref)
	if err != nil {
		t.Fatal(err)
	}
	tb, _ := a.Catalog.Table("客户")
	sales := access.Actor{UserID: a.Users.List()[0].ID, Role: access.RoleMember}
	for _, row := range rows {
		in := records.Input{}
		for i, h := range header {
			if f := tb.Field(h); f != nil && f.Computed != nil && f.Computed.Base != "" {
				in[f.Computed.Base] = row[i] // a rollup: the file's history is its opening value
			} else if f != nil {
				in[h] = row[i]
			}
		}
		if _, err := a.Records.Create(context.Background(), sales, tb, in); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()

	tiers, owners, todos := customers(t, data)
	want, _, wantTodos := customers(t, ref)
	if fmt.Sprint(tiers) != fmt.Sprint(want) || tiers["高价值客户"] == 0 {
		t.Fatalf("客户等级 after the CLI import %v, saved one by one %v", tiers, want)
	}
	if todos != tiers["高价值客户"] || todos != wantTodos {
		t.Fatalf("to-dos: import %d, one by one %d, 高价值客户 %d", todos, wantTodos, tiers["高价值客户"])
	}
	if owners["sales@example.com/sales@example.com"] != 300 {
		t.Fatalf("负责人/创建人 of the imported customers: %v", owners)
	}

	// With one admin, the admin imports.
	one := filepath.Join(dir, "one")
	crmData(t, one, map[string]string{"boss@example.com": "admin", "sales@example.com": "member"})
	if err := run([]string{"import", "--data", one, "--table", "客户", file}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if _, owners, _ := customers(t, one); owners["boss@example.com/boss@example.com"] != 300 {
		t.Fatalf("with one admin: %v", owners)
	}
	// A mistyped --owner is refused before anything is read.
	err = run([]string{"import", "--data", one, "--table", "客户", "--owner", "nobody@example.com", file}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "nobody@example.com") {
		t.Fatalf("unknown --owner: %v", err)
	}
}
