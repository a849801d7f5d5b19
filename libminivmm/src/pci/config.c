/*
 * config.c - the 256-byte configuration space of one PCI function.
 *
 * The guest reads and writes a device's configuration space a few bytes
 * at a time through CONFIG_DATA (host.c). Which bits it may change is
 * kept as a write mask beside the bytes: a write keeps the masked-off
 * bits and takes the others from the guest, so read-only registers (the
 * IDs, the class, the low type bits of a BAR) need no special case, and
 * a BAR's mask ~(size - 1) is what makes the sizing protocol work:
 *
 *   write 0xFFFFFFFF to a 4 KiB memory BAR -> it holds 0xFFFFF000 | type
 *   the guest reads it back, clears the type bits, negates and adds one:
 *   ~0xFFFFF000 + 1 = 0x1000, the size (PCI Local Bus Spec 3.0, 6.2.5.1)
 *
 * Garbage written to a BAR is just an address the BAR now claims; the
 * bridge only routes accesses inside its windows, so no value can make
 * the VMM touch anything else.
 */
#include <errno.h>
#include <string.h>

#include "pci_internal.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

uint16_t mvm_pci_cfg16(const struct mvm_pci_dev *d, uint32_t off)
{
	return (uint16_t)(d->cfg[off] | d->cfg[off + 1] << 8);
}

/* 1: BAR i is implemented, 0: empty, -EINVAL: a description the guest
 * could not size (not a power of two, wrong type bits, a 64-bit BAR in
 * the last slot or with its upper slot in use). */
int mvm_pci_bar_valid(const struct mvm_pci_info *info, int i)
{
	const struct mvm_pci_bar *b = &info->bar[i];
	int upper = i > 0 && (info->bar[i - 1].flags & MVM_PCI_BAR_MEM64) &&
		    info->bar[i - 1].size;

	if (!b->size)
		return 0;
	if (upper || (b->size & (b->size - 1)) || !b->ops)
		return -EINVAL;
	if (b->flags & MVM_PCI_BAR_IO)
		return b->flags == MVM_PCI_BAR_IO && b->size >= 4 &&
				       b->size <= 256
			       ? 1
			       : -EINVAL;
	if (b->flags & ~(unsigned)(MVM_PCI_BAR_MEM64 | MVM_PCI_BAR_PREFETCH))
		return -EINVAL;
	if ((b->flags & MVM_PCI_BAR_MEM64) && i == MVM_PCI_NBARS - 1)
		return -EINVAL;
	return b->size >= 16 && b->size <= MVM_PCI_MMIO_SIZE ? 1 : -EINVAL;
}

/* The header a device powers up with (spec 6.1, 6.2); BAR addresses come
 * from d->home, which the bridge filled. */
void mvm_pci_cfg_init(struct mvm_pci_dev *d)
{
	const struct mvm_pci_info *in = &d->info;

	memset(d->cfg, 0, sizeof(d->cfg));
	memset(d->wmask, 0, sizeof(d->wmask));
	put16(d->cfg + MVM_PCI_VENDOR_ID, in->vendor);
	put16(d->cfg + MVM_PCI_DEVICE_ID, in->device);
	d->cfg[MVM_PCI_REVISION] = in->revision;
	d->cfg[MVM_PCI_CLASS] = (uint8_t)in->class_code;
	d->cfg[MVM_PCI_CLASS + 1] = (uint8_t)(in->class_code >> 8);
	d->cfg[MVM_PCI_CLASS + 2] = (uint8_t)(in->class_code >> 16);
	put16(d->cfg + MVM_PCI_SUBSYS_VID, in->subsys_vendor);
	put16(d->cfg + MVM_PCI_SUBSYS_ID, in->subsys);
	d->cfg[MVM_PCI_INT_PIN] = in->intx ? 1 : 0; /* 1 = INTA# */
	d->cfg[MVM_PCI_INT_LINE] = MVM_PCI_INT_LINE_NONE;
	put16(d->wmask + MVM_PCI_COMMAND, MVM_PCI_CMD_IO | MVM_PCI_CMD_MEM |
						  MVM_PCI_CMD_MASTER |
						  MVM_PCI_CMD_INTX_DISABLE);
	d->wmask[MVM_PCI_CACHE_LINE] = 0xff;
	d->wmask[MVM_PCI_INT_LINE] = 0xff;
	for (int i = 0; i < MVM_PCI_NBARS; i++) {
		const struct mvm_pci_bar *b = &in->bar[i];
		uint8_t *w = d->wmask + MVM_PCI_BAR0 + 4 * i;

		if (mvm_pci_bar_valid(in, i) != 1)
			continue;
		if (b->flags & MVM_PCI_BAR_IO) {
			put32(w, ~(uint32_t)(b->size - 1) & ~3u);
			continue;
		}
		put32(w, ~(uint32_t)(b->size - 1) & ~0xfu);
		if (b->flags & MVM_PCI_BAR_MEM64)
			put32(w + 4, 0xffffffffu);
	}
	d->cap_end = MVM_PCI_CAP_START;
	d->cap_last = 0;
	mvm_pci_cfg_reset(d);
}

