// Package channels is where notifications leave tierbase for the places people already
// read: group robots (群机器人) of 企业微信, 钉钉 and 飞书, and email through the company's
// SMTP server. Rules, flows and dashboard alerts post a Message to a Robot (a channel); the
// message waits on the durable job queue for a send slot under the vendor's rate limit (a
// robot that sends too fast is muted by the vendor for minutes), and each attempt lands in
// the channel's delivery log.
//
// A robot's webhook address carries its credential (企业微信's key, 钉钉's access_token), so
// the address and the signing secret are stored sealed with the data directory's keys and
// are never shown or logged again: answers show the host and a masked address.
package channels

import (
	"context"
	"crypto/tls"
	"database/sql"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"tierbase/core/access"
	"tierbase/core/schema"
	"tierbase/platform/jobs"
	"tierbase/platform/problem"
	"tierbase/platform/secret"
	"tierbase/platform/store"
)

// Kind is a robot's vendor.
type Kind string

// The vendors.
const (
	WeCom    Kind = "wecom"    // 企业微信群机器人: the key in the address
	DingTalk Kind = "dingtalk" // 钉钉自定义机器人: access_token in the address, 加签 secret
	Feishu   Kind = "feishu"   // 飞书自定义机器人: the hook id in the address, 签名校验 secret
	// Email is an SMTP account: the address smtp://host:587?from=…&user=… (STARTTLS) or
	// smtps://host:465?from=…&user=… (TLS from the start), the secret its password.
	Email Kind = "email"
)

// Kinds are the vendors in the order the UI offers them.
var Kinds = []Kind{WeCom, DingTalk, Feishu, Email}

// limit is a vendor's rate limit: at most N messages in any window of Per.
type limit struct {
	N   int
	Per time.Duration
}

// limits are the vendors' documented limits per robot: 企业微信 and 钉钉 20 a minute (钉钉 mutes
// a robot for 10 minutes beyond it), 飞书 5 a second and 100 a minute.
var limits = map[Kind][]limit{
	WeCom:    {{20, time.Minute}},
	DingTalk: {{20, time.Minute}},
	Feishu:   {{5, time.Second}, {100, time.Minute}},
	Email:    {{60, time.Minute}}, // what common mail services allow an account without complaint
}

// Robot is one group robot.
type Robot struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Kind    Kind   `json:"kind"`
	Enabled bool   `json:"enabled"`
	// URL is the webhook address: given on input, never shown again (answers hold Masked).
	URL string `json:"url,omitempty"`
	// Secret signs the messages (钉钉 加签, 飞书 签名校验): given on input, never shown again.
	Secret    string `json:"secret,omitempty"`
	Masked    string `json:"masked"`    // the address with its credential hidden
	HasSecret bool   `json:"hasSecret"` // whether a signing secret is kept
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
}

// Message is one notification for a group.
type Message struct {
	Title    string   `json:"title"`
	Text     string   `json:"text"`
	Markdown bool     `json:"markdown,omitempty"` // Text is markdown (钉钉 and 企业微信 markdown, 飞书 a card)
	Link     string   `json:"link,omitempty"`     // an address back to the record, appended to the text
	AtPhones []string `json:"atPhones,omitempty"` // mobile numbers to @ (企业微信 text, 钉钉)
	AtAll    bool     `json:"atAll,omitempty"`
	To       []string `json:"to,omitempty"` // an email channel's recipients
}

// Service keeps the robots and sends their messages.
type Service struct {
	DB     *store.DB
	Keys   *secret.Ring
	Jobs   *jobs.Queue
	Client *http.Client // outbound calls; give one that refuses private addresses (SSRF)
	// Dial opens an email channel's connection; give one that refuses private addresses.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// TLS is the base of the TLS settings of email connections (nil: the system's roots).
	TLS *tls.Config
	Now func() time.Time
	// PublicURL is the address people open tierbase at (serve --public-url): messages link
	// back to the record under it; without it they carry no link.
	PublicURL string
}

// sendKind is the job kind of one message's delivery.
const sendKind = "robot.send"

// Limits of what is kept.
const (
	maxName     = 60
	maxText     = 4000 // 企业微信 takes 2048 bytes of text, 4096 of markdown; 钉钉 and 飞书 more
	maxResponse = 1024 // bytes of a vendor's answer kept in the delivery log
	maxAttempts = 6
)

