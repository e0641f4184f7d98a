package rules

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log"
	"regexp"
	"slices"
	"strings"
	"time"

	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
)

// job is a queued side effect: the rule, the record that fired it (as it was then) and
// how deep in a chain of rules it is.
type job struct {
	ID     int64          `json:"-"`
	Rule   string         `json:"rule"`
	Table  string         `json:"table"`
	Record records.Record `json:"record"`
	Depth  int            `json:"-"`
}

// MaxAttempts is how often a failing side effect is tried before it is given up (the rule
// shows the error).
const MaxAttempts = 5

func (e *Engine) enqueue(ctx context.Context, tx *sql.Tx, c *compiled, rec records.Record, depth int) error {
	payload, err := json.Marshal(job{Rule: c.r.ID, Table: c.t.ID, Record: rec})
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO _queue(rule_id, payload, depth, run_at) VALUES(?, ?, ?, ?)",
		c.r.ID, string(payload), depth, e.Now().UTC().Format(time.RFC3339))
	return err
}

func (e *Engine) signal() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Work runs the queued side effects until ctx ends: at once when work is queued, and every
// few seconds for retries and for work left by a previous run of the process.
func (e *Engine) Work(ctx context.Context) {
	for {
		for {
			n, err := e.WorkOnce(ctx)
			if err != nil && ctx.Err() == nil {
				log.Printf("rules: queue: %v", err)
			}
			if n == 0 || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-e.wake:
			time.Sleep(20 * time.Millisecond) // let the write that queued it commit
		case <-time.After(3 * time.Second):
		}
	}
}

// WorkOnce runs the side effects that are due, at most 100, and returns how many it ran.
func (e *Engine) WorkOnce(ctx context.Context) (int, error) {
	now := e.Now().UTC().Format(time.RFC3339)
	rows, err := e.DB.R.QueryContext(ctx, `SELECT id, payload, depth, attempts FROM _queue
		WHERE run_at <= ? AND attempts < ? ORDER BY id LIMIT 100`, now, MaxAttempts)
	if err != nil {
		return 0, err
	}
	type item struct {
		j        job
		attempts int
	}
	var items []item
	for rows.Next() {
		var it item
		var payload string
		if err := rows.Scan(&it.j.ID, &payload, &it.j.Depth, &it.attempts); err != nil {
			rows.Close()
			return 0, err
		}
		if err := json.Unmarshal([]byte(payload), &it.j); err != nil {
			rows.Close()
			return 0, err
		}
		items = append(items, it)
	}
	rows.Close()
	for _, it := range items {
		err := e.run(ctx, it.j)
		if err == nil {
			continue
		}
		// Try again later (1, 4, 9, 16 minutes), then give up and show why on the rule.
		next := e.Now().Add(time.Duration((it.attempts+1)*(it.attempts+1)) * time.Minute).UTC().Format(time.RFC3339)
		e.DB.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "UPDATE _queue SET attempts = attempts + 1, run_at = ?, error = ? WHERE id = ?", next, err.Error(), it.j.ID)
			return err
		})
		if it.attempts+1 >= MaxAttempts || depthExceeded(err) {
			e.setStatus(ctx, it.j.Rule, false, err.Error())
		}
	}
	return len(items), nil
}

type errDepth struct{ rule string }

func (e errDepth) Error() string {
	return fmt.Sprintf("规则「%s」连锁触发超过 %d 层，已停止 / rules triggered each other more than %d levels deep and were stopped", e.rule, MaxDepth, MaxDepth)
}

func depthExceeded(err error) bool { _, ok := err.(errDepth); return ok }

// run does the side effects of one fired rule and removes the job, all in one transaction,
// so each happens exactly once. Records are created through the records engine (their own
// rules run, one level deeper).
func (e *Engine) run(ctx context.Context, j job) error {
	done := func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM _queue WHERE id = ?", j.ID)
		return err
	}
	r, err := e.Rule(j.Rule)
	if err != nil { // deleted since: nothing to do
		return e.DB.Tx(ctx, done)
	}
	t, err := e.Catalog.Table(j.Table)
	if err != nil {
		return e.DB.Tx(ctx, done)
	}
	c, err := cloneRule(r).check(e.Catalog, e.userExists)
	if err != nil {
		return err
	}
	if j.Depth >= MaxDepth {
		e.DB.Tx(ctx, done)
		return errDepth{rule: r.Name}
	}
	rec := fromJSON(t, j.Record)
	env := e.formulaEnv()
	return e.DB.Tx(ctx, func(tx *sql.Tx) error {
		for i := range r.Actions {
			a := &r.Actions[i]
			switch {
			case a.Type == ActCreate:
				target, err := e.Catalog.Table(a.Target)
				if err != nil {
					return err
				}
				in := records.Input{}
				for id, v := range a.Values {
					if fm := c.creates[i][id]; fm != nil {
						if v, err = fm.Eval(rec, env); err != nil {
							return err
						}
					}
					in[id] = v
				}
				if e.Records == nil {
					return fmt.Errorf("no records engine")
				}
				if _, err := e.Records.CreateTx(context.WithValue(ctx, depthKey{}, j.Depth+1), tx, access.System, target, in); err != nil {
					return err
				}
			case a.Type == ActNotify && e.Inbox != nil:
				to := append([]int64(nil), a.Users...)
				if a.Owner {
					if u, ok := rec[schema.FieldOwner].(int64); ok {
						to = append(to, u)
					}
				}
				if len(a.Roles) > 0 && e.Users != nil {
					for _, u := range e.Users.List() {
						if slices.Contains(a.Roles, u.Role) {
							to = append(to, u.ID)
						}
					}
				}
				link := fmt.Sprintf("/t/%s?record=%d", t.ID, rec.ID())
				if err := e.Inbox.SendTx(ctx, tx, to, fill(a.Title, t, rec), fill(a.Body, t, rec), link); err != nil {
					return err
				}
			}
		}
		return done(tx)
	})
}

// fromJSON restores a record decoded from JSON to storage form.
func fromJSON(t *schema.Table, in records.Record) records.Record {
	out := records.Record{}
	for id, v := range in {
		f := t.Field(id)
		if f == nil {
			continue
		}
		switch x := v.(type) {
		case float64:
			if f.Type == schema.User || f.Type == schema.Link || f.ID == schema.FieldID {
				v = int64(x)
			}
		case []any:
			list := make([]string, 0, len(x))
			for _, s := range x {
				list = append(list, fmt.Sprint(s))
			}
			v = list
		}
		out[id] = v
	}
	return out
}

var placeholder = regexp.MustCompile(`\{([^{}]+)\}`)

// fill replaces {字段名} in a notification text with the record's values.
func fill(text string, t *schema.Table, rec records.Record) string {
	return placeholder.ReplaceAllStringFunc(text, func(m string) string {
		f := t.Field(strings.TrimSpace(m[1 : len(m)-1]))
		if f == nil {
			return m
		}
		switch v := rec[f.ID].(type) {
		case nil:
			return ""
		case []string:
			return strings.Join(v, "、")
		default:
			return fmt.Sprint(v)
		}
	})
}
