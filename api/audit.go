package api

import (
	"fmt"
	"net/http"
	"time"

	"tierbase/core/audit"
	"tierbase/platform/problem"
)

// auditQuery reads the log's filters: ?user (id), table (id or name), action, from and to
// (RFC 3339 times, or dates: from that day's start, to that day's end), cursor, limit.
func (s *Server) auditQuery(r *http.Request) (audit.Query, error) {
	v := r.URL.Query()
	q := audit.Query{Table: v.Get("table"), Action: v.Get("action"), Cursor: v.Get("cursor")}
	user, err := queryInt(r, "user", 0)
	if err != nil {
		return q, err
	}
	q.UserID = int64(user)
	if q.Limit, err = queryInt(r, "limit", 50); err != nil {
		return q, err
	}
	if q.From, err = s.queryTime(r, "from", 0); err != nil {
		return q, err
	}
	q.To, err = s.queryTime(r, "to", 1)
	return q, err
}

// queryTime reads a time parameter; a date is the start of that day plus days, in the server's zone.
func (s *Server) queryTime(r *http.Request, name string, days int) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	loc := s.Records.Loc
	if loc == nil {
		loc = time.Local
	}
	t, err := time.ParseInLocation(time.DateOnly, v, loc)
	if err != nil {
		return t, problem.Invalid("bad_param", "param", name, "reason", "param_time")
	}
	return t.AddDate(0, 0, days), nil
}

// listAudit answers a page of the operation log, newest first, and the cursor of the next.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	q, err := s.auditQuery(r)
	if err != nil {
		return err
	}
	items, next, err := s.Audit.List(r.Context(), actor(r), q)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"items": items, "next": next})
}

// exportAudit streams the entries the filters choose as an .xlsx file; the export is logged.
func (s *Server) exportAudit(w http.ResponseWriter, r *http.Request) error {
	q, err := s.auditQuery(r)
	if err != nil {
		return err
	}
	name := "操作日志"
	if lang(r) == "en" {
		name = "operation-log"
	}
	attachment(w, fmt.Sprintf("%s-%s.xlsx", name, time.Now().Format("20060102")), "xlsx")
	_, err = s.Audit.Export(r.Context(), actor(r), q, w, lang(r), s.Records.Loc)
	return err
}

func init() {
	problem.AddMessage("param_time", "需要日期（2026-11-23）或 RFC 3339 时间（2026-11-23T09:00:00+08:00）",
		"a date (2026-11-23) or an RFC 3339 time (2026-11-23T09:00:00+08:00) is needed")
}
