/*
 * dbgvirtq.c - the `virtq` command and the data of the virtqueue pane
 * (vqpane.h): which of the machine's virtio devices to show, read
 * through libminivmm's read-only views (virtio_view.h).
 *
 * The machine gets its virtio devices from the same options as `mvm
 * run` (--disk FILE[,ro], --virtio mmio|pci; virtio_opts.h), so a
 * guest's driver sees the same devices in both.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "exec.h"
#include "vqpane.h"

#define DESC_ROWS 16 /* descriptor rows unless `all` */

/* The device called `name` ("blk", "rng", "console", "balloon"), or
 * with name "" the first the machine has; NULL if none. */
static struct mvm_virtio_dev *find_dev(struct dbg_session *s, const char *name,
				       const char **found)
{
	const struct mvm_machine_virtio *mv =
		s->m ? mvm_machine_virtio(s->m) : NULL;
	struct {
		const char *name;
		struct mvm_virtio_dev *dev;
	} devs[] = {
		{"blk", mv && mv->blk ? mvm_virtio_blk_dev(mv->blk) : NULL},
		{"console", mv && mv->console
				    ? mvm_virtio_console_dev(mv->console)
				    : NULL},
		{"rng", mv && mv->rng ? mvm_virtio_rng_dev(mv->rng) : NULL},
		{"balloon", mv && mv->balloon
				    ? mvm_virtio_balloon_dev(mv->balloon)
				    : NULL},
	};

	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		if (devs[i].dev && (!name[0] || !strcmp(name, devs[i].name))) {
			*found = devs[i].name;
			return devs[i].dev;
		}
	return NULL;
}

/* The rings' recent entries: the last used ones, the pending avail. */
static void read_rings(struct mvm_virtio_dev *dev, struct dbg_vqview *v)
{
	const struct mvm_virtq_view *q = &v->q;
	uint16_t done = (uint16_t)(q->used_idx);
	uint16_t wait = (uint16_t)(q->avail_idx - q->last_avail);

	v->desc_ok = 1;
	for (unsigned i = 0; i < q->size && v->desc_ok; i++)
		v->desc_ok = !mvm_virtq_view_desc(dev, q, i, &v->desc[i]);
	for (unsigned k = done < DBG_VQ_RECENT ? done : DBG_VQ_RECENT; k; k--)
		if (!mvm_virtq_view_used(dev, q, (uint16_t)(done - k),
					 &v->used[v->nused]))
			v->nused++;
	for (unsigned k = 0; k < wait && k < DBG_VQ_RECENT; k++)
		if (!mvm_virtq_view_avail(dev, q, (uint16_t)(q->last_avail + k),
					  &v->pend[v->npend]))
			v->npend++;
}

int dbg_virtq_view(struct dbg_session *s, struct dbg_vqview *v, char *err,
		   size_t errlen)
{
	const char *name = "";
	struct mvm_virtio_dev *dev = find_dev(s, s->vq_dev, &name);

	memset(v, 0, sizeof(*v));
	if (!dev) {
		snprintf(err, errlen, "%s",
			 !s->vm ? "replay: virtqueues were not recorded"
			 : s->vq_dev[0]
				 ? "the machine has no such virtio device"
				 : "no virtio devices: start mvmdbg with "
				   "--disk FILE or --virtio mmio|pci");
		return -ENODEV;
	}
	snprintf(v->name, sizeof(v->name), "%s", dev->ops->name);
	v->device_id = dev->ops->device_id;
	v->transport =
		s->vio.transport == MVM_VIRTIO_TRANSPORT_PCI ? "pci" : "mmio";
	v->status = mvm_virtio_get_status(dev);
	v->nqueues = dev->ops->nqueues;
	if (mvm_virtq_view_get(dev, s->vq_q < v->nqueues ? s->vq_q : 0, &v->q))
		return -ENODEV;
	if (v->q.size && v->q.rings_ok)
		read_rings(dev, v);
	return 0;
}

/* `virtq [DEV] [Q] [all]`: select and show. */
int cmd_virtq(struct dbg_session *s, struct dbg_cmdline *c)
{
	const char *found = "";
	uint64_t q = 0;
	char dev[16] = "";
	int all = 0;

	for (int i = 1; i < c->argc; i++) {
		if (!strcmp(c->argv[i], "all"))
			all = 1;
		else if (dbg_parse_u64(c->argv[i], &q) == 0) {
			if (q >= MVM_VIRTIO_MAX_QUEUES) {
				dbg_status(s, 1, "virtq: no queue %llu",
					   (unsigned long long)q);
				return -EINVAL;
			}
		} else
			snprintf(dev, sizeof(dev), "%s", c->argv[i]);
	}
	struct mvm_virtio_dev *d = find_dev(s, dev, &found);
	if (!d && dev[0]) {
		dbg_status(
			s, 1,
			"virtq: no device '%s' (blk, console, rng or balloon "
			"the machine has)",
			dev);
		return -EINVAL;
	}
	if (d && q >= d->ops->nqueues) {
		dbg_status(s, 1, "virtq: %s has %u queue%s", found,
			   d->ops->nqueues, d->ops->nqueues == 1 ? "" : "s");
		return -EINVAL;
	}
	snprintf(s->vq_dev, sizeof(s->vq_dev), "%s", found);
	s->vq_q = (unsigned)q;
	s->vq_all = all;
	s->focus = DBG_P_VIRTQ;
	dbg_render_pane(s, DBG_P_VIRTQ, 0, &s->result);
	return 0;
}

/* The pane, for view.c. */
void dbg_render_virtq_pane(struct dbg_session *s, struct dbg_text *t)
{
	static struct dbg_vqview v; /* 4 KiB of descriptors: not on the stack */
	char err[160];

	if (dbg_virtq_view(s, &v, err, sizeof(err))) {
		dbg_text_line(t, DBG_A_DIM, "%s", err);
		return;
	}
	dbg_render_virtq(&v, s->vq_all ? 0 : DESC_ROWS, t);
}
