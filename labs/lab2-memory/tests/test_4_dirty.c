/*
 * test_4_dirty.c - Lab 2, task "dirty pages": the scan of a dirty
 * bitmap in mvm_dirty_iter_next() (libminivmm/src/core/dirty_iter.c),
 * first on bitmaps this test makes up (no /dev/kvm needed), then on the
 * log of a guest that stores into pages in a random pattern the test
 * chooses (examples/touch.c), with and without manual protection.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "grade.h"

#include "../../../examples/touch.h"

#define RUN_MS	4000
#define AREA	0x10000000ULL /* a slot of its own, above RAM */
#define AREA_SZ (8ULL << 20)
#define NPAGES	(AREA_SZ / 4096)

static uint64_t seed_now(void)
{
	return ((uint64_t)time(NULL) << 16 ^ (uint64_t)getpid()) | 1;
}

/* Iterate a made-up bitmap of npages pages; every page handed out must
 * be set, in order, and every set page handed out. */
static void check_bitmap(uint64_t *bm, uint64_t npages, const uint8_t *want)
{
	struct mvm_dirty_iter it = {
		.gpa = 0x100000, .npages = npages, .bitmap = bm};
	uint64_t gpa, n = 0, expect = 0, prev = 0;
	int rc;

	for (uint64_t i = 0; i < npages; i++)
		expect += want[i];
	while ((rc = mvm_dirty_iter_next(&it, &gpa)) == 1) {
		uint64_t page = (gpa - 0x100000) / 4096;

		GRADE_EXPECT(
			gpa >= 0x100000 && page < npages && (gpa & 0xfff) == 0,
			"iterator gave 0x%llx: not the first byte of a "
			"page of the slot (GPA 0x100000, %llu pages)",
			(unsigned long long)gpa, (unsigned long long)npages);
		GRADE_EXPECT(want[page], "page %llu reported, its bit is clear",
			     (unsigned long long)page);
		GRADE_EXPECT(n == 0 || page > prev,
			     "page %llu after page %llu: pages must come "
			     "once each, in address order",
			     (unsigned long long)page,
			     (unsigned long long)prev);
		prev = page;
		n++;
	}
	GRADE_EXPECT_EQ(rc, 0, "mvm_dirty_iter_next() at the end");
	GRADE_EXPECT_EQ(n, expect, "pages reported (bits set in the bitmap)");
}

static void dirty_scan_finds_every_set_bit_of_a_bitmap(void **state)
{
	enum { PAGES = 64 * 37 + 21 }; /* the last word is partly used */
	uint64_t bm[(PAGES + 63) / 64];
	uint8_t want[PAGES];

	(void)state;
	srand((unsigned)seed_now());
	for (int round = 0; round < 40; round++) {
		int density = rand() % 4; /* empty words, sparse, dense */

		memset(bm, 0, sizeof(bm));
		for (uint64_t i = 0; i < PAGES; i++) {
			want[i] = density && rand() % (1 << (3 * density)) == 0;
			if (want[i])
				bm[i / 64] |= 1ULL << (i % 64);
		}
		if (round == 0) { /* the edges of words and of the slot */
			static const uint64_t edge[] = {0, 63, 64, 127,
							PAGES - 1};

			memset(want, 0, sizeof(want));
			memset(bm, 0, sizeof(bm));
			for (size_t i = 0; i < sizeof(edge) / 8; i++) {
				want[edge[i]] = 1;
				bm[edge[i] / 64] |= 1ULL << (edge[i] % 64);
			}
		}
		check_bitmap(bm, PAGES, want);
	}
}

/* A machine running the touch guest over a logging slot. */
struct run {
	struct fixture *f;
	int slot;
};

static int run_setup(void **state)
{
	struct run *r = calloc(1, sizeof(*r));

	fixture_require_kvm();
	if (fixture_setup(state))
		return -1;
	r->f = *state;
	r->slot = mvm_vm_mem_add(r->f->vm, AREA, AREA_SZ, MVM_MEM_LOG_DIRTY);
	if (r->slot < 0)
		return -1;
	fixture_load(r->f, "touch.elf", MVM_MODE_LONG64);
	*state = r;
	return 0;
}

