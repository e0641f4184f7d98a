// Package tokens keeps the API tokens (API 令牌) other systems call tierbase with: named,
// limited to chosen tables and to reading or reading and writing, expiring, revocable. A
// token is shown once; only its SHA-256 is stored (the secret is 32 random bytes, so a hash
// without salt or stretching is as strong as the secret). It starts with tb_ so secret
// scanners (GitHub's, gitleaks) can be taught to find it. A token acts for its owner, with
// what the owner may do cut to the token's limits (access.Limit): never more.
package tokens

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"tierbase/core/access"
	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

func init() {
	problem.AddMessage("token_invalid", "API 令牌无效，请检查是否完整复制", "the API token is not valid; check that it was copied whole")
	problem.AddMessage("token_revoked", "API 令牌「{name}」已被撤销，请向管理员申请新的令牌", "the API token \"{name}\" has been revoked; ask for a new one")
	problem.AddMessage("token_expired", "API 令牌「{name}」已于 {at} 过期，请新建一个令牌", "the API token \"{name}\" expired on {at}; create a new one")
	problem.AddMessage("token_read_only", "API 令牌「{name}」是只读的，不能修改数据", "the API token \"{name}\" is read-only: it cannot change anything")
	problem.AddMessage("token_session", "令牌只能在登录后管理，不能用 API 令牌管理", "tokens are managed when signed in, not with an API token")
	problem.AddTerm("token", "API 令牌", "API token")
}

// Prefix starts every token.
const Prefix = "tb_"

// Token is one API token as its owner sees it.
type Token struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Tables are the tables (names; ids accepted on input) the token may reach; none: every
	// table its owner may.
	Tables   []string `json:"tables"`
	ReadOnly bool     `json:"readOnly"`
	// Service marks a service account's token (an integration's, not a person's own): made
	// and seen by every user manager; it still acts with its maker's permissions.
	Service bool   `json:"service"`
	UserID  int64  `json:"userId"`              // the owner
	Expires string `json:"expiresAt,omitempty"` // RFC 3339 (a date on input means its end); "" never
	// Token is the secret, answered once when the token is made.
	Token      string `json:"token,omitempty"`
	Hint       string `json:"hint"` // the first characters, to tell tokens apart
	LastUsedAt string `json:"lastUsedAt,omitempty"`
	CreatedAt  string `json:"createdAt"`
	Revoked    bool   `json:"revoked"`

	tableIDs []string
}

// Service keeps the tokens.
type Service struct {
	DB      *store.DB
	Catalog *schema.Catalog
	Now     func() time.Time

	mu   sync.Mutex
	used map[string]time.Time // when each token's last use was last written
}

// New returns the tokens of db.
func New(db *store.DB, cat *schema.Catalog) *Service {
	return &Service{DB: db, Catalog: cat, Now: time.Now, used: map[string]time.Time{}}
}

// UseEvery is how often at most a token's last use is written (not once per request).
const UseEvery = time.Minute

const maxName = 60

