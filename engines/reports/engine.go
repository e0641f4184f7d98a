package reports

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"tierbase/core/access"
	"tierbase/core/schema"
	"tierbase/core/users"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// Notifier delivers a message to users' inboxes (the rule engine's notification inbox
// satisfies it). link is a path in the web UI, e.g. /dashboards/dsh….
type Notifier interface {
	SendTx(ctx context.Context, tx *sql.Tx, userIDs []int64, title, body, link string) error
}

// Engine keeps dashboards and charts and computes chart data.
type Engine struct {
	DB       *store.DB
	Catalog  *schema.Catalog
	Users    *users.Service
	Notifier Notifier // where alerts go; nil: alerts are only logged
	// Departments names every department by id (package org), for dimensions over 部门 fields.
	Departments func() map[string]string
	Now         func() time.Time // injectable clock: "today" of relative dates and periods
	Loc         *time.Location   // zone of date buckets and periods; nil means time.Local

	mu         sync.Mutex
	dashboards []*Dashboard // without Charts
	charts     map[string]*Chart
	cache      map[string]*Result
	cacheAt    uint64 // DB.Writes() the cached results were computed at
}

// Open loads the dashboards and charts.
func Open(db *store.DB, cat *schema.Catalog, us *users.Service) (*Engine, error) {
	e := &Engine{DB: db, Catalog: cat, Users: us, Now: time.Now, charts: map[string]*Chart{},
		cache: map[string]*Result{}}
	return e, e.Reload(context.Background())
}

// Dashboards lists the dashboards, without their charts.
func (e *Engine) Dashboards() []*Dashboard {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*Dashboard, len(e.dashboards))
	for i, d := range e.dashboards {
		c := *d
		out[i] = &c
	}
	return out
}

// Dashboard finds a dashboard by id or name, with its charts in layout order.
func (e *Engine) Dashboard(ref string) (*Dashboard, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	d := e.dashboard(ref)
	if d == nil {
		return nil, problem.NotFound("dashboard", ref)
	}
	out := *d
	out.Charts = []*Chart{}
	for _, it := range d.Layout {
		if c := e.charts[it.Chart]; c != nil {
			out.Charts = append(out.Charts, c)
		}
	}
	return &out, nil
}

func (e *Engine) dashboard(ref string) *Dashboard {
	for _, d := range e.dashboards {
		if d.ID == ref || d.Name == ref {
			return d
		}
	}
	return nil
}

// Chart finds a chart by id.
func (e *Engine) Chart(id string) (*Chart, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.charts[id]
	if c == nil {
		return nil, problem.NotFound("chart", id)
	}
	return c, nil
}

