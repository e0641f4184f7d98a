package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	hexenc "encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// TestServerEnv names the PostgreSQL server the test suite runs on a second time (set by
// `make test` through scripts/pgtest). With it set, each data directory opened gets a schema
// of its own on that server, so every test has an empty database, and reopening a directory
// finds its data again.
const TestServerEnv = "TIERBASE_TEST_PG"

// openPostgres opens the PostgreSQL database at url for the data directory dir (which still
// holds what is not rows: uploads, backups, keys).
func openPostgres(dir, url string) (*DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("the database address %q is not a PostgreSQL URL (postgres://user:password@host:5432/name): %v", redact(url), err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if test := os.Getenv(TestServerEnv); test != "" && test == url {
		if err := testSchema(ctx, cfg, dir); err != nil {
			return nil, err
		}
	}
	// Each DB names itself to the server, so that a node's own change notices can be told
	// from the others' (see Watch) and its connections are found in pg_stat_activity.
	node := newNodeName()
	cfg.RuntimeParams["application_name"] = node
	r := sql.OpenDB(rebindConnector{stdlib.GetConnector(*cfg)})
	r.SetMaxOpenConns(max(8, readers*2))
	r.SetMaxIdleConns(max(8, readers*2))
	r.SetConnMaxIdleTime(5 * time.Minute)
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		return nil, fmt.Errorf("cannot reach PostgreSQL at %s:%d (database %s): %s", cfg.Host, cfg.Port, cfg.Database, reason(err))
	}
	db := &DB{R: r, Dialect: Postgres, URL: Redact(url), pg: cfg, node: node}
	if err := db.migrate(context.Background()); err != nil {
		r.Close()
		return nil, fmt.Errorf("prepare the PostgreSQL database %s on %s: %w", cfg.Database, cfg.Host, err)
	}
	return db, nil
}

// testSchema gives the data directory dir a schema of its own on the test server and makes
// cfg's connections use it.
func testSchema(ctx context.Context, cfg *pgx.ConnConfig, dir string) error {
	abs, _ := filepath.Abs(dir)
	sum := sha256.Sum256([]byte(abs))
	schema := "d" + hexenc.EncodeToString(sum[:8])
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("cannot reach the test PostgreSQL at %s:%d: %s", cfg.Host, cfg.Port, reason(err))
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+Quote(schema)); err != nil {
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "23505" { // two opens racing to create it
			return err
		}
	}
	cfg.RuntimeParams["search_path"] = schema
	return nil
}

// reason says in a few words why a connection failed, without the driver's wrapping.
func reason(err error) string {
	var pe *pgconn.PgError
	var ne net.Error
	switch {
	case errors.As(err, &pe):
		return pe.Message
	case errors.As(err, &ne) && ne.Timeout():
		return "no answer (timed out)"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (is PostgreSQL running there, on that port?)"
	}
	return err.Error()
}

// redact hides the password of a database URL, for messages and logs.
func redact(url string) string { return Redact(url) }

