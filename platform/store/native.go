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

int sqlite3_config(int, ...);

// spill_journals_at sets how large SQLite's statement and savepoint journals grow in memory
// before going to a temporary file (SQLITE_CONFIG_STMTJRNL_SPILL); it fails once SQLite has
// been initialised.
static int spill_journals_at(int bytes) {
	return sqlite3_config(26, bytes);
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

// journalInMemory is how large a savepoint's or a statement's journal grows in memory before
// SQLite moves it to a temporary file: the most SQLite's unix file layer writes in one call
// (it masks a write's length to 17 bits), because the move writes what is in memory as one
// piece. SQLite's own default is 64 KB.
const journalInMemory = 1<<17 - 1

// tuneNative sets, once, before SQLite opens its first database, how the C side of the
// process treats memory:
//
//   - glibc stops giving memory back to the system on nearly every free. Every statement
//     with RETURNING (and an INSERT … SELECT reading its own table) builds an ephemeral
//     table whose page cache, some 80 KB, is allocated and freed with each execution; with
//     glibc's default thresholds (128 KB to begin with) the free trims the heap: an madvise
//     or brk that flushes the TLB of every core, then a page fault for each page touched
//     again. That was a quarter of the CPU time of a public form's submission on a 2-core
//     virtual machine. An operator's GLIBC_TUNABLES naming the trim threshold wins.
//   - The journal of a savepoint (every write transaction of a commit group is one, and so
//     is each submission of a form's group) stays in memory up to journalInMemory. Past
//     SQLite's 64 KB it went to a temporary file, a pwrite per page for the rest of the
//     transaction, and a submission's 客户 with its indexes and history journals just about
//     that much. A larger limit breaks: at 4 MB the move to the file wrote nothing, and a
//     large import failed with "database or disk is full" (TestSavepointJournalSpills).
var tuneNative = sync.OnceFunc(func() {
	if !strings.Contains(os.Getenv("GLIBC_TUNABLES"), "trim_threshold") {
		C.keep_freed_memory(keptFreedMemory, keptFreedMemory/4)
	}
	C.spill_journals_at(journalInMemory)
})