// SaveDashboard creates (empty ID) or updates a dashboard's name, layout and refresh.
// The layout may only place the dashboard's own charts; charts it leaves out keep their place
// at the end.
func (e *Engine) SaveDashboard(ctx context.Context, a access.Actor, d *Dashboard) (*Dashboard, error) {
	if err := access.Can(a, access.ManageSchema); err != nil {
		return nil, err
	}
	d.Name = strings.TrimSpace(d.Name)
	if n := len([]rune(d.Name)); n == 0 || n > maxTitle {
		return nil, invalid("name", "bad_name", "max", maxTitle)
	}
	if d.Refresh < 0 || d.Refresh > 86400 || (d.Refresh > 0 && d.Refresh < 10) {
		return nil, invalid("refresh", "report_refresh")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if o := e.dashboard(d.Name); o != nil && o.ID != d.ID {
		return nil, problem.New(409, "duplicate_name", "name", d.Name).At("name")
	}
	position := len(e.dashboards)
	if d.ID == "" {
		d.ID = schema.NewID("dsh")
		d.Layout = nil
	} else {
		old := e.dashboard(d.ID)
		if old == nil {
			return nil, problem.NotFound("dashboard", d.ID)
		}
		position = slices.Index(e.dashboards, old)
		layout, err := e.checkLayout(d, old)
		if err != nil {
			return nil, err
		}
		d.Layout = layout
	}
	if d.Layout == nil {
		d.Layout = []LayoutItem{}
	}
	d.Charts = nil
	if err := e.store(ctx, "_dashboards", d.ID, position, d); err != nil {
		return nil, err
	}
	if position == len(e.dashboards) {
		e.dashboards = append(e.dashboards, d)
	} else {
		e.dashboards[position] = d
	}
	out := *d
	return &out, nil
}

// checkLayout validates a new layout of old: each of its charts once, sizes on the grid.
func (e *Engine) checkLayout(d, old *Dashboard) ([]LayoutItem, error) {
	if d.Layout == nil {
		return old.Layout, nil
	}
	seen := map[string]bool{}
	out := []LayoutItem{}
	for i, it := range d.Layout {
		c := e.charts[it.Chart]
		if c == nil || c.Dashboard != old.ID || seen[it.Chart] {
			return nil, invalid(fmt.Sprintf("layout[%d].i", i), "report_layout_chart", "value", it.Chart)
		}
		if it.X < 0 || it.Y < 0 || it.W < 1 || it.H < 1 || it.X+it.W > 12 || it.H > 40 || it.Y > 10000 {
			return nil, invalid(fmt.Sprintf("layout[%d]", i), "report_layout_size")
		}
		seen[it.Chart] = true
		out = append(out, it)
	}
	for _, it := range old.Layout {
		if !seen[it.Chart] {
			out = append(out, it)
		}
	}
	return out, nil
}

// DeleteDashboard deletes a dashboard and its charts.
func (e *Engine) DeleteDashboard(ctx context.Context, a access.Actor, ref string) error {
	if err := access.Can(a, access.ManageSchema); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	d := e.dashboard(ref)
	if d == nil {
		return problem.NotFound("dashboard", ref)
	}
	err := e.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM _charts WHERE dashboard_id = ?", d.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM _dashboards WHERE id = ?", d.ID)
		return err
	})
	if err != nil {
		return err
	}
	for id, c := range e.charts {
		if c.Dashboard == d.ID {
			delete(e.charts, id)
		}
	}
	e.dashboards = slices.DeleteFunc(e.dashboards, func(x *Dashboard) bool { return x == d })
	return nil
}

// Check validates a chart definition against the catalog and puts its field references in
// stored form (ids). Errors are 400 problems with the path of the offending part.
func (e *Engine) Check(c *Chart) error {
	if err := checkTitle(c); err != nil {
		return err
	}
	p, err := resolve(e.Catalog, c)
	if err != nil {
		return err
	}
	c.Table = p.t.ID
	idsInFilter(c.Filter, p.t)
	return nil
}

