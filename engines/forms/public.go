package forms

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dchest/captcha"

	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/platform/problem"
)

// PublicField is a field as a visitor's page draws it: its type and what it accepts.
type PublicField struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Required bool     `json:"required,omitempty"`
	Hidden   bool     `json:"hidden,omitempty"`
	Options  []string `json:"options,omitempty"`
	Min      *float64 `json:"min,omitempty"`
	Max      *float64 `json:"max,omitempty"`
	Format   string   `json:"format,omitempty"` // a text field's pattern
	Help     string   `json:"help,omitempty"`
	Default  any      `json:"default,omitempty"`
}

// Public is what a visitor may read of a form: its own definition, never a record.
type Public struct {
	Title       string        `json:"title"`
	Description string        `json:"description,omitempty"`
	Fields      []PublicField `json:"fields"`
}

// Submission is what a visitor sends: the values by field name, the captcha's id and the
// answer typed, and the honeypot (Website), a field people never see.
type Submission struct {
	Values  map[string]any `json:"values"`
	Captcha string         `json:"captcha"`
	Answer  string         `json:"answer"`
	Website string         `json:"website,omitempty"`
}

// Result is the answer to a submission: the message to show or the page to go to.
type Result struct {
	Message     string `json:"message,omitempty"`
	RedirectURL string `json:"redirectUrl,omitempty"`
}

// Captcha is a captcha to answer: its id (the answer sealed with an expiry) and its image.
type Captcha struct {
	ID    string `json:"id"`
	Image string `json:"image"` // a data: URL of a PNG
}

// open returns the enabled form behind a link's token, with its table.
func (s *Service) open(ctx context.Context, token string) (*Form, *schema.Table, error) {
	f, err := s.scan(s.DB.R.QueryRowContext(ctx, "SELECT "+columns+" FROM _forms WHERE token = ? AND enabled = 1", token))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, problem.NotFound("form", token)
	}
	if err != nil {
		return nil, nil, err
	}
	t, err := s.Catalog.Table(f.tableID)
	if err != nil {
		return nil, nil, problem.NotFound("form", token)
	}
	return f, t, nil
}

// Public returns the form behind token as a visitor sees it, or why it takes nothing now.
func (s *Service) Public(ctx context.Context, token string) (*Public, error) {
	f, t, err := s.open(ctx, token)
	if err != nil {
		return nil, err
	}
	today, err := s.today(ctx, s.DB.R, f)
	if err != nil {
		return nil, err
	}
	if err := s.quota(f, f.Submissions, today); err != nil {
		return nil, err
	}
	out := &Public{Title: f.Title, Description: f.Description, Fields: make([]PublicField, 0, len(f.Fields))}
	for _, ff := range f.Fields {
		tf := t.Field(ff.id)
		pf := PublicField{Name: tf.Name, Type: string(tf.Type), Required: ff.Required || tf.Required && tf.Default == nil, Hidden: ff.Hidden,
			Options: tf.OptionValues(), Min: tf.Min, Max: tf.Max, Help: tf.Help, Default: tf.Default}
		if tf.Type == schema.Text || tf.Type == schema.TextArea {
			pf.Format = tf.Format
		}
		out.Fields = append(out.Fields, pf)
	}
	return out, nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// quota returns why f takes no submission now, if so: it is not open yet or any more, or
// its quotas are reached (before counts the submissions so far, today those of today).
func (s *Service) quota(f *Form, before, today int64) error {
	now := s.Now()
	if at, err := time.Parse(time.RFC3339, f.OpensAt); err == nil && now.Before(at) {
		return problem.New(403, "form_not_open", "at", at.In(s.loc()).Format("2006-01-02 15:04"))
	}
	if at, err := time.Parse(time.RFC3339, f.ClosesAt); err == nil && !now.Before(at) {
		return problem.New(403, "form_ended", "at", at.In(s.loc()).Format("2006-01-02 15:04"))
	}
	if f.MaxTotal > 0 && before >= int64(f.MaxTotal) {
		return problem.New(403, "form_full", "max", f.MaxTotal)
	}
	if f.MaxPerDay > 0 && today >= int64(f.MaxPerDay) {
		return problem.New(403, "form_full_today", "max", f.MaxPerDay)
	}
	return nil
}

// today counts f's submissions since midnight where the form is, if it has a quota per day
// (else 0, reading nothing).
func (s *Service) today(ctx context.Context, q queryer, f *Form) (int64, error) {
	if f.MaxPerDay <= 0 {
		return 0, nil
	}
	local := s.Now().In(s.loc())
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, s.loc())
	var n int64
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM _form_submissions WHERE form_id = ? AND at >= ?", f.ID, day.UnixMilli()).Scan(&n)
	return n, err
}

