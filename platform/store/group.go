package store

import (
	"context"
	"database/sql"
	"sync"
)

// Group stores requests of one kind that arrive at the same time together: requests
// arriving while a transaction stores others wait for it, then are written together in the
// next one by Write, so that a group shares one transaction (its own, see txAlone) and whatever Write makes of
// many at once (a multi-row INSERT, one pass of the rules, one clean-up) — what lets
// requests sent one at a time keep up on SQLite's single writer. Should a group's
// transaction fail, each of its requests is written again alone, so that each succeeds or
// fails on its own. The transaction is no caller's: one hanging up does not undo the others.
//
// Write sees a group of one or more requests, in the order they arrived; what it returns
// is the outcome of all of them. A request that may fail alone without failing the others
// (a form's submission) is written by Write in a savepoint of its own, and its outcome kept
// in the request.
type Group[R any] struct {
	DB    *DB
	Write func(ctx context.Context, tx *sql.Tx, group []R) error

	mu      sync.Mutex
	waiting []waiting[R]
	storing bool // a goroutine is storing the waiting requests
}

type waiting[R any] struct {
	r    R
	done chan error
}

// Do stores r with the requests waiting beside it and returns its group's outcome.
func (g *Group[R]) Do(r R) error {
	w := waiting[R]{r, make(chan error, 1)}
	g.mu.Lock()
	g.waiting = append(g.waiting, w)
	if !g.storing {
		g.storing = true
		go g.storeWaiting()
	}
	g.mu.Unlock()
	return <-w.done
}

// storeWaiting stores the waiting requests, a group at a time, until none waits.
func (g *Group[R]) storeWaiting() {
	g.mu.Lock()
	for len(g.waiting) > 0 {
		group := g.waiting
		g.waiting = nil
		g.mu.Unlock()
		g.store(group)
		g.mu.Lock()
	}
	g.storing = false
	g.mu.Unlock()
}

// store writes a group in one transaction, or each request alone if that fails, and
// answers each.
func (g *Group[R]) store(group []waiting[R]) {
	ctx := context.Background()
	rs := make([]R, len(group))
	for i, w := range group {
		rs[i] = w.r
	}
	err := g.DB.txAlone(ctx, func(tx *sql.Tx) error { return g.Write(ctx, tx, rs) })
	if err == nil || len(group) == 1 {
		for _, w := range group {
			w.done <- err
		}
		return
	}
	for _, w := range group {
		w.done <- g.DB.Tx(ctx, func(tx *sql.Tx) error { return g.Write(ctx, tx, []R{w.r}) })
	}
}
