/*
 * vqpane.h - the virtqueue pane (vqpane.c) and the `virtq` command
 * (dbgvirtq.c): one virtio device of the machine, its status byte and,
 * for one of its queues, the descriptor table, the three indices and
 * the recent chains, as virtio 1.2 section 2.7 draws them.
 *
 * The renderer takes plain data (struct dbg_vqview), so the unit tests
 * build rings by hand; dbgvirtq.c fills one through libminivmm's
 * read-only views (virtio_view.h).
 */
#ifndef DBG_VQPANE_H
#define DBG_VQPANE_H

#include <stddef.h>
#include <stdint.h>

#include "minivmm/minivmm.h"

#include "text.h"

struct dbg_session;
struct dbg_cmdline;

#define DBG_VQ_RECENT 4 /* chains shown from the used and avail rings */

struct dbg_vqview {
	char name[24];		 /* "virtio-blk" */
	uint32_t device_id;	 /* MVM_VIRTIO_ID_* */
	const char *transport;	 /* "mmio" or "pci" */
	uint8_t status;		 /* the status byte */
	unsigned nqueues;	 /* queues the device has */
	struct mvm_virtq_view q; /* the selected queue */
	int desc_ok;		 /* desc[] could be read (size entries) */
	struct mvm_vring_desc desc[MVM_VIRTQ_MAX_SIZE];
	/* used->ring entries before used_idx, newest last */
	unsigned nused;
	struct mvm_vring_used_elem used[DBG_VQ_RECENT];
	/* avail->ring heads from last_avail on: published, not yet seen */
	unsigned npend;
	uint16_t pend[DBG_VQ_RECENT];
};

/* vqpane.c: the device, the queue, max_desc rows of the descriptor
 * table (0: all), the recent and the pending chains. */
void dbg_render_virtq(const struct dbg_vqview *v, unsigned max_desc,
		      struct dbg_text *t);

/* dbgvirtq.c: fill *v for the session's selected device and queue;
 * 0, or -ENODEV with one line in err. */
int dbg_virtq_view(struct dbg_session *s, struct dbg_vqview *v, char *err,
		   size_t errlen);
/* dbgvirtq.c: `virtq [blk|rng|console|balloon] [Q] [all]`. */
int cmd_virtq(struct dbg_session *s, struct dbg_cmdline *c);
/* dbgvirtq.c: the pane of the selected device (view.c). */
void dbg_render_virtq_pane(struct dbg_session *s, struct dbg_text *t);

#endif
