/*
 * config.c - the CONFIG section: what a machine was built from, out of
 * a machine (save, migration's source) and back into a new one
 * (restore, migration's target), plus quieting a machine's device
 * threads while its state is read.
 *
 * A snapshot does not hold a virtio disk's data, only its absolute
 * path (taken from the open file, so a disk named by a relative path
 * restores from anywhere): the disk is shared state, like a real disk
 * under a suspended laptop. Restoring against a file of another size
 * is refused by virtio-blk's own state (blk.c); base->disk, when a
 * caller gives one, replaces the recorded path.
 */
#include <errno.h>
#include <string.h>

#include "machine/machine_internal.h"
#include "minivmm/virtio_devs.h"
#include "snapfile.h"
#include "virtio/virtio_internal.h"

int mvm_snap_config_fill(struct mvm_machine *m, struct snap_config *c)
{
	struct mvm_vm *vm = m->vm;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	*c = (struct snap_config){
		.ram_size = mvm_vm_ram_size(vm),
		.ncpus = (uint32_t)mvm_vm_ncpus(vm),
		.irqchip = m->cfg.irqchip,
		.devices = m->devices,
		.vm_flags = m->cfg.vm_flags,
		.mode = m->mode,
		.hlt = m->cfg.hlt,
		.page_size = m->cfg.page_size,
		.map_size = m->cfg.map_size,
		.pt_cr3 = vm->pt.cr3,
		.pt_page = vm->pt.page,
		.pt_map = vm->pt.map,
		.img_kind = m->img.kind,
		.img_nseg = m->img.nsegments,
		.img_entry = m->img.entry,
		.img_lo = m->img.lo,
		.img_hi = m->img.hi,
		.virtio = m->virtio ? m->cfg.virtio : 0,
		.virtio_transport = (uint32_t)m->cfg.virtio_transport,
		.virtio_plain = (uint32_t)m->cfg.virtio_plain,
		.disk_ro = (uint32_t)m->cfg.disk_ro,
	};
	if (m->virtio && m->virtio->blk)
		rc = mvm_virtio_blk_path(m->virtio->blk, c->disk,
					 sizeof(c->disk));
	if (rc)
		mvm_logf(&m->log, MVM_LOG_ERROR,
			 "snapshot: the disk's path: %s (at most %u bytes)",
			 strerror(-rc), SNAP_DISK_PATH - 1);
	return rc;
}

/* The machine the config describes, empty; the VMM-side facts of the
 * last load (mode, image, page tables) as they were. */
int mvm_snap_build(const struct snap_config *c,
		   const struct mvm_machine_config *base,
		   struct mvm_machine **out)
{
	struct mvm_machine_config cfg = {0};
	int rc;

	if (base)
		cfg = *base;
	cfg.ram_size = c->ram_size;
	cfg.ncpus = (int)c->ncpus;
	cfg.irqchip = (enum mvm_irqchip)c->irqchip;
	cfg.devices = c->devices;
	cfg.vm_flags = c->vm_flags;
	cfg.image = NULL;
	cfg.mode = c->mode;
	cfg.hlt = (enum mvm_hlt_policy)c->hlt;
	cfg.page_size = c->page_size;
	cfg.map_size = c->map_size;
	cfg.virtio = c->virtio;
	cfg.virtio_transport = (int)c->virtio_transport;
	cfg.virtio_plain = (int)c->virtio_plain;
	cfg.disk_ro = (int)c->disk_ro;
	if (!base || !base->disk)
		cfg.disk = memchr(c->disk, 0, sizeof(c->disk)) && c->disk[0]
				   ? c->disk
				   : NULL;
	rc = mvm_machine_create(&cfg, out);
	if (rc)
		return rc;
	(*out)->cfg.disk = NULL; /* c goes with the image; blk has its fd */
	(*out)->mode = (enum mvm_cpu_mode)c->mode;
	(*out)->img = (struct mvm_image_info){(enum mvm_image_kind)c->img_kind,
					      c->img_entry, c->img_lo,
					      c->img_hi, c->img_nseg};
	(*out)->vm->pt.cr3 = c->pt_cr3;
	(*out)->vm->pt.page = c->pt_page;
	(*out)->vm->pt.map = c->pt_map;
	return 0;
}

int mvm_snap_quiesce(struct mvm_machine *m)
{
	int started;

	pthread_mutex_lock(&m->lock);
	started = m->started;
	pthread_mutex_unlock(&m->lock);
	return started ? 0 : mvm_machine_pause(m) == 0;
}

void mvm_snap_quiesce_end(struct mvm_machine *m, int paused)
{
	if (paused)
		mvm_machine_resume(m);
}
