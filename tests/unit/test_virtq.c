/*
 * test_virtq.c - the split virtqueue's device side (ring.c) and the
 * device's status walk (virtio.c), without KVM.
 *
 * Host memory stands in for guest RAM. Each test plays the driver: it
 * writes descriptors and the avail ring by hand, then calls the device
 * side. The malformed-ring tests each break one rule of virtio 1.2,
 * 2.7, and assert that the device refuses it the same way: the pop
 * answers -EIO, the status has NEEDS_RESET, a config interrupt was
 * raised and the log names what the driver did wrong.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostram.h"
#include "minivmm/virtio.h"
#include "minivmm/virtio_ring.h"

#define RAM   (1u << 20)
#define QSIZE 8
#define DESC  0x1000ULL
#define AVAIL 0x2000ULL
#define USED  0x3000ULL
#define BUF   0x10000ULL /* buffers, 0x1000 apart */

struct env {
	struct hostram *h;
	struct mvm_virtio_dev dev;
	char log[512];
	unsigned irq_causes, nirq;
	uint16_t avail_idx; /* the driver's next avail->idx */
};

static void log_fn(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct env *e = ctx;

	(void)level;
	snprintf(e->log, sizeof(e->log), "%s", msg);
}

static void irq_fn(void *ctx, struct mvm_virtio_dev *dev, unsigned cause)
{
	struct env *e = ctx;

	(void)dev;
	e->irq_causes |= cause;
	e->nirq++;
}

static const struct mvm_virtio_ops test_ops = {
	.name = "virtio-test",
	.device_id = MVM_VIRTIO_ID_RNG,
	.nqueues = 1,
	.queue_max = QSIZE,
};

static struct mvm_log the_log;

/* The driver's init walk (3.1.1) with `features`, queue 0 at DESC/AVAIL/
 * USED. */
static void bring_up(struct env *e, uint64_t features)
{
	struct mvm_virtio_dev *d = &e->dev;

	mvm_virtio_set_status(d, 0);
	mvm_virtio_set_status(d, MVM_VIRTIO_S_ACKNOWLEDGE);
	mvm_virtio_set_status(d,
			      MVM_VIRTIO_S_ACKNOWLEDGE | MVM_VIRTIO_S_DRIVER);
	mvm_virtio_set_features(d, 0, (uint32_t)features);
	mvm_virtio_set_features(d, 1, (uint32_t)(features >> 32));
	mvm_virtio_set_status(d, MVM_VIRTIO_S_ACKNOWLEDGE |
					 MVM_VIRTIO_S_DRIVER |
					 MVM_VIRTIO_S_FEATURES_OK);
	assert_int_equal(mvm_virtio_queue_set(d, 0, MVM_VIRTQ_SIZE, QSIZE), 0);
	assert_int_equal(mvm_virtio_queue_set(d, 0, MVM_VIRTQ_DESC, DESC), 0);
	assert_int_equal(mvm_virtio_queue_set(d, 0, MVM_VIRTQ_AVAIL, AVAIL), 0);
	assert_int_equal(mvm_virtio_queue_set(d, 0, MVM_VIRTQ_USED, USED), 0);
	assert_int_equal(mvm_virtio_queue_set(d, 0, MVM_VIRTQ_READY, 1), 0);
	mvm_virtio_set_status(d, 0x0f);
	assert_int_equal(mvm_virtio_get_status(d), 0x0f);
	memset(e->h->ram + DESC, 0, 0x3000);
	e->avail_idx = 0;
	e->irq_causes = e->nirq = 0;
	e->log[0] = 0;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct mvm_dev_ctx ctx = {0};

	if (!e || !(e->h = hostram_new(RAM, 0)))
		return -1;
	the_log = (struct mvm_log){log_fn, e};
	ctx.mem = &e->h->mem;
	ctx.log = &the_log;
	if (mvm_virtio_init(&e->dev, &test_ops, NULL, &ctx))
		return -1;
	e->dev.irq = irq_fn;
	e->dev.irq_ctx = e;
	bring_up(e, MVM_VIRTIO_F_COMMON);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	mvm_virtio_fini(&e->dev);
	hostram_free(e->h);
	free(e);
	return 0;
}

