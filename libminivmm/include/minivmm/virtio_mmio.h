/*
 * virtio_mmio.h - the virtio-mmio transport, version 2 (virtio 1.2, 4.2).
 *
 * The simplest way to put a virtio device (virtio.h) in front of a
 * guest: a 0x200-byte block of 32-bit registers at a fixed address, and
 * one interrupt line. There is no bus to enumerate, so the guest must be
 * told where the blocks are: Linux reads `virtio_mmio.device=0x200@ADDR:
 * IRQ` from its command line (drivers/virtio/virtio_mmio.c), our own
 * guests take the addresses from layout.h.
 *
 * Two ways a kick and an interrupt travel (switchable, for comparison):
 *
 *   plain   the guest's QueueNotify write exits to user space like any
 *           MMIO access; the vCPU thread calls the device; interrupts go
 *           through the machine's line (KVM_IRQ_LINE or Lab 3's PIC).
 *   fast    (MVM_VIRTIO_MMIO_FAST) QueueNotify is an ioeventfd per queue
 *           (KVM_IOEVENTFD, api.rst 4.59): KVM signals an eventfd and
 *           resumes the guest at once; the transport's thread calls the
 *           device. Interrupts are an irqfd (KVM_IRQFD, 4.75): a write
 *           to an eventfd, no ioctl on the path. Needs the in-kernel
 *           irqchip.
 */
#ifndef MINIVMM_VIRTIO_MMIO_H
#define MINIVMM_VIRTIO_MMIO_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "virtio.h"

/* mvm_virtio_mmio_create() flags. */
#define MVM_VIRTIO_MMIO_FAST (1u << 0) /* ioeventfd kicks, irqfd interrupts */

struct mvm_virtio_mmio;

/* The bus ops of a transport; dev is the struct mvm_virtio_mmio. */
extern const struct mvm_dev_ops mvm_virtio_mmio_ops;

/*
 * Put dev at layout.h's slot `slot` of machine m: registers the block
 * on the MMIO bus (while no vCPU runs) and takes the slot's interrupt
 * line; with MVM_VIRTIO_MMIO_FAST also the ioeventfds, the irqfd and the
 * transport's thread. m NULL: a transport on no bus and with no line,
 * for unit tests that call mvm_virtio_mmio_ops themselves. A machine
 * without an interrupt controller gives a device with no interrupt (a
 * guest that polls the used ring still works). 0 or -errno (logged).
 */
int mvm_virtio_mmio_create(struct mvm_machine *m, struct mvm_virtio_dev *dev,
			   unsigned slot, unsigned flags,
			   struct mvm_virtio_mmio **out);
/* Stop the thread, remove ioeventfds and irqfd, free; accepts NULL.
 * Call it with no vCPU running and before the machine's VM goes; the
 * block stays on the bus, so the machine must not run again after. */
void mvm_virtio_mmio_destroy(struct mvm_virtio_mmio *t);

/* Whether the fast path is in use (it falls back to plain, logged, when
 * the machine cannot do it). */
int mvm_virtio_mmio_fast(const struct mvm_virtio_mmio *t);

/*
 * The Linux command-line word that announces slot `slot`:
 * "virtio_mmio.device=0x200@0xc0000000:5". Needs a kernel with
 * CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES. Returns what snprintf returns.
 */
int mvm_virtio_mmio_cmdline(char *buf, size_t size, unsigned slot);

#pragma GCC visibility pop

#endif
