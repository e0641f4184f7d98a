package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/core/users"
	"tierbase/engines/flows"
	"tierbase/engines/reports"
	"tierbase/engines/rules"
	"tierbase/engines/webhooks"
	"tierbase/platform/store"
)

// twoNodes opens one data directory twice on the test PostgreSQL server: two app nodes on
// one database, each with its own connections, caches and job queue, as two servers have.
func twoNodes(t *testing.T) (*app.App, *app.App) {
	t.Helper()
	if os.Getenv(store.TestServerEnv) == "" {
		t.Skip("no PostgreSQL server to test on (make test starts one: scripts/pgtest)")
	}
	dir := t.TempDir()
	var nodes [2]*app.App
	for i := range nodes {
		a, err := app.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		nodes[i] = a
	}
	return nodes[0], nodes[1]
}

// within retries check until it succeeds, for at most d, and fails the test with its last
// error after that.
func within(t *testing.T, d time.Duration, what string, check func() error) {
	t.Helper()
	start := time.Now()
	for {
		err := check()
		if err == nil {
			t.Logf("%s: after %v", what, time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Since(start) > d {
			t.Fatalf("%s: not within %v: %v", what, d, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// What one node changes, the other serves within a second: a field added, a person disabled
// (their session refused), a role made and given, a dashboard's chart and its cached result,
// and the live inbox stream.
func TestCachesAcrossNodes(t *testing.T) {
	a, b := twoNodes(t)
	ctx := context.Background()
	boss, err := a.Users.Setup(ctx, "boss@example.com", "a long passphrase 1", "老板")
	if err != nil {
		t.Fatal(err)
	}
	admin := a.Users.ActorOf(boss)
	if _, err := a.Catalog.CreateTable(ctx, admin, "", "客户", []*schema.Field{{Name: "客户名称", Type: schema.Text}}); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "B sees the table A made", func() error { _, err := b.Catalog.Table("客户"); return err })

	// A field added on A is usable on B.
	if _, err := a.Catalog.AddField(ctx, admin, "客户", &schema.Field{Name: "客户等级", Type: schema.Text}); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "B saves a record with the field A added", func() error {
		tb, err := b.Catalog.Table("客户")
		if err != nil {
			return err
		}
		_, err = b.Records.Create(ctx, access.System, tb, records.Input{"客户名称": "格力", "客户等级": "A"})
		return err
	})

	// A person disabled on A has their session refused on B.
	li, _, err := a.Users.Add(ctx, admin, users.NewUser{Email: "li@example.com", Name: "小李", Password: "a long passphrase 2"})
	if err != nil {
		t.Fatal(err)
	}
	var session users.Session
	within(t, time.Second, "B signs in a person A added", func() error {
		session, err = b.Users.Login(ctx, "li@example.com", "a long passphrase 2", "test")
		return err
	})
	if _, _, ok := b.Users.Authenticate(session.Token); !ok {
		t.Fatal("B refused its own session")
	}
	if _, err := a.Users.SetDisabled(ctx, admin, li.ID, true); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "B refuses the session of a person A disabled", func() error {
		if _, _, ok := b.Users.Authenticate(session.Token); ok {
			return errors.New("session still accepted")
		}
		return nil
	})

	// A role made on A can be given on B; the person's new roles reach A's policy.
	wang, _, err := a.Users.Add(ctx, admin, users.NewUser{Email: "wang@example.com", Name: "小王", Password: "a long passphrase 3"})
	if err != nil {
		t.Fatal(err)
	}
	role, err := a.Org.SaveRole(ctx, admin, &access.Role{Name: "销售主管", Global: []access.Action{access.ManageSchema}})
	if err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "B gives the role A made", func() error {
		_, err := b.Users.Update(ctx, b.Users.ActorOf(boss), wang.ID, users.Patch{Roles: &[]string{role.ID}})
		return err
	})
	within(t, time.Second, "A's policy lets the person B gave the role to manage the schema", func() error {
		u, _ := a.Users.Get(wang.ID)
		return access.Can(a.Users.ActorOf(u), access.ManageSchema)
	})

	// A chart made on A is drawn on B, and B's cached result follows A's writes.
	d, err := a.Reports.SaveDashboard(ctx, admin, &reports.Dashboard{Name: "客户看板"})
	if err != nil {
		t.Fatal(err)
	}
	chart, err := a.Reports.SaveChart(ctx, admin, &reports.Chart{Dashboard: d.ID, Title: "客户数", Type: reports.Indicator, Table: "客户"})
	if err != nil {
		t.Fatal(err)
	}
	count := func(n *app.App) (float64, error) {
		res, err := n.Reports.Data(ctx, access.System, chart.ID, reports.Filters{})
		if err != nil {
			return 0, err
		}
		if len(res.Rows) != 1 || len(res.Rows[0].Values) == 0 || res.Rows[0].Values[0] == nil {
			return 0, fmt.Errorf("result %+v", res.Rows)
		}
		return *res.Rows[0].Values[0], nil
	}
	within(t, time.Second, "B draws the chart A made", func() error {
		n, err := count(b)
		if err == nil && n != 1 {
			err = fmt.Errorf("%v customers", n)
		}
		return err
	})
	tb, _ := a.Catalog.Table("客户")
	if _, err := a.Records.Create(ctx, access.System, tb, records.Input{"客户名称": "美的"}); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "B's cached chart counts the record A added", func() error {
		n, err := count(b)
		if err == nil && n != 2 {
			err = fmt.Errorf("%v customers", n)
		}
		return err
	})

	// A notice delivered on A reaches the person's live stream on B.
	heard, stop := b.Inbox.Subscribe(wang.ID)
	defer stop()
	if err := a.Inbox.Notify(ctx, []int64{wang.ID}, "新客户", "美的", "/"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-heard:
	case <-time.After(time.Second):
		t.Fatal("B's stream was not told of the notice A delivered")
	}
}

// Two nodes tick the same minute and work the queue together: the daily pass (with its RFM
// refresh), a cron rule and the dashboard alerts each run once, however the nodes race.
// Runs on SQLite too (two processes on one file).
func TestSingletonWorkOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	node := func() *app.App {
		n, err := app.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		n.SetClock(func() time.Time { return time.Date(2026, 11, 23, 1, 0, 30, 0, time.UTC) }, time.UTC)
		n.Rules.DailyAt = time.Hour
		n.CheckAlertsEvery(10 * time.Minute)
		return n
	}
	a := node()
	now := a.Records.Now()
	boss, err := a.Users.Setup(ctx, "boss@example.com", "a long passphrase 1", "老板")
	if err != nil {
		t.Fatal(err)
	}
	admin := a.Users.ActorOf(boss)
	customers, err := a.Catalog.CreateTable(ctx, admin, "", "客户", []*schema.Field{{Name: "客户名称", Type: schema.Text}})
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := a.Catalog.CreateTable(ctx, admin, "", "任务", []*schema.Field{{Name: "标题", Type: schema.Text}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Records.Create(ctx, access.System, customers, records.Input{"客户名称": "格力"}); err != nil {
		t.Fatal(err)
	}
	rule, _, err := a.Rules.SaveRule(ctx, admin, &rules.Rule{Name: "每分钟任务", Table: "客户", Enabled: true,
		Triggers: []rules.Trigger{{On: rules.OnSchedule, Cron: "* * * * *"}},
		Actions:  []rules.Action{{Type: rules.ActCreate, Target: tasks.ID, Values: map[string]any{"标题": "回访"}}}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := a.Reports.SaveDashboard(ctx, admin, &reports.Dashboard{Name: "看板"})
	if err != nil {
		t.Fatal(err)
	}
	chart, err := a.Reports.SaveChart(ctx, admin, &reports.Chart{Dashboard: d.ID, Title: "客户数", Type: reports.Indicator, Table: "客户",
		Alert: &reports.Alert{Op: "gt", Value: 0, Notify: []json.RawMessage{json.RawMessage(`"admin"`)}}})
	if err != nil {
		t.Fatal(err)
	}
	b := node() // it knows the rule and the chart, so both nodes would do the work
	if _, err := b.Reports.Chart(chart.ID); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second time, as a node restarted within the minute would
		var wg sync.WaitGroup
		for _, n := range []*app.App{a, b} {
			wg.Go(func() {
				if err := n.Jobs.Tick(ctx, now); err != nil {
					t.Error(err)
				}
				if _, err := n.Jobs.Drain(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	var got []string
	rows, err := a.DB.R.Query("SELECT key, state, attempts FROM _jobs WHERE key IS NOT NULL ORDER BY key")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var key, state string
		var attempts int
		if err := rows.Scan(&key, &state, &attempts); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %s %d", key, state, attempts))
	}
	rows.Close()
	want := []string{"alerts:2026-11-23T01:00Z done 1", "cron:" + rule.ID + ":2026-11-23T01:00Z done 1", "daily:2026-11-23 done 1"}
	if !slices.Equal(got, want) {
		t.Errorf("keyed jobs %q, want %q", got, want)
	}
	var made, told int
	a.DB.R.QueryRow("SELECT COUNT(*) FROM " + store.Quote(tasks.SQLName())).Scan(&made)
	a.DB.R.QueryRow("SELECT COUNT(*) FROM _notifications WHERE user_id = ?", boss.ID).Scan(&told)
	if made != 1 || told != 1 {
		t.Errorf("the cron rule made %d tasks, the alert told the admin %d times; want 1 and 1", made, told)
	}
}

// A flow published on one node starts by itself from a record written on the other.
func TestFlowTriggersAcrossNodes(t *testing.T) {
	a, b := twoNodes(t)
	ctx := context.Background()
	tbl, err := a.Catalog.CreateTable(ctx, access.System, "", "报销", []*schema.Field{{Name: "事由", Type: schema.Text}})
	if err != nil {
		t.Fatal(err)
	}
	boss, err := a.Users.Setup(ctx, "boss@example.com", "a long passphrase 1", "老板")
	if err != nil {
		t.Fatal(err)
	}
	f, err := a.Flows.Save(ctx, access.System, &flows.Flow{Table: tbl.ID, Name: "报销审批", Enabled: true, Triggers: flows.Triggers{OnCreate: true},
		Nodes: []*flows.Node{{ID: "a", Type: flows.Approve, Name: "审批", Who: &flows.Who{Users: []int64{boss.ID}}}, {ID: "e", Type: flows.End}}})
	if err == nil {
		_, err = a.Flows.Publish(ctx, access.System, f.ID)
	}
	if err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "a record written on B starts A's flow", func() error {
		bt, err := b.Catalog.Table("报销")
		if err != nil {
			return err
		}
		if _, err := b.Records.Create(ctx, access.System, bt, records.Input{"事由": "差旅"}); err != nil {
			return err
		}
		var n int
		if err := b.DB.R.QueryRow("SELECT COUNT(*) FROM _flow_instances").Scan(&n); err != nil || n == 0 {
			return fmt.Errorf("no instance (%v)", err)
		}
		return nil
	})
}

// An endpoint made on one node takes the events of records written on the other, which had
// already read (and kept) that its table had none; disabled there, it takes none again.
func TestWebhooksAcrossNodes(t *testing.T) {
	a, b := twoNodes(t)
	ctx := context.Background()
	if _, err := a.Catalog.CreateTable(ctx, access.System, "", "订单", []*schema.Field{{Name: "单号", Type: schema.Text}}); err != nil {
		t.Fatal(err)
	}
	var bt *schema.Table
	within(t, time.Second, "B sees the table", func() (err error) { bt, err = b.Catalog.Table("订单"); return err })
	messages := func() (n int) {
		if err := b.DB.R.QueryRow("SELECT COUNT(*) FROM _webhook_messages").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := b.Records.Create(ctx, access.System, bt, records.Input{"单号": "D0"}); err != nil || messages() != 0 {
		t.Fatalf("before any endpoint: %v, %d messages", err, messages())
	}
	if err := a.AllowOutbound([]string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	boss, err := a.Users.Setup(ctx, "boss@example.com", "a long passphrase 1", "老板") // the endpoint's owner reads every record
	if err != nil {
		t.Fatal(err)
	}
	admin := a.Users.ActorOf(boss)
	e, err := a.Webhooks.Save(ctx, admin, &webhooks.Endpoint{Name: "ERP", URL: "http://127.0.0.1:9/hook", Table: "订单",
		Events: []webhooks.Event{webhooks.Created}, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "a record written on B is sent to A's endpoint", func() error {
		before := messages()
		if _, err := b.Records.Create(ctx, access.System, bt, records.Input{"单号": "D1"}); err != nil {
			return err
		}
		if messages() == before {
			return errors.New("no message")
		}
		return nil
	})
	e.Enabled = false
	if _, err := a.Webhooks.Save(ctx, admin, e); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "B stops sending to the endpoint A disabled", func() error {
		before := messages()
		if _, err := b.Records.Create(ctx, access.System, bt, records.Input{"单号": "D2"}); err != nil {
			return err
		}
		if messages() != before {
			return errors.New("still sent")
		}
		return nil
	})
}
