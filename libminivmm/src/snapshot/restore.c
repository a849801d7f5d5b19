/*
 * restore.c - build a machine from a snapshot file (format in
 * snapshot.h).
 *
 * Three steps, and nothing is built before the first two pass:
 *   1. read.c checks the whole file (headers, crcs, bounds, END);
 *   2. every section is checked against the config (sizes, vCPU count,
 *      RAM slot 0 the size the config says);
 *   3. a machine is created from the config and the state put in: RAM
 *      mapped (or copied), VM state, then each vCPU's (state.h's order),
 *      then each device's blob.
 * A failure in step 3 destroys the half-built machine: the caller gets
 * a whole restored machine or none.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "machine/machine_internal.h"
#include "minivmm/labmsr.h"
#include "minivmm/state.h"
#include "snapfile.h"
#include "virtio/virtio_internal.h"

#define SECT_ERR(log, i, s, fmt, ...)                                        \
	mvm_logf(log, MVM_LOG_ERROR, "snapshot: section %d (%s %llu): " fmt, \
		 i, mvm_snap_type_name((s)->type),                           \
		 (unsigned long long)(s)->aux, __VA_ARGS__)

uint64_t mvm_snap_body_size(unsigned type)
{
	switch (type) {
	case MVM_SNAP_CONFIG:
		return sizeof(struct snap_config);
	case MVM_SNAP_VM:
		return sizeof(struct mvm_vm_state);
	case MVM_SNAP_VCPU:
		return sizeof(struct mvm_vcpu_state);
	case MVM_SNAP_CHAIN:
		return sizeof(struct snap_chain);
	default:
		return 0;
	}
}

/* Step 2: does every section fit the config? A diff (diff 1) has no
 * RAM of its own: chain_read.c checks its DIFF sections. */
int mvm_snap_check_config(const struct snap_image *img, int diff,
			  const struct mvm_log *log)
{
	const struct snap_config *c = img->body[0];
	uint64_t cpus = 0;
	int ram = 0;

	if (img->sect[0].type != MVM_SNAP_CONFIG ||
	    img->sect[0].length != sizeof(*c)) {
		SECT_ERR(log, 0, &img->sect[0], "%s",
			 "the first section must be the config");
		return -EINVAL;
	}
	for (int i = 1; i < img->nsects; i++) {
		const struct snap_sect_hdr *s = &img->sect[i];
		uint64_t want = mvm_snap_body_size(s->type);

		if (want && s->length != want) {
			SECT_ERR(log, i, s,
				 "%llu bytes where this build has %llu",
				 (unsigned long long)s->length,
				 (unsigned long long)want);
			return -EINVAL;
		}
		if (s->type == MVM_SNAP_VCPU && s->aux != cpus++) {
			SECT_ERR(log, i, s, "%s", "vCPUs out of order");
			return -EINVAL;
		}
		if ((s->type == MVM_SNAP_RAM && diff) ||
		    (s->type == MVM_SNAP_DIFF && !diff)) {
			SECT_ERR(log, i, s, "%s",
				 diff ? "whole RAM in a diff"
				      : "a diff's pages outside a diff");
			return -EINVAL;
		}
		if (s->type == MVM_SNAP_RAM && s->aux == 0) {
			if (s->length != c->ram_size) {
				SECT_ERR(log, i, s,
					 "%llu bytes of RAM where the config "
					 "says %llu",
					 (unsigned long long)s->length,
					 (unsigned long long)c->ram_size);
				return -EINVAL;
			}
			ram = 1;
		}
	}
	ram |= diff;
	if (cpus != c->ncpus || !ram || c->ncpus == 0) {
		SECT_ERR(
			log, 0, &img->sect[0],
			"%u vCPUs and RAM promised, %llu vCPU sections%s found",
			c->ncpus, (unsigned long long)cpus,
			ram ? "" : " and no RAM");
		return -EINVAL;
	}
	return 0;
}

/* One RAM section into the machine: over the slot at its GPA, or as a
 * new slot; mapped copy-on-write unless MVM_SNAP_COPY. */
static int put_ram(struct mvm_vm *vm, const struct snap_image *img, int i,
		   unsigned flags)
{
	const struct snap_sect_hdr *s = &img->sect[i];
	struct mvm_memmap *mem = mvm_vm_mem(vm);
	const struct mvm_slot *slot = mvm_memmap_find(mem, s->aux);
	int rc = 0, idx;

	if (slot && (slot->gpa != s->aux || slot->size != s->length)) {
		SECT_ERR(mvm_vm_log(vm), i, s, "%s",
			 "overlaps a slot of another size");
		return -EINVAL;
	}
	if (!slot) {
		idx = mvm_vm_mem_add_fd(
			vm, s->aux, s->length, img->fd, s->offset,
			MVM_MEM_PRIVATE | (s->flags & MVM_MEM_READONLY));
		rc = idx < 0 ? idx : 0;
		slot = idx < 0 ? NULL : &mem->slots[idx];
	} else if (flags & MVM_SNAP_COPY) {
		rc = mvm_snap_read_at(img->fd, slot->hva, s->length, s->offset);
	} else {
		rc = mvm_vm_mem_replace_fd(vm, (int)(slot - mem->slots),
					   img->fd, s->offset, MVM_MEM_PRIVATE);
	}
	if (!rc && (flags & MVM_SNAP_VERIFY) &&
	    mvm_snap_ram_crc(slot->hva, slot->size) != s->body_crc) {
		SECT_ERR(mvm_vm_log(vm), i, s, "%s",
			 "RAM checksum mismatch (--verify)");
		rc = -EBADMSG;
	}
	return rc;
}

