package schema

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"tierbase/platform/problem"
	"tierbase/platform/secret"
	"tierbase/platform/store"
)

// This file holds 敏感 (sensitive) fields: their values are sealed (AES-GCM, platform/secret)
// in the field's own column, and a keyed hash of each value is kept in a second column,
// <field id>__h, indexed, so that "equals", "is one of" and "is empty" still find records.
// The catalog hands the data directory's key ring to each sensitive field when it loads.

// SensitiveTypes are the types whose fields may be marked sensitive: texts, phones, emails.
var SensitiveTypes = []Type{Text, TextArea, Phone, Email}

// sealBatch is how many rows marking, unmarking or rotating rewrites per statement round.
const sealBatch = 5000

// UseKeys gives the catalog the key ring that seals sensitive values, and checks that it
// opens the values already stored: a missing or wrong key is an error here, at start, rather
// than garbage later. An empty ring gets its first key when nothing sealed is stored. Hashes
// a data directory holds in an older form are recomputed here (upgradeHashes), as only now
// are the keys known.
func (c *Catalog) UseKeys(ctx context.Context, r *secret.Ring) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keys = r
	if err := c.reload(ctx); err != nil {
		return err
	}
	for _, t := range c.Tables() {
		for _, f := range t.Fields {
			if !f.Sensitive {
				continue
			}
			var v string
			err := c.db.R.QueryRowContext(ctx, fmt.Sprintf("SELECT %s FROM %s WHERE %s LIKE 'tb1:%%' LIMIT 1",
				store.Quote(f.Column()), store.Quote(t.SQLName()), store.Quote(f.Column()))).Scan(&v)
			if err == sql.ErrNoRows {
				continue
			}
			if err != nil {
				return err
			}
			if r.Empty() {
				return fmt.Errorf("the sensitive field %s.%s is encrypted, but the key ring file keys/keyring.json of the data directory is missing: restore it from a backup, or give the key in %s",
					t.Name, f.Name, secret.EnvKey)
			}
			if _, err := r.Open(v, f.ID); err != nil {
				return fmt.Errorf("the sensitive field %s.%s cannot be read: %w (keys: %s or the environment variable %s)",
					t.Name, f.Name, err, "keys/keyring.json in the data directory", secret.EnvKey)
			}
		}
	}
	if r.Empty() {
		if err := r.Add(); err != nil {
			return err
		}
	}
	return c.upgradeHashes(ctx)
}

// hashFormKey is the _sequences entry holding the version of hashForm the stored hashes were
// taken with: none before emails were hashed trimmed and in lower case, hashFormVersion since.
const (
	hashFormKey     = "_sensitive_hash_form"
	hashFormVersion = 2
)

