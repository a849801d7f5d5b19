/*
 * test_dirty_iter.c - the dirty-page iterator (dirty.h) against a guest
 * that stores into pages in known patterns (examples/touch.c).
 *
 * The pages live in a slot of their own that logs dirty pages, so the
 * iterator must hand out exactly the pages the guest (and the VMM)
 * wrote there: none missing, none extra, each once, in address order.
 * Manual protection (KVM_CLEAR_DIRTY_LOG) is tested where KVM offers it
 * and the plain path is tested everywhere.
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
#include <time.h>
#include <unistd.h>

#include "fixture.h"

#include "../../examples/touch.h"

#define RUN_MS	20000
#define AREA	0x10000000ULL /* 256 MiB: above RAM, below MMIO */
#define AREA_SZ (8ULL << 20)
#define NPAGES	(AREA_SZ / 4096)

struct dctx {
	struct fixture *f;
	int slot;
	uint8_t want[NPAGES]; /* pages expected dirty */
};

static int setup(void **state)
{
	struct dctx *d;
	int rc = fixture_setup(state);

	if (rc)
		return rc;
	d = calloc(1, sizeof(*d));
	d->f = *state;
	d->slot = mvm_vm_mem_add(d->f->vm, AREA, AREA_SZ, MVM_MEM_LOG_DIRTY);
	if (d->slot < 0)
		return -1;
	fixture_load(d->f, "touch.elf", MVM_MODE_LONG64);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dctx *d = *state;

	*state = d->f;
	free(d);
	return fixture_teardown(state);
}

/* One round of the guest with params p; marks the pages in want[]. */
static void round_of(struct dctx *d, struct touch_params p)
{
	struct mvm_exit e;
	uint64_t state = p.seed;

	p.rounds = 1;
	p.base = AREA;
	p.size = AREA_SZ;
	assert_int_equal(mvm_vm_write(d->f->vm, TOUCH_PARAMS, &p, sizeof(p)),
			 0);
	for (uint64_t i = 0; i < p.count; i++)
		d->want[touch_page(&p, i, &state)] = 1;
	fixture_backstop(RUN_MS);
	assert_int_equal(mvm_machine_run(d->f->m, 0, RUN_MS, 1, NULL, NULL, &e),
			 MVM_SYNC);
	alarm(0);
}

