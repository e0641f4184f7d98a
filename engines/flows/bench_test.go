package flows_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"tierbase/engines/flows"
)

// BenchmarkTodoPage times what a page of 待我处理 costs a person with 10,000 open tasks among
// 100,000 (and 10,000 done ones of theirs): the page of 50 and the count of the header, as
// GET /api/tasks does; it reports the p99 of those two together. The tasks are rows copied
// from one real instance, so the index ranges are those of a busy database.
func BenchmarkTodoPage(b *testing.B) {
	w := newWorld(b)
	ctx := context.Background()
	boss, other := w.people["王经理"], w.people["张总"]
	f := w.publish(b, approve("审批", &flows.Who{Users: []int64{boss}}, ""), end())
	err := w.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := w.now.Format(time.RFC3339)
		for i := 0; i < 100_000; i++ {
			var id int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO _flow_instances(flow_id, version, table_id, record_id, initiator, state, step, started_at)
				VALUES(?, 1, ?, 1, ?, 'running', 1, ?) RETURNING id`, f.ID, w.t.ID, w.people["李娜"], now).Scan(&id); err != nil {
				return err
			}
			user, state := other, "open"
			switch {
			case i%10 == 0:
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
	a := w.as("王经理")
	var page, count, both []time.Duration
	b.ResetTimer()
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
	for _, m := range []struct {
		name string
		took []time.Duration
	}{{"page", page}, {"count", count}, {"page+count", both}} {
		slices.Sort(m.took)
		b.ReportMetric(float64(m.took[len(m.took)/2].Microseconds())/1000, m.name+"-p50-ms")
		b.ReportMetric(float64(m.took[len(m.took)*99/100].Microseconds())/1000, m.name+"-p99-ms")
	}
}
