/*
 * virtio_pci.h - the virtio-pci transport, modern interface (virtio 1.2,
 * 4.1), on minivmm's PCI host bridge (pci.h).
 *
 * A virtio device (virtio.h) becomes a PCI function with vendor 0x1AF4
 * and device ID 0x1040 + its virtio device ID (4.1.2.1). Its registers
 * sit in one 16 KiB memory BAR, and vendor-specific capabilities (ID
 * 0x09, 4.1.4) in configuration space tell the driver where:
 *
 *   BAR 0 + 0x0000  common configuration (4.1.4.3): features, status,
 *                   queue select, size, enable, areas
 *   BAR 0 + 0x1000  ISR status, one byte; reading it clears it and
 *                   deasserts INTx (4.1.4.5)
 *   BAR 0 + 0x2000  device-specific configuration (4.1.4.6)
 *   BAR 0 + 0x3000  notifications: queue q at 0x3000 + 4 q (queue_notify_off
 *                   q, notify_off_multiplier 4; 4.1.4.4); the driver
 *                   writes the queue index there
 *
 * plus a VIRTIO_PCI_CAP_PCI_CFG capability, the window into the BAR
 * through configuration space alone that the spec requires (4.1.4.9).
 * Each region has its own page so a guest maps them apart, and the
 * notify page can be handed to KVM alone.
 *
 * Interrupts are INTx: the device's INTA# through the bridge to the
 * machine's line (pci.h). No MSI-X: the msix_vector fields read
 * VIRTIO_MSI_NO_VECTOR (0xffff) and ignore writes.
 *
 * Kicks, like virtio-mmio's (virtio_mmio.h): plain, every notify write
 * exits to user space and the vCPU thread calls the device; or fast
 * (MVM_VIRTIO_PCI_FAST), an ioeventfd per queue on its notify address
 * (re-registered when the guest moves the BAR or turns decoding off)
 * and a transport thread that calls the device.
 */
#ifndef MINIVMM_VIRTIO_PCI_H
#define MINIVMM_VIRTIO_PCI_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stdint.h>

#include "pci.h"
#include "virtio.h"

/* PCI identity (4.1.2). */
#define MVM_VPCI_VENDOR	     0x1af4
#define MVM_VPCI_DEVICE_BASE 0x1040 /* + virtio device ID: modern only */

/* Vendor capability (4.1.4): cfg_type values. */
#define MVM_VPCI_CAP_COMMON 1
#define MVM_VPCI_CAP_NOTIFY 2
#define MVM_VPCI_CAP_ISR    3
#define MVM_VPCI_CAP_DEVICE 4
#define MVM_VPCI_CAP_PCI    5

/* struct virtio_pci_cap's fields (4.1.4): byte offsets in the cap. */
#define MVM_VPCI_CAP_LEN_OFF	2  /* u8 cap_len */
#define MVM_VPCI_CAP_TYPE_OFF	3  /* u8 cfg_type */
#define MVM_VPCI_CAP_BAR_OFF	4  /* u8 bar */
#define MVM_VPCI_CAP_OFFSET_OFF 8  /* le32 offset within the bar */
#define MVM_VPCI_CAP_LENGTH_OFF 12 /* le32 length */
#define MVM_VPCI_CAP_MULT_OFF	16 /* notify: le32 notify_off_multiplier */
#define MVM_VPCI_CAP_DATA_OFF	16 /* pci_cfg: u8 pci_cfg_data[4] */

/* Where our device puts each region (BAR 0). */
#define MVM_VPCI_BAR	     0
#define MVM_VPCI_BAR_SIZE    0x4000
#define MVM_VPCI_COMMON	     0x0000
#define MVM_VPCI_ISR	     0x1000
#define MVM_VPCI_DEVICE	     0x2000
#define MVM_VPCI_NOTIFY	     0x3000
#define MVM_VPCI_REGION	     0x1000
#define MVM_VPCI_NOTIFY_MULT 4

/* Common configuration (4.1.4.3), byte offsets. */
#define MVM_VPCI_DFSELECT    0x00 /* le32 device_feature_select */
#define MVM_VPCI_DF	     0x04 /* le32 device_feature (R) */
#define MVM_VPCI_GFSELECT    0x08 /* le32 driver_feature_select */
#define MVM_VPCI_GF	     0x0c /* le32 driver_feature */
#define MVM_VPCI_MSIX_CONFIG 0x10 /* le16 config_msix_vector */
#define MVM_VPCI_NUM_QUEUES  0x12 /* le16 num_queues (R) */
#define MVM_VPCI_STATUS	     0x14 /* u8 device_status */
#define MVM_VPCI_CFG_GEN     0x15 /* u8 config_generation (R) */
#define MVM_VPCI_Q_SELECT    0x16 /* le16 queue_select */
#define MVM_VPCI_Q_SIZE	     0x18 /* le16 queue_size */
#define MVM_VPCI_Q_MSIX	     0x1a /* le16 queue_msix_vector */
#define MVM_VPCI_Q_ENABLE    0x1c /* le16 queue_enable */
#define MVM_VPCI_Q_NOFF	     0x1e /* le16 queue_notify_off (R) */
#define MVM_VPCI_Q_DESC	     0x20 /* le64 queue_desc */
#define MVM_VPCI_Q_DRIVER    0x28 /* le64 queue_driver (avail ring) */
#define MVM_VPCI_Q_DEVICE    0x30 /* le64 queue_device (used ring) */
#define MVM_VPCI_COMMON_LEN  0x38
#define MVM_VPCI_NO_VECTOR   0xffff

/* mvm_virtio_pci_create() flags. */
#define MVM_VIRTIO_PCI_FAST (1u << 0) /* ioeventfd kicks */

struct mvm_virtio_pci;

/*
 * Plug dev into the bridge pci as a new slot (while no vCPU runs). m is
 * the machine the bridge is on, for the fast path's ioeventfds; NULL in
 * unit tests (plain kicks). The fast path falls back to plain, logged,
 * when KVM cannot do it. 0 or -errno.
 */
int mvm_virtio_pci_create(struct mvm_pci *pci, struct mvm_machine *m,
			  struct mvm_virtio_dev *dev, unsigned flags,
			  struct mvm_virtio_pci **out);
/* Stop the thread and the ioeventfds, free; accepts NULL. The PCI slot
 * stays (the bridge has no hot-unplug), so destroy the bridge's machine
 * or never run it again. */
void mvm_virtio_pci_destroy(struct mvm_virtio_pci *t);

/* The PCI function, and whether kicks take the fast path. */
struct mvm_pci_dev *mvm_virtio_pci_func(struct mvm_virtio_pci *t);
int mvm_virtio_pci_fast(const struct mvm_virtio_pci *t);

#pragma GCC visibility pop

#endif
