// Package access is the one policy every engine asks before it reads or writes: which rows an
// actor may read, update and delete (scopes, as conditions that compile into every query),
// which actions they may take (manage the schema, rules or users, import, export, hand a
// record to someone else), and which fields they may see or change. Departments, roles and
// data scopes grow here without touching the engines; the HTTP layer decides nothing.
package access

import (
	"tierbase/core/cond"
	"tierbase/core/schema"
	"tierbase/platform/problem"
)

// Roles an actor can have.
const (
	RoleAdmin  = "admin"
	RoleMember = "member"
	RoleSystem = "system" // the CLI and the engines themselves
)

// Actor is who is acting: a signed-in user, or the system.
type Actor struct {
	UserID int64
	Role   string  // RoleAdmin for people with the 管理员 role, RoleMember for everyone else, or RoleSystem
	Grants *Grants // the person's roles and departments; nil: the built-in 成员 role only
}

// System acts for command-line tools and background work; it may do anything.
var System = Actor{Role: RoleSystem}

// MayChangeSchema makes the actor a schema.Changer: it asks Can(a, ManageSchema).
func (a Actor) MayChangeSchema() error { return Can(a, ManageSchema) }

// Admin reports whether the actor sees and changes everything.
func (a Actor) Admin() bool { return a.Role == RoleAdmin || a.Role == RoleSystem }

// Op is what an actor does to records; each has its own scope.
type Op int

// The operations on records.
const (
	Read Op = iota
	Update
	Delete
)

// Scope returns the condition that limits the rows of t the actor may read, update or delete
// (op), or nil for all rows. A member reads, updates and deletes the records they are 负责人 of.
func Scope(a Actor, t *schema.Table, op Op) *cond.Node {
	if a.Admin() {
		return nil
	}
	return &cond.Node{Field: schema.FieldOwner, Op: "eq", Value: a.UserID}
}

// Action is something beyond reading and writing one's own records that needs permission.
type Action string

// The actions.
const (
	ManageSchema Action = "manage_schema" // apps, tables, fields, dashboards and charts
	ManageRules  Action = "manage_rules"  // grading schemes, rules, RFM models, running them
	ManageUsers  Action = "manage_users"  // create users, see their emails and roles
	Import       Action = "import"        // many records at once from a file
	Export       Action = "export"        // records to a file
	SeeDeleted   Action = "see_deleted"   // the history of deleted records, the recycle bin (回收站)
	Backup       Action = "backup"        // make and download backups of the whole database
	Assign       Action = "assign"        // hand a record to another 负责人
)

// Can returns nil when the actor may take the action, or a 403 naming it. Admins and the
// system may take every action; members none of these yet (roles will grant them here).
func Can(a Actor, act Action) error {
	if a.Admin() {
		return nil
	}
	return problem.New(403, "not_allowed", "kind", string(act))
}

// OwnWork reports whether the actor may follow work that the user by started, such as an
// import's progress and error report: its starter and admins may.
func OwnWork(a Actor, by int64) bool { return a.Admin() || (a.UserID != 0 && a.UserID == by) }

// CanCreate reports whether the actor may add records to t: everyone signed in may, for now;
// departments and roles will narrow it here.
func CanCreate(a Actor, t *schema.Table) error { return nil }

// CanOwn reports whether the actor may make owner the 负责人 of a record of t (on create, or
// by changing it): anyone may take a record for themselves; handing one to someone else is
// the Assign permission.
func CanOwn(a Actor, t *schema.Table, owner int64) error {
	if owner == a.UserID && a.UserID != 0 {
		return nil
	}
	if err := Can(a, Assign); err != nil {
		return problem.New(403, "assign_refused").OnField(ownerName(t))
	}
	return nil
}

// Fields is what an actor may do with the fields of one table. The zero value lets them see
// and change every field.
type Fields struct {
	Hidden   map[string]bool // field ids left out of every read: list, get, history, export, charts
	ReadOnly map[string]bool // field ids the actor sees but may not change
	Masked   map[string]bool // 敏感 field ids the actor sees masked (138****8000) and may not change
}

// Visible reports whether the field (by id) may be read.
func (f Fields) Visible(id string) bool { return !f.Hidden[id] }

// Writable reports whether the field (by id) may be changed.
func (f Fields) Writable(id string) bool { return !f.Hidden[id] && !f.ReadOnly[id] }

// All reports whether every field is visible and writable (nothing to filter).
func (f Fields) All() bool { return len(f.Hidden) == 0 && len(f.ReadOnly) == 0 }

// FieldRules decides the field permissions of signed-in users. Nil (today) means every field
// is visible and writable; the organisation's roles and departments will set it at start-up.
// It must not change while the server runs.
var FieldRules func(a Actor, t *schema.Table) Fields

// FieldsOf returns the actor's permissions on t's fields. The system sees everything.
func FieldsOf(a Actor, t *schema.Table) Fields {
	if FieldRules == nil || a.Role == RoleSystem {
		return Fields{}
	}
	return FieldRules(a, t)
}

// HiddenIn returns the first field of the condition the actor may not see, or nil: filtering
// by a hidden field would reveal its values one question at a time.
func HiddenIn(n *cond.Node, t *schema.Table, fs Fields) *schema.Field {
	if n == nil || len(fs.Hidden) == 0 {
		return nil
	}
	if f := t.Field(n.Field); f != nil && !fs.Visible(f.ID) {
		return f
	}
	for _, c := range append(append([]*cond.Node{n.Not}, n.And...), n.Or...) {
		if f := HiddenIn(c, t, fs); f != nil {
			return f
		}
	}
	return nil
}

func ownerName(t *schema.Table) string {
	if f := t.Field(schema.FieldOwner); f != nil {
		return f.Name
	}
	return schema.FieldOwner
}
