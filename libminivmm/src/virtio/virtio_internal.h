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

void vgate_init(struct vgate *g);
void vgate_fini(struct vgate *g);
void vgate_enter(struct vgate *g); /* waits while paused */
void vgate_leave(struct vgate *g);
void vgate_pause(struct vgate *g); /* returns once nobody is inside */
void vgate_resume(struct vgate *g);

/* The gates of the transports' and devices' threads (the machine's
 * pause hook, vmachine.c, closes them all). */
struct mvm_virtio_mmio;
struct mvm_virtio_blk;
struct vgate *vmmio_gate(struct mvm_virtio_mmio *t);
struct vgate *vblk_gate(struct mvm_virtio_blk *b);

#endif
