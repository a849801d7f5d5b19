/*
 * test_ptaccess.c - mvm_pt_access(): the rights of an access (Intel SDM
 * Vol. 3A 4.6), the exception it would raise (4.7) and the A/D bits it
 * sets (4.8), on the hand-built tables of pt_layout.h.
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

#define CR0  (MVM_CR0_PG | MVM_CR0_PE | MVM_CR0_WP)
#define CR4  MVM_CR4_PAE
#define EFER (MVM_EFER_LMA | MVM_EFER_LME | MVM_EFER_NXE)
#define NX   MVM_PTE_NX
#define A    MVM_PTE_A
#define D    MVM_PTE_D

static uint64_t get(struct hostram *c, uint64_t table, unsigned i)
{
	uint64_t v;

	memcpy(&v, c->ram + table + 8 * i, 8);
	return v;
}

static int setup(void **state)
{
	struct hostram *c = hostram_new(PT_RAM_SIZE, 0);

	if (!c)
		return -1;
	pt_set(c->ram, PML4, 0, PDPT | P | RW | US);
	pt_set(c->ram, PDPT, 0, PD | P | RW | US);
	pt_set(c->ram, PD, 0, PT | P | RW | US);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	hostram_free(*state);
	return 0;
}

static int acc(struct hostram *c, uint64_t cr0, uint64_t efer, uint64_t va,
	       unsigned how, struct mvm_pt_walk *w)
{
	return mvm_pt_access(&c->mem, cr0, PML4, CR4, efer, va, how, w);
}

static void user_and_write_rights_follow_sdm_4_6(void **state)
{
	struct hostram *c = *state;
	struct mvm_pt_walk w;

	pt_set(c->ram, PT, 1, 0x100000 | P | US); /* user, read-only */
	pt_set(c->ram, PT, 2, 0x101000 | P | RW); /* supervisor RW */
	assert_int_equal(acc(c, CR0, EFER, 0x1000, MVM_PT_USER, &w), 0);
	assert_int_equal(
		acc(c, CR0, EFER, 0x1000, MVM_PT_USER | MVM_PT_WRITE, &w),
		-EFAULT);
	assert_int_equal(w.fault, MVM_PT_PROTECTION);
	assert_int_equal(w.vector, MVM_VEC_PF);
	assert_int_equal(w.pfec, MVM_PFEC_P | MVM_PFEC_W | MVM_PFEC_U);
	assert_int_equal(acc(c, CR0, EFER, 0x1000, MVM_PT_WRITE, &w), -EFAULT);
	assert_int_equal(w.pfec, MVM_PFEC_P | MVM_PFEC_W);
	assert_int_equal(
		acc(c, CR0 & ~MVM_CR0_WP, EFER, 0x1000, MVM_PT_WRITE, &w), 0);
	assert_int_equal(acc(c, CR0, EFER, 0x2000, MVM_PT_USER, &w), -EFAULT);
	assert_int_equal(w.pfec, MVM_PFEC_P | MVM_PFEC_U);
	assert_non_null(strstr(w.why, "supervisor-only"));
}

static void nx_refuses_fetches_only_with_nxe(void **state)
{
	struct hostram *c = *state;
	struct mvm_pt_walk w;

	pt_set(c->ram, PT, 3, 0x102000 | P | RW | NX);
	assert_int_equal(acc(c, CR0, EFER, 0x3000, 0, &w), 0);
	assert_int_equal(acc(c, CR0, EFER, 0x3000, MVM_PT_FETCH, &w), -EFAULT);
	assert_int_equal(w.pfec, MVM_PFEC_P | MVM_PFEC_I);
	/* Without NXE bit 63 is reserved: RSVD, and no I/D bit (4.7). */
	assert_int_equal(
		acc(c, CR0, EFER & ~MVM_EFER_NXE, 0x3000, MVM_PT_FETCH, &w),
		-EFAULT);
	assert_int_equal(w.fault, MVM_PT_RESERVED);
	assert_int_equal(w.pfec, MVM_PFEC_P | MVM_PFEC_RSVD);
}

