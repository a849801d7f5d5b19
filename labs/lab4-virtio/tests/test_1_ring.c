/*
 * test_1_ring.c - Lab 4, tasks 1-2: the device side of a split virtqueue
 * (ring.c), without KVM. Host memory stands in for guest RAM; each test
 * plays the driver, writing descriptors and the avail ring by hand
 * (virtio 1.2, 2.7), and reads what the device wrote back: the chain it
 * popped, the used ring, avail_event, and the interrupts it raised
 * (counted by this test's own callback). Where a fixed answer could be
 * hard-coded, the indices and lengths are random.
 */
#include <errno.h>
#include <string.h>

#include "lab4.h"

#define NX MVM_VIRTQ_DESC_F_NEXT
#define WR MVM_VIRTQ_DESC_F_WRITE
#define IN MVM_VIRTQ_DESC_F_INDIRECT

/* --- task 1: popping a chain ---------------------------------------------- */

static void pop_gives_readable_then_writable_segments(void **state)
{
	struct rig r;
	struct mvm_virtq_chain c;
	unsigned a = 1 + lab4_rand() % 3, b = 4 + lab4_rand() % 2, h = 7;
	uint32_t l0 = 16, l1 = 1 + lab4_rand() % 4000, l2 = 1;

	(void)state;
	rig_init(&r, MVM_VIRTIO_F_COMMON);
	rig_desc(&r, RIG_DESC, h, RIG_BUF, l0, NX, (uint16_t)a);
	rig_desc(&r, RIG_DESC, a, RIG_BUF + 0x1000, l1, NX | WR, (uint16_t)b);
	rig_desc(&r, RIG_DESC, b, RIG_BUF + 0x2000, l2, WR, 0);
	rig_pop(&r, &c, 0, "pop of an empty queue (nothing available)");
	rig_offer(&r, (uint16_t)h);
	rig_pop(&r, &c, 1, "pop with one chain available");
	GRADE_EXPECT_EQ(c.head, h, "c.head");
	GRADE_EXPECT_EQ(c.n, 3, "c.n (buffers in the chain)");
	GRADE_EXPECT_EQ(c.n_out, 1, "c.n_out (device-readable buffers)");
	GRADE_EXPECT_EQ(c.out_len, l0, "c.out_len");
	GRADE_EXPECT_EQ(c.in_len, l1 + l2, "c.in_len");
	GRADE_EXPECT_EQ(c.seg[1].addr, RIG_BUF + 0x1000, "c.seg[1].addr");
	GRADE_EXPECT_EQ(c.seg[1].len, l1, "c.seg[1].len");
	GRADE_EXPECT(c.seg[1].writable && !c.seg[0].writable,
		     "c.seg[].writable: readable header, writable data");
	GRADE_EXPECT_EQ(c.seg[2].addr, RIG_BUF + 0x2000, "c.seg[2].addr");
	rig_pop(&r, &c, 0, "second pop (the one chain was taken)");
	rig_free(&r);
}

static void pop_follows_an_indirect_table(void **state)
{
	struct rig r;
	struct mvm_virtq_chain c;
	const uint64_t tbl = RIG_BUF + 0x8000;
	unsigned n = 3 + lab4_rand() % 5; /* entries of the table */
	char out[8];

	(void)state;
	rig_init(&r, MVM_VIRTIO_F_COMMON);
	rig_desc(&r, RIG_DESC, 0, tbl, 16 * n, IN, 0);
	/* the table's chain goes 0, n-1, n-2, ..., 1 */
	rig_desc(&r, tbl, 0, RIG_BUF, 4, NX, (uint16_t)(n - 1));
	for (unsigned i = n - 1; i >= 1; i--)
		rig_desc(&r, tbl, i, RIG_BUF + 0x1000 * i, 4,
			 (uint16_t)((i == n - 1 ? 0 : WR) | (i > 1 ? NX : 0)),
			 (uint16_t)(i - 1));
	memcpy(r.h->ram + RIG_BUF, "abcd", 4);
	memcpy(r.h->ram + RIG_BUF + 0x1000 * (n - 1), "efgh", 4);
	rig_offer(&r, 0);
	rig_pop(&r, &c, 1, "pop of a chain through an indirect table");
	GRADE_EXPECT_EQ(c.n, n, "c.n: the buffers of the indirect table");
	GRADE_EXPECT_EQ(c.n_out, 2, "c.n_out");
	GRADE_EXPECT_EQ(mvm_virtq_read(&r.dev, &c, 2, out, 6), 6,
			"mvm_virtq_read of the readable part");
	GRADE_EXPECT(memcmp(out, "cdefgh", 6) == 0,
		     "the readable part must be the table's buffers in chain "
		     "order");
	rig_free(&r);
}

