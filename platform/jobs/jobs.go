// Package jobs is the durable queue every background effect goes through: the side effects
// of rules, scheduled passes (the daily pass, cron rules, dashboard alerts), and later flow
// timers, reminders and webhook deliveries.
//
// A job has a kind, an optional unique key, a JSON payload, a time to run at and a count of
// attempts. Jobs are enqueued inside the caller's write transaction, so they exist exactly
// when the write that wanted them committed. A worker claims due jobs with one UPDATE that
// leases them to it (owner and until when); a job whose lease ran out — its process died
// mid-job — can be claimed again. A kind's handler runs the job inside the transaction that
// completes it, and completion checks the lease is still the worker's, so the effects of a
// job happen exactly once however many workers and processes share the database. Failures
// are retried with exponential backoff and jitter; after the last attempt the job is kept as
// failed with its error and the kind's Failed hook is told.
package jobs

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	mrand "math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// Job is one claimed job, as a handler sees it.
type Job struct {
	ID       int64
	Kind     string
	Key      string // "" when it has none
	Payload  json.RawMessage
	Attempts int // this one included
	RunAt    time.Time

	owner string // the claim: owner and attempts identify it (see complete)
}

// Decode reads the job's payload into v.
func (j *Job) Decode(v any) error { return json.Unmarshal(j.Payload, v) }

// Kind says how the jobs of one kind run. Exactly one of Tx and Run is set.
type Kind struct {
	// Tx runs a job inside the write transaction that completes it: its effects and the job's
	// completion commit together, or neither does. It must not call store.DB.Tx.
	Tx func(ctx context.Context, tx *sql.Tx, j *Job) error
	// Run runs a job outside any transaction, for work that commits transactions of its own
	// (a regrade pass). The lease keeps other workers off it while it runs; should its process
	// die before the job is completed, it runs again, so it must be safe to repeat.
	Run func(ctx context.Context, j *Job) error
	// Parallel Run jobs of the kind run side by side within a batch instead of one after
	// another: calls to other servers that mostly wait (a webhook's receiver has 15 s), so
	// one slow receiver does not hold up the batch behind it.
	Parallel bool
	// MaxAttempts is how often a job is tried before it is given up (DefaultMaxAttempts if 0).
	MaxAttempts int
	// Failed, if set, is told when a job is given up, outside any transaction.
	Failed func(ctx context.Context, j *Job, err error)
	// Backoff, if set, says how long a job waits after its attempt-th attempt failed with
	// err (a kind with a schedule of its own, or one that honours a receiver's Retry-After);
	// else the queue's Backoff.
	Backoff func(attempt int, err error) time.Duration
}

// DefaultMaxAttempts is how often a job is tried when its kind does not say.
const DefaultMaxAttempts = 5

func (k Kind) backoff(attempt int, err error) time.Duration {
	if k.Backoff != nil {
		return k.Backoff(attempt, err)
	}
	return Backoff(attempt)
}

func (k Kind) maxAttempts() int {
	if k.MaxAttempts <= 0 {
		return DefaultMaxAttempts
	}
	return k.MaxAttempts
}

// Permanent marks a handler's error as one that retrying cannot fix: the job is given up at once.
func Permanent(err error) error { return permanent{err} }

type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// errLeaseLost is returned inside a completion whose lease another worker has taken over.
var errLeaseLost = errors.New("jobs: the lease was lost to another worker")

