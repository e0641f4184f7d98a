package grading

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/platform/jobs"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// Engine keeps the grading schemes, grades records with them and scores RFM models.
type Engine struct {
	DB      *store.DB
	Catalog *schema.Catalog
	Records *records.Service // answers whether an actor may read a record (tier history)
	Now     func() time.Time // injectable clock: "today" of relative-date conditions
	Loc     *time.Location   // zone of "today"; nil means time.Local
	Jobs    *jobs.Queue      // runs the first run of a kept RFM model; see UseJobs
	// FieldTaken, when set, says why a scheme may not keep a field of a table (another
	// engine sets it; the rules engine sets this hook), or nil.
	FieldTaken func(table, field string) error
	// Watching, when set, says whether GradesChanged wants to be told of the records whose
	// grade of field of t a regrade changed; a regrade collects them only then.
	Watching func(t *schema.Table, field string) bool
	// GradesChanged, when set, is told inside a regrade's transaction which records of t
	// changed grade of field, by id (the rules engine runs the rules watching the field).
	GradesChanged func(ctx context.Context, tx *sql.Tx, t *schema.Table, field string, ids []int64) error
	schemes       atomic.Pointer[[]*Scheme]
	loading       sync.Mutex // one reload at a time, so the last to start is the last stored
	rfmRuns       sync.Map   // table id → time.Time an RFM run of it started (while it runs)
	levels        levelConds // the levels' conditions as Grade prepared them this second
}

// levelConds keeps the conditions of the levels as Grade prepared them for one second of the
// clock: a bulk change grades thousands of records a second, and a condition lowered for a
// time (cond.Prepare) differs only from one second to the next.
type levelConds struct {
	mu    sync.Mutex
	at    int64 // the second (Unix time) they were prepared for
	loc   *time.Location
	conds map[levelKey]levelCond
}

// levelKey is a level's condition on the table as the catalog had it.
type levelKey struct {
	t    *schema.Table
	when *cond.Node
}

// levelCond is a level's condition prepared, or why it does not prepare.
type levelCond struct {
	c   *cond.Cond
	err error
}

