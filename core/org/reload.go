package org

import "context"

// Reload reads the departments and roles again, after another node changed them (package
// app calls it on store.TopicOrg). It waits for a change under way here, so the later of two
// reloads is the one kept.
func (s *Service) Reload(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reload(ctx)
}
