// Package users keeps the people who sign in: accounts with argon2id password hashes,
// sessions (opaque tokens stored hashed), and login throttling.
package users

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"

	"tierbase/core/access"
	"tierbase/core/audit"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// Roles.
const (
	Admin  = "admin"
	Member = "member"
)

// User is an account. The password hash never leaves this package. The directory members
// see (see Directory) holds only id, name and whether the person is disabled.
type User struct {
	ID    int64  `json:"id"`
	Email string `json:"email,omitempty"`
	Name  string `json:"name"`
	Role  string `json:"role,omitempty"` // "admin" when Roles holds the 管理员 role, else "member"
	// Roles are the person's role ids (package org defines them); Departments their
	// departments, the main one first.
	Roles       []string `json:"roles,omitempty"`
	Departments []int64  `json:"departments,omitempty"`
	// Disabled people cannot sign in; they keep their records and stay in the directory.
	Disabled bool `json:"disabled,omitempty"`
	// Invited people have no password yet: they are waiting for their invitation (or
	// password reset) link.
	Invited    bool   `json:"invited,omitempty"`
	LastSignIn string `json:"lastSignIn,omitempty"` // RFC 3339, empty until the first sign-in
}

// roleOf is the admin/member role that the role ids amount to.
func roleOf(roles []string) string {
	if slices.Contains(roles, Admin) {
		return Admin
	}
	return Member
}

// Session is a signed-in user's token pair: Token for the Authorization header or the
// session cookie, CSRF for the header cookie clients must echo.
type Session struct {
	Token string
	CSRF  string
	User  User
}

// Service manages accounts and sessions. Users and live sessions are cached in memory,
// so checking a token costs a map lookup.
type Service struct {
	db  *store.DB
	Now func() time.Time

	// HashWait is how long a login or a new password waits for a free hashing slot before it
	// is refused (429 "busy"). There are as many slots as cores: each argon2id hash holds
	// 19 MiB, so a flood of logins costs time, not memory.
	HashWait time.Duration

	mu       sync.RWMutex
	byID     map[int64]User
	sessions map[string]sessionEntry // by token hash
	hashing  chan struct{}           // one token per hash in flight
	setupMu  sync.Mutex              // first-run setups one at a time
	version  atomic.Uint64           // counts changes to byID (see Version)

	// Grants resolves a person's roles and departments for ActorOf (set by package app from
	// package org); nil leaves every actor with nil grants.
	Grants func(u User) *access.Grants
	// RoleExists tells whether a role id may be given to a person (set by package app from
	// package org); nil: only the built-in "admin" and "member" exist.
	RoleExists func(id string) bool
	// DepartmentExists tells whether a department id may be given to a person (set by package
	// app from package org); nil: there are no departments.
	DepartmentExists func(id int64) bool
}

type sessionEntry struct {
	userID  int64
	csrf    string
	expires time.Time
}

// SessionTTL is how long a session lasts without signing in again.
const SessionTTL = 30 * 24 * time.Hour

// Open loads users and sessions.
func Open(db *store.DB) (*Service, error) {
	s := &Service{db: db, Now: time.Now, sessions: map[string]sessionEntry{},
		HashWait: 2 * time.Second, hashing: make(chan struct{}, runtime.GOMAXPROCS(0))}
	if err := s.Reload(context.Background()); err != nil {
		return nil, err
	}
	return s, nil
}

// readUsers reads the user with the given id from the database, or every user when id is 0,
// with their roles and departments, in the order they were given (d: the database's dialect).
func readUsers(ctx context.Context, db store.Querier, d store.Dialect, id int64) (map[int64]User, error) {
	out := map[int64]User{}
	rows, err := db.QueryContext(ctx, `SELECT id, email, name, disabled, password_hash = '', last_sign_in FROM _users
		WHERE CAST(? AS BIGINT) IN (0, id)`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.ID, &u.Email, &u.Name, &u.Disabled, &u.Invited, &u.LastSignIn); err != nil {
			return nil, err
		}
		out[u.ID] = u
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	roles, err := db.QueryContext(ctx, "SELECT user_id, role_id FROM _user_roles WHERE CAST(? AS BIGINT) IN (0, user_id) ORDER BY "+d.InsertionOrder(), id)
	if err != nil {
		return nil, err
	}
	defer roles.Close()
	for roles.Next() {
		var uid int64
		var r string
		if err := roles.Scan(&uid, &r); err != nil {
			return nil, err
		}
		if u, ok := out[uid]; ok {
			u.Roles = append(u.Roles, r)
			out[uid] = u
		}
	}
	if err := roles.Err(); err != nil {
		return nil, err
	}
	depts, err := db.QueryContext(ctx, `SELECT user_id, department_id FROM _user_departments WHERE CAST(? AS BIGINT) IN (0, user_id)
		ORDER BY main DESC, `+d.InsertionOrder(), id)
	if err != nil {
		return nil, err
	}
	defer depts.Close()
	for depts.Next() {
		var uid, d int64
		if err := depts.Scan(&uid, &d); err != nil {
			return nil, err
		}
		if u, ok := out[uid]; ok {
			u.Departments = append(u.Departments, d)
			out[uid] = u
		}
	}
	for uid, u := range out {
		u.Role = roleOf(u.Roles)
		out[uid] = u
	}
	return out, depts.Err()
}

