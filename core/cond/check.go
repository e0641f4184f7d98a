package cond

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// Env is what a condition is evaluated against besides the record: the clock, the
// user's time zone and the current user.
type Env struct {
	Now    time.Time      // the current time; zero means time.Now()
	Loc    *time.Location // the user's time zone, for "today" and local date-times; nil means time.Local
	UserID int64          // the current user, the value of "$me" in user fields
	// MyDepartments are the people of the current user's departments, the value of
	// "$myDepartments" in user fields; MySubDepartments those of their departments and
	// every department below them, "$mySubDepartments".
	MyDepartments, MySubDepartments []int64
	// Departments are the current user's departments (ids), the value of "$myDepartments"
	// in 部门 fields; SubDepartments those and every department below them.
	Departments, SubDepartments []int64
}

// Me is the value of a user field that stands for the current user (Env.UserID).
const Me = "$me"

// The values of a user field that stand for groups of people (see Env): with eq and ne
// they mean "one of them" and "none of them"; in in and nin lists they add their people.
const (
	MyDepartments    = "$myDepartments"
	MySubDepartments = "$mySubDepartments"
)

// maxDays bounds the N of withinLastDays, withinNextDays and olderThanDays.
const maxDays = 100000

// Storage layouts of date and datetime values.
const (
	dateLayout     = "2006-01-02"
	dateTimeLayout = "2006-01-02T15:04:05Z"
)

// localLayouts are the date-time forms without a zone, read in Env.Loc.
var localLayouts = []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04"}

// Cond is a condition checked against a table and lowered for one Env: ready to be used
// as SQL (in the table's dialect) or on records any number of times. Build it with Prepare.
type Cond struct {
	root *pred
	d    store.Dialect
	t    *schema.Table
}

// Prepare checks n against t and lowers it for env. A nil n matches everything.
// Errors are *problem.Error with the JSON path of the offending part.
func Prepare(n *Node, t *schema.Table, env Env) (*Cond, error) {
	if n == nil {
		n = &Node{}
	}
	if err := validate(n); err != nil {
		return nil, err
	}
	if env.Now.IsZero() {
		env.Now = time.Now()
	}
	if env.Loc == nil {
		env.Loc = time.Local
	}
	r := &resolver{t: t, env: env}
	p, err := r.node(n, "")
	if err != nil {
		return nil, err
	}
	return &Cond{root: p, d: t.Dialect, t: t}, nil
}

// Check reports whether n is a valid condition on t: its fields exist, its operators fit
// the field types and its values have the right type and shape. Errors are
// *problem.Error: "unknown_field", "bad_operator", or a value code such as "not_number",
// each with the JSON path, e.g. "and[1].value".
func Check(n *Node, t *schema.Table) error {
	_, err := Prepare(n, t, Env{})
	return err
}

// Compile turns n into a parameterised SQL WHERE fragment for t's table ("1=1" when it
// matches everything) and its arguments, in order.
func Compile(n *Node, t *schema.Table, env Env) (where string, args []any, err error) {
	c, err := Prepare(n, t, env)
	if err != nil {
		return "", nil, err
	}
	where, args = c.SQL()
	return where, args, nil
}

// Eval reports whether the record rec (keyed by field id, values in storage form, see
// schema.Type) satisfies n. It picks exactly the records Compile's SQL picks.
func Eval(n *Node, t *schema.Table, env Env, rec map[string]any) (bool, error) {
	c, err := Prepare(n, t, env)
	if err != nil {
		return false, err
	}
	return c.Match(rec)
}

// kind is how a field's values are compared.
type kind int

const (
	kText     kind = iota // string, bytewise
	kSelect               // string that must be one of the options
	kNumber               // float64 (the record id too)
	kDate                 // "2006-01-02"
	kDateTime             // "2006-01-02T15:04:05Z"
	kMulti                // []string held as a JSON array
	kBool                 // bool, NULL counting as false
	kRef                  // int64 id of a user, a record or a department
	kFiles                // string: a JSON list of files, only ever empty or not
	kLinks                // []int64 ids of records held as a JSON array (多条关联)
	kNumbers              // []float64 held as a JSON array (a lookup through a 多条关联)
)

