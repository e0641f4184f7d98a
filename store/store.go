// Package store owns the database: opening it, the metadata tables, and the pools that
// engines use. SQLite (embedded, the default) runs one writer connection and a pool of
// readers in WAL mode, so reads never wait for a write and writes never fight each other.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	_ "github.com/mattn/go-sqlite3" // the SQLite driver (cgo)
)

// DB is an open tierbase database.
type DB struct {
	W    *sql.DB // the single writer connection: every write transaction goes here
	R    *sql.DB // readers
	Path string  // the SQLite file

	jobs chan *job // write transactions waiting for the writer
	quit chan struct{}
}

// FileName is the SQLite database file inside the data directory.
const FileName = "tierbase.db"

// Open opens (creating if needed) the database in dir and brings its metadata up to date.
func Open(dir string) (*DB, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	// busy_timeout comes first so the other pragmas wait instead of failing on a busy file.
	common := "_busy_timeout=10000&_journal_mode=WAL&_synchronous=NORMAL&_foreign_keys=off&_cache_size=-16000"
	w, err := sql.Open("sqlite3", "file:"+path+"?"+common+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open("sqlite3", "file:"+path+"?"+common+"&mode=ro")
	if err != nil {
		w.Close()
		return nil, err
	}
	n := max(4, runtime.NumCPU()*2)
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	db := &DB{W: w, R: r, Path: path, jobs: make(chan *job, 1024), quit: make(chan struct{})}
	go db.writeLoop()
	if err := db.migrate(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare database %s: %w", path, err)
	}
	return db, nil
}

// Close closes both pools and checkpoints the write-ahead log.
func (db *DB) Close() error {
	close(db.quit)
	db.R.Close()
	db.W.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	return db.W.Close()
}

// Tx runs fn inside one write transaction: its changes are committed if fn returns nil
// and discarded otherwise. fn must not call Tx itself.
//
// Transactions run one at a time on the writer. When several wait, they are committed
// together ("group commit"): each runs inside its own savepoint of one transaction, so a
// failing fn discards only its own changes, and the cost of a commit is shared.
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	j := &job{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case db.jobs <- j:
	case <-ctx.Done():
		return ctx.Err()
	case <-db.quit:
		return errors.New("database is closed")
	}
	return <-j.done
}

type job struct {
	ctx  context.Context
	fn   func(tx *sql.Tx) error
	done chan error
}

// maxGroup bounds how many waiting transactions share one commit.
const maxGroup = 128

func (db *DB) writeLoop() {
	for {
		var first *job
		select {
		case first = <-db.jobs:
		case <-db.quit:
			for {
				select {
				case j := <-db.jobs:
					j.done <- errors.New("database is closed")
				default:
					return
				}
			}
		}
		group := []*job{first}
	collect:
		for len(group) < maxGroup {
			select {
			case j := <-db.jobs:
				group = append(group, j)
			default:
				break collect
			}
		}
		db.runGroup(group)
	}
}

// runGroup commits a group of jobs in one transaction, each in a savepoint.
func (db *DB) runGroup(group []*job) {
	errs := make([]error, len(group))
	tx, err := db.W.BeginTx(context.Background(), nil)
	if err != nil {
		for _, j := range group {
			j.done <- err
		}
		return
	}
	single := len(group) == 1
	for i, j := range group {
		if err := j.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if single {
			errs[i] = call(j, tx)
			break
		}
		if _, err := tx.Exec("SAVEPOINT job"); err != nil {
			errs[i] = err
			continue
		}
		if errs[i] = call(j, tx); errs[i] != nil {
			tx.Exec("ROLLBACK TO job")
		}
		tx.Exec("RELEASE job")
	}
	if single && errs[0] != nil {
		tx.Rollback()
	} else if err := tx.Commit(); err != nil {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
	}
	for i, j := range group {
		j.done <- errs[i]
	}
}

