// Package cond is the condition language shared by view filters, rules, segments,
// permission scopes and charts: a JSON tree of and/or/not groups over field comparisons,
// e.g. {"and":[{"field":"最近消费日","op":"withinLastDays","value":30},
// {"field":"购买频率","op":"gt","value":5}]}.
//
// A condition is parsed (Parse: syntax only), checked against a table (Check: fields,
// operators, values), then compiled to a parameterised SQL WHERE fragment (Compile) or
// evaluated on one record in Go (Eval). Both go through Prepare, which lowers the tree to
// a few primitive predicates (pred.go) that SQL (sql.go) and Go (pred.go) implement the
// same way, so the database and Go pick the same records.
//
// Semantics worth knowing:
//   - An empty group ({"and":[]}, {"or":[]}, {} or empty input) sets no condition and
//     matches every record.
//   - An empty (NULL) value never satisfies a positive comparison (eq, gt, in, contains,
//     between, before, withinLastDays, …); the negative ones (ne, nin, notContains) do
//     match it, so "等级 不等于 高价值客户" includes records with no 等级.
//   - A checkbox that is NULL counts as unchecked (false) everywhere.
//   - Text contains/notContains ignore ASCII case only; eq/ne/gt/… compare bytes.
//   - under is a path prefix: "浙江" is under 浙江 and so are 浙江/杭州 and 浙江/杭州/西湖区,
//     not 浙江省 (the province folding of reports' 地区).
//   - A datetime compared with a plain date means that whole day in Env.Loc: eq is any
//     time that day, gt/after is from the next day on, lt/before is before that day.
package cond

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"tierbase/platform/problem"
)

// Node is one node of a condition tree: a group (And or Or), a negation (Not), or a leaf
// comparing the field Field (id or display name) with Value using Op. A node with none of
// these set is an empty group and matches everything.
type Node struct {
	And   []*Node `json:"and,omitempty"`
	Or    []*Node `json:"or,omitempty"`
	Not   *Node   `json:"not,omitempty"`
	Field string  `json:"field,omitempty"`
	Op    string  `json:"op,omitempty"`
	Value any     `json:"value,omitempty"`
}

// Limits on the size of a condition, so that no request makes us build huge SQL.
const (
	MaxDepth    = 32   // nesting of groups and negations
	MaxSize     = 1000 // nodes plus the elements of list values
	MaxValueLen = 1000 // bytes of one text value
)

// arity is the shape of the value an operator takes.
type arity int

const (
	noValue   arity = iota // empty, notEmpty: any value is ignored
	oneValue               // a single value (contains on a multi field also takes a list)
	listValue              // a list of values
	pairValue              // [from, to]
	daysValue              // a whole number of days
)

// opInfo describes an operator: its value shape and its phrase for Describe, where {v}
// is the value and {a}, {b} the ends of a range.
type opInfo struct {
	arity  arity
	zh, en string
}

var ops = map[string]opInfo{
	"eq":             {oneValue, "等于 {v}", "is {v}"},
	"ne":             {oneValue, "不等于 {v}", "is not {v}"},
	"gt":             {oneValue, "大于 {v}", "is greater than {v}"},
	"gte":            {oneValue, "大于等于 {v}", "is greater than or equal to {v}"},
	"lt":             {oneValue, "小于 {v}", "is less than {v}"},
	"lte":            {oneValue, "小于等于 {v}", "is less than or equal to {v}"},
	"in":             {listValue, "属于 {v}", "is one of {v}"},
	"nin":            {listValue, "不属于 {v}", "is not one of {v}"},
	"contains":       {oneValue, "包含 {v}", "contains {v}"},
	"notContains":    {oneValue, "不包含 {v}", "does not contain {v}"},
	"under":          {oneValue, "是 {v} 或其下级", "is {v} or under it"},
	"empty":          {noValue, "为空", "is empty"},
	"notEmpty":       {noValue, "不为空", "is not empty"},
	"between":        {pairValue, "介于 {a} 和 {b} 之间", "is between {a} and {b}"},
	"before":         {oneValue, "早于 {v}", "is before {v}"},
	"after":          {oneValue, "晚于 {v}", "is after {v}"},
	"withinLastDays": {daysValue, "在最近{v}天内（含今天）", "is within the last {v} days (today included)"},
	"withinNextDays": {daysValue, "在未来{v}天内", "is within the next {v} days"},
	"olderThanDays":  {daysValue, "早于{v}天前", "is more than {v} days ago"},
}

// Parse reads a condition from JSON, checking its syntax only: the tree's shape, known
// keys and operators, and its size. Empty input and null mean "match everything".
// Errors are *problem.Error with code "bad_condition" (or "too_long") and the JSON path
// of the offending part, e.g. "and[1].op".
func Parse(data []byte) (*Node, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || string(data) == "null" {
		return &Node{}, nil
	}
	n, err := decode(data, "", 1)
	if err != nil {
		return nil, err
	}
	if err := validate(n); err != nil {
		return nil, err
	}
	return n, nil
}

