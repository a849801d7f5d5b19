/*
 * vm.h - VM and vCPU lifecycle, registers, and the run step.
 *
 *   mvm_vm_create()            open /dev/kvm, KVM_CREATE_VM, RAM slot 0,
 *                              the vCPUs (KVM_CREATE_VCPU + mmap kvm_run)
 *   mvm_vcpu_setup_mode()      registers for real/protected/long mode
 *   mvm_vcpu_run_once()        KVM_RUN once -> one decoded struct mvm_exit,
 *                              already dispatched to the device bus
 *   mvm_vcpu_run()             run_once in a loop until an exit says stop
 *   mvm_vm_destroy()           close and unmap everything
 *
 * The CLI, the debugger, the tests and the labs all drive the same
 * mvm_vcpu_run_once(); there is no other run loop (STYLE.md 6).
 */
#ifndef MINIVMM_VM_H
#define MINIVMM_VM_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "exit.h"
#include "log.h"
#include "memory.h"

struct mvm_vm;
struct mvm_vcpu;
struct mvm_trace;

#define MVM_MAX_VCPUS 8

/* VM flags. */
#define MVM_VM_IRQCHIP	(1u << 0) /* KVM_CREATE_IRQCHIP (PIC+IOAPIC+LAPIC) */
#define MVM_VM_USER_MSR (1u << 1) /* exit to user space on unknown MSRs */
/* With MVM_VM_IRQCHIP: no KVM_CREATE_PIT2, so ports 0x40-0x43 exit to user
 * space and a user-space 8254 (pit.h) can drive IRQ 0. */
#define MVM_VM_NO_PIT	(1u << 2)

struct mvm_vm_config {
	uint64_t ram_size;  /* bytes of RAM at GPA 0; 0 = MVM_RAM_DEFAULT */
	int ncpus;	    /* vCPUs; 0 = 1 */
	unsigned flags;	    /* MVM_VM_* */
	struct mvm_log log; /* where messages go; zero = nowhere */
};

/* Create a VM. On success *out is set and 0 returned; on failure -errno
 * and the log says which step failed. */
int mvm_vm_create(const struct mvm_vm_config *cfg, struct mvm_vm **out);

/* Free everything; accepts NULL and half-built VMs. */
void mvm_vm_destroy(struct mvm_vm *vm);

/* Accessors. */
int mvm_vm_fd(const struct mvm_vm *vm);
int mvm_vm_kvm_fd(const struct mvm_vm *vm);
const struct mvm_log *mvm_vm_log(const struct mvm_vm *vm);
struct mvm_memmap *mvm_vm_mem(struct mvm_vm *vm);
uint64_t mvm_vm_ram_size(const struct mvm_vm *vm);
struct mvm_bus *mvm_vm_pio_bus(struct mvm_vm *vm);
struct mvm_bus *mvm_vm_mmio_bus(struct mvm_vm *vm);
int mvm_vm_ncpus(const struct mvm_vm *vm);
struct mvm_vcpu *mvm_vm_vcpu(struct mvm_vm *vm, int index);
void *mvm_vm_ram(struct mvm_vm *vm); /* host address of GPA 0 */

/*
 * The memfd behind RAM (slot 0), or -1 before RAM exists. mmap(fd,
 * MAP_SHARED) in this or another process shows the guest's own pages
 * (offset = guest-physical address). The VM keeps the fd: dup() it to
 * keep it past mvm_vm_destroy(). Every slot's fd is in struct mvm_slot.
 */
int mvm_vm_ram_fd(const struct mvm_vm *vm);

