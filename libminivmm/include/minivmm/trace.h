/*
 * trace.h - exit trace (a ring of recent exits) and statistics.
 *
 * Every exit the run step returns is counted per reason; when tracing is
 * on it is also stored, with a timestamp and the time the host spent
 * handling it, in a fixed-size ring (the newest overwrite the oldest).
 * When tracing is off the run step takes no timestamps at all: the only
 * cost left is one branch and a counter increment.
 *
 * KVM keeps its own counters too (exits, halt_exits, insn_emulation ...).
 * Since Linux 5.14 they are read through a binary stats file descriptor
 * (KVM_GET_STATS_FD, Documentation/virt/kvm/api.rst 4.133); mvm_stats_*
 * read them by name.
 */
#ifndef MINIVMM_TRACE_H
#define MINIVMM_TRACE_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stddef.h>
#include <stdint.h>

#include "exit.h"

#define MVM_TRACE_CAP 256 /* entries kept, a power of two */

struct mvm_trace_entry {
	uint64_t t_ns;	      /* CLOCK_MONOTONIC when KVM_RUN returned */
	struct mvm_exit exit; /* the decoded exit (incl. seq, handle_ns) */
};

struct mvm_trace {
	int enabled;   /* record entries and times */
	uint64_t seq;  /* exits seen in total */
	uint64_t head; /* entries ever recorded */
	struct mvm_trace_entry ring[MVM_TRACE_CAP];
	uint64_t count[MVM_EXIT_REASONS + 1]; /* per reason; last = other */
	uint64_t ns[MVM_EXIT_REASONS + 1];    /* handler time per reason */
	uint64_t timed[MVM_EXIT_REASONS + 1]; /* exits timed (tracing on) */
};

void mvm_trace_init(struct mvm_trace *t, int enabled);
void mvm_trace_enable(struct mvm_trace *t, int on);
/* Count e (always) and store it (when enabled). */
void mvm_trace_record(struct mvm_trace *t, uint64_t t_ns,
		      const struct mvm_exit *e);
/* Entries stored, at most MVM_TRACE_CAP. */
size_t mvm_trace_len(const struct mvm_trace *t);
/* i-th newest entry (0 = newest), NULL past the end. */
const struct mvm_trace_entry *mvm_trace_get(const struct mvm_trace *t,
					    size_t i);
/* Counters for a reason (out-of-range reasons count as "other"). */
uint64_t mvm_trace_count(const struct mvm_trace *t, uint32_t reason);
uint64_t mvm_trace_mean_ns(const struct mvm_trace *t, uint32_t reason);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t mvm_now_ns(void);

/* --- KVM binary statistics ------------------------------------------- */

struct mvm_stat {
	char name[48];	/* "exits", "halt_exits", ... */
	uint64_t value; /* first value (for histograms: bucket 0) */
	uint32_t flags; /* KVM_STATS_TYPE_* | KVM_STATS_UNIT_* ... */
};

/* Open the stats fd of a VM or vCPU fd (KVM_GET_STATS_FD). -errno,
 * -EOPNOTSUPP when the kernel has no binary stats. */
int mvm_stats_open(int kvm_obj_fd);
/* Read one statistic by name. 0, -ENOENT (no such stat) or -errno. */
int mvm_stats_read(int stats_fd, const char *name, uint64_t *value);
/* Read up to max statistics into out; returns how many, or -errno. */
int mvm_stats_read_all(int stats_fd, struct mvm_stat *out, int max);

#pragma GCC visibility pop

#endif
