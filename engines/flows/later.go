package flows

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"tierbase/platform/jobs"
)

// writes are the task rows, steps and timers of instances started together (see
// startCreated), held back while they start to be written each kind in one statement
// (flush). An instance with none (later nil) writes them at once.
type writes struct {
	tasks []any       // taskColumns values each
	steps []*instance // instances whose step changed: written as it is at the flush
	jobs  []jobs.Pending
}

// taskColumns is how many values a task row has (see addTask).
const taskColumns = 8

// addTask adds a task of the instance's step at node for user, seq its place in a 依次
// node's order, made at now and due when it falls due ("" for never).
func (e *Engine) addTask(ctx context.Context, tx *sql.Tx, in *instance, node string, user int64, state string, seq int, now, due string) error {
	row := []any{in.id, node, in.step, user, state, seq, now, due}
	if in.later != nil {
		in.later.tasks = append(in.later.tasks, row...)
		return nil
	}
	return insertTasks(ctx, tx, row)
}

// insertTasks writes task rows (taskColumns values each), up to 500 a statement.
func insertTasks(ctx context.Context, tx *sql.Tx, rows []any) error {
	for chunk := range slices.Chunk(rows, 500*taskColumns) {
		if _, err := tx.ExecContext(ctx, "INSERT INTO _flow_tasks(instance_id, node_id, step, user_id, state, seq, created_at, due_at) VALUES "+
			strings.Repeat(",(?, ?, ?, ?, ?, ?, ?, ?)", len(chunk)/taskColumns)[1:], chunk...); err != nil {
			return err
		}
	}
	return nil
}

// setStep writes the instance's step.
func (e *Engine) setStep(ctx context.Context, tx *sql.Tx, in *instance) error {
	if w := in.later; w != nil {
		if n := len(w.steps); n == 0 || w.steps[n-1] != in {
			w.steps = append(w.steps, in)
		}
		return nil
	}
	_, err := tx.ExecContext(ctx, "UPDATE _flow_instances SET step = ? WHERE id = ?", in.step, in.id)
	return err
}

// queue queues a timer of the instance (see enqueue).
func (e *Engine) queue(ctx context.Context, tx *sql.Tx, in *instance, kind string, t timer, at time.Time) error {
	if in.later == nil {
		return e.enqueue(ctx, tx, kind, t, at)
	}
	in.later.jobs = append(in.later.jobs, jobs.Pending{Kind: kind, Key: t.key(kind), Payload: t, At: at})
	return nil
}

// flush writes what w holds: the steps, one statement per step, the tasks and the timers.
func (e *Engine) flush(ctx context.Context, tx *sql.Tx, w *writes) error {
	if w == nil {
		return nil
	}
	var steps []int
	ids := map[int][]any{}
	for _, in := range w.steps {
		if ids[in.step] == nil {
			steps = append(steps, in.step)
		}
		ids[in.step] = append(ids[in.step], in.id)
	}
	for _, step := range steps {
		for chunk := range slices.Chunk(ids[step], 500) {
			if _, err := tx.ExecContext(ctx, "UPDATE _flow_instances SET step = ? WHERE id IN ("+strings.Repeat(", ?", len(chunk))[2:]+")",
				append([]any{step}, chunk...)...); err != nil {
				return err
			}
		}
	}
	if err := insertTasks(ctx, tx, w.tasks); err != nil {
		return err
	}
	if len(w.jobs) > 0 {
		if err := e.Jobs.EnqueueMany(ctx, tx, w.jobs); err != nil {
			return err
		}
	}
	*w = writes{}
	return nil
}
