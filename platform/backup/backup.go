// Package backup makes consistent copies of the live SQLite database while it serves, keeps
// them in a directory with time-stamped names, and restores one into an empty data directory.
//
// A copy is taken with SQLite's online backup API in one step from a read-only connection of
// its own: in WAL mode that step reads one snapshot of the database while writers go on
// committing (readers never block writers), so the copy is consistent and no write waits
// for it. (Copying in several steps would restart at every write by another connection.)
// See docs/architecture.md for the measurements against VACUUM INTO.
//
// The uploaded files of the data directory (platform/files, beside the database file) go
// inside the copy, in a table of their own, so that one backup file holds everything; a
// restore puts them back. They are never changed once written, so the files the copied
// database refers to are all there when the copy is taken.
package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"tierbase/platform/files"
	"tierbase/platform/problem"
)

// filesTable holds the uploaded files inside a backup: their path below the files
// directory and their content.
const filesTable = "_backup_files"

// packFiles copies the files of dir (if any) into the backup database at db.
func packFiles(ctx context.Context, dir, db string) error {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	to, err := sql.Open("sqlite3", "file:"+db)
	if err != nil {
		return err
	}
	defer to.Close()
	tx, err := to.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "CREATE TABLE "+filesTable+" (path TEXT PRIMARY KEY, data BLOB NOT NULL)"); err != nil {
		return err
	}
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, ".part") { // an upload under way
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		_, err = tx.ExecContext(ctx, "INSERT INTO "+filesTable+" (path, data) VALUES (?, ?)", filepath.ToSlash(rel), data)
		return err
	})
	if err != nil {
		return err
	}
	return tx.Commit()
}

// unpackFiles writes the files a backup database at db holds into dir, and leaves the
// database without them.
func unpackFiles(db, dir string) error {
	conn, err := sql.Open("sqlite3", "file:"+db)
	if err != nil {
		return err
	}
	defer conn.Close()
	var n int
	if err := conn.QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", filesTable).Scan(&n); err != nil || n == 0 {
		return err
	}
	rows, err := conn.Query("SELECT path, data FROM " + filesTable)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var rel string
		var data []byte
		if err := rows.Scan(&rel, &data); err != nil {
			return err
		}
		if !filepath.IsLocal(filepath.FromSlash(rel)) {
			return fmt.Errorf("the backup holds a file outside the files directory: %s", rel)
		}
		path := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o640); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	if _, err := conn.Exec("DROP TABLE " + filesTable); err != nil {
		return err
	}
	_, err = conn.Exec("VACUUM")
	return err
}

// Copy writes a consistent copy of the SQLite database at src to dest, through a temporary
// file renamed into place once complete: dest is never seen half written.
func Copy(ctx context.Context, src, dest string) error {
	tmp := dest + ".part"
	os.Remove(tmp)
	err := copyTo(ctx, src, tmp)
	if err == nil {
		err = packFiles(ctx, filepath.Join(filepath.Dir(src), files.DirName), tmp)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if err := syncFile(tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, dest)
}

func copyTo(ctx context.Context, src, tmp string) error {
	from, err := sql.Open("sqlite3", "file:"+src+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		return err
	}
	defer from.Close()
	to, err := sql.Open("sqlite3", "file:"+tmp)
	if err != nil {
		return err
	}
	defer to.Close()
	fc, err := from.Conn(ctx)
	if err != nil {
		return fmt.Errorf("open %s: %w", src, err)
	}
	defer fc.Close()
	tc, err := to.Conn(ctx)
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	defer tc.Close()
	return tc.Raw(func(t any) error {
		return fc.Raw(func(f any) error {
			b, err := t.(*sqlite3.SQLiteConn).Backup("main", f.(*sqlite3.SQLiteConn), "main")
			if err != nil {
				return fmt.Errorf("back up %s: %w", src, err)
			}
			_, err = b.Step(-1) // all pages from one snapshot
			if ferr := b.Finish(); err == nil {
				err = ferr
			}
			if err != nil {
				return fmt.Errorf("back up %s: %w", src, err)
			}
			return nil
		})
	})
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Check runs PRAGMA integrity_check on the SQLite file at path (without changing it) and
// returns an error saying what is wrong unless it is a sound database.
func Check(path string) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.Query("PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("%s is not a sound tierbase backup: %w", path, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s is not a sound tierbase backup: %w", path, err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s failed the integrity check: %s", path, strings.Join(problems, "; "))
	}
	return nil
}

// Restore checks the backup file and copies it to dest (the database file of an empty data
// directory, created if missing), with the uploaded files it holds beside it. It refuses a
// data directory that holds anything.
func Restore(file, dest string) error {
	dir := filepath.Dir(dest)
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if len(entries) > 0 {
		return fmt.Errorf("the data directory %s is not empty: restore only into a new or empty directory (choose another with --data, or move this one away first)", dir)
	}
	if err := Check(file); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	in, err := os.Open(file)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dest + ".part"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = unpackFiles(tmp, filepath.Join(dir, files.DirName))
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, dest)
}

