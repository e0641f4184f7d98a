package importer

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"tierbase/core/access"
	"tierbase/core/audit"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// run is the state of one import inside its transaction.
type run struct {
	ctx     context.Context
	tx      *sql.Tx
	im      *Importer
	a       access.Actor
	tg      *target
	plan    Plan
	res     *Result
	stamp   string
	now     time.Time
	firstID int64 // records inserted by this import have ids above it
	lastID  int64 // the last record it inserted: ids are given in order from firstID+1
	by      int64 // who imports: 创建人, 负责人 unless the file feeds it, author of the history

	insert   *store.Inserter
	select_  *store.RawQuery // old values of the fed columns, by id (upsert)
	update   *sql.Stmt
	oplog    *store.Inserter
	keys     map[string]int64            // existing key → id (upsert)
	seenKeys map[string]int              // key → first line in this file
	uniques  map[string]map[string]bool  // field id → values taken (unique fields fed by the file)
	people   map[string]int64            // user name, lower-case email or id → id (ambiguous: -1)
	updated  []int64                     // records an upsert changed
	inside   map[int64]bool              // records the importer may change (upsert, when not all)
	changed  map[string][]int64          // field id → updated records whose value of it changed
	counters []*counter                  // autonumbers of fields the file does not feed
	fed      []int                       // file columns that feed a field, in order
	sealed   []int                       // indexes in fed of the 敏感 fields: sealed when written, their hash columns last
	ownerAt  int                         // index in fed of the 负责人 column, -1 if none
	stopped  bool                        // a row was rejected in an all-or-nothing import
	row      []any                       // the row insertRow adds, reused
	loaded   bool                        // the table was empty: its indexes are built at the end
	reindex  []string                    // indexes to build at the end (dropped while loading an empty table)
	rekey    string                      // the primary key to make again once the rows are in (PostgreSQL, an empty table)
	grown    map[string][]string         // field id → options added (Plan.CreateTable); parse goroutine only
	titled   map[string]map[string]int64 // 多条关联 field id → title of a record the importer may read → id (ambiguous: -1)
}

// analyzeAfter is how many inserted rows make an import renew the planner's statistics of
// the table's owner columns (PostgreSQL), so that scoped pages are not planned blind.
const analyzeAfter = 10_000

type counter struct {
	f       *schema.Field
	key     string
	pattern string
	next    int64
}

