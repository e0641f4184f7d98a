package api

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"tierbase/engines/reports"
	"tierbase/platform/problem"
)

func (s *Server) listDashboards(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, 200, map[string]any{"items": s.Reports.Dashboards()})
}

func (s *Server) getDashboard(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Reports.Dashboard(r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, d)
}

// saveDashboard creates (POST) or updates (PUT: name, layout, refresh) a dashboard.
func (s *Server) saveDashboard(w http.ResponseWriter, r *http.Request) error {
	var d reports.Dashboard
	if err := decode(r, &d); err != nil {
		return err
	}
	d.ID, d.Charts = r.PathValue("id"), nil
	status := 201
	if d.ID != "" {
		old, err := s.Reports.Dashboard(d.ID)
		if err != nil {
			return err
		}
		d.ID, status = old.ID, 200
	}
	saved, err := s.Reports.SaveDashboard(r.Context(), actor(r), &d)
	if err != nil {
		return err
	}
	return writeJSON(w, status, saved)
}

func (s *Server) deleteDashboard(w http.ResponseWriter, r *http.Request) error {
	if err := s.Reports.DeleteDashboard(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"ok": true})
}

func (s *Server) getChart(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Reports.Chart(r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, c)
}

// saveChart creates (POST, into its "dashboard") or replaces (PUT) a chart.
func (s *Server) saveChart(w http.ResponseWriter, r *http.Request) error {
	var c reports.Chart
	if err := decode(r, &c); err != nil {
		return err
	}
	c.ID = r.PathValue("id")
	status := 201
	if c.ID != "" {
		if _, err := s.Reports.Chart(c.ID); err != nil {
			return err
		}
		status = 200
	}
	saved, err := s.Reports.SaveChart(r.Context(), actor(r), &c)
	if err != nil {
		return err
	}
	return writeJSON(w, status, saved)
}

func (s *Server) deleteChart(w http.ResponseWriter, r *http.Request) error {
	if err := s.Reports.DeleteChart(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"ok": true})
}

// dashboardFilters reads ?filters={"from","to","owners","regions"}.
func dashboardFilters(r *http.Request) (reports.Filters, error) {
	var f reports.Filters
	if v := r.URL.Query().Get("filters"); v != "" {
		if err := decodeBytes([]byte(v), &f); err != nil {
			if p := problem.As(err); p != nil && p.Code == "bad_json_type" {
				return f, p.At(join("filters", p.Path))
			}
			return f, problem.Invalid("bad_param", "param", "filters", "reason", "not_json")
		}
	}
	return f, nil
}

func (s *Server) chartData(w http.ResponseWriter, r *http.Request) error {
	f, err := dashboardFilters(r)
	if err != nil {
		return err
	}
	res, err := s.Reports.Data(r.Context(), actor(r), r.PathValue("id"), f)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, res)
}

// previewChart computes the data of an unsaved chart: {"chart":{…},"filters":{…}}.
func (s *Server) previewChart(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Chart   reports.Chart   `json:"chart"`
		Filters reports.Filters `json:"filters"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.Reports.Preview(r.Context(), actor(r), &in.Chart, in.Filters)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, res)
}

// exportChart answers the chart's data as an .xlsx file.
func (s *Server) exportChart(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Reports.Chart(r.PathValue("id"))
	if err != nil {
		return err
	}
	f, err := dashboardFilters(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := s.Reports.Export(r.Context(), actor(r), c.ID, f, "xlsx", &buf); err != nil {
		return err
	}
	attachment(w, fmt.Sprintf("%s-%s.xlsx", c.Title, time.Now().Format("20060102")), "xlsx")
	_, err = w.Write(buf.Bytes())
	return err
}