// call runs a job's function, turning a panic into an error so the writer keeps going.
func call(j *job, tx *sql.Tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic in write transaction: %v", v)
		}
	}()
	return j.fn(tx)
}

// BulkMode prepares the database for one very large write transaction by a command-line
// tool that has the database to itself (demo data, imports): the rollback journal instead
// of the write-ahead log, so new pages are written once instead of twice, and a page cache
// of cacheMB megabytes. The transaction stays atomic. restore switches back.
func (db *DB) BulkMode(ctx context.Context, cacheMB int) (restore func(), err error) {
	pragmas := fmt.Sprintf("PRAGMA journal_mode = DELETE; PRAGMA cache_size = %d; PRAGMA threads = 4", -cacheMB*1024)
	if _, err := db.W.ExecContext(ctx, pragmas); err != nil {
		return nil, fmt.Errorf("switch to bulk mode (is a tierbase server using %s? stop it first): %w", db.Path, err)
	}
	return func() {
		db.W.ExecContext(ctx, "PRAGMA journal_mode = WAL; PRAGMA cache_size = -16000; PRAGMA threads = 0")
	}, nil
}

// migrations create and evolve the metadata tables; each runs once, in order.
var migrations = []string{
	`CREATE TABLE _apps(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, icon TEXT NOT NULL DEFAULT '', position INTEGER NOT NULL DEFAULT 0);
	CREATE TABLE _tables(id TEXT PRIMARY KEY, app_id TEXT NOT NULL, name TEXT NOT NULL UNIQUE, title_field TEXT NOT NULL DEFAULT '', position INTEGER NOT NULL DEFAULT 0);
	CREATE TABLE _fields(id TEXT PRIMARY KEY, table_id TEXT NOT NULL, name TEXT NOT NULL, position INTEGER NOT NULL, def TEXT NOT NULL, UNIQUE(table_id, name));
	CREATE TABLE _users(id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE NOCASE, name TEXT NOT NULL, role TEXT NOT NULL, password_hash TEXT NOT NULL, created_at TEXT NOT NULL);
	CREATE TABLE _sessions(token_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL, csrf TEXT NOT NULL, expires_at TEXT NOT NULL);
	CREATE TABLE _oplog(id INTEGER PRIMARY KEY, table_id TEXT NOT NULL, record_id INTEGER NOT NULL, action TEXT NOT NULL, user_id INTEGER NOT NULL, at TEXT NOT NULL, changes TEXT NOT NULL);
	CREATE INDEX _oplog_record ON _oplog(table_id, record_id);
	CREATE TABLE _sequences(key TEXT PRIMARY KEY, value INTEGER NOT NULL);`,
	// Imports: the records a file created are the ids first_id..last_id of its table.
	`CREATE TABLE _imports(id INTEGER PRIMARY KEY, table_id TEXT NOT NULL, first_id INTEGER NOT NULL, last_id INTEGER NOT NULL,
		user_id INTEGER NOT NULL, at TEXT NOT NULL, file TEXT NOT NULL);
	CREATE INDEX _imports_table ON _imports(table_id, first_id);`,
	// Grading schemes and the history of every graded field's changes.
	`CREATE TABLE _schemes(id TEXT PRIMARY KEY, table_id TEXT NOT NULL, position INTEGER NOT NULL, def TEXT NOT NULL);
	CREATE TABLE _tier_history(id INTEGER PRIMARY KEY, table_id TEXT NOT NULL, record_id INTEGER NOT NULL, field TEXT NOT NULL,
		from_value TEXT, to_value TEXT, at TEXT NOT NULL, source TEXT NOT NULL);
	CREATE INDEX _tier_history_record ON _tier_history(table_id, record_id);`,
}

func (db *DB) migrate(ctx context.Context) error {
	var version int
	if err := db.W.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	for i := version; i < len(migrations); i++ {
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1))
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
	}
	return nil
}
