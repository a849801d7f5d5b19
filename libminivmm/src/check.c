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
 * Each rule is one small function in the table at the bottom: its id (for
 * tests and grep), the manual section it comes from, and a test that
 * fills in the message when the rule is broken. Segment fields follow
 * struct kvm_segment: `type` is the 4-bit descriptor type, limits are in
 * bytes (already scaled by G), and "unusable" marks a null selector.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define CR0_PE	  (1ULL << 0)
#define CR0_NW	  (1ULL << 29)
#define CR0_CD	  (1ULL << 30)
#define CR0_PG	  (1ULL << 31)
#define CR4_PAE	  (1ULL << 5)
#define EFER_LME  (1ULL << 8)
#define EFER_LMA  (1ULL << 10)
#define RFLAGS_VM (1ULL << 17)

/* Reserved RFLAGS bits (Intel SDM Vol. 1 3.4.3): 63:22, 15, 5, 3 must
 * be 0 and bit 1 must be 1. */
#define RFLAGS_MBZ \
	(~((1ULL << 22) - 1) | (1ULL << 15) | (1ULL << 5) | (1ULL << 3))

/* CR4 bits defined as of the 2024 SDM (Vol. 3A 2.5): 0-14, 16-25 and 28
 * (LAM_SUP). Bit 15 and the rest are reserved: setting them is a #GP. */
#define CR4_KNOWN                                                          \
	(((1ULL << 15) - 1) | (((1ULL << 26) - 1) & ~((1ULL << 16) - 1)) | \
	 (1ULL << 28))

#define SDM_GUEST "Intel SDM Vol. 3C 27.3.1"
#define APM_VMRUN "AMD APM Vol. 2 15.5.1"

/* The state plus the facts most rules need. */
struct state {
	const struct kvm_regs *r;
	const struct kvm_sregs *s;
	int pe, pg, lme, lma, pae, code64;
};

typedef int rule_fn(const struct state *st, char *msg, size_t len);

struct rule {
	const char *id;
	const char *ref;
	rule_fn *bad; /* non-zero = broken; writes the message */
};

/* Long mode walks 8-byte (PAE-format) entries, so the CPU refuses to set
 * CR0.PG with EFER.LME=1 unless CR4.PAE=1 (#GP; SDM 3A 9.8.5 step 4). */
static int lme_without_pae(const struct state *st, char *m, size_t n)
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
static int pg_without_pe(const struct state *st, char *m, size_t n)
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
static int lma_clear(const struct state *st, char *m, size_t n)
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
static int long_without_paging(const struct state *st, char *m, size_t n)
{
	if (!st->lma || st->pg)
		return 0;
	snprintf(m, n,
		 "EFER.LMA is set but CR0.PG is clear: long mode is "
		 "only active with paging on");
	return 1;
}

/* L=1 selects 64-bit code; L=1 with D=1 is reserved for future use
 * (SDM 3A 3.4.5) and VM entry refuses it for CS. */
static int cs_l_and_d(const struct state *st, char *m, size_t n)
{
	if (!st->lma || !st->s->cs.l || !st->s->cs.db)
		return 0;
	snprintf(m, n,
		 "CS has both L=1 and D=1 in long mode; a 64-bit code "
		 "segment must have D=0");
	return 1;
}

/* Outside IA-32e mode, descriptor bit 21 (L) is reserved and should be
 * 0 (SDM 3A 3.4.5): a sign the GDT meant for 64-bit code is in use. */
static int cs_l_outside_long(const struct state *st, char *m, size_t n)
{
	if (st->lma || !st->pe || !st->s->cs.l)
		return 0;
	snprintf(m, n,
		 "CS.L=1 but the CPU is not in long mode (EFER.LMA=0): "
		 "a 64-bit code segment only works in long mode");
	return 1;
}

/* 64-bit code fetches from canonical addresses only; a non-canonical RIP
 * is a #GP on the first fetch, and with no IDT, a triple fault. */
