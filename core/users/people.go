package users

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"tierbase/core/access"
	"tierbase/core/audit"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// InviteTTL is how long an invitation or password reset link may be used.
const InviteTTL = 7 * 24 * time.Hour

// NewUser is a person an admin adds (成员管理). Without a password they are invited: Add
// returns a one-time link token with which they set one.
type NewUser struct {
	Email       string   `json:"email"`
	Password    string   `json:"password"`
	Name        string   `json:"name"`
	Roles       []string `json:"roles"`       // nil: member
	Departments []int64  `json:"departments"` // the main one first
}

// Patch is an admin's edit of a person; nil fields stay as they are.
type Patch struct {
	Name        *string   `json:"name"`
	Email       *string   `json:"email"`
	Roles       *[]string `json:"roles"`
	Departments *[]int64  `json:"departments"`
}

// Add adds a person, if the actor may manage users. Without a password the person is
// invited: the returned token makes their one-time link (/invite/<token>).
func (s *Service) Add(ctx context.Context, a access.Actor, n NewUser) (User, string, error) {
	if err := access.Can(a, access.ManageUsers); err != nil {
		return User{}, "", err
	}
	if n.Password != "" {
		if err := CheckPassword(n.Email, n.Password); err != nil {
			return User{}, "", err
		}
	}
	return s.add(ctx, a, n, false)
}

// add adds a person whose password, if any, passed the policy; firstAdmin inserts only while
// the database has no admin, in the same statement, so that the check and the insert cannot
// be separated.
func (s *Service) add(ctx context.Context, a access.Actor, n NewUser, firstAdmin bool) (User, string, error) {
	u, err := s.newUser(a, n)
	if err != nil {
		return User{}, "", err
	}
	if u.Departments, err = s.checkDepartments(u.Departments); err != nil {
		return User{}, "", err
	}
	var hash string
	if n.Password != "" {
		u.Invited = false
		if err := s.hash(ctx, func() error { hash = hashPassword(n.Password); return nil }); err != nil {
			return User{}, "", err
		}
	}
	var token string
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		token, err = s.insert(ctx, tx, a, &u, hash, firstAdmin)
		return err
	})
	if err != nil {
		if _, taken := store.UniqueViolation(err); taken {
			return User{}, "", problem.New(409, "email_taken", "email", u.Email).OnField("email")
		}
		return User{}, "", err
	}
	return u, token, nil
}

// newUser checks a new person's email, name and roles (not their departments) and answers
// them as an invited person, the actor being allowed to give those roles.
func (s *Service) newUser(a access.Actor, n NewUser) (User, error) {
	email, err := cleanEmail(n.Email)
	if err != nil {
		return User{}, err
	}
	u := User{Email: email, Roles: n.Roles, Departments: n.Departments, Invited: true}
	if u.Roles == nil {
		u.Roles = []string{Member}
	}
	if strings.TrimSpace(n.Name) == "" {
		n.Name = strings.SplitN(email, "@", 2)[0]
	}
	if u.Name, err = cleanName(n.Name); err != nil {
		return User{}, err
	}
	if u.Roles, err = s.checkRoles(u.Roles); err != nil {
		return User{}, err
	}
	if err := grantsAdmin(a, nil, u.Roles); err != nil {
		return User{}, err
	}
	u.Role = roleOf(u.Roles)
	return u, nil
}

