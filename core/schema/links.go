package schema

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"tierbase/platform/store"
)

// On SQLite a 多条关联 is indexed by a side table, LinksIndex, with a row (linked, record) per
// id in each record's list, keyed by the linked id: "the records whose list holds record X"
// (a contains filter, the records a rollup or a lookup reads, the lists a delete clears) is
// then a range of it, where SQLite's json_each had to read every row of the table (it cannot
// index a JSON array). Triggers on the record table keep it in the writing statement's
// transaction, so every writer — the records engine, imports, bulk edits, deletes, restores,
// rules' set-wise updates, bulk loads — keeps it without knowing of it. A data directory
// older than it has it made, filled in one INSERT … SELECT, once when opened (upgradeIndexes).
// PostgreSQL has a GIN index on the jsonb column instead.

// LinksIndex is the name of the side table indexing 多条关联 f of t on SQLite.
func LinksIndex(t *Table, f *Field) string { return "lk_" + t.ID + "_" + f.ID }

// LinksHaveAny is the SQL condition "the list col of 多条关联 f of t, in the row whose id is
// the expression id, names one of ids" (with negate, none of them): the side table serves it
// on SQLite, the column's GIN index on PostgreSQL.
func LinksHaveAny(t *Table, f *Field, id, col string, ids []string, negate bool) string {
	return t.Dialect.IDListHasAny(store.Quote(LinksIndex(t, f)), id, col, ids, negate)
}

// linksIndex is the SQL that makes and fills the side table of f and the triggers keeping it.
func linksIndex(t *Table, f *Field) string {
	side, table, col := store.Quote(LinksIndex(t, f)), store.Quote(t.SQLName()), store.Quote(f.Column())
	trigger := func(suffix string) string { return store.Quote(LinksIndex(t, f) + "_" + suffix) }
	fill := "INSERT OR IGNORE INTO " + side + " (linked, record) SELECT value, new.id FROM json_each(new." + col + ");"
	// The rows of a record are found from its old list, by the key: no second index.
	clear := func(except string) string {
		return "DELETE FROM " + side + " WHERE linked IN (SELECT value FROM json_each(old." + col + ")) AND record = old.id" + except + ";"
	}
	return strings.Join([]string{
		"CREATE TABLE IF NOT EXISTS " + side + " (linked INTEGER NOT NULL, record INTEGER NOT NULL, PRIMARY KEY (linked, record)) WITHOUT ROWID",
		"CREATE TRIGGER IF NOT EXISTS " + trigger("insert") + " AFTER INSERT ON " + table + " WHEN new." + col + " IS NOT NULL BEGIN " + fill + " END",
		"CREATE TRIGGER IF NOT EXISTS " + trigger("update") + " AFTER UPDATE OF " + col + " ON " + table + " WHEN old." + col + " IS NOT new." + col +
			" BEGIN " + clear(" AND linked NOT IN (SELECT value FROM json_each(new."+col+"))") + " " + fill + " END",
		"CREATE TRIGGER IF NOT EXISTS " + trigger("delete") + " AFTER DELETE ON " + table + " WHEN old." + col + " IS NOT NULL BEGIN " + clear("") + " END",
		"DELETE FROM " + side,
		"INSERT INTO " + side + " (linked, record) SELECT DISTINCT j.value, r.id FROM " + table + " r, json_each(r." + col + ") j",
	}, ";\n")
}

// dropLinksIndex is the SQL that drops the side table of f and its triggers (SQLite refuses
// to drop a column a trigger names), and the plain index such a field had before.
func dropLinksIndex(t *Table, f *Field) string {
	var qs []string
	for _, suffix := range []string{"insert", "update", "delete"} {
		qs = append(qs, "DROP TRIGGER IF EXISTS "+store.Quote(LinksIndex(t, f)+"_"+suffix))
	}
	return strings.Join(append(qs, "DROP TABLE IF EXISTS "+store.Quote(LinksIndex(t, f)),
		"DROP INDEX IF EXISTS "+store.Quote("idx_"+t.ID+"_"+f.Column())), ";\n")
}

// upgradeLinksIndex makes the side table of f, filled, in a data directory that has none.
func upgradeLinksIndex(ctx context.Context, db *store.DB, t *Table, f *Field) error {
	var name string
	err := db.R.QueryRowContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name = ?", LinksIndex(t, f)+"_delete").Scan(&name)
	if err == nil || !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, dropLinksIndex(t, f)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, linksIndex(t, f))
		return err
	})
}
