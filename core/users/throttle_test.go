package users_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"tierbase/core/access"
	"tierbase/core/users"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

func openUsers(t *testing.T) *users.Service {
	t.Helper()
	db, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := users.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// codes runs n calls of fn at once and counts the answers by problem code ("ok" for none).
func codes(n int, fn func(i int) error) map[string]int {
	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			code := "ok"
			if err := fn(i); err != nil {
				code = err.Error()
				if p := problem.As(err); p != nil {
					code = p.Code
				}
			}
			mu.Lock()
			got[code]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return got
}

// Forty wrong passwords for one account sent at once: each attempt is counted before its slow
// hash, so only the first five are checked and the rest are throttled.
func TestConcurrentWrongPasswordsThrottled(t *testing.T) {
	ctx := context.Background()
	s := openUsers(t)
	s.HashWait = time.Minute // this test is about the count, not the wait
	if _, err := s.Create(ctx, access.System, "boss@example.com", "right-password", "老板", users.Admin); err != nil {
		t.Fatal(err)
	}
	got := codes(40, func(i int) error {
		_, err := s.Login(ctx, "boss@example.com", fmt.Sprintf("guess-%d", i), fmt.Sprintf("10.0.0.%d", i))
		return err
	})
	if got["bad_login"] != 5 || got["throttled"] != 35 {
		t.Errorf("40 wrong passwords at once: %v, want 5 bad_login and 35 throttled", got)
	}
	if _, err := s.Login(ctx, "boss@example.com", "right-password", "10.0.1.1"); problem.As(err) == nil || problem.As(err).Code != "throttled" {
		t.Errorf("the right password during the lockout: %v, want throttled", err)
	}
}

// People behind one address signing in at once (an office) do not lock each other out: a
// successful login takes its attempt back.
func TestSuccessfulLoginsDoNotCount(t *testing.T) {
	ctx := context.Background()
	s := openUsers(t)
	s.HashWait = time.Minute
	if _, err := s.Create(ctx, access.System, "sales@example.com", "pass-word-1", "", users.Member); err != nil {
		t.Fatal(err)
	}
	got := codes(21, func(i int) error {
		_, err := s.Login(ctx, "sales@example.com", "pass-word-1", "office")
		return err
	})
	if got["ok"] != 21 {
		t.Errorf("21 sign-ins from one address: %v, want all ok", got)
	}
}

// Hashes in flight are bounded: logins past the hashing slots wait at most HashWait and are
// then refused with 429 "busy", which says when to try again.
func TestHashesInFlightBounded(t *testing.T) {
	ctx := context.Background()
	s := openUsers(t)
	if _, err := s.Create(ctx, access.System, "a@example.com", "pass-word-1", "", users.Member); err != nil {
		t.Fatal(err)
	}
	s.HashWait = time.Millisecond
	var busy *problem.Error
	var mu sync.Mutex
	got := codes(40, func(i int) error {
		_, err := s.Login(ctx, "a@example.com", "pass-word-1", fmt.Sprintf("10.0.0.%d", i))
		if p := problem.As(err); p != nil && p.Code == "busy" {
			mu.Lock()
			busy = p
			mu.Unlock()
		}
		return err
	})
	if got["ok"] == 0 || got["busy"] == 0 || got["ok"]+got["busy"] != 40 {
		t.Fatalf("40 logins at once with a 1 ms wait for a slot: %v, want some ok and the rest busy", got)
	}
	if busy.Status != 429 || busy.Params["seconds"] == nil {
		t.Errorf("busy = %+v, want a 429 with seconds to wait", busy)
	}
	for _, lang := range []string{"zh", "en"} {
		t.Logf("%s: %s", lang, busy.Message(lang))
	}
	// A refused login was not counted as a failure: the account is not locked.
	s.HashWait = time.Minute
	if _, err := s.Login(ctx, "a@example.com", "pass-word-1", "10.0.0.1"); err != nil {
		t.Errorf("login after the flood: %v", err)
	}
}

// Ten first-run setups at once create exactly one admin; the others get 409 setup_done, and so
// does any setup once an admin exists.
func TestSetupAtomic(t *testing.T) {
	ctx := context.Background()
	s := openUsers(t)
	got := codes(10, func(i int) error {
		_, err := s.Setup(ctx, fmt.Sprintf("admin%d@example.com", i), "admin-password", "")
		return err
	})
	if got["ok"] != 1 || got["setup_done"] != 9 {
		t.Errorf("10 setups at once: %v, want 1 ok and 9 setup_done", got)
	}
	admins := 0
	for _, u := range s.List() {
		if u.Role == users.Admin {
			admins++
		}
	}
	if admins != 1 {
		t.Errorf("%d admins after 10 setups, want 1", admins)
	}
	if _, err := s.Setup(ctx, "late@example.com", "admin-password", ""); problem.As(err) == nil || problem.As(err).Status != 409 {
		t.Errorf("setup after the first: %v, want 409", err)
	}
}

// An admin created by another process (the CLI beside the server) is seen by Setup, which
// checks the database in the same statement that inserts.
func TestSetupSeesAdminOfAnotherProcess(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	server, err := users.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	cli, err := users.Open(db) // a second cache over the same database
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Create(ctx, access.System, "cli@example.com", "admin-password", "", users.Admin); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Setup(ctx, "web@example.com", "admin-password", ""); problem.As(err) == nil || problem.As(err).Code != "setup_done" {
		t.Errorf("setup while another process made an admin: %v, want setup_done", err)
	}
}

// Two nodes on one database count the same failed sign-ins: three wrong passwords on one and
// two on the other lock the account on both.
func TestThrottleSharedByNodes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	node := func() *users.Service {
		db, err := store.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		s, err := users.Open(db)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := node(), node()
	if _, err := a.Create(ctx, access.System, "boss@example.com", "right-password", "老板", users.Admin); err != nil {
		t.Fatal(err)
	}
	for i, s := range []*users.Service{a, a, a, b, b} {
		if _, err := s.Login(ctx, "boss@example.com", "wrong-password", fmt.Sprintf("10.0.0.%d", i)); problem.As(err) == nil || problem.As(err).Code != "bad_login" {
			t.Fatalf("wrong password %d: %v, want bad_login", i+1, err)
		}
	}
	for name, s := range map[string]*users.Service{"A": a, "B": b} {
		if _, err := s.Login(ctx, "boss@example.com", "right-password", "10.0.1.1"); problem.As(err) == nil || problem.As(err).Code != "throttled" {
			t.Errorf("the right password on %s after five wrong ones on both: %v, want throttled", name, err)
		}
	}
}
