// Package views keeps the saved views of a table (视图): how a person looks at its records —
// a filter, a sort, the columns shown, hidden, frozen, in order and at their widths, rows
// grouped by a field, a kanban by a 单选 field with a sum per column, or a calendar by a date
// field (records on the days of a month, Calendar). A view is personal
// (its owner's alone) or shared with everyone who may view the table; sharing one, and
// changing or deleting a shared one, takes the table's manage action. A view never widens
// what anyone reads: its records are always listed under the reader's own access policy.
package views

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

func init() {
	problem.AddTerm("view", "视图", "view")
	problem.AddMessage("view_kanban_field", "看板须按一个单选字段分列，「{name}」不是单选字段",
		"a kanban is arranged by a single select field; \"{name}\" is not one")
	problem.AddMessage("view_group_field", "不能按「{name}」分组（多选、标签和敏感字段不能分组）",
		"rows cannot be grouped by \"{name}\" (multi select, tags and sensitive fields cannot)")
	problem.AddMessage("view_calendar_field", "日历须按一个日期或日期时间字段排列，「{name}」不是",
		"a calendar is arranged by a date or date-time field; \"{name}\" is not one")
}

// Column is one column of a grid view, in the order shown: the field (its id) and whether it
// is hidden or frozen at the left, and its width in pixels (0: the default).
type Column struct {
	Field  string `json:"field"`
	Hidden bool   `json:"hidden,omitempty"`
	Frozen bool   `json:"frozen,omitempty"`
	Width  int    `json:"width,omitempty"`
}

// Settings are what a view keeps; _views.def holds them as JSON.
type Settings struct {
	Name    string     `json:"name"`
	Kind    string     `json:"kind"` // "grid", "kanban" or "calendar"
	Filter  *cond.Node `json:"filter,omitempty"`
	Sort    string     `json:"sort,omitempty"`
	Columns []Column   `json:"columns,omitempty"`
	// Group is the field (id) a grid's rows are grouped by, with counts and sums per group.
	Group string `json:"group,omitempty"`
	// Board is the 单选 field (id) of a kanban's columns; Sum the numeric field summed per column.
	Board string `json:"board,omitempty"`
	Sum   string `json:"sum,omitempty"`
	// Date is the date or date-time field (id) a calendar places its records by.
	Date string `json:"date,omitempty"`
}

// View is a saved view of a table.
type View struct {
	ID    string `json:"id"`
	Table string `json:"table"` // the table's id
	Settings
	Shared    bool   `json:"shared"`
	Owner     int64  `json:"owner"`
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
}

// Service stores the views.
type Service struct {
	DB  *store.DB
	Now func() time.Time
}

// New returns the views over db.
func New(db *store.DB) *Service { return &Service{DB: db, Now: time.Now} }

const columns = "id, table_id, owner_id, shared, def, created_at, updated_at"

func scan(row interface{ Scan(...any) error }) (*View, error) {
	var v View
	var shared int64
	var def string
	if err := row.Scan(&v.ID, &v.Table, &v.Owner, &shared, &def, &v.CreatedAt, &v.UpdatedAt); err != nil {
		return nil, err
	}
	v.Shared = shared != 0
	return &v, json.Unmarshal([]byte(def), &v.Settings)
}

