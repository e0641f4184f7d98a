package api

import (
	"net/http"

	"tierbase/engines/grading"
	"tierbase/platform/problem"
)

// schemeJSON is a scheme with its sentence, as the API shows it.
func (s *Server) schemeJSON(sc *grading.Scheme, lang string) map[string]any {
	text, tableName, fieldName := "", "", ""
	if t, err := s.Catalog.Table(sc.Table); err == nil {
		text, tableName = sc.Describe(t, lang), t.Name
		if f := t.Field(sc.Field); f != nil {
			fieldName = f.Name
		}
	}
	res := map[string]any{"id": sc.ID, "name": sc.Name, "table": sc.Table, "tableName": tableName, "field": sc.Field,
		"fieldName": fieldName, "levels": sc.Levels, "default": sc.Default, "enabled": sc.Enabled, "text": text}
	if err := s.Grading.Problem(sc); err != nil {
		msg := err.Error()
		if p := problem.As(err); p != nil {
			msg = p.Message(lang)
		}
		res["problem"] = msg // shown instead of grading: the scheme needs fixing
	}
	return res
}

func (s *Server) listSchemes(w http.ResponseWriter, r *http.Request) error {
	items := []map[string]any{}
	for _, sc := range s.Grading.Schemes() {
		items = append(items, s.schemeJSON(sc, lang(r)))
	}
	return writeJSON(w, 200, map[string]any{"items": items})
}

func (s *Server) getScheme(w http.ResponseWriter, r *http.Request) error {
	sc, err := s.Grading.Scheme(r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, s.schemeJSON(sc, lang(r)))
}

// saveScheme creates (POST) or replaces (PUT) a scheme; enabled schemes regrade at once.
func (s *Server) saveScheme(w http.ResponseWriter, r *http.Request) error {
	var sc grading.Scheme
	if err := decode(r, &sc); err != nil {
		return err
	}
	status := 201
	if id := r.PathValue("id"); id != "" {
		old, err := s.Grading.Scheme(id)
		if err != nil {
			return err
		}
		sc.ID, status = old.ID, 200
	} else {
		sc.ID = ""
	}
	saved, n, err := s.Grading.Save(r.Context(), actor(r), &sc)
	if err != nil {
		return err
	}
	res := s.schemeJSON(saved, lang(r))
	res["changed"] = n
	return writeJSON(w, status, res)
}

func (s *Server) deleteScheme(w http.ResponseWriter, r *http.Request) error {
	if err := s.Grading.Delete(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"ok": true})
}

// previewScheme answers what a scheme would change, writing nothing.
func (s *Server) previewScheme(w http.ResponseWriter, r *http.Request) error {
	var sc grading.Scheme
	if err := decode(r, &sc); err != nil {
		return err
	}
	imp, err := s.Grading.Preview(r.Context(), actor(r), &sc, lang(r))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, imp)
}

func (s *Server) runScheme(w http.ResponseWriter, r *http.Request) error {
	sc, err := s.Grading.Scheme(r.PathValue("id"))
	if err != nil {
		return err
	}
	if !sc.Enabled {
		return problem.New(409, "scheme_disabled")
	}
	n, err := s.Grading.Regrade(r.Context(), actor(r), sc)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"changed": n})
}

// tierHistory answers the grade changes of a record the caller may see.
func (s *Server) tierHistory(w http.ResponseWriter, r *http.Request) error {
	t, id, err := s.record(r)
	if err != nil {
		return err
	}
	items, err := s.Grading.TierHistory(r.Context(), actor(r), t, id)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"items": items})
}

// tierMigrations answers month by month how many records moved between grades (?field=).
func (s *Server) tierMigrations(w http.ResponseWriter, r *http.Request) error {
	t, err := s.table(r)
	if err != nil {
		return err
	}
	items, err := s.Grading.Migrations(r.Context(), actor(r), t, r.URL.Query().Get("field"))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"items": items})
}

// runRFM scores the customers of a table by RFM and writes R分/F分/M分/RFM分群.
func (s *Server) runRFM(w http.ResponseWriter, r *http.Request) error {
	var m grading.RFM
	if err := decode(r, &m); err != nil {
		return err
	}
	n, err := s.Grading.RunRFM(r.Context(), actor(r), m)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"scored": n})
}

func (s *Server) listRFM(w http.ResponseWriter, r *http.Request) error {
	models, err := s.Grading.RFMModels(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"items": models})
}

func (s *Server) deleteRFM(w http.ResponseWriter, r *http.Request) error {
	if err := s.Grading.DeleteRFM(r.Context(), actor(r), r.PathValue("table")); err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"ok": true})
}
