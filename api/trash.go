package api

import (
	"net/http"
	"strconv"

	"tierbase/core/records"
	"tierbase/platform/problem"
)

// listTrash answers a page of the recycle bin (回收站), newest first, with who deleted each
// record; next is the cursor of the following page (0: none).
func (s *Server) listTrash(w http.ResponseWriter, r *http.Request) error {
	var cursor int64
	if v := r.URL.Query().Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return problem.Invalid("bad_param", "param", "cursor", "reason", "param_count")
		}
		cursor = n
	}
	limit, err := queryInt(r, "limit", 50)
	if err != nil {
		return err
	}
	items, err := s.Records.Trash(r.Context(), actor(r), r.URL.Query().Get("table"), cursor, limit)
	if err != nil {
		return err
	}
	type item struct {
		records.TrashItem
		DeletedByName string `json:"deletedByName"`
	}
	out := make([]item, len(items))
	var next int64
	for i, it := range items {
		out[i] = item{TrashItem: it}
		if u, ok := s.Users.Get(it.DeletedBy); ok {
			out[i].DeletedByName = u.Name
		}
		next = it.ID
	}
	if len(items) < max(limit, 1) {
		next = 0
	}
	return writeJSON(w, 200, map[string]any{"items": out, "next": next})
}

// restoreTrash brings a record back from the recycle bin and says what could not come back.
func (s *Server) restoreTrash(w http.ResponseWriter, r *http.Request) error {
	t, id, err := s.record(r)
	if err != nil {
		return err
	}
	res, err := s.Records.Restore(r.Context(), actor(r), t, id)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"table": t.Name, "id": id, "dropped": res.Dropped, "unlinked": res.Unlinked, "added": res.Added})
}

// forgetTrash deletes a record from the recycle bin for good.
func (s *Server) forgetTrash(w http.ResponseWriter, r *http.Request) error {
	t, id, err := s.record(r)
	if err != nil {
		return err
	}
	if err := s.Records.Forget(r.Context(), actor(r), t, id); err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"ok": true})
}