// HasAdmin reports whether any admin exists. Until one does, the first-run page may
// create one.
func (s *Service) HasAdmin() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, u := range s.byID {
		if u.Role == Admin {
			return true
		}
	}
	return false
}

// ActorOf returns the actor who acts as u: the one place an actor is built for a person,
// by the HTTP layer for a session and by the engines for a recipient.
func (s *Service) ActorOf(u User) access.Actor {
	a := access.Actor{UserID: u.ID, Role: u.Role}
	if s.Grants != nil {
		a.Grants = s.Grants(u)
	}
	return a
}

// Version changes whenever a person or their roles or departments change, so that package
// org knows when to rebuild what it derives from List.
func (s *Service) Version() uint64 { return s.version.Load() }

// Get returns the user with the given id.
func (s *Service) Get(id int64) (User, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.byID[id]
	return u, ok
}

// List returns all users ordered by id, for the engines (notifications, assignment).
func (s *Service) List() []User {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]User, 0, len(s.byID))
	for _, u := range s.byID {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b User) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Directory returns the users as the actor may see them, ordered by id: whole for those who
// manage users; id, name and whether they are disabled (what the 负责人 picker needs) for
// everyone else.
func (s *Service) Directory(a access.Actor) []User {
	out := s.List()
	if access.Can(a, access.ManageUsers) != nil {
		for i, u := range out {
			out[i] = User{ID: u.ID, Name: u.Name, Disabled: u.Disabled}
		}
	}
	return out
}

// Create adds a user with a password and one role ("" for member), if the actor may manage
// users: the command line's and the demo's way; Add also invites.
func (s *Service) Create(ctx context.Context, a access.Actor, email, password, name, role string) (User, error) {
	if err := CheckPassword(email, password); err != nil {
		return User{}, err
	}
	u, _, err := s.Add(ctx, a, NewUser{Email: email, Password: password, Name: name, Roles: []string{cmp.Or(role, Member)}})
	return u, err
}

// Setup creates the first admin, as the first-run page does: exactly one setup succeeds, even
// when several are sent at once or another process creates an admin meanwhile; the others,
// and any once an admin exists, get a 409 "setup_done".
func (s *Service) Setup(ctx context.Context, email, password, name string) (User, error) {
	s.setupMu.Lock() // the losers then answer at once instead of each spending a hash
	defer s.setupMu.Unlock()
	if s.HasAdmin() {
		return User{}, problem.New(409, "setup_done")
	}
	if err := CheckPassword(email, password); err != nil {
		return User{}, err
	}
	u, _, err := s.add(ctx, access.System, NewUser{Email: email, Password: password, Name: name, Roles: []string{Admin}}, true)
	return u, err
}

// Login checks the password and opens a session. After five wrong passwords for one email
// (or twenty from one client) within 15 minutes further attempts are refused for a while
// (429 "throttled"). Each attempt is counted before its slow hash, so attempts sent at once
// count each other: of forty wrong passwords sent together, five are checked. A disabled
// person with the right password is told that their account is disabled (403). Each checked
// attempt is logged (操作日志: sign_in, or sign_in_failed with the email tried), with client.
func (s *Service) Login(ctx context.Context, email, password, client string) (Session, error) {
	email = strings.TrimSpace(strings.ToLower(email))
	account, from := "e:"+email, "c:"+client
	var id int64
	var hash string
	var disabled bool
	err := s.db.R.QueryRowContext(ctx, "SELECT id, password_hash, disabled FROM _users WHERE "+s.db.Dialect.FoldedEquals("email"), email).
		Scan(&id, &hash, &disabled)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Session{}, err
	}
	ok, err := s.verify(ctx, account, from, hash, password)
	if err != nil {
		return Session{}, err
	}
	if !ok {
		// The operation log keeps the email tried and the client, never the password.
		err := audit.RecordAt(ctx, s.db, s.Now(), audit.Event{UserID: id, Action: audit.SignInFailed, Detail: map[string]any{"email": email}, Client: client})
		if err != nil {
			return Session{}, err
		}
		return Session{}, problem.New(401, "bad_login")
	}
	if disabled {
		err := audit.RecordAt(ctx, s.db, s.Now(), audit.Event{UserID: id, Action: audit.SignInFailed, Detail: map[string]any{"email": email, "disabled": true}, Client: client})
		if err != nil {
			return Session{}, err
		}
		return Session{}, problem.New(403, "account_disabled")
	}
	u, ok := s.user(id)
	if !ok {
		return Session{}, problem.New(401, "bad_login")
	}
	if err := audit.RecordAt(ctx, s.db, s.Now(), audit.Event{UserID: u.ID, Action: audit.SignIn, Client: client}); err != nil {
		return Session{}, err
	}
	return s.OpenSession(ctx, u)
}

