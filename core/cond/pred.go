package cond

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"tierbase/core/schema"
	"tierbase/platform/store"
)

// pred is a condition lowered to the few primitives that both SQL (sql.go) and Go (Match)
// implement. Every operator of the language is built from these in check.go, so the two
// sides agree as long as each primitive agrees.
type pred struct {
	kind predKind
	kids []*pred       // pAnd, pOr: any number; pNot: one
	f    *schema.Field // the field of a comparison
	k    kind          // how the field's values compare
	op   string        // pCmp: "=", "<", "<=", ">" or ">="
	vals []any         // pCmp, pLike: one value; pIn, pHas: the list (never empty)
}

type predKind int

const (
	pTrue  predKind = iota // every record
	pFalse                 // no record
	pAnd
	pOr
	pNot
	pCmp   // value op vals[0]; false when the value is NULL
	pIn    // value is one of vals; false when NULL
	pLike  // text value contains vals[0], ignoring ASCII case (on both databases); false when NULL
	pHas   // multi value has an element equal to one of vals; false when NULL
	pEmpty // value is empty: NULL, '' for strings, no elements for multi fields
)

func not(p *pred) *pred { return &pred{kind: pNot, kids: []*pred{p}} }

func and(a, b *pred) *pred { return &pred{kind: pAnd, kids: []*pred{a, b}} }

// Match reports whether the record rec (keyed by field id, values in storage form, see
// schema.Type) satisfies the condition. A missing key is an empty value. It errors only
// when a value is not in the storage form of its field.
func (c *Cond) Match(rec map[string]any) (bool, error) { return c.root.match(rec) }

func (p *pred) match(rec map[string]any) (bool, error) {
	switch p.kind {
	case pTrue:
		return true, nil
	case pFalse:
		return false, nil
	case pAnd, pOr:
		for _, k := range p.kids {
			ok, err := k.match(rec)
			if err != nil || ok == (p.kind == pOr) {
				return ok, err
			}
		}
		return p.kind == pAnd, nil
	case pNot:
		ok, err := p.kids[0].match(rec)
		return !ok, err
	}
	v, err := stored(p.f, p.k, rec[p.f.ID])
	if err != nil {
		return false, err
	}
	if p.kind == pEmpty {
		switch v := v.(type) {
		case []string:
			return len(v) == 0, nil
		case []int64:
			return len(v) == 0, nil
		case string:
			return v == "", nil
		}
		return v == nil, nil
	}
	if v == nil {
		return false, nil
	}
	switch p.kind {
	case pCmp:
		c := Compare(v, p.vals[0])
		switch p.op {
		case "=":
			return c == 0, nil
		case "<":
			return c < 0, nil
		case "<=":
			return c <= 0, nil
		case ">":
			return c > 0, nil
		}
		return c >= 0, nil
	case pIn:
		return slices.ContainsFunc(p.vals, func(x any) bool { return Compare(v, x) == 0 }), nil
	case pLike:
		s := v.(string)
		if p.f.Type == schema.Landline {
			s = schema.LandlineDigits(s)
		}
		return strings.Contains(foldASCII(s), foldASCII(p.vals[0].(string))), nil
	}
	// pHas
	if ns, ok := v.([]float64); ok {
		return slices.ContainsFunc(ns, func(e float64) bool { return slices.Contains(p.vals, any(e)) }), nil
	}
	if ids, ok := v.([]int64); ok {
		return slices.ContainsFunc(ids, func(e int64) bool { return slices.Contains(p.vals, any(e)) }), nil
	}
	return slices.ContainsFunc(v.([]string), func(e string) bool { return slices.Contains(p.vals, any(e)) }), nil
}

// stored returns a record value as the Go type its kind compares with (float64 for all
// numbers), or nil when it is NULL. NaN counts as NULL, as SQLite stores it so.
func stored(f *schema.Field, k kind, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch k {
	case kNumber:
		switch x := v.(type) {
		case float64:
			if math.IsNaN(x) {
				return nil, nil
			}
			return x, nil
		case int64:
			return float64(x), nil
		case int:
			return float64(x), nil
		}
	case kRef:
		switch x := v.(type) {
		case int64:
			return x, nil
		case int:
			return int64(x), nil
		}
	case kBool:
		if _, ok := v.(bool); ok {
			return v, nil
		}
	case kMulti:
		if _, ok := v.([]string); ok {
			return v, nil
		}
	case kLinks:
		if _, ok := v.([]int64); ok {
			return v, nil
		}
	case kNumbers:
		if _, ok := v.([]float64); ok {
			return v, nil
		}
	default:
		if _, ok := v.(string); ok {
			return v, nil
		}
	}
	return nil, fmt.Errorf("cond: field %q holds %T, which is not the storage form of a %s field", f.ID, v, f.Type)
}

// Compare orders two values of the same storage type as SQLite does: numbers by value,
// strings bytewise (the BINARY collation), false before true.
func Compare(a, b any) int {
	switch a := a.(type) {
	case float64:
		return cmp.Compare(a, b.(float64))
	case int64:
		return cmp.Compare(a, b.(int64))
	case bool:
		return cmp.Compare(store.Bool(a), store.Bool(b.(bool)))
	}
	return strings.Compare(a.(string), b.(string))
}

// foldASCII lowers ASCII letters only, as SQLite's LIKE does and PostgreSQL's ILIKE under
// the "C" collation (store.Dialect.ContainsFold).
func foldASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
