package events_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/engines/events"
	"tierbase/engines/rules"
	"tierbase/platform/problem"
	"tierbase/platform/store"
	"tierbase/templates/crm"
)

// world is the CRM template on a real database (SQLite, or PostgreSQL when the suite runs
// there), on a clock the test moves.
type world struct {
	*app.App
	now  time.Time
	cust *schema.Table
}

func newWorld(t *testing.T) *world {
	t.Helper()
	a, err := app.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w := &world{App: a, now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	t.Cleanup(func() { a.Close() })
	a.SetClock(func() time.Time { return w.now }, time.UTC)
	if _, err := crm.Install(context.Background(), access.System, a.Catalog); err != nil {
		t.Fatal(err)
	}
	w.cust, _ = a.Catalog.Table("客户")
	return w
}

func (w *world) customer(t *testing.T, name, phone string) records.Record {
	t.Helper()
	r, err := w.Records.Create(context.Background(), access.System, w.cust, records.Input{"客户名称": name, "联系电话": phone})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// send decodes body as POST /api/events would and stores it as actor a.
func (w *world) send(a access.Actor, body string) (int, error) {
	items, err := events.Decode([]byte(body), w.now)
	if err != nil {
		return 0, err
	}
	return w.Events.Add(context.Background(), a, "客户", items)
}

func (w *world) stored(t *testing.T) int {
	t.Helper()
	var n int
	if err := w.DB.R.QueryRow("SELECT COUNT(*) FROM _events").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func number(w *world, rec records.Record) string {
	return rec[w.cust.Field("客户编号").ID].(string)
}

// wantProblem checks err is a 400 whose message names each of paths.
func wantProblem(t *testing.T, err error, paths ...string) {
	t.Helper()
	p := problem.As(err)
	if p == nil || p.Status != 400 {
		t.Fatalf("want a 400, got %v", err)
	}
	msg := p.Message("zh")
	for _, d := range p.Details {
		msg += " | " + d.Message("zh")
	}
	for _, path := range paths {
		if !strings.Contains(msg, path) {
			t.Fatalf("%q does not name %s", msg, path)
		}
	}
}

// A batch with bad items is refused whole, naming each bad one by its index and why; the
// customer is found by 客户编号 or by phone (敏感: through its keyed hash, however typed).
func TestBatchAllOrNothing(t *testing.T) {
	w := newWorld(t)
	c := w.customer(t, "华为", "13800138000")
	item := func(key, value, name, at string) string {
		b, _ := json.Marshal(map[string]any{"customer": map[string]string{key: value}, "name": name, "properties": map[string]string{"page": "产品A"}, "time": at})
		return string(b)
	}
	good := item("客户编号", number(w, c), "浏览", "2026-11-23T08:00:00+08:00")
	cases := []struct {
		body  string
		paths []string
	}{
		{`{"events":[` + good + `,` + item("客户编号", "KH-none", "浏览", "") + `]}`, []string{"events[1].customer", "KH-none"}},
		{`{"events":[` + good + `,` + good + `,` + item("phone", "13800138000", "浏览", "yesterday") + `]}`, []string{"events[2].time", "yesterday"}},
		{`{"events":[` + good + `,` + item("phone", "13800138000", " ", "") + `]}`, []string{"events[1].name"}},
		{`{"events":[` + good + `,{"customer":{"phone":"13800138000"},"name":"浏览","properties":{"x":"` + strings.Repeat("长", 2000) + `"}}]}`, []string{"events[1].properties", "4096"}},
		{`{"events":[` + good + `,` + item("客户名称", "华为", "浏览", "") + `]}`, []string{"events[1].customer", "客户名称"}},
		{`{"events":[` + good + `,` + item("phone", "13800138000", "浏览", "2026-11-25T00:00:00Z") + `]}`, []string{"events[1].time"}},
		{`{"events":[` + good + `,"浏览"]}`, []string{"events[1]"}},
		{`{"events":[]}`, []string{"events"}},
		{`{"events":[` + strings.Repeat(good+",", events.MaxBatch) + good + `]}`, []string{"1000", "1001"}},
		{`{"events":[` + item("客户编号", "KH-1", "浏览", "bad") + `,` + item("客户编号", "KH-2", "", "") + `]}`, []string{"events[0].time", "events[1].name"}},
	}
	for i, tc := range cases {
		_, err := w.send(access.System, tc.body)
		wantProblem(t, err, tc.paths...)
		if n := w.stored(t); n != 0 {
			t.Fatalf("case %d stored %d events", i, n)
		}
	}
	// The same customer by 客户编号 and by its phone typed another way: one record.
	n, err := w.send(access.System, `{"events":[`+good+`,`+item("phone", "+86 138 0013 8000", "下载", "")+`]}`)
	if err != nil || n != 2 {
		t.Fatalf("stored %d: %v", n, err)
	}
	list, err := w.Events.Timeline(context.Background(), access.System, w.cust, c.ID(), 0, 0)
	if err != nil || len(list) != 2 {
		t.Fatalf("timeline %v: %v", list, err)
	}
	// Two customers with one phone: ambiguous, refused.
	w.customer(t, "华为二号", "13800138000")
	_, err = w.send(access.System, item("phone", "13800138000", "浏览", ""))
	wantProblem(t, err, "customer", "2")
	// No email field on 客户.
	_, err = w.send(access.System, item("email", "a@example.com", "浏览", ""))
	wantProblem(t, err, "customer", "email")
}

// Only a person who may change the customer sends its events: a member finds only their own
// customers (others are unknown, not forbidden, so nothing is learned of them).
func TestEventsNeedWriteAccess(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	u, err := w.Users.Create(ctx, access.System, "wang@example.com", "password-1", "小王", "member")
	if err != nil {
		t.Fatal(err)
	}
	wang := w.Users.ActorOf(u)
	mine, err := w.Records.Create(ctx, access.System, w.cust, records.Input{"客户名称": "小王的", schema.FieldOwner: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	theirs := w.customer(t, "别人的", "")
	body := func(rec records.Record) string {
		return fmt.Sprintf(`{"customer":{"客户编号":%q},"name":"浏览"}`, number(w, rec))
	}
	if _, err := w.send(wang, body(mine)); err != nil {
		t.Fatal(err)
	}
	_, err = w.send(wang, body(theirs))
	wantProblem(t, err, "customer")
	if _, err := w.Events.Timeline(ctx, wang, w.cust, theirs.ID(), 0, 0); problem.As(err) == nil || problem.As(err).Status != 404 {
		t.Fatalf("someone else's timeline: %v", err)
	}
	if _, err := w.send(access.Limit(wang, nil, true), body(mine)); problem.As(err) == nil || problem.As(err).Status != 403 {
		t.Fatalf("a read-only actor sent an event: %v", err)
	}
}

// The timeline is newest first by the events' own time (not the order they came in), paged
// by the last id shown; events are append-only.
func TestTimeline(t *testing.T) {
	w := newWorld(t)
	c := w.customer(t, "腾讯", "13900139000")
	times := []string{"2026-11-20T10:00:00Z", "2026-11-22T10:00:00.5+08:00", "2026-11-21T10:00:00Z", "2026-11-21T10:00:00Z", ""}
	var list []string
	for i, at := range times {
		list = append(list, fmt.Sprintf(`{"customer":{"phone":"13900139000"},"name":"e%d","time":%q}`, i, at))
	}
	if _, err := w.send(access.System, `{"events":[`+strings.Join(list, ",")+`]}`); err != nil {
		t.Fatal(err)
	}
	var names, stamps []string
	before := int64(0)
	for {
		page, err := w.Events.Timeline(context.Background(), access.System, w.cust, c.ID(), before, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			names, stamps = append(names, e.Name), append(stamps, e.Time)
		}
		before = page[len(page)-1].ID
	}
	if want := []string{"e4", "e1", "e3", "e2", "e0"}; !slices.Equal(names, want) {
		t.Fatalf("order %v, want %v", names, want)
	}
	if stamps[0] != "2026-11-23T09:00:00.000Z" || stamps[1] != "2026-11-22T02:00:00.500Z" {
		t.Fatalf("times %v", stamps)
	}
	for _, q := range []string{"UPDATE _events SET name = 'x'", "DELETE FROM _events"} {
		if err := w.DB.Exec(context.Background(), q); err == nil {
			t.Fatalf("%s: allowed", q)
		}
	}
}

// productA saves the rule 产品A意向: 近7天 浏览 产品A ≥ 3 次 → 标签 产品A意向.
func (w *world) productA(t *testing.T) *rules.Rule {
	t.Helper()
	rule := &rules.Rule{Name: "产品A意向", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnAlways}},
		Events:  &rules.Events{Name: "浏览", Property: "page", Equals: "产品A", Days: 7, Op: "gte", Value: 3},
		Actions: []rules.Action{{Type: rules.ActAddTag, Field: "标签", Tag: "产品A意向"}}}
	if _, _, err := w.Rules.SaveRule(context.Background(), access.System, rule); err != nil {
		t.Fatal(err)
	}
	return rule
}

// The rule 产品A意向: tagged at the third 浏览 of 产品A within 7 days (as the events arrive, in
// their transaction), untagged by the daily pass once they leave the window.
func TestRuleCountsEvents(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	rule := w.productA(t)
	if got := rule.Describe(w.Catalog, "zh"); !strings.Contains(got, "近7天 浏览（page 为 产品A）次数不少于 3") {
		t.Fatalf("described %q", got)
	}
	c := w.customer(t, "阿里", "13700137000")
	other := w.customer(t, "京东", "13600136000")
	tagged := func(rec records.Record) bool {
		got, err := w.Records.Get(ctx, access.System, w.cust, rec.ID())
		if err != nil {
			t.Fatal(err)
		}
		tags, _ := got[w.cust.Field("标签").ID].([]string)
		return slices.Contains(tags, "产品A意向")
	}
	view := func(phone, page string, daysAgo int) string {
		return fmt.Sprintf(`{"customer":{"phone":%q},"name":"浏览","properties":{"page":%q},"time":%q}`,
			phone, page, w.now.AddDate(0, 0, -daysAgo).Format(time.RFC3339))
	}
	// Two of 产品A (one 8 days old, outside the window), one of 产品B, one 下载: not yet.
	batch := `{"events":[` + strings.Join([]string{view("13700137000", "产品A", 1), view("13700137000", "产品A", 8),
		view("13700137000", "产品B", 0), `{"customer":{"phone":"13700137000"},"name":"下载","properties":{"page":"产品A"}}`,
		view("13600136000", "产品A", 0)}, ",") + `]}`
	if _, err := w.send(access.System, batch); err != nil {
		t.Fatal(err)
	}
	if tagged(c) {
		t.Fatal("tagged after one 浏览 of 产品A within 7 days")
	}
	if _, err := w.send(access.System, view("13700137000", "产品A", 2)); err != nil {
		t.Fatal(err)
	}
	if tagged(c) {
		t.Fatal("tagged after two")
	}
	if _, err := w.send(access.System, view("13700137000", "产品A", 0)); err != nil {
		t.Fatal(err)
	}
	if !tagged(c) || tagged(other) {
		t.Fatalf("after the third: %v, the other customer %v", tagged(c), tagged(other))
	}
	// Five days on, the view of 2 days ago is 7 days old and still counts... one more day and
	// it leaves the window: the daily pass takes the tag off.
	w.now = w.now.AddDate(0, 0, 5)
	if _, err := w.Rules.DailyPass(ctx); err != nil {
		t.Fatal(err)
	}
	if !tagged(c) {
		t.Fatal("untagged while three views are within 7 days")
	}
	w.now = w.now.AddDate(0, 0, 1).Add(time.Hour)
	if _, err := w.Rules.DailyPass(ctx); err != nil {
		t.Fatal(err)
	}
	if tagged(c) {
		t.Fatal("still tagged once a view left the window")
	}
	// A rule counting events runs set-wise only: not on a record's creation.
	bad := &rules.Rule{Name: "坏规则", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnCreated}},
		Events:  &rules.Events{Name: "浏览", Days: 7, Op: "gte", Value: 1},
		Actions: []rules.Action{{Type: rules.ActAddTag, Field: "标签", Tag: "x"}}}
	if _, _, err := w.Rules.SaveRule(ctx, access.System, bad); problem.As(err) == nil || problem.As(err).Path != "events" {
		t.Fatalf("saved a count of events on creation: %v", err)
	}
	bad.Triggers[0].On, bad.Events.Property = rules.OnAlways, "page') OR 1=1 --"
	if _, _, err := w.Rules.SaveRule(ctx, access.System, bad); problem.As(err) == nil || problem.As(err).Path != "events.property" {
		t.Fatalf("saved a property name that is not a word: %v", err)
	}
}

// FuzzDecode: the decoder never panics, and what it accepts is within the limits.
func FuzzDecode(f *testing.F) {
	f.Add(`{"customer":{"客户编号":"KH-1"},"name":"浏览","properties":{"page":"产品A"},"time":"2026-11-23T08:00:00+08:00"}`)
	f.Add(`{"events":[{"customer":{"phone":13800138000},"name":"浏览"},{"customer":{"email":"a@b.c"},"name":"x","properties":null}]}`)
	f.Add(`{"events":null,"customer":{}}`)
	f.Add(`[1,2]`)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body string) {
		items, err := events.Decode([]byte(body), now)
		if err != nil {
			if problem.As(err) == nil {
				t.Fatalf("not a problem: %v", err)
			}
			return
		}
		if len(items) == 0 || len(items) > events.MaxBatch {
			t.Fatalf("%d items", len(items))
		}
		for _, it := range items {
			if it.Key == "" || it.Value == "" || it.Name == "" || len(it.Props) > events.MaxProperties || !json.Valid([]byte(it.Props)) || it.At.After(now.Add(events.MaxAhead)) {
				t.Fatalf("accepted %+v", it)
			}
		}
	})
}

