/*
 * check.c - the entry-state checker: is this register state one a real
 * CPU would run?
 *
 * Hardware virtualization checks the guest state on every VM entry:
 * Intel VT-x in "Checks on the Guest State Area" (Intel SDM Vol. 3C
 * 27.3.1 in the 2022+ editions; 26.3.1 before) and AMD-V in the VMRUN
 * consistency checks (AMD APM Vol. 2 15.5.1). KVM leaves many of them to
 * the hardware, and a software backend may run a state real hardware
 * would refuse - or fail much later with a triple fault. So minivmm
 * applies the rules itself, before the first KVM_RUN, and explains each
 * violation in words.
 *
 * Each rule is one small function in a table: its id (for tests and
 * grep), the manual section it comes from, and a test that fills in the
 * message when the rule is broken (checkrules.h). This file holds the
 * rules for the control registers, EFER and RFLAGS, and runs every table;
 * the segment and RIP rules are in checkseg.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "checkrules.h"

/* Reserved RFLAGS bits (Intel SDM Vol. 1 3.4.3): 63:22, 15, 5, 3 must
 * be 0 and bit 1 must be 1. */
#define RFLAGS_MBZ \
	(~((1ULL << 22) - 1) | (1ULL << 15) | (1ULL << 5) | (1ULL << 3))

/* CR4 bits defined as of the 2024 SDM (Vol. 3A 2.5): 0-14, 16-25 and 28
 * (LAM_SUP). Bit 15 and the rest are reserved: setting them is a #GP. */
#define CR4_KNOWN                                                          \
	(((1ULL << 15) - 1) | (((1ULL << 26) - 1) & ~((1ULL << 16) - 1)) | \
	 (1ULL << 28))

/* IA32_EFER (MSR C000_0080H) bits defined by either vendor: SCE (0), LME
 * (8), LMA (10), NXE (11) in Intel SDM Vol. 3A 2.2.1 (Table 2-1); AMD
 * adds SVME (12), LMSLE (13), FFXSR (14), TCE (15), MCOMMIT (17), INTWB
 * (18), UAIE (20) and AIBRSE (21) in AMD APM Vol. 2 3.1.7. Every other
 * bit is reserved: WRMSR setting one is a #GP, and so is a VM entry that
 * loads it (Intel SDM Vol. 3C 27.3.1.1). */
#define EFER_KNOWN                                                    \
	((1ULL << 0) | (1ULL << 8) | (0x3fULL << 10) | (1ULL << 17) | \
	 (1ULL << 18) | (1ULL << 20) | (1ULL << 21))

/* Long mode walks 8-byte (PAE-format) entries, so the CPU refuses to set
 * CR0.PG with EFER.LME=1 unless CR4.PAE=1 (#GP; SDM 3A 9.8.5 step 4). */
static int lme_without_pae(const struct check_state *st, char *m, size_t n)
{
	if (!(st->lma || (st->lme && st->pg)) || st->pae)
		return 0;
	snprintf(m, n,
		 "EFER.LME is set with paging on but CR4.PAE is clear: "
		 "long mode needs PAE-format page tables");
	return 1;
}

/* Paging is built on protection: MOV CR0 with PG=1 and PE=0 is a #GP
 * (SDM 3A 2.5), and VM entry checks the same pair. */
static int pg_without_pe(const struct check_state *st, char *m, size_t n)
{
	if (!st->pg || st->pe)
		return 0;
	snprintf(m, n,
		 "CR0.PG is set but CR0.PE is clear: paging only "
		 "exists in protected mode");
	return 1;
}

/* The CPU sets EFER.LMA itself when CR0.PG is set with LME=1; a state
 * with LME and PG but no LMA never exists on hardware. */
static int lma_clear(const struct check_state *st, char *m, size_t n)
{
	if (!(st->lme && st->pg) || st->lma)
		return 0;
	snprintf(m, n,
		 "EFER.LME and CR0.PG are set but EFER.LMA is clear: "
		 "the CPU would be in long mode, so LMA must be 1");
	return 1;
}

/* The converse: LMA=1 means "IA-32e mode is active", which requires
 * paging on. KVM_SET_SREGS rejects it with EINVAL; here it has a name. */
