/*
 * lab4.h - helpers shared by Lab 4's grader tests (lab4_util.c): a
 * backing file of random bytes, a machine with virtio-blk on it, a run
 * to the guest's next SYNC with a short deadline that records what the
 * driver wrote to the virtio-mmio registers, and a device-side rig on
 * host memory for the ring tests.
 */
#ifndef MINIVMM_LAB4_H
#define MINIVMM_LAB4_H

#include <pthread.h>

#include "fixture.h"
#include "grade.h"
#include "hostram.h"

#define LAB4_BUILD  MVM_LAB_BUILD_DIR "/lab4-virtio"
#define LAB4_BLK    LAB4_BUILD "/guests/lab4-blk.elf"
#define LAB4_BAD    LAB4_BUILD "/guests/lab4-badring.elf"
/* Deadline of one run to a SYNC: a guest polling a used ring that never
 * moves costs this, not the grader's whole limit. */
#define LAB4_RUN_MS 4000

/* lab4-blk.c's ops. */
enum {
	LAB4_STOP,
	LAB4_READ,
	LAB4_WRITE,
	LAB4_FLAGS,
	LAB4_USED_EVENT,
	LAB4_AVAIL_EVENT
};

struct lab4 {
	struct mvm_machine *m;
	struct mvm_virtio_blk *blk;
	pthread_mutex_t lock; /* the log: device threads write it too */
	char log[8192];
	size_t loglen;
	char disk[64];	   /* the backing file */
	uint64_t sectors;  /* its size */
	uint64_t features; /* what the guest driver accepted */
	uint64_t buf;	   /* GPA of lab4-blk.c's buffer */
	/* virtio-mmio accesses the test saw (the driver's side) */
	uint32_t status_w[32]; /* values written to Status, in order */
	unsigned nstatus;
	uint32_t drv_sel, drv_feat[2]; /* DriverFeatures words written */
	unsigned kick_exits;	       /* QueueNotify writes that exited */
	unsigned exits;		       /* every exit of vCPU 0 */
};

/* Skip the test, saying why, when KVM is not usable here. */
void lab4_require_kvm(void);

/* A backing file of `sectors` random sectors for t. */
void lab4_disk(struct lab4 *t, uint64_t sectors);
/* A machine for image with virtio-blk on t->disk: transport (MVM_VIRTIO_
 * TRANSPORT_*), plain (every kick an exit), ro (read-only disk). */
void lab4_machine(struct lab4 *t, const char *image, int transport, int plain,
		  int ro);
void lab4_free(struct lab4 *t);

/* Run vCPU 0 to the guest's next SYNC and fail the test, saying what
 * happened instead (and `why` as a hint), unless it is stage `stage`. */
#define lab4_to_sync(t, uc, stage, why) \
	lab4_to_sync_at(t, uc, stage, why, __FILE__, __LINE__)
void lab4_to_sync_at(struct lab4 *t, struct mvm_ucall *uc, uint64_t stage,
		     const char *why, const char *file, int line);

/* lab4-blk.elf: set the disk up over transport asking for `want`;
 * fails the test unless the driver got through (t->features, t->buf). */
void lab4_blk_start(struct lab4 *t, int transport, uint64_t want);
/* One step of lab4-blk.elf; its result (SYNC {2, result}). */
uint64_t lab4_step(struct lab4 *t, uint64_t op, uint64_t sector, uint64_t n);
/* The guest's buffer, and the backing file, read or written. */
void lab4_guest_rw(struct lab4 *t, int write, void *p, size_t len);
void lab4_file_rw(struct lab4 *t, int write, uint64_t off, void *p, size_t len);
/* The disk's queue 0, copied under the device's lock. */
struct mvm_virtq lab4_queue(struct lab4 *t);
/* The log so far (a copy, NUL-terminated). */
void lab4_log(struct lab4 *t, char *out, size_t size);

/* A random number (seeded from the time and pid once). */
uint64_t lab4_rand(void);

/* --- the device side on host memory (no KVM) ----------------------------- */

#define RIG_RAM	  (1u << 20)
#define RIG_QSIZE 8
#define RIG_DESC  0x1000ULL
#define RIG_AVAIL 0x2000ULL
#define RIG_USED  0x3000ULL
#define RIG_BUF	  0x10000ULL /* buffers, 0x1000 apart */

/* A virtio device with one queue of RIG_QSIZE at RIG_DESC/AVAIL/USED in
 * host memory standing in for guest RAM; the test plays the driver. */
struct rig {
	struct hostram *h;
	struct mvm_virtio_dev dev;
	struct mvm_log log;
	char msg[512];	    /* the last message logged */
	unsigned nirq;	    /* used-buffer interrupts */
	unsigned causes;    /* MVM_VIRTIO_INT_* raised */
	uint16_t avail_idx; /* the driver's next avail->idx */
};
void rig_init(struct rig *r, uint64_t features);
void rig_free(struct rig *r);
void rig_desc(struct rig *r, uint64_t table, unsigned i, uint64_t addr,
	      uint32_t len, uint16_t flags, uint16_t next);
void rig_offer(struct rig *r, uint16_t head);
uint16_t rig_rd16(struct rig *r, uint64_t gpa);
void rig_wr16(struct rig *r, uint64_t gpa, uint16_t v);
/* Pop from queue 0; fail the test, with what the device logged, unless
 * mvm_virtq_pop() returns want. */
void rig_pop(struct rig *r, struct mvm_virtq_chain *c, int want,
	     const char *what);
/* The driver broke the ring: fail the test unless the pop said -EIO,
 * the device set NEEDS_RESET, raised a config interrupt, logged a
 * message containing `why`, and keeps refusing quietly. */
void rig_expect_refused(struct rig *r, int pop_rc, const char *why,
			const char *what);

#endif
