package rules_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/core/users"
	"tierbase/engines/grading"
	"tierbase/engines/rules"
	"tierbase/platform/problem"
	"tierbase/templates/crm"
)

// world is the CRM template with two salespeople and a 待办 table, on a real database (a
// SQLite file, or PostgreSQL when the suite runs there).
type world struct {
	*app.App
	dir       string // the data directory
	now       time.Time
	cust      *schema.Table
	todo      *schema.Table
	zhang, li int64
}

func newWorld(t *testing.T) *world {
	t.Helper()
	dir := t.TempDir()
	a, err := app.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{App: a, dir: dir, now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	t.Cleanup(func() { w.App.Close() })
	a.SetClock(func() time.Time { return w.now }, time.UTC)
	ctx := context.Background()
	if _, err := crm.Install(ctx, access.System, a.Catalog); err != nil {
		t.Fatal(err)
	}
	w.cust, _ = a.Catalog.Table("客户")
	w.todo, err = a.Catalog.CreateTable(ctx, access.System, "", "待办", []*schema.Field{{Name: "标题", Type: schema.Text},
		{Name: "截止时间", Type: schema.DateTime}, {Name: "关联客户", Type: schema.Link, LinkTable: w.cust.ID}})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"张伟", "李娜"} {
		u, err := a.Users.Create(ctx, access.System, name+"@example.com", "password-1", name, "member")
		if err != nil {
			t.Fatal(err)
		}
		if w.zhang == 0 {
			w.zhang = u.ID
		} else {
			w.li = u.ID
		}
	}
	return w
}

func (w *world) save(t *testing.T, r *rules.Rule) *rules.Rule {
	t.Helper()
	saved, _, err := w.Rules.SaveRule(context.Background(), access.System, r)
	if err != nil {
		t.Fatalf("save %s: %v", r.Name, err)
	}
	return saved
}

func (w *world) customer(t *testing.T, in records.Input) records.Record {
	t.Helper()
	if _, ok := in["客户名称"]; !ok {
		in["客户名称"] = "测试客户"
	}
	r, err := w.Records.Create(context.Background(), access.System, w.cust, in)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (w *world) drain(t *testing.T) {
	t.Helper()
	for i := 0; i < 50; i++ {
		n, err := w.Jobs.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// jobErrors is the errors the jobs met, for a failing test's message.
func jobErrors(a *app.App) string {
	rows, err := a.DB.R.Query("SELECT error FROM _jobs WHERE error <> '' ORDER BY id")
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return strings.Join(out, "; ")
}

func leaf(field, op string, value any) *cond.Node {
	return &cond.Node{Field: field, Op: op, Value: value}
}

func day(t time.Time, d int) string { return t.AddDate(0, 0, d).Format("2006-01-02") }

func (w *world) fieldOf(t *schema.Table, name string) string { return t.Field(name).ID }

// A rule on creation sets a field by formula and a tag inside the write, and notifies the
// owner after it commits.
func TestRuleOnCreate(t *testing.T) {
	w := newWorld(t)
	w.save(t, &rules.Rule{Name: "大客户", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnCreated}},
		When: leaf("累计消费金额", "gt", 10000),
		Actions: []rules.Action{
			{Type: rules.ActSet, Field: "备注", Formula: `CONCAT("大客户，消费 ", ROUND(累计消费金额 / 10000, 1), " 万")`},
			{Type: rules.ActAddTag, Field: "标签", Tag: "大客户"},
			{Type: rules.ActNotify, Owner: true, Title: "新的大客户：{客户名称}", Body: "累计消费 {累计消费金额}，负责人 {负责人}"},
		}})
	big := w.customer(t, records.Input{"客户名称": "华为", "历史消费金额": 123456, "负责人": w.zhang}) // amounts and users read as in the UI
	small := w.customer(t, records.Input{"历史消费金额": 500, "负责人": w.zhang})
	if got := big[w.fieldOf(w.cust, "备注")]; got != "大客户，消费 12.3 万" {
		t.Errorf("备注 = %v", got)
	}
	if got := fmt.Sprint(big[w.fieldOf(w.cust, "标签")]); got != "[大客户]" {
		t.Errorf("标签 = %v", got)
	}
	if small[w.fieldOf(w.cust, "标签")] != nil {
		t.Errorf("a small customer got %v", small[w.fieldOf(w.cust, "标签")])
	}
	w.drain(t)
	items, unread, err := w.Inbox.List(context.Background(), w.zhang, true, 10)
	if err != nil || unread != 1 || items[0].Title != "新的大客户：华为" || items[0].Body != "累计消费 ¥123,456.00，负责人 张伟" {
		t.Fatalf("inbox: %d %+v %v", unread, items, err)
	}
	if want := fmt.Sprintf("/t/%s?record=%d", w.cust.ID, big.ID()); items[0].Link != want {
		t.Errorf("link %q, want %q", items[0].Link, want)
	}
}

// S4: when a customer becomes 高价值客户 (graded by S2), a to-do due in 24 hours goes to the
// manager of its region — queued durably, done after a restart.
func TestHighValueToDo(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if _, _, err := w.Grading.Save(ctx, access.System, crm.Scheme()); err != nil {
		t.Fatal(err)
	}
	w.save(t, &rules.Rule{Name: "高价值客户跟进", Table: "客户", Enabled: true,
		Triggers: []rules.Trigger{{On: rules.OnChanged, Fields: []string{"客户等级"}}},
		When:     leaf("客户等级", "eq", "高价值客户"),
		Actions: []rules.Action{{Type: rules.ActCreate, Target: "待办", Values: map[string]any{
			"标题":   `=CONCAT("跟进高价值客户 ", 客户名称)`,
			"截止时间": `=DATEADD(NOW(), 24, "hour")`,
			"关联客户": "=ID",
			"负责人":  fmt.Sprintf(`=IF(地区 == "广东", %d, %d)`, w.zhang, w.li),
		}}}})
	c := w.customer(t, records.Input{"客户名称": "美的", "地区": "广东", "历史最近消费日": day(w.now, -3), "历史购买次数": 8, "历史消费金额": 50000})
	w.customer(t, records.Input{"客户名称": "小店", "地区": "广东", "历史消费金额": 10})
	// Restart before the queue is worked: the to-do still comes.
	w.Close()
	a, err := app.Open(w.dir)
	if err != nil {
		t.Fatal(err)
	}
	a.SetClock(func() time.Time { return w.now }, time.UTC)
	w.App = a
	w.drain(t)
	todo, _ := a.Catalog.Table("待办")
	page, err := a.Records.List(ctx, access.System, todo, records.Query{})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("to-dos: %+v %v; job errors: %s", page, err, jobErrors(a))
	}
	got := page.Items[0]
	if got[w.fieldOf(todo, "标题")] != "跟进高价值客户 美的" || got[w.fieldOf(todo, "截止时间")] != "2026-11-24T09:00:00Z" ||
		got[w.fieldOf(todo, "关联客户")] != c.ID() || got[schema.FieldOwner] != w.zhang {
		t.Fatalf("to-do: %v", got)
	}
}