// Queue is the job queue of one database, and this process's workers of it.
type Queue struct {
	DB      *store.DB
	Now     func() time.Time // injectable clock
	Lease   time.Duration    // how long a claimed job is the worker's before another may take it
	Poll    time.Duration    // how often idle workers look for jobs queued by other processes
	Workers int              // workers Run starts
	Batch   int              // jobs a worker claims at once
	KeepFor time.Duration    // how long finished jobs with a key (and failed jobs) are kept
	// Pause is a rest after each full batch: SQLite lets a process waiting for the write lock
	// in only when it happens to retry between two transactions, so a worker going through a
	// backlog back to back would shut out other processes (a CLI command beside the server).
	Pause time.Duration

	owner string
	wake  chan struct{}
	mu    sync.RWMutex
	kinds map[string]Kind
	ticks []func(ctx context.Context, tx *sql.Tx, minute time.Time) error

	stmtMu sync.Mutex
	stmtTx *sql.Tx   // the transaction stmt was prepared in
	stmt   *sql.Stmt // see insertStmt
}

// New returns the queue of db with the defaults: 5-minute leases, a 2-second poll, 2 workers
// claiming 50 jobs at a time.
func New(db *store.DB) *Queue {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return &Queue{DB: db, Now: time.Now, Lease: 5 * time.Minute, Poll: 2 * time.Second, Workers: 2, Batch: 50, Pause: 5 * time.Millisecond,
		KeepFor: 7 * 24 * time.Hour, owner: fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b)),
		wake: make(chan struct{}, 1), kinds: map[string]Kind{}}
}