/*
 * Memory slots beyond RAM; each returns the slot index or -errno, and
 * the log says why. Like every change to the memory map, these may only
 * be called while no vCPU is in KVM_RUN and no device thread runs (the
 * machine layer's pause, or before the first run).
 *
 *   mvm_vm_mem_add()      `size` bytes of new zeroed memory in a memfd
 *                         (MAP_SHARED; only touched pages cost memory)
 *   mvm_vm_mem_add_fd()   `size` bytes of fd from `offset` (4 KiB
 *                         aligned). Shared: guest writes reach the file
 *                         (fd must be open O_RDWR). With MVM_MEM_PRIVATE:
 *                         copy-on-write, the guest reads the file and its
 *                         writes stay in this process (snapshot restore).
 *                         The slot keeps a dup of fd; close yours freely.
 *   mvm_vm_mem_add_hva()  memory the caller mapped and keeps owning
 *
 * flags: MVM_MEM_READONLY, MVM_MEM_LOG_DIRTY, MVM_MEM_PRIVATE (memory.h).
 */
int mvm_vm_mem_add(struct mvm_vm *vm, uint64_t gpa, uint64_t size,
		   unsigned flags);
int mvm_vm_mem_add_fd(struct mvm_vm *vm, uint64_t gpa, uint64_t size, int fd,
		      uint64_t offset, unsigned flags);
int mvm_vm_mem_add_hva(struct mvm_vm *vm, uint64_t gpa, uint64_t size,
		       void *hva, unsigned flags);
int mvm_vm_mem_remove(struct mvm_vm *vm, int slot);

/*
 * Replace the memory behind a slot the library mapped (RAM included) by
 * as many bytes of fd, from `offset`, at the same guest-physical
 * and host addresses: flags 0 (shared) or MVM_MEM_PRIVATE (copy-on-write,
 * the way a snapshot's RAM file is restored without reading it first).
 * The old contents are gone; mvm_vm_ram() stays valid. Same pause rule
 * as above. Returns 0 or -errno (-EINVAL: caller-mapped slot, other
 * flags, or no KVM_CAP_SYNC_MMU); on failure the slot is unchanged.
 */
int mvm_vm_mem_replace_fd(struct mvm_vm *vm, int slot, int fd, uint64_t offset,
			  unsigned flags);

/*
 * Change a slot's flags: KVM_SET_USER_MEMORY_REGION again with the new
 * flags (api.rst 4.35). Only MVM_MEM_LOG_DIRTY may change, on any slot
 * including RAM; a change of MVM_MEM_READONLY or MVM_MEM_PRIVATE is
 * refused with -EINVAL and a log message. Logging starts clear.
 *
 * Contract: the caller has every vCPU out of KVM_RUN and every device
 * thread parked (the machine layer's pause guarantees it). The VMM's
 * dirty bitmap is allocated or freed here, which a concurrent writer
 * must not see half done. Returns 0, -ENOENT, -EINVAL, -ENOMEM or the
 * ioctl's -errno (the slot is then unchanged).
 */
int mvm_vm_mem_set_flags(struct mvm_vm *vm, int slot, unsigned flags);

/*
 * The pages of a slot with MVM_MEM_LOG_DIRTY written since the last call
 * (or since logging was switched on): KVM_GET_DIRTY_LOG for the guest's
 * writes, ORed with the VMM's own writes (memory.h, the dirty rule).
 * bitmap holds MVM_DIRTY_WORDS(slot size) words, bit i = page i of the
 * slot. Clears both logs. May be called while vCPUs and devices run:
 * the VMM's bits are taken atomically (dirty.c), so a page written during
 * the call shows up now or in the next call, never not at all.
 */
int mvm_vm_dirty_log(struct mvm_vm *vm, int slot, uint64_t *bitmap);

/* Guest memory helpers: mvm_memmap_read/write on the VM's map. */
int mvm_vm_read(struct mvm_vm *vm, uint64_t gpa, void *buf, size_t len);
int mvm_vm_write(struct mvm_vm *vm, uint64_t gpa, const void *buf, size_t len);

/* vCPU accessors and registers (KVM's own structs, as students see them
 * in the API document). All return 0 or -errno. */
