package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/engines/rules"
	"tierbase/templates/crm"
)

// Two workers of a running server and a `tierbase rules run` process race over 1,000 queued
// rule side effects on one data directory: each to-do and each notification comes once.
func TestQueuedSideEffectsOnceAcrossProcesses(t *testing.T) {
	data := t.TempDir()
	ctx := context.Background()
	a, err := app.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := crm.Install(ctx, access.System, a.Catalog); err != nil {
		t.Fatal(err)
	}
	cust, _ := a.Catalog.Table("客户")
	todo, err := a.Catalog.CreateTable(ctx, access.System, "", "待办", []*schema.Field{{Name: "标题", Type: schema.Text},
		{Name: "关联客户", Type: schema.Link, LinkTable: cust.ID}})
	if err != nil {
		t.Fatal(err)
	}
	u, err := a.Users.Create(ctx, access.System, "zhang@example.com", "password-1", "张伟", "member")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = a.Rules.SaveRule(ctx, access.System, &rules.Rule{Name: "新客户跟进", Table: "客户", Enabled: true,
		Triggers: []rules.Trigger{{On: rules.OnCreated}},
		Actions: []rules.Action{
			{Type: rules.ActCreate, Target: "待办", Values: map[string]any{"标题": `=CONCAT("跟进 ", 客户名称)`, "关联客户": "=ID"}},
			{Type: rules.ActNotify, Owner: true, Title: "新客户：{客户名称}"},
		}})
	if err != nil {
		t.Fatal(err)
	}
	batch := make([]records.Input, 1000)
	for i := range batch {
		batch[i] = records.Input{"客户名称": fmt.Sprintf("客户%04d", i), "负责人": u.ID}
	}
	if _, err := a.Records.Batch(ctx, access.System, cust, batch); err != nil {
		t.Fatal(err)
	}
	a.Close() // 1,000 side effects wait in the queue
	server, err := app.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	server.Jobs.Batch = 10
	cli := exec.Command(os.Args[0], "rules", "run", "--data", data)
	cli.Env = append(os.Environ(), "TIERBASE_TEST_MAIN=1")
	var out []byte
	exited := make(chan struct{})
	go func() { out, err = cli.CombinedOutput(); close(exited) }()
	// The server's workers start once the command has claimed its first jobs, so both work.
	for claimed := 0; claimed == 0; {
		select {
		case <-exited:
			t.Fatalf("rules run ended before it claimed a job: %v\n%s", err, out)
		case <-time.After(time.Millisecond):
		}
		server.DB.R.QueryRow("SELECT COUNT(*) FROM _jobs WHERE state = 'running'").Scan(&claimed)
	}
	work, stop := context.WithCancel(ctx)
	worked := make(chan struct{})
	go func() { server.Jobs.Run(work); close(worked) }() // two workers
	<-exited
	if err != nil {
		t.Fatalf("rules run: %v\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	left := -1
	for left != 0 && time.Now().Before(deadline) {
		server.DB.R.QueryRow("SELECT COUNT(*) FROM _jobs").Scan(&left)
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	<-worked
	t.Logf("rules run: %s", out)
	var todos, linked, notes, links int
	q := fmt.Sprintf(`SELECT COUNT(*), COUNT(DISTINCT %q) FROM %q`, todo.Field("关联客户").Column(), todo.SQLName())
	if err := server.DB.R.QueryRow(q).Scan(&todos, &linked); err != nil {
		t.Fatal(err)
	}
	server.DB.R.QueryRow("SELECT COUNT(*), COUNT(DISTINCT link) FROM _notifications").Scan(&notes, &links)
	if left != 0 || todos != 1000 || linked != 1000 || notes != 1000 || links != 1000 {
		t.Fatalf("%d jobs left; %d to-dos for %d customers, %d notifications about %d; want 1000 of each, once",
			left, todos, linked, notes, links)
	}
}