func hash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Create makes a token for by (a service account's when t.Service: only user managers may)
// and answers it with its secret, the one time it is shown.
func (s *Service) Create(ctx context.Context, by access.Actor, t *Token) (*Token, error) {
	if by.UserID == 0 {
		return nil, problem.Forbidden()
	}
	if t.Service {
		if err := access.Can(by, access.ManageUsers); err != nil {
			return nil, err
		}
	}
	t.Name = strings.TrimSpace(t.Name)
	switch {
	case t.Name == "":
		return nil, problem.Invalid("required").At("name")
	case len([]rune(t.Name)) > maxName:
		return nil, problem.Invalid("too_long", "max", maxName).At("name")
	}
	var ids []string
	for _, ref := range t.Tables {
		tb, err := s.Catalog.Table(ref)
		if err != nil {
			return nil, problem.Invalid("unknown_table", "name", ref).At("tables")
		}
		ids = append(ids, tb.ID)
	}
	now := s.Now()
	var expires int64
	if t.Expires != "" {
		at, err := time.Parse(time.RFC3339, t.Expires)
		if err != nil {
			day, derr := time.Parse(time.DateOnly, t.Expires)
			if derr != nil {
				return nil, problem.Invalid("bad_date", "value", t.Expires).At("expiresAt")
			}
			at = day.AddDate(0, 0, 1) // the whole day
		}
		if !at.After(now) {
			return nil, problem.Invalid("too_small", "min", now.UTC().Format(time.DateOnly)).At("expiresAt")
		}
		expires = at.UnixMilli()
	}
	b := make([]byte, 32)
	rand.Read(b)
	secret := Prefix + base64.RawURLEncoding.EncodeToString(b)
	tables, _ := json.Marshal(ids)
	if ids == nil {
		tables = []byte("[]")
	}
	id := schema.NewID("tok")
	err := s.DB.Exec(ctx, `INSERT INTO _tokens(id, user_id, name, hash, hint, tables, read_only, service, expires_at, created_at)
		VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, by.UserID, t.Name, hash(secret), secret[:len(Prefix)+4]+"…",
		string(tables), store.Bool(t.ReadOnly), store.Bool(t.Service), expires, now.UnixMilli())
	if err != nil {
		return nil, err
	}
	out, err := s.get(ctx, id)
	if err != nil {
		return nil, err
	}
	out.Token = secret
	return out, nil
}

const columns = "id, user_id, name, hint, tables, read_only, service, expires_at, last_used_at, revoked_at, created_at"

type scanner interface{ Scan(...any) error }

func (s *Service) scan(row scanner) (*Token, int64, int64, error) {
	var t Token
	var tables string
	var ro, svc int
	var expires, used, revoked, created int64
	if err := row.Scan(&t.ID, &t.UserID, &t.Name, &t.Hint, &tables, &ro, &svc, &expires, &used, &revoked, &created); err != nil {
		return nil, 0, 0, err
	}
	t.ReadOnly, t.Service, t.Revoked = ro == 1, svc == 1, revoked != 0
	json.Unmarshal([]byte(tables), &t.tableIDs)
	t.Tables = []string{}
	for _, id := range t.tableIDs {
		name := id
		if tb, err := s.Catalog.Table(id); err == nil {
			name = tb.Name
		}
		t.Tables = append(t.Tables, name)
	}
	stamp := func(ms int64) string {
		if ms == 0 {
			return ""
		}
		return time.UnixMilli(ms).UTC().Format(time.RFC3339)
	}
	t.Expires, t.LastUsedAt, t.CreatedAt = stamp(expires), stamp(used), stamp(created)
	return &t, expires, revoked, nil
}

func (s *Service) get(ctx context.Context, id string) (*Token, error) {
	t, _, _, err := s.scan(s.DB.R.QueryRowContext(ctx, "SELECT "+columns+" FROM _tokens WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFound("token", id)
	}
	return t, err
}

// List returns by's own tokens and, to user managers, every service account's, newest first.
func (s *Service) List(ctx context.Context, by access.Actor) ([]*Token, error) {
	q := "SELECT " + columns + " FROM _tokens WHERE user_id = ?"
	if access.Can(by, access.ManageUsers) == nil {
		q += " OR service = 1"
	}
	rows, err := s.DB.R.QueryContext(ctx, q+" ORDER BY created_at DESC, id", by.UserID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*Token{}
	for rows.Next() {
		t, _, _, err := s.scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Revoke ends a token at once: its owner may, and user managers a service account's.
func (s *Service) Revoke(ctx context.Context, by access.Actor, id string) error {
	t, err := s.get(ctx, id)
	if err != nil {
		return err
	}
	if t.UserID != by.UserID && !(t.Service && access.Can(by, access.ManageUsers) == nil) {
		return problem.NotFound("token", id) // another person's token is not theirs to see
	}
	return s.DB.Exec(ctx, "UPDATE _tokens SET revoked_at = ? WHERE id = ? AND revoked_at = 0", s.Now().UnixMilli(), id)
}

// Authenticate returns the token whose secret raw is, or a 401 saying why not (unknown,
// revoked, expired). It writes the token's last use at most once a minute.
func (s *Service) Authenticate(ctx context.Context, raw string) (*Token, error) {
	if !strings.HasPrefix(raw, Prefix) {
		return nil, problem.New(401, "token_invalid")
	}
	t, expires, revoked, err := s.scan(s.DB.R.QueryRowContext(ctx, "SELECT "+columns+" FROM _tokens WHERE hash = ?", hash(raw)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.New(401, "token_invalid")
	}
	if err != nil {
		return nil, err
	}
	now := s.Now()
	if revoked != 0 {
		return nil, problem.New(401, "token_revoked", "name", t.Name)
	}
	if expires != 0 && now.UnixMilli() >= expires {
		return nil, problem.New(401, "token_expired", "name", t.Name, "at", t.Expires)
	}
	s.mu.Lock()
	due := now.Sub(s.used[t.ID]) >= UseEvery
	if due {
		s.used[t.ID] = now
	}
	s.mu.Unlock()
	if due {
		if err := s.DB.Exec(ctx, "UPDATE _tokens SET last_used_at = ? WHERE id = ?", now.UnixMilli(), t.ID); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Actor returns what the token may do for its owner (whose actor is owner): the owner's
// permissions cut to the token's tables and, when read-only, to reading.
func (t *Token) Actor(owner access.Actor) access.Actor {
	return access.Limit(owner, t.tableIDs, t.ReadOnly)
}
