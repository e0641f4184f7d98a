package store

// Where a data directory's rows live, said without secrets: for the messages and logs of the
// commands that choose the database (--db, TIERBASE_DB) and of tierbase migrate.

import (
	"net/url"
	"regexp"
	"strings"
)

// Redact returns the database address u with its password replaced by ***, for messages
// and logs: postgres://user:***@host:5432/name?sslmode=disable. An address that does not
// parse as a URL (a key=value connection string) has its password=… value masked instead.
func Redact(u string) string {
	if p, err := url.Parse(u); err == nil && p.User != nil {
		if _, has := p.User.Password(); has {
			p.User = url.UserPassword(p.User.Username(), "xxx")
			return strings.Replace(p.String(), ":xxx@", ":***@", 1)
		}
		return u
	}
	if strings.Contains(u, "://") {
		// Not a URL url.Parse accepts: mask whatever sits between the user's colon and the @.
		return userinfoPassword.ReplaceAllString(u, "${1}:***@")
	}
	return keywordPassword.ReplaceAllString(u, "${1}***")
}

var (
	userinfoPassword = regexp.MustCompile(`^([a-z]+://[^:/@]*):.*@`)
	keywordPassword  = regexp.MustCompile(`(?i)(password\s*=\s*)('[^']*'|\S+)`)
)

// Where says where db's rows are, for the line a command prints: the SQLite file, or the
// PostgreSQL address with the password masked.
func (db *DB) Where() string {
	if db.Dialect == Postgres {
		return "PostgreSQL " + db.URL
	}
	return db.Path
}

// OpenSQLite opens the SQLite database of the data directory dir, whatever TIERBASE_DB says:
// the source of tierbase migrate.
func OpenSQLite(dir string) (*DB, error) { return OpenURL(dir, "") }
