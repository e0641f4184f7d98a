package api

import (
	"net/http"
	"strings"

	"tierbase/core/access"
	"tierbase/core/tokens"
	"tierbase/platform/problem"
)

// API tokens: each person makes, lists and revokes their own (user managers also those of
// service accounts), only when signed in: a token cannot make or see tokens (tokenActor). A
// request with a token acts for its owner within the token's tables and read-only limit.

// viaToken reports whether the request carries an API token rather than a session.
func viaToken(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Authorization"), "Bearer "+tokens.Prefix)
}

// tokenActor checks the request's API token and returns its owner's actor cut to its limits;
// a token whose owner was disabled or removed is refused like a revoked one. A token reaches
// neither the tokens nor its owner's account (sign-out, name, password: only GET
// /api/auth/me), and a read-only one only reads (GET).
func (s *Server) tokenActor(r *http.Request) (access.Actor, error) {
	if s.Tokens == nil {
		return access.Actor{}, problem.New(401, "token_invalid")
	}
	t, err := s.Tokens.Authenticate(r.Context(), strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	if err != nil {
		return access.Actor{}, err
	}
	u, ok := s.Users.Get(t.UserID)
	if !ok || u.Disabled {
		return access.Actor{}, problem.New(401, "token_revoked", "name", t.Name)
	}
	reads := r.Method == http.MethodGet || r.Method == http.MethodHead
	switch {
	case strings.HasPrefix(r.URL.Path, "/api/tokens"), strings.HasPrefix(r.URL.Path, "/api/auth/") && !reads:
		return access.Actor{}, problem.New(403, "token_session")
	case t.ReadOnly && !reads:
		return access.Actor{}, problem.New(403, "token_read_only", "name", t.Name)
	}
	return t.Actor(s.Users.ActorOf(u)), nil
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Tokens.List(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"items": list})
}

// createToken answers the new token with its secret, the only time it is shown.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var in tokens.Token
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := s.Tokens.Create(r.Context(), actor(r), &in)
	if err != nil {
		return err
	}
	return writeJSON(w, 201, t)
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	if err := s.Tokens.Revoke(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"ok": true})
}
