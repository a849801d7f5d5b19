/*
 * vqpane.c - the virtqueue pane (vqpane.h): what the driver published,
 * what the device has seen, what it gave back.
 *
 *   avail idx   the driver's count of chains made available (2.7.6)
 *   last seen   the device's own count of chains it has popped
 *   used idx    the device's count of chains returned (2.7.8)
 *
 * avail idx - last seen chains wait for the device; last seen - used
 * idx are in its hands. A chain is followed through the table by its
 * NEXT flags (2.7.5), at most `size` links, so a loop the guest made
 * shows as "(loop)" instead of hanging the pane.
 */
#include <stdio.h>
#include <string.h>

#include "vqpane.h"

/* NEXT WRITE INDIRECT, or "-". */
static const char *desc_flags(uint16_t f, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", f & MVM_VIRTQ_DESC_F_NEXT ? "N" : "",
		 f & MVM_VIRTQ_DESC_F_WRITE ? "W" : "",
		 f & MVM_VIRTQ_DESC_F_INDIRECT ? "I" : "", f & ~7u ? "?" : "");
	if (!buf[0])
		snprintf(buf, len, "-");
	return buf;
}

static void render_head(const struct dbg_vqview *v, struct dbg_text *t)
{
	const struct mvm_virtq_view *q = &v->q;
	char st[96];

	if (v->status)
		mvm_virtio_status_str(v->status, st, sizeof(st));
	else /* 2.1: zero is the reset state */
		snprintf(st, sizeof(st), "(reset: no driver yet)");
	dbg_text_line(t, DBG_A_TITLE, "%s: device %u on virtio-%s", v->name,
		      v->device_id, v->transport);
	dbg_text_line(t, DBG_A_NORMAL, "status 0x%02x ", v->status);
	dbg_text_add(t,
		     v->status & MVM_VIRTIO_S_NEEDS_RESET ? DBG_A_ERROR
							  : DBG_A_NORMAL,
		     "%s", st);
	dbg_text_line(t, DBG_A_NORMAL, "queue %u of %u: size %u (max %u)%s",
		      q->q, v->nqueues, q->size, q->max_size,
		      q->ready ? ", ready" : ", not ready");
	if (!q->size)
		return;
	dbg_text_line(t, DBG_A_DIM, "  desc 0x%llx  avail 0x%llx  used 0x%llx",
		      (unsigned long long)q->desc, (unsigned long long)q->avail,
		      (unsigned long long)q->used);
	if (!q->rings_ok) {
		dbg_text_line(t, DBG_A_ERROR,
			      "  the rings are not in guest RAM");
		return;
	}
	dbg_text_line(t, DBG_A_NORMAL,
		      "  avail idx %u  last seen %u  used idx %u (device wrote "
		      "%u)  waiting %u",
		      q->avail_idx, q->last_avail, q->used_idx, q->dev_used_idx,
		      (uint16_t)(q->avail_idx - q->last_avail));
	dbg_text_line(t, DBG_A_DIM,
		      "  avail flags %u  used flags %u  kicks %llu pops %llu "
		      "pushes %llu irqs %llu",
		      q->avail_flags, q->used_flags,
		      (unsigned long long)q->kicks, (unsigned long long)q->pops,
		      (unsigned long long)q->pushes,
		      (unsigned long long)q->irqs);
}

static void render_table(const struct dbg_vqview *v, unsigned max,
			 struct dbg_text *t)
{
	unsigned n = v->q.size;
	char f[8];

	if (max && max < n)
		n = max;
	dbg_text_line(t, DBG_A_TITLE,
		      "  desc  addr                len       flags  next  "
		      "(N next, W write, I indirect)");
	for (unsigned i = 0; i < n; i++) {
		const struct mvm_vring_desc *d = &v->desc[i];

		dbg_text_line(t, DBG_A_NORMAL,
			      "  %4u  0x%016llx  %-8u  %-5s  %u", i,
			      (unsigned long long)d->addr, d->len,
			      desc_flags(d->flags, f, sizeof(f)), d->next);
	}
	if (n < v->q.size)
		dbg_text_line(t, DBG_A_DIM,
			      "  (%u more: `virtq DEV Q all` lists them)",
			      v->q.size - n);
}

/* "3 -> 4 -> 5 (out 16, in 513)": the chain from head, by NEXT. */
static void chain(const struct dbg_vqview *v, unsigned head, struct dbg_text *t)
{
	uint64_t out = 0, in = 0;
	unsigned i = head, links = 0;

	while (i < v->q.size && links < v->q.size) {
		const struct mvm_vring_desc *d = &v->desc[i];

		dbg_text_add(t, DBG_A_NORMAL, "%s%u", links ? " -> " : "", i);
		*(d->flags & MVM_VIRTQ_DESC_F_WRITE ? &in : &out) += d->len;
		links++;
		if (!(d->flags & MVM_VIRTQ_DESC_F_NEXT))
			break;
		i = d->next;
	}
	if (i >= v->q.size)
		dbg_text_add(t, DBG_A_ERROR, " (index %u is past the table)",
			     i);
	else if (links == v->q.size &&
		 (v->desc[i].flags & MVM_VIRTQ_DESC_F_NEXT))
		dbg_text_add(t, DBG_A_ERROR, " (loop)");
	dbg_text_add(t, DBG_A_DIM, "  (readable %llu, writable %llu)",
		     (unsigned long long)out, (unsigned long long)in);
}

static void render_chains(const struct dbg_vqview *v, struct dbg_text *t)
{
	const struct mvm_virtq_view *q = &v->q;

	dbg_text_line(t, DBG_A_TITLE,
		      "  recent chains (used ring, newest last; links as the "
		      "table is now):");
	if (!v->nused)
		dbg_text_line(t, DBG_A_DIM, "    none yet");
	for (unsigned k = 0; k < v->nused; k++) {
		const struct mvm_vring_used_elem *e = &v->used[k];
		unsigned slot = (uint16_t)(q->used_idx - v->nused + k);

		dbg_text_line(t, DBG_A_NORMAL,
			      "    used[%u] id %u len %u: ", slot % q->size,
			      e->id, e->len);
		chain(v, e->id, t);
	}
	dbg_text_line(t, DBG_A_TITLE,
		      "  waiting (avail ring, not yet seen by the device):");
	if (!v->npend)
		dbg_text_line(t, DBG_A_DIM, "    none");
	for (unsigned k = 0; k < v->npend; k++) {
		dbg_text_line(t, DBG_A_NORMAL, "    avail[%u] head %u: ",
			      (unsigned)(uint16_t)(q->last_avail + k) % q->size,
			      v->pend[k]);
		chain(v, v->pend[k], t);
	}
}

void dbg_render_virtq(const struct dbg_vqview *v, unsigned max_desc,
		      struct dbg_text *t)
{
	render_head(v, t);
	if (!v->q.size || !v->q.rings_ok)
		return;
	if (!v->desc_ok) {
		dbg_text_line(t, DBG_A_ERROR,
			      "  the descriptor table is not in guest RAM");
		return;
	}
	render_table(v, max_desc, t);
	render_chains(v, t);
}
