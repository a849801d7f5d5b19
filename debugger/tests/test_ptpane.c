/*
 * test_ptpane.c - the page-table pane against hand-built tables: 4 KiB,
 * 2 MiB and 1 GiB pages, a non-present entry, a reserved bit, a
 * non-canonical address, and the unpaged modes (debugger/ptpane.c).
 *
 * The tables live in a plain buffer registered as guest memory in a
 * struct mvm_memmap, so no /dev/kvm is needed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "panes.h"
#include "pt_layout.h"

#define RAM PT_RAM_SIZE

struct world {
	uint8_t *ram;
	struct mvm_memmap mem;
	struct kvm_sregs sregs;
	struct dbg_text t;
};

static void set(struct world *w, uint64_t table, int index, uint64_t v)
{
	pt_set(w->ram, table, (unsigned)index, v);
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	w->ram = aligned_alloc(4096, RAM);
	memset(w->ram, 0, RAM);
	assert_int_equal(mvm_memmap_add(&w->mem, 0, RAM, w->ram, 0), 0);
	set(w, PML4, 0, PDPT | P | RW | US);
	set(w, PDPT, 0, PD | P | RW);
	set(w, PDPT, 1, 0 | P | RW | PS | US);	      /* 1 GiB page at 0 */
	set(w, PD, 0, PT | P | RW);		      /* -> 4 KiB pages */
	set(w, PD, 1, 0x200000 | P | RW | PS);	      /* 2 MiB page */
	set(w, PD, 2, 0x400000 | P | PS | (1 << 13)); /* reserved bit */
	set(w, PT, 5, 0x6000 | P);		      /* read-only */
	w->sregs.cr0 = MVM_CR0_PE | MVM_CR0_PG;
	w->sregs.cr3 = PML4;
	w->sregs.cr4 = 1 << 5; /* PAE */
	w->sregs.efer = MVM_EFER_LME | MVM_EFER_LMA;
	dbg_text_init(&w->t);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;
	dbg_text_free(&w->t);
	free(w->ram);
	free(w);
	return 0;
}

static void walk(struct world *w, uint64_t va)
{
	dbg_text_clear(&w->t);
	dbg_render_walk(&w->mem, &w->sregs, va, 1, &w->t);
}

static void has(struct world *w, const char *s)
{
	if (dbg_text_find(&w->t, s) < 0) {
		dbg_text_print(&w->t, stderr);
		fail_msg("pane lacks \"%s\"", s);
	}
}

static void walk_4k_page_shows_four_levels_and_the_slot(void **state)
{
	struct world *w = *state;
	walk(w, 0x5123);
	has(w, "PML4[  0] @0x00001000 = 0000000000002007");
	has(w, "-> PDPT 0x2000");
	has(w, "PDPT[  0] @0x00002000");
	has(w, "PD  [  0] @0x00003000");
	has(w, "PT  [  5] @0x00004028 = 0000000000006001  P ");
	has(w, "=> 0x6123 (4 KiB page, read-only, supervisor, executable)");
	has(w, "gpa 0x6123: slot 0 [0x0-0x3fffff] host +0x6123");
	assert_int_equal(dbg_text_find(&w->t, "walk fails"), -1);
}

static void walk_2m_page_stops_at_the_page_directory(void **state)
{
	struct world *w = *state;
	walk(w, 0x200abc);
	has(w, "PD  [  1] @0x00003008");
	has(w, "P RW PS");
	has(w, "-> page 0x200000");
	has(w, "=> 0x200abc (2 MiB page, writable");
	assert_int_equal(dbg_text_find(&w->t, "PT  ["), -1);
}

static void walk_1g_page_stops_at_the_pdpt(void **state)
{
	struct world *w = *state;
	walk(w, 0x40001234);
	has(w, "PDPT[  1] @0x00002008");
	has(w, "=> 0x1234 (1 GiB page, writable, user");
	assert_int_equal(dbg_text_find(&w->t, "PD  ["), -1);
}

static void walk_not_present_names_the_level(void **state)
{
	struct world *w = *state;
	walk(w, 0x6000);
	has(w, "PT  [  6] @0x00004030 = 0000000000000000");
	has(w, "not present");
	has(w, "walk fails: not present");
	/* The failing row is drawn as an error. */
	int row = dbg_text_find(&w->t, "PT  [  6]");
	assert_int_equal(w->t.l[row].a[0], DBG_A_ERROR);
}

static void walk_reserved_bit_is_reported(void **state)
{
	struct world *w = *state;
	walk(w, 0x400000);
	has(w, "PD  [  2]");
	has(w, "walk fails: reserved bit set");
}

static void walk_noncanonical_address_fails_before_any_table(void **state)
{
	struct world *w = *state;
	walk(w, 0x0000800000000000ULL);
	has(w, "walk fails");
	has(w, "canonical");
	assert_int_equal(dbg_text_find(&w->t, "PML4["), -1);
}

static void walk_target_outside_memory_says_mmio(void **state)
{
	struct world *w = *state;
	set(w, PD, 3, 0xd0000000ULL | P | RW | PS);
	walk(w, 0x600000);
	has(w, "gpa 0xd0000000 is in no memory slot");
	has(w, "MMIO");
}

static void real_and_unpaged_modes_say_there_is_no_walk(void **state)
{
	struct world *w = *state;
	w->sregs.cr0 = 0;
	walk(w, 0x7c00);
	has(w, "real mode");
	has(w, "gpa 0x7c00: slot 0");
	w->sregs.cr0 = MVM_CR0_PE;
	walk(w, 0x100000);
	has(w, "paging off");
	assert_int_equal(dbg_text_find(&w->t, "PML4"), -1);
}

static void info_mem_lists_merged_ranges(void **state)
{
	struct world *w = *state;
	dbg_text_clear(&w->t);
	dbg_render_ptmap(&w->mem, &w->sregs, &w->t);
	has(w, "virtual range");
	has(w,
	    "0000000000005000-0000000000005fff     4 KiB -> 0000006000  r-x");
	has(w, "0000000040000000-000000007fffffff     1 GiB -> 0000000000  rwx "
	       "user");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			walk_4k_page_shows_four_levels_and_the_slot, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			walk_2m_page_stops_at_the_page_directory, setup,
			teardown),
		cmocka_unit_test_setup_teardown(walk_1g_page_stops_at_the_pdpt,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			walk_not_present_names_the_level, setup, teardown),
		cmocka_unit_test_setup_teardown(walk_reserved_bit_is_reported,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			walk_noncanonical_address_fails_before_any_table, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			walk_target_outside_memory_says_mmio, setup, teardown),
		cmocka_unit_test_setup_teardown(
			real_and_unpaged_modes_say_there_is_no_walk, setup,
			teardown),
		cmocka_unit_test_setup_teardown(info_mem_lists_merged_ranges,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
