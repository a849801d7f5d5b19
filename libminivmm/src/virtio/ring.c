/*
 * ring.c - the device side of a split virtqueue (virtio 1.2, 2.7), with
 * the invariant checker that refuses a broken ring.
 *
 * Two rules shape this file:
 *
 * 1. The driver runs on another CPU. avail->idx is read (atomically,
 *    sequentially consistent) before the ring entries it covers
 *    (2.7.13.1 has the driver write the entry, then a barrier, then
 *    idx); the device writes a used element, then used->idx, and only
 *    then reads the driver's suppression fields, with the store-load
 *    order 2.7.10 needs (see store16).
 * 2. Nothing the driver wrote is believed. Each check below names the
 *    rule in the spec the driver broke; the device then sets NEEDS_RESET
 *    (mvm_virtio_fail) and every later pop answers -EIO until a reset,
 *    so a hostile ring costs one log line, never a crash or a spin.
 *
 * Lab 4 cuts the two marked regions (tasks 1 and 2 of
 * labs/lab4-virtio/README.md): popping a chain with its checks, and
 * pushing to the used ring with notification suppression.
 */
#include <errno.h>
#include <string.h>

#include "minivmm/memory.h"
#include "minivmm/virtio_ring.h"

/* Offsets inside the rings (2.7.6, 2.7.8). */
#define AVAIL_IDX	  2
#define AVAIL_RING(i)	  (4 + 2 * (uint64_t)(i))
#define USED_IDX	  2
#define USED_RING(i)	  (4 + 8 * (uint64_t)(i))
#define USED_EVENT(size)  AVAIL_RING(size) /* in the avail ring */
#define AVAIL_EVENT(size) USED_RING(size)  /* in the used ring */

/* A 16-bit field of a ring, read or written atomically in place. NULL
 * if it is not guest RAM (the areas were checked at DRIVER_OK, but a
 * queue may be enabled later). Both accesses are sequentially
 * consistent: a store followed by a load of another field is never
 * reordered (x86 makes the store an XCHG), which is the full barrier
 * 2.7.10's "write the index, then read the other side's event" needs. */
static uint16_t *ring16(struct mvm_virtio_dev *dev, uint64_t gpa)
{
	return mvm_memmap_hva(dev->ctx.mem, gpa, 2);
}

static int load16(struct mvm_virtio_dev *dev, uint64_t gpa, uint16_t *v)
{
	uint16_t *p = ring16(dev, gpa);

	if (!p)
		return -EFAULT;
	*v = __atomic_load_n(p, __ATOMIC_SEQ_CST);
	return 0;
}

static int store16(struct mvm_virtio_dev *dev, uint64_t gpa, uint16_t v)
{
	uint16_t *p = ring16(dev, gpa);

	if (!p)
		return -EFAULT;
	__atomic_store_n(p, v, __ATOMIC_SEQ_CST);
	mvm_memmap_mark_dirty(dev->ctx.mem, gpa, 2);
	return 0;
}

/* Walking one chain: where the descriptors come from right now (the
 * queue's table, then maybe one indirect table) and what was seen. */
struct walk {
	uint64_t table; /* GPA of the current descriptor table */
	unsigned count; /* its entries */
	int indirect;	/* 1 once inside the indirect table */
	uint8_t seen[MVM_VIRTQ_MAX_SIZE / 8]; /* visited, this table */
};

/* Switch the walk to the indirect table descriptor d names (2.7.5.3). */
static int enter_indirect(struct mvm_virtio_dev *dev, struct walk *w,
			  unsigned i, const struct mvm_vring_desc *d)
{
	if (!mvm_virtio_has(dev, MVM_VIRTIO_F_INDIRECT_DESC))
		return mvm_virtio_fail(dev,
				       "descriptor %u: INDIRECT without "
				       "VIRTIO_F_INDIRECT_DESC",
				       i);
	if (w->indirect)
		return mvm_virtio_fail(dev,
				       "descriptor %u: INDIRECT inside "
				       "an indirect table (2.7.5.3.1)",
				       i);
	if (d->flags & MVM_VIRTQ_DESC_F_NEXT)
		return mvm_virtio_fail(dev,
				       "descriptor %u: INDIRECT with NEXT "
				       "(2.7.5.3.1)",
				       i);
	if (d->len == 0 || d->len % 16 || d->len / 16 > MVM_VIRTQ_MAX_SIZE)
		return mvm_virtio_fail(dev,
				       "descriptor %u: indirect table of "
				       "%u bytes (a multiple of 16, at "
				       "most %u entries)",
				       i, d->len, MVM_VIRTQ_MAX_SIZE);
	if (!mvm_memmap_hva(dev->ctx.mem, d->addr, d->len))
		return mvm_virtio_fail(dev,
				       "descriptor %u: indirect table at "
				       "%#llx+%u outside guest RAM",
				       i, (unsigned long long)d->addr, d->len);
	w->table = d->addr;
	w->count = d->len / 16;
	w->indirect = 1;
	memset(w->seen, 0, sizeof(w->seen));
	return 0;
}

