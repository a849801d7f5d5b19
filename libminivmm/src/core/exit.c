/*
 * exit.c - decoding one VM exit and handing it to whoever handles it.
 *
 * After KVM_RUN returns, kvm_run->exit_reason says why the guest stopped
 * and a union in the same page holds the details (Documentation/virt/
 * kvm/api.rst 5, "The kvm_run structure"). mvm_exit_decode() copies the
 * details into struct mvm_exit; mvm_exit_dispatch() acts on them:
 *
 *   KVM_EXIT_IO            port I/O -> the pio bus (each of `count`
 *                          accesses of a rep ins/outs)
 *   KVM_EXIT_MMIO          access to a GPA no slot covers -> the mmio bus
 *   KVM_EXIT_X86_RDMSR/WRMSR  -> the VM's MSR handler (none: #GP)
 *   KVM_EXIT_INTERNAL_ERROR   int3/int n fix-up (quirks.h), else stop
 *   HLT, SHUTDOWN, FAIL_ENTRY, DEBUG, SYSTEM_EVENT, unknown -> stop
 *
 * Data for an IN or an MMIO read is written back into kvm_run; KVM
 * completes the guest's instruction with it on the next KVM_RUN.
 *
 * The guest controls everything here (which port, how many bytes, which
 * address), so sizes are checked before any copy (STYLE.md 5).
 *
 * Lab 1 edits this file (tasks 1 and 2): the LAB(1) regions in
 * decode_io(), in the KVM_EXIT_MMIO case of mvm_exit_decode() and in
 * handle_io(). Leave the rest as it is: every tool drives this code.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

static void decode_io(const struct kvm_run *run, struct mvm_exit_io *io)
{
	/* LAB(1, decode-io) BEGIN */
	io->port = run->io.port;
	io->size = run->io.size;
	io->is_write = run->io.direction == KVM_EXIT_IO_OUT;
	io->count = run->io.count;
	/* LAB(1) STUB
	// LAB 1 (task 1): copy the port I/O exit from run->io into *io:
	// port, size (1, 2 or 4), is_write (direction KVM_EXIT_IO_OUT) and
	// count (> 1 for rep ins/outs). The data is not here: it sits in the
	// kvm_run page at run->io.data_offset (handle_io() uses it).
	// Hint: api.rst section 5, "KVM_EXIT_IO", and struct kvm_run in
	// <linux/kvm.h>.
	(void)run;
	(void)io;
	LAB(1) END */
}

static void decode_internal(const struct kvm_run *run,
			    struct mvm_exit_internal *in)
{
	in->suberror = run->internal.suberror;
	in->ndata = run->internal.ndata;
	if (in->ndata > 16)
		in->ndata = 16; /* the kvm_run union holds at most 16 */
	memcpy(in->data, run->internal.data, in->ndata * sizeof(in->data[0]));
}

void mvm_exit_decode(struct mvm_vcpu *vcpu, struct mvm_exit *exit)
{
	const struct kvm_run *run = vcpu->run;

	exit->reason = run->exit_reason;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		decode_io(run, &exit->u.io);
		break;
	case KVM_EXIT_MMIO:
		/* LAB(1, decode-mmio) BEGIN */
		exit->u.mmio.addr = run->mmio.phys_addr;
		exit->u.mmio.len = run->mmio.len;
		exit->u.mmio.is_write = run->mmio.is_write;
		/* LAB(1) STUB
		// LAB 1 (task 1): copy the MMIO exit from run->mmio into
		// exit->u.mmio: guest-physical address, length, direction.
		// Hint: api.rst section 5, "KVM_EXIT_MMIO".
		LAB(1) END */
		break;
	case KVM_EXIT_DEBUG:
		exit->u.debug.exception = run->debug.arch.exception;
		exit->u.debug.pc = run->debug.arch.pc;
		exit->u.debug.dr6 = run->debug.arch.dr6;
		exit->u.debug.dr7 = run->debug.arch.dr7;
		break;
	case KVM_EXIT_X86_RDMSR:
	case KVM_EXIT_X86_WRMSR:
		exit->u.msr.index = run->msr.index;
		exit->u.msr.is_write = run->exit_reason == KVM_EXIT_X86_WRMSR;
		exit->u.msr.why = run->msr.reason;
		exit->u.msr.data = run->msr.data;
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		decode_internal(run, &exit->u.internal);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		exit->u.fail_entry.hw_reason =
			run->fail_entry.hardware_entry_failure_reason;
		exit->u.fail_entry.cpu = run->fail_entry.cpu;
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		exit->u.system_event = run->system_event.type;
		break;
	}
}

/* Warnings about unclaimed accesses per vCPU; later ones go to DEBUG. A
 * Linux guest writes port 0x80 for every I/O delay, which would otherwise
 * bury everything else in the log. */
#define UNCLAIMED_WARN_MAX 32

/* Log an access no device claimed; the RIP costs an ioctl, but only on
 * this unusual path. */
