/*
 * test_ptwalk.c - the page-table walker against hand-built tables.
 *
 *   PML4 0x1000 -> PDPT 0x2000 -> PD 0x3000 -> PT 0x4000
 *
 * Each test adds the entries it needs, so every case reads as the
 * entries it is about.
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

#include "pt_layout.h"

#define MEM_SIZE PT_RAM_SIZE
#define NX	 MVM_PTE_NX

/* Paging state of a 64-bit guest: CR0.PE|PG, CR4.PAE, EFER.LME|LMA. */
#define CR0  (MVM_CR0_PG | MVM_CR0_ET | MVM_CR0_PE)
#define CR4  MVM_CR4_PAE
#define EFER (MVM_EFER_LMA | MVM_EFER_LME)
#define NXE  MVM_EFER_NXE

static void put(struct hostram *c, uint64_t table, unsigned i, uint64_t v)
{
	pt_set(c->ram, table, i, v);
}

static int setup(void **state)
{
	struct hostram *c = hostram_new(MEM_SIZE, 0);

	if (!c)
		return -1;
	put(c, PML4, 0, PDPT | P | RW | US);
	put(c, PDPT, 0, PD | P | RW | US);
	put(c, PD, 0, PT | P | RW | US);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	hostram_free(*state);
	return 0;
}

static int walk(struct hostram *c, uint64_t efer, uint64_t va,
		struct mvm_pt_walk *w)
{
	return mvm_pt_walk(&c->mem, CR0, PML4, CR4, efer, va, w);
}

static void walk_4k_page_uses_four_levels(void **state)
{
	struct hostram *c = *state;
	struct mvm_pt_walk w;

	put(c, PT, 5, 0x123000 | P | RW);
	assert_int_equal(walk(c, EFER, 0x5abc, &w), 0);
	assert_int_equal(w.fault, MVM_PT_OK);
	assert_int_equal(w.gpa, 0x123abc);
	assert_int_equal(w.page_size, 4096);
	assert_int_equal(w.nlevels, 4);
	assert_int_equal(w.lv[3].level, 1);
	assert_int_equal(w.lv[3].index, 5);
	assert_int_equal(w.lv[3].entry_gpa, PT + 5 * 8);
	assert_true(w.lv[3].leaf);
	assert_false(w.lv[2].leaf);
	assert_true(w.writable);
	assert_false(w.user); /* the PTE has US = 0 */
	assert_false(w.nx);
}

static void walk_2m_page_stops_at_the_pd(void **state)
{
	struct hostram *c = *state;
	struct mvm_pt_walk w;

	put(c, PD, 1, 0x400000 | P | RW | US | PS);
	assert_int_equal(walk(c, EFER, 0x201234, &w), 0);
	assert_int_equal(w.gpa, 0x401234);
	assert_int_equal(w.page_size, 2ULL << 20);
	assert_int_equal(w.nlevels, 3);
	assert_true(w.user);
}

static void walk_1g_page_stops_at_the_pdpt(void **state)
{
	struct hostram *c = *state;
	struct mvm_pt_walk w;

	put(c, PDPT, 1, 0x80000000ULL | P | PS);
	assert_int_equal(walk(c, EFER, 0x40012345, &w), 0);
	assert_int_equal(w.gpa, 0x80012345);
	assert_int_equal(w.page_size, 1ULL << 30);
	assert_int_equal(w.nlevels, 2);
	assert_false(w.writable);
}

static void expect_fault(struct hostram *c, uint64_t efer, uint64_t va,
			 enum mvm_pt_fault f, int nlevels, const char *why)
{
	struct mvm_pt_walk w;

	assert_int_equal(walk(c, efer, va, &w), -EFAULT);
	assert_int_equal(w.fault, f);
	assert_int_equal(w.nlevels, nlevels);
	assert_string_equal(w.why, why);
}