// user returns the user with the given id from memory, or else from the database (one made
// by another process, such as `tierbase user create` while the server runs).
func (s *Service) user(id int64) (User, bool) {
	if u, ok := s.Get(id); ok {
		return u, true
	}
	found, err := readUsers(context.Background(), s.db.R, s.db.Dialect, id)
	u, ok := found[id]
	if err != nil || !ok {
		return User{}, false
	}
	s.mu.Lock()
	s.byID[id] = u
	s.version.Add(1)
	s.mu.Unlock()
	return u, true
}

// verify checks password against hash (an empty hash: no such account, which spends the same
// time) as an attempt on the throttle keys account and from: a locked-out attempt is answered
// at once, without queueing for a hashing slot.
func (s *Service) verify(ctx context.Context, account, from, hash, password string) (bool, error) {
	if wait, err := lockedFor(ctx, s.db.R, s.Now(), account, from); err != nil || wait > 0 {
		return false, cmp.Or(err, throttled(wait))
	}
	ok := false
	err := s.hash(ctx, func() error {
		wait, attempt, err := s.attempt(ctx, s.Now(), account, from)
		if err != nil || wait > 0 {
			return cmp.Or(err, throttled(wait))
		}
		if hash == "" {
			hashPassword(password)
		} else if ok = checkPassword(hash, password); ok {
			return s.succeeded(ctx, account, attempt)
		}
		return nil
	})
	return ok, err
}

func throttled(wait time.Duration) error {
	return problem.New(429, "throttled", "seconds", int(wait.Seconds())+1)
}

// busyRetry is the Retry-After of a login refused because every hashing slot stayed taken.
const busyRetry = 2

// hash runs fn — an argon2id hash or check — in a hashing slot, waiting at most HashWait for
// one; past that it answers 429 "busy".
func (s *Service) hash(ctx context.Context, fn func() error) error {
	timer := time.NewTimer(s.HashWait)
	defer timer.Stop()
	select {
	case s.hashing <- struct{}{}:
	case <-timer.C:
		return problem.New(429, "busy", "seconds", busyRetry)
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.hashing }()
	return fn()
}

// OpenSession creates a session for u and notes when u signed in.
func (s *Service) OpenSession(ctx context.Context, u User) (Session, error) {
	token, csrf := randomToken(), randomToken()
	h := tokenHash(token)
	now := s.Now()
	exp := now.Add(SessionTTL)
	u.LastSignIn = now.UTC().Format(time.RFC3339)
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO _sessions(token_hash, user_id, csrf, expires_at) VALUES(?,?,?,?)",
			h, u.ID, csrf, exp.UTC().Format(time.RFC3339)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "UPDATE _users SET last_sign_in = ? WHERE id = ?", u.LastSignIn, u.ID)
		return err
	})
	if err != nil {
		return Session{}, err
	}
	s.mu.Lock()
	s.sessions[h] = sessionEntry{userID: u.ID, csrf: csrf, expires: exp}
	if c, ok := s.byID[u.ID]; ok {
		c.LastSignIn = u.LastSignIn
		s.byID[u.ID] = c
	}
	s.mu.Unlock()
	return Session{Token: token, CSRF: csrf, User: u}, nil
}

// Authenticate returns the session's user and its CSRF token; a disabled person's sessions
// are refused. Sessions and users are served from memory; one missing there (made by
// another process, such as `tierbase user create` while the server runs) is looked up in
// the database once.
func (s *Service) Authenticate(token string) (User, string, bool) {
	u, csrf, err := s.Session(token)
	return u, csrf, err == nil
}