func (im *Importer) newRun(ctx context.Context, tx *sql.Tx, a access.Actor, tg *target, plan Plan, res *Result) (*run, error) {
	now := time.Now()
	if im.Now != nil {
		now = im.Now()
	}
	r := &run{ctx: ctx, tx: tx, im: im, a: a, tg: tg, plan: plan, res: res, now: now,
		stamp: now.UTC().Format(time.RFC3339), seenKeys: map[string]int{}, people: map[string]int64{}}
	r.by = plan.Owner
	if r.by == 0 {
		r.by = a.UserID
	}
	for _, u := range im.Users.List() {
		for _, k := range []string{u.Name, strings.ToLower(u.Email), fmt.Sprint(u.ID)} {
			if id, taken := r.people[k]; taken && id != u.ID {
				r.people[k] = -1 // two users of that name: the file must say which
			} else if k != "" {
				r.people[k] = u.ID
			}
		}
	}
	table := store.Quote(tg.t.SQLName())
	// The autonumbers of the fields the file does not feed, held until the import ends (the
	// upsert locks the counter's row on PostgreSQL, where records are added side by side);
	// taken before the table, in the order the records engine takes them, so neither waits
	// for the other in a circle.
	for _, f := range tg.numbers {
		c := &counter{f: f, pattern: f.NumberPattern(now.In(im.loc()))}
		c.key = f.ID + "|" + c.pattern
		err := tx.QueryRowContext(ctx, `INSERT INTO _sequences(key, value) VALUES(?, 0)
			ON CONFLICT(key) DO UPDATE SET value = _sequences.value RETURNING value`, c.key).Scan(&c.next)
		if err != nil {
			return nil, err
		}
		r.counters = append(r.counters, c)
	}
	// The records it adds get the ids after firstID, with nobody else's among them.
	first, _, err := im.DB.Dialect.ReserveIDs(ctx, tx, tg.t.SQLName(), 0)
	if err != nil {
		return nil, err
	}
	r.firstID, r.lastID = first-1, first-1
	var rows int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM "+table+" LIMIT 1) AS t").Scan(&rows); err != nil {
		return nil, err
	}
	if rows == 0 {
		// Loading an empty table: build its indexes once at the end, not row by row.
		r.loaded = true
		var drop []string
		drop, r.reindex = schema.IndexStatements(tg.t)
		off, on := im.DB.Dialect.PrimaryKeyOff(tg.t.SQLName())
		drop, r.rekey = append(drop, off...), on
		for _, q := range drop {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return nil, err
			}
		}
	}
	var cols []string
	r.ownerAt = -1
	fs := access.FieldsOf(a, tg.t)
	for i, f := range tg.fields {
		if f != nil && !fs.Writable(f.ID) && !plan.CreateTable {
			return nil, problem.New(403, "field_readonly").OnField(f.Name)
		}
		if f != nil {
			if f.ID == schema.FieldOwner {
				r.ownerAt = len(r.fed)
			}
			r.fed = append(r.fed, i)
			cols = append(cols, f.Column())
		}
	}
	fedCols := len(cols)
	for _, i := range r.fed {
		if f := tg.fields[i]; f.Type == schema.Links {
			if err := r.loadTitles(f); err != nil {
				return nil, err
			}
		}
	}
	for _, c := range r.counters {
		cols = append(cols, c.f.Column())
	}
	cols = append(cols, "id") // given here: the server draws no sequence value per row
	for k, i := range r.fed {
		if f := tg.fields[i]; f.Sensitive {
			r.sealed = append(r.sealed, k)
			cols = append(cols, f.HashColumn())
		}
	}
	var owner any
	if r.by != 0 {
		owner = r.by
	}
	constCols := []string{schema.FieldCreatedBy, schema.FieldCreatedAt, schema.FieldUpdatedAt}
	consts := []any{owner, r.stamp, r.stamp}
	if !tg.owner {
		constCols, consts = append(constCols, schema.FieldOwner), append(consts, owner)
	}
	if r.insert, err = store.NewInserter(im.DB, tx, tg.t.SQLName(), cols, constCols, consts); err != nil {
		return nil, err
	}
	if plan.Mode == Insert {
		r.insert.Stream() // no other statement runs until finish flushes it
	}
	if r.oplog, err = store.NewInserter(im.DB, tx, "_oplog", []string{"table_id", "record_id", "action", "user_id", "at", "changes"}, nil, nil); err != nil {
		return nil, err
	}
	for _, i := range r.fed {
		f := tg.fields[i]
		if !f.Unique || i == tg.key {
			continue
		}
		if r.uniques == nil {
			r.uniques = map[string]map[string]bool{}
		}
		taken := map[string]bool{}
		if err := scanColumn(ctx, im.DB, tx, table, f, func(v string, _ int64) { taken[v] = true }); err != nil {
			return nil, err
		}
		r.uniques[f.ID] = taken
	}
	if plan.Mode == Upsert {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
			return nil, err
		}
		r.keys = make(map[string]int64, n) // sized once: growing a map of a million keys costs more than counting
		if err := scanColumn(ctx, im.DB, tx, table, tg.fields[tg.key], func(v string, id int64) { r.keys[v] = id }); err != nil {
			return nil, err
		}
		if err := r.listInside(); err != nil {
			return nil, err
		}
		sets := make([]string, 0, fedCols+len(r.sealed)+1)
		quoted := make([]string, 0, fedCols)
		for _, c := range cols[:fedCols] {
			sets = append(sets, store.Quote(c)+" = ?")
			quoted = append(quoted, store.Quote(c))
		}
		for _, c := range cols[len(cols)-len(r.sealed):] {
			sets = append(sets, store.Quote(c)+" = ?")
		}
		sets = append(sets, store.Quote(schema.FieldUpdatedAt)+" = ?")
		if r.update, err = tx.PrepareContext(ctx, fmt.Sprintf("UPDATE %s SET %s WHERE id = ?", table, strings.Join(sets, ", "))); err != nil {
			return nil, err
		}
		if r.select_, err = im.DB.PrepareRaw(tx, fmt.Sprintf("SELECT %s FROM %s WHERE id = ?", strings.Join(quoted, ", "), table)); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// scanColumn calls fn with the comparable form of every non-empty value of f, and its id.