static int long_without_paging(const struct check_state *st, char *m, size_t n)
{
	if (!st->lma || st->pg)
		return 0;
	snprintf(m, n,
		 "EFER.LMA is set but CR0.PG is clear: long mode is "
		 "only active with paging on");
	return 1;
}

/* NW=1 (not write-through) only makes sense with caching disabled
 * (CD=1); the combination CD=0, NW=1 is invalid (SDM 3A Table 11-5). */
static int cr0_nw_without_cd(const struct check_state *st, char *m, size_t n)
{
	if (!(st->s->cr0 & MVM_CR0_NW) || (st->s->cr0 & MVM_CR0_CD))
		return 0;
	snprintf(m, n,
		 "CR0.NW=1 with CR0.CD=0 is an invalid cache mode "
		 "(MOV to CR0 would #GP)");
	return 1;
}

/* CR0 is 64 bits wide in long mode, but bits 63:32 are reserved. */
static int cr0_reserved(const struct check_state *st, char *m, size_t n)
{
	if (!(st->s->cr0 >> 32))
		return 0;
	snprintf(m, n, "CR0 bits 63:32 are reserved but set (0x%llx)",
		 (unsigned long long)st->s->cr0);
	return 1;
}

/* CR3 holds a physical address; bits above MAXPHYADDR are reserved
 * and a MOV to CR3 setting them is a #GP. */
static int cr3_reserved(const struct check_state *st, char *m, size_t n)
{
	/* Bits 63:MAXPHYADDR; 52 is the architectural maximum. */
	if (!st->lma || !(st->s->cr3 >> 52))
		return 0;
	snprintf(m, n,
		 "CR3 0x%llx has bits above 51 set: they are reserved "
		 "in long mode",
		 (unsigned long long)st->s->cr3);
	return 1;
}

/* Reserved CR4 bits are a #GP on MOV to CR4, and VM entry checks the
 * guest CR4 against the fixed-bit MSRs. */
static int cr4_reserved(const struct check_state *st, char *m, size_t n)
{
	uint64_t bad = st->s->cr4 & ~CR4_KNOWN;

	if (!bad)
		return 0;
	snprintf(m, n,
		 "CR4 has reserved bits set (0x%llx): MOV to CR4 with "
		 "these would #GP",
		 (unsigned long long)bad);
	return 1;
}

/* EFER: a reserved bit is refused by WRMSR and by VM entry alike. */
static int efer_reserved(const struct check_state *st, char *m, size_t n)
{
	uint64_t bad = st->s->efer & ~EFER_KNOWN;

	if (!bad)
		return 0;
	snprintf(m, n,
		 "EFER 0x%llx has reserved bits set (0x%llx): WRMSR with "
		 "these would #GP",
		 (unsigned long long)st->s->efer, (unsigned long long)bad);
	return 1;
}

/* RFLAGS bit 1 reads as 1 on every x86 since the 8086; several other
 * bits are reserved zeros (SDM Vol. 1 3.4.3, Figure 3-8). */
static int rflags_reserved(const struct check_state *st, char *m, size_t n)
{
	uint64_t f = st->r->rflags;

	if ((f & MVM_RFLAGS_FIXED) && !(f & RFLAGS_MBZ))
		return 0;
	snprintf(m, n,
		 "RFLAGS 0x%llx: bit 1 must be 1 and bits 63:22, 15, "
		 "5, 3 must be 0 (use 0x2 for a clean start)",
		 (unsigned long long)f);
	return 1;
}

/* Virtual-8086 mode is a sub-mode of 32-bit protected mode only
 * (SDM 3A 20.2); with PE=0 or in long mode VM must be 0. */
static int rflags_vm(const struct check_state *st, char *m, size_t n)
{
	if (!(st->r->rflags & MVM_RFLAGS_VM) || (st->pe && !st->lma))
		return 0;
	snprintf(m, n, "RFLAGS.VM (virtual-8086) is set %s",
		 st->lma ? "in long mode, which has no virtual-8086 mode"
			 : "with CR0.PE=0; it only exists in protected mode");
	return 1;
}

