package store

import "strings"

// The SQL forms of the condition language (core/cond) that differ between the databases.

// ContainsFold is "col contains the LIKE pattern ph (escaped with '\'), ignoring the case of
// ASCII letters"; with neg, NULL counts as not containing. SQLite's LIKE folds ASCII letters
// only. PostgreSQL's ILIKE folds every letter the server's locale knows, so it runs under the
// "C" collation, which folds ASCII only: both databases pick the same records, whatever the
// server's locale (a trigram index serving it must be built on (col COLLATE "C")).
func (d Dialect) ContainsFold(col, ph string, neg bool) string {
	like := " LIKE "
	if d == Postgres {
		col, like = col+` COLLATE "C"`, " ILIKE "
	}
	if neg {
		return "(" + col + " IS NULL OR " + col + " NOT" + like + ph + ` ESCAPE '\')`
	}
	return col + like + ph + ` ESCAPE '\'`
}

// ListHasAny is "the JSON array of strings in col has an element among the placeholders phs"
// (or, with neg, has none); a NULL column has no elements. SQLite walks the array with
// json_each; PostgreSQL asks jsonb containment once per value, which a GIN index on the
// column serves (never jsonb's ? operators, which clash with the ? placeholders).
func (d Dialect) ListHasAny(col string, phs []string, neg bool) string {
	return d.listHasAny(col, phs, neg, "text")
}

// IDListHasAny is ListHasAny over a JSON array of ids (多条关联) in col of the row whose id is
// the expression id, the placeholders integers (or expressions of ids). On SQLite it asks the
// list's side table (quoted name side, rows (linked, record) keyed by linked), which finds
// the rows naming an id without reading the others; PostgreSQL asks the column's GIN index.
//
//	SQLite:     id IN (SELECT l.record FROM side l WHERE l.linked IN (?, …))
//	PostgreSQL: (col @> jsonb_build_array(CAST(? AS bigint)) OR …)
func (d Dialect) IDListHasAny(side, id, col string, phs []string, neg bool) string {
	if d == Postgres {
		return d.listHasAny(col, phs, neg, "bigint")
	}
	in := " IN "
	if neg {
		in = " NOT IN "
	}
	return id + in + "(SELECT l.record FROM " + side + " l WHERE l.linked IN (" + strings.Join(phs, ", ") + "))"
}

// NumberListHasAny is ListHasAny over a JSON array of numbers, the placeholders numbers.
func (d Dialect) NumberListHasAny(col string, phs []string, neg bool) string {
	return d.listHasAny(col, phs, neg, "numeric")
}

func (d Dialect) listHasAny(col string, phs []string, neg bool, elem string) string {
	if d == Postgres {
		parts := make([]string, len(phs))
		for i, ph := range phs {
			parts[i] = col + " @> jsonb_build_array(CAST(" + ph + " AS " + elem + "))"
		}
		s := "(" + strings.Join(parts, " OR ") + ")"
		if neg {
			return "(" + col + " IS NULL OR NOT " + s + ")"
		}
		return s
	}
	s := "EXISTS (SELECT 1 FROM json_each(" + col + ") WHERE value IN (" + strings.Join(phs, ", ") + "))"
	if neg {
		return "NOT " + s
	}
	return s
}

// IDListRemove is the JSON array of ids in col without the ids of the placeholders phs, the
// others in their order, and NULL when none is left (as a 多条关联 holds no empty list).
//
//	SQLite:     (SELECT CASE WHEN count(*) > 0 THEN json_group_array(value) END FROM json_each(col) WHERE value NOT IN (?, …))
//	PostgreSQL: (SELECT jsonb_agg(x.v ORDER BY x.n) FROM jsonb_array_elements(col) WITH ORDINALITY AS x(v, n)
//	            WHERE x.v NOT IN (to_jsonb(CAST(? AS bigint)), …))
func (d Dialect) IDListRemove(col string, phs []string) string {
	if d == Postgres {
		ids := make([]string, len(phs))
		for i, ph := range phs {
			ids[i] = "to_jsonb(CAST(" + ph + " AS bigint))"
		}
		return "(SELECT jsonb_agg(x.v ORDER BY x.n) FROM jsonb_array_elements(" + col +
			") WITH ORDINALITY AS x(v, n) WHERE x.v NOT IN (" + strings.Join(ids, ", ") + "))"
	}
	return "(SELECT CASE WHEN count(*) > 0 THEN json_group_array(value) END FROM json_each(" + col + ") WHERE value NOT IN (" + strings.Join(phs, ", ") + "))"
}

