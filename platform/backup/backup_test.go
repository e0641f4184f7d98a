package backup_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tierbase/platform/backup"
	"tierbase/platform/files"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

var ctx = context.Background()

// counts returns the rows of the test tables in the SQLite file at path.
func counts(t *testing.T, path string) [3]int64 {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var c [3]int64
	err = db.QueryRow("SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM b), (SELECT n FROM total)").Scan(&c[0], &c[1], &c[2])
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestBackupWhileWriting backs up while 20 goroutines write: no write fails, and the backup
// is one snapshot — each write adds a row to a and to b and counts it in total, so a backup
// taken between the parts of a write would show different counts — that restores into a
// sound database with the same counts.
func TestBackupWhileWriting(t *testing.T) {
	dir := t.TempDir()
	db, err := store.OpenSQLite(filepath.Join(dir, "data")) // backups are of SQLite files, on either pass of the suite
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Exec(ctx, `CREATE TABLE a(id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE b(id INTEGER PRIMARY KEY, v TEXT);
		CREATE TABLE total(n INTEGER); INSERT INTO total VALUES(0)`); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writes, failed atomic.Int64
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				err := db.Tx(ctx, func(tx *sql.Tx) error {
					for _, q := range []string{"INSERT INTO a(v) VALUES(hex(randomblob(64)))", "INSERT INTO b(v) VALUES(hex(randomblob(64)))", "UPDATE total SET n = n + 1"} {
						if _, err := tx.Exec(q); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					failed.Add(1)
				}
				writes.Add(1)
			}
		}()
	}
	for writes.Load() < 2000 {
		time.Sleep(5 * time.Millisecond)
	}
	backups := &backup.Dir{Path: filepath.Join(dir, "data", "backups"), DB: db.Path, Now: time.Now}
	var taken []backup.Info
	for range 3 {
		info, err := backups.Make(ctx)
		if err != nil {
			t.Fatal(err)
		}
		taken = append(taken, info)
	}
	close(stop)
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d of %d writes failed during the backups", failed.Load(), writes.Load())
	}
	list, err := backups.List()
	if err != nil || len(list) != 3 || list[0].Name != taken[2].Name || list[2].Name != taken[0].Name {
		t.Fatalf("list: %+v %v", list, err)
	}
	live := counts(t, db.Path)
	for _, b := range taken {
		file, err := backups.File(b.Name)
		if err != nil {
			t.Fatal(err)
		}
		dest := filepath.Join(dir, "restored-"+b.Name, store.FileName)
		if err := backup.Restore(file, dest); err != nil {
			t.Fatal(err)
		}
		if err := backup.Check(dest); err != nil {
			t.Fatal(err)
		}
		c := counts(t, dest)
		if c[0] != c[2] || c[1] != c[2] || c[2] == 0 || c[2] > live[2] {
			t.Fatalf("backup %s holds a %d, b %d, total %d (live: %v): not one snapshot", b.Name, c[0], c[1], c[2], live)
		}
	}
	if gone, err := backups.Prune(1); err != nil || len(gone) != 2 {
		t.Fatalf("prune: %v %v", gone, err)
	}
	if list, _ := backups.List(); len(list) != 1 {
		t.Fatalf("after prune: %+v", list)
	}
}

func TestRestoreRefuses(t *testing.T) {
	dir := t.TempDir()
	db, err := store.OpenSQLite(filepath.Join(dir, "data")) // backups are of SQLite files, on either pass of the suite
	if err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.db")
	if err := backup.Copy(ctx, db.Path, good); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// A data directory that holds anything.
	busy := filepath.Join(dir, "busy")
	os.MkdirAll(busy, 0o750)
	os.WriteFile(filepath.Join(busy, "notes.txt"), []byte("x"), 0o640)
	if err := backup.Restore(good, filepath.Join(busy, store.FileName)); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("restore into a non-empty directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(busy, store.FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("restore wrote into a non-empty directory")
	}
	// A file that is not a database, and a database with a damaged page.
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte(strings.Repeat("not a database ", 500)), 0o640)
	b, _ := os.ReadFile(good)
	for i := 4096; i < 4096+600; i++ { // page 2: the first table's root
		b[i] = 0xff
	}
	damaged := filepath.Join(dir, "damaged.db")
	os.WriteFile(damaged, b, 0o640)
	for _, f := range []string{junk, damaged, filepath.Join(dir, "missing.db")} {
		dest := filepath.Join(dir, "new-"+filepath.Base(f), store.FileName)
		if err := backup.Restore(f, dest); err == nil {
			t.Fatalf("restored %s", f)
		}
		if _, err := os.Stat(dest); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("a refused restore of %s left a file", f)
		}
	}
	if err := backup.Restore(good, filepath.Join(dir, "new", store.FileName)); err != nil {
		t.Fatal(err)
	}
}

func TestNamesOutsideTheDirectory(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "secret.db"), []byte("x"), 0o640)
	backups := &backup.Dir{Path: filepath.Join(dir, "backups"), Now: time.Now}
	os.MkdirAll(backups.Path, 0o750)
	os.WriteFile(filepath.Join(backups.Path, "tierbase-20261123-093000.db"), []byte("x"), 0o640)
	if _, err := backups.File("tierbase-20261123-093000.db"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"../secret.db", "..", "", "/etc/passwd", "tierbase-20261123-093000.db/../../secret.db",
		"..%2Fsecret.db", "tierbase-20261123-093000.db.part", "./tierbase-20261123-093000.db"} {
		if _, err := backups.File(name); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%q: %v", name, err)
		}
	}
}

// With no SQLite file (the data is in PostgreSQL) a backup is refused with a 409 that says
// to use pg_dump, in both languages, and nothing is written; the list is empty.
func TestMakeOnPostgresPointsAtPgDump(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "backups")
	d := &backup.Dir{Path: dir, DB: "", Now: time.Now}
	_, err := d.Make(context.Background())
	p := problem.As(err)
	if p == nil || p.Status != 409 || p.Code != "backup_postgres" || !strings.Contains(p.Message("zh"), "pg_dump") || !strings.Contains(p.Message("en"), "pg_dump") {
		t.Fatalf("Make without a SQLite file: %v, want a 409 backup_postgres naming pg_dump", err)
	}
	if list, err := d.List(); err != nil || len(list) != 0 {
		t.Errorf("List: %v, %v", list, err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the backups directory was made: %v", err)
	}
}

func TestBackupHoldsFiles(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	db, err := store.OpenSQLite(data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	kept := &files.Store{Dir: filepath.Join(data, files.DirName)}
	info, err := kept.Put(strings.NewReader("合同正文"), files.Limits{Accept: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "with-files.db")
	if err := backup.Copy(ctx, db.Path, file); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(kept.Dir) // the files are in the backup, not merely beside it
	restored := filepath.Join(dir, "restored")
	if err := backup.Restore(file, filepath.Join(restored, store.FileName)); err != nil {
		t.Fatal(err)
	}
	again := &files.Store{Dir: filepath.Join(restored, files.DirName)}
	f, err := again.Open(info.Hash, false)
	if err != nil {
		t.Fatalf("the restored data directory lacks the file: %v", err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "合同正文" {
		t.Fatalf("restored %q", b)
	}
	if err := backup.Check(filepath.Join(restored, store.FileName)); err != nil {
		t.Fatal(err)
	}
}
