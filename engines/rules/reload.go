package rules

import "context"

// Reload reads the rules again, after another node changed them (package app calls it on
// store.TopicRules).
func (e *Engine) Reload(ctx context.Context) error { return e.reloadRules(ctx) }
