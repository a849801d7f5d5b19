/*
 * console.c - virtio-console with one port (virtio 1.2, 5.3).
 *
 * Without VIRTIO_CONSOLE_F_MULTIPORT the device has two queues, the
 * port's receiveq (0, host -> guest) and transmitq (1, guest -> host),
 * and nothing in its configuration the driver may read (5.3.4 fields
 * depend on features not offered). Transmitted bytes go to the machine's
 * output callback, the same place the UART's go; input waits in a small
 * buffer until the driver offers a receive buffer (5.3.6: the driver
 * keeps receiveq filled).
 *
 * Input comes from the machine's console owner (mvm's input thread, a
 * test), not from a vCPU, and filling a receive buffer writes guest
 * memory: so mvm_virtio_console_input() passes the device's gate, which
 * the machine's pause closes (vmachine.c), and a paused machine stays
 * quiet while keys keep arriving.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "minivmm/virtio_devs.h"
#include "minivmm/virtio_ring.h"
#include "virtio_internal.h"

#define PENDING 256

struct mvm_virtio_console {
	struct mvm_virtio_dev vdev; /* the transport's view */
	mvm_output_fn *out;	    /* guest output goes here */
	void *out_ctx;		    /* its argument */
	pthread_mutex_t serve;	    /* guards everything below */
	struct mvm_virtq_chain chain;
	char pending[PENDING]; /* input not yet delivered */
	size_t npending;
	struct vgate gate; /* input waits here while the machine is paused */
};

/* Move pending input into receive buffers while there are both. */
static void deliver(struct mvm_virtio_console *c)
{
	while (c->npending &&
	       mvm_virtq_pop(&c->vdev, MVM_VIRTIO_CONSOLE_RX, &c->chain) == 1) {
		size_t n = c->npending < c->chain.in_len
				   ? c->npending
				   : (size_t)c->chain.in_len;
		long w = mvm_virtq_write(&c->vdev, &c->chain, 0, c->pending, n);

		if (w < 0)
			w = 0;
		mvm_virtq_push(&c->vdev, &c->chain, (uint32_t)w);
		memmove(c->pending, c->pending + w, c->npending - (size_t)w);
		c->npending -= (size_t)w;
	}
}

/* Every transmit chain's readable bytes to the output, in order. */
static void transmit(struct mvm_virtio_console *c)
{
	char buf[256];

	while (mvm_virtq_pop(&c->vdev, MVM_VIRTIO_CONSOLE_TX, &c->chain) == 1) {
		for (uint64_t off = 0; off < c->chain.out_len;) {
			long n = mvm_virtq_read(&c->vdev, &c->chain, off, buf,
						sizeof(buf));

			if (n <= 0)
				break;
			if (c->out)
				c->out(c->out_ctx, buf, (size_t)n);
			off += (uint64_t)n;
		}
		mvm_virtq_push(&c->vdev, &c->chain, 0);
	}
}

static void console_notify(struct mvm_virtio_dev *dev, unsigned q)
{
	struct mvm_virtio_console *c = dev->priv;

	pthread_mutex_lock(&c->serve);
	if (q == MVM_VIRTIO_CONSOLE_TX)
		transmit(c);
	else
		deliver(c);
	pthread_mutex_unlock(&c->serve);
}

size_t mvm_virtio_console_input(struct mvm_virtio_console *c, const char *buf,
				size_t len)
{
	size_t n;

	mvm_vgate_enter(&c->gate);
	pthread_mutex_lock(&c->serve);
	n = PENDING - c->npending < len ? PENDING - c->npending : len;
	memcpy(c->pending + c->npending, buf, n);
	c->npending += n;
	deliver(c);
	pthread_mutex_unlock(&c->serve);
	mvm_vgate_leave(&c->gate);
	return n;
}

static const struct mvm_virtio_ops console_ops = {
	.name = "virtio-console",
	.device_id = MVM_VIRTIO_ID_CONSOLE,
	.nqueues = 2,
	.queue_max = 64,
	.notify_on_vcpu = 1, /* output goes where the UART's goes */
	.notify = console_notify,
};

int mvm_virtio_console_create(const struct mvm_dev_ctx *ctx, mvm_output_fn *out,
			      void *out_ctx,
			      struct mvm_virtio_console **out_con)
{
	struct mvm_virtio_console *c = calloc(1, sizeof(*c));
	int rc;

	*out_con = NULL;
	if (!c)
		return -ENOMEM;
	rc = mvm_virtio_init(&c->vdev, &console_ops, c, ctx);
	if (rc) {
		free(c);
		return rc;
	}
	c->out = out;
	c->out_ctx = out_ctx;
	pthread_mutex_init(&c->serve, NULL);
	mvm_vgate_init(&c->gate);
	*out_con = c;
	return 0;
}

void mvm_virtio_console_destroy(struct mvm_virtio_console *c)
{
	if (!c)
		return;
	mvm_vgate_fini(&c->gate);
	pthread_mutex_destroy(&c->serve);
	mvm_virtio_fini(&c->vdev);
	free(c);
}

struct mvm_virtio_dev *mvm_virtio_console_dev(struct mvm_virtio_console *c)
{
	return &c->vdev;
}

struct vgate *mvm_virtio_console_gate(struct mvm_virtio_console *c)
{
	return &c->gate;
}