static void log_unclaimed(struct mvm_vcpu *vcpu, const char *what,
			  uint64_t addr, int is_write, uint32_t size,
			  uint32_t count)
{
	struct kvm_regs regs = {0};
	enum mvm_log_level level = MVM_LOG_WARN;

	if (vcpu->unclaimed >= UNCLAIMED_WARN_MAX)
		level = MVM_LOG_DEBUG;
	else if (++vcpu->unclaimed == UNCLAIMED_WARN_MAX)
		mvm_logf(&vcpu->vm->log, MVM_LOG_WARN,
			 "vCPU %d: %d unclaimed accesses; further ones are "
			 "logged at debug level",
			 vcpu->index, UNCLAIMED_WARN_MAX);
	mvm_vcpu_get_regs(vcpu, &regs);
	mvm_logf(&vcpu->vm->log, level,
		 "unclaimed %s %s 0x%llx size %u%s at RIP 0x%llx%s", what,
		 is_write ? "write" : "read", (unsigned long long)addr, size,
		 count > 1 ? " (string I/O)" : "", (unsigned long long)regs.rip,
		 is_write ? ": ignored" : ": reads all ones");
}

/* What a device returned for one access: count it into the exit. */
static void device_result(struct mvm_vcpu *vcpu, struct mvm_exit *exit,
			  const struct mvm_bus *bus, uint64_t addr, int r)
{
	if (r == MVM_IO_STOP)
		exit->stop = 1;
	else if (r < 0 && r != -ENOENT)
		mvm_logf(&vcpu->vm->log, MVM_LOG_WARN,
			 "%s device at 0x%llx failed: %s", bus->name,
			 (unsigned long long)addr, strerror(-r));
}

/* [slide:exit-io] */
static void handle_io(struct mvm_vcpu *vcpu, struct mvm_exit *exit)
{
	struct kvm_run *run = vcpu->run;
	struct mvm_exit_io *io = &exit->u.io;
	uint64_t total = (uint64_t)io->size * io->count;
	uint8_t *p;
	int r, claimed = 1;

	/* The data sits in the kvm_run mapping at data_offset: make sure
	 * all size * count bytes are inside it before touching them. */
	if ((io->size != 1 && io->size != 2 && io->size != 4) ||
	    run->io.data_offset > vcpu->run_size ||
	    total > vcpu->run_size - run->io.data_offset) {
		mvm_logf(&vcpu->vm->log, MVM_LOG_ERROR,
			 "malformed I/O exit: size %u count %u offset %llu",
			 io->size, io->count,
			 (unsigned long long)run->io.data_offset);
		exit->stop = 1;
		return;
	}
	p = (uint8_t *)run + run->io.data_offset;
	if (io->is_write)
		memcpy(io->data, p,
		       total < sizeof(io->data) ? total : sizeof(io->data));
	/* rep outs/ins: `count` accesses, all to the same port. */
	/* LAB(1, dispatch-io) BEGIN */
	for (uint32_t i = 0; i < io->count; i++) {
		r = mvm_bus_access(&vcpu->vm->pio, vcpu, io->port, io->is_write,
				   p + (size_t)i * io->size, io->size);
		claimed &= r != -ENOENT;
		device_result(vcpu, exit, &vcpu->vm->pio, io->port, r);
	}
	/* LAB(1) STUB
	// LAB 1 (task 2): hand the access to the port bus, once per each of
	// the io->count accesses (string I/O moves count * size bytes; access
	// i's data is at p + i * size). Clear `claimed` if a device was
	// missing (-ENOENT) and pass each result to device_result().
	// Hint: mvm_bus_access() in bus.c; api.rst "KVM_EXIT_IO".
	(void)r;
	claimed = 0;
	LAB(1) END */
	if (!io->is_write)
		memcpy(io->data, p,
		       total < sizeof(io->data) ? total : sizeof(io->data));
	exit->handled = claimed;
	if (!claimed)
		log_unclaimed(vcpu, "port", io->port, io->is_write, io->size,
			      io->count);
}
/* [/slide:exit-io] */

static void handle_mmio(struct mvm_vcpu *vcpu, struct mvm_exit *exit)
{
	struct kvm_run *run = vcpu->run;
	struct mvm_exit_mmio *m = &exit->u.mmio;
	int r;

	if (m->len == 0 || m->len > sizeof(run->mmio.data)) {
		mvm_logf(&vcpu->vm->log, MVM_LOG_ERROR,
			 "malformed MMIO exit: len %u", m->len);
		exit->stop = 1;
		return;
	}
	r = mvm_bus_access(&vcpu->vm->mmio, vcpu, m->addr, m->is_write,
			   run->mmio.data, m->len);
	memcpy(m->data, run->mmio.data, m->len);
	device_result(vcpu, exit, &vcpu->vm->mmio, m->addr, r);
	exit->handled = r != -ENOENT;
	if (r == -ENOENT)
		log_unclaimed(vcpu, "MMIO", m->addr, m->is_write, m->len, 1);
}

