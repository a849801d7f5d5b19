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

/* MSI-X state (pci_msix.c). Its own mutex is taken under dev->lock
 * (interrupts) and t->lock (vector fields); while it is held only the
 * machine's GSI routing table's lock is taken (pci_msifd.c), nothing
 * else. */
struct vpci_msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl; /* one table entry */
};
/* A vector's irqfd route (pci_msifd.c): while `routed`, writing 1 to efd
 * sends (addr, data) from inside KVM through GSI gsi. */
struct vpci_msifd {
	int routed;    /* efd is bound to gsi, gsi routed to the message */
	int efd;       /* the irqfd (valid while routed) */
	unsigned gsi;  /* its GSI (MVM_GSI_MSI_FIRST and up) */
	uint64_t addr; /* the message the route carries now */
	uint32_t data;
};
struct vpci_msix {
	pthread_mutex_t lock; /* guards the fields below */
	int on;		      /* the capability exists */
	uint8_t cap;	      /* its offset in configuration space */
	uint16_t nvec;	      /* table size: nqueues + 1 */
	uint16_t ctrl;	      /* Message Control as the guest last wrote it */
	struct vpci_msix_entry table[MVM_VPCI_MSIX_VECTORS];
	uint32_t pending;			   /* PBA bits */
	uint16_t config_vec;			   /* config_msix_vector */
	uint16_t queue_vec[MVM_VIRTIO_MAX_QUEUES]; /* queue_msix_vector */
	uint64_t seen[MVM_VIRTIO_MAX_QUEUES];	   /* vq->irqs last looked at */
	struct mvm_virtio_pci_msix stats;	   /* counters, last message */
	/* irqfd routes (MVM_VIRTIO_PCI_MSI_IRQFD), else routes is NULL */
	struct mvm_gsi_routes *routes; /* the machine's table */
	struct vpci_msifd fd[MVM_VPCI_MSIX_VECTORS];
	unsigned route_warned; /* routes KVM refused (logged once) */
};

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
	struct vpci_msix msix;		 /* MSI-X (pci_msix.c) */
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

/* pci_msix.c: add the capability (before the guest runs; 0 or -errno);
 * the guest wrote configuration bytes [off, off + len); deliver `cause`
 * by MSI-X (dev->lock held; 1: done, 0: MSI-X is off, use INTx); the
 * vector fields of the common configuration (t->lock held; set returns
 * the value stored: NO_VECTOR for a vector the table does not have);
 * a device reset; BAR 1's registers. */
int mvm_vpci_msix_add(struct mvm_virtio_pci *t);
void mvm_vpci_msix_cfg_write(struct mvm_virtio_pci *t, uint32_t off,
			     uint32_t len);
int mvm_vpci_msix_irq(struct mvm_virtio_pci *t, unsigned cause);
uint16_t mvm_vpci_msix_get(struct mvm_virtio_pci *t, int queue);
void mvm_vpci_msix_set(struct mvm_virtio_pci *t, int queue, uint16_t vec);
void mvm_vpci_msix_reset(struct mvm_virtio_pci *t);
extern const struct mvm_dev_ops mvm_vpci_msix_ops;

/* pci_msifd.c (msix.lock held but for start and stop): take the
 * machine's routing table (0, or -errno: messages keep going by
 * KVM_SIGNAL_MSI); make each vector's route agree with the table entry,
 * Message Control and the mask bits; send vector v through its route (1)
 * or not (0: no route, the caller signals); remove every route. */
int mvm_vpci_msifd_start(struct mvm_virtio_pci *t);
void mvm_vpci_msifd_sync(struct mvm_virtio_pci *t);
int mvm_vpci_msifd_send(struct mvm_virtio_pci *t, unsigned v);
void mvm_vpci_msifd_stop(struct mvm_virtio_pci *t);

/* pci_kick.c: start the thread and eventfds (0, or -errno and nothing
 * left); follow the BAR to addr (0: decoding off); undo everything. */
int mvm_vpci_fast_start(struct mvm_virtio_pci *t);
void mvm_vpci_fast_map(struct mvm_virtio_pci *t, uint64_t addr);
void mvm_vpci_fast_stop(struct mvm_virtio_pci *t);
/* The gate of the kick thread, for the machine's pause hook. */
struct vgate *mvm_vpci_gate(struct mvm_virtio_pci *t);

#endif
