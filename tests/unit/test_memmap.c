/*
 * test_memmap.c - struct mvm_memmap, the guest-physical -> host boundary.
 *
 * Every guest-chosen address goes through these functions, so the tests
 * play the hostile guest: ranges that overlap, run off the end of a
 * slot, wrap around 2^64, cross into the next slot, or write to ROM.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "minivmm/minivmm.h"

#define PAGE 4096ULL

/* Three page-aligned host buffers of 4 pages each. */
static uint8_t *buf[3];

static int setup(void **state)
{
	for (int i = 0; i < 3; i++) {
		buf[i] = aligned_alloc(PAGE, 4 * PAGE);
		if (!buf[i])
			return -1;
		memset(buf[i], 0x10 * (i + 1), 4 * PAGE);
	}
	*state = calloc(1, sizeof(struct mvm_memmap));
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	for (int i = 0; i < 3; i++)
		free(buf[i]);
	free(*state);
	return 0;
}

static void add_returns_slot_index_and_find_locates_it(void **state)
{
	struct mvm_memmap *m = *state;
	const struct mvm_slot *s;

	assert_int_equal(mvm_memmap_add(m, 0x10000, 4 * PAGE, buf[0], 0), 0);
	assert_int_equal(mvm_memmap_add(m, 0x20000, 4 * PAGE, buf[1], 0), 1);
	s = mvm_memmap_find(m, 0x13fff);
	assert_non_null(s);
	assert_int_equal(s->gpa, 0x10000);
	assert_ptr_equal(mvm_memmap_hva(m, 0x13fff, 1), buf[0] + 0x3fff);
	assert_null(mvm_memmap_find(m, 0x14000));
	assert_null(mvm_memmap_find(m, 0xffff));
}

static void add_rejects_overlap_in_every_arrangement(void **state)
{
	struct mvm_memmap *m = *state;

	assert_int_equal(mvm_memmap_add(m, 0x10000, 4 * PAGE, buf[0], 0), 0);
	/* same start, inside, straddling either end, enclosing */
	assert_int_equal(mvm_memmap_add(m, 0x10000, PAGE, buf[1], 0), -EEXIST);
	assert_int_equal(mvm_memmap_add(m, 0x11000, PAGE, buf[1], 0), -EEXIST);
	assert_int_equal(mvm_memmap_add(m, 0xf000, 2 * PAGE, buf[1], 0),
			 -EEXIST);
	assert_int_equal(mvm_memmap_add(m, 0x13000, 2 * PAGE, buf[1], 0),
			 -EEXIST);
	assert_int_equal(mvm_memmap_add(m, 0x0, 0x100000, buf[1], 0), -EEXIST);
	/* touching is fine */
	assert_int_equal(mvm_memmap_add(m, 0x14000, PAGE, buf[1], 0), 1);
	assert_int_equal(mvm_memmap_add(m, 0xf000, PAGE, buf[2], 0), 2);
}

static void add_rejects_unaligned_empty_and_wrapping(void **state)
{
	struct mvm_memmap *m = *state;

	assert_int_equal(mvm_memmap_add(m, 0x10001, PAGE, buf[0], 0), -EINVAL);
	assert_int_equal(mvm_memmap_add(m, 0x10000, 100, buf[0], 0), -EINVAL);
	assert_int_equal(mvm_memmap_add(m, 0x10000, PAGE, buf[0] + 1, 0),
			 -EINVAL);
	assert_int_equal(mvm_memmap_add(m, 0x10000, 0, buf[0], 0), -EINVAL);
	assert_int_equal(mvm_memmap_add(m, 0x10000, PAGE, NULL, 0), -EINVAL);
	assert_int_equal(
		mvm_memmap_add(m, UINT64_MAX - PAGE + 1, 2 * PAGE, buf[0], 0),
		-EINVAL);
	assert_int_equal(mvm_memmap_add(m, 0, PAGE, buf[0], 0x80), -EINVAL);
}

static void add_fails_with_enospc_when_the_table_is_full(void **state)
{
	struct mvm_memmap *m = *state;

	for (int i = 0; i < MVM_MAX_SLOTS; i++)
		assert_int_equal(
			mvm_memmap_add(m, (uint64_t)i * PAGE, PAGE, buf[0], 0),
			i);
	assert_int_equal(mvm_memmap_add(m, 0x1000000, PAGE, buf[0], 0),
			 -ENOSPC);
	assert_int_equal(mvm_memmap_remove(m, 5), 0);
	assert_int_equal(mvm_memmap_add(m, 0x1000000, PAGE, buf[0], 0), 5);
}

static void slot_ending_at_top_of_address_space_works(void **state)
{
	struct mvm_memmap *m = *state;
	const uint64_t top = UINT64_MAX - 2 * PAGE + 1; /* last two pages */
	uint8_t b[2] = {0};

	assert_int_equal(mvm_memmap_add(m, top, 2 * PAGE, buf[0], 0), 0);
	assert_ptr_equal(mvm_memmap_hva(m, UINT64_MAX, 1),
			 buf[0] + 2 * PAGE - 1);
	assert_non_null(mvm_memmap_find(m, UINT64_MAX));
	/* Two bytes starting at the very last byte would wrap to 0. */
	assert_null(mvm_memmap_hva(m, UINT64_MAX, 2));
	assert_int_equal(mvm_memmap_read(m, UINT64_MAX, b, 2), -EFAULT);
	assert_int_equal(mvm_memmap_read(m, UINT64_MAX - 1, b, 2), 0);
	/* Even with a slot at 0 the read must not wrap into it. */
	assert_int_equal(mvm_memmap_add(m, 0, PAGE, buf[1], 0), 1);
	assert_int_equal(mvm_memmap_read(m, UINT64_MAX, b, 2), -EFAULT);
	assert_int_equal(mvm_memmap_write(m, UINT64_MAX, b, 2, 0), -EFAULT);
}

