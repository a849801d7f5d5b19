/*
 * fuzz_virtq.c - the device side of a split virtqueue (virtio_ring.h)
 * over a ring the guest wrote: descriptors, indirect tables, available
 * and used rings, all hostile.
 *
 * A device pops chains, reads and writes their buffers and pushes them
 * back (mvm_virtq_pop/read/write/push) with every index and address
 * coming from guest memory. Input: one byte of options (bit 0: offer
 * EVENT_IDX and INDIRECT_DESC; bits 1-3: the queue size, 1 << n, 2 to
 * 256), then the first 64 KiB of guest RAM (descriptor table at 0x1000,
 * available ring at 0x2000, used ring at 0x3000, buffers anywhere). The
 * contract: every pop ends in a chain whose segments all lie in RAM, in
 * nothing, or in -EIO with the device in NEEDS_RESET; never a crash, a
 * hang (pops are bounded) or a read outside RAM.
 */
#include <errno.h>

#include "fuzz.h"
#include "hostram.h"
#include "minivmm/virtio_ring.h"

#define RAM   (64u << 10)
#define DESC  0x1000ULL
#define AVAIL 0x2000ULL
#define USED  0x3000ULL

static const struct mvm_virtio_ops ops = {
	.name = "virtio-fuzz",
	.device_id = MVM_VIRTIO_ID_RNG,
	.nqueues = 1,
	.queue_max = MVM_VIRTQ_MAX_SIZE,
};

static void irq(void *ctx, struct mvm_virtio_dev *dev, unsigned cause)
{
	(void)ctx;
	(void)dev;
	(void)cause;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hostram *h;
	static struct mvm_log quiet;
	static struct mvm_virtq_chain c;
	struct mvm_virtio_dev dev;
	struct mvm_dev_ctx ctx = {0};
	uint64_t features = 0;
	unsigned qsize;
	uint8_t buf[512];
	int rc;

	if (size < 1)
		return 0;
	if (!h && !(h = hostram_new(RAM, 0)))
		abort();
	memset(h->ram, 0, RAM);
	memcpy(h->ram, data + 1, size - 1 < RAM ? size - 1 : RAM);
	if (data[0] & 1)
		features = MVM_VIRTIO_BIT(MVM_VIRTIO_F_EVENT_IDX) |
			   MVM_VIRTIO_BIT(MVM_VIRTIO_F_INDIRECT_DESC);
	qsize = 1u << (1 + ((data[0] >> 1) & 7));
	ctx.mem = &h->mem;
	ctx.log = &quiet;
	if (mvm_virtio_init(&dev, &ops, NULL, &ctx))
		abort();
	dev.irq = irq;
	features |= MVM_VIRTIO_BIT(MVM_VIRTIO_F_VERSION_1);
	mvm_virtio_set_status(&dev,
			      MVM_VIRTIO_S_ACKNOWLEDGE | MVM_VIRTIO_S_DRIVER);
	mvm_virtio_set_features(&dev, 0, (uint32_t)features);
	mvm_virtio_set_features(&dev, 1, (uint32_t)(features >> 32));
	mvm_virtio_set_status(&dev, MVM_VIRTIO_S_ACKNOWLEDGE |
					    MVM_VIRTIO_S_DRIVER |
					    MVM_VIRTIO_S_FEATURES_OK);
	mvm_virtio_queue_set(&dev, 0, MVM_VIRTQ_SIZE, qsize);
	mvm_virtio_queue_set(&dev, 0, MVM_VIRTQ_DESC, DESC);
	mvm_virtio_queue_set(&dev, 0, MVM_VIRTQ_AVAIL, AVAIL);
	mvm_virtio_queue_set(&dev, 0, MVM_VIRTQ_USED, USED);
	mvm_virtio_queue_set(&dev, 0, MVM_VIRTQ_READY, 1);
	mvm_virtio_set_status(&dev, 0x0f);
	/* At most two rings' worth of pops: a driver cannot make us spin. */
	for (unsigned i = 0; i < 2 * qsize; i++) {
		rc = mvm_virtq_pop(&dev, 0, &c);
		if (rc <= 0)
			break;
		for (unsigned s = 0; s < c.n; s++)
			if (c.seg[s].addr >= RAM ||
			    c.seg[s].len > RAM - c.seg[s].addr)
				abort(); /* a segment outside guest RAM */
		(void)mvm_virtq_read(&dev, &c, 0, buf, sizeof(buf));
		(void)mvm_virtq_write(&dev, &c, 0, buf,
				      c.in_len < sizeof(buf) ? c.in_len
							     : sizeof(buf));
		if (mvm_virtq_push(&dev, &c, (uint32_t)c.in_len) == -EIO)
			break;
	}
	mvm_virtio_fini(&dev);
	return 0;
}
