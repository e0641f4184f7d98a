package records_test

import (
	"slices"
	"testing"
	"time"

	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
)

func TestTrashRestoreKeepsIDValuesAndHistory(t *testing.T) {
	w := open(t)
	c := w.create(t, w.wang, w.cust, records.Input{"客户名称": "格力", "累计消费金额": 1200.5})
	if _, err := w.recs.Update(ctx, w.wang, w.cust, c.ID(), records.Input{"客户名称": "格力电器"}); err != nil {
		t.Fatal(err)
	}
	if err := w.recs.Delete(ctx, w.wang, w.cust, c.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := w.recs.Trash(ctx, w.wang, "", 0, 0); code(err) != "not_allowed" {
		t.Fatalf("a member lists the bin: %v", err)
	}
	if _, err := w.recs.Restore(ctx, w.wang, w.cust, c.ID()); code(err) != "not_allowed" {
		t.Fatalf("a member restores: %v", err)
	}
	items, err := w.recs.Trash(ctx, w.admin, "客户", 0, 0)
	if err != nil || len(items) != 1 || items[0].Title != "格力电器" || items[0].DeletedBy != w.wang.UserID || items[0].Table != "客户" {
		t.Fatalf("bin: %+v %v", items, err)
	}
	res, err := w.recs.Restore(ctx, w.admin, w.cust, c.ID())
	if err != nil || res.Dropped != 0 || len(res.Unlinked) != 0 || len(res.Added) != 0 {
		t.Fatalf("restore: %+v %v", res, err)
	}
	got, err := w.recs.Get(ctx, w.wang, w.cust, c.ID())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"客户名称", "累计消费金额", "客户编号", schema.FieldOwner, schema.FieldCreatedBy, schema.FieldCreatedAt} {
		id := w.cust.Field(f).ID
		if got[id] != c[id] && !(f == "客户名称" && got[id] == "格力电器") {
			t.Fatalf("%s: %v, was %v", f, got[id], c[id])
		}
	}
	h, err := w.recs.History(ctx, w.wang, w.cust, c.ID())
	var actions []string
	for _, e := range h {
		actions = append(actions, e.Action)
	}
	if err != nil || !slices.Equal(actions, []string{"restore", "delete", "update", "create"}) {
		t.Fatalf("history: %v %v", actions, err)
	}
	if items, _ := w.recs.Trash(ctx, w.admin, "", 0, 0); len(items) != 0 {
		t.Fatalf("still in the bin: %+v", items)
	}
	if _, err := w.recs.Restore(ctx, w.admin, w.cust, c.ID()); code(err) != "not_found" {
		t.Fatalf("restored twice: %v", err)
	}
}

