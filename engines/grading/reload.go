package grading

import "context"

// Reload reads the schemes again, after another node changed them (package app calls it on
// store.TopicSchemes).
func (e *Engine) Reload(ctx context.Context) error { return e.reload(ctx) }
