package grading

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log"
	"strconv"
	"strings"
	"time"

	"tierbase/core/access"
	"tierbase/core/schema"
	"tierbase/platform/jobs"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// RFM says where an RFM model reads recency (R), frequency (F) and money (M) for the customers
// of Table: from linked orders (Orders set: their date and amount fields; F counts them, M sums
// them, R is the latest date), or from the customer's own fields.
type RFM struct {
	Table string `json:"table"`
	// From orders:
	Orders      string `json:"orders,omitempty"`      // the order table; it links to Table
	OrderDate   string `json:"orderDate,omitempty"`   // e.g. 下单日期
	OrderAmount string `json:"orderAmount,omitempty"` // e.g. 订单金额
	// Or from fields of Table:
	Recency   string `json:"recency,omitempty"`   // a date, e.g. 最近消费日
	Frequency string `json:"frequency,omitempty"` // e.g. 购买频率
	Monetary  string `json:"monetary,omitempty"`  // e.g. 累计消费金额
	// Segments: "zh" (default) for the 8 Chinese segments, "en" for the 11 English ones.
	Segments string `json:"segments,omitempty"`
	// Threshold: a score above it is high (近/高) in the Chinese segments; 0 means above the average.
	Threshold float64 `json:"threshold,omitempty"`
}

// Segments are the eight Chinese RFM segments by R, F, M high (近/高) or low (远/低), at index
// M·4 + R·2 + F: 一般保持客户 is 远高低 (F high only), 一般发展客户 近低低 (R high only).
var Segments = [8]string{"一般挽留客户", "一般保持客户", "一般发展客户", "一般价值客户", "重要挽留客户", "重要保持客户", "重要发展客户", "重要价值客户"}

// EnglishSegments are the 11 segments by R and F score, as in common RFM practice.
var EnglishSegments = []struct {
	Name   string
	R1, R2 int // R score range
	F1, F2 int // F score range
}{
	{"Champions", 5, 5, 4, 5}, {"Loyal Customers", 3, 4, 4, 5}, {"Potential Loyalist", 4, 5, 2, 3},
	{"New Customers", 5, 5, 1, 1}, {"Promising", 4, 4, 1, 1}, {"Need Attention", 3, 3, 3, 3},
	{"About To Sleep", 3, 3, 1, 2}, {"Can't Lose Them", 1, 2, 5, 5}, {"At Risk", 1, 2, 3, 4},
	{"Lost", 1, 1, 1, 1}, {"Hibernating", 1, 2, 1, 2},
}

// segmentNames are the segment values a model writes.
func (m RFM) segmentNames() []string {
	if m.Segments == "en" {
		names := make([]string, len(EnglishSegments))
		for i, s := range EnglishSegments {
			names[i] = s.Name
		}
		return names
	}
	return Segments[:]
}

// segmentCase is the SQL picking a customer's segment from its scores s.r, s.f, s.m (and the
// averages a.r, a.f, a.m). Chinese: Segments[M·4 + R·2 + F] with 1 = high, so 重要价值客户
// (近高高) is M, R and F all high. English: by the R and F ranges of EnglishSegments, in order.
func (m RFM) segmentCase() string {
	var b strings.Builder
	b.WriteString("CASE")
	if m.Segments == "en" {
		for _, s := range EnglishSegments {
			fmt.Fprintf(&b, " WHEN s.r BETWEEN %d AND %d AND s.f BETWEEN %d AND %d THEN '%s'", s.R1, s.R2, s.F1, s.F2, strings.ReplaceAll(s.Name, "'", "''"))
		}
	} else {
		for i, name := range Segments {
			mh, rh, fh := i&4 != 0, i&2 != 0, i&1 != 0
			fmt.Fprintf(&b, " WHEN %s AND %s AND %s THEN '%s'", m.cmp("m", mh), m.cmp("r", rh), m.cmp("f", fh), name)
		}
	}
	b.WriteString(" END")
	return b.String()
}

// cmp says whether score s.x is high (above the threshold, or its average a.x) or low.
func (m RFM) cmp(x string, high bool) string {
	than := "a." + x
	if m.Threshold > 0 {
		than = strconv.FormatFloat(m.Threshold, 'f', -1, 64)
	}
	if high {
		return "s." + x + " > " + than
	}
	return "s." + x + " <= " + than
}