/* Iterate the log; compare with want[] and clear it. Returns pages. */
static uint64_t expect_log(struct dctx *d, struct mvm_dirty_iter *it)
{
	uint64_t gpa, last = 0, n = 0;
	int rc;

	assert_int_equal(mvm_dirty_iter_begin(d->f->vm, d->slot, it), 0);
	while ((rc = mvm_dirty_iter_next(it, &gpa)) == 1) {
		uint64_t page = (gpa - AREA) / 4096;

		assert_true(gpa >= AREA && gpa < AREA + AREA_SZ);
		assert_true(n == 0 || gpa > last); /* in order, once each */
		if (!d->want[page])
			fail_msg("page 0x%llx reported, not written",
				 (unsigned long long)gpa);
		d->want[page] = 0;
		last = gpa;
		n++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(it->pages, n);
	mvm_dirty_iter_end(it);
	for (uint64_t i = 0; i < NPAGES; i++)
		if (d->want[i])
			fail_msg("page 0x%llx written, not reported",
				 (unsigned long long)(AREA + i * 4096));
	return n;
}

static void iterator_yields_exactly_the_pages_written(void **state)
{
	struct dctx *d = *state;
	struct mvm_dirty_iter it;
	const uint64_t v = 7;
	uint64_t seed = (uint64_t)time(NULL) | 1;

	/* Logging started empty: nothing to report yet. */
	assert_int_equal(expect_log(d, &it), 0);
	round_of(d, (struct touch_params){.pattern = TOUCH_SEQUENTIAL,
					  .count = 100});
	assert_int_equal(expect_log(d, &it), 100);
	round_of(d, (struct touch_params){.pattern = TOUCH_STRIDED,
					  .stride = 65,
					  .count = 300});
	assert_int_equal(expect_log(d, &it), 300);
	round_of(d, (struct touch_params){.pattern = TOUCH_RANDOM,
					  .seed = seed,
					  .count = 500});
	/* The VMM's own writes are in the log too (memory.h). */
	assert_int_equal(mvm_vm_write(d->f->vm, AREA + AREA_SZ - 8, &v, 8), 0);
	d->want[NPAGES - 1] = 1;
	printf("# random seed 0x%llx: %llu distinct pages\n",
	       (unsigned long long)seed,
	       (unsigned long long)expect_log(d, &it));
	assert_int_equal(expect_log(d, &it), 0); /* the log was cleared */
}

static void manual_protection_clears_as_it_goes_or_falls_back(void **state)
{
	struct dctx *d = *state;
	struct mvm_dirty_iter it;
	uint64_t bm[MVM_DIRTY_WORDS(AREA_SZ)], gpa;
	int rc = mvm_vm_dirty_manual(d->f->vm, 1);

	if (rc == -EOPNOTSUPP) {
		printf("# no KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: plain path\n");
		assert_false(mvm_vm_dirty_is_manual(d->f->vm));
	} else {
		assert_int_equal(rc, 0);
		assert_true(mvm_vm_dirty_is_manual(d->f->vm));
	}
	round_of(d, (struct touch_params){.pattern = TOUCH_STRIDED,
					  .stride = 64,
					  .count = 20});
	assert_int_equal(expect_log(d, &it), 20);
	if (mvm_vm_dirty_is_manual(d->f->vm)) {
		assert_int_equal(it.clears, 20); /* one per 64-page word */
		printf("# manual protection: %llu KVM_CLEAR_DIRTY_LOG calls\n",
		       (unsigned long long)it.clears);
	}
	/* Stop half way: in manual mode the rest is reported next time. */
	round_of(d, (struct touch_params){.pattern = TOUCH_SEQUENTIAL,
					  .count = 256});
	assert_int_equal(mvm_dirty_iter_begin(d->f->vm, d->slot, &it), 0);
	for (int i = 0; i < 64; i++) {
		assert_int_equal(mvm_dirty_iter_next(&it, &gpa), 1);
		d->want[(gpa - AREA) / 4096] = 0;
	}
	mvm_dirty_iter_end(&it);
	if (mvm_vm_dirty_is_manual(d->f->vm))
		assert_int_equal(expect_log(d, &it), 192);
	else
		memset(d->want, 0, sizeof(d->want));
	/* mvm_vm_dirty_log() keeps its contract: it clears what it
	 * returns, in either mode. */
	round_of(d, (struct touch_params){.pattern = TOUCH_SEQUENTIAL,
					  .count = 3});
	memset(bm, 0, sizeof(bm));
	assert_int_equal(mvm_vm_dirty_log(d->f->vm, d->slot, bm), 0);
	assert_int_equal(bm[0], 7);
	memset(bm, 0, sizeof(bm));
	assert_int_equal(mvm_vm_dirty_log(d->f->vm, d->slot, bm), 0);
	assert_int_equal(bm[0], 0);
	assert_int_equal(mvm_vm_dirty_manual(d->f->vm, 0),
			 mvm_vm_dirty_is_manual(d->f->vm) ? -EINVAL : 0);
}

static void iterator_refuses_a_slot_that_does_not_log(void **state)
{
	struct dctx *d = *state;
	struct mvm_dirty_iter it;

	assert_int_equal(mvm_dirty_iter_begin(d->f->vm, 0, &it), -EINVAL);
	assert_int_equal(mvm_dirty_iter_begin(d->f->vm, 30, &it), -ENOENT);
	mvm_dirty_iter_end(&it);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			iterator_yields_exactly_the_pages_written, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			manual_protection_clears_as_it_goes_or_falls_back,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			iterator_refuses_a_slot_that_does_not_log, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
