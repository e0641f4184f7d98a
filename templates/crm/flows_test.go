package crm_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/engines/flows"
	"tierbase/templates/crm"
)

// flowWorld is the demo with n customers, its rules, organisation and flows, on a clock the
// test moves.
type flowWorld struct {
	*app.App
	now    time.Time
	people map[string]access.Actor // by the demo e-mail's name
}

func newFlowWorld(t *testing.T, n int) *flowWorld {
	t.Helper()
	ctx := context.Background()
	a, err := app.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	w := &flowWorld{App: a, now: today.Add(9 * time.Hour), people: map[string]access.Actor{}}
	a.SetClock(func() time.Time { return w.now }, time.UTC)
	if _, err := crm.Demo(ctx, a.DB, a.Catalog, a.Users, crm.DemoOptions{Customers: n, Seed: 1, Today: today}); err != nil {
		t.Fatal(err)
	}
	for _, install := range []func() error{
		func() error { return crm.InstallRules(ctx, a.Rules) },
		func() error { return crm.InstallOrg(ctx, a.Org, a.Users) },
		func() error { return crm.InstallFlows(ctx, a.Flows, a.Org) },
		func() error { return crm.InstallFlows(ctx, a.Flows, a.Org) }, // the second adds nothing
	} {
		if err := install(); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range a.Users.List() {
		w.people[strings.TrimSuffix(u.Email, "@demo.tierbase")] = a.Users.ActorOf(u)
	}
	return w
}

// notices are the titles of the person's notices, newest first.
func (w *flowWorld) notices(t *testing.T, who string) []string {
	t.Helper()
	list, _, err := w.Inbox.List(context.Background(), w.people[who].UserID, false, 50)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range list {
		out = append(out, n.Title+" "+n.Link)
	}
	return out
}

// S5 of the seed: 3 days after a 客户 is created with no 跟进记录, the 销售总监 is told; one
// followed up meanwhile is not reported, and the 销售 who owns them is told nothing.
func TestNewCustomerFollowUpS5(t *testing.T) {
	ctx := context.Background()
	w := newFlowWorld(t, 0)
	cust, _ := w.Catalog.Table("客户")
	follow, _ := w.Catalog.Table("跟进记录")
	lina := w.people["lina"]
	quiet, err := w.Records.Create(ctx, lina, cust, records.Input{"客户名称": "苏州某制造有限公司"})
	if err != nil {
		t.Fatal(err)
	}
	busy, err := w.Records.Create(ctx, lina, cust, records.Input{"客户名称": "宁波某贸易有限公司"})
	if err != nil {
		t.Fatal(err)
	}
	w.now = w.now.Add(24 * time.Hour)
	if _, err := w.Records.Create(ctx, lina, follow, records.Input{"客户": busy.ID(), "跟进方式": "电话", "跟进内容": "初次沟通"}); err != nil {
		t.Fatal(err)
	}
	w.now = w.now.Add(47 * time.Hour)
	if _, err := w.Jobs.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if got := w.notices(t, "zhangwei"); len(got) != 0 {
		t.Fatalf("the 销售总监 was told before 3 days: %v", got)
	}
	w.now = w.now.Add(2 * time.Hour)
	if _, err := w.Jobs.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	got := w.notices(t, "zhangwei")
	if len(got) != 1 || !strings.HasPrefix(got[0], "新客户 3 天未跟进 ") || !strings.Contains(got[0], fmt.Sprintf("record=%d&", quiet.ID())) {
		t.Fatalf("the 销售总监's notices %v", got)
	}
	if got := w.notices(t, "lina"); len(got) != 0 {
		t.Fatalf("the 销售 was told %v", got)
	}
}

// The demo's quotes went through 报价审批: two drafts, two waiting for the 销售总监, two for
// the 财务总监, two approved with their 合同, one rejected.
func TestDemoQuotes(t *testing.T) {
	ctx := context.Background()
	w := newFlowWorld(t, 300)
	for range 2 { // the second run adds nothing
		if _, err := crm.DemoQuotes(ctx, w.Flows); err != nil {
			t.Fatal(err)
		}
	}
	quotes, _ := w.Catalog.Table("报价单")
	contracts, _ := w.Catalog.Table("合同")
	byStatus, err := w.Records.CountBy(ctx, access.System, quotes, nil, "状态")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, g := range byStatus {
		got[fmt.Sprint(g.Value)] = g.Count
	}
	if fmt.Sprint(got) != "map[审批中:4 已批准:2 已驳回:1 草稿:2]" {
		t.Fatalf("quotes by 状态 %v", got)
	}
	if n, _ := w.Records.Count(ctx, access.System, contracts, nil); n != 2 {
		t.Fatalf("%d 合同", n)
	}
	for who, want := range map[string]int{"zhangwei": 2, "zhoumin": 2} {
		todo, err := w.Flows.Box(ctx, w.people[who], flows.BoxTodo, flows.Page{})
		if err != nil || len(todo) != want {
			t.Fatalf("%s has %d open tasks, want %d (%v)", who, len(todo), want, err)
		}
	}
}
