/*
 * gate.c - the pause gate of virtio's device threads (virtio_internal.h).
 *
 * The ioeventfd thread of a transport and the I/O thread of virtio-blk
 * write guest memory on their own. mvm_machine_pause() promises that a
 * paused machine is quiet (a snapshot copies RAM then), so each such
 * thread does its work inside mvm_vgate_enter()/mvm_vgate_leave(), and the
 * machine's pause hook closes the gates. mvm_virtio_serve_kicks() is the
 * transports' shared kick loop (mmio.c, pci_kick.c), inside the gate.
 */
#include <poll.h>
#include <stdint.h>
#include <unistd.h>

#include "minivmm/virtio.h"
#include "virtio_internal.h"

void mvm_vgate_init(struct vgate *g)
{
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	g->paused = g->busy = 0;
}

void mvm_vgate_fini(struct vgate *g)
{
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
}

void mvm_vgate_enter(struct vgate *g)
{
	pthread_mutex_lock(&g->mu);
	while (g->paused)
		pthread_cond_wait(&g->cv, &g->mu);
	g->busy = 1;
	pthread_mutex_unlock(&g->mu);
}

void mvm_vgate_leave(struct vgate *g)
{
	pthread_mutex_lock(&g->mu);
	g->busy = 0;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

void mvm_vgate_pause(struct vgate *g)
{
	pthread_mutex_lock(&g->mu);
	g->paused++;
	while (g->busy)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

void mvm_vgate_resume(struct vgate *g)
{
	pthread_mutex_lock(&g->mu);
	if (g->paused > 0)
		g->paused--;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

void mvm_virtio_serve_kicks(struct mvm_virtio_dev *dev, const int *kick,
			    unsigned nq, int stop, struct vgate *gate)
{
	struct pollfd p[MVM_VIRTIO_MAX_QUEUES + 1];
	uint64_t n;

	for (unsigned q = 0; q < nq; q++)
		p[q] = (struct pollfd){.fd = kick[q], .events = POLLIN};
	p[nq] = (struct pollfd){.fd = stop, .events = POLLIN};
	for (;;) {
		if (poll(p, nq + 1, -1) < 0)
			continue; /* EINTR */
		if (p[nq].revents)
			return;
		mvm_vgate_enter(gate);
		for (unsigned q = 0; q < nq; q++)
			if ((p[q].revents & POLLIN) &&
			    read(kick[q], &n, sizeof(n)) == sizeof(n))
				mvm_virtio_notify(dev, q);
		mvm_vgate_leave(gate);
	}
}