static void not_present_is_reported_at_each_level(void **state)
{
	struct hostram *c = *state;

	expect_fault(c, EFER, 1ULL << 39, MVM_PT_NOT_PRESENT, 1,
		     "PML4E 1 at 0x1008 is not present (P=0)");
	expect_fault(c, EFER, 3ULL << 30, MVM_PT_NOT_PRESENT, 2,
		     "PDPTE 3 at 0x2018 is not present (P=0)");
	expect_fault(c, EFER, 2ULL << 21, MVM_PT_NOT_PRESENT, 3,
		     "PDE 2 at 0x3010 is not present (P=0)");
	expect_fault(c, EFER, 6ULL << 12, MVM_PT_NOT_PRESENT, 4,
		     "PTE 6 at 0x4030 is not present (P=0)");
}

static void reserved_bits_are_faults(void **state)
{
	struct hostram *c = *state;
	struct mvm_pt_walk w;

	put(c, PML4, 2, PDPT | P | RW | PS); /* PS is reserved in a PML4E */
	expect_fault(c, EFER, 2ULL << 39, MVM_PT_RESERVED, 1,
		     "PML4E 2 at 0x1010 has reserved bits 0x80 set");
	put(c, PD, 2, 0x400000 | P | PS | (1ULL << 13)); /* bits 20:13 */
	expect_fault(c, EFER, 2ULL << 21, MVM_PT_RESERVED, 3,
		     "PDE 2 at 0x3010 has reserved bits 0x2000 set");
	put(c, PT, 7, 0x5000 | P | NX);
	assert_int_equal(walk(c, EFER, 7ULL << 12, &w), -EFAULT);
	assert_int_equal(w.fault, MVM_PT_RESERVED); /* NX without NXE */
	assert_int_equal(walk(c, EFER | NXE, 7ULL << 12, &w), 0);
	assert_true(w.nx);
}

static void noncanonical_address_is_refused(void **state)
{
	struct hostram *c = *state;
	struct mvm_pt_walk w;

	expect_fault(c, EFER, 0x0000800000000000ULL, MVM_PT_NONCANONICAL, 0,
		     "0x800000000000 is not canonical: bits 63:48 must copy "
		     "bit 47");
	/* The upper half is canonical: it walks PML4 entry 256. */
	assert_int_equal(walk(c, EFER, 0xffff800000000000ULL, &w), -EFAULT);
	assert_int_equal(w.fault, MVM_PT_NOT_PRESENT);
	assert_int_equal(w.lv[0].index, 256);
}

static void table_outside_memory_is_bad_table(void **state)
{
	struct hostram *c = *state;

	put(c, PDPT, 3, 0x80000000ULL | P | RW);
	expect_fault(c, EFER, 3ULL << 30, MVM_PT_BAD_TABLE, 2,
		     "page directory at 0x80000000 is not in guest memory");
}

static void permissions_combine_along_the_walk(void **state)
{
	struct hostram *c = *state;
	struct mvm_pt_walk w;

	/* RW = 0 high up makes the page read-only even if the PTE says RW. */
	put(c, PML4, 3, 0x6000 | P | US | NX);
	put(c, 0x6000, 0, 0x7000 | P | RW | US);
	put(c, 0x7000, 0, 0x600000 | P | RW | US | PS);
	assert_int_equal(walk(c, EFER | NXE, 3ULL << 39, &w), 0);
	assert_false(w.writable);
	assert_true(w.user);
	assert_true(w.nx); /* NX anywhere on the path */
	/* US = 0 in the PDE hides a user PTE. */
	put(c, PD, 4, 0x8000 | P | RW);
	put(c, 0x8000, 0, 0x9000 | P | RW | US);
	assert_int_equal(walk(c, EFER, 4ULL << 21, &w), 0);
	assert_true(w.writable);
	assert_false(w.user);
}

static void put32(struct hostram *c, uint64_t table, unsigned i, uint32_t v)
{
	memcpy(c->ram + table + i * 4, &v, 4);
}