static int noncanonical_rip(const struct state *st, char *m, size_t n)
{
	int64_t top = (int64_t)st->r->rip >> 47;

	if (!st->code64 || top == 0 || top == -1)
		return 0;
	snprintf(m, n,
		 "RIP 0x%llx is not canonical: in 64-bit mode bits "
		 "63:48 must be copies of bit 47",
		 (unsigned long long)st->r->rip);
	return 1;
}

/* Outside 64-bit mode every fetch is checked against the CS limit
 * (SDM 3A 5.3), e.g. an entry above 0xffff in real mode. */
static int rip_beyond_limit(const struct state *st, char *m, size_t n)
{
	if (st->code64 || st->r->rip <= st->s->cs.limit)
		return 0;
	snprintf(m, n,
		 "RIP 0x%llx is beyond the CS limit 0x%x: the first "
		 "instruction fetch would fault (#GP)",
		 (unsigned long long)st->r->rip, st->s->cs.limit);
	return 1;
}

/* The CPL is the DPL of SS and of CS (for a non-conforming CS); the two
 * can only differ if state was written by hand. KVM on Intel takes the
 * CPL from SS (SDM 3C "Guest Register State"), so the guest would run at
 * a CPL its code segment does not say. */
static int cpl_mismatch(const struct state *st, char *m, size_t n)
{
	if (!st->pe || st->s->ss.dpl == st->s->cs.dpl)
		return 0;
	snprintf(m, n,
		 "SS.DPL=%u but CS.DPL=%u: both hold the privilege "
		 "level (CPL) and must agree",
		 st->s->ss.dpl, st->s->cs.dpl);
	return 1;
}

/* CS can never be null or not present while code runs from it. */
static int cs_unusable(const struct state *st, char *m, size_t n)
{
	if (!st->pe || (st->s->cs.present && !st->s->cs.unusable))
		return 0;
	snprintf(m, n,
		 "CS is not present (P=0) or marked unusable: code "
		 "cannot run from a missing segment");
	return 1;
}

/* Descriptor type bit 3 selects code (1) or data (0); S=0 would be a
 * system descriptor (TSS, LDT, gates). Only code may be in CS. */
static int cs_not_code(const struct state *st, char *m, size_t n)
{
	if (!st->pe || (st->s->cs.s && (st->s->cs.type & 8)))
		return 0;
	snprintf(m, n,
		 "CS has type %u (S=%u), which is not a code segment: "
		 "CS needs a code descriptor (type 8-15, S=1)",
		 st->s->cs.type, st->s->cs.s);
	return 1;
}

/* Loading SS with a non-writable segment is a #GP (SDM 3A 5.4.1): the
 * stack must take pushes. */
static int ss_not_writable(const struct state *st, char *m, size_t n)
{
	const struct kvm_segment *ss = &st->s->ss;

	/* A null SS is allowed in 64-bit mode (Intel SDM Vol. 3A 5.7). */
	if (!st->pe || ss->unusable || (ss->s && (ss->type & 0xa) == 0x2))
		return 0;
	snprintf(m, n,
		 "SS has type %u (S=%u), which is not a writable data "
		 "segment: the first push would fault",
		 ss->type, ss->s);
	return 1;
}

/* Reserved CR4 bits are a #GP on MOV to CR4, and VM entry checks the
 * guest CR4 against the fixed-bit MSRs. */
static int cr4_reserved(const struct state *st, char *m, size_t n)
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

/* NW=1 (not write-through) only makes sense with caching disabled
 * (CD=1); the combination CD=0, NW=1 is invalid (SDM 3A Table 11-5). */
static int cr0_nw_without_cd(const struct state *st, char *m, size_t n)
{
	if (!(st->s->cr0 & CR0_NW) || (st->s->cr0 & CR0_CD))
		return 0;
	snprintf(m, n,
		 "CR0.NW=1 with CR0.CD=0 is an invalid cache mode "
		 "(MOV to CR0 would #GP)");
	return 1;
}

