package api

import (
	"net/http"
	"strconv"

	"tierbase/core/users"
	"tierbase/platform/problem"
)

// The 成员管理 endpoints: the directory, adding, editing, disabling and inviting people,
// their one-time links, and each person's own name and password.

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, 200, map[string]any{"items": s.Users.Directory(actor(r))})
}

// newUser is the body of POST /api/users: role (one of admin, member) is the older
// form of roles.
type newUser struct {
	users.NewUser
	Role string `json:"role"`
}

// addedUser answers POST /api/users: the person and, when invited, their one-time link.
type addedUser struct {
	users.User
	Invite string `json:"invite,omitempty"`
}

func inviteLink(token string) string { return "/invite/" + token }

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	var n newUser
	if err := decode(r, &n); err != nil {
		return err
	}
	if n.Roles == nil && n.Role != "" {
		n.Roles = []string{n.Role}
	}
	u, token, err := s.Users.Add(r.Context(), actor(r), n.NewUser)
	if err != nil {
		return err
	}
	out := addedUser{User: u}
	if token != "" {
		out.Invite = inviteLink(token)
	}
	return writeJSON(w, 201, out)
}

func userID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.NotFound("user", r.PathValue("id"))
	}
	return id, nil
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	var p users.Patch
	if err := decode(r, &p); err != nil {
		return err
	}
	u, err := s.Users.Update(r.Context(), actor(r), id, p)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, u)
}

func (s *Server) disableUser(w http.ResponseWriter, r *http.Request) error {
	return s.setDisabled(w, r, true)
}

func (s *Server) enableUser(w http.ResponseWriter, r *http.Request) error {
	return s.setDisabled(w, r, false)
}

func (s *Server) setDisabled(w http.ResponseWriter, r *http.Request, disabled bool) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	u, err := s.Users.SetDisabled(r.Context(), actor(r), id, disabled)
	if err != nil {
		return err
	}
	if disabled {
		s.live.endUser(id, "") // their sessions ended: so do their notification streams
	}
	return writeJSON(w, 200, u)
}

func (s *Server) inviteUser(w http.ResponseWriter, r *http.Request) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	token, err := s.Users.Invite(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"invite": inviteLink(token)})
}

func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	token, err := s.Users.ResetPassword(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	s.live.endUser(id, "")
	return writeJSON(w, 200, map[string]any{"invite": inviteLink(token)})
}

// getInvite tells whom a one-time link is for (open: the link is the credential).
func (s *Server) getInvite(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Users.Invitation(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"email": u.Email, "name": u.Name})
}

// acceptInvite sets the password of the person a one-time link is for and signs them in.
func (s *Server) acceptInvite(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Password string `json:"password"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	u, err := s.Users.AcceptInvite(r.Context(), r.PathValue("token"), body.Password)
	if err != nil {
		return err
	}
	sess, err := s.Users.OpenSession(r.Context(), u)
	if err != nil {
		return err
	}
	return s.signedIn(w, r, sess)
}

// updateMe changes the signed-in person's own name.
func (s *Server) updateMe(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name string `json:"name"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	u, err := s.Users.Rename(r.Context(), actor(r), body.Name)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, u)
}

// changePassword changes the signed-in person's own password; their other sessions end.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Current  string `json:"current"`
		Password string `json:"password"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	a, token := actor(r), tokenOf(r)
	if err := s.Users.ChangePassword(r.Context(), a, token, body.Current, body.Password); err != nil {
		return err
	}
	s.live.endUser(a.UserID, token)
	return writeJSON(w, 200, map[string]any{"ok": true})
}
