package jobs_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"tierbase/platform/jobs"
	"tierbase/platform/store"
)

// clock is a settable clock shared by the queues of a test.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }
func (c *clock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *clock) queue(db *store.DB) *jobs.Queue {
	q := jobs.New(db)
	q.Now = c.now
	return q
}

// open opens the database in dir with an effects table: each row is an effect of a job.
func open(t *testing.T, dir string) *store.DB {
	t.Helper()
	db, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Exec(context.Background(), "CREATE TABLE IF NOT EXISTS effects(job TEXT NOT NULL, by TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	return db
}

// joined returns the text values query answers, one per row, separated by spaces.
func joined(t *testing.T, db *store.DB, query string) string {
	t.Helper()
	rows, err := db.R.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// effect is a transactional handler that writes the payload and by into effects.
func effect(by string) jobs.Kind {
	return jobs.Kind{Tx: func(ctx context.Context, tx *sql.Tx, j *jobs.Job) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO effects(job, by) VALUES(?, ?)", string(j.Payload), by)
		return err
	}}
}

func enqueue(t *testing.T, db *store.DB, q *jobs.Queue, kind string, n int) {
	t.Helper()
	err := db.Tx(context.Background(), func(tx *sql.Tx) error {
		for i := range n {
			if _, err := q.Enqueue(context.Background(), tx, kind, "", i, time.Time{}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.R.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Two processes (two connections to one file, as two processes would have) with two workers
// each race over 1,000 jobs: each job's effect is written exactly once.
func TestWorkersRaceEachJobOnce(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	dbs := []*store.DB{open(t, dir), open(t, dir)}
	var queues []*jobs.Queue
	for i := range 4 {
		q := c.queue(dbs[i%2])
		q.Batch = 7
		q.Handle("fx", effect(fmt.Sprint(i)))
		queues = append(queues, q)
	}
	enqueue(t, dbs[0], queues[0], "fx", 1000)
	var wg sync.WaitGroup
	ran := make([]int, len(queues))
	for i, q := range queues {
		wg.Go(func() {
			n, err := q.Drain(context.Background())
			if err != nil {
				t.Error(err)
			}
			ran[i] = n
		})
	}
	wg.Wait()
	if n := count(t, dbs[0], "SELECT COUNT(*) FROM effects"); n != 1000 {
		t.Errorf("%d effects for 1000 jobs (claimed per worker: %v)", n, ran)
	}
	if n := count(t, dbs[0], "SELECT COUNT(DISTINCT job) FROM effects"); n != 1000 {
		t.Errorf("%d distinct effects for 1000 jobs", n)
	}
	if n := count(t, dbs[0], "SELECT COUNT(*) FROM _jobs"); n != 0 {
		t.Errorf("%d jobs left", n)
	}
	t.Logf("claimed per worker: %v", ran)
}

// A worker that outlives its lease (its process stalled) loses the job to another worker,
// and its late completion is refused.
func TestLeaseExpiryTakeover(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	dbA, dbB := open(t, dir), open(t, dir)
	a, b := c.queue(dbA), c.queue(dbB)
	a.Lease, b.Lease = time.Minute, time.Minute
	started, release := make(chan struct{}), make(chan struct{})
	a.Handle("slow", jobs.Kind{Run: func(ctx context.Context, j *jobs.Job) error {
		close(started)
		<-release
		return nil
	}})
	b.Handle("slow", jobs.Kind{Run: func(ctx context.Context, j *jobs.Job) error {
		return dbB.Exec(ctx, "INSERT INTO effects(job, by) VALUES(?, 'B')", j.Key)
	}})
	err := dbA.Tx(context.Background(), func(tx *sql.Tx) error {
		_, err := a.Enqueue(context.Background(), tx, "slow", "slow:1", nil, time.Time{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { _, err := a.RunOnce(context.Background()); done <- err }()
	<-started
	if n, err := b.RunOnce(context.Background()); n != 0 || err != nil {
		t.Fatalf("B claimed %d leased jobs (%v)", n, err)
	}
	c.add(2 * time.Minute) // A's lease runs out
	took := c.now()
	if n, err := b.Drain(context.Background()); n != 1 || err != nil {
		t.Fatalf("B took over %d jobs (%v), want 1", n, err)
	}
	c.add(time.Minute)
	close(release) // A completes late
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var state string
	var doneAt int64
	if err := dbA.R.QueryRow("SELECT state, done_at FROM _jobs").Scan(&state, &doneAt); err != nil || state != "done" || doneAt != took.UnixMilli() {
		t.Fatalf("job %s at %v (%v): want done by B at %v, A's late completion refused", state, time.UnixMilli(doneAt), err, took)
	}
	if n := count(t, dbA, "SELECT COUNT(*) FROM effects WHERE by = 'B'"); n != 1 {
		t.Fatalf("%d effects by B", n)
	}
}

// TestMain lets a test run a worker as a child process (see TestProcessDiesMidJob).
func TestMain(m *testing.M) {
	if dir := os.Getenv("JOBS_TEST_CHILD"); dir != "" {
		db, err := store.Open(dir)
		if err != nil {
			panic(err)
		}
		q := jobs.New(db)
		q.Handle("fx", jobs.Kind{Tx: func(ctx context.Context, tx *sql.Tx, j *jobs.Job) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO effects(job, by) VALUES(?, 'child')", string(j.Payload)); err != nil {
				return err
			}
			fmt.Println("in the job")
			select {} // until killed
		}})
		q.RunOnce(context.Background())
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// A process killed in the middle of a job (kill -9) leaves it leased: once the lease runs
// out another process takes it over, and of the dead one's effects nothing remains.
func TestProcessDiesMidJob(t *testing.T) {
	dir := t.TempDir()
	db := open(t, dir)
	c := newClock()
	q := c.queue(db)
	q.Handle("fx", effect("parent"))
	enqueue(t, db, q, "fx", 1)
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "JOBS_TEST_CHILD="+dir)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "in the job\n" {
		child.Process.Kill()
		t.Fatalf("child: %q", line)
	}
	child.Process.Signal(syscall.SIGKILL)
	child.Wait()
	c.set(time.Now()) // the child leased the job by the real clock
	if n, _ := q.RunOnce(context.Background()); n != 0 {
		t.Fatalf("took over a job whose lease has not run out")
	}
	c.add(q.Lease + time.Second)
	if n, err := q.Drain(context.Background()); n != 1 || err != nil {
		t.Fatalf("took over %d jobs (%v), want 1", n, err)
	}
	if by := joined(t, db, "SELECT by FROM effects"); by != "parent" {
		t.Fatalf("effects by %q, want the parent's only", by)
	}
}

// A failing job is retried after a growing, jittered delay with none of its failed attempts'
// effects kept; after the last attempt it is kept as failed with its error and its kind is told.
func TestRetryBackoffAndGivingUp(t *testing.T) {
	db := open(t, t.TempDir())
	c := newClock()
	q := c.queue(db)
	ctx := context.Background()
	calls := 0
	q.Handle("flaky", jobs.Kind{MaxAttempts: 3, Tx: func(ctx context.Context, tx *sql.Tx, j *jobs.Job) error {
		calls++
		if _, err := tx.ExecContext(ctx, "INSERT INTO effects(job, by) VALUES('flaky', ?)", fmt.Sprint(j.Attempts)); err != nil {
			return err
		}
		if calls < 3 {
			return fmt.Errorf("failure %d", calls)
		}
		return nil
	}})
	var failed []string
	q.Handle("broken", jobs.Kind{MaxAttempts: 2,
		Tx: func(ctx context.Context, tx *sql.Tx, j *jobs.Job) error { return errors.New("always") },
		Failed: func(ctx context.Context, j *jobs.Job, err error) {
			failed = append(failed, fmt.Sprint(j.Kind, j.Attempts, err))
		}})
	q.Handle("hopeless", jobs.Kind{Tx: func(ctx context.Context, tx *sql.Tx, j *jobs.Job) error {
		return jobs.Permanent(errors.New("no such thing"))
	},
		Failed: func(ctx context.Context, j *jobs.Job, err error) {
			failed = append(failed, fmt.Sprint(j.Kind, j.Attempts, err))
		}})
	enqueue(t, db, q, "flaky", 1)
	enqueue(t, db, q, "broken", 1)
	enqueue(t, db, q, "hopeless", 1)

	var delays []time.Duration
	for attempt := 1; attempt <= 3; attempt++ {
		if n, err := q.RunOnce(ctx); err != nil || n == 0 {
			t.Fatalf("attempt %d: ran %d (%v)", attempt, n, err)
		}
		if n, _ := q.RunOnce(ctx); n != 0 {
			t.Fatalf("after attempt %d, %d jobs ran again before their backoff", attempt, n)
		}
		var at int64
		var msg string
		if err := db.R.QueryRow("SELECT run_at, error FROM _jobs WHERE kind = 'flaky'").Scan(&at, &msg); err == nil {
			delays = append(delays, time.UnixMilli(at).Sub(c.now()))
			if msg != fmt.Sprintf("failure %d", attempt) {
				t.Errorf("attempt %d: error %q", attempt, msg)
			}
		}
		c.add(time.Hour)
	}
	if len(delays) != 2 || delays[0] < 5*time.Second || delays[0] > 10*time.Second || delays[1] < 10*time.Second || delays[1] > 20*time.Second {
		t.Errorf("backoff delays %v, want 5–10 s then 10–20 s", delays)
	}
	if by := count(t, db, "SELECT COUNT(*) FROM effects"); by != 1 || calls != 3 {
		t.Errorf("%d effects after %d calls; the failed attempts' effects must be rolled back", by, calls)
	}
	var state, msg string
	var attempts int
	if err := db.R.QueryRow("SELECT state, attempts, error FROM _jobs WHERE kind = 'broken'").Scan(&state, &attempts, &msg); err != nil ||
		state != "failed" || attempts != 2 || msg != "always" {
		t.Errorf("the broken job: %s after %d attempts, %q (%v)", state, attempts, msg, err)
	}
	if strings.Join(failed, "|") != "hopeless1 no such thing|broken2 always" {
		t.Errorf("Failed hook calls: %q", failed)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM _jobs WHERE kind = 'flaky'"); n != 0 {
		t.Errorf("the flaky job was not removed when it succeeded")
	}
	for i := 1; i <= 30; i++ {
		if d := jobs.Backoff(i); d < 0 || d > time.Hour {
			t.Fatalf("Backoff(%d) = %v", i, d)
		}
	}
}

// A key makes one job: enqueued twice in one transaction, in two, or after the job has run
// (finished keyed jobs are remembered until they are pruned).
func TestUniqueKey(t *testing.T) {
	db := open(t, t.TempDir())
	c := newClock()
	q := c.queue(db)
	q.Handle("fx", effect("q"))
	ctx := context.Background()
	add := func() (added int) {
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			for range 2 {
				ok, err := q.Enqueue(ctx, tx, "fx", "daily:2026-11-23", "payload", time.Time{})
				if err != nil {
					return err
				}
				if ok {
					added++
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return added
	}
	if n := add(); n != 1 {
		t.Fatalf("added %d jobs, want 1", n)
	}
	if n := add(); n != 0 {
		t.Fatalf("a queued key was added %d times again", n)
	}
	q.Drain(ctx)
	if n := add(); n != 0 {
		t.Fatalf("a finished key was added %d times again", n)
	}
	q.Drain(ctx)
	if n := count(t, db, "SELECT COUNT(*) FROM effects"); n != 1 {
		t.Fatalf("%d effects", n)
	}
	c.add(q.KeepFor + time.Hour)
	c.set(c.now().Truncate(time.Hour))
	if err := q.Tick(ctx, c.now()); err != nil { // on the hour: prunes
		t.Fatal(err)
	}
	if n := add(); n != 1 {
		t.Fatalf("a pruned key was not added again (%d)", n)
	}
}

// Two processes tick the same minute: the periodic job of that slot is queued and run once.
func TestTickOncePerSlot(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	ctx := context.Background()
	var queues []*jobs.Queue
	for i, db := range []*store.DB{open(t, dir), open(t, dir)} {
		q := c.queue(db)
		q.Handle("report", effect(fmt.Sprint(i)))
		q.Every(func(ctx context.Context, tx *sql.Tx, minute time.Time) error {
			_, err := q.Enqueue(ctx, tx, "report", "report:"+minute.Format(time.RFC3339), minute.Format("15:04"), minute)
			return err
		})
		queues = append(queues, q)
	}
	for range 3 {
		for _, q := range queues {
			if err := q.Tick(ctx, c.now().Add(17*time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		for _, q := range queues {
			wg.Go(func() { q.Drain(ctx) })
		}
		wg.Wait()
		c.add(time.Minute)
	}
	if got := joined(t, queues[0].DB, "SELECT job FROM effects ORDER BY job"); got != `"09:00" "09:01" "09:02"` {
		t.Fatalf("effects %s, want one per minute", got)
	}
}

// A process that starts within a minute ticks that minute at once (the daily pass's minute is
// not skipped by a restart within it), and a restart in the same minute queues nothing again.
func TestRunTicksTheMinuteItStartsIn(t *testing.T) {
	db := open(t, t.TempDir())
	c := newClock()
	c.add(42 * time.Second) // 09:00:42: the next minute is far off for a clock that stands still
	for range 2 {           // a start, then a restart within the minute
		q := c.queue(db)
		q.Handle("report", effect("q"))
		q.Every(func(ctx context.Context, tx *sql.Tx, minute time.Time) error {
			_, err := q.Enqueue(ctx, tx, "report", "report:"+minute.Format(time.RFC3339), minute.Format("15:04"), minute)
			return err
		})
		ctx, stop := context.WithCancel(context.Background())
		stopped := make(chan struct{})
		go func() { q.Run(ctx); close(stopped) }()
		deadline := time.Now().Add(5 * time.Second)
		for count(t, db, "SELECT COUNT(*) FROM _jobs WHERE state = 'done'") == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond) // time enough for a second run, were there one
		stop()
		<-stopped
	}
	if got := joined(t, db, "SELECT job FROM effects"); got != `"09:00"` {
		t.Fatalf("effects %s, want the 09:00 job once", got)
	}
}

// A job enqueued by this process runs as soon as its transaction commits, not at the next poll.
func TestWakeAfterCommit(t *testing.T) {
	db := open(t, t.TempDir())
	q := jobs.New(db)
	q.Poll = 10 * time.Second
	q.Handle("fx", effect("q"))
	ctx, stop := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { q.Run(ctx); close(stopped) }()
	defer func() { stop(); <-stopped }()
	time.Sleep(100 * time.Millisecond) // the workers are idle, waiting
	for i := range 3 {
		start := time.Now()
		enqueue(t, db, q, "fx", 1)
		for count(t, db, "SELECT COUNT(*) FROM effects") != i+1 {
			if time.Since(start) > 2*time.Second {
				t.Fatalf("job %d did not run within 2 s of its commit (poll: %v)", i, q.Poll)
			}
			time.Sleep(time.Millisecond)
		}
		t.Logf("job %d ran %v after its commit", i, time.Since(start))
	}
}

// A job whose workers keep stopping before they finish it (it crashes its process) is given
// up once it has had its attempts, without running again.
func TestJobThatOutlivesItsWorkersIsGivenUp(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	dbA, dbB := open(t, dir), open(t, dir)
	a, b := c.queue(dbA), c.queue(dbB)
	started, release := make(chan struct{}), make(chan struct{})
	a.Handle("crash", jobs.Kind{MaxAttempts: 1, Run: func(ctx context.Context, j *jobs.Job) error {
		close(started)
		<-release
		return nil
	}})
	var failed error
	b.Handle("crash", jobs.Kind{MaxAttempts: 1,
		Run:    func(ctx context.Context, j *jobs.Job) error { t.Error("ran again"); return nil },
		Failed: func(ctx context.Context, j *jobs.Job, err error) { failed = err }})
	enqueue(t, dbA, a, "crash", 1)
	done := make(chan struct{})
	go func() { a.RunOnce(context.Background()); close(done) }()
	<-started
	c.add(a.Lease + time.Second)
	if n, err := b.RunOnce(context.Background()); n != 1 || err != nil {
		t.Fatalf("claimed %d (%v)", n, err)
	}
	close(release)
	<-done
	var state string
	dbA.R.QueryRow("SELECT state FROM _jobs").Scan(&state)
	if state != "failed" || failed == nil {
		t.Fatalf("job %s, Failed told %v", state, failed)
	}
}

// A long job run outside a transaction keeps its lease while it runs: its worker renews it.
func TestLongJobKeepsItsLease(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	dbA, dbB := open(t, dir), open(t, dir)
	a, b := c.queue(dbA), c.queue(dbB)
	a.Lease = 90 * time.Millisecond // renewed every 30 ms
	started, release := make(chan struct{}), make(chan struct{})
	a.Handle("pass", jobs.Kind{Run: func(ctx context.Context, j *jobs.Job) error {
		close(started)
		<-release
		return nil
	}})
	b.Handle("pass", jobs.Kind{Run: func(ctx context.Context, j *jobs.Job) error { t.Error("ran twice"); return nil }})
	enqueue(t, dbA, a, "pass", 1)
	done := make(chan struct{})
	go func() { a.RunOnce(context.Background()); close(done) }()
	<-started
	for range 3 {
		c.add(time.Second) // far past the lease it was given
		time.Sleep(100 * time.Millisecond)
		if n, err := b.RunOnce(context.Background()); n != 0 || err != nil {
			t.Fatalf("another worker took a job that is still being run (%d, %v)", n, err)
		}
	}
	close(release)
	<-done
	if n := count(t, dbA, "SELECT COUNT(*) FROM _jobs"); n != 0 {
		t.Fatalf("%d jobs left", n)
	}
}

// An idle worker's look for due jobs writes nothing, so the chart results cached on
// DB.Writes stay valid while nothing happens; a job falling due is still claimed.
func TestIdleLookWritesNothing(t *testing.T) {
	ctx := context.Background()
	db := open(t, t.TempDir())
	c := newClock()
	q := c.queue(db)
	q.Handle("later", effect("w"))
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := q.Enqueue(ctx, tx, "later", "", 1, c.now().Add(time.Hour))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	before := db.Writes()
	for range 5 {
		if n, err := q.RunOnce(ctx); n != 0 || err != nil {
			t.Fatalf("RunOnce before the job is due: %d, %v", n, err)
		}
	}
	if db.Writes() != before {
		t.Fatalf("five idle looks moved Writes by %d", db.Writes()-before)
	}
	c.add(time.Hour)
	if n, err := q.RunOnce(ctx); n != 1 || err != nil {
		t.Fatalf("RunOnce once the job is due: %d, %v", n, err)
	}
}

// A kind's own Backoff decides the wait after a failed attempt, seeing the attempt and the
// error (a receiver's Retry-After).
func TestKindBackoff(t *testing.T) {
	db := open(t, t.TempDir())
	c := newClock()
	q := c.queue(db)
	ctx := context.Background()
	var seen []string
	q.Handle("scheduled", jobs.Kind{MaxAttempts: 5,
		Run: func(ctx context.Context, j *jobs.Job) error { return fmt.Errorf("busy %d", j.Attempts) },
		Backoff: func(attempt int, err error) time.Duration {
			seen = append(seen, fmt.Sprint(attempt, " ", err))
			return time.Duration(attempt) * time.Minute
		}})
	enqueue(t, db, q, "scheduled", 1)
	for attempt := 1; attempt <= 2; attempt++ {
		if n, _ := q.RunOnce(ctx); n != 1 {
			t.Fatalf("attempt %d did not run", attempt)
		}
		var at int64
		if err := db.R.QueryRow("SELECT run_at FROM _jobs WHERE kind = 'scheduled'").Scan(&at); err != nil {
			t.Fatal(err)
		}
		if d := time.UnixMilli(at).Sub(c.now()); d != time.Duration(attempt)*time.Minute {
			t.Fatalf("after attempt %d the job waits %s", attempt, d)
		}
		c.add(time.Duration(attempt) * time.Minute)
	}
	if strings.Join(seen, "|") != "1 busy 1|2 busy 2" {
		t.Fatalf("Backoff saw %q", seen)
	}
}

// Parallel Run jobs of a batch run side by side: three that each wait for the other two
// all finish.
func TestParallelRunJobs(t *testing.T) {
	db := open(t, t.TempDir())
	q := newClock().queue(db)
	var started sync.WaitGroup
	started.Add(3)
	q.Handle("call", jobs.Kind{Parallel: true, Run: func(ctx context.Context, j *jobs.Job) error {
		started.Done()
		done := make(chan struct{})
		go func() { started.Wait(); close(done) }()
		select {
		case <-done:
			return nil
		case <-time.After(5 * time.Second):
			return errors.New("ran alone")
		}
	}})
	enqueue(t, db, q, "call", 3)
	if n, err := q.RunOnce(context.Background()); n != 3 || err != nil {
		t.Fatalf("ran %d: %v", n, err)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM _jobs"); n != 0 {
		t.Fatalf("%d jobs left: they ran one after another", n)
	}
}

// EnqueueMany adds one job per payload (1,201 of them, none keyed: three INSERTs), each run
// once with its own attempts: one failing is retried alone while the others are done.
func TestEnqueueManyRunEach(t *testing.T) {
	db := open(t, t.TempDir())
	c := newClock()
	q := c.queue(db)
	q.Batch = 1000
	ctx := context.Background()
	q.Handle("fx", jobs.Kind{Tx: func(ctx context.Context, tx *sql.Tx, j *jobs.Job) error {
		if string(j.Payload) == "7" && j.Attempts == 1 {
			return errors.New("7 fails its first attempt")
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO effects(job, by) VALUES(?, ?)", string(j.Payload), fmt.Sprint(j.Attempts))
		return err
	}})
	list := make([]jobs.Pending, 1201)
	for i := range list {
		list[i] = jobs.Pending{Kind: "fx", Payload: i}
	}
	if err := db.Tx(ctx, func(tx *sql.Tx) error { return q.EnqueueMany(ctx, tx, list) }); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "SELECT COUNT(DISTINCT job) FROM effects"); n != 1200 {
		t.Errorf("%d jobs ran at once, want 1200 (all but the failing one)", n)
	}
	c.add(time.Hour)
	if _, err := q.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM effects"); n != 1201 {
		t.Errorf("%d effects for 1201 jobs", n)
	}
	if by := joined(t, db, "SELECT by FROM effects WHERE job = '7'"); by != "2" {
		t.Errorf("the failing job's effect came from attempt %q, want 2", by)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM _jobs"); n != 0 {
		t.Errorf("%d jobs left", n)
	}
}

// EnqueueMany adds jobs as Enqueue would one by one, across its chunks of 500: each key once
// (one queued before, one twice in the list), jobs without a key each, each at its time.
func TestEnqueueMany(t *testing.T) {
	db := open(t, t.TempDir())
	c := newClock()
	q := c.queue(db)
	q.Batch = 1000
	q.Handle("fx", effect("q"))
	ctx := context.Background()
	if err := db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := q.Enqueue(ctx, tx, "fx", "k0", "before", time.Time{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var list []jobs.Pending
	for i := range 1200 {
		p := jobs.Pending{Kind: "fx", Key: fmt.Sprintf("k%d", i), Payload: i}
		if i%3 == 0 {
			p.Key = ""
		}
		if i >= 1000 {
			p.At = c.now().Add(time.Hour)
		}
		list = append(list, p)
	}
	list = append(list, jobs.Pending{Kind: "fx", Key: "k1", Payload: "again"})
	if err := db.Tx(ctx, func(tx *sql.Tx) error { return q.EnqueueMany(ctx, tx, list) }); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	// k0 ran as "before" (i = 0 has no key, so it ran as 0 too); 1..999 once each
	if n := count(t, db, "SELECT COUNT(*) FROM effects"); n != 1001 {
		t.Errorf("%d jobs ran now, want 1001", n)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM effects WHERE job IN ('\"before\"', '1', '\"again\"')"); n != 2 {
		t.Errorf("%d effects of the repeated keys, want 2 (the first of each)", n)
	}
	c.add(time.Hour)
	if _, err := q.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM effects"); n != 1201 {
		t.Errorf("%d effects, want 1201", n)
	}
	if n := count(t, db, "SELECT COUNT(DISTINCT job) FROM effects"); n != 1201 {
		t.Errorf("%d distinct effects, want 1201", n)
	}
}