// Handle registers how jobs of kind run. Only registered kinds are claimed by this process.
func (q *Queue) Handle(kind string, k Kind) {
	if (k.Tx == nil) == (k.Run == nil) {
		panic("jobs: a kind has either Tx or Run")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.kinds[kind] = k
}

// Every registers fn to run once a minute, inside one write transaction with the others, to
// enqueue the periodic jobs of that minute. Give those jobs a key naming the slot (such as
// "daily:2026-11-23"): every process on the database ticks, and the key makes one job of them.
func (q *Queue) Every(fn func(ctx context.Context, tx *sql.Tx, minute time.Time) error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.ticks = append(q.ticks, fn)
}

// Enqueue adds a job inside the caller's write transaction tx, to run at at (now if zero).
// A job with a key that is already queued, running or remembered as finished is not added
// again: Enqueue then reports false. The workers of this process are woken once tx commits.
func (q *Queue) Enqueue(ctx context.Context, tx *sql.Tx, kind, key string, payload any, at time.Time) (bool, error) {
	data, err := json.Marshal(payload)
	if err != nil {
		return false, err
	}
	if at.IsZero() {
		at = q.Now()
	}
	var k any
	if key != "" {
		k = key
	}
	stmt, err := q.insertStmt(ctx, tx)
	if err != nil {
		return false, err
	}
	res, err := stmt.ExecContext(ctx, kind, k, string(data), at.UnixMilli())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if n > 0 && at.Before(q.Now().Add(q.Poll)) { // a later one is found by the workers' next look (see idle)
		q.DB.AfterCommit(tx, q, q.signal)
	}
	return n > 0, err
}

// Pending is a job for EnqueueMany: Enqueue's arguments.
type Pending struct {
	Kind, Key string // Key "" for none
	Payload   any
	At        time.Time // zero: now
}

// EnqueueMany is Enqueue of many jobs inside tx, in one multi-row INSERT (per 500 jobs): a
// job whose key is already queued, running or remembered as finished is left out. The
// workers of this process are woken once tx commits when one of the jobs is due before their
// next look.
func (q *Queue) EnqueueMany(ctx context.Context, tx *sql.Tx, list []Pending) error {
	now := q.Now()
	soon := false
	for chunk := range slices.Chunk(list, 500) {
		args := make([]any, 0, 4*len(chunk))
		for _, p := range chunk {
			data, err := json.Marshal(p.Payload)
			if err != nil {
				return err
			}
			at := p.At
			if at.IsZero() {
				at = now
			}
			var k any
			if p.Key != "" {
				k = p.Key
			}
			args = append(args, p.Kind, k, string(data), at.UnixMilli())
			soon = soon || at.Before(now.Add(q.Poll))
		}
		if _, err := tx.ExecContext(ctx, enqueueManySQL+strings.Repeat(",(?, ?, ?, ?)", len(chunk))[1:]+" ON CONFLICT(key) DO NOTHING", args...); err != nil {
			return err
		}
	}
	if soon {
		q.DB.AfterCommit(tx, q, q.signal)
	}
	return nil
}

// insertStmt is the INSERT of Enqueue prepared in tx, prepared once per transaction so that
// queueing thousands of jobs in one costs little. (Holding on to tx keeps its address from
// being reused by a later transaction.)
func (q *Queue) insertStmt(ctx context.Context, tx *sql.Tx) (*sql.Stmt, error) {
	q.stmtMu.Lock()
	defer q.stmtMu.Unlock()
	if q.stmtTx != tx {
		stmt, err := tx.PrepareContext(ctx, enqueueSQL)
		if err != nil {
			return nil, err
		}
		q.stmtTx, q.stmt = tx, stmt
	}
	return q.stmt, nil
}

func (q *Queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// The queue's SQL, in one place: on PostgreSQL the claim's inner SELECT takes
// FOR UPDATE SKIP LOCKED; on SQLite the single writer already serialises claims.
const (
	enqueueSQL = `INSERT INTO _jobs(kind, key, payload, run_at) VALUES(?, ?, ?, ?) ON CONFLICT(key) DO NOTHING`
	// enqueueManySQL is followed by one "(?, ?, ?, ?)" per job, then the ON CONFLICT clause.
	enqueueManySQL = `INSERT INTO _jobs(kind, key, payload, run_at) VALUES `
	// claimSQL picks up to n (%d, written out) due jobs of the given kinds (%s: their
	// placeholders) for one owner: queued jobs whose time has come, the earliest first, read
	// in the order of the index _jobs_due (state, run_at), so a queue of 100,000 waiting
	// timers costs a claim no more than an empty one (the last %s: the dialect's row lock,
	// SkipLocked). Each picked job is then leased by id with leaseSQL.
	claimSQL = `SELECT id, kind, COALESCE(key, ''), payload, attempts, run_at FROM _jobs
		WHERE state = 'queued' AND run_at <= ? AND kind IN (%[2]s) ORDER BY run_at, id LIMIT %[1]d%[3]s`
	// takeoverSQL picks running jobs whose lease ran out (their process died), for another
	// owner. "run_at >= 0" (always true) lets SQLite read the few running jobs from _jobs_due;
	// without it SQLite's planner scans the whole table.
	takeoverSQL = `SELECT id, kind, COALESCE(key, ''), payload, attempts, run_at FROM _jobs
		WHERE state = 'running' AND run_at >= 0 AND lease_until <= ? AND kind IN (%[2]s) ORDER BY lease_until, id LIMIT %[1]d%[3]s`
	leaseSQL = `UPDATE _jobs SET state = 'running', owner = ?, lease_until = ?, attempts = attempts + 1 WHERE id = ?`
	// A claim is identified by owner and attempts: a takeover changes both.
	ours       = ` WHERE id = ? AND owner = ? AND attempts = ?`
	deleteSQL  = `DELETE FROM _jobs` + ours
	doneSQL    = `UPDATE _jobs SET state = 'done', owner = NULL, lease_until = NULL, error = '', done_at = ?` + ours
	retrySQL   = `UPDATE _jobs SET state = ?, owner = NULL, lease_until = NULL, run_at = ?, error = ?, done_at = ?` + ours
	releaseSQL = `UPDATE _jobs SET state = 'queued', owner = NULL, lease_until = NULL, attempts = attempts - 1` + ours
	renewSQL   = `UPDATE _jobs SET lease_until = ?` + ours
	// nextDueSQL finds when the next job of the given kinds (%s, twice) is due: the earliest
	// queued one, read from the index, and the earliest lease of a running one to run out.
	nextDueSQL = `SELECT (SELECT run_at FROM _jobs WHERE state = 'queued' AND kind IN (%[1]s) ORDER BY run_at LIMIT 1),
		(SELECT MIN(lease_until) FROM _jobs WHERE state = 'running' AND run_at >= 0 AND kind IN (%[1]s))` // run_at: see takeoverSQL
	pruneSQL = `DELETE FROM _jobs WHERE state IN ('done', 'failed') AND done_at < ?`
)

// handled returns the kinds this process handles, and their placeholders for SQL.
func (q *Queue) handled() ([]any, string) {
	q.mu.RLock()
	defer q.mu.RUnlock()
	kinds := make([]any, 0, len(q.kinds))
	for k := range q.kinds {
		kinds = append(kinds, k)
	}
	return kinds, strings.TrimSuffix(strings.Repeat("?, ", len(kinds)), ", ")
}

// claim leases up to n due jobs to this queue's owner.
func (q *Queue) claim(ctx context.Context, n int) ([]*Job, error) {
	kinds, marks := q.handled()
	if len(kinds) == 0 {
		return nil, nil
	}
	now := q.Now()
	// Nothing due: no write transaction. An idle worker looks every Poll, and every commit
	// makes the chart results cached so far stale (store.DB.Writes).
	if next, ok, err := q.nextDue(ctx, kinds, marks); err != nil || !ok || next > now.UnixMilli() {
		return nil, err
	}
	var out []*Job
	err := q.DB.Tx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		for _, pick := range []string{takeoverSQL, claimSQL} {
			rows, err := tx.QueryContext(ctx, fmt.Sprintf(pick, n, marks, q.DB.Dialect.SkipLocked()), append([]any{now.UnixMilli()}, kinds...)...)
			if err != nil {
				return err
			}
			for rows.Next() {
				j := &Job{owner: q.owner}
				var payload string
				var at int64
				if err := rows.Scan(&j.ID, &j.Kind, &j.Key, &payload, &j.Attempts, &at); err != nil {
					rows.Close()
					return err
				}
				j.Payload, j.RunAt, j.Attempts = json.RawMessage(payload), time.UnixMilli(at), j.Attempts+1
				out = append(out, j)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		for _, j := range out {
			if _, err := tx.ExecContext(ctx, leaseSQL, q.owner, now.Add(q.Lease).UnixMilli(), j.ID); err != nil {
				return err
			}
		}
		return nil
	})
	slices.SortFunc(out, func(a, b *Job) int { return cmp.Compare(a.ID, b.ID) })
	return out, err
}

// RunOnce claims the due jobs (at most Batch) and runs them; it returns how many it claimed.
// A failing job is not an error of RunOnce: it is retried later or given up (see Kind).
// The transactional jobs of a batch are handed to the writer together, so they share commits
// (each in its own savepoint: one failing discards only its own effects); Parallel Run jobs
// run beside them, other Run jobs one after another afterwards.
func (q *Queue) RunOnce(ctx context.Context) (int, error) {
	js, err := q.claim(ctx, max(1, q.Batch))
	if err != nil {
		return 0, err
	}
	errs := make([]error, len(js))
	var wg sync.WaitGroup
	for i, j := range js {
		if k := q.kind(j.Kind); k.Tx != nil || k.Parallel {
			wg.Go(func() { errs[i] = q.run(ctx, j) })
		}
	}
	wg.Wait()
	for i, j := range js {
		if k := q.kind(j.Kind); k.Run != nil && !k.Parallel {
			errs[i] = q.run(ctx, j)
		}
	}
	if q.Pause > 0 && len(js) == q.Batch { // a backlog: leave other processes a turn
		select {
		case <-ctx.Done():
		case <-time.After(q.Pause):
		}
	}
	return len(js), errors.Join(errs...)
}

func (q *Queue) kind(name string) Kind {
	q.mu.RLock()
	defer q.mu.RUnlock()
	return q.kinds[name]
}

// Drain runs jobs until none is due, and returns how many ran.
func (q *Queue) Drain(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := q.RunOnce(ctx)
		total += n
		if n == 0 || err != nil {
			return total, err
		}
	}
}

// run runs one claimed job and records its outcome. Its error is the queue's, not the job's.
func (q *Queue) run(ctx context.Context, j *Job) error {
	if ctx.Err() != nil { // shutting down: hand the job back at once
		q.release(j)
		return ctx.Err()
	}
	k := q.kind(j.Kind)
	if j.Attempts > k.maxAttempts() { // its workers kept dying on it
		return q.fail(j, k, problem.New(500, "job_abandoned", "attempts", j.Attempts-1))
	}
	var err error
	if k.Tx != nil {
		err = q.DB.Tx(ctx, func(tx *sql.Tx) error {
			if err := k.Tx(ctx, tx, j); err != nil {
				return err
			}
			return q.complete(ctx, tx, j)
		})
	} else if err = q.runOutside(ctx, k, j); err == nil {
		err = q.DB.Tx(ctx, func(tx *sql.Tx) error { return q.complete(ctx, tx, j) })
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errLeaseLost):
		log.Printf("jobs: %s job %d took longer than its lease and was taken over by another worker", j.Kind, j.ID)
		return nil
	case ctx.Err() != nil:
		q.release(j)
		return ctx.Err()
	}
	return q.fail(j, k, err)
}

