/*
 * migrate.h - pre-copy live migration: a running machine moves to
 * another process over a stream socket (deck 10, "pre-copy").
 *
 * The source keeps its guest running while it copies RAM:
 *
 *   round 0         every page with data, while the guest runs
 *   round 1, 2, ... the pages the dirty log (vm.h, mvm_vm_dirty_log():
 *                   the guest's writes and the VMM's own) reports as
 *                   written during the round before, guest running
 *   stop-and-copy   when the pages left would take less than the
 *                   downtime budget to send, or the rounds stop
 *                   shrinking, or the round limit is reached: the
 *                   machine pauses, the last dirty pages go, then the
 *                   vCPU, VM and device state
 *   resume          the target loads the state, answers ACK and runs;
 *                   the source, told so, stops for good.
 * Downtime is the time from the source's pause to the target's ACK.
 *
 * The stream (version 1) is a sequence of messages, each the snapshot
 * file's 64-byte section header (snapshot.h) followed by its body. The
 * state sections are the snapshot's own (CONFIG, VM, VCPU, DEVICE,
 * LABMSR, END: same types, same bodies); in a stream the header's
 * `offset` field holds the message's sequence number (0, 1, 2, ...),
 * and there are four stream-only types:
 *
 *   type        aux       flags      body
 *   HELLO 0x100 0         0          struct of magic "MVMMIGR\0",
 *                                    u32 version, u32 page size
 *   PAGES 0x101 round     entries n  n u64 entries (a page's GPA, bit 0
 *                                    set: the page is all zero), then
 *                                    4096 bytes for each entry with
 *                                    bit 0 clear, in entry order
 *   ROUND 0x102 round     0          none: the round is complete
 *   ACK   0x103 0         0          none: target -> source, the state
 *                                    is in, the guest resumes now
 *
 *   source -> target: HELLO CONFIG (PAGES* ROUND)+ VM VCPU...
 *                     DEVICE... [LABMSR] END
 *                     (the last ROUND closes the stop-and-copy)
 *   target -> source: ACK
 *
 * Every header carries its own CRC-32 and its body's, and the receiver
 * checks, before it uses a byte: the header crc, the sequence number,
 * the type against the point of the stream it is at, the length against
 * the type's bound (a PAGES body exactly 8n + 4096 * (non-zero
 * entries), n <= MVM_MIGRATE_BATCH), the body crc, each page's GPA
 * (4 KiB aligned, inside one RAM slot of the new machine) and each
 * state body's size. A message that fails any check ends the migration
 * with a message naming the message and the check.
 *
 * Failure: a broken connection or a refusal at any point is an error on
 * both sides. The source turns its dirty logging off and runs on as if
 * nothing happened (its guest was never stopped for long); the target
 * destroys the half-built machine. Errors are -errno: -EPIPE or
 * -ECONNRESET the peer went away, -ENODATA the stream ended inside a
 * message, -EBADMSG a checksum, -EPROTO a message out of place or
 * malformed, -EPROTONOSUPPORT another version, -ETIMEDOUT no ACK in
 * time. One window no protocol closes (the two generals): the target
 * has sent its ACK and runs, and the connection breaks before the ACK
 * arrives; the source then runs on too. The target sends the ACK
 * before its first instruction, so this needs a failure within the
 * ACK's one-way trip.
 *
 * Statistics (struct mvm_migrate_stats) count what each round sent and
 * how fast the guest dirtied pages meanwhile; params.bandwidth caps the
 * live rounds as a shared link would (QEMU calls it max-bandwidth),
 * which is how a slow link's non-convergence is shown on a fast host.
 *
 * Threads: the source side is two calls. mvm_migrate_live() runs the
 * rounds on any thread while the machine runs (it reads guest RAM and
 * the dirty log, both safe concurrently: vm.h); mvm_migrate_finish() and
 * _create()/_destroy() need the machine quiet (paused, or between two
 * steps of the thread that steps it). mvm_migrate_cancel() may be called
 * from any thread to make a running mvm_migrate_live() return.
 */
#ifndef MINIVMM_MIGRATE_H
#define MINIVMM_MIGRATE_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stdint.h>

#include "machine.h"

#define MVM_MIGRATE_MAGIC   "MVMMIGR"
#define MVM_MIGRATE_VERSION 2
#define MVM_MIGRATE_BATCH   256 /* pages per PAGES message, at most */
#define MVM_MIGRATE_ROUNDS  64	/* rounds recorded, at most */

/* Stream-only message types (the state sections use enum mvm_snap_type). */
enum mvm_migrate_type {
	MVM_MIG_HELLO = 0x100,
	MVM_MIG_PAGES = 0x101,
	MVM_MIG_ROUND = 0x102,
	MVM_MIG_ACK = 0x103,
};

