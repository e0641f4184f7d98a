package channels

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"tierbase/core/access"
	"tierbase/platform/jobs"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// delivery is the payload of a send job.
type delivery struct {
	Robot   string  `json:"robot"`
	Message Message `json:"message"`
}

// Delivery is one attempt to send a message, as the delivery log shows it.
type Delivery struct {
	ID       int64  `json:"id"`
	Robot    string `json:"robot"`
	At       string `json:"at"`
	Attempt  int    `json:"attempt"`
	OK       bool   `json:"ok"`
	Status   int    `json:"status"` // the HTTP status, 0 when no answer came
	Ms       int64  `json:"ms"`
	Title    string `json:"title"`
	Response string `json:"response"` // the vendor's answer (or the error), at most 1 KB
}

// deliver is the send job: it posts the message and logs the attempt. It runs outside a
// transaction, as the call may take seconds; should the process die between the vendor's
// answer and the job's completion, the message is sent again (a group may see it twice,
// never lose it).
func (s *Service) deliver(ctx context.Context, j *jobs.Job) error {
	var d delivery
	if err := j.Decode(&d); err != nil {
		return jobs.Permanent(err)
	}
	r, url, secret, err := s.open(ctx, d.Robot)
	if err != nil {
		if problem.As(err) != nil { // deleted since: nothing to send
			return nil
		}
		return err
	}
	if !r.Enabled {
		return nil
	}
	_, err = s.post(ctx, r, url, secret, d.Message, j.Attempts)
	return err
}

// open returns a robot with its address and secret opened.
func (s *Service) open(ctx context.Context, id string) (*Robot, string, string, error) {
	var r Robot
	var sealedURL, sealedSecret string
	var enabled int
	err := s.DB.R.QueryRowContext(ctx, "SELECT id, name, kind, url, secret, enabled FROM _robots WHERE id = ?", id).
		Scan(&r.ID, &r.Name, &r.Kind, &sealedURL, &sealedSecret, &enabled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", "", problem.NotFound("robot", id)
	}
	if err != nil {
		return nil, "", "", err
	}
	r.Enabled = enabled == 1
	u, err := s.Keys.Open(sealedURL, sealWhere(id, "url"))
	if err != nil {
		return nil, "", "", jobs.Permanent(err)
	}
	var sec string
	if sealedSecret != "" {
		if sec, err = s.Keys.Open(sealedSecret, sealWhere(id, "secret")); err != nil {
			return nil, "", "", jobs.Permanent(err)
		}
	}
	return &r, u, sec, nil
}

// post sends m to the channel and logs the attempt; the error says why it was refused.
func (s *Service) post(ctx context.Context, r *Robot, addr, secret string, m Message, attempt int) (*Delivery, error) {
	now := s.Now()
	d := &Delivery{Robot: r.ID, At: now.UTC().Format(time.RFC3339), Attempt: attempt, Title: m.Title}
	start := time.Now()
	var sendErr error
	if r.Kind == Email {
		d.Status, sendErr = s.mail(ctx, addr, secret, m, now)
		d.Response = fmt.Sprintf("%d OK: %s", d.Status, strings.Join(m.To, ", "))
		if sendErr != nil {
			d.Response = clip(sendErr.Error(), maxResponse)
		}
	} else {
		req, err := request(ctx, r.Kind, addr, secret, m, now)
		if err != nil {
			return nil, jobs.Permanent(err)
		}
		resp, err := s.Client.Do(req)
		if err != nil {
			d.Response = clip(scrub(err.Error(), addr), maxResponse)
			sendErr = fmt.Errorf("robot %s: %s", r.Name, d.Response)
		} else {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			d.Status = resp.StatusCode
			d.Response = clip(string(body), maxResponse)
			sendErr = answer(r.Kind, resp.StatusCode, body)
		}
	}
	d.Ms = time.Since(start).Milliseconds()
	d.OK = sendErr == nil
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO _robot_deliveries(robot_id, at, attempt, ok, status, ms, title, response)
			VALUES(?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, d.Robot, d.At, d.Attempt, store.Bool(d.OK), d.Status, d.Ms, d.Title, d.Response).Scan(&d.ID)
	})
	if err != nil {
		return d, err
	}
	return d, sendErr
}

