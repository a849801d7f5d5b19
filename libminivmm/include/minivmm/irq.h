/*
 * irq.h - interrupt lines, and KVM's interrupt and eventfd ioctls.
 *
 * A device signals the guest through a struct mvm_irq_line: raise, lower
 * or pulse it, and the line carries the level to whichever interrupt
 * controller the machine has (src/irq/line.c explains the three paths):
 *
 *   MVM_IRQ_KERNEL  KVM_IRQ_LINE into the in-kernel PIC/IOAPIC
 *   MVM_IRQ_IRQFD   eventfds KVM watches (KVM_IRQFD): a write to one
 *                   injects without the VMM's run loop on the path
 *   MVM_IRQ_USER    a user-space interrupt controller (Lab 3's 8259A)
 *
 * The raw wrappers below are one ioctl each (api.rst section in brackets).
 * Each returns 0 or -errno and logs a failure through the VM's log.
 *
 * Threads. mvm_irq_raise/lower/pulse may be called from any thread: a
 * device thread, a vCPU thread inside an exit handler, the main thread.
 * Each line serialises its own deliveries with a private mutex, so the
 * controller sees the levels in the order the calls took effect and a
 * pulse is never split by another call; the level itself is an atomic, so
 * mvm_irq_level() never blocks. The mutex is held while the sink of an
 * MVM_IRQ_USER line runs: a sink may take its controller's lock but must
 * not call back into the same line. No call here waits for a vCPU.
 * Create and destroy a line from one thread, while no other thread uses
 * it (device setup and teardown). An MVM_IRQ_IRQFD line that is ever
 * raised owns one helper thread (the resampler, all signals blocked) that
 * only reads and writes the line's eventfds; destroy joins it.
 */
#ifndef MINIVMM_IRQ_H
#define MINIVMM_IRQ_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <linux/kvm.h>
#include <stdint.h>

struct mvm_vm;
struct mvm_irq_line;

/* --- raw wrappers ------------------------------------------------------ */

/* KVM_IRQ_LINE [4.25]: set the level of input `gsi` of the in-kernel
 * irqchip (GSI 0-15 reach the PIC and the IOAPIC, 16-23 the IOAPIC only,
 * under the default routing). Needs MVM_VM_IRQCHIP. */
int mvm_vm_irq_line(struct mvm_vm *vm, unsigned gsi, int level);

/* KVM_IRQFD [4.75]: assign (deassign = 0) or remove (deassign = 1) the
 * eventfd `fd` as a trigger of `gsi`. resample_fd >= 0 makes it a level
 * line (KVM_IRQFD_FLAG_RESAMPLE): a write asserts the GSI, the guest's EOI
 * deasserts it and signals resample_fd. -1 for an edge line. */
int mvm_vm_irqfd(struct mvm_vm *vm, unsigned gsi, int fd, int resample_fd,
		 int deassign);

/* KVM_IOEVENTFD [4.59]: a guest write of `len` bytes to port (is_pio) or
 * MMIO address `addr` signals `fd` inside the kernel, with no exit to user
 * space. datamatch NULL: any value; else only writes of *datamatch. len 0
 * (MMIO only, KVM_CAP_IOEVENTFD_ANY_LENGTH) matches any length. Deassign
 * needs the same addr/len/is_pio/datamatch as the assign. */
int mvm_vm_ioeventfd(struct mvm_vm *vm, uint64_t addr, uint32_t len, int is_pio,
		     const uint64_t *datamatch, int fd, int deassign);

/* KVM_SET_GSI_ROUTING [4.52]: REPLACE the whole GSI routing table with the
 * n entries e[] (n = 0 empties it, e may then be NULL). The default table
 * that KVM_CREATE_IRQCHIP installs (GSI 0-15 to PIC and IOAPIC, 16-23 to
 * the IOAPIC) is gone afterwards unless e[] repeats it. */
int mvm_vm_set_gsi_routing(struct mvm_vm *vm,
			   const struct kvm_irq_routing_entry *e, unsigned n);

/* KVM_SIGNAL_MSI [4.71]: deliver one message-signalled interrupt. addr
 * must lie in the x86 MSI window 0xFEExxxxx (Intel SDM Vol. 3, 11.11.1;
 * else -EINVAL). Returns 0 also when the guest's LAPIC blocked the
 * message (KVM returns 0 then; logged at debug level). */
int mvm_vm_signal_msi(struct mvm_vm *vm, uint64_t addr, uint32_t data);

/* --- interrupt lines ----------------------------------------------------- */

enum mvm_irq_kind {
	MVM_IRQ_KERNEL, /* KVM_IRQ_LINE into the in-kernel PIC/IOAPIC */
	MVM_IRQ_IRQFD,	/* eventfds registered with KVM_IRQFD */
	MVM_IRQ_USER,	/* a user-space controller, through a sink */
};

/* Where an MVM_IRQ_USER line sends its level: the controller model's
 * input, e.g. an 8259A's IRn pin. Called with the line's mutex held. */
struct mvm_irq_sink {
	void (*set_level)(void *ctx, unsigned gsi, int level);
	void *ctx; /* passed back to set_level */
};

/*
 * Create a line for input `gsi`. sink is for MVM_IRQ_USER only (copied;
 * required there, ignored otherwise); vm may be NULL for an MVM_IRQ_USER
 * line (a controller tested without a VM). MVM_IRQ_IRQFD registers a new
 * eventfd with KVM_IRQFD; KERNEL and IRQFD need the in-kernel irqchip
 * (-EINVAL without one, as KVM answers). The line starts low.
 * Returns 0 with *out set, or -errno with *out NULL.
 */
int mvm_irq_line_create(struct mvm_vm *vm, enum mvm_irq_kind kind, unsigned gsi,
			const struct mvm_irq_sink *sink,
			struct mvm_irq_line **out);

/* Stop the resampler, deassign the irqfds (IRQFD lines), close and
 * free; accepts NULL. Destroy a VM's lines before the VM. */
void mvm_irq_line_destroy(struct mvm_irq_line *line);

/*
 * Set the line high (raise), low (lower), or high then low (pulse: one
 * edge, which is what an edge-triggered input latches). Returns 0 or
 * -errno.
 *
 * On an MVM_IRQ_IRQFD line, pulse is one write to an edge irqfd (KVM
 * asserts and deasserts the GSI itself). raise and lower use a second,
 * level irqfd with KVM_IRQFD_FLAG_RESAMPLE, set up on the first raise
 * with its resampler thread: KVM holds the GSI until the guest's EOI,
 * and the resampler re-asserts it after each EOI while the line is
 * high. KVM can only drop the GSI at an EOI, so a lower takes effect at
 * the guest's next EOI and an interrupt already asserted is delivered
 * once more. raise returns -EOPNOTSUPP without KVM_CAP_IRQFD_RESAMPLE.
 */
int mvm_irq_raise(struct mvm_irq_line *line);
int mvm_irq_lower(struct mvm_irq_line *line);
int mvm_irq_pulse(struct mvm_irq_line *line);

/* The line's GSI, and the level last set (0 after a pulse). */
unsigned mvm_irq_gsi(const struct mvm_irq_line *line);
int mvm_irq_level(const struct mvm_irq_line *line);

/* The edge eventfd of an MVM_IRQ_IRQFD line (-1 for other kinds):
 * writing 1 to it is a pulse, for code that only has the fd (an I/O
 * thread, another process). */
int mvm_irq_eventfd(const struct mvm_irq_line *line);

#pragma GCC visibility pop

#endif
