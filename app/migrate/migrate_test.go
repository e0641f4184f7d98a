package migrate_test

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"tierbase/app"
	"tierbase/app/migrate"
	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/store"
	"tierbase/templates/crm"
)

// The demo's data directory, with history, a deleted record, a sensitive field and a
// session, moved to PostgreSQL: every table's rows read back the same on both sides, the
// records read the same through the records engine, new ids carry on past the old ones,
// and a second migration into the now full database is refused.
func TestMigrateMovesTheDemoToPostgres(t *testing.T) {
	pg := os.Getenv(store.TestServerEnv)
	if pg == "" {
		t.Skip("moves data into PostgreSQL: runs with TIERBASE_TEST_PG set (make gotest-pg)")
	}
	ctx := context.Background()
	dir := t.TempDir()
	t.Setenv(store.URLEnv, "")
	t.Setenv(store.TestServerEnv, "") // the source is the SQLite file in dir

	a, err := app.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if a.DB.Dialect != store.SQLite {
		t.Fatal("the source should be SQLite")
	}
	today := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	if _, err := crm.Demo(ctx, a.DB, a.Catalog, a.Users, crm.DemoOptions{Customers: 120, Seed: 7, Today: today}); err != nil {
		t.Fatal(err)
	}
	for _, install := range []func() error{
		func() error { return crm.InstallRules(ctx, a.Rules) },
		func() error { return crm.InstallDashboards(ctx, a.Reports) },
		func() error { return crm.InstallOrg(ctx, a.Org, a.Users) },
	} {
		if err := install(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Grading.RegradeAll(ctx); err != nil {
		t.Fatal(err)
	}
	customers, err := a.Catalog.Table("客户")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Catalog.AddField(ctx, access.System, "客户", &schema.Field{Name: "证件号", Type: schema.Text, Sensitive: true}); err != nil {
		t.Fatal(err)
	}
	customers, _ = a.Catalog.Table("客户")
	rec, err := a.Records.Create(ctx, access.System, customers, records.Input{"客户名称": "迁移测试有限公司", "证件号": "110101199001011234", "历史消费金额": 1999.99})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Records.Update(ctx, access.System, customers, rec.ID(), records.Input{"历史消费金额": 250000.5}); err != nil {
		t.Fatal(err)
	}
	gone, err := a.Records.Create(ctx, access.System, customers, records.Input{"客户名称": "将被删除"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Records.Delete(ctx, access.System, customers, gone.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Users.Create(ctx, access.System, "admin@migrate.test", "password-123", "管理员", "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Users.Login(ctx, "admin@migrate.test", "password-123", "test"); err != nil {
		t.Fatal(err)
	}
	before := dumpAll(t, a.DB)
	indexes := recordIndexes(t, a.DB)
	views := readRecords(t, a)
	history, err := a.Records.History(ctx, access.System, customers, rec.ID())
	if err != nil || len(history) < 2 {
		t.Fatalf("history of the test record: %v, %v", history, err)
	}
	a.Close()

	src, err := store.OpenSQLite(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(store.TestServerEnv, pg) // the target: the test server's schema of dir
	dst, err := store.OpenURL(dir, pg)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	counts, err := migrate.Run(ctx, src, dst, migrate.Options{Batch: 37, Progress: func(name string, done, total int64) {
		if done == total {
			seen = append(seen, name)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	var copied int64
	for _, c := range counts {
		if c.Source != c.Target {
			t.Errorf("%s: %d → %d", c.Name, c.Source, c.Target)
		}
		if c.Table == "_sessions" {
			t.Error("sessions were copied without Sessions")
		}
		copied += c.Target
	}
	if copied < 500 || !slices.Contains(seen, "客户") || !slices.Contains(seen, "_oplog") {
		t.Errorf("copied %d rows; progress reported %v", copied, seen)
	}
	// Into a database that holds rows now: refused, naming what is there.
	_, err = migrate.Run(ctx, src, dst, migrate.Options{})
	if p := problem.As(err); p == nil || p.Code != "migrate_not_empty" || !strings.Contains(p.Message("en"), "_apps") {
		t.Errorf("a second migration: %v, want migrate_not_empty naming _apps", err)
	}
	src.Close()
	dst.Close()

	b, err := app.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.DB.Dialect != store.Postgres {
		t.Fatal("the data directory should open on PostgreSQL now")
	}
	after := dumpAll(t, b.DB)
	if got := recordIndexes(t, b.DB); !reflect.DeepEqual(got, indexes) || len(got) < 8 {
		t.Errorf("the record tables' indexes on PostgreSQL:\n %v\nwant those on SQLite:\n %v", got, indexes)
	}
	delete(before, "_sessions")
	for table, rows := range before {
		if !reflect.DeepEqual(rows, after[table]) {
			t.Errorf("table %s differs after the move:\n SQLite     %.600v\n PostgreSQL %.600v", table, rows, after[table])
		}
	}
	if got := readRecords(t, b); !reflect.DeepEqual(got, views) {
		for name := range views {
			if !reflect.DeepEqual(got[name], views[name]) {
				t.Errorf("the records of %s read differently on PostgreSQL:\n %.800v\n %.800v", name, views[name], got[name])
			}
		}
	}
	customers, _ = b.Catalog.Table("客户")
	moved, err := b.Records.Get(ctx, access.System, customers, rec.ID())
	if err != nil || moved["证件号"] != nil && fmt.Sprint(moved[customers.Field("证件号").ID]) != "110101199001011234" {
		t.Errorf("the sensitive value after the move: %v, %v", moved[customers.Field("证件号").ID], err)
	}
	hist, err := b.Records.History(ctx, access.System, customers, rec.ID())
	if err != nil || !reflect.DeepEqual(jsonOf(t, hist), jsonOf(t, history)) {
		t.Errorf("history after the move: %v (%v), want %v", hist, err, history)
	}
	// (Through the store: a record written into 客户 runs its rules, not ported yet.)
	var next int64
	err = b.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO "+store.Quote(customers.SQLName())+" (owner) VALUES (1)")
		if err == nil {
			err = tx.QueryRowContext(ctx, "SELECT MAX(id) FROM "+store.Quote(customers.SQLName())).Scan(&next)
		}
		return err
	})
	if err != nil || next != gone.ID()+1 {
		t.Errorf("the next record of 客户 on PostgreSQL gets id %d (%v), want %d (past the deleted %d)", next, err, gone.ID()+1, gone.ID())
	}
	if _, err := b.Users.Create(ctx, access.System, "new@migrate.test", "password-123", "新人", "member"); err != nil {
		t.Errorf("a new user after the move: %v", err)
	}
	if _, err := b.Users.Login(ctx, "admin@migrate.test", "password-123", "test"); err != nil {
		t.Errorf("signing in after the move: %v", err)
	}
}

// readRecords reads every record of every table through the records engine, as JSON.
func readRecords(t *testing.T, a *app.App) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tb := range a.Catalog.Tables() {
		var all []records.Record
		err := a.Records.Each(context.Background(), access.System, tb, records.Query{Sort: "ID"}, func(r records.Record) error {
			all = append(all, r)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		out[tb.Name] = jsonOf(t, all)
	}
	return out
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dumpAll reads every row of every table of db (the columns SQLite has: PostgreSQL's seq
// columns and _meta are its own), each row as text with values in one form whatever the
// database gave (numbers as numbers, JSON canonical, bytes in hex), rows sorted.
func dumpAll(t *testing.T, db *store.DB) map[string][]string {
	t.Helper()
	ctx := context.Background()
	tables, err := db.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, tb := range tables {
		if tb.Name == "_meta" {
			continue
		}
		var cols []string
		for _, c := range tb.Columns {
			if c.Name != "seq" || db.Dialect != store.Postgres {
				cols = append(cols, store.Quote(c.Name))
			}
		}
		slices.Sort(cols) // a column added after the table keeps its place in the fields' order on PostgreSQL
		rows, err := db.R.QueryContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+store.Quote(tb.Name))
		if err != nil {
			t.Fatal(err)
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		var list []string
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			parts := make([]string, len(cols))
			for i, v := range vals {
				parts[i] = cols[i] + "=" + norm(v)
			}
			list = append(list, strings.Join(parts, " "))
		}
		rows.Close()
		slices.Sort(list)
		out[tb.Name] = list
	}
	return out
}

func norm(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		if len(x) > 0 && (x[0] == '[' || x[0] == '{') && json.Valid(x) {
			return norm(string(x)) // jsonb comes back as bytes
		}
		return "x" + hex.EncodeToString(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		if f, err := strconv.ParseFloat(x, 64); err == nil && strconv.FormatFloat(f, 'f', -1, 64) == x {
			return strconv.FormatFloat(f, 'g', -1, 64) // NUMERIC comes back as text
		}
		if strings.HasPrefix(x, "[") || strings.HasPrefix(x, "{") {
			var j any
			if json.Unmarshal([]byte(x), &j) == nil {
				b, _ := json.Marshal(j)
				return string(b)
			}
		}
		return strconv.Quote(x)
	}
	return fmt.Sprintf("%T:%v", v, v)
}

// recordIndexes lists the names of the record tables' indexes (the primary keys aside).
func recordIndexes(t *testing.T, db *store.DB) []string {
	t.Helper()
	q := `SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL AND tbl_name LIKE 't\_%' ESCAPE '\'`
	if db.Dialect == store.Postgres {
		q = `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename LIKE 't\_%' AND indexname NOT LIKE '%\_pkey'`
	}
	rows, err := db.R.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// A value PostgreSQL cannot take (text in a number column, which SQLite keeps) stops the
// migration with the table, column and row, and leaves the target as empty as it was: the
// same migration runs once the value is fixed. Sessions go along when asked for.
func TestMigrateIsAllOrNothing(t *testing.T) {
	pg := os.Getenv(store.TestServerEnv)
	if pg == "" {
		t.Skip("moves data into PostgreSQL: runs with TIERBASE_TEST_PG set (make gotest-pg)")
	}
	ctx := context.Background()
	dir := t.TempDir()
	t.Setenv(store.URLEnv, "")
	t.Setenv(store.TestServerEnv, "")
	a, err := app.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := a.Catalog.CreateTable(ctx, access.System, "", "账目", []*schema.Field{{Name: "名称", Type: schema.Text}, {Name: "金额", Type: schema.Money}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		if _, err := a.Records.Create(ctx, access.System, tb, records.Input{"名称": fmt.Sprint("第", i), "金额": float64(i) + 0.25}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Users.Create(ctx, access.System, "admin@migrate.test", "password-123", "管理员", "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Users.Login(ctx, "admin@migrate.test", "password-123", "test"); err != nil {
		t.Fatal(err)
	}
	money := store.Quote(tb.Field("金额").Column())
	bad := func(v any) {
		err := a.DB.Exec(ctx, "UPDATE "+store.Quote(tb.SQLName())+" SET "+money+" = ? WHERE id = 17", v)
		if err != nil {
			t.Fatal(err)
		}
	}
	bad("一百")
	a.Close()
	src, err := store.OpenSQLite(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(store.TestServerEnv, pg)
	dst, err := store.OpenURL(dir, pg)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	_, err = migrate.Run(ctx, src, dst, migrate.Options{Sessions: true})
	if err == nil || !strings.Contains(err.Error(), "账目") || !strings.Contains(err.Error(), "第 17 行") || !strings.Contains(err.Error(), "「金额」值「一百」") {
		t.Fatalf("a value PostgreSQL refuses: %v, want the table, row and value named", err)
	}
	var users int
	if err := dst.R.QueryRow("SELECT COUNT(*) FROM _users").Scan(&users); err != nil || users != 0 {
		t.Fatalf("after a failed migration the target holds %d users (%v)", users, err)
	}
	if tables, _ := dst.Describe(ctx); slices.ContainsFunc(tables, func(ti store.TableInfo) bool { return ti.Name == tb.SQLName() }) {
		t.Fatal("after a failed migration the target holds the record table")
	}
	src.Close()
	t.Setenv(store.TestServerEnv, "")
	if a, err = app.Open(dir); err != nil {
		t.Fatal(err)
	}
	bad(100.5)
	a.Close()
	if src, err = store.OpenSQLite(dir); err != nil {
		t.Fatal(err)
	}
	counts, err := migrate.Run(ctx, src, dst, migrate.Options{Sessions: true})
	src.Close()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, c := range counts {
		got[c.Name] = c.Target
	}
	if got["账目"] != 30 || got["_sessions"] != 1 || got["_users"] != 1 {
		t.Errorf("counts after the fix: %v", got)
	}
}

// A table wider than PostgreSQL allows (made before SQLite had the same limit) is refused
// before anything is written, naming it.
func TestMigrateRefusesATooWideTable(t *testing.T) {
	pg := os.Getenv(store.TestServerEnv)
	if pg == "" {
		t.Skip("moves data into PostgreSQL: runs with TIERBASE_TEST_PG set (make gotest-pg)")
	}
	ctx := context.Background()
	dir := t.TempDir()
	t.Setenv(store.URLEnv, "")
	t.Setenv(store.TestServerEnv, "")
	a, err := app.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := a.Catalog.CreateTable(ctx, access.System, "", "宽表", []*schema.Field{{Name: "名称", Type: schema.Text}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range store.Postgres.MaxColumns() { // by hand, as an older tierbase allowed
		if err := a.DB.Exec(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN c%d TEXT", store.Quote(tb.SQLName()), i)); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()
	src, err := store.OpenSQLite(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	t.Setenv(store.TestServerEnv, pg)
	dst, err := store.OpenURL(dir, pg)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	_, err = migrate.Run(ctx, src, dst, migrate.Options{})
	if p := problem.As(err); p == nil || p.Code != "migrate_too_wide" || !strings.Contains(p.Message("zh"), "宽表") {
		t.Fatalf("migrating a table wider than PostgreSQL allows: %v, want migrate_too_wide naming it", err)
	}
	var apps int
	if err := dst.R.QueryRow("SELECT COUNT(*) FROM _apps").Scan(&apps); err != nil || apps != 0 {
		t.Fatalf("after the refusal the target holds %d apps (%v)", apps, err)
	}
}