/* Reset (RST#): decoding off, BARs back where the firmware put them. */
void mvm_pci_cfg_reset(struct mvm_pci_dev *d)
{
	uint16_t st = mvm_pci_cfg16(d, MVM_PCI_STATUS);

	put16(d->cfg + MVM_PCI_COMMAND, 0);
	st &= (uint16_t)~MVM_PCI_STATUS_INTX;
	put16(d->cfg + MVM_PCI_STATUS, st);
	for (int i = 0; i < MVM_PCI_NBARS; i++)
		put32(d->cfg + MVM_PCI_BAR0 + 4 * i, d->home[i]);
	d->intx = 0;
}

/* len bytes (1..4, inside the space) at off, little-endian. */
uint32_t mvm_pci_cfg_read(const struct mvm_pci_dev *d, uint32_t off,
			  uint32_t len)
{
	uint32_t v = 0;

	for (uint32_t i = 0; i < len; i++)
		v |= (uint32_t)d->cfg[off + i] << (8 * i);
	return v;
}

void mvm_pci_cfg_write(struct mvm_pci_dev *d, uint32_t off, uint32_t val,
		       uint32_t len)
{
	for (uint32_t i = 0; i < len; i++) {
		uint8_t m = d->wmask[off + i], b = (uint8_t)(val >> (8 * i));

		d->cfg[off + i] = (uint8_t)((d->cfg[off + i] & ~m) | (b & m));
	}
}

uint64_t mvm_pci_bar_decode(const struct mvm_pci_dev *d, int i)
{
	const struct mvm_pci_bar *b = &d->info.bar[i];
	uint16_t cmd = mvm_pci_cfg16(d, MVM_PCI_COMMAND);
	uint32_t lo = get32(d->cfg + MVM_PCI_BAR0 + 4 * i);
	uint64_t addr;

	if (mvm_pci_bar_valid(&d->info, i) != 1)
		return 0;
	if (b->flags & MVM_PCI_BAR_IO)
		return (cmd & MVM_PCI_CMD_IO) ? lo & ~3u : 0;
	if (!(cmd & MVM_PCI_CMD_MEM))
		return 0;
	addr = lo & ~0xfu;
	if (b->flags & MVM_PCI_BAR_MEM64)
		addr |= (uint64_t)get32(d->cfg + MVM_PCI_BAR0 + 4 * i + 4)
			<< 32;
	return addr;
}

int mvm_pci_cfg_get(struct mvm_pci_dev *d, uint32_t off, void *buf,
		    uint32_t len)
{
	if (off > MVM_PCI_CFG_SIZE || len > MVM_PCI_CFG_SIZE - off)
		return -EINVAL;
	pthread_mutex_lock(&d->pci->lock);
	memcpy(buf, d->cfg + off, len);
	pthread_mutex_unlock(&d->pci->lock);
	return 0;
}

int mvm_pci_cfg_put(struct mvm_pci_dev *d, uint32_t off, const void *buf,
		    uint32_t len)
{
	if (off > MVM_PCI_CFG_SIZE || len > MVM_PCI_CFG_SIZE - off)
		return -EINVAL;
	pthread_mutex_lock(&d->pci->lock);
	memcpy(d->cfg + off, buf, len);
	pthread_mutex_unlock(&d->pci->lock);
	return 0;
}

/* Capabilities (spec 6.7): a linked list through byte 1 of each, headed
 * by Capabilities Pointer (0x34), announced by Status bit 4. */
int mvm_pci_add_cap(struct mvm_pci_dev *d, const void *cap, uint32_t len,
		    const void *wmask)
{
	uint32_t at = d->cap_end, size = (len + 3) & ~3u;

	if (!cap || len < 2)
		return -EINVAL;
	if (len > MVM_PCI_CFG_SIZE || size > MVM_PCI_CFG_SIZE - at)
		return -ENOSPC;
	pthread_mutex_lock(&d->pci->lock);
	memcpy(d->cfg + at, cap, len);
	d->cfg[at + 1] = 0; /* end of list */
	if (wmask) {
		memcpy(d->wmask + at, wmask, len);
		d->wmask[at] = d->wmask[at + 1] = 0; /* ID and link stay */
	}
	if (d->cap_last)
		d->cfg[d->cap_last + 1] = (uint8_t)at;
	else
		d->cfg[MVM_PCI_CAP_PTR] = (uint8_t)at;
	d->cfg[MVM_PCI_STATUS] |= MVM_PCI_STATUS_CAP_LIST;
	d->cap_last = (uint8_t)at;
	d->cap_end = at + size;
	pthread_mutex_unlock(&d->pci->lock);
	return (int)at;
}