// insert stores the checked person u in tx with the password hash (empty: invited, and the
// token of their link is answered), setting u.ID; memory holds them once tx commits.
func (s *Service) insert(ctx context.Context, tx *sql.Tx, a access.Actor, u *User, hash string, firstAdmin bool) (string, error) {
	q := "INSERT INTO _users(email, name, role, password_hash, created_at) VALUES(?,?,?,?,?) RETURNING id"
	if firstAdmin {
		if err := s.db.Dialect.Lock(ctx, tx, adminsLock); err != nil {
			return "", err
		}
		q = "INSERT INTO _users(email, name, role, password_hash, created_at) SELECT ?,?,?,?,? WHERE NOT EXISTS (SELECT 1 FROM _users WHERE role = 'admin') RETURNING id"
	}
	err := tx.QueryRowContext(ctx, q, u.Email, u.Name, u.Role, hash, s.Now().UTC().Format(time.RFC3339)).Scan(&u.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", problem.New(409, "setup_done") // an admin was created meanwhile
	} else if err != nil {
		return "", err
	}
	if err := writeMemberships(ctx, tx, *u); err != nil {
		return "", err
	}
	var token string
	if u.Invited {
		if token, err = s.issueInvite(ctx, tx, u.ID); err != nil {
			return "", err
		}
	}
	s.cacheAfter(tx, u)
	return token, s.audit(ctx, tx, a, u.ID, "added", map[string]any{"email": u.Email, "name": u.Name,
		"roles": u.Roles, "departments": u.Departments, "invited": u.Invited})
}

func cleanEmail(email string) (string, error) {
	email = strings.TrimSpace(strings.ToLower(email))
	if !strings.Contains(email, "@") || len(email) > 200 {
		return "", problem.Invalid("bad_email", "value", email).OnField("email")
	}
	return email, nil
}

// maxName is the most characters a person's name may have.
const maxName = 100

// cleanName returns the name without surrounding spaces, or a 400 when it is empty or too long.
func cleanName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", problem.Invalid("required").OnField("name")
	}
	if len([]rune(name)) > maxName {
		return "", problem.Invalid("too_long", "max", maxName).OnField("name")
	}
	return name, nil
}

