/*
 * test_shadow.c - the shadow-paging model (shadow.h) against the guest
 * walker, on hand-built tables in host memory.
 *
 *   PML4 0x1000 -> PDPT 0x2000 -> PD 0x3000 -> PT 0x4000, PT2 0x5000
 *
 * The one property that matters: for every address, the shadow's answer
 * (page, permissions, or the fault) is the guest walk's, before and after
 * the guest edits its own tables, and whatever garbage the tables hold.
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

#include "minivmm/minivmm.h"

#include "hostram.h"
#include "pt_layout.h"

#define PT2  0x5000ULL
#define NX   MVM_PTE_NX
#define AD   (MVM_PTE_A | MVM_PTE_D)
#define CR0  (MVM_CR0_PG | MVM_CR0_ET | MVM_CR0_PE)
#define CR4  MVM_CR4_PAE
#define EFER (MVM_EFER_LMA | MVM_EFER_LME | MVM_EFER_NXE)
#define GIB  (1ULL << 30)
#define MIB2 (2ULL << 20)

struct ctx {
	struct hostram *h;
	struct mvm_shadow *sh;
};

static void put(struct ctx *c, uint64_t table, unsigned i, uint64_t v)
{
	pt_set(c->h->ram, table, i, v);
}

/* VA 0..2M: 4 KiB pages (PT), 0x1000-0x5000 map the tables themselves;
 * VA 2M..4M: PT2 maps 0x300000..; VA 4M: one 2 MiB page at GPA 2M;
 * VA 1G: a 1 GiB page at GPA 0 (mostly not memory); PML4[256] points
 * back at the PML4 (a recursive mapping); PML4[511] shares the PDPT. */
static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	c->h = hostram_new(PT_RAM_SIZE, 0);
	if (!c->h || mvm_shadow_create(&c->h->mem, &c->sh))
		return -1;
	put(c, PML4, 0, PDPT | P | RW | US | AD);
	put(c, PML4, 256, PML4 | P | RW | AD);
	put(c, PML4, 511, PDPT | P | RW | AD);
	put(c, PDPT, 0, PD | P | RW | US | AD);
	put(c, PDPT, 1, 0 | P | RW | PS | AD);
	put(c, PD, 0, PT | P | RW | US | AD);
	put(c, PD, 1, PT2 | P | RW | US | AD);
	put(c, PD, 2, MIB2 | P | PS | US | NX | AD);
	for (unsigned i = 1; i < 6; i++) /* the tables, identity */
		put(c, PT, i, (uint64_t)i * 4096 | P | RW | AD);
	for (unsigned i = 16; i < 48; i++)
		put(c, PT, i,
		    (0x100000 + (uint64_t)i * 4096) | P | RW | US | AD);
	for (unsigned i = 0; i < 8; i++)
		put(c, PT2, i, (0x300000 + (uint64_t)i * 4096) | P | US | AD);
	assert_int_equal(mvm_shadow_load_cr3(c->sh, CR0, PML4, CR4, EFER), 0);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	mvm_shadow_destroy(c->sh);
	hostram_free(c->h);
	free(c);
	return 0;
}

/* The shadow and the guest walk agree on gva (cr3 = the current root). */
static void same(struct ctx *c, uint64_t cr3, uint64_t gva)
{
	struct mvm_pt_walk w;
	struct mvm_shadow_xlate x;
	int rw = mvm_pt_walk(&c->h->mem, CR0, cr3, CR4, EFER, gva, &w);
	int rs = mvm_shadow_translate(c->sh, gva, &x);
	void *host;

	if (rw != rs || (rw && x.fault != w.fault))
		fail_msg("gva 0x%llx: guest walk %d (%s), shadow %d (%s)",
			 (unsigned long long)gva, rw, w.why, rs,
			 mvm_pt_fault_name(x.fault));
	if (rw)
		return;
	assert_int_equal(x.gpa, w.gpa);
	host = mvm_memmap_hva(&c->h->mem, w.gpa, 1);
	if (host)
		assert_int_equal(x.hpa, (uint64_t)(uintptr_t)host);
	else
		assert_true(x.mmio);
	assert_int_equal(x.writable, w.writable);
	assert_int_equal(x.user, w.user);
	assert_int_equal(x.nx, w.nx);
	assert_int_equal(x.write_protected,
			 host && w.writable &&
				 mvm_shadow_is_protected(c->sh, w.gpa));
}

