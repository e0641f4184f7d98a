package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/templates/crm"
)

var (
	flowStarts   = flag.Int("flow-starts", 10000, "instances of 报价审批 started over HTTP and timed; then the 销售总监's 待我处理 holds as many tasks")
	flowTasks    = flag.Int("flow-tasks", 100000, "open tasks of the 销售总监 when 同意 is timed (the starts beyond --flow-starts are not timed)")
	flowApproves = flag.Int("flow-approves", 10000, "同意 timed among them; the time limits of the rest fall due at once")
	flowConc     = flag.Int("flow-c", 20, "concurrency of the starts and of 同意")
)

// flowFigures measures issue 14's figures on the 客户管理 demo (2,000 customers, its flows),
// each beside a reference of the same server in the same run:
//   - starting 报价审批 on a quote over HTTP, against adding a 报价单 (a plain record POST);
//   - a page of 50 of the 销售总监's 待我处理 holding --flow-starts tasks, against a page of
//     50 报价单 read by the same person;
//   - 同意 by the 销售总监 with --flow-tasks open tasks (the quotes are over ¥100,000, so each
//     passes on to the 财务总监), then the 财务总监's 同意 of those, each ending its instance
//     (状态 已批准 and a 合同 made), against the plain POST;
//   - the time limits of the waiting approvals (2 days; a reminder 4 hours before) falling due
//     at once: the server stopped, the data opened in process 3 days later and its job
//     workers run until every timer is done, each counted by its effect on the timeline.
func flowFigures(bin string) {
	data := filepath.Join(*work, "flows")
	run(bin, "demo", "--data", data, "--customers", "2000", "--seed", "1")
	run(bin, "user", "create", "--data", data, "--email", "bench@example.com", "--password", "bench-password", "--role", "admin")
	flowID, quotes, customer := makeQuotes(data, *flowTasks)
	srv, base := serve(bin, data, *port)
	admin := login(base)
	boss := loginAs(base, "zhangwei@demo.tierbase", crm.DemoPassword)
	c, n := *flowConc, *flowStarts

	quoteURL := base + "/api/tables/" + url.PathEscape("报价单") + "/records"
	body := []byte(fmt.Sprintf(`{"客户":%d,"报价金额":1000,"状态":"草稿"}`, customer))
	refLat, refRate := loadEach(admin, n, c, func(w, i int) (string, string, []byte) { return "POST", quoteURL, body })
	ref := fmt.Sprintf("adding a 报价单 (POST), same server, c=%d: %.0f/s, p99 %.1f ms", c, refRate, pct(refLat, 99))
	starts := func(from, to int) ([]float64, float64) {
		return loadEach(admin, to-from, c, func(w, i int) (string, string, []byte) {
			return "POST", base + "/api/flows/" + flowID + "/start", []byte(fmt.Sprintf(`{"record":%d}`, quotes[from+i]))
		})
	}
	lat, rate := starts(0, n)
	record(fmt.Sprintf("start 报价审批 over HTTP, c=%d, %d instances", c, n),
		fmt.Sprintf("%.0f/s (p50 %.1f / p99 %.1f ms)", rate, pct(lat, 50), pct(lat, 99)), "≥ 1,000/s", ref)

	todoURL := base + "/api/tasks?box=todo&limit=50"
	pageURL := quoteURL + "?limit=50&skipTotal=1"
	get := func(u string) func(w, i int) (string, string, []byte) {
		return func(w, i int) (string, string, []byte) { return "GET", u, nil }
	}
	loadEach(boss, *lists, 1, get(todoURL)) // warm-up
	lat, _ = loadEach(boss, *lists, 1, get(todoURL))
	pageLat, _ := loadEach(boss, *lists, 1, get(pageURL))
	record(fmt.Sprintf("待我处理 of a person with %d tasks: a page of 50 (c=1)", n),
		fmt.Sprintf("p50 %.2f / p99 %.2f ms", pct(lat, 50), pct(lat, 99)), "p99 ≤ 10 ms",
		fmt.Sprintf("a page of 50 报价单 (skipTotal), same person: p99 %.2f ms", pct(pageLat, 99)))

	t0 := time.Now()
	starts(n, len(quotes))
	fmt.Fprintf(os.Stderr, "  (started the other %d instances in %.0f s)\n", len(quotes)-n, time.Since(t0).Seconds())
	approve := func(token string, tasks []int64) ([]float64, float64) {
		return loadEach(token, len(tasks), c, func(w, i int) (string, string, []byte) {
			return "POST", fmt.Sprintf("%s/api/tasks/%d/approve", base, tasks[i]), []byte(`{"comment":"同意"}`)
		})
	}
	lat, rate = approve(boss, openTasks(base, boss, *flowApproves))
	record(fmt.Sprintf("同意 by the 销售总监 with %d open tasks, c=%d, %d times (each passes the quote on to the 财务总监)", len(quotes), c, *flowApproves),
		fmt.Sprintf("p50 %.1f / p99 %.1f ms (%.0f/s)", pct(lat, 50), pct(lat, 99), rate), "p99 ≤ 15 ms", ref)
	cfo := loginAs(base, "zhoumin@demo.tierbase", crm.DemoPassword)
	lat, rate = approve(cfo, openTasks(base, cfo, *flowApproves))
	record(fmt.Sprintf("then 同意 by the 财务总监, c=%d, %d times (each ends its instance: 状态 已批准 and a 合同 made)", c, *flowApproves),
		fmt.Sprintf("p50 %.1f / p99 %.1f ms (%.0f/s)", pct(lat, 50), pct(lat, 99), rate), "", ref)
	stop(srv)
	timersFallingDue(data)
}