int mvm_vcpu_index(const struct mvm_vcpu *vcpu);
int mvm_vcpu_fd(const struct mvm_vcpu *vcpu);
struct mvm_vm *mvm_vcpu_vm(struct mvm_vcpu *vcpu);
struct kvm_run *mvm_vcpu_kvm_run(struct mvm_vcpu *vcpu);
int mvm_vcpu_get_regs(struct mvm_vcpu *vcpu, struct kvm_regs *regs);
int mvm_vcpu_set_regs(struct mvm_vcpu *vcpu, const struct kvm_regs *regs);
int mvm_vcpu_get_sregs(struct mvm_vcpu *vcpu, struct kvm_sregs *sregs);
int mvm_vcpu_set_sregs(struct mvm_vcpu *vcpu, const struct kvm_sregs *sregs);

/*
 * Registers without system calls (KVM_CAP_SYNC_REGS, api.rst 5): after
 * a run step KVM has already copied the registers, segment/control
 * registers and pending events into kvm_run, and the getters above read
 * that copy instead of making an ioctl; the setters write to KVM at once
 * and drop the copy. The step asks for the copy when tracing or guest
 * debugging is on, or when the registers were read after the previous
 * exit (a run nobody looks at does not pay for it). On by default where KVM has the capability; a KVM
 * without it gets one ioctl at the first read after each exit, kept for
 * the next reads. mvm_vcpu_set_sync_regs(vcpu, 0) turns KVM's copy off
 * (to compare, or to test the fallback): 0, or -EOPNOTSUPP when asked
 * to turn it on without the capability. Whoever changes
 * registers with its own ioctl on mvm_vcpu_fd() (or a raw KVM_RUN) calls
 * mvm_vcpu_forget_regs() afterwards, so the next read asks KVM.
 */
int mvm_vcpu_set_sync_regs(struct mvm_vcpu *vcpu, int on);
int mvm_vcpu_sync_regs(const struct mvm_vcpu *vcpu);
void mvm_vcpu_forget_regs(struct mvm_vcpu *vcpu);

/* Exit trace of this vCPU (see trace.h); never NULL. */
struct mvm_trace *mvm_vcpu_trace(struct mvm_vcpu *vcpu);

/*
 * The run step: KVM_RUN once, decode the exit into *exit, dispatch I/O and
 * MMIO to the bus (unclaimed: logged, reads answer all ones), record it in
 * the trace. Returns 0 with *exit filled, -ETIMEDOUT if the deadline armed
 * with mvm_vcpu_set_deadline() passed (exit->reason == KVM_EXIT_INTR; the
 * step then does not enter the guest until the deadline is re-armed or
 * disarmed), or -errno when KVM_RUN itself failed. Another signal that
 * interrupts KVM_RUN gives 0 with reason KVM_EXIT_INTR: just run again.
 */
int mvm_vcpu_run_once(struct mvm_vcpu *vcpu, struct mvm_exit *exit);

/*
 * Arm a deadline `ms` milliseconds from now for this vCPU (0 disarms).
 * A guest that never exits is kicked out of KVM_RUN by a signal when the
 * deadline passes. Must be called from the thread that runs the vCPU;
 * one thread may drive several vCPUs, each with its own deadline.
 * Returns 0 or -errno (the timer could not be created or armed).
 */
int mvm_vcpu_set_deadline(struct mvm_vcpu *vcpu, unsigned ms);

/*
 * Force the vCPU out of KVM_RUN, from any thread: its current or next
 * run step returns 0 with reason KVM_EXIT_INTR without losing the kick,
 * however it races with the guest entry (kick.c explains how). A vCPU
 * waiting in HLT wakes up. The thread that runs a vCPU keeps the kick
 * signal (SIGRTMIN + 1) blocked outside KVM_RUN; a kick may cost one
 * extra KVM_EXIT_INTR step later, never a lost one.
 */
