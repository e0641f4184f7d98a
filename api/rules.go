package api

import (
	"net/http"
	"strconv"

	"tierbase/core/formula"
	"tierbase/engines/rules"
	"tierbase/platform/problem"
)

// schemeJSON is a scheme with its sentence, as the API shows it.
func (s *Server) schemeJSON(sc *rules.Scheme, lang string) map[string]any {
	text := ""
	if t, err := s.Catalog.Table(sc.Table); err == nil {
		text = sc.Describe(t, lang)
	}
	res := map[string]any{"id": sc.ID, "name": sc.Name, "table": sc.Table, "field": sc.Field, "levels": sc.Levels,
		"default": sc.Default, "enabled": sc.Enabled, "text": text}
	if err := s.Rules.Problem(sc); err != nil {
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
	for _, sc := range s.Rules.Schemes() {
		items = append(items, s.schemeJSON(sc, lang(r)))
	}
	return writeJSON(w, 200, map[string]any{"items": items})
}

func (s *Server) getScheme(w http.ResponseWriter, r *http.Request) error {
	sc, err := s.Rules.Scheme(r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, s.schemeJSON(sc, lang(r)))
}

// saveScheme creates (POST) or replaces (PUT) a scheme; enabled schemes regrade at once.
func (s *Server) saveScheme(w http.ResponseWriter, r *http.Request) error {
	var sc rules.Scheme
	if err := decode(r, &sc); err != nil {
		return err
	}
	status := 201
	if id := r.PathValue("id"); id != "" {
		old, err := s.Rules.Scheme(id)
		if err != nil {
			return err
		}
		sc.ID, status = old.ID, 200
	} else {
		sc.ID = ""
	}
	saved, n, err := s.Rules.Save(r.Context(), actor(r), &sc)
	if err != nil {
		return err
	}
	res := s.schemeJSON(saved, lang(r))
	res["changed"] = n
	return writeJSON(w, status, res)
}

func (s *Server) deleteScheme(w http.ResponseWriter, r *http.Request) error {
	if err := s.Rules.Delete(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"ok": true})
}

// previewScheme answers what a scheme would change, writing nothing.
func (s *Server) previewScheme(w http.ResponseWriter, r *http.Request) error {
	var sc rules.Scheme
	if err := decode(r, &sc); err != nil {
		return err
	}
	imp, err := s.Rules.Preview(r.Context(), actor(r), &sc, lang(r))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, imp)
}

func (s *Server) runScheme(w http.ResponseWriter, r *http.Request) error {
	sc, err := s.Rules.Scheme(r.PathValue("id"))
	if err != nil {
		return err
	}
	if !sc.Enabled {
		return problem.New(409, "scheme_disabled")
	}
	n, err := s.Rules.Regrade(r.Context(), actor(r), sc)
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
	items, err := s.Rules.TierHistory(r.Context(), actor(r), t, id)
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
	items, err := s.Rules.Migrations(r.Context(), actor(r), t, r.URL.Query().Get("field"))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"items": items})
}

// runRFM scores the customers of a table by RFM and writes R分/F分/M分/RFM分群.
func (s *Server) runRFM(w http.ResponseWriter, r *http.Request) error {
	var m rules.RFM
	if err := decode(r, &m); err != nil {
		return err
	}
	n, err := s.Rules.RunRFM(r.Context(), actor(r), m)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"scored": n})
}

func (s *Server) listRFM(w http.ResponseWriter, r *http.Request) error {
	models, err := s.Rules.RFMModels(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"items": models})
}

func (s *Server) deleteRFM(w http.ResponseWriter, r *http.Request) error {
	if err := s.Rules.DeleteRFM(r.Context(), actor(r), r.PathValue("table")); err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"ok": true})
}