// SaveChart creates (empty ID; placed at the end of its dashboard) or replaces a chart.
func (e *Engine) SaveChart(ctx context.Context, a access.Actor, c *Chart) (*Chart, error) {
	if err := access.Can(a, access.ManageSchema); err != nil {
		return nil, err
	}
	if err := e.Check(c); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var d *Dashboard
	if c.ID == "" {
		if d = e.dashboard(c.Dashboard); d == nil {
			return nil, problem.Invalid("not_found", "kind", "dashboard", "name", c.Dashboard).At("dashboard")
		}
		c.ID, c.CreatedBy, c.Version = schema.NewID("cht"), a.UserID, 1
	} else {
		old := e.charts[c.ID]
		if old == nil {
			return nil, problem.NotFound("chart", c.ID)
		}
		c.Dashboard, c.CreatedBy, c.Version = old.Dashboard, old.CreatedBy, old.Version+1
	}
	c.Dashboard = cmpOr(d, c.Dashboard)
	err := e.DB.Tx(ctx, func(tx *sql.Tx) error {
		def, err := json.Marshal(c)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO _charts(id, dashboard_id, def) VALUES(?, ?, ?)
			ON CONFLICT(id) DO UPDATE SET def = excluded.def`, c.ID, c.Dashboard, string(def)); err != nil {
			return err
		}
		if d == nil {
			return nil
		}
		nd := *d
		nd.Layout = append(slices.Clone(d.Layout), LayoutItem{Chart: c.ID, X: 0, Y: bottom(d.Layout), W: 6, H: 8})
		if err := storeTx(ctx, tx, "_dashboards", nd.ID, slices.Index(e.dashboards, d), &nd); err != nil {
			return err
		}
		d.Layout = nd.Layout
		return nil
	})
	if err != nil {
		return nil, err
	}
	e.charts[c.ID] = c
	return c, nil
}

// cmpOr is the dashboard's id when d is set, else id.
func cmpOr(d *Dashboard, id string) string {
	if d != nil {
		return d.ID
	}
	return id
}

// bottom is the first free row below a layout.
func bottom(layout []LayoutItem) int {
	y := 0
	for _, it := range layout {
		y = max(y, it.Y+it.H)
	}
	return y
}

// DeleteChart deletes a chart and takes it off its dashboard.
func (e *Engine) DeleteChart(ctx context.Context, a access.Actor, id string) error {
	if err := access.Can(a, access.ManageSchema); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.charts[id]
	if c == nil {
		return problem.NotFound("chart", id)
	}
	d := e.dashboard(c.Dashboard)
	err := e.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM _charts WHERE id = ?", id); err != nil {
			return err
		}
		if d == nil {
			return nil
		}
		nd := *d
		nd.Layout = slices.DeleteFunc(slices.Clone(d.Layout), func(it LayoutItem) bool { return it.Chart == id })
		if err := storeTx(ctx, tx, "_dashboards", nd.ID, slices.Index(e.dashboards, d), &nd); err != nil {
			return err
		}
		d.Layout = nd.Layout
		return nil
	})
	if err != nil {
		return err
	}
	delete(e.charts, id)
	return nil
}

func (e *Engine) store(ctx context.Context, table, id string, position int, v any) error {
	return e.DB.Tx(ctx, func(tx *sql.Tx) error { return storeTx(ctx, tx, table, id, position, v) })
}

// storeTx writes a dashboard's definition.
func storeTx(ctx context.Context, tx *sql.Tx, table, id string, position int, v any) error {
	def, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO "+store.Quote(table)+`(id, position, def) VALUES(?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET position = excluded.position, def = excluded.def`, id, position, string(def))
	return err
}

// Data computes the data of a saved chart for actor a with the dashboard filters f: the
// rows a may read only. Results are cached until the database changes.
func (e *Engine) Data(ctx context.Context, a access.Actor, id string, f Filters) (*Result, error) {
	c, err := e.Chart(id)
	if err != nil {
		return nil, err
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	scope := "all"
	if !a.Admin() { // scopes and field permissions differ from person to person
		scope = fmt.Sprint(a.UserID)
	}
	fj, _ := json.Marshal(f)
	key := fmt.Sprintf("%s|%d|%s|%s|%s", c.ID, c.Version, scope, fj, e.Now().In(e.loc()).Format("2006-01-02"))
	writes := e.DB.Writes()
	e.mu.Lock()
	if e.cacheAt != writes || len(e.cache) > 2000 {
		clear(e.cache)
		e.cacheAt = writes
	}
	res := e.cache[key]
	e.mu.Unlock()
	if res == nil {
		if res, err = e.fresh(ctx, a, c, f, key, writes); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// fresh computes a chart's data and caches it under key if nothing was written meanwhile.
func (e *Engine) fresh(ctx context.Context, a access.Actor, c *Chart, f Filters, key string, writes uint64) (*Result, error) {
	res, err := e.compute(ctx, a, c, f)
	if err != nil {
		if pe := problem.As(err); pe != nil && pe.Status == 400 {
			pe.Status = 409 // the saved chart no longer fits the tables (a field was deleted)
		}
		return nil, err
	}
	e.mu.Lock()
	if e.cacheAt == writes {
		e.cache[key] = res
	}
	e.mu.Unlock()
	return res, nil
}

// Preview computes the data of an unsaved definition, for the chart editor; it needs no title.
func (e *Engine) Preview(ctx context.Context, a access.Actor, c *Chart, f Filters) (*Result, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	if c.Dashboard == "" {
		c.Dashboard = "preview"
	}
	return e.compute(ctx, a, c, f)
}

// compute resolves the chart against the catalog as it is now and runs its query.
func (e *Engine) compute(ctx context.Context, a access.Actor, c *Chart, f Filters) (*Result, error) {
	cp := *c
	cp.Dimensions = slices.Clone(c.Dimensions)
	cp.Measures = slices.Clone(c.Measures)
	cp.Columns = slices.Clone(c.Columns)
	p, err := resolve(e.Catalog, &cp)
	if err != nil {
		return nil, err
	}
	if err := sensitive(p); err != nil {
		return nil, err
	}
	if err := e.hidden(p, a); err != nil {
		return nil, err
	}
	res, err := e.run(ctx, p, a, f)
	if err != nil {
		return nil, err
	}
	res.Computed = e.Now().UTC().Format(time.RFC3339)
	res.Alerting = crossed(c.Alert, res.Value)
	return res, nil
}

// crossed reports whether an alert's threshold is crossed by the value v.
func crossed(a *Alert, v *float64) bool {
	if a == nil || v == nil {
		return false
	}
	switch a.Op {
	case "gt":
		return *v > a.Value
	case "gte":
		return *v >= a.Value
	case "lt":
		return *v < a.Value
	case "lte":
		return *v <= a.Value
	case "eq":
		return *v == a.Value
	}
	return false
}

// check validates the dashboard filters.
func (f Filters) check() error {
	for _, x := range []struct{ v, path string }{{f.From, "from"}, {f.To, "to"}} {
		if _, err := time.Parse("2006-01-02", x.v); x.v != "" && err != nil {
			return problem.Invalid("bad_date", "value", x.v).At(x.path)
		}
	}
	if len(f.Owners) > 200 || len(f.Regions) > 100 {
		return problem.Invalid("too_large", "max", 200).At("filters")
	}
	return nil
}

// nameKey lists key i of res among those shown by name when f holds users or departments.
func (e *Engine) nameKey(res *Result, i int, f *schema.Field) {
	switch f.Type {
	case schema.User:
		res.UserKeys = append(res.UserKeys, i)
	case schema.Department:
		res.DepartmentKeys = append(res.DepartmentKeys, i)
	}
}

// keyNames fills the names of the keys nameKey listed.
func (e *Engine) keyNames(res *Result) {
	if res.UserKeys != nil {
		res.Names = e.names()
	}
	if res.DepartmentKeys != nil && e.Departments != nil {
		res.DepartmentNames = e.Departments()
	}
}

// Names maps user ids to names, for dimensions over user fields.
func (e *Engine) names() map[string]string {
	out := map[string]string{}
	if e.Users == nil {
		return out
	}
	for _, u := range e.Users.List() {
		out[fmt.Sprint(u.ID)] = u.Name
	}
	return out
}

// RunAlerts checks the alerts of every chart that has one, every interval until ctx ends.
func (e *Engine) RunAlerts(ctx context.Context, interval time.Duration) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
		e.CheckAlerts(ctx)
	}
}

// CheckAlerts checks the alert of every chart that has one: for each recipient, the chart's
// value within what that recipient may read (so an alert never tells anyone about rows they
// cannot see, and a member is alerted about their own customers), and notifies those whose
// value has newly crossed the threshold.
func (e *Engine) CheckAlerts(ctx context.Context) {
	e.mu.Lock()
	var ids []string
	for id, c := range e.charts {
		if c.Alert != nil {
			ids = append(ids, id)
		}
	}
	e.mu.Unlock()
	slices.Sort(ids)
	for _, id := range ids {
		if err := e.checkAlert(ctx, id); err != nil {
			e.logf("chart %s: alert check: %v", id, err)
		}
	}
}

// checkAlert computes one chart's value per recipient (a query per distinct scope: the
// results are cached by scope) and notifies the recipients whose value newly crossed, those
// with the same value in one message. Whether the alert was crossed for a user is kept in
// _alert_state and changed in the transaction that notifies, so a crossing is told once,
// whichever process checks next.
func (e *Engine) checkAlert(ctx context.Context, id string) error {
	c, err := e.Chart(id)
	if err != nil || c.Alert == nil {
		return err
	}
	type seen struct {
		user     int64
		alerting bool
		value    string
	}
	var now []seen
	for _, u := range e.recipients(c) {
		res, err := e.Data(ctx, e.Users.ActorOf(u), id, Filters{})
		if err != nil {
			return err
		}
		s := seen{user: u.ID, alerting: res.Alerting}
		if res.Alerting {
			s.value = e.amount(c, *res.Value)
		}
		now = append(now, s)
	}
	return e.DB.Tx(ctx, func(tx *sql.Tx) error {
		// Two nodes checking together must not both see "not told yet" (PostgreSQL; SQLite's
		// single writer runs one check at a time).
		if err := e.DB.Dialect.Lock(ctx, tx, "reports.alert."+c.ID); err != nil {
			return err
		}
		byValue := map[string][]int64{}
		for _, s := range now {
			var was bool
			err := tx.QueryRowContext(ctx, "SELECT alerting FROM _alert_state WHERE chart_id = ? AND user_id = ?", c.ID, s.user).Scan(&was)
			if err != nil && err != sql.ErrNoRows {
				return err
			}
			if was == s.alerting && err == nil {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO _alert_state(chart_id, user_id, alerting) VALUES(?, ?, ?)
				ON CONFLICT(chart_id, user_id) DO UPDATE SET alerting = excluded.alerting`, c.ID, s.user, flag(s.alerting)); err != nil {
				return err
			}
			if s.alerting && !was {
				byValue[s.value] = append(byValue[s.value], s.user)
			}
		}
		for _, v := range slices.Sorted(maps.Keys(byValue)) {
			if err := e.notifyAlert(ctx, tx, c, v, byValue[v]); err != nil {
				return err
			}
		}
		return nil
	})
}