static int run_teardown(void **state)
{
	struct run *r = *state;

	*state = r->f;
	free(r);
	return fixture_teardown(state);
}

/* One guest round of `count` random stores; want[] gets the pages. */
static void random_round(struct run *r, uint64_t count, uint8_t *want)
{
	struct touch_params p = {.rounds = 1,
				 .pattern = TOUCH_RANDOM,
				 .base = AREA,
				 .size = AREA_SZ,
				 .count = count,
				 .seed = seed_now()};
	uint64_t s = p.seed;
	struct mvm_exit e;

	for (uint64_t i = 0; i < count; i++)
		want[touch_page(&p, i, &s)] = 1;
	GRADE_EXPECT(mvm_vm_write(r->f->vm, TOUCH_PARAMS, &p, sizeof(p)) == 0,
		     "cannot write the guest's parameters");
	fixture_backstop(RUN_MS);
	GRADE_EXPECT(mvm_machine_run(r->f->m, 0, RUN_MS, 1, NULL, NULL, &e) ==
			     MVM_SYNC,
		     "the touch guest did not reach its SYNC");
	alarm(0);
}

static void check_log(struct run *r, const uint8_t *want)
{
	struct mvm_dirty_iter it;
	uint8_t seen[NPAGES] = {0};
	uint64_t gpa;
	int rc;

	GRADE_EXPECT_EQ(mvm_dirty_iter_begin(r->f->vm, r->slot, &it), 0,
			"mvm_dirty_iter_begin()");
	while ((rc = mvm_dirty_iter_next(&it, &gpa)) == 1) {
		uint64_t page = (gpa - AREA) / 4096;

		GRADE_EXPECT(gpa >= AREA && page < NPAGES && want[page] &&
				     !seen[page],
			     "page 0x%llx reported: the guest did not write "
			     "it, or it came twice",
			     (unsigned long long)gpa);
		seen[page] = 1;
	}
	mvm_dirty_iter_end(&it);
	GRADE_EXPECT_EQ(rc, 0, "mvm_dirty_iter_next() at the end");
	for (uint64_t i = 0; i < NPAGES; i++)
		GRADE_EXPECT(seen[i] || !want[i],
			     "page 0x%llx: the guest wrote it, the iterator "
			     "did not report it",
			     (unsigned long long)(AREA + i * 4096));
}

static void dirty_iterator_reports_the_guests_random_stores(void **state)
{
	struct run *r = *state;
	uint8_t want[NPAGES] = {0};

	random_round(r, 300 + (uint64_t)(rand() % 300), want);
	check_log(r, want);
	memset(want, 0, sizeof(want));
	random_round(r, 50, want); /* only the new round's pages now */
	check_log(r, want);
}

static void dirty_iterator_with_manual_protection(void **state)
{
	struct run *r = *state;
	uint8_t want[NPAGES] = {0};
	int rc = mvm_vm_dirty_manual(r->f->vm, 1);

	if (rc == -EOPNOTSUPP) {
		grade_note("KVM has no KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2");
		skip();
	}
	GRADE_EXPECT_EQ(rc, 0, "mvm_vm_dirty_manual(vm, 1)");
	random_round(r, 400, want);
	check_log(r, want);
	memset(want, 0, sizeof(want));
	random_round(r, 40, want); /* cleared as we went: only the new */
	check_log(r, want);
}

static const struct grade_test tests[] = {
	GRADE_TEST(dirty_scan_finds_every_set_bit_of_a_bitmap, 6,
		   "dirty pages: scan() in core/dirty_iter.c"),
	GRADE_TEST_SETUP(dirty_iterator_reports_the_guests_random_stores, 5,
			 "dirty pages: scan() on a live dirty log", run_setup,
			 run_teardown),
	GRADE_TEST_SETUP(dirty_iterator_with_manual_protection, 4,
			 "dirty pages: scan() with KVM_CLEAR_DIRTY_LOG",
			 run_setup, run_teardown),
};

int main(int argc, char **argv)
{
	return grade_main(argc, argv, tests, GRADE_N(tests));
}
