// Package store owns the database: opening it, the metadata tables, and the pools that
// engines use. SQLite (embedded, the default) runs one writer connection and a pool of
// readers in WAL mode, so reads never wait for a write and writes never fight each other.
// PostgreSQL (for several app nodes, see Open) runs one pool for reads and writes alike.
package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/mattn/go-sqlite3" // the SQLite driver (cgo)
)

// DB is an open tierbase database.
type DB struct {
	R       *sql.DB // readers (on PostgreSQL, the one pool)
	Path    string  // the SQLite file; empty on PostgreSQL
	URL     string  // the PostgreSQL database's address with its password masked (Redact); empty on SQLite
	Dialect Dialect

	w    *sql.DB   // the writer's pool of one connection
	conn *sql.Conn // that connection, held by the writer for the life of the DB

	jobs    chan *job // write transactions waiting for the writer
	quit    chan struct{}
	stopped chan struct{} // closed when the writer has answered its last job
	writes  atomic.Uint64 // committed write transactions, see Writes
	running sync.Map      // *sql.Tx → the *job running in it (AfterCommit)

	ck       *sql.DB       // the checkpointer's connection, see checkpoints
	ckWanted chan struct{} // a commit happened since the last checkpoint
	ckMu     sync.Mutex    // held while checkpointing, and by BulkMode
	ckDone   chan struct{} // closed when the checkpointer has stopped

	pg         *pgx.ConnConfig // PostgreSQL: how to connect (the watcher opens its own connection)
	announcing atomic.Bool     // PostgreSQL: commits wait to be announced, see announce
	ownMu      sync.Mutex      // guards own
	own        []int64         // PostgreSQL: values of _data_version this process took, not yet polled
	node       string          // PostgreSQL: this DB's application_name, see Node
	watch      watcher         // PostgreSQL: the other nodes' changes, see OnChange
}

// Writes counts the write transactions committed so far through this DB. Caches of derived
// data (chart results) key on it: when it has not moved, nothing in the database changed.
// On SQLite, writes by another process (a CLI import while the server runs) are not counted;
// on PostgreSQL, once Watch runs, it also moves within WatchPoll of the announcement of a
// commit by any other node or process (see announce).
func (db *DB) Writes() uint64 { return db.writes.Load() }

// readers is the size of the read pool.
var readers = max(4, runtime.NumCPU()*2)

// FileName is the SQLite database file inside the data directory.
const FileName = "tierbase.db"

// URLEnv names the environment variable that points tierbase at a PostgreSQL database
// (postgres://user:password@host:5432/name); the --db flag of every command sets it.
const URLEnv = "TIERBASE_DB"

// Open opens the database of the data directory dir and brings its metadata up to date: the
// PostgreSQL database that TIERBASE_DB names (or, in the test suite, TIERBASE_TEST_PG), else
// the SQLite file in dir, created if needed. The directory keeps what is not rows either way.
func Open(dir string) (*DB, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", dir, err)
	}
	return OpenURL(dir, cmp.Or(os.Getenv(URLEnv), os.Getenv(TestServerEnv)))
}

