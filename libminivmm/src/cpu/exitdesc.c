/*
 * exitdesc.c - exits in words: names, one-line descriptions and longer
 * explanations of the exits that stop a guest.
 *
 * Every tool (mvm run, the debugger, the trace, test failure messages)
 * prints exits through these functions, so a student sees the same text
 * everywhere. Names are KVM's own (KVM_EXIT_IO -> "IO"), matching
 * Documentation/virt/kvm/api.rst, "The kvm_run structure". The longer
 * explanations of SHUTDOWN, FAIL_ENTRY and INTERNAL_ERROR live in
 * exitexplain.c.
 */
#include <ctype.h>
#include <errno.h>
#include <linux/kvm.h>
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

/*
 * What an exit means, in one plain sentence for a student: what the
 * guest did, that the CPU left guest mode, that KVM_RUN returned to the
 * VMM and what the VMM does before the next KVM_RUN resumes the guest
 * (api.rst, "The kvm_run structure", for each reason). Never NULL.
 */
const char *mvm_exit_meaning(const struct mvm_exit *e)
{
	if (!e)
		return "no exit";
	switch (e->reason) {
	case KVM_EXIT_IO:
		return e->u.io.is_write
			       ? "the guest executed OUT; the CPU left guest "
				 "mode; KVM returned from KVM_RUN to the VMM, "
				 "which emulated the port write; KVM_RUN "
				 "resumes the guest"
			       : "the guest executed IN; the CPU left guest "
				 "mode; KVM returned from KVM_RUN to the VMM, "
				 "which put the port's value in kvm_run; the "
				 "next KVM_RUN gives it to the guest";
	case KVM_EXIT_MMIO:
		return e->u.mmio.is_write
			       ? "the guest stored to an address no memory "
				 "slot backs; KVM returned from KVM_RUN to the "
				 "VMM, which emulated the device write; "
				 "KVM_RUN "
				 "resumes the guest"
			       : "the guest loaded from an address no memory "
				 "slot backs; KVM returned from KVM_RUN to the "
				 "VMM, which put the value in kvm_run; the "
				 "next "
				 "KVM_RUN completes the load";
	case KVM_EXIT_HLT:
		return "the guest executed HLT with no interrupt to wait for "
		       "in the kernel; KVM returned to the VMM, which decides "
		       "whether the guest is done";
	case KVM_EXIT_DEBUG:
		return "a debug exception the debugger asked KVM for "
		       "(KVM_SET_GUEST_DEBUG: single step or hardware "
		       "breakpoint); the guest did nothing special";
	case KVM_EXIT_X86_RDMSR:
	case KVM_EXIT_X86_WRMSR:
		return "the guest executed RDMSR/WRMSR of an MSR KVM sends to "
		       "user space (MSR filter); the VMM answers it, or makes "
		       "it #GP";
	case KVM_EXIT_SHUTDOWN:
		return "the guest triple-faulted: the CPU shut down and cannot "
		       "run on (`explain` says why)";
	case KVM_EXIT_INTERNAL_ERROR:
		return "KVM itself could not go on (often its instruction "
		       "emulator); the guest cannot run on";
	case KVM_EXIT_FAIL_ENTRY:
		return "the hardware refused to enter the guest: the register "
		       "state breaks its rules";
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		return "the guest can take an interrupt now (the VMM asked "
		       "with request_interrupt_window); the VMM injects it";
	case KVM_EXIT_INTR:
		return "a signal interrupted KVM_RUN (a timeout or a kick); "
		       "the guest did nothing";
	case KVM_EXIT_SYSTEM_EVENT:
		return "the guest asked for a reset, a shutdown or a crash "
		       "report; the VMM acts on it";
	default:
		return "KVM_RUN returned to the VMM with this reason "
		       "(Documentation/virt/kvm/api.rst)";
	}
}
