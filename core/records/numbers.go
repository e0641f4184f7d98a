package records

import (
	"context"
	"database/sql"
	"maps"
	"time"

	"tierbase/core/schema"
)

// Numbers hands out the autonumbers of records created one after another in a transaction
// (CreateLater: a public form's group of submissions) with one statement per counter rather
// than one per record: the first number of a counter is taken from _sequences as any other
// (an UPSERT, which holds the counter's row until the transaction ends), the next ones from
// memory, and Save writes each counter's last number. Numbers stay unique, increasing and
// without gaps: Mark and Back give the numbers of a record refused in its savepoint back with
// it. One goroutine uses a Numbers, in one transaction.
type Numbers struct {
	last  map[string]int64 // by counter: the last number handed out
	saved map[string]int64 // by counter: the number _sequences holds
	done  bool             // saved: the context's creations take their numbers from _sequences again
}

// NumbersMark is the state of a Numbers to go Back to.
type NumbersMark struct{ last, saved map[string]int64 }

type numbersKey struct{}

// WithNumbers returns ctx whose record creations take their autonumbers from a new Numbers,
// and that Numbers, to Save before tx goes on to anything else that may create records.
func WithNumbers(ctx context.Context) (context.Context, *Numbers) {
	n := &Numbers{last: map[string]int64{}, saved: map[string]int64{}}
	return context.WithValue(ctx, numbersKey{}, n), n
}

// Mark is the state to go Back to should the savepoint begun after it be rolled back.
func (n *Numbers) Mark() NumbersMark {
	return NumbersMark{maps.Clone(n.last), maps.Clone(n.saved)}
}

// Back forgets the numbers handed out since m, which a rollback to a savepoint begun after m
// took back in the database too.
func (n *Numbers) Back(m NumbersMark) {
	n.last, n.saved = m.last, m.saved
}

// Save writes each counter's last number to _sequences, and ends n: creations made after it
// take their numbers from _sequences again.
func (n *Numbers) Save(ctx context.Context, tx *sql.Tx) error {
	n.done = true
	for key, last := range n.last {
		if last == n.saved[key] {
			continue
		}
		if _, err := tx.ExecContext(ctx, "UPDATE _sequences SET value = ? WHERE key = ?", last, key); err != nil {
			return err
		}
		n.saved[key] = last
	}
	return nil
}

// nextNumber renders the next autonumber of f, e.g. KH-20261123-0001: from ctx's Numbers
// when it has the counter, else from _sequences.
func nextNumber(ctx context.Context, tx *sql.Tx, f *schema.Field, now time.Time) (string, error) {
	pattern := f.NumberPattern(now)
	key := f.ID + "|" + pattern
	nums, _ := ctx.Value(numbersKey{}).(*Numbers)
	if nums != nil && !nums.done {
		if last, ok := nums.last[key]; ok {
			nums.last[key] = last + 1
			return schema.FormatNumber(pattern, last+1), nil
		}
	}
	var v int64
	err := tx.QueryRowContext(ctx, `INSERT INTO _sequences(key, value) VALUES(?, 1)
		ON CONFLICT(key) DO UPDATE SET value = _sequences.value + 1 RETURNING value`, key).Scan(&v)
	if err != nil {
		return "", err
	}
	if nums != nil && !nums.done {
		nums.last[key], nums.saved[key] = v, v
	}
	return schema.FormatNumber(pattern, v), nil
}
