/*
 * line_internal.h - struct mvm_irq_line, shared by line.c (the line and
 * its edge paths) and resample.c (level lines over an irqfd).
 */
#ifndef MINIVMM_IRQ_LINE_INTERNAL_H
#define MINIVMM_IRQ_LINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "minivmm/irq.h"
#include "minivmm/vm.h"

struct mvm_irq_line {
	struct mvm_vm *vm;	  /* owner; NULL allowed for MVM_IRQ_USER */
	enum mvm_irq_kind kind;	  /* which path to the guest */
	unsigned gsi;		  /* controller input */
	struct mvm_irq_sink sink; /* MVM_IRQ_USER: the controller's pin */
	int efd;		  /* MVM_IRQ_IRQFD: the edge irqfd; else -1 */
	int assigned;		  /* efd is registered with KVM_IRQFD */
	atomic_int level;	  /* last level set, read without the lock */
	pthread_mutex_t lock;	  /* orders deliveries on this line */
	/* MVM_IRQ_IRQFD level path (resample.c), built on the first raise */
	int lfd;	  /* level irqfd (KVM_IRQFD_FLAG_RESAMPLE); or -1 */
	int rfd;	  /* resample eventfd KVM signals on EOI; or -1 */
	int stopfd;	  /* tells the resampler thread to exit; or -1 */
	int lassigned;	  /* lfd is registered with KVM_IRQFD */
	int thread_alive; /* the resampler thread was started */
	pthread_t thread; /* re-asserts lfd after EOIs while level is 1 */
};

/* The VM's log, or none for a USER line without a VM. */
const struct mvm_log *mvm_irq_line_log(const struct mvm_irq_line *line);

/* Write 1 to an eventfd; 0 or -errno. */
int mvm_irq_kick(int fd);

/* Level over an irqfd (resample.c); lock held by the caller for
 * assert, not held for stop. */
int mvm_irq_resample_assert(struct mvm_irq_line *line);
void mvm_irq_resample_stop(struct mvm_irq_line *line);

#endif
