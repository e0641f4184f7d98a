package jobs_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tierbase/platform/jobs"
	"tierbase/platform/store"
)

// Two nodes (on PostgreSQL, two pools; on SQLite, two processes' connections) with two workers
// each claim at once, over and over: no job is ever claimed twice. Each is a Run job (outside a
// transaction, so nothing would undo a second run) that counts its runs, and each keyed job is
// kept as done at its first attempt.
func TestClaimsNeverOverlap(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	dbs := []*store.DB{open(t, dir), open(t, dir)}
	var runs sync.Map // job key → *atomic.Int32
	var queues []*jobs.Queue
	for i := range 4 {
		q := c.queue(dbs[i%2])
		q.Batch = 3
		q.Handle("run", jobs.Kind{Run: func(ctx context.Context, j *jobs.Job) error {
			n, _ := runs.LoadOrStore(j.Key, new(atomic.Int32))
			n.(*atomic.Int32).Add(1)
			time.Sleep(time.Millisecond) // hold the claim a moment, as real work does
			return nil
		}})
		queues = append(queues, q)
	}
	const total = 300
	err := dbs[0].Tx(context.Background(), func(tx *sql.Tx) error {
		for i := range total {
			if _, err := queues[0].Enqueue(context.Background(), tx, "run", fmt.Sprint("job:", i), nil, time.Time{}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, q := range queues {
		wg.Go(func() {
			if _, err := q.Drain(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	seen := 0
	runs.Range(func(k, v any) bool {
		seen++
		if n := v.(*atomic.Int32).Load(); n != 1 {
			t.Errorf("%s ran %d times", k, n)
		}
		return true
	})
	if seen != total {
		t.Errorf("%d jobs ran, want %d", seen, total)
	}
	if n := count(t, dbs[0], "SELECT COUNT(*) FROM _jobs WHERE state = 'done' AND attempts = 1"); n != total {
		t.Errorf("%d jobs done at their first attempt, want %d", n, total)
	}
}
