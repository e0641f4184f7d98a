// Package records reads and writes the rows of user tables: validation against the field
// definitions, the access layer on every query, and the operation log of every change,
// written in the same transaction as the change itself.
package records

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/schema"
	"tierbase/core/users"
	"tierbase/platform/files"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// Record is one row keyed by field id, values in storage form (see schema.Type).
type Record map[string]any

// ID returns the record's id.
func (r Record) ID() int64 { id, _ := r[schema.FieldID].(int64); return id }

// Service is the records engine.
type Service struct {
	DB      *store.DB
	Catalog *schema.Catalog
	Users   *users.Service
	// Departments names the departments 部门 fields hold (package org); without it every
	// department id is refused.
	Departments Departments
	Now         func() time.Time // injectable clock
	Loc         *time.Location   // zone of dates without one; nil means time.Local
	Hooks       []Hook           // other engines taking part in every write (the rule engine)
	Files       *files.Store     // the uploaded files that 附件, 图片 and 签名 values refer to
	// Recomputed, if set, is told inside the transaction when the computed fields of the
	// records where (SQL with args) of t were recomputed set-wise — a 客户's rollups after an
	// 订单 was saved — so grading can follow.
	Recomputed func(ctx context.Context, tx *sql.Tx, t *schema.Table, where string, args []any) error
}

// Departments is the organisation's department tree as 部门 fields see it.
type Departments interface {
	// DepartmentName returns the name of department id; false when there is none.
	DepartmentName(id int64) (string, bool)
	// FindDepartment returns the department a path (总部/销售部) or a name names, and how
	// many it could name: 0 none, 2 or more ambiguous.
	FindDepartment(ref string) (int64, int)
}

// Hook lets another engine take part in every record write, inside its transaction.
type Hook interface {
	// Before may change vals (the fields about to be written; for a create, every field)
	// knowing the record as it was (nil for a create).
	Before(ctx context.Context, tx *sql.Tx, t *schema.Table, old, vals Record) error
	// After sees the record as written (nil when it was deleted), in the same transaction.
	After(ctx context.Context, tx *sql.Tx, t *schema.Table, old, rec Record) error
}

// BatchHook is a Hook that hears of many writes at once: a bulk change tells it, after
// writing a chunk of records, that olds[i] became recs[i] for each of them, instead of
// calling After on each, so that it may act on them set-wise.
type BatchHook interface {
	Hook
	AfterBatch(ctx context.Context, tx *sql.Tx, t *schema.Table, olds, recs []Record) error
}

// New returns a records engine over the given database.
// It keeps the catalog's computed fields (schema.Catalog.Computer).
func New(db *store.DB, cat *schema.Catalog, us *users.Service) *Service {
	s := &Service{DB: db, Catalog: cat, Users: us, Now: time.Now}
	cat.Computer = s
	return s
}

func (s *Service) env(a access.Actor) cond.Env {
	return access.Env(a, cond.Env{Now: s.Now(), Loc: s.Loc})
}

// policy prepares the actor's permissions on t's records.
func (s *Service) policy(a access.Actor, t *schema.Table) (*access.Policy, error) {
	return access.PolicyOf(a, t, s.env(a))
}

// As returns the whole record rec (storage form, as a rule or job holds it) as the actor sees
// it: without what they may not see, masked where they see it masked; false when they may not
// read it at all. Notifications are written with it for each recipient.
func (s *Service) As(a access.Actor, t *schema.Table, rec Record) (Record, bool, error) {
	p, err := s.policy(a, t)
	if err != nil || !p.Reads(rec) {
		return nil, false, err
	}
	out := maps.Clone(rec)
	p.Strip(out)
	mask(t, p.Fields(), out)
	return out, true, nil
}

// strip removes from recs what the actor may not see of each (access.Policy.Strip).
func (s *Service) strip(a access.Actor, t *schema.Table, recs ...Record) error {
	p, err := s.policy(a, t)
	if err != nil {
		return err
	}
	stripWith(p, t, recs...)
	return nil
}

// stripWith removes from recs what policy p does not let its actor see of each.
func stripWith(p *access.Policy, t *schema.Table, recs ...Record) {
	for _, r := range recs {
		p.Strip(r)
	}
	mask(t, p.Fields(), recs...)
}

// Query selects a page of records.
type Query struct {
	Filter    *cond.Node
	Sort      string // "-累计消费金额,客户名称": field refs, "-" for descending
	Limit     int    // default 50, at most 1000
	Offset    int
	SkipTotal bool
	Search    string // text searched in every text field
}

// Page is one page of records; Total is -1 when skipped.
type Page struct {
	Items []Record
	Total int64
}