func scanColumn(ctx context.Context, db *store.DB, tx *sql.Tx, table string, f *schema.Field, fn func(v string, id int64)) error {
	col := store.Quote(f.Column())
	q, err := db.PrepareRaw(tx, fmt.Sprintf("SELECT %s, id FROM %s WHERE %s IS NOT NULL", col, table, col))
	if err != nil {
		return err
	}
	defer q.Close()
	return q.Each(ctx, nil, func(row []driver.Value) error {
		v := readValue(db, f, row[0])
		if f.Sensitive {
			v = f.Unseal(v)
		}
		fn(keyString(v), row[1].(int64))
		return nil
	})
}

// readValue is a column value of f as read, in the form the importer writes it
// (records.SQLValue), to compare the two: PostgreSQL gives NUMERIC as text, and jsonb lists
// with spaces after their commas.
func readValue(db *store.DB, f *schema.Field, v any) any {
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	if s, ok := v.(string); ok && db.Dialect == store.Postgres && !f.Sensitive && (f.Type.IsNumeric() || f.Type.IsList()) {
		return records.SQLValue(records.FromSQL(f, s))
	}
	return v
}

func (im *Importer) loc() *time.Location {
	if im.Loc != nil {
		return im.Loc
	}
	return time.Local
}

// reject records a bad row.
func (r *run) reject(line int, cells []string, probs []Problem) {
	r.res.Rejected++
	reasons := make([]*problem.Error, len(probs))
	for i, p := range probs {
		reasons[i] = p.Err
		if len(r.res.Problems) < MaxProblems {
			r.res.Problems = append(r.res.Problems, p)
		}
	}
	if len(r.res.Rejects) < MaxRejects {
		r.res.Rejects = append(r.res.Rejects, Reject{Line: line, Cells: append([]string(nil), cells...), Reasons: reasons})
	}
	if !r.plan.SkipInvalid {
		r.stopped = true
	}
}

// parsed is a file row checked on its own: its values in SQL form (records.SQLValue), or
// its problems.
type parsed struct {
	line  int
	cells []string
	vals  []any
	probs []Problem
}

// parse checks one row against the fields, its values put in vals (one per fed column). It
// reads only state fixed before the import starts, so rows are parsed on another goroutine
// while earlier ones are written.
func (r *run) parse(line int, cells []string, vals []any) parsed {
	p := parsed{line: line, cells: cells, vals: vals}
	for k, i := range r.fed {
		f := r.tg.fields[i]
		var v any
		var e *problem.Error
		switch {
		case f.Type == schema.User && !blank(cells[i]):
			v, e = r.person(f, cells[i])
		case f.Type == schema.Links && !blank(cells[i]):
			v, e = r.links(f, cells[i])
		case f.Type == schema.Department && !blank(cells[i]):
			v, e = r.department(f, cells[i])
		default: // blank cells too: nil
			v, e = f.Normalize(cells[i], r.im.loc())
			if e != nil && e.Code == "bad_option" && r.plan.CreateTable {
				v, e = r.grow(f, strings.TrimSpace(cells[i])), nil
				if v == nil {
					e = problem.Invalid("bad_option", "value", cells[i], "options", fmt.Sprintf("最多 %d 个 / at most %d", MaxOptions, MaxOptions)).OnField(f.Name)
				}
			}
		}
		if e == nil && v == nil && f.Default != nil && r.keys == nil {
			v = f.Default
		}
		if e == nil && v == nil && f.Required {
			e = problem.Invalid("required").OnField(f.Name)
		}
		if e != nil {
			p.probs = append(p.probs, Problem{Line: line, Column: r.res.Header[i], Value: cells[i], Err: e})
			continue
		}
		p.vals[k] = records.SQLValue(v) // converted here, off the writer's goroutine
	}
	return p
}

