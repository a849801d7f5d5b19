/*
 * lab3.h - helpers shared by Lab 3's grader tests (lab3_util.c): a
 * machine with the user-space 8259A and 8254 (or KVM's own), run to the
 * guest's next SYNC with a short deadline.
 */
#ifndef MINIVMM_LAB3_H
#define MINIVMM_LAB3_H

#include <stdatomic.h>

#include "fixture.h"
#include "grade.h"
#include "../lab3-measured.h"

#define LAB3_BUILD  MVM_LAB_BUILD_DIR "/lab3-interrupts"
/* Deadline of one run to a SYNC: a guest waiting for an interrupt that
 * never comes costs this, not the grader's whole limit. */
#define LAB3_RUN_MS 4000

/* How long a pulse or an eventfd write may take to run the guest's
 * handler before a test calls the interrupt lost. KVM's PIC takes an
 * irqfd's edge from a kernel work item, which a loaded host can leave
 * waiting for seconds (4.5 s seen with two busy loops on 2 cores; the
 * other paths answer within milliseconds): only a generous limit tells
 * a lost interrupt from a late one. */
#define LAB3_IRQ_WAIT_MS 8000
/* A test that may wait so: the grader gives it 20 s rather than its
 * default 10 (serial: 1 when it times things and must run alone). */
#define LAB3_TEST_IRQ_WAIT(f, pts, task, serial)               \
	{                                                      \
#f, (pts), (task), f, NULL, NULL, (serial), 20 \
	}

struct lab3 {
	struct mvm_machine *m;
	struct mvm_pic *pic;	/* user path only */
	struct mvm_pit *pit;	/* user and irqfd paths */
	_Atomic uint64_t exits; /* exits to user space seen by the runs */
	char log[8192];
	size_t loglen;
};

/* A machine for image (a path) on the user-space path (user = 1: PIC +
 * PIT attached, HLT waits in user space) or KVM's in-kernel irqchip. */
void lab3_machine(struct lab3 *t, const char *image, int user);
/* The same for any of the three paths; LAB3_IRQFD is KVM's PIC with
 * every device line an irqfd and the user-space 8254 attached
 * (MVM_MIRQ_IRQFD | MVM_MIRQ_USER_PIT). */
void lab3_machine_on(struct lab3 *t, const char *image, enum lab3_path path);
void lab3_free(struct lab3 *t);
extern const char *const lab3_path_name[LAB3_NPATHS];

/* Counts every exit into t->exits (an mvm_exit_cb; ctx is the lab3). */
void lab3_count_exit(void *ctx, struct mvm_vcpu *vcpu,
		     const struct mvm_exit *e);

/*
 * The latency guest (examples/irq-latency.c) on a vCPU thread: it unmasks
 * only IRQ 5 and idles in `sti; hlt`; its handler's first instruction is
 * an OUT to MVM_PORT_MEASURE, which this probe counts and timestamps.
 */
#define LAB3_PROBE_IRQ 5
struct lab3_probe {
	_Atomic uint64_t runs;	     /* handler entries seen */
	_Atomic uint64_t handler_ns; /* time of the last one */
	_Atomic int ready;	     /* the guest is idling */
};
/* Start it (threaded, with a deadline) and wait for the guest to idle;
 * returns the machine's line for LAB3_PROBE_IRQ. */
struct mvm_irq_line *lab3_probe_start(struct lab3 *t, struct lab3_probe *p,
				      enum lab3_path path);
/* Wait up to ms for the handler to have run n times in all; the count. */
uint64_t lab3_probe_wait(struct lab3_probe *p, uint64_t n, unsigned ms);
/* CLOCK_MONOTONIC in ns; sleep for us microseconds. */
uint64_t lab3_now_ns(void);
void lab3_sleep_us(unsigned us);

/* Run vCPU 0 to the guest's next SYNC and fail the test, saying what
 * happened instead (and `why` as a hint), unless it is stage `stage`. */
#define lab3_to_sync(t, uc, stage, why) \
	lab3_to_sync_at(t, uc, stage, why, __FILE__, __LINE__)
void lab3_to_sync_at(struct lab3 *t, struct mvm_ucall *uc, uint64_t stage,
		     const char *why, const char *file, int line);

/* Seconds on CLOCK_MONOTONIC. */
double lab3_now(void);

#endif
