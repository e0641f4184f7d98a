package records

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"

	"tierbase/core/cond"
	"tierbase/core/formula"
	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// Computed fields (schema.Computed) are ordinary columns to readers; this file keeps them
// current. A record's own formulas and lookups are computed in Go before it is written; what
// the write changes elsewhere is updated set-wise in the same transaction: the rollups of the
// records it links to (old and new parent on a re-link), the lookups of the records linking
// to it, and from there whatever reads those, table by table (the catalog refuses cycles).

// selection picks rows of a table: a WHERE fragment and its arguments.
type selection struct {
	where string
	args  []any
}

// compiled caches formulas and rollup conditions by field id and source.
var compiled sync.Map // string → *formula.Formula | *cond.Node

func formulaOf(t *schema.Table, f *schema.Field) (*formula.Formula, error) {
	key := t.ID + "." + f.ID + "|" + f.Computed.Formula + "|" + strings.Join(f.Computed.Refs, ",")
	if v, ok := compiled.Load(key); ok {
		return v.(*formula.Formula), nil
	}
	fo, err := formula.Compile(f.Computed.Formula, t)
	if err == nil {
		compiled.Store(key, fo)
	}
	return fo, err
}

func whereOf(f *schema.Field) (*cond.Node, error) {
	if len(f.Computed.Where) == 0 {
		return nil, nil
	}
	key := f.ID + "|" + string(f.Computed.Where)
	if v, ok := compiled.Load(key); ok {
		return v.(*cond.Node), nil
	}
	n, err := cond.Parse(f.Computed.Where)
	if err == nil {
		compiled.Store(key, n)
	}
	return n, err
}

// Refs checks the formula, or the rollup's condition, of computed field f of t and returns
// the ids of the fields it reads (schema.Computer).
func (s *Service) Refs(t *schema.Table, f *schema.Field) ([]string, error) {
	k := f.Computed
	if k.Kind == schema.Formula {
		fo, err := formula.Compile(k.Formula, t)
		if err != nil {
			return nil, err
		}
		// In the table's field order, so the stored definition reads the same on every
		// database whatever ids the fields were given.
		reads := fo.Fields()
		var refs []string
		for _, g := range t.Fields {
			if slices.Contains(reads, g.ID) {
				refs = append(refs, g.ID)
			}
		}
		return refs, nil
	}
	child, err := s.Catalog.Table(k.Table)
	if err != nil {
		return nil, err
	}
	n, err := cond.Parse(k.Where)
	if err == nil {
		err = cond.Check(n, child)
	}
	if err != nil {
		if p := problem.As(err); p != nil {
			p.At("computed.where." + p.Path)
		}
		return nil, err
	}
	var refs []string
	var walk func(n *cond.Node)
	walk = func(n *cond.Node) {
		if n == nil {
			return
		}
		if g := child.Field(n.Field); g != nil && !slices.Contains(refs, g.ID) {
			refs = append(refs, g.ID)
		}
		for _, c := range append(append([]*cond.Node{n.Not}, n.And...), n.Or...) {
			walk(c)
		}
	}
	walk(n)
	return refs, nil
}

// Fill computes the columns of fs, new or redefined computed fields of t (t holds them, and
// none of them reads another), for every record (schema.Computer): a backfill, set-wise. The
// lookups over one link field are one UPDATE, the rollups over the same records (table, link
// field and condition) one grouped UPDATE, and the formulas one pass.
func (s *Service) Fill(ctx context.Context, tx *sql.Tx, t *schema.Table, fs []*schema.Field) error {
	var lookups, rollups [][]*schema.Field
	group := func(groups [][]*schema.Field, f *schema.Field, same func(g *schema.Field) bool) [][]*schema.Field {
		for i, g := range groups {
			if same(g[0]) {
				groups[i] = append(g, f)
				return groups
			}
		}
		return append(groups, []*schema.Field{f})
	}
	formulas := false
	for _, f := range fs {
		k := f.Computed
		switch k.Kind {
		case schema.Lookup:
			lookups = group(lookups, f, func(g *schema.Field) bool { return g.Computed.Link == k.Link })
		case schema.Rollup:
			rollups = group(rollups, f, func(g *schema.Field) bool {
				return g.Computed.Table == k.Table && g.Computed.Link == k.Link && string(g.Computed.Where) == string(k.Where)
			})
		default:
			formulas = true
		}
	}
	all := selection{where: "1=1"}
	for _, g := range lookups {
		if err := s.refreshLookups(ctx, tx, t, g, all); err != nil {
			return err
		}
	}
	for _, g := range rollups {
		if err := s.fillRollups(ctx, tx, t, g); err != nil {
			return err
		}
	}
	if formulas {
		return s.refreshFormulas(ctx, tx, t, all)
	}
	return nil
}