static void paging_off_is_identity_and_la57_unsupported(void **state)
{
	struct hostram *c = *state;
	struct mvm_pt_walk w;

	assert_int_equal(mvm_pt_walk(&c->mem, 0x11, 0, 0, 0, 0x1234, &w), 0);
	assert_int_equal(w.fault, MVM_PT_NO_PAGING);
	assert_int_equal(w.gpa, 0x1234);
	assert_string_equal(w.why, "paging off (CR0.PG=0): virtual = physical");
	assert_int_equal(mvm_pt_walk(&c->mem, CR0, PML4, CR4 | MVM_CR4_LA57,
				     EFER, 0x1234, &w),
			 -EFAULT);
	assert_int_equal(w.fault, MVM_PT_UNSUPPORTED);
	assert_non_null(strstr(w.why, "5-level"));
}

/* 32-bit paging: PD at 0x10000, PT at 0x11000, 4-byte entries. */
static void walk_32bit_paging_4k_and_4m_pages(void **state)
{
	struct hostram *c = *state;
	const uint64_t pse = MVM_CR4_PSE;
	struct mvm_pt_walk w;

	put32(c, 0x10000, 0, 0x11000 | P | RW | US);
	put32(c, 0x11000, 5, 0x123000 | P | RW);
	/* The upper 32 bits of the address are not part of it. */
	assert_int_equal(mvm_pt_walk(&c->mem, CR0, 0x10000, 0, 0,
				     0xffffffff00005abcULL, &w),
			 0);
	assert_int_equal(w.gpa, 0x123abc);
	assert_int_equal(w.nlevels, 2);
	assert_int_equal(w.lv[1].entry_gpa, 0x11000 + 5 * 4);
	assert_false(w.user);
	/* A 4 MiB page with PSE-36 bits 39:32 = 3 in entry bits 20:13. */
	put32(c, 0x10000, 1, 0xc00000 | P | PS | (3 << 13));
	assert_int_equal(
		mvm_pt_walk(&c->mem, CR0, 0x10000, pse, 0, 0x401234, &w), 0);
	assert_int_equal(w.gpa, 0x300c01234ULL);
	assert_int_equal(w.page_size, 4ULL << 20);
	/* Without CR4.PSE the PS bit is ignored: 0xc00000 is a table. */
	assert_int_equal(mvm_pt_walk(&c->mem, CR0, 0x10000, 0, 0, 0x401234, &w),
			 -EFAULT);
	assert_int_equal(w.fault, MVM_PT_BAD_TABLE);
	put32(c, 0x10000, 2, 0x800000 | P | PS | (1 << 21));
	assert_int_equal(
		mvm_pt_walk(&c->mem, CR0, 0x10000, pse, 0, 0x800000, &w),
		-EFAULT);
	assert_int_equal(w.fault, MVM_PT_RESERVED);
}

/* PAE paging: a 4-entry PDPT at 0x12020 (32-byte aligned CR3). */
static void walk_pae_paging(void **state)
{
	struct hostram *c = *state;
	struct mvm_pt_walk w;

	put(c, 0x12020, 0, 0x13000 | P);
	put(c, 0x13000, 0, 0x14000 | P | RW);
	put(c, 0x14000, 5, 0x123000 | P | RW | NX);
	put(c, 0x13000, 1, 0x400000 | P | PS);
	assert_int_equal(
		mvm_pt_walk(&c->mem, CR0, 0x12020, CR4, NXE, 0x5abc, &w), 0);
	assert_int_equal(w.gpa, 0x123abc);
	assert_int_equal(w.nlevels, 3);
	assert_true(w.writable); /* the PDPTE has no RW bit to clear */
	assert_true(w.nx);
	assert_int_equal(
		mvm_pt_walk(&c->mem, CR0, 0x12020, CR4, 0, 0x201234, &w), 0);
	assert_int_equal(w.gpa, 0x401234);
	assert_int_equal(w.page_size, 2ULL << 20);
	/* PDPTE bits 2:1 are reserved in PAE paging (SDM 3A Table 4-8). */
	put(c, 0x12020, 3, 0x13000 | P | RW);
	assert_int_equal(
		mvm_pt_walk(&c->mem, CR0, 0x12020, CR4, 0, 0xc0000000ULL, &w),
		-EFAULT);
	assert_int_equal(w.fault, MVM_PT_RESERVED);
	assert_string_equal(w.why,
			    "PDPTE 3 at 0x12038 has reserved bits 0x2 set");
}