/* A DEVICE section to the device at the same bus, base and name, or to
 * the virtio device in the slot it names (MVM_SNAP_DEV_VIRTIO). */
static int put_device(struct mvm_machine *m, const struct snap_sect_hdr *s,
		      const void *body, int i)
{
	const struct mvm_bus *bus = s->flags == MVM_SNAP_DEV_MMIO
					    ? mvm_vm_mmio_bus(m->vm)
					    : mvm_vm_pio_bus(m->vm);
	int rc;

	if (s->flags == MVM_SNAP_DEV_VIRTIO)
		return mvm_machine_virtio_load_slot(
			m, s->aux > UINT32_MAX ? UINT32_MAX : (unsigned)s->aux,
			s->name, body, s->length);
	if (s->flags > MVM_SNAP_DEV_VIRTIO) {
		SECT_ERR(&m->log, i, s, "device on unknown bus %u", s->flags);
		return -EINVAL;
	}
	for (int k = 0; k < bus->n; k++) {
		const struct mvm_bus_entry *e = &bus->e[k];

		if (e->base != s->aux || !e->ops->load ||
		    strcmp(e->ops->name, s->name))
			continue;
		rc = e->ops->load(e->dev, body, s->length);
		if (rc < 0)
			SECT_ERR(&m->log, i, s, "device '%s' refused it: %s",
				 s->name, strerror(-rc));
		return rc < 0 ? rc : 0;
	}
	SECT_ERR(&m->log, i, s, "no device '%s' at %#llx on the %s bus",
		 s->name, (unsigned long long)s->aux, bus->name);
	return -ENOENT;
}

int mvm_snap_apply(struct mvm_machine *m, int i, const struct snap_sect_hdr *s,
		   const void *body)
{
	switch (s->type) {
	case MVM_SNAP_VM:
		return mvm_vm_state_set(m->vm, body);
	case MVM_SNAP_VCPU:
		if (s->aux >= (uint64_t)mvm_vm_ncpus(m->vm))
			return -EINVAL;
		return mvm_vcpu_state_set(mvm_vm_vcpu(m->vm, (int)s->aux),
					  body);
	case MVM_SNAP_DEVICE:
		return put_device(m, s, body, i);
	case MVM_SNAP_LABMSR:
		if (!(m->devices & MVM_MDEV_LAB1))
			return -ENOENT;
		return mvm_labmsr_load(&m->labmsr, body, s->length);
	default:
		return -EINVAL;
	}
}

/* Step 3 after the build: sections in state.h's order (VM before
 * vCPUs); RAM first, so that nothing reads memory not yet there. A
 * chain takes RAM from its base (from = 0, to = 1), then its diffs'
 * pages, then the state from the file asked for (from = 1). */
static const unsigned order[] = {MVM_SNAP_RAM, MVM_SNAP_VM, MVM_SNAP_VCPU,
				 MVM_SNAP_DEVICE, MVM_SNAP_LABMSR};
#define NORDER (sizeof(order) / sizeof(order[0]))

static int apply(struct mvm_machine *m, const struct snap_image *img,
		 unsigned flags, unsigned from, unsigned to)
{
	int rc = 0;

	for (unsigned o = from; o < to; o++)
		for (int i = 1; !rc && i < img->nsects; i++) {
			const struct snap_sect_hdr *s = &img->sect[i];

			if (s->type != order[o])
				continue;
			if (s->type == MVM_SNAP_RAM)
				rc = put_ram(m->vm, img, i, flags);
			else
				rc = mvm_snap_apply(m, i, s, img->body[i]);
			if (rc)
				SECT_ERR(&m->log, i, s, "not restored: %s",
					 strerror(-rc));
		}
	return rc;
}

/* Build and fill the machine: from img alone, or from a chain whose
 * files cs holds (cs->n > 1, img its tip). */
static int build(struct snap_image *img, const struct snap_chainset *cs,
		 const struct mvm_machine_config *base, unsigned flags,
		 struct mvm_machine **out)
{
	const struct snap_image *ram = cs->n > 1 ? cs->img[cs->n - 1] : img;
	int rc = mvm_snap_build(img->body[0], base, out);

	if (!rc)
		rc = apply(*out, ram, flags, 0, 1);
	if (!rc && cs->n > 1)
		rc = mvm_snap_chain_apply(*out, cs);
	if (!rc)
		rc = apply(*out, img, flags, 1, NORDER);
	return rc;
}

int mvm_snapshot_restore(const char *path,
			 const struct mvm_machine_config *base, unsigned flags,
			 struct mvm_machine **out)
{
	const struct mvm_log *log = base ? &base->log : NULL;
	struct snap_chainset cs = {.n = 1};
	const struct snap_chain *ch;
	struct snap_image *img;
	int rc;

	if (!path || !out)
		return -EINVAL;
	*out = NULL;
	img = malloc(sizeof(*img));
	if (!img)
		return -ENOMEM;
	rc = mvm_snap_image_open(img, path, log);
	if (rc) {
		free(img);
		return rc;
	}
	ch = mvm_snap_chain_of(img);
	rc = mvm_snap_check_config(img, ch && ch->seq, log);
	if (!rc && ch && ch->seq)
		rc = mvm_snap_chain_open(&cs, img, path, log);
	if (!rc)
		rc = build(img, &cs, base, flags, out);
	if (rc) {
		mvm_machine_destroy(*out);
		*out = NULL;
	}
	mvm_snap_chain_close(&cs);
	/* The slots keep their own dup of the file. */
	mvm_snap_image_close(img);
	free(img);
	return rc;
}
