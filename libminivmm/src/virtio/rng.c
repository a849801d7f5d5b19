/*
 * rng.c - virtio-rng, the entropy device (virtio 1.2, 5.4).
 *
 * The smallest useful virtio device: one queue (requestq), no feature
 * bits, no configuration. The driver offers device-writable buffers;
 * the device fills them with random bytes (getrandom(2), the host
 * kernel's CSPRNG) and hands them back with the count written. Work is
 * done right in notify, on whichever thread delivered the kick.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "minivmm/virtio_devs.h"
#include "minivmm/virtio_ring.h"

struct mvm_virtio_rng {
	struct mvm_virtio_dev vdev;   /* the transport's view */
	pthread_mutex_t serve;	      /* one notify at a time owns chain */
	struct mvm_virtq_chain chain; /* the request being served */
};

/* Fill the chain's writable part, 256 bytes per getrandom call (below
 * the size getrandom never cuts short). Returns the bytes written. */
static uint32_t fill(struct mvm_virtio_rng *r, const struct mvm_virtq_chain *c)
{
	unsigned char buf[256];
	uint64_t done = 0;

	while (done < c->in_len) {
		size_t n = c->in_len - done < sizeof(buf)
				   ? (size_t)(c->in_len - done)
				   : sizeof(buf);

		if (getrandom(buf, n, 0) != (ssize_t)n ||
		    mvm_virtq_write(&r->vdev, c, done, buf, n) != (long)n)
			break;
		done += n;
	}
	return (uint32_t)done;
}

static void rng_notify(struct mvm_virtio_dev *dev, unsigned q)
{
	struct mvm_virtio_rng *r = dev->priv;

	pthread_mutex_lock(&r->serve);
	while (mvm_virtq_pop(dev, q, &r->chain) == 1)
		mvm_virtq_push(dev, &r->chain, fill(r, &r->chain));
	pthread_mutex_unlock(&r->serve);
}

static const struct mvm_virtio_ops rng_ops = {
	.name = "virtio-rng",
	.device_id = MVM_VIRTIO_ID_RNG,
	.nqueues = 1,
	.queue_max = 64,
	.notify = rng_notify,
};

int mvm_virtio_rng_create(const struct mvm_dev_ctx *ctx,
			  struct mvm_virtio_rng **out)
{
	struct mvm_virtio_rng *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	rc = mvm_virtio_init(&r->vdev, &rng_ops, r, ctx);
	if (rc) {
		free(r);
		return rc;
	}
	pthread_mutex_init(&r->serve, NULL);
	*out = r;
	return 0;
}

void mvm_virtio_rng_destroy(struct mvm_virtio_rng *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->serve);
	mvm_virtio_fini(&r->vdev);
	free(r);
}

struct mvm_virtio_dev *mvm_virtio_rng_dev(struct mvm_virtio_rng *r)
{
	return &r->vdev;
}