/* LAB(4, pop-chain) BEGIN */
/* Append buffer descriptor i to the chain after checking it. */
static int add_seg(struct mvm_virtio_dev *dev, struct mvm_virtq_chain *c,
		   unsigned i, const struct mvm_vring_desc *d, unsigned size)
{
	int wr = !!(d->flags & MVM_VIRTQ_DESC_F_WRITE);
	uint64_t gpa = d->addr;
	uint32_t len = d->len;

	if (c->n >= size)
		return mvm_virtio_fail(dev,
				       "chain from head %u is longer than "
				       "the queue (%u descriptors; "
				       "2.7.5.3.1)",
				       c->head, size);
	if (!mvm_memmap_hva(dev->ctx.mem, gpa, len))
		return mvm_virtio_fail(dev,
				       "descriptor %u: buffer %#llx+%u "
				       "outside guest RAM",
				       i, (unsigned long long)gpa, len);
	if (!wr && c->n > c->n_out)
		return mvm_virtio_fail(dev,
				       "descriptor %u: device-readable "
				       "after device-writable (2.7.4.2)",
				       i);
	c->seg[c->n] = (struct mvm_virtq_seg){gpa, len, wr};
	c->n++;
	if (wr)
		c->in_len += len;
	else {
		c->n_out++;
		c->out_len += len;
	}
	return 0;
}

/* LAB4: pop chain - walk and check one chain from descriptor head. */
static int walk_chain(struct mvm_virtio_dev *dev, struct mvm_virtq *vq,
		      uint16_t head, struct mvm_virtq_chain *c)
{
	struct walk w = {.table = vq->desc, .count = vq->size};
	struct mvm_vring_desc d;
	unsigned i = head;

	for (;;) {
		if (w.seen[i / 8] & (1u << (i % 8)))
			return mvm_virtio_fail(dev,
					       "descriptor loop: chain from "
					       "head %u comes back to %u",
					       head, i);
		w.seen[i / 8] |= (uint8_t)(1u << (i % 8));
		if (mvm_memmap_read(dev->ctx.mem, w.table + 16ULL * i, &d,
				    sizeof(d)))
			return mvm_virtio_fail(dev, "descriptor %u unreadable",
					       i);
		if (d.flags & MVM_VIRTQ_DESC_F_INDIRECT) {
			if (enter_indirect(dev, &w, i, &d))
				return -EIO;
			i = 0;
			continue;
		}
		if (add_seg(dev, c, i, &d, vq->size))
			return -EIO;
		if (!(d.flags & MVM_VIRTQ_DESC_F_NEXT))
			return 0;
		if (d.next >= w.count)
			return mvm_virtio_fail(dev,
					       "descriptor %u: next %u beyond "
					       "the table (%u entries)",
					       i, d.next, w.count);
		i = d.next;
	}
}

/* Is there an entry to pop? 1 yes, 0 no, -EIO broken. With EVENT_IDX
 * the empty case publishes avail_event and looks once more, so a buffer
 * added between the two reads is not left without a kick (2.7.10). */
