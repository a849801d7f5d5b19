/*
 * test_check.c - every rule of the entry-state checker.
 *
 * Each mode has a known-good state (what mvm_vcpu_setup_mode builds).
 * Each rule test breaks exactly one thing in one of them and expects
 * exactly that rule to fire.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "minivmm/minivmm.h"

static struct kvm_segment seg(uint16_t sel, uint8_t type, uint32_t limit, int g)
{
	struct kvm_segment s = {.limit = limit,
				.selector = sel,
				.type = type,
				.present = 1,
				.s = 1,
				.g = (uint8_t)g,
				.db = 1};
	return s;
}

static struct kvm_segment busy_tss(void)
{
	struct kvm_segment s = {.base = MVM_TSS_ADDR,
				.limit = 0x67,
				.selector = MVM_SEL_TSS,
				.type = 11,
				.present = 1};
	return s;
}

static void real_state(struct kvm_regs *r, struct kvm_sregs *s)
{
	memset(r, 0, sizeof(*r));
	memset(s, 0, sizeof(*s));
	r->rip = MVM_REAL_LOAD_ADDR;
	r->rflags = MVM_RFLAGS_FIXED;
	s->cs = seg(0, 0xb, 0xffff, 0);
	s->cs.db = 0;
	s->ds = s->es = s->fs = s->gs = s->ss = seg(0, 0x3, 0xffff, 0);
	s->ds.db = s->es.db = s->fs.db = s->gs.db = s->ss.db = 0;
	s->tr = busy_tss();
	s->cr0 = MVM_CR0_ET;
}

static void prot_state(struct kvm_regs *r, struct kvm_sregs *s)
{
	real_state(r, s);
	r->rip = MVM_LOAD_ADDR;
	s->cs = seg(MVM_SEL_CODE32, 0xb, 0xffffffff, 1);
	s->ds = s->es = s->fs = s->gs = s->ss =
		seg(MVM_SEL_DATA, 0x3, 0xffffffff, 1);
	s->cr0 = MVM_CR0_PE | MVM_CR0_ET | MVM_CR0_NE;
}

static void long_state(struct kvm_regs *r, struct kvm_sregs *s)
{
	prot_state(r, s);
	s->cs = seg(MVM_SEL_CODE64, 0xb, 0xffffffff, 1);
	s->cs.l = 1;
	s->cs.db = 0;
	s->cr0 = MVM_CR0_PG | MVM_CR0_WP | MVM_CR0_NE | MVM_CR0_ET | MVM_CR0_PE;
	s->cr3 = MVM_PT_ADDR;
	s->cr4 = MVM_CR4_PAE;
	s->efer = MVM_EFER_NXE | MVM_EFER_LMA | MVM_EFER_LME;
}

/* Exactly one problem, with this rule id, a reference and a message. */
static void expect_rule(const struct kvm_regs *r, const struct kvm_sregs *s,
			const char *rule)
{
	struct mvm_check_report rep;
	int n = mvm_check_state(r, s, &rep);

	if (n != 1 || strcmp(rep.p[0].rule, rule) != 0)
		fail_msg("expected only rule %s, got %d problems, first %s: %s",
			 rule, n, n > 0 ? rep.p[0].rule : "-",
			 n > 0 ? rep.p[0].msg : "-");
	assert_int_equal(rep.n, 1);
	assert_true(strlen(rep.p[0].msg) > 20);
	assert_non_null(strstr(rep.p[0].ref, "Vol."));
}

static void valid_states_have_no_problems(void **state)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	struct mvm_check_report rep;

	(void)state;
	real_state(&r, &s);
	assert_int_equal(mvm_check_state(&r, &s, &rep), 0);
	assert_int_equal(rep.n, 0);
	prot_state(&r, &s);
	assert_int_equal(mvm_check_state(&r, &s, &rep), 0);
	long_state(&r, &s);
	assert_int_equal(mvm_check_state(&r, &s, &rep), 0);
	/* KVM's reset state: CS base 0xffff0000, CD and NW set. */
	real_state(&r, &s);
	s.cs.base = 0xffff0000;
	s.cs.selector = 0xf000;
	r.rip = 0xfff0;
	s.cr0 = MVM_CR0_CD | MVM_CR0_NW | MVM_CR0_ET;
	assert_int_equal(mvm_check_state(&r, &s, &rep), 0);
}

