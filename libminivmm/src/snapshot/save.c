/*
 * save.c - write a machine to a snapshot file (format in snapshot.h).
 *
 * Order: CONFIG, (CHAIN), VM, each VCPU, each DEVICE, LABMSR, each RAM
 * slot (a diff: each DIFF, chain.c), END, and the file header last (it
 * counts the sections). RAM pages that are
 * all zero are not written: the file gets a hole there (pwrite past
 * them), which reads back as zeros, so an idle 1 GiB guest makes a
 * small file. For memfd RAM, lseek(SEEK_DATA) skips pages never touched
 * without even reading them (lseek(2): tmpfs reports holes).
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "machine/machine_internal.h"
#include "minivmm/labmsr.h"
#include "minivmm/state.h"
#include "snapfile.h"
#include "virtio/virtio_internal.h"

int mvm_snap_write_at(int fd, const void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done,
				   (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += (size_t)n;
	}
	return 0;
}

/* The digest (snapshot.h, "Diff chains") is over the headers as
 * written, each with its body's crc, but not its own crc: a CRC over
 * data followed by that data's CRC is the same constant for any data,
 * so a digest over whole headers would not depend on them. */
int mvm_snap_put_hdr(struct snap_writer *w, struct snap_sect_hdr *s)
{
	int rc;

	s->hdr_crc = mvm_snap_sect_hdr_crc(s);
	rc = mvm_snap_write_at(w->fd, s, sizeof(*s), w->off);
	if (rc)
		return rc;
	w->digest = mvm_crc32(w->digest, s,
			      offsetof(struct snap_sect_hdr, hdr_crc));
	w->nsects++;
	w->off = snap_align(s->offset + s->length, 8);
	return 0;
}

static int put_section(struct snap_writer *w, unsigned type, unsigned flags,
		       uint64_t aux, const char *name, const void *body,
		       size_t len)
{
	struct snap_sect_hdr s = {.type = type,
				  .flags = flags,
				  .aux = aux,
				  .offset = w->off + sizeof(s),
				  .length = len};
	int rc;

	snprintf(s.name, sizeof(s.name), "%s", name);
	s.body_crc = mvm_crc32(0, body, len);
	rc = len ? mvm_snap_write_at(w->fd, body, len, s.offset) : 0;
	return rc ? rc : mvm_snap_put_hdr(w, &s);
}

static int put_cpus(struct mvm_machine *m, mvm_snap_emit_fn *emit, void *ctx)
{
	struct mvm_vcpu_state *st = malloc(sizeof(*st));
	struct mvm_vm_state vst;
	int rc = st ? mvm_vm_state_get(m->vm, &vst) : -ENOMEM;

	if (!rc)
		rc = emit(ctx, MVM_SNAP_VM, 0, 0, "vm", &vst, sizeof(vst));
	for (int i = 0; !rc && i < mvm_vm_ncpus(m->vm); i++) {
		rc = mvm_vcpu_state_get(mvm_vm_vcpu(m->vm, i), st);
		if (!rc)
			rc = emit(ctx, MVM_SNAP_VCPU, 0, (uint64_t)i, "vcpu",
				  st, sizeof(*st));
	}
	free(st);
	return rc;
}

/* Each device with a save(), by bus, base and name. A blob's size is
 * a u16 (state.h), so one buffer of that size holds any. */
static int put_devices(struct mvm_machine *m, mvm_snap_emit_fn *emit, void *ctx)
{
	const struct mvm_bus *bus[2] = {mvm_vm_pio_bus(m->vm),
					mvm_vm_mmio_bus(m->vm)};
	const size_t len = UINT16_MAX;
	uint8_t *blob = malloc(len);
	int rc = blob ? 0 : -ENOMEM;

	for (unsigned b = 0; b < 2; b++)
		for (int i = 0; !rc && i < bus[b]->n; i++) {
			const struct mvm_bus_entry *e = &bus[b]->e[i];
			int n;

			if (!e->ops->save)
				continue;
			n = e->ops->save(e->dev, blob, len);
			rc = n < 0 ? n
				   : emit(ctx, MVM_SNAP_DEVICE, b, e->base,
					  e->ops->name, blob, (size_t)n);
		}
	/* virtio devices by slot: their transports are not bus entries
	 * with a save() of their own (virtio_state.c). */
	for (unsigned slot = 0; !rc && slot < MVM_VIRTIO_MMIO_SLOTS; slot++) {
		const char *name = NULL;
		int n = mvm_machine_virtio_save_slot(m, slot, &name, blob, len);

		rc = n <= 0 ? n
			    : emit(ctx, MVM_SNAP_DEVICE, MVM_SNAP_DEV_VIRTIO,
				   slot, name, blob, (size_t)n);
	}
	if (!rc && (m->devices & MVM_MDEV_LAB1)) {
		int n = mvm_labmsr_save(&m->labmsr, blob, len);

		rc = n < 0 ? n
			   : emit(ctx, MVM_SNAP_LABMSR, 0, 0, "labmsr", blob,
				  (size_t)n);
	}
	free(blob);
	return rc;
}

