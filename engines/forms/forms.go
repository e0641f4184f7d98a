// Package forms publishes public forms of a table (线索收集表单): a page anyone may fill in
// without signing in, at a link (/f/<token>) and its QR code, that adds one record to the
// table through the records engine, so the fields' validation applies and rules and flows
// run as for any other new record.
//
// Those who design tables publish a form: the fields it shows (in order, each optional or
// required; hidden ones take a value only from the link's parameters, e.g. ?来源=展会),
// a title, a description, a success message or a page to go to, and quotas (in all, per day,
// open from and until). A visitor reads the form's own definition and nothing else: no
// record of the table is ever answered, no link or member field can be on a form, and a
// refused value is explained by its field alone (a duplicate says only that it exists).
//
// Against robots, every submission carries a captcha served here (digits drawn as an image,
// its answer sealed in its id with an expiry; each id is good for one submission), a
// honeypot field people never see, and a limit of submissions per client address.
package forms

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"

	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/secret"
	"tierbase/platform/store"
)

// Field is one field of a form.
type Field struct {
	Name     string `json:"name"` // the table field's name (its id on input too)
	Required bool   `json:"required,omitempty"`
	// Hidden fields are not shown; they take their value from the link's parameters only.
	Hidden bool `json:"hidden,omitempty"`

	id string
}

// Settings are what the one publishing a form chooses; _forms.def keeps them as JSON (the
// fields by id too).
type Settings struct {
	Title       string  `json:"title"`
	Description string  `json:"description,omitempty"`
	Fields      []Field `json:"fields"`
	// SuccessMessage is shown after a submission, unless RedirectURL (http or https) is
	// set: the page the visitor is then sent to.
	SuccessMessage string `json:"successMessage,omitempty"`
	RedirectURL    string `json:"redirectUrl,omitempty"`
	// Quotas: at most MaxTotal submissions in all and MaxPerDay a day (0: no limit), from
	// OpensAt until ClosesAt (RFC 3339, empty: always).
	MaxTotal  int    `json:"maxTotal,omitempty"`
	MaxPerDay int    `json:"maxPerDay,omitempty"`
	OpensAt   string `json:"opensAt,omitempty"`
	ClosesAt  string `json:"closesAt,omitempty"`
}

// Form is a public form of a table.
type Form struct {
	ID    string `json:"id"`
	Token string `json:"token"` // of the link /f/<token>
	Table string `json:"table"` // the table's name (its id on input too)
	Settings
	Enabled bool `json:"enabled"`
	// Submissions is how many records came through the form (read only).
	Submissions int64  `json:"submissions"`
	CreatedBy   int64  `json:"createdBy"`
	CreatedAt   string `json:"createdAt"`
	UpdatedAt   string `json:"updatedAt"`

	tableID string
}

// Service keeps the forms and takes their submissions.
type Service struct {
	DB      *store.DB
	Catalog *schema.Catalog
	Records *records.Service
	Keys    *secret.Ring // seals the captchas' answers
	Now     func() time.Time
	Loc     *time.Location // the zone of the daily quota's days
	// PerClient submissions (tries included) are allowed from one client address within
	// Window; past that the address is answered 429. A trade show's visitors may share one
	// address, so the default is generous: 30 in 10 minutes.
	PerClient int
	Window    time.Duration
	// Digits draws a captcha's answer; tests (and the browser tests' server, see
	// cmd/tierbase's TIERBASE_TEST_CAPTCHA) fix it.
	Digits func() string

	group store.Group[*submission] // checked submissions, written together (see Submit)
}

// Limits.
const (
	maxTitle       = 60
	maxDescription = 2000
	// CaptchaTTL is how long a captcha may be answered.
	CaptchaTTL = 10 * time.Minute
)

// New returns the service.
func New(db *store.DB, cat *schema.Catalog, rs *records.Service, keys *secret.Ring) *Service {
	s := &Service{DB: db, Catalog: cat, Records: rs, Keys: keys, Now: time.Now, PerClient: 30, Window: 10 * time.Minute, Digits: randomDigits}
	s.group = store.Group[*submission]{DB: db, Write: s.write}
	return s
}

