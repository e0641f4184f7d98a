package audit_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/audit"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/platform/problem"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// open returns an app on a fresh file with a table 客户 (客户名称) and the log's entries:
// record changes by user 1 at t0, t0+2m, t0+4m … and events by user 2 at t0+1m, t0+3m … (n each).
func open(t testing.TB, n int) (*app.App, *schema.Table) {
	t.Helper()
	a, err := app.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	ctx := context.Background()
	tbl, err := a.Catalog.CreateTable(ctx, access.System, "", "客户", []*schema.Field{{Name: "客户名称", Type: schema.Text}})
	if err != nil {
		t.Fatal(err)
	}
	f := tbl.Field("客户名称")
	err = a.DB.Tx(ctx, func(tx *sql.Tx) error {
		for i := 0; i < n; i++ {
			at := t0.Add(time.Duration(2*i) * time.Minute)
			changes := fmt.Sprintf(`[{"f":%q,"b":"旧%d","a":"新%d"}]`, f.ID, i, i)
			if _, err := tx.Exec("INSERT INTO _oplog(table_id, record_id, action, user_id, at, changes) VALUES(?,?,?,?,?,?)",
				tbl.ID, i+1, audit.Updated, 1, at.Format(time.RFC3339), changes); err != nil {
				return err
			}
			if err := audit.Write(ctx, tx, at.Add(time.Minute), audit.Event{UserID: 2, Action: audit.SignIn, Client: "10.0.0.1"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return a, tbl
}

var admin = access.Actor{UserID: 1, Role: access.RoleAdmin}

func TestAppendOnly(t *testing.T) {
	a, _ := open(t, 1)
	for _, q := range []string{
		"UPDATE _oplog SET changes = '[]'", "DELETE FROM _oplog", "UPDATE _audit SET action = 'x'", "DELETE FROM _audit",
	} {
		err := a.DB.Tx(context.Background(), func(tx *sql.Tx) error { _, err := tx.Exec(q); return err })
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", q, err)
		}
	}
	page, _, err := a.Audit.List(context.Background(), admin, audit.Query{})
	if err != nil || len(page) != 2 {
		t.Fatalf("after the refused changes: %v %v", page, err)
	}
}

func TestListMergesAndPages(t *testing.T) {
	a, tbl := open(t, 10)
	ctx := context.Background()
	ids := func(q audit.Query) ([]string, string) {
		t.Helper()
		page, next, err := a.Audit.List(ctx, admin, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range page {
			out = append(out, e.ID)
		}
		return out, next
	}
	whole, next := ids(audit.Query{Limit: 1000})
	if len(whole) != 20 || next != "" || whole[0] != "e10" || whole[1] != "r10" || whole[19] != "r1" {
		t.Fatalf("whole log %v next %q", whole, next)
	}
	var paged []string
	for q := (audit.Query{Limit: 3}); ; {
		page, next := ids(q)
		paged = append(paged, page...)
		if next == "" {
			break
		}
		q.Cursor = next
	}
	if !slices.Equal(paged, whole) {
		t.Fatalf("pages %v, whole %v", paged, whole)
	}
	// Filters, alone and together.
	for _, c := range []struct {
		q    audit.Query
		want []string
	}{
		{audit.Query{UserID: 2, Limit: 2}, []string{"e10", "e9"}},
		{audit.Query{Table: "客户", Limit: 2}, []string{"r10", "r9"}},
		{audit.Query{Table: tbl.ID, Action: audit.SignIn}, nil},
		{audit.Query{Action: audit.Updated, From: t0.Add(2 * time.Minute), To: t0.Add(6 * time.Minute)}, []string{"r3", "r2"}},
		{audit.Query{From: t0.Add(17 * time.Minute)}, []string{"e10", "r10", "e9"}},
		{audit.Query{UserID: 3}, nil},
	} {
		if got, _ := ids(c.q); !slices.Equal(got, c.want) {
			t.Errorf("%+v: %v, want %v", c.q, got, c.want)
		}
	}
	page, _, _ := a.Audit.List(ctx, admin, audit.Query{Limit: 1, Table: "客户"})
	if ch := page[0].Changes; page[0].TableName != "客户" || len(ch) != 1 || ch[0].Name != "客户名称" || ch[0].Before != "旧9" || ch[0].After != "新9" {
		t.Fatalf("entry %+v", page[0])
	}
	if _, _, err := a.Audit.List(ctx, access.Actor{UserID: 5, Role: access.RoleMember}, audit.Query{}); problem.As(err) == nil || problem.As(err).Status != 403 {
		t.Fatalf("a member reads the log: %v", err)
	}
}

// FuzzCursor: any cursor is a page or a clear bad_param, never a panic or another error.
func FuzzCursor(f *testing.F) {
	for _, s := range []string{"", "3.4", "0.0", "-1.2", "9223372036854775807.1", "x", "1.", ".", "1.2.3"} {
		f.Add(s)
	}
	a, _ := open(f, 3)
	f.Fuzz(func(t *testing.T, cursor string) {
		_, _, err := a.Audit.List(context.Background(), admin, audit.Query{Cursor: cursor})
		if err != nil && (problem.As(err) == nil || problem.As(err).Code != "bad_param") {
			t.Fatalf("%q: %v", cursor, err)
		}
	})
}

// A change to a row of a 子表单 names the sub-table, the row and the sub-field.
func TestSubformRowChangesNamed(t *testing.T) {
	a, _ := open(t, 0)
	ctx := context.Background()
	quote, err := a.Catalog.CreateTable(ctx, access.System, "", "报价单", []*schema.Field{{Name: "报价名称", Type: schema.Text},
		{Name: "报价明细", Type: schema.Subform, Fields: []*schema.Field{{Name: "产品", Type: schema.Text}, {Name: "数量", Type: schema.Number}}}})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := a.Records.Create(ctx, admin, quote, map[string]any{"报价名称": "甲", "报价明细": []any{map[string]any{"产品": "服务器", "数量": 1}}})
	if err != nil {
		t.Fatal(err)
	}
	rows := rec[quote.Field("报价明细").ID].([]records.Row)
	if _, err := a.Records.Update(ctx, admin, quote, rec.ID(), map[string]any{"报价明细": []any{map[string]any{"id": rows[0]["id"], "数量": 3}}}); err != nil {
		t.Fatal(err)
	}
	page, _, err := a.Audit.List(ctx, admin, audit.Query{Table: "报价单", Action: audit.Updated})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 1 || len(page[0].Changes) != 1 {
		t.Fatalf("the log has %+v", page)
	}
	if c := page[0].Changes[0]; c.Name != "报价明细" || c.Row != 1 || c.SubName != "数量" || c.RowOp != "" || c.Before != 1.0 || c.After != 3.0 {
		t.Fatalf("the row's change reads %+v", c)
	}
}