// runOutside runs a Run handler, renewing the job's lease every third of it while the
// handler works (a long pass keeps its job; a process that stalls or dies stops renewing),
// and turning a panic into an error.
func (q *Queue) runOutside(ctx context.Context, k Kind, j *Job) (err error) {
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(max(q.Lease/3, time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				q.DB.Exec(ctx, renewSQL, q.Now().Add(q.Lease).UnixMilli(), j.ID, j.owner, j.Attempts)
			}
		}
	}()
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return k.Run(ctx, j)
}

// complete removes a finished job, or keeps it as done when it has a key (so the key is
// remembered), if the lease is still ours; otherwise the whole transaction is rolled back.
func (q *Queue) complete(ctx context.Context, tx *sql.Tx, j *Job) error {
	var res sql.Result
	var err error
	if j.Key == "" {
		res, err = tx.ExecContext(ctx, deleteSQL, j.ID, j.owner, j.Attempts)
	} else {
		res, err = tx.ExecContext(ctx, doneSQL, q.Now().UnixMilli(), j.ID, j.owner, j.Attempts)
	}
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return cmpErr(err, errLeaseLost)
	}
	return nil
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// fail records a failed attempt: the job runs again after a backoff, or is given up.
func (q *Queue) fail(j *Job, k Kind, cause error) error {
	ctx := context.Background() // the outcome is recorded even while shutting down
	var p permanent
	giveUp := j.Attempts >= k.maxAttempts() || errors.As(cause, &p)
	now := q.Now()
	state, doneAt := "queued", any(nil)
	if giveUp {
		state, doneAt = "failed", now.UnixMilli()
	}
	lost := false
	err := q.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, retrySQL, state, now.Add(k.backoff(j.Attempts, cause)).UnixMilli(), cause.Error(), doneAt, j.ID, j.owner, j.Attempts)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		lost = n == 0
		return err
	})
	if err != nil || lost {
		return err
	}
	log.Printf("jobs: %s job %d, attempt %d: %v", j.Kind, j.ID, j.Attempts, cause)
	if giveUp && k.Failed != nil {
		k.Failed(ctx, j, cause)
	}
	return nil
}

