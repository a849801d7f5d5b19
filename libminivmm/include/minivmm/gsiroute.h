/*
 * gsiroute.h - a VM's whole GSI routing table, and MSI routes on it.
 *
 * KVM turns an irqfd write or a KVM_IRQ_LINE into an interrupt by looking
 * the GSI up in the VM's routing table (Documentation/virt/kvm/api.rst
 * 4.52, KVM_SET_GSI_ROUTING). KVM_CREATE_IRQCHIP installs a default
 * table: GSI 0-15 to the PIC pair and the IOAPIC, GSI 16-23 to the
 * IOAPIC only. A GSI can instead carry a message (KVM_IRQ_ROUTING_MSI):
 * an irqfd bound to it (4.75, KVM_IRQFD) then delivers that MSI from
 * inside the kernel, with no ioctl and no VMM thread on the way.
 *
 * KVM_SET_GSI_ROUTING replaces the table as a whole and there is no call
 * to read it back, so the VMM must keep the whole table itself: this
 * object starts with KVM's default entries (the interrupt lines of irq.h
 * rely on them) and adds, changes or removes MSI routes on GSIs from
 * MVM_GSI_MSI_FIRST up, writing the whole table each time.
 *
 * Threads: every call may come from any thread (a vCPU thread handling a
 * guest's MSI-X table write, the main thread); the object serialises
 * them with its own mutex, held across the ioctl. Create and destroy
 * from one thread while no other uses it. Each call returns 0 or -errno
 * and logs a failure through the VM's log.
 */
#ifndef MINIVMM_GSIROUTE_H
#define MINIVMM_GSIROUTE_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stdint.h>

struct mvm_vm;
struct mvm_gsi_routes;

/* The IOAPIC's 24 inputs come first; MSI routes take the GSIs above. */
#define MVM_GSI_MSI_FIRST 24
#define MVM_GSI_MSI_MAX	  232 /* MSI routes at most (GSI 24-255) */

/* Is addr an x86 MSI address: bits 63-20 are 0FEEh, the rest names the
 * destination (Intel SDM Vol. 3, 11.11.1)? */
static inline int mvm_msi_addr_valid(uint64_t addr)
{
	return (addr & ~0xfffffULL) == 0xfee00000ULL;
}

/* A table holding KVM's default entries (nothing is written to KVM
 * until the first MSI route). -EOPNOTSUPP without KVM_CAP_IRQ_ROUTING
 * or KVM_CAP_IRQFD; the VM needs its in-kernel irqchip. */
int mvm_gsi_routes_create(struct mvm_vm *vm, struct mvm_gsi_routes **out);
/* Free; accepts NULL. The routes stay in KVM until the VM goes (remove
 * them first with mvm_gsi_route_msi_del() to reuse the VM). */
void mvm_gsi_routes_destroy(struct mvm_gsi_routes *r);

/* Route a free GSI to the message (addr, data) and return it in *gsi.
 * addr must be an x86 MSI address (0xFEExxxxx, Intel SDM Vol. 3,
 * 11.11.1): -EINVAL otherwise; -ENOSPC when every MSI GSI is taken. */
int mvm_gsi_route_msi_add(struct mvm_gsi_routes *r, uint64_t addr,
			  uint32_t data, unsigned *gsi);
/* Point the MSI route of gsi at another message (irqfds bound to it
 * follow at once, api.rst 4.75). */
int mvm_gsi_route_msi_set(struct mvm_gsi_routes *r, unsigned gsi, uint64_t addr,
			  uint32_t data);
/* Remove the route; gsi is free again. Deassign its irqfds first: a
 * write to an irqfd whose GSI has no route is lost. */
int mvm_gsi_route_msi_del(struct mvm_gsi_routes *r, unsigned gsi);

/* The table's counters, for tests and --stats. */
struct mvm_gsi_routes_info {
	unsigned msi;	 /* MSI routes in the table now */
	uint64_t writes; /* KVM_SET_GSI_ROUTING calls so far */
};
void mvm_gsi_routes_info(struct mvm_gsi_routes *r,
			 struct mvm_gsi_routes_info *out);

#pragma GCC visibility pop

#endif
