package flows_test

import (
	"context"
	"database/sql"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"tierbase/core/cond"
	"tierbase/engines/flows"
)

// BenchmarkTodoPage times what a page of 待我处理 costs a person with 10,000 open tasks among
// 50,000 (and 5,000 done ones of theirs): the page of 50 and the count of the header, as
// GET /api/tasks does; it reports the p50 and p99 of each and of the two together. The tasks
// are rows made like those of one real instance, a thousand a transaction, so the index
// ranges are those of a busy database.
func BenchmarkTodoPage(b *testing.B) {
	w := newWorld(b)
	ctx := context.Background()
	boss, other := w.people["王经理"], w.people["张总"]
	f := w.publish(b, approve("审批", &flows.Who{Users: []int64{boss}}, ""), end())
	now := w.now.Format(time.RFC3339)
	for n := 0; n < 50_000; n += 1000 {
		err := w.DB.Tx(ctx, func(tx *sql.Tx) error {
			for i := n; i < n+1000; i++ {
				var id int64
				if err := tx.QueryRowContext(ctx, `INSERT INTO _flow_instances(flow_id, version, table_id, record_id, initiator, state, step, started_at)
				VALUES(?, 1, ?, 1, ?, 'running', 1, ?) RETURNING id`, f.ID, w.t.ID, w.people["李娜"], now).Scan(&id); err != nil {
					return err
				}
				user, state := other, "open"
				switch {
				case i%5 == 0:
					user = boss
				case i%10 == 1:
					user, state = boss, "done"
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO _flow_tasks(instance_id, node_id, step, user_id, state, created_at) VALUES(?, 'a', 1, ?, ?, ?)`,
					id, user, state, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	a := w.as("王经理")
	var page, count, both []time.Duration
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		items, err := w.Flows.Box(ctx, a, flows.BoxTodo, flows.Page{Limit: 50})
		if err != nil || len(items) != 50 {
			b.Fatalf("%d items, %v", len(items), err)
		}
		mid := time.Now()
		if todo, _, err := w.Flows.Counts(ctx, a); err != nil || todo != 10_000 {
			b.Fatalf("count %d, %v", todo, err)
		}
		page, count, both = append(page, mid.Sub(start)), append(count, time.Since(mid)), append(both, time.Since(start))
	}
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
	for _, m := range []struct {
		name string
		took []time.Duration
	}{{"page", page}, {"count", count}, {"page+count", both}} {
		slices.Sort(m.took)
		b.ReportMetric(float64(m.took[len(m.took)/2].Microseconds())/1000, m.name+"-p50-ms")
		b.ReportMetric(float64(m.took[len(m.took)*99/100].Microseconds())/1000, m.name+"-p99-ms")
	}
}

// BenchmarkApprove times 同意 as the API does it — the action, then the instance it answers —
// at concurrency 20 by one approver, each passing its claim on to the next approver through a
// 条件分支 on the amount, each approval with a time limit and a reminder, as 报价审批 does; it
// reports the p99, the rate, and how many 同意 shared a commit.
func BenchmarkApprove(b *testing.B) {
	w := newWorld(b)
	ctx := context.Background()
	limited := func(n *flows.Node) *flows.Node {
		n.Limit = &flows.Limit{Days: 2, RemindHours: 4, OnExpiry: flows.ExpiryRemind}
		return n
	}
	f := w.publish(b, limited(approve("经理审批", &flows.Who{Users: []int64{w.people["王经理"]}}, "")),
		&flows.Node{ID: "amount", Type: flows.Condition, Name: "金额判断", Branches: []*flows.Branch{
			{Name: "大额", When: &cond.Node{Field: "金额", Op: "gt", Value: 50}, Nodes: []*flows.Node{
				limited(approve("总监审批", &flows.Who{Roles: []string{w.roles["销售总监"]}}, ""))}},
			{Name: "默认", Default: true},
		}},
		end())
	for i := 0; i < b.N; i++ {
		w.start(b, f, "李娜", w.claim(b, float64(100+i)))
	}
	a := w.as("王经理")
	tasks := make(chan int64, b.N)
	items, err := w.Flows.Box(ctx, a, flows.BoxTodo, flows.Page{Limit: flows.MaxPage})
	for len(items) > 0 && err == nil {
		for _, it := range items {
			tasks <- it.TaskID
		}
		items, err = w.Flows.Box(ctx, a, flows.BoxTodo, flows.Page{Limit: flows.MaxPage, Before: items[len(items)-1].TaskID})
	}
	close(tasks)
	if err != nil || len(tasks) != b.N {
		b.Fatalf("%d tasks, %v", len(tasks), err)
	}
	took := make(chan time.Duration, b.N)
	b.ResetTimer()
	start, cpu, commits := time.Now(), cpuTime(), w.DB.Writes()
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range tasks {
				t0 := time.Now()
				in, err := w.Flows.Act(ctx, a, id, flows.ActApprove, flows.Input{})
				if err == nil {
					_, err = w.Flows.Instance(ctx, a, in)
				}
				if err != nil {
					b.Error(err)
					return
				}
				took <- time.Since(t0)
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "approvals/s")
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
	b.ReportMetric(float64(b.N)/float64(w.DB.Writes()-commits), "approvals/commit")
	close(took)
	var all []time.Duration
	for d := range took {
		all = append(all, d)
	}
	slices.Sort(all)
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
}

// cpuTime is the CPU time the process has used: on a busy machine a steadier measure of the
// work than the wall clock. SQLite's own work is in it, PostgreSQL's is not.
func cpuTime() time.Duration {
	var u syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
