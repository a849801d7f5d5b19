/*
 * dbgtrace.h - debugger sessions over a trace held in memory, for the
 * debugger's harnesses (fuzz_dbgjson.c, fuzz_dbgcmd.c).
 *
 * mvmdbg --replay reads a JSON Lines trace from a path. The harnesses
 * keep the trace in a memfd and hand the debugger /proc/self/fd/N, so
 * no input ever touches the disk.
 */
#ifndef MINIVMM_FUZZ_DBGTRACE_H
#define MINIVMM_FUZZ_DBGTRACE_H

#include <stddef.h>

#include "session.h"

/* Replace the memfd's contents with buf[0..len) (creating it the first
 * time); returns the path to open, or aborts. */
const char *dbgtrace_set(const void *buf, size_t len);
/* A valid two-record trace (start, then an OUT to the debug console),
 * written with the debugger's own recorder; returns its path. */
const char *dbgtrace_sample(void);

#endif
