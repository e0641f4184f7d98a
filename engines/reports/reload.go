package reports

import (
	"context"
	"encoding/json"
)

// Reload reads the dashboards and charts again (at Open, and after another node changed
// them: package app calls it on store.TopicReports). It holds the engine's lock while it
// reads, as changes do, so the later of a change and a reload is the one kept.
func (e *Engine) Reload(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var dashboards []*Dashboard
	rows, err := e.DB.R.QueryContext(ctx, "SELECT def FROM _dashboards ORDER BY position, "+e.DB.Dialect.InsertionOrder())
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var def string
		d := &Dashboard{}
		if err := rows.Scan(&def); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(def), d); err != nil {
			return err
		}
		dashboards = append(dashboards, d)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	charts := map[string]*Chart{}
	crows, err := e.DB.R.QueryContext(ctx, "SELECT def FROM _charts")
	if err != nil {
		return err
	}
	defer crows.Close()
	for crows.Next() {
		var def string
		c := &Chart{}
		if err := crows.Scan(&def); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(def), c); err != nil {
			return err
		}
		charts[c.ID] = c
	}
	if err := crows.Err(); err != nil {
		return err
	}
	e.dashboards, e.charts = dashboards, charts
	return nil
}