// scrub removes the address (which holds the credential) from an error text.
func scrub(msg, addr string) string {
	msg = strings.ReplaceAll(msg, addr, Mask(addr))
	if u, err := url.Parse(addr); err == nil {
		msg = strings.ReplaceAll(msg, u.RawQuery, "…")
	}
	return msg
}

// request builds the vendor's HTTP request for m, signed at now.
func request(ctx context.Context, k Kind, addr, secret string, m Message, now time.Time) (*http.Request, error) {
	text := m.Text
	if m.Link != "" {
		if m.Markdown {
			text += "\n\n[查看详情](" + m.Link + ")"
		} else {
			text += "\n" + m.Link
		}
	}
	var body any
	switch k {
	case WeCom:
		if m.Markdown {
			body = map[string]any{"msgtype": "markdown", "markdown": map[string]any{"content": text}}
		} else {
			at := m.AtPhones
			if m.AtAll {
				at = append(at, "@all")
			}
			body = map[string]any{"msgtype": "text", "text": map[string]any{"content": text, "mentioned_mobile_list": at}}
		}
	case DingTalk:
		at := map[string]any{"atMobiles": m.AtPhones, "isAtAll": m.AtAll}
		for _, p := range m.AtPhones { // 钉钉 shows the @ where the number is written in the text
			if !strings.Contains(text, "@"+p) {
				text += " @" + p
			}
		}
		if m.Markdown {
			body = map[string]any{"msgtype": "markdown", "markdown": map[string]any{"title": m.Title, "text": text}, "at": at}
		} else {
			body = map[string]any{"msgtype": "text", "text": map[string]any{"content": text}, "at": at}
		}
		if secret != "" {
			ts := strconv.FormatInt(now.UnixMilli(), 10)
			sep := "?"
			if strings.Contains(addr, "?") {
				sep = "&"
			}
			addr += sep + "timestamp=" + ts + "&sign=" + url.QueryEscape(DingTalkSign(ts, secret))
		}
	case Feishu:
		msg := map[string]any{"msg_type": "text", "content": map[string]any{"text": text}}
		if m.Markdown {
			msg = map[string]any{"msg_type": "interactive", "card": map[string]any{
				"header":   map[string]any{"title": map[string]any{"tag": "plain_text", "content": m.Title}},
				"elements": []any{map[string]any{"tag": "markdown", "content": text}},
			}}
		}
		if secret != "" {
			ts := strconv.FormatInt(now.Unix(), 10)
			msg["timestamp"], msg["sign"] = ts, FeishuSign(ts, secret)
		}
		body = msg
	}
	data, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", addr, bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	return req, nil
}

