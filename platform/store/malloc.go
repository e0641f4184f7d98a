//go:build cgo

package store

/*
#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

// keep_freed_memory sets glibc's trim threshold to bytes (a no-op on other C libraries).
static void keep_freed_memory(int bytes) {
#if defined(__GLIBC__)
	mallopt(M_TRIM_THRESHOLD, bytes);
#endif
}
*/
import "C"

import (
	"os"
	"strings"
	"sync"
)

// keptFreedMemory is how much memory SQLite frees that the C allocator keeps for its next
// allocations instead of giving it back to the system (32 MB, the most glibc itself would
// keep by its own measure).
const keptFreedMemory = 32 << 20

// keepFreedMemory stops glibc from giving memory back to the system on nearly every free,
// once, when a SQLite database is opened. Every statement with RETURNING (and an INSERT …
// SELECT reading its own table) builds an ephemeral table whose page cache, some 80 KB, is
// allocated and freed with each execution; with glibc's default threshold (128 KB to begin
// with) the free trims the heap: an madvise or brk that flushes the TLB of every core, then a
// page fault for each page touched again. That was a quarter of the CPU time of a public
// form's submission (a few such statements each) on a 2-core virtual machine. An operator's
// GLIBC_TUNABLES naming the trim threshold wins.
var keepFreedMemory = sync.OnceFunc(func() {
	if strings.Contains(os.Getenv("GLIBC_TUNABLES"), "trim_threshold") {
		return
	}
	C.keep_freed_memory(keptFreedMemory)
})
