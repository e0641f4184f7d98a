package webhooks

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
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"tierbase/core/access"
	"tierbase/platform/jobs"
	"tierbase/platform/outbound"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// delivery is the payload of a delivery job: the message to post.
type delivery struct {
	Message string `json:"message"`
}

// Schedule is how long a message waits after each failed attempt (the first is made at
// once): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h — ten attempts over about
// three days, after which the message is kept as failed.
var Schedule = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour,
	5 * time.Hour, 10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour}

// backoff is the delivery job's wait after its attempt-th attempt failed: the schedule's
// step less up to a tenth (jitter, so that what failed together does not come back
// together), or longer when the receiver asked so (Retry-After, at most a day).
func backoff(attempt int, err error) time.Duration {
	d := Schedule[min(max(attempt-1, 0), len(Schedule)-1)]
	d -= time.Duration(mrand.Int64N(int64(d/10) + 1))
	var ra retryAfter
	if errors.As(err, &ra) && ra.wait > d {
		d = ra.wait
	}
	return d
}

// retryAfter is a failed attempt whose receiver said when to come back.
type retryAfter struct {
	error
	wait time.Duration
}

func (r retryAfter) Unwrap() error { return r.error }

// parseRetryAfter reads a Retry-After header, seconds or an HTTP date, as a wait of at
// most a day (0: none asked).
func parseRetryAfter(h string, now time.Time) time.Duration {
	const most = 24 * time.Hour
	if n, err := strconv.ParseInt(strings.TrimSpace(h), 10, 64); err == nil && n > 0 {
		return min(time.Duration(min(n, int64(most/time.Second)))*time.Second, most)
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return min(t.Sub(now), most)
	}
	return 0
}

// Sign returns the webhook-signature header of a message by the Standard Webhooks scheme:
// for each secret (whsec_ and the base64 of the key), v1, a comma and the base64
// HMAC-SHA256 of "id.timestamp.body"; several are separated by spaces.
func Sign(secrets []string, id, timestamp string, body []byte) string {
	sigs := make([]string, 0, len(secrets))
	for _, sec := range secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sec, "whsec_"))
		if err != nil {
			continue
		}
		h := hmac.New(sha256.New, key)
		h.Write([]byte(id + "." + timestamp + "."))
		h.Write(body)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(h.Sum(nil)))
	}
	return strings.Join(sigs, " ")
}

// Delivery is one attempt to post a message, as the delivery log shows it.
type Delivery struct {
	ID       int64  `json:"id"`
	Webhook  string `json:"webhook"`
	Message  string `json:"message"` // the webhook-id: replay takes it
	Type     string `json:"type"`
	At       string `json:"at"`
	Attempt  int    `json:"attempt"`
	OK       bool   `json:"ok"`
	Status   int    `json:"status"` // the HTTP status, 0 when no answer came
	Ms       int64  `json:"ms"`
	Response string `json:"response"` // the receiver's answer (or the error), at most 1 KB
}

// target is an endpoint as a delivery needs it.
type target struct {
	id, name, url string
	secrets       []string
	enabled       bool
	owner         int64
}

// message is one queued event.
type message struct {
	id, typ string
	body    []byte
}

// load returns a message with its endpoint, or nils when either is gone.
func (s *Service) load(ctx context.Context, msgID string) (*target, *message, error) {
	m := message{id: msgID}
	var tg target
	var body, sealed, sealedOld string
	var oldUntil int64
	var enabled int
	err := s.DB.R.QueryRowContext(ctx, `SELECT m.type, m.body, w.id, w.name, w.url, w.secret, w.old_secret, w.old_until, w.enabled, w.owner_id
		FROM _webhook_messages m JOIN _webhooks w ON w.id = m.webhook_id WHERE m.id = ?`, msgID).
		Scan(&m.typ, &body, &tg.id, &tg.name, &tg.url, &sealed, &sealedOld, &oldUntil, &enabled, &tg.owner)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	m.body, tg.enabled = []byte(body), enabled == 1
	if err := s.secrets(&tg, sealed, sealedOld, oldUntil); err != nil {
		return nil, nil, err
	}
	return &tg, &m, nil
}

// secrets opens the endpoint's secret, and the one it replaced while that still signs.
func (s *Service) secrets(tg *target, sealed, sealedOld string, oldUntil int64) error {
	sec, err := s.Keys.Open(sealed, sealWhere(tg.id, "secret"))
	if err != nil {
		return jobs.Permanent(err)
	}
	tg.secrets = []string{sec}
	if sealedOld != "" && s.Now().UnixMilli() < oldUntil {
		if old, err := s.Keys.Open(sealedOld, sealWhere(tg.id, "old")); err == nil {
			tg.secrets = append(tg.secrets, old)
		}
	}
	return nil
}