/* CR0 is 64 bits wide in long mode, but bits 63:32 are reserved. */
static int cr0_reserved(const struct state *st, char *m, size_t n)
{
	if (!(st->s->cr0 >> 32))
		return 0;
	snprintf(m, n, "CR0 bits 63:32 are reserved but set (0x%llx)",
		 (unsigned long long)st->s->cr0);
	return 1;
}

/* RFLAGS bit 1 reads as 1 on every x86 since the 8086; several other
 * bits are reserved zeros (SDM Vol. 1 3.4.3, Figure 3-8). */
static int rflags_reserved(const struct state *st, char *m, size_t n)
{
	uint64_t f = st->r->rflags;

	if ((f & 2) && !(f & RFLAGS_MBZ))
		return 0;
	snprintf(m, n,
		 "RFLAGS 0x%llx: bit 1 must be 1 and bits 63:22, 15, "
		 "5, 3 must be 0 (use 0x2 for a clean start)",
		 (unsigned long long)f);
	return 1;
}

/* Virtual-8086 mode is a sub-mode of 32-bit protected mode only
 * (SDM 3A 20.2); with PE=0 or in long mode VM must be 0. */
static int rflags_vm(const struct state *st, char *m, size_t n)
{
	if (!(st->r->rflags & RFLAGS_VM) || (st->pe && !st->lma))
		return 0;
	snprintf(m, n, "RFLAGS.VM (virtual-8086) is set %s",
		 st->lma ? "in long mode, which has no virtual-8086 mode"
			 : "with CR0.PE=0; it only exists in protected mode");
	return 1;
}

/* G=1 counts the limit in 4 KiB units, so the byte limit KVM stores must
 * end in 0xfff; a byte limit above 1 MiB is only possible with G=1. */
static int seg_granularity_bad(const struct kvm_segment *sg)
{
	if (sg->unusable)
		return 0;
	if ((sg->limit & 0xfff) != 0xfff && sg->g)
		return 1;
	return (sg->limit >> 20) && !sg->g;
}

/* The CPU expands a 20-bit descriptor limit to a byte limit: G=1 shifts
 * it left by 12 and fills with 1s. A hand-written hidden part that no
 * descriptor could produce is refused by VM entry. */
static int granularity(const struct state *st, char *m, size_t n)
{
	const struct kvm_sregs *s = st->s;
	const struct kvm_segment *seg[] = {&s->cs, &s->ds, &s->es, &s->fs,
					   &s->gs, &s->ss, &s->tr};
	static const char *const name[] = {"CS", "DS", "ES", "FS",
					   "GS", "SS", "TR"};
	unsigned i;

	for (i = 0; i < sizeof(seg) / sizeof(seg[0]); i++) {
		if (!seg_granularity_bad(seg[i]))
			continue;
		snprintf(m, n,
			 "%s limit 0x%x does not fit G=%u: with G=1 the "
			 "low 12 bits must be 1s, above 1 MiB G must "
			 "be 1",
			 name[i], seg[i]->limit, seg[i]->g);
		return 1;
	}
	return 0;
}

/* CR3 holds a physical address; bits above MAXPHYADDR are reserved
 * and a MOV to CR3 setting them is a #GP. */
static int cr3_reserved(const struct state *st, char *m, size_t n)
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

/* LTR marks the TSS busy, so a loaded TR always has a busy type; VM entry
 * insists on it even though a guest that never switches tasks or takes
 * interrupts from ring 3 would not notice. */
static int tr_not_busy(const struct state *st, char *m, size_t n)
{
	const struct kvm_segment *tr = &st->s->tr;
	int ok = tr->type == 11 || (tr->type == 3 && !st->lma);

	if (!st->pe || (ok && !tr->s && tr->present && !tr->unusable))
		return 0;
	snprintf(m, n,
		 "TR has type %u (S=%u P=%u): in protected mode it "
		 "must hold a busy TSS (type 11%s)",
		 tr->type, tr->s, tr->present, st->lma ? "" : " or 3");
	return 1;
}

