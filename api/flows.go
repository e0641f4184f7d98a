package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"tierbase/core/access"
	"tierbase/core/schema"
	"tierbase/engines/flows"
	"tierbase/platform/problem"
)

// The flow engine (流程引擎): definitions for those who may manage a table's rules, read by
// whoever sees the table; starting a flow on a record one may read; the to-do boxes of the
// signed-in person; actions on one's own tasks; an instance for those it concerns.

// flowJSON is a flow with its plain-language description, one line per node.
func (s *Server) flowJSON(f *flows.Flow, lang string) map[string]any {
	t, _ := s.Catalog.Table(f.Table)
	names := func(id int64) string { u, _ := s.Users.Get(id); return u.Name }
	roleName := func(id string) string {
		if role, err := s.Org.Role(id); err == nil {
			return role.Name
		}
		return id
	}
	res := map[string]any{"id": f.ID, "table": f.Table, "name": f.Name, "enabled": f.Enabled, "nodes": f.Nodes, "status": f.Status, "triggers": f.Triggers,
		"version": f.Version, "changed": f.Changed, "updatedAt": f.UpdatedAt, "text": flows.Describe(f, t, names, roleName, lang)}
	if ps := s.Flows.Problems(f); len(ps) > 0 { // a field or person it names went away since it was saved
		list := make([]map[string]string, len(ps))
		for i, p := range ps {
			list[i] = map[string]string{"path": p.Path, "message": p.Message(lang)}
		}
		res["problems"] = list
	}
	return res
}

func (s *Server) listFlows(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Flows.Flows(r.Context(), actor(r), r.URL.Query().Get("table"))
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(list))
	for i, f := range list {
		items[i] = s.flowJSON(f, lang(r))
	}
	return writeJSON(w, 200, map[string]any{"items": items})
}

func (s *Server) getFlow(w http.ResponseWriter, r *http.Request) error {
	f, err := s.Flows.Flow(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, s.flowJSON(f, lang(r)))
}

// saveFlow creates (POST) or replaces the draft of (PUT) a flow; it runs once published.
func (s *Server) saveFlow(w http.ResponseWriter, r *http.Request) error {
	var f flows.Flow
	if err := decode(r, &f); err != nil {
		return err
	}
	f.ID = r.PathValue("id")
	status := 201
	if f.ID != "" {
		status = 200
	}
	saved, err := s.Flows.Save(r.Context(), actor(r), &f)
	if err != nil {
		return err
	}
	return writeJSON(w, status, s.flowJSON(saved, lang(r)))
}

func (s *Server) publishFlow(w http.ResponseWriter, r *http.Request) error {
	f, err := s.Flows.Publish(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, s.flowJSON(f, lang(r)))
}

