package main

import (
	"os"
	"runtime"
	"testing"
)

// TestProcsForCgo: a server on SQLite runs twice as many goroutines at once as the default,
// unless GOMAXPROCS is set.
func TestProcsForCgo(t *testing.T) {
	if os.Getenv("GOMAXPROCS") != "" {
		t.Skip("GOMAXPROCS is set: it wins")
	}
	before := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(before)
	procsForCgo()
	if got := runtime.GOMAXPROCS(0); got != 2*before {
		t.Fatalf("GOMAXPROCS %d after procsForCgo, want %d", got, 2*before)
	}
	t.Setenv("GOMAXPROCS", "3")
	procsForCgo()
	if got := runtime.GOMAXPROCS(0); got != 2*before {
		t.Fatalf("GOMAXPROCS %d with GOMAXPROCS=3 in the environment, want it left at %d", got, 2*before)
	}
}
