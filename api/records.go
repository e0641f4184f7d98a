package api

import (
	"net/http"
	"strconv"

	"tierbase/records"
	"tierbase/schema"
)

// out converts a record to its JSON form, keyed by field name.
func out(t *schema.Table, rec records.Record) map[string]any {
	m := make(map[string]any, len(rec))
	for _, f := range t.Fields {
		if f.ID == schema.FieldID {
			m["id"] = rec[f.ID]
			continue
		}
		m[f.Name] = rec[f.ID]
	}
	return m
}

// titlesJSON keys the display names of user and link values by field name.
func titlesJSON(t *schema.Table, titles map[string]map[int64]string) map[string]map[string]string {
	res := make(map[string]map[string]string, len(titles))
	for fid, m := range titles {
		f := t.Field(fid)
		mm := make(map[string]string, len(m))
		for id, name := range m {
			mm[strconv.FormatInt(id, 10)] = name
		}
		res[f.Name] = mm
	}
	return res
}

func (s *Server) listRecords(w http.ResponseWriter, r *http.Request) error {
	t, err := s.table(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	filter, err := parseCondition(q.Get("filter"), t)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 50)
	if err != nil {
		return err
	}
	offset, err := queryInt(r, "offset", 0)
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
	titles, err := s.Records.Titles(r.Context(), t, page.Items)
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(page.Items))
	for i, rec := range page.Items {
		items[i] = out(t, rec)
	}
	res := map[string]any{"items": items, "_titles": titlesJSON(t, titles)}
	if page.Total >= 0 {
		res["total"] = page.Total
	}
	return writeJSON(w, 200, res)
}

// one answers a single record with the titles of its user and link values.
func (s *Server) one(w http.ResponseWriter, r *http.Request, status int, t *schema.Table, rec records.Record) error {
	titles, err := s.Records.Titles(r.Context(), t, []records.Record{rec})
	if err != nil {
		return err
	}
	m := out(t, rec)
	m["_titles"] = titlesJSON(t, titles)
	return writeJSON(w, status, m)
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
	items := make([]map[string]any, len(recs))
	for i, rec := range recs {
		items[i] = out(t, rec)
	}
	return writeJSON(w, 200, map[string]any{"items": items})
}

func (s *Server) getRecord(w http.ResponseWriter, r *http.Request) error {
	t, err := s.table(r)
	if err != nil {
		return err
	}
	id, err := pathID(r)
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
	t, err := s.table(r)
	if err != nil {
		return err
	}
	id, err := pathID(r)
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
	t, err := s.table(r)
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.Records.Delete(r.Context(), actor(r), t, id); err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"ok": true})
}

func (s *Server) history(w http.ResponseWriter, r *http.Request) error {
	t, err := s.table(r)
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	entries, err := s.Records.History(r.Context(), actor(r), t, id)
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
