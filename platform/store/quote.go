package store

import "strings"

// Quote quotes an SQL identifier. Every table and column name the engines put into SQL
// goes through it, so no name — not even our own generated ids — reaches SQL unquoted.
func Quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
