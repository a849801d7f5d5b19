/*
 * exitexplain.c - several lines of explanation for the exits that stop a
 * guest: SHUTDOWN (a triple fault), FAIL_ENTRY (the hardware refused the
 * guest state) and INTERNAL_ERROR (KVM itself gave up).
 *
 * These are the exits a student meets when a guest is broken rather than
 * merely busy, and the raw numbers (a VMX exit reason, an emulation
 * suberror, instruction bytes) mean little without the manual open. So
 * mvm_exit_explain() decodes them and names the usual causes, citing the
 * Intel SDM, the AMD APM and Documentation/virt/kvm/api.rst. The one-line
 * form of every exit is mvm_exit_describe() in exitdesc.c.
 *
 * Given the vCPU's registers and the memory map as well
 * (mvm_exit_explain_state()), it also looks: it walks RIP and the stack
 * through the guest's page tables and says which cause applies - an
 * unmapped page, RIP outside RAM, an empty IDT - before the list.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* An append-only text buffer; keeps the snprintf-style total length. */
struct text {
	char *buf;
	size_t len;
	int total;
};

static void add(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add(struct text *t, const char *fmt, ...)
{
	size_t off = (size_t)t->total < t->len ? (size_t)t->total : t->len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(t->buf + off, t->len - off, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->total += n;
}

/* Intel SDM Vol. 3A 6.15 (Interrupt 8, double fault) and the "Exception
 * classes" table: a fault while delivering #DF is a triple fault, which
 * puts the CPU into shutdown; KVM reports that as KVM_EXIT_SHUTDOWN. */
static void shutdown_head(const struct mvm_exit *e, struct text *t)
{
	add(t, "SHUTDOWN at RIP 0x%llx: the guest triple-faulted.\n",
	    (unsigned long long)e->rip);
}

static void explain_shutdown(struct text *t)
{
	add(t, "An exception the CPU cannot deliver becomes a double fault "
	       "(#DF); one it cannot deliver\nwhile delivering #DF shuts "
	       "the CPU down (Intel SDM Vol. 3A 6.15; AMD APM Vol. 2 8.2.9).\n"
	       "Common causes:\n"
	       "  - no IDT (or a non-present IDT entry): the first fault "
	       "(ud2, #GP, #PF) has no handler\n"
	       "  - a fault inside the #DF handler itself\n"
	       "  - a bad stack: RSP points at unmapped memory, so pushing "
	       "the exception frame faults\n"
	       "  - a non-canonical or unmapped RIP (a wrong jump or a "
	       "corrupt return address)\n"
	       "  - inconsistent segment state (SS.DPL != CS.DPL, a CS "
	       "that is not code, a bad GDT)\n");
	add(t, "Next: `mvm run --trace` shows the exits before it; the "
	       "debugger's `stepi` finds the last\ninstruction that ran; "
	       "mvm_check_state() checks the register state.\n");
}

/* VMX basic exit reasons for failed entries: Intel SDM Vol. 3C Appendix C
 * (bit 31 of the exit reason = "VM-entry failure", 27.8). */
static const char *vmx_entry_reason(unsigned basic)
{
	switch (basic) {
	case 33:
		return "invalid guest state (Intel SDM Vol. 3C 27.3.1 "
		       "'Checks on the Guest State Area')";
	case 34:
		return "MSR loading failed (the VM-entry MSR-load area, "
		       "Intel SDM Vol. 3C 27.4)";
	case 41:
		return "machine-check event during VM entry";
	default:
		return "unexpected basic reason";
	}
}

static void explain_fail_entry(const struct mvm_exit *e, struct text *t)
{
	uint64_t hw = e->u.fail_entry.hw_reason;

	add(t,
	    "FAIL_ENTRY on host CPU %u: the hardware refused to enter the "
	    "guest (hardware reason 0x%llx).\n",
	    e->u.fail_entry.cpu, (unsigned long long)hw);
	if ((uint32_t)hw == 0xffffffffu) {
		add(t, "AMD SVM: VMEXIT_INVALID (-1): VMRUN found the VMCB "
		       "guest state inconsistent\n(AMD APM Vol. 2 15.5.1 "
		       "lists the checks: EFER, CR0.CD/NW, CR3/CR4 reserved "
		       "bits, LME+PG without PAE/PE, CS.L+CS.D).\n");
	} else if (hw & (1ULL << 31)) {
		add(t,
		    "Intel VMX: VM-entry failure, basic exit reason %u: "
		    "%s (Intel SDM Vol. 3C Appendix C).\n",
		    (unsigned)(hw & 0xffff), vmx_entry_reason(hw & 0xffff));
	} else {
		add(t,
		    "Intel VMX: VMLAUNCH/VMRESUME failed with "
		    "VM-instruction error %llu (7 = invalid control "
		    "fields,\n8 = invalid host state; Intel SDM Vol. 3C "
		    "'VM Instruction Error Numbers').\n",
		    (unsigned long long)hw);
	}
	add(t, "Run mvm_check_state() on the registers: it applies the same "
	       "rules and names the one broken.\n");
}

/* Instruction bytes of an emulation failure, when KVM supplied them: the
 * kvm_run "emulation_failure" overlay (api.rst) puts flags in data[0] and
 * insn_size + up to 15 bytes in the next two words. Returns the count. */
static unsigned insn_bytes(const struct mvm_exit_internal *in, uint8_t *out)
{
	const uint8_t *raw = (const uint8_t *)&in->data[1];
	unsigned n;

	if (in->ndata < 3 ||
	    !(in->data[0] &
	      KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES))
		return 0;
	n = raw[0] <= 15 ? raw[0] : 15;
	memcpy(out, raw + 1, n);
	return n;
}

/* A best guess at why a simple emulator gave up, from the opcode bytes
 * (Intel SDM Vol. 2, Appendix A opcode map). */
static const char *likely_culprit(const uint8_t *b, unsigned n)
{
	unsigned i = 0;

	while (i < n && (b[i] == 0x66 || b[i] == 0xf2 || b[i] == 0xf3 ||
			 (b[i] & 0xf0) == 0x40))
		i++; /* operand-size / SSE / REX prefixes */
	if (i >= n)
		return NULL;
	if (b[i] == 0xcc || b[i] == 0xcd)
		return "int3 / int n: not emulated here; skip it and inject "
		       "the exception (mvm_vcpu_inject_exception)";
	if (b[i] >= 0xd8 && b[i] <= 0xdf)
		return "an x87 floating-point instruction";
	if (b[i] == 0x9b)
		return "fwait (x87)";
	if (b[i] == 0xc4 || b[i] == 0xc5 || b[i] == 0x62)
		return "an AVX instruction (VEX/EVEX prefix)";
	if (b[i] == 0x0f && i + 1 < n && b[i + 1] == 0xae)
		return "fxsave/xsave/ldmxcsr family (0f ae)";
	if (b[i] == 0x0f && i + 1 < n &&
	    ((b[i + 1] >= 0x10 && b[i + 1] <= 0x17) ||
	     (b[i + 1] >= 0x28 && b[i + 1] <= 0x2f) ||
	     (b[i + 1] >= 0x50 && b[i + 1] <= 0x7f)))
		return "an SSE instruction";
	return NULL;
}

static void explain_emulation(const struct mvm_exit *e, struct text *t)
{
	uint8_t b[15];
	unsigned n = insn_bytes(&e->u.internal, b), i;
	const char *why = likely_culprit(b, n);

	add(t,
	    "KVM's instruction emulator could not run the instruction at "
	    "RIP 0x%llx.\n",
	    (unsigned long long)e->rip);
	if (n) {
		add(t, "Instruction bytes:");
		for (i = 0; i < n; i++)
			add(t, " %02x", b[i]);
		add(t, "\n");
	}
	if (why)
		add(t, "Likely culprit: %s.\n", why);
	add(t, "On backends that emulate ring-0 guest code in software "
	       "(nested KVM), SSE, x87, xsave and\nint3 are not emulated: "
	       "compile guest C with -mgeneral-regs-only -mno-red-zone "
	       "-fno-builtin.\n");
}

/* Suberrors other than emulation failures carry KVM- and vendor-specific
 * data words; we name what is documented and dump the rest in hex. */
static void explain_internal(const struct mvm_exit *e, struct text *t)
{
	const struct mvm_exit_internal *in = &e->u.internal;
	char line[96];
	uint32_t i;

	/* "INTERNAL_ERROR: emulation failure (suberror 1)" */
	mvm_exit_describe(e, line, sizeof(line));
	add(t, "%s.\n", line);
	switch (in->suberror) {
	case KVM_INTERNAL_ERROR_EMULATION:
		explain_emulation(e, t);
		break;
	case KVM_INTERNAL_ERROR_SIMUL_EX:
		add(t, "An exception occurred while KVM was delivering "
		       "another one; like a triple fault,\nthis usually "
		       "means a bad IDT, GDT or stack.\n");
		break;
	case KVM_INTERNAL_ERROR_DELIVERY_EV:
		add(t, "A VM exit happened while the CPU was delivering an "
		       "interrupt or exception, e.g. the\nIDT or the stack "
		       "lies in MMIO or unmapped memory. data[0] is the "
		       "IDT-vectoring\ninformation (Intel SDM Vol. 3C, "
		       "'Information "
		       "for VM Exits During Event\nDelivery'; bits 7:0 = "
		       "vector).\n");
		break;
	case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON:
		add(t, "The hardware reported an exit KVM does not handle "
		       "(data[0] = hardware exit reason);\nusually a host "
		       "or KVM limitation rather than a guest bug.\n");
		break;
	default:
		break;
	}
	for (i = 0; i < in->ndata && i < 16; i++)
		add(t, "  data[%u] = 0x%016llx\n", i,
		    (unsigned long long)in->data[i]);
}

/* Where one linear address lands. */
enum where {
	IN_RAM,	  /* translates to guest RAM */
	UNMAPPED, /* the page walk fails: `why` says where */
	NOT_RAM,  /* translates, but no memory slot backs the result */
};

static enum where locate(const struct mvm_memmap *mem,
			 const struct kvm_sregs *sr, uint64_t linear,
			 uint64_t *gpa, char *why, size_t n)
{
	struct mvm_pt_walk w;

	*gpa = linear; /* CR0.PG = 0: no translation (SDM Vol. 3A 4.1) */
	if (sr->cr0 & MVM_CR0_PG) {
		if (mvm_pt_walk(mem, sr->cr0, sr->cr3, sr->cr4, sr->efer,
				linear, &w)) {
			snprintf(why, n, "%s", w.why);
			return UNMAPPED;
		}
		*gpa = w.gpa;
	}
	if (mvm_memmap_find(mem, *gpa))
		return IN_RAM;
	snprintf(why, n, "guest-physical 0x%llx has no memory slot",
		 (unsigned long long)*gpa);
	return NOT_RAM;
}

/* Linear address of CS:RIP. In 64-bit mode the CS base is ignored
 * (SDM Vol. 3A 3.4.4); elsewhere it is added, in 32 bits. */
static uint64_t linear_pc(const struct kvm_regs *r, const struct kvm_sregs *sr)
{
	if ((sr->efer & MVM_EFER_LMA) && sr->cs.l)
		return r->rip;
	return (uint32_t)(sr->cs.base + r->rip);
}

/* Say what is wrong with RIP's page, if anything. 1 if something is. */
static int look_at_rip(const struct kvm_regs *r, const struct kvm_sregs *sr,
		       const struct mvm_memmap *mem, struct text *t)
{
	uint64_t pc = linear_pc(r, sr), gpa;
	char why[128];

	switch (locate(mem, sr, pc, &gpa, why, sizeof(why))) {
	case UNMAPPED:
		add(t,
		    "  - RIP 0x%llx is on an unmapped page: %s.\n    "
		    "Fetching the instruction page-faults (#PF, SDM Vol. "
		    "3A 4.7).\n",
		    (unsigned long long)pc, why);
		return 1;
	case NOT_RAM:
		add(t,
		    "  - RIP is not in RAM: 0x%llx is guest-physical "
		    "0x%llx,\n    which no memory slot backs (MMIO or "
		    "nothing): there is no code to run there.\n    A wrong "
		    "jump or a corrupt return address?\n",
		    (unsigned long long)pc, (unsigned long long)gpa);
		return 1;
	default:
		return 0;
	}
}

/* The stack and the IDT: what delivering an exception needs (SDM Vol.
 * 3A 6.12.1: the CPU reads the IDT entry, then pushes the frame). */
static int look_at_delivery(const struct kvm_regs *r,
			    const struct kvm_sregs *sr,
			    const struct mvm_memmap *mem, struct text *t)
{
	uint64_t sp = sr->ss.base + r->rsp - 8, gpa;
	char why[128];
	int found = 0;

	if (!(sr->efer & MVM_EFER_LMA))
		sp = (uint32_t)sp;
	if (locate(mem, sr, sp, &gpa, why, sizeof(why)) != IN_RAM) {
		add(t,
		    "  - the stack below RSP 0x%llx is not in RAM (%s):\n"
		    "    pushing an exception frame faults.\n",
		    (unsigned long long)r->rsp, why);
		found = 1;
	}
	if ((sr->cr0 & MVM_CR0_PE) && sr->idt.limit == 0) {
		add(t, "  - the IDT is empty (IDTR limit 0): no exception "
		       "has a handler.\n");
		found = 1;
	}
	return found;
}

int mvm_exit_explain_state(const struct mvm_exit *e,
			   const struct kvm_regs *regs,
			   const struct kvm_sregs *sregs,
			   const struct mvm_memmap *mem, char *buf, size_t len)
{
	struct text t = {.buf = buf, .len = len};
	int found;

	if (!e || !buf || len == 0 || !regs || !sregs || !mem ||
	    e->reason != KVM_EXIT_SHUTDOWN)
		t.total = mvm_exit_explain(e, buf, len);
	if (t.total < 0 || !regs || !sregs || !mem)
		return t.total;
	if (e->reason == KVM_EXIT_SHUTDOWN) {
		/* What the state shows first, then the general list. */
		buf[0] = '\0';
		shutdown_head(e, &t);
		add(&t, "What this guest's state shows:\n");
		found = look_at_rip(regs, sregs, mem, &t);
		found |= look_at_delivery(regs, sregs, mem, &t);
		if (!found)
			add(&t, "  - RIP and the stack are in mapped RAM and "
				"the IDT is set: look at the IDT's entries\n"
				"    and the segment state (`check`).\n");
		explain_shutdown(&t);
	} else if (e->reason == KVM_EXIT_INTERNAL_ERROR) {
		/* Executing from MMIO ends in an emulation failure: then
		 * the guest's code is not the problem, where it jumped is. */
		add(&t, "Where RIP stands:\n");
		if (look_at_rip(regs, sregs, mem, &t))
			add(&t, "    (So the advice above about SSE and x87 "
				"does not apply.)\n");
		else
			add(&t, "  - RIP is in RAM.\n");
	}
	return t.total;
}

/* Exits that stop a guest get several lines; every other exit gets its
 * one-line description, so callers can always print the explanation. */
int mvm_exit_explain(const struct mvm_exit *e, char *buf, size_t len)
{
	struct text t = {.buf = buf, .len = len};

	if (!e || !buf || len == 0)
		return -EINVAL;
	buf[0] = '\0';
	switch (e->reason) {
	case KVM_EXIT_SHUTDOWN:
		shutdown_head(e, &t);
		explain_shutdown(&t);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		explain_fail_entry(e, &t);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		explain_internal(e, &t);
		break;
	default:
		return mvm_exit_describe(e, buf, len);
	}
	return t.total;
}
