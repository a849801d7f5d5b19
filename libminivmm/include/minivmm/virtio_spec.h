/*
 * virtio_spec.h - the virtio 1.2 wire format: numbers and layouts both
 * sides of the protocol share, and nothing else.
 *
 * The device side (virtio.h, virtio_ring.h, virtio_mmio.h,
 * virtio_devs.h) and the guests' driver (examples/runtime/virtio.h)
 * include this one file, so the two can never disagree about a bit. It
 * has no includes but <stdint.h> and no functions: freestanding guest
 * code can use it.
 */
#ifndef MINIVMM_VIRTIO_SPEC_H
#define MINIVMM_VIRTIO_SPEC_H

/* Visibility pragmas as in every public header (no functions here). */
#pragma GCC visibility push(default)

#include <stdint.h>

/* --- the device (2, 6) --- */

/* Device IDs (virtio 1.2, 5 "Device Types"). */
#define MVM_VIRTIO_ID_NET     1
#define MVM_VIRTIO_ID_BLOCK   2
#define MVM_VIRTIO_ID_CONSOLE 3
#define MVM_VIRTIO_ID_RNG     4
#define MVM_VIRTIO_ID_BALLOON 5

/* Device status bits (2.1). */
#define MVM_VIRTIO_S_ACKNOWLEDGE 0x01
#define MVM_VIRTIO_S_DRIVER	 0x02
#define MVM_VIRTIO_S_DRIVER_OK	 0x04
#define MVM_VIRTIO_S_FEATURES_OK 0x08
#define MVM_VIRTIO_S_NEEDS_RESET 0x40
#define MVM_VIRTIO_S_FAILED	 0x80

/* Reserved (transport/ring) feature bits (6 "Reserved Feature Bits"). */
#define MVM_VIRTIO_F_INDIRECT_DESC 28 /* descriptor tables (2.7.5.3) */
#define MVM_VIRTIO_F_EVENT_IDX	   29 /* used_event/avail_event (2.7.10) */
#define MVM_VIRTIO_F_VERSION_1	   32 /* a modern (1.x) device */
#define MVM_VIRTIO_BIT(f)	   (1ULL << (f))

/* What every device here offers besides its own bits. */
#define MVM_VIRTIO_F_COMMON                           \
	(MVM_VIRTIO_BIT(MVM_VIRTIO_F_VERSION_1) |     \
	 MVM_VIRTIO_BIT(MVM_VIRTIO_F_INDIRECT_DESC) | \
	 MVM_VIRTIO_BIT(MVM_VIRTIO_F_EVENT_IDX))

/* Interrupt causes: the bits of virtio-mmio's InterruptStatus (4.2.2)
 * and of virtio-pci's ISR byte (4.1.4.5), which agree. */
#define MVM_VIRTIO_INT_VRING  0x1 /* a used buffer was added */
#define MVM_VIRTIO_INT_CONFIG 0x2 /* config changed, or NEEDS_RESET */

/* --- split virtqueues (2.7) --- */

/* Descriptor flags (2.7.5). */
#define MVM_VIRTQ_DESC_F_NEXT	       1
#define MVM_VIRTQ_DESC_F_WRITE	       2
#define MVM_VIRTQ_DESC_F_INDIRECT      4
/* avail->flags: the driver wants no interrupts (2.7.7, no EVENT_IDX). */
#define MVM_VIRTQ_AVAIL_F_NO_INTERRUPT 1
/* used->flags: the device wants no kicks (2.7.7, no EVENT_IDX). */
#define MVM_VIRTQ_USED_F_NO_NOTIFY     1

/* The guest's layout, for guest drivers and tests (2.7.5, 2.7.6, 2.7.8). */
struct mvm_vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
struct mvm_vring_used_elem {
	uint32_t id;  /* head of the chain */
	uint32_t len; /* bytes the device wrote into it */
};
/* Bytes of each area for a queue of n entries (with the event words). */
#define MVM_VRING_DESC_BYTES(n)	 (16ULL * (n))
#define MVM_VRING_AVAIL_BYTES(n) (6ULL + 2ULL * (n))
#define MVM_VRING_USED_BYTES(n)	 (6ULL + 8ULL * (n))

/* --- virtio-mmio (4.2) --- */

