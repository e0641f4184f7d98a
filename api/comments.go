package api

import (
	"net/http"
	"strconv"

	"tierbase/platform/problem"
)

// Comments on records (评论), with @mentions that notify the people named.

// recordComments answers a record's comments, oldest first.
func (s *Server) recordComments(w http.ResponseWriter, r *http.Request) error {
	t, id, err := s.record(r)
	if err != nil {
		return err
	}
	items, err := s.Comments.List(r.Context(), actor(r), t, id)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"items": items})
}

// addComment stores {"body": "…", "mentions": [user ids]} on a record.
func (s *Server) addComment(w http.ResponseWriter, r *http.Request) error {
	t, id, err := s.record(r)
	if err != nil {
		return err
	}
	var in struct {
		Body     string  `json:"body"`
		Mentions []int64 `json:"mentions"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := s.Comments.Add(r.Context(), actor(r), t, id, in.Body, in.Mentions)
	if err != nil {
		return err
	}
	return writeJSON(w, 201, c)
}

// deleteComment removes one of the record's comments (its writer's, or any for an admin).
func (s *Server) deleteComment(w http.ResponseWriter, r *http.Request) error {
	t, id, err := s.record(r)
	if err != nil {
		return err
	}
	c, err := strconv.ParseInt(r.PathValue("comment"), 10, 64)
	if err != nil || c <= 0 {
		return problem.NotFound("comment", r.PathValue("comment"))
	}
	if err := s.Comments.Delete(r.Context(), actor(r), t, id, c); err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"ok": true})
}
