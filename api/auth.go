package api

import (
	"context"
	"net/http"
	"time"

	"tierbase/core/access"
	"tierbase/core/users"
	"tierbase/platform/problem"
)

const (
	sessionCookie = "tb_session"
	csrfCookie    = "tb_csrf"
)

// health answers a load balancer: 200 while this node reaches its database (one round trip,
// at most 2 s), else 503, so that requests go to the nodes that can answer them.
func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Records.DB.R.PingContext(ctx); err != nil {
		return unavailable(w, err)
	}
	return writeJSON(w, 200, map[string]any{"status": "ok", "version": s.Version})
}

func (s *Server) setupStatus(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, 200, map[string]any{"needsSetup": !s.Users.HasAdmin()})
}

type credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

// setup creates the first admin while there is none, and signs them in.
func (s *Server) setup(w http.ResponseWriter, r *http.Request) error {
	if s.Users.HasAdmin() {
		return problem.New(409, "setup_done")
	}
	var c credentials
	if err := decode(r, &c); err != nil {
		return err
	}
	if _, err := s.Users.Setup(r.Context(), c.Email, c.Password, c.Name); err != nil {
		return err
	}
	return s.signIn(w, r, c) // as a login, so the first sign-in is logged too
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var c credentials
	if err := decode(r, &c); err != nil {
		return err
	}
	return s.signIn(w, r, c)
}

// signIn checks the credentials and answers the new session.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, c credentials) error {
	sess, err := s.Users.Login(r.Context(), c.Email, c.Password, s.clientAddr(r))
	if err != nil {
		return err
	}
	return s.signedIn(w, r, sess)
}

func (s *Server) signedIn(w http.ResponseWriter, r *http.Request, sess users.Session) error {
	exp := time.Now().Add(users.SessionTTL)
	secure := s.viaHTTPS(r)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sess.Token, Path: "/", Expires: exp,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure})
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: sess.CSRF, Path: "/", Expires: exp,
		SameSite: http.SameSiteLaxMode, Secure: secure})
	return writeJSON(w, 200, map[string]any{"token": sess.Token, "user": sess.User})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	token := tokenOf(r)
	if err := s.Users.Logout(r.Context(), token); err != nil {
		return err
	}
	s.live.end(token) // its notification streams close
	for _, name := range []string{sessionCookie, csrfCookie} {
		http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1})
	}
	return writeJSON(w, 200, map[string]any{"ok": true})
}

// me answers the signed-in user with their permissions, for the UI to show only what they
// may do.
func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	u, ok := s.Users.Get(a.UserID)
	if !ok {
		return problem.New(401, "unauthorized")
	}
	return writeJSON(w, 200, struct {
		users.User
		Permissions access.Permissions `json:"permissions"`
	}{u, access.PermissionsOf(a, s.Catalog.Tables())})
}