// A record created for a record with no 负责人 (a customer imported without one) has none
// either: an empty user reads as 0 in formulas, which is nobody, not a user to look up.
func TestCreateForOwnerless(t *testing.T) {
	w := newWorld(t)
	w.save(t, &rules.Rule{Name: "新客户跟进", Table: "客户", Enabled: true,
		Triggers: []rules.Trigger{{On: rules.OnCreated}},
		Actions: []rules.Action{{Type: rules.ActCreate, Target: "待办", Values: map[string]any{
			"标题": `=CONCAT("跟进 ", 客户名称)`, "关联客户": "=ID", "负责人": "=负责人",
		}}}})
	c := w.customer(t, records.Input{"客户名称": "无主客户"})
	if c[schema.FieldOwner] != nil {
		t.Fatalf("the system's customer has 负责人 %v", c[schema.FieldOwner])
	}
	w.drain(t)
	todo, _ := w.Catalog.Table("待办")
	page, err := w.Records.List(context.Background(), access.System, todo, records.Query{})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("to-dos %+v (%v); job errors: %s", page, err, jobErrors(w.App))
	}
	if got := page.Items[0]; got[schema.FieldOwner] != nil || got[w.fieldOf(todo, "关联客户")] != c.ID() {
		t.Fatalf("to-do: %v", got)
	}
}

// Rules that trigger each other stop: within a write after MaxDepth rounds with a clear
// message, and across records (a rule creating records whose rule creates records) after
// MaxDepth levels, with the reason shown on the rule.
func TestRuleChainsTerminate(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	// Within one write: two rules that settle are fine …
	w.save(t, &rules.Rule{Name: "甲", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnChanged, Fields: []string{"历史购买次数"}}},
		Actions: []rules.Action{{Type: rules.ActSet, Field: "历史消费金额", Value: 100}}})
	w.save(t, &rules.Rule{Name: "乙", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnChanged, Fields: []string{"历史消费金额"}}},
		Actions: []rules.Action{{Type: rules.ActSet, Field: "历史购买次数", Value: 5}}})
	r := w.customer(t, records.Input{"历史购买次数": 1, "历史消费金额": 1})
	if r[w.fieldOf(w.cust, "历史购买次数")] != 5.0 || r[w.fieldOf(w.cust, "历史消费金额")] != 100.0 {
		t.Fatalf("settled: %v", r)
	}
	// … two that change each other for ever are stopped, naming them, and the write refused.
	for _, r := range w.Rules.Rules() {
		w.Rules.DeleteRule(ctx, access.System, r.ID)
	}
	w.save(t, &rules.Rule{Name: "甲", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnChanged, Fields: []string{"历史购买次数"}}},
		Actions: []rules.Action{{Type: rules.ActSet, Field: "历史消费金额", Formula: "历史消费金额 + 1"}}})
	w.save(t, &rules.Rule{Name: "乙", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnChanged, Fields: []string{"历史消费金额"}}},
		Actions: []rules.Action{{Type: rules.ActSet, Field: "历史购买次数", Formula: "历史购买次数 + 1"}}})
	_, err := w.Records.Create(ctx, access.System, w.cust, records.Input{"客户名称": "x", "历史购买次数": 1})
	if p := problem.As(err); p == nil || p.Code != "rule_loop" || !strings.Contains(p.Message("zh"), "甲 → 乙") {
		t.Fatalf("a loop: %v", err)
	}
	// Across records: a rule that creates a record of its own table stops after MaxDepth.
	for _, r := range w.Rules.Rules() {
		w.Rules.DeleteRule(ctx, access.System, r.ID)
	}
	w.save(t, &rules.Rule{Name: "自我复制", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnCreated}},
		Actions: []rules.Action{{Type: rules.ActCreate, Target: "客户", Values: map[string]any{"客户名称": `=CONCAT(客户名称, "+")`}}}})
	count := func() (n int) {
		w.DB.R.QueryRow("SELECT COUNT(*) FROM " + `"` + w.cust.SQLName() + `"`).Scan(&n)
		return n
	}
	before := count()
	w.customer(t, records.Input{"客户名称": "种子"})
	w.drain(t)
	if n := count() - before; n != 1+rules.MaxDepth {
		t.Errorf("%d customers, want %d", n, 1+rules.MaxDepth)
	}
	status, _ := w.Rules.Status(ctx)
	if r, _ := w.Rules.Rule("自我复制"); status[r.ID].LastError == "" {
		t.Error("the rule shows no reason for stopping")
	}
}

