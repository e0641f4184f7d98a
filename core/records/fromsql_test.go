package records_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"tierbase/core/records"
	"tierbase/core/schema"
)

// TestFromSQLLists: a multi-value column reads back as encoding/json reads it, whether its
// JSON is as PostgreSQL's jsonb prints it, as SQLite keeps it, or escaped; what is not a list
// of strings reads as nil.
func TestFromSQLLists(t *testing.T) {
	f := &schema.Field{ID: "fldtags", Name: "标签", Type: schema.MultiSelect}
	for _, col := range []string{
		`["高频客户"]`, `["a", "b"]`, `["a","b"]`, ` [ "a" , "b" ] `, `[]`, `[ ]`, `[""]`,
		`["a \"quoted\" b", "c"]`, `["tab\there"]`, `["\u9ad8"]`, `["a\\b"]`,
		`null`, `"a"`, `[1, 2]`, `["a",]`, `["a" "b"]`, `["a"`, `[`, ``, `{"a": 1}`, `["a", 1]`, "[\"a\tb\"]",
	} {
		var want []string
		got := records.FromSQL(f, col)
		if json.Unmarshal([]byte(col), &want) != nil {
			if got != nil {
				t.Errorf("%s: %#v, want nil", col, got)
			}
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %#v, want %#v", col, got, want)
		}
		if got := records.FromSQL(f, []byte(col)); !reflect.DeepEqual(got, want) {
			t.Errorf("%s as bytes: %#v, want %#v", col, got, want)
		}
	}
}

// FuzzFromSQLLists: whatever a multi-value column holds, FromSQL reads it as encoding/json
// does, so the decoder's shortcut for lists of plain strings never answers otherwise.
func FuzzFromSQLLists(f *testing.F) {
	for _, col := range []string{
		`["高频客户"]`, `["a", "b"]`, ` [ "a" , "b" ] `, `[]`, `[""]`, `["a \"q\" b"]`, `["\u9ad8"]`,
		`null`, `[1]`, `["a",]`, `["a" "b"]`, `["a"`, "\v[\"a\"]", "[\"\xff\"]", "[\"a\tb\"]",
	} {
		f.Add(col)
	}
	field := &schema.Field{ID: "fldtags", Name: "标签", Type: schema.MultiSelect}
	f.Fuzz(func(t *testing.T, col string) {
		var want []string
		if json.Unmarshal([]byte(col), &want) != nil {
			if got := records.FromSQL(field, col); got != nil {
				t.Fatalf("%q: %#v, want nil", col, got)
			}
			return
		}
		if got := records.FromSQL(field, col); !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: %#v, want %#v", col, got, want)
		}
	})
}