// flag is a bool as the 0/1 of an INTEGER column (PostgreSQL takes no Go bool there).
func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// notifyAlert tells the users to, in tx, that the chart's value, v within what they may
// read, has crossed its threshold.
func (e *Engine) notifyAlert(ctx context.Context, tx *sql.Tx, c *Chart, v string, to []int64) error {
	title := "数据预警：" + c.Title
	body := fmt.Sprintf("「%s」当前为 %s，触发预警条件（%s %s）。", c.Title, v, opText[c.Alert.Op], e.amount(c, c.Alert.Value))
	link := "/dashboards/" + c.Dashboard
	if e.Notifier == nil {
		e.logf("alert: %s (to users %v)", body, to)
		return nil
	}
	return e.Notifier.SendTx(ctx, tx, to, title, body, link)
}

var opText = map[string]string{"gt": ">", "gte": "≥", "lt": "<", "lte": "≤", "eq": "="}

// amount writes an indicator's value as the UI shows it: ¥67,809.96 when its first measure
// sums (or averages, or takes the least or most of) an amount field, else 1,234.5.
func (e *Engine) amount(c *Chart, v float64) string {
	if len(c.Measures) > 0 {
		switch c.Measures[0].Agg {
		case Sum, Avg, Min, Max:
			cp := *c
			cp.Measures = slices.Clone(c.Measures)
			cp.Dimensions = slices.Clone(c.Dimensions)
			cp.Columns = slices.Clone(c.Columns)
			if p, err := resolve(e.Catalog, &cp); err == nil && p.measures[0].ref.Field != nil && p.measures[0].ref.Field.Type == schema.Money {
				return schema.FormatMoney(v)
			}
		}
	}
	return schema.FormatDecimal(v)
}

