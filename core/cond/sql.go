package cond

import (
	"strings"

	"tierbase/platform/store"
)

// SQL returns the condition as a WHERE fragment over the table's columns with ?
// placeholders, and the arguments for them in order. It is "1=1" when the condition
// matches everything. Values only ever travel as arguments.
//
// Negations are pushed down to the comparisons (De Morgan), and each negated comparison
// says what it does with NULL, e.g. ne is (col IS NULL OR col <> ?). So SQL's
// three-valued logic never shows, and the result is exactly Match's.
func (c *Cond) SQL() (string, []any) {
	var b sqlBuilder
	return b.expr(c.root, false), b.args
}

// sqlBuilder collects the arguments while the SQL text is built left to right.
type sqlBuilder struct{ args []any }

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
		if neg {
			return "(" + col + " IS NULL OR " + col + " " + negatedOps[p.op] + " " + b.arg(p.vals[0]) + ")"
		}
		return col + " " + p.op + " " + b.arg(p.vals[0])
	case pIn:
		if neg {
			return "(" + col + " IS NULL OR " + col + " NOT IN (" + b.list(p.vals) + "))"
		}
		return col + " IN (" + b.list(p.vals) + ")"
	case pLike:
		return likeSQL(col, b.arg(likePattern(p.vals[0].(string))), neg)
	case pHas:
		return hasSQL(col, b.list(p.vals), neg)
	}
	// pEmpty
	switch p.k {
	case kNumber, kRef:
		if neg {
			return col + " IS NOT NULL"
		}
		return col + " IS NULL"
	case kMulti:
		return multiEmptySQL(col, neg)
	}
	if neg {
		return "(" + col + " IS NOT NULL AND " + col + " <> '')"
	}
	return "(" + col + " IS NULL OR " + col + " = '')"
}

// arg adds one argument and returns its placeholder.
func (b *sqlBuilder) arg(v any) string {
	b.args = append(b.args, v)
	return "?"
}

// list adds the arguments of a list and returns their placeholders, comma-separated.
func (b *sqlBuilder) list(vs []any) string {
	ph := make([]string, len(vs))
	for i, v := range vs {
		ph[i] = b.arg(v)
	}
	return strings.Join(ph, ", ")
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
	if neg {
		return "(" + col + " IS NULL OR " + col + " NOT IN (" + b.list(hs) + "))"
	}
	return col + " IN (" + b.list(hs) + ")"
}
