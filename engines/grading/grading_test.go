package grading_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"sync"
	"testing"
	"tierbase/app"
	"time"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/engines/grading"
	"tierbase/platform/problem"
	"tierbase/platform/store"
	"tierbase/templates/crm"
)

type env struct {
	now  time.Time
	cat  *schema.Catalog
	recs *records.Service
	eng  *grading.Engine
	t    *schema.Table
	db   *store.DB
}

func setup(t *testing.T) *env {
	t.Helper()
	a, err := app.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	e := &env{now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), cat: a.Catalog, recs: a.Records, eng: a.Grading, db: a.DB}
	a.SetClock(func() time.Time { return e.now }, time.UTC)
	cat := a.Catalog
	if _, err := crm.Install(context.Background(), access.System, cat); err != nil {
		t.Fatal(err)
	}
	e.t, _ = cat.Table("客户")
	return e
}

func leaf(field, op string, value any) *cond.Node {
	return &cond.Node{Field: field, Op: op, Value: value}
}

// s2 is the seed's scheme: 高价值客户 and 潜力客户 as in scenario S2, 普通客户 for the rest.
func s2() *grading.Scheme {
	return &grading.Scheme{Name: "客户分级", Table: "客户", Field: "客户等级", Enabled: true, Default: "普通客户",
		Levels: []grading.Level{
			{Value: "高价值客户", When: &cond.Node{And: []*cond.Node{leaf("最近消费日", "withinLastDays", 30), leaf("购买频率", "gt", 5), leaf("累计消费金额", "gt", 10000)}}},
			{Value: "潜力客户", When: &cond.Node{And: []*cond.Node{leaf("客户来源", "eq", "市场活动"), leaf("首次购买日期", "withinLastDays", 60)}}},
		}}
}

func (e *env) create(t *testing.T, in records.Input) records.Record {
	t.Helper()
	in["客户名称"] = "测试客户"
	r, err := e.recs.Create(context.Background(), access.System, e.t, in)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *env) grade(t *testing.T, id int64) any {
	t.Helper()
	r, err := e.recs.Get(context.Background(), access.System, e.t, id)
	if err != nil {
		t.Fatal(err)
	}
	return r[e.t.Field("客户等级").ID]
}

func day(t time.Time, d int) string { return t.AddDate(0, 0, d).Format("2006-01-02") }

// The S2 grades hold as days pass with no edit: 高价值客户 falls to 普通客户 31 days on.
func TestGradesFollowTheCalendar(t *testing.T) {
	e := setup(t)
	if _, _, err := e.eng.Save(context.Background(), access.System, s2()); err != nil {
		t.Fatal(err)
	}
	vip := e.create(t, records.Input{"历史最近消费日": day(e.now, -5), "历史购买次数": 8, "历史消费金额": 20000, "客户来源": "官网"})
	lead := e.create(t, records.Input{"客户来源": "市场活动", "首次购买日期": day(e.now, -10)})
	plain := e.create(t, records.Input{"历史消费金额": 500})
	for id, want := range map[int64]string{vip.ID(): "高价值客户", lead.ID(): "潜力客户", plain.ID(): "普通客户"} {
		if g := e.grade(t, id); g != want {
			t.Errorf("record %d graded %v at creation, want %s", id, g, want)
		}
	}
	e.now = e.now.AddDate(0, 0, 31)
	n, err := e.eng.RegradeAll(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("daily pass changed %d (%v), want 1", n, err)
	}
	if g := e.grade(t, vip.ID()); g != "普通客户" {
		t.Fatalf("31 days on, the former 高价值客户 is %v", g)
	}
	if g := e.grade(t, lead.ID()); g != "潜力客户" {
		t.Fatalf("41 days after the first purchase a 市场活动 lead is %v", g)
	}
	e.now = e.now.AddDate(0, 0, 30)
	e.eng.RegradeAll(context.Background())
	if g := e.grade(t, lead.ID()); g != "普通客户" {
		t.Fatalf("71 days on the lead is %v", g)
	}
	hist, err := e.eng.TierHistory(context.Background(), access.System, e.t, vip.ID())
	if err != nil || len(hist) != 2 || hist[0].From != "高价值客户" || hist[0].To != "普通客户" || hist[1].To != "高价值客户" || hist[0].Source != "客户分级" {
		t.Fatalf("tier history %+v %v", hist, err)
	}
	moves, _ := e.eng.Migrations(context.Background(), access.System, e.t, "客户等级")
	if len(moves) == 0 || moves[len(moves)-1].Month != "2027-01" {
		t.Fatalf("migrations %+v", moves)
	}
	// An edit regrades at once, inside the write.
	if _, err := e.recs.Update(context.Background(), access.System, e.t, plain.ID(), records.Input{
		"历史最近消费日": day(e.now, 0), "历史购买次数": 6, "历史消费金额": 12000}); err != nil {
		t.Fatal(err)
	}
	if g := e.grade(t, plain.ID()); g != "高价值客户" {
		t.Fatalf("after the edit the record is %v", g)
	}
}