/* Addresses across every kind of mapping above, and around them. */
static uint64_t sample(unsigned i)
{
	static const uint64_t base[] = {
		0,
		0x200000,
		0x400000,
		GIB,
		2 * GIB,
		256ULL << 39,
		(256ULL << 39) | GIB,
		0xffffff8000000000ULL,
		0x7ffffffff000ULL,
	};
	uint64_t b = base[i % 9];

	return b + (uint64_t)(i / 9) * 0x1000 + (i * 0x77ULL & 0xfff);
}

#define NSAMPLES (9 * 600)

static void all_same(struct ctx *c, uint64_t cr3)
{
	for (unsigned i = 0; i < NSAMPLES; i++)
		same(c, cr3, sample(i));
}

static void shadow_translates_as_the_guest_tables(void **state)
{
	struct ctx *c = *state;
	struct mvm_shadow_stats st;
	uint64_t fills;

	all_same(c, PML4);
	mvm_shadow_get_stats(c->sh, &st);
	assert_true(st.fills > 100);
	fills = st.fills;
	/* All five table pages were walked, so all five are protected. */
	assert_int_equal(st.protected_pages, 5);
	for (uint64_t t = PML4; t <= PT2; t += 0x1000)
		assert_true(mvm_shadow_is_protected(c->sh, t));
	assert_false(mvm_shadow_is_protected(c->sh, 0x110000));
	assert_int_equal(st.traps, 0);
	/* Second time: every address hits, nothing is filled. */
	all_same(c, PML4);
	mvm_shadow_get_stats(c->sh, &st);
	assert_int_equal(st.fills, fills);
}

/* A guest store to its own PT through a virtual address traps, and the
 * changed translation is re-synced, not served stale. */
static void guest_edit_of_a_pte_traps_and_resyncs(void **state)
{
	struct ctx *c = *state;
	struct mvm_shadow_xlate x;
	struct mvm_shadow_stats st;
	uint64_t nv = 0x3ff000 | P | RW | US | AD;

	assert_int_equal(mvm_shadow_translate(c->sh, 0x10000, &x), 0);
	assert_int_equal(x.gpa, 0x110000);
	/* VA 0x4000 maps the PT itself: writable for the guest, but the
	 * shadow maps it read-only. */
	assert_int_equal(mvm_shadow_translate(c->sh, 0x4000, &x), 0);
	assert_true(x.writable && x.write_protected);
	assert_int_equal(mvm_shadow_guest_write(c->sh, PT + 16 * 8, &nv, 8), 0);
	mvm_shadow_get_stats(c->sh, &st);
	assert_int_equal(st.traps, 1);
	assert_int_equal(st.resyncs, 1);
	assert_int_equal(mvm_shadow_translate(c->sh, 0x10000, &x), 0);
	assert_false(x.filled); /* re-synced by the trap itself */
	assert_int_equal(x.gpa, 0x3ff000);
	/* Unmap it: the shadow now faults as the guest walk does. */
	nv = 0;
	assert_int_equal(mvm_shadow_guest_write(c->sh, PT + 16 * 8, &nv, 8), 0);
	assert_int_equal(mvm_shadow_translate(c->sh, 0x10000, &x), -EFAULT);
	assert_int_equal(x.fault, MVM_PT_NOT_PRESENT);
	/* A store to a page the guest made read-only is the guest's #PF. */
	assert_int_equal(mvm_shadow_guest_write(c->sh, 0x200000, &nv, 8),
			 -EFAULT);
	all_same(c, PML4);
}

