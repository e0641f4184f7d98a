package records_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/core/users"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

var ctx = context.Background()

// world is a fresh database with 客户 and 订单 (linking to 客户), an admin and two members.
type world struct {
	db              *store.DB
	recs            *records.Service
	cust, orders    *schema.Table
	admin, wang, li access.Actor
}

func open(t *testing.T) *world {
	t.Helper()
	db, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cat, err := schema.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	us, err := users.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{db: db, recs: records.New(db, cat, us)}
	w.recs.Now = func() time.Time { return time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) }
	for i, name := range []string{"管理员", "小王", "小李"} {
		role := users.Member
		if i == 0 {
			role = users.Admin
		}
		u, err := us.Create(ctx, access.System, name+"@example.com", "password-1", name, role)
		if err != nil {
			t.Fatal(err)
		}
		*[]*access.Actor{&w.admin, &w.wang, &w.li}[i] = access.Actor{UserID: u.ID, Role: role}
	}
	if w.cust, err = cat.CreateTable(ctx, access.System, "", "客户", []*schema.Field{
		{Name: "客户名称", Type: schema.Text}, {Name: "客户编号", Type: schema.AutoNumber, Format: "KH-{0000}"},
		{Name: "累计消费金额", Type: schema.Money}}); err != nil {
		t.Fatal(err)
	}
	if w.orders, err = cat.CreateTable(ctx, access.System, "", "订单", []*schema.Field{
		{Name: "订单名称", Type: schema.Text}, {Name: "客户", Type: schema.Link, LinkTable: w.cust.ID}}); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) create(t *testing.T, a access.Actor, tb *schema.Table, in records.Input) records.Record {
	t.Helper()
	rec, err := w.recs.Create(ctx, a, tb, in)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// code returns the problem code of err, or of its single detail.
func code(err error) string {
	p := problem.As(err)
	if p == nil {
		return ""
	}
	if len(p.Details) == 1 {
		return p.Details[0].Code
	}
	return p.Code
}

func TestScopes(t *testing.T) {
	w := open(t)
	mine := w.create(t, w.wang, w.cust, records.Input{"客户名称": "小王的"})
	theirs := w.create(t, w.admin, w.cust, records.Input{"客户名称": "管理员的"})
	if mine[schema.FieldOwner] != w.wang.UserID || mine[schema.FieldCreatedBy] != w.wang.UserID {
		t.Fatalf("a member's record: %v", mine)
	}
	page, err := w.recs.List(ctx, w.wang, w.cust, records.Query{})
	if err != nil || page.Total != 1 || page.Items[0].ID() != mine.ID() {
		t.Fatalf("小王 lists %v %v", page, err)
	}
	if n, _ := w.recs.Count(ctx, w.admin, w.cust, nil); n != 2 {
		t.Fatalf("admin counts %d", n)
	}
	if _, err := w.recs.Get(ctx, w.wang, w.cust, theirs.ID()); code(err) != "not_found" {
		t.Fatalf("get outside the scope: %v", err)
	}
	if _, err := w.recs.Update(ctx, w.wang, w.cust, theirs.ID(), records.Input{"客户名称": "x"}); code(err) != "not_found" {
		t.Fatalf("update outside the scope: %v", err)
	}
	if err := w.recs.Delete(ctx, w.wang, w.cust, theirs.ID()); code(err) != "not_found" {
		t.Fatalf("delete outside the scope: %v", err)
	}
	var seen []int64
	w.recs.Each(ctx, w.li, w.cust, records.Query{}, func(r records.Record) error { seen = append(seen, r.ID()); return nil })
	if len(seen) != 0 {
		t.Fatalf("小李 sees %v", seen)
	}
	if err := w.recs.Delete(ctx, w.wang, w.cust, mine.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := w.recs.History(ctx, w.wang, w.cust, mine.ID()); code(err) != "not_found" {
		t.Fatalf("a member reads a deleted record's history: %v", err)
	}
	if h, err := w.recs.History(ctx, w.admin, w.cust, mine.ID()); err != nil || h[0].Action != "delete" {
		t.Fatalf("admin history of a deleted record: %v %v", h, err)
	}
}

func TestLinksAndTitlesFollowTheReadScope(t *testing.T) {
	w := open(t)
	mine := w.create(t, w.wang, w.cust, records.Input{"客户名称": "小王的"})
	theirs := w.create(t, w.admin, w.cust, records.Input{"客户名称": "管理员的"})
	for _, id := range []int64{theirs.ID(), 9999} {
		_, err := w.recs.Create(ctx, w.wang, w.orders, records.Input{"订单名称": "探测", "客户": id})
		if code(err) != "bad_link" {
			t.Fatalf("link to %d: %v", id, err)
		}
	}
	if n, _ := w.recs.Count(ctx, w.admin, w.orders, nil); n != 0 {
		t.Fatalf("%d orders after refused links", n)
	}
	o1 := w.create(t, w.wang, w.orders, records.Input{"订单名称": "单1", "客户": mine.ID()})
	o2 := w.create(t, w.admin, w.orders, records.Input{"订单名称": "单2", "客户": theirs.ID(), "负责人": w.wang.UserID})
	titles, err := w.recs.Titles(ctx, w.wang, w.orders, []records.Record{o1, o2})
	link := w.orders.Field("客户").ID
	if err != nil || titles[link][mine.ID()] != "小王的" || titles[link][theirs.ID()] != "" {
		t.Fatalf("小王's titles %v %v", titles, err)
	}
	if titles[schema.FieldOwner][w.wang.UserID] != "小王" {
		t.Fatalf("owner titles %v", titles)
	}
	all, _ := w.recs.Titles(ctx, w.admin, w.orders, []records.Record{o1, o2})
	if all[link][theirs.ID()] != "管理员的" {
		t.Fatalf("admin's titles %v", all)
	}
}

// A record as written must stay within what its writer may change: a 仅本人 member cannot
// hand records away, a manager may within their departments, an admin anywhere.
func TestHandingOverStaysInScope(t *testing.T) {
	w := open(t)
	mine := w.create(t, w.wang, w.cust, records.Input{"客户名称": "小王的"})
	if _, err := w.recs.Create(ctx, w.wang, w.cust, records.Input{"客户名称": "x", "负责人": w.li.UserID}); code(err) != "outside_scope" {
		t.Fatalf("member creates for another: %v", err)
	}
	if _, err := w.recs.Update(ctx, w.wang, w.cust, mine.ID(), records.Input{"负责人": w.li.UserID}); code(err) != "outside_scope" {
		t.Fatalf("member hands over: %v", err)
	}
	sub := access.DataScope{Kind: access.ScopeSubDepartments}
	manager := w.wang
	manager.Grants = &access.Grants{SubDepartmentUsers: []int64{w.wang.UserID, w.li.UserID}, Roles: []*access.Role{{ID: "m",
		Default: &access.TablePerm{Actions: []access.TableAction{access.View, access.Add, access.Edit}, Read: sub, Change: sub}}}}
	theirs := w.create(t, manager, w.cust, records.Input{"客户名称": "给小李", "负责人": w.li.UserID})
	if _, err := w.recs.Update(ctx, manager, w.cust, theirs.ID(), records.Input{"负责人": w.admin.UserID}); code(err) != "outside_scope" {
		t.Fatalf("manager hands a record outside the department: %v", err)
	}
	if _, err := w.recs.Update(ctx, manager, w.cust, theirs.ID(), records.Input{"负责人": w.wang.UserID}); err != nil {
		t.Fatalf("manager takes a record of the department: %v", err)
	}
	if _, err := w.recs.Update(ctx, w.wang, w.cust, mine.ID(), records.Input{"负责人": w.wang.UserID, "客户名称": "改"}); err != nil {
		t.Fatalf("unchanged owner refused: %v", err)
	}
	if _, err := w.recs.Update(ctx, w.admin, w.cust, mine.ID(), records.Input{"负责人": w.li.UserID}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.recs.Get(ctx, w.li, w.cust, mine.ID()); err != nil {
		t.Fatalf("小李 after the hand-over: %v", err)
	}
}

func TestAutoNumbersAreTheServers(t *testing.T) {
	w := open(t)
	num := w.cust.Field("客户编号").ID
	a := w.create(t, w.admin, w.cust, records.Input{"客户名称": "甲"})
	if _, err := w.recs.Create(ctx, w.admin, w.cust, records.Input{"客户名称": "乙", "客户编号": a[num]}); code(err) != "autonumber_given" {
		t.Fatalf("client number on create: %v", err)
	}
	b := w.create(t, w.admin, w.cust, records.Input{"客户名称": "乙"})
	if _, err := w.recs.Update(ctx, w.admin, w.cust, b.ID(), records.Input{"客户编号": "KH-0001"}); code(err) != "autonumber_given" {
		t.Fatalf("client number on update: %v", err)
	}
	if a[num] != "KH-0001" || b[num] != "KH-0002" {
		t.Fatalf("numbers %v %v", a[num], b[num])
	}
	if _, err := w.recs.Update(ctx, w.admin, w.cust, b.ID(), records.Input{"客户名称": "乙二", "客户编号": "KH-0002"}); err != nil {
		t.Fatalf("unchanged number refused: %v", err)
	}
}

// withFields gives the actor the 成员 role as shipped with these field permissions on t.
func withFields(a access.Actor, t *schema.Table, fields map[string]access.FieldAccess) access.Actor {
	r := access.MemberRole()
	r.Tables = map[string]*access.TablePerm{t.ID: {Actions: r.Default.Actions, Read: r.Default.Read, Change: r.Default.Change, Fields: fields}}
	a.Grants = &access.Grants{Roles: []*access.Role{r}}
	return a
}

func TestHiddenAndReadOnlyFields(t *testing.T) {
	w := open(t)
	amount, name := w.cust.Field("累计消费金额").ID, w.cust.Field("客户名称").ID
	rec := w.create(t, w.wang, w.cust, records.Input{"客户名称": "甲", "累计消费金额": 5000})
	wang := withFields(w.wang, w.cust, map[string]access.FieldAccess{amount: access.FieldHidden, name: access.FieldRead})

	got, err := w.recs.Get(ctx, wang, w.cust, rec.ID())
	if _, shown := got[amount]; err != nil || shown || got[name] != "甲" {
		t.Fatalf("get %v %v", got, err)
	}
	page, _ := w.recs.List(ctx, wang, w.cust, records.Query{})
	if _, shown := page.Items[0][amount]; shown {
		t.Fatalf("list shows the hidden field: %v", page.Items[0])
	}
	w.recs.Each(ctx, wang, w.cust, records.Query{}, func(r records.Record) error {
		if _, shown := r[amount]; shown {
			t.Errorf("each shows the hidden field")
		}
		return nil
	})
	gt := &cond.Node{Field: "累计消费金额", Op: "gt", Value: 1000}
	if _, err := w.recs.List(ctx, wang, w.cust, records.Query{Filter: &cond.Node{Not: gt}}); code(err) != "field_hidden" {
		t.Fatalf("filter by a hidden field: %v", err)
	}
	if _, err := w.recs.List(ctx, wang, w.cust, records.Query{Sort: "累计消费金额"}); code(err) != "field_hidden" {
		t.Fatalf("sort by a hidden field: %v", err)
	}
	if page, _ := w.recs.List(ctx, wang, w.cust, records.Query{Search: "5000"}); page.Total != 0 {
		t.Fatalf("search finds by a hidden field")
	}
	for _, in := range []records.Input{{"累计消费金额": 1}, {"客户名称": "改"}} {
		if _, err := w.recs.Update(ctx, wang, w.cust, rec.ID(), in); code(err) != "field_readonly" {
			t.Fatalf("write %v: %v", in, err)
		}
	}
	h, err := w.recs.History(ctx, wang, w.cust, rec.ID())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range h {
		for _, c := range e.Changes {
			if c.Field == amount {
				t.Fatalf("history shows the hidden field: %v", h)
			}
		}
	}
	// The admin still sees and changes everything.
	if got, _ := w.recs.Get(ctx, w.admin, w.cust, rec.ID()); got[amount] != float64(5000) {
		t.Fatalf("admin get %v", got)
	}
}

// Two roles: 销售 reads its own records without the amount, 审计 reads the records over 1000
// with it. The amount shows on the records 审计 reads only, in every read and the history;
// filters and sorts on it are refused, since they would run over 销售's records too.
func TestFieldsFromOneRoleNeverOnAnothersRows(t *testing.T) {
	w := open(t)
	amount := w.cust.Field("累计消费金额").ID
	small := w.create(t, w.wang, w.cust, records.Input{"客户名称": "小单", "累计消费金额": 10})
	big := w.create(t, w.wang, w.cust, records.Input{"客户名称": "大单", "累计消费金额": 5000})
	w.create(t, w.li, w.cust, records.Input{"客户名称": "小李的大单", "累计消费金额": 7000})
	seller := access.MemberRole()
	seller.Default.Fields = map[string]access.FieldAccess{amount: access.FieldHidden}
	audit := &access.Role{ID: "audit", Default: &access.TablePerm{Actions: []access.TableAction{access.View},
		Read: access.DataScope{Kind: access.ScopeCustom, Cond: &cond.Node{Field: "累计消费金额", Op: "gt", Value: 1000}}}}
	wang := w.wang
	wang.Grants = &access.Grants{Roles: []*access.Role{seller, audit}}

	page, err := w.recs.List(ctx, wang, w.cust, records.Query{Sort: "id"})
	if err != nil || page.Total != 3 {
		t.Fatalf("list %v %v", page, err)
	}
	for _, r := range page.Items {
		_, shown := r[amount]
		if shown != (r.ID() != small.ID()) {
			t.Errorf("record %d (%v) shows the amount: %v", r.ID(), r[w.cust.Field("客户名称").ID], shown)
		}
	}
	if got, _ := w.recs.Get(ctx, wang, w.cust, small.ID()); got[amount] != nil {
		t.Errorf("get shows the amount of 小单: %v", got)
	}
	if got, _ := w.recs.Get(ctx, wang, w.cust, big.ID()); got[amount] != float64(5000) {
		t.Errorf("get hides the amount of 大单: %v", got)
	}
	for id, shows := range map[int64]bool{small.ID(): false, big.ID(): true} {
		h, err := w.recs.History(ctx, wang, w.cust, id)
		if err != nil {
			t.Fatal(err)
		}
		seen := false
		for _, c := range h[len(h)-1].Changes {
			seen = seen || c.Field == amount
		}
		if seen != shows {
			t.Errorf("history of %d shows the amount: %v", id, seen)
		}
	}
	if _, err := w.recs.List(ctx, wang, w.cust, records.Query{Filter: &cond.Node{Field: "累计消费金额", Op: "lt", Value: 100}}); code(err) != "field_hidden" {
		t.Errorf("filter on the partial field: %v", err)
	}
	if _, err := w.recs.List(ctx, wang, w.cust, records.Query{Sort: "-累计消费金额"}); code(err) != "field_hidden" {
		t.Errorf("sort on the partial field: %v", err)
	}
	if page, _ := w.recs.List(ctx, wang, w.cust, records.Query{Search: "10"}); page.Total != 0 {
		t.Errorf("search matches the partial field")
	}
}

// Creating takes the add action, updating the edit action, updating many records at once
// the bulk edit action, deleting the delete action; a role without view reads nothing.
func TestTableActions(t *testing.T) {
	w := open(t)
	rec := w.create(t, w.wang, w.cust, records.Input{"客户名称": "甲"})
	rec2 := w.create(t, w.wang, w.cust, records.Input{"客户名称": "乙"})
	own := access.DataScope{Kind: access.ScopeOwn}
	as := func(acts ...access.TableAction) access.Actor {
		a := w.wang
		a.Grants = &access.Grants{Roles: []*access.Role{{ID: "r", Default: &access.TablePerm{Actions: acts, Read: own, Change: own}}}}
		return a
	}
	if _, err := w.recs.Create(ctx, as(access.View, access.Edit), w.cust, records.Input{"客户名称": "丙"}); code(err) != "not_allowed_on" {
		t.Errorf("create without add: %v", err)
	}
	if _, err := w.recs.Update(ctx, as(access.View, access.Add), w.cust, rec.ID(), records.Input{"客户名称": "改"}); code(err) != "not_allowed_on" {
		t.Errorf("update without edit: %v", err)
	}
	both := []records.Input{{"id": rec.ID(), "客户名称": "改1"}, {"id": rec2.ID(), "客户名称": "改2"}}
	if _, err := w.recs.Batch(ctx, as(access.View, access.Edit), w.cust, both); code(err) != "not_allowed_on" {
		t.Errorf("bulk edit without the action: %v", err)
	}
	if _, err := w.recs.Batch(ctx, as(access.View, access.Edit, access.BulkEdit), w.cust, both); err != nil {
		t.Errorf("bulk edit: %v", err)
	}
	if err := w.recs.Delete(ctx, as(access.View, access.Edit), w.cust, rec.ID()); code(err) != "not_allowed_on" {
		t.Errorf("delete without the action: %v", err)
	}
	if page, err := w.recs.List(ctx, as(access.Add, access.Edit), w.cust, records.Query{}); err != nil || page.Total != 0 {
		t.Errorf("a role without view lists %v %v", page, err)
	}
}

func TestBatchIsAllOrNothing(t *testing.T) {
	w := open(t)
	_, err := w.recs.Batch(ctx, w.wang, w.cust, []records.Input{{"客户名称": "好"}, {"客户名称": "坏", "累计消费金额": "很多"}})
	p := problem.As(err)
	if p == nil || len(p.Details) != 1 || p.Details[0].Row != 2 || !strings.Contains(p.Details[0].Message("zh"), "很多") {
		t.Fatalf("batch error %v", err)
	}
	if n, _ := w.recs.Count(ctx, w.admin, w.cust, nil); n != 0 {
		t.Fatalf("%d records after a refused batch", n)
	}
	if _, err := w.recs.Batch(ctx, w.wang, w.cust, make([]records.Input, records.MaxBatch+1)); code(err) != "batch_too_large" {
		t.Fatalf("huge batch: %v", err)
	}
}
