/*
 * mig6.h - what the final project's graded tests share (mig6.c): a
 * source machine running the counter guest, a target receiving it on a
 * thread of the test, the live rounds on a third thread, and the two
 * ways a test makes the source dirty memory at a rate it controls.
 *
 * The tests judge what they observe themselves: the guest's output on
 * the source and then on the target (every count line once, the final
 * checksum the test computes too), the bytes of guest RAM on both sides,
 * the ROUND messages the target received, and the pages per round the
 * library's own round code (not the student's loop) recorded.
 *
 * Dirtying under the test's control goes through the VMM's write path
 * (mvm_vm_write(): the dirty log records the VMM's own writes, memory.h)
 * into the top of RAM, above anything the counter guest uses:
 *   burst   BURST_PAGES pages written once, after logging is on and
 *           before the rounds start (as a device filling a buffer
 *           would): round 0 sends them, and they are dirty again at
 *           the first collect, whatever the machine's speed;
 *   writer  a thread rewriting HOT_PAGES pages over and over while the
 *           rounds run: a workload no round can catch up with.
 */
#ifndef MIG6_H
#define MIG6_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "minivmm/minivmm.h"

#define MIG6_RAM    (96ull << 20) /* the counter guest uses < 40 MiB */
#define BURST_GPA   (64ull << 20) /* the test's own pages: 64..80 MiB */
#define BURST_PAGES 4096	  /* 16 MiB */
#define HOT_PAGES   4096
#define MIG6_RUN_MS 20000 /* a whole counter run, with room to spare */

/* Guest output and library log of one side. */
struct mig6_box {
	char out[16384];
	size_t len;
	char log[8192];
	size_t log_len;
	pthread_mutex_t lock; /* both threads of a side log */
};

struct mig6 {
	/* source */
	struct mig6_box src_b;
	struct mvm_machine *src;
	int sfd; /* its end of the connection */
	struct mvm_migrate *mg;
	int live_rc, finish_rc;	     /* mvm_migrate_live(), _finish() */
	struct mvm_migrate_stats st; /* copied before destroy */
	atomic_int live_done;
	pthread_t live_thread;
	/* the test's writer thread */
	atomic_int writer_stop;
	pthread_t writer_thread;
	int have_writer;
	/* target */
	struct mig6_box dst_b;
	int dfd;
	struct mvm_machine *dst; /* what it received, or NULL */
	unsigned rounds;	 /* ROUND messages it saw */
	int recv_rc;		 /* mvm_migrate_receive() */
	pthread_t target_thread;
};

/* The counter guest with its two input digits (level, length) on COM1. */
void mig6_boot(struct mig6 *t, const char *input);
/* Step the source until the guest printed line. */
void mig6_run_to_line(struct mig6 *t, const char *line);
/* Connect over loopback, start the target thread, mvm_migrate_create(). */
void mig6_start(struct mig6 *t, const struct mvm_migrate_params *p);
/* The burst (see above). */
void mig6_burst(struct mig6 *t);
/* The writer thread (see above); stop waits for it. */
void mig6_writer_start(struct mig6 *t);
void mig6_writer_stop(struct mig6 *t);
/* mvm_migrate_live() on a thread; run_guest: step the guest meanwhile.
 * Returns what it returned (also in t->live_rc). */
int mig6_live(struct mig6 *t, int run_guest);
/* After a live success: mvm_migrate_finish(); then destroy, close,
 * join the target. After a failure: only the rest. */
void mig6_end(struct mig6 *t);
/* Step m to its end; its verdict. */
enum mvm_verdict mig6_run_out(struct mvm_machine *m);
/* Destroy both machines. */
void mig6_free(struct mig6 *t);

/* The whole counter run of iters iterations at (window, per_iter) is in
 * out: every count line once and in order, the final line with the
 * test's own sum. */
void mig6_expect_whole_run(const char *out, unsigned iters, unsigned window,
			   unsigned per_iter);
/* Source and target RAM are byte for byte the same. */
void mig6_expect_same_ram(struct mig6 *t);
/* The live rounds recorded (round 0 and dirty rounds, no stop-and-copy). */
int mig6_live_rounds(const struct mvm_migrate_stats *st);
/* The best bytes per ns of a live round over 1 MiB: the rate the
 * downtime budget is measured in (migrate.h). */
double mig6_best_rate(const struct mvm_migrate_stats *st);

#endif
