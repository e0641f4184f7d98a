package records_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
)

// heard is a records hook noting what it is told: Before of each record, After one by one,
// and AfterBatch (when batch) of many at once.
type heard struct {
	log []string
}

func (h *heard) Before(context.Context, *sql.Tx, *schema.Table, records.Record, records.Record) error {
	h.log = append(h.log, "before")
	return nil
}

func (h *heard) After(_ context.Context, _ *sql.Tx, _ *schema.Table, old, rec records.Record) error {
	h.log = append(h.log, fmt.Sprint("after ", old == nil, rec.ID()))
	return nil
}

type batchHeard struct{ heard }

func (h *batchHeard) AfterBatch(_ context.Context, _ *sql.Tx, _ *schema.Table, olds, recs []records.Record) error {
	ids := make([]int64, len(recs))
	for i, rec := range recs {
		ids[i] = rec.ID()
		if olds[i] != nil {
			return fmt.Errorf("record %d created with an old record", rec.ID())
		}
	}
	h.log = append(h.log, fmt.Sprint("batch ", ids))
	return nil
}

// CreateLater writes a record with its hooks' Before, and leaves their After to Created,
// which tells them of many records at once: a BatchHook all together, the others one by one.
func TestCreateLater(t *testing.T) {
	w := open(t)
	one, many := &heard{}, &batchHeard{}
	w.recs.Hooks = []records.Hook{one, many}
	var recs []records.Record
	err := w.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, name := range []string{"甲", "乙"} {
			rec, err := w.recs.CreateLater(ctx, tx, access.System, w.cust, records.Input{"客户名称": name})
			if err != nil {
				return err
			}
			recs = append(recs, rec)
		}
		if len(one.log) != 2 || len(many.log) != 2 {
			t.Errorf("before Created: %v, %v; want the Before of each only", one.log, many.log)
		}
		if _, err := w.recs.CreateLater(ctx, tx, access.System, w.cust, records.Input{"客户名称": "丙", "id": 9}); code(err) != "readonly_field" {
			t.Errorf("an id given: %v", err)
		}
		return w.recs.Created(ctx, tx, w.cust, recs)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(one.log); got != "[before before after true 1 after true 2]" {
		t.Errorf("hook: %s", got)
	}
	if got := fmt.Sprint(many.log); got != "[before before batch [1 2]]" {
		t.Errorf("batch hook: %s", got)
	}
	if recs[1][w.cust.Field("客户编号").ID] != "KH-0002" {
		t.Errorf("record = %v", recs[1])
	}
}
