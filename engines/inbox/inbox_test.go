package inbox_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"tierbase/engines/inbox"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

func open(t *testing.T) *inbox.Service {
	t.Helper()
	db, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return inbox.New(db)
}

// ids lists a user's notices, newest first.
func ids(t *testing.T, s *inbox.Service, user int64, unreadOnly bool) []int64 {
	t.Helper()
	list, _, err := s.List(context.Background(), user, unreadOnly, 200)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, n := range list {
		out = append(out, n.ID)
	}
	return out
}

func TestMarkRead(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	const alice, bob = 1, 2
	for i := 0; i < 150; i++ {
		if err := s.Notify(ctx, []int64{alice, bob}, "通知", "内容", ""); err != nil {
			t.Fatal(err)
		}
	}
	mine, theirs := ids(t, s, alice, false), ids(t, s, bob, false)
	if len(mine) != 150 || len(theirs) != 150 {
		t.Fatalf("notices: alice %d, bob %d; want 150 each", len(mine), len(theirs))
	}

	// A full request of ids: alice's first 100, repeated, and all of bob's (which stay unread).
	req := append(append(append([]int64{}, mine[:100]...), mine[:100]...), theirs...)
	for len(req) < inbox.MaxReadIDs {
		req = append(req, 1_000_000+int64(len(req))) // no such notice
	}
	if err := s.MarkRead(ctx, alice, req); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Unread(ctx, alice); n != 50 {
		t.Errorf("alice unread = %d, want 50", n)
	}
	if n, _ := s.Unread(ctx, bob); n != 150 {
		t.Errorf("bob unread = %d after alice named his notices, want 150", n)
	}

	// One id over the limit: refused, nothing marked, and the message names the limit and the
	// way to mark everything.
	err := s.MarkRead(ctx, alice, append(req, mine[100]))
	p := problem.As(err)
	if p == nil || p.Status != 400 || p.Code != "too_many_ids" {
		t.Fatalf("MarkRead of %d ids: %v, want a 400 too_many_ids", len(req)+1, err)
	}
	for _, lang := range []string{"zh", "en"} {
		if msg := p.Message(lang); !strings.Contains(msg, "1000") || !strings.Contains(msg, map[string]string{"zh": "全部已读", "en": "mark all read"}[lang]) {
			t.Errorf("%s message %q does not name the limit and the way out", lang, msg)
		}
	}
	if n, _ := s.Unread(ctx, alice); n != 50 {
		t.Errorf("alice unread = %d after a refused request, want 50", n)
	}

	// Nothing named marks nothing; nil marks all of alice's and none of bob's.
	if err := s.MarkRead(ctx, alice, []int64{}); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Unread(ctx, alice); n != 50 {
		t.Errorf("alice unread = %d after an empty request, want 50", n)
	}
	if err := s.MarkRead(ctx, alice, nil); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, s, alice, true); len(got) != 0 {
		t.Errorf("alice still has %d unread after marking all", len(got))
	}
	if n, _ := s.Unread(ctx, bob); n != 150 {
		t.Errorf("bob unread = %d after alice marked all, want 150", n)
	}
}

// A subscriber hears of its own user's notices only, once their transaction has committed:
// nothing while it is open, nothing for one rolled back, nothing for another user's.
func TestSubscribe(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	const alice, bob = 1, 2
	heard := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		case <-time.After(50 * time.Millisecond):
			return false
		}
	}
	a, stopA := s.Subscribe(alice)
	b, stopB := s.Subscribe(bob)
	defer stopB()
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.SendTx(ctx, tx, []int64{alice}, "客户「华为」成为高价值客户", "", ""); err != nil {
			return err
		}
		if heard(a) {
			t.Error("alice heard of a notice before its transaction committed")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !heard(a) {
		t.Error("alice did not hear of her committed notice")
	}
	if heard(b) {
		t.Error("bob heard of alice's notice")
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.SendTx(ctx, tx, []int64{alice, bob}, "rolled back", "", ""); err != nil {
			return err
		}
		return errors.New("the write fails")
	})
	if err == nil {
		t.Fatal("the failing transaction committed")
	}
	if heard(a) || heard(b) {
		t.Error("a rolled-back notice was signalled")
	}
	if err := s.MarkRead(ctx, alice, nil); err != nil {
		t.Fatal(err)
	}
	if !heard(a) {
		t.Error("marking read did not signal alice's other tabs")
	}
	if s.Subscribers() != 2 {
		t.Errorf("%d subscribers, want 2", s.Subscribers())
	}
	stopA()
	stopA()
	if s.Subscribers() != 1 {
		t.Errorf("%d subscribers after one stopped, want 1", s.Subscribers())
	}
}
