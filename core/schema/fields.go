package schema

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// defaultColors are given to select options that come without a colour.
var defaultColors = []string{"#409eff", "#67c23a", "#e6a23c", "#f56c6c", "#909399", "#9b59b6", "#1abc9c", "#34495e"}

// checkField validates a field definition against the table it goes into; comp checks what
// a computed field reads.
func checkField(s *snapshot, t *Table, f *Field, comp Computer) error {
	name, err := checkName(f.Name)
	if err != nil {
		return err
	}
	f.Name = name
	if other := t.Field(name); other != nil && other.ID != f.ID {
		return problem.New(409, "duplicate_name", "name", name)
	}
	if f.IsComputed() && f.Type == "" {
		f.Type = Number // until checkComputed gives the type its source has
	}
	if !f.Type.Valid() || (f.Type == Numbers && !f.IsComputed()) {
		types := make([]string, len(Types))
		for i, ty := range Types {
			types[i] = string(ty)
		}
		return problem.Invalid("bad_field_type", "value", f.Type, "types", strings.Join(types, ", ")).OnField(name)
	}
	if f.Type == Select || f.Type == MultiSelect {
		seen := map[string]bool{}
		for i := range f.Options {
			o := &f.Options[i]
			o.Value = strings.TrimSpace(o.Value)
			if o.Value == "" || seen[o.Value] {
				return problem.Invalid("bad_name", "max", maxNameLen).OnField(name).At(fmt.Sprintf("options[%d]", i))
			}
			seen[o.Value] = true
			if o.Color == "" {
				o.Color = defaultColors[i%len(defaultColors)]
			}
		}
	} else {
		f.Options = nil
	}
	switch f.Type {
	case AutoNumber:
		if f.Format == "" {
			f.Format = "{0000}"
		}
		if !counterRe.MatchString(f.Format) {
			return problem.Invalid("bad_pattern", "value", f.Format).OnField(name)
		}
	case Text, TextArea:
		if f.Format != "" {
			if _, err := regexp.Compile(f.Format); err != nil {
				return problem.Invalid("bad_param", "param", "format", "reason", "param_regex").OnField(name)
			}
		}
	default:
		f.Format = ""
	}
	if f.Type.Linked() {
		target, ok := s.byID[f.LinkTable]
		if !ok {
			target, ok = s.byName[f.LinkTable]
		}
		if !ok && f.LinkTable != t.ID {
			return problem.NotFound("table", f.LinkTable).OnField(name)
		}
		if ok {
			f.LinkTable = target.ID
		}
	} else if f.Type != Subform {
		f.LinkTable = ""
	}
	if t.Parent != "" && (f.Type == Subform || f.Sensitive) {
		return problem.Invalid("subform_nested").OnField(name)
	}
	if f.Type != Subform {
		f.Fields = nil
	} else {
		f.Required, f.Unique, f.Default, f.Sensitive, f.Min, f.Max, f.Computed = false, false, nil, false, nil, nil, nil
	}
	if f.Default != nil {
		v, perr := f.Normalize(f.Default, nil)
		if perr != nil {
			return perr.At("default")
		}
		f.Default = v
	}
	if f.Type == Checkbox || f.Type.IsList() || f.Type == AutoNumber {
		f.Unique = f.Unique && f.Type == AutoNumber
	}
	if f.Type.IsRef() || f.Type == Links {
		f.Indexed = true
	}
	if f.Type.IsFile() {
		f.Unique, f.Indexed, f.Default = false, false, nil
		if f.MaxSize < 0 || f.MaxSize > maxFileSize {
			return problem.Invalid("too_large", "max", maxFileSize).OnField(name).At("maxSize")
		}
		for i, a := range f.Accept {
			f.Accept[i] = strings.ToLower(strings.TrimSpace(a))
		}
	} else {
		f.MaxSize, f.Accept = 0, nil
	}
	if f.IsComputed() {
		if err := checkComputed(s, t, f, comp); err != nil {
			return err
		}
		f.Indexed = f.Indexed || f.Type == Links // a lookup's links, found as a 多条关联's are
	}
	return checkSensitive(f)
}

// maxFileSize is the largest size limit a field may set: 1 GB.
const maxFileSize = 1 << 30

