package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"tierbase/platform/problem"
)

// Limits of what is sent.
const (
	MaxBatch      = 1000 // events in one request
	MaxName       = 64   // characters of an event's name
	MaxProperties = 4096 // bytes of an event's properties as JSON
	// MaxAhead is how far in the future an event's time may be (clocks differ a little).
	MaxAhead = time.Hour
)

// Input is one event as sent: the customer's key ({"客户编号":"C001"}, {"phone":"138…"} or
// {"email":"…"}), what they did, its properties and when (RFC 3339; empty: now).
type Input struct {
	Customer   map[string]any  `json:"customer"`
	Name       string          `json:"name"`
	Properties json.RawMessage `json:"properties,omitempty"`
	Time       string          `json:"time,omitempty"`
}

// Item is an event checked, ready to store: how the customer is named (Key: a field's name,
// "phone" or "email"; Value), what they did, its properties as compact JSON, and when.
type Item struct {
	Key, Value string
	Path       string // where it was in the body: events[3], or "" for a single event
	Name       string
	Props      string
	At         time.Time
}

// Decode reads the body of POST /api/events: one event, or {"events":[…]} of up to
// MaxBatch. Any bad event refuses the whole body with a 400 naming each bad one by its
// index (events[3].time), so nothing of it is stored.
func Decode(body []byte, now time.Time) ([]Item, error) {
	var probe struct {
		Events json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, problem.Invalid("bad_json_body", "expected", "JSON 对象 / a JSON object")
	}
	raws := []json.RawMessage{body}
	prefix := ""
	if probe.Events != nil {
		if err := json.Unmarshal(probe.Events, &raws); err != nil {
			return nil, problem.Invalid("event_list").At("events")
		}
		prefix = "events"
	}
	if len(raws) == 0 {
		return nil, problem.Invalid("event_list").At("events")
	}
	if len(raws) > MaxBatch {
		return nil, problem.Invalid("event_batch", "max", MaxBatch, "count", len(raws)).At("events")
	}
	items := make([]Item, len(raws))
	var bad []*problem.Error
	for i, raw := range raws {
		at := prefix
		if prefix != "" {
			at = fmt.Sprintf("%s[%d]", prefix, i)
		}
		it, p := decodeOne(raw, now)
		if p != nil {
			p.Path = strings.TrimPrefix(at+"."+p.Path, ".")
			if bad = append(bad, p); len(bad) == 20 {
				break
			}
			continue
		}
		it.Path = at
		items[i] = it
	}
	if len(bad) > 0 {
		return nil, collect(bad)
	}
	return items, nil
}

// decodeOne checks one event; a problem's path is within the event (time, customer…).
func decodeOne(raw json.RawMessage, now time.Time) (Item, *problem.Error) {
	var in Input
	if err := json.Unmarshal(raw, &in); err != nil {
		return Item{}, problem.Invalid("event_shape")
	}
	var it Item
	if len(in.Customer) != 1 {
		return it, problem.Invalid("event_customer").At("customer")
	}
	for k, v := range in.Customer {
		it.Key = strings.TrimSpace(k)
		switch v := v.(type) {
		case string:
			it.Value = strings.TrimSpace(v)
		case float64:
			it.Value = strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	if it.Key == "" || it.Value == "" {
		return it, problem.Invalid("event_customer").At("customer")
	}
	it.Name = strings.TrimSpace(in.Name)
	if it.Name == "" {
		return it, problem.Invalid("required").At("name")
	}
	if utf8.RuneCountInString(it.Name) > MaxName {
		return it, problem.Invalid("too_long", "max", MaxName).At("name")
	}
	it.Props = "{}"
	if p := bytes.TrimSpace(in.Properties); len(p) > 0 && !bytes.Equal(p, []byte("null")) {
		if p[0] != '{' {
			return it, problem.Invalid("event_properties").At("properties")
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, p); err != nil {
			return it, problem.Invalid("event_properties").At("properties")
		}
		if buf.Len() > MaxProperties {
			return it, problem.Invalid("event_too_big", "max", MaxProperties).At("properties")
		}
		it.Props = buf.String()
	}
	it.At = now
	if in.Time != "" {
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(in.Time))
		if err != nil {
			return it, problem.Invalid("event_time", "value", in.Time).At("time")
		}
		if t.After(now.Add(MaxAhead)) {
			return it, problem.Invalid("event_future", "value", in.Time).At("time")
		}
		it.At = t
	}
	return it, nil
}

func init() {
	problem.AddMessage("event_list", "events 应为事件的数组，至少一条", "events must be an array of at least one event")
	problem.AddMessage("event_batch", "一次最多发送 {max} 条事件，这次有 {count} 条；请分批发送", "at most {max} events per request, this one has {count}; send them in batches")
	problem.AddMessage("event_shape", "事件应为 JSON 对象：{\"customer\":{…},\"name\":\"浏览\",\"properties\":{…},\"time\":\"…\"}", "an event must be a JSON object: {\"customer\":{…},\"name\":\"浏览\",\"properties\":{…},\"time\":\"…\"}")
	problem.AddMessage("event_customer", "请用一个键指明客户，例如 {\"客户编号\":\"C001\"}、{\"phone\":\"13800138000\"} 或 {\"email\":\"a@example.com\"}", "name the customer by one key, e.g. {\"客户编号\":\"C001\"}, {\"phone\":\"13800138000\"} or {\"email\":\"a@example.com\"}")
	problem.AddMessage("event_properties", "properties 应为 JSON 对象，例如 {\"page\":\"产品A\"}", "properties must be a JSON object, e.g. {\"page\":\"产品A\"}")
	problem.AddMessage("event_too_big", "属性太大了，最多 {max} 字节", "the properties are too big; at most {max} bytes")
	problem.AddMessage("event_time", "时间「{value}」无法识别，请用 RFC 3339 格式，例如 2026-12-06T10:30:00+08:00", "the time \"{value}\" is not understood; use RFC 3339, e.g. 2026-12-06T10:30:00+08:00")
	problem.AddMessage("event_future", "时间「{value}」在未来，请检查发送方的时钟", "the time \"{value}\" is in the future; check the sender's clock")
}
