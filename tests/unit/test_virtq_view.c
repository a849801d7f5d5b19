/*
 * test_virtq_view.c - the read-only views of a virtio device and its
 * split ring (virtio_view.h), without KVM: host memory stands in for
 * guest RAM, the test plays the driver, the device pops and pushes,
 * and the view must show what each side did - including a ring the
 * device refused (NEEDS_RESET) and rings outside RAM.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hostram.h"
#include "minivmm/virtio.h"
#include "minivmm/virtio_ring.h"
#include "minivmm/virtio_view.h"

#define RAM   (1u << 20)
#define QSIZE 8
#define DESC  0x1000ULL
#define AVAIL 0x2000ULL
#define USED  0x3000ULL
#define BUF   0x10000ULL

static void quiet(void *ctx, enum mvm_log_level l, const char *m)
{
	(void)ctx, (void)l, (void)m;
}

static void no_irq(void *ctx, struct mvm_virtio_dev *dev, unsigned cause)
{
	(void)ctx, (void)dev, (void)cause;
}

static const struct mvm_virtio_ops ops = {
	.name = "virtio-view-test",
	.device_id = MVM_VIRTIO_ID_RNG,
	.nqueues = 1,
	.queue_max = QSIZE,
};
static struct mvm_log the_log = {quiet, NULL};

struct env {
	struct hostram *h;
	struct mvm_virtio_dev dev;
	uint16_t avail_idx;
};

/* The driver's init walk (virtio 1.2, 3.1.1), queue 0 at `desc`. */
static void bring_up(struct env *e, uint64_t desc)
{
	struct mvm_virtio_dev *d = &e->dev;

	mvm_virtio_set_status(d,
			      MVM_VIRTIO_S_ACKNOWLEDGE | MVM_VIRTIO_S_DRIVER);
	mvm_virtio_set_features(d, 1, 1); /* VERSION_1 */
	mvm_virtio_set_status(d, MVM_VIRTIO_S_ACKNOWLEDGE |
					 MVM_VIRTIO_S_DRIVER |
					 MVM_VIRTIO_S_FEATURES_OK);
	mvm_virtio_queue_set(d, 0, MVM_VIRTQ_SIZE, QSIZE);
	mvm_virtio_queue_set(d, 0, MVM_VIRTQ_DESC, desc);
	mvm_virtio_queue_set(d, 0, MVM_VIRTQ_AVAIL, AVAIL);
	mvm_virtio_queue_set(d, 0, MVM_VIRTQ_USED, USED);
	mvm_virtio_queue_set(d, 0, MVM_VIRTQ_READY, 1);
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct mvm_dev_ctx ctx = {0};

	if (!e || !(e->h = hostram_new(RAM, 0)))
		return -1;
	ctx.mem = &e->h->mem;
	ctx.log = &the_log;
	if (mvm_virtio_init(&e->dev, &ops, NULL, &ctx))
		return -1;
	e->dev.irq = no_irq;
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

static void put_desc(struct env *e, unsigned i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	struct mvm_vring_desc d = {addr, len, flags, next};

	memcpy(e->h->ram + DESC + 16 * i, &d, sizeof(d));
}

static void offer(struct env *e, uint16_t head)
{
	memcpy(e->h->ram + AVAIL + 4 + 2 * (e->avail_idx % QSIZE), &head, 2);
	e->avail_idx++;
	memcpy(e->h->ram + AVAIL + 2, &e->avail_idx, 2);
}

/* Two chains offered, one popped and pushed: avail idx 2, last seen 1,
 * used idx 1, and the table and both rings read back as written. */
static void view_shows_each_sides_index_and_the_rings(void **state)
{
	struct env *e = *state;
	struct mvm_virtq_chain c;
	struct mvm_virtq_view v;
	struct mvm_vring_desc d;
	struct mvm_vring_used_elem u;
	uint16_t head;

	bring_up(e, DESC);
	mvm_virtio_set_status(&e->dev, 0x0f);
	put_desc(e, 3, BUF, 16, MVM_VIRTQ_DESC_F_NEXT, 5);
	put_desc(e, 5, BUF + 0x1000, 512, MVM_VIRTQ_DESC_F_WRITE, 0);
	put_desc(e, 6, BUF + 0x2000, 8, MVM_VIRTQ_DESC_F_WRITE, 0);
	offer(e, 3);
	offer(e, 6);
	assert_int_equal(mvm_virtq_pop(&e->dev, 0, &c), 1);
	assert_int_equal(mvm_virtq_push(&e->dev, &c, 100), 0);

	assert_int_equal(mvm_virtq_view_get(&e->dev, 0, &v), 0);
	assert_int_equal(v.size, QSIZE);
	assert_true(v.ready && v.rings_ok);
	assert_int_equal(v.desc, DESC);
	assert_int_equal(v.avail_idx, 2);
	assert_int_equal(v.last_avail, 1);
	assert_int_equal(v.used_idx, 1);
	assert_int_equal(v.dev_used_idx, 1);
	assert_int_equal(v.pops, 1);
	assert_int_equal(mvm_virtq_view_desc(&e->dev, &v, 3, &d), 0);
	assert_int_equal(d.addr, BUF);
	assert_int_equal(d.next, 5);
	assert_int_equal(mvm_virtq_view_desc(&e->dev, &v, QSIZE, &d), -EINVAL);
	assert_int_equal(mvm_virtq_view_avail(&e->dev, &v, 1, &head), 0);
	assert_int_equal(head, 6);
	assert_int_equal(mvm_virtq_view_used(&e->dev, &v, 0, &u), 0);
	assert_int_equal(u.id, 3);
	assert_int_equal(u.len, 100);
	assert_int_equal(mvm_virtio_get_status(&e->dev), 0x0f);
	assert_int_equal(mvm_virtq_view_get(&e->dev, 1, &v), -EINVAL);
}

/* A descriptor loop: the device refuses it, and the view shows
 * NEEDS_RESET and the loop still sitting in the table. */
static void view_shows_needs_reset_after_a_loop(void **state)
{
	struct env *e = *state;
	struct mvm_virtq_chain c;
	struct mvm_virtq_view v;
	struct mvm_vring_desc d;
	char st[96];

	bring_up(e, DESC);
	mvm_virtio_set_status(&e->dev, 0x0f);
	put_desc(e, 0, BUF, 16, MVM_VIRTQ_DESC_F_NEXT, 1);
	put_desc(e, 1, BUF, 16, MVM_VIRTQ_DESC_F_NEXT, 0);
	offer(e, 0);
	assert_int_equal(mvm_virtq_pop(&e->dev, 0, &c), -EIO);
	mvm_virtio_status_str(mvm_virtio_get_status(&e->dev), st, sizeof(st));
	assert_non_null(strstr(st, "NEEDS_RESET"));
	assert_int_equal(mvm_virtq_view_get(&e->dev, 0, &v), 0);
	assert_int_equal(v.avail_idx, 1);
	assert_int_equal(v.last_avail, 0); /* refused: not taken */
	assert_int_equal(mvm_virtq_view_desc(&e->dev, &v, 1, &d), 0);
	assert_int_equal(d.next, 0);
}

/* A table outside guest RAM reads -EFAULT; the view does not crash. */
static void rings_outside_ram_read_efault(void **state)
{
	struct env *e = *state;
	struct mvm_virtq_view v;
	struct mvm_vring_desc d;

	bring_up(e, RAM + 0x1000); /* not DRIVER_OK: the device accepts */
	assert_int_equal(mvm_virtq_view_get(&e->dev, 0, &v), 0);
	assert_int_equal(v.desc, RAM + 0x1000);
	assert_int_equal(mvm_virtq_view_desc(&e->dev, &v, 0, &d), -EFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			view_shows_each_sides_index_and_the_rings, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			view_shows_needs_reset_after_a_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(rings_outside_ram_read_efault,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
