// Package access decides who may see and change what. Every record read and write of the
// engines asks it: the records engine adds Scope to every query and checks writes here, so
// departments, data scopes and field permissions can grow here without touching the engines.
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
	Role   string
}

// System acts for command-line tools and background work; it may do anything.
var System = Actor{Role: RoleSystem}

// Admin reports whether the actor sees and changes everything.
func (a Actor) Admin() bool { return a.Role == RoleAdmin || a.Role == RoleSystem }

// Scope returns the condition that limits the rows of t the actor may read, change or
// delete, or nil for all rows. A member sees the records they are 负责人 of.
func Scope(a Actor, t *schema.Table) *cond.Node {
	if a.Admin() {
		return nil
	}
	return &cond.Node{Field: schema.FieldOwner, Op: "eq", Value: a.UserID}
}

// CanManageSchema reports whether the actor may create, change or delete apps, tables and fields.
func CanManageSchema(a Actor) error {
	if a.Admin() {
		return nil
	}
	return problem.Forbidden()
}

// CanManageUsers reports whether the actor may create users.
func CanManageUsers(a Actor) error { return CanManageSchema(a) }

// CanCreate reports whether the actor may add records to t: everyone signed in may, for now;
// departments and action permissions will narrow it here.
func CanCreate(a Actor, t *schema.Table) error { return nil }

// CanSeeDeleted reports whether the actor may read the history of deleted records.
func CanSeeDeleted(a Actor) bool { return a.Admin() }

// CanImport reports whether the actor may import files (many records at once) and export.
func CanImport(a Actor) error {
	if a.Admin() {
		return nil
	}
	return problem.Forbidden()
}