// TestSinglesStoredTogether: events sent one at a time by many clients at once are stored
// (joined into shared transactions) each once, counted by the rule as if sent in turn; a
// request naming an unknown customer among them is refused alone, the others stored.
func TestSinglesStoredTogether(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.productA(t)
	const customers = 10
	var bodies []string
	for i := range customers {
		w.customer(t, fmt.Sprintf("客户%d", i), fmt.Sprintf("1370013%04d", i))
		views := 2 + i%2 // the odd ones three times: tagged
		for range views {
			bodies = append(bodies, fmt.Sprintf(`{"customer":{"phone":"1370013%04d"},"name":"浏览","properties":{"page":"产品A"}}`, i))
		}
	}
	good := len(bodies)
	bodies = append(bodies, `{"customer":{"phone":"13900000000"},"name":"浏览","properties":{"page":"产品A"}}`)
	errs := make([]error, len(bodies))
	var wg sync.WaitGroup
	for i, body := range bodies {
		wg.Go(func() {
			n, err := w.send(access.System, body)
			if err == nil && n != 1 {
				err = fmt.Errorf("stored %d", n)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs[:good] {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	wantProblem(t, errs[good], "13900000000")
	if n := w.stored(t); n != good {
		t.Fatalf("%d events stored, want %d", n, good)
	}
	page, err := w.Records.List(ctx, access.System, w.cust, records.Query{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range page.Items {
		tags, _ := rec[w.cust.Field("标签").ID].([]string)
		var i int
		fmt.Sscanf(rec[w.cust.Field("客户名称").ID].(string), "客户%d", &i)
		if slices.Contains(tags, "产品A意向") != (i%2 == 1) {
			t.Errorf("客户%d: tags %v", i, tags)
		}
	}
}

// TestSharedTransactionFailsAlone: when the transaction shared by waiting requests fails
// (here a rule gives each customer with a 浏览 the one 会员卡号, a unique field, so two
// customers in one transaction collide), each request is tried again alone: one is stored
// with its rule's effect, the other refused with nothing of it kept.
func TestSharedTransactionFailsAlone(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	card := &schema.Field{Name: "会员卡号", Type: schema.Text, Unique: true}
	if _, err := w.Catalog.AddField(ctx, access.System, w.cust.ID, card); err != nil {
		t.Fatal(err)
	}
	w.cust, _ = w.Catalog.Table("客户")
	rule := &rules.Rule{Name: "发卡", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnAlways}},
		Events:  &rules.Events{Name: "浏览", Days: 7, Op: "gte", Value: 1},
		Actions: []rules.Action{{Type: rules.ActSet, Field: "会员卡号", Value: "VIP-1"}}}
	if _, _, err := w.Rules.SaveRule(ctx, access.System, rule); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"甲", "乙", "丙"} {
		w.customer(t, name, fmt.Sprintf("1370013000%d", i))
	}
	event := func(i int, name string) string {
		return fmt.Sprintf(`{"customer":{"phone":"1370013000%d"},"name":"%s"}`, i, name)
	}
	// Hold the database's writes, so that a first request (丙's 下载, which no rule counts)
	// waits in its transaction and the two 浏览 wait for the one after it, together.
	hold, held := make(chan struct{}), make(chan struct{})
	go w.DB.Tx(ctx, func(tx *sql.Tx) error {
		q := "UPDATE _events SET name = name WHERE 1 = 0"
		if w.DB.Dialect == store.Postgres {
			q = "LOCK TABLE _events IN EXCLUSIVE MODE"
		}
		_, err := tx.ExecContext(ctx, q)
		close(held)
		<-hold
		return err
	})
	<-held
	errs := make([]error, 3)
	var wg sync.WaitGroup
	send := func(i int, name string) { wg.Go(func() { _, errs[i] = w.send(access.System, event(i, name)) }) }
	send(2, "下载")
	time.Sleep(100 * time.Millisecond)
	send(0, "浏览")
	send(1, "浏览")
	time.Sleep(100 * time.Millisecond)
	close(hold)
	wg.Wait()
	if errs[2] != nil {
		t.Fatalf("丙's 下载: %v", errs[2])
	}
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("甲's and 乙's 浏览: %v, %v; want one stored and one refused", errs[0], errs[1])
	}
	refused := errs[0]
	if refused == nil {
		refused = errs[1]
	}
	if p := problem.As(refused); p == nil || p.Status != 409 || !strings.Contains(p.Message("zh"), "规则「发卡」") || !strings.Contains(p.Message("en"), "会员卡号") {
		t.Fatalf("refused with %v, want a 409 naming the rule and the field", refused)
	}
	if n := w.stored(t); n != 2 {
		t.Fatalf("%d events stored, want 丙's and one 浏览", n)
	}
	winner := "甲"
	if errs[0] != nil {
		winner = "乙"
	}
	var holder string
	if err := w.DB.R.QueryRow(fmt.Sprintf("SELECT %s FROM %s WHERE %s = 'VIP-1'", store.Quote(w.cust.Field("客户名称").ID),
		store.Quote(w.cust.SQLName()), store.Quote(w.cust.Field("会员卡号").ID))).Scan(&holder); err != nil || holder != winner {
		t.Fatalf("VIP-1 held by %q (%v), want %s, whose 浏览 was stored", holder, err, winner)
	}
}