/* EVENT_IDX (2.7.10): finding the queue empty, the device asks for a
 * kick at the next buffer by publishing avail_event = its next index. */
static void empty_queue_asks_for_the_next_kick(void **state)
{
	struct rig r;
	struct mvm_virtq_chain c;
	unsigned n = 1 + lab4_rand() % 5;

	(void)state;
	rig_init(&r, MVM_VIRTIO_F_COMMON);
	rig_desc(&r, RIG_DESC, 0, RIG_BUF, 8, WR, 0);
	for (unsigned i = 0; i < n; i++)
		rig_offer(&r, 0);
	for (unsigned i = 0; i < n; i++) {
		rig_pop(&r, &c, 1, "pop");
		GRADE_EXPECT_EQ(mvm_virtq_push(&r.dev, &c, 0), 0, "push");
	}
	rig_pop(&r, &c, 0, "pop of the emptied queue");
	GRADE_EXPECT_EQ(rig_rd16(&r, RIG_USED + 4 + 8 * RIG_QSIZE), n,
			"avail_event (after used->ring[]) once the queue is "
			"empty: the index of the next buffer");
	rig_free(&r);
}

static void descriptor_loop_needs_reset(void **state)
{
	struct rig r;
	struct mvm_virtq_chain c;
	unsigned a = lab4_rand() % RIG_QSIZE, b = (a + 3) % RIG_QSIZE;

	(void)state;
	rig_init(&r, MVM_VIRTIO_F_COMMON);
	rig_desc(&r, RIG_DESC, a, RIG_BUF, 8, NX, (uint16_t)b);
	rig_desc(&r, RIG_DESC, b, RIG_BUF, 8, NX, (uint16_t)a);
	rig_offer(&r, (uint16_t)a);
	rig_expect_refused(&r, mvm_virtq_pop(&r.dev, 0, &c), "descriptor loop",
			   "a chain whose last NEXT points back at its head");
	rig_free(&r);
}

static void chain_longer_than_queue_needs_reset(void **state)
{
	struct rig r;
	struct mvm_virtq_chain c;
	const uint64_t tbl = RIG_BUF + 0x8000;

	(void)state;
	rig_init(&r, MVM_VIRTIO_F_COMMON);
	/* two direct descriptors, then an indirect table of RIG_QSIZE:
	 * no table has a loop, the chain is RIG_QSIZE + 1 long */
	rig_desc(&r, RIG_DESC, 0, RIG_BUF, 8, NX, 1);
	rig_desc(&r, RIG_DESC, 1, tbl, RIG_QSIZE * 16, IN, 0);
	for (unsigned i = 0; i < RIG_QSIZE; i++)
		rig_desc(&r, tbl, i, RIG_BUF, 8,
			 (uint16_t)(i + 1 < RIG_QSIZE ? NX : 0),
			 (uint16_t)(i + 1));
	rig_offer(&r, 0);
	rig_expect_refused(&r, mvm_virtq_pop(&r.dev, 0, &c),
			   "longer than the queue",
			   "a chain of 9 buffers on a queue of 8 (2.7.5.3.1)");
	rig_free(&r);
}

static void buffer_outside_ram_needs_reset(void **state)
{
	struct rig r;
	struct mvm_virtq_chain c;
	/* a buffer that starts in RAM and runs past its end */
	uint32_t over = 1 + lab4_rand() % 4096;

	(void)state;
	rig_init(&r, MVM_VIRTIO_F_COMMON);
	rig_desc(&r, RIG_DESC, 0, RIG_BUF, 16, NX, 1);
	rig_desc(&r, RIG_DESC, 1, RIG_RAM - 4096, 4096 + over, WR, 0);
	rig_offer(&r, 0);
	rig_expect_refused(&r, mvm_virtq_pop(&r.dev, 0, &c),
			   "outside guest RAM",
			   "a writable buffer that ends past the end of RAM");
	rig_free(&r);
}