/* Phases, for statistics and the fault hook. */
enum mvm_migrate_phase {
	MVM_MIG_PHASE_ROUND0,  /* first copy of all memory */
	MVM_MIG_PHASE_DIRTY,   /* a dirty round, guest running */
	MVM_MIG_PHASE_STOP,    /* stop-and-copy: the last pages */
	MVM_MIG_PHASE_DEVICES, /* vCPU, VM and device state */
	MVM_MIG_PHASES
};
const char *mvm_migrate_phase_name(unsigned phase);

/* Why the live rounds ended. */
enum mvm_migrate_stop {
	MVM_MIG_CONVERGED,   /* what is left fits the downtime budget */
	MVM_MIG_NO_PROGRESS, /* three rounds without shrinking by 10% */
	MVM_MIG_ROUND_LIMIT, /* max_rounds reached */
};

struct mvm_migrate_params {
	unsigned max_rounds;  /* live rounds, round 0 included; 0 = 30 */
	unsigned downtime_ms; /* budget for stop-and-copy; 0 = 20 */
	unsigned ack_ms;      /* wait for the target's ACK; 0 = 10000 */
	unsigned bandwidth;   /* MiB/s cap on the live rounds, as a
				 shared link imposes; 0 = none */
	/* Test-only fault hook: when the source is about to send its
	 * fault_after-th message (counted from 0) of phase fault_phase, it
	 * shuts the connection down instead, as a cable pulled there would.
	 * fault_after 0 = off (so the 1st message is fault_after 1). */
	unsigned fault_phase; /* enum mvm_migrate_phase */
	unsigned fault_after; /* 0 = no fault */
};

/* One round as measured by the source. */
struct mvm_migrate_round {
	unsigned phase;	   /* enum mvm_migrate_phase */
	uint64_t pages;	   /* pages sent (zero pages included) */
	uint64_t bytes;	   /* bytes on the wire, headers included */
	uint64_t ns;	   /* how long sending them took */
	double dirty_rate; /* MiB/s the guest dirtied in the round
				before (pages / its duration); 0 for 0 */
};

struct mvm_migrate_stats {
	int nrounds; /* entries in round[] */
	struct mvm_migrate_round round[MVM_MIGRATE_ROUNDS + 1]; /* + stop */
	enum mvm_migrate_stop stop; /* why the rounds ended */
	uint64_t pages, bytes;	    /* totals */
	uint64_t total_ns;	    /* create to ACK */
	uint64_t downtime_ns;	    /* pause (finish) to ACK */
};

struct mvm_migrate;

/*
 * Start a migration of m over the connected stream socket fd (not
 * owned): switches dirty logging on for every memory slot, sends HELLO
 * and CONFIG. m must be quiet (see Threads). 0 and *out, or -errno.
 */
int mvm_migrate_create(struct mvm_machine *m, int fd,
		       const struct mvm_migrate_params *p,
		       struct mvm_migrate **out);
/*
 * The live rounds, guest running: round 0, then dirty rounds until one
 * of enum mvm_migrate_stop says stop. 0: ready for
 * mvm_migrate_finish(); -errno: the migration failed (the log says why)
 * or was cancelled (-ECANCELED); destroy it and run on.
 */
int mvm_migrate_live(struct mvm_migrate *mg);
/* Make mvm_migrate_live() return -ECANCELED soon; any thread. */
void mvm_migrate_cancel(struct mvm_migrate *mg);
/*
 * Stop-and-copy, m quiet: the last dirty pages, the state sections, END;
 * then wait for the target's ACK. 0: the target runs the guest now (the
 * source must not run it again); -errno: failed, m is unchanged and may
 * run on after mvm_migrate_destroy().
 */
int mvm_migrate_finish(struct mvm_migrate *mg);
/* The numbers so far. */
const struct mvm_migrate_stats *mvm_migrate_stats(const struct mvm_migrate *mg);
/* Switch the dirty logging create() switched on back off (m quiet) and
 * free; accepts NULL. Does not close fd. */
void mvm_migrate_destroy(struct mvm_migrate *mg);

/*
 * The target: read a whole migration from fd, build the machine
 * (base as for mvm_snapshot_restore(): callbacks and log; may be NULL),
 * load its state and answer ACK. 0 and *out, a machine ready to run on,
 * or -errno with *out NULL (the log names the message at fault).
 * rounds, if not NULL, gets the number of ROUND messages seen (the
 * live rounds and the stop-and-copy).
 */
int mvm_migrate_receive(int fd, const struct mvm_machine_config *base,
			struct mvm_machine **out, unsigned *rounds);

#pragma GCC visibility pop

#endif
