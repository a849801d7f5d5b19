/*
 * devstate.c - the state of devices emulated in user space, as blobs.
 *
 * KVM knows nothing of a UART or a CMOS clock that lives in the VMM, so
 * each such device saves itself: its save() writes a blob, its load()
 * checks and takes one (struct mvm_dev_ops, bus.h). Every blob opens
 * with struct mvm_devstate_hdr (state.h), so a blob given to the wrong
 * device, or written by an older layout, or cut short, is refused with
 * -EINVAL before a byte of it is used: a snapshot file is input, and
 * input is checked (STYLE.md 5).
 *
 * mvm_bus_save_all() strings the blobs of a whole bus together, each
 * after a record header naming the base address it belongs to:
 *
 *   [base u64][size u32][pad u32][blob of size bytes] [base][size]...
 */
#include <errno.h>
#include <string.h>

#include "internal.h"
#include "minivmm/state.h"

int mvm_devstate_put(void *buf, size_t len, uint32_t magic, uint16_t version,
		     const void *body, size_t body_len)
{
	struct mvm_devstate_hdr h = {magic, version, 0};
	size_t total = sizeof(h) + body_len;

	if (!buf || total > UINT16_MAX)
		return -EINVAL;
	if (len < total)
		return -ENOSPC;
	h.size = (uint16_t)total;
	memcpy(buf, &h, sizeof(h));
	memcpy((char *)buf + sizeof(h), body, body_len);
	return (int)total;
}

int mvm_devstate_take(const void *buf, size_t len, uint32_t magic,
		      uint16_t version, void *body, size_t body_len)
{
	struct mvm_devstate_hdr h;

	if (!buf || len != sizeof(h) + body_len)
		return -EINVAL;
	memcpy(&h, buf, sizeof(h));
	if (h.magic != magic || h.version != version || h.size != len)
		return -EINVAL;
	memcpy(body, (const char *)buf + sizeof(h), body_len);
	return 0;
}

/* The record header in front of each device's blob in a bus image. */
struct bus_record {
	uint64_t base; /* where the device is registered */
	uint32_t size; /* bytes of its blob that follow */
	uint32_t pad;  /* zero */
};

int mvm_bus_save_all(const struct mvm_bus *bus, void *buf, size_t len)
{
	size_t off = 0;

	if (!bus || !buf)
		return -EINVAL;
	for (int i = 0; i < bus->n; i++) {
		const struct mvm_bus_entry *e = bus->e + i;
		struct bus_record rec = {e->base, 0, 0};
		int n;

		if (!e->ops->save)
			continue;
		if (len - off < sizeof(rec))
			return -ENOSPC;
		n = e->ops->save(e->dev, (char *)buf + off + sizeof(rec),
				 len - off - sizeof(rec));
		if (n < 0)
			return n;
		rec.size = (uint32_t)n;
		memcpy((char *)buf + off, &rec, sizeof(rec));
		off += sizeof(rec) + (size_t)n;
	}
	return off > INT32_MAX ? -EOVERFLOW : (int)off;
}

/* The device registered exactly at base, with a load(); NULL if none. */
static const struct mvm_bus_entry *loader_at(const struct mvm_bus *bus,
					     uint64_t base)
{
	for (int i = 0; i < bus->n; i++)
		if (bus->e[i].base == base && bus->e[i].ops->load)
			return &bus->e[i];
	return NULL;
}

int mvm_bus_load_all(const struct mvm_bus *bus, const void *buf, size_t len)
{
	size_t off = 0;

	if (!bus || (!buf && len))
		return -EINVAL;
	while (off < len) {
		const struct mvm_bus_entry *e;
		struct bus_record rec;
		int r;

		if (len - off < sizeof(rec))
			return -EINVAL;
		memcpy(&rec, (const char *)buf + off, sizeof(rec));
		off += sizeof(rec);
		if (rec.size > len - off || rec.pad)
			return -EINVAL;
		e = loader_at(bus, rec.base);
		if (!e)
			return -ENOENT;
		r = e->ops->load(e->dev, (const char *)buf + off, rec.size);
		if (r < 0)
			return r;
		off += rec.size;
	}
	return 0;
}