/* --- the driver's side, by hand ------------------------------------------ */

static void put_desc(struct env *e, uint64_t table, unsigned i, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	struct mvm_vring_desc d = {addr, len, flags, next};

	memcpy(e->h->ram + table + 16 * i, &d, sizeof(d));
}

static void offer(struct env *e, uint16_t head)
{
	memcpy(e->h->ram + AVAIL + 4 + 2 * (e->avail_idx % QSIZE), &head, 2);
	e->avail_idx++;
	memcpy(e->h->ram + AVAIL + 2, &e->avail_idx, 2);
}

static uint16_t rd16(struct env *e, uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, e->h->ram + gpa, 2);
	return v;
}

static void wr16(struct env *e, uint64_t gpa, uint16_t v)
{
	memcpy(e->h->ram + gpa, &v, 2);
}

/* The device refused the ring: the four signs, and the log names it. */
static void assert_refused(struct env *e, const char *why)
{
	struct mvm_virtq_chain c;

	assert_true(mvm_virtio_get_status(&e->dev) & MVM_VIRTIO_S_NEEDS_RESET);
	assert_true(e->irq_causes & MVM_VIRTIO_INT_CONFIG);
	assert_non_null(strstr(e->log, why));
	/* and it stays refused, quietly, until a reset */
	e->log[0] = 0;
	assert_int_equal(mvm_virtq_pop(&e->dev, 0, &c), -EIO);
	assert_string_equal(e->log, "");
}

/* --- well-formed rings ---------------------------------------------------- */

static void pop_gives_readable_then_writable_segments(void **state)
{
	struct env *e = *state;
	struct mvm_virtq_chain c;

	put_desc(e, DESC, 3, BUF, 16, MVM_VIRTQ_DESC_F_NEXT, 5);
	put_desc(e, DESC, 5, BUF + 0x1000, 512,
		 MVM_VIRTQ_DESC_F_NEXT | MVM_VIRTQ_DESC_F_WRITE, 1);
	put_desc(e, DESC, 1, BUF + 0x2000, 1, MVM_VIRTQ_DESC_F_WRITE, 0);
	assert_int_equal(mvm_virtq_pop(&e->dev, 0, &c), 0);
	offer(e, 3);
	assert_int_equal(mvm_virtq_pop(&e->dev, 0, &c), 1);
	assert_int_equal(c.head, 3);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.n_out, 1);
	assert_int_equal(c.out_len, 16);
	assert_int_equal(c.in_len, 513);
	assert_int_equal(c.seg[2].addr, BUF + 0x2000);
	assert_int_equal(mvm_virtq_pop(&e->dev, 0, &c), 0);
}

static void push_fills_used_ring_and_interrupts(void **state)
{
	struct env *e = *state;
	struct mvm_virtq_chain c;
	struct mvm_vring_used_elem u;

	put_desc(e, DESC, 2, BUF, 64, MVM_VIRTQ_DESC_F_WRITE, 0);
	offer(e, 2);
	assert_int_equal(mvm_virtq_pop(&e->dev, 0, &c), 1);
	assert_int_equal(mvm_virtq_write(&e->dev, &c, 60, "abcdef", 6), 4);
	assert_memory_equal(e->h->ram + BUF + 60, "abcd", 4);
	assert_int_equal(mvm_virtq_push(&e->dev, &c, 64), 0);
	assert_int_equal(rd16(e, USED + 2), 1);
	memcpy(&u, e->h->ram + USED + 4, sizeof(u));
	assert_int_equal(u.id, 2);
	assert_int_equal(u.len, 64);
	assert_int_equal(e->irq_causes, MVM_VIRTIO_INT_VRING);
	assert_int_equal(mvm_virtio_isr(&e->dev), MVM_VIRTIO_INT_VRING);
	assert_int_equal(mvm_virtio_isr_ack(&e->dev, MVM_VIRTIO_INT_VRING), 0);
}

