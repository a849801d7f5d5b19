/*
 * state.h - a VM's complete state, taken out of KVM and put back in.
 *
 * Snapshots and live migration stand on one question: what is "the
 * state" of a virtual machine? Guest RAM (memory.h), plus three things
 * this header collects:
 *
 *   struct mvm_vcpu_state   everything KVM keeps for one vCPU
 *   struct mvm_vm_state     the in-kernel devices of the whole VM
 *   device blobs            what each emulated device in user space holds
 *
 * Each part of a vCPU or VM state has a `have` bit: mvm_*_state_get()
 * sets it for what this KVM and this VM provide, mvm_*_state_set() puts
 * back only the parts whose bit is set. A state taken from a VM without
 * an in-kernel irqchip (no LAPIC) therefore restores cleanly into one.
 *
 * Restore order: the VM's state first, then each vCPU's. CPUID is
 * configuration, not state: the vCPU being restored must have been
 * given the same CPUID (mvm_vm_create() does that, KVM_SET_CPUID2 in
 * vcpu.c), because KVM checks MSR and XSAVE values against it.
 *
 * What the components are, and the ioctl that moves each (described in
 * the kernel's Documentation/virt/kvm/api.rst under that name):
 *
 *   REGS       RAX..R15, RIP, RFLAGS              KVM_GET_REGS
 *   SREGS      segments, CR0-4, CR8, EFER, GDT/IDT,
 *              APIC base                           KVM_GET_SREGS
 *   XSAVE      x87/SSE/AVX registers as an XSAVE
 *              image (FPU when XSAVE is missing)   KVM_GET_XSAVE,
 *                                                  KVM_GET_FPU
 *   XCRS       XCR0, which state components the
 *              guest enabled                       KVM_GET_XCRS
 *   DEBUGREGS  DR0-3, DR6, DR7                     KVM_GET_DEBUGREGS
 *   EVENTS     pending/injected exception, interrupt
 *              and NMI, interrupt shadow, SMM      KVM_GET_VCPU_EVENTS
 *   MSRS       every MSR KVM lists as saveable     KVM_GET_MSR_INDEX_LIST,
 *              (the TSC among them: MSR 0x10)      KVM_GET_MSRS
 *   LAPIC      the local APIC's register page      KVM_GET_LAPIC
 *   MP_STATE   running / halted / waiting for SIPI KVM_GET_MP_STATE
 *   TSC_KHZ    the guest's TSC frequency (read
 *              only, for the record)               KVM_GET_TSC_KHZ
 *
 *   VM: PIC master/slave, IOAPIC   KVM_GET_IRQCHIP
 *       PIT (8254)                 KVM_GET_PIT2
 *       KVM clock                  KVM_GET_CLOCK
 *
 * What the build machines' KVM backend (a nested, software "kvm_pvm"
 * backend) provides, probed: every component above, LAPIC included in a
 * VM made with MVM_VM_IRQCHIP (without an irqchip KVM_GET_LAPIC fails
 * with EINVAL, on every KVM). It lists 40 saveable MSRs, all of which
 * read back; KVM_CAP_XSAVE2 reports 4096 bytes; KVM_GET_CLOCK reports no
 * flags (no KVM_CLOCK_TSC_STABLE, so no KVM_CLOCK_REALTIME either). Two
 * things behave differently from hardware KVM there: a host write of the
 * TSC (MSR 0x10) is accepted but leaves the TSC where it was, so a
 * restored guest's TSC keeps counting from its current value instead of
 * the saved one; and writing poll control (MSR 0x4b564d06) back is
 * refused in a VM without an irqchip although its value reads fine
 * (mvm_vcpu_state_set() skips a refused MSR that already holds the saved
 * value, see vcpu_state.c).
 *
 * Sizes: struct mvm_vcpu_state is 10696 bytes (4 KiB of it the XSAVE
 * image, 4 KiB the MSR table): heap-allocate it, or keep one on a
 * thread's stack; struct mvm_vm_state is 1728 bytes.
 * KVM_GET_XSAVE fills a fixed 4096-byte struct kvm_xsave; KVM_CAP_XSAVE2
 * reports more only for dynamically enabled features (AMX), which a
 * process must first request with arch_prctl(ARCH_REQ_XCOMP_GUEST_PERM).
 * minivmm never does, so 4096 bytes hold everything; if KVM ever reports
 * more, mvm_vcpu_state_get() fails with -EOVERFLOW rather than save a
 * truncated image.
 */
#ifndef MINIVMM_STATE_H
#define MINIVMM_STATE_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

struct mvm_vm;
struct mvm_vcpu;
struct mvm_bus;

/* --- one vCPU ------------------------------------------------------------ */

/* Bits of mvm_vcpu_state.have. */
#define MVM_STATE_REGS	    (1u << 0)
#define MVM_STATE_SREGS	    (1u << 1)
#define MVM_STATE_XSAVE	    (1u << 2) /* xsave holds the registers */
#define MVM_STATE_FPU	    (1u << 3) /* fpu holds them (no XSAVE) */
#define MVM_STATE_XCRS	    (1u << 4)
#define MVM_STATE_DEBUGREGS (1u << 5)
#define MVM_STATE_EVENTS    (1u << 6)
#define MVM_STATE_MSRS	    (1u << 7)
#define MVM_STATE_LAPIC	    (1u << 8)
#define MVM_STATE_MP	    (1u << 9)
#define MVM_STATE_TSC_KHZ   (1u << 10) /* informational; never set back */

