/*
 * test_ept.c - the EPT model, the 2D walk and the TLB model (ept.h).
 *
 * Guest RAM is 1 GiB at GPA 0 whose host address is 1 GiB aligned, so
 * the builder may use every leaf size: the range is reserved with
 * MAP_NORESERVE and only the pages the tests write are ever backed.
 * The guest tables sit at fixed GPAs (pt_layout.h) and map one address
 * with a 4 KiB, 2 MiB or 1 GiB guest page.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "minivmm/minivmm.h"

#include "pt_layout.h"

#define GIB  (1ULL << 30)
#define CR0  (MVM_CR0_PG | MVM_CR0_PE)
#define CR4  MVM_CR4_PAE
#define EFER (MVM_EFER_LMA | MVM_EFER_LME | MVM_EFER_NXE)
/* The address every 2D test translates, and what it maps to. */
#define GVA  0x40201abcULL /* PML4 0, PDPT 1, PD 1, PT 1 */

struct big {
	struct mvm_memmap mem;
	uint8_t *map; /* what mmap returned (2 GiB) */
	uint8_t *ram; /* 1 GiB aligned inside it: GPA 0 */
};

static int big_setup(void **state)
{
	struct big *b = calloc(1, sizeof(*b));
	uintptr_t a;

	if (!b)
		return -1;
	b->map = mmap(NULL, 2 * GIB, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (b->map == MAP_FAILED)
		return -1;
	a = ((uintptr_t)b->map + GIB - 1) & ~(uintptr_t)(GIB - 1);
	b->ram = (uint8_t *)a;
	if (mvm_memmap_add(&b->mem, 0, GIB, b->ram, 0) < 0)
		return -1;
	*state = b;
	return 0;
}

static int big_teardown(void **state)
{
	struct big *b = *state;

	munmap(b->map, 2 * GIB);
	free(b);
	return 0;
}

/* Guest tables mapping GVA with a page of `page` bytes to GPA 0x600abc
 * (4 KiB), 0x401abc (2 MiB) or 0x201abc (1 GiB); returns that GPA. */
static uint64_t guest_map(struct big *b, uint64_t page)
{
	memset(b->ram + PML4, 0, 4 * 4096);
	pt_set(b->ram, PML4, 0, PDPT | P | RW);
	if (page == MVM_PAGE_1G) {
		pt_set(b->ram, PDPT, 1, 0 | P | RW | PS);
		return GVA - GIB;
	}
	pt_set(b->ram, PDPT, 1, PD | P | RW);
	if (page == MVM_PAGE_2M) {
		pt_set(b->ram, PD, 1, 0x400000 | P | RW | PS);
		return 0x401abc;
	}
	pt_set(b->ram, PD, 1, PT | P | RW);
	pt_set(b->ram, PT, 1, 0x600000 | P | RW);
	return 0x600abc;
}

static const uint64_t sizes[3] = {MVM_PAGE_4K, MVM_PAGE_2M, MVM_PAGE_1G};

/* Every combination of guest and EPT page size: the count is the closed
 * formula, the references follow the grid, the answer is right. */
static void walk2d_counts_match_the_formula_for_every_page_size(void **state)
{
	struct big *b = *state;
	int gi, ei, i;

	for (gi = 0; gi < 3; gi++)
		for (ei = 0; ei < 3; ei++) {
			uint64_t gpa = guest_map(b, sizes[gi]);
			int g = mvm_page_levels(sizes[gi]);
			int e = mvm_page_levels(sizes[ei]);
			struct mvm_walk2d w;
			struct mvm_ept *ept;

			assert_int_equal(
				mvm_ept_create(&b->mem, sizes[ei], &ept), 0);
			assert_int_equal(mvm_walk2d(&b->mem, ept, CR0, PML4,
						    CR4, EFER, GVA, 0, &w),
					 0);
			print_message(
				"guest %4llu KiB, EPT %7llu KiB: %d refs\n",
				(unsigned long long)sizes[gi] >> 10,
				(unsigned long long)sizes[ei] >> 10, w.nrefs);
			assert_int_equal(w.nrefs, mvm_walk2d_refs(g, e));
			assert_int_equal(w.nrefs, (g + 1) * (e + 1) - 1);
			assert_int_equal(w.gpa, gpa);
			assert_int_equal(w.hpa, (uintptr_t)b->ram + gpa);
			assert_int_equal(w.guest_page, sizes[gi]);
			assert_int_equal(w.ept_page, sizes[ei]);
			/* Row 4 first: EPT levels 4.. then the PML4E. */
			assert_int_equal(w.refs[0].row, 4);
			assert_int_equal(w.refs[0].col, 4);
			assert_int_equal(w.refs[0].gpa, PML4);
			assert_int_equal(w.refs[e].col, 0);
			assert_int_equal(w.refs[e].addr,
					 (uintptr_t)b->ram + PML4);
			for (i = 0; i < w.nrefs; i++) /* data row last */
				assert_int_equal(
					w.refs[i].row,
					i < g * (e + 1) ? 4 - i / (e + 1) : 0);
			mvm_ept_destroy(ept);
		}
}

static void walk2d_is_24_references_with_4k_pages(void **state)
{
	assert_int_equal(mvm_walk2d_refs(4, 4), 24);
	assert_int_equal(mvm_walk2d_refs(3, 3), 15);
	assert_int_equal(mvm_walk2d_refs(2, 2), 8);
	assert_int_equal(mvm_walk2d_refs(5, 4), -EINVAL);
	(void)state;
}

static void ept_uses_the_largest_leaf_that_fits(void **state)
{
	struct big *b = *state;
	struct mvm_ept *ept;

	assert_int_equal(mvm_ept_create(&b->mem, MVM_PAGE_1G, &ept), 0);
	assert_int_equal(ept->leaves[3], 1);
	assert_int_equal(ept->leaves[2] + ept->leaves[1], 0);
	assert_int_equal(ept->ntables, 2); /* PML4 + PDPT */
	mvm_ept_destroy(ept);
	assert_int_equal(mvm_ept_create(&b->mem, MVM_PAGE_2M, &ept), 0);
	assert_int_equal(ept->leaves[2], 512);
	mvm_ept_destroy(ept);
	assert_int_equal(mvm_ept_create(&b->mem, 8192, &ept), -EINVAL);
}

/* A host address aligned only to 4 KiB forbids huge leaves (KVM's rule
 * for huge pages too); a read-only slot maps without W. */
static void ept_misaligned_host_and_rom_slots(void **state)
{
	struct big *b = *state;
	struct mvm_memmap m = {0};
	struct mvm_ept_walk w;
	struct mvm_ept *ept;
	uint64_t gpa;

	assert_true(mvm_memmap_add(&m, 0, 4ULL << 20, b->ram + 4096, 0) >= 0);
	assert_true(mvm_memmap_add(&m, 8ULL << 20, 2ULL << 20,
				   b->ram + (8ULL << 20),
				   MVM_MEM_READONLY) >= 0);
	assert_int_equal(mvm_ept_create(&m, MVM_PAGE_1G, &ept), 0);
	assert_int_equal(ept->leaves[1], 1024);
	assert_int_equal(ept->leaves[2], 1); /* the ROM: aligned */
	for (gpa = 0; gpa < (4ULL << 20); gpa += 0x1234) {
		assert_int_equal(mvm_ept_translate(ept, gpa, MVM_PT_WRITE, &w),
				 0);
		assert_ptr_equal((void *)(uintptr_t)w.hpa,
				 mvm_memmap_hva(&m, gpa, 1));
	}
	assert_int_equal(mvm_ept_translate(ept, 9ULL << 20, 0, &w), 0);
	assert_int_equal(w.page_size, MVM_PAGE_2M);
	assert_int_equal(mvm_ept_translate(ept, 9ULL << 20, MVM_PT_WRITE, &w),
			 -EFAULT);
	assert_int_equal(w.fault, MVM_EPT_VIOLATION);
	assert_int_equal(mvm_ept_translate(ept, 6ULL << 20, 0, &w), -EFAULT);
	assert_int_equal(w.fault, MVM_EPT_VIOLATION); /* no slot: MMIO */
	assert_int_equal(w.nlevels, 3);
	mvm_ept_destroy(ept);
	mvm_memmap_remove(&m, 0);
	mvm_memmap_remove(&m, 1);
}

/* Broken entries end the walk with the exit a CPU would take. */
static void ept_misconfig_and_wild_pointers_are_caught(void **state)
{
	struct big *b = *state;
	struct mvm_ept_walk w;
	struct mvm_ept *ept;
	uint64_t *pdpt;

	assert_int_equal(mvm_ept_create(&b->mem, MVM_PAGE_1G, &ept), 0);
	pdpt = (uint64_t *)(uintptr_t)(ept->pool + 4096);
	pdpt[0] = (pdpt[0] & ~MVM_EPT_R) | MVM_EPT_W; /* write-only */
	assert_int_equal(mvm_ept_translate(ept, 0x1234, 0, &w), -EFAULT);
	assert_int_equal(w.fault, MVM_EPT_MISCONFIG);
	pdpt[0] = (uint64_t)(uintptr_t)b->ram | MVM_EPT_R; /* not a table */
	assert_int_equal(mvm_ept_translate(ept, 0x1234, 0, &w), -EFAULT);
	assert_int_equal(w.fault, MVM_EPT_BAD_TABLE);
	mvm_ept_destroy(ept);
}

/* Guest tables that point into themselves or at MMIO end, never hang. */
static void walk2d_self_reference_and_guest_faults(void **state)
{
	struct big *b = *state;
	struct mvm_pt_walk pw;
	struct mvm_walk2d w;
	struct mvm_ept *ept;

	guest_map(b, MVM_PAGE_4K);
	pt_set(b->ram, PML4, 511, PML4 | P | RW); /* recursive slot */
	assert_int_equal(mvm_ept_create(&b->mem, MVM_PAGE_2M, &ept), 0);
	/* 0xffff_ffff_ffff_f000: all four indices 511 -> the PML4 itself */
	assert_int_equal(mvm_walk2d(&b->mem, ept, CR0, PML4, CR4, EFER,
				    0xfffffffffffff008ULL, 0, &w),
			 0);
	assert_int_equal(w.gpa, PML4 + 8);
	assert_int_equal(mvm_pt_walk(&b->mem, CR0, PML4, CR4, EFER,
				     0xfffffffffffff008ULL, &pw),
			 0);
	assert_int_equal(pw.gpa, w.gpa);
	assert_int_equal(mvm_walk2d(&b->mem, ept, CR0, PML4, CR4, EFER,
				    0x800000000000ULL, 0, &w),
			 -EFAULT);
	assert_int_equal(w.guest.vector, MVM_VEC_GP);
	pt_set(b->ram, PD, 1, (2 * GIB) | P | RW); /* PT outside RAM */
	assert_int_equal(
		mvm_walk2d(&b->mem, ept, CR0, PML4, CR4, EFER, GVA, 0, &w),
		-EFAULT);
	assert_true(w.ept_failed);
	assert_int_equal(w.ept.fault, MVM_EPT_VIOLATION);
	pt_set(b->ram, PML4, 0, PDPT | P | RW | PS); /* reserved here */
	assert_int_equal(
		mvm_walk2d(&b->mem, ept, CR0, PML4, CR4, EFER, GVA, 0, &w),
		-EFAULT);
	assert_int_equal(w.guest.fault, MVM_PT_RESERVED);
	mvm_ept_destroy(ept);
}

/* The text every tool shows: the grid, numbered in walk order. */
static void walk2d_format_shows_the_numbered_grid(void **state)
{
	struct big *b = *state;
	struct mvm_walk2d w;
	struct mvm_ept *ept;
	char text[8192], tiny[16];
	int rc, n;

	guest_map(b, MVM_PAGE_4K);
	assert_int_equal(mvm_ept_create(&b->mem, MVM_PAGE_4K, &ept), 0);
	rc = mvm_walk2d(&b->mem, ept, CR0, PML4, CR4, EFER, GVA, 0, &w);
	n = mvm_walk2d_format(&b->mem, ept, &w, rc, MVM_WALK2D_STABLE, text,
			      sizeof(text));
	assert_int_equal(n, (int)strlen(text));
	assert_non_null(strstr(text, "24 references = (4 + 1) x (4 + 1) - 1"));
	assert_non_null(strstr(
		text, "  PML4E        1       2       3       4       5\n"));
	assert_non_null(
		strstr(text, "  data        21      22      23      24\n"));
	assert_non_null(strstr(text, "   5 guest PML4E[0] GPA 0x1000 "));
	assert_non_null(strstr(text, "at slot0+0x1000 "));
	assert_non_null(strstr(text, "-> host slot0+0x600abc"));
	assert_null(strstr(text, "0x7f")); /* no raw host address */
	assert_int_equal(mvm_walk2d_format(&b->mem, ept, &w, rc,
					   MVM_WALK2D_STABLE, tiny,
					   sizeof(tiny)),
			 n);
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
	mvm_ept_destroy(ept);
}

/* --- the TLB model --------------------------------------------------- */

static struct mvm_tlb_stats run(struct mvm_tlb_config cfg, uint64_t len,
				uint64_t stride, int passes)
{
	struct mvm_tlb_stats s;
	struct mvm_tlb *t;
	uint64_t a;
	int p;

	assert_int_equal(mvm_tlb_create(&cfg, &t), 0);
	for (p = 0; p < passes; p++)
		for (a = 0; a < len; a += stride)
			mvm_tlb_access(t, a);
	mvm_tlb_get_stats(t, &s);
	mvm_tlb_destroy(t);
	return s;
}

static void tlb_sequential_misses_once_per_page(void **state)
{
	struct mvm_tlb_config c = {64, 0, MVM_PAGE_4K, MVM_PAGE_4K};
	struct mvm_tlb_stats s = run(c, 1 << 20, 64, 1);

	assert_int_equal(s.accesses, 16384);
	assert_int_equal(s.misses, 256);
	assert_int_equal(s.refs, 256 * 24);
	c.psc_entries = 4; /* then the PDE is cached: 2 * 5 - 1 */
	s = run(c, 1 << 20, 64, 1);
	assert_int_equal(s.refs, 24 + 255 * 9);
	assert_int_equal(s.psc_hits, 255);
	(void)state;
}

static void tlb_lru_thrashes_on_a_loop_larger_than_it(void **state)
{
	struct mvm_tlb_config c = {64, 0, MVM_PAGE_4K, MVM_PAGE_4K};
	struct mvm_tlb_stats s = run(c, 65 * 4096, 4096, 3);

	assert_int_equal(s.hits, 0);
	s = run(c, 64 * 4096, 4096, 3);
	assert_int_equal(s.misses, 64);
	c.guest_page = c.ept_page = MVM_PAGE_2M; /* one entry covers all */
	s = run(c, 65 * 4096, 4096, 3);
	assert_int_equal(s.misses, 1);
	assert_int_equal(s.refs, 15);
	c.ept_page = MVM_PAGE_4K; /* combined: the smaller page counts */
	s = run(c, 65 * 4096, 4096, 3);
	assert_int_equal(s.hits, 0);
	assert_int_equal(s.refs / s.misses, 19);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			walk2d_counts_match_the_formula_for_every_page_size,
			big_setup, big_teardown),
		cmocka_unit_test(walk2d_is_24_references_with_4k_pages),
		cmocka_unit_test_setup_teardown(
			ept_uses_the_largest_leaf_that_fits, big_setup,
			big_teardown),
		cmocka_unit_test_setup_teardown(
			ept_misaligned_host_and_rom_slots, big_setup,
			big_teardown),
		cmocka_unit_test_setup_teardown(
			ept_misconfig_and_wild_pointers_are_caught, big_setup,
			big_teardown),
		cmocka_unit_test_setup_teardown(
			walk2d_self_reference_and_guest_faults, big_setup,
			big_teardown),
		cmocka_unit_test_setup_teardown(
			walk2d_format_shows_the_numbered_grid, big_setup,
			big_teardown),
		cmocka_unit_test(tlb_sequential_misses_once_per_page),
		cmocka_unit_test(tlb_lru_thrashes_on_a_loop_larger_than_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
