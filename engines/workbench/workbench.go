// Package workbench is each person's home page (工作台): their open to-dos, their unread
// notifications, their customers per grade and the records they opened last, read in one
// call with a few set-based queries, everything within what the person may read.
package workbench

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/engines/inbox"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// Engine reads workbenches and keeps the recently opened records.
type Engine struct {
	DB      *store.DB
	Catalog *schema.Catalog
	Records *records.Service
	Inbox   *inbox.Service
	// Tasks are where open to-dos come from: the 待办任务 table of the 客户管理 template
	// (RecordTasks) and the flows' tasks.
	Tasks []TaskSource
	// Grades is the select field counted on "my customers by grade" (客户 / 客户等级); nil: none.
	Grades *Grades
	Now    func() time.Time
}

// New returns a workbench over the engines; the template sets Tasks and Grades.
func New(db *store.DB, cat *schema.Catalog, recs *records.Service, in *inbox.Service) *Engine {
	return &Engine{DB: db, Catalog: cat, Records: recs, Inbox: in, Now: time.Now}
}

// How much a workbench shows, and how many opened records are kept per user.
const (
	ShownTasks   = 8
	ShownNotices = 5
	ShownRecent  = 8
	KeptRecent   = 20 // more than shown, so records that become unreadable leave the list full
)

// Board is one person's workbench.
type Board struct {
	Tasks         Tasks         `json:"tasks"`
	Notifications Notifications `json:"notifications"`
	Grades        *GradeCounts  `json:"grades"` // nil: the template's grade field is not there
	Recent        []Recent      `json:"recent"`
}

// Tasks are the person's open to-dos, those due first first, and where to see all of them.
type Tasks struct {
	Items   []Task   `json:"items"`
	Total   int64    `json:"total"`
	Sources []Source `json:"sources"` // empty: no to-do table (the template is not installed)
}

// Task is one open to-do.
type Task struct {
	Source  string `json:"source"` // "record": a record of a to-do table; "flow": a flow's task
	Table   string `json:"table"`  // the table's id
	ID      int64  `json:"id"`
	Title   string `json:"title"`
	Due     string `json:"due,omitempty"` // RFC 3339
	Status  string `json:"status,omitempty"`
	Overdue bool   `json:"overdue,omitempty"`
	Link    string `json:"link"` // where the UI opens it
}

// Source is a place where to-dos live, with the condition that lists the person's open ones
// in their table, or the page that lists them.
type Source struct {
	Table  string     `json:"table,omitempty"` // id
	Name   string     `json:"name"`
	Filter *cond.Node `json:"filter,omitempty"`
	Link   string     `json:"link,omitempty"` // where the UI lists them, when not a table's grid
	Total  int64      `json:"total"`
}

// Notifications are the person's newest unread notices and how many are unread.
type Notifications struct {
	Items  []inbox.Notice `json:"items"`
	Unread int            `json:"unread"`
}

// GradeCounts counts the person's own records per value of the grade field (every option,
// in the options' order, then the ungraded ones), each with the condition that lists them.
type GradeCounts struct {
	Table     string       `json:"table"` // id
	TableName string       `json:"tableName"`
	Field     string       `json:"field"`
	Items     []GradeCount `json:"items"`
	Total     int64        `json:"total"`
}

// GradeCount is one grade; Value "" is "not graded".
type GradeCount struct {
	Value  string     `json:"value"`
	Color  string     `json:"color,omitempty"`
	Count  int64      `json:"count"`
	Filter *cond.Node `json:"filter"`
}

// Recent is a record the person opened, newest first.
type Recent struct {
	Table     string `json:"table"` // id
	TableName string `json:"tableName"`
	ID        int64  `json:"id"`
	Title     string `json:"title"`
	At        string `json:"at"`
	Link      string `json:"link"`
}

// Grades names the table and select field of "my customers by grade".
type Grades struct{ Table, Field string }

// TaskSource gives a person's open to-dos: at most limit of them, those due first first,
// and where they live. A source whose table is missing gives nothing.
type TaskSource interface {
	Open(ctx context.Context, e *Engine, a access.Actor, limit int) ([]Task, *Source, error)
}

// Board reads the actor's workbench.
func (e *Engine) Board(ctx context.Context, a access.Actor) (*Board, error) {
	b := &Board{Tasks: Tasks{Items: []Task{}, Sources: []Source{}}, Recent: []Recent{}}
	for _, src := range e.Tasks {
		items, s, err := src.Open(ctx, e, a, ShownTasks)
		if err != nil {
			return nil, err
		}
		if s != nil {
			b.Tasks.Items = append(b.Tasks.Items, items...)
			b.Tasks.Total += s.Total
			b.Tasks.Sources = append(b.Tasks.Sources, *s)
		}
	}
	slices.SortStableFunc(b.Tasks.Items, func(x, y Task) int { return compareDue(x.Due, y.Due) })
	b.Tasks.Items = b.Tasks.Items[:min(len(b.Tasks.Items), ShownTasks)]
	var err error
	if e.Inbox != nil {
		if b.Notifications.Items, b.Notifications.Unread, err = e.Inbox.List(ctx, a.UserID, true, ShownNotices); err != nil {
			return nil, err
		}
	}
	if b.Grades, err = e.gradeCounts(ctx, a); err != nil {
		return nil, err
	}
	if b.Recent, err = e.recent(ctx, a, ShownRecent); err != nil {
		return nil, err
	}
	return b, nil
}