func init() {
	problem.AddTerm("form", "表单", "form")
	for code, m := range map[string][2]string{
		"form_field_type":     {"「{name}」是{type}字段，不能放在公开表单上", "\"{name}\" is a {type} field, which cannot be on a public form"},
		"form_field_twice":    {"字段「{name}」在表单上出现了两次", "the field \"{name}\" is on the form twice"},
		"form_required_field": {"字段「{name}」必填且没有默认值，请把它放到表单上", "the field \"{name}\" is required and has no default: put it on the form"},
		"form_bad_redirect":   {"跳转地址须以 http:// 或 https:// 开头", "the redirect address must start with http:// or https://"},
		"form_bad_time":       {"时间格式不对，例如 2026-11-23T09:00:00+08:00", "not a time; e.g. 2026-11-23T09:00:00+08:00"},
		"form_closed":         {"表单已停止收集", "this form is no longer collecting"},
		"form_not_open":       {"表单尚未开始收集，开始时间 {at}", "this form is not open yet; it opens at {at}"},
		"form_ended":          {"表单已于 {at} 截止", "this form closed at {at}"},
		"form_full":           {"表单已收满 {max} 份，感谢关注", "this form has received all {max} submissions it takes; thank you"},
		"form_full_today":     {"今天的名额（{max} 份）已满，请明天再来", "today's {max} submissions are in; please come back tomorrow"},
		"form_rate_limited":   {"提交太频繁，请 {seconds} 秒后再试", "too many submissions from your address; try again in {seconds} seconds"},
		"captcha_invalid":     {"验证码无效，请刷新验证码", "the captcha is not valid; load a new one"},
		"captcha_expired":     {"验证码已过期，请刷新验证码", "the captcha has expired; load a new one"},
		"captcha_used":        {"验证码已使用过，请刷新验证码", "the captcha was already used; load a new one"},
		"captcha_wrong":       {"验证码不正确，请重新输入新的验证码", "wrong captcha; type the new one"},
	} {
		problem.AddMessage(code, m[0], m[1])
	}
}

// onForm reports whether a field of type t may be on a public form: not the ones that name
// other records, people or departments (a visitor would see them), nor those the server fills
// in, nor files (uploads take a signed-in person), nor sub-tables (their rows are edited in the
// record form).
func onForm(f *schema.Field) bool {
	return !f.System && !f.Type.IsRef() && f.Type != schema.Links && f.Type != schema.AutoNumber && !f.Type.IsFile() && f.Type != schema.Subform
}

