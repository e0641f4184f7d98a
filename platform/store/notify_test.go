package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// heard waits up to d for the next change a watching node was told of.
func heard(t *testing.T, ch <-chan Change, d time.Duration) (Change, bool) {
	t.Helper()
	select {
	case c := <-ch:
		return c, true
	case <-time.After(d):
		return Change{}, false
	}
}

// Two nodes on one database: what one commits to the watched tables reaches the other within
// a second (its own writes and rolled-back ones do not); a change whose notice was lost is
// made up when the listening connection is back; writes of other tables move Writes.
func TestWatchOtherNodes(t *testing.T) {
	dir := t.TempDir()
	a, b := onPostgres(t, dir), onPostgres(t, dir)
	ctx := context.Background()
	ch := make(chan Change, 64)
	for _, topic := range []string{TopicSchema, TopicInbox} {
		b.OnChange(topic, func(ctx context.Context, detail string) error {
			ch <- Change{topic, detail}
			return nil
		})
	}
	b.Watch()
	b.Watch() // a second call does nothing
	// Once listening, every topic is reloaded (for what changed before).
	for range 2 {
		if c, ok := heard(t, ch, 5*time.Second); !ok || c.Detail != "" {
			t.Fatalf("first reload: %v %v", c, ok)
		}
	}
	exec := func(db *DB, q string, args ...any) {
		t.Helper()
		if err := db.Exec(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	exec(a, "INSERT INTO _apps(id, name) VALUES('app1', '客户管理')")
	if c, ok := heard(t, ch, time.Second); !ok || c != (Change{TopicSchema, ""}) {
		t.Fatalf("after A added an app, B heard %v %v", c, ok)
	}
	t.Logf("heard after %v", time.Since(start))
	exec(b, "INSERT INTO _apps(id, name) VALUES('app2', '项目')") // B's own
	a.Tx(ctx, func(tx *sql.Tx) error {                          // rolled back
		tx.ExecContext(ctx, "UPDATE _fields SET name = 'x'")
		return errors.New("no")
	})
	exec(a, "INSERT INTO _notifications(user_id, title, body, link, at) VALUES(7, 't', 'b', '/', '2026-12-06T00:00:00Z')")
	if c, ok := heard(t, ch, time.Second); !ok || c != (Change{TopicInbox, "7"}) {
		t.Fatalf("after A notified user 7, B heard %v %v (want nothing of its own or rolled-back writes)", c, ok)
	}

	// A change no notice tells of (triggers off, as a notice lost while the connection was
	// down) is made up once B's listening connection is cut and made again.
	err := a.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "SET LOCAL session_replication_role = replica"); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO _apps(id, name) VALUES('app3', '售后')")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := heard(t, ch, 700*time.Millisecond); ok {
		t.Fatalf("heard %v of a write without notices", c)
	}
	var killed int
	if err := a.R.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = ? AND query LIKE 'LISTEN%'`, b.Node()).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("killed %d listening connections of B (%v)", killed, err)
	}
	got := map[Change]bool{}
	for range 2 {
		c, ok := heard(t, ch, 5*time.Second)
		if !ok {
			t.Fatalf("B did not reload after reconnecting (heard %v)", got)
		}
		got[c] = true
	}
	if !got[Change{TopicSchema, ""}] || !got[Change{TopicInbox, ""}] {
		t.Fatalf("after reconnecting B reloaded %v, want every topic", got)
	}

	// Writes moves on B when A writes anything, within the poll.
	time.Sleep(2 * WatchPoll)
	before := b.Writes()
	exec(a, "INSERT INTO _sequences(key, value) VALUES('k', 1)")
	deadline := time.Now().Add(time.Second)
	for b.Writes() == before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if b.Writes() == before {
		t.Fatal("B's Writes did not move after A wrote a row")
	}

	// Another data directory's database on the same server writing does not move it.
	other := onPostgres(t, t.TempDir())
	time.Sleep(2 * WatchPoll)
	before = b.Writes()
	exec(other, "INSERT INTO _sequences(key, value) VALUES('k', 1)")
	exec(other, "ANALYZE _sequences")
	time.Sleep(2*WatchPoll + announceDelay)
	if b.Writes() != before {
		t.Fatal("B's Writes moved after another database on the server wrote")
	}

	// B's own commits move it once each, however many of their announcements a poll finds.
	before = b.Writes()
	for i := range 3 {
		exec(b, "INSERT INTO _sequences(key, value) VALUES(?, 1)", fmt.Sprint("own", i))
		time.Sleep(announceDelay + 50*time.Millisecond)
	}
	time.Sleep(2 * WatchPoll)
	if got := b.Writes() - before; got != 3 {
		t.Fatalf("B's Writes moved %d times after 3 commits of its own", got)
	}
}

// Unavailable tells a database out of reach from a statement it refused.
func TestUnavailable(t *testing.T) {
	down := sql.OpenDB(stdlib.GetConnector(mustConfig(t, "postgres://nobody@127.0.0.1:1/none?connect_timeout=2")))
	defer down.Close()
	err := down.Ping()
	if !Unavailable(err) {
		t.Errorf("Unavailable(%v) = false, want true", err)
	}
	if Unavailable(nil) || Unavailable(errors.New("boom")) || Unavailable(sql.ErrNoRows) {
		t.Error("Unavailable is true for a plain error")
	}
	db := onPostgres(t, t.TempDir())
	err = db.Exec(context.Background(), "INSERT INTO _sequences(key, value) VALUES('a', 1), ('a', 2)")
	if err == nil || Unavailable(err) {
		t.Errorf("a unique violation: Unavailable(%v) = true", err)
	}
}

func mustConfig(t *testing.T, url string) pgx.ConnConfig {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	return *cfg
}

// A reload held up (a long schema change here holds the catalog) holds up no other topic.
func TestWatchSlowTopic(t *testing.T) {
	dir := t.TempDir()
	a, b := onPostgres(t, dir), onPostgres(t, dir)
	ctx := context.Background()
	release := make(chan struct{})
	var hold atomic.Bool
	schema, inbox := make(chan string, 8), make(chan string, 8)
	b.OnChange(TopicSchema, func(ctx context.Context, detail string) error {
		if hold.Load() {
			<-release
		}
		schema <- detail
		return nil
	})
	b.OnChange(TopicInbox, func(ctx context.Context, detail string) error { inbox <- detail; return nil })
	b.Watch()
	defer close(release)
	<-schema
	<-inbox
	hold.Store(true)
	if err := a.Exec(ctx, "INSERT INTO _apps(id, name) VALUES('app1', '客户管理')"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the schema reload is waiting
	if err := a.Exec(ctx, "INSERT INTO _notifications(user_id, title, body, link, at) VALUES(7, 't', 'b', '/', '')"); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-inbox:
		if d != "7" {
			t.Fatalf("inbox change %q", d)
		}
	case <-time.After(time.Second):
		t.Fatal("the inbox waited for the schema reload")
	}
}