// blank says whether a cell holds nothing but spaces.
func blank(cell string) bool { return strings.TrimSpace(cell) == "" }

// loadTitles reads the titles of the records f links to that the importer may read, for the
// 多条关联 cells naming them (the title field as they see it; none when it is hidden).
func (r *run) loadTitles(f *schema.Field) error {
	target, err := r.im.Catalog.Table(f.LinkTable)
	if err != nil {
		return problem.Invalid("bad_link", "value", f.LinkTable).OnField(f.Name)
	}
	m := map[string]int64{}
	if r.titled == nil {
		r.titled = map[string]map[string]int64{}
	}
	r.titled[f.ID] = m
	title := target.Title()
	if title.Sensitive || !access.FieldsOf(r.a, target).Visible(title.ID) {
		return nil
	}
	q, args := "SELECT id, "+store.Quote(title.Column())+" FROM "+store.Quote(target.SQLName()), []any(nil)
	if sc := access.Scope(r.a, target, access.Read); sc != nil {
		w, scArgs, err := cond.Compile(sc, target, r.env())
		if err != nil {
			return err
		}
		q, args = q+" WHERE "+w, scArgs
	}
	rows, err := r.tx.QueryContext(r.ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var v any
		if err := rows.Scan(&id, &v); err != nil {
			return err
		}
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		k := strings.TrimSpace(fmt.Sprint(v))
		if v == nil || k == "" {
			continue
		}
		if _, taken := m[k]; taken {
			m[k] = -1
		} else {
			m[k] = id
		}
	}
	return rows.Err()
}

// links finds the records a 多条关联 cell names by their titles, separated by 、 , ; or
// new lines (as exports join them with 、).
func (r *run) links(f *schema.Field, cell string) (any, *problem.Error) {
	names := schema.SplitList(cell)
	ids := make([]any, 0, len(names))
	for _, name := range names {
		switch id := r.titled[f.ID][name]; {
		case id == 0:
			return nil, problem.Invalid("import_no_link", "value", name).OnField(f.Name)
		case id < 0:
			return nil, problem.Invalid("import_link_ambiguous", "value", name).OnField(f.Name)
		default:
			ids = append(ids, id)
		}
	}
	return f.Normalize(ids, nil)
}

// department finds the department a 部门 cell names: a path (总部/销售部) or a name only
// one department has.
func (r *run) department(f *schema.Field, cell string) (any, *problem.Error) {
	v := strings.TrimSpace(cell)
	var id int64
	n := 0
	if r.im.Departments != nil {
		id, n = r.im.Departments.FindDepartment(v)
	}
	switch {
	case n == 0:
		return nil, problem.Invalid("bad_department", "value", v).OnField(f.Name)
	case n > 1:
		return nil, problem.Invalid("import_department_ambiguous", "value", v).OnField(f.Name)
	}
	return id, nil
}

// person finds the user a 成员 cell names: by name, email (any case) or id.
func (r *run) person(f *schema.Field, cell string) (any, *problem.Error) {
	v := strings.TrimSpace(cell)
	id, ok := r.people[v]
	if !ok {
		id, ok = r.people[strings.ToLower(v)]
	}
	switch {
	case !ok:
		return nil, problem.Invalid("import_no_user", "value", v).OnField(f.Name)
	case id < 0:
		return nil, problem.Invalid("import_user_ambiguous", "value", v).OnField(f.Name)
	}
	return id, nil
}

// grow accepts v as a new option of select field f, or returns nil when f has too many.
func (r *run) grow(f *schema.Field, v string) any {
	if r.grown == nil {
		r.grown = map[string][]string{}
	}
	list := r.grown[f.ID]
	if slices.Contains(list, v) {
		return v
	}
	if len(f.Options)+len(list) >= MaxOptions {
		return nil
	}
	r.grown[f.ID] = append(list, v)
	return v
}