func (s *Service) loc() *time.Location {
	if s.Loc != nil {
		return s.Loc
	}
	return time.Local
}

func randomDigits() string {
	var b strings.Builder
	for _, d := range captcha.RandomDigits(5) {
		b.WriteByte('0' + d)
	}
	return b.String()
}

const captchaWhere = "form-captcha"

// NewCaptcha returns a captcha for the form behind token: digits drawn as a PNG, its id the
// form, an expiry, a nonce and the answer, sealed (so it is neither readable nor forgeable).
func (s *Service) NewCaptcha(ctx context.Context, token string) (*Captcha, error) {
	f, _, err := s.open(ctx, token)
	if err != nil {
		return nil, err
	}
	answer := s.Digits()
	nonce := make([]byte, 12)
	rand.Read(nonce)
	n := base64.RawURLEncoding.EncodeToString(nonce)
	id := s.Keys.Seal(strings.Join([]string{f.ID, strconv.FormatInt(s.Now().Add(CaptchaTTL).UnixMilli(), 10), n, answer}, "|"), captchaWhere)
	digits := make([]byte, len(answer))
	for i := range answer {
		digits[i] = answer[i] - '0'
	}
	var png bytes.Buffer
	if _, err := captcha.NewImage(n, digits, 150, 50).WriteTo(&png); err != nil {
		return nil, err
	}
	return &Captcha{ID: id, Image: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png.Bytes())}, nil
}

// checkCaptcha opens the captcha id sealed for form and checks answer against it, writing
// nothing: it returns the captcha's nonce and expiry, and why it is refused, if so. A
// wrong answer's nonce is returned with captcha_wrong, for the captcha to be used up.
func (s *Service) checkCaptcha(form, id, answer string) (string, int64, error) {
	plain, err := s.Keys.Open(id, captchaWhere)
	parts := strings.Split(plain, "|")
	if err != nil || len(parts) != 4 || parts[0] != form {
		return "", 0, problem.Invalid("captcha_invalid").OnField("captcha")
	}
	exp, _ := strconv.ParseInt(parts[1], 10, 64)
	if s.Now().UnixMilli() > exp {
		return "", 0, problem.Invalid("captcha_expired").OnField("captcha")
	}
	if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(answer)), []byte(parts[3])) != 1 {
		return parts[2], exp, problem.Invalid("captcha_wrong").OnField("captcha")
	}
	return parts[2], exp, nil
}

// useCaptchas marks used, with one statement, the captchas of a group's submissions that
// may use theirs up (answered rightly or wrongly), each kept until it expires so that a
// replay is refused; it returns the nonces that were not used before.
func useCaptchas(ctx context.Context, tx *sql.Tx, group []*submission) (map[string]bool, error) {
	fresh := map[string]bool{}
	var rows []any
	for _, sub := range group {
		if sub.err != nil || sub.robot || sub.nonce == "" || fresh[sub.nonce] {
			continue
		}
		if p := problem.As(sub.refused); p != nil && p.Code != "captcha_wrong" {
			continue
		}
		fresh[sub.nonce] = false
		rows = append(rows, sub.nonce, sub.exp)
	}
	for chunk := range slices.Chunk(rows, 1000) {
		got, err := tx.QueryContext(ctx, "INSERT INTO _form_captchas(nonce, expires_at) VALUES "+
			strings.Repeat(",(?, ?)", len(chunk)/2)[1:]+" ON CONFLICT (nonce) DO NOTHING RETURNING nonce", chunk...)
		if err != nil {
			return nil, err
		}
		for got.Next() {
			var n string
			if err := got.Scan(&n); err != nil {
				got.Close()
				return nil, err
			}
			fresh[n] = true
		}
		got.Close()
		if err := got.Err(); err != nil {
			return nil, err
		}
	}
	return fresh, nil
}

