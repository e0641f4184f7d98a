package records

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

func init() {
	problem.AddMessage("bad_sum", "字段「{name}」不能求和（须是你可以看到的数字或金额字段）",
		"the field \"{name}\" cannot be summed (it must be a number or amount field you may see)")
	problem.AddMessage("bulk_nothing", "请选择要修改的字段、要添加的标签，或删除",
		"choose fields to set, a tag to add, or delete")
	problem.AddMessage("bad_tag_field", "「{name}」不是标签或多选字段", "\"{name}\" is not a tags or multi select field")
}

// Bulk is one change to many records (批量操作): the records the actor may read that match
// Filter and Search — only those of IDs when IDs are given — get the values of Set, get the
// value of each Add (field → value) added to a tags or multi select field, or are deleted.
type Bulk struct {
	IDs    []int64
	Filter *cond.Node
	Search string
	Set    Input
	Add    map[string]string
	Delete bool
}

// BulkResult is what a bulk change did: Changed records written (or deleted), Skipped
// records matched that the actor may read but not change (outside their change scope), left
// as they were, as 简道云 does.
type BulkResult struct {
	Changed int64 `json:"changed"`
	Skipped int64 `json:"skipped"`
}

// bulkChunk is how many records go through the records engine at a time (and between two
// reports of progress).
const bulkChunk = 1000

// bulkLarge is how many records a bulk change takes before its transaction gets a page cache
// of its own (store.DB.LargeWrite).
const bulkLarge = 10_000

// BulkChange applies b in one transaction through the records engine, so every record is
// validated, the rules and grading run and the history keeps an entry per record; all or
// nothing. Each chunk is validated record by record, then written set-wise (writeTx,
// together), or deleted set-wise (deleteMany); the hooks hear of its records together
// (BatchHook), after they are written. Editing takes the table's edit and bulk edit actions,
// deleting its delete action.
// progress (may be nil) hears how many of the total are done after each chunk.
func (s *Service) BulkChange(ctx context.Context, a access.Actor, t *schema.Table, b Bulk, progress func(done, total int)) (BulkResult, error) {
	var res BulkResult
	op, acts := access.Update, []access.TableAction{access.Edit, access.BulkEdit}
	if b.Delete {
		op, acts = access.Delete, []access.TableAction{access.Remove}
	} else if len(b.Set) == 0 && len(b.Add) == 0 {
		return res, problem.Invalid("bulk_nothing")
	}
	for _, act := range acts {
		if err := access.CanOn(a, t, act); err != nil {
			return res, err
		}
	}
	var added []*schema.Field
	var tags []string
	for name, tag := range b.Add {
		f := t.Field(name)
		if f == nil || !f.Type.IsMulti() {
			return res, problem.Invalid("bad_tag_field", "name", name).At("add")
		}
		added, tags = append(added, f), append(tags, tag)
	}
	fs := access.FieldsOf(a, t)
	read, rargs, err := s.where(a, t, fs, access.Read, b.Filter, b.Search)
	if err != nil {
		return res, err
	}
	change, cargs, err := s.where(a, t, fs, op, nil, "")
	if err != nil {
		return res, err
	}
	if len(b.IDs) > 0 {
		if len(b.IDs) > MaxBatch {
			return res, problem.Invalid("batch_too_large", "max", MaxBatch)
		}
		read += " AND id IN (?" + strings.Repeat(", ?", len(b.IDs)-1) + ")"
		for _, id := range b.IDs {
			rargs = append(rargs, id)
		}
	}
	stamp := s.Now().UTC().Format(time.RFC3339)
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		res = BulkResult{}
		cols := []string{"id"}
		for _, f := range added {
			cols = append(cols, store.Quote(f.Column()))
		}
		q := fmt.Sprintf("SELECT %s, CASE WHEN %s THEN 1 ELSE 0 END FROM %s WHERE %s ORDER BY id",
			strings.Join(cols, ", "), change, store.Quote(t.SQLName()), read)
		rows, err := tx.QueryContext(ctx, q, append(cargs, rargs...)...)
		if err != nil {
			return err
		}
		var items []Input
		var ids []int64
		dest := make([]any, len(cols)+1)
		ptrs := make([]any, len(dest))
		for i := range dest {
			ptrs[i] = &dest[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return err
			}
			if toInt(dest[len(cols)]) == 0 {
				res.Skipped++
				continue
			}
			id := toInt(dest[0])
			if b.Delete {
				ids = append(ids, id)
				continue
			}
			in := make(Input, len(b.Set)+len(added)+1)
			for k, v := range b.Set {
				in[k] = v
			}
			for i, f := range added {
				list, _ := FromSQL(f, dest[1+i]).([]string)
				if !slices.Contains(list, tags[i]) {
					list = append(slices.Clip(list), tags[i])
				}
				in[f.ID] = list
			}
			in[schema.FieldID] = id
			items = append(items, in)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		total := len(items) + len(ids)
		if total >= bulkLarge {
			restore, err := s.DB.LargeWrite(ctx, tx, 256)
			if err != nil {
				return err
			}
			defer restore()
		}
		for done := 0; done < total; done += bulkChunk {
			end := min(done+bulkChunk, total)
			if b.Delete {
				if err := s.deleteMany(ctx, tx, a, t, ids[done:end], stamp); err != nil {
					return err
				}
			} else if _, err := s.writeTx(ctx, tx, a, t, items[done:end], true); err != nil {
				return offsetRows(err, done)
			}
			if progress != nil {
				progress(end, total)
			}
		}
		res.Changed = int64(total)
		return nil
	})
	return res, err
}

// offsetRows numbers the rows of a chunk's problems among all the records of a bulk change,
// and keeps the first few: one value refused is mostly refused on every record alike.
func offsetRows(err error, offset int) error {
	if p := problem.As(err); p != nil {
		p.Details = p.Details[:min(len(p.Details), 5)]
		for _, d := range p.Details {
			d.Row += offset
		}
	}
	return err
}