// Dynamic tag: 近30天购买≥2次 → 高频客户, from linked orders; it comes with the second order
// and goes as time passes, with no edit.
func TestDynamicTagFromOrders(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.save(t, &rules.Rule{Name: "高频客户", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnAlways}},
		Related: &rules.Related{Table: "订单", Link: "客户", Where: leaf("下单日期", "withinLastDays", 30), Op: "gte", Value: 2},
		Actions: []rules.Action{{Type: rules.ActAddTag, Field: "标签", Tag: "高频客户"}}})
	r, _ := w.Rules.Rule("高频客户")
	if s := r.Describe(w.Catalog, "zh"); s != "始终保持：当 满足「下单日期 在最近30天内（含今天）」的关联的订单 数量不少于 2 时，给 标签 加上 高频客户（不再满足时撤销）" {
		t.Errorf("sentence: %s", s)
	}
	c := w.customer(t, records.Input{"客户名称": "常客"})
	orders, _ := w.Catalog.Table("订单")
	tags := func() string {
		r, err := w.Records.Get(ctx, access.System, w.cust, c.ID())
		if err != nil {
			t.Fatal(err)
		}
		list, _ := r[w.fieldOf(w.cust, "标签")].([]string)
		return strings.Join(list, ",")
	}
	for i, want := range []string{"", "高频客户"} {
		if _, err := w.Records.Create(ctx, access.System, orders, records.Input{"客户": c.ID(), "下单日期": day(w.now, -i), "订单金额": 100}); err != nil {
			t.Fatal(err)
		}
		if tags() != want {
			t.Fatalf("after order %d: %q, want %q", i+1, tags(), want)
		}
	}
	// A count that zero satisfies: customers with no order in 30 days are 沉睡客户.
	w.save(t, &rules.Rule{Name: "沉睡客户", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnAlways}},
		Related: &rules.Related{Table: "订单", Link: "客户", Where: leaf("下单日期", "withinLastDays", 30), Op: "lt", Value: 1},
		Actions: []rules.Action{{Type: rules.ActAddTag, Field: "标签", Tag: "沉睡客户"}}})
	other := w.customer(t, records.Input{"客户名称": "无订单"})
	if tags() != "高频客户" {
		t.Fatalf("a customer with orders: %q", tags())
	}
	if r, _ := w.Records.Get(ctx, access.System, w.cust, other.ID()); fmt.Sprint(r[w.fieldOf(w.cust, "标签")]) != "[沉睡客户]" {
		t.Fatalf("a customer without orders: %v", r[w.fieldOf(w.cust, "标签")])
	}
	w.now = w.now.AddDate(0, 0, 31)
	if _, err := w.Rules.KeepAll(ctx); err != nil {
		t.Fatal(err)
	}
	if tags() != "沉睡客户" {
		t.Fatalf("31 days on: %s", tags())
	}
}

// Assignment round-robin and by region.
func TestAssign(t *testing.T) {
	w := newWorld(t)
	w.save(t, &rules.Rule{Name: "轮流分配", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnCreated}},
		When:    leaf("地区", "ne", "广东"),
		Actions: []rules.Action{{Type: rules.ActAssign, Mode: rules.RoundRobin, Users: []int64{w.zhang, w.li}}}})
	w.save(t, &rules.Rule{Name: "按地区分配", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnCreated}},
		When:    leaf("地区", "eq", "广东"),
		Actions: []rules.Action{{Type: rules.ActAssign, Mode: rules.ByMap, By: "地区", Map: map[string]int64{"广东": w.li}}}})
	var got []any
	for _, region := range []string{"江苏", "浙江", "广东", "江苏"} {
		got = append(got, w.customer(t, records.Input{"地区": region})[schema.FieldOwner])
	}
	if want := fmt.Sprint([]any{w.zhang, w.li, w.li, w.zhang}); fmt.Sprint(got) != want {
		t.Fatalf("owners %v, want %s", got, want)
	}
}

// Bad rules are refused with the part named.
func TestBadRules(t *testing.T) {
	w := newWorld(t)
	ok := func() *rules.Rule {
		return &rules.Rule{Name: "r", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnCreated}},
			Actions: []rules.Action{{Type: rules.ActAddTag, Field: "标签", Tag: "x"}}}
	}
	cases := []struct {
		path string
		edit func(r *rules.Rule)
	}{
		{"triggers[0].cron", func(r *rules.Rule) { r.Triggers = []rules.Trigger{{On: rules.OnSchedule, Cron: "61 * * * *"}} }},
		{"triggers[0].on", func(r *rules.Rule) { r.Triggers[0].On = "sometimes" }},
		{"triggers[0].fields[0]", func(r *rules.Rule) { r.Triggers = []rules.Trigger{{On: rules.OnChanged, Fields: []string{"没有"}}} }},
		{"when.field", func(r *rules.Rule) { r.When = leaf("没有的字段", "eq", 1) }},
		{"when.op", func(r *rules.Rule) { r.When = leaf("累计消费金额", "contains", "1") }},
		{"when.value", func(r *rules.Rule) { r.When = leaf("累计消费金额", "gt", "很多") }},
		{"actions[0].formula", func(r *rules.Rule) {
			r.Actions[0] = rules.Action{Type: rules.ActSet, Field: "备注", Formula: "IF(1, "}
		}},
		{"actions[0].formula", func(r *rules.Rule) {
			r.Actions[0] = rules.Action{Type: rules.ActSet, Field: "备注", Formula: "没有的字段 + 1"}
		}},
		{"actions[0].value", func(r *rules.Rule) {
			r.Actions[0] = rules.Action{Type: rules.ActSet, Field: "历史购买次数", Value: "很多"}
		}},
		{"actions[0].field", func(r *rules.Rule) { r.Actions[0].Field = "客户名称" }},
		{"actions[0].type", func(r *rules.Rule) { r.Actions[0].Type = "explode" }},
		{"actions[0].users", func(r *rules.Rule) { r.Actions[0] = rules.Action{Type: rules.ActNotify, Title: "x"} }},
		{"actions[0].values.没有", func(r *rules.Rule) {
			r.Actions[0] = rules.Action{Type: rules.ActCreate, Target: "待办", Values: map[string]any{"没有": 1}}
		}},
		{"related", func(r *rules.Rule) { r.Related = &rules.Related{Table: "订单", Link: "客户", Op: "gte", Value: 1} }},
		{"actions", func(r *rules.Rule) { r.Actions = nil }},
	}
	for _, c := range cases {
		r := ok()
		c.edit(r)
		_, _, err := w.Rules.SaveRule(context.Background(), access.System, r)
		p := problem.As(err)
		if p == nil || p.Status != 400 || p.Path != c.path {
			t.Errorf("%s: got %v", c.path, err)
		}
	}
	if len(w.Rules.Rules()) != 0 {
		t.Fatalf("bad rules were saved: %d", len(w.Rules.Rules()))
	}
}

