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

static int lme_without_pae(const struct state *st, char *m, size_t n)
{
	if (!(st->lma || (st->lme && st->pg)) || st->pae)
		return 0;
	snprintf(m, n,
		 "EFER.LME is set with paging on but CR4.PAE is clear: "
		 "long mode needs PAE-format page tables");
	return 1;
}

static int pg_without_pe(const struct state *st, char *m, size_t n)
{
	if (!st->pg || st->pe)
		return 0;
	snprintf(m, n,
		 "CR0.PG is set but CR0.PE is clear: paging only "
		 "exists in protected mode");
	return 1;
}

static int lma_clear(const struct state *st, char *m, size_t n)
{
	if (!(st->lme && st->pg) || st->lma)
		return 0;
	snprintf(m, n,
		 "EFER.LME and CR0.PG are set but EFER.LMA is clear: "
		 "the CPU would be in long mode, so LMA must be 1");
	return 1;
}

static int long_without_paging(const struct state *st, char *m, size_t n)
{
	if (!st->lma || st->pg)
		return 0;
	snprintf(m, n,
		 "EFER.LMA is set but CR0.PG is clear: long mode is "
		 "only active with paging on");
	return 1;
}

static int cs_l_and_d(const struct state *st, char *m, size_t n)
{
	if (!st->lma || !st->s->cs.l || !st->s->cs.db)
		return 0;
	snprintf(m, n,
		 "CS has both L=1 and D=1 in long mode; a 64-bit code "
		 "segment must have D=0");
	return 1;
}

static int cs_l_outside_long(const struct state *st, char *m, size_t n)
{
	if (st->lma || !st->pe || !st->s->cs.l)
		return 0;
	snprintf(m, n,
		 "CS.L=1 but the CPU is not in long mode (EFER.LMA=0): "
		 "a 64-bit code segment only works in long mode");
	return 1;
}

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

static int cs_unusable(const struct state *st, char *m, size_t n)
{
	if (!st->pe || (st->s->cs.present && !st->s->cs.unusable))
		return 0;
	snprintf(m, n,
		 "CS is not present (P=0) or marked unusable: code "
		 "cannot run from a missing segment");
	return 1;
}

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

static int cr0_nw_without_cd(const struct state *st, char *m, size_t n)
{
	if (!(st->s->cr0 & CR0_NW) || (st->s->cr0 & CR0_CD))
		return 0;
	snprintf(m, n,
		 "CR0.NW=1 with CR0.CD=0 is an invalid cache mode "
		 "(MOV to CR0 would #GP)");
	return 1;
}

static int cr0_reserved(const struct state *st, char *m, size_t n)
{
	if (!(st->s->cr0 >> 32))
		return 0;
	snprintf(m, n, "CR0 bits 63:32 are reserved but set (0x%llx)",
		 (unsigned long long)st->s->cr0);
	return 1;
}

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