// deliver is the delivery job. It runs outside a transaction (a receiver has 15 s); should
// the process die between the answer and the job's completion, the message is posted again
// with the same webhook-id.
func (s *Service) deliver(ctx context.Context, j *jobs.Job) error {
	var d delivery
	if err := j.Decode(&d); err != nil {
		return jobs.Permanent(err)
	}
	tg, m, err := s.load(ctx, d.Message)
	if err != nil || tg == nil {
		return err // nil when the endpoint or message was deleted since
	}
	if !tg.enabled {
		return s.DB.Exec(ctx, "UPDATE _webhook_messages SET state = 'skipped' WHERE id = ?", m.id)
	}
	_, err = s.attempt(ctx, tg, m, j.Attempts)
	return err
}

// gaveUp keeps a message whose last attempt failed as failed (a replay may send it again).
func (s *Service) gaveUp(ctx context.Context, j *jobs.Job, _ error) {
	var d delivery
	if j.Decode(&d) == nil {
		s.DB.Exec(ctx, "UPDATE _webhook_messages SET state = 'failed' WHERE id = ? AND state = 'pending'", d.Message)
	}
}

// attempt posts m to the endpoint, logs the attempt and keeps the endpoint's health: a 410
// Gone disables it at once, failing for FailingFor does too; either tells its owner.
func (s *Service) attempt(ctx context.Context, tg *target, m *message, n int) (*Delivery, error) {
	now := s.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, "POST", tg.url, bytes.NewReader(m.body))
	if err != nil {
		return nil, jobs.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "tierbase-webhooks/1")
	req.Header.Set("webhook-id", m.id)
	req.Header.Set("webhook-timestamp", ts)
	req.Header.Set("webhook-signature", Sign(tg.secrets, m.id, ts, m.body))
	start := time.Now()
	resp, err := s.Client.Do(req)
	d := &Delivery{Webhook: tg.id, Message: m.id, Type: m.typ, At: now.UTC().Format(time.RFC3339), Attempt: n}
	var sendErr error
	gone := false
	switch {
	case err != nil && outbound.IsRefused(err):
		d.Response = "refused: the address is inside the server's networks and not allow-listed"
		sendErr = errors.New(d.Response)
	case err != nil:
		d.Response = clip(err.Error())
		sendErr = err
	default:
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
		resp.Body.Close()
		d.Status, d.Response = resp.StatusCode, clip(string(body))
		switch {
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
		case resp.StatusCode == http.StatusGone:
			gone = true
			sendErr = jobs.Permanent(errors.New("the receiver answered 410 Gone: the endpoint is disabled"))
		default:
			sendErr = fmt.Errorf("the receiver answered %d", resp.StatusCode)
			if wait := parseRetryAfter(resp.Header.Get("Retry-After"), now); wait > 0 {
				sendErr = retryAfter{sendErr, wait}
			}
		}
	}
	d.Ms = time.Since(start).Milliseconds()
	d.OK = sendErr == nil
	disabled := ""
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO _webhook_deliveries(webhook_id, message_id, at, attempt, ok, status, ms, response)
			VALUES(?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, d.Webhook, d.Message, d.At, d.Attempt, store.Bool(d.OK), d.Status, d.Ms, d.Response).Scan(&d.ID); err != nil {
			return err
		}
		if d.OK {
			if _, err := tx.ExecContext(ctx, "UPDATE _webhook_messages SET state = 'delivered' WHERE id = ?", m.id); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "UPDATE _webhooks SET failing_since = 0 WHERE id = ? AND failing_since <> 0", tg.id)
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE _webhooks SET failing_since = ? WHERE id = ? AND failing_since = 0", now.UnixMilli(), tg.id); err != nil {
			return err
		}
		var since int64
		if err := tx.QueryRowContext(ctx, "SELECT failing_since FROM _webhooks WHERE id = ?", tg.id).Scan(&since); err != nil {
			return err
		}
		reason := ""
		switch {
		case gone:
			reason = "接收方返回 410 Gone，表示不再接收 / the receiver answered 410 Gone"
		case now.Sub(time.UnixMilli(since)) >= FailingFor:
			reason = "连续 3 天发送失败 / every attempt failed for 3 days"
		default:
			return nil
		}
		res, err := tx.ExecContext(ctx, "UPDATE _webhooks SET enabled = 0, disabled_reason = ? WHERE id = ? AND enabled = 1", reason, tg.id)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 1 {
			disabled = reason
		}
		return nil
	})
	if err != nil {
		return d, err
	}
	if disabled != "" {
		s.Reload(ctx)
	}
	if disabled != "" && s.Inbox != nil {
		s.Inbox.Notify(ctx, []int64{tg.owner}, "Webhook「"+tg.name+"」已停用", "原因："+disabled+"。修复接收方后，在 Webhook 设置中重新启用，并可重发失败的消息。", "")
	}
	return d, sendErr
}