// The preview counts what a rule would change and writes nothing; running it does that.
func TestRulePreviewAndRun(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		w.customer(t, records.Input{"历史消费金额": i * 5000, "客户等级": "普通客户"})
	}
	r := &rules.Rule{Name: "升级", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnSchedule, Cron: "0 9 * * *"}},
		When:    leaf("累计消费金额", "gte", 30000),
		Actions: []rules.Action{{Type: rules.ActSet, Field: "客户等级", Value: "潜力客户"}, {Type: rules.ActAddTag, Field: "标签", Tag: "重点"}}}
	p, err := w.Rules.PreviewRule(ctx, access.System, r, "zh")
	if err != nil || p.Matched != 4 || len(p.Changes) != 2 || p.Changes[0].From != "普通客户" || p.Changes[0].To != "潜力客户" || p.Changes[0].Count != 4 || p.Changes[1].Count != 4 {
		t.Fatalf("preview %+v %v", p, err)
	}
	w.save(t, r)
	res, err := w.Rules.RunRule(ctx, access.System, r.ID)
	if err != nil || res.Matched != 4 || res.Changed != 8 {
		t.Fatalf("run %+v %v", res, err)
	}
	if p, _ := w.Rules.PreviewRule(ctx, access.System, r, "zh"); len(p.Changes) != 0 {
		t.Fatalf("after the run the preview still shows %+v", p.Changes)
	}
}

// Running a rule whose action is a formula sets each matched record's own value (record by
// record, all of them: PostgreSQL refused the query for "no limit" with LIMIT -1).
func TestRunRuleFormula(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	big := w.customer(t, records.Input{"客户名称": "华为", "历史消费金额": 123456})
	small := w.customer(t, records.Input{"客户名称": "小店", "历史消费金额": 500})
	r := w.save(t, &rules.Rule{Name: "备注消费", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnSchedule, Cron: "0 9 * * *"}},
		When:    leaf("累计消费金额", "gt", 10000),
		Actions: []rules.Action{{Type: rules.ActSet, Field: "备注", Formula: `CONCAT(客户名称, " 消费 ", ROUND(累计消费金额 / 10000, 1), " 万")`}}})
	res, err := w.Rules.RunRule(ctx, access.System, r.ID)
	if err != nil || res.Matched != 1 || res.Changed != 1 {
		t.Fatalf("run %+v %v", res, err)
	}
	note := w.fieldOf(w.cust, "备注")
	for id, want := range map[int64]any{big.ID(): "华为 消费 12.3 万", small.ID(): nil} {
		rec, err := w.Records.Get(ctx, access.System, w.cust, id)
		if err != nil || rec[note] != want {
			t.Errorf("record %d: 备注 %#v, want %#v (%v)", id, rec[note], want, err)
		}
	}
}

// The preview writes the values a field has as the records show them, the same on either
// database: 20000 and 12.5, not SQLite's 20000.0 or a NUMERIC's 12.50.
func TestRulePreviewNumbersAsShown(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	for _, amount := range []float64{20000, 20000, 12.5, 0} {
		w.customer(t, records.Input{"历史消费金额": amount})
	}
	r := &rules.Rule{Name: "清零", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnSchedule, Cron: "0 9 * * *"}},
		When:    leaf("历史消费金额", "gt", 0),
		Actions: []rules.Action{{Type: rules.ActSet, Field: "历史消费金额", Value: 0}}}
	p, err := w.Rules.PreviewRule(ctx, access.System, r, "zh")
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(p.Changes)
	if want := "[{历史消费金额 20000 0 2} {历史消费金额 12.5 0 1}]"; got != want {
		t.Fatalf("changes %s, want %s", got, want)
	}
}