func newToken() string {
	b := make([]byte, 12)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

const columns = "id, token, table_id, def, enabled, submissions, created_by, created_at, updated_at"

type scanner interface{ Scan(...any) error }

// scan reads a form; its table and fields are named as they are now (a field deleted since
// drops out of the form).
func (s *Service) scan(row scanner) (*Form, error) {
	var f Form
	var raw string
	var enabled int
	if err := row.Scan(&f.ID, &f.Token, &f.tableID, &raw, &enabled, &f.Submissions, &f.CreatedBy, &f.CreatedAt, &f.UpdatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(raw), &f.Settings); err != nil {
		return nil, err
	}
	f.Enabled = enabled == 1
	stored := f.Fields
	f.Table, f.Fields = f.tableID, []Field{}
	if t, err := s.Catalog.Table(f.tableID); err == nil {
		f.Table = t.Name
		for _, ff := range stored {
			if tf := t.Field(ff.id); tf != nil && onForm(tf) {
				ff.Name = tf.Name
				f.Fields = append(f.Fields, ff)
			}
		}
	}
	return &f, nil
}

// MarshalJSON keeps a field's id in the stored definition.
func (f Field) MarshalJSON() ([]byte, error) {
	type plain Field
	return json.Marshal(struct {
		plain
		ID string `json:"id,omitempty"`
	}{plain(f), f.id})
}

// UnmarshalJSON reads a field with its id, as the stored definition keeps it.
func (f *Field) UnmarshalJSON(b []byte) error {
	type plain Field
	var v struct {
		plain
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = Field(v.plain)
	f.id = v.ID
	return nil
}

// List returns the forms, newest first, to those who may design tables.
func (s *Service) List(ctx context.Context, by access.Actor) ([]*Form, error) {
	if err := by.MayChangeSchema(); err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, "SELECT "+columns+" FROM _forms ORDER BY created_at DESC, id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*Form{}
	for rows.Next() {
		f, err := s.scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// Get returns one form.
func (s *Service) Get(ctx context.Context, by access.Actor, id string) (*Form, error) {
	if err := by.MayChangeSchema(); err != nil {
		return nil, err
	}
	f, err := s.scan(s.DB.R.QueryRowContext(ctx, "SELECT "+columns+" FROM _forms WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFound("form", id)
	}
	return f, err
}

// Save publishes a form (f.ID empty) or changes one; its token stays. Those who design
// tables may, for a table whose records they may add.
func (s *Service) Save(ctx context.Context, by access.Actor, f *Form) (*Form, error) {
	if err := by.MayChangeSchema(); err != nil {
		return nil, err
	}
	if err := s.check(by, f); err != nil {
		return nil, err
	}
	raw, _ := json.Marshal(f.Settings)
	stamp := s.Now().UTC().Format(time.RFC3339)
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if f.ID == "" {
			f.ID = schema.NewID("frm")
			_, err := tx.ExecContext(ctx, `INSERT INTO _forms(id, token, table_id, def, enabled, created_by, created_at, updated_at)
				VALUES(?, ?, ?, ?, ?, ?, ?, ?)`, f.ID, newToken(), f.tableID, string(raw), store.Bool(f.Enabled), by.UserID, stamp, stamp)
			return err
		}
		res, err := tx.ExecContext(ctx, "UPDATE _forms SET table_id = ?, def = ?, enabled = ?, updated_at = ? WHERE id = ?",
			f.tableID, string(raw), store.Bool(f.Enabled), stamp, f.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.NotFound("form", f.ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, by, f.ID)
}

// check validates f and resolves its table and fields.
func (s *Service) check(by access.Actor, f *Form) error {
	f.Title, f.RedirectURL = strings.TrimSpace(f.Title), strings.TrimSpace(f.RedirectURL)
	switch {
	case f.Title == "":
		return problem.Invalid("required").At("title")
	case len([]rune(f.Title)) > maxTitle:
		return problem.Invalid("too_long", "max", maxTitle).At("title")
	case len([]rune(f.Description)) > maxDescription:
		return problem.Invalid("too_long", "max", maxDescription).At("description")
	case len([]rune(f.SuccessMessage)) > maxDescription:
		return problem.Invalid("too_long", "max", maxDescription).At("successMessage")
	case len(f.Fields) == 0:
		return problem.Invalid("required").At("fields")
	case f.MaxTotal < 0:
		return problem.Invalid("too_small", "min", 0).At("maxTotal")
	case f.MaxPerDay < 0:
		return problem.Invalid("too_small", "min", 0).At("maxPerDay")
	}
	if f.RedirectURL != "" {
		u, err := url.Parse(f.RedirectURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return problem.Invalid("form_bad_redirect").At("redirectUrl")
		}
	}
	for _, at := range []struct{ v, path string }{{f.OpensAt, "opensAt"}, {f.ClosesAt, "closesAt"}} {
		if _, err := time.Parse(time.RFC3339, at.v); at.v != "" && err != nil {
			return problem.Invalid("form_bad_time").At(at.path)
		}
	}
	t, err := s.Catalog.Table(f.Table)
	if err != nil {
		return problem.Invalid("unknown_table", "name", f.Table).At("table")
	}
	if err := access.CanOn(by, t, access.Add); err != nil {
		return err
	}
	f.tableID = t.ID
	seen := map[string]bool{}
	for i := range f.Fields {
		tf := t.Field(f.Fields[i].Name)
		switch {
		case tf == nil:
			return problem.Invalid("unknown_field", "table", t.Name, "name", f.Fields[i].Name).At("fields")
		case !onForm(tf):
			return problem.Invalid("form_field_type", "name", tf.Name, "type", string(tf.Type)).At("fields")
		case seen[tf.ID]:
			return problem.Invalid("form_field_twice", "name", tf.Name).At("fields")
		}
		seen[tf.ID] = true
		f.Fields[i].Name, f.Fields[i].id = tf.Name, tf.ID
	}
	for _, tf := range t.UserFields() {
		if tf.Required && tf.Default == nil && !seen[tf.ID] {
			return problem.Invalid("form_required_field", "name", tf.Name).At("fields")
		}
	}
	return nil
}

// Delete removes a form; its link stops working. The records it brought stay.
func (s *Service) Delete(ctx context.Context, by access.Actor, id string) error {
	if err := by.MayChangeSchema(); err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM _forms WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.NotFound("form", id)
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM _form_submissions WHERE form_id = ?", id)
		return err
	})
}