static void indirect_table_is_walked(void **state)
{
	struct env *e = *state;
	struct mvm_virtq_chain c;
	const uint64_t tbl = BUF + 0x8000;
	char out[8];

	put_desc(e, DESC, 0, tbl, 3 * 16, MVM_VIRTQ_DESC_F_INDIRECT, 0);
	put_desc(e, tbl, 0, BUF, 4, MVM_VIRTQ_DESC_F_NEXT, 2);
	put_desc(e, tbl, 2, BUF + 0x1000, 4, MVM_VIRTQ_DESC_F_NEXT, 1);
	put_desc(e, tbl, 1, BUF + 0x2000, 8, MVM_VIRTQ_DESC_F_WRITE, 0);
	memcpy(e->h->ram + BUF, "abcd", 4);
	memcpy(e->h->ram + BUF + 0x1000, "efgh", 4);
	offer(e, 0);
	assert_int_equal(mvm_virtq_pop(&e->dev, 0, &c), 1);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.n_out, 2);
	assert_int_equal(mvm_virtq_read(&e->dev, &c, 2, out, sizeof(out)), 6);
	assert_memory_equal(out, "cdefgh", 6);
}

/* EVENT_IDX (2.7.10): interrupt only when used->idx passes used_event;
 * an empty pop publishes avail_event = the next index it wants. */
static void event_idx_suppresses_interrupts(void **state)
{
	struct env *e = *state;
	struct mvm_virtq_chain c;

	for (unsigned i = 0; i < 3; i++)
		put_desc(e, DESC, i, BUF, 8, MVM_VIRTQ_DESC_F_WRITE, 0);
	wr16(e, AVAIL + 4 + 2 * QSIZE, 2); /* used_event: after the third */
	for (unsigned i = 0; i < 3; i++)
		offer(e, (uint16_t)i);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(mvm_virtq_pop(&e->dev, 0, &c), 1);
		assert_int_equal(mvm_virtq_push(&e->dev, &c, 8), 0);
		assert_int_equal(e->nirq, i == 2 ? 1 : 0);
	}
	assert_int_equal(mvm_virtq_pop(&e->dev, 0, &c), 0);
	assert_int_equal(rd16(e, USED + 4 + 8 * QSIZE), 3);
}

static void no_interrupt_flag_without_event_idx(void **state)
{
	struct env *e = *state;
	struct mvm_virtq_chain c;

	bring_up(e, MVM_VIRTIO_BIT(MVM_VIRTIO_F_VERSION_1));
	wr16(e, AVAIL, MVM_VIRTQ_AVAIL_F_NO_INTERRUPT);
	put_desc(e, DESC, 0, BUF, 8, 0, 0);
	offer(e, 0);
	offer(e, 0);
	assert_int_equal(mvm_virtq_pop(&e->dev, 0, &c), 1);
	assert_int_equal(mvm_virtq_push(&e->dev, &c, 0), 0);
	assert_int_equal(e->nirq, 0);
	wr16(e, AVAIL, 0);
	assert_int_equal(mvm_virtq_pop(&e->dev, 0, &c), 1);
	assert_int_equal(mvm_virtq_push(&e->dev, &c, 0), 0);
	assert_int_equal(e->nirq, 1);
}

static void push_after_reset_is_dropped(void **state)
{
	struct env *e = *state;
	struct mvm_virtq_chain c;

	put_desc(e, DESC, 0, BUF, 8, MVM_VIRTQ_DESC_F_WRITE, 0);
	offer(e, 0);
	assert_int_equal(mvm_virtq_pop(&e->dev, 0, &c), 1);
	mvm_virtio_set_status(&e->dev, 0);
	assert_int_equal(mvm_virtq_push(&e->dev, &c, 8), -ESTALE);
	assert_int_equal(rd16(e, USED + 2), 0);
}