// env is what formulas and rollup conditions are computed against.
func (s *Service) formulaEnv() formula.Env { return formula.Env{Now: s.Now(), Loc: s.loc()} }

// rollupZero is the value of a rollup over no records: 0 for count and sum, else empty.
func rollupZero(f *schema.Field) any {
	if f.Computed.Fn == "count" || f.Computed.Fn == "sum" {
		return 0.0
	}
	return nil
}

// withBase is rollup f's value from its opening value base (nil: none) and its aggregate
// over the linking records agg (nil: none for min and max), as combineSQL computes it.
func withBase(f *schema.Field, base, agg any) any {
	if f.Computed.Base == "" || base == nil {
		return agg
	}
	switch f.Computed.Fn {
	case "count", "sum":
		v, _ := f.Normalize(toFloat(base)+toFloat(agg), nil)
		return v
	case "max", "min":
		if agg == nil {
			return base
		}
		if less := cond.Compare(base, agg) < 0; less == (f.Computed.Fn == "min") {
			return base
		}
	}
	return agg
}

// combineSQL is rollup f's value in SQL from its opening value's column base (of the row the
// rollup is for) and the aggregate agg: count and sum add them, min and max keep the lesser
// or greater.
func combineSQL(f *schema.Field, base, agg string) string {
	if f.Computed.Base == "" {
		return agg
	}
	switch f.Computed.Fn {
	case "count", "sum":
		return "COALESCE(" + base + ", 0) + " + agg
	case "max":
		return fmt.Sprintf("CASE WHEN %[2]s IS NULL OR %[1]s > %[2]s THEN %[1]s ELSE %[2]s END", base, agg)
	case "min":
		return fmt.Sprintf("CASE WHEN %[2]s IS NULL OR %[1]s < %[2]s THEN %[1]s ELSE %[2]s END", base, agg)
	}
	return agg
}

// rollupOf is rollup f's aggregate over the records linking to the record id, without its
// opening value.
func (s *Service) rollupOf(ctx context.Context, tx *sql.Tx, f *schema.Field, id int64) (any, error) {
	child, err := s.Catalog.Table(f.Computed.Table)
	if err != nil {
		return nil, err
	}
	expr, where, args, err := s.aggregate(f)
	if err != nil {
		return nil, err
	}
	var v any
	q := fmt.Sprintf("SELECT %s FROM %s c WHERE %s AND (%s)", expr, store.Quote(child.SQLName()), s.linksTo(child, f.Computed.Link, "c", "?"), where)
	if err := tx.QueryRowContext(ctx, q, append([]any{id}, args...)...).Scan(&v); err != nil {
		return nil, err
	}
	return FromSQL(f, v), nil
}

// linksTo is the condition "the row alias of table child links to the record whose id is
// the SQL expression id" over link field link of child: a single link or a 多条关联.
func (s *Service) linksTo(child *schema.Table, link, alias, id string) string {
	col := alias + "." + store.Quote(link)
	if f := child.Field(link); f.Type == schema.Links {
		return schema.LinksHaveAny(child, f, alias+".id", col, []string{id}, false)
	}
	return col + " = " + id
}

// linkedFrom is a SELECT of the ids of the records the rows sel of table t link to through
// link field link (a single link or a 多条关联).
func (s *Service) linkedFrom(t *schema.Table, link string, sel selection) string {
	if t.Field(link).Type == schema.Links {
		from, id, _ := s.DB.Dialect.IDListItems("l.ids", "u")
		return fmt.Sprintf("SELECT %s FROM (SELECT %s AS ids FROM %s WHERE %s) l, %s", id, store.Quote(link), store.Quote(t.SQLName()), sel.where, from)
	}
	return fmt.Sprintf("SELECT %s FROM %s WHERE %s", store.Quote(link), store.Quote(t.SQLName()), sel.where)
}

// readsAny reports whether computed field f of t reads one of the fields in changed (ids of
// fields of table tableID).
func readsAny(t *schema.Table, f *schema.Field, tableID string, changed map[string]bool) bool {
	for _, r := range f.Reads(t) {
		tid, fid, _ := strings.Cut(r, ".")
		if tid == tableID && changed[fid] {
			return true
		}
	}
	return false
}