static const struct rule rules[] = {
	{"lme-without-pae", "Intel SDM Vol. 3A 9.8.5; " APM_VMRUN,
	 lme_without_pae},
	{"pg-without-pe", SDM_GUEST ".1; Intel SDM Vol. 3A 2.5", pg_without_pe},
	{"lma-clear", SDM_GUEST ".1 (IA32_EFER)", lma_clear},
	{"long-without-paging", "Intel SDM Vol. 3A 9.8.5; " APM_VMRUN,
	 long_without_paging},
	{"cs-l-and-d", SDM_GUEST ".2; Intel SDM Vol. 3A 3.4.5", cs_l_and_d},
	{"cs-l-outside-long", "Intel SDM Vol. 3A 3.4.5 (L flag)",
	 cs_l_outside_long},
	{"rip-noncanonical", SDM_GUEST ".4; " APM_VMRUN, noncanonical_rip},
	{"rip-beyond-limit", "Intel SDM Vol. 3A 5.3 (limit checking)",
	 rip_beyond_limit},
	{"cpl-mismatch", SDM_GUEST ".2 (DPL of SS)", cpl_mismatch},
	{"cs-unusable", SDM_GUEST ".2 (CS: P must be 1)", cs_unusable},
	{"cs-not-code", SDM_GUEST ".2 (CS type)", cs_not_code},
	{"ss-not-writable", SDM_GUEST ".2 (SS type 3 or 7)", ss_not_writable},
	{"cr4-reserved", "Intel SDM Vol. 3A 2.5 (CR4)", cr4_reserved},
	{"cr0-nw-without-cd", "Intel SDM Vol. 3A 2.5, Table 11-5; " APM_VMRUN,
	 cr0_nw_without_cd},
	{"cr0-reserved", SDM_GUEST ".1; " APM_VMRUN, cr0_reserved},
	{"rflags-reserved", SDM_GUEST ".4 (RFLAGS)", rflags_reserved},
	{"rflags-vm", SDM_GUEST ".4 (RFLAGS.VM)", rflags_vm},
	{"granularity-limit", SDM_GUEST ".2 (G bit)", granularity},
	{"cr3-reserved", SDM_GUEST ".1; " APM_VMRUN, cr3_reserved},
	{"tr-not-busy-tss", SDM_GUEST ".2 (TR)", tr_not_busy},
};

int mvm_check_state(const struct kvm_regs *regs, const struct kvm_sregs *sregs,
		    struct mvm_check_report *rep)
{
	struct state st = {.r = regs, .s = sregs};
	struct mvm_check_problem scratch;
	unsigned i;
	int n = 0;

	if (!regs || !sregs)
		return -EINVAL;
	st.pe = !!(sregs->cr0 & CR0_PE);
	st.pg = !!(sregs->cr0 & CR0_PG);
	st.pae = !!(sregs->cr4 & CR4_PAE);
	st.lme = !!(sregs->efer & EFER_LME);
	st.lma = !!(sregs->efer & EFER_LMA);
	st.code64 = st.lma && sregs->cs.l;
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		struct mvm_check_problem *p =
			rep && n < MVM_CHECK_MAX ? &rep->p[n] : &scratch;

		if (!rules[i].bad(&st, p->msg, sizeof(p->msg)))
			continue;
		p->rule = rules[i].id;
		p->ref = rules[i].ref;
		if (p != &scratch || !rep)
			n++;
	}
	if (rep)
		rep->n = n;
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
	paging = (sregs->cr0 & CR0_PG) ? "paging on" : "paging off";
	if (!(sregs->cr0 & CR0_PE))
		return snprintf(buf, len, "16-bit real mode");
	if ((sregs->efer & EFER_LMA) && sregs->cs.l)
		return snprintf(buf, len, "64-bit long mode, CPL %u, %s", cpl,
				paging);
	if (sregs->efer & EFER_LMA)
		return snprintf(buf, len,
				"compatibility mode (%s-bit code in long "
				"mode), CPL %u, %s",
				sregs->cs.db ? "32" : "16", cpl, paging);
	return snprintf(buf, len, "%s-bit protected mode, CPL %u, %s",
			sregs->cs.db ? "32" : "16", cpl, paging);
}
