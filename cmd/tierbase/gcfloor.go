package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

var floorKept atomic.Bool

// serverHeapFloor is the heap a server lets grow before the garbage collector runs, whatever
// little is live: a page of 50 records allocates about 200 KB and a server's live heap is a
// few MB, so with GOGC=100 alone it collected every twenty requests, and each collection
// (2–3 ms of marking on a machine of two cores, beside PostgreSQL) slowed the requests it
// overlapped: a p99 three times the p50.
const serverHeapFloor = 64 << 20

// keepHeapFloor makes the garbage collector's goal floor bytes of heap, or twice the live heap
// (GOGC=100) when that is more: after each collection the GC percentage is set again from
// what it found live. A GOGC set in the environment wins. Only the first call counts.
func keepHeapFloor(floor uint64) {
	if os.Getenv("GOGC") != "" || !floorKept.CompareAndSwap(false, true) {
		return
	}
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var arm func()
	arm = func() {
		metrics.Read(live)
		pct := 100
		if n := live[0].Value.Uint64(); n > 0 && 2*n < floor {
			pct = int((floor - n) * 100 / n)
		}
		debug.SetGCPercent(pct)
		// Collected by the next collection, which then calls arm again.
		runtime.AddCleanup(new([32]byte), func(struct{}) { arm() }, struct{}{})
	}
	arm()
}