// computeOwn sets, in vals, the computed fields of a record of t about to be written (old
// nil for a create): its lookups when their link changed, its rollups when it is new (no
// record links to it yet), and its formulas. known keeps the lookups' reads (may be nil).
func (s *Service) computeOwn(ctx context.Context, tx *sql.Tx, t *schema.Table, old, vals Record, known reads) error {
	for _, f := range t.Fields {
		k := f.Computed
		switch {
		case k == nil:
		case k.Kind == schema.Rollup && old == nil:
			vals[f.ID] = withBase(f, vals[k.Base], rollupZero(f))
		case k.Kind == schema.Rollup && k.Base != "":
			base, given := vals[k.Base]
			if !given || Equal(base, old[k.Base]) {
				continue
			}
			v, err := s.rollupOf(ctx, tx, f, old.ID())
			if err != nil {
				return err
			}
			vals[f.ID] = withBase(f, base, v)
		case k.Kind == schema.Lookup:
			link, given := vals[k.Link]
			if old != nil && (!given || Equal(link, old[k.Link])) {
				continue
			}
			v, err := known.once(fmt.Sprintf("lookup %s %s %v", k.Link, k.Field, link), func() (any, error) { return s.lookup(ctx, tx, t, f, link) })
			if err != nil {
				return err
			}
			vals[f.ID] = v
		}
	}
	return s.computeFormulas(t, old, vals)
}

// lookup computes lookup f of t for the value of its link field (an id, a list of ids of a
// 多条关联, or nil for none).
func (s *Service) lookup(ctx context.Context, tx *sql.Tx, t *schema.Table, f *schema.Field, link any) (any, error) {
	var arg any
	switch x := link.(type) {
	case nil:
		return nil, nil
	case []int64:
		arg = SQLValue(x)
	default:
		arg = x
	}
	expr, err := s.lookupSQL(t, f, "?")
	if err != nil {
		return nil, err
	}
	var v any
	if err := tx.QueryRowContext(ctx, "SELECT "+expr, arg).Scan(&v); err != nil {
		return nil, err
	}
	return FromSQL(f, v), nil
}

// lookupSQL is the SQL of lookup f of table t given link, the SQL of its link field's value
// (a column, or a placeholder): the shown field of the linked record; through a 多条关联, the
// JSON array of that field of every linked record in the order of the ids (their items, for a
// multi field), NULL when none has a value: a number per record, a text or an option once
// where it first shows, a linked record's id once, ascending (the storage forms of 数字列表,
// 标签, 多选 and 多条关联).
func (s *Service) lookupSQL(t *schema.Table, f *schema.Field, link string) (string, error) {
	lf := t.Field(f.Computed.Link)
	target, err := s.Catalog.Table(lf.LinkTable)
	if err != nil {
		return "", err
	}
	shown := store.Quote(target.SQLName())
	col := "x." + store.Quote(f.Computed.Field)
	if lf.Type != schema.Links {
		return fmt.Sprintf("(SELECT %s FROM %s x WHERE x.id = %s)", col, shown, link), nil
	}
	d := s.DB.Dialect
	if link == "?" {
		link = d.IDListParam(link)
	}
	items, id, pos := d.IDListItems(link, "u")
	from := fmt.Sprintf("%s JOIN %s x ON x.id = %s", items, shown, id)
	item, order := col, pos
	switch ty := target.Field(f.Computed.Field).Type; {
	case ty.IsMulti():
		each, eitem, epos := d.ListItems(col, "e")
		from += " CROSS JOIN " + each
		item, order = eitem, pos+", "+epos
	case ty == schema.Link:
		order = col
	}
	from += " WHERE " + col + " IS NOT NULL"
	switch f.Type {
	case schema.Numbers: // a number per linked record
		return fmt.Sprintf("(SELECT %s FROM %s)", d.JSONAgg(item, order, false), from), nil
	case schema.Links: // each linked record once, ascending
		return fmt.Sprintf("(SELECT %s FROM %s)", d.JSONAgg(item, order, true), from), nil
	}
	// each value once, where it first shows: the storage form of a 标签 or 多选
	return fmt.Sprintf("(SELECT %s FROM (SELECT i.v, MIN(i.n) AS n FROM (SELECT %s AS v, row_number() OVER (ORDER BY %s) AS n FROM %s) i GROUP BY i.v) g)",
		d.JSONAgg("g.v", "g.n", false), item, order, from), nil
}

// computeFormulas sets in vals the formulas of t over the record old with vals written, in
// the order they read each other. A formula that cannot be computed (a date of an empty
// field) is empty, as in a spreadsheet.
func (s *Service) computeFormulas(t *schema.Table, old, vals Record) error {
	fs := formulas(t)
	if len(fs) == 0 {
		return nil
	}
	rec := make(Record, len(t.Fields))
	for k, v := range old {
		rec[k] = v
	}
	for k, v := range vals {
		rec[k] = v
	}
	env := s.formulaEnv()
	for _, f := range fs {
		fo, err := formulaOf(t, f)
		if err != nil {
			return err
		}
		var v any
		if out, err := fo.Eval(rec, env); err == nil && out != nil {
			v, _ = f.Normalize(out, s.Loc)
		}
		if old == nil || !Equal(old[f.ID], v) {
			vals[f.ID] = v
		}
		rec[f.ID] = v
	}
	return nil
}