// checkRoles returns the role ids without repeats, or a 400 naming one that does not exist.
func (s *Service) checkRoles(roles []string) ([]string, error) {
	if len(roles) == 0 {
		return nil, problem.Invalid("need_role").OnField("roles")
	}
	out := []string{}
	for _, r := range roles {
		ok := r == Admin || r == Member
		if s.RoleExists != nil {
			ok = s.RoleExists(r)
		}
		if !ok {
			return nil, problem.Invalid("unknown_role", "id", r).OnField("roles")
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// grantsAdmin refuses a change of roles from before to after that gives or takes the 管理员
// role unless the actor is an admin: managing people does not make one an admin.
func grantsAdmin(a access.Actor, before, after []string) error {
	if slices.Contains(before, Admin) != slices.Contains(after, Admin) && !a.Admin() {
		return problem.New(403, "not_allowed", "kind", "admin_role").OnField("roles")
	}
	return nil
}

// checkDepartments returns the department ids without repeats, or a 400 naming one that does
// not exist.
func (s *Service) checkDepartments(depts []int64) ([]int64, error) {
	var out []int64
	for _, d := range depts {
		if s.DepartmentExists == nil || !s.DepartmentExists(d) {
			return nil, problem.Invalid("unknown_department", "id", d).OnField("departments")
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out, nil
}

// writeMemberships replaces u's stored roles and departments (the first department main).
func writeMemberships(ctx context.Context, tx *sql.Tx, u User) error {
	for _, q := range []string{"DELETE FROM _user_roles WHERE user_id = ?", "DELETE FROM _user_departments WHERE user_id = ?"} {
		if _, err := tx.ExecContext(ctx, q, u.ID); err != nil {
			return err
		}
	}
	for _, r := range u.Roles {
		if _, err := tx.ExecContext(ctx, "INSERT INTO _user_roles(user_id, role_id) VALUES(?,?)", u.ID, r); err != nil {
			return err
		}
	}
	for i, d := range u.Departments {
		if _, err := tx.ExecContext(ctx, "INSERT INTO _user_departments(user_id, department_id, main) VALUES(?,?,?)",
			u.ID, d, flag(i == 0)); err != nil {
			return err
		}
	}
	return nil
}

// audit writes in tx that the actor changed the person id: change says how ("added",
// "edited", "disabled", …), detail what changed. Never a password or a token.
func (s *Service) audit(ctx context.Context, tx *sql.Tx, a access.Actor, id int64, change string, detail map[string]any) error {
	d := map[string]any{"user": id, "change": change}
	maps.Copy(d, detail)
	return audit.Write(ctx, tx, s.Now(), audit.Event{UserID: a.UserID, Action: audit.UserChange, Detail: d})
}

// cacheAfter puts *u into memory once tx commits (as it is then), so that memory follows the
// commits in their order.
func (s *Service) cacheAfter(tx *sql.Tx, u *User) {
	s.db.AfterCommit(tx, u, func() {
		s.mu.Lock()
		s.byID[u.ID] = *u
		s.version.Add(1)
		s.mu.Unlock()
	})
}

// flag is b as the 0 or 1 stored in the INTEGER yes/no columns (disabled, main): SQLite's
// driver turns a Go bool into one, PostgreSQL's refuses a bool for an integer.
func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// adminsLock is the lock (store.Dialect.Lock) held while a transaction checks who the
// admins are and then changes them: the first admin, the last enabled one.
const adminsLock = "users.admins"

// lastAdmin reports whether, in tx, u is the only enabled admin.
func lastAdmin(ctx context.Context, tx *sql.Tx, u User) (bool, error) {
	if u.Role != Admin || u.Disabled {
		return false, nil
	}
	var others bool
	err := tx.QueryRowContext(ctx, "SELECT EXISTS(SELECT 1 FROM _users WHERE role = ? AND disabled = 0 AND id != ?)", Admin, u.ID).Scan(&others)
	return !others, err
}

// change applies fn to the person id as the actor, if the actor may manage users.
func (s *Service) change(ctx context.Context, a access.Actor, id int64, fn func(tx *sql.Tx, u *User) error) (User, error) {
	if err := access.Can(a, access.ManageUsers); err != nil {
		return User{}, err
	}
	var u User
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		u, err = s.changeTx(ctx, tx, id, fn)
		return err
	})
	return u, err
}

// changeTx applies fn to the person id in tx: fn edits the copy of the person, as tx holds
// them, and writes the change in tx; the edited person is then kept unless they would leave
// no enabled admin (409 "last_admin"); tx holds adminsLock, so that two nodes cannot both
// pass that check. Memory holds them once tx commits.
func (s *Service) changeTx(ctx context.Context, tx *sql.Tx, id int64, fn func(tx *sql.Tx, u *User) error) (User, error) {
	if err := s.db.Dialect.Lock(ctx, tx, adminsLock); err != nil {
		return User{}, err
	}
	found, err := readUsers(ctx, tx, s.db.Dialect, id)
	if err != nil {
		return User{}, err
	}
	old, ok := found[id]
	if !ok {
		return User{}, problem.NotFound("user", "#"+strconv.FormatInt(id, 10))
	}
	u := old
	u.Roles, u.Departments = slices.Clone(old.Roles), slices.Clone(old.Departments)
	if err := fn(tx, &u); err != nil {
		return User{}, err
	}
	u.Role = roleOf(u.Roles)
	if u.Role != Admin || u.Disabled {
		if last, err := lastAdmin(ctx, tx, old); err != nil {
			return User{}, err
		} else if last {
			return User{}, problem.New(409, "last_admin")
		}
	}
	if _, err := tx.ExecContext(ctx, "UPDATE _users SET role = ?, disabled = ? WHERE id = ?", u.Role, flag(u.Disabled), u.ID); err != nil {
		return User{}, err
	}
	s.cacheAfter(tx, &u)
	return u, nil
}

// Update edits a person's name, email, roles and departments.
func (s *Service) Update(ctx context.Context, a access.Actor, id int64, p Patch) (User, error) {
	if p.Departments != nil {
		depts, err := s.checkDepartments(*p.Departments)
		if err != nil {
			return User{}, err
		}
		p.Departments = &depts
	}
	return s.change(ctx, a, id, s.edit(ctx, a, p))
}

// edit is the change of Update: it applies p, whose departments exist, to the person in tx.
func (s *Service) edit(ctx context.Context, a access.Actor, p Patch) func(tx *sql.Tx, u *User) error {
	return func(tx *sql.Tx, u *User) error {
		changed := map[string]any{}
		if p.Name != nil {
			name, err := cleanName(*p.Name)
			if err != nil {
				return err
			}
			if name != u.Name {
				u.Name, changed["name"] = name, name
			}
		}
		if p.Email != nil {
			email, err := cleanEmail(*p.Email)
			if err != nil {
				return err
			}
			if email != u.Email {
				u.Email, changed["email"] = email, email
			}
		}
		if p.Roles != nil {
			roles, err := s.checkRoles(*p.Roles)
			if err != nil {
				return err
			}
			if err := grantsAdmin(a, u.Roles, roles); err != nil {
				return err
			}
			if !slices.Equal(roles, u.Roles) {
				u.Roles, changed["roles"] = roles, roles
			}
		}
		if p.Departments != nil && !slices.Equal(*p.Departments, u.Departments) {
			u.Departments, changed["departments"] = *p.Departments, *p.Departments
		}
		if len(changed) == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, "UPDATE _users SET name = ?, email = ? WHERE id = ?", u.Name, u.Email, u.ID); err != nil {
			if _, taken := store.UniqueViolation(err); taken {
				return problem.New(409, "email_taken", "email", u.Email).OnField("email")
			}
			return err
		}
		if err := writeMemberships(ctx, tx, *u); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, u.ID, "edited", changed)
	}
}

// SetDisabled disables (or enables again) a person. A disabled person cannot sign in and
// every session of theirs ends at once; they keep their records and stay in the directory.
func (s *Service) SetDisabled(ctx context.Context, a access.Actor, id int64, disabled bool) (User, error) {
	u, err := s.change(ctx, a, id, func(tx *sql.Tx, u *User) error {
		if u.Disabled == disabled {
			return nil
		}
		u.Disabled = disabled
		if disabled {
			if err := endSessions(ctx, tx, u.ID, ""); err != nil {
				return err
			}
			return s.audit(ctx, tx, a, u.ID, "disabled", nil)
		}
		return s.audit(ctx, tx, a, u.ID, "enabled", nil)
	})
	if err == nil && disabled {
		s.forgetSessions(id, "")
	}
	return u, err
}

// Invite makes a fresh invitation link for a person who has not set a password yet; earlier
// links stop working.
func (s *Service) Invite(ctx context.Context, a access.Actor, id int64) (string, error) {
	var token string
	_, err := s.change(ctx, a, id, func(tx *sql.Tx, u *User) error {
		if !u.Invited {
			return problem.New(409, "invite_not_needed")
		}
		var err error
		if token, err = s.issueInvite(ctx, tx, u.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, u.ID, "invited", nil)
	})
	return token, err
}

// ResetPassword clears a person's password, ends their sessions and returns the token of a
// one-time link with which they set a new one (as an invitation).
func (s *Service) ResetPassword(ctx context.Context, a access.Actor, id int64) (string, error) {
	var token string
	_, err := s.change(ctx, a, id, func(tx *sql.Tx, u *User) error {
		u.Invited = true
		if _, err := tx.ExecContext(ctx, "UPDATE _users SET password_hash = '' WHERE id = ?", u.ID); err != nil {
			return err
		}
		if err := endSessions(ctx, tx, u.ID, ""); err != nil {
			return err
		}
		var err error
		if token, err = s.issueInvite(ctx, tx, u.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, u.ID, "password_reset", nil)
	})
	if err == nil {
		s.forgetSessions(id, "")
	}
	return token, err
}

// issueInvite stores a new one-time link for the user, valid for InviteTTL, and ends the
// earlier ones.
func (s *Service) issueInvite(ctx context.Context, tx *sql.Tx, id int64) (string, error) {
	if _, err := tx.ExecContext(ctx, "UPDATE _invites SET used = 1 WHERE user_id = ?", id); err != nil {
		return "", err
	}
	token := randomToken()
	_, err := tx.ExecContext(ctx, "INSERT INTO _invites(token_hash, user_id, expires_at) VALUES(?,?,?)",
		tokenHash(token), id, s.Now().Add(InviteTTL).UTC().Format(time.RFC3339))
	return token, err
}

// Invitation returns the person a one-time link is for, or a 410 when it was used, replaced
// or has expired.
func (s *Service) Invitation(ctx context.Context, token string) (User, error) {
	var id int64
	var exp string
	var used bool
	err := s.db.R.QueryRowContext(ctx, "SELECT user_id, expires_at, used FROM _invites WHERE token_hash = ?", tokenHash(token)).
		Scan(&id, &exp, &used)
	if errors.Is(err, sql.ErrNoRows) || used {
		return User{}, problem.New(410, "invite_used")
	} else if err != nil {
		return User{}, err
	}
	if t, _ := time.Parse(time.RFC3339, exp); s.Now().After(t) {
		return User{}, problem.New(410, "invite_expired", "days", int(InviteTTL.Hours()/24))
	}
	u, ok := s.user(id)
	if !ok {
		return User{}, problem.New(410, "invite_used")
	}
	if u.Disabled {
		return User{}, problem.New(403, "account_disabled")
	}
	return u, nil
}

// AcceptInvite sets the password of the person a one-time link is for and uses the link up.
func (s *Service) AcceptInvite(ctx context.Context, token, password string) (User, error) {
	u, err := s.Invitation(ctx, token)
	if err != nil {
		return User{}, err
	}
	if err := CheckPassword(u.Email, password); err != nil {
		return User{}, err
	}
	var hash string
	if err := s.hash(ctx, func() error { hash = hashPassword(password); return nil }); err != nil {
		return User{}, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE _invites SET used = 1 WHERE token_hash = ? AND used = 0", tokenHash(token))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return problem.New(410, "invite_used") // used meanwhile
		}
		if _, err := tx.ExecContext(ctx, "UPDATE _users SET password_hash = ? WHERE id = ?", hash, u.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, access.Actor{UserID: u.ID}, u.ID, "password_set", nil)
	})
	if err != nil {
		return User{}, err
	}
	s.mu.Lock()
	u = s.byID[u.ID]
	u.Invited = false
	s.byID[u.ID] = u
	s.mu.Unlock()
	return u, nil
}

