package api

import (
	"net/http"

	"tierbase/engines/events"
)

// Events (客户行为事件): other systems send what customers did, with an API token; a record's
// timeline shows them.

// postEvents stores one event or {"events":[…]} of the customer table ?table= (客户 by
// default), all or none; it answers how many were stored.
func (s *Server) postEvents(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	items, err := events.Decode(body, s.Events.Now())
	if err != nil {
		return err
	}
	table := r.URL.Query().Get("table")
	if table == "" {
		table = events.DefaultTable
	}
	n, err := s.Events.Add(r.Context(), actor(r), table, items)
	if err != nil {
		return err
	}
	return writeJSON(w, 201, map[string]any{"count": n})
}

// recordEvents answers a page of a record's events, newest first (?before=<the last item's
// id>&limit=50).
func (s *Server) recordEvents(w http.ResponseWriter, r *http.Request) error {
	t, id, err := s.record(r)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 50)
	if err != nil {
		return err
	}
	before, err := queryInt(r, "before", 0)
	if err != nil {
		return err
	}
	items, err := s.Events.Timeline(r.Context(), actor(r), t, id, int64(before), limit)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"items": items})
}