// MaxLimit is the largest page.
const MaxLimit = 1000

// where builds the WHERE clause of the actor's scope for op, the filter and the search; fs is
// the actor's access.FieldsOf t. A filter on a field the actor may not see is refused; the
// search skips such fields.
func (s *Service) where(a access.Actor, t *schema.Table, fs access.Fields, op access.Op, filter *cond.Node, search string) (string, []any, error) {
	if f := access.HiddenIn(filter, t, fs); f != nil {
		return "", nil, problem.New(403, "field_hidden", "name", f.Name).At("filter")
	}
	env := s.env(a)
	w, args, err := access.ScopeSQL(a, t, op, env)
	if err != nil {
		return "", nil, err
	}
	if filter != nil {
		fw, fargs, err := cond.Compile(filter, t, env)
		if err != nil {
			return "", nil, err
		}
		if w == "1=1" {
			w, args = fw, fargs
		} else {
			w, args = "("+w+" AND "+fw+")", append(args, fargs...)
		}
	}
	if search = strings.TrimSpace(search); search != "" {
		var ors []string
		like := "%" + likeEscape.Replace(search) + "%"
		for _, f := range t.Fields {
			switch {
			case f.Sensitive && fs.Visible(f.ID):
				// only the whole value finds a sensitive field: its hashes
				if v, p := f.Normalize(search, s.Loc); p == nil && v != nil {
					hs := f.Hashes(v.(string))
					ors = append(ors, store.Quote(f.HashColumn())+" IN (?"+strings.Repeat(", ?", len(hs)-1)+")")
					args = append(args, hs...)
				}
			case f.Type == schema.Landline && fs.Visible(f.ID):
				ors = append(ors, t.Dialect.SearchFold("REPLACE("+store.Quote(f.Column())+", '-', '')", false)) // schema.LandlineDigits
				args = append(args, "%"+likeEscape.Replace(schema.LandlineSearch(search))+"%")
			case (f.Type.IsText() || f.Type == schema.Tags) && fs.Visible(f.ID):
				ors = append(ors, t.Dialect.SearchFold(store.Quote(f.Column()), f.Type == schema.Tags))
				args = append(args, like)
			}
		}
		if len(ors) > 0 {
			w = "(" + w + ") AND (" + strings.Join(ors, " OR ") + ")"
		}
	}
	return w, args, nil
}

// likeEscape escapes the wildcards of a LIKE pattern.
var likeEscape = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)

// orderBy builds the ORDER BY clause of sortSpec; sorting by a field the actor may not see on
// every row is refused: the order would reveal its values.
func orderBy(t *schema.Table, fs access.Fields, sortSpec string) (string, error) {
	var keys []string
	var lastField *schema.Field
	last := "DESC"
	for _, part := range strings.Split(sortSpec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		dir := "ASC"
		if strings.HasPrefix(part, "-") {
			dir, part = "DESC", part[1:]
		} else {
			part = strings.TrimPrefix(part, "+")
		}
		f := t.Field(part)
		if f == nil {
			return "", problem.Invalid("bad_sort", "name", part).At("sort")
		}
		if !fs.Visible(f.ID) {
			return "", problem.New(403, "field_hidden", "name", f.Name).At("sort")
		}
		if f.Sensitive {
			return "", sensitiveOp(f, "sort")
		}
		key := store.Quote(f.Column())
		if f.Type.IsList() {
			key = t.Dialect.ListSortKey(key)
		}
		key += " " + dir
		if f.ID != schema.FieldID {
			key += t.Dialect.NullsSort(dir == "DESC") // empty values first going up, as SQLite
		}
		keys = append(keys, key)
		last = dir
		if f.ID == schema.FieldID {
			return strings.Join(keys, ", "), nil
		}
		lastField = f
	}
	// Ties are broken by id; after a field whose index holds the 负责人, by the 负责人 first, so
	// that the order is the index's and a page is read from it, not sorted (with a data scope
	// on the 负责人, SQLite would otherwise sort all the rows in scope).
	if lastField != nil && t.IndexHoldsOwner(lastField) {
		keys = append(keys, store.Quote(t.Field(schema.FieldOwner).Column())+" "+last+t.Dialect.NullsSort(last == "DESC"))
	}
	keys = append(keys, "id "+last)
	return strings.Join(keys, ", "), nil
}

func columns(t *schema.Table) string {
	cols := make([]string, len(t.Fields))
	for i, f := range t.Fields {
		cols[i] = store.Quote(f.Column())
	}
	return strings.Join(cols, ", ")
}