// Dir is the directory of a database's backups (<data>/backups), named by the time taken.
type Dir struct {
	Path string           // the directory
	DB   string           // the live database file backed up
	Now  func() time.Time // injectable clock
}

// Info describes one backup.
type Info struct {
	Name string    `json:"name"`
	Size int64     `json:"size"`
	At   time.Time `json:"at"`
	seq  int       // 2 and on for the second and later backup of the same second
}

// names are backup file names: tierbase-20261123-093000.db, -2 and on when taken within the same second.
var names = regexp.MustCompile(`^tierbase-(\d{8}-\d{6})(-\d+)?\.db$`)

const stamp = "20060102-150405"

// Make backs the database up now into the directory and returns the new backup. With no
// SQLite file (DB empty: the data is in PostgreSQL) it refuses with a 409 backup_postgres,
// which tells to use pg_dump.
func (d *Dir) Make(ctx context.Context) (Info, error) {
	if d.DB == "" {
		return Info{}, problem.New(409, "backup_postgres")
	}
	if err := os.MkdirAll(d.Path, 0o750); err != nil {
		return Info{}, err
	}
	base := "tierbase-" + d.Now().UTC().Format(stamp)
	name := base + ".db"
	for i := 2; ; i++ {
		if _, err := os.Stat(filepath.Join(d.Path, name)); errors.Is(err, os.ErrNotExist) {
			break
		}
		name = fmt.Sprintf("%s-%d.db", base, i)
	}
	if err := Copy(ctx, d.DB, filepath.Join(d.Path, name)); err != nil {
		return Info{}, err
	}
	return d.Stat(name)
}

// Stat describes the backup called name, or returns os.ErrNotExist when there is none: a
// name that is not a backup's (a path, "..") is never looked up.
func (d *Dir) Stat(name string) (Info, error) {
	m := names.FindStringSubmatch(name)
	if m == nil {
		return Info{}, os.ErrNotExist
	}
	fi, err := os.Stat(filepath.Join(d.Path, name))
	if err != nil {
		return Info{}, err
	}
	at, _ := time.Parse(stamp, m[1])
	seq, _ := strconv.Atoi(strings.TrimPrefix(m[2], "-"))
	return Info{Name: name, Size: fi.Size(), At: at, seq: seq}, nil
}

// File returns the path of the backup called name (see Stat).
func (d *Dir) File(name string) (string, error) {
	if _, err := d.Stat(name); err != nil {
		return "", err
	}
	return filepath.Join(d.Path, name), nil
}

// List returns the backups, newest first.
func (d *Dir) List() ([]Info, error) {
	entries, err := os.ReadDir(d.Path)
	if errors.Is(err, os.ErrNotExist) {
		return []Info{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := []Info{}
	for _, e := range entries {
		if info, err := d.Stat(e.Name()); err == nil {
			out = append(out, info)
		}
	}
	slices.SortFunc(out, func(a, b Info) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return b.seq - a.seq
	})
	return out, nil
}

// Prune deletes the oldest backups beyond the newest keep and returns their names.
func (d *Dir) Prune(keep int) ([]string, error) {
	list, err := d.List()
	if err != nil || len(list) <= keep {
		return nil, err
	}
	var gone []string
	for _, b := range list[keep:] {
		if err := os.Remove(filepath.Join(d.Path, b.Name)); err != nil {
			return gone, err
		}
		gone = append(gone, b.Name)
	}
	return gone, nil
}