/* Bit 9 (between LME and LMA) and bit 63 are reserved in IA32_EFER;
 * AMD's FFXSR (bit 14) is not. */
static void efer_reserved_bits_are_flagged(void **state)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	struct mvm_check_report rep;

	(void)state;
	long_state(&r, &s);
	s.efer |= 1ULL << 9;
	expect_rule(&r, &s, "efer-reserved");
	long_state(&r, &s);
	s.efer |= 1ULL << 63;
	expect_rule(&r, &s, "efer-reserved");
	mvm_check_state(&r, &s, &rep);
	assert_non_null(strstr(rep.p[0].msg, "0x8000000000000000"));
	long_state(&r, &s);
	s.efer |= 1ULL << 14;
	assert_int_equal(mvm_check_state(&r, &s, &rep), 0);
}

static void lme_without_pae(void **state)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	(void)state;
	long_state(&r, &s);
	s.cr4 = 0;
	expect_rule(&r, &s, "lme-without-pae");
}

static void pg_without_pe(void **state)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	(void)state;
	real_state(&r, &s);
	s.cr0 |= MVM_CR0_PG;
	expect_rule(&r, &s, "pg-without-pe");
}

static void lma_clear(void **state)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	(void)state;
	long_state(&r, &s);
	s.efer &= ~MVM_EFER_LMA;
	s.cs.l = 0; /* else cs-l-outside-long fires too */
	s.cs.db = 1;
	expect_rule(&r, &s, "lma-clear");
}

static void long_without_paging(void **state)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	(void)state;
	long_state(&r, &s);
	s.cr0 &= ~MVM_CR0_PG;
	expect_rule(&r, &s, "long-without-paging");
}

static void cs_l_and_d(void **state)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	(void)state;
	long_state(&r, &s);
	s.cs.db = 1;
	expect_rule(&r, &s, "cs-l-and-d");
}

static void cs_l_outside_long(void **state)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	(void)state;
	prot_state(&r, &s);
	s.cs.l = 1;
	s.cs.db = 0;
	expect_rule(&r, &s, "cs-l-outside-long");
}

static void rip_noncanonical(void **state)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	(void)state;
	long_state(&r, &s);
	r.rip = 0x0000800000000000ULL;
	expect_rule(&r, &s, "rip-noncanonical");
}

static void rip_beyond_limit(void **state)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	(void)state;
	real_state(&r, &s);
	r.rip = 0x10000;
	expect_rule(&r, &s, "rip-beyond-limit");
}

static void cpl_mismatch(void **state)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	(void)state;
	prot_state(&r, &s);
	s.ss.dpl = 3;
	expect_rule(&r, &s, "cpl-mismatch");
}

static void cs_unusable(void **state)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	(void)state;
	prot_state(&r, &s);
	s.cs.present = 0;
	expect_rule(&r, &s, "cs-unusable");
}

static void cs_not_code(void **state)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	(void)state;
	prot_state(&r, &s);
	s.cs.type = 0x3;
	expect_rule(&r, &s, "cs-not-code");
}

static void ss_not_writable(void **state)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	(void)state;
	prot_state(&r, &s);
	s.ss.type = 0x1; /* read-only data */
	expect_rule(&r, &s, "ss-not-writable");
}

static void cr4_reserved(void **state)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	(void)state;
	long_state(&r, &s);
	s.cr4 |= 1ULL << 15;
	expect_rule(&r, &s, "cr4-reserved");
}

static void cr0_nw_without_cd(void **state)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	(void)state;
	prot_state(&r, &s);
	s.cr0 |= MVM_CR0_NW;
	expect_rule(&r, &s, "cr0-nw-without-cd");
}

static void cr0_reserved(void **state)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	(void)state;
	prot_state(&r, &s);
	s.cr0 |= 1ULL << 32;
	expect_rule(&r, &s, "cr0-reserved");
}

static void rflags_reserved(void **state)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	(void)state;
	long_state(&r, &s);
	r.rflags = 0;
	expect_rule(&r, &s, "rflags-reserved");
	r.rflags = MVM_RFLAGS_FIXED | (1ULL << 15); /* reserved */
	expect_rule(&r, &s, "rflags-reserved");
}