void mvm_vcpu_kick(struct mvm_vcpu *vcpu);

/*
 * What a HLT exit does. STOP (the default): the exit stops a run loop,
 * as in the first labs, where HLT means "finished". WAIT: the run step
 * sleeps until mvm_vcpu_wake() (an interrupt controller has an
 * interrupt for this vCPU), a kick or the deadline, then returns the HLT
 * exit as handled; the next step re-enters the guest after the HLT. With
 * the in-kernel irqchip KVM waits by itself and HLT never exits.
 */
enum mvm_hlt_policy { MVM_HLT_STOP, MVM_HLT_WAIT };
int mvm_vcpu_set_hlt(struct mvm_vcpu *vcpu, enum mvm_hlt_policy policy);
void mvm_vcpu_wake(struct mvm_vcpu *vcpu);

/*
 * The pre-entry hook: called by the run step, in the vCPU's thread,
 * right before every KVM_RUN. It is where a user-space interrupt
 * controller injects (KVM_INTERRUPT when the guest can take one, see
 * mvm_vcpu_irq_ready(), or asks for an interrupt window) and where
 * pending events are written with KVM_SET_VCPU_EVENTS. A non-zero
 * return ends the step with that -errno before the guest runs. NULL
 * removes the hook.
 */
typedef int mvm_pre_entry_fn(void *ctx, struct mvm_vcpu *vcpu);
void mvm_vcpu_set_pre_entry(struct mvm_vcpu *vcpu, mvm_pre_entry_fn *fn,
			    void *ctx);

/*
 * The runner: what the run step calls instead of ioctl(KVM_RUN), NULL for
 * KVM itself. It must behave like KVM_RUN: run the guest until it needs
 * the VMM, fill the kvm_run page `run` as KVM would (exit_reason and the
 * union; data at io.data_offset), return 0, or -EINTR when a kick or the
 * deadline is due. The step then decodes and dispatches the page as for
 * KVM. The software interpreter (emu.h) is the one runner; set it only
 * while the vCPU does not run. A runner reads and writes registers with
 * the accessors above, which keep the register copy right.
 */
struct kvm_run;
typedef int mvm_runner_fn(void *ctx, struct mvm_vcpu *vcpu,
			  struct kvm_run *run);
void mvm_vcpu_set_runner(struct mvm_vcpu *vcpu, mvm_runner_fn *fn, void *ctx);

/* kvm_run's interrupt fields (api.rst 5, "kvm_run"): whether KVM_INTERRUPT
 * would be accepted now (ready_for_interrupt_injection and IF set), and
 * the request for a KVM_EXIT_IRQ_WINDOW_OPEN exit as soon as it would. */
int mvm_vcpu_irq_ready(const struct mvm_vcpu *vcpu);
void mvm_vcpu_request_irq_window(struct mvm_vcpu *vcpu, int on);

/*
 * Run until an exit with exit->stop set (HLT, SHUTDOWN, FAIL_ENTRY,
 * INTERNAL_ERROR, a device's MVM_IO_STOP, a DEBUG exit) or until
 * timeout_ms passes (-ETIMEDOUT; 0 = no timeout). *exit holds the last
 * exit. Returns 0 or -errno.
 */
int mvm_vcpu_run(struct mvm_vcpu *vcpu, unsigned timeout_ms,
		 struct mvm_exit *exit);

/*
 * User-space MSR emulation (KVM_CAP_X86_USER_SPACE_MSR; msr.c). A
 * handler fills msr->data for a read, or sets msr->error to make the
 * guest take #GP. mvm_vm_add_msr_handler() sends the MSRs [first, first +
 * count) to fn: handlers coexist by range like devices on a bus
 * (overlaps: -EEXIST; at most MVM_MSR_HANDLERS_MAX ranges of at most
 * MVM_MSR_RANGE_MAX MSRs: -ENOSPC, -E2BIG). -EOPNOTSUPP when KVM lacks
 * the capability. Change handlers only while no vCPU runs.
 *
 * mvm_vm_enable_user_msr() is the older form: each of the n MSRs in
 * `filter` goes to fn; with n == 0, fn becomes the default handler for
 * MSRs KVM does not know (NULL: they get #GP, as on hardware).
 */