static void hva_refuses_ranges_leaving_the_slot(void **state)
{
	struct mvm_memmap *m = *state;

	assert_int_equal(mvm_memmap_add(m, 0x10000, PAGE, buf[0], 0), 0);
	assert_non_null(mvm_memmap_hva(m, 0x10000, PAGE));
	assert_null(mvm_memmap_hva(m, 0x10000, PAGE + 1));
	assert_null(mvm_memmap_hva(m, 0x10fff, 2));
	assert_null(mvm_memmap_hva(m, 0x10001, UINT64_MAX));
	assert_null(mvm_memmap_hva(m, 0x11000, 1));
	/* len 0 is treated as 1 */
	assert_ptr_equal(mvm_memmap_hva(m, 0x10fff, 0), buf[0] + 0xfff);
	assert_null(mvm_memmap_hva(m, 0x11000, 0));
}

static void hva_refuses_ranges_crossing_into_the_next_slot(void **state)
{
	struct mvm_memmap *m = *state;

	assert_int_equal(mvm_memmap_add(m, 0x10000, PAGE, buf[0], 0), 0);
	assert_int_equal(mvm_memmap_add(m, 0x11000, PAGE, buf[1], 0), 1);
	/* Adjacent in the guest, not in the host: no single pointer. */
	assert_null(mvm_memmap_hva(m, 0x10ffe, 4));
}

static void read_and_write_span_adjacent_slots(void **state)
{
	struct mvm_memmap *m = *state;
	uint8_t in[8] = {1, 2, 3, 4, 5, 6, 7, 8}, out[8];

	assert_int_equal(mvm_memmap_add(m, 0x10000, PAGE, buf[0], 0), 0);
	assert_int_equal(mvm_memmap_add(m, 0x11000, PAGE, buf[1], 0), 1);
	assert_int_equal(mvm_memmap_write(m, 0x10ffc, in, 8, 0), 0);
	assert_memory_equal(buf[0] + 0xffc, in, 4);
	assert_memory_equal(buf[1], in + 4, 4);
	assert_int_equal(mvm_memmap_read(m, 0x10ffc, out, 8), 0);
	assert_memory_equal(out, in, 8);
}

static void failing_copy_touches_nothing(void **state)
{
	struct mvm_memmap *m = *state;
	uint8_t in[8] = {1, 2, 3, 4, 5, 6, 7, 8}, out[8];

	assert_int_equal(mvm_memmap_add(m, 0x10000, PAGE, buf[0], 0), 0);
	/* the last 4 bytes fall into a hole */
	assert_int_equal(mvm_memmap_write(m, 0x10ffc, in, 8, 0), -EFAULT);
	assert_int_equal(buf[0][0xffc], 0x10);
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(mvm_memmap_read(m, 0x10ffc, out, 8), -EFAULT);
	assert_int_equal(out[0], 0xaa);
	assert_int_equal(mvm_memmap_read(m, 0x9000, out, 1), -EFAULT);
}

static void write_to_rom_is_refused_unless_forced(void **state)
{
	struct mvm_memmap *m = *state;
	uint8_t in[4] = {9, 9, 9, 9};

	assert_int_equal(mvm_memmap_add(m, 0x10000, PAGE, buf[0], 0), 0);
	assert_int_equal(
		mvm_memmap_add(m, 0x11000, PAGE, buf[1], MVM_MEM_READONLY), 1);
	assert_int_equal(mvm_memmap_write(m, 0x11000, in, 4, 0), -EROFS);
	/* a copy that would only partly hit ROM changes nothing either */
	assert_int_equal(mvm_memmap_write(m, 0x10ffe, in, 4, 0), -EROFS);
	assert_int_equal(buf[0][0xffe], 0x10);
	assert_int_equal(buf[1][0], 0x20);
	assert_int_equal(mvm_memmap_write(m, 0x11000, in, 4, 1), 0);
	assert_memory_equal(buf[1], in, 4);
}

static void remove_forgets_the_slot(void **state)
{
	struct mvm_memmap *m = *state;

	assert_int_equal(mvm_memmap_add(m, 0x10000, PAGE, buf[0], 0), 0);
	assert_int_equal(mvm_memmap_remove(m, 0), 0);
	assert_null(mvm_memmap_hva(m, 0x10000, 1));
	assert_int_equal(mvm_memmap_remove(m, 0), -ENOENT);
	assert_int_equal(mvm_memmap_remove(m, -1), -ENOENT);
	assert_int_equal(mvm_memmap_remove(m, MVM_MAX_SLOTS), -ENOENT);
	/* the range is free again */
	assert_int_equal(mvm_memmap_add(m, 0x10000, PAGE, buf[1], 0), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(add_returns_slot_index_and_find_locates_it),
		T(add_rejects_overlap_in_every_arrangement),
		T(add_rejects_unaligned_empty_and_wrapping),
		T(add_fails_with_enospc_when_the_table_is_full),
		T(slot_ending_at_top_of_address_space_works),
		T(hva_refuses_ranges_leaving_the_slot),
		T(hva_refuses_ranges_crossing_into_the_next_slot),
		T(read_and_write_span_adjacent_slots),
		T(failing_copy_touches_nothing),
		T(write_to_rom_is_refused_unless_forced),
		T(remove_forgets_the_slot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