// List returns the views of t the actor sees: the shared ones and their own, shared first,
// each in the order made.
func (s *Service) List(ctx context.Context, by access.Actor, t *schema.Table) ([]*View, error) {
	if err := access.CanOn(by, t, access.View); err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, "SELECT "+columns+` FROM _views WHERE table_id = ? AND (shared = 1 OR owner_id = ?)
		ORDER BY shared DESC, created_at, id`, t.ID, by.UserID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*View{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Get returns one view of t the actor sees; another person's personal view is not found.
func (s *Service) Get(ctx context.Context, by access.Actor, t *schema.Table, id string) (*View, error) {
	if err := access.CanOn(by, t, access.View); err != nil {
		return nil, err
	}
	v, err := scan(s.DB.R.QueryRowContext(ctx, "SELECT "+columns+" FROM _views WHERE id = ? AND table_id = ?", id, t.ID))
	if errors.Is(err, sql.ErrNoRows) || err == nil && !v.Shared && v.Owner != by.UserID {
		return nil, problem.NotFound("view", id)
	}
	return v, err
}

// mayChange checks that the actor may change (or delete) v, or save a view shared as shared:
// their own personal view, or any shared one with the table's manage action.
func mayChange(by access.Actor, t *schema.Table, v *View, shared bool) error {
	if shared || v != nil && v.Shared {
		return access.CanOn(by, t, access.ManageFields)
	}
	return nil
}

// Save creates a view of t (id empty) or changes one the actor may change. A kanban or grouped
// grid with a sum gets its counts and sums from an index of the field, the 负责人 and the sum
// (schema.SumIndex), made when first saved.
func (s *Service) Save(ctx context.Context, by access.Actor, t *schema.Table, id string, set Settings, shared bool) (*View, error) {
	var old *View
	if id != "" {
		var err error
		if old, err = s.Get(ctx, by, t, id); err != nil {
			return nil, err
		}
	}
	if err := mayChange(by, t, old, shared); err != nil {
		return nil, err
	}
	if err := check(t, &set); err != nil {
		return nil, err
	}
	raw, _ := json.Marshal(set)
	stamp := s.Now().UTC().Format(time.RFC3339Nano)
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		group := map[string]string{"grid": set.Group, "kanban": set.Board}[set.Kind]
		if group != "" && set.Sum != "" {
			if _, err := tx.ExecContext(ctx, schema.SumIndex(t, t.Field(group), t.Field(set.Sum))); err != nil {
				return err
			}
		}
		if old == nil {
			id = schema.NewID("viw")
			_, err := tx.ExecContext(ctx, "INSERT INTO _views("+columns+") VALUES(?, ?, ?, ?, ?, ?, ?)",
				id, t.ID, by.UserID, store.Bool(shared), string(raw), stamp, stamp)
			return err
		}
		_, err := tx.ExecContext(ctx, "UPDATE _views SET shared = ?, def = ?, updated_at = ? WHERE id = ?",
			store.Bool(shared), string(raw), stamp, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, by, t, id)
}

// Delete removes a view the actor may change.
func (s *Service) Delete(ctx context.Context, by access.Actor, t *schema.Table, id string) error {
	v, err := s.Get(ctx, by, t, id)
	if err != nil {
		return err
	}
	if err := mayChange(by, t, v, false); err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM _views WHERE id = ?", id)
		return err
	})
}

// maxName is the longest view name, in characters.
const maxName = 50

// check validates set against t and keeps its fields by id.
func check(t *schema.Table, set *Settings) error {
	set.Name = strings.TrimSpace(set.Name)
	switch {
	case set.Name == "":
		return problem.Invalid("required").At("name")
	case len([]rune(set.Name)) > maxName:
		return problem.Invalid("too_long", "max", maxName).At("name")
	case set.Kind == "":
		set.Kind = "grid"
	case set.Kind != "grid" && set.Kind != "kanban" && set.Kind != "calendar":
		return problem.Invalid("bad_choice", "value", set.Kind, "choices", "grid, kanban, calendar").At("kind")
	}
	if set.Filter != nil {
		if err := cond.Check(set.Filter, t); err != nil {
			return err
		}
	}
	for _, part := range strings.Split(set.Sort, ",") {
		if name := strings.TrimLeft(strings.TrimSpace(part), "+-"); name != "" && t.Field(name) == nil {
			return problem.Invalid("bad_sort", "name", name).At("sort")
		}
	}
	field := func(name, path string) (*schema.Field, error) {
		f := t.Field(name)
		if f == nil {
			return nil, problem.Invalid("unknown_field", "table", t.Name, "name", name).At(path)
		}
		return f, nil
	}
	seen := map[string]bool{}
	for i := range set.Columns {
		f, err := field(set.Columns[i].Field, "columns")
		if err != nil {
			return err
		}
		if seen[f.ID] {
			return problem.Invalid("duplicate_name", "name", f.Name).At("columns")
		}
		seen[f.ID] = true
		set.Columns[i].Field = f.ID
		set.Columns[i].Width = max(0, min(set.Columns[i].Width, 2000))
	}
	if set.Group != "" {
		f, err := field(set.Group, "group")
		if err != nil {
			return err
		}
		if f.Type.IsList() || f.Sensitive {
			return problem.Invalid("view_group_field", "name", f.Name).At("group")
		}
		set.Group = f.ID
	}
	if set.Kind == "kanban" {
		f, err := field(set.Board, "board")
		if err != nil {
			return err
		}
		if f.Type != schema.Select {
			return problem.Invalid("view_kanban_field", "name", f.Name).At("board")
		}
		set.Board = f.ID
	} else {
		set.Board = ""
	}
	if set.Kind == "calendar" {
		f, err := field(set.Date, "date")
		if err != nil {
			return err
		}
		if err := calendarField(f); err != nil {
			return err
		}
		set.Date = f.ID
	} else {
		set.Date = ""
	}
	if set.Sum != "" {
		f, err := field(set.Sum, "sum")
		if err != nil {
			return err
		}
		if !f.Type.IsNumeric() {
			return problem.Invalid("bad_sum", "name", f.Name).At("sum")
		}
		set.Sum = f.ID
	}
	return nil
}