// apply checks a parsed row against the table and the rows before it (unique values,
// repeated keys) and writes it.
func (r *run) apply(p parsed) error {
	line, cells, vals, probs := p.line, p.cells, p.vals, p.probs
	bad := func(i int, e *problem.Error) {
		probs = append(probs, Problem{Line: line, Column: r.res.Header[i], Value: cells[i], Err: e})
	}
	if len(probs) == 0 {
		for k, i := range r.fed {
			f := r.tg.fields[i]
			if taken := r.uniques[f.ID]; taken != nil && vals[k] != nil {
				key := keyString(vals[k])
				if taken[key] {
					bad(i, problem.New(409, "not_unique", "value", cells[i]).OnField(f.Name))
					continue
				}
				taken[key] = true
			}
		}
	}
	var key string
	if r.tg.key >= 0 && len(probs) == 0 {
		kv := vals[indexOf(r.fed, r.tg.key)]
		if kv == nil {
			bad(r.tg.key, problem.Invalid("required").OnField(r.tg.fields[r.tg.key].Name))
		} else {
			key = keyString(kv)
			if first, seen := r.seenKeys[key]; seen {
				bad(r.tg.key, problem.Invalid("import_duplicate_key", "value", cells[r.tg.key], "line", first).OnField(r.tg.fields[r.tg.key].Name))
			} else {
				r.seenKeys[key] = line
			}
		}
	}
	id, exists := r.keys[key]
	if exists && r.inside != nil && !r.inside[id] && len(probs) == 0 {
		bad(r.tg.key, problem.New(403, "import_outside_scope").OnField(r.tg.fields[r.tg.key].Name))
	}
	if len(probs) > 0 {
		r.reject(line, cells, probs)
		return nil
	}
	if r.stopped {
		return nil // keep validating to report every bad row, but write nothing more
	}
	if exists && r.keys != nil {
		return r.updateRow(id, vals)
	}
	if r.keys != nil {
		for _, f := range r.tg.required {
			r.reject(line, cells, []Problem{{Line: line, Err: problem.Invalid("import_required", "name", f.Name).OnField(f.Name)}})
			return nil
		}
	}
	return r.insertRow(vals)
}

// parseAll reads src on one goroutine and parses its rows on another (reading a row and
// checking it take about as long as each other), sending rows in batches until the file
// ends, an error happens, or stop is closed.
func (r *run) parseAll(src Source, stop <-chan struct{}) <-chan parseBatch {
	out := make(chan parseBatch, 4)
	go func() {
		defer close(out)
		width := len(r.fed)
		for in := range readAll(src, stop) {
			b := parseBatch{rows: make([]parsed, len(in.rows)), err: in.err}
			vals := make([]any, len(in.rows)*width) // the batch's values, allocated once
			for j, row := range in.rows {
				k := j * width
				b.rows[j] = r.parse(row.line, row.cells, vals[k:k+width:k+width])
			}
			select {
			case out <- b:
			case <-stop:
				return
			}
		}
	}()
	return out
}

type parseBatch struct {
	rows []parsed
	err  error
}

// readAll reads src on its own goroutine, sending its rows in batches until the file ends
// (the last batch carries the error that ended the reading, if any) or stop is closed.
func readAll(src Source, stop <-chan struct{}) <-chan readBatch {
	out := make(chan readBatch, 4)
	go func() {
		defer close(out)
		b := readBatch{rows: make([]fileRow, 0, parseBatchSize)}
		for {
			cells, err := src.Next()
			if err != nil {
				if !isEOF(err) {
					b.err = fmt.Errorf("读取文件第 %d 行 / reading row %d: %w", src.Line()+1, src.Line()+1, err)
				}
				select {
				case out <- b:
				case <-stop:
				}
				return
			}
			b.rows = append(b.rows, fileRow{line: src.Line(), cells: cells})
			if len(b.rows) == parseBatchSize {
				select {
				case out <- b:
				case <-stop:
					return
				}
				b = readBatch{rows: make([]fileRow, 0, parseBatchSize)}
			}
		}
	}()
	return out
}

// readBatch is rows as read from the file, not yet parsed.
type readBatch struct {
	rows []fileRow
	err  error
}

type fileRow struct {
	line  int
	cells []string
}

