/*
 * bus.h - the device bus: one shape for every emulated device.
 *
 * A VM has two buses, one for the 64 KiB port I/O space and one for MMIO.
 * A device is a `const struct mvm_dev_ops` plus an opaque pointer,
 * registered for a [base, base + len) range. When the guest touches the
 * range, the run step calls the device with the offset from its own base,
 * so a UART's code says "register 5 (LSR)", never "port 0x3fd".
 *
 * Ranges may not overlap (mvm_bus_register() refuses with -EEXIST): a
 * real bus has one decoder per address, and ambiguity here would hide bugs.
 *
 * Compare kvmtool's ioport/mmio handlers and kvm-host's bus.c; both use
 * one handler type for PIO and MMIO, as we do.
 */
#ifndef MINIVMM_BUS_H
#define MINIVMM_BUS_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stddef.h>
#include <stdint.h>

struct mvm_vcpu;

/* A device's write handler may return this to ask the run loop to stop
 * (e.g. the guest said "done"); mvm_vcpu_run() then returns. */
#define MVM_IO_STOP 1

/* [slide:dev-ops] */
struct mvm_dev_ops {
	const char *name; /* short, for logs and the debugger: "uart8250" */
	/*
	 * Guest reads `len` (1, 2, 4 or 8) bytes at `offset`. Fill data.
	 * Return 0 or -errno (logged; the guest then reads all ones).
	 * `vcpu` is the vCPU whose exit this is (NULL when the VMM itself
	 * pokes the device, e.g. a test or the debugger). With several
	 * vCPUs, two threads may call one device at once: a device guards
	 * its own state (machine.h, "Threads").
	 */
	int (*read)(void *dev, struct mvm_vcpu *vcpu, uint64_t offset,
		    void *data, uint32_t len);
	/* Guest writes. Return 0, MVM_IO_STOP, or -errno (logged). */
	int (*write)(void *dev, struct mvm_vcpu *vcpu, uint64_t offset,
		     const void *data, uint32_t len);
	/* Back to power-on state. Optional. */
	void (*reset)(void *dev);
	/* Snapshot support: bytes written/read, or -errno. Optional. */
	int (*save)(void *dev, void *buf, size_t len);
	int (*load)(void *dev, const void *buf, size_t len);
};
/* [/slide:dev-ops] */

#define MVM_BUS_MAX_DEVS 32

struct mvm_bus_entry {
	uint64_t base;		       /* first address claimed */
	uint64_t len;		       /* number of addresses claimed */
	const struct mvm_dev_ops *ops; /* what to call */
	void *dev;		       /* passed back to ops */
};

struct mvm_bus {
	const char *name; /* "pio" or "mmio", for messages */
	int n;		  /* entries used, sorted by base */
	struct mvm_bus_entry e[MVM_BUS_MAX_DEVS];
};

void mvm_bus_init(struct mvm_bus *bus, const char *name);

/* Claim [base, base + len). -EINVAL (len 0, wraps, no ops), -EEXIST
 * (overlaps an existing device) or -ENOSPC. */
int mvm_bus_register(struct mvm_bus *bus, uint64_t base, uint64_t len,
		     const struct mvm_dev_ops *ops, void *dev);

/* Release the range starting exactly at base. 0 or -ENOENT. */
int mvm_bus_unregister(struct mvm_bus *bus, uint64_t base);

/* The entry whose range contains [addr, addr + len), or NULL. An access
 * that straddles two devices belongs to neither. */
const struct mvm_bus_entry *mvm_bus_find(const struct mvm_bus *bus,
					 uint64_t addr, uint32_t len);

/*
 * Deliver one access. Returns what the device returned, or -ENOENT when
 * no device claims [addr, addr + len). For a read that fails or that no
 * device claims, data is filled with all ones (0xff bytes), as an ISA bus
 * with nothing driving it reads.
 */
int mvm_bus_access(const struct mvm_bus *bus, struct mvm_vcpu *vcpu,
		   uint64_t addr, int is_write, void *data, uint32_t len);

/* Call every device's reset. */
void mvm_bus_reset(const struct mvm_bus *bus);

#pragma GCC visibility pop

#endif
