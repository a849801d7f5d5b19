/*
 * virtio.h - a virtio device, independent of its transport.
 *
 * A virtio device (virtio 1.2, OASIS, "Virtual I/O Device Version 1.2")
 * is the same few things whichever bus the guest finds it on:
 *
 *   - a device ID (5 "Device Types": 2 block, 3 console, 4 entropy),
 *   - 64 feature bits the device offers and the driver accepts (2.2),
 *   - a status byte the driver walks through ACKNOWLEDGE, DRIVER,
 *     FEATURES_OK, DRIVER_OK, and the device sets NEEDS_RESET in (2.1),
 *   - a device-specific configuration space (2.5),
 *   - N virtqueues, each three guest-physical areas and a size (2.6, 2.7),
 *   - a "used buffer" and a "configuration change" notification (2.3).
 *
 * A *transport* only maps registers onto these: virtio-mmio (4.2,
 * virtio_mmio.h) puts them in a 0x200-byte MMIO block, virtio-pci (4.1)
 * in PCI capabilities. So a transport calls the functions below when the
 * guest touches a register, and hands the device one callback to raise
 * its interrupt. A device model (blk, rng, console) fills a const struct
 * mvm_virtio_ops and never sees the transport.
 *
 *   transport register write --> mvm_virtio_set_status / _queue_* / ...
 *   QueueNotify (or ioeventfd) --> mvm_virtio_notify --> ops->notify
 *   device completes a buffer --> mvm_virtq_push (virtio_ring.h)
 *                             --> mvm_virtio_interrupt --> transport irq
 *
 * Writing a transport (src/virtio/mmio.c is one, in 400 lines): set
 * dev->irq and dev->irq_ctx to your interrupt callback; keep your own
 * selector registers; turn each register access into one call of the
 * "for transports" section below (features, status, queue fields,
 * notify, ISR read/ack, config read/write); lower a level-triggered
 * line when the ISR is acknowledged (take dev->lock around the ack and
 * the lower, as mmio.c's ack_irq does, so a push cannot slip between);
 * before freeing, clear dev->irq under dev->lock. A device that sets
 * ops->notify_on_vcpu must get its kicks on the vCPU thread.
 *
 * Threads. dev->lock guards every field below after init. Transport
 * calls come from vCPU threads; ops->notify is called WITHOUT the lock
 * (from a vCPU thread, or the transport's ioeventfd thread) and a device
 * may hand work to its own thread, which pops and pushes through
 * virtio_ring.h (those take the lock). A reset bumps each queue's `gen`, so
 * a request that was in flight across a reset is dropped at push time
 * instead of written into rings the driver no longer owns.
 */
#ifndef MINIVMM_VIRTIO_H
#define MINIVMM_VIRTIO_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <pthread.h>
#include <stdint.h>

#include "log.h"
#include "virtio_spec.h"
#include "machine.h"

#define MVM_VIRTIO_MAX_QUEUES 4	  /* enough for blk, rng, console */
#define MVM_VIRTQ_MAX_SIZE    256 /* largest queue size a device offers */

struct mvm_virtio_dev;

/* One split virtqueue (2.7): where the driver put it, and the device's
 * side of the indices. Configured through the transport while not ready. */
struct mvm_virtq {
	uint16_t max_size;   /* QueueNumMax the device offers (power of 2) */
	uint16_t size;	     /* QueueNum the driver chose; 0 = unused */
	int ready;	     /* QueueReady: the driver enabled it */
	uint64_t desc;	     /* Descriptor Area GPA (16-byte aligned) */
	uint64_t avail;	     /* Driver Area GPA (2-byte aligned) */
	uint64_t used;	     /* Device Area GPA (4-byte aligned) */
	uint16_t last_avail; /* next avail->ring slot the device pops */
	uint16_t used_idx;   /* the used->idx the device last published */
	uint16_t signalled;  /* used_idx at the last interrupt (EVENT_IDX) */
	unsigned gen;	     /* bumped by every reset (see Threads above) */
	/* Counters for --stats and the debugger. */
	uint64_t kicks, pops, pushes, irqs;
};