const parseBatchSize = 512

func indexOf(list []int, x int) int {
	for i, v := range list {
		if v == x {
			return i
		}
	}
	return -1
}

// insertRow queues a new record: its values in SQL form, its autonumbers, its id (the next
// after the last), and the hashes of its 敏感 values.
func (r *run) insertRow(vals []any) error {
	r.res.Inserted++
	if r.ownerAt >= 0 && vals[r.ownerAt] == nil && r.by != 0 {
		vals[r.ownerAt] = r.by // an empty 负责人 cell: the importer, as without the column
	}
	r.lastID++
	row := append(r.row[:0], vals...) // the Inserter keeps the values, not the slice
	for _, c := range r.counters {
		c.next++
		row = append(row, schema.FormatNumber(c.pattern, c.next))
	}
	r.row = r.seal(row, append(row, r.lastID))
	return r.insert.Add(r.row...)
}

// seal puts the sealed values of the 敏感 fields of vals (values of the fed columns) into
// row and appends their hashes to it.
func (r *run) seal(vals, row []any) []any {
	for _, k := range r.sealed {
		var h any
		row[k], h = r.tg.fields[r.fed[k]].Seal(vals[k])
		row = append(row, h)
	}
	return row
}

// updateRow writes the fed values over record id when they differ, with its history.
func (r *run) updateRow(id int64, vals []any) error {
	old := make([]any, len(vals))
	err := r.select_.Each(r.ctx, []any{id}, func(row []driver.Value) error {
		for i, v := range row {
			old[i] = v
		}
		return nil
	})
	if err != nil {
		return err
	}
	if r.ownerAt >= 0 && vals[r.ownerAt] == nil {
		vals[r.ownerAt] = old[r.ownerAt] // an empty 负责人 cell keeps the record's owner
	}
	type change struct {
		F string `json:"f"`
		B any    `json:"b"`
		A any    `json:"a"`
	}
	var changes []change
	args := make([]any, 0, len(vals)+2)
	for k, i := range r.fed {
		f := r.tg.fields[i]
		old[k] = readValue(r.im.DB, f, old[k])
		if f.Sensitive {
			old[k] = f.Unseal(old[k])
		}
		if !sameValue(f, old[k], vals[k]) {
			c := change{F: f.ID, B: records.FromSQL(f, old[k]), A: records.FromSQL(f, vals[k])}
			if f.Sensitive { // the history keeps them sealed too
				c.B, _ = f.Seal(c.B)
				c.A, _ = f.Seal(c.A)
			}
			changes = append(changes, c)
		}
		args = append(args, vals[k])
	}
	args = r.seal(vals, args)
	if len(changes) == 0 {
		r.res.Unchanged++
		return nil
	}
	args = append(args, r.stamp, id)
	if _, err := r.update.ExecContext(r.ctx, args...); err != nil {
		return err
	}
	r.res.Updated++
	r.updated = append(r.updated, id)
	if r.changed == nil {
		r.changed = map[string][]int64{}
	}
	for _, c := range changes {
		r.changed[c.F] = append(r.changed[c.F], id)
	}
	b, _ := json.Marshal(changes)
	return r.oplog.Add(r.tg.t.ID, id, "update", r.by, r.stamp, string(b))
}

// sameValue compares a column value as read with one about to be written.
func sameValue(f *schema.Field, old, nv any) bool {
	if old == nil || nv == nil {
		return old == nil && nv == nil
	}
	if f.Type.IsNumeric() {
		o, ok1 := old.(float64)
		if i, ok := old.(int64); ok {
			o, ok1 = float64(i), true
		}
		n, ok2 := nv.(float64)
		return ok1 && ok2 && o == n
	}
	if a, ok := old.(string); ok {
		if b, ok := nv.(string); ok {
			return a == b
		}
	}
	return fmt.Sprint(old) == fmt.Sprint(nv)
}