// Running a rule that takes a tag off leaves an empty list, not no list, and one that adds
// a tag to a record with none starts its list: as on SQLite, so on PostgreSQL (jsonb).
func TestRunRuleTagLists(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tags := w.fieldOf(w.cust, "标签")
	only := w.customer(t, records.Input{"客户名称": "甲", "标签": []string{"沉睡"}})
	two := w.customer(t, records.Input{"客户名称": "乙", "标签": []string{"重点", "沉睡", "老客户"}})
	none := w.customer(t, records.Input{"客户名称": "丙"})
	for _, r := range []*rules.Rule{
		{Name: "唤醒", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnSchedule, Cron: "0 9 * * *"}},
			When: leaf("客户名称", "in", []any{"甲", "乙"}), Actions: []rules.Action{{Type: rules.ActRemoveTag, Field: "标签", Tag: "沉睡"}}},
		{Name: "新标", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnSchedule, Cron: "0 9 * * *"}},
			When: leaf("客户名称", "eq", "丙"), Actions: []rules.Action{{Type: rules.ActAddTag, Field: "标签", Tag: "新客"}}},
	} {
		w.save(t, r)
		if _, err := w.Rules.RunRule(ctx, access.System, r.ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		id   int64
		want string
	}{{only.ID(), "[]"}, {two.ID(), "[重点 老客户]"}, {none.ID(), "[新客]"}} {
		rec, err := w.Records.Get(ctx, access.System, w.cust, c.id)
		if err != nil {
			t.Fatal(err)
		}
		list, ok := rec[tags].([]string)
		if !ok || list == nil || fmt.Sprint(list) != c.want {
			t.Errorf("record %d: 标签 %#v, want %s", c.id, rec[tags], c.want)
		}
	}
}

// A rule on deletion notifies; the sentence reads as the rule means.
func TestDeleteTriggerAndSentence(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	r := w.save(t, &rules.Rule{Name: "删除提醒", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnDeleted}},
		When:    &cond.Node{Field: "累计消费金额", Op: "gt", Value: 10000},
		Actions: []rules.Action{{Type: rules.ActNotify, Users: []int64{w.li}, Title: "大客户「{客户名称}」被删除"}}})
	if s := r.Describe(w.Catalog, "zh"); s != "当 删除记录时，如果 累计消费金额 大于 10000，则 发送通知「大客户「{客户名称}」被删除」" {
		t.Errorf("sentence: %s", s)
	}
	c := w.customer(t, records.Input{"客户名称": "格力", "历史消费金额": 20000, "负责人": w.li})
	if err := w.Records.Delete(ctx, access.System, w.cust, c.ID()); err != nil {
		t.Fatal(err)
	}
	w.drain(t)
	items, _, _ := w.Inbox.List(ctx, w.li, false, 10)
	if len(items) != 1 || items[0].Title != "大客户「格力」被删除" {
		t.Fatalf("inbox %+v", items)
	}
	var n int
	w.DB.R.QueryRow("SELECT COUNT(*) FROM _jobs").Scan(&n)
	if n != 0 {
		t.Fatalf("%d jobs left in the queue", n)
	}
}

// Grades changed set-wise (a scheme saved, the daily pass) fire the rules watching the grade
// too: the S4 to-do comes for a customer the regrade made 高价值客户.
func TestRegradeFiresRules(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.save(t, &rules.Rule{Name: "高价值客户跟进", Table: "客户", Enabled: true,
		Triggers: []rules.Trigger{{On: rules.OnChanged, Fields: []string{"客户等级"}}},
		When:     leaf("客户等级", "eq", "高价值客户"),
		Actions: []rules.Action{{Type: rules.ActCreate, Target: "待办", Values: map[string]any{"标题": `=CONCAT("跟进 ", 客户名称)`}},
			{Type: rules.ActAddTag, Field: "标签", Tag: "待跟进"}}})
	vip := w.customer(t, records.Input{"客户名称": "美的", "历史最近消费日": day(w.now, -3), "历史购买次数": 8, "历史消费金额": 50000})
	w.customer(t, records.Input{"客户名称": "小店", "历史消费金额": 10})
	w.drain(t)
	if _, _, err := w.Grading.Save(ctx, access.System, crm.Scheme()); err != nil {
		t.Fatal(err)
	}
	w.drain(t)
	page, err := w.Records.List(ctx, access.System, w.todo, records.Query{})
	if err != nil || len(page.Items) != 1 || page.Items[0][w.fieldOf(w.todo, "标题")] != "跟进 美的" {
		t.Fatalf("to-dos after the regrade: %+v %v", page.Items, err)
	}
	got, _ := w.Records.Get(ctx, access.System, w.cust, vip.ID())
	if fmt.Sprint(got[w.fieldOf(w.cust, "标签")]) != "[待跟进]" {
		t.Fatalf("tags after the regrade: %v", got[w.fieldOf(w.cust, "标签")])
	}
}

// A grade moved by a rule's change, in a later round of the same write, fires the rules
// watching the grade in the round after.
func TestGradeMovedByARuleFiresRules(t *testing.T) {
	w := newWorld(t)
	scheme := &grading.Scheme{Name: "消费分级", Table: "客户", Field: "客户等级", Enabled: true, Default: "普通客户",
		Levels: []grading.Level{{Value: "高价值客户", When: &cond.Node{Field: "历史消费金额", Op: "gt", Value: 1000}}}}
	if _, _, err := w.Grading.Save(context.Background(), access.System, scheme); err != nil {
		t.Fatal(err)
	}
	w.save(t, &rules.Rule{Name: "大单", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnChanged, Fields: []string{"历史购买次数"}}},
		Actions: []rules.Action{{Type: rules.ActSet, Field: "历史消费金额", Value: 5000}}})
	w.save(t, &rules.Rule{Name: "贵宾", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnChanged, Fields: []string{"客户等级"}}},
		When:    &cond.Node{Field: "客户等级", Op: "eq", Value: "高价值客户"},
		Actions: []rules.Action{{Type: rules.ActAddTag, Field: "标签", Tag: "贵宾"}}})
	r := w.customer(t, records.Input{"历史购买次数": 1})
	if r[w.fieldOf(w.cust, "客户等级")] != "高价值客户" || fmt.Sprint(r[w.fieldOf(w.cust, "标签")]) != "[贵宾]" {
		t.Fatalf("graded and tagged: %v", r)
	}
}