int mvm_snap_emit_state(struct mvm_machine *m, mvm_snap_emit_fn *emit,
			void *ctx)
{
	int rc = put_cpus(m, emit, ctx);

	return rc ? rc : put_devices(m, emit, ctx);
}

/* The file writer as an emitter (mvm_snap_emit_state()). */
static int emit_to_file(void *ctx, unsigned type, unsigned flags, uint64_t aux,
			const char *name, const void *body, size_t len)
{
	return put_section(ctx, type, flags, aux, name, body, len);
}

/* Where the next page with data may be: SEEK_DATA on a shared memfd,
 * else simply the next page. */
static uint64_t next_data(const struct mvm_slot *s, uint64_t off)
{
	off_t d;

	if (s->fd < 0 || (s->flags & MVM_MEM_PRIVATE))
		return off;
	d = lseek(s->fd, (off_t)(s->fd_offset + off), SEEK_DATA);
	if (d < 0)
		return errno == ENXIO ? s->size : off;
	return (uint64_t)d - s->fd_offset;
}

static int put_ram(struct snap_writer *w, const struct mvm_slot *s)
{
	struct snap_sect_hdr h = {
		.type = MVM_SNAP_RAM,
		.flags = s->flags & ~MVM_MEM_LOG_DIRTY,
		.aux = s->gpa,
		.offset = snap_align(w->off + sizeof(h), SNAP_PAGE),
		.length = s->size,
		.name = "ram",
	};
	uint64_t off = 0;
	uint32_t crc = 0;
	int rc = 0;

	while (!rc && (off = next_data(s, off) & ~(uint64_t)(SNAP_PAGE - 1)) <
			      s->size) {
		uint64_t index = off / SNAP_PAGE, run = off;

		if (mvm_snap_page_is_zero(s->hva + off)) {
			off += SNAP_PAGE;
			continue;
		}
		/* A run of non-zero pages: one write. */
		while (run < s->size && !mvm_snap_page_is_zero(s->hva + run)) {
			crc = mvm_crc32(crc, &index, sizeof(index));
			crc = mvm_crc32(crc, s->hva + run, SNAP_PAGE);
			run += SNAP_PAGE, index++;
		}
		rc = mvm_snap_write_at(w->fd, s->hva + off, run - off,
				       h.offset + off);
		off = run;
	}
	h.body_crc = crc;
	return rc ? rc : mvm_snap_put_hdr(w, &h);
}

/*
 * An I/O or MMIO exit is finished by the next KVM_RUN (the IN's data
 * reaches RAX, RIP moves past the instruction). api.rst, "KVM_RUN",
 * immediate_exit: KVM completes that pending work and returns EINTR
 * without running the guest, which is how a VMM settles a vCPU before
 * reading its state.
 */
int mvm_snap_settle(struct mvm_vcpu *vcpu, const struct mvm_log *log)
{
	struct kvm_run *run = mvm_vcpu_kvm_run(vcpu);
	int r, err;

	run->immediate_exit = 1;
	r = ioctl(mvm_vcpu_fd(vcpu), KVM_RUN, 0);
	err = errno;
	run->immediate_exit = 0;
	mvm_vcpu_forget_regs(vcpu); /* RAX and RIP may have moved */
	if (r < 0 && err != EINTR) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "snapshot: settling vCPU %d (KVM_RUN with "
			 "immediate_exit): %s",
			 mvm_vcpu_index(vcpu), strerror(err));
		return -err;
	}
	return 0;
}

/* Saving is for a machine whose vCPUs are parked (machine.h rule 4). */
static int check_quiet(struct mvm_machine *m)
{
	int busy;

	pthread_mutex_lock(&m->lock);
	busy = m->started && m->pause_depth == 0;
	pthread_mutex_unlock(&m->lock);
	if (busy)
		mvm_logf(&m->log, MVM_LOG_ERROR,
			 "snapshot: the machine is running: pause it first");
	return busy ? -EBUSY : 0;
}

/* Writing path while a slot maps it would change the guest's memory
 * under it (snapshot.h): refuse. */
static int check_not_mapped(struct mvm_machine *m, const char *path)
{
	const struct mvm_memmap *mem = mvm_vm_mem(m->vm);
	struct stat target, sb;

	if (stat(path, &target) < 0)
		return 0;
	for (int i = 0; i < MVM_MAX_SLOTS; i++) {
		const struct mvm_slot *s = &mem->slots[i];

		if (!s->used || s->fd < 0 || fstat(s->fd, &sb) < 0)
			continue;
		if (sb.st_dev == target.st_dev && sb.st_ino == target.st_ino) {
			mvm_logf(&m->log, MVM_LOG_ERROR,
				 "snapshot: '%s' is mapped by this machine "
				 "(slot %d): write the snapshot elsewhere",
				 path, i);
			return -EBUSY;
		}
	}
	return 0;
}