// recipients are the users an alert notifies, with their roles (which decide what they may
// read); deleted users are left out.
func (e *Engine) recipients(c *Chart) []users.User {
	if e.Users == nil {
		return nil
	}
	var ids []int64
	for _, raw := range c.Alert.Notify {
		t, _ := notifyTarget(raw)
		switch t := t.(type) {
		case int64:
			ids = append(ids, t)
		case string:
			if t == "owner" && c.CreatedBy > 0 {
				ids = append(ids, c.CreatedBy)
			}
			if t == "admin" {
				for _, u := range e.Users.List() {
					if u.Role == access.RoleAdmin {
						ids = append(ids, u.ID)
					}
				}
			}
		}
	}
	slices.Sort(ids)
	var out []users.User
	for _, id := range slices.Compact(ids) {
		if u, ok := e.Users.Get(id); ok {
			out = append(out, u)
		}
	}
	return out
}

func (e *Engine) logf(format string, args ...any) { log.Printf("reports: "+format, args...) }

func init() {
	problem.AddMessage("report_refresh", "自动刷新间隔应为 0（关闭）或 10 到 86400 秒", "auto-refresh must be 0 (off) or 10 to 86400 seconds")
	problem.AddMessage("report_layout_chart", "布局中的图表「{value}」不属于这个看板或重复出现", "the chart \"{value}\" of the layout is not on this dashboard or appears twice")
	problem.AddMessage("report_layout_size", "图表的位置或大小超出了 12 列的网格", "the chart's place or size does not fit the 12-column grid")
}