static int avail_pending(struct mvm_virtio_dev *dev, struct mvm_virtq *vq,
			 unsigned q)
{
	uint16_t idx;

	for (int pass = 0; pass < 2; pass++) {
		if (load16(dev, vq->avail + AVAIL_IDX, &idx))
			return mvm_virtio_fail(dev,
					       "queue %u: avail ring "
					       "outside guest RAM",
					       q);
		if ((uint16_t)(idx - vq->last_avail) > vq->size)
			return mvm_virtio_fail(dev,
					       "queue %u: avail->idx jumped "
					       "from %u to %u (more than "
					       "the queue size %u)",
					       q, vq->last_avail, idx,
					       vq->size);
		if (idx != vq->last_avail)
			return 1;
		if (!mvm_virtio_has(dev, MVM_VIRTIO_F_EVENT_IDX) ||
		    store16(dev, vq->used + AVAIL_EVENT(vq->size),
			    vq->last_avail))
			return 0;
	}
	return 0;
}
/* LAB(4) STUB
// Walk the chain that starts at descriptor `head` of queue vq into *c
// (c->head and c->q are set, the counts are 0). 0, or -EIO after
// mvm_virtio_fail() names what the driver did wrong (virtio 1.2, 2.7.5):
static int walk_chain(struct mvm_virtio_dev *dev, struct mvm_virtq *vq,
		      uint16_t head, struct mvm_virtq_chain *c)
{
	// LAB 4 (task 1): from i = head, read descriptor i (16 bytes at
	// table + 16 * i) with mvm_memmap_read(); refuse, each with its own
	// mvm_virtio_fail() message naming the descriptor:
	//  - a "descriptor loop" (a descriptor seen twice: keep a bitmap),
	//  - a chain "longer than the queue" (more than vq->size buffers),
	//  - a buffer "outside guest RAM" (mvm_memmap_hva() says NULL),
	//  - a device-readable buffer "after device-writable" (2.7.4.2),
	//  - a next index beyond the table;
	// append each buffer to c->seg[] (readable ones first; count n,
	// n_out, out_len, in_len); follow NEXT. An INDIRECT descriptor
	// switches to its table: enter_indirect() checks and does that.
	// Hint: struct walk (above) holds the table, its size and the bitmap.
	(void)vq;
	(void)head;
	(void)c;
	(void)enter_indirect;
	return mvm_virtio_fail(dev, "walk_chain() is not written yet (Lab 4)");
}

// Is there an entry to pop? 1 yes, 0 no, -EIO broken.
static int avail_pending(struct mvm_virtio_dev *dev, struct mvm_virtq *vq,
			 unsigned q)
{
	// LAB 4 (task 1): read avail->idx with load16(); refuse an index
	// that "jumped" more than vq->size past vq->last_avail (2.7.6:
	// the driver cannot have more buffers out than the queue holds).
	// 1 if it differs from vq->last_avail. If not, and the driver
	// accepted VIRTIO_F_EVENT_IDX, publish avail_event = last_avail
	// with store16() (it asks for a kick at the next buffer, 2.7.10)
	// and look at avail->idx once more: a buffer added meanwhile would
	// otherwise wait for a kick that never comes.
	(void)vq;
	(void)q;
	(void)store16;
	return mvm_virtio_fail(dev, "avail_pending() is not written yet "
				    "(Lab 4)");
}
LAB(4) END */

int mvm_virtq_pop(struct mvm_virtio_dev *dev, unsigned q,
		  struct mvm_virtq_chain *c)
{
	struct mvm_virtq *vq;
	uint16_t head;
	int rc = -EIO;

