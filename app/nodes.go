package app

import (
	"context"
	"strconv"

	"tierbase/platform/store"
)

// followOtherNodes makes what this node keeps in memory follow the changes other nodes (and
// CLI commands) commit to the same PostgreSQL database: the catalog, people and sessions, the
// organisation, rules, schemes and dashboards are read again, and live inbox streams are
// told, within a moment of the commit (see store.Watch). On SQLite it does nothing.
func (a *App) followOtherNodes() {
	db := a.DB
	db.OnChange(store.TopicSchema, func(ctx context.Context, _ string) error { return a.Catalog.Reload(ctx) })
	db.OnChange(store.TopicUsers, func(ctx context.Context, _ string) error { return a.Users.Reload(ctx) })
	db.OnChange(store.TopicOrg, func(ctx context.Context, _ string) error { return a.Org.Reload(ctx) })
	db.OnChange(store.TopicRules, func(ctx context.Context, _ string) error { return a.Rules.Reload(ctx) })
	db.OnChange(store.TopicSchemes, func(ctx context.Context, _ string) error { return a.Grading.Reload(ctx) })
	db.OnChange(store.TopicReports, func(ctx context.Context, _ string) error { return a.Reports.Reload(ctx) })
	db.OnChange(store.TopicFlows, func(ctx context.Context, _ string) error { return a.Flows.Reload(ctx) })
	db.OnChange(store.TopicWebhooks, func(ctx context.Context, _ string) error { return a.Webhooks.Reload(ctx) })
	db.OnChange(store.TopicInbox, func(ctx context.Context, user string) error {
		id, _ := strconv.ParseInt(user, 10, 64)
		a.Inbox.Changed(id)
		return nil
	})
	db.Watch()
}