// pageSQL selects a page of t's rows: limit from offset, where w holds, in the order order.
func pageSQL(t *schema.Table, w, order string, limit, offset int) string {
	return fmt.Sprintf("SELECT %s FROM %s WHERE %s ORDER BY %s LIMIT %d OFFSET %d", columns(t), store.Quote(t.SQLName()), w, order, limit, offset)
}

// List returns a page of the records the actor may see.
func (s *Service) List(ctx context.Context, a access.Actor, t *schema.Table, q Query) (*Page, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	if q.Limit > MaxLimit {
		q.Limit = MaxLimit
	}
	if q.Offset < 0 {
		q.Offset = 0
	}
	p, err := s.policy(a, t)
	if err != nil {
		return nil, err
	}
	fs := p.Fields()
	w, args, err := s.where(a, t, fs, access.Read, q.Filter, q.Search)
	if err != nil {
		return nil, err
	}
	order, err := orderBy(t, fs, q.Sort)
	if err != nil {
		return nil, err
	}
	items, err := s.query(ctx, s.DB.R, t, pageSQL(t, w, order, q.Limit, q.Offset), args...)
	if err != nil {
		return nil, err
	}
	stripWith(p, t, items...)
	page := &Page{Items: items, Total: -1}
	if !q.SkipTotal {
		err := s.DB.R.QueryRowContext(ctx, fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE %s", store.Quote(t.SQLName()), w), args...).Scan(&page.Total)
		if err != nil {
			return nil, err
		}
	}
	return page, nil
}

// Count returns how many records the actor may see match the filter.
func (s *Service) Count(ctx context.Context, a access.Actor, t *schema.Table, filter *cond.Node) (int64, error) {
	w, args, err := s.where(a, t, access.FieldsOf(a, t), access.Read, filter, "")
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.DB.R.QueryRowContext(ctx, fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE %s", store.Quote(t.SQLName()), w), args...).Scan(&n)
	return n, err
}

// Get returns one record the actor may see, without the fields they may not see on it, with
// the rows of its sub-tables (Rows).
func (s *Service) Get(ctx context.Context, a access.Actor, t *schema.Table, id int64) (Record, error) {
	rec, err := s.get(ctx, s.DB.R, a, t, access.Read, id)
	if err != nil {
		return nil, err
	}
	if err := s.strip(a, t, rec); err != nil {
		return nil, err
	}
	return rec, s.withRows(ctx, s.DB.R, t, rec)
}

// GetTx is Get inside the caller's write transaction: it sees what tx wrote, and takes no
// second connection while tx holds one (on PostgreSQL the two come from one pool, which
// transactions waiting for a reader could empty).
func (s *Service) GetTx(ctx context.Context, tx *sql.Tx, a access.Actor, t *schema.Table, id int64) (Record, error) {
	rec, err := s.get(ctx, tx, a, t, access.Read, id)
	if err != nil {
		return nil, err
	}
	if err := s.strip(a, t, rec); err != nil {
		return nil, err
	}
	return rec, s.withRows(ctx, tx, t, rec)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// get reads one whole record within the actor's scope for op; a record outside it is not found.
func (s *Service) get(ctx context.Context, db querier, a access.Actor, t *schema.Table, op access.Op, id int64) (Record, error) {
	recs, err := s.getMany(ctx, db, a, t, op, []int64{id})
	if err == nil && recs[id] == nil {
		err = problem.NotFound("record", fmt.Sprint(id))
	}
	return recs[id], err
}

// getMany reads the records ids as get does, keyed by id; those the actor may not op on
// (or that are not there) are missing.
func (s *Service) getMany(ctx context.Context, db querier, a access.Actor, t *schema.Table, op access.Op, ids []int64) (map[int64]Record, error) {
	w, args, err := s.where(a, t, access.FieldsOf(a, t), op, nil, "")
	if err != nil {
		return nil, err
	}
	query := fmt.Sprintf("SELECT %s FROM %s WHERE id IN (?%s) AND (%s)", columns(t), store.Quote(t.SQLName()),
		strings.Repeat(", ?", len(ids)-1), w)
	if op != access.Read { // the write that follows works from this row: no other may come between
		query += t.Dialect.RowLock()
	}
	all := make([]any, 0, len(ids)+len(args))
	for _, id := range ids {
		all = append(all, id)
	}
	items, err := s.query(ctx, db, t, query, append(all, args...)...)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]Record, len(items))
	for _, r := range items {
		out[r.ID()] = r
	}
	return out, nil
}

func (s *Service) query(ctx context.Context, db querier, t *schema.Table, query string, args ...any) ([]Record, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var out []Record
	err = scan(rows, t, func(r Record) error { out = append(out, r); return nil })
	return out, err
}

// scan reads rows of all of t's columns (in t.Fields order) into records, one at a time,
// and closes rows.
func scan(rows *sql.Rows, t *schema.Table, fn func(Record) error) error {
	defer rows.Close()
	dest := make([]any, len(t.Fields))
	ptrs := make([]any, len(t.Fields))
	for i := range dest {
		ptrs[i] = &dest[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		rec := make(Record, len(t.Fields))
		for i, f := range t.Fields {
			rec[f.ID] = FromSQL(f, dest[i])
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	return rows.Err()
}

// FromSQL converts a column value to the field's storage form.
func FromSQL(f *schema.Field, v any) any {
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	if v == nil {
		return nil
	}
	switch {
	case f.Sensitive:
		return f.Unseal(v)
	case f.ID == schema.FieldID:
		return v
	case f.Type.IsNumeric():
		switch x := v.(type) {
		case int64:
			return float64(x)
		case float64:
			return x
		case string: // NUMERIC, from PostgreSQL
			if n, err := strconv.ParseFloat(x, 64); err == nil {
				return n
			}
		}
	case f.Type == schema.Checkbox:
		n, _ := v.(int64)
		return n != 0
	case f.Type.IsMulti():
		if s, ok := v.(string); ok {
			if list, ok := stringList(s); ok {
				return list
			}
		}
		return nil
	case f.Type == schema.Links:
		var ids []int64
		if s, ok := v.(string); ok && json.Unmarshal([]byte(s), &ids) == nil && len(ids) > 0 {
			return ids
		}
		return nil
	case f.Type == schema.Numbers:
		var ns []float64
		if s, ok := v.(string); ok && json.Unmarshal([]byte(s), &ns) == nil && len(ns) > 0 {
			return ns
		}
		return nil
	}
	return v
}

// stringList decodes a column's JSON list of strings, or says it is not one. A list whose
// strings hold no escape, as tags and options nearly always are, is cut out of s without
// encoding/json, which took a tenth of the server's time for a page of 50 客户 with 标签.
func stringList(s string) ([]string, bool) {
	if !strings.Contains(s, `\`) {
		if list, ok := plainStrings(s); ok {
			return list, true
		}
	}
	var list []string
	return list, json.Unmarshal([]byte(s), &list) == nil
}

// plainStrings reads s as a JSON array of strings that hold no escape and are valid UTF-8
// (["a", "b"], with or without spaces), or says it is not one.
func plainStrings(s string) ([]string, bool) {
	s = trimJSONSpace(s)
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' || !utf8.ValidString(s) {
		return nil, false
	}
	list := make([]string, 0, 1+strings.Count(s, ","))
	rest := trimJSONSpace(s[1 : len(s)-1])
	for rest != "" {
		if rest[0] != '"' {
			return nil, false
		}
		end := strings.IndexByte(rest[1:], '"')
		if end < 0 {
			return nil, false
		}
		item := rest[1 : 1+end]
		for i := 0; i < len(item); i++ {
			if item[i] < 0x20 { // JSON escapes control characters
				return nil, false
			}
		}
		list = append(list, item)
		rest = trimJSONSpace(rest[2+end:])
		if rest == "" {
			break
		}
		if rest[0] != ',' {
			return nil, false
		}
		if rest = trimJSONSpace(rest[1:]); rest == "" {
			return nil, false // a trailing comma
		}
	}
	return list, true
}

// trimJSONSpace is s without the whitespace JSON allows around its tokens.
func trimJSONSpace(s string) string {
	return strings.Trim(s, " \t\n\r")
}

// SQLValue converts a storage-form value to its column value: lists as JSON text, booleans as 0/1.
func SQLValue(v any) any {
	switch x := v.(type) {
	case []string, []int64, []float64:
		b, _ := json.Marshal(x)
		return string(b)
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	}
	return v
}

// Each calls fn with every record the actor may see that matches q (without the fields they
// may not see on it) (filter, search and sort;
// the default order is by id; limit and offset are ignored), streaming: memory stays flat
// however many records there are.
func (s *Service) Each(ctx context.Context, a access.Actor, t *schema.Table, q Query, fn func(Record) error) error {
	p, err := s.policy(a, t)
	if err != nil {
		return err
	}
	w, args, err := s.where(a, t, p.Fields(), access.Read, q.Filter, q.Search)
	if err != nil {
		return err
	}
	if q.Sort == "" {
		q.Sort = schema.FieldID
	}
	order, err := orderBy(t, p.Fields(), q.Sort)
	if err != nil {
		return err
	}
	rows, err := s.DB.R.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %s WHERE %s ORDER BY %s",
		columns(t), store.Quote(t.SQLName()), w, order), args...)
	if err != nil {
		return err
	}
	return scan(rows, t, func(r Record) error { stripWith(p, t, r); return fn(r) })
}