/* --- the driver's half of negotiation ------------------------------------ */

static void features_ok_refused_without_version_1(void **state)
{
	struct env *e = *state;

	mvm_virtio_set_status(&e->dev, 0);
	mvm_virtio_set_status(&e->dev, 0x03);
	mvm_virtio_set_features(&e->dev, 0,
				MVM_VIRTIO_BIT(MVM_VIRTIO_F_EVENT_IDX));
	mvm_virtio_set_status(&e->dev, 0x0b);
	assert_int_equal(
		mvm_virtio_get_status(&e->dev) & MVM_VIRTIO_S_FEATURES_OK, 0);
	assert_non_null(strstr(e->log, "refusing features"));
}

static void driver_ok_with_ring_outside_ram_needs_reset(void **state)
{
	struct env *e = *state;
	struct mvm_virtio_dev *d = &e->dev;

	mvm_virtio_set_status(d, 0);
	mvm_virtio_set_features(d, 1, 1);
	mvm_virtio_set_status(d, 0x0b);
	mvm_virtio_queue_set(d, 0, MVM_VIRTQ_SIZE, QSIZE);
	mvm_virtio_queue_set(d, 0, MVM_VIRTQ_DESC, RAM - 64);
	mvm_virtio_queue_set(d, 0, MVM_VIRTQ_READY, 1);
	mvm_virtio_set_status(d, 0x0f);
	assert_refused(e, "outside guest RAM");
}

/* --- malformed rings: each must end in NEEDS_RESET with a named cause ----- */

static void loop_in_chain_is_refused(void **state)
{
	struct env *e = *state;
	struct mvm_virtq_chain c;

	put_desc(e, DESC, 0, BUF, 8, MVM_VIRTQ_DESC_F_NEXT, 1);
	put_desc(e, DESC, 1, BUF, 8, MVM_VIRTQ_DESC_F_NEXT, 0);
	offer(e, 0);
	assert_int_equal(mvm_virtq_pop(&e->dev, 0, &c), -EIO);
	assert_refused(e, "descriptor loop");
}

static void chain_longer_than_queue_is_refused(void **state)
{
	struct env *e = *state;
	struct mvm_virtq_chain c;
	const uint64_t tbl = BUF + 0x8000;

	/* two direct descriptors, then an indirect table of QSIZE: each
	 * table is loop-free, the chain is QSIZE + 1 long */
	put_desc(e, DESC, 0, BUF, 8, MVM_VIRTQ_DESC_F_NEXT, 1);
	put_desc(e, DESC, 1, tbl, QSIZE * 16, MVM_VIRTQ_DESC_F_INDIRECT, 0);
	for (unsigned i = 0; i < QSIZE; i++)
		put_desc(e, tbl, i, BUF, 8,
			 i + 1 < QSIZE ? MVM_VIRTQ_DESC_F_NEXT : 0,
			 (uint16_t)(i + 1));
	offer(e, 0);
	assert_int_equal(mvm_virtq_pop(&e->dev, 0, &c), -EIO);
	assert_refused(e, "longer than the queue");
}

static void buffer_outside_ram_is_refused(void **state)
{
	struct env *e = *state;
	struct mvm_virtq_chain c;

	put_desc(e, DESC, 0, RAM - 8, 16, MVM_VIRTQ_DESC_F_WRITE, 0);
	offer(e, 0);
	assert_int_equal(mvm_virtq_pop(&e->dev, 0, &c), -EIO);
	assert_refused(e, "outside guest RAM");
}

