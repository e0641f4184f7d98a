package api

import (
	"net/http"

	"tierbase/engines/channels"
)

// The group robots (群机器人) of 企业微信, 钉钉 and 飞书 that rules post to. Everyone signed in
// lists them (to pick one in a rule); those who design tables add, change, test and delete
// them and read their delivery logs. Addresses and secrets are never answered.

func (s *Server) listRobots(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Channels.List(r.Context())
	if err != nil {
		return err
	}
	if list == nil {
		list = []*channels.Robot{}
	}
	if actor(r).MayChangeSchema() != nil { // a rule's editor needs the names, not where they post
		for _, rb := range list {
			rb.Masked = ""
		}
	}
	return writeJSON(w, 200, map[string]any{"items": list})
}

func (s *Server) saveRobot(w http.ResponseWriter, r *http.Request) error {
	return saveByID(w, r, func(in *channels.Robot, id string) { in.ID = id }, s.Channels.Save)
}

func (s *Server) deleteRobot(w http.ResponseWriter, r *http.Request) error {
	if err := s.Channels.Delete(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"ok": true})
}

// testRobot sends a test message now and answers the attempt (ok, status, the vendor's answer).
func (s *Server) testRobot(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Channels.Test(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, d)
}

// robotDeliveries answers the robot's latest delivery attempts, newest first (?before=id pages).
func (s *Server) robotDeliveries(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 50)
	if err != nil {
		return err
	}
	before, err := queryInt(r, "before", 0)
	if err != nil {
		return err
	}
	list, err := s.Channels.Deliveries(r.Context(), actor(r), r.PathValue("id"), int64(before), min(max(limit, 1), 200))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"items": list})
}