// prepared returns the condition when of a level prepared on t for env (Now and Loc only).
func (l *levelConds) prepared(t *schema.Table, when *cond.Node, env cond.Env) (*cond.Cond, error) {
	if env.Now.IsZero() {
		env.Now = time.Now()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if sec := env.Now.Unix(); l.conds == nil || sec != l.at || env.Loc != l.loc {
		l.at, l.loc, l.conds = sec, env.Loc, map[levelKey]levelCond{}
	}
	k := levelKey{t, when}
	p, ok := l.conds[k]
	if !ok {
		p.c, p.err = cond.Prepare(when, t, env)
		l.conds[k] = p
	}
	return p.c, p.err
}

// Open loads the schemes.
func Open(db *store.DB, cat *schema.Catalog) (*Engine, error) {
	e := &Engine{DB: db, Catalog: cat, Now: time.Now}
	return e, e.reload(context.Background())
}

func (e *Engine) reload(ctx context.Context) error {
	e.loading.Lock()
	defer e.loading.Unlock()
	rows, err := e.DB.R.QueryContext(ctx, "SELECT def FROM _schemes ORDER BY position, "+e.DB.Dialect.InsertionOrder())
	if err != nil {
		return err
	}
	defer rows.Close()
	list := []*Scheme{}
	for rows.Next() {
		var def string
		if err := rows.Scan(&def); err != nil {
			return err
		}
		s, err := decodeScheme(def)
		if err != nil {
			return err
		}
		list = append(list, s)
	}
	e.schemes.Store(&list)
	return rows.Err()
}

// Schemes returns every scheme, in the order they were made.
func (e *Engine) Schemes() []*Scheme { return *e.schemes.Load() }

// Scheme finds a scheme by id or name.
func (e *Engine) Scheme(ref string) (*Scheme, error) {
	for _, s := range e.Schemes() {
		if s.ID == ref || s.Name == ref {
			return s, nil
		}
	}
	return nil, problem.NotFound("scheme", ref)
}

func (e *Engine) env() cond.Env { return cond.Env{Now: e.Now(), Loc: e.Loc} }

// mayManage returns nil when the actor may manage the rules of the table (by id or name).
func (e *Engine) mayManage(a access.Actor, table string) error {
	t, err := e.Catalog.Table(table)
	if err != nil {
		t = &schema.Table{ID: table, Name: table} // refused by the checks that follow, unless the role's default allows
	}
	return access.CanOn(a, t, access.ManageTableRules)
}

// Save creates (empty ID) or replaces a scheme, and — when enabled — regrades its table at
// once. It returns the saved scheme and how many records changed grade.
func (e *Engine) Save(ctx context.Context, a access.Actor, s *Scheme) (*Scheme, int, error) {
	if err := e.mayManage(a, s.Table); err != nil {
		return nil, 0, err
	}
	if old, err := e.Scheme(s.ID); s.ID != "" && err == nil {
		if err := e.mayManage(a, old.Table); err != nil {
			return nil, 0, err
		}
	}
	if _, _, err := s.check(e.Catalog); err != nil {
		return nil, 0, err
	}
	if s.ID == "" {
		s.ID = schema.NewID("sch")
	} else if _, err := e.Scheme(s.ID); err != nil {
		return nil, 0, err
	}
	for _, o := range e.Schemes() {
		if o.ID != s.ID && o.Name == s.Name {
			return nil, 0, problem.New(409, "duplicate_name", "name", s.Name).At("name")
		}
		if o.ID != s.ID && o.Enabled && s.Enabled && o.Table == s.Table && o.Field == s.Field {
			return nil, 0, problem.New(409, "scheme_twice", "name", o.Name)
		}
	}
	if s.Enabled && e.FieldTaken != nil {
		if err := e.FieldTaken(s.Table, s.Field); err != nil {
			return nil, 0, err
		}
	}
	def, err := json.Marshal(s)
	if err != nil {
		return nil, 0, err
	}
	err = e.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO _schemes(id, table_id, position, def) VALUES(?, ?, (SELECT COUNT(*) FROM _schemes), ?)
			ON CONFLICT(id) DO UPDATE SET table_id = excluded.table_id, def = excluded.def`, s.ID, s.Table, string(def))
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	if err := e.reload(ctx); err != nil {
		return nil, 0, err
	}
	n := 0
	if s.Enabled {
		n, err = e.Regrade(ctx, a, s)
	}
	return s, n, err
}

// Delete removes a scheme; the grades it gave stay.
func (e *Engine) Delete(ctx context.Context, a access.Actor, ref string) error {
	s, err := e.Scheme(ref)
	if err != nil {
		return err
	}
	if err := e.mayManage(a, s.Table); err != nil {
		return err
	}
	err = e.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM _schemes WHERE id = ?", s.ID)
		return err
	})
	if err != nil {
		return err
	}
	return e.reload(ctx)
}

// grading is a scheme compiled for SQL against today's date.
type grading struct {
	s      *Scheme
	t      *schema.Table
	f      *schema.Field
	expr   string // CASE WHEN … THEN ? … ELSE ? END
	args   []any
	col    string // quoted column of the graded field
	table  string // quoted SQL table
	differ string // WHERE clause: records whose grade would change
}

// compile checks a copy of s (checking normalises names to ids, and stored schemes are
// shared by regrades that may run at once) and compiles it.
func (e *Engine) compile(s *Scheme) (*grading, error) {
	c := *s
	s = &c
	t, f, err := s.check(e.Catalog)
	if err != nil {
		return nil, err
	}
	g := &grading{s: s, t: t, f: f, col: store.Quote(f.Column()), table: store.Quote(t.SQLName())}
	var b strings.Builder
	b.WriteString("CASE")
	for _, l := range s.Levels {
		w, args, err := cond.Compile(l.When, t, e.env())
		if err != nil {
			return nil, err
		}
		b.WriteString(" WHEN (" + w + ") THEN ?")
		g.args = append(append(g.args, args...), l.Value)
	}
	b.WriteString(" ELSE ? END")
	var def any
	if s.Default != "" {
		def = s.Default
	}
	g.args = append(g.args, def)
	g.expr = b.String()
	g.differ = g.col + " IS DISTINCT FROM (" + g.expr + ")"
	return g, nil
}

// Regrade sets the graded field of every record of the scheme's table to what the scheme
// says today, in one transaction: two set-based statements, each change in the tier history.
// It returns how many records changed.
func (e *Engine) Regrade(ctx context.Context, a access.Actor, s *Scheme) (int, error) {
	if err := e.mayManage(a, s.Table); err != nil {
		return 0, err
	}
	g, err := e.compile(s)
	if err != nil {
		return 0, err
	}
	stamp := e.Now().UTC().Format(time.RFC3339)
	watched := e.GradesChanged != nil && (e.Watching == nil || e.Watching(g.t, g.f.ID))
	var n int64
	err = e.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := e.lock(ctx, tx, g.t); err != nil {
			return err
		}
		var ids []int64
		n, ids, err = e.gradeTx(ctx, tx, g, "", nil, stamp, watched)
		if err != nil || n == 0 || !watched {
			return err
		}
		return e.GradesChanged(ctx, tx, g.t, g.f.ID, ids)
	})
	if err == nil && n >= tidyAfter {
		err = e.DB.Vacuum(ctx, g.t.SQLName())
	}
	return int(n), err
}

// tidyAfter is how many records a regrade or an RFM run changes before the table is tidied
// after it (store.DB.Vacuum): the queries that follow a large one then read as before it.
const tidyAfter = 10_000

// lock keeps the regrades of t in tx from running beside another transaction's: each writes
// the tier history of the grades it reads as differing, so two at once would both record
// the same change. SQLite's single writer runs one at a time anyway.
func (e *Engine) lock(ctx context.Context, tx *sql.Tx, t *schema.Table) error {
	return e.DB.Dialect.Lock(ctx, tx, "grading."+t.ID)
}

// gradeTx sets the graded field of the records matching where (SQL over the record's id with
// whereArgs; "" is all records) to what g says, with two set-based statements: the tier
// history rows, then the UPDATE of the rows whose grade differs. It returns how many
// changed and, when collect, which (by id, ascending), read back from the history rows as
// they are written: another transaction's rows may come between them on PostgreSQL.
func (e *Engine) gradeTx(ctx context.Context, tx *sql.Tx, g *grading, where string, whereArgs []any, stamp string, collect bool) (n int64, ids []int64, err error) {
	in, inArgs := "", []any(nil)
	if where != "" {
		in, inArgs = " AND ("+where+")", whereArgs
	}
	// The LIMIT (no limit in effect) keeps SQLite from flattening the subquery, so the grade is
	// worked out once a row.
	hist := fmt.Sprintf(`INSERT INTO _tier_history(table_id, record_id, field, from_value, to_value, at, source)
		SELECT ?, id, ?, old, new, ?, ? FROM (SELECT id, %s AS old, %s AS new FROM %s WHERE 1=1%s LIMIT 9223372036854775807) AS g WHERE old IS DISTINCT FROM new`,
		g.col, g.expr, g.table, in)
	args := slices.Concat([]any{g.t.ID, g.f.ID, stamp, g.s.Name}, g.args, inArgs)
	if collect {
		if ids, err = returnedIDs(ctx, tx, hist+" RETURNING record_id", args); err != nil {
			return 0, nil, err
		}
	} else if _, err := tx.ExecContext(ctx, hist, args...); err != nil {
		return 0, nil, err
	}
	upd := fmt.Sprintf("UPDATE %s SET %s = %s, %s = ? WHERE %s%s", g.table, g.col, g.expr, store.Quote(schema.FieldUpdatedAt), g.differ, in)
	res, err := tx.ExecContext(ctx, upd, slices.Concat(g.args, []any{stamp}, g.args, inArgs)...)
	if err != nil {
		return 0, nil, err
	}
	n, err = res.RowsAffected()
	return n, ids, err
}

// returnedIDs runs the statement q, which returns one id a row, and gives the ids in order.
func returnedIDs(ctx context.Context, tx *sql.Tx, q string, args []any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return ids, nil
}

// GradeTx grades, with every enabled scheme of t that still fits it, the records matching
// where (SQL over the record's id with args; "" is all records), set-wise inside tx, each
// change in the tier history. It returns how many grades changed and, when collect, the
// records whose grade changed (by id, ascending) per graded field. Imports grade the
// records they updated with it.
func (e *Engine) GradeTx(ctx context.Context, tx *sql.Tx, t *schema.Table, where string, args []any, collect bool) (changed int64, moved map[string][]int64, err error) {
	stamp := e.Now().UTC().Format(time.RFC3339)
	if err := e.lock(ctx, tx, t); err != nil {
		return 0, nil, err
	}
	moved = map[string][]int64{}
	for _, s := range e.Graded(t) {
		g, err := e.compile(s)
		if err != nil {
			continue // the scheme no longer fits the table; Problem tells why
		}
		n, ids, err := e.gradeTx(ctx, tx, g, where, args, stamp, collect)
		if err != nil {
			return 0, nil, err
		}
		changed += n
		if len(ids) > 0 {
			moved[g.f.ID] = append(moved[g.f.ID], ids...)
		}
	}
	return changed, moved, nil
}

// GradeNewTx grades the records of t with ids first to last, just inserted by an import:
// one UPDATE … CASE per scheme over the id range, then their tier history (from no grade,
// as for any created record) read back from the column, so the grade is worked out once a
// row.
func (e *Engine) GradeNewTx(ctx context.Context, tx *sql.Tx, t *schema.Table, first, last int64) error {
	stamp := e.Now().UTC().Format(time.RFC3339)
	for _, s := range e.Graded(t) {
		g, err := e.compile(s)
		if err != nil {
			continue // the scheme no longer fits the table; Problem tells why
		}
		upd := "UPDATE " + g.table + " SET " + g.col + " = " + g.expr + " WHERE id BETWEEN ? AND ?"
		if _, err := tx.ExecContext(ctx, upd, append(slices.Clone(g.args), first, last)...); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO _tier_history(table_id, record_id, field, from_value, to_value, at, source)
			SELECT ?, id, ?, NULL, `+g.col+`, ?, ? FROM `+g.table+` WHERE id BETWEEN ? AND ? AND `+g.col+` IS NOT NULL`,
			g.t.ID, g.f.ID, stamp, g.s.Name, first, last)
		if err != nil {
			return err
		}
	}
	return nil
}

