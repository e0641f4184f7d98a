package inbox

import (
	"database/sql"
	"sync"
)

// hub tells live subscribers (the UI's notification stream) that a user's inbox changed.
type hub struct {
	mu   sync.Mutex
	subs map[int64]map[chan struct{}]struct{}
	n    int
}

// Subscribe returns a channel that receives a signal after each committed change of the
// user's inbox (a notice delivered, notices marked read), and the function that ends the
// subscription. Signals do not queue: a subscriber busy when several arrive sees one, and
// reads the inbox afresh. Nothing is signalled for a transaction that rolls back.
func (s *Service) Subscribe(user int64) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h := &s.hub
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[int64]map[chan struct{}]struct{}{}
	}
	if h.subs[user] == nil {
		h.subs[user] = map[chan struct{}]struct{}{}
	}
	h.subs[user][ch] = struct{}{}
	h.n++
	h.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs[user], ch)
			if len(h.subs[user]) == 0 {
				delete(h.subs, user)
			}
			h.n--
			h.mu.Unlock()
		})
	}
}

// Subscribers counts the open subscriptions (to see that closed streams let go of theirs).
func (s *Service) Subscribers() int {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.hub.n
}

// changedKey names one user's "inbox changed" signal among a transaction's after-commit work.
type changedKey struct {
	s    *Service
	user int64
}

// changed signals the user's subscribers once tx has committed.
func (s *Service) changed(tx *sql.Tx, user int64) {
	s.DB.AfterCommit(tx, changedKey{s, user}, func() { s.publish(user) })
}

func (s *Service) publish(user int64) {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	for ch := range s.hub.subs[user] {
		select {
		case ch <- struct{}{}:
		default: // a signal is already waiting
		}
	}
}