// DingTalkSign is 钉钉's 加签: the base64 HMAC-SHA256, keyed with the secret, of the
// timestamp (ms), a newline and the secret (the caller URL-encodes it into the address).
func DingTalkSign(ts, secret string) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts + "\n" + secret))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// FeishuSign is 飞书's 签名校验: the base64 HMAC-SHA256 of an empty message, keyed with the
// timestamp (seconds), a newline and the secret.
func FeishuSign(ts, secret string) string {
	h := hmac.New(sha256.New, []byte(ts+"\n"+secret))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// answer reads a vendor's reply: all three answer 200 with an error code in the body.
func answer(k Kind, status int, body []byte) error {
	if status == http.StatusTooManyRequests || status >= 500 {
		return fmt.Errorf("the robot's server answered %d", status)
	}
	if status != http.StatusOK {
		return jobs.Permanent(fmt.Errorf("the robot's server answered %d: %s", status, clip(string(body), 200)))
	}
	var v struct {
		ErrCode    *int   `json:"errcode"` // 企业微信, 钉钉
		ErrMsg     string `json:"errmsg"`
		Code       *int   `json:"code"` // 飞书
		Msg        string `json:"msg"`
		StatusCode *int   `json:"StatusCode"` // 飞书's older answer
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("the robot's server answered something else than JSON: %s", clip(string(body), 200))
	}
	code, msg := 0, ""
	switch {
	case v.ErrCode != nil:
		code, msg = *v.ErrCode, v.ErrMsg
	case v.Code != nil:
		code, msg = *v.Code, v.Msg
	case v.StatusCode != nil:
		code = *v.StatusCode
	}
	if code == 0 {
		return nil
	}
	err := fmt.Errorf("%s refused the message: %d %s", k, code, msg)
	if throttled[code] {
		return err // sent too fast: the job's backoff tries again later
	}
	return jobs.Permanent(err)
}

// throttled are the vendors' codes for "too many messages" (企业微信 45009, 钉钉 130101,
// 飞书 9499 and 11232): worth another try later; every other code (a bad key, a failed
// signature, a keyword missing) is not.
var throttled = map[int]bool{45009: true, 130101: true, 9499: true, 11232: true}

// Test sends a test message to the robot now, outside the queue, and returns the attempt as
// logged: the robot's page shows at once whether the address and secret work.
func (s *Service) Test(ctx context.Context, by access.Actor, id string) (*Delivery, error) {
	if err := by.MayChangeSchema(); err != nil {
		return nil, err
	}
	r, addr, secret, err := s.open(ctx, id)
	if err != nil {
		return nil, err
	}
	m := Message{Title: "tierbase 测试消息", Text: "这是一条来自 tierbase 的测试消息，收到说明「" + r.Name + "」配置正确。"}
	if a, err := parseSMTP(addr); err == nil && r.Kind == Email { // a mail account's test goes to itself
		m.To = []string{a.from}
	}
	d, err := s.post(ctx, r, addr, secret, m, 1)
	if d == nil {
		return nil, err
	}
	return d, nil
}

// Deliveries returns the robot's latest delivery attempts, newest first, before the id
// before (0: the latest).
func (s *Service) Deliveries(ctx context.Context, by access.Actor, robot string, before int64, limit int) ([]Delivery, error) {
	if err := by.MayChangeSchema(); err != nil {
		return nil, err
	}
	if before <= 0 {
		before = 1 << 62
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, robot_id, at, attempt, ok, status, ms, title, response FROM _robot_deliveries
		WHERE robot_id = ? AND id < ? ORDER BY id DESC LIMIT ?`, robot, before, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Delivery{}
	for rows.Next() {
		var d Delivery
		var ok int
		if err := rows.Scan(&d.ID, &d.Robot, &d.At, &d.Attempt, &ok, &d.Status, &d.Ms, &d.Title, &d.Response); err != nil {
			return nil, err
		}
		d.OK = ok == 1
		out = append(out, d)
	}
	return out, rows.Err()
}

// Reseal seals every robot's address and secret with the ring's current key: `tierbase keys
// rotate` runs it before the old keys are dropped.
func (s *Service) Reseal(ctx context.Context) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT id, url, secret FROM _robots")
		if err != nil {
			return err
		}
		type row struct{ id, url, secret string }
		var all []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.url, &r.secret); err != nil {
				rows.Close()
				return err
			}
			all = append(all, r)
		}
		rows.Close()
		for _, r := range all {
			u, err := s.Keys.Open(r.url, sealWhere(r.id, "url"))
			if err != nil {
				return err
			}
			sec := ""
			if r.secret != "" {
				plain, err := s.Keys.Open(r.secret, sealWhere(r.id, "secret"))
				if err != nil {
					return err
				}
				sec = s.Keys.Seal(plain, sealWhere(r.id, "secret"))
			}
			if _, err := tx.ExecContext(ctx, "UPDATE _robots SET url = ?, secret = ? WHERE id = ?", s.Keys.Seal(u, sealWhere(r.id, "url")), sec, r.id); err != nil {
				return err
			}
		}
		return nil
	})
}
