package inbox

// Changed signals the live subscribers of user that their inbox changed, when another node
// delivered a notice or marked some read (package app calls it on store.TopicInbox); user 0
// signals every subscriber (notices may have been missed). Subscribers read the inbox afresh.
func (s *Service) Changed(user int64) {
	if user != 0 {
		s.publish(user)
		return
	}
	s.hub.mu.Lock()
	users := make([]int64, 0, len(s.hub.subs))
	for u := range s.hub.subs {
		users = append(users, u)
	}
	s.hub.mu.Unlock()
	for _, u := range users {
		s.publish(u)
	}
}
