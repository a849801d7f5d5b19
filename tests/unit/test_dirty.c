/*
 * test_dirty.c - the VMM's own dirty bitmap (dirty.c), without KVM.
 *
 * KVM's dirty log sees only the guest's writes; every write the VMM
 * makes while a slot logs must land in the slot's own bitmap, or a live
 * migration sends a stale page. These tests write through each path
 * (mvm_memmap_write, a pointer plus mvm_memmap_mark_dirty) and check
 * the bitmap holds exactly the pages written, no more, no fewer, also
 * when several threads mark and collect at once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "minivmm/minivmm.h"

#define PAGE  4096ULL
#define PAGES 256ULL /* 1 MiB slots: bitmaps of 4 words */
#define WORDS MVM_DIRTY_WORDS(PAGES *PAGE)
#define GPA_A 0x100000ULL /* logging slot */
#define GPA_B 0x200000ULL /* right after it, not logging */

struct env {
	struct mvm_memmap mem;
	uint8_t *ram[2];
	int slot[2];
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	if (!e)
		return -1;
	for (int i = 0; i < 2; i++) {
		e->ram[i] = aligned_alloc(PAGE, PAGES * PAGE);
		if (!e->ram[i])
			return -1;
		memset(e->ram[i], 0, PAGES * PAGE);
	}
	e->slot[0] = mvm_memmap_add(&e->mem, GPA_A, PAGES * PAGE, e->ram[0],
				    MVM_MEM_LOG_DIRTY);
	e->slot[1] = mvm_memmap_add(&e->mem, GPA_B, PAGES * PAGE, e->ram[1], 0);
	if (e->slot[0] < 0 || e->slot[1] < 0)
		return -1;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	/* remove frees the bitmaps: LeakSanitizer checks that it does */
	for (int i = 0; i < 2; i++) {
		mvm_memmap_remove(&e->mem, e->slot[i]);
		free(e->ram[i]);
	}
	free(e);
	return 0;
}

/* Collect slot 0's bitmap and check it holds exactly pages[0..n-1]. */
static void expect_pages(struct env *e, const uint64_t *pages, int n)
{
	uint64_t got[WORDS] = {0}, want[WORDS] = {0};

	for (int i = 0; i < n; i++)
		want[pages[i] / 64] |= 1ULL << (pages[i] % 64);
	assert_int_equal(mvm_memmap_dirty_collect(&e->mem, e->slot[0], got), 0);
	assert_memory_equal(got, want, sizeof(want));
}

static void a_logging_slot_starts_clear_and_reads_do_not_dirty(void **state)
{
	struct env *e = *state;
	uint8_t b[16];

	assert_non_null(e->mem.slots[e->slot[0]].dirty);
	assert_null(e->mem.slots[e->slot[1]].dirty);
	assert_int_equal(mvm_memmap_read(&e->mem, GPA_A, b, sizeof(b)), 0);
	expect_pages(e, NULL, 0);
}

static void memmap_write_marks_every_page_it_touches(void **state)
{
	struct env *e = *state;
	const uint64_t pages[] = {3, 4, 200};

	/* 8 bytes across the page 3 / page 4 boundary, 1 byte in page 200 */
	assert_int_equal(mvm_memmap_write(&e->mem, GPA_A + 4 * PAGE - 4,
					  "abcdefgh", 8, 0),
			 0);
	assert_int_equal(
		mvm_memmap_write(&e->mem, GPA_A + 200 * PAGE, "x", 1, 0), 0);
	expect_pages(e, pages, 3);
	/* collecting cleared it */
	expect_pages(e, NULL, 0);
}

static void a_failed_write_marks_nothing(void **state)
{
	struct env *e = *state;
	const size_t len = 2 * PAGES * PAGE;
	uint8_t *big = calloc(1, len);

	/* from A's last page through B and past B's end into no memory:
	 * refused, nothing copied, so nothing may be reported */
	assert_non_null(big);
	assert_int_equal(mvm_memmap_write(&e->mem, GPA_A + PAGES * PAGE - 4,
					  big, len, 0),
			 -EFAULT);
	free(big);
	expect_pages(e, NULL, 0);
}