// compareDue orders due times, the empty ones last.
func compareDue(x, y string) int {
	switch {
	case x == y:
		return 0
	case x == "":
		return 1
	case y == "":
		return -1
	case x < y:
		return -1
	}
	return 1
}

func mine(a access.Actor) *cond.Node {
	return &cond.Node{Field: schema.FieldOwner, Op: "eq", Value: a.UserID}
}

// gradeCounts counts the actor's own records per grade: one GROUP BY within their scope.
func (e *Engine) gradeCounts(ctx context.Context, a access.Actor) (*GradeCounts, error) {
	if e.Grades == nil {
		return nil, nil
	}
	t, err := e.Catalog.Table(e.Grades.Table)
	if err != nil {
		return nil, nil
	}
	f := t.Field(e.Grades.Field)
	if f == nil || f.Type != schema.Select || !access.FieldsOf(a, t).Visible(f.ID) {
		return nil, nil
	}
	groups, err := e.Records.CountBy(ctx, a, t, mine(a), f.ID)
	if err != nil {
		return nil, err
	}
	count := map[string]int64{}
	out := &GradeCounts{Table: t.ID, TableName: t.Name, Field: f.Name, Items: []GradeCount{}}
	for _, g := range groups {
		v, _ := g.Value.(string)
		count[v] += g.Count
		out.Total += g.Count
	}
	of := func(value, color string, when *cond.Node) GradeCount {
		return GradeCount{Value: value, Color: color, Count: count[value], Filter: &cond.Node{And: []*cond.Node{mine(a), when}}}
	}
	for _, o := range f.Options {
		out.Items = append(out.Items, of(o.Value, o.Color, &cond.Node{Field: f.Name, Op: "eq", Value: o.Value}))
		delete(count, o.Value)
	}
	// Values no longer among the options (kept by old records) and the empty ones follow.
	for v := range count {
		if v != "" {
			out.Items = append(out.Items, of(v, "", &cond.Node{Field: f.Name, Op: "eq", Value: v}))
		}
	}
	slices.SortStableFunc(out.Items[len(f.Options):], func(x, y GradeCount) int { return int(y.Count - x.Count) })
	if count[""] > 0 {
		out.Items = append(out.Items, of("", "", &cond.Node{Field: f.Name, Op: "empty"}))
	}
	return out, nil
}

// Opened puts a record the actor may read at the top of their recently opened records,
// keeping the newest KeptRecent.
func (e *Engine) Opened(ctx context.Context, a access.Actor, table string, id int64) error {
	t, err := e.Catalog.Table(table)
	if err != nil {
		return err
	}
	if found, err := e.Records.TitlesOf(ctx, a, t, []int64{id}); err != nil {
		return err
	} else if _, ok := found[id]; !ok {
		return problem.NotFound("record", fmt.Sprint(id))
	}
	at := e.Now().UTC().Format(time.RFC3339)
	return e.DB.Tx(ctx, func(tx *sql.Tx) error {
		// Two tabs opening the same record must not both insert it (PostgreSQL; SQLite's
		// single writer runs one at a time).
		if err := e.DB.Dialect.Lock(ctx, tx, fmt.Sprint("workbench.recent.", a.UserID)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM _recent WHERE user_id = ? AND table_id = ? AND record_id = ?", a.UserID, t.ID, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO _recent(user_id, table_id, record_id, at) VALUES(?, ?, ?, ?)", a.UserID, t.ID, id, at); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM _recent WHERE user_id = ? AND id <= (SELECT id FROM _recent WHERE user_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
			a.UserID, a.UserID, KeptRecent)
		return err
	})
}

