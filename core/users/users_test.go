package users_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"tierbase/core/access"
	"tierbase/core/users"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

var ctx = context.Background()

func open(t *testing.T) (*users.Service, string) {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	opened.Store(dir, db)
	t.Cleanup(func() { opened.Delete(dir); db.Close() })
	us, err := users.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	return us, dir
}

// opened holds the database that open opened in each data directory, for tests that read its
// tables (the operation log) directly.
var opened sync.Map

// openedDB is the database that open opened in dir.
func openedDB(dir string) *store.DB {
	db, _ := opened.Load(dir)
	return db.(*store.DB)
}

func code(err error) string {
	if p := problem.As(err); p != nil {
		return p.Code
	}
	return ""
}

func TestCreateAndDirectory(t *testing.T) {
	us, _ := open(t)
	if us.HasAdmin() {
		t.Fatal("a fresh database has an admin")
	}
	admin, err := us.Create(ctx, access.System, " Boss@Example.com ", "password-1", "老板", users.Admin)
	if err != nil || admin.Email != "boss@example.com" || !us.HasAdmin() {
		t.Fatalf("create admin: %v %v", admin, err)
	}
	asAdmin := access.Actor{UserID: admin.ID, Role: access.RoleAdmin}
	wang, err := us.Create(ctx, asAdmin, "wang@example.com", "password-2", "", "")
	if err != nil || wang.Name != "wang" || wang.Role != users.Member {
		t.Fatalf("create member: %v %v", wang, err)
	}
	asWang := access.Actor{UserID: wang.ID, Role: access.RoleMember}
	if _, err := us.Create(ctx, asWang, "x@example.com", "password-3", "x", ""); code(err) != "not_allowed" {
		t.Fatalf("a member creates a user: %v", err)
	}
	for _, bad := range []struct{ email, pw, role, code string }{
		{"WANG@example.com", "password-9", "", "email_taken"},
		{"no-at-sign", "password-9", "", "bad_email"},
		{"y@example.com", "short", "", "password_too_short"},
		{"y@example.com", "password-9", "boss", "unknown_role"},
	} {
		if _, err := us.Create(ctx, asAdmin, bad.email, bad.pw, "", bad.role); code(err) != bad.code {
			t.Errorf("create %v: %v", bad, err)
		}
	}
	if all := us.Directory(asAdmin); len(all) != 2 || all[0].Email != "boss@example.com" || all[1].Role != users.Member {
		t.Errorf("admin's directory %v", all)
	}
	for _, u := range us.Directory(asWang) {
		if u.Email != "" || u.Role != "" || u.Name == "" || u.ID == 0 {
			t.Errorf("member's directory shows %+v", u)
		}
	}
	if got, ok := us.Get(wang.ID); !ok || got.Email != "wang@example.com" {
		t.Errorf("get %v", got)
	}
}

func TestSessions(t *testing.T) {
	us, dir := open(t)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	us.Now = func() time.Time { return now }
	u, err := us.Create(ctx, access.System, "wang@example.com", "password-1", "小王", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := us.Login(ctx, "wang@example.com", "wrong-password", "10.0.0.1"); code(err) != "bad_login" {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := us.Login(ctx, "nobody@example.com", "password-1", "10.0.0.1"); code(err) != "bad_login" {
		t.Fatalf("unknown email: %v", err)
	}
	s, err := us.Login(ctx, "WANG@example.com", "password-1", "10.0.0.1")
	if err != nil || s.User.ID != u.ID || s.Token == "" || s.CSRF == "" {
		t.Fatalf("login %v %v", s, err)
	}
	if got, csrf, ok := us.Authenticate(s.Token); !ok || got.ID != u.ID || csrf != s.CSRF {
		t.Fatalf("authenticate %v %v", got, ok)
	}
	// Another process (a fresh service over the same file) knows the session.
	db2, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	us2, err := users.Open(db2)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, ok := us2.Authenticate(s.Token); !ok || got.Name != "小王" {
		t.Fatalf("session not stored: %v", ok)
	}
	now = now.Add(users.SessionTTL + time.Minute)
	if _, _, ok := us.Authenticate(s.Token); ok {
		t.Fatal("an expired session still works")
	}
	if err := us.Logout(ctx, s.Token); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := us.Authenticate("made-up"); ok {
		t.Fatal("a made-up token works")
	}
}

func TestLoginThrottle(t *testing.T) {
	us, _ := open(t)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	us.Now = func() time.Time { return now }
	if _, err := us.Create(ctx, access.System, "wang@example.com", "password-1", "小王", ""); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		us.Login(ctx, "wang@example.com", "wrong-password", "10.0.0.1")
	}
	if _, err := us.Login(ctx, "wang@example.com", "password-1", "10.0.0.2"); code(err) != "throttled" {
		t.Fatalf("after five wrong passwords: %v", err)
	}
	now = now.Add(2 * time.Minute)
	if _, err := us.Login(ctx, "wang@example.com", "password-1", "10.0.0.2"); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
}

// An email stored in another case (written by an older version) still signs in, typed in
// any case, and is still taken: the comparison ignores case on both databases.
func TestEmailIgnoresCase(t *testing.T) {
	us, dir := open(t)
	boss, err := us.Create(ctx, access.System, "boss@example.com", "password-1", "老板", users.Admin)
	if err != nil {
		t.Fatal(err)
	}
	err = openedDB(dir).Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec("UPDATE _users SET email = 'Boss@Example.COM' WHERE id = ?", boss.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := us.Login(ctx, "BOSS@example.com", "password-1", "10.0.0.1"); err != nil {
		t.Errorf("sign in with another case: %v", err)
	}
	if _, err := us.Create(ctx, us.ActorOf(boss), "boss@example.com", "password-2", "", ""); code(err) != "email_taken" {
		t.Errorf("the same email in another case: %v", err)
	}
}

// A reload (another node changed people) while every connection of the pool is held by a
// transaction that then looks a person up finishes: the reload waits for a connection
// without holding the lock those transactions wait for (it deadlocked the CLI's job drain on
// PostgreSQL). SQLite's single writer holds one connection, so only PostgreSQL can fill the pool.
func TestReloadWithPoolFull(t *testing.T) {
	us, dir := open(t)
	db := openedDB(dir)
	if db.Dialect != store.Postgres {
		t.Skip("SQLite's transactions share one writer connection")
	}
	boss, err := us.Setup(ctx, "boss@example.com", "a long passphrase 1", "老板")
	if err != nil {
		t.Fatal(err)
	}
	n := db.R.Stats().MaxOpenConnections
	holding, lookUp := make(chan struct{}, n), make(chan struct{})
	done := make(chan error, n+1)
	for range n {
		go func() {
			done <- db.Tx(ctx, func(tx *sql.Tx) error {
				holding <- struct{}{}
				<-lookUp
				if _, ok := us.Get(boss.ID); !ok {
					return fmt.Errorf("person %d not found", boss.ID)
				}
				return nil
			})
		}()
	}
	for range n {
		<-holding
	}
	go func() { done <- us.Reload(ctx) }()
	time.Sleep(200 * time.Millisecond) // the reload is waiting for a connection
	close(lookUp)
	timeout := time.After(10 * time.Second)
	for range n + 1 {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-timeout:
			t.Fatal("deadlock: the reload and the transactions wait for each other")
		}
	}
}
