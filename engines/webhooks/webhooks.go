// Package webhooks sends a table's record events to the systems that asked for them (an
// ERP, a data warehouse), signed by the Standard Webhooks scheme (standardwebhooks.com).
//
// An endpoint names a URL, a table, the events it wants (a record created, updated, deleted,
// or one of chosen fields changed) and an optional condition in the shared condition
// language. Every record write asks the endpoints of its table inside its own transaction
// (the service is a records.Hook): each event that matches becomes a message row and a job
// on the durable queue in that transaction, so a message exists exactly when its write
// committed, and the write waits for no receiver. The job posts the message outside any
// transaction; the message's id is the webhook-id of every attempt, so a receiver that sees
// one twice (a retry after a lost answer, a crash between the answer and the job's
// completion, a manual replay) can tell.
package webhooks

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/core/users"
	"tierbase/engines/importer"
	"tierbase/engines/inbox"
	"tierbase/platform/jobs"
	"tierbase/platform/outbound"
	"tierbase/platform/problem"
	"tierbase/platform/secret"
	"tierbase/platform/store"
)

// Event is what happened to a record.
type Event string

// The events an endpoint may ask for.
const (
	Created      Event = "record.created"
	Updated      Event = "record.updated" // any field changed
	Deleted      Event = "record.deleted"
	FieldChanged Event = "record.field_changed" // one of the endpoint's Fields changed
	FlowApproved Event = "flow.approved"        // a flow on one of the table's records went through (S10: an order approved)
	FlowRejected Event = "flow.rejected"        // an approver rejected it
	// TestEvent is the type of the message "send a test event" posts.
	TestEvent Event = "webhook.test"
	// Call is the type of a message a rule action or a flow's 通知 node sends (see CallTx).
	Call Event = "call"
)

var events = []Event{Created, Updated, Deleted, FieldChanged, FlowApproved, FlowRejected}

// Endpoint is one receiver of a table's events.
type Endpoint struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	URL   string `json:"url"`
	Table string `json:"table"` // the table's name (its id on input too)
	// Events are the events sent; FieldChanged needs Fields. None: the endpoint only takes
	// the calls of rule actions and flow nodes (CallTx).
	Events []Event `json:"events"`
	// Fields are the fields (by name) whose change FieldChanged reports.
	Fields []string `json:"fields,omitempty"`
	// When, if set, is the condition the record must meet (after the write; before it for
	// a deletion) for the event to be sent.
	When    *cond.Node `json:"when,omitempty"`
	Enabled bool       `json:"enabled"`
	// DisabledReason says why the server turned the endpoint off (the receiver answered 410
	// Gone, or kept failing for three days).
	DisabledReason string `json:"disabledReason,omitempty"`
	// Secret (whsec_…) is answered when the endpoint is made and when its secret is rotated.
	Secret string `json:"secret,omitempty"`
	// RotateSecret on a change makes a new secret; the old one keeps signing beside it for
	// a day (two signatures per message) while the receiver switches.
	RotateSecret bool   `json:"rotateSecret,omitempty"`
	Owner        int64  `json:"owner"` // who made it: told when it is disabled
	CreatedAt    string `json:"createdAt"`
	UpdatedAt    string `json:"updatedAt"`

	tableID  string
	fieldIDs []string
}

// Service keeps the endpoints, queues their messages and delivers them.
type Service struct {
	DB      *store.DB
	Catalog *schema.Catalog
	Keys    *secret.Ring
	Jobs    *jobs.Queue
	Inbox   *inbox.Service // owners are told here when their endpoint is disabled
	// Records and Users give each endpoint its owner's view of a record (records.As): a
	// record the owner may not read is not sent, fields hidden from them are left out.
	Records *records.Service
	Users   *users.Service
	// Guard refuses URLs inside the server's networks; Client is its HTTP client.
	Guard  *outbound.Guard
	Client *http.Client
	Now    func() time.Time
	Loc    *time.Location
	// PublicURL is the address people open tierbase at (serve --public-url): the files of a
	// record's 附件, 图片 and 签名 fields are sent as links under it (as paths without it).
	PublicURL string

	// cache holds each table's enabled endpoints as writes see them (see endpoints); gen
	// counts the changes, so that a list read before one is not kept after it.
	cache struct {
		mu  sync.Mutex
		gen uint64
		by  map[string][]endpoint // by table id
	}
}