static void fault_names_cover_every_value(void **state)
{
	(void)state;
	assert_string_equal(mvm_pt_fault_name(MVM_PT_OK), "ok");
	assert_string_equal(mvm_pt_fault_name(MVM_PT_NOT_PRESENT),
			    "not present");
	assert_string_equal(mvm_pt_fault_name(MVM_PT_UNSUPPORTED),
			    "unsupported paging mode");
	assert_string_equal(mvm_pt_fault_name((enum mvm_pt_fault)99), "?");
}

/* --- mvm_pt_for_each_range ---------------------------------------------- */

struct seen {
	int n;
	struct mvm_pt_range r[16];
	int stop_after;
};

static int collect(void *ctx, const struct mvm_pt_range *r)
{
	struct seen *s = ctx;

	if (s->n < 16)
		s->r[s->n] = *r;
	s->n++;
	return s->stop_after && s->n >= s->stop_after ? 7 : 0;
}

static void ranges_merge_contiguous_pages_with_equal_rights(void **state)
{
	struct hostram *c = *state;
	struct seen s = {0};
	unsigned i;

	/* 4 KiB pages 0..511 map 0x200000.. then a 2 MiB page continues. */
	for (i = 0; i < 512; i++)
		put(c, PT, i, (0x200000 + i * 4096ULL) | P | RW);
	put(c, PD, 1, 0x400000 | P | RW | PS);
	/* A hole at PD 2, then a read-only page, then one not contiguous. */
	put(c, PD, 3, 0x600000 | P | PS);
	put(c, PD, 4, 0x800000 | P | PS);
	put(c, PD, 5, 0x200000 | P | PS);
	assert_int_equal(mvm_pt_for_each_range(&c->mem, PML4, collect, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.r[0].va, 0);
	assert_int_equal(s.r[0].pa, 0x200000);
	assert_int_equal(s.r[0].size, 4ULL << 20);
	assert_true(s.r[0].writable);
	assert_int_equal(s.r[1].va, 3ULL << 21);
	assert_int_equal(s.r[1].size, 4ULL << 20); /* PD 3 and 4 merge */
	assert_false(s.r[1].writable);
	assert_int_equal(s.r[2].va, 5ULL << 21); /* PD 5 jumps back */
	assert_int_equal(s.r[2].pa, 0x200000);
}

static void ranges_split_on_holes_rights_and_jumps(void **state)
{
	struct hostram *c = *state;
	struct seen s = {0};

	put(c, PD, 0, 0); /* drop the PT */
	put(c, PD, 1, 0x200000 | P | RW | PS);
	put(c, PD, 2, 0x400000 | P | PS);   /* rights differ */
	put(c, PD, 3, 0xa00000 | P | PS);   /* pa jumps */
	put(c, PML4, 511, 0x5000 | P | RW); /* upper half */
	put(c, 0x5000, 511, 0x40000000 | P | RW | PS);
	assert_int_equal(mvm_pt_for_each_range(&c->mem, PML4, collect, &s), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.r[0].size, 2ULL << 20);
	assert_int_equal(s.r[1].va, 2ULL << 21);
	assert_int_equal(s.r[2].pa, 0xa00000);
	assert_int_equal(s.r[3].va, 0xffffffffc0000000ULL);
	assert_int_equal(s.r[3].size, 1ULL << 30);
}

static void ranges_stop_when_callback_says_so(void **state)
{
	struct hostram *c = *state;
	struct seen s = {.stop_after = 1};

	put(c, PD, 0, 0);
	put(c, PD, 1, 0x200000 | P | RW | PS);
	put(c, PD, 3, 0x600000 | P | RW | PS);
	assert_int_equal(mvm_pt_for_each_range(&c->mem, PML4, collect, &s), 7);
	assert_int_equal(s.n, 1);
}

static void ranges_refuse_bad_and_looping_tables(void **state)
{
	struct hostram *c = *state;
	struct seen s = {0};
	unsigned i;

	put(c, PDPT, 1, 0x90000000ULL | P);
	assert_int_equal(mvm_pt_for_each_range(&c->mem, PML4, collect, &s),
			 -EFAULT);
	/* A PML4 whose entries all point back at itself: 512^3 tables if
	 * walked naively; the walker gives up with -E2BIG. */
	for (i = 0; i < 512; i++)
		put(c, 0x10000, i, 0x10000 | P | RW);
	assert_int_equal(mvm_pt_for_each_range(&c->mem, 0x10000, collect, &s),
			 -E2BIG);
}

/* Does some range in s cover va? */
static int covered(const struct seen *s, uint64_t va)
{
	int i;

	for (i = 0; i < s->n && i < 16; i++)
		if (va >= s->r[i].va && va - s->r[i].va < s->r[i].size)
			return 1;
	return 0;
}

/* An entry with a reserved bit set maps nothing: the walk faults on it,
 * so the range list must leave it out too - for every address, "listed"
 * and "translates" must be the same answer. */
static void ranges_and_walk_agree_on_reserved_entries(void **state)
{
	struct hostram *c = *state;
	const uint64_t va[] = {1ULL << 21, 2ULL << 21, 3ULL << 21, 4ULL << 21,
			       2ULL << 39};
	const uint64_t efers[] = {EFER | NXE, EFER};
	struct mvm_pt_walk w;
	unsigned i, j;

	put(c, PD, 0, 0);
	put(c, PD, 1, 0x200000 | P | RW | PS);
	put(c, PD, 2, 0x400000 | P | RW | PS | (1ULL << 13)); /* bits 20:13 */
	put(c, PD, 3, 0x600000 | P | RW | PS);
	put(c, PD, 4, 0x800000 | P | RW | PS | NX); /* reserved without NXE */
	put(c, PML4, 2, PDPT | P | RW | PS);	    /* PS reserved in a PML4E */
	for (j = 0; j < 2; j++) {
		struct seen s = {0};

		assert_int_equal(mvm_pt_for_each_range_efer(
					 &c->mem, PML4, efers[j], collect, &s),
				 0);
		assert_int_equal(s.n, j == 0 ? 3 : 2);
		for (i = 0; i < sizeof(va) / sizeof(va[0]); i++) {
			int ok = walk(c, efers[j], va[i], &w) == 0;

			assert_int_equal(covered(&s, va[i]), ok);
			if (!ok)
				assert_int_equal(w.fault, MVM_PT_RESERVED);
		}
	}
	/* Without an EFER, the guest is taken to have EFER.NXE = 1. */
	{
		struct seen s = {0};

		assert_int_equal(
			mvm_pt_for_each_range(&c->mem, PML4, collect, &s), 0);
		assert_int_equal(s.n, 3);
		assert_true(s.r[2].nx);
	}
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(walk_4k_page_uses_four_levels),
		T(walk_2m_page_stops_at_the_pd),
		T(walk_1g_page_stops_at_the_pdpt),
		T(not_present_is_reported_at_each_level),
		T(reserved_bits_are_faults),
		T(noncanonical_address_is_refused),
		T(table_outside_memory_is_bad_table),
		T(permissions_combine_along_the_walk),
		T(paging_off_is_identity_and_la57_unsupported),
		T(walk_32bit_paging_4k_and_4m_pages),
		T(walk_pae_paging),
		T(fault_names_cover_every_value),
		T(ranges_merge_contiguous_pages_with_equal_rights),
		T(ranges_split_on_holes_rights_and_jumps),
		T(ranges_stop_when_callback_says_so),
		T(ranges_refuse_bad_and_looping_tables),
		T(ranges_and_walk_agree_on_reserved_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