// pgTx runs fn in a transaction of its own on PostgreSQL, where writers run side by side.
func (db *DB) pgTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	conn, err := db.R.Conn(ctx) // held, so that Inserter and RawQuery reach the transaction's session
	if err != nil {
		return err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	j := &job{ctx: ctx, fn: fn, conn: conn}
	if err := db.call(j, tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	db.writes.Add(1)
	db.announce()
	for _, a := range j.after {
		a.fn()
	}
	return nil
}

// pgMigrate brings PostgreSQL's metadata tables up to date under an advisory lock, so that
// nodes starting together migrate once. A new database starts from postgresBaseline (the
// tables as the SQLite migrations up to baselineVersion leave them); later migrations have a
// PostgreSQL form of their own.
func (db *DB) pgMigrate(ctx context.Context) error {
	return db.pgTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.tierbase-migrate'))"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS _meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)"); err != nil {
			return err
		}
		var version int
		err := tx.QueryRowContext(ctx, "SELECT CAST(value AS INTEGER) FROM _meta WHERE key = 'version'").Scan(&version)
		if errors.Is(err, sql.ErrNoRows) {
			if _, err := tx.ExecContext(ctx, postgresBaseline); err != nil {
				return fmt.Errorf("baseline: %w", err)
			}
			version = baselineVersion
		} else if err != nil {
			return err
		}
		for i := version; i < len(migrations); i++ {
			if _, err := tx.ExecContext(ctx, postgresMigrations[i-baselineVersion]); err != nil {
				return fmt.Errorf("migration %d: %w", i+1, err)
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO _meta(key, value) VALUES('version', ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value`, fmt.Sprint(len(migrations)))
		if err != nil {
			return err
		}
		return installNotices(ctx, tx)
	})
}

// baselineVersion is how many SQLite migrations postgresBaseline stands for.
const baselineVersion = 18

// postgresMigrations are the PostgreSQL forms of the migrations after baselineVersion.
var postgresMigrations = []string{
	// 19
	`CREATE TABLE _login_failures(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, key TEXT NOT NULL, at BIGINT NOT NULL);
	CREATE INDEX _login_failures_key ON _login_failures(key, at);
	CREATE INDEX _login_failures_at ON _login_failures(at);`,
	// 20
	`CREATE TABLE _robots(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, url TEXT NOT NULL,
		secret TEXT NOT NULL DEFAULT '', enabled INTEGER NOT NULL DEFAULT 1, slots TEXT NOT NULL DEFAULT '[]',
		created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
	CREATE TABLE _robot_deliveries(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, robot_id TEXT NOT NULL, at TEXT NOT NULL,
		attempt INTEGER NOT NULL, ok INTEGER NOT NULL, status INTEGER NOT NULL, ms BIGINT NOT NULL, title TEXT NOT NULL, response TEXT NOT NULL);
	CREATE INDEX _robot_deliveries_robot ON _robot_deliveries(robot_id, id);`,
	// 21
	`CREATE TABLE _webhooks(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, url TEXT NOT NULL, secret TEXT NOT NULL,
		old_secret TEXT NOT NULL DEFAULT '', old_until BIGINT NOT NULL DEFAULT 0, table_id TEXT NOT NULL, events TEXT NOT NULL,
		fields TEXT NOT NULL DEFAULT '[]', cond TEXT NOT NULL DEFAULT '', enabled INTEGER NOT NULL DEFAULT 1,
		disabled_reason TEXT NOT NULL DEFAULT '', failing_since BIGINT NOT NULL DEFAULT 0, owner_id BIGINT NOT NULL,
		created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
	CREATE INDEX _webhooks_table ON _webhooks(table_id);
	CREATE TABLE _webhook_messages(id TEXT PRIMARY KEY, webhook_id TEXT NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL,
		at BIGINT NOT NULL, state TEXT NOT NULL DEFAULT 'pending');
	CREATE INDEX _webhook_messages_webhook ON _webhook_messages(webhook_id, state);
	CREATE TABLE _webhook_deliveries(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, webhook_id TEXT NOT NULL,
		message_id TEXT NOT NULL, at TEXT NOT NULL, attempt INTEGER NOT NULL, ok INTEGER NOT NULL, status INTEGER NOT NULL,
		ms BIGINT NOT NULL, response TEXT NOT NULL);
	CREATE INDEX _webhook_deliveries_webhook ON _webhook_deliveries(webhook_id, id);
	CREATE TABLE _tokens(id TEXT PRIMARY KEY, user_id BIGINT NOT NULL, name TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
		hint TEXT NOT NULL, tables TEXT NOT NULL, read_only INTEGER NOT NULL, service INTEGER NOT NULL,
		expires_at BIGINT NOT NULL, last_used_at BIGINT NOT NULL DEFAULT 0, revoked_at BIGINT NOT NULL DEFAULT 0,
		created_at BIGINT NOT NULL);
	CREATE INDEX _tokens_user ON _tokens(user_id);`,
	// 22
	`CREATE TABLE _flows(id TEXT PRIMARY KEY, table_id TEXT NOT NULL, name TEXT NOT NULL, def TEXT NOT NULL,
		triggers TEXT NOT NULL DEFAULT '{}', version INTEGER NOT NULL DEFAULT 0, enabled INTEGER NOT NULL DEFAULT 1,
		created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
	CREATE TABLE _flow_versions(flow_id TEXT NOT NULL, version INTEGER NOT NULL, def TEXT NOT NULL, published_at TEXT NOT NULL,
		published_by BIGINT NOT NULL, PRIMARY KEY(flow_id, version));
	CREATE TABLE _flow_instances(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, flow_id TEXT NOT NULL, version INTEGER NOT NULL, table_id TEXT NOT NULL,
		record_id BIGINT NOT NULL, initiator BIGINT NOT NULL, state TEXT NOT NULL, step INTEGER NOT NULL DEFAULT 0,
		chosen TEXT NOT NULL DEFAULT '{}', joins TEXT NOT NULL DEFAULT '{}', reason TEXT NOT NULL DEFAULT '', started_at TEXT NOT NULL,
		ended_at TEXT NOT NULL DEFAULT '');
	CREATE TABLE _flow_tasks(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, instance_id BIGINT NOT NULL, node_id TEXT NOT NULL, step INTEGER NOT NULL,
		user_id BIGINT NOT NULL, state TEXT NOT NULL, seq INTEGER NOT NULL DEFAULT 0, action TEXT NOT NULL DEFAULT '',
		acted_by BIGINT NOT NULL DEFAULT 0, comment TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, acted_at TEXT NOT NULL DEFAULT '',
		added TEXT NOT NULL DEFAULT '', added_for BIGINT NOT NULL DEFAULT 0);
	CREATE TABLE _flow_events(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, instance_id BIGINT NOT NULL, at TEXT NOT NULL, user_id BIGINT NOT NULL,
		node_id TEXT NOT NULL DEFAULT '', action TEXT NOT NULL, comment TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '{}');
	CREATE INDEX _flow_instances_initiator ON _flow_instances(initiator, id);
	CREATE INDEX _flow_instances_record ON _flow_instances(table_id, record_id);
	CREATE INDEX _flow_tasks_box ON _flow_tasks(user_id, state, id);
	CREATE INDEX _flow_tasks_step ON _flow_tasks(instance_id, step);
	CREATE INDEX _flow_events_instance ON _flow_events(instance_id, id);`,
	// 23
	`CREATE TABLE _forms(id TEXT PRIMARY KEY, token TEXT NOT NULL UNIQUE, table_id TEXT NOT NULL, def TEXT NOT NULL,
		enabled INTEGER NOT NULL DEFAULT 1, submissions BIGINT NOT NULL DEFAULT 0, created_by BIGINT NOT NULL,
		created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
	CREATE TABLE _form_submissions(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, form_id TEXT NOT NULL,
		record_id BIGINT NOT NULL, at BIGINT NOT NULL);
	CREATE INDEX _form_submissions_form ON _form_submissions(form_id, at);
	CREATE TABLE _form_hits(client TEXT NOT NULL, at BIGINT NOT NULL);
	CREATE INDEX _form_hits_client ON _form_hits(client, at);
	CREATE INDEX _form_hits_at ON _form_hits(at);
	CREATE TABLE _form_captchas(nonce TEXT PRIMARY KEY, expires_at BIGINT NOT NULL);
	CREATE INDEX _form_captchas_expires ON _form_captchas(expires_at);`,
	// 24
	`CREATE TABLE _events(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, table_id TEXT NOT NULL, record_id BIGINT NOT NULL,
		name TEXT NOT NULL, props TEXT NOT NULL DEFAULT '{}', at BIGINT NOT NULL, user_id BIGINT NOT NULL);
	CREATE INDEX _events_record ON _events(table_id, record_id, at, id);
	CREATE INDEX _events_name ON _events(name, at);
	CREATE FUNCTION _events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		RAISE EXCEPTION 'events are append-only';
	END $$;
	CREATE TRIGGER _events_append_only BEFORE UPDATE OR DELETE ON _events FOR EACH ROW EXECUTE FUNCTION _events_append_only();`,
	// 25
	`CREATE TABLE _comments(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, table_id TEXT NOT NULL, record_id BIGINT NOT NULL,
		user_id BIGINT NOT NULL, body TEXT NOT NULL, mentions TEXT NOT NULL DEFAULT '[]', at TEXT NOT NULL);
	CREATE INDEX _comments_record ON _comments(table_id, record_id, id);`,
	// 26
	`CREATE TABLE _views(id TEXT PRIMARY KEY, table_id TEXT NOT NULL, owner_id BIGINT NOT NULL, shared INTEGER NOT NULL DEFAULT 0,
		def TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
	CREATE INDEX _views_table ON _views(table_id, owner_id);`,
	// 27
	`ALTER TABLE _flow_tasks ADD COLUMN due_at TEXT NOT NULL DEFAULT '';
	CREATE TABLE _flow_task_counts(user_id BIGINT NOT NULL, state TEXT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY(user_id, state));
	INSERT INTO _flow_task_counts(user_id, state, n)
		SELECT user_id, state, COUNT(*) FROM _flow_tasks WHERE state IN ('open', 'cc') GROUP BY user_id, state;
	CREATE FUNCTION _flow_tasks_count() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		IF TG_OP <> 'INSERT' AND OLD.state IN ('open', 'cc') AND (TG_OP = 'DELETE' OR NEW.state <> OLD.state OR NEW.user_id <> OLD.user_id) THEN
			UPDATE _flow_task_counts SET n = n - 1 WHERE user_id = OLD.user_id AND state = OLD.state;
		END IF;
		IF TG_OP <> 'DELETE' AND NEW.state IN ('open', 'cc') AND (TG_OP = 'INSERT' OR NEW.state <> OLD.state OR NEW.user_id <> OLD.user_id) THEN
			INSERT INTO _flow_task_counts(user_id, state, n) VALUES(NEW.user_id, NEW.state, 1)
				ON CONFLICT(user_id, state) DO UPDATE SET n = _flow_task_counts.n + 1;
		END IF;
		RETURN NULL;
	END $$;
	CREATE TRIGGER _flow_tasks_count AFTER INSERT OR UPDATE OF state, user_id OR DELETE ON _flow_tasks
		FOR EACH ROW EXECUTE FUNCTION _flow_tasks_count();`,
}

// postgresBaseline creates the metadata tables as the first baselineVersion migrations leave
// them on SQLite. Ids are identity columns (BY DEFAULT, so a move from SQLite keeps its ids);
// the operation log's append-only triggers are plpgsql.
const postgresBaseline = `
CREATE TABLE _apps(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, icon TEXT NOT NULL DEFAULT '', position INTEGER NOT NULL DEFAULT 0,
	seq BIGINT GENERATED BY DEFAULT AS IDENTITY);
CREATE TABLE _tables(id TEXT PRIMARY KEY, app_id TEXT NOT NULL, name TEXT NOT NULL UNIQUE, title_field TEXT NOT NULL DEFAULT '',
	position INTEGER NOT NULL DEFAULT 0, seq BIGINT GENERATED BY DEFAULT AS IDENTITY);
CREATE TABLE _fields(id TEXT PRIMARY KEY, table_id TEXT NOT NULL, name TEXT NOT NULL, position INTEGER NOT NULL, def TEXT NOT NULL,
	seq BIGINT GENERATED BY DEFAULT AS IDENTITY, UNIQUE(table_id, name));
CREATE TABLE _users(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, email TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL,
	password_hash TEXT NOT NULL, created_at TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, last_sign_in TEXT NOT NULL DEFAULT '');
CREATE UNIQUE INDEX _users_email ON _users(lower(email));
CREATE TABLE _sessions(token_hash TEXT PRIMARY KEY, user_id BIGINT NOT NULL, csrf TEXT NOT NULL, expires_at TEXT NOT NULL);
CREATE TABLE _oplog(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, table_id TEXT NOT NULL, record_id BIGINT NOT NULL,
	action TEXT NOT NULL, user_id BIGINT NOT NULL, at TEXT NOT NULL, changes TEXT NOT NULL);
CREATE INDEX _oplog_record ON _oplog(table_id, record_id);
CREATE INDEX _oplog_user ON _oplog(user_id, id);
CREATE INDEX _oplog_table ON _oplog(table_id, id);
CREATE TABLE _sequences(key TEXT PRIMARY KEY, value BIGINT NOT NULL);
CREATE TABLE _imports(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, table_id TEXT NOT NULL, first_id BIGINT NOT NULL,
	last_id BIGINT NOT NULL, user_id BIGINT NOT NULL, at TEXT NOT NULL, file TEXT NOT NULL);
CREATE INDEX _imports_table ON _imports(table_id, first_id);
CREATE TABLE _schemes(id TEXT PRIMARY KEY, table_id TEXT NOT NULL, position INTEGER NOT NULL, def TEXT NOT NULL,
	seq BIGINT GENERATED BY DEFAULT AS IDENTITY);
CREATE TABLE _tier_history(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, table_id TEXT NOT NULL, record_id BIGINT NOT NULL,
	field TEXT NOT NULL, from_value TEXT, to_value TEXT, at TEXT NOT NULL, source TEXT NOT NULL);
CREATE INDEX _tier_history_record_id ON _tier_history(record_id);
CREATE TABLE _rules(id TEXT PRIMARY KEY, table_id TEXT NOT NULL, position INTEGER NOT NULL, def TEXT NOT NULL,
	last_run TEXT NOT NULL DEFAULT '', last_error TEXT NOT NULL DEFAULT '', fired_at TEXT NOT NULL DEFAULT '',
	fired BIGINT NOT NULL DEFAULT 0, seq BIGINT GENERATED BY DEFAULT AS IDENTITY);
CREATE TABLE _notifications(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, user_id BIGINT NOT NULL, title TEXT NOT NULL,
	body TEXT NOT NULL, link TEXT NOT NULL, at TEXT NOT NULL, read_at TEXT);
CREATE INDEX _notifications_user ON _notifications(user_id, id);
CREATE TABLE _rfm(table_id TEXT PRIMARY KEY, def TEXT NOT NULL, last_run TEXT NOT NULL DEFAULT '',
	scored BIGINT NOT NULL DEFAULT 0, millis BIGINT NOT NULL DEFAULT 0);
CREATE TABLE _dashboards(id TEXT PRIMARY KEY, position INTEGER NOT NULL, def TEXT NOT NULL, seq BIGINT GENERATED BY DEFAULT AS IDENTITY);
CREATE TABLE _charts(id TEXT PRIMARY KEY, dashboard_id TEXT NOT NULL, def TEXT NOT NULL);
CREATE INDEX _charts_dashboard ON _charts(dashboard_id);
CREATE TABLE _jobs(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, kind TEXT NOT NULL, key TEXT UNIQUE, payload TEXT NOT NULL,
	state TEXT NOT NULL DEFAULT 'queued', run_at BIGINT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
	owner TEXT, lease_until BIGINT, error TEXT NOT NULL DEFAULT '', done_at BIGINT);
CREATE INDEX _jobs_due ON _jobs(state, run_at);
CREATE TABLE _alert_state(chart_id TEXT NOT NULL, user_id BIGINT NOT NULL, alerting INTEGER NOT NULL, PRIMARY KEY(chart_id, user_id));
CREATE TABLE _recent(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, user_id BIGINT NOT NULL, table_id TEXT NOT NULL,
	record_id BIGINT NOT NULL, at TEXT NOT NULL, UNIQUE(user_id, table_id, record_id));
CREATE INDEX _recent_user ON _recent(user_id, id);
CREATE TABLE _audit(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, at TEXT NOT NULL, user_id BIGINT NOT NULL,
	action TEXT NOT NULL, table_id TEXT NOT NULL DEFAULT '', record_id BIGINT NOT NULL DEFAULT 0, detail TEXT NOT NULL DEFAULT '{}',
	client TEXT NOT NULL DEFAULT '');
CREATE INDEX _audit_at ON _audit(at);
CREATE TABLE _user_roles(user_id BIGINT NOT NULL, role_id TEXT NOT NULL, seq BIGINT GENERATED BY DEFAULT AS IDENTITY,
	PRIMARY KEY(user_id, role_id));
CREATE TABLE _user_departments(user_id BIGINT NOT NULL, department_id BIGINT NOT NULL, main INTEGER NOT NULL DEFAULT 0,
	seq BIGINT GENERATED BY DEFAULT AS IDENTITY, PRIMARY KEY(user_id, department_id));
CREATE TABLE _invites(token_hash TEXT PRIMARY KEY, user_id BIGINT NOT NULL, expires_at TEXT NOT NULL, used INTEGER NOT NULL DEFAULT 0);
CREATE TABLE _trash(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, table_id TEXT NOT NULL, record_id BIGINT NOT NULL,
	data TEXT NOT NULL, deleted_by BIGINT NOT NULL, deleted_at TEXT NOT NULL);
CREATE INDEX _trash_record ON _trash(table_id, record_id);
CREATE INDEX _trash_at ON _trash(deleted_at);
CREATE TABLE _oplog_reseal(since TEXT NOT NULL);
CREATE TABLE _departments(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name TEXT NOT NULL, parent_id BIGINT NOT NULL DEFAULT 0,
	position INTEGER NOT NULL DEFAULT 0, UNIQUE(parent_id, name));
CREATE TABLE _department_heads(department_id BIGINT NOT NULL, user_id BIGINT NOT NULL, PRIMARY KEY(department_id, user_id));
CREATE TABLE _roles(id TEXT PRIMARY KEY, position INTEGER NOT NULL, def TEXT NOT NULL);

-- The operation log is append-only: nobody, admins included, changes or deletes an entry. The
-- one change allowed is re-encrypting the 敏感 values of _oplog's changes, inside a transaction
-- holding a row of _oplog_reseal (package schema).
CREATE FUNCTION _append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = '_oplog' AND EXISTS (SELECT 1 FROM _oplog_reseal)
		AND (NEW.id, NEW.table_id, NEW.record_id, NEW.action, NEW.user_id, NEW.at)
			IS NOT DISTINCT FROM (OLD.id, OLD.table_id, OLD.record_id, OLD.action, OLD.user_id, OLD.at) THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'the operation log is append-only';
END $$;
CREATE TRIGGER _audit_append_only BEFORE UPDATE OR DELETE ON _audit FOR EACH ROW EXECUTE FUNCTION _append_only();
CREATE TRIGGER _oplog_append_only BEFORE UPDATE OR DELETE ON _oplog FOR EACH ROW EXECUTE FUNCTION _append_only();
`
