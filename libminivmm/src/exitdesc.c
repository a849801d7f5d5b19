/*
 * exitdesc.c - exits in words: names, one-line descriptions and longer
 * explanations of the exits that stop a guest.
 *
 * Every tool (mvm run, the debugger, the trace, test failure messages)
 * prints exits through these functions, so a student sees the same text
 * everywhere. Names are KVM's own (KVM_EXIT_IO -> "IO"), matching
 * Documentation/virt/kvm/api.rst, "The kvm_run structure".
 */
#include <ctype.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* Indexed by KVM_EXIT_*; designated initialisers keep each name next to
 * the number it belongs to. */
static const char *const reason_names[] = {
	[KVM_EXIT_UNKNOWN] = "UNKNOWN",
	[KVM_EXIT_EXCEPTION] = "EXCEPTION",
	[KVM_EXIT_IO] = "IO",
	[KVM_EXIT_HYPERCALL] = "HYPERCALL",
	[KVM_EXIT_DEBUG] = "DEBUG",
	[KVM_EXIT_HLT] = "HLT",
	[KVM_EXIT_MMIO] = "MMIO",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
	[KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
	[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
	[KVM_EXIT_INTR] = "INTR",
	[KVM_EXIT_SET_TPR] = "SET_TPR",
	[KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
	[KVM_EXIT_S390_SIEIC] = "S390_SIEIC",
	[KVM_EXIT_S390_RESET] = "S390_RESET",
	[KVM_EXIT_DCR] = "DCR",
	[KVM_EXIT_NMI] = "NMI",
	[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
	[KVM_EXIT_OSI] = "OSI",
	[KVM_EXIT_PAPR_HCALL] = "PAPR_HCALL",
	[KVM_EXIT_S390_UCONTROL] = "S390_UCONTROL",
	[KVM_EXIT_WATCHDOG] = "WATCHDOG",
	[KVM_EXIT_S390_TSCH] = "S390_TSCH",
	[KVM_EXIT_EPR] = "EPR",
	[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
	[KVM_EXIT_S390_STSI] = "S390_STSI",
	[KVM_EXIT_IOAPIC_EOI] = "IOAPIC_EOI",
	[KVM_EXIT_HYPERV] = "HYPERV",
	[KVM_EXIT_ARM_NISV] = "ARM_NISV",
	[KVM_EXIT_X86_RDMSR] = "X86_RDMSR",
	[KVM_EXIT_X86_WRMSR] = "X86_WRMSR",
	[KVM_EXIT_DIRTY_RING_FULL] = "DIRTY_RING_FULL",
	[KVM_EXIT_AP_RESET_HOLD] = "AP_RESET_HOLD",
	[KVM_EXIT_X86_BUS_LOCK] = "X86_BUS_LOCK",
	[KVM_EXIT_XEN] = "XEN",
	[KVM_EXIT_RISCV_SBI] = "RISCV_SBI",
	[KVM_EXIT_RISCV_CSR] = "RISCV_CSR",
	[KVM_EXIT_NOTIFY] = "NOTIFY",
};
_Static_assert(sizeof(reason_names) / sizeof(reason_names[0]) ==
		       MVM_EXIT_REASONS,
	       "reason_names[] must name every KVM_EXIT_* up to NOTIFY");

const char *mvm_exit_reason_name(uint32_t reason)
{
	if (reason >= MVM_EXIT_REASONS || !reason_names[reason])
		return "?";
	return reason_names[reason];
}

int mvm_exit_reason_parse(const char *name)
{
	int i;

	if (!name)
		return -ENOENT;
	if (strncasecmp(name, "KVM_EXIT_", 9) == 0)
		name += 9;
	for (i = 0; i < MVM_EXIT_REASONS; i++)
		if (reason_names[i] && strcasecmp(name, reason_names[i]) == 0)
			return i;
	return -ENOENT;
}

/* --- one line per exit ------------------------------------------------- */

/* The data bytes of an IO or MMIO exit are in the order the guest put
 * them in memory; x86 is little-endian, so byte 0 is the low byte of the
 * value a `mov` or `out` moved (SDM Vol. 1 1.3.1). */
static uint64_t le_value(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = (v << 8) | p[n];
	return v;
}

/* KVM_EXIT_IO: `size` bytes per access, `count` accesses for rep ins/outs
 * (api.rst, "KVM_EXIT_IO"). A printable byte is shown as a character too,
 * since most one-byte OUTs in this course are text on the debug port. */
static int describe_io(const struct mvm_exit_io *io, char *buf, size_t len)
{
	unsigned size = io->size <= 4 ? io->size : 4;
	uint64_t v = le_value(io->data, size);
	char chr[8] = "";
	char cnt[24] = "";

	if (size == 1 && isprint(io->data[0]))
		snprintf(chr, sizeof(chr), " '%c'", io->data[0]);
	if (io->count > 1)
		snprintf(cnt, sizeof(cnt), " count %u", io->count);
	if (io->is_write)
		return snprintf(buf, len,
				"IO out port 0x%04x size %u%s data 0x%0*llx%s",
				io->port, io->size, cnt, (int)size * 2,
				(unsigned long long)v, chr);
	return snprintf(buf, len, "IO in port 0x%04x size %u%s -> 0x%0*llx%s",
			io->port, io->size, cnt, (int)size * 2,
			(unsigned long long)v, chr);
}

/* KVM_EXIT_MMIO: a load or store to a guest-physical address that no
 * memory slot backs. For a load, the data shown is what the device model
 * answered (unclaimed loads read as all ones, like an empty PC bus). */
static int describe_mmio(const struct mvm_exit_mmio *m, char *buf, size_t len)
{
	unsigned n = m->len <= 8 ? m->len : 8;
	unsigned long long v = le_value(m->data, n);

	if (m->is_write)
		return snprintf(
			buf, len, "MMIO write 0x%llx len %u data 0x%0*llx",
			(unsigned long long)m->addr, m->len, (int)n * 2, v);
	return snprintf(buf, len, "MMIO read 0x%llx len %u -> 0x%0*llx",
			(unsigned long long)m->addr, m->len, (int)n * 2, v);
}

/* DR6 bits B0-B3 (bits 3:0) and BS (bit 14): Intel SDM Vol. 3B 18.2.3. */
static int describe_debug(const struct mvm_exit_debug *d, char *buf, size_t len)
{
	const char *what = "";
	char bp[24] = "";
	int i;

	for (i = 0; i < 4; i++)
		if (d->dr6 & (1ULL << i)) {
			snprintf(bp, sizeof(bp), " (breakpoint DR%d)", i);
			what = bp;
			break;
		}
	if (d->dr6 & (1ULL << 14))
		what = " (single-step)";
	if (d->exception == 3)
		return snprintf(buf, len, "DEBUG #BP at 0x%llx (int3)",
				(unsigned long long)d->pc);
	return snprintf(buf, len, "DEBUG #DB at 0x%llx dr6=0x%llx%s",
			(unsigned long long)d->pc, (unsigned long long)d->dr6,
			what);
}

/* KVM_EXIT_SYSTEM_EVENT: the guest asked to power off or reset through a
 * platform interface KVM implements itself (e.g. PSCI on Arm). */
static const char *system_event_name(uint32_t type)
{
	switch (type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		return "shutdown";
	case KVM_SYSTEM_EVENT_RESET:
		return "reset";
	case KVM_SYSTEM_EVENT_CRASH:
		return "crash";
	default:
		return "other";
	}
}

/* KVM_EXIT_INTERNAL_ERROR: KVM itself could not go on; the suberror says
 * which part gave up (api.rst, "KVM_EXIT_INTERNAL_ERROR"). */
static const char *internal_name(uint32_t suberror)
{
	switch (suberror) {
	case KVM_INTERNAL_ERROR_EMULATION:
		return "emulation failure";
	case KVM_INTERNAL_ERROR_SIMUL_EX:
		return "exception while delivering an exception";
	case KVM_INTERNAL_ERROR_DELIVERY_EV:
		return "exit while delivering an event";
	case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON:
		return "unexpected hardware exit reason";
	default:
		return "unknown suberror";
	}
}

/* One line per exit: the same text in the CLI, the debugger's exit pane
 * and test failure messages. Returns the snprintf-style length. */
int mvm_exit_describe(const struct mvm_exit *e, char *buf, size_t len)
{
	if (!e || !buf || len == 0)
		return -EINVAL;
	switch (e->reason) {
	case KVM_EXIT_IO:
		return describe_io(&e->u.io, buf, len);
	case KVM_EXIT_MMIO:
		return describe_mmio(&e->u.mmio, buf, len);
	case KVM_EXIT_DEBUG:
		return describe_debug(&e->u.debug, buf, len);
	case KVM_EXIT_SHUTDOWN:
		return snprintf(buf, len,
				"SHUTDOWN: triple fault - the CPU hit an "
				"exception while delivering a double fault");
	case KVM_EXIT_FAIL_ENTRY:
		return snprintf(buf, len,
				"FAIL_ENTRY: the CPU refused the guest state "
				"(hardware reason 0x%llx)",
				(unsigned long long)e->u.fail_entry.hw_reason);
	case KVM_EXIT_INTERNAL_ERROR:
		return snprintf(buf, len, "INTERNAL_ERROR: %s (suberror %u)",
				internal_name(e->u.internal.suberror),
				e->u.internal.suberror);
	case KVM_EXIT_X86_RDMSR:
		return snprintf(buf, len, "RDMSR 0x%x -> 0x%llx%s",
				e->u.msr.index,
				(unsigned long long)e->u.msr.data,
				e->u.msr.error ? " (#GP)" : "");
	case KVM_EXIT_X86_WRMSR:
		return snprintf(buf, len, "WRMSR 0x%x data 0x%llx%s",
				e->u.msr.index,
				(unsigned long long)e->u.msr.data,
				e->u.msr.error ? " (#GP)" : "");
	case KVM_EXIT_SYSTEM_EVENT:
		return snprintf(buf, len, "SYSTEM_EVENT %s (type %u)",
				system_event_name(e->u.system_event),
				e->u.system_event);
	case KVM_EXIT_INTR:
		return snprintf(buf, len,
				"INTR: KVM_RUN interrupted by a signal "
				"(timeout or kick)");
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		return snprintf(buf, len,
				"IRQ_WINDOW_OPEN: the guest can take an "
				"interrupt now");
	default:
		return snprintf(buf, len, "%s",
				mvm_exit_reason_name(e->reason));
	}
}

/* --- longer explanations ------------------------------------------------ */

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
static void explain_shutdown(const struct mvm_exit *e, struct text *t)
{
	add(t, "SHUTDOWN at RIP 0x%llx: the guest triple-faulted.\n",
	    (unsigned long long)e->rip);
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
	uint32_t i;

	add(t, "INTERNAL_ERROR: %s (suberror %u).\n",
	    internal_name(in->suberror), in->suberror);
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
		explain_shutdown(e, &t);
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
