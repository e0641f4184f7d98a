// Package comments keeps the comments on records (评论): whoever may read a record reads its
// comments and adds to them, and people @mentioned in one are notified — those who may read
// the record; the others are named back to the writer, never told what they cannot see.
package comments

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/core/users"
	"tierbase/engines/inbox"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

func init() {
	problem.AddMessage("comment_empty", "评论不能为空", "a comment cannot be empty")
	problem.AddMessage("comment_too_long", "评论最多 {max} 个字", "a comment holds at most {max} characters")
	problem.AddMessage("comment_mention", "@ 的成员 {id} 不存在或已停用", "the person @mentioned ({id}) does not exist or is disabled")
	problem.AddMessage("comment_not_yours", "只能删除自己的评论", "you can delete only your own comments")
	problem.AddTerm("comment", "评论", "comment")
}

// Limits of a comment.
const (
	MaxLength   = 2000 // characters
	maxMentions = 50
)

// Comment is one comment on a record.
type Comment struct {
	ID       int64   `json:"id"`
	User     int64   `json:"user"`
	UserName string  `json:"userName"`
	Body     string  `json:"body"`
	Mentions []int64 `json:"mentions"`
	At       string  `json:"at"` // RFC 3339, UTC
}

// Added answers Add: the comment, and the people @mentioned who were not notified because
// they may not read the record.
type Added struct {
	Comment
	NotNotified []int64 `json:"notNotified"`
}

// Service stores the comments.
type Service struct {
	DB      *store.DB
	Records *records.Service
	Users   *users.Service
	Inbox   *inbox.Service
	Now     func() time.Time
}

// New returns the comments of db.
func New(db *store.DB, recs *records.Service, us *users.Service, in *inbox.Service) *Service {
	return &Service{DB: db, Records: recs, Users: us, Inbox: in, Now: time.Now}
}

// List returns the comments on record id of t, oldest first, if the actor may read it.
func (s *Service) List(ctx context.Context, a access.Actor, t *schema.Table, id int64) ([]Comment, error) {
	if _, err := s.Records.Get(ctx, a, t, id); err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, "SELECT id, user_id, body, mentions, at FROM _comments WHERE table_id = ? AND record_id = ? ORDER BY id", t.ID, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Comment{}
	for rows.Next() {
		var c Comment
		var mentions string
		if err := rows.Scan(&c.ID, &c.User, &c.Body, &mentions, &c.At); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(mentions), &c.Mentions); err != nil {
			return nil, err
		}
		c.UserName = s.name(c.User)
		out = append(out, c)
	}
	return out, rows.Err()
}

// Add stores a comment by the actor on record id of t, if they may read it, and notifies
// the people mentioned who may read it too, in the same transaction.
func (s *Service) Add(ctx context.Context, a access.Actor, t *schema.Table, id int64, body string, mentions []int64) (*Added, error) {
	body = strings.TrimSpace(body)
	switch {
	case body == "":
		return nil, problem.Invalid("comment_empty")
	case utf8.RuneCountInString(body) > MaxLength:
		return nil, problem.Invalid("comment_too_long", "max", MaxLength)
	}
	if _, err := s.Records.Get(ctx, a, t, id); err != nil {
		return nil, err
	}
	mentions = slices.Compact(slices.Sorted(slices.Values(mentions)))
	if len(mentions) > maxMentions {
		mentions = mentions[:maxMentions]
	}
	out := &Added{Comment: Comment{User: a.UserID, UserName: s.name(a.UserID), Body: body, Mentions: mentions,
		At: s.Now().UTC().Format(time.RFC3339)}, NotNotified: []int64{}}
	type notice struct {
		user  int64
		title string
	}
	var notices []notice // each told of the record as they see it
	for _, m := range mentions {
		u, ok := s.Users.Get(m)
		if !ok || u.Disabled {
			return nil, problem.Invalid("comment_mention", "id", m)
		}
		if m == a.UserID {
			continue
		}
		seen, err := s.Records.Get(ctx, s.Users.ActorOf(u), t, id)
		if problem.As(err) != nil { // they may not read it
			out.NotNotified = append(out.NotNotified, m)
			continue
		}
		if err != nil {
			return nil, err
		}
		notices = append(notices, notice{m, fmt.Sprintf("%s 在%s「%s」的评论中提到了你", out.UserName, t.Name, recordTitle(t, seen))})
	}
	list, _ := json.Marshal(mentions)
	link := fmt.Sprintf("/t/%s?record=%d", t.ID, id)
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "INSERT INTO _comments(table_id, record_id, user_id, body, mentions, at) VALUES(?, ?, ?, ?, ?, ?) RETURNING id",
			t.ID, id, a.UserID, body, string(list), out.At).Scan(&out.ID); err != nil {
			return err
		}
		for _, n := range notices {
			if err := s.Inbox.SendTx(ctx, tx, []int64{n.user}, n.title, body, link); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Delete removes comment id on record rec of t: its writer may, if they still may read the
// record; an admin may remove anyone's.
func (s *Service) Delete(ctx context.Context, a access.Actor, t *schema.Table, rec, id int64) error {
	if _, err := s.Records.Get(ctx, a, t, rec); err != nil {
		return err
	}
	var writer int64
	err := s.DB.R.QueryRowContext(ctx, "SELECT user_id FROM _comments WHERE id = ? AND table_id = ? AND record_id = ?", id, t.ID, rec).Scan(&writer)
	if err == sql.ErrNoRows {
		return problem.NotFound("comment", fmt.Sprint(id))
	}
	if err != nil {
		return err
	}
	if writer != a.UserID && !a.Admin() {
		return problem.New(403, "comment_not_yours")
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM _comments WHERE id = ?", id)
		return err
	})
}

func (s *Service) name(id int64) string {
	if u, ok := s.Users.Get(id); ok {
		return u.Name
	}
	return fmt.Sprint(id)
}

// recordTitle is what a notice calls the record: its title field, else its number.
func recordTitle(t *schema.Table, rec records.Record) string {
	if f := t.Title(); f != nil {
		if v, ok := rec[f.ID].(string); ok && v != "" {
			return v
		}
	}
	return fmt.Sprintf("#%v", rec["id"])
}
