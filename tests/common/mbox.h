/*
 * mbox.h - a machine for tests that run vCPU threads: output and log
 * captured behind a mutex (machine.h, rule 5: callbacks must be
 * thread-safe with several vCPUs).
 */
#ifndef MINIVMM_TEST_MBOX_H
#define MINIVMM_TEST_MBOX_H

#include <pthread.h>
#include <stddef.h>

#include "minivmm/minivmm.h"

struct box {
	pthread_mutex_t lock; /* guards the buffers */
	char out[4096];	      /* guest output */
	size_t len;
	char log[8192]; /* library log, one message per line */
	size_t loglen;
};

/* Create the machine cfg describes with b capturing output and log;
 * skips the program without KVM, fails the test on error. */
struct mvm_machine *mbox_machine(struct box *b, struct mvm_machine_config *cfg);

#endif