// makeQuotes adds n 报价单 in 草稿 (¥100,001 to ¥150,000) in process, in batches through the
// records engine, and returns the id of 报价审批, the quotes' ids and a customer's.
func makeQuotes(data string, n int) (string, []int64, int64) {
	ctx := context.Background()
	a, err := app.Open(data)
	must(err)
	defer a.Close()
	t, err := a.Catalog.Table("报价单")
	must(err)
	cust, err := a.Catalog.Table("客户")
	must(err)
	page, err := a.Records.List(ctx, access.System, cust, records.Query{Limit: 1, SkipTotal: true})
	must(err)
	customer := page.Items[0].ID()
	list, err := a.Flows.Flows(ctx, access.System, t.ID)
	must(err)
	flowID := ""
	for _, f := range list {
		if f.Name == crm.QuoteFlow {
			flowID = f.ID
		}
	}
	var ids []int64
	for len(ids) < n {
		batch := make([]records.Input, min(records.MaxBatch, n-len(ids)))
		for i := range batch {
			batch[i] = records.Input{"客户": customer, "报价金额": 100001 + (len(ids)+i)%50000, "状态": "草稿"}
		}
		made, err := a.Records.Batch(ctx, access.System, t, batch)
		must(err)
		for _, r := range made {
			ids = append(ids, r.ID())
		}
	}
	return flowID, ids, customer
}

// openTasks pages through the person's 待我处理 for up to n task ids.
func openTasks(base, token string, n int) []int64 {
	var ids []int64
	before := int64(0)
	for len(ids) < n {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/tasks?box=todo&limit=200&before=%d", base, before), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		must(err)
		var page struct{ Items []struct{ TaskID int64 } }
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		must(err)
		if len(page.Items) == 0 {
			break
		}
		for _, it := range page.Items {
			ids = append(ids, it.TaskID)
		}
		before = page.Items[len(page.Items)-1].TaskID
	}
	return ids[:min(n, len(ids))]
}

// timersFallingDue opens the data 3 days later, when the time limits of every approval still
// waiting (a reminder 4 hours before, which queues the expiry) have fallen due — with the
// reminders of the approvals decided since, which find their step gone by and do nothing —
// runs the job workers as the server does until none is left, counts the timers that ran, and
// checks each waiting approval got one reminder and one expiry on its timeline.
func timersFallingDue(data string) {
	ctx := context.Background()
	a, err := app.Open(data)
	must(err)
	defer a.Close()
	later := time.Now().AddDate(0, 0, 3)
	a.SetClock(func() time.Time { return later }, time.Local)
	count := func(q string, args ...any) int {
		var k int
		must(a.DB.R.QueryRowContext(ctx, q, args...).Scan(&k))
		return k
	}
	const pending = "SELECT COUNT(*) FROM _jobs WHERE kind IN ('flow.remind', 'flow.due') AND state <> 'done'"
	const ran = "SELECT COUNT(*) FROM _jobs WHERE kind IN ('flow.remind', 'flow.due') AND state = 'done'"
	ranBefore := count(ran)
	waiting := count("SELECT COUNT(DISTINCT instance_id) FROM _flow_tasks WHERE state = 'open'")
	work, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	start := time.Now()
	go func() { a.Jobs.Run(work); close(done) }()
	for count(pending) > 0 && time.Since(start) < 10*time.Minute {
		time.Sleep(100 * time.Millisecond)
	}
	secs := time.Since(start).Seconds()
	cancel()
	<-done
	timers := count(ran) - ranBefore
	once := "each exactly once"
	for _, action := range []string{"remind", "timeout"} {
		all := count("SELECT COUNT(*) FROM _flow_events WHERE action = ?", action)
		distinct := count("SELECT COUNT(DISTINCT instance_id) FROM _flow_events WHERE action = ?", action)
		if all != waiting || distinct != waiting {
			once = fmt.Sprintf("NOT once: %d %s entries on %d instances, %d waiting", all, action, distinct, waiting)
		}
	}
	record(fmt.Sprintf("%d timers falling due at once (a reminder, then the expiry it queues, for each of %d waiting approvals, and the reminders of the approvals decided since)", timers, waiting),
		fmt.Sprintf("all handled in %.1f s (%.0f/s), %s", secs, float64(timers)/secs, once), "all within 60 s, each exactly once", "")
}
