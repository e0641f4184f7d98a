package rules_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"tierbase/app"
	"tierbase/core/records"
	"tierbase/engines/rules"
)

// Two processes on one database (two apps, each with its own connections and job queue, as
// two processes have) tick every minute: a cron rule fires once per minute slot, and the
// daily pass runs once that day.
func TestCronOncePerSlotWithTwoProcesses(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.save(t, &rules.Rule{Name: "每分钟提醒", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnSchedule, Cron: "* * * * *"}},
		When:    leaf("累计消费金额", "gt", 10000),
		Actions: []rules.Action{{Type: rules.ActNotify, Users: []int64{w.li}, Title: "大客户「{客户名称}」"}}})
	w.customer(t, records.Input{"客户名称": "华为", "累计消费金额": 50000})
	w.customer(t, records.Input{"客户名称": "美的", "累计消费金额": 20000})
	w.customer(t, records.Input{"客户名称": "小店", "累计消费金额": 10})
	// The second process starts after the rule was saved (processes read the rules when they start).
	other, err := app.Open(filepath.Dir(w.DB.Path))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetClock(func() time.Time { return w.now }, time.UTC)
	for _, a := range []*app.App{w.App, other} {
		a.Rules.DailyAt = 9*time.Hour + 1*time.Minute
	}
	for range 3 {
		var wg sync.WaitGroup
		for _, a := range []*app.App{w.App, other} {
			wg.Go(func() {
				if err := a.Jobs.Tick(ctx, w.now.Add(time.Second)); err != nil {
					t.Error(err)
				}
				if _, err := a.Jobs.Drain(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		w.now = w.now.Add(time.Minute)
	}
	items, _, err := w.Inbox.List(ctx, w.li, false, 100)
	if err != nil || len(items) != 6 {
		t.Fatalf("%d notifications (%v), want 2 customers × 3 minutes", len(items), err)
	}
	var daily int
	w.DB.R.QueryRow("SELECT COUNT(*) FROM _jobs WHERE key LIKE 'daily:%' AND state = 'done'").Scan(&daily)
	if daily != 1 {
		t.Fatalf("daily pass jobs: %d, want 1", daily)
	}
}
