package schema_test

import (
	"context"
	"strings"
	"testing"

	"tierbase/core/access"
	"tierbase/core/schema"
	"tierbase/platform/store"
)

// Every non-unique index carries the 负责人 after its field, so that a data scope is checked
// inside the index; a data directory whose indexes lack it gets them rebuilt when opened.
func TestIndexesCarryTheOwner(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := schema.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := c.CreateTable(ctx, access.System, "", "客户", []*schema.Field{
		{Name: "金额", Type: schema.Money, Indexed: true}, {Name: "编号", Type: schema.Text, Unique: true}})
	if err != nil {
		t.Fatal(err)
	}
	amount, code := tb.Field("金额").Column(), tb.Field("编号").Column()
	index := func(db *store.DB, prefix, col string) string {
		t.Helper()
		var q string
		if err := db.R.QueryRow("SELECT sql FROM sqlite_master WHERE name = ?", prefix+tb.ID+"_"+col).Scan(&q); err != nil {
			t.Fatal(err)
		}
		return q
	}
	if q := index(db, "idx_", amount); !strings.HasSuffix(q, `("`+amount+`", "owner")`) {
		t.Fatalf("index of 金额: %s", q)
	}
	if q := index(db, "uq_", code); strings.Contains(q, "owner") {
		t.Fatalf("a unique index holds the owner: %s", q)
	}
	// An older version's index: the field alone.
	if err := db.Exec(ctx, `DROP INDEX "idx_`+tb.ID+`_`+amount+`"; CREATE INDEX "idx_`+tb.ID+`_`+amount+`" ON "`+tb.SQLName()+`" ("`+amount+`")`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := schema.Open(db); err != nil {
		t.Fatal(err)
	}
	if q := index(db, "idx_", amount); !strings.HasSuffix(q, `("`+amount+`", "owner")`) {
		t.Fatalf("after reopening: %s", q)
	}
}
