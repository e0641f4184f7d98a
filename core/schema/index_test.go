package schema_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"tierbase/core/access"
	"tierbase/core/schema"
	"tierbase/platform/secret"
	"tierbase/platform/store"
)

// Every non-unique index carries the 负责人 after its field, so that a data scope is checked
// inside the index; a data directory whose indexes lack it gets them rebuilt when opened.
func TestIndexesCarryTheOwner(t *testing.T) {
	if os.Getenv(store.TestServerEnv) != "" {
		t.Skip("reads and rewrites SQLite's stored index text; PostgreSQL starts at the current layout")
	}
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
		{Name: "金额", Type: schema.Money, Indexed: true}, {Name: "编号", Type: schema.Text, Unique: true},
		{Name: "标签", Type: schema.Tags, Indexed: true}})
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
	if tags := tb.Field("标签").Column(); !strings.HasSuffix(index(db, "idx_", tags), `("`+tags+`", "owner")`) {
		t.Fatalf("index of 标签: %s", index(db, "idx_", tags))
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

// A 敏感 field's index is on its hash column and holds no 负责人 (equality only); opening the
// data directory again leaves it as it is and adds none on the ciphertexts.
func TestSensitiveIndexesStayOnTheHash(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func() (*store.DB, *schema.Catalog, *secret.Ring) {
		t.Helper()
		db, err := store.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		ring, err := secret.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		c, err := schema.Open(db)
		if err == nil {
			err = c.UseKeys(ctx, ring)
		}
		if err != nil {
			t.Fatal(err)
		}
		return db, c, ring
	}
	db, c, ring := open()
	tb, err := c.CreateTable(ctx, access.System, "", "客户", []*schema.Field{{Name: "电话", Type: schema.Phone, Indexed: true, Sensitive: true}})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	ring.Close()
	db, _, ring = open()
	defer ring.Close()
	defer db.Close()
	defs := "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
	if db.Dialect == store.Postgres {
		defs = "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ?"
	}
	rows, err := db.R.Query(defs, tb.SQLName())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	col := tb.Field("电话").Column()
	n := 0
	for rows.Next() {
		var q string
		rows.Scan(&q)
		n++
		q = strings.ReplaceAll(q, `"`, "") // PostgreSQL quotes only names that need it
		if strings.Contains(q, col+",") || strings.Contains(q, col+")") || strings.Contains(q, "__h") && strings.Contains(q, "owner") {
			t.Errorf("index %s", q)
		}
	}
	if n == 0 {
		t.Error("no index found")
	}
}
