package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tierbase/platform/store"
)

// TestBackupAndRestore backs a demo database up with the CLI (into <data>/backups and to a
// file), restores both into new directories and finds the same counts; restore refuses a
// directory that holds anything and a file that is not a sound backup.
func TestBackupAndRestore(t *testing.T) {
	if os.Getenv(store.TestServerEnv) != "" {
		t.Skip("backs up the SQLite file; on PostgreSQL backups are pg_dump's (TestBackupOnPostgresPointsAtPgDump)")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if _, _, err := runCLI("demo", "--data", data, "--customers", "60"); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI("backup", "--data", data)
	if err != nil || !strings.Contains(out, filepath.Join(data, "backups", "tierbase-")) {
		t.Fatalf("backup: %q %v", out, err)
	}
	to := filepath.Join(dir, "copy.db")
	if _, _, err := runCLI("backup", "--data", data, "--to", to); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI("backup", "--data", data, "--to", to); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Fatalf("backup over an existing file: %v", err)
	}
	list, _ := filepath.Glob(filepath.Join(data, "backups", "tierbase-*.db"))
	if len(list) != 1 {
		t.Fatalf("backups: %v", list)
	}
	// The backup holds no key: one restore gets a kept copy of the key ring and opens; the other
	// is told to put one in place.
	var outs []string
	for i, file := range []string{list[0], to} {
		args := []string{"restore", file, "--data", filepath.Join(dir, "restored", string(rune('a'+i)))}
		if i == 0 {
			args = append(args, "--keys", filepath.Join(data, "keys", "keyring.json"))
		}
		out, _, err := runCLI(args...)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, out[strings.Index(out, "\n"):])
	}
	if !strings.HasPrefix(outs[1], outs[0]) || !strings.Contains(outs[0], "客户: 60\n") || !strings.Contains(outs[1], "keyring.json") {
		t.Fatalf("restored counts:\n%s\n%s", outs[0], outs[1])
	}
	if _, _, err := runCLI("user", "create", "--data", filepath.Join(dir, "restored", "a"), "--email", "r@example.com", "--password", "restored-9-pass", "--role", "admin"); err != nil {
		t.Fatalf("the restored directory with its key does not open: %v", err)
	}
	if _, _, err := runCLI("user", "create", "--data", filepath.Join(dir, "restored", "b"), "--email", "r@example.com", "--password", "restored-9-pass", "--role", "admin"); err == nil || !strings.Contains(err.Error(), "keyring.json") {
		t.Fatalf("the restored directory without its key: %v", err)
	}
	if _, _, err := runCLI("restore", to, "--data", data); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("restore over the live data: %v", err)
	}
	if _, _, err := runCLI("restore", to, "--data", filepath.Join(dir, "nokeys"), "--keys", filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "key ring") {
		t.Fatalf("restore with a missing key ring: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "nokeys")); err == nil {
		t.Fatal("a refused restore made the data directory")
	}
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte(strings.Repeat("x", 8192)), 0o644)
	if _, _, err := runCLI("restore", junk, "--data", filepath.Join(dir, "fresh")); err == nil {
		t.Fatal("restored a file that is no database")
	}
	if _, err := os.Stat(filepath.Join(dir, "fresh", "tierbase.db")); err == nil {
		t.Fatal("a refused restore left a database")
	}
	if _, _, err := runCLI("backup", "--data", filepath.Join(dir, "nothing")); err == nil || !strings.Contains(err.Error(), "no tierbase database") {
		t.Fatalf("backup of a missing database: %v", err)
	}
}
