package cond

import (
	"math"
	"strconv"
	"strings"

	"tierbase/core/schema"
	"tierbase/platform/store"
)

// SQL returns the condition as a WHERE fragment over the table's columns with ?
// placeholders, and the arguments for them in order, in the SQL of the table's database
// (schema.Table.Dialect). It is "1=1" when the condition matches everything. Values travel
// as arguments, save the ids of an "is one of" list, written as integers; booleans as the
// integers 0 and 1 they are stored as.
//
// Negations are pushed down to the comparisons (De Morgan), and each negated comparison
// says what it does with NULL, e.g. ne is (col IS NULL OR col <> ?). So SQL's
// three-valued logic never shows, and the result is exactly Match's.
func (c *Cond) SQL() (string, []any) {
	b := sqlBuilder{d: c.d, t: c.t}
	return b.expr(c.root, false), b.args
}

// sqlBuilder collects the arguments while the SQL text is built left to right.
type sqlBuilder struct {
	d    store.Dialect
	t    *schema.Table
	args []any
}

// negatedOps maps a comparison to its opposite on non-NULL values.
var negatedOps = map[string]string{"=": "<>", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}

// expr writes p, or NOT p when neg is set.
func (b *sqlBuilder) expr(p *pred, neg bool) string {
	switch p.kind {
	case pTrue, pFalse:
		if (p.kind == pTrue) != neg {
			return "1=1"
		}
		return "1=0"
	case pAnd, pOr:
		sep := " AND "
		if (p.kind == pOr) != neg {
			sep = " OR "
		}
		parts := make([]string, len(p.kids))
		for i, k := range p.kids {
			parts[i] = b.expr(k, neg)
		}
		return "(" + strings.Join(parts, sep) + ")"
	case pNot:
		return b.expr(p.kids[0], !neg)
	}
	if p.f.Sensitive {
		return b.sensitive(p, neg)
	}
	col := store.Quote(p.f.Column())
	switch p.kind {
	case pCmp:
		if p.op != "=" && (p.k == kText || p.k == kSelect) {
			col = b.d.Bytewise(col)
		}
		if neg {
			return "(" + col + " IS NULL OR " + col + " " + negatedOps[p.op] + " " + b.value(p, p.vals[0]) + ")"
		}
		return col + " " + p.op + " " + b.value(p, p.vals[0])
	case pIn:
		if neg {
			return "(" + col + " IS NULL OR " + col + " NOT IN (" + b.list(p) + "))"
		}
		return col + " IN (" + b.list(p) + ")"
	case pLike:
		if p.f.Type == schema.Landline {
			col = "REPLACE(" + col + ", '-', '')" // schema.LandlineDigits
		}
		return b.d.ContainsFold(col, b.arg(likePattern(p.vals[0].(string))), neg)
	case pHas:
		switch p.k {
		case kLinks:
			return schema.LinksHaveAny(b.t, p.f, "id", col, b.values(p, p.vals), neg)
		case kNumbers:
			return b.d.NumberListHasAny(col, b.values(p, p.vals), neg)
		}
		return b.d.ListHasAny(col, b.values(p, p.vals), neg)
	}
	// pEmpty
	switch p.k {
	case kNumber, kRef:
		if neg {
			return col + " IS NOT NULL"
		}
		return col + " IS NULL"
	case kMulti, kLinks, kNumbers:
		return b.d.ListEmpty(col, neg)
	}
	if neg {
		return "(" + col + " IS NOT NULL AND " + col + " <> '')"
	}
	return "(" + col + " IS NULL OR " + col + " = '')"
}

// arg adds one argument and returns its placeholder. A boolean goes as 0 or 1, the
// integers a checkbox column holds (PostgreSQL will not compare an integer with a boolean).
func (b *sqlBuilder) arg(v any) string {
	if x, ok := v.(bool); ok {
		v = int64(store.Bool(x))
	}
	b.args = append(b.args, v)
	return "?"
}

// value adds a value compared with p's field and returns its placeholder, typed as a number
// with a fraction for number fields (see store.Dialect.Number).
func (b *sqlBuilder) value(p *pred, v any) string {
	if p.k != kNumber {
		return b.arg(v)
	}
	if f, ok := v.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return b.arg(int64(f)) // a whole number keeps an integer column's index (the id's)
	}
	return b.d.Number(b.arg(v))
}

// values adds the values of a list compared with p's field and returns their placeholders.
func (b *sqlBuilder) values(p *pred, vs []any) []string {
	ph := make([]string, len(vs))
	for i, v := range vs {
		ph[i] = b.value(p, v)
	}
	return ph
}

// list writes the values of an "is one of" comparison: placeholders, but ids (of people,
// records, departments) as the integers they are. A data scope lists a department's people,
// a hundred or more, and binding them costs more than reading them in the statement (on
// SQLite some 20 µs, 4% of a 销售经理's page of 50); an int64 written by strconv carries
// nothing else.
func (b *sqlBuilder) list(p *pred) string {
	if p.k != kRef {
		return strings.Join(b.values(p, p.vals), ", ")
	}
	ids := make([]string, len(p.vals))
	for i, v := range p.vals {
		ids[i] = strconv.FormatInt(v.(int64), 10)
	}
	return strings.Join(ids, ", ")
}

// sensitive writes a comparison on a 敏感 field over its hash column: equality and "is one
// of" compare the keyed hashes of the values (one per key of the ring, as a rotation may be
// under way), emptiness the absence of a hash. Check lets no other comparison through.
func (b *sqlBuilder) sensitive(p *pred, neg bool) string {
	col := store.Quote(p.f.HashColumn())
	if p.kind == pEmpty {
		if neg {
			return col + " IS NOT NULL"
		}
		return col + " IS NULL"
	}
	var hs []any
	for _, v := range p.vals {
		if s, ok := v.(string); ok {
			hs = append(hs, p.f.Hashes(s)...)
		}
	}
	if len(hs) == 0 {
		return b.expr(&pred{kind: pFalse}, neg)
	}
	ph := strings.Join(b.values(p, hs), ", ")
	if neg {
		return "(" + col + " IS NULL OR " + col + " NOT IN (" + ph + "))"
	}
	return col + " IN (" + ph + ")"
}

// likePattern is the LIKE pattern matching any text containing s.
func likePattern(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}