// A regrade fires the rules watching the grade for the records it changed, and only those:
// records created beside it, graded and fired by their own writes, are not fired again, though
// their tier history rows come among the regrade's on PostgreSQL.
func TestRegradeFiresOnlyItsOwnChanges(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	scheme, _, err := w.Grading.Save(ctx, access.System, crm.Scheme())
	if err != nil {
		t.Fatal(err)
	}
	w.save(t, &rules.Rule{Name: "降级提醒", Table: "客户", Enabled: true,
		Triggers: []rules.Trigger{{On: rules.OnChanged, Fields: []string{"客户等级"}}},
		When:     leaf("客户等级", "eq", "普通客户"),
		Actions:  []rules.Action{{Type: rules.ActNotify, Users: []int64{w.li}, Title: "「{客户名称}」降为普通客户"}}})
	const vips, created = 150, 60
	for range vips {
		w.customer(t, records.Input{"历史最近消费日": day(w.now, -3), "历史购买次数": 8, "历史消费金额": 50000, "负责人": w.li})
	}
	w.drain(t)
	w.now = w.now.AddDate(0, 0, 31) // the 高价值客户 fall to 普通客户
	start := make(chan struct{})
	var wg sync.WaitGroup
	regraded := 0
	wg.Go(func() {
		<-start
		n, err := w.Grading.Regrade(ctx, access.System, scheme)
		if err != nil {
			t.Error(err)
		}
		regraded = n
	})
	wg.Go(func() {
		<-start
		for range created { // 普通客户 from their creation: each fires the rule once
			if _, err := w.Records.Create(ctx, access.System, w.cust, records.Input{"客户名称": "新客户", "历史消费金额": 10, "负责人": w.li}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	close(start)
	wg.Wait()
	w.drain(t)
	_, unread, err := w.Inbox.List(ctx, w.li, true, 1)
	if err != nil || regraded != vips || unread != vips+created {
		t.Fatalf("%d notifications (%v), want %d: %d regraded, %d created", unread, err, vips+created, regraded, created)
	}
}

// An always-kept rule tags in Go on each write and in SQL on a run: on random data both agree,
// so running it after the writes changes nothing.
func TestAlwaysRuleGoAndSQLAgree(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.save(t, &rules.Rule{Name: "近期大客户", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnAlways}},
		When: &cond.Node{Or: []*cond.Node{
			{And: []*cond.Node{leaf("最近消费日", "withinLastDays", 30), leaf("累计消费金额", "gte", 5000)}},
			{And: []*cond.Node{leaf("客户来源", "in", []any{"官网", "展会"}), {Not: leaf("购买频率", "lt", 3)}}},
		}},
		Actions: []rules.Action{{Type: rules.ActAddTag, Field: "标签", Tag: "重点"}, {Type: rules.ActRemoveTag, Field: "标签", Tag: "沉睡"}}})
	rnd := rand.New(rand.NewPCG(7, 8))
	sources := []any{"官网", "展会", "转介绍", nil}
	for i := 0; i < 200; i++ {
		in := records.Input{"历史消费金额": rnd.IntN(10000), "历史购买次数": rnd.IntN(6), "客户来源": sources[rnd.IntN(4)]}
		if rnd.IntN(4) > 0 {
			in["历史最近消费日"] = day(w.now, -rnd.IntN(60))
		}
		if rnd.IntN(3) == 0 {
			in["标签"] = []any{"沉睡"}
		}
		w.customer(t, in)
	}
	res, err := w.Rules.RunRule(ctx, access.System, "近期大客户")
	if err != nil || res.Changed != 0 || res.Matched == 0 || res.Matched == 200 {
		t.Fatalf("SQL after Go: %+v %v", res, err)
	}
	// Days pass: the SQL run moves tags; writing each record again in Go then changes nothing.
	w.now = w.now.AddDate(0, 0, 20)
	if res, err = w.Rules.RunRule(ctx, access.System, "近期大客户"); err != nil || res.Changed == 0 {
		t.Fatalf("20 days on: %+v %v", res, err)
	}
	page, _ := w.Records.List(ctx, access.System, w.cust, records.Query{Limit: 1000})
	for _, rec := range page.Items {
		vals := records.Record{}
		if err := w.Rules.Before(ctx, nil, w.cust, rec, vals); err != nil || len(vals) != 0 {
			t.Fatalf("Go would change record %d: %v %v", rec.ID(), vals, err)
		}
	}
}

// A rule whose field was deleted stops, with the reason visible; writes go on.
func TestRuleWithDeletedField(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.save(t, &rules.Rule{Name: "备注规则", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnCreated}},
		When: leaf("购买频率", "gt", 1), Actions: []rules.Action{{Type: rules.ActSet, Field: "备注", Value: "常客"}}})
	if err := w.Catalog.DeleteField(ctx, access.System, "客户", "购买频率"); err != nil {
		t.Fatal(err)
	}
	w.cust, _ = w.Catalog.Table("客户")
	r, _ := w.Rules.Rule("备注规则")
	if p := problem.As(w.Rules.RuleProblem(r)); p == nil || p.Code != "unknown_field" {
		t.Fatalf("problem: %v", w.Rules.RuleProblem(r))
	}
	rec := w.customer(t, records.Input{"客户名称": "照常"})
	if rec[w.fieldOf(w.cust, "备注")] != nil {
		t.Fatalf("the broken rule ran: %v", rec)
	}
	if _, err := w.Rules.RunRule(ctx, access.System, r.ID); problem.As(err) == nil {
		t.Fatalf("running a broken rule: %v", err)
	}
}

