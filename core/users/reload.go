package users

import (
	"context"
	"time"
)

// Reload reads the people and the sessions again, after another node changed them (package
// app calls it on store.TopicUsers): a person disabled there, a role given, a session ended
// are then seen here too. It holds the lock while it reads, so a change this process commits
// meanwhile is put into memory after it (see cacheAfter), never overwritten by older rows.
//
// It takes its connection before the lock: transactions hold a connection while they look
// people up (Get), so a Reload holding the lock while it waited for the pool's last connection
// would wait for them while they wait for it — seen on PostgreSQL, when the reloads after a
// reconnection met a backlog of rule jobs and the node stopped answering.
func (s *Service) Reload(ctx context.Context) error {
	tx, err := s.db.R.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // it only reads
	s.mu.Lock()
	defer s.mu.Unlock()
	byID, err := readUsers(ctx, tx, s.db.Dialect, 0)
	if err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, "SELECT token_hash, user_id, csrf, expires_at FROM _sessions")
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
