package schema_test

import (
	"context"
	"fmt"
	"testing"

	"tierbase/core/access"
	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/secret"
	"tierbase/platform/store"
)

// A table holds schema.MaxFields fields — the database's most columns less the system ones — and
// one more is refused with a clear 400, never a failed DDL statement ("internal").
func TestMaxFields(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := schema.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	max := schema.MaxFields(db.Dialect)
	fields := func(n int) []*schema.Field {
		out := make([]*schema.Field, n)
		for i := range out {
			out[i] = &schema.Field{Name: fmt.Sprintf("列%d", i+1), Type: schema.Text}
		}
		return out
	}
	wantTooMany := func(what string, err error) {
		t.Helper()
		if p := problem.As(err); p == nil || p.Status != 400 || p.Code != "too_many_fields" {
			t.Fatalf("%s: %v, want a 400 too_many_fields", what, err)
		}
		if msg := problem.As(err).Message("zh"); msg != fmt.Sprintf("一张表最多 %d 个字段", max) {
			t.Errorf("message %q", msg)
		}
	}
	_, err = c.CreateTable(ctx, access.System, "", "太宽", fields(max+1))
	wantTooMany("a table of MaxFields+1 fields", err)
	if _, err := c.CreateTable(ctx, access.System, "", "最宽", fields(max)); err != nil {
		t.Fatalf("a table of MaxFields fields: %v", err)
	}
	_, err = c.AddField(ctx, access.System, "最宽", &schema.Field{Name: "再加一列", Type: schema.Number})
	wantTooMany("one field more", err)

	// A 敏感 field's hash column is a column too.
	ring, err := secret.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	if err := c.UseKeys(ctx, ring); err != nil {
		t.Fatal(err)
	}
	on := true
	_, err = c.UpdateField(ctx, access.System, "最宽", "列1", schema.FieldPatch{Sensitive: &on})
	wantTooMany("a field marked 敏感 on a full table", err)

	// A deleted field frees its column on SQLite; PostgreSQL counts dropped columns until the
	// table is rewritten, and says so as clearly.
	if err := c.DeleteField(ctx, access.System, "最宽", "列2"); err != nil {
		t.Fatal(err)
	}
	_, err = c.AddField(ctx, access.System, "最宽", &schema.Field{Name: "再加一列", Type: schema.Number})
	if db.Dialect == store.Postgres {
		wantTooMany("a field in place of a deleted one, on PostgreSQL", err)
	} else if err != nil {
		t.Fatalf("a field in place of a deleted one: %v", err)
	}
}