// rfmFields are the fields the model writes, created on first use.
var rfmFields = []schema.Field{
	{Name: "R分", Type: schema.Number, Help: "最近一次消费：1–5 分，5 分最近"},
	{Name: "F分", Type: schema.Number, Help: "消费频率：1–5 分"},
	{Name: "M分", Type: schema.Number, Help: "消费金额：1–5 分"},
	{Name: "RFM分群", Type: schema.Select, Indexed: true},
}

// RFMModel is a kept RFM model with its last run and, while one runs, when it started.
type RFMModel struct {
	RFM
	LastRun *RFMRun `json:"lastRun,omitempty"`
	Running string  `json:"running,omitempty"` // RFC 3339 start of the run under way
}

// RFMRun is what the last run of a model did: when it ended, how many customers it scored
// and how long it took.
type RFMRun struct {
	At     string `json:"at"`
	Scored int    `json:"scored"`
	Millis int64  `json:"ms"`
}

// RunRFM scores every customer with purchases 1–5 on R, F and M by quintile (NTILE(5)), and
// puts each in one of the eight segments by comparing its scores with the averages. It writes
// R分, F分, M分 and RFM分群 (creating them if needed) in one statement, keeps the model for the
// daily pass, and returns how many customers were scored.
// A table's model runs once at a time: a second run meanwhile is refused (409).
func (e *Engine) RunRFM(ctx context.Context, a access.Actor, m RFM) (int, error) {
	t, source, err := e.checkRFM(a, m)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if _, busy := e.rfmRuns.LoadOrStore(t.ID, e.Now()); busy {
		return 0, problem.New(409, "rfm_running", "table", t.Name).At("table")
	}
	defer e.rfmRuns.Delete(t.ID)
	cols, segment, err := e.rfmColumns(ctx, t)
	if err != nil {
		return 0, err
	}
	q := fmt.Sprintf(`WITH base AS (%s),
		s AS (SELECT id, NTILE(5) OVER (ORDER BY last) AS r, NTILE(5) OVER (ORDER BY freq) AS f, NTILE(5) OVER (ORDER BY money) AS m FROM base),
		a AS (SELECT AVG(r) AS r, AVG(f) AS f, AVG(m) AS m FROM s)
		UPDATE %s SET %s = s.r, %s = s.f, %s = s.m, %s = %s FROM s, a WHERE %s.id = s.id`,
		source, store.Quote(t.SQLName()), cols["R分"], cols["F分"], cols["M分"], cols["RFM分群"], m.segmentCase(), store.Quote(t.SQLName()))
	m.Table = t.ID
	def, err := json.Marshal(m)
	if err != nil {
		return 0, err
	}
	var n int64
	err = e.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := e.Catalog.AddOptionsTx(ctx, tx, t, segment, m.segmentNames()); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, q)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		// Kept, so the daily pass refreshes it, with what this run did.
		_, err = tx.ExecContext(ctx, `INSERT INTO _rfm(table_id, def, last_run, scored, millis) VALUES(?, ?, ?, ?, ?)
			ON CONFLICT(table_id) DO UPDATE SET def = excluded.def, last_run = excluded.last_run,
			scored = excluded.scored, millis = excluded.millis`,
			t.ID, string(def), e.Now().UTC().Format(time.RFC3339), n, time.Since(start).Milliseconds())
		return err
	})
	if err != nil {
		return 0, err
	}
	if n >= tidyAfter {
		if err := e.DB.Vacuum(ctx, t.SQLName()); err != nil {
			return 0, err
		}
	}
	return int(n), e.Catalog.Reload(ctx)
}

