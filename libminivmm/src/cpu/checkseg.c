/*
 * checkseg.c - the entry-state checker's rules for segments and RIP.
 *
 * In protected and long mode the CPU runs with the hidden part of each
 * segment register (base, limit, type, DPL, the L and D bits) that it
 * loaded from a descriptor; KVM hands that part to us directly in struct
 * kvm_segment, so a VMM can write states no descriptor could produce.
 * VM entry checks them (Intel SDM Vol. 3C 27.3.1.2 "Checks on Guest
 * Segment Registers"; AMD APM Vol. 2 15.5.1), and so do these rules.
 * Fields follow struct kvm_segment: `type` is the 4-bit descriptor type,
 * limits are in bytes (already scaled by G) and "unusable" marks a null
 * selector. The rule table is run by mvm_check_state() in check.c.
 */
#include <stdio.h>

#include "checkrules.h"

/* L=1 selects 64-bit code; L=1 with D=1 is reserved for future use
 * (SDM 3A 3.4.5) and VM entry refuses it for CS. */
static int cs_l_and_d(const struct check_state *st, char *m, size_t n)
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
static int cs_l_outside_long(const struct check_state *st, char *m, size_t n)
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
static int noncanonical_rip(const struct check_state *st, char *m, size_t n)
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
static int rip_beyond_limit(const struct check_state *st, char *m, size_t n)
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
static int cpl_mismatch(const struct check_state *st, char *m, size_t n)
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
static int cs_unusable(const struct check_state *st, char *m, size_t n)
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
static int cs_not_code(const struct check_state *st, char *m, size_t n)
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
static int ss_not_writable(const struct check_state *st, char *m, size_t n)
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
static int granularity(const struct check_state *st, char *m, size_t n)
{
	const struct kvm_sregs *s = st->s;
	const struct kvm_segment *seg[] = {&s->cs, &s->ds, &s->es, &s->fs,
					   &s->gs, &s->ss, &s->tr};
	static const char *const name[] = {"CS", "DS", "ES", "FS",
					   "GS", "SS", "TR"};
	unsigned i;

	_Static_assert(sizeof(name) / sizeof(name[0]) ==
			       sizeof(seg) / sizeof(seg[0]),
		       "one name per segment register checked");
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

/* LTR marks the TSS busy, so a loaded TR always has a busy type; VM entry
 * insists on it even though a guest that never switches tasks or takes
 * interrupts from ring 3 would not notice. */
static int tr_not_busy(const struct check_state *st, char *m, size_t n)
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

const struct check_rule mvm_check_seg_rules[] = {
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
	{"granularity-limit", SDM_GUEST ".2 (G bit)", granularity},
	{"tr-not-busy-tss", SDM_GUEST ".2 (TR)", tr_not_busy},
};
const size_t mvm_check_seg_nrules =
	sizeof(mvm_check_seg_rules) / sizeof(mvm_check_seg_rules[0]);
