package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"
)

// AfterCommit runs what a transaction asked for once it has committed, and not at all for a
// transaction that failed, also when it shared its commit with others (group commit).
func TestAfterCommit(t *testing.T) {
	sqliteOnly(t) // the writer's group commit
	db, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := db.Exec(ctx, "CREATE TABLE t(x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var ran []int
	// Hold the writer so that the three transactions below wait and are committed together.
	hold, held := make(chan struct{}), make(chan struct{})
	go db.Tx(ctx, func(tx *sql.Tx) error { close(held); <-hold; return nil })
	<-held
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range 3 {
		wg.Go(func() {
			errs[i] = db.Tx(ctx, func(tx *sql.Tx) error {
				if _, err := tx.Exec("INSERT INTO t VALUES(?)", i); err != nil {
					return err
				}
				db.AfterCommit(tx, "count", func() {
					var n int
					db.R.QueryRow("SELECT COUNT(*) FROM t WHERE x = ?", i).Scan(&n) // committed: readers see it
					mu.Lock()
					ran = append(ran, i*10+n)
					mu.Unlock()
				})
				db.AfterCommit(tx, "count", func() { t.Error("a second call with the same key ran") })
				if i == 1 {
					return errors.New("the middle one fails")
				}
				return nil
			})
		})
	}
	for len(db.jobs) < 3 { // all three wait for the writer
		time.Sleep(time.Millisecond)
	}
	close(hold)
	wg.Wait()
	if errs[0] != nil || errs[1] == nil || errs[2] != nil {
		t.Fatalf("errors %v", errs)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ran) != 2 || !(ran[0] == 1 && ran[1] == 21 || ran[0] == 21 && ran[1] == 1) {
		t.Fatalf("after commit ran %v, want the first and the last, each seeing its row", ran)
	}
}
