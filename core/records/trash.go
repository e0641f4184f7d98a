package records

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"tierbase/core/access"
	"tierbase/core/audit"
	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// TrashDays is how long a deleted record stays in the recycle bin (回收站) before PurgeTrash
// removes it for good.
const TrashDays = 30

// TrashItem is a deleted record as the recycle bin lists it.
type TrashItem struct {
	ID        int64  `json:"id"` // the bin's own id, the cursor of the next page
	TableID   string `json:"tableId"`
	Table     string `json:"table"`
	RecordID  int64  `json:"recordId"`
	Title     string `json:"title"`
	DeletedBy int64  `json:"deletedBy"`
	DeletedAt string `json:"deletedAt"`
}

// Restored is a record brought back from the recycle bin, with what could not come back as
// it was: values of fields deleted since (Dropped, how many), links to records gone since
// (Unlinked, field names, now empty) and fields added since (Added, field names, empty).
type Restored struct {
	Record   Record   `json:"record"`
	Dropped  int      `json:"dropped"`
	Unlinked []string `json:"unlinked"`
	Added    []string `json:"added"`
}

// toTrash copies the rows of olds, being deleted by the user by, into the recycle bin: each
// one's column values keyed by field id, and in place of each sub-table's row count its rows
// (rows[i], by field id, see deleteRows); up to 500 a statement.
func toTrash(ctx context.Context, tx *sql.Tx, t *schema.Table, olds []Record, rows []map[string]any, by int64, stamp string) error {
	for start := 0; start < len(olds); start += 500 {
		end := min(start+500, len(olds))
		args := make([]any, 0, 5*(end-start))
		for i := start; i < end; i++ {
			row := binRow(t, olds[i])
			maps.Copy(row, rows[i])
			data, err := json.Marshal(row)
			if err != nil {
				return err
			}
			args = append(args, t.ID, olds[i].ID(), string(data), by, stamp)
		}
		q := "INSERT INTO _trash(table_id, record_id, data, deleted_by, deleted_at) VALUES(?,?,?,?,?)" + strings.Repeat(",(?,?,?,?,?)", end-start-1)
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// binRow is rec, a record of t, as the recycle bin keeps it: column values by field id.
func binRow(t *schema.Table, rec Record) map[string]any {
	row := make(map[string]any, len(rec))
	for id, v := range rec {
		row[id] = SQLValue(v)
		if f := t.Field(id); f != nil && f.Sensitive { // kept sealed in the bin too
			row[id], _ = f.Seal(v)
		}
	}
	return row
}

// binValue is a column value of f as the recycle bin gives it back (see binRow).
func binValue(f *schema.Field, v any) any {
	if f != nil && f.Sensitive {
		return f.Unseal(v)
	}
	if n, ok := v.(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			return i
		}
		x, _ := n.Float64()
		return x
	}
	return v
}

// fromTrash reads the newest recycle-bin row of record id of t: its column values by field id.
func fromTrash(ctx context.Context, q *sql.Tx, t *schema.Table, id int64) (int64, map[string]any, error) {
	var binID int64
	var data string
	err := q.QueryRowContext(ctx, "SELECT id, data FROM _trash WHERE table_id = ? AND record_id = ? ORDER BY id DESC LIMIT 1",
		t.ID, id).Scan(&binID, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, problem.NotFound("trash_item", t.Name+" #"+fmt.Sprint(id))
	}
	if err != nil {
		return 0, nil, err
	}
	d := json.NewDecoder(strings.NewReader(data))
	d.UseNumber()
	var row map[string]any
	if err := d.Decode(&row); err != nil {
		return 0, nil, err
	}
	for k, v := range row {
		row[k] = binValue(t.Field(k), v)
	}
	return binID, row, nil
}

// Trash lists the recycle bin, newest first: of one table (tableRef) or all, a page of at
// most limit items from before the cursor (an item id; 0 for the first page). It needs the
// SeeDeleted permission.
func (s *Service) Trash(ctx context.Context, a access.Actor, tableRef string, cursor int64, limit int) ([]TrashItem, error) {
	if err := access.Can(a, access.SeeDeleted); err != nil {
		return nil, err
	}
	where, args := "id < ?", []any{cursor}
	if cursor <= 0 {
		args[0] = int64(1) << 62
	}
	if tableRef != "" {
		t, err := s.Catalog.Table(tableRef)
		if err != nil {
			return nil, err
		}
		where += " AND table_id = ?"
		args = append(args, t.ID)
	}
	if limit <= 0 || limit > MaxLimit {
		limit = 50
	}
	rows, err := s.DB.R.QueryContext(ctx, "SELECT id, table_id, record_id, data, deleted_by, deleted_at FROM _trash WHERE "+
		where+" ORDER BY id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []TrashItem{}
	for rows.Next() {
		var it TrashItem
		var data string
		if err := rows.Scan(&it.ID, &it.TableID, &it.RecordID, &data, &it.DeletedBy, &it.DeletedAt); err != nil {
			return nil, err
		}
		t, err := s.Catalog.Table(it.TableID)
		if err != nil {
			continue // its table is being deleted
		}
		it.Table = t.Name
		if f := t.Title(); f != nil {
			var row map[string]any
			if json.Unmarshal([]byte(data), &row) == nil {
				if v, ok := f.Unseal(row[f.ID]).(string); ok {
					it.Title = v
				}
			}
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// Restore brings record id of t back from the recycle bin, as an admin (SeeDeleted) asks:
// the same id and values, its history kept and a "restore" entry added, the rule engine and
// grading told as of a create. A value another record took meanwhile in a unique field is a
// 409 naming the field, and nothing changes.
func (s *Service) Restore(ctx context.Context, a access.Actor, t *schema.Table, id int64) (*Restored, error) {
	if err := access.Can(a, access.SeeDeleted); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	stamp := now.Format(time.RFC3339)
	var out *Restored
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		binID, row, err := fromTrash(ctx, tx, t, id)
		if err != nil {
			return err
		}
		res := &Restored{Record: make(Record, len(t.Fields)), Unlinked: []string{}, Added: []string{}}
		rec := res.Record
		known := 0
		for _, f := range t.Fields {
			v, ok := row[f.ID]
			if !ok {
				if !f.System {
					res.Added = append(res.Added, f.Name)
				}
				continue
			}
			known++
			if f.Type == schema.Subform {
				list, _ := v.([]any)
				rec[f.ID] = float64(len(list)) // restoreRows puts them back after the record
				continue
			}
			rec[f.ID] = FromSQL(f, v)
			if f.Type == schema.Link && rec[f.ID] != nil {
				if ok, err := s.exists(ctx, tx, f.LinkTable, rec[f.ID].(int64)); err != nil {
					return err
				} else if !ok {
					rec[f.ID] = nil
					res.Unlinked = append(res.Unlinked, f.Name)
				}
			}
			if ids, ok := rec[f.ID].([]int64); ok && f.Type == schema.Links {
				kept, err := s.existing(ctx, tx, f.LinkTable, ids)
				if err != nil {
					return err
				}
				if len(kept) < len(ids) {
					rec[f.ID] = nil
					if len(kept) > 0 {
						rec[f.ID] = kept
					}
					res.Unlinked = append(res.Unlinked, f.Name)
				}
			}
		}
		res.Dropped = len(row) - known
		rec[schema.FieldID] = id
		rec[schema.FieldUpdatedAt] = stamp
		if err := s.computeOwn(ctx, tx, t, nil, rec, nil); err != nil {
			return err
		}
		for _, h := range s.Hooks {
			if err := h.Before(ctx, tx, t, nil, rec); err != nil {
				return err
			}
		}
		if _, err := insertRow(ctx, tx, t, rec); err != nil {
			if p := s.constraintProblem(t, err, rec); p != nil {
				return p
			}
			return err
		}
		for _, f := range t.Subforms() {
			if err := s.restoreRows(ctx, tx, f, row[f.ID]); err != nil {
				return err
			}
		}
		if len(t.Subforms()) > 0 { // the rollups over the rows, as the rows left them
			if rec, err = s.get(ctx, tx, access.System, t, access.Read, id); err != nil {
				return err
			}
			res.Record = rec
		}
		if err := s.written(ctx, tx, t, nil, rec); err != nil {
			return err
		}
		for _, h := range s.Hooks {
			if err := h.After(ctx, tx, t, nil, rec); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM _trash WHERE id = ?", binID); err != nil {
			return err
		}
		if err := writeLog(ctx, tx, t, []logEntry{{recordID: id, action: "restore", changes: valueChanges(t, rec)}}, a, stamp); err != nil {
			return err
		}
		out = res
		return audit.Write(ctx, tx, now, audit.Event{UserID: a.UserID, Action: audit.Restore, TableID: t.ID, RecordID: id})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// exists reports whether record id of table tableID is there (whoever may see it).
// existing returns those of ids that are records of table tableID, in order.
func (s *Service) existing(ctx context.Context, q *sql.Tx, tableID string, ids []int64) ([]int64, error) {
	var out []int64
	for _, id := range ids {
		ok, err := s.exists(ctx, q, tableID, id)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, id)
		}
	}
	return out, nil
}

func (s *Service) exists(ctx context.Context, q *sql.Tx, tableID string, id int64) (bool, error) {
	target, err := s.Catalog.Table(tableID)
	if err != nil {
		return false, nil // the linked table is gone
	}
	var one int
	err = q.QueryRowContext(ctx, "SELECT 1 FROM "+store.Quote(target.SQLName())+" WHERE id = ?", id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// Forget removes record id of t from the recycle bin for good (SeeDeleted). Its history stays.
func (s *Service) Forget(ctx context.Context, a access.Actor, t *schema.Table, id int64) error {
	if err := access.Can(a, access.SeeDeleted); err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		binID, _, err := fromTrash(ctx, tx, t, id)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM _trash WHERE id = ?", binID)
		return err
	})
}

// PurgeTrash removes from the recycle bin what was deleted more than TrashDays ago and
// returns how many; the server runs it daily (see app).
func (s *Service) PurgeTrash(ctx context.Context) (int64, error) {
	cutoff := s.Now().UTC().AddDate(0, 0, -TrashDays).Format(time.RFC3339)
	var n int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM _trash WHERE deleted_at < ?", cutoff)
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	return n, err
}