static void readable_after_writable_needs_reset(void **state)
{
	struct rig r;
	struct mvm_virtq_chain c;

	(void)state;
	rig_init(&r, MVM_VIRTIO_F_COMMON);
	memset(r.h->ram + RIG_BUF + 0x2000, 0xa5, 16);
	rig_desc(&r, RIG_DESC, 0, RIG_BUF, 16, NX, 1);
	rig_desc(&r, RIG_DESC, 1, RIG_BUF + 0x1000, 512, NX | WR, 2);
	rig_desc(&r, RIG_DESC, 2, RIG_BUF + 0x2000, 1, 0, 0);
	rig_offer(&r, 0);
	rig_expect_refused(&r, mvm_virtq_pop(&r.dev, 0, &c),
			   "device-readable after device-writable",
			   "a status byte the device may only read, after a "
			   "writable buffer (2.7.4.2)");
	GRADE_EXPECT_EQ(r.h->ram[RIG_BUF + 0x2000], 0xa5,
			"the device-readable byte must not have been written");
	rig_free(&r);
}

static void jumped_avail_index_needs_reset(void **state)
{
	struct rig r;
	struct mvm_virtq_chain c;
	uint16_t jump = (uint16_t)(RIG_QSIZE + 1 + lab4_rand() % 1000);

	(void)state;
	rig_init(&r, MVM_VIRTIO_F_COMMON);
	rig_wr16(&r, RIG_AVAIL + 2, jump);
	rig_expect_refused(&r, mvm_virtq_pop(&r.dev, 0, &c), "jumped",
			   "avail->idx more than the queue size ahead");
	rig_free(&r);
}

/* --- task 2: pushing, and when to interrupt -------------------------------- */

static void push_fills_used_ring_and_interrupts(void **state)
{
	struct rig r;
	struct mvm_virtq_chain c;
	struct mvm_vring_used_elem u;
	unsigned head = lab4_rand() % RIG_QSIZE, k = lab4_rand() % 3;
	uint32_t len = 64 + lab4_rand() % 1000;

	(void)state;
	rig_init(&r, MVM_VIRTIO_BIT(MVM_VIRTIO_F_VERSION_1)); /* no EVENT_IDX */
	rig_desc(&r, RIG_DESC, head, RIG_BUF, len, WR, 0);
	for (unsigned i = 0; i <= k; i++)
		rig_offer(&r, (uint16_t)head);
	for (unsigned i = 0; i <= k; i++) {
		rig_pop(&r, &c, 1, "pop");
		GRADE_EXPECT_EQ(mvm_virtq_push(&r.dev, &c, len - i), 0,
				"mvm_virtq_push()");
		GRADE_EXPECT_EQ(rig_rd16(&r, RIG_USED + 2), i + 1,
				"used->idx after the push");
		memcpy(&u, r.h->ram + RIG_USED + 4 + 8 * i, sizeof(u));
		GRADE_EXPECT_EQ(u.id, head,
				"used->ring[].id (the chain's head)");
		GRADE_EXPECT_EQ(u.len, len - i,
				"used->ring[].len (bytes written)");
	}
	GRADE_EXPECT_EQ(r.nirq, k + 1,
			"used-buffer interrupts (nothing suppressed them)");
	GRADE_EXPECT(mvm_virtio_isr(&r.dev) & MVM_VIRTIO_INT_VRING,
		     "InterruptStatus must have the used-buffer bit");
	rig_free(&r);
}

/* 2.7.10: with EVENT_IDX, a push from old to new used->idx interrupts
 * iff used_event lies in [old, new). The test sets a random used_event
 * before each push, never one in the past (where "old" could fairly be
 * the index before this push or at the last interrupt, as vhost does),
 * and counts the interrupts it expects itself. */
static void event_idx_interrupts_only_past_used_event(void **state)
{
	struct rig r;
	struct mvm_virtq_chain c;
	unsigned want = 0, rounds = 40 + lab4_rand() % 40;
	uint16_t used = 0;

	(void)state;
	rig_init(&r, MVM_VIRTIO_F_COMMON);
	rig_desc(&r, RIG_DESC, 0, RIG_BUF, 8, WR, 0);
	for (unsigned i = 0; i < rounds; i++) {
		static const uint16_t ahead[4] = {0, 1, 2, 5};
		uint16_t ev = (uint16_t)(used + ahead[lab4_rand() % 4]);

		rig_wr16(&r, RIG_AVAIL + 4 + 2 * RIG_QSIZE,
			 ev); /* used_event */
		rig_offer(&r, 0);
		rig_pop(&r, &c, 1, "pop");
		GRADE_EXPECT_EQ(mvm_virtq_push(&r.dev, &c, 8), 0, "push");
		/* one push: old = used, new = used + 1 */
		want += ev == used;
		used++;
		GRADE_EXPECT(r.nirq == want,
			     "push %u (used->idx %u -> %u) with used_event = "
			     "%u: %u interrupts so far, expected %u (2.7.10: "
			     "interrupt iff used_event is in [old, new))",
			     i + 1, (unsigned)(used - 1), (unsigned)used,
			     (unsigned)ev, r.nirq, want);
	}
	grade_note("%u pushes, %u interrupts: the rest were suppressed", rounds,
		   want);
	rig_free(&r);
}

