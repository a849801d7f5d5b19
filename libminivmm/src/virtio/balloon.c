/*
 * balloon.c - virtio-balloon (virtio 1.2, 5.5): memory overcommit with
 * the guest's help.
 *
 * The host cannot tell which guest pages are free; the guest can. The
 * host writes a target into the config (num_pages) and interrupts; the
 * guest's driver allocates that many pages from its own allocator (so
 * nothing in the guest uses them) and sends their page frame numbers on
 * the inflateq. The device gives each page back to the host kernel:
 *
 *   RAM in a memfd (the machine's)  madvise(MADV_REMOVE): the page is
 *                                    punched out of the file, freed
 *   private anonymous memory         madvise(MADV_DONTNEED)
 *
 * Either way the next guest access finds a zero page, newly allocated.
 * Deflating (the deflateq) needs nothing from the device: the guest just
 * uses the pages again. The statsq carries the guest's memory figures
 * (free, total, available), which a host uses to decide the target.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "minivmm/memory.h"
#include "minivmm/virtio_devs.h"
#include "minivmm/virtio_ring.h"

#define PFN_PAGE (1ULL << MVM_VIRTIO_BALLOON_PFN_SHIFT)

struct mvm_virtio_balloon {
	struct mvm_virtio_dev vdev; /* the transport's view */
	/* dev->lock guards these: */
	uint32_t target, actual;
	struct mvm_virtio_balloon_info info;
	/* serve guards these (one notify at a time): */
	pthread_mutex_t serve;
	struct mvm_virtq_chain chain;
	struct mvm_virtq_chain stats; /* the statsq buffer held */
	int have_stats;
};

/* Config (5.5.4): le32 num_pages (device), le32 actual (driver). */
#define BALLOON_CONFIG_LEN 8

static void balloon_config_read(struct mvm_virtio_dev *dev, uint32_t off,
				void *data, uint32_t len)
{
	struct mvm_virtio_balloon *b = dev->priv;
	uint32_t cfg[2] = {b->target, b->actual};

	memcpy(data, (uint8_t *)cfg + off, len);
}

static void balloon_config_write(struct mvm_virtio_dev *dev, uint32_t off,
				 const void *data, uint32_t len)
{
	struct mvm_virtio_balloon *b = dev->priv;
	uint32_t cfg[2] = {b->target, b->actual};

	memcpy((uint8_t *)cfg + off, data, len);
	b->actual = cfg[1]; /* num_pages is the device's */
}

/* Give one guest page back to the host. 0 or -errno. */
static int release(struct mvm_virtio_balloon *b, uint64_t gpa)
{
	const struct mvm_memmap *mem = b->vdev.ctx.mem;
	const struct mvm_slot *s = mvm_memmap_find(mem, gpa);
	void *p = mvm_memmap_hva(mem, gpa, PFN_PAGE);

	if (!s || !p || (s->flags & MVM_MEM_READONLY))
		return -EFAULT;
	if (madvise(p, PFN_PAGE, MADV_REMOVE) &&
	    madvise(p, PFN_PAGE, MADV_DONTNEED))
		return -errno;
	/* The page now reads zero: a changed page for dirty logging. */
	mvm_memmap_mark_dirty(mem, gpa, PFN_PAGE);
	return 0;
}

/* One inflate or deflate chain: an array of le32 PFNs. Pages the guest
 * names must be guest RAM, or the driver is broken (NEEDS_RESET). */
static void pages(struct mvm_virtio_balloon *b, int inflate)
{
	const struct mvm_virtq_chain *c = &b->chain;
	uint64_t n = 0;
	uint32_t pfn;

	for (uint64_t off = 0; off + 4 <= c->out_len; off += 4, n++) {
		if (mvm_virtq_read(&b->vdev, c, off, &pfn, 4) != 4)
			break;
		if (inflate && release(b, (uint64_t)pfn << 12)) {
			pthread_mutex_lock(&b->vdev.lock);
			mvm_virtio_fail(&b->vdev,
					"inflate: PFN %#x is not guest RAM",
					pfn);
			pthread_mutex_unlock(&b->vdev.lock);
			return;
		}
	}
	pthread_mutex_lock(&b->vdev.lock);
	*(inflate ? &b->info.inflated : &b->info.deflated) += n;
	pthread_mutex_unlock(&b->vdev.lock);
	mvm_virtq_push(&b->vdev, c, 0);
}

/* A stats buffer (5.5.6.3): packed {le16 tag, le64 val} entries. The
 * device keeps the buffer until the host wants fresh figures. */
static void take_stats(struct mvm_virtio_balloon *b)
{
	uint8_t e[10];
	uint16_t tag;
	uint64_t val;

	pthread_mutex_lock(&b->vdev.lock);
	for (uint64_t off = 0; off + 10 <= b->stats.out_len; off += 10) {
		if (mvm_virtq_read(&b->vdev, &b->stats, off, e, 10) != 10)
			break;
		memcpy(&tag, e, 2);
		memcpy(&val, e + 2, 8);
		if (tag < MVM_VIRTIO_BALLOON_S_NR)
			b->info.stats[tag] = val;
	}
	b->info.nstats++;
	pthread_mutex_unlock(&b->vdev.lock);
}