static void
mark_dirty_covers_word_boundaries_and_stops_at_the_slot(void **state)
{
	struct env *e = *state;
	uint64_t pages[PAGES];
	int n = 0;

	/* pages 60..255 of A (crossing three word boundaries) and on into
	 * B, which does not log: only A's part is recorded */
	mvm_memmap_mark_dirty(&e->mem, GPA_A + 60 * PAGE + 5,
			      (PAGES - 60) * PAGE + 3 * PAGE);
	for (uint64_t p = 60; p < PAGES; p++)
		pages[n++] = p;
	expect_pages(e, pages, n);
	/* no memory at all, an empty range, and a range that would wrap
	 * past 2^64: nothing, and no crash */
	mvm_memmap_mark_dirty(&e->mem, 0, PAGE);
	mvm_memmap_mark_dirty(&e->mem, GPA_A, 0);
	mvm_memmap_mark_dirty(&e->mem, UINT64_MAX - 10, 100);
	expect_pages(e, NULL, 0);
	/* a wrapping range that starts inside A is clipped, not lost */
	mvm_memmap_mark_dirty(&e->mem, GPA_A + (PAGES - 1) * PAGE, UINT64_MAX);
	pages[0] = PAGES - 1;
	expect_pages(e, pages, 1);
}

static void pointer_writers_mark_what_they_wrote(void **state)
{
	struct env *e = *state;
	const uint64_t pages[] = {10, 11};
	uint8_t *p = mvm_memmap_hva(&e->mem, GPA_A + 10 * PAGE, 2 * PAGE);

	assert_non_null(p);
	memset(p, 0xaa, 2 * PAGE);
	expect_pages(e, NULL, 0); /* the pointer alone records nothing */
	mvm_memmap_mark_dirty(&e->mem, GPA_A + 10 * PAGE, 2 * PAGE);
	expect_pages(e, pages, 2);
}

static void logging_switches_off_and_on_again_clear(void **state)
{
	struct env *e = *state;
	uint64_t bm[WORDS];
	const uint64_t pages[] = {7};

	assert_int_equal(mvm_memmap_write(&e->mem, GPA_A, "a", 1, 0), 0);
	assert_int_equal(mvm_memmap_set_flags(&e->mem, e->slot[0], 0), 0);
	assert_null(e->mem.slots[e->slot[0]].dirty);
	assert_int_equal(mvm_memmap_dirty_collect(&e->mem, e->slot[0], bm),
			 -EINVAL);
	/* writes while off are not recorded anywhere */
	assert_int_equal(mvm_memmap_write(&e->mem, GPA_A + PAGE, "b", 1, 0), 0);
	assert_int_equal(
		mvm_memmap_set_flags(&e->mem, e->slot[0], MVM_MEM_LOG_DIRTY),
		0);
	expect_pages(e, NULL, 0);
	assert_int_equal(mvm_memmap_write(&e->mem, GPA_A + 7 * PAGE, "c", 1, 0),
			 0);
	expect_pages(e, pages, 1);
	/* the other slot can start logging too */
	assert_int_equal(
		mvm_memmap_set_flags(&e->mem, e->slot[1], MVM_MEM_LOG_DIRTY),
		0);
	assert_int_equal(mvm_memmap_write(&e->mem, GPA_B + 2 * PAGE, "d", 1, 0),
			 0);
	memset(bm, 0, sizeof(bm));
	assert_int_equal(mvm_memmap_dirty_collect(&e->mem, e->slot[1], bm), 0);
	assert_int_equal(bm[0], 1ULL << 2);
}

static void only_log_dirty_may_change(void **state)
{
	struct env *e = *state;
	const int s = e->slot[0];

	assert_int_equal(
		mvm_memmap_set_flags(&e->mem, s,
				     MVM_MEM_LOG_DIRTY | MVM_MEM_READONLY),
		-EINVAL);
	assert_int_equal(
		mvm_memmap_set_flags(&e->mem, s,
				     MVM_MEM_LOG_DIRTY | MVM_MEM_PRIVATE),
		-EINVAL);
	assert_int_equal(mvm_memmap_set_flags(&e->mem, s, 1u << 9), -EINVAL);
	assert_int_equal(mvm_memmap_set_flags(&e->mem, MVM_MAX_SLOTS - 1, 0),
			 -ENOENT);
	assert_int_equal(e->mem.slots[s].flags, MVM_MEM_LOG_DIRTY);
}

