package store

// Several app nodes on one PostgreSQL database: each keeps the metadata it serves from memory
// (the catalog, people and sessions, the organisation, rules, schemes, dashboards) and must
// drop what another node changed. Triggers on the tables those caches read send a notice
// (pg_notify, delivered when the writing transaction commits, never for one rolled back);
// every node LISTENs on a connection of its own and reloads the caches of the topics it
// heard. Whatever the connection missed while it was down is made up by reloading every
// cache when it is back. Changes of records, which no trigger reports (a notice per write
// would serialise every commit), are announced by the writing process after its commits on a
// sequence of the database, and move Writes through a poll of it (announce, watchData). On
// SQLite nothing of this runs: there is one process.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	hexenc "encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The topics of change notices: what a cache holds. A handler registered with OnChange for a
// topic is called when another node or process committed a change of it.
const (
	TopicSchema   = "schema"   // apps, tables, fields (the catalog)
	TopicUsers    = "users"    // people, their roles and departments, ended sessions
	TopicOrg      = "org"      // departments, their heads, roles
	TopicRules    = "rules"    // rule definitions
	TopicSchemes  = "schemes"  // grading schemes
	TopicReports  = "reports"  // dashboards and charts
	TopicFlows    = "flows"    // which flows start by themselves
	TopicInbox    = "inbox"    // one person's notices; the detail is their user id
	TopicWebhooks = "webhooks" // which webhook endpoints take a table's events
)

// noticeChannel is the one channel of a database's notices; each names its schema (data
// directory) and the node that wrote it.
const noticeChannel = "tierbase"

// watched lists what sends a notice: the events on each table and their topic. A table's
// statement-level trigger fires once per statement, whatever the rows; _notifications' fires
// per row, to name the person. A new cache of a table's rows adds the table here and its
// reload with OnChange (package app); tables of records and of work (_jobs, _oplog…) send
// nothing: a notice serialises commits, see watchData.
var watched = []struct{ table, events, topic string }{
	{"_apps", "INSERT OR UPDATE OR DELETE OR TRUNCATE", TopicSchema},
	{"_tables", "INSERT OR UPDATE OR DELETE OR TRUNCATE", TopicSchema},
	{"_fields", "INSERT OR UPDATE OR DELETE OR TRUNCATE", TopicSchema},
	// Not last_sign_in (every login sets it) and not new sessions (found in the database
	// on first use); ended sessions must be dropped everywhere.
	{"_users", "INSERT OR UPDATE OF email, name, role, password_hash, disabled OR DELETE OR TRUNCATE", TopicUsers},
	{"_user_roles", "INSERT OR UPDATE OR DELETE OR TRUNCATE", TopicUsers},
	{"_user_departments", "INSERT OR UPDATE OR DELETE OR TRUNCATE", TopicUsers},
	{"_sessions", "UPDATE OR DELETE OR TRUNCATE", TopicUsers},
	{"_departments", "INSERT OR UPDATE OR DELETE OR TRUNCATE", TopicOrg},
	{"_department_heads", "INSERT OR UPDATE OR DELETE OR TRUNCATE", TopicOrg},
	{"_roles", "INSERT OR UPDATE OR DELETE OR TRUNCATE", TopicOrg},
	// Not last_run, last_error, fired_at, fired: a rule's status, written as it runs.
	{"_rules", "INSERT OR UPDATE OF def, position, table_id OR DELETE OR TRUNCATE", TopicRules},
	{"_schemes", "INSERT OR UPDATE OR DELETE OR TRUNCATE", TopicSchemes},
	{"_dashboards", "INSERT OR UPDATE OR DELETE OR TRUNCATE", TopicReports},
	{"_charts", "INSERT OR UPDATE OR DELETE OR TRUNCATE", TopicReports},
	{"_flows", "INSERT OR UPDATE OF triggers, version, enabled, table_id OR DELETE OR TRUNCATE", TopicFlows},
	// Not failing_since (each failed delivery may set it) nor secrets, which deliveries read.
	{"_webhooks", "INSERT OR UPDATE OF table_id, events, fields, cond, enabled, owner_id OR DELETE OR TRUNCATE", TopicWebhooks},
}