// Grading in Go at write time and in SQL by the daily pass agree on random records.
func TestGoAndSQLGradesAgree(t *testing.T) {
	e := setup(t)
	if _, _, err := e.eng.Save(context.Background(), access.System, s2()); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 300; i++ {
		in := records.Input{"客户来源": crm.Sources[r.IntN(len(crm.Sources))]}
		if r.IntN(5) > 0 {
			in["历史最近消费日"] = day(e.now, -r.IntN(90))
		}
		if r.IntN(5) > 0 {
			in["首次购买日期"] = day(e.now, -r.IntN(120))
		}
		if r.IntN(5) > 0 {
			in["历史购买次数"] = r.IntN(12)
		}
		if r.IntN(5) > 0 {
			in["历史消费金额"] = r.IntN(30000)
		}
		e.create(t, in)
	}
	if n, err := e.eng.RegradeAll(context.Background()); err != nil || n != 0 {
		t.Fatalf("SQL regraded %d records that Go had graded (%v)", n, err)
	}
	e.now = e.now.AddDate(0, 0, 20)
	before, _ := e.eng.Preview(context.Background(), access.System, s2Stored(e), "zh")
	n, _ := e.eng.RegradeAll(context.Background())
	if n != before.Changed || n == 0 {
		t.Fatalf("preview said %d would change, the pass changed %d", before.Changed, n)
	}
	// After the pass, Go agrees with every stored grade: re-saving each record changes nothing.
	page, _ := e.recs.List(context.Background(), access.System, e.t, records.Query{Limit: 1000})
	for _, rec := range page.Items {
		vals := records.Record{}
		if e.eng.Grade(e.t, cond.Env{Now: e.now, Loc: time.UTC}, maps.Clone(rec), vals) || len(vals) != 0 {
			t.Fatalf("Go would regrade record %d: %v", rec.ID(), vals)
		}
	}
}

func s2Stored(e *env) *grading.Scheme { s, _ := e.eng.Scheme("客户分级"); return s }

func TestPreviewWritesNothing(t *testing.T) {
	e := setup(t)
	for i := 0; i < 10; i++ {
		e.create(t, records.Input{"历史最近消费日": day(e.now, -i), "历史购买次数": 6 + i%2, "历史消费金额": 8000 + i*1000})
	}
	s := s2()
	imp, err := e.eng.Preview(context.Background(), access.System, s, "zh")
	if err != nil {
		t.Fatal(err)
	}
	// ungraded records: amounts 8000..17000, > 10000 for i ≥ 3 → 7 高价值客户, 3 普通客户
	if imp.Changed != 10 || imp.Net["高价值客户"] != 7 || imp.Net["普通客户"] != 3 || len(imp.Samples) != 5 {
		t.Fatalf("impact %+v", imp)
	}
	want := "当 最近消费日 在最近30天内（含今天） 且 购买频率 大于 5 且 累计消费金额 大于 10000 时，将 客户等级 设为 高价值客户；" +
		"否则当 客户来源 等于 市场活动 且 首次购买日期 在最近60天内（含今天） 时，设为 潜力客户；其余设为 普通客户"
	if imp.Text != want {
		t.Fatalf("sentence\n%s\nwant\n%s", imp.Text, want)
	}
	if g := e.grade(t, 1); g != nil {
		t.Fatalf("preview wrote a grade: %v", g)
	}
}