// Rename changes the actor's own name.
func (s *Service) Rename(ctx context.Context, a access.Actor, name string) (User, error) {
	name, err := cleanName(name)
	if err != nil {
		return User{}, err
	}
	return s.change(ctx, access.System, a.UserID, func(tx *sql.Tx, u *User) error {
		if _, err := tx.ExecContext(ctx, "UPDATE _users SET name = ? WHERE id = ?", name, u.ID); err != nil {
			return err
		}
		u.Name = name
		return s.audit(ctx, tx, a, u.ID, "edited", map[string]any{"name": name})
	})
}

// ChangePassword changes the actor's own password after checking the current one (wrong
// guesses are throttled as sign-ins are). The person's other sessions end; the one with the
// token keep stays.
func (s *Service) ChangePassword(ctx context.Context, a access.Actor, keep, current, password string) error {
	u, ok := s.Get(a.UserID)
	if !ok {
		return problem.New(401, "unauthorized")
	}
	var hash string
	if err := s.db.R.QueryRowContext(ctx, "SELECT password_hash FROM _users WHERE id = ?", u.ID).Scan(&hash); err != nil {
		return err
	}
	// Guesses count against the account, as sign-ins do, and against the session.
	ok, err := s.verify(ctx, "e:"+u.Email, "s:"+tokenHash(keep), hash, current)
	if err != nil {
		return err
	}
	if !ok {
		return problem.Invalid("wrong_password").OnField("current")
	}
	if err := CheckPassword(u.Email, password); err != nil {
		return err
	}
	if err := s.hash(ctx, func() error { hash = hashPassword(password); return nil }); err != nil {
		return err
	}
	keepHash := tokenHash(keep)
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE _users SET password_hash = ? WHERE id = ?", hash, u.ID); err != nil {
			return err
		}
		if err := endSessions(ctx, tx, u.ID, keepHash); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, u.ID, "password_changed", nil)
	})
	if err == nil {
		s.forgetSessions(u.ID, keepHash)
	}
	return err
}