// Limits.
const (
	deliverKind = "webhook.deliver"
	maxName     = 60
	maxResponse = 1024 // bytes of a receiver's answer kept in the delivery log
	// Timeout is how long a receiver has to answer.
	Timeout = 15 * time.Second
	// FailingFor is how long an endpoint may fail every attempt before it is disabled.
	FailingFor = 72 * time.Hour
	// rotationGrace is how long a rotated secret keeps signing.
	rotationGrace = 24 * time.Hour
)

// New returns the service and registers its delivery job with q. guard decides where
// calls may go; its client has the receivers' 15-second timeout.
func New(db *store.DB, cat *schema.Catalog, rs *records.Service, us *users.Service, keys *secret.Ring, q *jobs.Queue, in *inbox.Service, guard *outbound.Guard) *Service {
	s := &Service{DB: db, Catalog: cat, Records: rs, Users: us, Keys: keys, Jobs: q, Inbox: in, Now: time.Now}
	s.UseGuard(guard)
	q.Handle(deliverKind, jobs.Kind{Run: s.deliver, Parallel: true, MaxAttempts: len(Schedule) + 1, Backoff: backoff, Failed: s.gaveUp})
	return s
}

// UseGuard makes calls through guard (the administrator's allow-list).
func (s *Service) UseGuard(g *outbound.Guard) {
	s.Guard, s.Client = g, g.Client(Timeout)
}

func sealWhere(id, what string) string { return "webhook:" + id + ":" + what }

func init() {
	problem.AddTerm("webhook", "Webhook", "webhook")
	problem.AddTerm("webhook_message", "Webhook 消息", "webhook message")
}

// newMessageID returns a message's id, the webhook-id of its every attempt.
func newMessageID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "msg_" + base64.RawURLEncoding.EncodeToString(b)
}

// NewSecret returns a fresh signing secret: whsec_ and the base64 of 32 random bytes.
func NewSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

const columns = "id, name, url, table_id, events, fields, cond, enabled, disabled_reason, owner_id, created_at, updated_at"

type scanner interface{ Scan(...any) error }

func (s *Service) scan(row scanner) (*Endpoint, error) {
	var e Endpoint
	var evs, fields, when string
	var enabled int
	if err := row.Scan(&e.ID, &e.Name, &e.URL, &e.tableID, &evs, &fields, &when, &enabled, &e.DisabledReason, &e.Owner, &e.CreatedAt, &e.UpdatedAt); err != nil {
		return nil, err
	}
	e.Enabled = enabled == 1
	e.Events = []Event{}
	json.Unmarshal([]byte(evs), &e.Events)
	json.Unmarshal([]byte(fields), &e.fieldIDs)
	if when != "" {
		e.When, _ = cond.Parse([]byte(when))
	}
	e.Table = e.tableID
	if t, err := s.Catalog.Table(e.tableID); err == nil {
		e.Table = t.Name
		for _, id := range e.fieldIDs {
			if f := t.Field(id); f != nil {
				e.Fields = append(e.Fields, f.Name)
			}
		}
	}
	return &e, nil
}