static void readable_after_writable_is_refused(void **state)
{
	struct env *e = *state;
	struct mvm_virtq_chain c;

	put_desc(e, DESC, 0, BUF, 8,
		 MVM_VIRTQ_DESC_F_WRITE | MVM_VIRTQ_DESC_F_NEXT, 1);
	put_desc(e, DESC, 1, BUF, 8, 0, 0);
	offer(e, 0);
	assert_int_equal(mvm_virtq_pop(&e->dev, 0, &c), -EIO);
	assert_refused(e, "device-readable after device-writable");
}

static void avail_index_jump_is_refused(void **state)
{
	struct env *e = *state;
	struct mvm_virtq_chain c;

	wr16(e, AVAIL + 2, QSIZE + 1);
	assert_int_equal(mvm_virtq_pop(&e->dev, 0, &c), -EIO);
	assert_refused(e, "jumped");
}

static void head_beyond_queue_is_refused(void **state)
{
	struct env *e = *state;
	struct mvm_virtq_chain c;

	offer(e, QSIZE);
	assert_int_equal(mvm_virtq_pop(&e->dev, 0, &c), -EIO);
	assert_refused(e, "names descriptor 8 of 8");
}

static void next_beyond_table_is_refused(void **state)
{
	struct env *e = *state;
	struct mvm_virtq_chain c;

	put_desc(e, DESC, 0, BUF, 8, MVM_VIRTQ_DESC_F_NEXT, 200);
	offer(e, 0);
	assert_int_equal(mvm_virtq_pop(&e->dev, 0, &c), -EIO);
	assert_refused(e, "beyond the table");
}

static void nested_indirect_is_refused(void **state)
{
	struct env *e = *state;
	struct mvm_virtq_chain c;
	const uint64_t tbl = BUF + 0x8000;

	put_desc(e, DESC, 0, tbl, 16, MVM_VIRTQ_DESC_F_INDIRECT, 0);
	put_desc(e, tbl, 0, tbl, 16, MVM_VIRTQ_DESC_F_INDIRECT, 0);
	offer(e, 0);
	assert_int_equal(mvm_virtq_pop(&e->dev, 0, &c), -EIO);
	assert_refused(e, "inside an indirect table");
}

static void indirect_without_feature_is_refused(void **state)
{
	struct env *e = *state;
	struct mvm_virtq_chain c;

	bring_up(e, MVM_VIRTIO_BIT(MVM_VIRTIO_F_VERSION_1));
	put_desc(e, DESC, 0, BUF, 16, MVM_VIRTQ_DESC_F_INDIRECT, 0);
	offer(e, 0);
	assert_int_equal(mvm_virtq_pop(&e->dev, 0, &c), -EIO);
	assert_refused(e, "without VIRTIO_F_INDIRECT_DESC");
}

static void reset_recovers_from_needs_reset(void **state)
{
	struct env *e = *state;
	struct mvm_virtq_chain c;

	offer(e, QSIZE + 3);
	assert_int_equal(mvm_virtq_pop(&e->dev, 0, &c), -EIO);
	bring_up(e, MVM_VIRTIO_F_COMMON);
	put_desc(e, DESC, 0, BUF, 8, 0, 0);
	offer(e, 0);
	assert_int_equal(mvm_virtq_pop(&e->dev, 0, &c), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(pop_gives_readable_then_writable_segments),
		T(push_fills_used_ring_and_interrupts),
		T(indirect_table_is_walked),
		T(event_idx_suppresses_interrupts),
		T(no_interrupt_flag_without_event_idx),
		T(push_after_reset_is_dropped),
		T(features_ok_refused_without_version_1),
		T(driver_ok_with_ring_outside_ram_needs_reset),
		T(loop_in_chain_is_refused),
		T(chain_longer_than_queue_is_refused),
		T(buffer_outside_ram_is_refused),
		T(readable_after_writable_is_refused),
		T(avail_index_jump_is_refused),
		T(head_beyond_queue_is_refused),
		T(next_beyond_table_is_refused),
		T(nested_indirect_is_refused),
		T(indirect_without_feature_is_refused),
		T(reset_recovers_from_needs_reset),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