// Session is Authenticate saying why it refuses: 401 "unauthorized" when the token is no
// live session of an enabled person, or the database's error when it was needed (a session
// or person not in memory) and could not be read, so that an unreachable database is not
// taken for a signed-out user.
func (s *Service) Session(token string) (User, string, error) {
	h := tokenHash(token)
	s.mu.RLock()
	e, ok := s.sessions[h]
	s.mu.RUnlock()
	if !ok {
		var err error
		if e, err = s.loadSession(h); err != nil {
			return User{}, "", err
		}
	}
	u, ok := s.user(e.userID)
	if !ok || u.Disabled || s.Now().After(e.expires) {
		return User{}, "", problem.New(401, "unauthorized")
	}
	return u, e.csrf, nil
}

func (s *Service) loadSession(h string) (sessionEntry, error) {
	var e sessionEntry
	var exp string
	err := s.db.R.QueryRow("SELECT user_id, csrf, expires_at FROM _sessions WHERE token_hash = ?", h).
		Scan(&e.userID, &e.csrf, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return e, problem.New(401, "unauthorized")
	}
	if err != nil {
		return e, err
	}
	e.expires, _ = time.Parse(time.RFC3339, exp)
	s.mu.Lock()
	s.sessions[h] = e
	s.mu.Unlock()
	return e, nil
}

// Logout ends the session.
func (s *Service) Logout(ctx context.Context, token string) error {
	h := tokenHash(token)
	s.mu.Lock()
	delete(s.sessions, h)
	s.mu.Unlock()
	return s.db.Exec(ctx, "DELETE FROM _sessions WHERE token_hash = ?", h)
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// argon2id parameters (OWASP's minimum: 19 MiB, 2 passes).
const (
	argonTime   = 2
	argonMemory = 19 * 1024
	argonKeyLen = 32
)

func hashPassword(pw string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, 1, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=1$%s$%s", argonMemory, argonTime,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

func checkPassword(encoded, pw string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// Failed sign-ins are counted per key (the account tried, the client) in _login_failures,
// so that every node of a database counts the same attempts: with several nodes behind a
// load balancer, a guesser gets no more tries than with one. Five wrong passwords for one
// account, or twenty from one client (an office behind one address holds many people), lock
// that account or client out for a minute.
const (
	maxAccountFailures = 5
	maxClientFailures  = 20
	failureWindow      = 15 * time.Minute
	lockoutPenalty     = time.Minute
)

// lockedFor returns how long the account or the client is locked out at now, 0 if neither is.
func lockedFor(ctx context.Context, q store.Querier, now time.Time, account, client string) (time.Duration, error) {
	rows, err := q.QueryContext(ctx, `SELECT key, COUNT(*), MAX(at) FROM _login_failures WHERE key IN (?, ?) AND at > ? GROUP BY key`,
		account, client, now.Add(-failureWindow).UnixNano())
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var longest time.Duration
	for rows.Next() {
		var key string
		var n int
		var last int64
		if err := rows.Scan(&key, &n, &last); err != nil {
			return 0, err
		}
		limit := maxAccountFailures
		if key == client {
			limit = maxClientFailures
		}
		if w := time.Unix(0, last).Add(lockoutPenalty).Sub(now); n >= limit && w > longest {
			longest = w
		}
	}
	return longest, rows.Err()
}

// attempt counts an attempt at now on both keys as failed unless they are locked out, in
// which case it returns how long they are; else the attempt's id on the client's count, for
// succeeded. The keys' locks make attempts sent at once to any node count one after another;
// failures older than the window are forgotten.
func (s *Service) attempt(ctx context.Context, now time.Time, account, client string) (wait time.Duration, id int64, err error) {
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, k := range slices.Sorted(slices.Values([]string{account, client})) {
			if err := s.db.Dialect.Lock(ctx, tx, "login:"+k); err != nil {
				return err
			}
		}
		if wait, err = lockedFor(ctx, tx, now, account, client); err != nil || wait > 0 {
			return err
		}
		at := now.UnixNano()
		if _, err := tx.ExecContext(ctx, "DELETE FROM _login_failures WHERE at <= ?", now.Add(-failureWindow).UnixNano()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO _login_failures(key, at) VALUES(?, ?)", account, at); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, "INSERT INTO _login_failures(key, at) VALUES(?, ?) RETURNING id", client, at).Scan(&id)
	})
	return wait, id, err
}

// succeeded forgets the account's failures and takes the attempt (its id on the client's
// count) back, so that people signing in behind one address do not lock each other out.
func (s *Service) succeeded(ctx context.Context, account string, attempt int64) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM _login_failures WHERE key = ? OR id = ?", account, attempt)
		return err
	})
}