// release hands a claimed job back untried (the worker is stopping).
func (q *Queue) release(j *Job) {
	q.DB.Exec(context.Background(), releaseSQL, j.ID, j.owner, j.Attempts)
}

// Backoff is how long a job waits after its attempt-th failed attempt: 10 s doubling each
// time, at most an hour, of which a random part (up to half) is taken off so that jobs that
// failed together do not all come back together.
func Backoff(attempt int) time.Duration {
	d := time.Hour
	if attempt < 20 {
		d = min(10*time.Second<<max(attempt-1, 0), time.Hour)
	}
	return d - time.Duration(mrand.Int64N(int64(d/2)+1))
}

// Tick enqueues the periodic jobs of the minute of now (see Every), and once an hour forgets
// finished jobs older than KeepFor.
func (q *Queue) Tick(ctx context.Context, now time.Time) error {
	minute := now.Truncate(time.Minute)
	q.mu.RLock()
	ticks := slices.Clone(q.ticks)
	q.mu.RUnlock()
	return q.DB.Tx(ctx, func(tx *sql.Tx) error {
		for _, fn := range ticks {
			if err := fn(ctx, tx, minute); err != nil {
				return err
			}
		}
		if minute.Minute() == 0 {
			_, err := tx.ExecContext(ctx, pruneSQL, now.Add(-q.KeepFor).UnixMilli())
			return err
		}
		return nil
	})
}