func TestBadSchemes(t *testing.T) {
	e := setup(t)
	cases := map[string]struct {
		edit func(s *grading.Scheme)
		code string
		path string
	}{
		"unknown field in a condition": {func(s *grading.Scheme) { s.Levels[0].When = leaf("不存在", "eq", 1) }, "unknown_field", "levels[0].when.field"},
		"operator that does not fit":   {func(s *grading.Scheme) { s.Levels[1].When = leaf("累计消费金额", "contains", "1") }, "bad_operator", "levels[1].when.op"},
		"value of the wrong type":      {func(s *grading.Scheme) { s.Levels[0].When = leaf("购买频率", "gt", "很多") }, "not_number", "levels[0].when.value"},
		"graded field not a 单选":        {func(s *grading.Scheme) { s.Field = "客户名称" }, "scheme_field", "field"},
		"level not an option":          {func(s *grading.Scheme) { s.Levels[0].Value = "钻石客户" }, "bad_option", "levels[0].value"},
		"no levels":                    {func(s *grading.Scheme) { s.Levels = nil }, "scheme_levels", "levels"},
	}
	for name, c := range cases {
		s := s2()
		c.edit(s)
		_, _, err := e.eng.Save(context.Background(), access.System, s)
		p := problem.As(err)
		if p == nil || p.Code != c.code || p.Path != c.path {
			t.Errorf("%s: want %s at %s, got %v (path %q)", name, c.code, c.path, err, pathOf(p))
		}
	}
	if len(e.eng.Schemes()) != 0 {
		t.Fatalf("a refused scheme was saved")
	}
}

func pathOf(p *problem.Error) string {
	if p == nil {
		return ""
	}
	return p.Path
}

// Deleting a field a scheme uses stops the scheme, never the writes.
func TestSchemeWithDeletedFieldStopsGrading(t *testing.T) {
	e := setup(t)
	if _, _, err := e.eng.Save(context.Background(), access.System, s2()); err != nil {
		t.Fatal(err)
	}
	if err := e.cat.DeleteField(context.Background(), access.System, "客户", "购买频率"); err != nil {
		t.Fatal(err)
	}
	e.t, _ = e.cat.Table("客户")
	r := e.create(t, records.Input{"历史消费金额": 100})
	if e.grade(t, r.ID()) != nil {
		t.Fatalf("a broken scheme graded a record")
	}
	s, _ := e.eng.Scheme("客户分级")
	if p := problem.As(e.eng.Problem(s)); p == nil || p.Code != "unknown_field" {
		t.Fatalf("problem %v", e.eng.Problem(s))
	}
	if _, err := e.eng.RegradeAll(context.Background()); err != nil {
		t.Fatalf("the daily pass fails on a broken scheme: %v", err)
	}
}