// OpenURL opens the database of the data directory dir as Open does, but the one url names
// (postgres://…) whatever the environment says; with url empty, the SQLite file in dir.
func OpenURL(dir, url string) (*DB, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", dir, err)
	}
	if url != "" {
		return openPostgres(dir, url)
	}
	tuneNative()
	path := filepath.Join(dir, FileName)
	// busy_timeout comes first so the other pragmas wait instead of failing on a busy file.
	// WAL is set by the writer (it stays set in the file); a read-only connection cannot set it.
	common := "_busy_timeout=10000&_foreign_keys=off&_cache_size=-" + strconv.Itoa(cacheKB)
	w, err := sql.Open("sqlite3", "file:"+path+"?"+common+"&_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate&_stmt_cache_size=128")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	// Readers keep their 64 latest statements prepared, the writer its 128: a page asked for
	// again (a data scope's list of people makes its text long) or a write's statements (a
	// record's INSERT, its history, a flow's step) are not parsed and planned again — a third
	// of a small write's time. SQLite prepares a statement anew by itself when the schema
	// changes under it; a kept statement is reset, so it holds no lock.
	r, err := sql.Open("sqlite3", "file:"+path+"?"+common+"&mode=ro&_stmt_cache_size=64")
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	ck, err := sql.Open("sqlite3", "file:"+path+"?"+common)
	if err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	ck.SetMaxOpenConns(1)
	ck.SetMaxIdleConns(0) // BulkMode needs the file to itself
	conn, err := w.Conn(context.Background())
	if err == nil {
		// Commits never copy the log into the file themselves: the checkpointer does, beside
		// them. The log starts over once all of it is in the file and no reader is still on an
		// older state; SQLite then cuts the file back to walKept. Without that limit the file stayed
		// as large as a busy spell made it (320 MB after four seconds of public form posts).
		if _, err = conn.ExecContext(context.Background(), "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = "+strconv.Itoa(walKept)); err != nil {
			conn.Close()
		}
	}
	if err != nil {
		w.Close()
		r.Close()
		ck.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db := &DB{R: r, Path: path, w: w, conn: conn, jobs: make(chan *job, 1024), quit: make(chan struct{}), stopped: make(chan struct{}),
		ck: ck, ckWanted: make(chan struct{}, 1), ckDone: make(chan struct{})}
	go db.writeLoop()
	go db.checkpoints()
	if err := db.migrate(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare database %s: %w", path, err)
	}
	// Statistics for the query planner, for the tables that have none or whose size changed
	// tenfold: without them it takes an index on a column of few values, such as the 负责人 of
	// a data scope, for selective, and sorts half a table instead of walking the sort's index.
	// In full, not sampled: a sample reads the first entries of an index, which for the
	// 负责人 are one person's, and makes the same mistake. About 0.6 s per million records.
	if _, err := conn.ExecContext(context.Background(), "PRAGMA analysis_limit = 0; PRAGMA optimize = 0x10002"); err != nil {
		db.Close()
		return nil, fmt.Errorf("analyze %s: %w", path, err)
	}
	return db, nil
}

// Close stops the writer and the checkpointer, closes the pools, and checkpoints the
// write-ahead log into the file.
func (db *DB) Close() error {
	if db.Dialect == Postgres {
		db.stopWatch()
		if db.announcing.Load() {
			db.announceNow()
		}
		return db.R.Close()
	}
	close(db.quit)
	<-db.ckDone
	db.ck.Close()
	db.R.Close()
	db.conn.ExecContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)")
	db.conn.Close()
	return db.w.Close()
}

// Tx runs fn inside one write transaction: its changes are committed if fn returns nil
// and discarded otherwise. fn must not call Tx itself.
//
// On SQLite, transactions run one at a time on the writer. When several wait, they are
// committed together ("group commit"): each runs inside its own savepoint of one transaction,
// so a failing fn discards only its own changes, and the cost of a commit is shared. On
// PostgreSQL each runs in a transaction of its own, side by side.
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if db.Dialect == Postgres {
		return db.pgTx(ctx, fn)
	}
	return db.enqueue(&job{ctx: ctx, fn: fn, done: make(chan error, 1)})
}

// txAlone is Tx for a function that groups writes in savepoints of its own (Group): on
// SQLite it commits in a transaction no other job shares, so its savepoints are the outermost
// and SQLite forgets each one's journal at its release. Nested in a job's savepoint, their
// journals would add up over the whole group and go to a temporary file past 128 KB (see
// journalInMemory).
func (db *DB) txAlone(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if db.Dialect == Postgres {
		return db.pgTx(ctx, fn)
	}
	return db.enqueue(&job{ctx: ctx, fn: fn, alone: true, done: make(chan error, 1)})
}

// enqueue hands a job to the writer and waits for its outcome.
func (db *DB) enqueue(j *job) error {
	ctx := j.ctx
	select {
	case db.jobs <- j:
	case <-ctx.Done():
		return ctx.Err()
	case <-db.quit:
		return errors.New("database is closed")
	}
	select {
	case err := <-j.done:
		return err
	case <-db.stopped: // j came after the writer's last look: nobody will answer it
		select {
		case err := <-j.done:
			return err
		default:
			return errors.New("database is closed")
		}
	}
}

type job struct {
	ctx    context.Context
	fn     func(tx *sql.Tx) error
	direct func(c *sql.Conn) error // instead of fn: runs outside any transaction
	alone  bool                    // fn commits in a transaction of its own (txAlone)
	done   chan error
	after  []afterCommit // see AfterCommit
	conn   *sql.Conn     // on PostgreSQL, the connection the transaction runs on (Inserter, RawQuery)
}

// AfterCommit makes fn run once the transaction tx — the one a Tx function was given —
// has committed; not at all if it is rolled back. It must be called inside that function;
// of the calls with the same key there, only the first counts (a job queue wakes its
// workers once, however many jobs the transaction added). It is for telling other
// goroutines about committed work, so fn must be quick and must not write.
func (db *DB) AfterCommit(tx *sql.Tx, key any, fn func()) {
	v, ok := db.running.Load(tx)
	if !ok {
		panic("store: AfterCommit outside its write transaction")
	}
	j := v.(*job)
	for _, a := range j.after {
		if a.key == key {
			return
		}
	}
	j.after = append(j.after, afterCommit{key, fn})
}

