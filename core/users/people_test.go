package users_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"tierbase/core/access"
	"tierbase/core/users"
	"tierbase/platform/problem"
	"tierbase/platform/store"

	_ "github.com/mattn/go-sqlite3"
)

// people opens a service with an admin (boss) and returns them as an actor.
func people(t *testing.T) (*users.Service, string, users.User, access.Actor) {
	t.Helper()
	us, dir := open(t)
	boss, err := us.Create(ctx, access.System, "boss@example.com", "boss-password", "老板", users.Admin)
	if err != nil {
		t.Fatal(err)
	}
	return us, dir, boss, us.ActorOf(boss)
}

// auditCount counts the user_change events in the operation log.
func auditCount(t *testing.T, dir string) int {
	t.Helper()
	var n int
	if err := openedDB(dir).R.QueryRow("SELECT count(*) FROM _audit WHERE action = 'user_change'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPasswordPolicy(t *testing.T) {
	for _, c := range []struct{ pw, code string }{
		{"short", "password_too_short"},
		{"七个汉字的密码", "password_too_short"},
		{"Zhang.Wei", "password_is_email"},
		{"zhang.wei@example.com", "password_is_email"},
		{"Password1", "password_common"},
		{"iloveyou", "password_common"},
		{"qwertyuiop", "password_common"},
		{"zhang.wei-2026", ""},
		{"八个汉字组成密码", ""},
	} {
		if err := users.CheckPassword("Zhang.Wei@example.com", c.pw); code(err) != c.code {
			t.Errorf("%q: want %q, got %v", c.pw, c.code, err)
		}
	}
}

func TestInvite(t *testing.T) {
	us, dir, _, asBoss := people(t)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	us.Now = func() time.Time { return now }
	before := auditCount(t, dir)
	li, token, err := us.Add(ctx, asBoss, users.NewUser{Email: "li@example.com", Name: "小李"})
	if err != nil || token == "" || !li.Invited || li.Role != users.Member {
		t.Fatalf("invite: %v %q %v", li, token, err)
	}
	if strings.Contains(auditDetails(t, dir), token) {
		t.Error("the operation log holds the invitation token")
	}
	if _, err := us.Login(ctx, "li@example.com", "", "10.0.0.1"); code(err) != "bad_login" {
		t.Fatalf("an invited person signs in without a password: %v", err)
	}
	got, err := us.Invitation(ctx, token)
	if err != nil || got.Email != "li@example.com" || got.Name != "小李" {
		t.Fatalf("invitation: %v %v", got, err)
	}
	if _, err := us.AcceptInvite(ctx, token, "li@example.com"); code(err) != "password_is_email" {
		t.Fatalf("the policy does not apply: %v", err)
	}
	if u, err := us.AcceptInvite(ctx, token, "li-password-1"); err != nil || u.Invited {
		t.Fatalf("accept: %v %v", u, err)
	}
	if _, err := us.AcceptInvite(ctx, token, "li-password-2"); code(err) != "invite_used" {
		t.Fatalf("a link works twice: %v", err)
	}
	if _, err := us.Login(ctx, "li@example.com", "li-password-1", "10.0.0.1"); err != nil {
		t.Fatalf("sign in after the invitation: %v", err)
	}
	// A link expires after seven days; a fresh one replaces the old.
	zhao, old, err := us.Add(ctx, asBoss, users.NewUser{Email: "zhao@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := us.Invite(ctx, asBoss, zhao.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := us.Invitation(ctx, old); code(err) != "invite_used" {
		t.Fatalf("a replaced link still works: %v", err)
	}
	now = now.Add(users.InviteTTL + time.Minute)
	if _, err := us.AcceptInvite(ctx, fresh, "zhao-password-1"); code(err) != "invite_expired" {
		t.Fatalf("an expired link works: %v", err)
	}
	if _, err := us.Invite(ctx, asBoss, li.ID); code(err) != "invite_not_needed" {
		t.Fatalf("inviting someone with a password: %v", err)
	}
	if n := auditCount(t, dir) - before; n != 4 { // added li, li set a password, added zhao, invited zhao
		t.Errorf("%d user_change events, want 4", n)
	}
}

// auditDetails is the details of every event in the operation log, one line each.
func auditDetails(t *testing.T, dir string) string {
	t.Helper()
	rows, err := openedDB(dir).R.Query("SELECT detail FROM _audit")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}
		b.WriteString(d + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestDisableEndsSessions(t *testing.T) {
	us, dir, _, asBoss := people(t)
	wang, err := us.Create(ctx, asBoss, "wang@example.com", "wang-password", "小王", "")
	if err != nil {
		t.Fatal(err)
	}
	s1, _ := us.Login(ctx, "wang@example.com", "wang-password", "10.0.0.1")
	s2, _ := us.Login(ctx, "wang@example.com", "wang-password", "10.0.0.2")
	if _, err := us.SetDisabled(ctx, us.ActorOf(wang), wang.ID, true); code(err) != "not_allowed" {
		t.Fatalf("a member disables someone: %v", err)
	}
	if u, err := us.SetDisabled(ctx, asBoss, wang.ID, true); err != nil || !u.Disabled {
		t.Fatalf("disable: %v %v", u, err)
	}
	for _, s := range []users.Session{s1, s2} {
		if _, _, ok := us.Authenticate(s.Token); ok {
			t.Fatal("a disabled person's session still works")
		}
	}
	// Nor does another process (a fresh service over the same file) know the sessions.
	db2, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	us2, err := users.Open(db2)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := us2.Authenticate(s1.Token); ok {
		t.Fatal("the session is still stored")
	}
	if _, err := us.Login(ctx, "wang@example.com", "wang-password", "10.0.0.1"); code(err) != "account_disabled" {
		t.Fatalf("a disabled person signs in: %v", err)
	}
	if d := us.Directory(us.ActorOf(wang)); len(d) != 2 || !d[1].Disabled || d[1].Email != "" {
		t.Fatalf("directory %+v", d)
	}
	if _, err := us.SetDisabled(ctx, asBoss, wang.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := us.Login(ctx, "wang@example.com", "wang-password", "10.0.0.1"); err != nil {
		t.Fatalf("sign in once enabled: %v", err)
	}
}

func TestLastAdmin(t *testing.T) {
	us, _, boss, asBoss := people(t)
	member := []string{users.Member}
	if _, err := us.SetDisabled(ctx, asBoss, boss.ID, true); code(err) != "last_admin" {
		t.Fatalf("the last admin disabled: %v", err)
	}
	if _, err := us.Update(ctx, asBoss, boss.ID, users.Patch{Roles: &member}); code(err) != "last_admin" {
		t.Fatalf("the last admin loses the role: %v", err)
	}
	if u, _ := us.Get(boss.ID); u.Role != users.Admin || u.Disabled || !slices.Equal(u.Roles, []string{users.Admin}) {
		t.Fatalf("a refused change changed %+v", u)
	}
	second, err := us.Create(ctx, asBoss, "second@example.com", "second-password", "二把手", "")
	if err != nil {
		t.Fatal(err)
	}
	both := []string{users.Member, users.Admin}
	if u, err := us.Update(ctx, asBoss, second.ID, users.Patch{Roles: &both}); err != nil || u.Role != users.Admin {
		t.Fatalf("make an admin: %v %v", u, err)
	}
	if _, err := us.SetDisabled(ctx, asBoss, boss.ID, true); err != nil {
		t.Fatalf("disable one of two admins: %v", err)
	}
	second, _ = us.Get(second.ID)
	if _, err := us.Update(ctx, us.ActorOf(second), second.ID, users.Patch{Roles: &member}); code(err) != "last_admin" {
		t.Fatalf("the last enabled admin loses the role: %v", err)
	}
}

// Two admins disabling each other at the same moment leave one of them enabled: the check for
// the last admin and the change are one step.
func TestLastAdminAtOnce(t *testing.T) {
	us, _, boss, asBoss := people(t)
	second, err := us.Create(ctx, asBoss, "second@example.com", "second-password", "二把手", users.Admin)
	if err != nil {
		t.Fatal(err)
	}
	for range 300 {
		errs := make(chan error, 2)
		for _, id := range []int64{boss.ID, second.ID} {
			go func() {
				_, err := us.SetDisabled(ctx, asBoss, id, true)
				errs <- err
			}()
		}
		refused := 0
		for range 2 {
			if err := <-errs; code(err) == "last_admin" {
				refused++
			} else if err != nil {
				t.Fatal(err)
			}
		}
		enabled := 0
		for _, u := range us.List() {
			if u.Role == users.Admin && !u.Disabled {
				enabled++
				continue
			}
			if _, err := us.SetDisabled(ctx, asBoss, u.ID, false); err != nil {
				t.Fatal(err)
			}
		}
		if refused != 1 || enabled != 1 {
			t.Fatalf("%d refused, %d admins left enabled", refused, enabled)
		}
	}
}

func TestMembershipsStored(t *testing.T) {
	us, dir, _, asBoss := people(t)
	us.RoleExists = func(id string) bool { return id == users.Admin || id == users.Member || id == "sales" }
	us.DepartmentExists = func(id int64) bool { return id == 1 || id == 2 }
	if _, _, err := us.Add(ctx, asBoss, users.NewUser{Email: "a@example.com", Roles: []string{"ghost"}}); code(err) != "unknown_role" {
		t.Fatalf("unknown role: %v", err)
	}
	if _, _, err := us.Add(ctx, asBoss, users.NewUser{Email: "a@example.com", Departments: []int64{9}}); code(err) != "unknown_department" {
		t.Fatalf("unknown department: %v", err)
	}
	u, _, err := us.Add(ctx, asBoss, users.NewUser{Email: "a@example.com", Password: "a-password-1", Roles: []string{"sales"}, Departments: []int64{2, 1}})
	if err != nil {
		t.Fatal(err)
	}
	name, email, depts := "阿张", "zhang@example.com", []int64{1}
	if _, err := us.Update(ctx, asBoss, u.ID, users.Patch{Name: &name, Email: &email, Departments: &depts}); err != nil {
		t.Fatal(err)
	}
	db2, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	us2, err := users.Open(db2)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := us2.Get(u.ID)
	if got.Name != name || got.Email != email || !slices.Equal(got.Roles, []string{"sales"}) || !slices.Equal(got.Departments, depts) || got.Role != users.Member {
		t.Fatalf("stored %+v", got)
	}
	if !strings.Contains(auditDetails(t, dir), `"email":"zhang@example.com"`) {
		t.Error("the edit is not in the operation log")
	}
}

func TestOwnNameAndPassword(t *testing.T) {
	us, dir, _, asBoss := people(t)
	wang, _ := us.Create(ctx, asBoss, "wang@example.com", "wang-password", "小王", "")
	here, _ := us.Login(ctx, "wang@example.com", "wang-password", "10.0.0.1")
	there, _ := us.Login(ctx, "wang@example.com", "wang-password", "10.0.0.2")
	asWang := us.ActorOf(wang)
	if u, err := us.Rename(ctx, asWang, " 王小明 "); err != nil || u.Name != "王小明" {
		t.Fatalf("rename: %v %v", u, err)
	}
	if err := us.ChangePassword(ctx, asWang, here.Token, "not-my-password", "wang-password-2"); code(err) != "wrong_password" {
		t.Fatalf("wrong current password: %v", err)
	}
	if err := us.ChangePassword(ctx, asWang, here.Token, "wang-password", "password"); code(err) != "password_too_short" && code(err) != "password_common" {
		t.Fatalf("weak new password: %v", err)
	}
	if err := us.ChangePassword(ctx, asWang, here.Token, "wang-password", "wang-password-2"); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := us.Authenticate(here.Token); !ok {
		t.Error("the session that changed the password ended")
	}
	if _, _, ok := us.Authenticate(there.Token); ok {
		t.Error("another session survived the password change")
	}
	if _, err := us.Login(ctx, "wang@example.com", "wang-password-2", "10.0.0.1"); err != nil {
		t.Fatalf("sign in with the new password: %v", err)
	}
	// An admin's reset ends every session and sends a one-time link.
	token, err := us.ResetPassword(ctx, asBoss, wang.ID)
	if err != nil || token == "" {
		t.Fatal(err)
	}
	if _, _, ok := us.Authenticate(here.Token); ok {
		t.Error("a session survived the reset")
	}
	if _, err := us.Login(ctx, "wang@example.com", "wang-password-2", "10.0.0.1"); code(err) != "bad_login" {
		t.Errorf("the old password works after a reset: %v", err)
	}
	if _, err := us.AcceptInvite(ctx, token, "wang-password-3"); err != nil {
		t.Fatal(err)
	}
	// Guessing the current password is throttled as sign-ins are.
	for range 5 {
		us.ChangePassword(ctx, asWang, here.Token, "a-guess-123", "wang-password-4")
	}
	if err := us.ChangePassword(ctx, asWang, here.Token, "wang-password-3", "wang-password-4"); code(err) != "throttled" {
		t.Errorf("after five wrong guesses: %v", err)
	}
	if strings.Contains(auditDetails(t, dir), "wang-password") {
		t.Error("a password is in the operation log")
	}
}

// An existing database's people keep their role: the migration fills _user_roles from
// _users.role. The migrations after it are undone too; a new one must be added here.
func TestMigrationKeepsRoles(t *testing.T) {
	if os.Getenv(store.TestServerEnv) != "" {
		t.Skip("rewinds SQLite's migrations (PRAGMA user_version); PostgreSQL starts from its baseline")
	}
	us, dir, boss, asBoss := people(t)
	wang, err := us.Create(ctx, asBoss, "wang@example.com", "wang-password", "小王", "")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite3", filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	var version int
	raw.QueryRow("PRAGMA user_version").Scan(&version)
	for _, q := range []string{
		`DROP TABLE _user_roles`, `DROP TABLE _user_departments`, `DROP TABLE _invites`,
		`ALTER TABLE _users DROP COLUMN disabled`, `ALTER TABLE _users DROP COLUMN last_sign_in`,
		`DROP TABLE _trash`, `DROP TRIGGER _oplog_no_update`, `DROP TRIGGER _oplog_no_delete`, `DROP INDEX _oplog_user`, `DROP INDEX _oplog_table`, `DROP TABLE _oplog_reseal`,
		`DROP TABLE _departments`, `DROP TABLE _department_heads`, `DROP TABLE _roles`, `DROP TABLE _login_failures`, `DROP TABLE _robots`, `DROP TABLE _robot_deliveries`,
		`DROP TABLE _webhooks`, `DROP TABLE _webhook_messages`, `DROP TABLE _webhook_deliveries`, `DROP TABLE _tokens`,
		`DROP TABLE _flows`, `DROP TABLE _flow_versions`, `DROP TABLE _flow_instances`, `DROP TABLE _flow_tasks`, `DROP TABLE _flow_events`,
		`DROP TABLE _forms`, `DROP TABLE _form_submissions`, `DROP TABLE _form_hits`, `DROP TABLE _form_captchas`,
		`DROP TABLE _events`, `DROP TABLE _comments`, `DROP TABLE _views`, `DROP TABLE _flow_task_counts`,
		fmt.Sprintf("PRAGMA user_version = %d", version-13),
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()
	db2, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	us2, err := users.Open(db2)
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[int64]string{boss.ID: users.Admin, wang.ID: users.Member} {
		if u, _ := us2.Get(id); u.Role != want || !slices.Equal(u.Roles, []string{want}) {
			t.Errorf("after the migration %+v", u)
		}
	}
}

// Managing people does not make one an admin: only an admin gives or takes the 管理员 role.
func TestOnlyAdminsGiveTheAdminRole(t *testing.T) {
	us, _, _, asBoss := people(t)
	hr, err := us.Create(ctx, asBoss, "hr@example.com", "hr-password-9", "人事", users.Member)
	if err != nil {
		t.Fatal(err)
	}
	asHR := access.Actor{UserID: hr.ID, Role: access.RoleMember, Grants: &access.Grants{Roles: []*access.Role{{ID: "hr", Global: []access.Action{access.ManageUsers}}}}}
	refused := func(what string, err error) {
		t.Helper()
		if p := problem.As(err); p == nil || p.Status != 403 || !strings.Contains(p.Message("zh"), "管理员") {
			t.Fatalf("%s: %v", what, err)
		}
	}
	_, _, err = us.Add(ctx, asHR, users.NewUser{Email: "x@example.com", Name: "X", Roles: []string{users.Admin}})
	refused("add an admin", err)
	_, err = us.Update(ctx, asHR, hr.ID, users.Patch{Roles: &[]string{users.Member, users.Admin}})
	refused("make oneself admin", err)
	boss, _, err := us.Add(ctx, asBoss, users.NewUser{Email: "boss2@example.com", Name: "二老板", Roles: []string{users.Admin}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = us.Update(ctx, asHR, boss.ID, users.Patch{Roles: &[]string{users.Member}})
	refused("take the role", err)
	if _, _, err := us.Add(ctx, asHR, users.NewUser{Email: "y@example.com", Name: "Y"}); err != nil {
		t.Fatalf("adding a member: %v", err)
	}
}