/* RAM: every slot whole, or in a chain's diff the pages dirtied since
 * the previous file (collected here: after the settle and with the
 * device threads parked, nothing writes RAM any more). */
static int put_memory(struct snap_writer *w, struct mvm_machine *m,
		      struct snap_extra *x)
{
	const struct mvm_memmap *mem = mvm_vm_mem(m->vm);
	int64_t n = x && x->diff ? mvm_snap_dirty_collect(m->vm, x->dirty, NULL)
				 : 0;
	int rc = n < 0 ? (int)n : 0;

	for (int i = 0; !rc && i < MVM_MAX_SLOTS; i++) {
		if (!mem->slots[i].used)
			continue;
		if (x && x->diff)
			rc = mvm_snap_put_diff(w, &mem->slots[i],
					       x->dirty->pending[i]);
		else
			rc = put_ram(w, &mem->slots[i]);
	}
	return rc;
}

static int write_all(struct snap_writer *w, struct mvm_machine *m,
		     struct snap_extra *x)
{
	struct snap_file_hdr h = {.magic = MVM_SNAP_MAGIC,
				  .version = x ? MVM_SNAP_VERSION_CHAIN
					       : MVM_SNAP_VERSION};
	struct snap_config c;
	int rc;

	rc = mvm_snap_config_fill(m, &c);
	if (!rc)
		rc = put_section(w, MVM_SNAP_CONFIG, 0, 0, "config", &c,
				 sizeof(c));
	if (!rc && x)
		rc = put_section(w, MVM_SNAP_CHAIN, 0, x->chain->seq, "chain",
				 x->chain, sizeof(*x->chain));
	if (!rc)
		rc = mvm_snap_emit_state(m, emit_to_file, w);
	if (!rc)
		rc = put_memory(w, m, x);
	if (!rc)
		rc = put_section(w, MVM_SNAP_END, 0, 0, "end", NULL, 0);
	if (rc)
		return rc;
	/* The last RAM pages may be holes: give the file its full size. */
	if (ftruncate(w->fd, (off_t)w->off) < 0)
		return -errno;
	h.nsects = w->nsects;
	h.crc = mvm_snap_file_hdr_crc(&h);
	if (x)
		x->digest = w->digest;
	return mvm_snap_write_at(w->fd, &h, sizeof(h), 0);
}

int mvm_snapshot_save(struct mvm_machine *m, const char *path)
{
	return mvm_snap_save_ex(m, path, NULL);
}

int mvm_snap_save_ex(struct mvm_machine *m, const char *path,
		     struct snap_extra *x)
{
	struct snap_writer w = {-1, sizeof(struct snap_file_hdr), 0, 0, NULL};
	char *tmp = NULL;
	int rc, paused;

	if (!m || !path)
		return -EINVAL;
	w.log = &m->log;
	/* The file has no section for a user-space 8254's count or the
	 * irqfd wiring (machine.h irq_flags): refuse rather than restore a
	 * machine whose timer silently stopped. */
	if (m->cfg.irq_flags) {
		mvm_logf(&m->log, MVM_LOG_ERROR,
			 "snapshot: machines with irqfd lines or a user-space "
			 "PIT (irq_flags 0x%x) cannot be saved yet",
			 m->cfg.irq_flags);
		return -EOPNOTSUPP;
	}
	rc = check_quiet(m);
	if (!rc)
		rc = check_not_mapped(m, path);
	for (int i = 0; !rc && i < mvm_vm_ncpus(m->vm); i++)
		rc = mvm_snap_settle(mvm_vm_vcpu(m->vm, i), &m->log);
	if (rc)
		return rc;
	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	w.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	/* No device thread mid-request while RAM and devices are read. */
	paused = mvm_snap_quiesce(m);
	rc = w.fd < 0 ? -errno : 0;
	/* A chain's base: logging from before its RAM is read (vm.h: a
	 * slot's flags change only with device threads parked). */
	if (!rc && x && !x->diff)
		rc = mvm_snap_dirty_start(m->vm, x->dirty, 1);
	if (!rc)
		rc = write_all(&w, m, x);
	mvm_snap_quiesce_end(m, paused);
	if (w.fd >= 0 && close(w.fd) < 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc) {
		mvm_logf(&m->log, MVM_LOG_ERROR, "snapshot: writing '%s': %s",
			 tmp, strerror(-rc));
		unlink(tmp);
	}
	free(tmp);
	return rc;
}
