package rules_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"tierbase/app"
	"tierbase/core/records"
	"tierbase/engines/rules"
	"tierbase/platform/store"
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
	w.customer(t, records.Input{"客户名称": "华为", "历史消费金额": 50000, "负责人": w.li})
	w.customer(t, records.Input{"客户名称": "美的", "历史消费金额": 20000, "负责人": w.li})
	w.customer(t, records.Input{"客户名称": "小店", "历史消费金额": 10})
	// The second process starts after the rule was saved (processes read the rules when they start).
	other, err := app.Open(w.dir)
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

// A database from before package jobs keeps the side effects waiting in its _queue: the
// migration moves them into the job queue, and they are carried out.
func TestOldQueueMovesToJobs(t *testing.T) {
	w := newWorld(t)
	if w.DB.Dialect != store.SQLite {
		t.Skip("rewinds SQLite's migrations (PRAGMA user_version); PostgreSQL starts from its baseline")
	}
	ctx := context.Background()
	rule := w.save(t, &rules.Rule{Name: "新客户通知", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnCreated}},
		Actions: []rules.Action{{Type: rules.ActNotify, Users: []int64{w.li}, Title: "新客户「{客户名称}」"}}})
	w.customer(t, records.Input{"客户名称": "格力", "负责人": w.li})
	var payload string
	if err := w.DB.R.QueryRow("SELECT json_remove(payload, '$.depth') FROM _jobs").Scan(&payload); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(w.DB.Path)
	w.Close()
	// Turn the file back into the version before the job queue: the job waits in _queue. The
	// migrations after it (_alert_state, _recent, the rules' fired counts, _audit, people's memberships, _trash, _oplog's
	// triggers and indexes, the organisation) are undone too; a new one must be added here.
	raw, err := sql.Open("sqlite3", w.DB.Path)
	if err != nil {
		t.Fatal(err)
	}
	var version int
	raw.QueryRow("PRAGMA user_version").Scan(&version)
	for _, q := range []string{
		`CREATE TABLE _queue(id INTEGER PRIMARY KEY, rule_id TEXT NOT NULL, payload TEXT NOT NULL, depth INTEGER NOT NULL,
			attempts INTEGER NOT NULL DEFAULT 0, run_at TEXT NOT NULL, error TEXT NOT NULL DEFAULT '')`,
		`CREATE INDEX _queue_run_at ON _queue(run_at)`,
		`INSERT INTO _queue(rule_id, payload, depth, attempts, run_at, error) VALUES('` + rule.ID + `', '` + payload + `', 0, 1, '2026-11-23T09:00:00Z', 'busy')`,
		`DROP TABLE _jobs`,
		`DROP TABLE _alert_state`,
		`DROP TABLE _recent`,
		`ALTER TABLE _rules DROP COLUMN fired_at`,
		`ALTER TABLE _rules DROP COLUMN fired`,
		`DROP TABLE _audit`,
		`DROP TABLE _user_roles`,
		`DROP TABLE _user_departments`,
		`DROP TABLE _invites`,
		`ALTER TABLE _users DROP COLUMN disabled`,
		`ALTER TABLE _users DROP COLUMN last_sign_in`,
		`DROP TABLE _trash`,
		`DROP TRIGGER _oplog_no_update`,
		`DROP TRIGGER _oplog_no_delete`,
		`DROP INDEX _oplog_user`,
		`DROP INDEX _oplog_table`,
		`DROP TABLE _oplog_reseal`,
		`DROP TABLE _departments`,
		`DROP TABLE _department_heads`,
		`DROP TABLE _roles`,
		`DROP TABLE _login_failures`,
		`DROP TABLE _robots`,
		`DROP TABLE _robot_deliveries`,
		`DROP TABLE _webhooks`,
		`DROP TABLE _webhook_messages`,
		`DROP TABLE _webhook_deliveries`,
		`DROP TABLE _tokens`,
		`DROP TABLE _flows`,
		`DROP TABLE _flow_versions`,
		`DROP TABLE _flow_instances`,
		`DROP TABLE _flow_tasks`,
		`DROP TABLE _flow_events`,
		`DROP TABLE _forms`,
		`DROP TABLE _form_submissions`,
		`DROP TABLE _form_hits`,
		`DROP TABLE _form_captchas`,
		`DROP TABLE _events`,
		`DROP TABLE _comments`,
		`DROP TABLE _views`,
		`DROP TABLE _flow_task_counts`,
		fmt.Sprintf("PRAGMA user_version = %d", version-18),
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()
	a, err := app.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	w.App = a
	a.SetClock(func() time.Time { return w.now }, time.UTC)
	var attempts int
	if err := a.DB.R.QueryRow("SELECT attempts FROM _jobs WHERE kind = 'rule' AND state = 'queued'").Scan(&attempts); err != nil || attempts != 1 {
		t.Fatalf("moved job: attempts %d (%v)", attempts, err)
	}
	if n, err := a.Jobs.Drain(ctx); n != 1 || err != nil {
		t.Fatalf("ran %d (%v)", n, err)
	}
	items, _, _ := a.Inbox.List(ctx, w.li, false, 10)
	if len(items) != 1 || items[0].Title != "新客户「格力」" {
		t.Fatalf("inbox %+v", items)
	}
}