// upgradeHashes recomputes, once, the hashes of the sensitive emails of a data directory
// written before their hashes were taken of hashForm (phones were already hashed by their
// digits, their storage form; texts are hashed as they are). Each field is rewritten in one
// transaction, in batches; the version is recorded when all are done, so an interrupted
// upgrade runs again on the next start.
func (c *Catalog) upgradeHashes(ctx context.Context) error {
	var version int
	err := c.db.R.QueryRowContext(ctx, "SELECT value FROM _sequences WHERE key = ?", hashFormKey).Scan(&version)
	if err != nil && err != sql.ErrNoRows {
		return err
	}
	if version >= hashFormVersion {
		return nil
	}
	for _, t := range c.Tables() {
		for _, f := range t.Fields {
			if !f.Sensitive || f.Type != Email {
				continue
			}
			if err := c.db.Tx(ctx, func(tx *sql.Tx) error { return rehash(ctx, tx, t, f) }); err != nil {
				return fmt.Errorf("recomputing the search hashes of the sensitive field %s.%s: %w", t.Name, f.Name, err)
			}
		}
	}
	return c.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO _sequences(key, value) VALUES(?, ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value`, hashFormKey, hashFormVersion)
		return err
	})
}

// rehash recomputes the hash of every stored value of sensitive field f, with its index
// rebuilt after: a unique email held twice in different case is refused by name.
func rehash(ctx context.Context, tx *sql.Tx, t *Table, f *Field) error {
	if _, err := tx.ExecContext(ctx, dropIndex(t, f.indexColumn(), f.Unique)); err != nil {
		return err
	}
	set := fmt.Sprintf("UPDATE %s SET %s = ?, %s = ? WHERE id = ?", store.Quote(t.SQLName()), store.Quote(f.Column()), store.Quote(f.HashColumn()))
	var bad error
	err := rewriteColumn(ctx, tx, t, f, set, func(v string) (string, any) {
		plain, err := f.keys.Open(v, f.ID)
		if err != nil {
			bad = err
			return v, nil
		}
		return v, f.hash(plain)
	})
	if err != nil || bad != nil {
		return errors.Join(err, bad)
	}
	if f.Unique {
		// Looked for before the index is made: on PostgreSQL a failed CREATE UNIQUE INDEX
		// would abort the transaction.
		tbl, h := store.Quote(t.SQLName()), store.Quote(f.HashColumn())
		rows, err := tx.QueryContext(ctx, fmt.Sprintf("SELECT id FROM %s WHERE %s IN (SELECT %s FROM %s WHERE %s IS NOT NULL GROUP BY %s HAVING COUNT(*) > 1 LIMIT 1) ORDER BY id",
			tbl, h, h, tbl, h, h))
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) > 0 {
			return fmt.Errorf("the field is unique, and records %s hold the same email in different case: with the version before this one, make them differ or merge them, then start again", strings.Join(ids, ", "))
		}
	}
	_, err = tx.ExecContext(ctx, createIndex(t, f.indexColumn(), f.Unique))
	return err
}

// HashColumn is the column holding the keyed hash of a sensitive field's values.
func (f *Field) HashColumn() string { return f.ID + "__h" }

// indexColumn is the column the field's index (and uniqueness) is on: the hash of a
// sensitive field (its ciphertexts differ even for equal values), else its own column.
func (f *Field) indexColumn() string {
	if f.Sensitive {
		return f.HashColumn()
	}
	return f.Column()
}

// Seal turns a storage-form value of a sensitive field into what its two columns hold: the
// sealed value and its keyed hash. Empty values stay empty, with no hash.
func (f *Field) Seal(v any) (col, hash any) {
	s, ok := v.(string)
	if !ok || s == "" {
		return v, nil
	}
	return f.keys.Seal(s, f.ID), f.hash(s)
}

// hashForm is the form of a value its keyed hash is taken of, so that equal values typed
// differently find each other: an email trimmed and in lower case, a phone its 11 digits
// (as ParsePhone stores it: 138 0013 8000 and +86 13800138000 are 13800138000), other
// text exactly as it is.
func (f *Field) hashForm(v string) string {
	switch f.Type {
	case Email:
		return strings.ToLower(strings.TrimSpace(halfWidth(v)))
	case Phone:
		if p, ok := ParsePhone(v); ok {
			return p
		}
	}
	return v
}

// hash is the keyed hash of a sensitive value under the current key.
func (f *Field) hash(plain string) []byte { return f.keys.Hash(f.hashForm(plain), f.ID) }

// Unseal turns a column value of a sensitive field back into its storage form. A value that
// does not open (which UseKeys rules out at start) reads as empty, never as ciphertext.
func (f *Field) Unseal(v any) any {
	s, ok := v.(string)
	if !ok || !secret.IsSealed(s) {
		return v
	}
	if f.keys == nil {
		return nil
	}
	plain, err := f.keys.Open(s, f.ID)
	if err != nil {
		return nil
	}
	return plain
}

// Hashes returns the keyed hashes a stored value equal to v (in storage form) may have: one
// per key of the ring, as a rotation may be under way.
func (f *Field) Hashes(v string) []any { return f.keys.Hashes(f.hashForm(v), f.ID) }

// checkSensitive refuses a sensitive field of a type that cannot be sealed.
func checkSensitive(f *Field) error {
	if !f.Sensitive || slices.Contains(SensitiveTypes, f.Type) {
		return nil
	}
	names := make([]string, len(SensitiveTypes))
	for i, t := range SensitiveTypes {
		names[i] = string(t)
	}
	return problem.Invalid("sensitive_type", "type", string(f.Type), "types", strings.Join(names, ", ")).OnField(f.Name)
}

// needKeys refuses sensitive fields when the catalog has no key ring (UseKeys was not called).
func (c *Catalog) needKeys(fs ...*Field) error {
	for _, f := range fs {
		if f.Sensitive && c.keys == nil {
			return fmt.Errorf("field %s is sensitive, but the catalog has no key ring (UseKeys)", f.Name)
		}
	}
	return nil
}

// addHashColumn adds the hash column of a sensitive field.
func addHashColumn(ctx context.Context, tx *sql.Tx, t *Table, f *Field) error {
	return addColumns(ctx, tx, t, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", store.Quote(t.SQLName()), store.Quote(f.HashColumn()), t.Dialect.BytesType()))
}

// protect marks f sensitive (on) or not, rewriting its stored values set-wise in batches
// inside the caller's transaction: sealing them and filling the hash column, or opening them
// and dropping it. The history's values of the field are rewritten the same way. The
// field's indexes move to the column they belong on.
func (c *Catalog) protect(ctx context.Context, tx *sql.Tx, t *Table, f *Field, on bool) error {
	g := *f
	g.keys = c.keys
	for _, q := range []string{dropIndex(t, g.indexColumnIf(!on), true), dropIndex(t, g.indexColumnIf(!on), false)} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	if on {
		if err := addHashColumn(ctx, tx, t, &g); err != nil {
			return err
		}
	}
	rewrite := func(v string) (string, any) {
		if on {
			col, h := g.Seal(v)
			return col.(string), h
		}
		plain, err := c.keys.Open(v, g.ID)
		if err != nil {
			return v, nil // not sealed: left as it is
		}
		return plain, nil
	}
	set := fmt.Sprintf("UPDATE %s SET %s = ?, %s = ? WHERE id = ?", store.Quote(t.SQLName()), store.Quote(g.Column()), store.Quote(g.HashColumn()))
	if err := rewriteColumn(ctx, tx, t, &g, set, rewrite); err != nil {
		return err
	}
	if !on {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s", store.Quote(t.SQLName()), store.Quote(g.HashColumn()))); err != nil {
			return err
		}
	}
	err := rewriteHistory(ctx, tx, t, &g, func(v string) string {
		if on && !secret.IsSealed(v) {
			return c.keys.Seal(v, g.ID)
		}
		if !on && secret.IsSealed(v) {
			if plain, err := c.keys.Open(v, g.ID); err == nil {
				return plain
			}
		}
		return v
	})
	if err != nil {
		return err
	}
	g.Sensitive = on
	return indexAndSave(ctx, tx, t, &g)
}

// indexColumnIf is the index column the field has when it is sensitive or not.
func (f *Field) indexColumnIf(sensitive bool) string {
	g := *f
	g.Sensitive = sensitive
	return g.indexColumn()
}

// rewriteColumn runs set (an UPDATE with the new value, the hash and the id as arguments)
// for every non-empty stored value of f, in batches by id, with the values fn gives.
func rewriteColumn(ctx context.Context, tx *sql.Tx, t *Table, f *Field, set string, fn func(string) (string, any)) error {
	stmt, err := tx.PrepareContext(ctx, set)
	if err != nil {
		return err
	}
	defer stmt.Close()
	var last int64
	for {
		batch, err := valuesAfter(ctx, tx, t, f, last)
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		for _, r := range batch {
			if r.v == "" {
				continue
			}
			v, h := fn(r.v)
			if _, err := stmt.ExecContext(ctx, v, h, r.id); err != nil {
				return err
			}
		}
		last = batch[len(batch)-1].id
	}
}

// storedValue is one record's stored value of a field (empty for NULL).
type storedValue struct {
	id int64
	v  string
}

// valuesAfter reads the next batch (sealBatch) of f's stored values of t, by id after last.
func valuesAfter(ctx context.Context, tx *sql.Tx, t *Table, f *Field, last int64) ([]storedValue, error) {
	rows, err := tx.QueryContext(ctx, fmt.Sprintf("SELECT id, %s FROM %s WHERE id > ? ORDER BY id LIMIT %d",
		store.Quote(f.Column()), store.Quote(t.SQLName()), sealBatch), last)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var batch []storedValue
	for rows.Next() {
		var r storedValue
		var v sql.NullString
		if err := rows.Scan(&r.id, &v); err != nil {
			return nil, err
		}
		r.v = v.String
		batch = append(batch, r)
	}
	return batch, rows.Err()
}

// rewriteHistory rewrites the values of field f kept in the operation log of t (before and
// after of each change) with fn.
func rewriteHistory(ctx context.Context, tx *sql.Tx, t *Table, f *Field, fn func(string) string) error {
	rows, err := tx.QueryContext(ctx, "SELECT id, changes FROM _oplog WHERE table_id = ? AND "+t.Dialect.TextPosition("changes", "?")+" > 0",
		t.ID, `"f":"`+f.ID+`"`)
	if err != nil {
		return err
	}
	type entry struct {
		id      int64
		changes string
	}
	var todo []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.id, &e.changes); err != nil {
			rows.Close()
			return err
		}
		var cs []map[string]any
		dec := json.NewDecoder(bytes.NewReader([]byte(e.changes)))
		dec.UseNumber()
		if dec.Decode(&cs) != nil {
			continue
		}
		for _, ch := range cs {
			if ch["f"] != f.ID {
				continue
			}
			for _, k := range []string{"b", "a"} {
				if s, ok := ch[k].(string); ok && s != "" {
					ch[k] = fn(s)
				}
			}
		}
		b, err := json.Marshal(cs)
		if err != nil {
			rows.Close()
			return err
		}
		todo = append(todo, entry{e.id, string(b)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// The log is append-only; its triggers let this transaction re-encrypt values only.
	if _, err := tx.ExecContext(ctx, "INSERT INTO _oplog_reseal(since) VALUES(?)", time.Now().UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	for _, e := range todo {
		if _, err := tx.ExecContext(ctx, "UPDATE _oplog SET changes = ? WHERE id = ?", e.changes, e.id); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM _oplog_reseal"); err != nil {
		return err
	}
	return rewriteTrash(ctx, tx, t, f, fn)
}

// rewriteTrash rewrites the values of field f kept in the recycle bin for t with fn.
func rewriteTrash(ctx context.Context, tx *sql.Tx, t *Table, f *Field, fn func(string) string) error {
	rows, err := tx.QueryContext(ctx, "SELECT id, data FROM _trash WHERE table_id = ?", t.ID)
	if err != nil {
		return err
	}
	todo := map[int64]string{}
	for rows.Next() {
		var id int64
		var data string
		if err := rows.Scan(&id, &data); err != nil {
			rows.Close()
			return err
		}
		dec := json.NewDecoder(strings.NewReader(data))
		dec.UseNumber()
		var row map[string]any
		if dec.Decode(&row) != nil {
			continue
		}
		if s, ok := row[f.ID].(string); ok && s != "" {
			row[f.ID] = fn(s)
			b, err := json.Marshal(row)
			if err != nil {
				rows.Close()
				return err
			}
			todo[id] = string(b)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for id, data := range todo {
		if _, err := tx.ExecContext(ctx, "UPDATE _trash SET data = ? WHERE id = ?", data, id); err != nil {
			return err
		}
	}
	return nil
}

// Rotate makes a fresh key current and seals every sensitive value (and every sensitive
// value in the history) with it, table by table in batches that each commit, then drops the
// old keys. Run again after an interruption, it carries on: values already under the new key
// are left alone, and the old keys stay in the ring until every value is rewritten. The
// caller holds the ring exclusively (no server beside it). progress is told the rows done.
// also reseal what else the ring sealed (robots' secrets), before the old keys go.
func (c *Catalog) Rotate(ctx context.Context, progress func(table string, done, total int64), also ...func(context.Context) error) error {
	r := c.keys
	if len(r.IDs()) == 1 {
		if err := r.Add(); err != nil {
			return err
		}
	}
	current := r.Current()
	for _, t := range c.Tables() {
		for _, f := range t.Fields {
			if !f.Sensitive {
				continue
			}
			if err := c.rotateField(ctx, t, f, current, progress); err != nil {
				return err
			}
		}
	}
	for _, reseal := range also {
		if err := reseal(ctx); err != nil {
			return err
		}
	}
	if r.FromEnv {
		return nil // the old keys leave TIERBASE_KEY by hand
	}
	return r.DropOld()
}

// rotateField reseals the values of one sensitive field not sealed by the current key.
func (c *Catalog) rotateField(ctx context.Context, t *Table, f *Field, current string, progress func(string, int64, int64)) error {
	var total int64
	if err := c.db.R.QueryRowContext(ctx, fmt.Sprintf("SELECT COUNT(*) FROM %s", store.Quote(t.SQLName()))).Scan(&total); err != nil {
		return err
	}
	// Every hash changes: the index goes while they do and is built once at the end (an
	// interrupted rotation leaves it missing until it is run again; search still works).
	err := c.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, dropIndex(t, f.indexColumn(), f.Unique))
		return err
	})
	if err != nil {
		return err
	}
	mine := "tb1:" + current + ":"
	set := fmt.Sprintf("UPDATE %s SET %s = ?, %s = ? WHERE id = ?", store.Quote(t.SQLName()), store.Quote(f.Column()), store.Quote(f.HashColumn()))
	var last, done int64
	for {
		n := 0
		err := c.db.Tx(ctx, func(tx *sql.Tx) error {
			batch, err := valuesAfter(ctx, tx, t, f, last)
			if err != nil {
				return err
			}
			n = len(batch)
			stmt, err := tx.PrepareContext(ctx, set)
			if err != nil {
				return err
			}
			defer stmt.Close()
			for _, r := range batch {
				last = r.id
				if r.v == "" || strings.HasPrefix(r.v, mine) {
					continue
				}
				plain, err := c.keys.Open(r.v, f.ID)
				if err != nil {
					return fmt.Errorf("%s.%s, record %d: %w", t.Name, f.Name, r.id, err)
				}
				if _, err := stmt.ExecContext(ctx, c.keys.Seal(plain, f.ID), f.hash(plain), r.id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		done += int64(n)
		if progress != nil {
			progress(t.Name+"."+f.Name, done, total)
		}
		if n < sealBatch {
			break
		}
	}
	return c.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, createIndex(t, f.indexColumn(), f.Unique)); err != nil {
			return err
		}
		return rewriteHistory(ctx, tx, t, f, func(v string) string {
			if !secret.IsSealed(v) || strings.HasPrefix(v, mine) {
				return v
			}
			plain, err := c.keys.Open(v, f.ID)
			if err != nil {
				return v
			}
			return c.keys.Seal(plain, f.ID)
		})
	})
}