// list reports whether values of kind k are lists, which contains and in test item by item.
func (k kind) list() bool { return k == kMulti || k == kLinks || k == kNumbers }

func kindOf(f *schema.Field) (kind, bool) {
	switch {
	case f.ID == schema.FieldID || f.Type.IsNumeric():
		return kNumber, true
	case f.Type == schema.Select:
		return kSelect, true
	case f.Type.IsText():
		return kText, true
	case f.Type == schema.Date:
		return kDate, true
	case f.Type == schema.DateTime:
		return kDateTime, true
	case f.Type.IsMulti():
		return kMulti, true
	case f.Type == schema.Checkbox:
		return kBool, true
	case f.Type.IsRef():
		return kRef, true
	case f.Type.IsFile():
		return kFiles, true
	case f.Type == schema.Links:
		return kLinks, true
	case f.Type == schema.Numbers:
		return kNumbers, true
	}
	return 0, false
}

var timeOps = []string{"eq", "ne", "gt", "gte", "lt", "lte", "between", "before", "after",
	"withinLastDays", "withinNextDays", "olderThanDays", "empty", "notEmpty"}

// kindOps lists the operators each kind of field accepts.
var kindOps = map[kind][]string{
	kText:     {"eq", "ne", "gt", "gte", "lt", "lte", "between", "in", "nin", "contains", "notContains", "under", "empty", "notEmpty"},
	kSelect:   {"eq", "ne", "in", "nin", "contains", "notContains", "under", "empty", "notEmpty"},
	kNumber:   {"eq", "ne", "gt", "gte", "lt", "lte", "between", "in", "nin", "empty", "notEmpty"},
	kDate:     timeOps,
	kDateTime: timeOps,
	kMulti:    {"contains", "notContains", "in", "nin", "empty", "notEmpty"},
	kBool:     {"eq", "ne", "empty", "notEmpty"},
	kRef:      {"eq", "ne", "in", "nin", "empty", "notEmpty"},
	kFiles:    {"empty", "notEmpty"},
	kLinks:    {"contains", "notContains", "in", "nin", "empty", "notEmpty"},
	kNumbers:  {"contains", "notContains", "in", "nin", "empty", "notEmpty"},
}

// sensitiveOps are the operators a 敏感 field serves: its values are sealed, and only a keyed
// hash of each whole value can be compared (see sensitiveSQL).
var sensitiveOps = []string{"eq", "ne", "in", "nin", "empty", "notEmpty"}