// finish flushes the inserts, lets the hooks act on what was written, builds the indexes,
// logs the inserts (one row for all) and the import (操作日志), and saves the counters.
func (r *run) finish() error {
	if err := r.insert.Flush(); err != nil {
		return err
	}
	if err := r.oplog.Flush(); err != nil {
		return err
	}
	if r.rekey != "" {
		if _, err := r.tx.ExecContext(r.ctx, r.rekey); err != nil {
			return err
		}
	}
	if r.update != nil {
		r.update.Close()
		r.select_.Close()
	}
	if r.res.Inserted > 0 {
		if err := r.im.DB.Dialect.IDsGiven(r.ctx, r.tx, r.tg.t.SQLName(), r.lastID); err != nil {
			return err
		}
	}
	if err := r.checkLinks(); err != nil {
		return err
	}
	if err := r.checkScope(); err != nil {
		return err
	}
	// The hooks (grading, rules) write before the indexes of a loaded table are built, so
	// their updates do not maintain them.
	if err := r.after(); err != nil {
		return err
	}
	for _, q := range r.reindex {
		if _, err := r.tx.ExecContext(r.ctx, q); err != nil {
			return err
		}
	}
	if r.res.Inserted >= analyzeAfter {
		// The planner's view of the owner columns, committed with the rows.
		err := r.im.DB.Dialect.AnalyzeColumns(r.ctx, r.tx, r.tg.t.SQLName(), r.loaded, schema.FieldOwner, schema.FieldCreatedBy)
		if err != nil {
			return err
		}
	}
	if r.res.Inserted > 0 {
		// One row tells the history of every inserted record: ids above firstID are new.
		_, err := r.tx.ExecContext(r.ctx, "INSERT INTO _imports(table_id, first_id, last_id, user_id, at, file) VALUES(?,?,?,?,?,?)",
			r.tg.t.ID, r.firstID+1, r.lastID, r.by, r.stamp, r.plan.FileName)
		if err != nil {
			return err
		}
	}
	err := audit.Write(r.ctx, r.tx, r.now, audit.Event{UserID: r.by, Action: audit.Import, TableID: r.tg.t.ID,
		Detail: map[string]any{"file": r.plan.FileName, "table": r.tg.t.Name, "created": r.res.Inserted, "updated": r.res.Updated}})
	if err != nil {
		return err
	}
	for id, values := range r.grown {
		if err := r.im.Catalog.AddOptionsTx(r.ctx, r.tx, r.tg.t, r.tg.t.Field(id), values); err != nil {
			return err
		}
	}
	for _, c := range r.counters {
		_, err := r.tx.ExecContext(r.ctx, `INSERT INTO _sequences(key, value) VALUES(?, ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value WHERE excluded.value > _sequences.value`, c.key, c.next)
		if err != nil {
			return err
		}
	}
	return nil
}

// listInside collects, when the importer may not change every record, the ids of those they
// may: an upsert's key matching another record is refused rather than overwriting it.
func (r *run) listInside() error {
	if access.Scope(r.a, r.tg.t, access.Update) == nil {
		return nil
	}
	w, args, err := access.ScopeSQL(r.a, r.tg.t, access.Update, cond.Env{Now: r.now, Loc: r.im.Loc})
	if err != nil {
		return err
	}
	rows, err := r.tx.QueryContext(r.ctx, "SELECT id FROM "+store.Quote(r.tg.t.SQLName())+" WHERE "+w, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	r.inside = map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		r.inside[id] = true
	}
	return rows.Err()
}

// env is the condition environment of the importer.
func (r *run) env() cond.Env { return access.Env(r.a, cond.Env{Now: r.now, Loc: r.im.Loc}) }