// ruleJSON is a rule with its sentence, problem and last run, as the API shows it.
func (s *Server) ruleJSON(ru *rules.Rule, status map[string]rules.RuleStatus, lang string) map[string]any {
	res := map[string]any{"id": ru.ID, "name": ru.Name, "table": ru.Table, "enabled": ru.Enabled, "triggers": ru.Triggers,
		"when": ru.When, "related": ru.Related, "actions": ru.Actions, "text": ru.Describe(s.Catalog, lang)}
	if err := s.Rules.RuleProblem(ru); err != nil {
		res["problem"] = message(err, lang) // the rule does not run until it is fixed
	}
	if st, ok := status[ru.ID]; ok {
		if st.LastRun != "" {
			res["lastRun"] = st.LastRun
		}
		if st.LastError != "" {
			res["lastError"] = st.LastError
		}
	}
	return res
}

func message(err error, lang string) string {
	if p := problem.As(err); p != nil {
		return p.Message(lang)
	}
	return err.Error()
}

func (s *Server) listRules(w http.ResponseWriter, r *http.Request) error {
	status, err := s.Rules.Status(r.Context())
	if err != nil {
		return err
	}
	table := ""
	if ref := r.URL.Query().Get("table"); ref != "" {
		t, err := s.Catalog.Table(ref)
		if err != nil {
			return err
		}
		table = t.ID
	}
	items := []map[string]any{}
	for _, ru := range s.Rules.Rules() {
		if table == "" || ru.Table == table {
			items = append(items, s.ruleJSON(ru, status, lang(r)))
		}
	}
	return writeJSON(w, 200, map[string]any{"items": items})
}

func (s *Server) getRule(w http.ResponseWriter, r *http.Request) error {
	ru, err := s.Rules.Rule(r.PathValue("id"))
	if err != nil {
		return err
	}
	status, err := s.Rules.Status(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, 200, s.ruleJSON(ru, status, lang(r)))
}

// saveRule creates (POST) or replaces (PUT) a rule; an always-kept rule applies at once.
func (s *Server) saveRule(w http.ResponseWriter, r *http.Request) error {
	var ru rules.Rule
	if err := decode(r, &ru); err != nil {
		return err
	}
	status := 201
	if id := r.PathValue("id"); id != "" {
		old, err := s.Rules.Rule(id)
		if err != nil {
			return err
		}
		ru.ID, status = old.ID, 200
	} else {
		ru.ID = ""
	}
	saved, run, err := s.Rules.SaveRule(r.Context(), actor(r), &ru)
	if err != nil {
		return err
	}
	res := s.ruleJSON(saved, nil, lang(r))
	if run != nil {
		res["run"] = run
	}
	return writeJSON(w, status, res)
}

func (s *Server) deleteRule(w http.ResponseWriter, r *http.Request) error {
	if err := s.Rules.DeleteRule(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"ok": true})
}

func (s *Server) runRule(w http.ResponseWriter, r *http.Request) error {
	res, err := s.Rules.RunRule(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, res)
}

func (s *Server) previewRule(w http.ResponseWriter, r *http.Request) error {
	var ru rules.Rule
	if err := decode(r, &ru); err != nil {
		return err
	}
	p, err := s.Rules.PreviewRule(r.Context(), actor(r), &ru, lang(r))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, p)
}

func (s *Server) ruleFunctions(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, 200, map[string]any{"items": formula.Describe(lang(r))})
}

func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request) error {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	items, unread, err := s.Inbox.List(r.Context(), actor(r).UserID, r.URL.Query().Get("unread") == "1", limit)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"items": items, "unread": unread})
}

func (s *Server) readNotifications(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		IDs []int64 `json:"ids"`
		All bool    `json:"all"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if !in.All && in.IDs == nil {
		in.IDs = []int64{}
	}
	if in.All {
		in.IDs = nil
	}
	u := actor(r).UserID
	if err := s.Inbox.MarkRead(r.Context(), u, in.IDs); err != nil {
		return err
	}
	unread, err := s.Inbox.Unread(r.Context(), u)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"unread": unread})
}