// hits counts the submissions of a group against their client addresses, and refuses
// (429) each one whose address sent PerClient within the window (since the time since)
// already: the tries of the addresses are read with one query, and the group's added with
// one multi-row INSERT (per 500 addresses).
func (s *Service) hits(ctx context.Context, tx *sql.Tx, group []*submission, since, now int64) error {
	type tries struct{ n, first int64 }
	seen := map[string]*tries{}
	var clients []any
	for _, sub := range group {
		if sub.err == nil && seen[sub.client] == nil {
			seen[sub.client] = &tries{}
			clients = append(clients, sub.client)
		}
	}
	for chunk := range slices.Chunk(clients, 500) {
		rows, err := tx.QueryContext(ctx, "SELECT client, COUNT(*), MIN(at) FROM _form_hits WHERE client IN ("+
			strings.Repeat(",?", len(chunk))[1:]+") AND at > ? GROUP BY client", append(chunk, since)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var client string
			var t tries
			if err := rows.Scan(&client, &t.n, &t.first); err != nil {
				rows.Close()
				return err
			}
			*seen[client] = t
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	var added []any
	for _, sub := range group {
		if sub.err != nil {
			continue
		}
		t := seen[sub.client]
		if t.n >= int64(s.PerClient) {
			sub.err = problem.New(429, "form_rate_limited", "seconds", (t.first-since)/1000+1)
			continue
		}
		if t.n++; t.n == 1 {
			t.first = now
		}
		added = append(added, sub.client, now)
	}
	for chunk := range slices.Chunk(added, 1000) {
		if _, err := tx.ExecContext(ctx, "INSERT INTO _form_hits(client, at) VALUES "+strings.Repeat(",(?, ?)", len(chunk)/2)[1:], chunk...); err != nil {
			return err
		}
	}
	return nil
}

// empty reports whether a submitted value is left blank.
func empty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(v) == ""
	case []any:
		return len(v) == 0
	}
	return false
}

// Submit adds the record a visitor sends through the form behind token, from the client
// address given, as the system with the form named in the record's history. A honeypot
// filled in is answered as a success and dropped: a robot learns nothing to adapt to.
//
// What needs no write is done first, beside other submissions: the form is read, the
// captcha opened and checked, the required fields looked at. The rest — the address's
// count, the captcha used up, the quotas, the record and its rules — is written together
// with the submissions arriving at the same time (store.Group, see write), each in a
// savepoint of its own: one refused discards only its own record, and its try still counts
// against its address.
func (s *Service) Submit(ctx context.Context, token, client string, in Submission) (*Result, error) {
	f, t, err := s.open(ctx, token)
	if err != nil {
		return nil, err
	}
	sub := &submission{ctx: ctx, f: f, t: t, client: client, robot: in.Website != ""}
	if !sub.robot {
		sub.nonce, sub.exp, sub.refused = s.checkCaptcha(f.ID, in.Captcha, in.Answer)
	}
	if sub.refused == nil && !sub.robot {
		sub.values = records.Input{}
		var missing []*problem.Error
		for _, ff := range f.Fields {
			v, given := in.Values[ff.Name]
			if !given || empty(v) {
				if ff.Required {
					missing = append(missing, problem.Invalid("required").OnField(ff.Name))
				}
				continue
			}
			sub.values[ff.id] = v
		}
		if len(missing) > 0 {
			sub.refused = problem.Collect(missing)
		}
	}
	if err := s.group.Do(sub); err != nil {
		return nil, err
	}
	if sub.err != nil {
		return nil, sub.err
	}
	return &Result{Message: f.SuccessMessage, RedirectURL: f.RedirectURL}, nil
}

// submission is one Submit's, checked, waiting to be written with others.
type submission struct {
	ctx    context.Context // the visitor's: one who hung up before the write is not written
	f      *Form
	t      *schema.Table
	client string
	robot  bool // the honeypot was filled in
	// The captcha's nonce and expiry, and why the submission is refused before its record
	// is written (the captcha, a required field left blank); a wrong captcha is used up.
	nonce   string
	exp     int64
	refused error
	values  records.Input
	err     error          // the outcome of its own write (see write)
	rec     records.Record // the record written, its hooks waiting for the group's (see write)
}

// count is a form's submissions, as a group's write keeps them: read once (taking the
// form's row, so that submissions to one form queue and the quotas hold exactly), counted
// on in Go, written once.
type count struct {
	total, today, added int64
}

