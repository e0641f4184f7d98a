package store

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"sync"
	"testing"
)

// onPostgres opens a data directory on the test PostgreSQL server, or skips the test when
// the suite runs on SQLite only.
func onPostgres(t *testing.T, dir string) *DB {
	t.Helper()
	if os.Getenv(TestServerEnv) == "" {
		t.Skip("no PostgreSQL server to test on (make test starts one: scripts/pgtest)")
	}
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// sqliteOnly skips a test of SQLite's own machinery when the suite runs on PostgreSQL.
func sqliteOnly(t *testing.T) {
	if os.Getenv(TestServerEnv) != "" {
		t.Skip("tests SQLite's file, journal or writer")
	}
}

func TestRebind(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT 1":                                    "SELECT 1",
		"SELECT ? , ?":                                "SELECT $1 , $2",
		"SELECT '?', \"a?\", ? -- why?\n, ?":          "SELECT '?', \"a?\", $1 -- why?\n, $2",
		"SELECT 'it''s ?', ?":                         "SELECT 'it''s ?', $1",
		"INSERT INTO t VALUES (?1, ?2), (?3, ?2)":     "INSERT INTO t VALUES ($1, $2), ($3, $2)",
		"SELECT \"un\"\"closed ?":                     "SELECT \"un\"\"closed ?",
		"WHERE a IN (?,?,?) AND b LIKE ? ESCAPE '\\'": "WHERE a IN ($1,$2,$3) AND b LIKE $4 ESCAPE '\\'",
	} {
		if got := Rebind(in); got != want {
			t.Errorf("Rebind(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzRebind(f *testing.F) {
	f.Add("SELECT ? FROM \"t?\" WHERE x = '?' -- ?")
	f.Fuzz(func(t *testing.T, q string) {
		out := Rebind(q)
		if strings.Count(out, "?") > strings.Count(q, "?") {
			t.Fatalf("Rebind(%q) = %q adds question marks", q, out)
		}
		if !strings.Contains(q, "?") && out != q {
			t.Fatalf("Rebind(%q) = %q changed a query without placeholders", q, out)
		}
	})
}

// On PostgreSQL, the metadata tables are made once, even by several nodes opening the same
// database together; writes take ? placeholders; a failed transaction leaves nothing, and
// AfterCommit runs only for committed ones.
func TestPostgresOpen(t *testing.T) {
	dir := t.TempDir()
	first := onPostgres(t, dir)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs { // nodes starting together
		wg.Go(func() {
			db, err := Open(dir)
			if err == nil {
				db.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	var ran []string
	var mu sync.Mutex
	note := func(s string) func() { return func() { mu.Lock(); ran = append(ran, s); mu.Unlock() } }
	err := first.Tx(ctx, func(tx *sql.Tx) error {
		first.AfterCommit(tx, 1, note("committed"))
		_, err := tx.ExecContext(ctx, "INSERT INTO _sequences(key, value) VALUES(?, ?)", "a", 1)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = first.Tx(ctx, func(tx *sql.Tx) error {
		first.AfterCommit(tx, 1, note("rolled back"))
		if _, err := tx.ExecContext(ctx, "INSERT INTO _sequences(key, value) VALUES(?, ?)", "b", 2); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO _sequences(key, value) VALUES(?, ?)", "a", 3) // duplicate key
		return err
	})
	if err == nil {
		t.Fatal("a duplicate key was accepted")
	}
	var keys string
	if err := first.R.QueryRowContext(ctx, "SELECT string_agg(key, ',' ORDER BY key) FROM _sequences").Scan(&keys); err != nil {
		t.Fatal(err)
	}
	if keys != "a" || strings.Join(ran, ",") != "committed" {
		t.Fatalf("keys %q, after commit %v; want a, [committed]", keys, ran)
	}
	// The operation log stays append-only for everyone.
	if err := first.Exec(ctx, "INSERT INTO _audit(at, user_id, action) VALUES(?, ?, ?)", "2026-12-06T00:00:00Z", 1, "login"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"UPDATE _audit SET action = 'x'", "DELETE FROM _audit"} {
		if err := first.Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want the append-only refusal", q, err)
		}
	}
}

// A database address that is not one, or a server that does not answer, gets one clear line.
func TestPostgresBadAddress(t *testing.T) {
	t.Setenv(URLEnv, "postgres://nobody:secret@127.0.0.1:1/none?connect_timeout=2")
	_, err := Open(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "cannot reach PostgreSQL at 127.0.0.1:1") || strings.Contains(err.Error(), "secret") {
		t.Fatalf("got %v", err)
	}
	t.Setenv(URLEnv, "mysql://x")
	if _, err := Open(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a PostgreSQL URL") {
		t.Fatalf("got %v", err)
	}
}
