package app

import (
	"context"
	"crypto/rand"
	"slices"
	"strings"

	"tierbase/core/access"
	"tierbase/core/users"
)

// enroll is the organisation import's way to add people: a person new by email is created
// with a random password (they get in through a password reset), as 管理员 when the row
// gives them that role. Package users does not store roles and departments yet, so those
// are given when it does.
func (a *App) enroll(ctx context.Context, by access.Actor, email, name string, roles []string, departments []int64) (int64, error) {
	for _, u := range a.Users.List() {
		if strings.EqualFold(u.Email, email) {
			return u.ID, nil
		}
	}
	role := users.Member
	if slices.Contains(roles, access.AdminRoleID) {
		role = users.Admin
	}
	u, err := a.Users.Create(ctx, by, email, rand.Text(), name, role)
	return u.ID, err
}
