package records_test

import (
	"database/sql"
	"reflect"
	"strings"
	"testing"

	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/secret"
	"tierbase/platform/store"
)

// Values come back in their storage form on either database (money exact, lists as lists,
// checkboxes as booleans), a search finds text and tags whatever their case, a value held
// twice in a unique field is a 409 on that field, and a rule's set-wise update is in the
// history as the records layer writes it.
func TestValuesSearchUniqueAndRuleHistory(t *testing.T) {
	w := open(t)
	cat := w.recs.Catalog
	tb, err := cat.CreateTable(ctx, access.System, "", "商机", []*schema.Field{
		{Name: "名称", Type: schema.Text}, {Name: "编码", Type: schema.Text, Unique: true},
		{Name: "金额", Type: schema.Money, Indexed: true}, {Name: "标签", Type: schema.Tags, Indexed: true},
		{Name: "渠道", Type: schema.MultiSelect, Indexed: true, Options: []schema.Option{{Value: "电话"}, {Value: "展会"}}},
		{Name: "已签", Type: schema.Checkbox}})
	if err != nil {
		t.Fatal(err)
	}
	if w.db.Dialect == store.Postgres { // lists are jsonb there, found through GIN indexes
		var def string
		name := "idx_" + tb.ID + "_" + tb.Field("标签").Column()
		if err := w.db.R.QueryRow("SELECT indexdef FROM pg_indexes WHERE indexname = ?", name).Scan(&def); err != nil || !strings.Contains(def, "USING gin") {
			t.Errorf("index of 标签: %q %v", def, err)
		}
	}
	rec := w.create(t, w.admin, tb, records.Input{"名称": "Acme 公司", "编码": "A-1", "金额": 1234567.89,
		"标签": []any{"VIP", "华东"}, "渠道": []any{"展会"}, "已签": true})
	got, err := w.recs.Get(ctx, w.admin, tb, rec.ID())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"名称": "Acme 公司", "金额": 1234567.89, "标签": []string{"VIP", "华东"}, "渠道": []string{"展会"}, "已签": true}
	for name, v := range want {
		if g := got[tb.Field(name).ID]; !reflect.DeepEqual(g, v) {
			t.Errorf("%s: %#v, want %#v", name, g, v)
		}
	}
	w.create(t, w.admin, tb, records.Input{"名称": "别家", "编码": "B-1"})
	for _, search := range []string{"acme", "vip", "华东"} {
		page, err := w.recs.List(ctx, w.admin, tb, records.Query{Search: search})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 || page.Items[0].ID() != rec.ID() {
			t.Errorf("search %q: %v", search, page.Items)
		}
	}

	_, err = w.recs.Create(ctx, w.admin, tb, records.Input{"名称": "重复", "编码": "A-1"})
	if p := problem.As(err); p == nil || p.Status != 409 || p.Code != "not_unique" || p.Field != "编码" {
		t.Fatalf("a second A-1: %v, want a 409 not_unique on 编码", err)
	}

	signed, tags := tb.Field("已签"), tb.Field("标签")
	err = w.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, c := range []struct {
			f   *schema.Field
			arg any
		}{{signed, int64(0)}, {tags, `["老客户"]`}} {
			if err := records.LogUpdates(ctx, tx, tb, c.f, "?", []any{c.arg}, "id = ?", []any{rec.ID()}, "降级", "2026-11-23T10:00:00Z"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	hist, err := w.recs.History(ctx, w.admin, tb, rec.ID())
	if err != nil {
		t.Fatal(err)
	}
	var changes []records.Change
	for _, e := range hist {
		if e.Via != nil && e.Via.Name == "降级" {
			for _, c := range e.Changes {
				if c.Field != records.RuleNote {
					changes = append(changes, c)
				}
			}
		}
	}
	wantChanges := map[string][2]any{"已签": {true, false}, "标签": {[]any{"VIP", "华东"}, []any{"老客户"}}}
	if len(changes) != len(wantChanges) {
		t.Fatalf("the rule's history: %+v", changes)
	}
	for _, c := range changes {
		wc := wantChanges[c.Name]
		if !reflect.DeepEqual(c.Before, wc[0]) || !reflect.DeepEqual(c.After, wc[1]) {
			t.Errorf("%s: %#v → %#v, want %#v → %#v", c.Name, c.Before, c.After, wc[0], wc[1])
		}
	}
}

// Marking a unique field 敏感 on a table with records and history seals its values and its
// history, keeps search by the whole value and uniqueness (on the hash), and unmarking it
// opens them again.
func TestSensitiveFieldMarkedAndUnmarked(t *testing.T) {
	w := open(t)
	cat := w.recs.Catalog
	ring, err := secret.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	if err := cat.UseKeys(ctx, ring); err != nil {
		t.Fatal(err)
	}
	tb, err := cat.CreateTable(ctx, access.System, "", "联系人", []*schema.Field{
		{Name: "姓名", Type: schema.Text}, {Name: "电话", Type: schema.Phone, Unique: true}})
	if err != nil {
		t.Fatal(err)
	}
	rec := w.create(t, w.admin, tb, records.Input{"姓名": "甲", "电话": "13800138000"})
	if _, err := w.recs.Update(ctx, w.admin, tb, rec.ID(), records.Input{"电话": "13900139000"}); err != nil {
		t.Fatal(err)
	}
	for _, on := range []bool{true, false} {
		if _, err := cat.UpdateField(ctx, access.System, "联系人", "电话", schema.FieldPatch{Sensitive: &on}); err != nil {
			t.Fatalf("sensitive %v: %v", on, err)
		}
		tb, _ = cat.Table("联系人")
		phone := tb.Field("电话")
		var stored string
		if err := w.db.R.QueryRow("SELECT " + store.Quote(phone.Column()) + " FROM " + store.Quote(tb.SQLName())).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if secret.IsSealed(stored) != on {
			t.Errorf("sensitive %v: stored %q", on, stored)
		}
		var plainLog int
		if err := w.db.R.QueryRow("SELECT COUNT(*) FROM _oplog WHERE changes LIKE '%13800138000%'").Scan(&plainLog); err != nil {
			t.Fatal(err)
		}
		if (plainLog == 0) != on {
			t.Errorf("sensitive %v: %d log entries hold the old phone in plain", on, plainLog)
		}
		if got, err := w.recs.Get(ctx, w.admin, tb, rec.ID()); err != nil || got[phone.ID] != "13900139000" {
			t.Errorf("sensitive %v: read back %v %v", on, got, err)
		}
		hist, err := w.recs.History(ctx, w.admin, tb, rec.ID())
		if err != nil || len(hist) == 0 || len(hist[0].Changes) != 1 || hist[0].Changes[0].Before != "13800138000" {
			t.Errorf("sensitive %v: history %+v %v", on, hist, err)
		}
		if page, err := w.recs.List(ctx, w.admin, tb, records.Query{Search: "13900139000"}); err != nil || len(page.Items) != 1 {
			t.Errorf("sensitive %v: search %v %v", on, page, err)
		}
		_, err = w.recs.Create(ctx, w.admin, tb, records.Input{"姓名": "乙", "电话": "13900139000"})
		if p := problem.As(err); p == nil || p.Code != "not_unique" {
			t.Errorf("sensitive %v: the same phone again: %v", on, err)
		}
	}
}