// counterRe finds the counter of an autonumber pattern, e.g. {0000}.
var counterRe = regexp.MustCompile(`\{0+\}`)

// createIndex is the SQL that indexes col of t. The 负责人 rides along in the non-unique
// indexes of the fields lists are filtered and sorted by (IndexHoldsOwner), so that a data
// scope (负责人 among a list of people) is checked inside the index a page walks, without
// reading the rows it rules out.
func createIndex(t *Table, col string, unique bool) string {
	kind, prefix, cols := "INDEX", "idx_", store.Quote(col)
	if unique {
		kind, prefix = "UNIQUE INDEX", "uq_"
		cols = t.Dialect.IndexKey(cols)
	} else if f := t.Field(col); f != nil && f.Type == Links {
		// containment of an id ("links to record X"): a GIN index on PostgreSQL, a side table
		// on SQLite (LinksIndex)
		if t.Dialect != store.Postgres {
			return linksIndex(t, f)
		}
		return t.Dialect.ListIndex(store.Quote(prefix+t.ID+"_"+col), store.Quote(t.SQLName()), cols, store.Quote(FieldOwner))
	} else if f != nil && t.IndexHoldsOwner(f) {
		owner := store.Quote(t.Field(FieldOwner).Column())
		if f.Type.IsMulti() {
			return t.Dialect.ListIndex(store.Quote(prefix+t.ID+"_"+col), store.Quote(t.SQLName()), cols, owner)
		}
		cols = t.Dialect.IndexKey(cols) + ", " + t.Dialect.IndexKey(owner)
	} else {
		cols = t.Dialect.IndexKey(cols)
	}
	return fmt.Sprintf("CREATE %s IF NOT EXISTS %s ON %s (%s)", kind,
		store.Quote(prefix+t.ID+"_"+col), store.Quote(t.SQLName()), cols)
}

// IndexHoldsOwner reports whether f's index holds the 负责人 after it (see createIndex): a
// sort on f then needs the 负责人 as its next key to follow the index, before the id. Links
// and users are looked up by equality (a record's related records), where the 负责人 would
// only make their large indexes slower to build.
func (t *Table) IndexHoldsOwner(f *Field) bool {
	o := t.Field(FieldOwner)
	return f.Indexed && !f.Unique && f.Type != Link && f.Type != Links && f.Type != User && o != nil && o.ID != f.ID
}

// upgradeIndexes recreates the indexes of t whose shape changed since they were made (the
// 负责人 added to the non-unique ones), once, when a data directory written by an older
// version is opened. It reads SQLite's stored index text; a PostgreSQL database starts at
// the current layout, so there is nothing to upgrade there.
func upgradeIndexes(ctx context.Context, db *store.DB, t *Table) error {
	if db.Dialect == store.Postgres {
		return nil
	}
	for _, f := range t.Fields {
		if !(f.Indexed || f.Sensitive) || f.Unique {
			continue
		}
		if f.Type == Links { // its side table, made and filled once
			if err := upgradeLinksIndex(ctx, db, t, f); err != nil {
				return err
			}
			continue
		}
		col := f.indexColumn()
		want := createIndex(t, col, false)
		var have string
		err := db.R.QueryRowContext(ctx, "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", "idx_"+t.ID+"_"+col).Scan(&have)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if have == strings.Replace(want, " IF NOT EXISTS", "", 1) {
			continue
		}
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, dropIndex(t, col, false)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, want)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// SumIndex is the SQL that indexes t by the field group, the id, the 负责人 and the numeric
// field sum, so that the counts and sums per value of group (a kanban's columns, a grid's
// groups) read this index alone, not the table's rows, also under a data scope on the 负责人,
// and a column's newest cards are read in its order rather than sorted. A saved view summing
// sum per group makes it; DeleteField drops it with either field.
func SumIndex(t *Table, group, sum *Field) string {
	cols := []string{t.Dialect.IndexKey(store.Quote(group.Column())), "id"}
	if group.ID != FieldOwner {
		cols = append(cols, store.Quote(FieldOwner))
	}
	cols = append(cols, store.Quote(sum.Column()))
	return fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s (%s)", store.Quote(sumPrefix+t.ID+"_"+group.Column()+"_"+sum.Column()),
		store.Quote(t.SQLName()), strings.Join(cols, ", "))
}