type afterCommit struct {
	key any
	fn  func()
}

// Exec runs one statement as its own write transaction (queued with the others).
func (db *DB) Exec(ctx context.Context, query string, args ...any) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	})
}

// direct runs fn on the writer's connection outside any transaction, in the write queue
// (PRAGMAs that cannot run inside one).
func (db *DB) direct(ctx context.Context, fn func(c *sql.Conn) error) error {
	return db.enqueue(&job{ctx: ctx, direct: fn, done: make(chan error, 1)})
}

// Raw gives fn the driver connection of the writer. It is for Inserter, inside a Tx
// function, where statements bound directly skip database/sql's per-argument work.
func (db *DB) Raw(fn func(driverConn any) error) error { return db.conn.Raw(fn) }

// walKept is how large the write-ahead log file stays once it starts over (16 MB).
const walKept = 16 << 20

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
					close(db.stopped)
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

// byItself reports whether j shares no transaction with other jobs.
func (j *job) byItself() bool { return j.direct != nil || j.alone }

// runGroup commits a group of jobs in one transaction, each in a savepoint; a job that
// shares no transaction (byItself) runs alone, between the jobs before it and those after.
func (db *DB) runGroup(group []*job) {
	if i := slices.IndexFunc(group, (*job).byItself); i >= 0 && len(group) > 1 {
		at := max(i, 1)
		db.runGroup(group[:at])
		db.runGroup(group[at:])
		return
	}
	if d := group[0].direct; d != nil {
		group[0].done <- d(db.conn)
		return
	}
	errs := make([]error, len(group))
	tx, err := db.conn.BeginTx(context.Background(), nil)
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
			errs[i] = db.call(j, tx)
			break
		}
		if _, err := tx.Exec("SAVEPOINT job"); err != nil {
			errs[i] = err
			continue
		}
		if errs[i] = db.call(j, tx); errs[i] != nil {
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
	} else {
		db.writes.Add(1)
		select {
		case db.ckWanted <- struct{}{}:
		default:
		}
	}
	for i, j := range group {
		if errs[i] == nil {
			for _, a := range j.after {
				a.fn()
			}
		}
		j.done <- errs[i]
	}
}

// checkpointEvery is how often, at most, the checkpointer runs while there are writes.
const checkpointEvery = 100 * time.Millisecond

// statisticsEvery is how often, at most, the checkpointer has the planner's statistics
// renewed while there are writes (see renewStatistics).
const statisticsEvery = time.Second

// checkpoints copies committed pages from the write-ahead log into the database file on a
// connection of its own, a moment after commits, so no commit waits for it (SQLite would
// otherwise make every thousandth-page commit do it: a few milliseconds at the p99).
// PASSIVE never blocks readers or the writer; whatever it cannot copy now, it copies later.
func (db *DB) checkpoints() {
	defer close(db.ckDone)
	renewed := time.Now()
	for {
		select {
		case <-db.ckWanted:
		case <-db.quit:
			return
		}
		select {
		case <-time.After(checkpointEvery):
		case <-db.quit:
			return
		}
		db.ckMu.Lock()
		db.ck.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		db.ckMu.Unlock()
		if time.Since(renewed) >= statisticsEvery {
			renewed = time.Now()
			db.renewStatistics(context.Background())
		}
	}
}

// renewStatistics renews, on the writer, the planner's statistics of the tables that have
// none or whose size changed tenfold since they were taken (as Open does), and when that
// changed them makes every connection load them. Without it a table that was small when the
// server started keeps being planned as small: an UPDATE … WHERE id IN (…) of 30 flow
// instances read all 40,000 of them, a third of a public form's write.
func (db *DB) renewStatistics(ctx context.Context) error {
	return db.direct(ctx, func(c *sql.Conn) error {
		stats := func() (string, error) {
			var s sql.NullString
			err := c.QueryRowContext(ctx, "SELECT group_concat(tbl || ' ' || COALESCE(idx, '') || ' ' || stat, ';') FROM sqlite_stat1").Scan(&s)
			return s.String, err
		}
		before, err := stats()
		if err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, "PRAGMA optimize = 0x10002"); err != nil {
			return err
		}
		if after, err := stats(); err != nil || after == before {
			return err
		}
		// Other connections load statistics with the schema, which they read again only when
		// it has changed: change it.
		_, err = c.ExecContext(ctx, "BEGIN; CREATE TABLE _statistics_renewed(x); DROP TABLE _statistics_renewed; COMMIT")
		return err
	})
}