static void not_present_and_noncanonical_raise_what_the_cpu_raises(void **state)
{
	struct hostram *c = *state;
	struct mvm_pt_walk w;

	assert_int_equal(
		acc(c, CR0, EFER, 0x9000, MVM_PT_USER | MVM_PT_WRITE, &w),
		-EFAULT);
	assert_int_equal(w.fault, MVM_PT_NOT_PRESENT);
	assert_int_equal(w.pfec, MVM_PFEC_W | MVM_PFEC_U);
	assert_int_equal(acc(c, CR0, EFER, 0x0000800000001000ULL, 0, &w),
			 -EFAULT);
	assert_int_equal(w.vector, MVM_VEC_GP);
	assert_int_equal(w.pfec, 0);
	pt_set(c->ram, PD, 5, 0x40000000ULL | P | RW); /* table beyond RAM */
	assert_int_equal(acc(c, CR0, EFER, 0xa00000, 0, &w), -EFAULT);
	assert_int_equal(w.fault, MVM_PT_BAD_TABLE);
	assert_int_equal(w.vector, 0);
}

static void accessed_and_dirty_bits_are_set_like_sdm_4_8(void **state)
{
	struct hostram *c = *state;
	struct mvm_pt_walk w;

	pt_set(c->ram, PT, 4, 0x103000 | P | RW);
	assert_int_equal(acc(c, CR0, EFER, 0x4000, 0, &w), 0);
	assert_int_equal(get(c, PT, 4) & (A | D), 0); /* not asked */
	assert_int_equal(acc(c, CR0, EFER, 0x4000, MVM_PT_SET_AD, &w), 0);
	assert_int_equal(w.ad_written, 4);
	assert_true(get(c, PML4, 0) & A);
	assert_true(get(c, PD, 0) & A);
	assert_int_equal(get(c, PT, 4) & (A | D), A);
	assert_int_equal(
		acc(c, CR0, EFER, 0x4000, MVM_PT_SET_AD | MVM_PT_WRITE, &w), 0);
	assert_int_equal(w.ad_written, 1); /* only the leaf's D was new */
	assert_int_equal(get(c, PT, 4) & (A | D), A | D);
	/* A refused access leaves the bits alone. */
	pt_set(c->ram, PT, 5, 0x104000 | P);
	assert_int_equal(acc(c, CR0, EFER, 0x5000,
			     MVM_PT_SET_AD | MVM_PT_WRITE | MVM_PT_USER, &w),
			 -EFAULT);
	assert_int_equal(get(c, PT, 5) & (A | D), 0);
}

static void one_gib_leaf_with_rights_and_reserved_bits(void **state)
{
	struct hostram *c = *state;
	struct mvm_pt_walk w;

	pt_set(c->ram, PDPT, 2, 0x40000000ULL | P | US | PS | NX);
	assert_int_equal(acc(c, CR0, EFER, 0x80123456ULL, MVM_PT_USER, &w), 0);
	assert_int_equal(w.gpa, 0x40123456ULL);
	assert_int_equal(w.page_size, 1ULL << 30);
	assert_int_equal(acc(c, CR0, EFER, 0x80123456ULL,
			     MVM_PT_USER | MVM_PT_FETCH, &w),
			 -EFAULT);
	assert_int_equal(w.pfec, MVM_PFEC_P | MVM_PFEC_U | MVM_PFEC_I);
	pt_set(c->ram, PDPT, 3, 0x40000000ULL | 0x200000 | P | PS);
	assert_int_equal(acc(c, CR0, EFER, 0xc0000000ULL, 0, &w), -EFAULT);
	assert_int_equal(w.fault, MVM_PT_RESERVED); /* bits 29:13 */
}

/* A table whose entries all point at itself cannot make the walk loop:
 * it reads one entry per level, four in all. */
static void self_referencing_tables_end_after_four_reads(void **state)
{
	struct hostram *c = *state;
	struct mvm_pt_walk w;
	unsigned i;

	for (i = 0; i < 512; i++)
		pt_set(c->ram, PML4, i, PML4 | P | RW);
	assert_int_equal(acc(c, CR0, EFER, 0x7fffffffff28ULL, 0, &w), 0);
	assert_int_equal(w.nlevels, 4);
	assert_int_equal(w.gpa, PML4 + 0xf28);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			user_and_write_rights_follow_sdm_4_6, setup, teardown),
		cmocka_unit_test_setup_teardown(
			nx_refuses_fetches_only_with_nxe, setup, teardown),
		cmocka_unit_test_setup_teardown(
			not_present_and_noncanonical_raise_what_the_cpu_raises,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			accessed_and_dirty_bits_are_set_like_sdm_4_8, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			one_gib_leaf_with_rights_and_reserved_bits, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			self_referencing_tables_end_after_four_reads, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
