/*
 * pci.h - a small PCI host bridge: bus 0, configuration mechanism #1,
 * BARs in the MMIO window, INTx on the machine's interrupt lines.
 *
 * Lab 4 (virtio) puts virtio-pci devices behind it; Linux's own PCI
 * code enumerates it. What the guest sees:
 *
 *   port 0xCF8  CONFIG_ADDRESS (32-bit only): bit 31 enable, 23:16 bus,
 *               15:11 device, 10:8 function, 7:2 dword register
 *   port 0xCFC  CONFIG_DATA: 1, 2 or 4 bytes of that dword (0xCFC-0xCFF)
 *               (PCI Local Bus Spec 3.0, 3.2.2.3.2)
 *   bus 0, device 0: the host bridge (class 06 00 00)
 *   bus 0, devices 1..: what mvm_pci_add() plugged in, function 0 only
 *   anything else: reads all ones (an absent device's Vendor ID reads
 *               0xFFFF, spec 6.2.1), writes are dropped
 *
 * Each device has a 256-byte type-0 configuration header (spec 6.1):
 * IDs and class are read-only, Command has I/O, memory, bus-master and
 * interrupt-disable bits, the BARs answer the sizing protocol (write all
 * ones, read back ~(size - 1) with the type bits, spec 6.2.5.1), and a
 * capabilities list (spec 6.7) starts at 0x40. The bridge acts as the
 * firmware too: mvm_pci_add() gives every BAR an address in the windows
 * of layout.h (MVM_PCI_MMIO_BASE, MVM_PCI_IO_BASE) and writes the
 * Interrupt Line register, but leaves decoding off (Command = 0, as at
 * reset) until the guest turns it on. A guest may move a BAR anywhere;
 * only accesses inside the windows reach devices.
 *
 * INTx: device slot s's INTA# is wired to GSI MVM_PCI_INTX_GSI(s) (four
 * lines, slots share them as PC boards do). The line is the OR of every
 * device on it that asserts INTx with interrupt-disable clear (spec
 * 6.2.2, bit 10; status bit 3 shows the device's own request).
 *
 * Threads: one mutex per bridge guards every configuration space and
 * the INTx state. Device callbacks (BAR accesses, cfg_*, map) are
 * called without it, so a device may call mvm_pci_set_intx() from them.
 * mvm_pci_add() and mvm_pci_attach() only while no vCPU runs.
 */
#ifndef MINIVMM_PCI_H
#define MINIVMM_PCI_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stdint.h>

#include "bus.h"
#include "log.h"

/* Configuration mechanism #1 (spec 3.2.2.3.2). */
#define MVM_PCI_CONFIG_ADDRESS 0x0 /* offset from MVM_PORT_PCI_CONFIG */
#define MVM_PCI_CONFIG_DATA    0x4
#define MVM_PCI_ADDR_ENABLE    0x80000000u

/* Type-0 header registers (spec 6.1, Figure 6-1). */
#define MVM_PCI_VENDOR_ID     0x00
#define MVM_PCI_DEVICE_ID     0x02
#define MVM_PCI_COMMAND	      0x04
#define MVM_PCI_STATUS	      0x06
#define MVM_PCI_REVISION      0x08
#define MVM_PCI_CLASS	      0x09 /* prog IF, subclass, base class */
#define MVM_PCI_CACHE_LINE    0x0c
#define MVM_PCI_HEADER_TYPE   0x0e
#define MVM_PCI_BAR0	      0x10
#define MVM_PCI_SUBSYS_VID    0x2c
#define MVM_PCI_SUBSYS_ID     0x2e
#define MVM_PCI_ROM	      0x30
#define MVM_PCI_CAP_PTR	      0x34
#define MVM_PCI_INT_LINE      0x3c
#define MVM_PCI_INT_PIN	      0x3d
#define MVM_PCI_CAP_START     0x40 /* first capability */
#define MVM_PCI_CFG_SIZE      256
#define MVM_PCI_NBARS	      6
#define MVM_PCI_INT_LINE_NONE 0xff /* "unknown or no connection" (6.2.4) */