/* Rewriting an upper-level entry drops the whole range under it. */
static void guest_edit_of_a_pde_drops_its_range(void **state)
{
	struct ctx *c = *state;
	uint64_t nv = PT | P | RW | US | AD;
	struct mvm_shadow_stats st;

	all_same(c, PML4);
	/* PD[1] (VA 2M..4M) now uses PT instead of PT2. */
	assert_int_equal(mvm_shadow_trap_write(c->sh, PD + 8, &nv, 8), 0);
	mvm_shadow_get_stats(c->sh, &st);
	assert_true(st.zaps >= 1);
	all_same(c, PML4);
	/* And the PML4 entry of the low half, in two 4-byte halves. */
	nv = 0;
	assert_int_equal(mvm_shadow_trap_write(c->sh, PML4, &nv, 4), 0);
	assert_int_equal(mvm_shadow_trap_write(c->sh, PML4 + 4, &nv, 4), 0);
	all_same(c, PML4);
	/* Not a table page: no trap. */
	assert_int_equal(mvm_shadow_trap_write(c->sh, 0x110000, &nv, 8),
			 -EINVAL);
}

/* Two address spaces: CR3 loads pick their own roots; an edit of a
 * shared table reaches both. */
static void each_cr3_has_its_root_and_shared_tables_sync_both(void **state)
{
	struct ctx *c = *state;
	const uint64_t pml4b = 0x6000, nv = 0x3fe000 | P | RW | US | AD;
	struct mvm_shadow_stats st;

	put(c, pml4b, 0, PDPT | P | RW | US | AD); /* shares PDPT.. */
	all_same(c, PML4);
	assert_int_equal(mvm_shadow_load_cr3(c->sh, CR0, pml4b, CR4, EFER), 0);
	all_same(c, pml4b);
	assert_int_equal(mvm_shadow_load_cr3(c->sh, CR0, PML4, CR4, EFER), 0);
	mvm_shadow_get_stats(c->sh, &st);
	assert_int_equal(st.roots_built, 2);
	assert_int_equal(st.cr3_loads, 3);
	assert_int_equal(mvm_shadow_trap_write(c->sh, PT + 20 * 8, &nv, 8), 0);
	all_same(c, PML4);
	assert_int_equal(mvm_shadow_load_cr3(c->sh, CR0, pml4b, CR4, EFER), 0);
	all_same(c, pml4b);
	assert_int_equal(
		mvm_shadow_load_cr3(c->sh, CR0, PML4, CR4, EFER - MVM_EFER_LMA),
		-EOPNOTSUPP);
}

/* Random edits of every table, each checked on all samples. */
static void random_guest_edits_stay_in_sync(void **state)
{
	struct ctx *c = *state;
	static const unsigned slots[] = {0, 1, 2, 3, 16, 17, 256, 511};
	const uint64_t tables[] = {PML4, PDPT, PD, PT, PT2};
	struct mvm_shadow_stats st;

	srand(12345);
	for (int round = 0; round < 150; round++) {
		uint64_t t = tables[rand() % 5], v;
		unsigned i = slots[rand() % 8];
		int r = rand() % 6;

		v = r == 0   ? 0
		    : r == 1 ? tables[rand() % 5]
		    : r == 2 ? (uint64_t)(rand() % 1024) << 12
		    : r == 3 ? (uint64_t)(rand() % 2) << 21 | PS
		    : r == 4 ? 1ULL << (12 + rand() % 40) /* maybe reserved */
			     : (uint64_t)rand() << 32;
		v |= P | AD | (rand() % 2 ? RW : 0) | (rand() % 2 ? US : 0) |
		     (rand() % 4 ? 0 : NX);
		if (mvm_shadow_is_protected(c->sh, t + 8 * i))
			assert_int_equal(
				mvm_shadow_trap_write(c->sh, t + 8 * i, &v, 8),
				0);
		else
			put(c, t, i, v);
		for (unsigned s = 0; s < NSAMPLES; s += 7)
			same(c, PML4, sample(s));
	}
	mvm_shadow_get_stats(c->sh, &st);
	assert_true(st.traps > 50);
	printf("# 150 random edits: %llu traps, %llu fills, %llu zaps, "
	       "%llu re-syncs, %llu shadow tables\n",
	       (unsigned long long)st.traps, (unsigned long long)st.fills,
	       (unsigned long long)st.zaps, (unsigned long long)st.resyncs,
	       (unsigned long long)st.tables);
}

/* Tables of random bytes (loops, reserved bits, pointers anywhere):
 * the shadow gives the walker's answer or fault, and returns. */
