// Package inbox is the users' in-app notification inbox: what rules and dashboard alerts
// tell people (a customer became 高价值客户, a to-do is due), unread until they open it.
package inbox

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// Notice is one notification of one user.
type Notice struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
	Body  string `json:"body"`
	Link  string `json:"link"` // where clicking it leads in the UI, e.g. /t/<table>?record=<id>
	At    string `json:"at"`
	Read  bool   `json:"read"`
}

// Limits of a notice's text.
const (
	maxTitle = 200
	maxBody  = 2000
)

// Service keeps the notifications.
type Service struct {
	DB  *store.DB
	Now func() time.Time
	hub hub // live subscribers, see Subscribe
}

// New returns the inbox over db.
func New(db *store.DB) *Service { return &Service{DB: db, Now: time.Now} }

// SendTx delivers a notice to each user, inside the caller's write transaction (one that
// store.DB.Tx runs); their live subscribers hear of it once it commits.
func (s *Service) SendTx(ctx context.Context, tx *sql.Tx, users []int64, title, body, link string) error {
	at := s.Now().UTC().Format(time.RFC3339)
	title, body = clip(title, maxTitle), clip(body, maxBody)
	for _, u := range dedupe(users) {
		if _, err := tx.ExecContext(ctx, "INSERT INTO _notifications(user_id, title, body, link, at) VALUES(?, ?, ?, ?, ?)",
			u, title, body, link, at); err != nil {
			return err
		}
		s.changed(tx, u)
	}
	return nil
}

// Notify delivers a notice to each user in a transaction of its own (for dashboard alerts).
func (s *Service) Notify(ctx context.Context, users []int64, title, body, link string) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error { return s.SendTx(ctx, tx, users, title, body, link) })
}

// List returns a user's newest notices (only unread ones if unreadOnly) and how many are unread.
func (s *Service) List(ctx context.Context, user int64, unreadOnly bool, limit int) ([]Notice, int, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	q := "SELECT id, title, body, link, at, read_at IS NOT NULL FROM _notifications WHERE user_id = ?"
	if unreadOnly {
		q += " AND read_at IS NULL"
	}
	rows, err := s.DB.R.QueryContext(ctx, q+" ORDER BY id DESC LIMIT ?", user, limit)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Notice{}
	for rows.Next() {
		var n Notice
		if err := rows.Scan(&n.ID, &n.Title, &n.Body, &n.Link, &n.At, &n.Read); err != nil {
			return nil, 0, err
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	unread, err := s.Unread(ctx, user)
	return out, unread, err
}

// Unread counts a user's unread notices.
func (s *Service) Unread(ctx context.Context, user int64) (int, error) {
	var n int
	err := s.DB.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM _notifications WHERE user_id = ? AND read_at IS NULL", user).Scan(&n)
	return n, err
}

// MaxReadIDs is how many notice ids one MarkRead may name; "mark all read" is the nil form.
// One statement of a few thousand ids takes the writer for milliseconds; millions took it for
// seconds, and every save waited.
const MaxReadIDs = 1000

// MarkRead marks the given notices of a user read (all of them when ids is nil), set-wise:
// one UPDATE. More than MaxReadIDs ids are refused with a 400 naming the limit.
func (s *Service) MarkRead(ctx context.Context, user int64, ids []int64) error {
	if len(ids) > MaxReadIDs {
		return problem.Invalid("too_many_ids", "max", MaxReadIDs)
	}
	q := "UPDATE _notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL"
	args := []any{s.Now().UTC().Format(time.RFC3339), user}
	if ids != nil {
		ids = dedupe(ids)
		if len(ids) == 0 {
			return nil
		}
		q += " AND id IN (" + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + ")"
		for _, id := range ids {
			args = append(args, id)
		}
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			s.changed(tx, user) // the user's other tabs and devices update their count
		}
		return nil
	})
}

func init() {
	problem.AddMessage("too_many_ids", "一次最多标记 {max} 条通知为已读；要全部标为已读，请用「全部已读」",
		"at most {max} notices can be marked read at once; to mark all of them read, use \"mark all read\"")
}

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func dedupe(ids []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, id := range ids {
		if id != 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