// List returns the endpoints, by name, to those who may manage them.
func (s *Service) List(ctx context.Context, by access.Actor) ([]*Endpoint, error) {
	if err := by.MayChangeSchema(); err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, "SELECT "+columns+" FROM _webhooks ORDER BY name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*Endpoint{}
	for rows.Next() {
		e, err := s.scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Get returns one endpoint.
func (s *Service) Get(ctx context.Context, by access.Actor, id string) (*Endpoint, error) {
	if err := by.MayChangeSchema(); err != nil {
		return nil, err
	}
	e, err := s.scan(s.DB.R.QueryRowContext(ctx, "SELECT "+columns+" FROM _webhooks WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFound("webhook", id)
	}
	return e, err
}

// Save creates an endpoint (e.ID empty) or changes one. Those who design tables may, for a
// table whose records they may view; the URL must be one the guard lets through.
func (s *Service) Save(ctx context.Context, by access.Actor, e *Endpoint) (*Endpoint, error) {
	if err := by.MayChangeSchema(); err != nil {
		return nil, err
	}
	if err := s.check(ctx, by, e); err != nil {
		return nil, err
	}
	evs, _ := json.Marshal(e.Events)
	fields, _ := json.Marshal(e.fieldIDs)
	when := ""
	if e.When != nil {
		b, _ := json.Marshal(e.When)
		when = string(b)
	}
	now := s.Now()
	stamp := now.UTC().Format(time.RFC3339)
	secret := ""
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if e.ID == "" {
			e.ID, secret = schema.NewID("whk"), NewSecret()
			_, err := tx.ExecContext(ctx, `INSERT INTO _webhooks(id, name, url, secret, table_id, events, fields, cond, enabled, owner_id, created_at, updated_at)
				VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.ID, e.Name, e.URL, s.Keys.Seal(secret, sealWhere(e.ID, "secret")),
				e.tableID, string(evs), string(fields), when, store.Bool(e.Enabled), by.UserID, stamp, stamp)
			return duplicate(err, e.Name)
		}
		var sealed string
		if err := tx.QueryRowContext(ctx, "SELECT secret FROM _webhooks WHERE id = ?", e.ID).Scan(&sealed); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return problem.NotFound("webhook", e.ID)
			}
			return err
		}
		q := `UPDATE _webhooks SET name = ?, url = ?, table_id = ?, events = ?, fields = ?, cond = ?, enabled = ?, updated_at = ?`
		args := []any{e.Name, e.URL, e.tableID, string(evs), string(fields), when, store.Bool(e.Enabled), stamp}
		if e.Enabled { // turned on again: the three days start afresh
			q += ", disabled_reason = '', failing_since = 0"
		}
		if e.RotateSecret {
			old, err := s.Keys.Open(sealed, sealWhere(e.ID, "secret"))
			if err != nil {
				return err
			}
			secret = NewSecret()
			q += ", secret = ?, old_secret = ?, old_until = ?"
			args = append(args, s.Keys.Seal(secret, sealWhere(e.ID, "secret")), s.Keys.Seal(old, sealWhere(e.ID, "old")), now.Add(rotationGrace).UnixMilli())
		}
		_, err := tx.ExecContext(ctx, q+" WHERE id = ?", append(args, e.ID)...)
		return duplicate(err, e.Name)
	})
	s.Reload(ctx)
	if err != nil {
		return nil, err
	}
	out, err := s.Get(ctx, by, e.ID)
	if out != nil {
		out.Secret = secret
	}
	return out, err
}

// check validates e and resolves its table and fields.
func (s *Service) check(ctx context.Context, by access.Actor, e *Endpoint) error {
	e.Name, e.URL = strings.TrimSpace(e.Name), strings.TrimSpace(e.URL)
	switch {
	case e.Name == "":
		return problem.Invalid("required").At("name")
	case len([]rune(e.Name)) > maxName:
		return problem.Invalid("too_long", "max", maxName).At("name")
	case e.URL == "":
		return problem.Invalid("required").At("url")
	}
	if err := s.Guard.CheckURL(ctx, e.URL); err != nil {
		return problem.As(err).At("url")
	}
	t, err := s.Catalog.Table(e.Table)
	if err != nil {
		return problem.Invalid("unknown_table", "name", e.Table).At("table")
	}
	if err := access.CanOn(by, t, access.View); err != nil {
		return err
	}
	e.tableID, e.fieldIDs = t.ID, nil
	for _, ev := range e.Events {
		if !slices.Contains(events, ev) {
			return problem.Invalid("bad_choice", "value", string(ev), "choices", "record.created, record.updated, record.deleted, record.field_changed, flow.approved, flow.rejected").At("events")
		}
	}
	for _, name := range e.Fields {
		f := t.Field(name)
		if f == nil {
			return problem.Invalid("unknown_field", "table", t.Name, "name", name).At("fields")
		}
		e.fieldIDs = append(e.fieldIDs, f.ID)
	}
	if slices.Contains(e.Events, FieldChanged) && len(e.fieldIDs) == 0 {
		return problem.Invalid("required").At("fields")
	}
	if e.When != nil {
		if err := cond.Check(e.When, t); err != nil {
			return err
		}
	}
	return nil
}

func duplicate(err error, name string) error {
	if _, dup := store.UniqueViolation(err); dup {
		return problem.New(409, "duplicate_name", "name", name)
	}
	return err
}

// Delete removes an endpoint with its messages and delivery log; its queued deliveries
// find nothing to send.
func (s *Service) Delete(ctx context.Context, by access.Actor, id string) error {
	if err := by.MayChangeSchema(); err != nil {
		return err
	}
	defer s.Reload(ctx)
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM _webhooks WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.NotFound("webhook", id)
		}
		for _, q := range []string{"DELETE FROM _webhook_messages WHERE webhook_id = ?", "DELETE FROM _webhook_deliveries WHERE webhook_id = ?"} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// Before is the records.Hook's first half: webhooks change nothing before a write.
func (s *Service) Before(context.Context, *sql.Tx, *schema.Table, records.Record, records.Record) error {
	return nil
}

// endpoint is an enabled endpoint as a write sees it.
type endpoint struct {
	id          string
	owner       int64
	evs, fields []string
	when        *cond.Node
}

// endpoints returns the enabled endpoints of t as a write sees them: from memory once read.
// The first write of a table after a change reads them in its own transaction (one indexed
// query), so on SQLite, where writes take turns, a write committed after an endpoint's change
// sees it once Save or Delete returned. Another node's change reaches this one through TopicWebhooks (Reload) within the
// notices' delay.
func (s *Service) endpoints(ctx context.Context, tx *sql.Tx, t *schema.Table) ([]endpoint, error) {
	s.cache.mu.Lock()
	eps, ok := s.cache.by[t.ID]
	gen := s.cache.gen
	s.cache.mu.Unlock()
	if ok {
		return eps, nil
	}
	rows, err := tx.QueryContext(ctx, "SELECT id, owner_id, events, fields, cond FROM _webhooks WHERE table_id = ? AND enabled = 1", t.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var e endpoint
		var evs, fields, when string
		if err := rows.Scan(&e.id, &e.owner, &evs, &fields, &when); err != nil {
			return nil, err
		}
		json.Unmarshal([]byte(evs), &e.evs)
		json.Unmarshal([]byte(fields), &e.fields)
		if when != "" {
			if e.when, err = cond.Parse([]byte(when)); err != nil {
				continue // a condition that no longer parses sends nothing
			}
		}
		eps = append(eps, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	s.cache.mu.Lock()
	if s.cache.gen == gen { // no endpoint changed while they were read
		if s.cache.by == nil {
			s.cache.by = map[string][]endpoint{}
		}
		s.cache.by[t.ID] = eps
	}
	s.cache.mu.Unlock()
	return eps, nil
}

// Reload drops the endpoints kept in memory, after an endpoint changed: here, once the
// change committed, or on another node (TopicWebhooks).
func (s *Service) Reload(context.Context) error {
	s.cache.mu.Lock()
	s.cache.gen++
	s.cache.by = nil
	s.cache.mu.Unlock()
	return nil
}

// After queues a message for every enabled endpoint of t that wants this write's event,
// inside the write's transaction. It only inserts rows: no receiver slows a save.
func (s *Service) After(ctx context.Context, tx *sql.Tx, t *schema.Table, old, rec records.Record) error {
	return s.AfterBatch(ctx, tx, t, []records.Record{old}, []records.Record{rec})
}

// AfterBatch does After for many writes of t at once (olds[i] became recs[i]; a bulk
// change's chunk): their messages are queued together (queueAll).
func (s *Service) AfterBatch(ctx context.Context, tx *sql.Tx, t *schema.Table, olds, recs []records.Record) error {
	eps, err := s.endpoints(ctx, tx, t)
	if err != nil || len(eps) == 0 {
		return err
	}
	var out []outgoing
	for i, rec := range recs {
		old := olds[i]
		switch {
		case old == nil:
			err = s.send(t, eps, Created, nil, rec, nil, &out)
		case rec == nil:
			err = s.send(t, eps, Deleted, old, nil, nil, &out)
		default:
			var changed []string // field ids
			for _, f := range t.UserFields() {
				if !bytes.Equal(store.AppendJSON(nil, old[f.ID]), store.AppendJSON(nil, rec[f.ID])) {
					changed = append(changed, f.ID)
				}
			}
			if len(changed) > 0 { // else saved as it was
				err = s.send(t, eps, Updated, old, rec, changed, &out)
			}
		}
		if err != nil {
			return err
		}
	}
	return s.queueAll(ctx, tx, out)
}

// outgoing is a message about to be queued for an endpoint.
type outgoing struct {
	endpoint string
	ev       Event
	body     []byte
	at       time.Time
}

// send adds to out the messages of the event ev (Created, Updated or Deleted) of one record
// for each endpoint that wants it: an update is record.updated to those asking for it, record.field_changed to
// those watching one of the changed fields. old is nil for a creation (and for an imported
// update, whose previous values the import does not keep); rec is nil for a deletion.
func (s *Service) send(t *schema.Table, eps []endpoint, ev Event, old, rec records.Record, changed []string, out *[]outgoing) error {
	now := s.Now()
	subject := rec
	if subject == nil {
		subject = old
	}
	bodies := map[string][]byte{} // by owner and event: endpoints of one owner send the same message
	for _, e := range eps {
		sent := ev
		if ev == Updated && !slices.Contains(e.evs, string(Updated)) {
			sent = ""
			if slices.ContainsFunc(changed, func(id string) bool { return slices.Contains(e.fields, id) }) {
				sent = FieldChanged
			}
		}
		if sent == "" || !slices.Contains(e.evs, string(sent)) {
			continue
		}
		if e.when != nil {
			if ok, err := cond.Eval(e.when, t, cond.Env{Now: now, Loc: s.Loc}, subject); err != nil || !ok {
				continue // a condition no longer fitting the table sends nothing
			}
		}
		key := fmt.Sprint(e.owner, sent)
		body, made := bodies[key]
		if !made {
			seenOld, seenRec, seenChanged, ok, err := s.asOwner(e.owner, t, old, rec, changed)
			if err != nil {
				return err
			}
			if ok {
				if body, err = messageBody(sent, s.payload(t, sent, seenOld, seenRec, seenChanged), now); err != nil {
					return err
				}
			}
			bodies[key] = body
		}
		if body == nil { // the owner may not read the record
			continue
		}
		*out = append(*out, outgoing{e.id, sent, body, now})
	}
	return nil
}

// FlowEndedTx queues flow.approved or flow.rejected, inside the transaction that ended the
// instance, for each endpoint of t that wants it (and whose condition rec meets): the record
// as the endpoint's owner sees it, with the flow's name and the instance's id. Other ends
// (withdrawn, stopped) send nothing.
func (s *Service) FlowEndedTx(ctx context.Context, tx *sql.Tx, t *schema.Table, rec records.Record, flow string, instance int64, approved bool) error {
	ev := FlowRejected
	if approved {
		ev = FlowApproved
	}
	eps, err := s.endpoints(ctx, tx, t)
	if err != nil {
		return err
	}
	now := s.Now()
	for _, e := range eps {
		if !slices.Contains(e.evs, string(ev)) {
			continue
		}
		if e.when != nil {
			if ok, err := cond.Eval(e.when, t, cond.Env{Now: now, Loc: s.Loc}, rec); err != nil || !ok {
				continue
			}
		}
		_, seen, _, ok, err := s.asOwner(e.owner, t, nil, rec, nil)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		data := s.payload(t, ev, nil, seen, nil)
		data["flow"], data["instance"] = flow, instance
		if err := s.queue(ctx, tx, e.id, ev, data, now); err != nil {
			return err
		}
	}
	return nil
}

// asOwner returns the record before and after the write, and the changed fields, as the
// endpoint's owner sees them; false when the owner may not read the record (the one after
// the write, or before it for a deletion) or no longer exists. An endpoint sends what its
// owner could read through the API, never more.
func (s *Service) asOwner(owner int64, t *schema.Table, old, rec records.Record, changed []string) (records.Record, records.Record, []string, bool, error) {
	u, found := s.Users.Get(owner)
	if !found {
		return nil, nil, nil, false, nil
	}
	a := s.Users.ActorOf(u)
	subject := rec
	if subject == nil {
		subject = old
	}
	seen, ok, err := s.Records.As(a, t, subject)
	if err != nil || !ok {
		return nil, nil, nil, false, err
	}
	var seenOld, seenRec records.Record
	if rec != nil {
		seenRec = seen
		if old != nil {
			seenOld, _, _ = s.Records.As(a, t, old) // nil when it was outside the owner's scope before
		}
	} else {
		seenOld = seen
	}
	var shown []string
	for _, id := range changed {
		if _, visible := seen[id]; visible {
			shown = append(shown, id)
		}
	}
	if changed != nil && len(shown) == 0 {
		return nil, nil, nil, false, nil // only fields hidden from the owner changed
	}
	return seenOld, seenRec, shown, true, nil
}

// AfterImport queues the events of what an import wrote, in its transaction: record.created
// for each inserted record, and for each record an upsert changed record.updated (or
// record.field_changed) with the fields the file changed — without "before", which the
// import does not keep.
func (s *Service) AfterImport(ctx context.Context, tx *sql.Tx, im *importer.Imported) error {
	t := im.Table
	eps, err := s.endpoints(ctx, tx, t)
	if err != nil || len(eps) == 0 {
		return err
	}
	cols := make([]string, len(t.Fields))
	for i, f := range t.Fields {
		cols[i] = store.Quote(f.Column())
	}
	read := func(where string, args []any, fn func(records.Record) error) error {
		rows, err := tx.QueryContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+store.Quote(t.SQLName())+" WHERE "+where+" ORDER BY id", args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		dest, ptrs := make([]any, len(cols)), make([]any, len(cols))
		for i := range dest {
			ptrs[i] = &dest[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			rec := make(records.Record, len(cols))
			for i, f := range t.Fields {
				rec[f.ID] = records.FromSQL(f, dest[i])
			}
			if err := fn(rec); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	var recs []records.Record // read whole before queueing: PostgreSQL takes one statement at a time per connection
	keep := func(r records.Record) error { recs = append(recs, r); return nil }
	if im.Inserted() > 0 {
		if err := read("id BETWEEN ? AND ?", []any{im.FirstID, im.LastID}, keep); err != nil {
			return err
		}
		var out []outgoing
		for _, rec := range recs {
			if err := s.send(t, eps, Created, nil, rec, nil, &out); err != nil {
				return err
			}
		}
		if err := s.queueAll(ctx, tx, out); err != nil {
			return err
		}
	}
	changed := map[int64][]string{}
	for _, f := range t.UserFields() {
		for _, id := range im.Changed[f.ID] {
			changed[id] = append(changed[id], f.ID)
		}
	}
	for ids := range slices.Chunk(im.Updated, 500) {
		recs = recs[:0]
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		if err := read("id IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+")", args, keep); err != nil {
			return err
		}
		var out []outgoing
		for _, rec := range recs {
			if c := changed[rec.ID()]; len(c) > 0 {
				if err := s.send(t, eps, Updated, nil, rec, c, &out); err != nil {
					return err
				}
			}
		}
		if err := s.queueAll(ctx, tx, out); err != nil {
			return err
		}
	}
	return nil
}

// payload is a record event's data: the table, the record keyed by field names, and for
// an update the record before and the names of the fields that changed.
func (s *Service) payload(t *schema.Table, ev Event, old, rec records.Record, changed []string) map[string]any {
	data := map[string]any{"table": t.Name, "tableId": t.ID}
	if rec != nil {
		data["id"], data["record"] = rec.ID(), s.named(t, rec)
	} else {
		data["id"] = old.ID()
	}
	if old != nil {
		data["before"] = s.named(t, old)
	}
	if ev == Updated || ev == FieldChanged {
		names := make([]string, 0, len(changed))
		for _, id := range changed {
			names = append(names, t.Field(id).Name)
		}
		data["changed"] = names
	}
	return data
}

// named returns rec keyed by field name, "id" included. 敏感 fields are sent masked: a
// receiver is outside everyone's field permissions. Files are sent as the API shows them,
// each with its link (fetched with an API token of someone who may read the record).
func (s *Service) named(t *schema.Table, rec records.Record) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(t.Fields))
	for _, f := range t.Fields {
		v, ok := rec[f.ID]
		if !ok {
			continue
		}
		if f.Sensitive {
			v = records.Mask(f, f.Unseal(v))
		}
		name := f.Name
		if f.ID == schema.FieldID {
			name = "id"
		}
		if text, ok := v.(string); ok && f.Type.IsFile() {
			out[name] = schema.AppendFiles(nil, strings.TrimSuffix(s.PublicURL, "/"), t, rec.ID(), f, text)
			continue
		}
		out[name] = store.AppendJSON(nil, v)
	}
	return out
}

// queue adds one message of a record event for the endpoint and its delivery job, inside tx.
func (s *Service) queue(ctx context.Context, tx *sql.Tx, endpoint string, ev Event, data map[string]any, now time.Time) error {
	body, err := messageBody(ev, data, now)
	if err != nil {
		return err
	}
	return s.queueAll(ctx, tx, []outgoing{{endpoint, ev, body, now}})
}

// messageBody is the body of a message of event ev with its data.
func messageBody(ev Event, data map[string]any, now time.Time) ([]byte, error) {
	return json.Marshal(map[string]any{"type": ev, "timestamp": now.UTC().Format(time.RFC3339Nano), "data": data})
}

// queueAll stores messages and queues their deliveries, inside the write's transaction: the
// messages 500 a statement, and their jobs likewise (jobs.Queue.EnqueueMany). Each message is still
// a job of its own, with its own attempts and delivery log.
func (s *Service) queueAll(ctx context.Context, tx *sql.Tx, ms []outgoing) error {
	for chunk := range slices.Chunk(ms, 500) {
		ids := make([]string, len(chunk))
		args := make([]any, 0, 5*len(chunk))
		for i, m := range chunk {
			ids[i] = newMessageID()
			args = append(args, ids[i], m.endpoint, string(m.ev), string(m.body), m.at.UnixMilli())
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO _webhook_messages(id, webhook_id, type, body, at) VALUES(?, ?, ?, ?, ?)"+
			strings.Repeat(", (?, ?, ?, ?, ?)", len(chunk)-1), args...); err != nil {
			return err
		}
		pending := make([]jobs.Pending, len(chunk))
		for i, m := range chunk {
			pending[i] = jobs.Pending{Kind: deliverKind, Payload: delivery{Message: ids[i]}, At: m.at}
		}
		if err := s.Jobs.EnqueueMany(ctx, tx, pending); err != nil {
			return err
		}
	}
	return nil
}

// Reseal seals every endpoint's secrets with the ring's current key: `tierbase keys rotate`
// runs it before the old keys are dropped.
func (s *Service) Reseal(ctx context.Context) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT id, secret, old_secret FROM _webhooks")
		if err != nil {
			return err
		}
		type row struct{ id, secret, old string }
		var all []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.secret, &r.old); err != nil {
				rows.Close()
				return err
			}
			all = append(all, r)
		}
		rows.Close()
		for _, r := range all {
			sec, err := s.Keys.Open(r.secret, sealWhere(r.id, "secret"))
			if err != nil {
				return err
			}
			old := ""
			if r.old != "" {
				plain, err := s.Keys.Open(r.old, sealWhere(r.id, "old"))
				if err != nil {
					return err
				}
				old = s.Keys.Seal(plain, sealWhere(r.id, "old"))
			}
			if _, err := tx.ExecContext(ctx, "UPDATE _webhooks SET secret = ?, old_secret = ? WHERE id = ?",
				s.Keys.Seal(sec, sealWhere(r.id, "secret")), old, r.id); err != nil {
				return err
			}
		}
		return nil
	})
}
