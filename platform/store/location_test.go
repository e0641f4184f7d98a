package store

import (
	"strings"
	"testing"
)

func TestRedactHidesThePassword(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://tb:s3cret@db.example:5432/tierbase?sslmode=disable": "postgres://tb:***@db.example:5432/tierbase?sslmode=disable",
		"postgres://tb@db.example/tierbase":                             "postgres://tb@db.example/tierbase",
		"postgres://tb:p%40ss@db.example/tierbase":                      "postgres://tb:***@db.example/tierbase",
		"postgres://tb:bad pass%zz@db.example/x":                        "postgres://tb:***@db.example/x",
		"host=db user=tb password=s3cret dbname=tierbase":               "host=db user=tb password=*** dbname=tierbase",
	} {
		got := Redact(in)
		if got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
		if strings.Contains(got, "s3cret") || strings.Contains(got, "p%40ss") || strings.Contains(got, "bad pass") {
			t.Errorf("Redact(%q) = %q shows the password", in, got)
		}
	}
}