/* Command (spec 6.2.2) and Status (6.2.3) bits. */
#define MVM_PCI_CMD_IO		 0x0001
#define MVM_PCI_CMD_MEM		 0x0002
#define MVM_PCI_CMD_MASTER	 0x0004
#define MVM_PCI_CMD_INTX_DISABLE 0x0400
#define MVM_PCI_STATUS_INTX	 0x0008
#define MVM_PCI_STATUS_CAP_LIST	 0x0010

/* Low bits of a BAR (spec 6.2.5.1). */
#define MVM_PCI_BAR_IO	     0x1 /* I/O space (else memory) */
#define MVM_PCI_BAR_MEM64    0x4 /* memory, 64-bit: takes two BAR slots */
#define MVM_PCI_BAR_PREFETCH 0x8 /* memory, prefetchable */

/* MSI-X (spec 6.8.2): capability ID, Message Control bits, the BIR in
 * the low 3 bits of the Table and PBA offset registers, and one 16-byte
 * table entry (address low, address high, data, vector control). */
#define MVM_PCI_CAP_ID_MSIX	  0x11
#define MVM_PCI_MSIX_CTRL	  2 /* le16 Message Control */
#define MVM_PCI_MSIX_TABLE	  4 /* le32 Table Offset / Table BIR */
#define MVM_PCI_MSIX_PBA	  8 /* le32 PBA Offset / PBA BIR */
#define MVM_PCI_MSIX_CAP_LEN	  12
#define MVM_PCI_MSIX_QSIZE	  0x07ff /* table size - 1 */
#define MVM_PCI_MSIX_FMASK	  0x4000 /* function mask */
#define MVM_PCI_MSIX_ENABLE	  0x8000 /* MSI-X enable */
#define MVM_PCI_MSIX_BIR	  0x7
#define MVM_PCI_MSIX_ENTRY	  16
#define MVM_PCI_MSIX_ENTRY_DATA	  8
#define MVM_PCI_MSIX_ENTRY_CTRL	  12
#define MVM_PCI_MSIX_ENTRY_MASKED 0x1 /* vector control: masked */

/* Devices: slot 0 is the host bridge, slots 1..MVM_PCI_MAX_DEVS the rest
 * (a bus has 32 device numbers; we keep the table small). */
#define MVM_PCI_MAX_DEVS 8

/* A placeholder vendor ID for the host bridge and devices that are not
 * virtio; not registered to minivmm. Guests should match on the class. */
#define MVM_PCI_VENDOR_MINIVMM 0x1234
#define MVM_PCI_DEVICE_HOST    0x0001

struct mvm_pci;
struct mvm_pci_dev;
struct mvm_machine;

/* One BAR. size 0: not implemented (reads 0, ignores writes). */
struct mvm_pci_bar {
	uint64_t size;	/* power of two; memory >= 16, I/O 4..256 */
	unsigned flags; /* MVM_PCI_BAR_IO, _MEM64, _PREFETCH */
	const struct mvm_dev_ops *ops; /* accesses, offset from the BAR */
	void *dev;		       /* passed to ops */
};

/* What a device looks like; copied by mvm_pci_add(). */
struct mvm_pci_info {
	const char *name;	/* for logs: "virtio-blk" */
	uint16_t vendor;	/* Vendor ID (not 0xFFFF) */
	uint16_t device;	/* Device ID */
	uint32_t class_code;	/* base << 16 | subclass << 8 | prog IF */
	uint8_t revision;	/* Revision ID */
	uint16_t subsys_vendor; /* Subsystem Vendor ID */
	uint16_t subsys;	/* Subsystem ID */
	int intx;		/* 1: the device has INTA# */
	/* A 64-bit BAR i uses slot i + 1 for its upper half: leave it empty. */
	struct mvm_pci_bar bar[MVM_PCI_NBARS];
	/* Optional: the guest wrote len bytes at off (>= MVM_PCI_CAP_START)
	 * into writable capability bytes; the new bytes are in place. */
	void (*cfg_write)(void *ctx, struct mvm_pci_dev *d, uint32_t off,
			  uint32_t len);
	/* Optional: the guest is about to read len bytes at off (>=
	 * MVM_PCI_CAP_START); the device may refresh them first with
	 * mvm_pci_cfg_put() (a window register such as virtio's pci_cfg). */
	void (*cfg_read)(void *ctx, struct mvm_pci_dev *d, uint32_t off,
			 uint32_t len);
	/* Optional: BAR bar now decodes at addr (0: no longer decoded), for
	 * devices that register ioeventfds on it. */
	void (*map)(void *ctx, int bar, uint64_t addr);
	void *ctx; /* passed to cfg_write, cfg_read and map */
};