// recent lists the actor's recently opened records that still exist and that they may still
// read, with their titles: one query for the list, one per table in it.
func (e *Engine) recent(ctx context.Context, a access.Actor, limit int) ([]Recent, error) {
	rows, err := e.DB.R.QueryContext(ctx, "SELECT table_id, record_id, at FROM _recent WHERE user_id = ? ORDER BY id DESC LIMIT ?", a.UserID, KeptRecent)
	if err != nil {
		return nil, err
	}
	var list []Recent
	ids := map[string][]int64{}
	for rows.Next() {
		var r Recent
		if err := rows.Scan(&r.Table, &r.ID, &r.At); err != nil {
			rows.Close()
			return nil, err
		}
		list = append(list, r)
		ids[r.Table] = append(ids[r.Table], r.ID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	titles := map[string]map[int64]string{}
	names := map[string]string{}
	for table, some := range ids {
		t, err := e.Catalog.Table(table)
		if err != nil {
			continue // the table was deleted
		}
		if titles[table], err = e.Records.TitlesOf(ctx, a, t, some); err != nil {
			return nil, err
		}
		names[table] = t.Name
	}
	out := []Recent{}
	for _, r := range list {
		title, ok := titles[r.Table][r.ID]
		if !ok {
			continue
		}
		if title == "" {
			title = fmt.Sprintf("#%d", r.ID)
		}
		r.Title, r.TableName = title, names[r.Table]
		r.Link = fmt.Sprintf("/t/%s?record=%d", r.Table, r.ID)
		if out = append(out, r); len(out) == limit {
			break
		}
	}
	return out, nil
}

// RecordTasks are to-dos kept as records of a table (the template's 待办任务): a person's
// open ones are those they are 负责人 of whose status is not one of Done.
type RecordTasks struct {
	Table  string   // 待办任务
	Title  string   // 任务标题; "" for the table's title field
	Due    string   // 截止时间 (date or date-time); "" for none
	Status string   // 状态; "" for none (then every to-do is open)
	Done   []string // 已完成
}

// Open lists the actor's open to-dos: those with a due time first, soonest first, then the
// others, newest first (three indexed queries, whatever the table's size).
func (rt RecordTasks) Open(ctx context.Context, e *Engine, a access.Actor, limit int) ([]Task, *Source, error) {
	t, err := e.Catalog.Table(rt.Table)
	if err != nil {
		return nil, nil, nil
	}
	fs := access.FieldsOf(a, t)
	field := func(name string) *schema.Field {
		if f := t.Field(name); f != nil && name != "" && fs.Visible(f.ID) {
			return f
		}
		return nil
	}
	title, due, status := field(rt.Title), field(rt.Due), field(rt.Status)
	if title == nil {
		title = t.Title()
	}
	open := []*cond.Node{mine(a)}
	if status != nil && len(rt.Done) > 0 {
		done := make([]any, len(rt.Done))
		for i, d := range rt.Done {
			done[i] = d
		}
		open = append(open, &cond.Node{Field: status.Name, Op: "nin", Value: done})
	}
	src := &Source{Table: t.ID, Name: t.Name, Filter: &cond.Node{And: open}}
	if src.Total, err = e.Records.Count(ctx, a, t, src.Filter); err != nil {
		return nil, nil, err
	}
	var recs []records.Record
	if due != nil {
		page, err := e.Records.List(ctx, a, t, records.Query{SkipTotal: true, Limit: limit, Sort: due.Name,
			Filter: &cond.Node{And: append(slices.Clone(open), &cond.Node{Field: due.Name, Op: "notEmpty"})}})
		if err != nil {
			return nil, nil, err
		}
		recs = page.Items
	}
	if len(recs) < limit {
		filter := src.Filter
		if due != nil {
			filter = &cond.Node{And: append(slices.Clone(open), &cond.Node{Field: due.Name, Op: "empty"})}
		}
		page, err := e.Records.List(ctx, a, t, records.Query{SkipTotal: true, Limit: limit - len(recs), Sort: "-id", Filter: filter})
		if err != nil {
			return nil, nil, err
		}
		recs = append(recs, page.Items...)
	}
	now := e.Now()
	if e.Records.Loc != nil {
		now = now.In(e.Records.Loc)
	}
	tasks := make([]Task, 0, len(recs))
	for _, r := range recs {
		k := Task{Source: "record", Table: t.ID, ID: r.ID(), Link: fmt.Sprintf("/t/%s?record=%d", t.ID, r.ID())}
		if title != nil {
			k.Title = title.Display(r[title.ID], nil)
		}
		if k.Title == "" {
			k.Title = fmt.Sprintf("#%d", k.ID)
		}
		if status != nil {
			k.Status, _ = r[status.ID].(string)
		}
		if due != nil {
			k.Due, _ = r[due.ID].(string)
			k.Overdue = overdue(k.Due, due.Type, now)
		}
		tasks = append(tasks, k)
	}
	return tasks, src, nil
}

// overdue reports whether a due date-time has passed, or a due date is before today (UTC
// dates compare as text; a date is due through its whole day).
func overdue(due string, typ schema.Type, now time.Time) bool {
	if due == "" {
		return false
	}
	if typ == schema.Date {
		return due < now.Format("2006-01-02")
	}
	t, err := time.Parse(time.RFC3339, due)
	return err == nil && t.Before(now)
}