// sumPrefix begins the names of the SumIndex indexes.
const sumPrefix = "sum_"

// dropSumIndexes drops t's SumIndex indexes over col. SQLite refuses to drop an indexed
// column; PostgreSQL drops such indexes with the column.
func dropSumIndexes(ctx context.Context, tx *sql.Tx, t *Table, col string) error {
	if t.Dialect == store.Postgres {
		return nil
	}
	rows, err := tx.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND substr(name, 1, ?) = ?",
		t.SQLName(), len(sumPrefix+t.ID)+1, sumPrefix+t.ID+"_")
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		if strings.Contains(name, "_"+col) {
			names = append(names, name)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, name := range names {
		if _, err := tx.ExecContext(ctx, "DROP INDEX IF EXISTS "+store.Quote(name)); err != nil {
			return err
		}
	}
	return nil
}

func dropIndex(t *Table, col string, unique bool) string {
	if f := t.Field(col); f != nil && f.Type == Links && !unique && t.Dialect != store.Postgres {
		return dropLinksIndex(t, f)
	}
	prefix := "idx_"
	if unique {
		prefix = "uq_"
	}
	return "DROP INDEX IF EXISTS " + store.Quote(prefix+t.ID+"_"+col)
}

func saveField(ctx context.Context, tx *sql.Tx, tableID string, f *Field) error {
	if f.Fields != nil { // a sub-table's fields are its table's
		g := *f
		g.Fields = nil
		f = &g
	}
	def, err := json.Marshal(f)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO _fields(id, table_id, name, position, def) VALUES(?,?,?,?,?)
		ON CONFLICT(id) DO UPDATE SET name = excluded.name, position = excluded.position, def = excluded.def`,
		f.ID, tableID, f.Name, f.Position, string(def))
	return err
}

// addColumns runs ddl, which makes t's SQL table or adds columns to it. A table the database
// refuses more columns (sensitive fields' hash columns count, and on PostgreSQL dropped columns
// too, until the table is rewritten) is a 400 too_many_fields.
func addColumns(ctx context.Context, tx *sql.Tx, t *Table, ddl string) error {
	_, err := tx.ExecContext(ctx, ddl)
	wide := store.TooManyColumns(err)
	if err == nil {
		wide, err = t.Dialect.TooWide(ctx, tx, t.SQLName())
	}
	if wide {
		return problem.Invalid("too_many_fields", "max", MaxFields(t.Dialect))
	}
	return err
}

// addFields validates fs in turn against t with the ones before them added, adds their
// columns, has comp fill the computed ones, then indexes and saves them all. comp fills
// together the computed fields that do not read one another (rollups over the same records
// then read them once); a field reading one not filled yet waits for it. A problem is
// answered with the index in fs of the field it is about (-1: none in particular).
func addFields(ctx context.Context, tx *sql.Tx, s *snapshot, t *Table, fs []*Field, comp Computer) (int, error) {
	with := *t // t with the fields added so far
	with.Fields = slices.Clip(t.Fields)
	with.index()
	var pending []*Field // computed fields added, not yet filled
	flush := func() error {
		err := fill(ctx, tx, comp, &with, pending)
		pending = nil
		return err
	}
	for i, f := range fs {
		if len(with.UserFields()) >= MaxFields(t.Dialect) {
			return i, problem.Invalid("too_many_fields", "max", MaxFields(t.Dialect))
		}
		f.ID, f.System, f.Position = NewID("fld"), false, len(with.UserFields())
		if err := checkField(s, &with, f, comp); err != nil {
			return i, err
		}
		if readsAny(&with, f, pending) {
			if err := flush(); err != nil {
				return -1, err
			}
		}
		if err := addColumn(ctx, tx, s, &with, f, comp); err != nil {
			return i, err
		}
		with.Fields = append(with.Fields, f)
		with.index()
		if f.IsComputed() {
			pending = append(pending, f)
		}
	}
	if err := flush(); err != nil {
		return -1, err
	}
	for i, f := range fs {
		if err := indexAndSave(ctx, tx, &with, f); err != nil {
			return i, err
		}
	}
	return -1, nil
}

// readsAny reports whether computed field f of t reads one of the fields fs of t.
func readsAny(t *Table, f *Field, fs []*Field) bool {
	for _, r := range f.Reads(t) {
		tid, fid, _ := strings.Cut(r, ".")
		if tid == t.ID && slices.ContainsFunc(fs, func(g *Field) bool { return g.ID == fid }) {
			return true
		}
	}
	return false
}

// addColumn adds the column of a checked field f to t's SQL table (with a sub-table's table
// or a sensitive field's hash column), without indexes.
func addColumn(ctx context.Context, tx *sql.Tx, s *snapshot, t *Table, f *Field, comp Computer) error {
	ddl := fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", store.Quote(t.SQLName()), store.Quote(f.Column()), f.Type.SQLType(t.Dialect))
	if k := f.Computed; f.Type == Subform || k != nil && k.Kind == Rollup && (k.Fn == "count" || k.Fn == "sum") {
		ddl += " DEFAULT 0" // what a record no record links to holds, without writing every row
	}
	if err := addColumns(ctx, tx, t, ddl); err != nil {
		return err
	}
	if f.Type == Subform {
		sub, err := subTable(s, t, f, comp)
		if err != nil {
			return err
		}
		if err := createTable(ctx, tx, s, sub); err != nil {
			return err
		}
	}
	if f.Sensitive {
		return addHashColumn(ctx, tx, t, f)
	}
	return nil
}

// indexAndSave creates the indexes of a field whose column exists, and saves its definition.
// A sensitive field's hash column is always indexed.
func indexAndSave(ctx context.Context, tx *sql.Tx, t *Table, f *Field) error {
	if f.Unique {
		if _, err := tx.ExecContext(ctx, createIndex(t, f.indexColumn(), true)); err != nil {
			return err
		}
	}
	if (f.Indexed || f.Sensitive) && !f.Unique {
		if _, err := tx.ExecContext(ctx, createIndex(t, f.indexColumn(), false)); err != nil {
			return err
		}
	}
	return saveField(ctx, tx, t.ID, f)
}

// AddField adds a field at the end of the table.
func (c *Catalog) AddField(ctx context.Context, by Changer, tableRef string, f *Field) (*Field, error) {
	if _, err := c.addFields(ctx, by, tableRef, []*Field{f}); err != nil {
		return nil, err
	}
	return f, nil
}

// AddFields adds fields at the end of the table in one transaction, validated together: a
// field may read those before it in the list, names may not repeat, computed fields may not
// read each other in a ring. The computed ones are backfilled together: rollups over the
// same records (table, link field and condition) in one grouped UPDATE. A problem with one
// of them answers at its place in the list (fields[2].computed.fn), naming it, and adds none.
func (c *Catalog) AddFields(ctx context.Context, by Changer, tableRef string, fs []*Field) ([]*Field, error) {
	i, err := c.addFields(ctx, by, tableRef, fs)
	if p := problem.As(err); p != nil && i >= 0 {
		at := fmt.Sprintf("fields[%d]", i)
		if p.Path != "" {
			at += "." + p.Path
		}
		if p.Field == "" {
			p.OnField(fs[i].Name)
		}
		p.At(at)
	}
	if err != nil {
		return nil, err
	}
	return fs, nil
}

// addFields adds fs to the table tableRef in one change; a problem comes with the index of
// the field it is about (-1: none).
func (c *Catalog) addFields(ctx context.Context, by Changer, tableRef string, fs []*Field) (int, error) {
	if err := by.MayChangeSchema(); err != nil {
		return -1, err
	}
	if len(fs) == 0 {
		return -1, problem.Invalid("required").At("fields")
	}
	if err := c.needKeys(fs...); err != nil {
		return -1, err
	}
	t, err := c.Table(tableRef)
	if err != nil {
		return -1, err
	}
	bad := -1
	err = c.change(ctx, func(tx *sql.Tx, s *snapshot) (err error) {
		bad, err = addFields(ctx, tx, s, t, fs, c.Computer)
		return err
	})
	return bad, err
}

// FieldPatch holds the changeable parts of a field; nil means unchanged.
type FieldPatch struct {
	Name      *string   `json:"name"`
	Type      *Type     `json:"type"`
	Required  *bool     `json:"required"`
	Unique    *bool     `json:"unique"`
	Indexed   *bool     `json:"indexed"`
	Default   *any      `json:"default"`
	Options   *[]Option `json:"options"`
	Min       **float64 `json:"min"`
	Max       **float64 `json:"max"`
	Format    *string   `json:"format"`
	Help      *string   `json:"help"`
	LinkTable *string   `json:"linkTable"`
	Sensitive *bool     `json:"sensitive"`
	Computed  *Computed `json:"computed"`
}

// UnmarshalJSON reads a patch; an explicit null for default, min or max clears it
// (plain decoding would leave a nil pointer, meaning "unchanged").
func (p *FieldPatch) UnmarshalJSON(b []byte) error {
	type plain FieldPatch
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode((*plain)(p)); err != nil {
		return err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	isNull := func(key string) bool { v, ok := raw[key]; return ok && string(v) == "null" }
	if isNull("default") {
		p.Default = new(any)
	}
	if isNull("min") {
		p.Min = new(*float64)
	}
	if isNull("max") {
		p.Max = new(*float64)
	}
	return nil
}

// UpdateField changes a field's definition; the column and its data stay.
func (c *Catalog) UpdateField(ctx context.Context, by Changer, tableRef, fieldRef string, p FieldPatch) (*Field, error) {
	if err := by.MayChangeSchema(); err != nil {
		return nil, err
	}
	t, err := c.Table(tableRef)
	if err != nil {
		return nil, err
	}
	old := t.Field(fieldRef)
	if old == nil {
		return nil, problem.NotFound("field", fieldRef)
	}
	if old.System {
		return nil, problem.Invalid("readonly_field").OnField(old.Name)
	}
	f := *old
	if p.Type != nil && *p.Type != f.Type {
		compatible := (f.Type == Text || f.Type == TextArea) && (*p.Type == Text || *p.Type == TextArea)
		if !compatible {
			return nil, problem.Invalid("type_change", "from", f.Type, "to", *p.Type).OnField(f.Name)
		}
		f.Type = *p.Type
	}
	set(&f.Name, p.Name)
	set(&f.Required, p.Required)
	set(&f.Unique, p.Unique)
	set(&f.Indexed, p.Indexed)
	set(&f.Default, p.Default)
	set(&f.Options, p.Options)
	set(&f.Min, p.Min)
	set(&f.Max, p.Max)
	set(&f.Format, p.Format)
	set(&f.Help, p.Help)
	set(&f.Sensitive, p.Sensitive)
	if p.Computed != nil && old.IsComputed() {
		f.Computed = p.Computed
	} else if old.IsComputed() {
		k := *old.Computed // checkField fills it in: never the live catalog's
		f.Computed = &k
	}
	if err := c.needKeys(&f); err != nil {
		return nil, err
	}
	if p.LinkTable != nil && *p.LinkTable != f.LinkTable {
		return nil, problem.Invalid("type_change", "from", f.LinkTable, "to", *p.LinkTable).OnField(f.Name)
	}
	err = c.change(ctx, func(tx *sql.Tx, s *snapshot) error {
		if err := checkField(s, t, &f, c.Computer); err != nil {
			return err
		}
		if f.IsComputed() && f.Type != old.Type {
			return problem.Invalid("type_change", "from", old.Type, "to", f.Type).OnField(f.Name)
		}
		if p.Computed != nil {
			if err := fill(ctx, tx, c.Computer, withField(t, &f), []*Field{&f}); err != nil {
				return err
			}
		}
		if f.Sensitive != old.Sensitive {
			return c.protect(ctx, tx, t, &f, f.Sensitive)
		}
		if f.Unique != old.Unique {
			q := dropIndex(t, f.indexColumn(), true)
			if f.Unique {
				q = createIndex(t, f.indexColumn(), true)
			}
			if _, err := tx.ExecContext(ctx, q); err != nil {
				if _, dup := store.UniqueViolation(err); dup {
					return problem.New(409, "unique_conflict").OnField(f.Name)
				}
				return err
			}
		}
		if f.Indexed != old.Indexed && !f.Sensitive {
			q := dropIndex(t, f.Column(), false)
			if f.Indexed {
				q = createIndex(t, f.Column(), false)
			}
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return saveField(ctx, tx, t.ID, &f)
	})
	if err != nil {
		return nil, err
	}
	return &f, nil
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// DeleteField drops a field and its column.
func (c *Catalog) DeleteField(ctx context.Context, by Changer, tableRef, fieldRef string) error {
	if err := by.MayChangeSchema(); err != nil {
		return err
	}
	t, err := c.Table(tableRef)
	if err != nil {
		return err
	}
	f := t.Field(fieldRef)
	if f == nil {
		return problem.NotFound("field", fieldRef)
	}
	if f.System {
		return problem.Invalid("readonly_field").OnField(f.Name)
	}
	return c.change(ctx, func(tx *sql.Tx, s *snapshot) error {
		if err := readBy(s, t, f.ID); err != nil {
			return err
		}
		if err := dropSumIndexes(ctx, tx, t, f.Column()); err != nil {
			return err
		}
		if f.Type == Subform {
			if err := dropSubTable(ctx, tx, s, f); err != nil {
				return err
			}
		}
		qs := []string{
			dropIndex(t, f.indexColumn(), true),
			dropIndex(t, f.indexColumn(), false),
			fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s", store.Quote(t.SQLName()), store.Quote(f.Column())),
		}
		if f.Sensitive {
			qs = append(qs, fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s", store.Quote(t.SQLName()), store.Quote(f.HashColumn())))
		}
		for _, q := range qs {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		if t.TitleField == f.ID {
			if _, err := tx.ExecContext(ctx, "UPDATE _tables SET title_field = '' WHERE id = ?", t.ID); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM _fields WHERE id = ?", f.ID)
		return err
	})
}

// NumberPattern renders the date parts of an autonumber pattern for the given day, e.g.
// KH-{YYYYMMDD}-{0000} → KH-20261123-{0000}. The counter restarts for each rendered pattern.
func (f *Field) NumberPattern(now time.Time) string {
	p := f.Format
	for _, part := range dateParts { // a date rendered has no braces: the order does not matter
		if strings.Contains(p, part[0]) {
			p = strings.ReplaceAll(p, part[0], now.Format(part[1]))
		}
	}
	return p
}

// dateParts are the date parts of an autonumber pattern, each with its Go layout.
var dateParts = [][2]string{{"{YYYYMMDD}", "20060102"}, {"{YYMMDD}", "060102"}, {"{YYYYMM}", "200601"},
	{"{YYYY}", "2006"}, {"{MM}", "01"}, {"{DD}", "02"}}

// FormatNumber puts counter n into a rendered pattern: KH-20261123-{0000}, 7 → KH-20261123-0007.
func FormatNumber(pattern string, n int64) string {
	loc := counterRe.FindStringIndex(pattern)
	if loc == nil {
		return pattern + strconv.FormatInt(n, 10)
	}
	width := loc[1] - loc[0] - 2
	return pattern[:loc[0]] + fmt.Sprintf("%0*d", width, n) + pattern[loc[1]:]
}

// IndexStatements returns the SQL that drops and that recreates every index of t.
// Bulk loaders drop indexes, load, and recreate them: far faster than indexing row by row.
// The side table of a 多条关联 on SQLite (LinksIndex) stays, kept by its triggers as the rows
// land: the hooks that act on the rows before the indexes are made (rollups and lookups over
// the list, rules) read it.
func IndexStatements(t *Table) (drop, create []string) {
	for _, f := range t.Fields {
		if f.Type == Links && t.Dialect != store.Postgres {
			continue
		}
		if f.Unique {
			drop = append(drop, dropIndex(t, f.indexColumn(), true))
			create = append(create, createIndex(t, f.indexColumn(), true))
		} else if f.Indexed || f.Sensitive {
			drop = append(drop, dropIndex(t, f.indexColumn(), false))
			create = append(create, createIndex(t, f.indexColumn(), false))
		}
	}
	return drop, create
}