static const struct check_rule cr_rules[] = {
	{"lme-without-pae", "Intel SDM Vol. 3A 9.8.5; " APM_VMRUN,
	 lme_without_pae},
	{"pg-without-pe", SDM_GUEST ".1; Intel SDM Vol. 3A 2.5", pg_without_pe},
	{"lma-clear", SDM_GUEST ".1 (IA32_EFER)", lma_clear},
	{"long-without-paging", "Intel SDM Vol. 3A 9.8.5; " APM_VMRUN,
	 long_without_paging},
	{"cr4-reserved", "Intel SDM Vol. 3A 2.5 (CR4)", cr4_reserved},
	{"efer-reserved",
	 "Intel SDM Vol. 3A 2.2.1; " SDM_GUEST ".1; AMD APM Vol. 2 3.1.7",
	 efer_reserved},
	{"cr0-nw-without-cd", "Intel SDM Vol. 3A 2.5, Table 11-5; " APM_VMRUN,
	 cr0_nw_without_cd},
	{"cr0-reserved", SDM_GUEST ".1; " APM_VMRUN, cr0_reserved},
	{"rflags-reserved", SDM_GUEST ".4 (RFLAGS)", rflags_reserved},
	{"rflags-vm", SDM_GUEST ".4 (RFLAGS.VM)", rflags_vm},
	{"cr3-reserved", SDM_GUEST ".1; " APM_VMRUN, cr3_reserved},
};

/* Run one table; every broken rule is counted, and its message is kept
 * while rep has room (n is the count so far). */
static int run_rules(const struct check_state *st,
		     const struct check_rule *rules, size_t nrules,
		     struct mvm_check_report *rep, int n)
{
	struct mvm_check_problem scratch;

	for (size_t i = 0; i < nrules; i++) {
		struct mvm_check_problem *p =
			rep && n < MVM_CHECK_MAX ? &rep->p[n] : &scratch;

		if (!rules[i].bad(st, p->msg, sizeof(p->msg)))
			continue;
		p->rule = rules[i].id;
		p->ref = rules[i].ref;
		n++;
	}
	return n;
}

int mvm_check_state(const struct kvm_regs *regs, const struct kvm_sregs *sregs,
		    struct mvm_check_report *rep)
{
	struct check_state st = {.r = regs, .s = sregs};
	int n;

	if (!regs || !sregs)
		return -EINVAL;
	st.pe = !!(sregs->cr0 & MVM_CR0_PE);
	st.pg = !!(sregs->cr0 & MVM_CR0_PG);
	st.pae = !!(sregs->cr4 & MVM_CR4_PAE);
	st.lme = !!(sregs->efer & MVM_EFER_LME);
	st.lma = !!(sregs->efer & MVM_EFER_LMA);
	st.code64 = st.lma && sregs->cs.l;
	n = run_rules(&st, cr_rules, sizeof(cr_rules) / sizeof(cr_rules[0]),
		      rep, 0);
	n = run_rules(&st, mvm_check_seg_rules, mvm_check_seg_nrules, rep, n);
	if (rep)
		rep->n = n < MVM_CHECK_MAX ? n : MVM_CHECK_MAX;
	return n;
}

/* The CPU mode follows from CR0.PE, EFER.LMA and CS.L/D (Intel SDM Vol.
 * 3A 2.2, Figure 2-3); the CPL is the RPL of CS (Vol. 3A 5.5). */
int mvm_describe_mode(const struct kvm_sregs *sregs, char *buf, size_t len)
{
	unsigned cpl = sregs ? sregs->cs.selector & 3 : 0;
	const char *paging;

	if (!sregs || !buf || len == 0)
		return -EINVAL;
	paging = (sregs->cr0 & MVM_CR0_PG) ? "paging on" : "paging off";
	if (!(sregs->cr0 & MVM_CR0_PE))
		return snprintf(buf, len, "16-bit real mode");
	if ((sregs->efer & MVM_EFER_LMA) && sregs->cs.l)
		return snprintf(buf, len, "64-bit long mode, CPL %u, %s", cpl,
				paging);
	if (sregs->efer & MVM_EFER_LMA)
		return snprintf(buf, len,
				"compatibility mode (%s-bit code in long "
				"mode), CPL %u, %s",
				sregs->cs.db ? "32" : "16", cpl, paging);
	return snprintf(buf, len, "%s-bit protected mode, CPL %u, %s",
			sregs->cs.db ? "32" : "16", cpl, paging);
}
