package api

import (
	"net/http"
	"strconv"

	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/platform/store"
)

// Records are encoded by hand: fields keep their display order (encoding/json would sort
// map keys), and a page of 50 costs a fraction of what reflection costs. Values are written
// by store.AppendJSON.

// appendRecord appends rec as a JSON object keyed by field name, "id" first.
func appendRecord(b []byte, t *schema.Table, rec records.Record) []byte {
	b = append(b, `{"id":`...)
	b = store.AppendJSON(b, rec[schema.FieldID])
	for _, f := range t.Fields {
		v, ok := rec[f.ID]
		if f.ID == schema.FieldID || !ok { // a field hidden from the reader is left out
			continue
		}
		b = append(b, ',')
		b = store.AppendJSONString(b, f.Name)
		b = append(b, ':')
		if s, ok := v.(string); ok && f.Type.IsFile() {
			b = schema.AppendFiles(b, "", t, rec.ID(), f, s)
			continue
		}
		b = store.AppendJSON(b, v)
	}
	return append(b, '}')
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
		b = store.AppendJSONString(b, f.Name)
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
			b = store.AppendJSONString(b, name)
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