// clip cuts s to the log's 1 KB, dropping a character cut in half.
func clip(s string) string {
	if len(s) <= maxResponse {
		return s
	}
	return strings.ToValidUTF8(s[:maxResponse], "")
}

// Test posts a test event (type webhook.test) to the endpoint now, outside the queue, and
// returns the attempt as logged: the page shows at once whether the receiver accepts it.
func (s *Service) Test(ctx context.Context, by access.Actor, id string) (*Delivery, error) {
	if err := by.MayChangeSchema(); err != nil {
		return nil, err
	}
	var tg target
	var sealed, sealedOld, tableID string
	var oldUntil int64
	err := s.DB.R.QueryRowContext(ctx, "SELECT id, name, url, secret, old_secret, old_until, owner_id, table_id FROM _webhooks WHERE id = ?", id).
		Scan(&tg.id, &tg.name, &tg.url, &sealed, &sealedOld, &oldUntil, &tg.owner, &tableID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFound("webhook", id)
	}
	if err != nil {
		return nil, err
	}
	if err := s.secrets(&tg, sealed, sealedOld, oldUntil); err != nil {
		return nil, err
	}
	data := map[string]any{"tableId": tableID, "test": true, "message": "这是一条来自 tierbase 的测试事件 / a test event from tierbase"}
	if t, err := s.Catalog.Table(tableID); err == nil {
		data["table"] = t.Name
	}
	now := s.Now()
	m := &message{id: newMessageID(), typ: string(TestEvent)}
	m.body, _ = json.Marshal(map[string]any{"type": TestEvent, "timestamp": now.UTC().Format(time.RFC3339Nano), "data": data})
	if err := s.DB.Exec(ctx, "INSERT INTO _webhook_messages(id, webhook_id, type, body, at) VALUES(?, ?, ?, ?, ?)",
		m.id, tg.id, m.typ, string(m.body), now.UnixMilli()); err != nil {
		return nil, err
	}
	d, err := s.attempt(ctx, &tg, m, 1)
	if d == nil {
		return nil, err
	}
	return d, nil
}

// Replay queues messages of the endpoint again, with their own webhook-ids: one message
// (by id), or with failed every message that was given up or skipped while the endpoint
// was disabled. It returns how many were queued.
func (s *Service) Replay(ctx context.Context, by access.Actor, id, msgID string, failed bool) (int, error) {
	if err := by.MayChangeSchema(); err != nil {
		return 0, err
	}
	if msgID == "" && !failed {
		return 0, problem.Invalid("required").At("message")
	}
	n := 0
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		q, args := "SELECT id FROM _webhook_messages WHERE webhook_id = ? AND id = ?", []any{id, msgID}
		if failed {
			q, args = "SELECT id FROM _webhook_messages WHERE webhook_id = ? AND state IN ('failed', 'skipped') ORDER BY at", []any{id}
		}
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var m string
			if err := rows.Scan(&m); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, m)
		}
		rows.Close()
		if len(ids) == 0 && !failed {
			return problem.NotFound("webhook_message", msgID)
		}
		now := s.Now()
		for _, m := range ids {
			if _, err := tx.ExecContext(ctx, "UPDATE _webhook_messages SET state = 'pending' WHERE id = ?", m); err != nil {
				return err
			}
			if _, err := s.Jobs.Enqueue(ctx, tx, deliverKind, "", delivery{Message: m}, now); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// Deliveries returns the endpoint's latest delivery attempts, newest first, before the id
// before (0: the latest).
func (s *Service) Deliveries(ctx context.Context, by access.Actor, id string, before int64, limit int) ([]Delivery, error) {
	if err := by.MayChangeSchema(); err != nil {
		return nil, err
	}
	if before <= 0 {
		before = 1 << 62
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT d.id, d.webhook_id, d.message_id, COALESCE(m.type, ''), d.at, d.attempt, d.ok, d.status, d.ms, d.response
		FROM _webhook_deliveries d LEFT JOIN _webhook_messages m ON m.id = d.message_id
		WHERE d.webhook_id = ? AND d.id < ? ORDER BY d.id DESC LIMIT ?`, id, before, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Delivery{}
	for rows.Next() {
		var d Delivery
		var ok int
		if err := rows.Scan(&d.ID, &d.Webhook, &d.Message, &d.Type, &d.At, &d.Attempt, &ok, &d.Status, &d.Ms, &d.Response); err != nil {
			return nil, err
		}
		d.OK = ok == 1
		out = append(out, d)
	}
	return out, rows.Err()
}
