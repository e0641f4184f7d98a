package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"tierbase/core/audit"
	"tierbase/core/schema"
	"tierbase/platform/backup"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// backupCmd takes an online, consistent backup of a data directory, also while a server runs on it.
func backupCmd(args []string, stdout, stderr io.Writer) error {
	fs := flags("backup", "Back the database up now, also while a server runs on it: into <data>/backups with a time-stamped name, or to --to FILE.", stderr)
	data := dataFlag(fs)
	to := fs.String("to", "", "write the backup to this file instead of <data>/backups")
	if err := parse(fs, args); err != nil {
		return err
	}
	if dbURL(fs) != "" {
		return problem.New(409, "backup_postgres")
	}
	if _, err := os.Stat(filepath.Join(*data, store.FileName)); err != nil {
		return fmt.Errorf("no tierbase database in %s (choose the data directory with --data)", *data)
	}
	a, err := openApp(fs, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	var info backup.Info
	if *to != "" {
		if _, err := os.Stat(*to); err == nil {
			return fmt.Errorf("%s exists already: choose a new file name", *to)
		}
		if err := backup.Copy(ctx(), a.DB.Path, *to); err != nil {
			return err
		}
		fi, err := os.Stat(*to)
		if err != nil {
			return err
		}
		info = backup.Info{Name: *to, Size: fi.Size(), At: fi.ModTime()}
	} else if info, err = a.Backups().Make(ctx()); err != nil {
		return err
	}
	if err := audit.Record(ctx(), a.DB, audit.Event{Action: audit.Backup, Detail: map[string]any{"name": info.Name, "size": info.Size, "cli": true}}); err != nil {
		return err
	}
	where := info.Name
	if *to == "" {
		where = filepath.Join(a.Backups().Path, info.Name)
	}
	fmt.Fprintf(stdout, "Backed up to %s (%.1f MB).\n", where, float64(info.Size)/(1<<20))
	return nil
}

// restoreCmd restores a backup into an empty data directory and prints the records per table.
// A backup never holds the key of the 敏感 fields: --keys puts a kept copy of keys/keyring.json
// in place (or the server is given TIERBASE_KEY).
func restoreCmd(args []string, stdout, stderr io.Writer) error {
	fs := flags("restore", "Restore FILE (a tierbase backup) into an empty data directory: tierbase restore FILE [--data DIR] [--keys KEYRING].", stderr)
	data := dataFlag(fs)
	keys := fs.String("keys", "", "a copy of the data directory's keys/keyring.json, needed when the backup has 敏感 fields (or give TIERBASE_KEY to the server)")
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see tierbase restore --help)", fs.Arg(0))
	}
	if file == "" {
		return errors.New("usage: tierbase restore FILE [--data DIR] [--keys KEYRING]")
	}
	if dbURL(fs) != "" {
		return problem.New(409, "backup_postgres")
	}
	var ring []byte
	if *keys != "" {
		var err error
		if ring, err = os.ReadFile(*keys); err != nil {
			return fmt.Errorf("read the key ring: %w", err)
		}
	}
	if err := backup.Restore(file, filepath.Join(*data, store.FileName)); err != nil {
		return err
	}
	if ring != nil {
		if err := os.MkdirAll(filepath.Join(*data, "keys"), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(*data, "keys", "keyring.json"), ring, 0o600); err != nil {
			return err
		}
	}
	db, err := store.Open(*data)
	if err != nil {
		return err
	}
	defer db.Close()
	cat, err := schema.Open(db)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Restored %s into %s:\n", file, *data)
	sealed := false
	for _, t := range cat.Tables() {
		var n int64
		if err := db.R.QueryRow("SELECT COUNT(*) FROM " + store.Quote(t.SQLName())).Scan(&n); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  %s: %d\n", t.Name, n)
		sealed = sealed || slices.ContainsFunc(t.Fields, func(f *schema.Field) bool { return f.Sensitive })
	}
	if sealed && ring == nil && os.Getenv("TIERBASE_KEY") == "" {
		fmt.Fprintln(stdout, "This backup has 敏感 (encrypted) fields: put the kept keys/keyring.json into", filepath.Join(*data, "keys"), "or give TIERBASE_KEY before serving it.")
	}
	return nil
}