// checkScope refuses the import when a record it wrote lies outside what the importer may
// change (added records: the scopes of their roles that may add; updated ones: that may
// edit), as writes through the records engine are refused: nobody imports records for
// people outside their departments. One statement each, over the records written.
func (r *run) checkScope() error {
	table := store.Quote(r.tg.t.SQLName())
	for op, written := range map[access.Op]string{access.Create: "id BETWEEN ? AND ?", access.Update: "id IN (SELECT id FROM _import_updated)"} {
		sc := access.Scope(r.a, r.tg.t, op)
		if sc == nil || op == access.Create && r.res.Inserted == 0 || op == access.Update && len(r.updated) == 0 {
			continue
		}
		if op == access.Update {
			if err := r.listUpdated(); err != nil {
				return err
			}
		}
		w, args, err := cond.Compile(&cond.Node{Not: sc}, r.tg.t, r.env())
		if err != nil {
			return err
		}
		if op == access.Create {
			args = append([]any{r.firstID + 1, r.lastID}, args...)
		}
		var bad int64
		err = r.tx.QueryRowContext(r.ctx, "SELECT id FROM "+table+" WHERE ("+written+") AND "+w+" LIMIT 1", args...).Scan(&bad)
		if err == nil {
			owner := schema.FieldOwner
			if f := r.tg.t.Field(owner); f != nil {
				owner = f.Name
			}
			return problem.New(403, "outside_scope").OnField(owner)
		}
		if err != sql.ErrNoRows {
			return err
		}
	}
	return nil
}

// checkLinks refuses the import when a record it wrote links to a record the importer may
// not read (or that does not exist), as writes through the records engine are refused: one
// statement per link field over the records written, the first such value named.
func (r *run) checkLinks() error {
	if r.res.Inserted == 0 && len(r.updated) == 0 {
		return nil
	}
	table := store.Quote(r.tg.t.SQLName())
	written := "id BETWEEN ? AND ?"
	listed := false
	for _, f := range r.tg.t.Fields {
		if f.Type != schema.Link {
			continue
		}
		if len(r.updated) > 0 && !listed { // the updated records, listed once in a temp table
			if err := r.listUpdated(); err != nil {
				return err
			}
			written, listed = written+" OR id IN (SELECT id FROM _import_updated)", true
		}
		target, err := r.im.Catalog.Table(f.LinkTable)
		if err != nil {
			return problem.Invalid("bad_link", "value", f.LinkTable).OnField(f.Name)
		}
		readable := "SELECT id FROM " + store.Quote(target.SQLName())
		var args []any
		if sc := access.Scope(r.a, target, access.Read); sc != nil {
			w, scArgs, err := cond.Compile(sc, target, r.env())
			if err != nil {
				return err
			}
			readable, args = readable+" WHERE "+w, scArgs
		}
		col := store.Quote(f.Column())
		var bad int64
		err = r.tx.QueryRowContext(r.ctx, "SELECT "+col+" FROM "+table+" WHERE ("+written+") AND "+
			col+" IS NOT NULL AND "+col+" NOT IN ("+readable+") LIMIT 1", append([]any{r.firstID + 1, r.lastID}, args...)...).Scan(&bad)
		if err == nil {
			return problem.Invalid("bad_link", "value", bad).OnField(f.Name)
		}
		if err != sql.ErrNoRows {
			return err
		}
	}
	return nil
}

// listUpdated puts the ids of the records the import updated into the temporary table
// _import_updated (named without its schema, which is temp on SQLite and pg_temp_N on
// PostgreSQL: both look there first).
func (r *run) listUpdated() error {
	for _, q := range []string{"CREATE TEMP TABLE IF NOT EXISTS _import_updated(id " + r.im.DB.Dialect.IntegerType() + " PRIMARY KEY)", "DELETE FROM _import_updated"} {
		if _, err := r.tx.ExecContext(r.ctx, q); err != nil {
			return err
		}
	}
	for chunk := range slices.Chunk(r.updated, 500) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		if _, err := r.tx.ExecContext(r.ctx, "INSERT INTO _import_updated(id) VALUES "+strings.Repeat(",(?)", len(chunk))[1:], args...); err != nil {
			return err
		}
	}
	return nil
}

// after lets the hooks act on what the import wrote, in its transaction.
func (r *run) after() error {
	if r.res.Inserted == 0 && len(r.updated) == 0 {
		return nil
	}
	im := &Imported{Table: r.tg.t, By: r.by, FirstID: r.firstID + 1, LastID: r.lastID, Updated: r.updated, Changed: r.changed}
	for _, h := range r.im.Hooks {
		if err := h.AfterImport(r.ctx, r.tx, im); err != nil {
			return err
		}
	}
	return nil
}