// ListEmpty is "the JSON array in col is NULL or has no elements" (or, with neg, has some).
func (d Dialect) ListEmpty(col string, neg bool) string {
	if d == Postgres {
		if neg {
			return "jsonb_array_length(" + col + ") > 0"
		}
		return "(" + col + " IS NULL OR jsonb_array_length(" + col + ") = 0)"
	}
	s := "EXISTS (SELECT 1 FROM json_each(" + col + "))"
	if neg {
		return s
	}
	return "NOT " + s
}

// Bytewise is the text column col ordered byte by byte, for <, <=, > and >= on text. SQLite's
// default BINARY collation does so already; PostgreSQL's column collation follows the
// server's locale unless told "C".
func (d Dialect) Bytewise(col string) string {
	if d == Postgres {
		return col + ` COLLATE "C"`
	}
	return col
}

// Number is the placeholder ph of a number that may have a fraction. PostgreSQL would type
// it after the column, and an integer column (the record id) would round the argument;
// numeric compares it exactly with integer and numeric columns alike. SQLite compares
// integers and reals by value already.
func (d Dialect) Number(ph string) string {
	if d == Postgres {
		return "CAST(" + ph + " AS numeric)"
	}
	return ph
}

// IDListItems is a FROM item with one row per id in the JSON array of ids col (多条关联),
// named alias, the expression of that id and of its position in the array: for aggregates
// over the records a list names, and lists made in the order of its ids.
//
//	SQLite:     json_each(col) AS alias                                                  alias.value                  alias.key
//	PostgreSQL: jsonb_array_elements_text(col) WITH ORDINALITY AS alias(value, key)   CAST(alias.value AS bigint)  alias.key
func (d Dialect) IDListItems(col, alias string) (from, id, pos string) {
	if d == Postgres {
		return "jsonb_array_elements_text(" + col + ") WITH ORDINALITY AS " + alias + "(value, key)", "CAST(" + alias + ".value AS bigint)", alias + ".key"
	}
	return "json_each(" + col + ") AS " + alias, alias + ".value", alias + ".key"
}

// ListItems is a FROM item over the JSON array in col (any items) named alias, the item as a
// JSON value and its position.
func (d Dialect) ListItems(col, alias string) (from, item, pos string) {
	if d == Postgres {
		return "jsonb_array_elements(" + col + ") WITH ORDINALITY AS " + alias + "(value, key)", alias + ".value", alias + ".key"
	}
	return "json_each(" + col + ") AS " + alias, alias + ".value", alias + ".key"
}

// JSONAgg is the aggregate of the values v into a JSON array ordered by order, NULL over no
// rows; with distinct, each value once (order must then be v).
func (d Dialect) JSONAgg(v, order string, distinct bool) string {
	if distinct {
		v = "DISTINCT " + v
	}
	if d == Postgres {
		return "jsonb_agg(" + v + " ORDER BY " + order + ")"
	}
	return "CASE WHEN count(*) > 0 THEN json_group_array(" + v + " ORDER BY " + order + ") END"
}

// IDListParam is the placeholder ph holding the JSON text of an array of ids, as a list
// column's type for IDListItems.
func (d Dialect) IDListParam(ph string) string {
	if d == Postgres {
		return "CAST(" + ph + " AS jsonb)"
	}
	return ph
}
