/*
 * route.c - the VM's whole GSI routing table, kept by the VMM
 * (gsiroute.h).
 *
 * KVM_SET_GSI_ROUTING (api.rst 4.52) takes the complete table every
 * time, and KVM has no call to read it back. So the table lives here:
 * KVM's default entries, which KVM_CREATE_IRQCHIP installed and which the
 * interrupt lines of line.c (KVM_IRQ_LINE, irqfds on GSI 0-23) rely on,
 * followed by the MSI routes devices asked for. Every change rebuilds the
 * array and hands it to KVM; on failure the change is undone here too,
 * so this copy never disagrees with KVM's.
 *
 * The default table, as KVM builds it for an in-kernel irqchip
 * (api.rst 4.52: "GSIs 0-15 ... to both PIC and IOAPIC", 16-23 to the
 * IOAPIC): GSI g reaches IOAPIC pin g, and for g < 16 also pin g % 8 of
 * the master (g < 8) or slave PIC.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "minivmm/gsiroute.h"
#include "minivmm/irq.h"
#include "minivmm/kvm.h"
#include "minivmm/vm.h"

#define PIC_GSIS    16 /* two 8259As */
#define IOAPIC_GSIS 24 /* the IOAPIC's pins */
#define DEFAULTS    (PIC_GSIS + IOAPIC_GSIS)

struct msi_route {
	int used;      /* this GSI carries a message */
	uint64_t addr; /* the message: address ... */
	uint32_t data; /* ... and data */
};

struct mvm_gsi_routes {
	struct mvm_vm *vm;		       /* whose table */
	pthread_mutex_t lock;		       /* guards the fields below */
	struct msi_route msi[MVM_GSI_MSI_MAX]; /* GSI MVM_GSI_MSI_FIRST + i */
	unsigned nmsi;			       /* used entries */
	uint64_t writes;		       /* KVM_SET_GSI_ROUTING calls */
};

_Static_assert(MVM_GSI_MSI_FIRST == IOAPIC_GSIS,
	       "MSI routes start above the IOAPIC's pins");

static void irqchip_entry(struct kvm_irq_routing_entry *e, unsigned gsi,
			  unsigned chip, unsigned pin)
{
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

/* The whole table to KVM (lock held). */
static int commit(struct mvm_gsi_routes *r)
{
	struct kvm_irq_routing_entry e[DEFAULTS + MVM_GSI_MSI_MAX];
	unsigned n = 0;

	memset(e, 0, sizeof(e));
	for (unsigned g = 0; g < IOAPIC_GSIS; g++) {
		irqchip_entry(&e[n++], g, KVM_IRQCHIP_IOAPIC, g);
		if (g < PIC_GSIS)
			irqchip_entry(&e[n++], g,
				      g < 8 ? KVM_IRQCHIP_PIC_MASTER
					    : KVM_IRQCHIP_PIC_SLAVE,
				      g % 8);
	}
	for (unsigned i = 0; i < MVM_GSI_MSI_MAX; i++) {
		if (!r->msi[i].used)
			continue;
		e[n].gsi = MVM_GSI_MSI_FIRST + i;
		e[n].type = KVM_IRQ_ROUTING_MSI;
		e[n].u.msi.address_lo = (uint32_t)r->msi[i].addr;
		e[n].u.msi.address_hi = (uint32_t)(r->msi[i].addr >> 32);
		e[n].u.msi.data = r->msi[i].data;
		n++;
	}
	r->writes++;
	return mvm_vm_set_gsi_routing(r->vm, e, n);
}

int mvm_gsi_routes_create(struct mvm_vm *vm, struct mvm_gsi_routes **out)
{
	struct mvm_gsi_routes *r;
	int fd;

	*out = NULL;
	if (!vm)
		return -EINVAL;
	fd = mvm_vm_fd(vm);
	if (mvm_kvm_check_cap(fd, KVM_CAP_IRQ_ROUTING) <= 0 ||
	    mvm_kvm_check_cap(fd, KVM_CAP_IRQFD) <= 0) {
		mvm_logf(mvm_vm_log(vm), MVM_LOG_INFO,
			 "KVM lacks KVM_CAP_IRQ_ROUTING or KVM_CAP_IRQFD: no "
			 "MSI routes");
		return -EOPNOTSUPP;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->vm = vm;
	pthread_mutex_init(&r->lock, NULL);
	*out = r;
	return 0;
}

void mvm_gsi_routes_destroy(struct mvm_gsi_routes *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* The entry of an MSI GSI in use, or NULL. */
static struct msi_route *msi_of(struct mvm_gsi_routes *r, unsigned gsi)
{
	if (gsi < MVM_GSI_MSI_FIRST ||
	    gsi >= MVM_GSI_MSI_FIRST + MVM_GSI_MSI_MAX)
		return NULL;
	return r->msi[gsi - MVM_GSI_MSI_FIRST].used
		       ? &r->msi[gsi - MVM_GSI_MSI_FIRST]
		       : NULL;
}

static int bad_addr(struct mvm_gsi_routes *r, uint64_t addr)
{
	if (mvm_msi_addr_valid(addr))
		return 0;
	mvm_logf(mvm_vm_log(r->vm), MVM_LOG_ERROR,
		 "MSI route: 0x%llx is not an MSI address (0xfeexxxxx)",
		 (unsigned long long)addr);
	return 1;
}

/* Make entry m `to` (used 0: remove it) and write the table; undone on
 * failure, when KVM kept the old table (lock held). */
static int change(struct mvm_gsi_routes *r, struct msi_route *m,
		  struct msi_route to)
{
	struct msi_route old = *m;
	int rc;

	*m = to;
	rc = commit(r);
	if (rc < 0)
		*m = old;
	else if (to.used != old.used)
		r->nmsi = to.used ? r->nmsi + 1 : r->nmsi - 1;
	return rc;
}

int mvm_gsi_route_msi_add(struct mvm_gsi_routes *r, uint64_t addr,
			  uint32_t data, unsigned *gsi)
{
	int rc = -ENOSPC;

	if (!r || !gsi || bad_addr(r, addr))
		return -EINVAL;
	pthread_mutex_lock(&r->lock);
	for (unsigned i = 0; i < MVM_GSI_MSI_MAX; i++)
		if (!r->msi[i].used) {
			*gsi = MVM_GSI_MSI_FIRST + i;
			rc = change(r, &r->msi[i],
				    (struct msi_route){1, addr, data});
			break;
		}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

/* Change the existing route of gsi to `to`. */
static int update(struct mvm_gsi_routes *r, unsigned gsi, struct msi_route to)
{
	struct msi_route *m;
	int rc;

	pthread_mutex_lock(&r->lock);
	m = msi_of(r, gsi);
	rc = m ? change(r, m, to) : -ENOENT;
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int mvm_gsi_route_msi_set(struct mvm_gsi_routes *r, unsigned gsi, uint64_t addr,
			  uint32_t data)
{
	if (!r || bad_addr(r, addr))
		return -EINVAL;
	return update(r, gsi, (struct msi_route){1, addr, data});
}

int mvm_gsi_route_msi_del(struct mvm_gsi_routes *r, unsigned gsi)
{
	if (!r)
		return -EINVAL;
	return update(r, gsi, (struct msi_route){0, 0, 0});
}

void mvm_gsi_routes_info(struct mvm_gsi_routes *r,
			 struct mvm_gsi_routes_info *out)
{
	pthread_mutex_lock(&r->lock);
	out->msi = r->nmsi;
	out->writes = r->writes;
	pthread_mutex_unlock(&r->lock);
}