// A rule may not set a field a grading scheme keeps (the scheme would undo it at the next
// write), and a scheme may not take a field an enabled rule sets.
func TestRuleAndSchemeDoNotShareAField(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	scheme, _, err := w.Grading.Save(ctx, access.System, crm.Scheme())
	if err != nil {
		t.Fatal(err)
	}
	r := &rules.Rule{Name: "设为潜力", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnCreated}},
		Actions: []rules.Action{{Type: rules.ActAddTag, Field: "标签", Tag: "x"}, {Type: rules.ActSet, Field: "客户等级", Value: "潜力客户"}}}
	_, _, err = w.Rules.SaveRule(ctx, access.System, r)
	if p := problem.As(err); p == nil || p.Status != 400 || p.Code != "rule_graded_field" || p.Path != "actions[1].field" ||
		!strings.Contains(p.Message("zh"), "客户分级") {
		t.Fatalf("rule setting a graded field: %v", err)
	}
	scheme.Enabled = false
	if _, _, err := w.Grading.Save(ctx, access.System, scheme); err != nil {
		t.Fatal(err)
	}
	w.save(t, r) // no scheme keeps 客户等级 now
	scheme.Enabled = true
	_, _, err = w.Grading.Save(ctx, access.System, scheme)
	if p := problem.As(err); p == nil || p.Status != 409 || p.Code != "scheme_rule_sets" || !strings.Contains(p.Message("zh"), "设为潜力") {
		t.Fatalf("scheme over a field a rule sets: %v", err)
	}
}

// A rule run over the whole table writes each change it makes to the records' history, as
// the system, naming the rule; records it does not change get no entry.
func TestRuleRunWritesHistory(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	big := w.customer(t, records.Input{"历史消费金额": 9000, "标签": []string{"老客户"}})
	small := w.customer(t, records.Input{"历史消费金额": 10})
	w.save(t, &rules.Rule{Name: "重点客户", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnSchedule, Cron: "0 9 * * *"}},
		When:    leaf("累计消费金额", "gt", 5000),
		Actions: []rules.Action{{Type: rules.ActSet, Field: "备注", Value: "重点"}, {Type: rules.ActAddTag, Field: "标签", Tag: "重点"}}})
	for range 2 { // the second run changes nothing and logs nothing
		if _, err := w.Rules.RunRule(ctx, access.System, "重点客户"); err != nil {
			t.Fatal(err)
		}
	}
	hist, err := w.Records.History(ctx, access.System, w.cust, big.ID())
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 3 { // create, 备注, 标签
		t.Fatalf("history of the matching record: %+v", hist)
	}
	want := []string{`标签 [老客户] → [老客户 重点]`, `备注 <nil> → 重点`}
	for i, e := range hist[:2] {
		if e.Action != "update" || e.UserID != 0 || len(e.Changes) != 2 || e.Changes[1].Name != "规则" || e.Changes[1].After != "重点客户" {
			t.Fatalf("entry %d: %+v", i, e)
		}
		c := e.Changes[0]
		if got := fmt.Sprintf("%s %v → %v", c.Name, c.Before, c.After); got != want[i] {
			t.Errorf("entry %d: %s, want %s", i, got, want[i])
		}
	}
	if hist, _ := w.Records.History(ctx, access.System, w.cust, small.ID()); len(hist) != 1 {
		t.Fatalf("the record the rule does not match got entries: %+v", hist)
	}
}

// A rule run that ticks or clears a checkbox logs the change as yes/no, as a write by hand does.
func TestRuleRunLogsCheckbox(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	visits, err := w.Catalog.CreateTable(ctx, access.System, "", "回访", []*schema.Field{{Name: "分数", Type: schema.Number},
		{Name: "已回访", Type: schema.Checkbox}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, in := range []records.Input{{"分数": 9}, {"分数": 1, "已回访": true}} {
		r, err := w.Records.Create(ctx, access.System, visits, in)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID())
	}
	w.save(t, &rules.Rule{Name: "回访标记", Table: "回访", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnSchedule, Cron: "0 9 * * *"}},
		When: leaf("分数", "gt", 5), Actions: []rules.Action{{Type: rules.ActSet, Field: "已回访", Value: true}}})
	w.save(t, &rules.Rule{Name: "回访清除", Table: "回访", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnSchedule, Cron: "0 9 * * *"}},
		When: leaf("分数", "lt", 5), Actions: []rules.Action{{Type: rules.ActSet, Field: "已回访", Value: false}}})
	for _, name := range []string{"回访标记", "回访清除"} {
		if _, err := w.Rules.RunRule(ctx, access.System, name); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range []string{"已回访 <nil> → true", "已回访 true → false"} {
		hist, err := w.Records.History(ctx, access.System, visits, ids[i])
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 2 || len(hist[0].Changes) == 0 {
			t.Fatalf("history of record %d: %+v", ids[i], hist)
		}
		c := hist[0].Changes[0]
		if got := fmt.Sprintf("%s %v → %v", c.Name, c.Before, c.After); got != want {
			t.Errorf("record %d: %s, want %s", ids[i], got, want)
		}
	}
}