static void balloon_notify(struct mvm_virtio_dev *dev, unsigned q)
{
	struct mvm_virtio_balloon *b = dev->priv;

	pthread_mutex_lock(&b->serve);
	if (q == MVM_VIRTIO_BALLOON_STATS) {
		/* A driver offers the next buffer only after the device
		 * returned the last, or after a reset made the held one
		 * stale: either way the new one replaces it. */
		if (mvm_virtq_pop(dev, q, &b->stats) == 1) {
			b->have_stats = 1;
			take_stats(b);
		}
	} else {
		while (mvm_virtq_pop(dev, q, &b->chain) == 1)
			pages(b, q == MVM_VIRTIO_BALLOON_INFLATE);
	}
	pthread_mutex_unlock(&b->serve);
}

static void balloon_reset(struct mvm_virtio_dev *dev)
{
	struct mvm_virtio_balloon *b = dev->priv;

	b->actual = 0; /* a held stats buffer is now stale: push refuses it */
}

/* Snapshots (virtio_state.c; lock held, device threads parked): the
 * target, what the driver reported and the counters. A stats buffer the
 * device holds is not saved as a chain: its avail slot is handed back
 * (last_avail - 1), and the kick that ends a load pops it again. */
struct balloon_saved {
	uint32_t target, actual;
	uint32_t have_stats, pad;
	struct mvm_virtio_balloon_info info;
};

static int balloon_save(struct mvm_virtio_dev *dev, void *buf, uint32_t len)
{
	struct mvm_virtio_balloon *b = dev->priv;
	struct balloon_saved s = {b->target, b->actual, (uint32_t)b->have_stats,
				  0, b->info};

	if (len < sizeof(s))
		return -ENOSPC;
	memcpy(buf, &s, sizeof(s));
	return sizeof(s);
}

static int balloon_load(struct mvm_virtio_dev *dev, const void *buf,
			uint32_t len)
{
	struct mvm_virtio_balloon *b = dev->priv;
	struct balloon_saved s;

	if (len != sizeof(s))
		return -EINVAL;
	memcpy(&s, buf, sizeof(s));
	b->target = s.target;
	b->actual = s.actual;
	b->info = s.info;
	b->have_stats = 0;
	if (s.have_stats && dev->vq[MVM_VIRTIO_BALLOON_STATS].ready) {
		dev->vq[MVM_VIRTIO_BALLOON_STATS].last_avail--;
		b->info.nstats--; /* counted again when popped again */
	}
	return 0;
}

static const struct mvm_virtio_ops balloon_ops = {
	.name = "virtio-balloon",
	.device_id = MVM_VIRTIO_ID_BALLOON,
	.features = MVM_VIRTIO_BIT(MVM_VIRTIO_BALLOON_F_STATS_VQ),
	.nqueues = 3,
	.queue_max = 64,
	.config_len = BALLOON_CONFIG_LEN,
	.config_read = balloon_config_read,
	.config_write = balloon_config_write,
	.notify = balloon_notify,
	.reset = balloon_reset,
	.save = balloon_save,
	.load = balloon_load,
};

int mvm_virtio_balloon_create(const struct mvm_dev_ctx *ctx,
			      struct mvm_virtio_balloon **out)
{
	struct mvm_virtio_balloon *b = calloc(1, sizeof(*b));
	int rc;

	*out = NULL;
	if (!b)
		return -ENOMEM;
	rc = mvm_virtio_init(&b->vdev, &balloon_ops, b, ctx);
	if (rc) {
		free(b);
		return rc;
	}
	pthread_mutex_init(&b->serve, NULL);
	*out = b;
	return 0;
}

void mvm_virtio_balloon_destroy(struct mvm_virtio_balloon *b)
{
	if (!b)
		return;
	pthread_mutex_destroy(&b->serve);
	mvm_virtio_fini(&b->vdev);
	free(b);
}

struct mvm_virtio_dev *mvm_virtio_balloon_dev(struct mvm_virtio_balloon *b)
{
	return &b->vdev;
}

void mvm_virtio_balloon_set_target(struct mvm_virtio_balloon *b, uint32_t pages)
{
	pthread_mutex_lock(&b->vdev.lock);
	b->target = pages;
	mvm_virtio_config_changed(&b->vdev);
	pthread_mutex_unlock(&b->vdev.lock);
}

void mvm_virtio_balloon_info(struct mvm_virtio_balloon *b,
			     struct mvm_virtio_balloon_info *info)
{
	pthread_mutex_lock(&b->vdev.lock);
	*info = b->info;
	info->target = b->target;
	info->actual = b->actual;
	pthread_mutex_unlock(&b->vdev.lock);
}

int mvm_virtio_balloon_request_stats(struct mvm_virtio_balloon *b)
{
	int rc = -EAGAIN;

	pthread_mutex_lock(&b->serve);
	if (b->have_stats) {
		b->have_stats = 0;
		rc = mvm_virtq_push(&b->vdev, &b->stats, 0);
	}
	pthread_mutex_unlock(&b->serve);
	return rc;
}
