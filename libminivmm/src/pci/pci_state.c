/*
 * pci_state.c - the host bridge in a snapshot: the CONFIG_ADDRESS latch
 * and each function's 256 configuration bytes and INTx request (the
 * bridge's save()/load() on its config ports, struct mvm_dev_ops).
 *
 * What the guest programmed into a function is its configuration space:
 * Command (decoding, bus mastering, interrupt disable), where each BAR
 * sits, Interrupt Line, and the writable capability bytes. A load does
 * not copy the file's bytes over the function: it writes them through
 * the write mask, as a guest's CONFIG_DATA write would (config.c), so a
 * read-only register (IDs, class, a BAR's size bits, a capability's
 * contents) keeps this build's value, and any difference from the file
 * then means the file describes another bus: refused, byte named. The
 * BARs then decode where the file says, and the devices are told
 * (map(), so virtio-pci's ioeventfds follow), as after a guest's write.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "minivmm/state.h"
#include "pci_internal.h"

#define PCI_STATE_MAGIC	  0x53494350u /* "PCIS" */
#define PCI_STATE_VERSION 1

struct pci_saved {
	uint32_t addr;	/* CONFIG_ADDRESS */
	uint32_t ndevs; /* slots used, host bridge included */
	struct {
		uint8_t cfg[MVM_PCI_CFG_SIZE]; /* as the guest reads it */
		uint32_t present;	       /* a function in the slot */
		uint32_t intx;		       /* it asks for INTx */
	} dev[MVM_PCI_MAX_DEVS + 1];
};

int mvm_pci_state_save(void *dev, void *buf, size_t len)
{
	struct mvm_pci *pci = dev;
	struct pci_saved s;

	memset(&s, 0, sizeof(s));
	pthread_mutex_lock(&pci->lock);
	s.addr = pci->addr;
	s.ndevs = (uint32_t)pci->ndevs;
	for (int i = 0; i < pci->ndevs; i++) {
		const struct mvm_pci_dev *d = pci->dev[i];

		if (!d)
			continue;
		memcpy(s.dev[i].cfg, d->cfg, sizeof(d->cfg));
		s.dev[i].present = 1;
		s.dev[i].intx = (uint32_t)d->intx;
	}
	pthread_mutex_unlock(&pci->lock);
	return mvm_devstate_put(buf, len, PCI_STATE_MAGIC, PCI_STATE_VERSION,
				&s, sizeof(s));
}

/* Slot i's bytes through the write mask; 0 or the first offset + 1 at
 * which the result is not the file's. Lock held. */
static int load_func(struct mvm_pci *pci, struct mvm_pci_dev *d,
		     const uint8_t *cfg, uint32_t intx)
{
	for (uint32_t off = 0; off < MVM_PCI_CFG_SIZE; off += 4)
		mvm_pci_cfg_write(d, off,
				  (uint32_t)cfg[off] | cfg[off + 1] << 8 |
					  cfg[off + 2] << 16 |
					  (uint32_t)cfg[off + 3] << 24,
				  4);
	d->intx = intx != 0;
	mvm_pci_intx_update(pci, d);
	for (uint32_t off = 0; off < MVM_PCI_CFG_SIZE; off++)
		if (d->cfg[off] != cfg[off])
			return (int)off + 1;
	return 0;
}

int mvm_pci_state_load(void *dev, const void *buf, size_t len)
{
	struct mvm_pci *pci = dev;
	uint64_t map[MVM_PCI_MAX_DEVS + 1][MVM_PCI_NBARS];
	struct pci_saved *s = malloc(sizeof(*s));
	int rc = 0, bad;

	if (!s)
		return -ENOMEM;
	if (mvm_devstate_take(buf, len, PCI_STATE_MAGIC, PCI_STATE_VERSION, s,
			      sizeof(*s)) ||
	    s->ndevs != (uint32_t)pci->ndevs) {
		mvm_logf(pci->log, MVM_LOG_ERROR,
			 "pci: not this build's bus state, or %u slots where "
			 "this bus has %d",
			 s->ndevs, pci->ndevs);
		free(s);
		return -EINVAL;
	}
	pthread_mutex_lock(&pci->lock);
	pci->addr = s->addr & 0x80fffffcu; /* as a guest write keeps it */
	for (int i = 0; !rc && i < pci->ndevs; i++) {
		struct mvm_pci_dev *d = pci->dev[i];

		if (!d != !s->dev[i].present) {
			mvm_logf(pci->log, MVM_LOG_ERROR,
				 "pci: slot %d: %s in the file, %s here", i,
				 d ? "empty" : "a function",
				 d ? "a function" : "empty");
			rc = -EINVAL;
			break;
		}
		bad = d ? load_func(pci, d, s->dev[i].cfg, s->dev[i].intx) : 0;
		if (bad) {
			mvm_logf(pci->log, MVM_LOG_ERROR,
				 "pci: slot %d: config byte %#x is %#x in the "
				 "file, %#x here (read-only: another device)",
				 i, bad - 1, s->dev[i].cfg[bad - 1],
				 d->cfg[bad - 1]);
			rc = -EINVAL;
		}
		for (int b = 0; d && b < MVM_PCI_NBARS; b++)
			map[i][b] = d->mapped[b] = mvm_pci_bar_decode(d, b);
	}
	pthread_mutex_unlock(&pci->lock);
	/* The devices learn where their BARs decode, without our lock. */
	for (int i = 0; !rc && i < pci->ndevs; i++)
		for (int b = 0; pci->dev[i] && b < MVM_PCI_NBARS; b++)
			if (map[i][b] && pci->dev[i]->info.map)
				pci->dev[i]->info.map(pci->dev[i]->info.ctx, b,
						      map[i][b]);
	free(s);
	return rc;
}
