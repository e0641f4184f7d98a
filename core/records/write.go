package records

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"tierbase/core/access"
	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// Input is a record as a client sends it: values keyed by field name or id. In a batch, an
// "id" key makes the item an update.
type Input map[string]any

// MaxBatch is the largest batch accepted in one call.
const MaxBatch = 10000

// change is one field's before → after in the operation log.
type change struct {
	Field  string `json:"f"`
	Before any    `json:"b"`
	After  any    `json:"a"`
	// A change to a row of 子表单 Field: the row's position (1-based; a deleted row's is the
	// one it had), the sub-field's id, and RowAdded or RowDeleted when the row came or went.
	Row int    `json:"r,omitempty"`
	Sub string `json:"s,omitempty"`
	Op  string `json:"o,omitempty"`
}

// The Op of a change to a row of a 子表单 that was added or deleted.
const (
	RowAdded   = "added"
	RowDeleted = "deleted"
)

// Create adds one record and returns it as the actor may see it. An "id" in the input is
// refused: creating never overwrites.
func (s *Service) Create(ctx context.Context, a access.Actor, t *schema.Table, in Input) (Record, error) {
	var rec Record
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		rec, err = s.CreateTx(ctx, tx, a, t, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.strip(a, t, rec); err != nil {
		return nil, err
	}
	return rec, s.Rows(ctx, t, rec)
}

// single adapts a batch error to a one-record write: no row numbers, and a lone missing
// record (404) or duplicate value (409) is answered as itself rather than as a form to fix.
func single(err error) error {
	p := problem.As(err)
	if p == nil {
		return err
	}
	for _, d := range p.Details {
		d.Row = 0
	}
	if len(p.Details) == 1 && p.Details[0].Status != 400 {
		return p.Details[0]
	}
	return err
}

// Update changes the given fields of one record the actor may see.
func (s *Service) Update(ctx context.Context, a access.Actor, t *schema.Table, id int64, in Input) (Record, error) {
	item := make(Input, len(in)+1)
	for k, v := range in {
		item[k] = v
	}
	item[schema.FieldID] = id
	out, err := s.Batch(ctx, a, t, []Input{item})
	if err != nil {
		return nil, single(err)
	}
	return out[0], nil
}

// Batch creates and updates many records in one transaction: all are written, or none.
// Problems are reported per row (1-based). Creating takes the table's add action, updating
// its edit action, and updating more than one record its bulk edit action.
func (s *Service) Batch(ctx context.Context, a access.Actor, t *schema.Table, items []Input) ([]Record, error) {
	if err := direct(t); err != nil {
		return nil, err
	}
	if len(items) > MaxBatch {
		return nil, problem.Invalid("batch_too_large", "max", MaxBatch)
	}
	updates := 0
	for _, in := range items {
		if _, isUpdate, _ := itemID(in); isUpdate {
			updates++
		}
	}
	for act, needed := range map[access.TableAction]bool{access.Add: updates < len(items), access.Edit: updates > 0, access.BulkEdit: updates > 1} {
		if err := access.CanOn(a, t, act); needed && err != nil {
			return nil, err
		}
	}
	var out []Record
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = s.batchTx(ctx, tx, a, t, items)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.strip(a, t, out...); err != nil {
		return nil, err
	}
	return out, s.Rows(ctx, t, out...)
}

// CreateTx adds one record inside the caller's write transaction (see Create), for engines
// whose own work must commit with it or not at all.
func (s *Service) CreateTx(ctx context.Context, tx *sql.Tx, a access.Actor, t *schema.Table, in Input) (Record, error) {
	return s.create(ctx, tx, a, t, in, false)
}

// CreateLater is CreateTx leaving the hooks' After to the caller, who tells them of the
// records created in tx together (Created) once they are all written: the submissions of a
// public form arriving at once pay one pass of the rules, set-wise, instead of one each.
// The hooks' Before runs for each record as in CreateTx.
func (s *Service) CreateLater(ctx context.Context, tx *sql.Tx, a access.Actor, t *schema.Table, in Input) (Record, error) {
	return s.create(ctx, tx, a, t, in, true)
}

// Created tells the hooks, in their order, of records of t created in tx by CreateLater:
// a BatchHook hears of all of them at once, the others of each in turn.
func (s *Service) Created(ctx context.Context, tx *sql.Tx, t *schema.Table, recs []Record) error {
	return s.after(ctx, tx, t, make([]Record, len(recs)), recs)
}

// create is CreateTx, or CreateLater when later.
func (s *Service) create(ctx context.Context, tx *sql.Tx, a access.Actor, t *schema.Table, in Input, later bool) (Record, error) {
	if _, ok := in[schema.FieldID]; ok {
		return nil, problem.Collect([]*problem.Error{problem.Invalid("readonly_field").OnField(schema.FieldID)})
	}
	if err := direct(t); err != nil {
		return nil, err
	}
	if err := access.CanOn(a, t, access.Add); err != nil {
		return nil, err
	}
	out, err := s.write(ctx, tx, a, t, []Input{in}, false, later)
	if err != nil {
		return nil, single(err)
	}
	return out[0], nil
}

// UpdateTx changes the given fields of one record inside the caller's write transaction (see
// Update), for engines whose own work must commit with it or not at all (a flow's approver
// editing the record as they approve).
func (s *Service) UpdateTx(ctx context.Context, tx *sql.Tx, a access.Actor, t *schema.Table, id int64, in Input) (Record, error) {
	if err := direct(t); err != nil {
		return nil, err
	}
	if err := access.CanOn(a, t, access.Edit); err != nil {
		return nil, err
	}
	item := make(Input, len(in)+1)
	for k, v := range in {
		item[k] = v
	}
	item[schema.FieldID] = id
	out, err := s.batchTx(ctx, tx, a, t, []Input{item})
	if err != nil {
		return nil, single(err)
	}
	return out[0], nil
}

// batchTx is Batch inside a transaction.
func (s *Service) batchTx(ctx context.Context, tx *sql.Tx, a access.Actor, t *schema.Table, items []Input) ([]Record, error) {
	return s.writeTx(ctx, tx, a, t, items, false)
}

// writeTx writes items in tx: each is validated, computed, passed to the hooks' Before and
// written; then the hooks hear of it — of each at once, or, together, of all of them after
// the last is written (BatchHook.AfterBatch, set-wise; the others' After one by one).
// Together, the updates are written set-wise once all items are validated (updateMany).
func (s *Service) writeTx(ctx context.Context, tx *sql.Tx, a access.Actor, t *schema.Table, items []Input, together bool) ([]Record, error) {
	return s.write(ctx, tx, a, t, items, together, false)
}

// write is writeTx, whose hooks' After is left to the caller when later (CreateLater).
func (s *Service) write(ctx context.Context, tx *sql.Tx, a access.Actor, t *schema.Table, items []Input, together, later bool) ([]Record, error) {
	now := s.Now().UTC()
	stamp := now.Format(time.RFC3339)
	out := make([]Record, len(items))
	var probs []*problem.Error
	var logs []logEntry
	var olds, recs []Record   // written, when the hooks hear of them together
	var queued []queuedUpdate // the updates written together, set-wise, after all are validated
	var known reads           // together, nothing is written before all are validated: reads can be shared
	var pending map[string]int64
	if together {
		known, pending = reads{}, map[string]int64{}
	}
	pol, err := s.policy(a, t)
	if err != nil {
		return nil, err
	}
	var read map[int64]Record // the records updated, read at once when together
	if together {
		var ids []int64
		for _, in := range items {
			if id, isUpdate, _ := itemID(in); isUpdate {
				ids = append(ids, id)
			}
		}
		if len(ids) > 0 {
			if read, err = s.getMany(ctx, tx, a, t, access.Update, ids); err != nil {
				return nil, err
			}
		}
	}
	for i, in := range items {
		row := i + 1
		id, isUpdate, perr := itemID(in)
		if perr != nil {
			probs = append(probs, perr.AtRow(row))
			continue
		}
		var old Record
		if isUpdate {
			r, err := read[id], error(nil)
			if read == nil {
				r, err = s.get(ctx, tx, a, t, access.Update, id)
			} else if r == nil {
				err = problem.NotFound("record", fmt.Sprint(id))
			}
			if err != nil {
				if p := problem.As(err); p != nil {
					probs = append(probs, p.AtRow(row))
					continue
				}
				return nil, err
			}
			old = r
		}
		vals, ps := s.prepare(a, pol, t, in, old)
		for _, p := range ps {
			probs = append(probs, p.AtRow(row))
		}
		if len(ps) > 0 {
			continue
		}
		lps, err := s.checkLinks(ctx, tx, a, t, old, vals, known)
		if err != nil {
			return nil, err
		}
		if len(lps) > 0 {
			for _, p := range lps {
				probs = append(probs, p.AtRow(row))
			}
			continue
		}
		if len(probs) > 0 {
			continue // keep validating the rest, but write nothing
		}
		if err := s.computeOwn(ctx, tx, t, old, vals, known); err != nil {
			return nil, err
		}
		if len(s.Hooks) > 0 {
			hctx := ctx
			if together {
				hctx = context.WithValue(ctx, pendingKey{}, pendingWrites{pending, isUpdate})
			}
			for _, h := range s.Hooks {
				if err := h.Before(hctx, tx, t, old, vals); err != nil {
					return nil, err
				}
			}
			if err := s.computeFormulas(t, old, vals); err != nil { // over what the hooks set
				return nil, err
			}
		}
		if together && isUpdate {
			queued = append(queued, queuedUpdate{i, old, vals})
			continue
		}
		var rec Record
		if isUpdate {
			rec, err = s.update(ctx, tx, t, old, vals, stamp, &logs)
		} else {
			rec, err = s.insert(ctx, tx, t, vals, now, a)
		}
		if err != nil {
			if p := s.constraintProblem(t, err, vals); p != nil {
				probs = append(probs, p.AtRow(row))
				continue
			}
			return nil, err
		}
		rec, rowChanges, rps, err := s.saveSubforms(ctx, tx, a, t, in, rec, stamp)
		if err != nil {
			return nil, err
		}
		if len(rps) > 0 {
			for _, p := range rps {
				probs = append(probs, p.AtRow(row))
			}
			continue
		}
		logRows(ctx, &logs, t, !isUpdate, rec, rowChanges)
		if err := s.written(ctx, tx, t, old, rec); err != nil {
			return nil, err
		}
		out[i] = rec
		if together {
			olds, recs = append(olds, old), append(recs, rec)
		} else if !later {
			if err := s.after(ctx, tx, t, []Record{old}, []Record{rec}); err != nil {
				return nil, err
			}
		}
	}
	if err := problem.Collect(probs); err != nil {
		return nil, err
	}
	if len(queued) > 0 {
		written, err := s.updateMany(ctx, tx, a, t, items, queued, stamp, &logs)
		if err != nil {
			return nil, err
		}
		for j, q := range queued {
			out[q.i] = written[j]
			olds, recs = append(olds, q.old), append(recs, written[j])
		}
	}
	if err := s.after(ctx, tx, t, olds, recs); err != nil {
		return nil, err
	}
	return out, writeLog(ctx, tx, t, logs, a, stamp)
}

// after tells the hooks, in their order, that olds[i] became recs[i].
func (s *Service) after(ctx context.Context, tx *sql.Tx, t *schema.Table, olds, recs []Record) error {
	if len(recs) == 0 {
		return nil
	}
	for _, h := range s.Hooks {
		if b, ok := h.(BatchHook); ok {
			if err := b.AfterBatch(ctx, tx, t, olds, recs); err != nil {
				return err
			}
			continue
		}
		for i := range recs {
			if err := h.After(ctx, tx, t, olds[i], recs[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

func itemID(in Input) (int64, bool, *problem.Error) {
	v, ok := in[schema.FieldID]
	if !ok || v == nil {
		return 0, false, nil
	}
	switch x := v.(type) {
	case int64:
		return x, true, nil
	case float64:
		if x == math.Trunc(x) && x > 0 {
			return int64(x), true, nil
		}
	case json.Number:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil && n > 0 {
			return n, true, nil
		}
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil && n > 0 {
			return n, true, nil
		}
	}
	return 0, false, problem.Invalid("not_integer", "value", fmt.Sprint(v)).OnField("id")
}

// prepare validates an input against t as the actor writes it under their policy p. For a
// create (old == nil) it fills defaults and the owner; it checks required fields, the fields
// the actor may change on this record, that auto numbers come from the server only, and that
// the record as written stays within what the actor may change (so nobody hands a record
// outside their scope); it returns the values to write, keyed by field id.
func (s *Service) prepare(a access.Actor, p *access.Policy, t *schema.Table, in Input, old Record) (Record, []*problem.Error) {
	vals := make(Record, len(in))
	var probs []*problem.Error
	var changed []*schema.Field
	known := 0
	sees := p.Sees(old) // a hidden field given unchanged is refused too: it would tell its value
	masked := p.Fields().Masked
	for _, f := range t.Fields {
		v, ok := in[f.ID]
		if !ok {
			v, ok = in[f.Name]
		}
		if !ok || f.ID == schema.FieldID {
			continue
		}
		known++
		if f.System && f.ID != schema.FieldOwner {
			probs = append(probs, problem.Invalid("readonly_field").OnField(f.Name))
			continue
		}
		if f.Type == schema.Subform { // its rows are saved after the record (saveRows)
			changed = append(changed, f)
			continue
		}
		if masked[f.ID] {
			if unchanged, p := maskedWrite(f, v, old); !unchanged {
				probs = append(probs, p)
			}
			continue
		}
		nv, p := f.Normalize(v, s.Loc)
		if f.IsComputed() {
			if p != nil || !Equal(old[f.ID], nv) { // a form may send back what it showed
				probs = append(probs, schema.ComputedProblem(t, f))
			}
			continue
		}
		if p != nil {
			probs = append(probs, p)
			continue
		}
		if old != nil && Equal(old[f.ID], nv) && sees(f.ID) {
			vals[f.ID] = nv // unchanged (a form sends back what it showed): nothing to check
			continue
		}
		changed = append(changed, f)
		if f.Type == schema.AutoNumber {
			if nv != nil {
				probs = append(probs, problem.Invalid("autonumber_given").OnField(f.Name))
			}
			continue
		}
		if f.Type.IsFile() && nv != nil {
			if nv, p = s.kept(f, nv.(string)); p != nil {
				probs = append(probs, p)
				continue
			}
		}
		if f.Type == schema.User && nv != nil {
			if _, ok := s.Users.Get(nv.(int64)); !ok {
				probs = append(probs, problem.Invalid("bad_user", "value", nv).OnField(f.Name))
				continue
			}
		}
		vals[f.ID] = nv
	}
	if _, hasID := in[schema.FieldID]; known+btoi(hasID) < len(in) {
		for k := range in {
			if k != schema.FieldID && t.Field(k) == nil {
				probs = append(probs, problem.Invalid("unknown_field", "table", t.Name, "name", k).OnField(k))
			}
		}
	}
	for _, f := range t.Fields {
		if f.System {
			continue
		}
		v, given := vals[f.ID]
		if old == nil && !given && f.Default != nil {
			vals[f.ID], v, given = f.Default, f.Default, true
		}
		if f.Required && f.Type != schema.AutoNumber && v == nil && (given || old == nil) {
			probs = append(probs, problem.Invalid("required").OnField(f.Name))
		}
	}
	if _, given := vals[schema.FieldOwner]; !given && old == nil && a.UserID != 0 {
		vals[schema.FieldOwner] = a.UserID
	}
	if old != nil && p.All() { // nothing limits what they change: no record as written to judge
		return vals, probs
	}
	after := Record{schema.FieldCreatedBy: a.UserID}
	for k, v := range old {
		after[k] = v
	}
	for k, v := range vals {
		after[k] = v
	}
	if err := p.Holds(after, old == nil); err != nil {
		return vals, append(probs, problem.As(err))
	}
	row := old
	if old == nil {
		row = after
	}
	editable := p.Editable(row, old == nil)
	for _, f := range changed {
		if !editable(f.ID) {
			probs = append(probs, problem.New(403, "field_readonly").OnField(f.Name))
		}
	}
	return vals, probs
}

// checkLinks verifies that the linked records exist and that the actor may read them; both
// failures read the same, so a write cannot probe for records the actor cannot see. Of a
// 多条关联 only the ids not already in old are checked: a record keeps the links someone
// else made to records the actor cannot read. A 部门 must be a department of the tree.
func (s *Service) checkLinks(ctx context.Context, tx *sql.Tx, a access.Actor, t *schema.Table, old, vals Record, known reads) ([]*problem.Error, error) {
	var probs []*problem.Error
	for id, v := range vals {
		f := t.Field(id)
		if v == nil || !f.Type.Linked() && f.Type != schema.Department {
			continue
		}
		if f.Type == schema.Department {
			if _, ok := s.departmentName(v.(int64)); !ok {
				probs = append(probs, problem.Invalid("bad_department", "value", v).OnField(f.Name))
			}
			continue
		}
		ids, _ := v.([]int64)
		if f.Type == schema.Link {
			ids = []int64{v.(int64)}
		} else if had, ok := old[f.ID].([]int64); ok {
			ids = slices.DeleteFunc(slices.Clone(ids), func(id int64) bool { return slices.Contains(had, id) })
		}
		if len(ids) == 0 {
			continue
		}
		target, err := s.Catalog.Table(f.LinkTable)
		if err != nil {
			probs = append(probs, problem.Invalid("bad_link", "value", ids[0]).OnField(f.Name))
			continue
		}
		missing, err := known.once(fmt.Sprintf("link %s %v", f.ID, ids), func() (any, error) { return s.unreadable(ctx, tx, a, target, ids) })
		if err != nil {
			return nil, err
		}
		if missing != int64(0) {
			probs = append(probs, problem.Invalid("bad_link", "value", missing).OnField(f.Name))
		}
	}
	return probs, nil
}

type pendingKey struct{}

// pendingWrites is what Pending answers.
type pendingWrites struct {
	tally    map[string]int64
	deferred bool
}

// Pending is, for a hook's Before, the tally of a batch whose updates are written together
// once all of them are validated (a bulk edit's chunk, an import's updates): the table does
// not show what the batch's earlier updates will change, so a hook that counts rows (a rule
// giving records to the least busy person) keeps what it gave in tally, and counts it too.
// deferred says whether the record at hand is such an update (a create is written at once,
// so the table shows it). tally is nil outside such a batch.
func Pending(ctx context.Context) (tally map[string]int64, deferred bool) {
	p, _ := ctx.Value(pendingKey{}).(pendingWrites)
	return p.tally, p.deferred
}

// reads keeps what the records of one batch read of other records (whether linked records
// may be read, a lookup's value), so that records given the same value read it once. A nil
// reads keeps nothing.
type reads map[string]any

// once returns the value kept under key, or reads and keeps it.
func (r reads) once(key string, read func() (any, error)) (any, error) {
	if v, ok := r[key]; ok {
		return v, nil
	}
	v, err := read()
	if err == nil && r != nil {
		r[key] = v
	}
	return v, err
}

// unreadable returns the first of ids that is not a record of t the actor may read, or 0
// when they all are. One query per 500 ids.
func (s *Service) unreadable(ctx context.Context, tx *sql.Tx, a access.Actor, t *schema.Table, ids []int64) (int64, error) {
	scope, scopeArgs, err := s.where(a, t, access.FieldsOf(a, t), access.Read, nil, "")
	if err != nil {
		return 0, err
	}
	for chunk := range slices.Chunk(ids, 500) {
		args := make([]any, 0, len(chunk)+len(scopeArgs))
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := tx.QueryContext(ctx, fmt.Sprintf("SELECT id FROM %s WHERE id IN (?%s) AND (%s)", store.Quote(t.SQLName()),
			strings.Repeat(", ?", len(chunk)-1), scope), append(args, scopeArgs...)...)
		if err != nil {
			return 0, err
		}
		found := map[int64]bool{}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return 0, err
			}
			found[id] = true
		}
		if err := rows.Close(); err != nil {
			return 0, err
		}
		for _, id := range chunk {
			if !found[id] {
				return id, nil
			}
		}
	}
	return 0, nil
}

// insert writes vals as a new record of t with the history entry of its creation; for a
// table with sub-tables the entry waits for the rows (writeTx).
func (s *Service) insert(ctx context.Context, tx *sql.Tx, t *schema.Table, vals Record, now time.Time, a access.Actor) (Record, error) {
	stamp := now.Format(time.RFC3339)
	rec := make(Record, len(t.Fields))
	for _, f := range t.Fields {
		rec[f.ID] = vals[f.ID]
		if f.Type == schema.Subform {
			rec[f.ID] = 0.0 // no rows yet (saveRows counts them)
		}
	}
	by := viaOf(ctx)
	if a.UserID != 0 {
		rec[schema.FieldCreatedBy] = a.UserID
	} else if by.note == RuleNote || by.note == FlowNote {
		rec[schema.FieldCreatedBy] = SystemUser
	}
	rec[schema.FieldCreatedAt] = stamp
	rec[schema.FieldUpdatedAt] = stamp
	for _, f := range t.Fields {
		if f.Type == schema.AutoNumber && rec[f.ID] == nil {
			n, err := nextNumber(ctx, tx, f, now.In(s.loc()))
			if err != nil {
				return nil, err
			}
			rec[f.ID] = n
		}
	}
	var id int64
	var err error
	if len(t.Subforms()) > 0 {
		id, err = insertRow(ctx, tx, t, rec)
	} else {
		id, err = insertLogged(ctx, tx, t, rec, creation(ctx, t, rec), a, stamp)
	}
	if err != nil {
		return nil, err
	}
	rec[schema.FieldID] = id
	return rec, nil
}

// creation is the changes of the history entry of rec's creation: what made it for the
// system, and its values.
func creation(ctx context.Context, t *schema.Table, rec Record) []change {
	var changes []change
	if by := viaOf(ctx); by.note != "" {
		changes = append(changes, change{Field: by.note, After: by.name})
	}
	return append(changes, valueChanges(t, rec)...)
}

// valueChanges lists rec's non-empty user values as the history of its creation shows them
// (a sub-table's rows are listed row by row, as saveRows writes them).
func valueChanges(t *schema.Table, rec Record) []change {
	var changes []change
	for _, f := range t.UserFields() {
		if rec[f.ID] != nil && f.Type != schema.Subform {
			changes = append(changes, change{Field: f.ID, After: rec[f.ID]})
		}
	}
	return changes
}

// insertRow inserts rec as a row of t and returns its id: the given one when rec has an id
// (a record restored from the recycle bin), else a new one.
func insertRow(ctx context.Context, tx *sql.Tx, t *schema.Table, rec Record) (int64, error) {
	q, args := insertSQL(t, rec)
	return t.Dialect.InsertID(ctx, tx, q, args...)
}

// insertSQL is the statement that inserts rec as a row of t and returns its id, and its
// arguments.
func insertSQL(t *schema.Table, rec Record) (string, []any) {
	cols := make([]string, 0, len(t.Fields))
	args := make([]any, 0, len(t.Fields))
	for _, f := range t.Fields {
		if f.ID == schema.FieldID && rec[f.ID] == nil {
			continue
		}
		cols, args = columnArgs(f, rec[f.ID], cols, args)
	}
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES (?%s) RETURNING id", store.Quote(t.SQLName()),
		strings.Join(cols, ", "), strings.Repeat(", ?", len(cols)-1)), args
}

// insertLogged inserts rec as a new row of t with the history entry of its creation, and
// returns its id. On PostgreSQL both are one statement: a round trip fewer for every record
// saved from a form.
func insertLogged(ctx context.Context, tx *sql.Tx, t *schema.Table, rec Record, changes []change, a access.Actor, stamp string) (int64, error) {
	changed := logJSON(t, changes)
	insert, args := insertSQL(t, rec)
	q := t.Dialect.InsertWith(insert, `INSERT INTO _oplog(table_id, record_id, action, user_id, at, changes)
		SELECT CAST(? AS TEXT), id, 'create', CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT) FROM r RETURNING record_id`)
	if q == "" {
		id, err := insertRow(ctx, tx, t, rec)
		if err != nil {
			return 0, err
		}
		_, err = tx.ExecContext(ctx, logInsert, t.ID, id, "create", a.UserID, stamp, changed)
		return id, err
	}
	var id int64
	err := tx.QueryRowContext(ctx, q, append(args, t.ID, a.UserID, stamp, changed)...).Scan(&id)
	return id, err
}

func (s *Service) loc() *time.Location {
	if s.Loc != nil {
		return s.Loc
	}
	return time.Local
}

// diff is what writing vals over old changes: the record after, the SET assignments of the
// UPDATE with their arguments (without 更新时间), and the history's changes (none: nothing
// changes).
func diff(ctx context.Context, t *schema.Table, old, vals Record, stamp string) (Record, []string, []any, []change) {
	rec := maps.Clone(old)
	var sets []string
	var args []any
	var changes []change
	for _, f := range t.Fields {
		v, ok := vals[f.ID]
		if !ok || Equal(old[f.ID], v) {
			continue
		}
		var cols []string
		cols, args = columnArgs(f, v, nil, args)
		for _, c := range cols {
			sets = append(sets, c+" = ?")
		}
		changes = append(changes, change{Field: f.ID, Before: old[f.ID], After: v})
		rec[f.ID] = v
	}
	if len(changes) == 0 {
		return rec, nil, nil, nil
	}
	if by := viaOf(ctx); by.note != "" {
		changes = append(changes, change{Field: by.note, After: by.name})
	}
	rec[schema.FieldUpdatedAt] = stamp
	return rec, append(sets, store.Quote(schema.FieldUpdatedAt)+" = ?"), append(args, stamp), changes
}

func (s *Service) update(ctx context.Context, tx *sql.Tx, t *schema.Table, old, vals Record, stamp string, logs *[]logEntry) (Record, error) {
	rec, sets, args, changes := diff(ctx, t, old, vals, stamp)
	if changes == nil {
		return rec, nil
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("UPDATE %s SET %s WHERE id = ?", store.Quote(t.SQLName()), strings.Join(sets, ", ")), append(args, old.ID())...); err != nil {
		return nil, err
	}
	*logs = append(*logs, logEntry{recordID: old.ID(), action: "update", changes: changes})
	return rec, nil
}

// queuedUpdate is an update validated and computed, to be written with others (updateMany):
// item i of a batch, the record before and the values to write.
type queuedUpdate struct {
	i         int
	old, vals Record
}

// updateMany writes the updates queued of items set-wise: one UPDATE … WHERE id IN (…) for
// the records getting the same new values (a bulk edit's records mostly are one such group),
// then each one's sub-table rows if it gives them, and spreads the changes to the computed
// fields reading them at once. It returns the records as written, in the order of queued; a
// duplicate value of a unique field is a problem at the first item of its group.
func (s *Service) updateMany(ctx context.Context, tx *sql.Tx, a access.Actor, t *schema.Table, items []Input, queued []queuedUpdate, stamp string, logs *[]logEntry) ([]Record, error) {
	type group struct {
		sets  []string
		args  []any
		ids   []any
		first queuedUpdate
	}
	groups := map[string]*group{}
	var order []*group
	olds, recs := make([]Record, len(queued)), make([]Record, len(queued))
	var key strings.Builder
	for j, q := range queued {
		rec, sets, args, changes := diff(ctx, t, q.old, q.vals, stamp)
		olds[j], recs[j] = q.old, rec
		if changes == nil {
			continue
		}
		*logs = append(*logs, logEntry{recordID: q.old.ID(), action: "update", changes: changes})
		key.Reset()
		for i, set := range sets {
			fmt.Fprintf(&key, "%s\x00%T\x00%v\x00", set, args[i], args[i])
		}
		g := groups[key.String()]
		if g == nil {
			g = &group{sets: sets, args: args, first: q}
			groups[key.String()], order = g, append(order, g)
		}
		g.ids = append(g.ids, q.old.ID())
	}
	for _, g := range order {
		q := fmt.Sprintf("UPDATE %s SET %s WHERE id IN (?%s)", store.Quote(t.SQLName()), strings.Join(g.sets, ", "), strings.Repeat(", ?", len(g.ids)-1))
		if _, err := tx.ExecContext(ctx, q, append(slices.Clip(g.args), g.ids...)...); err != nil {
			if p := s.constraintProblem(t, err, g.first.vals); p != nil {
				return nil, problem.Collect([]*problem.Error{p.AtRow(g.first.i + 1)})
			}
			return nil, err
		}
	}
	var probs []*problem.Error
	for j, q := range queued {
		rec, rows, ps, err := s.saveSubforms(ctx, tx, a, t, items[q.i], recs[j], stamp)
		if err != nil {
			return nil, err
		}
		logRows(ctx, logs, t, false, rec, rows)
		for _, p := range ps {
			probs = append(probs, p.AtRow(q.i+1))
		}
		recs[j] = rec
	}
	if err := problem.Collect(probs); err != nil {
		return nil, err
	}
	return recs, s.writtenMany(ctx, tx, t, olds, recs)
}

// saveSubforms saves the sub-table rows in (the input of record rec) gives, and returns rec
// as the rows left it (their counts and the rollups over them), the rows' changes for its
// history, and the rows' problems.
func (s *Service) saveSubforms(ctx context.Context, tx *sql.Tx, a access.Actor, t *schema.Table, in Input, rec Record, stamp string) (Record, []change, []*problem.Error, error) {
	var probs []*problem.Error
	var changes []change
	rows := false
	for _, f := range t.Subforms() {
		if v, ok := subformInput(in, f); ok {
			cs, p, err := s.saveRows(ctx, tx, a, t, f, rec.ID(), v, stamp)
			if err != nil {
				return nil, nil, nil, err
			}
			changes, probs, rows = append(changes, cs...), append(probs, p...), true
		}
	}
	if len(probs) > 0 || !rows {
		return rec, changes, probs, nil
	}
	rec, err := s.get(ctx, tx, access.System, t, access.Read, rec.ID())
	return rec, changes, nil, err
}

// logRows puts the changes of record rec's sub-table rows in its history: in the entry of its
// creation (for a table with sub-tables written once the rows are in, so its values are as the
// rows left them), else in the entry of its own changes in this write, or in one of their own.
func logRows(ctx context.Context, logs *[]logEntry, t *schema.Table, created bool, rec Record, rows []change) {
	switch {
	case created && len(t.Subforms()) > 0:
		*logs = append(*logs, logEntry{recordID: rec.ID(), action: "create", changes: append(creation(ctx, t, rec), rows...)})
		return
	case len(rows) == 0:
		return
	}
	for i := len(*logs) - 1; i >= 0; i-- {
		if l := &(*logs)[i]; l.recordID == rec.ID() && l.action == "update" {
			l.changes = append(l.changes, rows...)
			return
		}
	}
	*logs = append(*logs, logEntry{recordID: rec.ID(), action: "update", changes: rows})
}

// Equal reports whether two values in storage form are the same (lists element by element).
func Equal(a, b any) bool {
	if la, aok := a.([]string); aok || isType[[]string](b) {
		lb, _ := b.([]string)
		return slices.Equal(la, lb)
	}
	if la, aok := a.([]int64); aok || isType[[]int64](b) {
		lb, _ := b.([]int64)
		return slices.Equal(la, lb)
	}
	if la, aok := a.([]float64); aok || isType[[]float64](b) {
		lb, _ := b.([]float64)
		return slices.Equal(la, lb)
	}
	return a == b
}

func isType[T any](v any) bool { _, ok := v.(T); return ok }

// Delete removes a record the actor may see, into the recycle bin (see Trash). Links to it
// from other records are cleared.
func (s *Service) Delete(ctx context.Context, a access.Actor, t *schema.Table, id int64) error {
	stamp := s.Now().UTC().Format(time.RFC3339)
	if err := direct(t); err != nil {
		return err
	}
	if err := access.CanOn(a, t, access.Remove); err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error { return s.deleteMany(ctx, tx, a, t, []int64{id}, stamp) })
}

// deleteMany deletes the records ids of t in tx, set-wise, as Delete does each: into the
// recycle bin with their sub-table rows, in one statement; links to them cleared; the hooks
// told (together where they can be, BatchHook); a history entry each. A record the actor may
// not delete is not found.
func (s *Service) deleteMany(ctx context.Context, tx *sql.Tx, a access.Actor, t *schema.Table, ids []int64, stamp string) error {
	read, err := s.getMany(ctx, tx, a, t, access.Delete, ids)
	if err != nil {
		return err
	}
	olds, rows := make([]Record, len(ids)), make([]any, len(ids))
	for i, id := range ids {
		if olds[i] = read[id]; olds[i] == nil {
			return problem.NotFound("record", fmt.Sprint(id))
		}
		rows[i] = id
	}
	if t.Parent == "" { // a sub-table's rows go to the bin within their record
		binned, err := s.deleteRows(ctx, tx, a, t, ids, stamp)
		if err != nil {
			return err
		}
		if err := toTrash(ctx, tx, t, olds, binned, a.UserID, stamp); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM "+store.Quote(t.SQLName())+" WHERE id IN (?"+strings.Repeat(", ?", len(ids)-1)+")", rows...); err != nil {
		return err
	}
	gone := make([]Record, len(olds))
	if err := s.writtenMany(ctx, tx, t, olds, gone); err != nil {
		return err
	}
	for _, o := range s.Catalog.Tables() {
		for _, f := range o.Fields {
			// (a lookup showing links is recomputed from the links it reads, not unlinked)
			if f.Type.Linked() && f.LinkTable == t.ID && !f.IsComputed() {
				if err := s.unlink(ctx, tx, o, f, ids); err != nil {
					return err
				}
			}
		}
	}
	if err := s.after(ctx, tx, t, olds, gone); err != nil {
		return err
	}
	logs := make([]logEntry, len(olds))
	for i, old := range olds {
		var changes []change
		for _, f := range t.UserFields() {
			if old[f.ID] != nil {
				changes = append(changes, change{Field: f.ID, Before: old[f.ID]})
			}
		}
		logs[i] = logEntry{recordID: old.ID(), action: "delete", changes: changes}
	}
	return writeLog(ctx, tx, t, logs, a, stamp)
}

// constraintProblem explains a UNIQUE constraint failure, or returns nil for other errors.
func (s *Service) constraintProblem(t *schema.Table, err error, vals Record) *problem.Error {
	index, ok := store.UniqueViolation(err)
	if !ok {
		return nil
	}
	for _, f := range t.Fields {
		col := f.Column()
		// SQLite names the columns ("t_….col"), PostgreSQL the index (see schema's createIndex).
		if strings.HasSuffix(index, "."+col) || index == "uq_"+t.ID+"_"+col {
			return problem.New(409, "not_unique", "value", fmt.Sprint(vals[f.ID])).OnField(f.Name)
		}
	}
	return problem.New(409, "not_unique", "value", "")
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
