/*
 * test_pagetable.c - the identity page-table builder on a plain buffer.
 *
 * Layout the builder promises (pagetable.c): PML4, then the PDPTs, the
 * PDs and (4 KiB pages) the PTs, packed from `area`.
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

#include "hostram.h"

#define MEM_SIZE (1ULL << 20) /* guest RAM at GPA 0 in these tests */
#define AREA	 MVM_PT_ADDR
#define DIR	 (MVM_PTE_P | MVM_PTE_RW)

static int setup(void **state)
{
	/* 0xaa: junk the builder must clear */
	struct hostram *c = hostram_new(MEM_SIZE, 0xaa);

	if (!c)
		return -1;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	hostram_free(*state);
	return 0;
}

static uint64_t entry(struct hostram *c, uint64_t table, unsigned i)
{
	uint64_t v;

	memcpy(&v, c->ram + table + i * 8, 8);
	return v;
}

static void tables_needed_counts_every_level(void **state)
{
	(void)state;
	assert_int_equal(mvm_pt_tables_needed(64ULL << 20, 2ULL << 20), 3);
	assert_int_equal(mvm_pt_tables_needed(64ULL << 20, 4096), 35);
	assert_int_equal(mvm_pt_tables_needed(4ULL << 30, 2ULL << 20), 6);
	assert_int_equal(mvm_pt_tables_needed(1ULL << 30, 4096), 515);
	assert_int_equal(mvm_pt_tables_needed(3ULL << 20, 4096), 5);
	assert_int_equal(mvm_pt_tables_needed(1ULL << 40, 2ULL << 20),
			 1 + 2 + 1024);
}

static void build_2m_maps_64m_with_three_tables(void **state)
{
	struct hostram *c = *state;
	uint64_t cr3 = 0;
	unsigned i;

	assert_int_equal(mvm_pt_build_identity(&c->mem, AREA, MVM_PT_END,
					       64ULL << 20, 2ULL << 20, &cr3),
			 0);
	assert_int_equal(cr3, AREA);
	assert_int_equal(entry(c, AREA, 0), (AREA + 0x1000) | DIR);
	assert_int_equal(entry(c, AREA, 1), 0); /* zeroed, not junk */
	assert_int_equal(entry(c, AREA + 0x1000, 0), (AREA + 0x2000) | DIR);
	for (i = 0; i < 32; i++)
		assert_int_equal(entry(c, AREA + 0x2000, i),
				 ((uint64_t)i << 21) | DIR | MVM_PTE_PS);
	assert_int_equal(entry(c, AREA + 0x2000, 32), 0);
	/* Nothing written past the third table. */
	assert_int_equal(c->ram[AREA + 0x3000], 0xaa);
}

static void build_4k_uses_page_tables_after_the_pds(void **state)
{
	struct hostram *c = *state;
	uint64_t cr3 = 0, pd = AREA + 0x2000, pt0 = AREA + 0x3000;

	assert_int_equal(mvm_pt_build_identity(&c->mem, AREA, MVM_PT_END,
					       8ULL << 20, 4096, &cr3),
			 0);
	assert_int_equal(entry(c, pd, 0), pt0 | DIR);
	assert_int_equal(entry(c, pd, 3), (pt0 + 3 * 0x1000) | DIR);
	assert_int_equal(entry(c, pd, 4), 0);
	assert_int_equal(entry(c, pt0, 0), 0 | DIR);
	/* va 2 MiB + 5 pages lives in PT 1, slot 5. */
	assert_int_equal(entry(c, pt0 + 0x1000, 5), 0x205000 | DIR);
	assert_int_equal(entry(c, pt0 + 0x3000, 511), 0x7ff000 | DIR);
	assert_int_equal(c->ram[AREA + 7 * 0x1000], 0xaa);
}