// startFlow starts a flow on a record: {"record": id, "chosen": {"<node id>": [user ids]}}.
func (s *Server) startFlow(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Record int64              `json:"record"`
		Chosen map[string][]int64 `json:"chosen"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	id, err := s.Flows.Start(r.Context(), actor(r), r.PathValue("id"), in.Record, in.Chosen)
	if err != nil {
		return err
	}
	return s.writeInstance(w, r, 201, id)
}

func (s *Server) writeInstance(w http.ResponseWriter, r *http.Request, status int, id int64) error {
	in, err := s.Flows.Instance(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	res := map[string]any{"id": in.ID, "flow": in.Flow, "flowName": in.FlowName, "version": in.Version, "table": in.Table,
		"record": in.Record, "initiator": in.Initiator, "initiatorName": in.InitiatorName, "state": in.State,
		"startedAt": in.StartedAt, "endedAt": in.EndedAt, "tasks": in.Tasks, "events": in.Events, "nodes": in.Nodes}
	if in.Reason != nil {
		res["reason"] = in.Reason.Message(lang(r))
	}
	if t, err := s.Catalog.Table(in.Table); err == nil && in.Data != nil { // the record as the person's roles or task let them read it
		b := appendRecord(make([]byte, 0, 1024), t, in.Data)
		b = append(b[:len(b)-1], `,"_titles":`...)
		res["data"] = json.RawMessage(append(appendTitles(b, t, in.Titles), '}'))
		fields := []*schema.Field{} // the form: the fields of the record they read, for one who may not read the table
		for _, f := range t.Fields {
			if _, ok := in.Data[f.ID]; ok {
				fields = append(fields, f)
			}
		}
		res["form"] = map[string]any{"id": t.ID, "name": t.Name, "titleField": t.Title().ID, "fields": fields}
	}
	return writeJSON(w, status, res)
}

func (s *Server) getInstance(w http.ResponseWriter, r *http.Request) error {
	id, err := flowPathID(r, "instance")
	if err != nil {
		return err
	}
	return s.writeInstance(w, r, 200, id)
}

// onInstance is the handler of an action on the instance of the path — 撤回, 催办, a comment —
// with the body's {"comment"} (it may be left out); it answers the instance with status.
func (s *Server) onInstance(status int, act func(ctx context.Context, a access.Actor, id int64, comment string) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := flowPathID(r, "instance")
		if err != nil {
			return err
		}
		var in flows.Input
		if err := decodeOptional(r, &in); err != nil {
			return err
		}
		if err := act(r.Context(), actor(r), id, in.Comment); err != nil {
			return err
		}
		return s.writeInstance(w, r, status, id)
	}
}

// withdrawInstance is the initiator's 撤回: {"comment"}.
func (s *Server) withdrawInstance(w http.ResponseWriter, r *http.Request) error {
	return s.onInstance(200, s.Flows.Withdraw)(w, r)
}

// urgeInstance is the initiator's 催办 (once an hour).
func (s *Server) urgeInstance(w http.ResponseWriter, r *http.Request) error {
	return s.onInstance(200, func(ctx context.Context, a access.Actor, id int64, _ string) error { return s.Flows.Urge(ctx, a, id) })(w, r)
}

// commentInstance adds a comment to the timeline: {"comment"}.
func (s *Server) commentInstance(w http.ResponseWriter, r *http.Request) error {
	return s.onInstance(201, s.Flows.Comment)(w, r)
}

// listRecordInstances lists the flows' instances on a record (?table=&record=), newest first.
func (s *Server) listRecordInstances(w http.ResponseWriter, r *http.Request) error {
	record, err := queryInt(r, "record", 0)
	if err != nil {
		return err
	}
	items, err := s.Flows.OfRecord(r.Context(), actor(r), r.URL.Query().Get("table"), int64(record))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"items": items})
}

// listTasks answers a page of one of my boxes (?box=todo|done|mine|cc, newest first, paged
// by ?before=<the last item's id>, of one ?flow= or ?table=, since ?since=), and the counts of my open tasks and copies.
func (s *Server) listTasks(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	box := q.Get("box")
	if box == "" {
		box = flows.BoxTodo
	}
	limit, err := queryInt(r, "limit", 50)
	if err != nil {
		return err
	}
	before, err := queryInt(r, "before", 0)
	if err != nil {
		return err
	}
	items, err := s.Flows.Box(r.Context(), actor(r), box, flows.Page{Before: int64(before), Limit: min(max(limit, 1), flows.MaxPage),
		Flow: q.Get("flow"), Table: q.Get("table"), Since: q.Get("since")})
	if err != nil {
		return err
	}
	todo, cc, err := s.Flows.Counts(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"items": items, "todo": todo, "cc": cc})
}

// actOnTask does an action on my task — approve, reject, transfer ({"to"}), return ({"node"}, "" for the
// initiator), addsign ({"to","before"}), resubmit — with a {"comment"}; it answers the instance.
func (s *Server) actOnTask(w http.ResponseWriter, r *http.Request) error {
	id, err := flowPathID(r, "task")
	if err != nil {
		return err
	}
	var in flows.Input
	if err := decodeOptional(r, &in); err != nil {
		return err
	}
	instance, err := s.Flows.Act(r.Context(), actor(r), id, r.PathValue("action"), in)
	if err != nil {
		return err
	}
	return s.writeInstance(w, r, 200, instance)
}

func flowPathID(r *http.Request, kind string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.NotFound(kind, r.PathValue("id"))
	}
	return id, nil
}

// decodeOptional is decode for a body that may be left out (an action without a comment).
func decodeOptional(r *http.Request, v any) error {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return decode(r, v) // too large: decode says so
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	return decodeBytes(data, v)
}
