package rules

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"regexp"
	"slices"
	"strings"
	"time"

	"tierbase/core/access"
	"tierbase/core/org"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/engines/channels"
	"tierbase/platform/jobs"
)

// The kinds of job the rules engine puts in the job queue (package jobs).
const (
	kindEffect = "rule"       // the side effects (create, notify) of one fired rule for one record
	kindCron   = "rule.cron"  // one scheduled run of a cron rule, keyed cron:<rule>:<minute>
	kindDaily  = "rule.daily" // the daily pass, keyed daily:<date>
)

// effect is the payload of a queued side effect: the rule, the record that fired it (as it
// was then) and how deep in a chain of rules it is.
type effect struct {
	Rule   string         `json:"rule"`
	Table  string         `json:"table"`
	Record records.Record `json:"record"`
	Depth  int            `json:"depth"`
}

// MaxAttempts is how often a failing side effect is tried before it is given up (the rule
// shows the error).
const MaxAttempts = 5

// UseJobs makes q the queue of the engine's side effects and scheduled runs: it registers
// their kinds and a minute tick that queues the cron rules and the daily pass when due.
func (e *Engine) UseJobs(q *jobs.Queue) {
	e.Jobs = q
	showError := func(ctx context.Context, j *jobs.Job, err error) {
		var p struct{ Rule string }
		if j.Decode(&p) == nil {
			e.setStatus(ctx, p.Rule, false, err.Error())
		}
	}
	q.Handle(kindEffect, jobs.Kind{Tx: e.runEffect, MaxAttempts: MaxAttempts, Failed: showError})
	q.Handle(kindCron, jobs.Kind{Tx: e.runCron, MaxAttempts: 1, Failed: showError})
	q.Handle(kindDaily, jobs.Kind{Run: func(ctx context.Context, j *jobs.Job) error { _, err := e.DailyPass(ctx); return err },
		MaxAttempts: 3, Failed: func(ctx context.Context, j *jobs.Job, err error) { log.Printf("daily pass %s: %v", j.Key, err) }})
	q.Every(e.schedule)
}

// enqueue queues the side effects of c for rec, inside the write's transaction: the one
// place the engine queues them (after a write, a set-wise run, a regrade).
func (e *Engine) enqueue(ctx context.Context, tx *sql.Tx, c *compiled, rec records.Record, depth int) error {
	if e.Jobs == nil {
		return fmt.Errorf("rules: no job queue for the side effects of %q", c.r.Name)
	}
	_, err := e.Jobs.Enqueue(ctx, tx, kindEffect, "", effect{Rule: c.r.ID, Table: c.t.ID, Record: rec, Depth: depth}, time.Time{})
	return err
}

// schedule queues, for the minute that has come, the runs of the cron rules it matches and
// the daily pass at its time. The keys make one job of each, however many processes tick.
func (e *Engine) schedule(ctx context.Context, tx *sql.Tx, minute time.Time) error {
	m := minute.In(e.loc())
	slot := minute.UTC().Format("2006-01-02T15:04Z")
	for _, r := range e.Rules() {
		if !r.Enabled {
			continue
		}
		for _, tr := range r.Triggers {
			if tr.On != OnSchedule {
				continue
			}
			if cr, err := jobs.ParseCron(tr.Cron); err == nil && cr.Matches(m) {
				if _, err := e.Jobs.Enqueue(ctx, tx, kindCron, "cron:"+r.ID+":"+slot, map[string]string{"rule": r.ID}, minute); err != nil {
					return err
				}
				break
			}
		}
	}
	if at := time.Duration(m.Hour())*time.Hour + time.Duration(m.Minute())*time.Minute; at == e.DailyAt {
		_, err := e.Jobs.Enqueue(ctx, tx, kindDaily, "daily:"+m.Format(time.DateOnly), nil, minute)
		return err
	}
	return nil
}

// runCron runs a cron rule once, in the job's transaction.
func (e *Engine) runCron(ctx context.Context, tx *sql.Tx, j *jobs.Job) error {
	var p struct{ Rule string }
	if err := j.Decode(&p); err != nil {
		return jobs.Permanent(err)
	}
	r, err := e.Rule(p.Rule)
	if err != nil || !r.Enabled { // deleted or disabled since
		return nil
	}
	c, err := cloneRule(r).check(e.Catalog, e.userExists)
	if err != nil {
		return err
	}
	if _, err := e.runRule(ctx, tx, c); err != nil {
		return err
	}
	return e.statusTx(ctx, tx, r.ID, true, "")
}

type errDepth struct{ rule string }

func (e errDepth) Error() string {
	return fmt.Sprintf("规则「%s」连锁触发超过 %d 层，已停止 / rules triggered each other more than %d levels deep and were stopped", e.rule, MaxDepth, MaxDepth)
}

