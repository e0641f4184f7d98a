package api

import (
	"bytes"
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"tierbase/core/access"
	"tierbase/platform/problem"
)

// maxBody limits request bodies (batches of 10,000 records fit).
const maxBody = 32 << 20

// decode reads the JSON body of r into v. A body that does not fit v is answered with the
// place it went wrong — a line and column for broken JSON, else the path of the value
// (fields[3].options[0]) and what was expected there — never with the decoder's own words,
// which name Go types.
func decode(r *http.Request, v any) error {
	data, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeBytes(data, v)
}

// readBody reads r's body, at most maxBody bytes (413 beyond).
func readBody(r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, problem.New(http.StatusRequestEntityTooLarge, "body_too_large", "max", maxBody>>20)
	}
	return data, err
}

// decodeBytes decodes the JSON text data into v, with decode's errors.
func decodeBytes(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return bodyProblem(data, reflect.TypeOf(v), err)
	}
	return nil
}

// bodyProblem explains why data could not be decoded into a value of type t.
func bodyProblem(data []byte, t reflect.Type, err error) *problem.Error {
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &syntax):
		return syntaxProblem(data, syntax.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return syntaxProblem(data, int64(len(data)))
	case len(bytes.TrimSpace(data)) == 0:
		return problem.Invalid("bad_json_body", "expected", expected(t))
	}
	if p := locate(data, t, ""); p != nil {
		return p
	}
	// The decoder refused something locate does not see; say where the body should start.
	return problem.Invalid("bad_json_body", "expected", expected(t))
}

// syntaxProblem names the line and column (1-based, in characters) of byte offset off.
func syntaxProblem(data []byte, off int64) *problem.Error {
	off = min(max(off, 1), int64(len(data)))
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len([]rune(string(before[bytes.LastIndexByte(before, '\n')+1:])))
	return problem.Invalid("bad_json", "line", line, "column", max(col, 1))
}

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	numberType          = reflect.TypeFor[json.Number]()
)

// locate walks data beside the Go type t it is decoded into and returns the first value that
// does not fit, with its path (fields[3].options[0]), or nil when everything fits.
func locate(data []byte, t reflect.Type, path string) *problem.Error {
	data = bytes.TrimSpace(data)
	if string(data) == "null" {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	custom := reflect.PointerTo(t).Implements(unmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType)
	if t.Kind() == reflect.Interface {
		return nil
	}
	mismatch := func() *problem.Error {
		if path == "" {
			return problem.Invalid("bad_json_body", "expected", expected(t))
		}
		return problem.Invalid("bad_json_type", "expected", expected(t)).At(path)
	}
	// Look inside containers first, so the deepest wrong value is named.
	switch {
	case t.Kind() == reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) != nil {
			if custom {
				break
			}
			return mismatch()
		}
		fields := jsonFields(t)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			f, ok := fields[k]
			if !ok {
				for name, g := range fields {
					if strings.EqualFold(name, k) {
						f, ok = g, true
						break
					}
				}
			}
			if !ok {
				continue // unknown keys are ignored, as the decoder does
			}
			if p := locate(obj[k], f.Type, join(path, k)); p != nil {
				return p
			}
		}
	case (t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8) || t.Kind() == reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(data, &items) != nil {
			if custom {
				break
			}
			return mismatch()
		}
		for i, item := range items {
			if p := locate(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); p != nil {
				return p
			}
		}
	case t.Kind() == reflect.Map:
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) != nil {
			if custom {
				break
			}
			return mismatch()
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if p := locate(obj[k], t.Elem(), join(path, k)); p != nil {
				return p
			}
		}
	}
	if !custom && (t.Kind() == reflect.Struct || t.Kind() == reflect.Map || t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		return nil // its parts all fit
	}
	// A single value, or a type that decodes itself: decode it alone.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	err := dec.Decode(reflect.New(t).Interface())
	if err == nil {
		return nil
	}
	if p := problem.As(err); p != nil {
		if p.Path == "" && path != "" {
			p.Path = path
		}
		return p
	}
	return mismatch()
}

// jsonFields maps the JSON keys of a struct's fields (embedded structs flattened) to them.
func jsonFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || (f.Anonymous && f.Type.Kind() == reflect.Struct) {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, taken := out[name]; !taken {
			out[name] = f
		}
	}
	return out
}

// expected is the word for what a JSON value decoded into t must be.
func expected(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		if t == numberType {
			return "json_number"
		}
		return "json_text"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "json_integer"
	case reflect.Float32, reflect.Float64:
		return "json_number"
	case reflect.Bool:
		return "json_bool"
	case reflect.Slice, reflect.Array:
		return "json_list"
	case reflect.Struct, reflect.Map:
		return "json_object"
	}
	return "json_value"
}

// join appends a key to a JSON path: "" + "fields" → "fields", "a" + "b" → "a.b".
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// saveByID is the handler of a create (POST, answered 201) or a change (PUT …/{id}, answered
// 200): it decodes a T from the body, gives it the path's id with setID and saves it as the
// actor with save, answering what was saved.
func saveByID[T, R any](w http.ResponseWriter, r *http.Request, setID func(*T, string), save func(context.Context, access.Actor, *T) (R, error)) error {
	var in T
	if err := decode(r, &in); err != nil {
		return err
	}
	setID(&in, r.PathValue("id"))
	status := 201
	if r.PathValue("id") != "" {
		status = 200
	}
	saved, err := save(r.Context(), actor(r), &in)
	if err != nil {
		return err
	}
	return writeJSON(w, status, saved)
}