static void build_above_4g_fills_several_pdpt_entries(void **state)
{
	struct hostram *c = *state;
	uint64_t cr3 = 0, pdpt = AREA + 0x1000;

	assert_int_equal(mvm_pt_build_identity(&c->mem, AREA, MVM_PT_END,
					       8ULL << 30, 2ULL << 20, &cr3),
			 0);
	assert_int_equal(entry(c, pdpt, 7), (AREA + 9 * 0x1000) | DIR);
	assert_int_equal(entry(c, pdpt, 8), 0);
	assert_int_equal(entry(c, AREA + 9 * 0x1000, 511),
			 ((8ULL << 30) - (2ULL << 20)) | DIR | MVM_PTE_PS);
}

static void build_reports_enospc_without_writing(void **state)
{
	struct hostram *c = *state;
	uint64_t cr3 = 0x1234;

	/* 64 MiB with 2 MiB pages needs 3 tables; give it 2. */
	assert_int_equal(mvm_pt_build_identity(&c->mem, AREA, AREA + 0x2000,
					       64ULL << 20, 2ULL << 20, &cr3),
			 -ENOSPC);
	assert_int_equal(cr3, 0x1234);
	assert_int_equal(c->ram[AREA], 0xaa);
	/* Exactly enough room succeeds. */
	assert_int_equal(mvm_pt_build_identity(&c->mem, AREA, AREA + 0x3000,
					       64ULL << 20, 2ULL << 20, &cr3),
			 0);
}

static void build_rejects_bad_sizes_and_alignment(void **state)
{
	struct hostram *c = *state;
	uint64_t cr3;

	assert_int_equal(mvm_pt_build_identity(&c->mem, AREA, MVM_PT_END,
					       64ULL << 20, 8192, &cr3),
			 -EINVAL);
	assert_int_equal(
		mvm_pt_build_identity(&c->mem, AREA, MVM_PT_END, 0, 4096, &cr3),
		-EINVAL);
	assert_int_equal(mvm_pt_build_identity(&c->mem, AREA, MVM_PT_END,
					       3ULL << 20, 2ULL << 20, &cr3),
			 -EINVAL);
	assert_int_equal(mvm_pt_build_identity(&c->mem, AREA + 8, MVM_PT_END,
					       2ULL << 20, 2ULL << 20, &cr3),
			 -EINVAL);
	assert_int_equal(mvm_pt_build_identity(&c->mem, MVM_PT_END, AREA,
					       2ULL << 20, 2ULL << 20, &cr3),
			 -EINVAL);
	assert_int_equal(mvm_pt_build_identity(NULL, AREA, MVM_PT_END,
					       2ULL << 20, 2ULL << 20, &cr3),
			 -EINVAL);
}

static void build_outside_guest_memory_is_efault(void **state)
{
	struct hostram *c = *state;
	uint64_t cr3;

	assert_int_equal(mvm_pt_build_identity(&c->mem, 2ULL << 20, 4ULL << 20,
					       64ULL << 20, 2ULL << 20, &cr3),
			 -EFAULT);
}

static void built_tables_walk_to_the_same_address(void **state)
{
	struct hostram *c = *state;
	const uint64_t va[] = {0, 0x7c00, 0x1fffff, 0x200000, 0x7ffffff};
	uint64_t cr3;
	struct mvm_pt_walk w;
	unsigned i;

	assert_int_equal(mvm_pt_build_identity(&c->mem, AREA, MVM_PT_END,
					       128ULL << 20, 4096, &cr3),
			 0);
	for (i = 0; i < sizeof(va) / sizeof(va[0]); i++) {
		assert_int_equal(
			mvm_pt_walk(&c->mem,
				    MVM_CR0_PG | MVM_CR0_ET | MVM_CR0_PE, cr3,
				    MVM_CR4_PAE, MVM_EFER_LMA | MVM_EFER_LME,
				    va[i], &w),
			0);
		assert_int_equal(w.gpa, va[i]);
		assert_int_equal(w.page_size, 4096);
		assert_true(w.writable);
		assert_false(w.user);
	}
}