// KeepRFM keeps m as its table's model and queues its first run, which the job workers do in
// the background (over a million customers it takes seconds); the daily pass refreshes it
// after. The score fields are added now, so boards over them draw at once.
func (e *Engine) KeepRFM(ctx context.Context, a access.Actor, m RFM) error {
	t, _, err := e.checkRFM(a, m)
	if err != nil {
		return err
	}
	_, segment, err := e.rfmColumns(ctx, t)
	if err != nil {
		return err
	}
	m.Table = t.ID
	def, err := json.Marshal(m)
	if err != nil {
		return err
	}
	err = e.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := e.Catalog.AddOptionsTx(ctx, tx, t, segment, m.segmentNames()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO _rfm(table_id, def) VALUES(?, ?)
			ON CONFLICT(table_id) DO UPDATE SET def = excluded.def`, t.ID, string(def)); err != nil {
			return err
		}
		_, err := e.Jobs.Enqueue(ctx, tx, kindRFM, "", rfmJob{Table: t.ID}, time.Time{})
		return err
	})
	if err != nil {
		return err
	}
	return e.Catalog.Reload(ctx)
}

// rfmJob is the payload of a queued RFM run.
type rfmJob struct {
	Table string `json:"table"`
}

// runRFMJob runs the kept model of the job's table (gone since: nothing to do).
func (e *Engine) runRFMJob(ctx context.Context, j *jobs.Job) error {
	var p rfmJob
	if err := j.Decode(&p); err != nil {
		return jobs.Permanent(err)
	}
	models, err := e.RFMModels(ctx)
	if err != nil {
		return err
	}
	for _, m := range models {
		if m.Table == p.Table {
			_, err := e.RunRFM(ctx, access.System, m.RFM)
			return err // a run under way (409) is tried again later
		}
	}
	return nil
}

// checkRFM checks that a may run m and that m is sound, and returns its table and the SELECT
// of its purchases per customer.
func (e *Engine) checkRFM(a access.Actor, m RFM) (*schema.Table, string, error) {
	if err := e.mayManage(a, m.Table); err != nil {
		return nil, "", err
	}
	t, err := e.Catalog.Table(m.Table)
	if err != nil {
		return nil, "", err
	}
	source, err := e.rfmSource(t, m)
	if err != nil {
		return nil, "", err
	}
	if m.Segments != "" && m.Segments != "zh" && m.Segments != "en" {
		return nil, "", problem.Invalid("bad_choice", "value", m.Segments, "choices", "zh, en").At("segments")
	}
	if m.Threshold < 0 || m.Threshold > 5 {
		return nil, "", problem.Invalid("bad_param", "param", "threshold", "reason", "0–5").At("threshold")
	}
	return t, source, nil
}

// rfmColumns adds the score fields t lacks and returns the quoted columns of all four by
// name, and the segment field.
func (e *Engine) rfmColumns(ctx context.Context, t *schema.Table) (map[string]string, *schema.Field, error) {
	cols := map[string]string{}
	var segment *schema.Field
	for _, want := range rfmFields {
		f := t.Field(want.Name)
		if f == nil {
			w := want
			var err error
			if f, err = e.Catalog.AddField(ctx, access.System, t.ID, &w); err != nil {
				return nil, nil, err
			}
		}
		if f.Type == schema.Select {
			segment = f
		}
		cols[want.Name] = store.Quote(f.Column())
	}
	return cols, segment, nil
}

// RFMModels returns the kept RFM models, one per table, with their last run and the start
// of a run under way.
func (e *Engine) RFMModels(ctx context.Context) ([]RFMModel, error) {
	rows, err := e.DB.R.QueryContext(ctx, "SELECT table_id, def, last_run, scored, millis FROM _rfm ORDER BY table_id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []RFMModel{}
	for rows.Next() {
		var id, def string
		var run RFMRun
		if err := rows.Scan(&id, &def, &run.At, &run.Scored, &run.Millis); err != nil {
			return nil, err
		}
		m := RFMModel{}
		if err := json.Unmarshal([]byte(def), &m.RFM); err != nil {
			return nil, err
		}
		if run.At != "" {
			m.LastRun = &run
		}
		if at, ok := e.rfmRuns.Load(id); ok {
			m.Running = at.(time.Time).UTC().Format(time.RFC3339)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// DeleteRFM stops refreshing a table's RFM model; the scores stay.
func (e *Engine) DeleteRFM(ctx context.Context, a access.Actor, table string) error {
	if err := e.mayManage(a, table); err != nil {
		return err
	}
	t, err := e.Catalog.Table(table)
	if err != nil {
		return err
	}
	return e.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM _rfm WHERE table_id = ?", t.ID)
		return err
	})
}

// RefreshRFM re-scores every kept RFM model (part of the daily pass: recency moves as days go by).
func (e *Engine) RefreshRFM(ctx context.Context) error {
	models, err := e.RFMModels(ctx)
	if err != nil {
		return err
	}
	for _, m := range models {
		_, err := e.RunRFM(ctx, access.System, m.RFM)
		if pe := problem.As(err); pe != nil && pe.Code == "rfm_running" {
			continue // it is being run right now
		}
		if err != nil {
			return fmt.Errorf("RFM %s: %w", m.Table, err)
		}
	}
	return nil
}

// rfmSource is the SELECT of (id, last, freq, money) per customer with purchases.
func (e *Engine) rfmSource(t *schema.Table, m RFM) (string, error) {
	field := func(tb *schema.Table, ref, path string, ok func(schema.Type) bool) (string, error) {
		f := tb.Field(ref)
		if f == nil || !ok(f.Type) {
			return "", problem.Invalid("rfm_field", "name", ref, "table", tb.Name).At(path)
		}
		return store.Quote(f.Column()), nil
	}
	isDate := func(ty schema.Type) bool { return ty.IsTime() }
	isNum := func(ty schema.Type) bool { return ty.IsNumeric() }
	if m.Orders == "" {
		r, err := field(t, m.Recency, "recency", isDate)
		if err != nil {
			return "", err
		}
		f, err := field(t, m.Frequency, "frequency", isNum)
		if err != nil {
			return "", err
		}
		mo, err := field(t, m.Monetary, "monetary", isNum)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("SELECT id, %s AS last, COALESCE(%s, 0) AS freq, COALESCE(%s, 0) AS money FROM %s WHERE %s IS NOT NULL",
			r, f, mo, store.Quote(t.SQLName()), r), nil
	}
	o, err := e.Catalog.Table(m.Orders)
	if err != nil {
		return "", err
	}
	var link string
	for _, f := range o.Fields {
		if f.Type == schema.Link && f.LinkTable == t.ID {
			link = store.Quote(f.Column())
			break
		}
	}
	if link == "" {
		return "", problem.Invalid("rfm_link", "orders", o.Name, "table", t.Name).At("orders")
	}
	d, err := field(o, m.OrderDate, "orderDate", isDate)
	if err != nil {
		return "", err
	}
	amt, err := field(o, m.OrderAmount, "orderAmount", isNum)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("SELECT %s AS id, MAX(%s) AS last, COUNT(*) AS freq, COALESCE(SUM(%s), 0) AS money FROM %s WHERE %s IS NOT NULL AND %s IS NOT NULL GROUP BY %s",
		link, d, amt, store.Quote(o.SQLName()), link, d, link), nil
}

// kindRFM is the kind of job (package jobs) of the first run of a kept RFM model. Its name
// is older than this package and stays, so jobs queued before keep running.
const kindRFM = "rule.rfm"

// UseJobs makes q the queue of the engine's background work: the first runs of kept RFM
// models.
func (e *Engine) UseJobs(q *jobs.Queue) {
	e.Jobs = q
	q.Handle(kindRFM, jobs.Kind{Run: e.runRFMJob, MaxAttempts: 3,
		Failed: func(ctx context.Context, j *jobs.Job, err error) { log.Printf("RFM run %s: %v", j.Payload, err) }})
}

func init() {
	problem.AddMessage("rfm_field", "表「{table}」中没有合适的字段「{name}」（R 需要日期字段，F、M 需要数字或金额字段）",
		"table \"{table}\" has no suitable field \"{name}\" (R needs a date field, F and M a number or amount field)")
	problem.AddMessage("rfm_running", "表「{table}」的 RFM 模型正在运行，请等它完成后再试", "the RFM model of \"{table}\" is running; try again when it has finished")
	problem.AddMessage("rfm_link", "订单表「{orders}」没有关联到「{table}」的字段", "the order table \"{orders}\" has no link to \"{table}\"")
}
