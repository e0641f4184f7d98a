package api

import (
	"net/http"

	"tierbase/engines/webhooks"
)

// Outbound webhooks: those who design tables (ManageSchema) add, change, test, replay and
// delete them and read their delivery logs. The signing secret is answered when an endpoint
// is made and when it is rotated (PUT with rotateSecret), never otherwise.

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Webhooks.List(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"items": list})
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) error {
	e, err := s.Webhooks.Get(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, e)
}

func (s *Server) saveWebhook(w http.ResponseWriter, r *http.Request) error {
	return saveByID(w, r, func(in *webhooks.Endpoint, id string) { in.ID = id }, s.Webhooks.Save)
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := s.Webhooks.Delete(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"ok": true})
}

// testWebhook posts a test event now and answers the attempt (ok, status, the answer).
func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Webhooks.Test(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, d)
}

// replayWebhook queues a message again ({"message": "msg_…"}), or every failed one
// ({"failed": true}), with its own webhook-id.
func (s *Server) replayWebhook(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Message string `json:"message"`
		Failed  bool   `json:"failed"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	n, err := s.Webhooks.Replay(r.Context(), actor(r), r.PathValue("id"), in.Message, in.Failed)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"queued": n})
}

// webhookDeliveries answers the endpoint's latest attempts, newest first (?before=id pages).
func (s *Server) webhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 50)
	if err != nil {
		return err
	}
	before, err := queryInt(r, "before", 0)
	if err != nil {
		return err
	}
	list, err := s.Webhooks.Deliveries(r.Context(), actor(r), r.PathValue("id"), int64(before), min(max(limit, 1), 200))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"items": list})
}