// New returns the service over db, sealing with keys and queueing on q; it registers the
// delivery job with q.
func New(db *store.DB, keys *secret.Ring, q *jobs.Queue) *Service {
	s := &Service{DB: db, Keys: keys, Jobs: q, Client: &http.Client{Timeout: 15 * time.Second}, Now: time.Now,
		Dial: (&net.Dialer{Timeout: 10 * time.Second}).DialContext}
	q.Handle(sendKind, jobs.Kind{Run: s.deliver, MaxAttempts: maxAttempts})
	return s
}

// sealWhere is the context the robots' secrets are sealed under (see secret.Ring.Seal).
func sealWhere(id, what string) string { return "robot:" + id + ":" + what }

// List returns the robots, by name. Anyone signed in may list them (a rule's or flow's
// editor picks one), none sees an address or a secret.
func (s *Service) List(ctx context.Context) ([]*Robot, error) {
	rows, err := s.DB.R.QueryContext(ctx, "SELECT id, name, kind, url, secret, enabled, created_at, updated_at FROM _robots ORDER BY name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Robot
	for rows.Next() {
		r, err := s.scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

type scanner interface{ Scan(...any) error }

// scan reads a robot row, opening its address to show it masked.
func (s *Service) scan(row scanner) (*Robot, error) {
	var r Robot
	var sealedURL, sealedSecret string
	var enabled int
	if err := row.Scan(&r.ID, &r.Name, &r.Kind, &sealedURL, &sealedSecret, &enabled, &r.CreatedAt, &r.UpdatedAt); err != nil {
		return nil, err
	}
	r.Enabled, r.HasSecret = enabled == 1, sealedSecret != ""
	if u, err := s.Keys.Open(sealedURL, sealWhere(r.ID, "url")); err == nil {
		r.Masked = Mask(u)
	}
	return &r, nil
}

// Get returns one robot, by id or name.
func (s *Service) Get(ctx context.Context, ref string) (*Robot, error) {
	r, err := s.scan(s.DB.R.QueryRowContext(ctx, "SELECT id, name, kind, url, secret, enabled, created_at, updated_at FROM _robots WHERE id = ? OR name = ?", ref, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFound("robot", ref)
	}
	return r, err
}

// Save creates a robot (r.ID empty) or changes one; an empty URL or Secret on a change keeps
// the stored one, and Secret "-" removes it. Only those who may design tables may.
func (s *Service) Save(ctx context.Context, by access.Actor, r *Robot) (*Robot, error) {
	if err := by.MayChangeSchema(); err != nil {
		return nil, err
	}
	r.Name = strings.TrimSpace(r.Name)
	switch {
	case r.Name == "":
		return nil, problem.Invalid("required").At("name")
	case len([]rune(r.Name)) > maxName:
		return nil, problem.Invalid("too_long", "max", maxName).At("name")
	case !slices.Contains(Kinds, r.Kind):
		return nil, problem.Invalid("bad_choice", "value", string(r.Kind), "choices", "wecom, dingtalk, feishu, email").At("kind")
	}
	if r.URL != "" || r.ID == "" {
		if err := checkURL(r.Kind, r.URL); err != nil {
			return nil, err
		}
	}
	now := s.Now().UTC().Format(time.RFC3339)
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if r.ID == "" {
			r.ID = schema.NewID("rbt")
			_, err := tx.ExecContext(ctx, "INSERT INTO _robots(id, name, kind, url, secret, enabled, created_at, updated_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
				r.ID, r.Name, string(r.Kind), s.Keys.Seal(r.URL, sealWhere(r.ID, "url")), s.sealSecret(r), store.Bool(r.Enabled), now, now)
			return s.duplicate(err, r.Name)
		}
		var kind string
		if err := tx.QueryRowContext(ctx, "SELECT kind FROM _robots WHERE id = ?", r.ID).Scan(&kind); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return problem.NotFound("robot", r.ID)
			}
			return err
		}
		if Kind(kind) != r.Kind && r.URL == "" {
			return problem.Invalid("required").At("url") // a new vendor needs its own address
		}
		q, args := "UPDATE _robots SET name = ?, kind = ?, enabled = ?, updated_at = ?", []any{r.Name, string(r.Kind), store.Bool(r.Enabled), now}
		if r.URL != "" {
			q, args = q+", url = ?", append(args, s.Keys.Seal(r.URL, sealWhere(r.ID, "url")))
		}
		if r.Secret != "" {
			q, args = q+", secret = ?", append(args, s.sealSecret(r))
		}
		_, err := tx.ExecContext(ctx, q+" WHERE id = ?", append(args, r.ID)...)
		return s.duplicate(err, r.Name)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, r.ID)
}

func (s *Service) sealSecret(r *Robot) string {
	if r.Secret == "" || r.Secret == "-" {
		return ""
	}
	return s.Keys.Seal(strings.TrimSpace(r.Secret), sealWhere(r.ID, "secret"))
}

func (s *Service) duplicate(err error, name string) error {
	if _, dup := store.UniqueViolation(err); dup {
		return problem.New(409, "duplicate_name", "name", name)
	}
	return err
}

// Delete removes a robot and its delivery log; messages still waiting for it are dropped
// when their turn comes.
func (s *Service) Delete(ctx context.Context, by access.Actor, id string) error {
	if err := by.MayChangeSchema(); err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM _robots WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.NotFound("robot", id)
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM _robot_deliveries WHERE robot_id = ?", id)
		return err
	})
}