// RegradeAll runs every enabled scheme: the daily pass that keeps relative-date grades right.
func (e *Engine) RegradeAll(ctx context.Context) (int, error) {
	total := 0
	for _, s := range e.Schemes() {
		if !s.Enabled || e.Problem(s) != nil {
			continue
		}
		n, err := e.Regrade(ctx, access.System, s)
		if err != nil {
			return total, fmt.Errorf("分级方案「%s」: %w", s.Name, err)
		}
		total += n
	}
	return total, nil
}

// Move counts the records that would go from one grade to another ("" is no grade).
type Move struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Count int    `json:"count"`
}

// Sample is a record a preview shows as an example of a change.
type Sample struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// GradeCount is how many records have a grade now (Before) and would have it after the
// scheme is saved (After); "" is no grade.
type GradeCount struct {
	Value  string `json:"value"`
	Before int    `json:"before"`
	After  int    `json:"after"`
}

// Impact is what saving a scheme would change, without changing it.
type Impact struct {
	Moves   []Move         `json:"moves"`
	Grades  []GradeCount   `json:"grades"` // per grade of the field (in its order, then none): records now and after
	Net     map[string]int `json:"net"`    // per grade: records gained (+) or lost (−)
	Changed int            `json:"changed"`
	Samples []Sample       `json:"samples"`
	Text    string         `json:"text"` // the scheme as a sentence
}