func TestTrashRestoreConflicts(t *testing.T) {
	w := open(t)
	cat := w.recs.Catalog
	if _, err := cat.AddField(ctx, access.System, "客户", &schema.Field{Name: "邮箱", Type: schema.Email, Unique: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.AddField(ctx, access.System, "客户", &schema.Field{Name: "备注", Type: schema.Text}); err != nil {
		t.Fatal(err)
	}
	w.cust, _ = cat.Table("客户")
	c := w.create(t, w.admin, w.cust, records.Input{"客户名称": "美的", "邮箱": "a@example.com", "备注": "老客户"})
	other := w.create(t, w.admin, w.cust, records.Input{"客户名称": "海尔"})
	o := w.create(t, w.admin, w.orders, records.Input{"订单名称": "空调", "客户": other.ID()})
	for _, del := range []struct {
		tb *schema.Table
		id int64
	}{{w.cust, c.ID()}, {w.orders, o.ID()}, {w.cust, other.ID()}} {
		if err := w.recs.Delete(ctx, w.admin, del.tb, del.id); err != nil {
			t.Fatal(err)
		}
	}
	// A unique value taken meanwhile: refused, naming the field; the record stays in the bin.
	w.create(t, w.admin, w.cust, records.Input{"客户名称": "美的（新）", "邮箱": "a@example.com"})
	if _, err := w.recs.Restore(ctx, w.admin, w.cust, c.ID()); code(err) != "not_unique" {
		t.Fatalf("restore over a taken unique value: %v", err)
	}
	if items, _ := w.recs.Trash(ctx, w.admin, "客户", 0, 0); len(items) != 2 {
		t.Fatalf("bin after a refused restore: %+v", items)
	}
	// The table changed: a field deleted (its value dropped), one added (empty).
	if err := cat.DeleteField(ctx, access.System, "客户", "备注"); err != nil {
		t.Fatal(err)
	}
	if err := cat.DeleteField(ctx, access.System, "客户", "邮箱"); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.AddField(ctx, access.System, "客户", &schema.Field{Name: "行业", Type: schema.Text}); err != nil {
		t.Fatal(err)
	}
	w.cust, _ = cat.Table("客户")
	res, err := w.recs.Restore(ctx, w.admin, w.cust, c.ID())
	if err != nil || res.Dropped != 2 || !slices.Equal(res.Added, []string{"行业"}) || res.Record[w.cust.Field("客户名称").ID] != "美的" {
		t.Fatalf("restore into a changed table: %+v %v", res, err)
	}
	// A link to a record gone since: restored empty, and said.
	res, err = w.recs.Restore(ctx, w.admin, w.orders, o.ID())
	if err != nil || !slices.Equal(res.Unlinked, []string{"客户"}) || res.Record[w.orders.Field("客户").ID] != nil {
		t.Fatalf("restore with a dangling link: %+v %v", res, err)
	}
}

func TestTrashPurgeForgetAndPaging(t *testing.T) {
	w := open(t)
	now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	w.recs.Now = func() time.Time { return now }
	var ids []int64
	for i := range 3 {
		r := w.create(t, w.admin, w.cust, records.Input{"客户名称": string(rune('A' + i))})
		ids = append(ids, r.ID())
		if err := w.recs.Delete(ctx, w.admin, w.cust, r.ID()); err != nil {
			t.Fatal(err)
		}
		now = now.Add(24 * time.Hour)
	}
	page, err := w.recs.Trash(ctx, w.admin, "", 0, 2)
	if err != nil || len(page) != 2 || page[0].RecordID != ids[2] || page[1].RecordID != ids[1] {
		t.Fatalf("first page: %+v %v", page, err)
	}
	if next, _ := w.recs.Trash(ctx, w.admin, "", page[1].ID, 2); len(next) != 1 || next[0].RecordID != ids[0] {
		t.Fatalf("second page: %+v", next)
	}
	if err := w.recs.Forget(ctx, w.wang, w.cust, ids[2]); code(err) != "not_allowed" {
		t.Fatalf("a member empties the bin: %v", err)
	}
	if err := w.recs.Forget(ctx, w.admin, w.cust, ids[2]); err != nil {
		t.Fatal(err)
	}
	// 30 days after the first deletion nothing is old enough; a day later the first goes.
	now = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	if n, err := w.recs.PurgeTrash(ctx); err != nil || n != 0 {
		t.Fatalf("purge at 30 days: %d %v", n, err)
	}
	now = now.Add(24 * time.Hour)
	if n, err := w.recs.PurgeTrash(ctx); err != nil || n != 1 {
		t.Fatalf("purge at 31 days: %d %v", n, err)
	}
	left, _ := w.recs.Trash(ctx, w.admin, "", 0, 0)
	if len(left) != 1 || left[0].RecordID != ids[1] {
		t.Fatalf("left after purge: %+v", left)
	}
	if h, err := w.recs.History(ctx, w.admin, w.cust, ids[0]); err != nil || h[0].Action != "delete" {
		t.Fatalf("history after purge: %v %v", h, err)
	}
	// A deleted table's bin goes with it.
	if err := w.recs.Catalog.DeleteTable(ctx, access.System, "订单"); err != nil {
		t.Fatal(err)
	}
	if err := w.recs.Catalog.DeleteTable(ctx, access.System, "客户"); err != nil {
		t.Fatal(err)
	}
	var n int
	w.recs.DB.R.QueryRow("SELECT count(*) FROM _trash").Scan(&n)
	if n != 0 {
		t.Fatalf("%d items of deleted tables left in the bin", n)
	}
}

// A bulk delete puts each record in the bin, clears the links to them (one or many) and keeps
// a history entry each, and leaves the rest alone.
func TestBulkDeleteBinsUnlinksAndLogsEach(t *testing.T) {
	w := open(t)
	if _, err := w.recs.Catalog.AddField(ctx, access.System, "订单", &schema.Field{Name: "相关客户", Type: schema.Links, LinkTable: w.cust.ID}); err != nil {
		t.Fatal(err)
	}
	w.orders, _ = w.recs.Catalog.Table("订单")
	var gone []int64
	for _, name := range []string{"美的", "格力", "海尔"} {
		gone = append(gone, w.create(t, w.admin, w.cust, records.Input{"客户名称": name}).ID())
	}
	kept := w.create(t, w.admin, w.cust, records.Input{"客户名称": "小米"})
	o := w.create(t, w.admin, w.orders, records.Input{"订单名称": "空调", "客户": gone[1], "相关客户": []int64{gone[0], kept.ID(), gone[2]}})
	res, err := w.recs.BulkChange(ctx, w.admin, w.cust, records.Bulk{IDs: append(slices.Clone(gone), 999), Delete: true}, nil)
	if err != nil || res.Changed != 3 {
		t.Fatalf("bulk delete: %+v %v", res, err)
	}
	items, err := w.recs.Trash(ctx, w.admin, "客户", 0, 0)
	if err != nil || len(items) != 3 {
		t.Fatalf("bin: %+v %v", items, err)
	}
	got, err := w.recs.Get(ctx, w.admin, w.orders, o.ID())
	if err != nil || got[w.orders.Field("客户").ID] != nil || !slices.Equal(got[w.orders.Field("相关客户").ID].([]int64), []int64{kept.ID()}) {
		t.Fatalf("the order's links: %v %v", got, err)
	}
	if _, err := w.recs.Get(ctx, w.admin, w.cust, kept.ID()); err != nil {
		t.Fatalf("the customer not chosen: %v", err)
	}
	for _, id := range gone {
		if _, err := w.recs.Restore(ctx, w.admin, w.cust, id); err != nil {
			t.Fatal(err)
		}
		h, err := w.recs.History(ctx, w.admin, w.cust, id)
		var actions []string
		for _, e := range h {
			actions = append(actions, e.Action)
		}
		if err != nil || !slices.Equal(actions, []string{"restore", "delete", "create"}) {
			t.Fatalf("history of %d: %v %v", id, actions, err)
		}
	}
}
