package main

import (
	"os"
	"runtime"
)

// procsForCgo lets twice as many goroutines run Go code at once as the process has CPUs
// (GOMAXPROCS), for a server on SQLite. Every statement there is a cgo call, and a goroutine
// inside one holds its processor while SQLite works until the scheduler hands it to another
// thread, which it does late or not at all for calls of tens of microseconds. With GOMAXPROCS
// at the CPU count, the writer and the readers inside SQLite kept requests waiting while a
// quarter of the CPU time went idle: a public form's submission at c=50 on 2 CPUs had a p99
// of 27.8–30.8 ms, 21.9–26.0 ms at twice the count (8 was no better than 4). PostgreSQL's
// driver is Go: a server on it keeps the default. A GOMAXPROCS set in the environment wins.
func procsForCgo() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(2 * runtime.GOMAXPROCS(0))
	}
}
