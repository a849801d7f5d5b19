/*
 * vpci.h - struct mvm_virtio_pci, shared by the virtio-pci transport's
 * two files: pci.c (the registers and capabilities) and pci_kick.c (the
 * ioeventfd fast path). Programs see it only as a pointer.
 */
#ifndef MINIVMM_VPCI_H
#define MINIVMM_VPCI_H

#include <pthread.h>

#include "minivmm/virtio_pci.h"
#include "virtio_internal.h"

struct mvm_virtio_pci {
	struct mvm_virtio_dev *dev; /* the device behind the function */
	struct mvm_pci_dev *func;   /* its PCI function */
	struct mvm_machine *m;	    /* for ioeventfds; NULL in unit tests */
	pthread_mutex_t lock;	    /* guards the fields below */
	uint32_t dfselect;	    /* device_feature_select */
	uint32_t gfselect;	    /* driver_feature_select */
	uint16_t qsel;		    /* queue_select */
	uint8_t pcicfg;		    /* offset of the PCI_CFG capability */
	/* Fast path (pci_kick.c): one ioeventfd per queue. */
	int fast;			 /* ioeventfds in use */
	int kick[MVM_VIRTIO_MAX_QUEUES]; /* eventfds, -1 when unused */
	uint64_t kick_at;		 /* notify base they are on; 0: off */
	int stop;			 /* eventfd that ends the thread */
	pthread_t thread;		 /* the thread that serves the kicks */
	int have_thread;		 /* thread was started */
	struct vgate gate;		 /* the machine's pause waits for it */
};

/* Little-endian stores into register images and capabilities. */
static inline void vpci_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void vpci_put32(uint8_t *p, uint32_t v)
{
	vpci_put16(p, (uint16_t)v);
	vpci_put16(p + 2, (uint16_t)(v >> 16));
}

static inline void vpci_put64(uint8_t *p, uint64_t v)
{
	vpci_put32(p, (uint32_t)v);
	vpci_put32(p + 4, (uint32_t)(v >> 32));
}

/* pci.c: BAR 0's registers. */
extern const struct mvm_dev_ops mvm_vpci_bar_ops;

/* pci_kick.c: start the thread and eventfds (0, or -errno and nothing
 * left); follow the BAR to addr (0: decoding off); undo everything. */
int mvm_vpci_fast_start(struct mvm_virtio_pci *t);
void mvm_vpci_fast_map(struct mvm_virtio_pci *t, uint64_t addr);
void mvm_vpci_fast_stop(struct mvm_virtio_pci *t);
/* The gate of the kick thread, for the machine's pause hook. */
struct vgate *mvm_vpci_gate(struct mvm_virtio_pci *t);

#endif