// RFM scores match a hand computation: quintiles of ten distinct values are pairs.
func TestRFMFromFields(t *testing.T) {
	e := setup(t)
	ids := make([]int64, 10)
	for i := range ids {
		r := e.create(t, records.Input{"历史最近消费日": day(e.now, -100+i), "历史购买次数": 10 - i, "历史消费金额": ((i*7)%10 + 1) * 1000})
		ids[i] = r.ID()
	}
	e.create(t, records.Input{"历史消费金额": 5}) // never bought: not scored
	n, err := e.eng.RunRFM(context.Background(), access.System, grading.RFM{Table: "客户", Recency: "最近消费日", Frequency: "购买频率", Monetary: "累计消费金额"})
	if err != nil || n != 10 {
		t.Fatalf("scored %d, %v", n, err)
	}
	tb, _ := e.cat.Table("客户")
	for i, id := range ids {
		rec, _ := e.recs.Get(context.Background(), access.System, tb, id)
		wantR, wantF, wantM := float64(i/2+1), float64((10-i-1)/2+1), float64(((i*7)%10)/2+1)
		seg := grading.Segments[b2i(wantM > 3)*4+b2i(wantR > 3)*2+b2i(wantF > 3)]
		got := []any{rec[tb.Field("R分").ID], rec[tb.Field("F分").ID], rec[tb.Field("M分").ID], rec[tb.Field("RFM分群").ID]}
		if got[0] != wantR || got[1] != wantF || got[2] != wantM || got[3] != seg {
			t.Errorf("customer %d: R/F/M/segment %v, want %v %v %v %s", i, got, wantR, wantF, wantM, seg)
		}
	}
	if _, err := e.eng.RunRFM(context.Background(), access.System, grading.RFM{Table: "客户", Recency: "客户名称"}); problem.As(err) == nil {
		t.Fatalf("a text field as recency is refused: %v", err)
	}
	// The 11 English segments by R and F, and a fixed threshold for the Chinese ones; the
	// model is kept for the daily refresh.
	m := grading.RFM{Table: "客户", Recency: "最近消费日", Frequency: "购买频率", Monetary: "累计消费金额", Segments: "en"}
	if _, err := e.eng.RunRFM(context.Background(), access.System, m); err != nil {
		t.Fatal(err)
	}
	tb, _ = e.cat.Table("客户")
	for i, id := range ids {
		rec, _ := e.recs.Get(context.Background(), access.System, tb, id)
		r, f := i/2+1, (10-i-1)/2+1
		want := ""
		for _, s := range grading.EnglishSegments {
			if r >= s.R1 && r <= s.R2 && f >= s.F1 && f <= s.F2 {
				want = s.Name
				break
			}
		}
		if got := rec[tb.Field("RFM分群").ID]; got != want || !tb.Field("RFM分群").HasOption(want) {
			t.Errorf("customer %d (R%d F%d): %v, want %s", i, r, f, got, want)
		}
	}
	m.Segments, m.Threshold = "zh", 2
	if _, err := e.eng.RunRFM(context.Background(), access.System, m); err != nil {
		t.Fatal(err)
	}
	rec, _ := e.recs.Get(context.Background(), access.System, tb, ids[9]) // R5 F1 M: (63%10)/2+1 = 2
	if got := rec[tb.Field("RFM分群").ID]; got != "一般发展客户" {
		t.Errorf("threshold 2: %v, want 一般发展客户 (近 低 低)", got)
	}
	models, err := e.eng.RFMModels(context.Background())
	if err != nil || len(models) != 1 || models[0].Threshold != 2 {
		t.Fatalf("kept models %+v %v", models, err)
	}
	if _, err := e.eng.RunRFM(context.Background(), access.System, grading.RFM{Table: "客户", Recency: "最近消费日", Frequency: "购买频率", Monetary: "累计消费金额", Segments: "fr"}); problem.As(err) == nil {
		t.Fatal("unknown segments accepted")
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// RFM from linked orders: F counts a customer's orders, M sums them, R is the latest date.
func TestRFMFromOrders(t *testing.T) {
	e := setup(t)
	orders, _ := e.cat.Table("订单")
	var custs []int64
	for i := 0; i < 5; i++ {
		custs = append(custs, e.create(t, records.Input{}).ID())
	}
	for i, c := range custs {
		for k := 0; k <= i; k++ { // customer i has i+1 orders of 100·(i+1) each, the last i days ago
			if _, err := e.recs.Create(context.Background(), access.System, orders, records.Input{
				"客户": c, "下单日期": day(e.now, -10*k-(4-i)), "订单金额": 100 * (i + 1)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	n, err := e.eng.RunRFM(context.Background(), access.System, grading.RFM{Table: "客户", Orders: "订单", OrderDate: "下单日期", OrderAmount: "订单金额"})
	if err != nil || n != 5 {
		t.Fatalf("scored %d, %v", n, err)
	}
	tb, _ := e.cat.Table("客户")
	last, _ := e.recs.Get(context.Background(), access.System, tb, custs[4])
	first, _ := e.recs.Get(context.Background(), access.System, tb, custs[0])
	if last[tb.Field("RFM分群").ID] != "重要价值客户" || first[tb.Field("RFM分群").ID] != "一般挽留客户" || last[tb.Field("F分").ID] != 5.0 {
		t.Fatalf("segments: best %v, worst %v", last, first)
	}
}

func TestSchemeNamesUniqueAndNoCurrentUser(t *testing.T) {
	e := setup(t)
	if _, _, err := e.eng.Save(context.Background(), access.System, s2()); err != nil {
		t.Fatal(err)
	}
	dup := s2()
	dup.Enabled = false
	if _, _, err := e.eng.Save(context.Background(), access.System, dup); problem.As(err) == nil || problem.As(err).Code != "duplicate_name" {
		t.Fatalf("a second 客户分级: %v", err)
	}
	me := s2()
	me.Name, me.Enabled = "按负责人", false
	me.Levels[0].When = leaf("负责人", "eq", "$me")
	if _, _, err := e.eng.Save(context.Background(), access.System, me); problem.As(err) == nil || problem.As(err).Code != "scheme_me" {
		t.Fatalf("$me in a scheme: %v", err)
	}
	unnamed := s2()
	unnamed.Name = ""
	if _, err := e.eng.Preview(context.Background(), access.System, unnamed, "zh"); err != nil {
		t.Fatalf("preview of an unnamed scheme: %v", err)
	}
}

// A scheme's preview counts only the records the previewing person may read: an admin the
// whole table, a 仅本人 designer their own records, per grade as a count by hand says.
func TestPreviewCountsWithinScope(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	var people []int64
	for _, name := range []string{"张伟", "李娜"} {
		u, err := e.recs.Users.Create(ctx, access.System, name+"@example.com", "password-1", name, "member")
		if err != nil {
			t.Fatal(err)
		}
		people = append(people, u.ID)
	}
	for i := 0; i < 10; i++ {
		e.create(t, records.Input{"历史最近消费日": day(e.now, -i), "历史购买次数": 6 + i%2, "历史消费金额": 8000 + i*1000, "负责人": people[i%3%2]})
	}
	own := access.DataScope{Kind: access.ScopeOwn}
	designer := access.Actor{UserID: people[0], Role: access.RoleMember, Grants: &access.Grants{Roles: []*access.Role{{ID: "designer",
		Default: &access.TablePerm{Actions: []access.TableAction{access.View, access.ManageTableRules}, Read: own, Change: own}}}}}
	// byHand counts the records of the scope (SQL) whose amount makes them 高价值客户, and the others.
	byHand := func(scope string, args ...any) (high, rest int) {
		q := fmt.Sprintf("SELECT COUNT(*) FILTER (WHERE %q > 10000), COUNT(*) FILTER (WHERE %q <= 10000) FROM %q WHERE %s",
			e.t.Field("累计消费金额").Column(), e.t.Field("累计消费金额").Column(), e.t.SQLName(), scope)
		if err := e.recs.DB.R.QueryRow(q, args...).Scan(&high, &rest); err != nil {
			t.Fatal(err)
		}
		return high, rest
	}
	admin := access.Actor{UserID: 1, Role: access.RoleAdmin}
	mine := fmt.Sprintf("%q = ?", e.t.Field(schema.FieldOwner).Column())
	for _, c := range []struct {
		who   access.Actor
		scope string
		args  []any
	}{
		{admin, "1=1", nil},
		{designer, mine, []any{people[0]}},
	} {
		high, rest := byHand(c.scope, c.args...)
		imp, err := e.eng.Preview(ctx, c.who, s2(), "zh")
		if err != nil {
			t.Fatal(err)
		}
		after := map[string]int{}
		before := 0
		for _, g := range imp.Grades {
			after[g.Value] = g.After
			before += g.Before
		}
		if imp.Changed != high+rest || before != high+rest || after["高价值客户"] != high || after["普通客户"] != rest ||
			imp.Net["高价值客户"] != high || len(imp.Samples) != min(high+rest, 5) {
			t.Errorf("%s: impact %+v, want %d 高价值客户 and %d 普通客户", c.who.Role, imp, high, rest)
		}
	}
	if h, r := byHand(mine, people[0]); h+r == 10 || h+r == 0 {
		t.Fatalf("the designer owns %d of 10 records: the test cannot tell the scopes apart", h+r)
	}
}

// Two regrades of a table at once (a scheme saved during the daily pass, two nodes' passes)
// record each change of grade once, as one after the other would: on PostgreSQL, where
// writers run side by side, the second waits for the first.
func TestRegradesAtOnceRecordEachChangeOnce(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	off := s2()
	off.Enabled = false
	saved, _, err := e.eng.Save(ctx, access.System, off)
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	for range n {
		e.create(t, records.Input{"历史最近消费日": day(e.now, -5), "历史购买次数": 8, "历史消费金额": 20000})
	}
	on := *saved
	on.Enabled = true
	total := 0
	for round := range 4 {
		if round%2 == 1 { // 高价值客户 falls to 普通客户 31 days on, and back
			e.now = e.now.AddDate(0, 0, 31)
		} else if round > 0 {
			e.now = e.now.AddDate(0, 0, -31)
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		var changed [2]int
		for i := range changed {
			wg.Go(func() {
				<-start
				var err error
				if changed[i], err = e.eng.Regrade(ctx, access.System, &on); err != nil {
					t.Error(err)
				}
			})
		}
		close(start)
		wg.Wait()
		if changed[0]+changed[1] != n {
			t.Fatalf("round %d: the regrades changed %d and %d records, want %d in all", round, changed[0], changed[1], n)
		}
		total += n
	}
	moves, err := e.eng.Migrations(ctx, access.System, e.t, "客户等级")
	if err != nil {
		t.Fatal(err)
	}
	recorded := 0
	for _, m := range moves {
		recorded += m.Count
	}
	if recorded != total {
		t.Fatalf("tier history has %d changes, want %d: %+v", recorded, total, moves)
	}
}

// A regrade that changes many records leaves the table tidied on PostgreSQL (vacuumed and
// analyzed: the old row versions gone unless a transaction of the time may still read them), so
// the dashboards read right after it are not slowed by the old versions of every row; so
// does an RFM run scoring many.
func TestLargeRegradeTidiesTheTable(t *testing.T) {
	e := setup(t)
	e.customers(t, 10000)
	if _, n, err := e.eng.Save(context.Background(), access.System, s2()); err != nil || n != 10000 { // saving regrades
		t.Fatalf("regrade: %d changed, %v", n, err)
	}
	e.tidied(t, 1)
	n, err := e.eng.RunRFM(context.Background(), access.System, grading.RFM{Table: "客户", Recency: "最近消费日", Frequency: "购买频率", Monetary: "累计消费金额"})
	if err != nil || n != 10000 {
		t.Fatalf("RFM: scored %d, %v", n, err)
	}
	e.tidied(t, 2)
}

// customers adds n 客户 at once, each with a purchase.
func (e *env) customers(t *testing.T, n int) {
	t.Helper()
	col := func(name string) string { return store.Quote(e.t.Field(name).Column()) }
	err := e.db.Exec(context.Background(), "INSERT INTO "+store.Quote(e.t.SQLName())+" ("+col("客户名称")+", "+col("最近消费日")+", "+col("购买频率")+", "+col("累计消费金额")+
		") SELECT 'c' || g, '2026-11-01', g % 7 + 1, g % 5000 + 100 FROM (WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < ?) SELECT g FROM s) AS n", n)
	if err != nil {
		t.Fatal(err)
	}
}

// tidied checks that the 客户 table has been vacuumed and analyzed times times (on
// PostgreSQL; SQLite updates in place).
func (e *env) tidied(t *testing.T, times int) {
	t.Helper()
	if e.db.Dialect != store.Postgres {
		return
	}
	var vacuums, analyzes int
	err := e.db.R.QueryRowContext(context.Background(), "SELECT vacuum_count, analyze_count FROM pg_stat_user_tables WHERE relid = CAST(? AS regclass)",
		store.Quote(e.t.SQLName())).Scan(&vacuums, &analyzes)
	if err != nil {
		t.Fatal(err)
	}
	if vacuums != times || analyzes != times {
		t.Fatalf("%d vacuums, %d analyzes; want the table vacuumed and analyzed %d times", vacuums, analyzes, times)
	}
}
