package api

import (
	"net/http"

	"tierbase/platform/problem"
)

// workbench answers the signed-in person's home page in one call (see workbench.Board).
func (s *Server) workbench(w http.ResponseWriter, r *http.Request) error {
	if s.Workbench == nil {
		return problem.NotFound("route", r.Method+" "+r.URL.Path)
	}
	b, err := s.Workbench.Board(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, b)
}

// opened records that the person opened a record ({"table": id or name, "id": n}), for the
// workbench's recently opened records.
func (s *Server) opened(w http.ResponseWriter, r *http.Request) error {
	if s.Workbench == nil {
		return problem.NotFound("route", r.Method+" "+r.URL.Path)
	}
	var in struct {
		Table string `json:"table"`
		ID    int64  `json:"id"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := s.Workbench.Opened(r.Context(), actor(r), in.Table, in.ID); err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"ok": true})
}