/* The bridge with its host bridge device, not yet on a machine. log may
 * be NULL. 0 or -ENOMEM. */
int mvm_pci_create(const struct mvm_log *log, struct mvm_pci **out);
/* Free the bridge and its devices' configuration (not the device models
 * behind the BARs); accepts NULL. Destroy after the machine it is on. */
void mvm_pci_destroy(struct mvm_pci *pci);

/* Put the bridge on machine m: ports MVM_PORT_PCI_CONFIG, the I/O and
 * MMIO windows, and the INTx lines when the machine has an interrupt
 * controller (without one, Interrupt Line reads 0xFF). Only while no
 * vCPU runs. 0 or -errno (-EEXIST: a range is taken). */
int mvm_pci_attach(struct mvm_pci *pci, struct mvm_machine *m);

/* Plug a device into the next free slot, its BARs placed in the windows.
 * 0 and *out (may be NULL), or -EINVAL (bad BAR size or flags, vendor
 * 0xFFFF), -ENOSPC (no slot or no window space left). */
int mvm_pci_add(struct mvm_pci *pci, const struct mvm_pci_info *info,
		struct mvm_pci_dev **out);

/* Take d off the bus (its slot then reads as empty and is not reused)
 * and free it; accepts NULL. Only while no vCPU runs: for a device whose
 * setup failed after mvm_pci_add(). */
void mvm_pci_unplug(struct mvm_pci_dev *d);

/* Append a capability (spec 6.7): cap[0] is its ID, cap[1] is overwritten
 * with the next pointer. len >= 2, rounded up to 4 bytes. wmask NULL: read
 * only; else its set bits are guest-writable. Returns the capability's
 * offset, or -ENOSPC / -EINVAL. Before the guest runs. */
int mvm_pci_add_cap(struct mvm_pci_dev *d, const void *cap, uint32_t len,
		    const void *wmask);

/* Read / write the device's configuration bytes from the host side (no
 * masks; a device filling its capability, a test). 0 or -EINVAL. */
int mvm_pci_cfg_get(struct mvm_pci_dev *d, uint32_t off, void *buf,
		    uint32_t len);
int mvm_pci_cfg_put(struct mvm_pci_dev *d, uint32_t off, const void *buf,
		    uint32_t len);

/* Assert (1) or deassert (0) the device's INTx. 0 or -errno from the
 * line; 0 when the device has no INTx or the machine no lines. */
int mvm_pci_set_intx(struct mvm_pci_dev *d, int level);

/* Where BAR bar decodes now: its address with decoding enabled, else 0. */
uint64_t mvm_pci_bar_addr(struct mvm_pci_dev *d, int bar);
/* The device's slot (device number on bus 0). */
int mvm_pci_slot(const struct mvm_pci_dev *d);

/* The bridge's three ranges, for mvm_pci_attach() and for unit tests
 * that drive them directly (offsets from the range bases in layout.h). */
extern const struct mvm_dev_ops mvm_pci_config_ops; /* 8 ports */
extern const struct mvm_dev_ops mvm_pci_mmio_ops;   /* MMIO window */
extern const struct mvm_dev_ops mvm_pci_io_ops;	    /* I/O window */

#pragma GCC visibility pop

#endif
