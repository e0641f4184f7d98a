package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"tierbase/core/records"
	"tierbase/engines/views"
)

// viewInput is a saved view as a client sends it.
type viewInput struct {
	views.Settings
	Shared bool `json:"shared"`
}

func (s *Server) listViews(w http.ResponseWriter, r *http.Request) error {
	t, err := s.table(r)
	if err != nil {
		return err
	}
	vs, err := s.Views.List(r.Context(), actor(r), t)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"items": vs})
}

func (s *Server) getView(w http.ResponseWriter, r *http.Request) error {
	t, err := s.table(r)
	if err != nil {
		return err
	}
	v, err := s.Views.Get(r.Context(), actor(r), t, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, v)
}

// saveView creates a view (POST, 201) or changes one (PUT …/{id}).
func (s *Server) saveView(w http.ResponseWriter, r *http.Request) error {
	t, err := s.table(r)
	if err != nil {
		return err
	}
	var in viewInput
	if err := decode(r, &in); err != nil {
		return err
	}
	id := r.PathValue("id")
	v, err := s.Views.Save(r.Context(), actor(r), t, id, in.Settings, in.Shared)
	if err != nil {
		return err
	}
	return writeJSON(w, map[bool]int{true: 201, false: 200}[id == ""], v)
}

func (s *Server) deleteView(w http.ResponseWriter, r *http.Request) error {
	t, err := s.table(r)
	if err != nil {
		return err
	}
	if err := s.Views.Delete(r.Context(), actor(r), t, r.PathValue("id")); err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"ok": true})
}

// groups answers the counts and sums of the records matching the filter per value of a field:
// the grid's groups and their subtotals.
func (s *Server) groups(w http.ResponseWriter, r *http.Request) error {
	t, filter, err := s.filtered(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var sums []string
	if q.Get("sum") != "" {
		sums = strings.Split(q.Get("sum"), ",")
	}
	gs, err := s.Records.Totals(r.Context(), actor(r), t, filter, q.Get("q"), q.Get("field"), sums)
	if err != nil {
		return err
	}
	if gs == nil {
		gs = []records.Group{}
	}
	return writeJSON(w, 200, map[string]any{"items": gs})
}

// board answers a kanban: its columns with their counts, sums and first cards; with ?column=
// one column's cards from offset on.
func (s *Server) board(w http.ResponseWriter, r *http.Request) error {
	t, filter, err := s.filtered(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	limit, offset, err := pageParams(r)
	if err != nil {
		return err
	}
	bq := records.BoardQuery{Field: q.Get("field"), Sum: q.Get("sum"), Filter: filter, Search: q.Get("q"), Sort: q.Get("sort"),
		Limit: limit, Offset: offset}
	if q.Has("column") { // one column's further cards; "" is 未填
		var v any
		if c := q.Get("column"); c != "" {
			v = c
		}
		bq.Column = &v
	}
	cols, err := s.Records.Board(r.Context(), actor(r), t, bq)
	if err != nil {
		return err
	}
	var all []records.Record
	for _, c := range cols {
		all = append(all, c.Items...)
	}
	titles, err := s.Records.Titles(r.Context(), actor(r), t, all)
	if err != nil {
		return err
	}
	b := append(make([]byte, 0, 1024+len(all)*512), `{"columns":[`...)
	for i, c := range cols {
		if i > 0 {
			b = append(b, ',')
		}
		head, _ := json.Marshal(c.Group)
		b = append(append(b, head[:len(head)-1]...), `,"items":[`...)
		for j, rec := range c.Items {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendRecord(b, t, rec)
		}
		b = append(b, "]}"...)
	}
	b = append(b, `],"_titles":`...)
	b = appendTitles(b, t, titles)
	return writeRaw(w, 200, append(b, "}\n"...))
}

// calendar answers the records of a calendar: those whose date field falls from ?from= to
// ?to= (YYYY-MM-DD) and match the filter, earliest first, with how many there are in all.
func (s *Server) calendar(w http.ResponseWriter, r *http.Request) error {
	t, filter, err := s.filtered(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	page, err := views.Calendar(r.Context(), s.Records, actor(r), t, views.CalendarQuery{
		Field: q.Get("field"), From: q.Get("from"), To: q.Get("to"), Filter: filter, Search: q.Get("q")})
	if err != nil {
		return err
	}
	return s.writePage(w, r, t, page)
}

// bulkInput is a bulk change as a client sends it: the ids chosen, or every record matching
// the filter and search.
type bulkInput struct {
	IDs    []int64           `json:"ids"`
	Filter json.RawMessage   `json:"filter"`
	Q      string            `json:"q"`
	Set    records.Input     `json:"set"`
	Add    map[string]string `json:"add"`
	Delete bool              `json:"delete"`
}

// bulk changes or deletes many records in one transaction. With ?stream=1 the answer is
// NDJSON: {"done":n,"total":m} after each thousand records, then the result or the error.
func (s *Server) bulk(w http.ResponseWriter, r *http.Request) error {
	t, err := s.table(r)
	if err != nil {
		return err
	}
	var in bulkInput
	if err := decode(r, &in); err != nil {
		return err
	}
	filter, err := parseCondition(strings.TrimSpace(string(in.Filter)), t)
	if err != nil {
		return err
	}
	b := records.Bulk{IDs: in.IDs, Filter: filter, Search: in.Q, Set: in.Set, Add: in.Add, Delete: in.Delete}
	if r.URL.Query().Get("stream") != "1" {
		res, err := s.Records.BulkChange(r.Context(), actor(r), t, b, nil)
		if err != nil {
			return err
		}
		return writeJSON(w, 200, res)
	}
	w.Header().Set("Content-Type", "application/x-ndjson; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(200)
	rc := http.NewResponseController(w)
	line := func(v any) {
		json.NewEncoder(w).Encode(v)
		rc.Flush()
	}
	res, err := s.Records.BulkChange(r.Context(), actor(r), t, b, func(done, total int) {
		w.Write([]byte(`{"done":` + strconv.Itoa(done) + `,"total":` + strconv.Itoa(total) + "}\n"))
		rc.Flush()
	})
	if err != nil {
		_, body := errorBody(lang(r), w, err)
		line(body)
		return nil
	}
	line(res)
	return nil
}
