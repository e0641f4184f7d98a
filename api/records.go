package api

import (
	"net/http"
	"strconv"

	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/core/schema"
)

// filtered resolves the route's table and the condition of its ?filter=.
func (s *Server) filtered(r *http.Request) (*schema.Table, *cond.Node, error) {
	t, err := s.table(r)
	if err != nil {
		return nil, nil, err
	}
	filter, err := parseCondition(r.URL.Query().Get("filter"), t)
	return t, filter, err
}

// pageParams reads ?limit= (50 by default) and ?offset= of a page of records.
func pageParams(r *http.Request) (limit, offset int, err error) {
	if limit, err = queryInt(r, "limit", 50); err == nil {
		offset, err = queryInt(r, "offset", 0)
	}
	return limit, offset, err
}

func (s *Server) listRecords(w http.ResponseWriter, r *http.Request) error {
	t, filter, err := s.filtered(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	limit, offset, err := pageParams(r)
	if err != nil {
		return err
	}
	skip := q.Get("skipTotal")
	page, err := s.Records.List(r.Context(), actor(r), t, records.Query{
		Filter: filter, Sort: q.Get("sort"), Limit: limit, Offset: offset,
		SkipTotal: skip == "1" || skip == "true", Search: q.Get("q"),
	})
	if err != nil {
		return err
	}
	return s.writePage(w, r, t, page)
}

// writePage answers a page of records with the titles of their user and link values, and
// their total unless skipped.
func (s *Server) writePage(w http.ResponseWriter, r *http.Request, t *schema.Table, page *records.Page) error {
	titles, err := s.Records.Titles(r.Context(), actor(r), t, page.Items)
	if err != nil {
		return err
	}
	b := make([]byte, 0, 1024+len(page.Items)*512)
	b = append(b, `{"items":[`...)
	for i, rec := range page.Items {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendRecord(b, t, rec)
	}
	b = append(b, `],"_titles":`...)
	b = appendTitles(b, t, titles)
	if page.Total >= 0 {
		b = append(b, `,"total":`...)
		b = strconv.AppendInt(b, page.Total, 10)
	}
	return writeRaw(w, 200, append(b, "}\n"...))
}

// one answers a single record with the titles of its user and link values.
func (s *Server) one(w http.ResponseWriter, r *http.Request, status int, t *schema.Table, rec records.Record) error {
	titles, err := s.Records.Titles(r.Context(), actor(r), t, []records.Record{rec})
	if err != nil {
		return err
	}
	b := appendRecord(make([]byte, 0, 1024), t, rec)
	b = append(b[:len(b)-1], `,"_titles":`...)
	b = appendTitles(b, t, titles)
	return writeRaw(w, status, append(b, "}\n"...))
}

func (s *Server) createRecord(w http.ResponseWriter, r *http.Request) error {
	t, err := s.table(r)
	if err != nil {
		return err
	}
	var in records.Input
	if err := decode(r, &in); err != nil {
		return err
	}
	rec, err := s.Records.Create(r.Context(), actor(r), t, in)
	if err != nil {
		return err
	}
	return s.one(w, r, 201, t, rec)
}

func (s *Server) batchRecords(w http.ResponseWriter, r *http.Request) error {
	t, err := s.table(r)
	if err != nil {
		return err
	}
	var in struct {
		Items []records.Input `json:"items"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	recs, err := s.Records.Batch(r.Context(), actor(r), t, in.Items)
	if err != nil {
		return err
	}
	b := append(make([]byte, 0, 1024+len(recs)*512), `{"items":[`...)
	for i, rec := range recs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendRecord(b, t, rec)
	}
	return writeRaw(w, 200, append(b, "]}\n"...))
}

// record resolves the {table} and {id} of a record route.
func (s *Server) record(r *http.Request) (*schema.Table, int64, error) {
	t, err := s.table(r)
	if err != nil {
		return nil, 0, err
	}
	id, err := pathID(r)
	return t, id, err
}

func (s *Server) getRecord(w http.ResponseWriter, r *http.Request) error {
	t, id, err := s.record(r)
	if err != nil {
		return err
	}
	rec, err := s.Records.Get(r.Context(), actor(r), t, id)
	if err != nil {
		return err
	}
	return s.one(w, r, 200, t, rec)
}

func (s *Server) updateRecord(w http.ResponseWriter, r *http.Request) error {
	t, id, err := s.record(r)
	if err != nil {
		return err
	}
	var in records.Input
	if err := decode(r, &in); err != nil {
		return err
	}
	rec, err := s.Records.Update(r.Context(), actor(r), t, id, in)
	if err != nil {
		return err
	}
	return s.one(w, r, 200, t, rec)
}

func (s *Server) deleteRecord(w http.ResponseWriter, r *http.Request) error {
	t, id, err := s.record(r)
	if err != nil {
		return err
	}
	if err := s.Records.Delete(r.Context(), actor(r), t, id); err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"ok": true})
}

func (s *Server) history(w http.ResponseWriter, r *http.Request) error {
	t, id, err := s.record(r)
	if err != nil {
		return err
	}
	entries, err := s.Grading.RecordHistory(r.Context(), actor(r), t, id) // with the grades schemes set
	if err != nil {
		return err
	}
	type user struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	}
	type entry struct {
		records.Entry
		User user `json:"user"`
	}
	items := make([]entry, len(entries))
	for i, e := range entries {
		u, _ := s.Users.Get(e.UserID)
		name := u.Name
		if e.UserID == 0 {
			name = "系统"
		}
		items[i] = entry{Entry: e, User: user{e.UserID, name}}
	}
	return writeJSON(w, 200, map[string]any{"items": items})
}
