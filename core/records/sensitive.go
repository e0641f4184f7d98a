package records

import (
	"strings"
	"unicode/utf8"

	"tierbase/core/access"
	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// This file holds what the records engine does for 敏感 (sensitive) fields: their values are
// sealed in the column with a keyed hash beside it (schema.Field.Seal) and opened on reading
// (FromSQL); people whose field permission is masked see them masked and may not change them.

// Mask returns the masked form of a sensitive value: phones 138****8000, emails
// z***@example.com, other text its first and last character around ***.
func Mask(f *schema.Field, v any) any {
	s, ok := v.(string)
	if !ok || s == "" {
		return v
	}
	switch f.Type {
	case schema.Phone:
		if len(s) == 11 {
			return s[:3] + "****" + s[7:]
		}
	case schema.Email:
		if at := strings.LastIndexByte(s, '@'); at > 0 {
			r, _ := utf8.DecodeRuneInString(s)
			return string(r) + "***" + s[at:]
		}
	}
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	if utf8.RuneCountInString(s) <= 2 {
		return string(first) + "***"
	}
	return string(first) + "***" + string(last)
}

// mask replaces the values of the fields masked for the actor by their masked form.
func mask(t *schema.Table, fs access.Fields, recs ...Record) {
	for id := range fs.Masked {
		f := t.Field(id)
		if f == nil {
			continue
		}
		for _, r := range recs {
			if v, ok := r[id]; ok {
				r[id] = Mask(f, v)
			}
		}
	}
}

// columnArgs appends the column names and values that store the storage-form value v of f:
// for a sensitive field its sealed value and its hash.
func columnArgs(f *schema.Field, v any, cols []string, args []any) ([]string, []any) {
	if !f.Sensitive {
		return append(cols, store.Quote(f.Column())), append(args, SQLValue(v))
	}
	sealed, hash := f.Seal(v)
	return append(cols, store.Quote(f.Column()), store.Quote(f.HashColumn())), append(args, sealed, hash)
}

// maskedWrite checks a value the actor gives for a field masked to them: sending back the
// masked form they were shown changes nothing; anything else is refused, naming the field.
func maskedWrite(f *schema.Field, in any, old Record) (unchanged bool, p *problem.Error) {
	if old != nil {
		if s, ok := in.(string); ok && s == Mask(f, old[f.ID]) {
			return true, nil
		}
	}
	return false, problem.New(403, "field_masked", "name", f.Name).OnField(f.Name)
}

// sensitiveOp is the 400 for an operation a sensitive field cannot serve (sorting, grouping,
// searching by part): only the whole value can be looked up.
func sensitiveOp(f *schema.Field, at string) *problem.Error {
	return problem.Invalid("sensitive_op", "name", f.Name).At(at)
}

// sealLog seals the values of sensitive fields in history changes.
func sealLog(t *schema.Table, cs []change) {
	for i := range cs {
		f := t.Field(cs[i].Field)
		if f == nil || !f.Sensitive {
			continue
		}
		cs[i].Before, _ = f.Seal(cs[i].Before)
		cs[i].After, _ = f.Seal(cs[i].After)
	}
}

// openLog opens the sealed values of a history change, masked when the actor sees the field
// masked.
func openLog(f *schema.Field, fs access.Fields, c *Change) {
	if f == nil || (!f.Sensitive && !fs.Masked[f.ID]) {
		return
	}
	c.Before, c.After = f.Unseal(c.Before), f.Unseal(c.After)
	if fs.Masked[f.ID] {
		c.Before, c.After = Mask(f, c.Before), Mask(f, c.After)
	}
}

// titleOf is the title a sensitive title field gives a record: opened, masked when the actor
// sees it masked.
func titleOf(f *schema.Field, fs access.Fields, v any) any {
	v = FromSQL(f, v)
	if fs.Masked[f.ID] {
		return Mask(f, v)
	}
	return v
}
