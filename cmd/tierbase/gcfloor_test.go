package main

import (
	"os"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

// TestHeapFloor: with the floor kept, 24 MB of short-lived garbage is allocated without a
// collection (the test's live heap is a few MB: GOGC=100 alone collects several times).
func TestHeapFloor(t *testing.T) {
	if os.Getenv("GOGC") != "" {
		t.Skip("GOGC is set: the floor is not kept")
	}
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/cycles/total:gc-cycles"}}
	keepHeapFloor(64 << 20)
	runtime.GC() // the floor is set again after each collection
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if metrics.Read(s); s[0].Value.Uint64() > 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GC percent still %d after a collection", s[0].Value.Uint64())
		}
	}
	before := s[1].Value.Uint64()
	var keep []byte
	for range 24 << 7 {
		keep = make([]byte, 8<<10)
	}
	runtime.KeepAlive(keep)
	if metrics.Read(s); s[1].Value.Uint64() != before {
		t.Errorf("%d collections during 24 MB of garbage (GC percent %d)", s[1].Value.Uint64()-before, s[0].Value.Uint64())
	}
}