// Run starts the workers and the minute ticks, and returns once ctx has ended and they have
// stopped. Workers run jobs as soon as this process commits them, and look for jobs of
// other processes every Poll.
func (q *Queue) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range max(1, q.Workers) {
		wg.Go(func() { q.work(ctx) })
	}
	wg.Go(func() { q.tick(ctx) })
	wg.Wait()
}

func (q *Queue) work(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := q.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			log.Printf("jobs: %v", err)
		}
		if n >= q.Batch && err == nil {
			q.signal() // more may be due: let another worker help
			continue
		}
		select {
		case <-ctx.Done():
		case <-q.wake:
		case <-time.After(q.idle(ctx)):
		}
	}
}

// idle is how long a worker waits for a wake-up before looking again: until the next job of
// the queue is due, at most Poll.
func (q *Queue) idle(ctx context.Context) time.Duration {
	kinds, marks := q.handled()
	next, ok, err := q.nextDue(ctx, kinds, marks)
	if err != nil || !ok {
		return q.Poll
	}
	return min(max(time.UnixMilli(next).Sub(q.Now()), 10*time.Millisecond), q.Poll)
}

// nextDue tells when the next job of kinds is due (ms since the epoch), if there is one.
func (q *Queue) nextDue(ctx context.Context, kinds []any, marks string) (int64, bool, error) {
	var queued, lease sql.NullInt64
	if err := q.DB.R.QueryRowContext(ctx, fmt.Sprintf(nextDueSQL, marks), append(kinds, kinds...)...).Scan(&queued, &lease); err != nil {
		return 0, false, err
	}
	switch {
	case queued.Valid && lease.Valid:
		return min(queued.Int64, lease.Int64), true, nil
	case queued.Valid:
		return queued.Int64, true, nil
	}
	return lease.Int64, lease.Valid, nil
}

// tick ticks the minute the process starts in, then each minute as it begins. The start's
// tick makes a node that (re)starts within a scheduled minute — the daily pass's, a cron
// rule's — do that minute's work rather than skip it; the slot's key keeps it to one job when
// another node, or this one before a restart, ticked the minute already.
func (q *Queue) tick(ctx context.Context) {
	for {
		if err := q.Tick(ctx, q.Now()); err != nil && ctx.Err() == nil {
			log.Printf("jobs: schedule: %v", err)
		}
		now := q.Now()
		select {
		case <-ctx.Done():
			return
		case <-time.After(now.Truncate(time.Minute).Add(time.Minute).Sub(now)):
		}
	}
}

func init() {
	problem.AddMessage("job_abandoned", "已尝试 {attempts} 次，每次都在完成前中断（进程停止），不再重试",
		"tried {attempts} times, and each time the process stopped before it finished; it is not tried again")
}