/* Register block (4.2.2, "MMIO Device Register Layout"); all 32-bit. */
#define MVM_VMMIO_MAGIC		0x000 /* R: 0x74726976, "virt" */
#define MVM_VMMIO_VERSION	0x004 /* R: 2 (1 is the legacy layout) */
#define MVM_VMMIO_DEVICE_ID	0x008 /* R: MVM_VIRTIO_ID_* */
#define MVM_VMMIO_VENDOR_ID	0x00c /* R */
#define MVM_VMMIO_DEV_FEATURES	0x010 /* R: offered bits, word DEV_SEL */
#define MVM_VMMIO_DEV_FEAT_SEL	0x014 /* W */
#define MVM_VMMIO_DRV_FEATURES	0x020 /* W: accepted bits, word DRV_SEL */
#define MVM_VMMIO_DRV_FEAT_SEL	0x024 /* W */
#define MVM_VMMIO_QUEUE_SEL	0x030 /* W: which queue the next 8 mean */
#define MVM_VMMIO_QUEUE_NUM_MAX 0x034 /* R */
#define MVM_VMMIO_QUEUE_NUM	0x038 /* W: queue size */
#define MVM_VMMIO_QUEUE_READY	0x044 /* RW */
#define MVM_VMMIO_QUEUE_NOTIFY	0x050 /* W: the queue index (a kick) */
#define MVM_VMMIO_INT_STATUS	0x060 /* R: MVM_VIRTIO_INT_* */
#define MVM_VMMIO_INT_ACK	0x064 /* W */
#define MVM_VMMIO_STATUS	0x070 /* RW: MVM_VIRTIO_S_*, 0 resets */
#define MVM_VMMIO_QUEUE_DESC_LO 0x080 /* W: 64-bit GPAs in halves */
#define MVM_VMMIO_QUEUE_DESC_HI 0x084
#define MVM_VMMIO_QUEUE_DRV_LO	0x090 /* Driver Area (avail ring) */
#define MVM_VMMIO_QUEUE_DRV_HI	0x094
#define MVM_VMMIO_QUEUE_DEV_LO	0x0a0 /* Device Area (used ring) */
#define MVM_VMMIO_QUEUE_DEV_HI	0x0a4
#define MVM_VMMIO_CONFIG_GEN	0x0fc /* R: ConfigGeneration */
#define MVM_VMMIO_CONFIG	0x100 /* device configuration space */

#define MVM_VMMIO_MAGIC_VALUE 0x74726976u
#define MVM_VMMIO_VENDOR      0x4d564d00u /* "MVM\0", made up */

/* --- virtio-blk (5.2) --- */

#define MVM_VIRTIO_BLK_F_SEG_MAX 2 /* config seg_max is valid (5.2.3) */
#define MVM_VIRTIO_BLK_F_RO	 5 /* the disk is read-only (5.2.3) */
#define MVM_VIRTIO_BLK_F_FLUSH	 9 /* the FLUSH request exists */

/* Request types and status values (5.2.6). */
#define MVM_VIRTIO_BLK_T_IN	0
#define MVM_VIRTIO_BLK_T_OUT	1
#define MVM_VIRTIO_BLK_T_FLUSH	4
#define MVM_VIRTIO_BLK_T_GET_ID 8
#define MVM_VIRTIO_BLK_S_OK	0
#define MVM_VIRTIO_BLK_S_IOERR	1
#define MVM_VIRTIO_BLK_S_UNSUPP 2

/* Sectors are 512 bytes whatever the block size (5.2.6). */
#define MVM_VIRTIO_BLK_SECTOR 512
#define MVM_VIRTIO_BLK_ID_LEN 20 /* GET_ID answers 20 bytes */

/* The request header the driver puts first (5.2.6). */
struct mvm_virtio_blk_req {
	uint32_t type;	   /* MVM_VIRTIO_BLK_T_* */
	uint32_t reserved; /* 0 */
	uint64_t sector;   /* first sector (IN and OUT) */
};

/* --- virtio-console (5.3) --- */

#define MVM_VIRTIO_CONSOLE_RX 0 /* receiveq of port 0: host -> guest */
#define MVM_VIRTIO_CONSOLE_TX 1 /* transmitq of port 0: guest -> host */

/* --- virtio-balloon (5.5) --- */

#define MVM_VIRTIO_BALLOON_F_STATS_VQ 1	 /* the statsq exists (5.5.3) */
#define MVM_VIRTIO_BALLOON_INFLATE    0	 /* queue: pages to give back */
#define MVM_VIRTIO_BALLOON_DEFLATE    1	 /* queue: pages taken back */
#define MVM_VIRTIO_BALLOON_STATS      2	 /* queue: memory statistics */
#define MVM_VIRTIO_BALLOON_PFN_SHIFT  12 /* PFNs count 4 KiB pages (5.5.6) */

/* Statistics tags (5.5.6.3); the driver sends {le16 tag, le64 val}. */
#define MVM_VIRTIO_BALLOON_S_MEMFREE 4
#define MVM_VIRTIO_BALLOON_S_MEMTOT  5
#define MVM_VIRTIO_BALLOON_S_AVAIL   6
#define MVM_VIRTIO_BALLOON_S_NR	     16 /* tags this device keeps */

#pragma GCC visibility pop

#endif