/* RDMSR/WRMSR that KVM sent to user space (api.rst 5, KVM_EXIT_X86_RDMSR):
 * answer in run->msr; error = 1 makes KVM inject #GP, as hardware does
 * for an MSR that does not exist (Intel SDM Vol. 2B, RDMSR). */
static void handle_msr(struct mvm_vcpu *vcpu, struct mvm_exit *exit)
{
	struct mvm_vm *vm = vcpu->vm;
	struct mvm_exit_msr *m = &exit->u.msr;
	void *ctx;
	mvm_msr_fn *fn = mvm_msr_lookup(vm, m->index, &ctx);

	if (fn) {
		if (fn(ctx, vcpu, m) < 0)
			m->error = 1;
		exit->handled = 1;
	} else {
		m->error = 1;
		mvm_logf(&vm->log, MVM_LOG_WARN,
			 "%s of MSR 0x%x with no MSR handler: guest gets #GP",
			 m->is_write ? "WRMSR" : "RDMSR", m->index);
	}
	vcpu->run->msr.error = m->error;
	if (!m->is_write && !m->error)
		vcpu->run->msr.data = m->data;
}

/*
 * The int3 / int n fix-up, for backends with MVM_QUIRK_SOFT_INT_EMULATION
 * (quirks.h). Symptom: `int3` and `int n` at ring 0 in protected or long
 * mode are not emulated (real mode is fine): KVM_RUN returns
 * INTERNAL_ERROR / KVM_INTERNAL_ERROR_EMULATION with the instruction
 * bytes (0xCC, or 0xCD nn). On ordinary KVM the guest's own IDT handler
 * runs and this never triggers. We do what the CPU would have done: step
 * over the instruction and inject #BP (vector 3) or the soft interrupt
 * (KVM_SET_VCPU_EVENTS), so the handler sees the right return address
 * (Intel SDM Vol. 2A, INT n/INT3). A debugger owns int3 while guest debug
 * is on, so then we leave the exit alone.
 */
static int fixup_soft_int(struct mvm_vcpu *vcpu, struct mvm_exit *exit)
{
	const struct kvm_run *run = vcpu->run;
	const uint8_t *insn = run->emulation_failure.insn_bytes;
	unsigned vector, len;

	if (!(vcpu->vm->backend.quirks & MVM_QUIRK_SOFT_INT_EMULATION) ||
	    vcpu->debug_flags ||
	    run->internal.suberror != KVM_INTERNAL_ERROR_EMULATION ||
	    run->emulation_failure.ndata < 3 ||
	    !(run->emulation_failure.flags &
	      KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES))
		return 0;
	if (run->emulation_failure.insn_size >= 1 && insn[0] == 0xcc) {
		vector = 3;
		len = 1;
	} else if (run->emulation_failure.insn_size >= 2 && insn[0] == 0xcd) {
		vector = insn[1];
		len = 2;
	} else {
		return 0;
	}
	if ((len == 1 ? mvm_vcpu_inject_exception(vcpu, vector, 0, 0, len)
		      : mvm_vcpu_inject_soft_int(vcpu, vector, len)) < 0)
		return 0;
	mvm_logf(&vcpu->vm->log, MVM_LOG_DEBUG,
		 "%s not emulated by KVM: skipped it and injected vector %u",
		 len == 1 ? "int3" : "int n", vector);
	exit->handled = 1;
	return 1;
}

/* HLT: the end of the run (policy STOP), or sleep like a halted CPU
 * until an interrupt is pending and let the guest go on (WAIT). */
static void handle_hlt(struct mvm_vcpu *vcpu, struct mvm_exit *exit)
{
	if (vcpu->hlt == MVM_HLT_WAIT) {
		mvm_vcpu_hlt_wait(vcpu);
		exit->handled = 1;
	} else {
		exit->stop = 1;
	}
}

/* [slide:exit-dispatch] */
void mvm_exit_dispatch(struct mvm_vcpu *vcpu, struct mvm_exit *exit)
{
	switch (exit->reason) {
	case KVM_EXIT_IO:
		handle_io(vcpu, exit);
		break;
	case KVM_EXIT_MMIO:
		handle_mmio(vcpu, exit);
		break;
	case KVM_EXIT_X86_RDMSR:
	case KVM_EXIT_X86_WRMSR:
		handle_msr(vcpu, exit);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		if (!fixup_soft_int(vcpu, exit))
			exit->stop = 1;
		break;
	case KVM_EXIT_HLT:
		handle_hlt(vcpu, exit);
		break;
	case KVM_EXIT_IRQ_WINDOW_OPEN: /* asked for: inject an IRQ now */
		break;
	default: /* SHUTDOWN, FAIL_ENTRY, DEBUG, ...: to the caller */
		exit->stop = 1;
		break;
	}
}
/* [/slide:exit-dispatch] */