// cmpOps maps the ordering operators to their pCmp form.
var cmpOps = map[string]string{"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "before": "<", "after": ">"}

// resolver checks a validated tree against a table and lowers it to predicates.
type resolver struct {
	t   *schema.Table
	env Env
}

func (r *resolver) node(n *Node, path string) (*pred, error) {
	switch {
	case n.Not != nil:
		p, err := r.node(n.Not, join(path, "not"))
		if err != nil {
			return nil, err
		}
		return not(p), nil
	case n.Field != "" || n.Op != "" || n.Value != nil:
		return r.leaf(n, path)
	}
	kind, key, list := pAnd, "and", n.And
	if n.Or != nil {
		kind, key, list = pOr, "or", n.Or
	}
	if len(list) == 0 {
		return &pred{kind: pTrue}, nil
	}
	g := &pred{kind: kind}
	for i, c := range list {
		p, err := r.node(c, fmt.Sprintf("%s[%d]", join(path, key), i))
		if err != nil {
			return nil, err
		}
		g.kids = append(g.kids, p)
	}
	return g, nil
}

// leaf is one comparison being resolved.
type leaf struct {
	*resolver
	f    *schema.Field
	k    kind
	op   string
	path string // of the value
}

func (r *resolver) leaf(n *Node, path string) (*pred, error) {
	f := r.t.Field(n.Field)
	if f == nil {
		return nil, problem.Invalid("unknown_field", "table", r.t.Name, "name", n.Field).At(join(path, "field"))
	}
	k, ok := kindOf(f)
	if !ok || !slices.Contains(kindOps[k], n.Op) {
		return nil, problem.Invalid("bad_operator", "op", n.Op, "type", string(f.Type)).OnField(f.Name).At(join(path, "op"))
	}
	if f.Sensitive && !slices.Contains(sensitiveOps, n.Op) {
		return nil, problem.Invalid("sensitive_op", "name", f.Name).At(join(path, "op"))
	}
	l := &leaf{resolver: r, f: f, k: k, op: n.Op, path: join(path, "value")}
	switch ops[n.Op].arity {
	case noValue:
		return l.empty(n.Op == "notEmpty"), nil
	case daysValue:
		return l.days(n.Value)
	case pairValue:
		items, ok := asList(n.Value)
		if !ok || len(items) != 2 {
			return nil, l.fail("cond_need_range", "op", n.Op)
		}
		vs, err := l.values(items)
		if err != nil {
			return nil, err
		}
		return and(l.cmp(">=", vs[0]), l.cmp("<=", vs[1])), nil
	case listValue:
		items, ok := asList(n.Value)
		if !ok {
			return nil, l.fail("cond_need_list", "op", n.Op)
		}
		vs, err := l.values(l.people(items))
		if err != nil {
			return nil, err
		}
		return l.in(vs, n.Op == "nin"), nil
	}
	if group, ok := l.group(n.Value); ok && (n.Op == "eq" || n.Op == "ne") {
		return l.in(group, n.Op == "ne"), nil
	}
	if items, ok := asList(n.Value); ok {
		if !k.list() {
			return nil, l.fail("cond_one_value", "op", n.Op)
		}
		if len(items) == 0 {
			return nil, l.fail("cond_need_value")
		}
		vs, err := l.values(items)
		if err != nil {
			return nil, err
		}
		return l.contains(vs, n.Op == "notContains"), nil
	}
	v, err := l.value(n.Value, l.path)
	if err != nil {
		return nil, err
	}
	switch n.Op {
	case "contains", "notContains":
		return l.contains([]any{v}, n.Op == "notContains"), nil
	case "under":
		return l.under(v.(string)), nil
	case "ne":
		return not(l.eq(v)), nil
	case "eq":
		return l.eq(v), nil
	}
	return l.cmp(cmpOps[n.Op], v), nil
}

// group returns what a group variable ($myDepartments, $mySubDepartments) stands for: in
// a user field the people of those departments, in a 部门 field the departments themselves.
func (l *leaf) group(v any) ([]any, bool) {
	var ids []int64
	switch {
	case l.f.Type == schema.User && v == MyDepartments:
		ids = l.env.MyDepartments
	case l.f.Type == schema.User && v == MySubDepartments:
		ids = l.env.MySubDepartments
	case l.f.Type == schema.Department && v == MyDepartments:
		ids = l.env.Departments
	case l.f.Type == schema.Department && v == MySubDepartments:
		ids = l.env.SubDepartments
	default:
		return nil, false
	}
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out, true
}

// people replaces the group variables in a list of users by their people.
func (l *leaf) people(items []any) []any {
	var out []any
	for _, it := range items {
		if group, ok := l.group(it); ok {
			out = append(out, group...)
		} else {
			out = append(out, it)
		}
	}
	return out
}

// fail is a value error of the leaf.
func (l *leaf) fail(code string, kv ...any) *problem.Error {
	return problem.Invalid(code, kv...).OnField(l.f.Name).At(l.path)
}

// prim is a primitive predicate on the leaf's field.
func (l *leaf) prim(kind predKind, op string, vals ...any) *pred {
	return &pred{kind: kind, f: l.f, k: l.k, op: op, vals: vals}
}

// empty is "the field is empty" (or, with negate, "is not empty"). A NULL or unchecked
// checkbox is empty.
func (l *leaf) empty(negate bool) *pred {
	var p *pred
	if l.k == kBool {
		p = not(l.prim(pCmp, "=", true))
	} else {
		p = l.prim(pEmpty, "")
	}
	if negate {
		return not(p)
	}
	return p
}

// eq is "field = v"; a checkbox that is NULL equals false.
func (l *leaf) eq(v any) *pred {
	if l.k == kBool && v == false {
		return l.empty(false)
	}
	return l.cmp("=", v)
}

// under is "field is v or a path below it" (v itself, or v + "/" + anything): the province
// 浙江 with 浙江 and 浙江/杭州 under it, as reports fold 地区 into provinces. The prefix is a
// range of bytes ["v/", "v0") — '0' follows '/' — so an index on the column serves it and
// SQL and Go agree on it as they do on any comparison.
func (l *leaf) under(v string) *pred {
	return &pred{kind: pOr, kids: []*pred{l.prim(pCmp, "=", v), and(l.prim(pCmp, ">=", v+"/"), l.prim(pCmp, "<", v+"0"))}}
}

// cmp is "field op v". A datetime compared with a whole day (a dayRange) compares with
// the day's bounds: after the day means from the next day on, and so on.
func (l *leaf) cmp(op string, v any) *pred {
	d, ok := v.(dayRange)
	if !ok {
		return l.prim(pCmp, op, v)
	}
	switch op {
	case "=":
		return and(l.prim(pCmp, ">=", d.start), l.prim(pCmp, "<", d.end))
	case ">":
		return l.prim(pCmp, ">=", d.end)
	case ">=":
		return l.prim(pCmp, ">=", d.start)
	case "<":
		return l.prim(pCmp, "<", d.start)
	}
	return l.prim(pCmp, "<", d.end) // "<="
}

// in is "field is one of vs" (for a multi field: has one of vs), or with negate "is none of vs".
func (l *leaf) in(vs []any, negate bool) *pred {
	var p *pred
	switch {
	case len(vs) == 0:
		p = &pred{kind: pFalse}
	case l.k.list():
		p = l.prim(pHas, "", vs...)
	default:
		p = l.prim(pIn, "", vs...)
	}
	if negate {
		return not(p)
	}
	return p
}

// contains is "text contains v" or "multi field has all of vs"; with negate, "does not
// contain v" or "has none of vs".
func (l *leaf) contains(vs []any, negate bool) *pred {
	if !l.k.list() {
		p := l.prim(pLike, "", vs[0])
		if negate {
			return not(p)
		}
		return p
	}
	if negate {
		return not(l.prim(pHas, "", vs...))
	}
	all := &pred{kind: pAnd}
	for _, v := range vs {
		all.kids = append(all.kids, l.prim(pHas, "", v))
	}
	return all
}

// days lowers withinLastDays, withinNextDays and olderThanDays. Dates count whole days
// from today in Env.Loc; date-times count from now.
func (l *leaf) days(v any) (*pred, error) {
	f, ok := number(v)
	if !ok || f != math.Trunc(f) || f < 0 || f > maxDays {
		return nil, l.fail("cond_need_days", "max", maxDays)
	}
	n := int(f)
	var now, past, future string
	if l.k == kDate {
		y, m, d := l.env.Now.In(l.env.Loc).Date()
		today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		now, past, future = today.Format(dateLayout), today.AddDate(0, 0, -n).Format(dateLayout), today.AddDate(0, 0, n).Format(dateLayout)
	} else {
		t := l.env.Now.In(l.env.Loc)
		now, past, future = utc(t), utc(t.AddDate(0, 0, -n)), utc(t.AddDate(0, 0, n))
	}
	switch l.op {
	case "withinLastDays":
		return and(l.prim(pCmp, ">=", past), l.prim(pCmp, "<=", now)), nil
	case "withinNextDays":
		return and(l.prim(pCmp, ">=", now), l.prim(pCmp, "<=", future)), nil
	}
	return l.prim(pCmp, "<", past), nil // olderThanDays
}

func utc(t time.Time) string { return t.UTC().Format(dateTimeLayout) }

// dayRange is a whole day compared with a datetime field: [start, end) as stored UTC strings.
type dayRange struct{ start, end string }

func (l *leaf) values(items []any) ([]any, error) {
	out := make([]any, len(items))
	for i, it := range items {
		v, err := l.value(it, "")
		if err != nil { // the path is formatted only on failure
			if pe := problem.As(err); pe != nil {
				pe.At(fmt.Sprintf("%s[%d]", l.path, i))
			}
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// value converts one value of the condition to the storage form of the field's kind
// (a dayRange for a plain date on a datetime field).
func (l *leaf) value(v any, path string) (any, error) {
	fail := func(code string, kv ...any) (any, error) {
		return nil, problem.Invalid(code, kv...).OnField(l.f.Name).At(path)
	}
	if v == nil {
		return fail("cond_need_value")
	}
	switch l.k {
	case kNumber, kNumbers:
		if f, ok := number(v); ok {
			return f, nil
		}
		return fail("not_number", "value", v)
	case kRef, kLinks:
		if v == Me && l.f.Type == schema.User {
			return l.env.UserID, nil
		}
		if id, ok := integer(v); ok {
			return id, nil
		}
		return fail("not_integer", "value", v)
	case kBool:
		switch v {
		case true, "true":
			return true, nil
		case false, "false":
			return false, nil
		}
		return fail("bad_bool", "value", v)
	}
	s, ok := text(v)
	if !ok {
		return fail("cond_need_text", "value", v)
	}
	switch l.k {
	case kDate:
		d, err := time.Parse(dateLayout, s)
		if err != nil {
			return fail("bad_date", "value", s)
		}
		return d.Format(dateLayout), nil
	case kDateTime:
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return utc(t), nil
		}
		for _, layout := range localLayouts {
			if t, err := time.ParseInLocation(layout, s, l.env.Loc); err == nil {
				return utc(t), nil
			}
		}
		d, err := time.Parse(dateLayout, s)
		if err != nil {
			return fail("bad_datetime", "value", s)
		}
		y, m, day := d.Date()
		return dayRange{utc(time.Date(y, m, day, 0, 0, 0, 0, l.env.Loc)), utc(time.Date(y, m, day+1, 0, 0, 0, 0, l.env.Loc))}, nil
	}
	if l.f.Type == schema.Landline {
		return landlineValue(l.op, s), nil
	}
	needOption := l.f.Type == schema.MultiSelect || l.k == kSelect && l.op != "contains" && l.op != "notContains" && l.op != "under"
	if needOption && !l.f.HasOption(s) {
		return fail("bad_option", "value", s, "options", strings.Join(l.f.OptionValues(), "、"))
	}
	return s, nil
}

// landlineValue is a value compared with a 座机 field: for contains and notContains what
// schema.LandlineSearch looks for; for the others the storage form of any spelling of a number.
func landlineValue(op, s string) string {
	if op == "contains" || op == "notContains" {
		return schema.LandlineSearch(s)
	}
	if p, ok := schema.ParseLandline(s); ok {
		return p
	}
	return s
}

// number reads a finite number from a JSON number, a Go number or a numeric string.
func number(v any) (float64, bool) {
	var f float64
	switch v := v.(type) {
	case float64:
		f = v
	case int:
		f = float64(v)
	case int64:
		f = float64(v)
	case json.Number:
		return number(string(v))
	case string:
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	return f, !math.IsInf(f, 0) && !math.IsNaN(f)
}

// integer reads a whole number (an id) from a JSON number, a Go number or a numeric string.
func integer(v any) (int64, bool) {
	switch v := v.(type) {
	case int:
		return int64(v), true
	case int64:
		return v, true
	case json.Number:
		return integer(string(v))
	case string:
		i, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		return i, err == nil
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v), true
		}
	}
	return 0, false
}

// text reads a text value; numbers are accepted as their decimal text.
func text(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return string(v), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case int:
		return strconv.Itoa(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	}
	return "", false
}
