/*
 * virtio_internal.h - what the virtio files share and programs do not
 * see: the gate a device thread passes through, so the machine's pause
 * (machine.h: "a paused machine is quiet") can wait until no virtio
 * thread is touching guest memory.
 */
#ifndef MINIVMM_VIRTIO_INTERNAL_H
#define MINIVMM_VIRTIO_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

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

/* blk.c: the absolute path of the disk's file (snapshots record it). 0,
 * or -errno (-ENAMETOOLONG: len too small). */
int mvm_virtio_blk_path(const struct mvm_virtio_blk *b, char *buf, size_t len);

/* mmio.c, for virtio_state.c: the three selector registers out (load
 * 0) or in (load 1, which also puts the line back as the ISR says). */
void mvm_virtio_mmio_regs(struct mvm_virtio_mmio *t, uint32_t sel[3], int load);

/* virtio_state.c: a machine's virtio device in layout.h slot `slot` as
 * a snapshot DEVICE section (snapshot.h, MVM_SNAP_DEV_VIRTIO). save:
 * the blob's length into buf (*name the device's), 0 when the slot is
 * empty, or -errno. load: 0, or -errno with a log line saying what in
 * the blob the device refused. Both with the machine quiet (paused,
 * device threads parked). */
struct mvm_machine;
int mvm_machine_virtio_save_slot(struct mvm_machine *m, unsigned slot,
				 const char **name, void *buf, size_t len);
int mvm_machine_virtio_load_slot(struct mvm_machine *m, unsigned slot,
				 const char *name, const void *buf, size_t len);

#endif
