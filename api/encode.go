package api

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"unicode/utf8"

	"tierbase/records"
	"tierbase/schema"
)

// Records are encoded by hand: fields keep their display order (encoding/json would sort
// map keys), and a page of 50 costs a fraction of what reflection costs.

// appendRecord appends rec as a JSON object keyed by field name, "id" first.
func appendRecord(b []byte, t *schema.Table, rec records.Record) []byte {
	b = append(b, `{"id":`...)
	b = appendValue(b, rec[schema.FieldID])
	for _, f := range t.Fields {
		if f.ID == schema.FieldID {
			continue
		}
		b = append(b, ',')
		b = appendString(b, f.Name)
		b = append(b, ':')
		b = appendValue(b, rec[f.ID])
	}
	return append(b, '}')
}

// appendValue appends a value in storage form (see schema.Type).
func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendString(b, x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return append(b, "null"...)
		}
		if a := math.Abs(x); a != 0 && (a < 1e-6 || a >= 1e21) {
			return strconv.AppendFloat(b, x, 'g', -1, 64)
		}
		return strconv.AppendFloat(b, x, 'f', -1, 64)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case bool:
		return strconv.AppendBool(b, x)
	case []string:
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		return append(b, ']')
	}
	j, _ := json.Marshal(v)
	return append(b, j...)
}

const hex = "0123456789abcdef"

// appendString appends s as a JSON string, escaping as encoding/json does (including <, >
// and & so the output is safe to embed in HTML).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendTitles appends the display names of user and link values, keyed by field name.
func appendTitles(b []byte, t *schema.Table, titles map[string]map[int64]string) []byte {
	b = append(b, '{')
	first := true
	for _, f := range t.Fields {
		m, ok := titles[f.ID]
		if !ok {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, f.Name)
		b = append(b, ":{"...)
		i := 0
		for id, name := range m {
			if i > 0 {
				b = append(b, ',')
			}
			i++
			b = append(b, '"')
			b = strconv.AppendInt(b, id, 10)
			b = append(b, `":`...)
			b = appendString(b, name)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

func writeRaw(w http.ResponseWriter, status int, body []byte) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, err := w.Write(body)
	return err
}