/* Room for saveable MSRs. KVM lists a few dozen (40 on the build
 * machines); hosts with many PMU counters list more. More than this
 * makes mvm_vcpu_state_get() fail with -E2BIG. */
#define MVM_STATE_MAX_MSRS 256

struct mvm_vcpu_state {
	unsigned have;			/* MVM_STATE_* present below */
	struct kvm_regs regs;		/* general registers, RIP, RFLAGS */
	struct kvm_sregs sregs;		/* segments, control regs, EFER */
	struct kvm_xsave xsave;		/* x87/SSE/AVX as an XSAVE image */
	struct kvm_fpu fpu;		/* the same, without XSAVE */
	struct kvm_xcrs xcrs;		/* XCR0 */
	struct kvm_debugregs debugregs; /* DR0-3, DR6, DR7 */
	struct kvm_vcpu_events events;	/* pending exceptions, IRQ, NMI */
	struct kvm_lapic_state lapic;	/* local APIC register page */
	struct kvm_mp_state mp;		/* runnable, halted, ... */
	uint32_t tsc_khz;		/* guest TSC frequency */
	uint32_t nmsrs;			/* entries used in msrs[] */
	struct kvm_msr_entry msrs[MVM_STATE_MAX_MSRS]; /* index, data */
};

/*
 * Read the vCPU's whole state into *st (which is cleared first). A part
 * KVM or this VM does not have leaves its bit clear; a saveable MSR that
 * KVM refuses to read is left out of msrs[]. Returns 0, or -errno when a
 * part that should be there cannot be read (logged).
 */
int mvm_vcpu_state_get(struct mvm_vcpu *vcpu, struct mvm_vcpu_state *st);

/*
 * Put back every part whose bit is set, in the order KVM needs (see
 * state/vcpu_state.c). 0, or -errno naming the first part KVM refused
 * in the log; parts after it are not set.
 */
int mvm_vcpu_state_set(struct mvm_vcpu *vcpu, const struct mvm_vcpu_state *st);

/* The MSR `index` in st, or NULL when st does not hold it. */
const struct kvm_msr_entry *mvm_vcpu_state_msr(const struct mvm_vcpu_state *st,
					       uint32_t index);

/* --- the VM -------------------------------------------------------------- */

/* Bits of mvm_vm_state.have. */
#define MVM_VMSTATE_PIC_MASTER (1u << 0)
#define MVM_VMSTATE_PIC_SLAVE  (1u << 1)
#define MVM_VMSTATE_IOAPIC     (1u << 2)
#define MVM_VMSTATE_PIT	       (1u << 3)
#define MVM_VMSTATE_CLOCK      (1u << 4)

struct mvm_vm_state {
	unsigned have;		     /* MVM_VMSTATE_* present below */
	struct kvm_irqchip pic[2];   /* KVM_IRQCHIP_PIC_MASTER, _SLAVE */
	struct kvm_irqchip ioapic;   /* KVM_IRQCHIP_IOAPIC */
	struct kvm_pit_state2 pit;   /* three 8254 channels */
	struct kvm_clock_data clock; /* kvmclock's nanoseconds */
};

/*
 * The in-kernel PICs, IOAPIC and PIT exist only in a VM made with
 * MVM_VM_IRQCHIP; the KVM clock in every VM where KVM has
 * KVM_CAP_ADJUST_CLOCK. 0 or -errno (logged).
 */
int mvm_vm_state_get(struct mvm_vm *vm, struct mvm_vm_state *st);

/*
 * Put back what st has. The clock is set with flags 0: it resumes at the
 * saved value, so the guest does not see the time the state spent
 * outside (api.rst, KVM_SET_CLOCK: KVM_CLOCK_REALTIME would advance it instead).
 * -ENODEV when st has irqchip or PIT state but the VM has none.
 */
int mvm_vm_state_set(struct mvm_vm *vm, const struct mvm_vm_state *st);

/* --- device blobs -------------------------------------------------------- */

/*
 * A device's save() writes a blob that starts with this header; load()
 * refuses (-EINVAL) a blob that is short, of another device (magic), of
 * another layout (version) or whose size disagrees. Blobs are in host
 * byte order: for a snapshot taken and restored by the same build.
 */
struct mvm_devstate_hdr {
	uint32_t magic;	  /* four letters naming the device, e.g. "CMOS" */
	uint16_t version; /* layout of the body that follows */
	uint16_t size;	  /* bytes of the whole blob, header included */
};

/* Four characters as a magic number: MVM_DEVSTATE_MAGIC('C','M','O','S'). */
#define MVM_DEVSTATE_MAGIC(a, b, c, d)                              \
	((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | \
	 (uint32_t)(d) << 24)

/* Write header + body to buf: bytes written, or -ENOSPC. */
int mvm_devstate_put(void *buf, size_t len, uint32_t magic, uint16_t version,
		     const void *body, size_t body_len);

/* Check buf holds exactly such a blob and copy its body out: 0 or
 * -EINVAL. */
int mvm_devstate_take(const void *buf, size_t len, uint32_t magic,
		      uint16_t version, void *body, size_t body_len);

/*
 * Every device on a bus at once: each one with a save() contributes a
 * record {base, blob size, blob}. load_all gives each record to the
 * device registered at that base; a record for a base with no device,
 * or with a device without load(), gives -ENOENT. save_all returns bytes
 * written (or -ENOSPC), load_all 0 or the first device's -errno.
 */
int mvm_bus_save_all(const struct mvm_bus *bus, void *buf, size_t len);
int mvm_bus_load_all(const struct mvm_bus *bus, const void *buf, size_t len);

#pragma GCC visibility pop

#endif