// endSessions deletes the user's sessions in tx, all but the one whose token hash is keep;
// forgetSessions then drops them from memory.
func endSessions(ctx context.Context, tx *sql.Tx, id int64, keep string) error {
	_, err := tx.ExecContext(ctx, "DELETE FROM _sessions WHERE user_id = ? AND token_hash != ?", id, keep)
	return err
}

func (s *Service) forgetSessions(id int64, keep string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, e := range s.sessions {
		if e.userID == id && h != keep {
			delete(s.sessions, h)
		}
	}
}

func init() {
	problem.AddMessage("account_disabled", "账号已停用，请联系管理员", "this account is disabled; ask an administrator")
	problem.AddMessage("last_admin", "这是最后一位启用中的管理员，不能停用或去掉管理员角色；请先让另一位成员成为管理员", "this is the last enabled administrator, who cannot be disabled or lose the admin role; make someone else an administrator first")
	problem.AddMessage("need_role", "请至少选择一个角色", "choose at least one role")
	problem.AddMessage("unknown_role", "没有角色「{id}」，请从「角色」页面已有的角色中选择", "there is no role \"{id}\"; choose one of the roles on the Roles page")
	problem.AddMessage("unknown_department", "没有编号为 {id} 的部门，请从「部门」页面已有的部门中选择", "there is no department with id {id}; choose one of the departments on the Departments page")
	problem.AddMessage("invite_used", "这个链接已使用过或已被新链接取代，请向管理员要一个新链接", "this link was already used or replaced by a newer one; ask an administrator for a new link")
	problem.AddMessage("invite_expired", "这个链接已过期（有效 {days} 天），请向管理员要一个新链接", "this link has expired (links last {days} days); ask an administrator for a new link")
	problem.AddMessage("invite_not_needed", "此成员已设置密码，无需邀请；如忘记密码请用「重置密码」", "this person already has a password; use Reset password if they forgot it")
	problem.AddMessage("wrong_password", "当前密码不正确，请重新输入", "the current password is wrong; enter it again")
}