/* 4 KiB pages for RAM, 2 MiB leaves on top for the MMIO window: the
 * window gets a page directory of its own, RAM keeps its 4 KiB pages. */
static void map_2m_adds_the_mmio_window_to_a_4k_map(void **state)
{
	struct hostram *c = *state;
	uint64_t cr3, next;
	long used = mvm_pt_tables_needed(64ULL << 20, 4096);
	struct mvm_pt_walk w;
	const uint64_t cr0 = MVM_CR0_PG | MVM_CR0_ET | MVM_CR0_PE;
	const uint64_t efer = MVM_EFER_LMA | MVM_EFER_LME;

	assert_int_equal(mvm_pt_build_identity(&c->mem, AREA, MVM_PT_END,
					       64ULL << 20, 4096, &cr3),
			 0);
	next = AREA + (uint64_t)used * 4096;
	assert_int_equal(mvm_pt_map_2m(&c->mem, cr3, &next, MVM_PT_END,
				       MVM_MMIO_BASE,
				       (4ULL << 30) - MVM_MMIO_BASE),
			 0);
	assert_int_equal(next, AREA + (uint64_t)(used + 1) * 4096);
	assert_int_equal(mvm_pt_walk(&c->mem, cr0, cr3, MVM_CR4_PAE, efer,
				     MVM_MMIO_DEMO_ADDR + 0x123, &w),
			 0);
	assert_int_equal(w.gpa, MVM_MMIO_DEMO_ADDR + 0x123);
	assert_int_equal(w.page_size, 2ULL << 20);
	assert_int_equal(
		mvm_pt_walk(&c->mem, cr0, cr3, MVM_CR4_PAE, efer, 0x7c00, &w),
		0);
	assert_int_equal(w.page_size, 4096);
	/* Between RAM and the window nothing is mapped. */
	mvm_pt_walk(&c->mem, cr0, cr3, MVM_CR4_PAE, efer, 1ULL << 30, &w);
	assert_int_equal(w.fault, MVM_PT_NOT_PRESENT);
	/* No room left for a new page directory: -ENOSPC. */
	next = MVM_PT_END;
	assert_int_equal(mvm_pt_map_2m(&c->mem, cr3, &next, MVM_PT_END,
				       2ULL << 30, 2ULL << 20),
			 -ENOSPC);
	assert_int_equal(mvm_pt_map_2m(&c->mem, cr3, &next, MVM_PT_END, 4096,
				       2ULL << 20),
			 -EINVAL);
}

static void flags_str_names_set_bits_per_level(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(
		mvm_pte_flags_str(0x8000000000000067ULL, 2, buf, sizeof(buf)),
		(int)strlen("P RW US A D NX"));
	assert_string_equal(buf, "P RW US A D NX");
	mvm_pte_flags_str(0x83, 2, buf, sizeof(buf));
	assert_string_equal(buf, "P RW PS");
	mvm_pte_flags_str(0x83, 1, buf, sizeof(buf));
	assert_string_equal(buf, "P RW PAT");
	mvm_pte_flags_str(0x118, 1, buf, sizeof(buf));
	assert_string_equal(buf, "PWT PCD G");
	mvm_pte_flags_str(0, 1, buf, sizeof(buf));
	assert_string_equal(buf, "");
	assert_int_equal(mvm_pte_flags_str(1, 1, NULL, 0), -EINVAL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(tables_needed_counts_every_level),
		T(build_2m_maps_64m_with_three_tables),
		T(build_4k_uses_page_tables_after_the_pds),
		T(build_above_4g_fills_several_pdpt_entries),
		T(build_reports_enospc_without_writing),
		T(build_rejects_bad_sizes_and_alignment),
		T(build_outside_guest_memory_is_efault),
		T(built_tables_walk_to_the_same_address),
		T(map_2m_adds_the_mmio_window_to_a_4k_map),
		T(flags_str_names_set_bits_per_level),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