static void rflags_vm(void **state)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	(void)state;
	long_state(&r, &s);
	r.rflags |= MVM_RFLAGS_VM;
	expect_rule(&r, &s, "rflags-vm");
	real_state(&r, &s);
	r.rflags |= MVM_RFLAGS_VM;
	expect_rule(&r, &s, "rflags-vm");
}

static void granularity_limit(void **state)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	(void)state;
	prot_state(&r, &s);
	s.ds.limit = 0xfffff000; /* G=1 but the low 12 bits are not 1s */
	expect_rule(&r, &s, "granularity-limit");
	prot_state(&r, &s);
	s.es.g = 0; /* a 4 GiB byte limit needs G=1 */
	expect_rule(&r, &s, "granularity-limit");
}

static void cr3_reserved(void **state)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	(void)state;
	long_state(&r, &s);
	s.cr3 |= 1ULL << 60;
	expect_rule(&r, &s, "cr3-reserved");
}

static void tr_not_busy_tss(void **state)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	(void)state;
	prot_state(&r, &s);
	s.tr.type = 9; /* available, not busy */
	expect_rule(&r, &s, "tr-not-busy-tss");
	long_state(&r, &s);
	s.tr.type = 3; /* 16-bit TSS: not in long mode */
	expect_rule(&r, &s, "tr-not-busy-tss");
}

static void many_problems_are_capped_and_counted_without_report(void **state)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	struct mvm_check_report rep;
	int n;

	(void)state;
	memset(&r, 0xff, sizeof(r));
	memset(&s, 0xff, sizeof(s));
	n = mvm_check_state(&r, &s, &rep);
	assert_true(n >= 8);
	assert_int_equal(rep.n, n);
	assert_true(n <= MVM_CHECK_MAX);
	assert_int_equal(mvm_check_state(&r, &s, NULL), n);
	assert_int_equal(mvm_check_state(NULL, &s, &rep), -EINVAL);
}

static void describe_mode_names_each_mode(void **state)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	char buf[96];

	(void)state;
	real_state(&r, &s);
	mvm_describe_mode(&s, buf, sizeof(buf));
	assert_string_equal(buf, "16-bit real mode");
	prot_state(&r, &s);
	mvm_describe_mode(&s, buf, sizeof(buf));
	assert_string_equal(buf, "32-bit protected mode, CPL 0, paging off");
	long_state(&r, &s);
	s.cs.selector = MVM_SEL_UCODE64 | 3;
	mvm_describe_mode(&s, buf, sizeof(buf));
	assert_string_equal(buf, "64-bit long mode, CPL 3, paging on");
	s.cs.l = 0;
	s.cs.db = 1;
	mvm_describe_mode(&s, buf, sizeof(buf));
	assert_string_equal(buf, "compatibility mode (32-bit code in long "
				 "mode), CPL 3, paging on");
	assert_int_equal(mvm_describe_mode(NULL, buf, sizeof(buf)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_states_have_no_problems),
		cmocka_unit_test(lme_without_pae),
		cmocka_unit_test(efer_reserved_bits_are_flagged),
		cmocka_unit_test(pg_without_pe),
		cmocka_unit_test(lma_clear),
		cmocka_unit_test(long_without_paging),
		cmocka_unit_test(cs_l_and_d),
		cmocka_unit_test(cs_l_outside_long),
		cmocka_unit_test(rip_noncanonical),
		cmocka_unit_test(rip_beyond_limit),
		cmocka_unit_test(cpl_mismatch),
		cmocka_unit_test(cs_unusable),
		cmocka_unit_test(cs_not_code),
		cmocka_unit_test(ss_not_writable),
		cmocka_unit_test(cr4_reserved),
		cmocka_unit_test(cr0_nw_without_cd),
		cmocka_unit_test(cr0_reserved),
		cmocka_unit_test(rflags_reserved),
		cmocka_unit_test(rflags_vm),
		cmocka_unit_test(granularity_limit),
		cmocka_unit_test(cr3_reserved),
		cmocka_unit_test(tr_not_busy_tss),
		cmocka_unit_test(
			many_problems_are_capped_and_counted_without_report),
		cmocka_unit_test(describe_mode_names_each_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