// runEffect does the side effects of one fired rule inside the job's transaction, which
// also completes the job, so each happens exactly once. Records are created through the
// records engine (their own rules run, one level deeper).
func (e *Engine) runEffect(ctx context.Context, tx *sql.Tx, jb *jobs.Job) error {
	var j effect
	if err := jb.Decode(&j); err != nil {
		return jobs.Permanent(err)
	}
	r, err := e.Rule(j.Rule)
	if err != nil { // deleted since: nothing to do
		return nil
	}
	t, err := e.Catalog.Table(j.Table)
	if err != nil {
		return nil
	}
	var c *compiled
	for _, a := range e.active(t) { // compiled already, unless disabled since
		if a.r.ID == r.ID {
			c = a
		}
	}
	if c == nil {
		if c, err = cloneRule(r).check(e.Catalog, e.userExists); err != nil {
			return err
		}
	}
	if j.Depth >= MaxDepth {
		return jobs.Permanent(errDepth{rule: r.Name})
	}
	rec := fromJSON(t, j.Record)
	env := e.formulaEnv()
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
					if f := target.Field(id); v == 0.0 && f != nil && (f.Type == schema.User || f.Type == schema.Link) {
						v = nil // an empty user or link reads as 0 in formulas: no one, not user 0
					}
				}
				in[id] = v
			}
			if e.Records == nil {
				return fmt.Errorf("no records engine")
			}
			if _, err := e.Records.CreateTx(records.ForRule(context.WithValue(ctx, depthKey{}, j.Depth+1), r.Name), tx, access.System, target, in); err != nil {
				return err
			}
		case a.Type == ActStartFlow:
			if e.Flows == nil {
				return jobs.Permanent(fmt.Errorf("no flow engine for 发起流程"))
			}
			if err := e.Flows.StartTx(ctx, tx, a.Flow, t, rec); err != nil {
				return err
			}
		case a.Type == ActWebhook:
			if e.Webhooks == nil {
				return jobs.Permanent(fmt.Errorf("no webhooks for 调用 Webhook"))
			}
			if err := e.Webhooks.CallTx(ctx, tx, a.Webhook, t, rec, a.Payload); err != nil {
				return err
			}
		case a.Type == ActRobot && e.Channels != nil:
			if err := e.postToRobot(ctx, tx, a, t, rec); err != nil {
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
					if slices.ContainsFunc(org.RolesOf(u), func(r string) bool { return slices.Contains(a.Roles, r) }) {
						to = append(to, u.ID)
					}
				}
			}
			// Each recipient is told only what they may read of the record: one who may not
			// read it at all is not told of it.
			link := fmt.Sprintf("/t/%s?record=%d", t.ID, rec.ID())
			slices.Sort(to)
			for _, id := range slices.Compact(to) {
				if e.Users == nil || e.Records == nil {
					break
				}
				u, ok := e.Users.Get(id)
				if !ok {
					continue
				}
				seen, ok, err := e.Records.As(e.Users.ActorOf(u), t, rec)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
				if err := e.Inbox.SendTx(ctx, tx, []int64{id}, e.fill(a.Title, t, seen), e.fill(a.Body, t, seen), link); err != nil {
					return err
				}
			}
		}
	}
	return nil
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

// fill replaces {字段名} in a notification text with the record's values, written as the UI
// shows them (¥67,809.96, 1,234.5, users by name).
func (e *Engine) fill(text string, t *schema.Table, rec records.Record) string {
	return placeholder.ReplaceAllStringFunc(text, func(m string) string {
		f := t.Field(strings.TrimSpace(m[1 : len(m)-1]))
		if f == nil {
			return m
		}
		if id, ok := rec[f.ID].(int64); ok && f.Type == schema.User && e.Users != nil {
			if u, ok := e.Users.Get(id); ok {
				return u.Name
			}
		}
		return f.Display(rec[f.ID], e.Loc)
	})
}

// postToRobot queues a robot action's message for the record rec of t. A group is outside
// the permissions, so 敏感 fields show masked in the text; @ placeholders give the numbers
// (or, for an email channel, the addresses: an email field, or a person's).
func (e *Engine) postToRobot(ctx context.Context, tx *sql.Tx, a *Action, t *schema.Table, rec records.Record) error {
	shown := records.Record{}
	for id, v := range rec {
		if f := t.Field(id); f != nil && f.Sensitive {
			v = records.Mask(f, f.Unseal(v))
		}
		shown[id] = v
	}
	m := channels.Message{Title: e.fill(a.Title, t, shown), Text: e.fill(a.Body, t, shown), Markdown: a.Markdown}
	if m.Text == "" {
		m.Text = m.Title
	}
	if base := e.Channels.PublicURL; base != "" {
		m.Link = strings.TrimRight(base, "/") + fmt.Sprintf("/t/%s?record=%d", t.ID, rec.ID())
	}
	for _, at := range a.At { // a mobile number to @ in a group, or an email channel's recipient
		at = strings.TrimSpace(at)
		if m := placeholder.FindStringSubmatch(at); m != nil {
			at = ""
			if f := t.Field(strings.TrimSpace(m[1])); f != nil {
				if id, ok := rec[f.ID].(int64); ok && f.Type == schema.User && e.Users != nil {
					if u, ok := e.Users.Get(id); ok {
						at = u.Email
					}
				} else {
					at, _ = f.Unseal(rec[f.ID]).(string)
				}
			}
		}
		switch {
		case strings.Contains(at, "@"):
			m.To = append(m.To, at)
		case at != "":
			m.AtPhones = append(m.AtPhones, at)
		}
	}
	return e.Channels.SendTx(ctx, tx, a.Robot, m)
}
