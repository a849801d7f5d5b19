/*
 * stepframe.c - a single step that delivered an interrupt.
 *
 * KVM single-steps a guest by setting RFLAGS.TF behind its back (and
 * hiding it from KVM_GET_REGS). When the stepped "instruction" is the
 * delivery of an interrupt or exception, the CPU pushes RFLAGS into the
 * handler's frame with TF set (Intel SDM Vol. 3A 6.12.1, 6.14.2), and
 * clears TF only in the live copy. The handler's IRET pops it back: the
 * guest then takes a #DB it never asked for, after the debugger has
 * stopped stepping, and its #DB handler reports an unexpected
 * exception. So after every step we look for such a frame and give the
 * pushed RFLAGS the TF the guest itself had.
 */
#include <stdint.h>
#include <string.h>

#include "session.h"

#define RFLAGS_TF (1ull << 8)
#define EFER_LMA  (1ull << 10)
#define CR0_PE	  1ull

static uint64_t word(const uint8_t *p, unsigned w)
{
	uint64_t v = 0;

	memcpy(&v, p, w); /* x86 is little-endian */
	return v;
}

/* was: the registers and CS before the step; s->cur: after it. */
void dbg_untrap_frame(struct dbg_session *s, const struct kvm_regs *was,
		      uint16_t was_cs)
{
	const struct kvm_sregs *sr = &s->cur.sregs;
	/* frame word: 8 in IA-32e mode, 4 for 32-bit gates, 2 real mode */
	unsigned w = (sr->efer & EFER_LMA) ? 8 : (sr->cr0 & CR0_PE) ? 4 : 2;
	uint64_t sp = s->cur.regs.rsp, gpa;
	uint8_t f[4 * 8];
	char err[160];

	uint64_t drop = was->rsp - sp;

	if (!s->vm || (was->rflags & RFLAGS_TF))
		return; /* the guest's own TF: leave its frame alone */
	/* Cheap filter first, as it runs after every step: a delivery
	 * pushes at least IP, CS and FLAGS on the same stack, or changes
	 * CS (a new stack from the TSS); most instructions do neither. */
	if (sr->cs.selector == was_cs && (drop < 3 * w || drop > 4096))
		return;
	if (w == 2)
		sp = sr->ss.base + (sp & 0xffff);
	else if (w == 4)
		sp = sr->ss.base + (sr->ss.db ? (uint32_t)sp : (sp & 0xffff));
	if (dbg_read_virt(s, sp, f, 4 * w, err, sizeof(err)))
		return;
	/* [IP, CS, FLAGS, ...], or with an error code first (not in real
	 * mode); IP is where the guest stood when it was interrupted. */
	for (unsigned k = 0; k < (w == 2 ? 1u : 2u); k++) {
		uint64_t ip = word(f + k * w, w), cs = word(f + (k + 1) * w, w);
		uint64_t fl = word(f + (k + 2) * w, w);
		uint64_t mask = w == 8 ? ~0ull : (1ull << (8 * w)) - 1;

		if (ip != (was->rip & mask) || (cs & 0xffff) != was_cs ||
		    !(fl & RFLAGS_TF))
			continue;
		fl &= ~RFLAGS_TF;
		if (dbg_translate(s, sp + (k + 2) * w, &gpa, err,
				  sizeof(err)) == 0)
			mvm_vm_write(s->vm, gpa, &fl, w);
		return;
	}
}
