/*
 * virtio_internal.h - what the virtio files share and programs do not
 * see: the gate a device thread passes through, so the machine's pause
 * (machine.h: "a paused machine is quiet") can wait until no virtio
 * thread is touching guest memory.
 */
#ifndef MINIVMM_VIRTIO_INTERNAL_H
#define MINIVMM_VIRTIO_INTERNAL_H

#include <pthread.h>

/* A thread holds the gate while it works; a pause closes it and waits
 * until the holder leaves. Pauses nest. */
struct vgate {
	pthread_mutex_t mu; /* guards the two counters */
	pthread_cond_t cv;  /* either counter changed */
	int paused;	    /* pauses in force */
	int busy;	    /* a thread is inside */
};

void mvm_vgate_init(struct vgate *g);
void mvm_vgate_fini(struct vgate *g);
void mvm_vgate_enter(struct vgate *g); /* waits while paused */
void mvm_vgate_leave(struct vgate *g);
void mvm_vgate_pause(struct vgate *g); /* returns once nobody is inside */
void mvm_vgate_resume(struct vgate *g);

/* A transport's kick thread (the ioeventfd fast path): wait on the nq
 * queues' eventfds and `stop`; each kick becomes mvm_virtio_notify()
 * inside the gate. Returns when `stop` is readable. */
struct mvm_virtio_dev;
void mvm_virtio_serve_kicks(struct mvm_virtio_dev *dev, const int *kick,
			    unsigned nq, int stop, struct vgate *gate);

/* The gates of the transports' and devices' threads (the machine's
 * pause hook, vmachine.c, closes them all). */
struct mvm_virtio_mmio;
struct mvm_virtio_blk;
struct vgate *mvm_virtio_mmio_gate(struct mvm_virtio_mmio *t);
struct vgate *mvm_virtio_blk_gate(struct mvm_virtio_blk *b);
struct mvm_virtio_console;
struct vgate *mvm_virtio_console_gate(struct mvm_virtio_console *c);

#endif
