package schema

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"tierbase/platform/problem"
	"tierbase/platform/secret"
	"tierbase/platform/store"
)

// Catalog is the live metadata: every app, table and field. Readers get an immutable
// snapshot; changes run DDL and metadata updates in one write transaction, then swap in a
// fresh snapshot.
type Catalog struct {
	// Dropping, if set, is called inside the transaction that deletes table t (the operation
	// log records the deletion there, with the table's names, as the table's log outlives it).
	Dropping func(ctx context.Context, tx *sql.Tx, by Changer, t *Table) error
	// Computer checks formulas and rollup conditions, and fills new computed columns.
	Computer Computer

	db   *store.DB
	snap atomic.Pointer[snapshot]
	mu   sync.Mutex   // serialises schema changes
	keys *secret.Ring // seals sensitive values (UseKeys)
}

type snapshot struct {
	apps   []*App
	tables []*Table
	byID   map[string]*Table
	byName map[string]*Table
}

// Open loads the catalog from the database.
func Open(db *store.DB) (*Catalog, error) {
	c := &Catalog{db: db}
	ctx := context.Background()
	if err := c.reload(ctx); err != nil {
		return nil, err
	}
	for _, t := range c.Tables() {
		if err := upgradeIndexes(ctx, db, t); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Apps returns all apps in display order.
func (c *Catalog) Apps() []*App { return c.snap.Load().apps }

// Tables returns all tables in display order.
func (c *Catalog) Tables() []*Table { return c.snap.Load().tables }

// Table finds a table by id or display name.
func (c *Catalog) Table(ref string) (*Table, error) {
	s := c.snap.Load()
	if t, ok := s.byID[ref]; ok {
		return t, nil
	}
	if t, ok := s.byName[ref]; ok {
		return t, nil
	}
	return nil, problem.NotFound("table", ref)
}

// App finds an app by id or name.
func (c *Catalog) App(ref string) (*App, error) {
	for _, a := range c.Apps() {
		if a.ID == ref || a.Name == ref {
			return a, nil
		}
	}
	return nil, problem.NotFound("app", ref)
}

// Reload reads the metadata again, after a change made inside another engine's transaction
// (AddOptionsTx).
func (c *Catalog) Reload(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reload(ctx)
}

// AddOptionsTx appends options to a select field inside the caller's write transaction. Call
// Reload after it commits.
func (c *Catalog) AddOptionsTx(ctx context.Context, tx *sql.Tx, t *Table, f *Field, values []string) error {
	g := *f
	g.Options = append([]Option(nil), f.Options...)
	for _, v := range values {
		if !g.HasOption(v) {
			g.Options = append(g.Options, Option{Value: v, Color: defaultColors[len(g.Options)%len(defaultColors)]})
		}
	}
	return saveField(ctx, tx, t.ID, &g)
}

func (c *Catalog) reload(ctx context.Context) error {
	s := &snapshot{byID: map[string]*Table{}, byName: map[string]*Table{}}
	rows, err := c.db.R.QueryContext(ctx, "SELECT id, name, icon, position FROM _apps ORDER BY position, "+c.db.Dialect.InsertionOrder())
	if err != nil {
		return err
	}
	for rows.Next() {
		a := &App{}
		if err := rows.Scan(&a.ID, &a.Name, &a.Icon, &a.Position); err != nil {
			rows.Close()
			return err
		}
		s.apps = append(s.apps, a)
	}
	rows.Close()
	rows, err = c.db.R.QueryContext(ctx, "SELECT id, app_id, name, title_field, position FROM _tables ORDER BY position, "+c.db.Dialect.InsertionOrder())
	if err != nil {
		return err
	}
	for rows.Next() {
		t := &Table{Dialect: c.db.Dialect}
		if err := rows.Scan(&t.ID, &t.AppID, &t.Name, &t.TitleField, &t.Position); err != nil {
			rows.Close()
			return err
		}
		s.tables = append(s.tables, t)
		s.byID[t.ID] = t
		s.byName[t.Name] = t
	}
	rows.Close()
	rows, err = c.db.R.QueryContext(ctx, "SELECT table_id, def FROM _fields ORDER BY position, "+c.db.Dialect.InsertionOrder())
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var tid, def string
		if err := rows.Scan(&tid, &def); err != nil {
			return err
		}
		f := &Field{}
		if err := json.Unmarshal([]byte(def), f); err != nil {
			return fmt.Errorf("field definition of table %s: %w", tid, err)
		}
		if f.Default != nil {
			// JSON gives lists back as []any and ids as float64: restore the storage form.
			if v, p := f.Normalize(f.Default, time.UTC); p == nil {
				f.Default = v
			}
		}
		if f.Sensitive {
			f.keys = c.keys
		}
		if t := s.byID[tid]; t != nil {
			t.Fields = append(t.Fields, f)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range s.tables {
		t.Fields = append(t.Fields, systemFields()...)
		sort.SliceStable(t.Fields, func(i, j int) bool { return t.Fields[i].Position < t.Fields[j].Position })
		t.index()
		for _, f := range t.Subforms() {
			if c := s.byID[f.LinkTable]; c != nil {
				c.Parent, c.ParentField = t.ID, f.ID
				f.Fields = nil
				for _, g := range c.UserFields() {
					if g.Type != Link || g.LinkTable != t.ID {
						f.Fields = append(f.Fields, g)
					}
				}
			}
		}
	}
	c.snap.Store(s)
	return nil
}

// systemFields are the columns every table has, shown after the user's fields.
// MaxFields is the most fields a table can have on database d: its most columns less the
// five system ones (id, 负责人, 创建人, 创建时间, 修改时间).
func MaxFields(d store.Dialect) int { return d.MaxColumns() - 5 }

func systemFields() []*Field {
	return []*Field{
		{ID: FieldOwner, Name: "负责人", Type: User, System: true, Indexed: true, Position: 1 << 20},
		{ID: FieldCreatedBy, Name: "创建人", Type: User, System: true, Position: 1<<20 + 1},
		{ID: FieldCreatedAt, Name: "创建时间", Type: DateTime, System: true, Position: 1<<20 + 2},
		{ID: FieldUpdatedAt, Name: "修改时间", Type: DateTime, System: true, Position: 1<<20 + 3},
		{ID: FieldID, Name: "ID", Type: Number, System: true, Position: 1<<20 + 4},
	}
}

// NewID returns a fresh id with the given prefix ("app", "tbl", "fld"): letters and digits only.
func NewID(prefix string) string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	b := make([]byte, 10)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return prefix + string(b)
}

// change runs fn in one write transaction under the schema lock and reloads the catalog.
func (c *Catalog) change(ctx context.Context, fn func(tx *sql.Tx, s *snapshot) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.db.Tx(ctx, func(tx *sql.Tx) error { return fn(tx, c.snap.Load()) })
	if err != nil {
		return err
	}
	return c.reload(ctx)
}

const maxNameLen = 64

func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > maxNameLen {
		return "", problem.Invalid("bad_name", "max", maxNameLen)
	}
	return name, nil
}

// Changer is who changes apps, tables and fields; every change asks it first. access.Actor is
// one: the access policy builds on this package, so the schema asks it through this method.
type Changer interface{ MayChangeSchema() error }

// itself is the catalog changing itself as part of a change already allowed (the default app
// of a new table).
type itself struct{}

func (itself) MayChangeSchema() error { return nil }

// CreateApp adds an app.
func (c *Catalog) CreateApp(ctx context.Context, by Changer, name, icon string) (*App, error) {
	if err := by.MayChangeSchema(); err != nil {
		return nil, err
	}
	name, err := checkName(name)
	if err != nil {
		return nil, err
	}
	id := NewID("app")
	err = c.change(ctx, func(tx *sql.Tx, s *snapshot) error {
		for _, a := range s.apps {
			if a.Name == name {
				return problem.New(409, "duplicate_name", "name", name)
			}
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO _apps(id, name, icon, position) VALUES(?,?,?,?)", id, name, icon, len(s.apps))
		return err
	})
	if err != nil {
		return nil, err
	}
	return c.App(id)
}

// DefaultApp returns the app new tables go to when none is named, creating 我的应用 if needed.
func (c *Catalog) DefaultApp(ctx context.Context) (*App, error) {
	if apps := c.Apps(); len(apps) > 0 {
		return apps[0], nil
	}
	return c.CreateApp(ctx, itself{}, "我的应用", "")
}

// CreateTable adds a table with the given fields and creates its SQL table.
func (c *Catalog) CreateTable(ctx context.Context, by Changer, appID, name string, fields []*Field) (*Table, error) {
	if err := by.MayChangeSchema(); err != nil {
		return nil, err
	}
	if err := c.needKeys(fields...); err != nil {
		return nil, err
	}
	t, err := c.Draft(ctx, appID, name, fields)
	if err != nil {
		return nil, err
	}
	err = c.change(ctx, func(tx *sql.Tx, s *snapshot) error { return createTable(ctx, tx, s, t) })
	if err != nil {
		return nil, err
	}
	return c.Table(t.ID)
}

// Draft checks the definition of a new table and gives it and its fields ids, writing
// nothing (but the default app when appID is "" and there is none). CreateTableTx then
// creates it inside a write transaction: an import that makes its table commits the table
// and the rows together, or neither.
func (c *Catalog) Draft(ctx context.Context, appID, name string, fields []*Field) (*Table, error) {
	name, err := checkName(name)
	if err != nil {
		return nil, err
	}
	if appID == "" {
		a, err := c.DefaultApp(ctx)
		if err != nil {
			return nil, err
		}
		appID = a.ID
	} else if a, err := c.App(appID); err != nil {
		return nil, err
	} else {
		appID = a.ID
	}
	s := c.snap.Load()
	if _, ok := s.byName[name]; ok {
		return nil, problem.New(409, "duplicate_name", "name", name)
	}
	if len(fields) > MaxFields(c.db.Dialect) {
		return nil, problem.Invalid("too_many_fields", "max", MaxFields(c.db.Dialect))
	}
	t := &Table{ID: NewID("tbl"), AppID: appID, Name: name, Dialect: c.db.Dialect}
	for i, f := range fields {
		f.ID, f.System, f.Position = NewID("fld"), false, i
		if err := checkField(s, t, f, c.Computer); err != nil {
			return nil, err
		}
		if f.Type == Subform {
			sub, err := subTable(s, t, f, c.Computer)
			if err != nil {
				return nil, err
			}
			t.subs = append(t.subs, sub)
		}
		t.Fields = append(t.Fields, f)
		t.index()
	}
	t.Fields = append(t.Fields, systemFields()...)
	t.index()
	return t, nil
}

// CreateTableTx creates a drafted table inside the caller's write transaction. The catalog
// shows it after Reload, once tx has committed.
func (c *Catalog) CreateTableTx(ctx context.Context, tx *sql.Tx, t *Table) error {
	return createTable(ctx, tx, c.snap.Load(), t)
}

func createTable(ctx context.Context, tx *sql.Tx, s *snapshot, t *Table) error {
	if _, ok := s.byName[t.Name]; ok {
		return problem.New(409, "duplicate_name", "name", t.Name)
	}
	t.Position = len(s.tables)
	if err := addColumns(ctx, tx, t, tableDDL(t)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, createIndex(t, FieldOwner, false)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO _tables(id, app_id, name, title_field, position) VALUES(?,?,?,?,?)", t.ID, t.AppID, t.Name, t.TitleField, t.Position); err != nil {
		if _, dup := store.UniqueViolation(err); dup {
			return problem.New(409, "duplicate_name", "name", t.Name)
		}
		return err
	}
	for _, f := range t.UserFields() {
		if err := indexAndSave(ctx, tx, t, f); err != nil {
			return err
		}
	}
	for _, sub := range t.subs {
		if err := createTable(ctx, tx, s, sub); err != nil {
			return err
		}
	}
	return nil
}

// CreateSQLTx creates t's SQL table in t.Dialect's types, inside tx, without its indexes
// (IndexStatements makes them: after a bulk load, far faster than row by row) and writes no
// metadata: for tierbase migrate, which copies a table's definition (its _tables and _fields
// rows) as it is and needs the table itself made for the other database.
func CreateSQLTx(ctx context.Context, tx *sql.Tx, t *Table) error {
	return addColumns(ctx, tx, t, tableDDL(t))
}

// tableDDL is the CREATE TABLE statement of t's SQL table, in t.Dialect's types.
func tableDDL(t *Table) string {
	cols := []string{
		t.Dialect.RecordID(),
		store.Quote(FieldOwner) + " " + t.Dialect.IntegerType(),
		store.Quote(FieldCreatedBy) + " " + t.Dialect.IntegerType(),
		// The records layer always writes both times. No NOT NULL here: SQLite checks a NOT NULL
		// column in an UPDATE so slowly that it made a 1M-row regrade a third slower.
		store.Quote(FieldCreatedAt) + " TEXT",
		store.Quote(FieldUpdatedAt) + " TEXT",
	}
	for _, f := range t.UserFields() {
		col := store.Quote(f.Column()) + " " + f.Type.SQLType(t.Dialect)
		if f.Type == Subform {
			col += " DEFAULT 0" // no rows, however the record came (an import)
		}
		cols = append(cols, col)
		if f.Sensitive {
			cols = append(cols, store.Quote(f.HashColumn())+" "+t.Dialect.BytesType())
		}
	}
	return fmt.Sprintf("CREATE TABLE %s (%s)", store.Quote(t.SQLName()), strings.Join(cols, ", "))
}

// UpdateTable renames a table, sets its title field, or reorders its fields (by id).
func (c *Catalog) UpdateTable(ctx context.Context, by Changer, ref string, name *string, titleField *string, fieldOrder []string) (*Table, error) {
	if err := by.MayChangeSchema(); err != nil {
		return nil, err
	}
	t, err := c.Table(ref)
	if err != nil {
		return nil, err
	}
	err = c.change(ctx, func(tx *sql.Tx, s *snapshot) error {
		if name != nil {
			n, err := checkName(*name)
			if err != nil {
				return err
			}
			if o, ok := s.byName[n]; ok && o.ID != t.ID {
				return problem.New(409, "duplicate_name", "name", n)
			}
			if _, err := tx.ExecContext(ctx, "UPDATE _tables SET name = ? WHERE id = ?", n, t.ID); err != nil {
				return err
			}
		}
		if titleField != nil {
			f := t.Field(*titleField)
			if f == nil {
				return problem.Invalid("unknown_field", "table", t.Name, "name", *titleField).At("titleField")
			}
			if _, err := tx.ExecContext(ctx, "UPDATE _tables SET title_field = ? WHERE id = ?", f.ID, t.ID); err != nil {
				return err
			}
		}
		for i, ref := range fieldOrder {
			f := t.Field(ref)
			if f == nil {
				return problem.Invalid("unknown_field", "table", t.Name, "name", ref).At(fmt.Sprintf("fieldOrder[%d]", i))
			}
			if f.System {
				continue
			}
			g := *f
			g.Position = i
			if err := saveField(ctx, tx, t.ID, &g); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c.Table(t.ID)
}

// DeleteTable drops a table and its data; its operation log (_oplog) stays. A table other
// tables link to cannot be deleted until those link fields are removed.
func (c *Catalog) DeleteTable(ctx context.Context, by Changer, ref string) error {
	if err := by.MayChangeSchema(); err != nil {
		return err
	}
	t, err := c.Table(ref)
	if err != nil {
		return err
	}
	if p, err := c.Table(t.Parent); err == nil {
		return problem.New(409, "in_use", "kind", "table", "name", t.Name, "reason", p.Name+"."+p.Field(t.ParentField).Name)
	}
	return c.change(ctx, func(tx *sql.Tx, s *snapshot) error {
		for _, o := range s.tables {
			for _, f := range o.Fields {
				if f.Type == Link && f.LinkTable == t.ID && o.ID != t.ID && o.Parent != t.ID {
					return problem.New(409, "in_use", "kind", "table", "name", t.Name, "reason", o.Name+"."+f.Name)
				}
			}
		}
		own := []string{t.ID} // the table and those of its sub-tables' rows go together
		for _, f := range t.Subforms() {
			own = append(own, f.LinkTable)
		}
		if err := readBy(s, t, "", own...); err != nil {
			return err
		}
		for _, f := range t.Subforms() {
			if err := dropSubTable(ctx, tx, s, f, own...); err != nil {
				return err
			}
		}
		if err := dropTable(ctx, tx, t); err != nil {
			return err
		}
		if c.Dropping != nil {
			return c.Dropping(ctx, tx, by, t)
		}
		return nil
	})
}