// call runs a job's function, turning a panic into an error so the writer keeps going.
func (db *DB) call(j *job, tx *sql.Tx) (err error) {
	db.running.Store(tx, j)
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic in write transaction: %v", v)
		}
		db.running.Delete(tx)
	}()
	return j.fn(tx)
}

// cacheKB is the page cache of each SQLite connection, in kilobytes (16 MB).
const cacheKB = 16000

// BulkMode prepares the database for one very large write transaction by a command-line
// tool that has the database to itself (demo data, imports): the rollback journal instead
// of the write-ahead log, so new pages are written once instead of twice, and a page cache
// of cacheMB megabytes. The transaction stays atomic. restore switches back.
func (db *DB) BulkMode(ctx context.Context, cacheMB int) (restore func(), err error) {
	if db.Dialect == Postgres {
		return func() {}, nil
	}
	pragmas := fmt.Sprintf("PRAGMA journal_mode = DELETE; PRAGMA cache_size = %d; PRAGMA threads = 4", -cacheMB*1024)
	exec := func(q string) error {
		return db.direct(ctx, func(c *sql.Conn) error { _, err := c.ExecContext(ctx, q); return err })
	}
	// Leaving WAL needs the file to ourselves: close the idle readers (they reopen on demand)
	// and hold the checkpointer off.
	db.R.SetMaxIdleConns(0)
	defer db.R.SetMaxIdleConns(readers)
	db.ckMu.Lock()
	if err := exec(pragmas); err != nil {
		db.ckMu.Unlock()
		return nil, fmt.Errorf("switch to bulk mode (is a tierbase server using %s? stop it first): %w", db.Path, err)
	}
	return func() {
		exec(fmt.Sprintf("PRAGMA journal_mode = WAL; PRAGMA cache_size = %d; PRAGMA threads = 0", -cacheKB))
		db.ckMu.Unlock()
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
	// Rules, the durable queue of their side effects, and the users' notification inbox.
	`CREATE TABLE _rules(id TEXT PRIMARY KEY, table_id TEXT NOT NULL, position INTEGER NOT NULL, def TEXT NOT NULL,
		last_run TEXT NOT NULL DEFAULT '', last_error TEXT NOT NULL DEFAULT '');
	CREATE TABLE _queue(id INTEGER PRIMARY KEY, rule_id TEXT NOT NULL, payload TEXT NOT NULL, depth INTEGER NOT NULL,
		attempts INTEGER NOT NULL DEFAULT 0, run_at TEXT NOT NULL, error TEXT NOT NULL DEFAULT '');
	CREATE INDEX _queue_run_at ON _queue(run_at);
	CREATE TABLE _notifications(id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL,
		link TEXT NOT NULL, at TEXT NOT NULL, read_at TEXT);
	CREATE INDEX _notifications_user ON _notifications(user_id, id);`,
	// RFM models, refreshed by the daily pass.
	`CREATE TABLE _rfm(table_id TEXT PRIMARY KEY, def TEXT NOT NULL, last_run TEXT NOT NULL DEFAULT '');`,
	// Dashboards and their charts (package reports); def is the definition as JSON.
	`CREATE TABLE _dashboards(id TEXT PRIMARY KEY, position INTEGER NOT NULL, def TEXT NOT NULL);
	CREATE TABLE _charts(id TEXT PRIMARY KEY, dashboard_id TEXT NOT NULL, def TEXT NOT NULL);
	CREATE INDEX _charts_dashboard ON _charts(dashboard_id);`,
	// The tier history is found by record id alone (few tables share an id): an integer index is
	// about a quarter cheaper to fill when a regrade writes a million rows.
	`DROP INDEX _tier_history_record;
	CREATE INDEX _tier_history_record_id ON _tier_history(record_id);`,
	// Record tables lose NOT NULL on created_at/updated_at (see schema.createTable). Removing a
	// NOT NULL constraint leaves the file format as it is, so the stored CREATE TABLE text is
	// edited in place, as SQLite's ALTER TABLE documentation describes; RESET reloads the schema.
	`PRAGMA writable_schema = ON;
	UPDATE sqlite_schema SET sql = replace(replace(sql, '"created_at" TEXT NOT NULL', '"created_at" TEXT'),
		'"updated_at" TEXT NOT NULL', '"updated_at" TEXT') WHERE type = 'table' AND name LIKE 't\_%' ESCAPE '\';
	PRAGMA writable_schema = RESET;`,
	// The last run of each RFM model: how many customers it scored and how long it took.
	`ALTER TABLE _rfm ADD COLUMN scored INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE _rfm ADD COLUMN millis INTEGER NOT NULL DEFAULT 0;`,
	// The durable job queue of package jobs replaces the rules' _queue; its waiting side
	// effects move over (times become Unix milliseconds, the chain depth goes into the payload).
	`CREATE TABLE _jobs(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, key TEXT UNIQUE, payload TEXT NOT NULL,
		state TEXT NOT NULL DEFAULT 'queued', run_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
		owner TEXT, lease_until INTEGER, error TEXT NOT NULL DEFAULT '', done_at INTEGER);
	CREATE INDEX _jobs_due ON _jobs(state, run_at);
	INSERT INTO _jobs(kind, payload, state, run_at, attempts, error)
		SELECT 'rule', json_set(payload, '$.depth', depth), CASE WHEN attempts >= 5 THEN 'failed' ELSE 'queued' END,
			COALESCE(CAST(strftime('%s', run_at) AS INTEGER), 0) * 1000, attempts, error FROM _queue ORDER BY id;
	DROP TABLE _queue;`,
	// Whether each dashboard alert was last seen crossed, per recipient: kept in the database
	// so a crossing is told once, whichever process checks the alerts.
	`CREATE TABLE _alert_state(chart_id TEXT NOT NULL, user_id INTEGER NOT NULL, alerting INTEGER NOT NULL,
		PRIMARY KEY(chart_id, user_id)) WITHOUT ROWID;`,
	// The records each user opened last (the workbench's 最近打开), newest the highest id.
	`CREATE TABLE _recent(id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, table_id TEXT NOT NULL, record_id INTEGER NOT NULL,
		at TEXT NOT NULL, UNIQUE(user_id, table_id, record_id));
	CREATE INDEX _recent_user ON _recent(user_id, id);`,
	// When each rule last acted on a record (changed a field or queued its side effects) and
	// how many times in all, for the rule list.
	`ALTER TABLE _rules ADD COLUMN fired_at TEXT NOT NULL DEFAULT '';
	ALTER TABLE _rules ADD COLUMN fired INTEGER NOT NULL DEFAULT 0;`,
	// The operation log's events beyond record changes (package audit). It and _oplog are
	// append-only: nobody, admins included, may change or delete an entry.
	`CREATE TABLE _audit(id INTEGER PRIMARY KEY, at TEXT NOT NULL, user_id INTEGER NOT NULL, action TEXT NOT NULL,
		table_id TEXT NOT NULL DEFAULT '', record_id INTEGER NOT NULL DEFAULT 0, detail TEXT NOT NULL DEFAULT '{}',
		client TEXT NOT NULL DEFAULT '');
	CREATE INDEX _audit_at ON _audit(at);
	CREATE TRIGGER _audit_no_update BEFORE UPDATE ON _audit BEGIN SELECT RAISE(ABORT, 'the operation log is append-only'); END;
	CREATE TRIGGER _audit_no_delete BEFORE DELETE ON _audit BEGIN SELECT RAISE(ABORT, 'the operation log is append-only'); END;`,
	// People's roles and departments (package users); the roles start from _users.role, which
	// stays as the derived admin/member. A disabled person cannot sign in; an invitation (or an
	// admin's password reset) is a one-time link whose token is stored hashed.
	`CREATE TABLE _user_roles(user_id INTEGER NOT NULL, role_id TEXT NOT NULL, PRIMARY KEY(user_id, role_id));
	CREATE TABLE _user_departments(user_id INTEGER NOT NULL, department_id INTEGER NOT NULL, main INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY(user_id, department_id));
	INSERT INTO _user_roles(user_id, role_id) SELECT id, role FROM _users;
	ALTER TABLE _users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE _users ADD COLUMN last_sign_in TEXT NOT NULL DEFAULT '';
	CREATE TABLE _invites(token_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL, expires_at TEXT NOT NULL,
		used INTEGER NOT NULL DEFAULT 0);`,
	// The recycle bin (回收站): each deleted record's row (its column values as JSON), kept 30 days.
	`CREATE TABLE _trash(id INTEGER PRIMARY KEY, table_id TEXT NOT NULL, record_id INTEGER NOT NULL, data TEXT NOT NULL,
		deleted_by INTEGER NOT NULL, deleted_at TEXT NOT NULL);
	CREATE INDEX _trash_record ON _trash(table_id, record_id);
	CREATE INDEX _trash_at ON _trash(deleted_at);`,
	// The record changes of the operation log are append-only too (a dropped table's entries stay).
	// The log page lists them newest first by person or by table: these indexes (key, rowid) give
	// those pages in a few ms among millions of entries, where a scan took up to a second.
	// The one change allowed: re-encrypting the 敏感 values an entry holds (marking a field 敏感,
	// rotating the key), inside a transaction that holds a row of _oplog_reseal (package schema).
	`CREATE TABLE _oplog_reseal(since TEXT NOT NULL);
	CREATE TRIGGER _oplog_no_update BEFORE UPDATE ON _oplog WHEN NOT EXISTS (SELECT 1 FROM _oplog_reseal)
		OR NEW.id IS NOT OLD.id OR NEW.table_id IS NOT OLD.table_id OR NEW.record_id IS NOT OLD.record_id
		OR NEW.action IS NOT OLD.action OR NEW.user_id IS NOT OLD.user_id OR NEW.at IS NOT OLD.at
		BEGIN SELECT RAISE(ABORT, 'the operation log is append-only'); END;
	CREATE TRIGGER _oplog_no_delete BEFORE DELETE ON _oplog BEGIN SELECT RAISE(ABORT, 'the operation log is append-only'); END;
	CREATE INDEX _oplog_user ON _oplog(user_id);
	CREATE INDEX _oplog_table ON _oplog(table_id);`,
	// The organisation (package org): the department tree, each department's 主管, and the roles
	// (def is an access.Role as JSON; the built-in 管理员 and 成员 are seeded by org.Open).
	`CREATE TABLE _departments(id INTEGER PRIMARY KEY, name TEXT NOT NULL, parent_id INTEGER NOT NULL DEFAULT 0,
		position INTEGER NOT NULL DEFAULT 0, UNIQUE(parent_id, name));
	CREATE TABLE _department_heads(department_id INTEGER NOT NULL, user_id INTEGER NOT NULL,
		PRIMARY KEY(department_id, user_id)) WITHOUT ROWID;
	CREATE TABLE _roles(id TEXT PRIMARY KEY, position INTEGER NOT NULL, def TEXT NOT NULL);`,
	// 19: failed sign-ins in the database, so that every node counts the same (package users).
	`CREATE TABLE _login_failures(id INTEGER PRIMARY KEY, key TEXT NOT NULL, at INTEGER NOT NULL);
	CREATE INDEX _login_failures_key ON _login_failures(key, at);
	CREATE INDEX _login_failures_at ON _login_failures(at);`,
	// 20: the group robots of 企业微信, 钉钉 and 飞书 (package channels): the address and secret
	// sealed, the send times taken under the vendor's limit (JSON), and the delivery log.
	`CREATE TABLE _robots(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, url TEXT NOT NULL,
		secret TEXT NOT NULL DEFAULT '', enabled INTEGER NOT NULL DEFAULT 1, slots TEXT NOT NULL DEFAULT '[]',
		created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
	CREATE TABLE _robot_deliveries(id INTEGER PRIMARY KEY, robot_id TEXT NOT NULL, at TEXT NOT NULL, attempt INTEGER NOT NULL,
		ok INTEGER NOT NULL, status INTEGER NOT NULL, ms INTEGER NOT NULL, title TEXT NOT NULL, response TEXT NOT NULL);
	CREATE INDEX _robot_deliveries_robot ON _robot_deliveries(robot_id, id);`,
	// 21: outbound webhooks (package webhooks): the endpoints (secrets sealed, the previous one
	// kept while it is rotated), each event's message (its id is the webhook-id of every
	// attempt) and the delivery log; and the API tokens (package tokens), kept as hashes.
	`CREATE TABLE _webhooks(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, url TEXT NOT NULL, secret TEXT NOT NULL,
		old_secret TEXT NOT NULL DEFAULT '', old_until INTEGER NOT NULL DEFAULT 0, table_id TEXT NOT NULL, events TEXT NOT NULL,
		fields TEXT NOT NULL DEFAULT '[]', cond TEXT NOT NULL DEFAULT '', enabled INTEGER NOT NULL DEFAULT 1,
		disabled_reason TEXT NOT NULL DEFAULT '', failing_since INTEGER NOT NULL DEFAULT 0, owner_id INTEGER NOT NULL,
		created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
	CREATE INDEX _webhooks_table ON _webhooks(table_id);
	CREATE TABLE _webhook_messages(id TEXT PRIMARY KEY, webhook_id TEXT NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL,
		at INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'pending');
	CREATE INDEX _webhook_messages_webhook ON _webhook_messages(webhook_id, state);
	CREATE TABLE _webhook_deliveries(id INTEGER PRIMARY KEY, webhook_id TEXT NOT NULL, message_id TEXT NOT NULL, at TEXT NOT NULL,
		attempt INTEGER NOT NULL, ok INTEGER NOT NULL, status INTEGER NOT NULL, ms INTEGER NOT NULL, response TEXT NOT NULL);
	CREATE INDEX _webhook_deliveries_webhook ON _webhook_deliveries(webhook_id, id);
	CREATE TABLE _tokens(id TEXT PRIMARY KEY, user_id INTEGER NOT NULL, name TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
		hint TEXT NOT NULL, tables TEXT NOT NULL, read_only INTEGER NOT NULL, service INTEGER NOT NULL,
		expires_at INTEGER NOT NULL, last_used_at INTEGER NOT NULL DEFAULT 0, revoked_at INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL);
	CREATE INDEX _tokens_user ON _tokens(user_id);`,
	// 22: the flow engine (package flows): definitions and their published versions, the running
	// instances, their tasks (one per person and step; the to-do boxes are ranges of
	// _flow_tasks_box) and their timeline.
	`CREATE TABLE _flows(id TEXT PRIMARY KEY, table_id TEXT NOT NULL, name TEXT NOT NULL, def TEXT NOT NULL,
		triggers TEXT NOT NULL DEFAULT '{}', version INTEGER NOT NULL DEFAULT 0, enabled INTEGER NOT NULL DEFAULT 1,
		created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
	CREATE TABLE _flow_versions(flow_id TEXT NOT NULL, version INTEGER NOT NULL, def TEXT NOT NULL, published_at TEXT NOT NULL,
		published_by INTEGER NOT NULL, PRIMARY KEY(flow_id, version));
	CREATE TABLE _flow_instances(id INTEGER PRIMARY KEY, flow_id TEXT NOT NULL, version INTEGER NOT NULL, table_id TEXT NOT NULL,
		record_id INTEGER NOT NULL, initiator INTEGER NOT NULL, state TEXT NOT NULL, step INTEGER NOT NULL DEFAULT 0,
		chosen TEXT NOT NULL DEFAULT '{}', joins TEXT NOT NULL DEFAULT '{}', reason TEXT NOT NULL DEFAULT '', started_at TEXT NOT NULL,
		ended_at TEXT NOT NULL DEFAULT '');
	CREATE TABLE _flow_tasks(id INTEGER PRIMARY KEY, instance_id INTEGER NOT NULL, node_id TEXT NOT NULL, step INTEGER NOT NULL,
		user_id INTEGER NOT NULL, state TEXT NOT NULL, seq INTEGER NOT NULL DEFAULT 0, action TEXT NOT NULL DEFAULT '',
		acted_by INTEGER NOT NULL DEFAULT 0, comment TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, acted_at TEXT NOT NULL DEFAULT '',
		added TEXT NOT NULL DEFAULT '', added_for INTEGER NOT NULL DEFAULT 0);
	CREATE TABLE _flow_events(id INTEGER PRIMARY KEY, instance_id INTEGER NOT NULL, at TEXT NOT NULL, user_id INTEGER NOT NULL,
		node_id TEXT NOT NULL DEFAULT '', action TEXT NOT NULL, comment TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '{}');
	CREATE INDEX _flow_instances_initiator ON _flow_instances(initiator, id);
	CREATE INDEX _flow_instances_record ON _flow_instances(table_id, record_id);
	CREATE INDEX _flow_tasks_box ON _flow_tasks(user_id, state, id);
	CREATE INDEX _flow_tasks_step ON _flow_tasks(instance_id, step);
	CREATE INDEX _flow_events_instance ON _flow_events(instance_id, id);`,
	// 23: public forms (package forms): each form (its settings as JSON, the token of its link,
	// a count of its submissions), the records submitted through it (for the daily quota), the
	// recent submissions per client address (the rate limit) and the captchas already used.
	`CREATE TABLE _forms(id TEXT PRIMARY KEY, token TEXT NOT NULL UNIQUE, table_id TEXT NOT NULL, def TEXT NOT NULL,
		enabled INTEGER NOT NULL DEFAULT 1, submissions INTEGER NOT NULL DEFAULT 0, created_by INTEGER NOT NULL,
		created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
	CREATE TABLE _form_submissions(id INTEGER PRIMARY KEY, form_id TEXT NOT NULL, record_id INTEGER NOT NULL, at INTEGER NOT NULL);
	CREATE INDEX _form_submissions_form ON _form_submissions(form_id, at);
	CREATE TABLE _form_hits(client TEXT NOT NULL, at INTEGER NOT NULL);
	CREATE INDEX _form_hits_client ON _form_hits(client, at);
	CREATE INDEX _form_hits_at ON _form_hits(at);
	CREATE TABLE _form_captchas(nonce TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
	CREATE INDEX _form_captchas_expires ON _form_captchas(expires_at);`,
	// 24: what customers do elsewhere (package events: 浏览, 下载…), append-only, each linked to
	// one record; read as a record's timeline and counted by rules over a window of days.
	`CREATE TABLE _events(id INTEGER PRIMARY KEY, table_id TEXT NOT NULL, record_id INTEGER NOT NULL, name TEXT NOT NULL,
		props TEXT NOT NULL DEFAULT '{}', at INTEGER NOT NULL, user_id INTEGER NOT NULL);
	CREATE INDEX _events_record ON _events(table_id, record_id, at);
	CREATE INDEX _events_name ON _events(name, at);
	CREATE TRIGGER _events_no_update BEFORE UPDATE ON _events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
	CREATE TRIGGER _events_no_delete BEFORE DELETE ON _events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;`,
	// 25: comments on records (package comments), read oldest first under their record.
	`CREATE TABLE _comments(id INTEGER PRIMARY KEY, table_id TEXT NOT NULL, record_id INTEGER NOT NULL, user_id INTEGER NOT NULL,
		body TEXT NOT NULL, mentions TEXT NOT NULL DEFAULT '[]', at TEXT NOT NULL);
	CREATE INDEX _comments_record ON _comments(table_id, record_id, id);`,
	// 26: the saved views of the tables (package views): personal (their owner's) or shared;
	// def is the view's settings as JSON.
	`CREATE TABLE _views(id TEXT PRIMARY KEY, table_id TEXT NOT NULL, owner_id INTEGER NOT NULL, shared INTEGER NOT NULL DEFAULT 0,
		def TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
	CREATE INDEX _views_table ON _views(table_id, owner_id);`,
	// 27: when a flow task falls due ('' when its node has no time
	// limit), the time the step's timer was armed for, to show on the task; and each person's
	// count of open tasks and copies (the to-do center's header), kept by triggers in the
	// transaction of every change of a task, so a page reads one row instead of counting.
	`ALTER TABLE _flow_tasks ADD COLUMN due_at TEXT NOT NULL DEFAULT '';
	CREATE TABLE _flow_task_counts(user_id INTEGER NOT NULL, state TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY(user_id, state));
	INSERT INTO _flow_task_counts(user_id, state, n)
		SELECT user_id, state, COUNT(*) FROM _flow_tasks WHERE state IN ('open', 'cc') GROUP BY user_id, state;
	CREATE TRIGGER _flow_tasks_count_in AFTER INSERT ON _flow_tasks WHEN NEW.state IN ('open', 'cc') BEGIN
		INSERT INTO _flow_task_counts(user_id, state, n) VALUES(NEW.user_id, NEW.state, 1)
			ON CONFLICT(user_id, state) DO UPDATE SET n = n + 1;
	END;
	CREATE TRIGGER _flow_tasks_count_leave AFTER UPDATE OF state, user_id ON _flow_tasks
		WHEN OLD.state IN ('open', 'cc') AND (NEW.state <> OLD.state OR NEW.user_id <> OLD.user_id) BEGIN
		UPDATE _flow_task_counts SET n = n - 1 WHERE user_id = OLD.user_id AND state = OLD.state;
	END;
	CREATE TRIGGER _flow_tasks_count_enter AFTER UPDATE OF state, user_id ON _flow_tasks
		WHEN NEW.state IN ('open', 'cc') AND (NEW.state <> OLD.state OR NEW.user_id <> OLD.user_id) BEGIN
		INSERT INTO _flow_task_counts(user_id, state, n) VALUES(NEW.user_id, NEW.state, 1)
			ON CONFLICT(user_id, state) DO UPDATE SET n = n + 1;
	END;
	CREATE TRIGGER _flow_tasks_count_out AFTER DELETE ON _flow_tasks WHEN OLD.state IN ('open', 'cc') BEGIN
		UPDATE _flow_task_counts SET n = n - 1 WHERE user_id = OLD.user_id AND state = OLD.state;
	END;`,
}

func (db *DB) migrate(ctx context.Context) error {
	if db.Dialect == Postgres {
		return db.pgMigrate(ctx)
	}
	var version int
	if err := db.R.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
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
