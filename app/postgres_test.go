package app

import (
	"os"
	"strings"
	"testing"

	"tierbase/platform/store"
)

// Pointed at PostgreSQL before the port is finished, tierbase refuses to start in one line
// that says so, rather than failing request by request. Runs on the test server only
// (make gotest-pg).
func TestPostgresRefusedUntilPorted(t *testing.T) {
	url := os.Getenv(store.TestServerEnv)
	if url == "" {
		t.Skip("no PostgreSQL server to test on (make test starts one: scripts/pgtest)")
	}
	t.Setenv(store.TestServerEnv, "")
	t.Setenv(store.URLEnv, url)
	a, err := Open(t.TempDir())
	if err == nil {
		a.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "does not run on PostgreSQL yet") {
		t.Fatalf("got %v, want the refusal", err)
	}
}