/* --- several threads ------------------------------------------------------
 * THREADS writers start together and each marks its own pages (page %
 * THREADS == id) exactly once, all of them hammering the same bitmap
 * words, while the main thread keeps collecting. With a plain
 * read-modify-write of a word, one writer's bit would now and then
 * overwrite another's, or a collection would clear a bit it never
 * reported: since each page is marked once, such a page is lost for
 * good, and the union of all collections misses it. */

#define THREADS	  4
#define BIG_PAGES 16384ULL /* 64 MiB of address space, never touched */
#define BIG_WORDS MVM_DIRTY_WORDS(BIG_PAGES *PAGE)
#define BIG_GPA	  0x10000000ULL
#define REPEATS	  20

struct marker {
	const struct mvm_memmap *mem;
	pthread_barrier_t *start;
	int id;
};

static void *mark_own_pages(void *arg)
{
	const struct marker *m = arg;

	pthread_barrier_wait(m->start);
	for (uint64_t p = (uint64_t)m->id; p < BIG_PAGES; p += THREADS)
		mvm_memmap_mark_dirty(m->mem, BIG_GPA + p * PAGE, 1);
	return NULL;
}

/* One race: start the markers, collect while they run, then once more. */
static void race_once(struct mvm_memmap *mem, int slot, uint64_t *seen)
{
	pthread_barrier_t start;
	struct marker m[THREADS];
	pthread_t t[THREADS];

	assert_int_equal(pthread_barrier_init(&start, NULL, THREADS + 1), 0);
	for (int i = 0; i < THREADS; i++) {
		m[i] = (struct marker){.mem = mem, .start = &start, .id = i};
		assert_int_equal(
			pthread_create(&t[i], NULL, mark_own_pages, &m[i]), 0);
	}
	pthread_barrier_wait(&start);
	for (int r = 0; r < 200; r++)
		assert_int_equal(mvm_memmap_dirty_collect(mem, slot, seen), 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(mvm_memmap_dirty_collect(mem, slot, seen), 0);
	pthread_barrier_destroy(&start);
}

static void concurrent_marks_and_collections_lose_no_page(void **state)
{
	struct env *e = *state;
	void *space = mmap(NULL, BIG_PAGES * PAGE, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint64_t seen[BIG_WORDS], left[BIG_WORDS] = {0};
	int slot;

	assert_true(space != MAP_FAILED);
	slot = mvm_memmap_add(&e->mem, BIG_GPA, BIG_PAGES * PAGE, space,
			      MVM_MEM_LOG_DIRTY);
	assert_true(slot >= 0);
	for (int rep = 0; rep < REPEATS; rep++) {
		memset(seen, 0, sizeof(seen));
		race_once(&e->mem, slot, seen);
		for (uint64_t w = 0; w < BIG_WORDS; w++)
			assert_int_equal(seen[w], ~0ULL);
	}
	/* every bit was handed out: the slot's own bitmap is clear */
	assert_int_equal(mvm_memmap_dirty_collect(&e->mem, slot, left), 0);
	for (uint64_t w = 0; w < BIG_WORDS; w++)
		assert_int_equal(left[w], 0);
	assert_int_equal(mvm_memmap_remove(&e->mem, slot), 0);
	munmap(space, BIG_PAGES * PAGE);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(a_logging_slot_starts_clear_and_reads_do_not_dirty),
		T(memmap_write_marks_every_page_it_touches),
		T(a_failed_write_marks_nothing),
		T(mark_dirty_covers_word_boundaries_and_stops_at_the_slot),
		T(pointer_writers_mark_what_they_wrote),
		T(logging_switches_off_and_on_again_clear),
		T(only_log_dirty_may_change),
		T(concurrent_marks_and_collections_lose_no_page),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
