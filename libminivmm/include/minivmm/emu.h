/*
 * emu.h - full virtualization in software: a small x86 interpreter that
 * stands in for KVM_RUN on one vCPU (`mvm run --emulate`).
 *
 * Before VT-x, a VMM that wanted to run an unmodified guest on x86 had to
 * interpret (Bochs) or translate (QEMU's TCG, VMware's binary translator)
 * the guest's instructions itself. This is the interpreting kind, kept to
 * a teaching subset of 16-bit real mode: fetch, decode, execute, one
 * instruction at a time, with the flags computed as the Intel SDM
 * (Vol. 1 3.4.3, Vol. 2 instruction pages) says.
 *
 * It plugs into the machine at the one place KVM does: the run step
 * (run.c). mvm_emu_attach() installs the interpreter as the vCPU's runner
 * (mvm_vcpu_set_runner(), vm.h), which replaces ioctl(KVM_RUN) and fills
 * the kvm_run page the way KVM would: an OUT becomes KVM_EXIT_IO with the
 * data at io.data_offset, a load or store outside RAM KVM_EXIT_MMIO, HLT
 * KVM_EXIT_HLT. The run step then decodes and dispatches that page as
 * usual, so the same devices on the same buses answer and the guest's
 * output is byte for byte what it is under KVM. Like KVM, an IN or an
 * MMIO load is completed on the next entry with the device's answer.
 *
 * Guest memory is the machine's (mvm_vm_mem(), memory.h), written with
 * the dirty rule of memory.h. Registers live in KVM between steps: each
 * step reads them (KVM_GET_REGS/SREGS) and writes them back before it
 * returns, so the debugger, traces and snapshots see the interpreter's
 * state as they would see KVM's.
 *
 * Not in the subset: protected and long mode, 32-bit operands (0x66),
 * interrupts (nothing is ever injected), string I/O, BCD and x87; nor
 * does it honour KVM_SET_GUEST_DEBUG (a single step runs to the next
 * exit), so `mvm run` refuses --emulate with --gdb. An
 * instruction outside it ends the run with KVM_EXIT_INTERNAL_ERROR
 * (suberror KVM_INTERNAL_ERROR_EMULATION, as KVM's own emulator reports
 * what it cannot do) and an error in the log and in mvm_emu_error():
 * "not in the teaching subset: opcode 0x0f 0xa2 at 0000:7c10".
 */
#ifndef MINIVMM_EMU_H
#define MINIVMM_EMU_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stdint.h>

struct mvm_machine;
struct mvm_emu;

/* Interpret vCPU `index` of m from now on (its registers as they are,
 * typically right after mvm_machine_load() in real mode). 0 and *out, or
 * -EINVAL (no such vCPU), -ENOMEM, -EBUSY (the machine's threads run). */
int mvm_emu_attach(struct mvm_machine *m, int index, struct mvm_emu **out);
/* Give the vCPU back to KVM_RUN and free the interpreter; accepts NULL. */
void mvm_emu_destroy(struct mvm_emu *emu);

/* Instructions executed so far (those that completed). */
uint64_t mvm_emu_insns(const struct mvm_emu *emu);
/* Wall-clock nanoseconds spent inside the interpreter's steps. */
uint64_t mvm_emu_ns(const struct mvm_emu *emu);
/* Why the last step failed ("" when none did); static storage of emu. */
const char *mvm_emu_error(const struct mvm_emu *emu);

#pragma GCC visibility pop

#endif
