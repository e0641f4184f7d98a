package webhooks

import (
	"context"
	"database/sql"
	"encoding/json"
	"regexp"
	"strings"

	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// A rule action (调用 Webhook) or a flow's 通知 node calls an endpoint with a body mapped
// from a record: each key of the mapping is a key of the body, its value a literal or a
// text with {字段} placeholders. The body is the receiver's own shape (an ERP's order), not
// the envelope of record events; it is signed, logged, retried and replayed as they are.

var placeholder = regexp.MustCompile(`\{([^{}]+)\}`)

// CheckCall refuses a call of an endpoint that does not exist, an empty mapping, an empty
// key, or a placeholder naming no field of t. The problem's path is under the mapping's
// (payload.<key>), or the endpoint's ("webhook").
func (s *Service) CheckCall(ctx context.Context, endpoint string, t *schema.Table, payload map[string]any) error {
	var n int
	if err := s.DB.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM _webhooks WHERE id = ?", endpoint).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return problem.NotFound("webhook", endpoint).At("webhook")
	}
	if len(payload) == 0 {
		return problem.Invalid("required").At("payload")
	}
	for key, v := range payload {
		if strings.TrimSpace(key) == "" {
			return problem.Invalid("required").At("payload")
		}
		text, ok := v.(string)
		if !ok {
			continue
		}
		for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
			if t.Field(strings.TrimSpace(m[1])) == nil {
				return problem.Invalid("unknown_field", "table", t.Name, "name", m[1]).At("payload." + key)
			}
		}
	}
	return nil
}

// CallTx queues, inside tx, a message of type "call" for the endpoint whose body maps rec
// (see Body): it is sent when tx commits, so once per commit. A disabled endpoint keeps the
// message as skipped, for a replay once it is enabled again.
func (s *Service) CallTx(ctx context.Context, tx *sql.Tx, endpoint string, t *schema.Table, rec records.Record, payload map[string]any) error {
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM _webhooks WHERE id = ?", endpoint).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return problem.NotFound("webhook", endpoint)
	}
	body, err := json.Marshal(s.Body(t, rec, payload))
	if err != nil {
		return err
	}
	return s.queueAll(ctx, tx, []outgoing{{endpoint, Call, body, s.Now()}})
}

// Body maps rec into a call's body: a value that is one placeholder alone ("{金额}") is the
// field's value as stored (a number stays a number; a 成员 is the user's id); a text with
// placeholders among other words takes each field as the UI shows it (a 成员 by name);
// anything else is sent as it is. A receiver is outside the permissions, so 敏感 fields
// are masked.
func (s *Service) Body(t *schema.Table, rec records.Record, payload map[string]any) map[string]any {
	value := func(f *schema.Field) any {
		v := rec[f.ID]
		if f.Sensitive {
			v = records.Mask(f, f.Unseal(v))
		}
		return v
	}
	out := make(map[string]any, len(payload))
	for key, v := range payload {
		text, ok := v.(string)
		if !ok {
			out[key] = v
			continue
		}
		if m := placeholder.FindStringSubmatch(text); m != nil && m[0] == strings.TrimSpace(text) {
			if f := t.Field(strings.TrimSpace(m[1])); f != nil {
				out[key] = json.RawMessage(store.AppendJSON(nil, value(f)))
				continue
			}
		}
		out[key] = placeholder.ReplaceAllStringFunc(text, func(m string) string {
			f := t.Field(strings.TrimSpace(m[1 : len(m)-1]))
			if f == nil {
				return m
			}
			if id, ok := rec[f.ID].(int64); ok && f.Type == schema.User && s.Users != nil {
				if u, found := s.Users.Get(id); found {
					return u.Name
				}
			}
			return f.Display(value(f), s.Loc)
		})
	}
	return out
}
