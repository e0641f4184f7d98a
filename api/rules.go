package api

import (
	"net/http"
	"strconv"

	"tierbase/core/formula"
	"tierbase/engines/rules"
	"tierbase/platform/problem"
)

// ruleJSON is a rule with its sentence, problem and last run, as the API shows it.
func (s *Server) ruleJSON(ru *rules.Rule, status map[string]rules.RuleStatus, lang string) map[string]any {
	named := ru.Named(s.Catalog)
	res := map[string]any{"id": ru.ID, "name": ru.Name, "table": ru.Table, "tableName": named.TableName, "enabled": ru.Enabled,
		"triggers": named.Triggers, "when": ru.When, "related": ru.Related, "events": ru.Events, "actions": named.Actions, "text": ru.Describe(s.Catalog, lang)}
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
		if st.LastFired != "" {
			res["lastFired"] = st.LastFired
		}
		res["fired"] = st.Fired
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