// checkURL refuses an address that is not the vendor's webhook form, saying what one looks
// like. (Where it may point is the outbound client's to refuse, at each call.)
func checkURL(k Kind, raw string) error {
	if k == Email {
		_, err := parseSMTP(raw)
		return err
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if raw == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return problem.Invalid("robot_url", "example", examples[k]).At("url")
	}
	switch k {
	case WeCom:
		if u.Query().Get("key") == "" {
			return problem.Invalid("robot_url", "example", examples[k]).At("url")
		}
	case DingTalk:
		if u.Query().Get("access_token") == "" {
			return problem.Invalid("robot_url", "example", examples[k]).At("url")
		}
	case Feishu:
		if !strings.Contains(u.Path, "/hook/") {
			return problem.Invalid("robot_url", "example", examples[k]).At("url")
		}
	}
	return nil
}

var examples = map[Kind]string{
	WeCom:    "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
	DingTalk: "https://oapi.dingtalk.com/robot/send?access_token=…",
	Feishu:   "https://open.feishu.cn/open-apis/bot/v2/hook/…",
	Email:    "smtp://smtp.example.com:587?from=crm@example.com&user=crm@example.com",
}

// Mask shows an address with its credential hidden: the scheme, host and path with its
// last segment and every query value cut to their first four characters.
func Mask(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if u.Scheme == "smtp" || u.Scheme == "smtps" { // an SMTP account's credential is its secret
		return raw
	}
	cut := func(s string) string {
		if r := []rune(s); len(r) > 4 {
			return string(r[:4]) + "****"
		}
		return "****"
	}
	if i := strings.LastIndex(u.Path, "/hook/"); i >= 0 {
		u.Path = u.Path[:i+6] + cut(u.Path[i+6:])
	}
	q := u.Query()
	for k := range q {
		q.Set(k, cut(q.Get(k)))
	}
	u.RawQuery = q.Encode()
	out, _ := url.PathUnescape(u.String())
	return out
}

// SendTx queues m for the robot inside the caller's write transaction, in the robot's next
// free send slot under its vendor's limit; a disabled or missing robot is refused.
func (s *Service) SendTx(ctx context.Context, tx *sql.Tx, robotID string, m Message) error {
	m.Title, m.Text = clip(m.Title, 200), clip(m.Text, maxText)
	if err := s.DB.Dialect.Lock(ctx, tx, "robot:"+robotID); err != nil {
		return err
	}
	var kind, slots string
	var enabled int
	err := tx.QueryRowContext(ctx, "SELECT kind, enabled, slots FROM _robots WHERE id = ?", robotID).Scan(&kind, &enabled, &slots)
	if errors.Is(err, sql.ErrNoRows) {
		return problem.NotFound("robot", robotID)
	}
	if err != nil {
		return err
	}
	if enabled != 1 {
		return problem.New(409, "robot_disabled")
	}
	var taken []int64
	json.Unmarshal([]byte(slots), &taken)
	at, taken := nextSlot(limits[Kind(kind)], taken, s.Now())
	data, _ := json.Marshal(taken)
	if _, err := tx.ExecContext(ctx, "UPDATE _robots SET slots = ? WHERE id = ?", string(data), robotID); err != nil {
		return err
	}
	_, err = s.Jobs.Enqueue(ctx, tx, sendKind, "", delivery{Robot: robotID, Message: m}, at)
	return err
}

// nextSlot returns the earliest time at or after now when one more message keeps every
// limit in every window, given the send times taken (ms, ascending), and the times to keep.
func nextSlot(ls []limit, taken []int64, now time.Time) (time.Time, []int64) {
	at := now.UnixMilli()
	keep := 0
	for _, l := range ls {
		if len(taken) >= l.N {
			at = max(at, taken[len(taken)-l.N]+l.Per.Milliseconds())
		}
		keep = max(keep, l.N)
	}
	taken = append(taken, at)
	if len(taken) > keep {
		taken = taken[len(taken)-keep:]
	}
	return time.UnixMilli(at), taken
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