/* What a device model provides (STYLE.md 4: one const ops struct). */
struct mvm_virtio_ops {
	const char *name;    /* "virtio-blk", for logs */
	uint32_t device_id;  /* MVM_VIRTIO_ID_* */
	uint64_t features;   /* device-specific bits (MVM_VIRTIO_F_COMMON is
			       added by mvm_virtio_init) */
	unsigned nqueues;    /* queues the device has */
	uint16_t queue_max;  /* QueueNumMax of each (<= MVM_VIRTQ_MAX_SIZE) */
	uint32_t config_len; /* bytes of device configuration space */
	/* 1: kicks must reach notify on the vCPU thread (no ioeventfd),
	 * for a device that calls the machine's output callback, which is
	 * called from vCPU threads only (machine.h, rule 5). */
	int notify_on_vcpu;
	/* Read config bytes [off, off + len) (already bounds-checked against
	 * config_len) into data. Called with dev->lock held. */
	void (*config_read)(struct mvm_virtio_dev *dev, uint32_t off,
			    void *data, uint32_t len);
	/* Guest writes config bytes; optional (ignored when NULL). Lock held. */
	void (*config_write)(struct mvm_virtio_dev *dev, uint32_t off,
			     const void *data, uint32_t len);
	/* The driver made buffers available on queue q. Lock NOT held. */
	void (*notify)(struct mvm_virtio_dev *dev, unsigned q);
	/* The driver reset the device: forget device-specific state. Lock
	 * held. Optional. */
	void (*reset)(struct mvm_virtio_dev *dev);
	/* Snapshots (virtio_state.c): the model's own state, beyond what
	 * struct mvm_virtio_dev holds, as at most MVM_VIRTIO_STATE_MAX
	 * bytes; save returns the length or -errno, load checks a blob
	 * (0, or -EINVAL with a log line). Lock held, device threads
	 * parked. Optional: no hooks, no state of its own. */
	int (*save)(struct mvm_virtio_dev *dev, void *buf, uint32_t len);
	int (*load)(struct mvm_virtio_dev *dev, const void *buf, uint32_t len);
};

#define MVM_VIRTIO_STATE_MAX 512 /* bytes of a model's own state */

/* The transport's way to interrupt the guest: cause is
 * MVM_VIRTIO_INT_VRING or _CONFIG. Called with dev->lock held, from any
 * thread; must not call back into the device. */
typedef void mvm_virtio_irq_fn(void *ctx, struct mvm_virtio_dev *dev,
			       unsigned cause);

struct mvm_virtio_dev {
	const struct mvm_virtio_ops *ops; /* the device model */
	void *priv;			  /* the model's own state */
	struct mvm_dev_ctx ctx;		  /* guest memory + log */
	pthread_mutex_t lock;		  /* guards everything below */
	uint64_t offered;		  /* ops->features | COMMON */
	uint64_t accepted;		  /* what the driver wrote */
	uint8_t status;			  /* MVM_VIRTIO_S_* */
	uint32_t isr;			  /* pending MVM_VIRTIO_INT_* bits */
	uint32_t config_gen;		  /* ConfigGeneration (2.5.1) */
	struct mvm_virtq vq[MVM_VIRTIO_MAX_QUEUES];
	mvm_virtio_irq_fn *irq; /* set by the transport */
	void *irq_ctx;		/* its argument */
};

/* --- for device models --------------------------------------------------- */

/* Set dev up for ops/priv with the machine's memory and log from ctx
 * (copied). 0 or -EINVAL (too many queues, a queue_max that is not a
 * power of two). Pair with mvm_virtio_fini(). */