// noticesSQL creates the function and triggers that send the notices. They hold no data, so
// they are declared again (CREATE OR REPLACE) whenever this text changes, rather than by
// numbered migrations.
func noticesSQL() string {
	var b strings.Builder
	b.WriteString(`CREATE OR REPLACE FUNCTION _notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE detail text := '';
BEGIN
	IF TG_LEVEL = 'ROW' AND TG_OP = 'DELETE' THEN
		detail := to_jsonb(OLD) ->> TG_ARGV[1];
	ELSIF TG_LEVEL = 'ROW' THEN
		detail := to_jsonb(NEW) ->> TG_ARGV[1];
	END IF;
	PERFORM pg_notify('` + noticeChannel + `', json_build_object('schema', current_schema(),
		'node', current_setting('application_name'), 'topic', TG_ARGV[0], 'detail', detail)::text);
	RETURN NULL;
END $$;
`)
	for _, w := range watched {
		fmt.Fprintf(&b, "CREATE OR REPLACE TRIGGER _notify AFTER %s ON %s FOR EACH STATEMENT EXECUTE FUNCTION _notify('%s');\n",
			w.events, w.table, w.topic)
	}
	fmt.Fprintf(&b, "CREATE OR REPLACE TRIGGER _notify AFTER INSERT OR UPDATE OF read_at OR DELETE ON _notifications FOR EACH ROW EXECUTE FUNCTION _notify('%s', 'user_id');\n", TopicInbox)
	b.WriteString("CREATE SEQUENCE IF NOT EXISTS _data_version;\n") // see announce
	return b.String()
}

