package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// On PostgreSQL, tierbase takes no backups: backup and restore say to use pg_dump, in the
// user's language, before touching anything.
func TestBackupOnPostgresPointsAtPgDump(t *testing.T) {
	dir := t.TempDir()
	const url = "postgres://tb:s3cret@127.0.0.1:1/tierbase"
	for _, args := range [][]string{
		{"backup", "--data", dir, "--db", url},
		{"restore", filepath.Join(dir, "x.db"), "--data", filepath.Join(dir, "new"), "--db", url},
	} {
		_, _, err := runCLI(args...)
		p := problem.As(err)
		if p == nil || p.Code != "backup_postgres" || !strings.Contains(p.Message("en"), "pg_dump") || !strings.Contains(p.Message("zh"), "pg_dump") {
			t.Errorf("%s on PostgreSQL: %v, want backup_postgres", args[0], err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); err == nil {
		t.Error("restore on PostgreSQL made the data directory")
	}
}

// tierbase migrate copies a demo directory into the test server, saying where with the
// password masked, lists every table's counts, and refuses to run twice into the same
// database; without --to or without a SQLite database it says what is missing.
func TestMigrateCommand(t *testing.T) {
	pg := os.Getenv(store.TestServerEnv)
	data := filepath.Join(t.TempDir(), "data")
	if _, _, err := runCLI("migrate", "--data", data); err == nil || !strings.Contains(err.Error(), "--to") {
		t.Errorf("migrate without --to: %v", err)
	}
	if _, _, err := runCLI("migrate", "--data", data, "--to", "postgres://x@127.0.0.1:1/y"); err == nil || !strings.Contains(err.Error(), "no SQLite database") {
		t.Errorf("migrate of an empty directory: %v", err)
	}
	if pg == "" {
		t.Skip("the copy itself needs TIERBASE_TEST_PG")
	}
	t.Setenv(store.TestServerEnv, "")
	t.Setenv(store.URLEnv, "")
	if _, _, err := runCLI("demo", "--data", data, "--customers", "40"); err != nil {
		t.Fatal(err)
	}
	// A password in the address (the test server trusts local connections and ignores it).
	withPassword := strings.Replace(pg, "postgres://postgres@", "postgres://postgres:s3cret@", 1)
	if withPassword == pg {
		t.Skipf("cannot put a password into %s", pg)
	}
	t.Setenv(store.TestServerEnv, withPassword) // so the copy lands in this directory's schema
	out, errOut, err := runCLI("migrate", "--data", data, "--to", withPassword)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if strings.Contains(out+errOut, "s3cret") || !strings.Contains(out, "postgres:***@") {
		t.Errorf("the password shows, or the address is missing:\n%s", out)
	}
	if !strings.Contains(out, "客户") || !strings.Contains(out, "40 → 40") || !strings.Contains(out, "every count matches") {
		t.Errorf("migrate output:\n%s", out)
	}
	_, _, err = runCLI("migrate", "--data", data, "--to", withPassword)
	if p := problem.As(err); p == nil || p.Code != "migrate_not_empty" {
		t.Errorf("a second migrate: %v", err)
	}
	out, _, err = runCLI("export", "--data", data, "--db", withPassword, "--table", "客户", filepath.Join(t.TempDir(), "c.csv"))
	if err != nil {
		t.Errorf("export from PostgreSQL with --db: %v (%s)", err, out)
	}
}

// A --db that cannot be reached, or is no PostgreSQL address, is one line that says which
// host and what failed, and never shows the password.
func TestDBUnreachableSaysWhereWithoutThePassword(t *testing.T) {
	t.Setenv(store.URLEnv, "")
	data := t.TempDir()
	for _, c := range []struct{ db, want string }{
		{"postgres://tb:s3cret@127.0.0.1:1/tierbase?connect_timeout=2", "cannot reach PostgreSQL at 127.0.0.1:1"},
		{"postgres://tb:s3cret@127.0.0.1:99999999/tierbase", "tb:***@"},
	} {
		for _, args := range [][]string{
			{"serve", "--data", data, "--http", "127.0.0.1:0", "--db", c.db},
			{"export", "--data", data, "--db", c.db, "--table", "客户", filepath.Join(data, "x.csv")},
		} {
			_, _, err := runCLI(args...)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s --db %s: %v, want one line with %q and no password", args[0], c.db, err, c.want)
			}
		}
	}
	t.Setenv(store.URLEnv, "postgres://tb:s3cret@127.0.0.1:1/tierbase?connect_timeout=2")
	if _, _, err := runCLI("user", "create", "--data", data, "--email", "a@b.cn", "--password", "password-123"); err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("TIERBASE_DB is not used without --db: %v", err)
	}
}