int mvm_virtio_init(struct mvm_virtio_dev *dev,
		    const struct mvm_virtio_ops *ops, void *priv,
		    const struct mvm_dev_ctx *ctx);
void mvm_virtio_fini(struct mvm_virtio_dev *dev);

/* Did the driver accept feature bit f? (lock not needed: stable after
 * FEATURES_OK, which comes before any queue is used.) */
int mvm_virtio_has(const struct mvm_virtio_dev *dev, unsigned f);

/* Raise `cause` (ISR bit + the transport's interrupt). Lock held. */
void mvm_virtio_interrupt(struct mvm_virtio_dev *dev, unsigned cause);

/* The driver broke the protocol: log "<name>: <why>" as a warning, set
 * NEEDS_RESET, raise a config interrupt (2.1.2). The device then ignores
 * its queues until the driver resets it. Lock held. Returns -EIO, so a
 * checker can `return mvm_virtio_fail(...)`. */
int mvm_virtio_fail(struct mvm_virtio_dev *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* --- for transports: one call per register the guest touches ------------ */

/* Feature words 0 and 1 (bits 0-31, 32-63); others read 0. */
uint32_t mvm_virtio_get_features(struct mvm_virtio_dev *dev, unsigned sel);
/* Ignored once FEATURES_OK is set (2.2.1). */
void mvm_virtio_set_features(struct mvm_virtio_dev *dev, unsigned sel,
			     uint32_t val);
uint8_t mvm_virtio_get_status(struct mvm_virtio_dev *dev);
/* Write the status byte: 0 resets the device (2.4); FEATURES_OK is kept
 * only if the accepted features are a subset of the offered ones and
 * include VERSION_1 (3.1.1); DRIVER_OK checks every ready queue's areas
 * lie in guest RAM (else NEEDS_RESET). */
void mvm_virtio_set_status(struct mvm_virtio_dev *dev, uint8_t status);
void mvm_virtio_reset(struct mvm_virtio_dev *dev);

/* Queue q's configuration; q out of range: -EINVAL / 0. While a queue is
 * ready its size and addresses are read-only (writes ignored). */
enum mvm_virtq_field {
	MVM_VIRTQ_SIZE,	 /* QueueNum (a power of 2 <= max_size) */
	MVM_VIRTQ_READY, /* QueueReady 0/1 */
	MVM_VIRTQ_DESC,	 /* 64-bit GPAs, written in two halves by mmio */
	MVM_VIRTQ_AVAIL,
	MVM_VIRTQ_USED,
	MVM_VIRTQ_MAX, /* read-only: QueueNumMax */
};
int mvm_virtio_queue_set(struct mvm_virtio_dev *dev, unsigned q,
			 enum mvm_virtq_field f, uint64_t val);
uint64_t mvm_virtio_queue_get(struct mvm_virtio_dev *dev, unsigned q,
			      enum mvm_virtq_field f);

/* QueueNotify: the driver kicked queue q. Calls ops->notify unless the
 * device is not DRIVER_OK, needs a reset or q is not ready. */
void mvm_virtio_notify(struct mvm_virtio_dev *dev, unsigned q);

/* InterruptStatus read, InterruptACK write (clears those bits); returns
 * the bits still pending. */
uint32_t mvm_virtio_isr(struct mvm_virtio_dev *dev);
uint32_t mvm_virtio_isr_ack(struct mvm_virtio_dev *dev, uint32_t bits);

/* Device configuration space access, bounds-checked (out of range reads
 * give 0, writes are ignored). */
void mvm_virtio_config_read(struct mvm_virtio_dev *dev, uint32_t off,
			    void *data, uint32_t len);
void mvm_virtio_config_write(struct mvm_virtio_dev *dev, uint32_t off,
			     const void *data, uint32_t len);
/* A device model changed its config: bump ConfigGeneration, interrupt.
 * Lock held. */
void mvm_virtio_config_changed(struct mvm_virtio_dev *dev);

#pragma GCC visibility pop

#endif
