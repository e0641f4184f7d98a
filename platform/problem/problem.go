// Package problem is the error a user can act on: a code, the field or row it concerns,
// and parameters, rendered in the user's language by the HTTP layer or the CLI.
package problem

import (
	"errors"
	"fmt"
	"strings"
)

// Error is a user-facing error. Code selects the message template (see messages.go);
// Params fill it. Details list the individual problems of a batch or a form.
type Error struct {
	Status  int            // HTTP status: 400, 401, 403, 404, 409, 429
	Code    string         // stable machine code, e.g. "invalid_value"
	Params  map[string]any // template parameters
	Field   string         // display name of the field concerned, if any
	Row     int            // 1-based row of a batch or file, 0 if none
	Path    string         // position inside a JSON document, e.g. "and[1].value"
	Details []*Error       // per-field or per-row problems
}

// New returns an Error with the given status, code and parameters given as key, value pairs.
func New(status int, code string, kv ...any) *Error {
	e := &Error{Status: status, Code: code}
	for i := 0; i+1 < len(kv); i += 2 {
		if e.Params == nil {
			e.Params = map[string]any{}
		}
		e.Params[fmt.Sprint(kv[i])] = kv[i+1]
	}
	return e
}

// Invalid is a 400 with the given code.
func Invalid(code string, kv ...any) *Error { return New(400, code, kv...) }

// NotFound is a 404 for a missing thing of the given kind ("table", "field", "record").
func NotFound(kind, name string) *Error {
	return New(404, "not_found", "kind", kind, "name", name)
}

// Forbidden is a 403.
func Forbidden() *Error { return New(403, "forbidden") }

// OnField sets the field the error concerns.
func (e *Error) OnField(name string) *Error { e.Field = name; return e }

// AtRow sets the 1-based row the error concerns.
func (e *Error) AtRow(row int) *Error { e.Row = row; return e }

// At sets the JSON path the error concerns.
func (e *Error) At(path string) *Error { e.Path = path; return e }

// Error renders the message in Chinese, the default language.
func (e *Error) Error() string { return e.Message("zh") }

// Message renders the message in lang ("zh" or "en"), prefixed by row and field.
func (e *Error) Message(lang string) string {
	msg := render(lang, e.Code, e.Params)
	var prefix []string
	if e.Row > 0 {
		prefix = append(prefix, render(lang, "row_prefix", map[string]any{"row": e.Row}))
	}
	if e.Field != "" {
		prefix = append(prefix, render(lang, "field_prefix", map[string]any{"field": e.Field}))
	}
	if e.Path != "" {
		prefix = append(prefix, render(lang, "path_prefix", map[string]any{"path": e.Path}))
	}
	if len(prefix) > 0 {
		sep, end := "，", "："
		if lang == "en" {
			sep, end = ", ", ": "
		}
		msg = strings.Join(prefix, sep) + end + msg
	}
	if len(e.Details) > 0 && e.Code == "validation_failed" {
		msg += ": " + e.Details[0].Message(lang)
	}
	return msg
}

// As returns the *Error inside err, or nil.
func As(err error) *Error {
	var p *Error
	if errors.As(err, &p) {
		return p
	}
	return nil
}

// Collect wraps several field problems into one 400 "validation_failed" error,
// or returns nil when there are none.
func Collect(list []*Error) error {
	if len(list) == 0 {
		return nil
	}
	return &Error{Status: 400, Code: "validation_failed", Params: map[string]any{"count": len(list)}, Details: list}
}

// Lang picks "en" or "zh" from an Accept-Language header; Chinese is the default.
func Lang(acceptLanguage string) string {
	al := strings.ToLower(strings.TrimSpace(acceptLanguage))
	if strings.HasPrefix(al, "en") {
		return "en"
	}
	return "zh"
}