static void garbage_tables_fault_like_the_walker(void **state)
{
	struct ctx *c = *state;

	srand(777);
	for (uint64_t t = PML4; t <= PT2; t += 8) {
		uint64_t v =
			((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 12);

		/* Mostly pointers back into the tables, so walks go deep. */
		if (rand() % 2)
			v = (PML4 + (uint64_t)(rand() % 5) * 0x1000) | P | RW |
			    (rand() % 3 ? 0 : PS);
		memcpy(c->h->ram + t, &v, 8);
	}
	for (unsigned i = 0; i < 20000; i++) {
		uint64_t gva = ((uint64_t)rand() << 31) ^ (uint64_t)rand();

		if (i % 3 == 0)
			gva = (uint64_t)((int64_t)(gva << 16) >> 16);
		same(c, PML4, gva);
	}
}

/* The malformed cases by name: each gives the walker's fault. */
static void malformed_tables_fault_as_a_cpu_would(void **state)
{
	struct ctx *c = *state;
	struct mvm_shadow_xlate x;

	/* Non-canonical: bits 63:48 are not copies of bit 47. */
	assert_int_equal(mvm_shadow_translate(c->sh, 0x0000800000000000ULL, &x),
			 -EFAULT);
	assert_int_equal(x.fault, MVM_PT_NONCANONICAL);
	/* A reserved bit: PS in a PML4E (SDM Vol. 3A Table 4-15). */
	put(c, PML4, 3, PDPT | P | RW | PS);
	assert_int_equal(mvm_shadow_translate(c->sh, 3ULL << 39, &x), -EFAULT);
	assert_int_equal(x.fault, MVM_PT_RESERVED);
	/* A table outside guest memory. */
	put(c, PML4, 4, 0x7ffff000ULL | P | RW);
	assert_int_equal(mvm_shadow_translate(c->sh, 4ULL << 39, &x), -EFAULT);
	assert_int_equal(x.fault, MVM_PT_BAD_TABLE);
	/* A PML4 entry pointing at the PML4 itself, used at every level:
	 * four reads, then the PML4 page is the "page". */
	put(c, PML4, 5, PML4 | P | RW);
	same(c, PML4,
	     (5ULL << 39) | (5ULL << 30) | (5ULL << 21) | (5ULL << 12));
	assert_int_equal(mvm_shadow_translate(c->sh,
					      (5ULL << 39) | (5ULL << 30) |
						      (5ULL << 21) |
						      (5ULL << 12),
					      &x),
			 0);
	assert_int_equal(x.gpa, PML4);
	assert_true(x.write_protected); /* it holds page tables */
	all_same(c, PML4);
}

/* Guest memory grows (a slot is added): the shadow is flushed and
 * answers from the new map; a CR3 beyond MVM_SHADOW_ROOTS evicts. */
static void flush_and_root_eviction(void **state)
{
	struct ctx *c = *state;
	struct mvm_shadow_stats st;

	all_same(c, PML4);
	mvm_shadow_flush(c->sh);
	mvm_shadow_get_stats(c->sh, &st);
	assert_int_equal(st.tables, 1); /* the empty PML4 of the root */
	for (uint64_t i = 0; i < MVM_SHADOW_ROOTS + 2; i++) {
		put(c, 0x7000 + i * 0x1000, 0, PDPT | P | RW | AD);
		assert_int_equal(mvm_shadow_load_cr3(c->sh, CR0,
						     0x7000 + i * 0x1000, CR4,
						     EFER),
				 0);
		same(c, 0x7000 + i * 0x1000, 0x10000);
	}
	mvm_shadow_get_stats(c->sh, &st);
	assert_int_equal(st.roots_built, MVM_SHADOW_ROOTS + 3);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			shadow_translates_as_the_guest_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(
			guest_edit_of_a_pte_traps_and_resyncs, setup, teardown),
		cmocka_unit_test_setup_teardown(
			guest_edit_of_a_pde_drops_its_range, setup, teardown),
		cmocka_unit_test_setup_teardown(
			each_cr3_has_its_root_and_shared_tables_sync_both,
			setup, teardown),
		cmocka_unit_test_setup_teardown(random_guest_edits_stay_in_sync,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			garbage_tables_fault_like_the_walker, setup, teardown),
		cmocka_unit_test_setup_teardown(
			malformed_tables_fault_as_a_cpu_would, setup, teardown),
		cmocka_unit_test_setup_teardown(flush_and_root_eviction, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