// A job's side effects and its removal from the queue are one transaction: when its second
// record cannot be created, the first is not left behind to be created again at each retry.
func TestQueuedJobIsAllOrNothing(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	codes, err := w.Catalog.CreateTable(ctx, access.System, "", "编号表", []*schema.Field{{Name: "编号", Type: schema.Text, Unique: true}})
	if err != nil {
		t.Fatal(err)
	}
	w.save(t, &rules.Rule{Name: "建两条", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnCreated}},
		Actions: []rules.Action{
			{Type: rules.ActCreate, Target: "编号表", Values: map[string]any{"编号": "A-1"}},
			{Type: rules.ActCreate, Target: "编号表", Values: map[string]any{"编号": "A-1"}}, // clashes with the first
		}})
	w.customer(t, records.Input{})
	for range 3 { // the first attempt, then two retries as time passes
		if _, err := w.Jobs.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		w.now = w.now.Add(time.Hour)
	}
	list, err := w.Records.List(ctx, access.System, codes, records.Query{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if list.Total != 0 {
		t.Fatalf("a failed job left %d records behind", list.Total)
	}
}

// A notification may go to any role of the roles table; people are matched by their roles
// (accounts from before roles by their role), and a role that does not exist is refused.
func TestNotifyByRole(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	sales, err := w.Org.SaveRole(ctx, access.System, &access.Role{Name: "销售"})
	if err != nil {
		t.Fatal(err)
	}
	rule := func(role string) *rules.Rule {
		return &rules.Rule{Name: "新客户 " + role, Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnCreated}},
			Actions: []rules.Action{{Type: rules.ActNotify, Roles: []string{role}, Title: "新客户「{客户名称}」"}}}
	}
	_, _, err = w.Rules.SaveRule(ctx, access.System, rule("nobody"))
	if p := problem.As(err); p == nil || p.Code != "rule_bad_role" || p.Path != "actions[0].roles[0]" {
		t.Fatalf("an unknown role: %v", err)
	}
	w.save(t, rule(sales.ID))
	r := w.save(t, rule(access.MemberRoleID))
	w.customer(t, records.Input{"客户名称": "格力", "负责人": w.li})
	w.drain(t)
	if items, _, _ := w.Inbox.List(ctx, w.li, false, 10); len(items) != 1 || items[0].Title != "新客户「格力」" {
		t.Fatalf("%s: inbox of 小李 %+v", r.Name, items)
	}
	// 小张 has the role too, but may not read 小李's customer: he is not told of it.
	if items, _, _ := w.Inbox.List(ctx, w.zhang, false, 10); len(items) != 0 {
		t.Fatalf("%s: inbox of 小张 %+v", r.Name, items)
	}
}

// A notification tells each recipient only what they may read of the record: a field hidden
// from their role stays out of its text.
func TestNotifyHidesWhatTheRecipientMayNotRead(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	amount := w.cust.Field("累计消费金额").ID
	all := access.DataScope{Kind: access.ScopeAll}
	role, err := w.Org.SaveRole(ctx, access.System, &access.Role{Name: "客服", Tables: map[string]*access.TablePerm{w.cust.ID: {
		Actions: []access.TableAction{access.View}, Read: all, Change: all, Fields: map[string]access.FieldAccess{amount: access.FieldHidden}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Users.Update(ctx, access.System, w.li, users.Patch{Roles: &[]string{role.ID}}); err != nil {
		t.Fatal(err)
	}
	w.save(t, &rules.Rule{Name: "大单", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnCreated}},
		Actions: []rules.Action{{Type: rules.ActNotify, Users: []int64{w.li}, Title: "「{客户名称}」消费 {累计消费金额}"}}})
	w.customer(t, records.Input{"客户名称": "格力", "历史消费金额": 98765})
	w.drain(t)
	items, _, _ := w.Inbox.List(ctx, w.li, false, 10)
	if len(items) != 1 || strings.Contains(items[0].Title, "98") || !strings.Contains(items[0].Title, "格力") {
		t.Fatalf("inbox %+v", items)
	}
}

// designer is a person who may view the table and design rules on it but reads only the
// records they own (仅本人).
func designer(id int64) access.Actor {
	own := access.DataScope{Kind: access.ScopeOwn}
	return access.Actor{UserID: id, Role: access.RoleMember, Grants: &access.Grants{Roles: []*access.Role{{ID: "designer",
		Default: &access.TablePerm{Actions: []access.TableAction{access.View, access.ManageTableRules}, Read: own, Change: own}}}}}
}

// A rule's preview counts only the records the previewing person may read: an admin counts
// the whole table, a 仅本人 designer their own records, as a count by hand says.
func TestRulePreviewCountsWithinScope(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	for i := 0; i < 12; i++ {
		w.customer(t, records.Input{"历史消费金额": i * 5000, "客户等级": "普通客户", "负责人": []int64{w.zhang, w.li, w.li}[i%3]})
	}
	r := &rules.Rule{Name: "升级", Table: "客户", Triggers: []rules.Trigger{{On: rules.OnSchedule, Cron: "0 9 * * *"}},
		When:    leaf("累计消费金额", "gte", 30000),
		Actions: []rules.Action{{Type: rules.ActSet, Field: "客户等级", Value: "潜力客户"}, {Type: rules.ActAddTag, Field: "标签", Tag: "重点"}}}
	byHand := func(owner string, args ...any) int {
		var n int
		q := fmt.Sprintf("SELECT COUNT(*) FROM %q WHERE %q >= 30000 AND %s", w.cust.SQLName(), w.cust.Field("累计消费金额").Column(), owner)
		if err := w.DB.R.QueryRow(q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	owner := w.cust.Field(schema.FieldOwner).Column()
	for _, c := range []struct {
		who  access.Actor
		want int
	}{
		{access.Actor{UserID: 1, Role: access.RoleAdmin}, byHand("1=1")},
		{designer(w.zhang), byHand(fmt.Sprintf("%q = ?", owner), w.zhang)},
	} {
		p, err := w.Rules.PreviewRule(ctx, c.who, r, "zh")
		if err != nil {
			t.Fatal(err)
		}
		if p.Matched != c.want || len(p.Changes) != 2 || p.Changes[0].Count != c.want || p.Changes[1].Count != c.want || len(p.Samples) != min(c.want, 5) {
			t.Errorf("%s: preview %+v, want %d", c.who.Role, p, c.want)
		}
	}
	if byHand("1=1") == byHand(fmt.Sprintf("%q = ?", owner), w.zhang) {
		t.Fatal("the two counts should differ")
	}
}
