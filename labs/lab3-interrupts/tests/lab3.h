/*
 * lab3.h - helpers shared by Lab 3's grader tests (lab3_util.c): a
 * machine with the user-space 8259A and 8254 (or KVM's own), run to the
 * guest's next SYNC with a short deadline.
 */
#ifndef MINIVMM_LAB3_H
#define MINIVMM_LAB3_H

#include "fixture.h"
#include "grade.h"

#define LAB3_BUILD  MVM_LAB_BUILD_DIR "/lab3-interrupts"
/* Deadline of one run to a SYNC: a guest waiting for an interrupt that
 * never comes costs this, not the grader's whole limit. */
#define LAB3_RUN_MS 4000

struct lab3 {
	struct mvm_machine *m;
	struct mvm_pic *pic; /* NULL on the in-kernel path */
	struct mvm_pit *pit; /* NULL on the in-kernel path */
	char log[8192];
	size_t loglen;
};

/* A machine for image (a path) on the user-space path (user = 1: PIC +
 * PIT attached, HLT waits in user space) or KVM's in-kernel irqchip. */
void lab3_machine(struct lab3 *t, const char *image, int user);
void lab3_free(struct lab3 *t);

/* Run vCPU 0 to the guest's next SYNC and fail the test, saying what
 * happened instead (and `why` as a hint), unless it is stage `stage`. */
#define lab3_to_sync(t, uc, stage, why) \
	lab3_to_sync_at(t, uc, stage, why, __FILE__, __LINE__)
void lab3_to_sync_at(struct lab3 *t, struct mvm_ucall *uc, uint64_t stage,
		     const char *why, const char *file, int line);

/* Seconds on CLOCK_MONOTONIC. */
double lab3_now(void);

#endif