// formulas lists the formula fields of t, each after the formulas it reads.
func formulas(t *schema.Table) []*schema.Field {
	var todo, out []*schema.Field
	for _, f := range t.Fields {
		if f.Computed != nil && f.Computed.Kind == schema.Formula {
			todo = append(todo, f)
		}
	}
	done := map[string]bool{}
	for len(todo) > 0 {
		n := len(todo)
		todo = slices.DeleteFunc(todo, func(f *schema.Field) bool {
			for _, r := range f.Computed.Refs {
				if g := t.Field(r); g != nil && g.Computed != nil && g.Computed.Kind == schema.Formula && !done[r] {
					return false
				}
			}
			done[f.ID] = true
			out = append(out, f)
			return true
		})
		if len(todo) == n { // a ring: the catalog refuses them, so never here
			break
		}
	}
	return out
}

// written spreads the write of one record of t (old → rec; old nil when created, rec nil
// when deleted) to the computed fields of other records that read it. Its own were computed
// before it was written (computeOwn).
func (s *Service) written(ctx context.Context, tx *sql.Tx, t *schema.Table, old, rec Record) error {
	return s.writtenMany(ctx, tx, t, []Record{old}, []Record{rec})
}

// writtenMany is written for many records of t at once (olds[i] became recs[i]; all deleted
// or none), set-wise: the fields changed in any of them are spread from all of them, to the
// records any of them links to before or after.
func (s *Service) writtenMany(ctx context.Context, tx *sql.Tx, t *schema.Table, olds, recs []Record) error {
	if !s.computes(t) || len(recs) == 0 {
		return nil
	}
	changed := map[string]bool{} // of the fields computed fields read: no other is asked about
	for _, f := range s.computedReads(t) {
		for i, rec := range recs {
			if olds[i] == nil || rec == nil || !Equal(olds[i][f.ID], rec[f.ID]) {
				changed[f.ID] = true
				break
			}
		}
	}
	parents := func(link string) (selection, bool) {
		var ids []any
		seen := map[any]bool{}
		add := func(v any) {
			if v != nil && !seen[v] {
				ids, seen[v] = append(ids, v), true
			}
		}
		for _, r := range slices.Concat(olds, recs) {
			if list, ok := r[link].([]int64); ok { // a 多条关联: every record it names
				for _, id := range list {
					add(id)
				}
			} else {
				add(r[link])
			}
		}
		if len(ids) == 0 {
			return selection{where: "1=0"}, true
		}
		return selection{where: "id IN (?" + strings.Repeat(", ?", len(ids)-1) + ")", args: ids}, true
	}
	if recs[0] == nil { // what linked to them is unlinked by deleteMany, and spreads from there
		return s.spreadRollups(ctx, tx, t, changed, selection{}, parents)
	}
	rows := make([]any, len(recs))
	for i, rec := range recs {
		rows[i] = rec.ID()
	}
	return s.spread(ctx, tx, t, changed, selection{where: "id IN (?" + strings.Repeat(", ?", len(rows)-1) + ")", args: rows}, false, parents)
}

// computedReads lists the fields of t that computed fields (of any table) read.
func (s *Service) computedReads(t *schema.Table) []*schema.Field {
	reads := map[string]bool{}
	for _, o := range s.Catalog.Tables() {
		for _, f := range o.Fields {
			for _, r := range f.Reads(o) {
				if tid, fid, _ := strings.Cut(r, "."); tid == t.ID {
					reads[fid] = true
				}
			}
		}
	}
	return slices.DeleteFunc(slices.Clone(t.Fields), func(f *schema.Field) bool { return !reads[f.ID] })
}

// computes reports whether t has computed fields or computed fields read t.
func (s *Service) computes(t *schema.Table) bool {
	for _, o := range s.Catalog.Tables() {
		for _, f := range o.Fields {
			if f.IsComputed() && (o.ID == t.ID || slices.ContainsFunc(f.Reads(o), func(r string) bool { return strings.HasPrefix(r, t.ID+".") })) {
				return true
			}
		}
	}
	return false
}

