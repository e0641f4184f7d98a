package users

import (
	"context"
	"time"
)

// Reload reads the people and the sessions again, after another node changed them (package
// app calls it on store.TopicUsers): a person disabled there, a role given, a session ended
// are then seen here too. It holds the lock while it reads, so a change this process commits
// meanwhile is put into memory after it (see cacheAfter), never overwritten by older rows.
// It takes its connection before the lock: transactions that hold the pool's connections
// wait for the lock (Get), so waiting for a connection while holding it would deadlock.
func (s *Service) Reload(ctx context.Context) error {
	conn, err := s.db.R.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	byID, err := readUsers(ctx, conn, s.db.Dialect, 0)
	if err != nil {
		return err
	}
	rows, err := conn.QueryContext(ctx, "SELECT token_hash, user_id, csrf, expires_at FROM _sessions")
	if err != nil {
		return err
	}
	defer rows.Close()
	sessions := map[string]sessionEntry{}
	for rows.Next() {
		var h, csrf, exp string
		var uid int64
		if err := rows.Scan(&h, &uid, &csrf, &exp); err != nil {
			return err
		}
		t, _ := time.Parse(time.RFC3339, exp)
		sessions[h] = sessionEntry{userID: uid, csrf: csrf, expires: t}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	s.byID, s.sessions = byID, sessions
	s.version.Add(1)
	return nil
}