// Preview tells how many records would change grade, from what to what, with examples.
// The scheme need not have a name yet.
func (e *Engine) Preview(ctx context.Context, a access.Actor, s *Scheme, lang string) (*Impact, error) {
	if err := e.mayManage(a, s.Table); err != nil {
		return nil, err
	}
	if s.Name == "" {
		c := *s
		c.Name, s = "preview", &c
	}
	g, err := e.compile(s)
	if err != nil {
		return nil, err
	}
	imp := &Impact{Net: map[string]int{}, Moves: []Move{}, Grades: []GradeCount{}, Samples: []Sample{}, Text: g.s.Describe(g.t, lang)}
	// Counts and samples cover only the records the actor may read: a designer who reads
	// some rows learns nothing of the others.
	scope, scopeArgs, err := access.ScopeSQL(a, g.t, access.Read, e.env())
	if err != nil {
		return nil, err
	}
	// One pass over the table: records per (grade now, grade then); the moves are the pairs
	// that differ, the counts per grade the sums on either side.
	q := fmt.Sprintf("SELECT old, new, COUNT(*) FROM (SELECT COALESCE(%s, '') AS old, COALESCE(%s, '') AS new FROM %s WHERE %s LIMIT 9223372036854775807) AS g GROUP BY 1, 2 ORDER BY 3 DESC",
		g.col, g.expr, g.table, scope)
	rows, err := e.DB.R.QueryContext(ctx, q, slices.Concat(g.args, scopeArgs)...)
	if err != nil {
		return nil, err
	}
	before, after := map[string]int{}, map[string]int{}
	for rows.Next() {
		var m Move
		if err := rows.Scan(&m.From, &m.To, &m.Count); err != nil {
			rows.Close()
			return nil, err
		}
		before[m.From] += m.Count
		after[m.To] += m.Count
		if m.From == m.To {
			continue
		}
		imp.Moves = append(imp.Moves, m)
		imp.Changed += m.Count
		imp.Net[m.To] += m.Count
		imp.Net[m.From] -= m.Count
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	grades := g.f.OptionValues() // the field's grades in order, then values no longer options, then "no grade"
	var stale []string
	for v := range before {
		if v != "" && !slices.Contains(grades, v) {
			stale = append(stale, v)
		}
	}
	slices.Sort(stale)
	for _, v := range slices.Concat(grades, stale, []string{""}) {
		if before[v] > 0 || after[v] > 0 || v != "" {
			imp.Grades = append(imp.Grades, GradeCount{Value: v, Before: before[v], After: after[v]})
		}
	}
	// The samples are named only if the actor may see the title.
	q = fmt.Sprintf("SELECT id, COALESCE(CAST(%s AS TEXT), ''), COALESCE(%s, ''), COALESCE(%s, '') FROM %s WHERE %s AND (%s) LIMIT 5",
		access.TitleSQL(a, g.t), g.col, g.expr, g.table, g.differ, scope)
	rows, err = e.DB.R.QueryContext(ctx, q, slices.Concat(g.args, g.args, scopeArgs)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var smp Sample
		if err := rows.Scan(&smp.ID, &smp.Title, &smp.From, &smp.To); err != nil {
			return nil, err
		}
		imp.Samples = append(imp.Samples, smp)
	}
	return imp, rows.Err()
}

// Graded returns the enabled schemes of a table that still fit it (a scheme whose field was
// deleted stops grading; Problem tells why).
func (e *Engine) Graded(t *schema.Table) []*Scheme {
	var out []*Scheme
	for _, s := range e.Schemes() {
		if s.Enabled && s.Table == t.ID && t.Field(s.Field) != nil {
			out = append(out, s)
		}
	}
	return out
}

// Problem returns why a scheme cannot grade any more (a field it uses was deleted or
// changed), or nil.
func (e *Engine) Problem(s *Scheme) error {
	c := *s
	_, _, err := c.check(e.Catalog)
	return err
}

// Grade sets the graded fields of a record about to be written (merged is the record as it
// will be; changes go to vals too), with env as "today". It reports whether it changed
// anything. The rules engine calls it in every round of a write, inside its transaction.
func (e *Engine) Grade(t *schema.Table, env cond.Env, merged, vals records.Record) bool {
	changed := false
	for _, s := range e.Graded(t) {
		var grade any
		if s.Default != "" {
			grade = s.Default
		}
		broken := false
		for _, l := range s.Levels {
			c, err := e.levels.prepared(t, l.When, env)
			ok := false
			if err == nil {
				ok, err = c.Match(merged)
			}
			if err != nil { // the scheme no longer fits the table: it stops grading, writes go on
				broken = true
				break
			}
			if ok {
				grade = l.Value
				break
			}
		}
		if !broken && merged[s.Field] != grade {
			vals[s.Field], merged[s.Field] = grade, grade
			changed = true
		}
	}
	return changed
}

func init() {
	problem.AddMessage("scheme_twice", "这个字段已由分级方案「{name}」分级，请先停用它", "this field is already graded by the scheme \"{name}\"; disable it first")
}