// spread updates what reads the fields changed of the rows sel of t: when own, those rows'
// lookups over a changed link and their formulas; the rollups of the records they link to
// (parents, when it answers, picks those for a link field; by default the ones sel links
// to); the lookups of the records linking to them; and on from there.
func (s *Service) spread(ctx context.Context, tx *sql.Tx, t *schema.Table, changed map[string]bool, sel selection, own bool, parents func(link string) (selection, bool)) error {
	if own {
		groups := map[string][]*schema.Field{}
		for _, f := range t.Fields {
			if k := f.Computed; k != nil && k.Kind == schema.Lookup && changed[k.Link] {
				groups[k.Link] = append(groups[k.Link], f)
			}
		}
		for _, fs := range groups {
			if err := s.refreshLookups(ctx, tx, t, fs, sel); err != nil {
				return err
			}
			maps.Copy(changed, ids(fs))
		}
		formulasChanged := false
		for _, f := range formulas(t) {
			if readsAny(t, f, t.ID, changed) {
				formulasChanged, changed[f.ID] = true, true
			}
		}
		if formulasChanged {
			if err := s.refreshFormulas(ctx, tx, t, sel); err != nil {
				return err
			}
		}
	}
	if err := s.spreadRollups(ctx, tx, t, changed, sel, parents); err != nil {
		return err
	}
	for _, c := range s.Catalog.Tables() {
		groups := map[string][]*schema.Field{} // link field → the lookups over it reading changed
		for _, f := range c.Fields {
			if k := f.Computed; k != nil && k.Kind == schema.Lookup && c.Field(k.Link).LinkTable == t.ID && changed[k.Field] {
				groups[k.Link] = append(groups[k.Link], f)
			}
		}
		for link, fs := range groups {
			sels := []selection{{where: fmt.Sprintf("%s IN (SELECT id FROM %s WHERE %s)", store.Quote(link), store.Quote(t.SQLName()), sel.where), args: sel.args}}
			if c.Field(link).Type == schema.Links {
				var err error
				if sels, err = s.linking(ctx, tx, c, c.Field(link), t, sel); err != nil {
					return err
				}
			}
			for _, children := range sels {
				if err := s.refreshLookups(ctx, tx, c, fs, children); err != nil {
					return err
				}
				if err := s.spread(ctx, tx, c, ids(fs), children, true, nil); err != nil {
					return err
				}
				if err := s.recomputed(ctx, tx, c, children); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// linking selects the rows of c whose 多条关联 link names one of the rows sel of t: their ids
// read first, then a selection per 500 of them (a containment each, which the link's index
// serves).
func (s *Service) linking(ctx context.Context, tx *sql.Tx, c *schema.Table, link *schema.Field, t *schema.Table, sel selection) ([]selection, error) {
	rows, err := tx.QueryContext(ctx, fmt.Sprintf("SELECT id FROM %s WHERE %s", store.Quote(t.SQLName()), sel.where), sel.args...)
	if err != nil {
		return nil, err
	}
	var ids []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []selection
	for chunk := range slices.Chunk(ids, 500) {
		phs := slices.Repeat([]string{"?"}, len(chunk))
		out = append(out, selection{where: schema.LinksHaveAny(c, link, "id", store.Quote(link.Column()), phs, false), args: chunk})
	}
	return out, nil
}

// spreadRollups updates the rollups over t that read the fields changed, of the records
// parents picks for each link field (by default those the rows sel of t link to), and
// spreads on from them.
func (s *Service) spreadRollups(ctx context.Context, tx *sql.Tx, t *schema.Table, changed map[string]bool, sel selection, parents func(link string) (selection, bool)) error {
	for _, p := range s.Catalog.Tables() {
		groups := map[string][]*schema.Field{} // link field of t → the rollups over it
		for _, f := range p.Fields {
			if k := f.Computed; k != nil && k.Kind == schema.Rollup && k.Table == t.ID && readsAny(p, f, t.ID, changed) {
				groups[k.Link] = append(groups[k.Link], f)
			}
		}
		for link, fs := range groups {
			ps, ok := selection{}, false
			if parents != nil {
				ps, ok = parents(link)
			}
			if !ok {
				ps = selection{where: "id IN (" + s.linkedFrom(t, link, sel) + ")", args: sel.args}
			}
			if ps.where == "1=0" {
				continue
			}
			if err := s.refreshRollups(ctx, tx, p, fs, ps); err != nil {
				return err
			}
			if err := s.spread(ctx, tx, p, ids(fs), ps, true, nil); err != nil {
				return err
			}
			if err := s.recomputed(ctx, tx, p, ps); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Service) recomputed(ctx context.Context, tx *sql.Tx, t *schema.Table, sel selection) error {
	if s.Recomputed == nil {
		return nil
	}
	return s.Recomputed(ctx, tx, t, sel.where, sel.args)
}

func ids(fs []*schema.Field) map[string]bool {
	out := make(map[string]bool, len(fs))
	for _, f := range fs {
		out[f.ID] = true
	}
	return out
}

// aggregate is the SQL of rollup f over the rows of its table (aliased c) that match its
// condition, grouped or correlated by the caller, and the condition's arguments.
func (s *Service) aggregate(f *schema.Field) (expr, where string, args []any, err error) {
	k := f.Computed
	child, err := s.Catalog.Table(k.Table)
	if err != nil {
		return "", "", nil, err
	}
	n, err := whereOf(f)
	if err != nil {
		return "", "", nil, err
	}
	where, args = "1=1", nil
	if n != nil {
		if where, args, err = cond.Compile(n, child, cond.Env{Now: s.Now(), Loc: s.Loc}); err != nil {
			return "", "", nil, err
		}
	}
	switch k.Fn {
	case "count":
		expr = "COUNT(*)"
	case "sum":
		expr = "COALESCE(SUM(c." + store.Quote(k.Field) + "), 0)"
	default:
		expr = strings.ToUpper(k.Fn) + "(c." + store.Quote(k.Field) + ")"
	}
	return expr, where, args, nil
}

// refreshRollups recomputes rollups fs of table p (all over the same link) for the rows sel,
// in one UPDATE: the rollups with the same condition read the linking records once.
func (s *Service) refreshRollups(ctx context.Context, tx *sql.Tx, p *schema.Table, fs []*schema.Field, sel selection) error {
	child, err := s.Catalog.Table(fs[0].Computed.Table)
	if err != nil {
		return err
	}
	var order []string
	groups := map[string][]*schema.Field{} // condition → the rollups with it
	for _, f := range fs {
		w := string(f.Computed.Where)
		if groups[w] == nil {
			order = append(order, w)
		}
		groups[w] = append(groups[w], f)
	}
	var sets []string
	var args []any
	for _, w := range order {
		var cols, exprs []string
		var where string
		for _, f := range groups[w] {
			expr, fwhere, wargs, err := s.aggregate(f)
			if err != nil {
				return err
			}
			if where == "" {
				where, args = fwhere, append(args, wargs...)
			}
			base := store.Quote(p.SQLName()) + "." + store.Quote(f.Computed.Base)
			cols, exprs = append(cols, store.Quote(f.Column())), append(exprs, combineSQL(f, base, expr))
		}
		sub := fmt.Sprintf("(SELECT %s FROM %s c WHERE %s AND (%s))", strings.Join(exprs, ", "),
			store.Quote(child.SQLName()), s.linksTo(child, groups[w][0].Computed.Link, "c", store.Quote(p.SQLName())+".id"), where)
		if len(cols) == 1 {
			sets = append(sets, cols[0]+" = "+sub)
		} else {
			sets = append(sets, "("+strings.Join(cols, ", ")+") = "+sub)
		}
	}
	_, err = tx.ExecContext(ctx, fmt.Sprintf("UPDATE %s SET %s WHERE %s", store.Quote(p.SQLName()), strings.Join(sets, ", "), sel.where), append(args, sel.args...)...)
	return err
}

// fillRollups computes rollups fs of table p, all over the same records (table, link field
// and condition), for every row: their values over no records where others are held, in one
// UPDATE, then one grouped UPDATE for the rows some record links to.
func (s *Service) fillRollups(ctx context.Context, tx *sql.Tx, p *schema.Table, fs []*schema.Field) error {
	k := fs[0].Computed
	child, err := s.Catalog.Table(k.Table)
	if err != nil {
		return err
	}
	table, link := store.Quote(p.SQLName()), store.Quote(k.Link)
	var zeros, stale, sets, aggs []string
	var where string
	var args []any
	for i, f := range fs {
		expr, fwhere, fargs, err := s.aggregate(f)
		if err != nil {
			return err
		}
		if i == 0 {
			where, args = fwhere, fargs
		}
		col, base := store.Quote(f.Column()), table+"."+store.Quote(f.Computed.Base)
		none := "NULL"
		if rollupZero(f) != nil {
			none = "0"
		}
		zeros = append(zeros, col+" = "+combineSQL(f, base, none))
		switch {
		case f.Computed.Base != "": // the opening value alone, where no record links
			stale = append(stale, "1=1")
		case none == "0": // a new column holds it already (its DEFAULT): no row is written
			stale = append(stale, col+" IS NULL OR "+col+" <> 0")
		default:
			stale = append(stale, col+" IS NOT NULL")
		}
		v := fmt.Sprintf("v%d", i)
		aggs = append(aggs, expr+" AS "+v)
		sets = append(sets, col+" = "+combineSQL(f, base, "g."+v))
	}
	zero := fmt.Sprintf("UPDATE %s SET %s WHERE (%s)", table, strings.Join(zeros, ", "), strings.Join(stale, ") OR ("))
	if _, err := tx.ExecContext(ctx, zero); err != nil {
		return err
	}
	from := fmt.Sprintf("%s c WHERE c.%s IS NOT NULL AND (%s)", store.Quote(child.SQLName()), link, where)
	key := "c." + link
	if child.Field(k.Link).Type == schema.Links { // a row per record each list names
		var each string
		each, key, _ = s.DB.Dialect.IDListItems(key, "u")
		from = "(SELECT * FROM " + from + ") c, " + each
	}
	q := fmt.Sprintf("UPDATE %[1]s SET %[2]s FROM (SELECT %[3]s AS k, %[4]s FROM %[5]s GROUP BY %[3]s) g WHERE %[1]s.id = g.k",
		table, strings.Join(sets, ", "), key, strings.Join(aggs, ", "), from)
	_, err = tx.ExecContext(ctx, q, args...)
	return err
}

// refreshLookups recomputes lookups fs of table c (all over the same link) for the rows sel,
// in one UPDATE.
func (s *Service) refreshLookups(ctx context.Context, tx *sql.Tx, c *schema.Table, fs []*schema.Field, sel selection) error {
	link := store.Quote(c.SQLName()) + "." + store.Quote(fs[0].Computed.Link)
	var sets []string
	for _, f := range fs {
		expr, err := s.lookupSQL(c, f, link)
		if err != nil {
			return err
		}
		sets = append(sets, store.Quote(f.Column())+" = "+expr)
	}
	_, err := tx.ExecContext(ctx, fmt.Sprintf("UPDATE %s SET %s WHERE %s", store.Quote(c.SQLName()), strings.Join(sets, ", "), sel.where), sel.args...)
	return err
}

// refreshFormulas recomputes the formulas of t for the rows sel, writing the rows whose
// values changed.
func (s *Service) refreshFormulas(ctx context.Context, tx *sql.Tx, t *schema.Table, sel selection) error {
	rows, err := tx.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %s WHERE %s", columns(t), store.Quote(t.SQLName()), sel.where), sel.args...)
	if err != nil {
		return err
	}
	var olds []Record
	if err := scan(rows, t, func(r Record) error { olds = append(olds, r); return nil }); err != nil {
		return err
	}
	for _, old := range olds {
		vals := Record{}
		if err := s.computeFormulas(t, old, vals); err != nil {
			return err
		}
		var sets []string
		var args []any
		for _, f := range formulas(t) {
			if v, ok := vals[f.ID]; ok {
				sets = append(sets, store.Quote(f.Column())+" = ?")
				args = append(args, SQLValue(v))
			}
		}
		if len(sets) == 0 {
			continue
		}
		q := fmt.Sprintf("UPDATE %s SET %s WHERE id = ?", store.Quote(t.SQLName()), strings.Join(sets, ", "))
		if _, err := tx.ExecContext(ctx, q, append(args, old.ID())...); err != nil {
			return err
		}
	}
	return nil
}

// unlink empties link field f of table o where it points at one of the records ids (being
// deleted), or takes them out of a 多条关联, and spreads that to what reads the link.
func (s *Service) unlink(ctx context.Context, tx *sql.Tx, o *schema.Table, f *schema.Field, ids []int64) error {
	col := store.Quote(f.Column())
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	if f.Type == schema.Links { // the lists naming any of them give those up, 500 ids a statement
		for chunk := range slices.Chunk(args, 500) {
			phs := slices.Repeat([]string{"?"}, len(chunk))
			if err := s.clearLinks(ctx, tx, o, f, schema.LinksHaveAny(o, f, "id", col, phs, false), chunk, o.Dialect.IDListRemove(col, phs), chunk); err != nil {
				return err
			}
		}
		return nil
	}
	return s.clearLinks(ctx, tx, o, f, col+" IN (?"+strings.Repeat(", ?", len(ids)-1)+")", args, "NULL", nil)
}

// clearLinks sets link field f of the records of o that match to set (with its arguments),
// and spreads that to what reads the link.
func (s *Service) clearLinks(ctx context.Context, tx *sql.Tx, o *schema.Table, f *schema.Field, match string, matchArgs []any, set string, setArgs []any) error {
	var rows []any
	if s.computes(o) {
		r, err := tx.QueryContext(ctx, fmt.Sprintf("SELECT id FROM %s WHERE %s", store.Quote(o.SQLName()), match), matchArgs...)
		if err != nil {
			return err
		}
		for r.Next() {
			var n int64
			if err := r.Scan(&n); err != nil {
				r.Close()
				return err
			}
			rows = append(rows, n)
		}
		r.Close()
		if err := r.Err(); err != nil {
			return err
		}
	}
	q := fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s", store.Quote(o.SQLName()), store.Quote(f.Column()), set, match)
	if _, err := tx.ExecContext(ctx, q, slices.Concat(setArgs, matchArgs)...); err != nil {
		return err
	}
	for chunk := range slices.Chunk(rows, 500) {
		sel := selection{where: "id IN (?" + strings.Repeat(", ?", len(chunk)-1) + ")", args: chunk}
		if err := s.spread(ctx, tx, o, map[string]bool{f.ID: true}, sel, true, nil); err != nil {
			return err
		}
	}
	return nil
}

// Imported brings the computed fields up to date after an import into t wrote the records
// first…last and updated the records updated, set-wise in the import's transaction: the
// new records' rollups (and the updated ones' with an opening value), the imported records' lookups and formulas, one aggregate UPDATE
// per rollup group of the records they link to (every such record when relinked reports
// that an update moved some records to another), and the lookups of the records linking to
// them.
func (s *Service) Imported(ctx context.Context, tx *sql.Tx, t *schema.Table, first, last int64, updated []int64, relinked func(link string) bool) error {
	if !s.computes(t) || (last < first && len(updated) == 0) {
		return nil
	}
	inserted := selection{where: "id BETWEEN ? AND ?", args: []any{first, last}}
	sel := inserted
	if last >= first {
		if err := s.refreshOwnRollups(ctx, tx, t, inserted, false); err != nil {
			return err
		}
	}
	if len(updated) > 0 {
		d := s.DB.Dialect
		create, table := d.TempTable("_computed_rows", "id "+d.IntegerType()+" PRIMARY KEY")
		for _, q := range []string{create, "DELETE FROM " + table} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		for chunk := range slices.Chunk(updated, 500) {
			args := make([]any, len(chunk))
			for i, id := range chunk {
				args[i] = id
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO "+table+"(id) VALUES "+strings.Repeat(",(?)", len(chunk))[1:], args...); err != nil {
				return err
			}
		}
		sel.where += " OR id IN (SELECT id FROM " + table + ")"
		// The updated rows' opening values may have changed.
		if err := s.refreshOwnRollups(ctx, tx, t, selection{where: "id IN (SELECT id FROM " + table + ")"}, true); err != nil {
			return err
		}
	}
	all := map[string]bool{}
	for _, f := range t.Fields {
		all[f.ID] = !f.IsComputed()
	}
	return s.spread(ctx, tx, t, all, sel, true, func(link string) (selection, bool) {
		return selection{where: "1=1"}, relinked(link)
	})
}

// refreshOwnRollups recomputes the rollups of t (based: only those with an opening value)
// for the rows sel, one UPDATE per group.
func (s *Service) refreshOwnRollups(ctx context.Context, tx *sql.Tx, t *schema.Table, sel selection, based bool) error {
	groups := map[string][]*schema.Field{}
	var order []string
	for _, f := range t.Fields {
		if k := f.Computed; k != nil && k.Kind == schema.Rollup && (!based || k.Base != "") {
			key := k.Table + "." + k.Link
			if groups[key] == nil {
				order = append(order, key)
			}
			groups[key] = append(groups[key], f)
		}
	}
	for _, key := range order {
		if err := s.refreshRollups(ctx, tx, t, groups[key], sel); err != nil {
			return err
		}
	}
	return nil
}

// RefreshDaily recomputes what changes with the day alone — formulas reading TODAY() or
// NOW(), rollups with a condition on a relative date — and what reads them: for the
// daily pass, so they hold as days pass with no edit.
func (s *Service) RefreshDaily(ctx context.Context) error {
	for _, t := range s.Catalog.Tables() {
		changed := map[string]bool{}
		var conditional []*schema.Field
		for _, f := range t.Fields {
			k := f.Computed
			switch {
			case k == nil:
			case k.Kind == schema.Formula && timed.MatchString(k.Formula):
				changed[f.ID] = true
			case k.Kind == schema.Rollup && timedWhere.Match(k.Where):
				conditional = append(conditional, f)
			}
		}
		if len(changed) == 0 && len(conditional) == 0 {
			continue
		}
		err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
			all := selection{where: "1=1"}
			if err := s.Fill(ctx, tx, t, conditional); err != nil {
				return err
			}
			maps.Copy(changed, ids(conditional))
			if err := s.refreshFormulas(ctx, tx, t, all); err != nil {
				return err
			}
			return s.spread(ctx, tx, t, changed, all, false, nil)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// timed finds the functions whose value changes with the clock.
var timed = regexp.MustCompile(`(?i)\b(TODAY|NOW)\s*\(`)

// timedWhere finds the conditions whose matches change with the clock: relative days.
var timedWhere = regexp.MustCompile(`Days"|"today"|"now"`)