	if (q >= dev->ops->nqueues)
		return -EINVAL;
	vq = &dev->vq[q];
	pthread_mutex_lock(&dev->lock);
	if (!(dev->status & MVM_VIRTIO_S_DRIVER_OK) ||
	    (dev->status & MVM_VIRTIO_S_NEEDS_RESET) || !vq->ready)
		goto out;
	/* [slide:virtq-pop] */
	rc = avail_pending(dev, vq, q);
	if (rc <= 0)
		goto out;
	rc = -EIO;
	if (load16(dev, vq->avail + AVAIL_RING(vq->last_avail % vq->size),
		   &head))
		goto out;
	if (head >= vq->size) {
		mvm_virtio_fail(dev,
				"queue %u: avail ring names descriptor "
				"%u of %u",
				q, head, vq->size);
		goto out;
	}
	memset(c, 0, offsetof(struct mvm_virtq_chain, seg));
	c->q = q;
	c->gen = vq->gen;
	c->head = head;
	if (walk_chain(dev, vq, head, c))
		goto out;
	vq->last_avail++;
	vq->pops++;
	rc = 1;
	/* [/slide:virtq-pop] */
out:
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

/* LAB(4, push-used) BEGIN */
/* LAB4: push used - does the driver want an interrupt for this push? */
static int want_interrupt(struct mvm_virtio_dev *dev, struct mvm_virtq *vq)
{
	uint16_t v;

	/* The used->idx store (sequentially consistent, store16) is
	 * visible before we read what the driver asked for, or both sides
	 * could wait for each other. */
	if (mvm_virtio_has(dev, MVM_VIRTIO_F_EVENT_IDX)) {
		uint16_t old = vq->signalled, new = vq->used_idx;

		if (load16(dev, vq->avail + USED_EVENT(vq->size), &v))
			return 1;
		/* 2.7.10: interrupt iff used_event lies in [old, new). */
		return (uint16_t)(new - v - 1) < (uint16_t)(new - old);
	}
	if (load16(dev, vq->avail, &v))
		return 1;
	return !(v & MVM_VIRTQ_AVAIL_F_NO_INTERRUPT);
}

int mvm_virtq_push(struct mvm_virtio_dev *dev, const struct mvm_virtq_chain *c,
		   uint32_t written)
{
	struct mvm_virtq *vq = &dev->vq[c->q];
	struct mvm_vring_used_elem e = {c->head, written};
	int rc = -EIO;

	if (written > c->in_len)
		e.len = (uint32_t)c->in_len;
	pthread_mutex_lock(&dev->lock);
	if (c->gen != vq->gen) {
		rc = -ESTALE; /* reset since the pop: not our ring any more */
		goto out;
	}
	if ((dev->status & MVM_VIRTIO_S_NEEDS_RESET) || !vq->ready)
		goto out;
	if (mvm_memmap_write(dev->ctx.mem,
			     vq->used + USED_RING(vq->used_idx % vq->size), &e,
			     sizeof(e), 0) ||
	    store16(dev, vq->used + USED_IDX, (uint16_t)(vq->used_idx + 1))) {
		mvm_virtio_fail(dev, "queue %u: used ring outside guest RAM",
				c->q);
		goto out;
	}
	vq->used_idx++;
	vq->pushes++;
	rc = 0;
	if (want_interrupt(dev, vq)) {
		vq->signalled = vq->used_idx;
		vq->irqs++;
		mvm_virtio_interrupt(dev, MVM_VIRTIO_INT_VRING);
	}
out:
	pthread_mutex_unlock(&dev->lock);
	return rc;
}
/* LAB(4) STUB
int mvm_virtq_push(struct mvm_virtio_dev *dev, const struct mvm_virtq_chain *c,
		   uint32_t written)
{
	// LAB 4 (task 2): give chain c back (virtio_ring.h), under dev->lock:
	//  - drop it with -ESTALE if the queue was reset since the pop
	//    (c->gen != vq->gen); do nothing (-EIO) in NEEDS_RESET or when
	//    the queue is not ready;
	//  - write the element {c->head, written (at most c->in_len)} at
	//    used->ring[used_idx % size] with mvm_memmap_write(), THEN
	//    used->idx = used_idx + 1 with store16() (2.7.8; the order is
	//    what the driver relies on); count vq->used_idx and vq->pushes;
	//  - interrupt (vq->signalled, vq->irqs, mvm_virtio_interrupt() with
	//    MVM_VIRTIO_INT_VRING) unless the driver suppressed it: with
	//    VIRTIO_F_EVENT_IDX only if used_event (after avail->ring[size])
	//    lies in [old, new) of used->idx (2.7.10: vring_need_event());
	//    without it, unless avail->flags has VIRTQ_AVAIL_F_NO_INTERRUPT.
	// Hint: USED_RING(), USED_EVENT() and load16() are above.
	(void)c;
	(void)written;
	(void)store16;
	pthread_mutex_lock(&dev->lock);
	mvm_virtio_fail(dev, "mvm_virtq_push() is not written yet (Lab 4)");
	pthread_mutex_unlock(&dev->lock);
	return -EIO;
}
LAB(4) END */

/* Copy between buf and the chain's readable (to_buf) or writable part. */
static long copy(struct mvm_virtio_dev *dev, const struct mvm_virtq_chain *c,
		 int to_buf, uint64_t off, void *buf, size_t len)
{
	unsigned first = to_buf ? 0 : c->n_out, end = to_buf ? c->n_out : c->n;
	size_t done = 0;

	for (unsigned s = first; s < end && done < len; s++) {
		const struct mvm_virtq_seg *g = &c->seg[s];
		uint64_t n;

		if (off >= g->len) {
			off -= g->len;
			continue;
		}
		n = g->len - off;
		if (n > len - done)
			n = len - done;
		if (to_buf ? mvm_memmap_read(dev->ctx.mem, g->addr + off,
					     (char *)buf + done, n)
			   : mvm_memmap_write(dev->ctx.mem, g->addr + off,
					      (char *)buf + done, n, 0))
			return -EFAULT;
		done += n;
		off = 0;
	}
	return (long)done;
}

long mvm_virtq_read(struct mvm_virtio_dev *dev, const struct mvm_virtq_chain *c,
		    uint64_t off, void *buf, size_t len)
{
	return copy(dev, c, 1, off, buf, len);
}

long mvm_virtq_write(struct mvm_virtio_dev *dev,
		     const struct mvm_virtq_chain *c, uint64_t off,
		     const void *buf, size_t len)
{
	return copy(dev, c, 0, off, (void *)buf, len);
}
