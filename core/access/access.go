// Package access is the one policy every engine asks before it reads or writes: which rows an
// actor may read, update and delete (scopes, as conditions that compile into every query),
// which actions they may take (manage the schema, rules or users, import, export, hand a
// record to someone else), and which fields they may see or change. Departments, roles and
// data scopes grow here without touching the engines; the HTTP layer decides nothing.
package access

import (
	"slices"

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
	Create // the records one may add: the change scopes of the roles that may add
)

// Action is something beyond one table that needs permission (what one may do with a table
// is a TableAction, see CanOn).
type Action string

// The actions.
const (
	ManageSchema Action = "manage_schema" // apps, tables, fields, dashboards and charts
	ManageUsers  Action = "manage_users"  // create users, see their emails and roles
	SeeDeleted   Action = "see_deleted"   // the history of deleted records, the recycle bin (回收站)
	Backup       Action = "backup"        // make and download backups of the whole database
)

// Can returns nil when the actor may take the global action, or a 403 naming it. Admins
// (and roles granting everything) and the system may take every action; other people those
// their roles list in Global. SeeDeleted and Backup are for admins only.
func Can(a Actor, act Action) error {
	if all(a) {
		return nil
	}
	if act != SeeDeleted && act != Backup {
		for _, r := range roles(a) {
			if slices.Contains(r.Global, act) {
				return nil
			}
		}
	}
	return problem.New(403, "not_allowed", "kind", string(act))
}

// OwnWork reports whether the actor may follow work that the user by started, such as an
// import's progress and error report: its starter and admins may.
func OwnWork(a Actor, by int64) bool { return a.Admin() || (a.UserID != 0 && a.UserID == by) }

// Fields is what an actor may do with the fields of one table, the same on every row they
// read. The zero value lets them see and change every field.
type Fields struct {
	Hidden   map[string]bool // field ids left out of every read: list, get, history, export, charts
	ReadOnly map[string]bool // field ids no role of the actor may change
	Masked   map[string]bool // 敏感 field ids the actor sees masked (138****8000) and may not change
	// Partial are the field ids some of the actor's roles may read and others not: they show
	// on the rows a role that may read them reads (Policy.Strip: lists, records, exports,
	// history), and are refused wherever a field is used across rows (filters, sorts,
	// searches, chart dimensions and measures).
	Partial map[string]bool
}

// Visible reports whether the field (by id) may be read on every row the actor reads, and
// so filtered, sorted, searched and charted.
func (f Fields) Visible(id string) bool { return !f.Hidden[id] && !f.Partial[id] }

// Writable reports whether the field (by id) may be changed by some role of the actor.
func (f Fields) Writable(id string) bool { return f.Visible(id) && !f.ReadOnly[id] }

// All reports whether every field is visible and writable (nothing to filter).
func (f Fields) All() bool { return len(f.Hidden) == 0 && len(f.ReadOnly) == 0 && len(f.Partial) == 0 }

// HiddenIn returns the first field of the condition the actor may not see on every row, or
// nil: filtering by a hidden field would reveal its values one question at a time.
func HiddenIn(n *cond.Node, t *schema.Table, fs Fields) *schema.Field {
	if n == nil || len(fs.Hidden) == 0 && len(fs.Partial) == 0 {
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