// Enroll makes sure a person with the email exists and has the roles (nil: as they are, or
// 成员 for someone new) and departments (the main one first), for the demo: an existing
// person's memberships are replaced, someone new is invited (no password yet). It answers
// their id.
func (s *Service) Enroll(ctx context.Context, a access.Actor, email, name string, roles []string, departments []int64) (int64, error) {
	departments, err := s.checkDepartments(departments)
	if err != nil {
		return 0, err
	}
	var id int64
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = s.EnrollTx(ctx, tx, a, email, name, roles, departments)
		return err
	})
	return id, err
}

// EnrollTx is Enroll inside the caller's write transaction tx, for the organisation import,
// which makes the departments in that same transaction: they are taken as given, without
// repeats. Memory shows the person once tx commits, and not at all if it rolls back.
func (s *Service) EnrollTx(ctx context.Context, tx *sql.Tx, a access.Actor, email, name string, roles []string, departments []int64) (int64, error) {
	if err := access.Can(a, access.ManageUsers); err != nil {
		return 0, err
	}
	email, err := cleanEmail(email)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.QueryRowContext(ctx, "SELECT id FROM _users WHERE email = ?", email).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		u, err := s.newUser(a, NewUser{Email: email, Name: name, Roles: roles, Departments: departments})
		if err != nil {
			return 0, err
		}
		_, err = s.insert(ctx, tx, a, &u, "", false)
		return u.ID, err
	} else if err != nil {
		return 0, err
	}
	p := Patch{Departments: &departments}
	if roles != nil {
		p.Roles = &roles
	}
	_, err = s.changeTx(ctx, tx, id, s.edit(ctx, a, p))
	return id, err
}