#define MVM_MSR_HANDLERS_MAX 16 /* KVM_MSR_FILTER_MAX_RANGES */
#define MVM_MSR_RANGE_MAX    4096
typedef int mvm_msr_fn(void *ctx, struct mvm_vcpu *vcpu,
		       struct mvm_exit_msr *msr);
int mvm_vm_add_msr_handler(struct mvm_vm *vm, uint32_t first, uint32_t count,
			   mvm_msr_fn *fn, void *ctx);
int mvm_vm_enable_user_msr(struct mvm_vm *vm, const uint32_t *filter, int n,
			   mvm_msr_fn *fn, void *ctx);

/*
 * Guest debugging (KVM_SET_GUEST_DEBUG, debug.c): single-step and up to
 * four hardware breakpoints in DR0-DR3 (Intel SDM Vol. 3B 18.2). Each
 * hit is a KVM_EXIT_DEBUG whose exit->u.debug.dr6 has bit n (Bn) set for
 * DRn. mvm_vcpu_set_debug() takes execute breakpoints only; nbp > 4
 * gives -E2BIG.
 */
#define MVM_HW_BREAKPOINTS 4
int mvm_vcpu_set_debug(struct mvm_vcpu *vcpu, int singlestep,
		       const uint64_t *bp, int nbp);

/*
 * Hardware breakpoints of every kind, the DR7 R/W field (SDM Vol. 3B
 * 18.2.4). An execute breakpoint fires before its instruction runs (a
 * fault, RIP on it); a data watchpoint fires after the instruction that
 * wrote (or read) any of its `len` bytes (a trap, RIP past it). A
 * watchpoint's addr must be aligned to its len: the CPU ignores the low
 * address bits.
 */
enum mvm_hwbp_kind {
	MVM_HWBP_EXEC = 0,   /* R/W 00: instruction fetch, len 1 */
	MVM_HWBP_WRITE = 1,  /* R/W 01: data writes */
	MVM_HWBP_ACCESS = 3, /* R/W 11: data reads or writes */
};
struct mvm_hwbp {
	uint64_t addr;		 /* linear address */
	enum mvm_hwbp_kind kind; /* what fires it */
	unsigned len;		 /* 1, 2, 4 or 8 bytes (EXEC: 1) */
};

/* DR7 enabling bp[i] in DRi (local enable Li, R/Wi, LENi): 0 and *dr7,
 * -E2BIG for n > 4, -EINVAL for a bad kind, length or alignment. Pure
 * arithmetic, no KVM. */
int mvm_dr7_encode(const struct mvm_hwbp *bp, int n, uint64_t *dr7);

/*
 * Program single-step and n breakpoints of any kind (0 of each turns
 * guest debugging off). Returns 0, the errors of mvm_dr7_encode(), or
 * -EOPNOTSUPP (with a log line) for a watchpoint on a backend where data
 * watchpoints never fire (MVM_QUIRK_NO_WATCHPOINTS, quirks.h).
 */
int mvm_vcpu_set_hwbps(struct mvm_vcpu *vcpu, int singlestep,
		       const struct mvm_hwbp *bp, int n);

/*
 * Inject an exception into the guest (KVM_SET_VCPU_EVENTS): used to fix
 * up instructions some backends cannot emulate (int3 / int n). vector,
 * optional error code; `skip` bytes are added to RIP first.
 */
int mvm_vcpu_inject_exception(struct mvm_vcpu *vcpu, unsigned vector,
			      int has_error, uint32_t error, unsigned skip);

#pragma GCC visibility pop

#endif
