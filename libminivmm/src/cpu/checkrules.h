/*
 * checkrules.h - what the entry-state checker's rules share (check.c runs
 * them; the rules live in check.c for control registers and RFLAGS and in
 * checkseg.c for segments and RIP).
 *
 * A rule is a small function that looks at one fact of the register state
 * and, when it is broken, writes a sentence saying why. Each table entry
 * carries the rule's id (for tests and grep) and the manual section.
 */
#ifndef MINIVMM_CHECKRULES_H
#define MINIVMM_CHECKRULES_H

#include <stddef.h>

#include "internal.h"

#define SDM_GUEST "Intel SDM Vol. 3C 27.3.1"
#define APM_VMRUN "AMD APM Vol. 2 15.5.1"

/* The state plus the facts most rules need (computed once in check.c). */
struct check_state {
	const struct kvm_regs *r;
	const struct kvm_sregs *s;
	int pe, pg, lme, lma, pae, code64;
};

typedef int check_rule_fn(const struct check_state *st, char *msg, size_t len);

struct check_rule {
	const char *id;	    /* "lme-without-pae" */
	const char *ref;    /* manual section the rule comes from */
	check_rule_fn *bad; /* non-zero = broken; writes the message */
};

/* Segment and RIP rules (checkseg.c). */
extern const struct check_rule mvm_check_seg_rules[];
extern const size_t mvm_check_seg_nrules;

#endif