// decode builds a Node from one JSON object, rejecting unknown keys and wrongly typed ones.
func decode(data []byte, path string, depth int) (*Node, error) {
	if depth > MaxDepth {
		return nil, bad(path, fmt.Sprintf("nested more than %d levels deep", MaxDepth))
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil || obj == nil {
		if _, ok := err.(*json.SyntaxError); ok {
			return nil, bad(path, "not_json") // a term: "不是有效的 JSON" / "not valid JSON"
		}
		return nil, bad(path, "a condition must be a JSON object")
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	n := &Node{}
	for _, k := range keys {
		raw, p := obj[k], join(path, k)
		var err error
		switch k {
		case "and", "or":
			var list []*Node
			list, err = decodeList(raw, p, depth)
			if k == "and" {
				n.And = list
			} else {
				n.Or = list
			}
		case "not":
			n.Not, err = decode(raw, p, depth+1)
		case "field":
			err = decodeString(raw, p, &n.Field)
		case "op":
			err = decodeString(raw, p, &n.Op)
		case "value":
			d := json.NewDecoder(bytes.NewReader(raw))
			d.UseNumber()
			if d.Decode(&n.Value) != nil {
				err = bad(p, "invalid value")
			}
		default:
			err = bad(p, fmt.Sprintf("unknown key %q; use and, or, not, field, op, value", k))
		}
		if err != nil {
			return nil, err
		}
	}
	if n.Field == "" && (obj["field"] != nil || obj["op"] != nil || obj["value"] != nil) {
		return nil, bad(join(path, "field"), "field is required")
	}
	return n, nil
}

func decodeList(raw json.RawMessage, path string, depth int) ([]*Node, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || items == nil {
		return nil, bad(path, "must be a list of conditions")
	}
	if len(items) > MaxSize {
		return nil, bad(path, fmt.Sprintf("more than %d conditions and values", MaxSize))
	}
	list := make([]*Node, len(items))
	for i, item := range items {
		n, err := decode(item, fmt.Sprintf("%s[%d]", path, i), depth+1)
		if err != nil {
			return nil, err
		}
		list[i] = n
	}
	return list, nil
}

func decodeString(raw json.RawMessage, path string, s *string) error {
	if json.Unmarshal(raw, s) != nil {
		return bad(path, "must be a string")
	}
	return nil
}

// validate checks the shape of a tree, whether parsed or built in Go: each node is one
// kind of thing, operators are known, values are scalars or lists of scalars, and the
// tree is within MaxDepth and MaxSize.
func validate(n *Node) error {
	size := 0
	return validateNode(n, "", 1, &size)
}

func validateNode(n *Node, path string, depth int, size *int) error {
	if n == nil {
		return bad(path, "a condition cannot be null")
	}
	if depth > MaxDepth {
		return bad(path, fmt.Sprintf("nested more than %d levels deep", MaxDepth))
	}
	*size++
	if *size > MaxSize {
		return bad(path, fmt.Sprintf("more than %d conditions and values", MaxSize))
	}
	isLeaf := n.Field != "" || n.Op != "" || n.Value != nil
	kinds := 0
	for _, set := range []bool{n.And != nil, n.Or != nil, n.Not != nil, isLeaf} {
		if set {
			kinds++
		}
	}
	if kinds > 1 {
		return bad(path, "a condition is exactly one of and, or, not, or a field comparison")
	}
	key, list := "and", n.And
	if n.Or != nil {
		key, list = "or", n.Or
	}
	for i, c := range list {
		if err := validateNode(c, fmt.Sprintf("%s[%d]", join(path, key), i), depth+1, size); err != nil {
			return err
		}
	}
	if n.Not != nil {
		return validateNode(n.Not, join(path, "not"), depth+1, size)
	}
	if !isLeaf {
		return nil
	}
	if n.Field == "" {
		return bad(join(path, "field"), "field is required")
	}
	if _, ok := ops[n.Op]; !ok {
		return bad(join(path, "op"), fmt.Sprintf("unknown operator %q", n.Op))
	}
	p := join(path, "value")
	if items, ok := asList(n.Value); ok {
		*size += len(items)
		if *size > MaxSize {
			return bad(p, fmt.Sprintf("more than %d conditions and values", MaxSize))
		}
		for i, v := range items {
			if err := validateScalar(v, ""); err != nil { // the path is formatted only on failure
				return err.At(fmt.Sprintf("%s[%d]", p, i))
			}
		}
		return nil
	}
	if err := validateScalar(n.Value, p); err != nil {
		return err
	}
	return nil
}

func validateScalar(v any, path string) *problem.Error {
	switch v := v.(type) {
	case nil, bool, json.Number, float64, int, int64:
		return nil
	case string:
		if len(v) > MaxValueLen {
			return problem.Invalid("too_long", "max", MaxValueLen).At(path)
		}
		if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			return bad(path, "text must be valid UTF-8 without NUL characters")
		}
		return nil
	}
	return bad(path, "a value must be text, a number, true/false, or a list of them")
}

// asList returns the elements of a list value ([]any from JSON, or []string from Go).
func asList(v any) ([]any, bool) {
	switch v := v.(type) {
	case []any:
		return v, true
	case []string:
		out := make([]any, len(v))
		for i, s := range v {
			out[i] = s
		}
		return out, true
	}
	return nil, false
}

// bad is the "bad_condition" error at path.
func bad(path, reason string) *problem.Error {
	return problem.Invalid("bad_condition", "reason", reason).At(path)
}

// join appends key to a JSON path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