// write writes a group of submissions in tx: the expired captchas and tries per address
// are forgotten once, the submissions counted against their addresses together (hits), their
// captchas used up together (useCaptchas), then each that may go on, within its form's
// quotas, has its record written in a savepoint of its own, the records hooks told of their
// records together (created: one pass of the rules and flows for all, set-wise where they
// can); the captchas of the submissions refused meanwhile are given back, and the forms'
// counts and rows of _form_submissions written together. err keeps each one's outcome, as
// if written one after the other.
func (s *Service) write(ctx context.Context, tx *sql.Tx, group []*submission) error {
	now := s.Now().UnixMilli()
	since := now - s.Window.Milliseconds()
	if _, err := tx.ExecContext(ctx, "DELETE FROM _form_hits WHERE at <= ?", since); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM _form_captchas WHERE expires_at < ?", now); err != nil {
		return err
	}
	for _, sub := range group {
		sub.err = sub.ctx.Err()
	}
	if err := s.hits(ctx, tx, group, since, now); err != nil {
		return err
	}
	fresh, err := useCaptchas(ctx, tx, group)
	if err != nil {
		return err
	}
	used := map[string]bool{} // the fresh captchas used up by the group's submissions so far
	counts := map[string]*count{}
	var added []any // rows of _form_submissions
	later := len(group) > 1
	var created []*submission                  // the records whose hooks wait for the others (later)
	numbered, nums := records.WithNumbers(ctx) // the autonumbers of the records written later, saved before their hooks
	for _, sub := range group {
		if sub.err != nil || sub.robot {
			continue
		}
		wrong := false
		if p := problem.As(sub.refused); p != nil {
			if wrong = p.Code == "captcha_wrong"; !wrong {
				sub.err = sub.refused
				continue
			}
		}
		if !fresh[sub.nonce] || used[sub.nonce] {
			sub.err = problem.Invalid("captcha_used").OnField("captcha")
			continue
		}
		if wrong {
			sub.err, used[sub.nonce] = sub.refused, true
			continue
		}
		c := counts[sub.f.ID]
		if c == nil {
			if c, err = s.count(ctx, tx, sub.f); err != nil {
				return err
			}
			counts[sub.f.ID] = c
		}
		if sub.err = s.quota(sub.f, c.total, c.today); sub.err != nil {
			continue
		}
		mark := nums.Mark()
		if _, err := tx.ExecContext(ctx, "SAVEPOINT submission"); err != nil {
			return err
		}
		var rec records.Record
		if later {
			rec, sub.err = s.Records.CreateLater(records.ForForm(numbered, sub.f.Title), tx, access.System, sub.t, sub.values)
		} else {
			rec, sub.err = s.Records.CreateTx(records.ForForm(ctx, sub.f.Title), tx, access.System, sub.t, sub.values)
		}
		if sub.err != nil {
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO submission"); err != nil {
				return err
			}
			nums.Back(mark)
		} else {
			used[sub.nonce] = true
			c.total, c.today, c.added = c.total+1, c.today+1, c.added+1
			if later {
				sub.rec, created = rec, append(created, sub)
			}
			added = append(added, sub.f.ID, rec.ID(), now)
		}
		if _, err := tx.ExecContext(ctx, "RELEASE submission"); err != nil {
			return err
		}
	}
	var back []any // the captchas of submissions refused: they may be answered again
	for n, ok := range fresh {
		if ok && !used[n] {
			back = append(back, n)
		}
	}
	for chunk := range slices.Chunk(back, 500) {
		if _, err := tx.ExecContext(ctx, "DELETE FROM _form_captchas WHERE nonce IN ("+strings.Repeat(",?", len(chunk))[1:]+")", chunk...); err != nil {
			return err
		}
	}
	for id, c := range counts {
		if c.added == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, "UPDATE _forms SET submissions = submissions + ? WHERE id = ?", c.added, id); err != nil {
			return err
		}
	}
	if err := nums.Save(ctx, tx); err != nil {
		return err
	}
	if err := s.created(ctx, tx, created); err != nil {
		return err
	}
	for chunk := range slices.Chunk(added, 1500) {
		if _, err := tx.ExecContext(ctx, "INSERT INTO _form_submissions(form_id, record_id, at) VALUES "+
			strings.Repeat(",(?, ?, ?)", len(chunk)/3)[1:], chunk...); err != nil {
			return err
		}
	}
	return nil
}

// count reads f's submissions in tx, taking its row until tx ends.
func (s *Service) count(ctx context.Context, tx *sql.Tx, f *Form) (*count, error) {
	c := &count{}
	if err := tx.QueryRowContext(ctx, "UPDATE _forms SET submissions = submissions WHERE id = ? RETURNING submissions", f.ID).Scan(&c.total); err != nil {
		return nil, err
	}
	var err error
	c.today, err = s.today(ctx, tx, f)
	return c, err
}

// created tells the records hooks (rules, webhooks, flows) of the records of a group's
// submissions written later (CreateLater), together per form. Should they refuse, the group's
// transaction fails and each submission is written again alone (store.Group), its hooks
// then heard with its record: each one's outcome is as if written alone.
func (s *Service) created(ctx context.Context, tx *sql.Tx, subs []*submission) error {
	byForm := map[string][]records.Record{}
	var order []*submission
	for _, sub := range subs {
		if byForm[sub.f.ID] == nil {
			order = append(order, sub)
		}
		byForm[sub.f.ID] = append(byForm[sub.f.ID], sub.rec)
	}
	for _, sub := range order {
		if err := s.Records.Created(records.ForForm(ctx, sub.f.Title), tx, sub.t, byForm[sub.f.ID]); err != nil {
			return err
		}
	}
	return nil
}