static void no_interrupt_flag_without_event_idx(void **state)
{
	struct rig r;
	struct mvm_virtq_chain c;
	unsigned n = 2 + lab4_rand() % 4, want = 0;

	(void)state;
	rig_init(&r, MVM_VIRTIO_BIT(MVM_VIRTIO_F_VERSION_1));
	rig_desc(&r, RIG_DESC, 0, RIG_BUF, 8, 0, 0);
	for (unsigned i = 0; i < n; i++) {
		int off = (lab4_rand() & 1);

		rig_wr16(&r, RIG_AVAIL,
			 off ? MVM_VIRTQ_AVAIL_F_NO_INTERRUPT : 0);
		/* without EVENT_IDX used_event means nothing: make it a trap */
		rig_wr16(&r, RIG_AVAIL + 4 + 2 * RIG_QSIZE, (uint16_t)(i + 7));
		rig_offer(&r, 0);
		rig_pop(&r, &c, 1, "pop");
		GRADE_EXPECT_EQ(mvm_virtq_push(&r.dev, &c, 0), 0, "push");
		want += !off;
		GRADE_EXPECT(r.nirq == want,
			     "push %u with avail->flags %s and no EVENT_IDX: "
			     "%u interrupts so far, expected %u (2.7.7)",
			     i + 1, off ? "NO_INTERRUPT" : "0", r.nirq, want);
	}
	rig_free(&r);
}

static void push_after_reset_is_dropped(void **state)
{
	struct rig r;
	struct mvm_virtq_chain c;

	(void)state;
	rig_init(&r, MVM_VIRTIO_F_COMMON);
	rig_desc(&r, RIG_DESC, 0, RIG_BUF, 8, WR, 0);
	rig_offer(&r, 0);
	rig_pop(&r, &c, 1, "pop");
	mvm_virtio_set_status(&r.dev, 0);
	GRADE_EXPECT_EQ(mvm_virtq_push(&r.dev, &c, 8), -ESTALE,
			"push of a chain popped before a reset");
	GRADE_EXPECT_EQ(rig_rd16(&r, RIG_USED + 2), 0,
			"used->idx: nothing may be written after a reset");
	rig_free(&r);
}

static const struct grade_test tests[] = {
	GRADE_TEST(pop_gives_readable_then_writable_segments, 4,
		   "task 1: walk_chain() in ring.c"),
	GRADE_TEST(pop_follows_an_indirect_table, 4,
		   "task 1: walk_chain() with enter_indirect()"),
	GRADE_TEST(empty_queue_asks_for_the_next_kick, 3,
		   "task 1: avail_pending() in ring.c"),
	GRADE_TEST(descriptor_loop_needs_reset, 3, "task 1: walk_chain()"),
	GRADE_TEST(chain_longer_than_queue_needs_reset, 3,
		   "task 1: walk_chain()"),
	GRADE_TEST(buffer_outside_ram_needs_reset, 3, "task 1: walk_chain()"),
	GRADE_TEST(readable_after_writable_needs_reset, 3,
		   "task 1: walk_chain()"),
	GRADE_TEST(jumped_avail_index_needs_reset, 3,
		   "task 1: avail_pending()"),
	GRADE_TEST(push_fills_used_ring_and_interrupts, 4,
		   "task 2: mvm_virtq_push() in ring.c"),
	GRADE_TEST(event_idx_interrupts_only_past_used_event, 5,
		   "task 2: mvm_virtq_push(), EVENT_IDX"),
	GRADE_TEST(no_interrupt_flag_without_event_idx, 2,
		   "task 2: mvm_virtq_push(), VIRTQ_AVAIL_F_NO_INTERRUPT"),
	GRADE_TEST(push_after_reset_is_dropped, 2, "task 2: mvm_virtq_push()"),
};

int main(int argc, char **argv)
{
	return grade_main(argc, argv, tests, GRADE_N(tests));
}
