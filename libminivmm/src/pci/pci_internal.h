/*
 * pci_internal.h - the host bridge's structures, shared by config.c (one
 * function's configuration space) and host.c (the bridge: ports,
 * windows, INTx). Programs see them only as pointers (pci.h).
 */
#ifndef MINIVMM_PCI_INTERNAL_H
#define MINIVMM_PCI_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "minivmm/irq.h"
#include "minivmm/layout.h"
#include "minivmm/pci.h"

/* One device (function 0 of a slot). */
struct mvm_pci_dev {
	struct mvm_pci *pci;		 /* owner */
	int slot;			 /* device number on bus 0 */
	struct mvm_pci_info info;	 /* as plugged in */
	uint8_t cfg[MVM_PCI_CFG_SIZE];	 /* what the guest reads */
	uint8_t wmask[MVM_PCI_CFG_SIZE]; /* guest-writable bits */
	uint32_t home[MVM_PCI_NBARS];	 /* BAR values the "firmware" set */
	uint64_t mapped[MVM_PCI_NBARS];	 /* last address told to map() */
	uint32_t cap_end;		 /* first free capability byte */
	uint8_t cap_last;		 /* offset of the last capability */
	int intx;			 /* the device asks for INTx */
	int intx_on;			 /* ... and it reaches the line */
};

/* The bridge. */
struct mvm_pci {
	pthread_mutex_t lock;	   /* guards everything below */
	const struct mvm_log *log; /* may be NULL */
	uint32_t addr;		   /* CONFIG_ADDRESS latch */
	int ndevs;		   /* slots used, host bridge included */
	struct mvm_pci_dev *dev[MVM_PCI_MAX_DEVS + 1]; /* by slot */
	uint64_t mmio_next, io_next;  /* "firmware" BAR allocation */
	int attached;		      /* on a machine */
	struct mvm_irq_line *line[4]; /* INTx lines by slot % 4, or NULL */
	int asserted[4];	      /* devices asserting each line */
};

/* host.c: recompute d's INTx and its line (lock held). */
int mvm_pci_intx_update(struct mvm_pci *pci, struct mvm_pci_dev *d);

/* config.c: the configuration space of one function. */
void mvm_pci_cfg_init(struct mvm_pci_dev *d);
void mvm_pci_cfg_reset(struct mvm_pci_dev *d);
uint32_t mvm_pci_cfg_read(const struct mvm_pci_dev *d, uint32_t off,
			  uint32_t len);
void mvm_pci_cfg_write(struct mvm_pci_dev *d, uint32_t off, uint32_t val,
		       uint32_t len);
int mvm_pci_bar_valid(const struct mvm_pci_info *info, int i);
/* Where BAR i decodes (0: not decoded, not implemented, or the upper
 * half of a 64-bit BAR). */
uint64_t mvm_pci_bar_decode(const struct mvm_pci_dev *d, int i);
uint16_t mvm_pci_cfg16(const struct mvm_pci_dev *d, uint32_t off);

/* pci_state.c: the bridge's save()/load() (struct mvm_dev_ops). */
int mvm_pci_state_save(void *dev, void *buf, size_t len);
int mvm_pci_state_load(void *dev, const void *buf, size_t len);

#endif