// installNotices brings the notices' triggers up to date inside the migration's transaction
// (which holds the migration lock), when their text changed since the last time. A migration
// that drops and makes again a watched table loses its trigger: it deletes the 'notices' row
// of _meta, so that they are declared again.
func installNotices(ctx context.Context, tx *sql.Tx) error {
	text := noticesSQL()
	sum := sha256.Sum256([]byte(text))
	version := hexenc.EncodeToString(sum[:8])
	var have string
	err := tx.QueryRowContext(ctx, "SELECT value FROM _meta WHERE key = 'notices'").Scan(&have)
	if err == nil && have == version {
		return nil
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if _, err := tx.ExecContext(ctx, text); err != nil {
		return fmt.Errorf("change notices: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO _meta(key, value) VALUES('notices', ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, version)
	return err
}

// newNodeName is a name for one open DB, unique enough among the nodes of a database.
func newNodeName() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "tierbase-" + hexenc.EncodeToString(b)
}

// Node is the name this DB's connections give PostgreSQL (application_name, seen in
// pg_stat_activity); empty on SQLite.
func (db *DB) Node() string { return db.node }

// WatchPoll is how often a watching node looks for other nodes' writes of records (see
// Writes) and retries the reloads that failed.
var WatchPoll = 500 * time.Millisecond

// watcher is what Watch runs: the handlers, the changes heard and not yet applied, and the
// goroutines' lifetime.
type watcher struct {
	mu       sync.Mutex
	handlers map[string][]func(ctx context.Context, detail string) error
	topics   []string        // every topic registered
	pending  map[Change]bool // heard, not yet applied
	all      bool            // every topic: the connection was (re)made
	busy     map[string]bool // topics whose handlers are running
	kick     chan struct{}
	version  int64 // _data_version at the last poll
	stop     context.CancelFunc
	wg       sync.WaitGroup
}

// Change is a change another node committed: its topic and, for TopicInbox, the user id.
// An empty detail stands for the whole topic.
type Change struct{ Topic, Detail string }

// OnChange registers fn to run when another node (or another process, such as a CLI command)
// has committed a change of topic, so that fn reloads what this process keeps of it. detail
// is the notice's (the user id of TopicInbox), or empty when anything of the topic may have
// changed. The handlers of one topic run one change at a time, beside other topics'; an
// error is logged and fn is called again a moment later. On SQLite it is never called.
// Register before Watch.
func (db *DB) OnChange(topic string, fn func(ctx context.Context, detail string) error) {
	w := &db.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.handlers == nil {
		w.handlers = map[string][]func(ctx context.Context, detail string) error{}
	}
	if _, ok := w.handlers[topic]; !ok {
		w.topics = append(w.topics, topic)
	}
	w.handlers[topic] = append(w.handlers[topic], fn)
}

// Watch starts following the other nodes' changes on PostgreSQL until Close: a connection
// of its own LISTENs for the notices, and every handler runs once as soon as it is listening
// (and again each time it has reconnected), for the changes made before. On SQLite it does
// nothing. Calling it again does nothing either.
func (db *DB) Watch() {
	w := &db.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	if db.Dialect != Postgres || w.stop != nil {
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	w.stop, w.kick, w.pending, w.busy = stop, make(chan struct{}, 1), map[Change]bool{}, map[string]bool{}
	db.R.QueryRowContext(ctx, "SELECT last_value FROM _data_version").Scan(&w.version)
	w.wg.Go(func() { db.listen(ctx) })
	w.wg.Go(func() { db.applyChanges(ctx) })
}

func (db *DB) stopWatch() {
	w := &db.watch
	w.mu.Lock()
	stop := w.stop
	w.mu.Unlock()
	if stop != nil {
		stop()
		w.wg.Wait()
	}
}

// listen keeps a LISTEN connection open, making it again after a loss (the server
// restarted, the connection was cut), waiting longer each time up to 5 s.
func (db *DB) listen(ctx context.Context) {
	wait := 100 * time.Millisecond
	lost := false
	for ctx.Err() == nil {
		began := time.Now()
		err := db.listenOnce(ctx, &lost)
		if ctx.Err() != nil {
			return
		}
		if !lost {
			log.Printf("store: lost the change notices of the other nodes (%v); reconnecting", reason(err))
			lost = true
		}
		if time.Since(began) > time.Minute {
			wait = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
	}
}

// noticePayload is a notice as the trigger function writes it.
type noticePayload struct {
	Schema, Node, Topic, Detail string
}

// listenOnce connects, listens, marks every topic changed (notices may have been missed
// before), and collects notices until the connection fails.
func (db *DB) listenOnce(ctx context.Context, lost *bool) error {
	conn, err := pgx.ConnectConfig(ctx, db.pg.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	var schema string
	if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+noticeChannel); err != nil {
		return err
	}
	if *lost {
		log.Printf("store: hearing the other nodes' changes again")
		*lost = false
	}
	db.heard(Change{}, true)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		var p noticePayload
		if json.Unmarshal([]byte(n.Payload), &p) != nil || p.Schema != schema || p.Node == db.node {
			continue // another data directory's, or this node's own (its caches follow its writes)
		}
		db.heard(Change{Topic: p.Topic, Detail: p.Detail}, false)
	}
}

// heard notes a change (or all of them) for applyChanges and wakes it.
func (db *DB) heard(c Change, all bool) {
	w := &db.watch
	w.mu.Lock()
	if all {
		w.all = true
	} else {
		w.pending[c] = true
	}
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// applyChanges runs the handlers of the changes heard, and every WatchPoll looks for other
// nodes' writes and retries the handlers that failed.
func (db *DB) applyChanges(ctx context.Context) {
	t := time.NewTicker(WatchPoll)
	defer t.Stop()
	kick := db.watch.kick
	for {
		select {
		case <-ctx.Done():
			return
		case <-kick:
		case <-t.C:
			db.watchData(ctx)
		}
		db.apply(ctx)
	}
}

// apply hands the pending changes of each topic to a goroutine of their own, one at a time
// per topic, so that a reload waiting for a long change here (a schema change holds the
// catalog) holds up no other topic. Changes heard meanwhile wait for the next round.
func (db *DB) apply(ctx context.Context) {
	w := &db.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.all {
		for _, t := range w.topics {
			w.pending[Change{Topic: t}] = true
		}
		w.all = false
	}
	groups := map[string][]Change{}
	for c := range w.pending {
		if !w.busy[c.Topic] {
			groups[c.Topic] = append(groups[c.Topic], c)
			delete(w.pending, c)
		}
	}
	for t, changes := range groups {
		w.busy[t] = true
		handlers := w.handlers[t]
		w.wg.Go(func() { db.applyTopic(ctx, t, changes, handlers) })
	}
}

// applyTopic runs a topic's handlers for its changes (only the whole-topic one when it is
// among them); those that fail wait for the next round.
func (db *DB) applyTopic(ctx context.Context, topic string, changes []Change, handlers []func(ctx context.Context, detail string) error) {
	whole := slices.Contains(changes, Change{Topic: topic})
	var failed []Change
	for _, c := range changes {
		if whole && c.Detail != "" {
			continue
		}
		for _, fn := range handlers {
			if err := fn(ctx, c.Detail); err != nil && ctx.Err() == nil {
				log.Printf("store: reloading %s after another node's change: %v", topic, err)
				failed = append(failed, c)
				break
			}
		}
	}
	db.writes.Add(1) // what was derived from the old state (chart results) is stale too
	w := &db.watch
	w.mu.Lock()
	w.busy[topic] = false
	for _, c := range failed {
		w.pending[c] = true
	}
	more := false
	for c := range w.pending {
		more = more || len(failed) == 0 && c.Topic == topic
	}
	w.mu.Unlock()
	if more { // heard while this ran; failures wait for the next poll instead
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
}

// announceDelay is how long a commit waits to be announced, so that a burst of commits is
// announced once.
const announceDelay = 100 * time.Millisecond

// announce tells the other nodes, announceDelay after a commit, that this process wrote:
// it takes the next value of the database's _data_version sequence, which their watchData
// polls. A sequence's nextval neither waits for nor holds up other transactions, and a value
// taken after the commit cannot make another node cache what was read before it. Only
// writes of this database count, unlike the server's transaction snapshot, which any
// database's writes and autovacuum's ANALYZE move. A process that dies between its commit
// and the announcement leaves other nodes' chart results stale until the next write.
func (db *DB) announce() {
	if !db.announcing.CompareAndSwap(false, true) {
		return
	}
	time.AfterFunc(announceDelay, db.announceNow)
}

// announceNow announces the commits made since the last announcement (see announce).
func (db *DB) announceNow() {
	db.announcing.Store(false) // a commit from now on is announced again
	var v int64
	if db.R.QueryRowContext(context.Background(), "SELECT nextval('_data_version')").Scan(&v) == nil {
		db.ownMu.Lock()
		db.own = append(db.own, v)
		db.ownMu.Unlock()
	}
}

// watchData moves Writes when another node or process announced writes since the last poll:
// when the sequence moved by more than the values this process took itself (its commits
// moved Writes already).
func (db *DB) watchData(ctx context.Context) {
	var v int64
	if err := db.R.QueryRowContext(ctx, "SELECT last_value FROM _data_version").Scan(&v); err != nil {
		return
	}
	w := &db.watch
	w.mu.Lock()
	db.ownMu.Lock()
	mine := 0
	db.own = slices.DeleteFunc(db.own, func(x int64) bool {
		if x > v {
			return false // taken after the read: the next poll's
		}
		if x > w.version {
			mine++
		}
		return true
	})
	db.ownMu.Unlock()
	moved := v-w.version > int64(mine)
	w.version = v
	w.mu.Unlock()
	if moved {
		db.writes.Add(1)
	}
}

// Unavailable tells whether err means that the database could not be reached or dropped
// the connection (PostgreSQL stopped or restarting, the network between cut), rather than
// refusing a statement: the request may succeed if tried again shortly. The HTTP layer
// answers it with 503.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	var ne net.Error
	switch {
	case errors.As(err, &pe):
		// connection_exception, admin_shutdown, crash_shutdown, cannot_connect_now
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	case errors.As(err, &ce), errors.Is(err, driver.ErrBadConn), errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.As(err, &ne):
		return true
	}
	return false
}
