//go:build cgo

package store

/*
#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

// keep_freed_memory sets glibc's trim threshold to keep bytes, and its mmap threshold (what
// is allocated apart, and unmapped when freed) to apart bytes; a no-op on other C libraries.
static void keep_freed_memory(int keep, int apart) {
#if defined(__GLIBC__)
	mallopt(M_TRIM_THRESHOLD, keep);
	mallopt(M_MMAP_THRESHOLD, apart);
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
// keep by its own measure); allocations up to a quarter of it come from the heap too.
const keptFreedMemory = 32 << 20

// tuneNative sets, once, before SQLite opens its first database, how glibc treats the memory
// SQLite frees: it stops giving it back to the system on nearly every free. Every statement
// with RETURNING (and an INSERT … SELECT reading its own table) builds an ephemeral table
// whose page cache, some 80 KB, is allocated and freed with each execution; with glibc's
// default thresholds (128 KB to begin with) the free trims the heap: an madvise or brk that
// flushes the TLB of every core, then a page fault for each page touched again. That was a
// quarter of the CPU time of a public form's submission on a 2-core virtual machine. An
// operator's GLIBC_TUNABLES naming the trim threshold wins.
//
// SQLite's statement-journal spill (SQLITE_CONFIG_STMTJRNL_SPILL, 64 KB) is left as it is: at
// 4 MB, an import of 400,000 rows through the server failed at its end with "database or disk
// is full" (TestImportLargerThanJournalMemory in engines/importer).
var tuneNative = sync.OnceFunc(func() {
	if !strings.Contains(os.Getenv("GLIBC_TUNABLES"), "trim_threshold") {
		C.keep_freed_memory(keptFreedMemory, keptFreedMemory/4)
	}
})
