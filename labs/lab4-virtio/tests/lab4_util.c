/*
 * lab4_util.c - helpers shared by Lab 4's grader tests (lab4.h).
 */
#include "lab4.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

uint64_t lab4_rand(void)
{
	uint64_t v = 0;

	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		v = (uint64_t)rand() << 31 ^ (uint64_t)rand();
	return v;
}

void lab4_require_kvm(void)
{
	char why[256];

	if (fixture_kvm_usable(why, sizeof(why)))
		return;
	printf("SKIP: KVM is not usable here: %s\n", why);
	skip();
}

static void lab4_log_fn(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct lab4 *t = ctx;
	int n;

	(void)level;
	pthread_mutex_lock(&t->lock);
	n = snprintf(t->log + t->loglen, sizeof(t->log) - t->loglen, "%s\n",
		     msg);
	if (n > 0 && (size_t)n < sizeof(t->log) - t->loglen)
		t->loglen += (size_t)n;
	pthread_mutex_unlock(&t->lock);
}

void lab4_log(struct lab4 *t, char *out, size_t size)
{
	pthread_mutex_lock(&t->lock);
	snprintf(out, size, "%s", t->log);
	pthread_mutex_unlock(&t->lock);
}

/* Backing files still there when the process ends (a failed test
 * jumps past lab4_free()). */
static char made[8][64];

static void remove_disks(void)
{
	for (unsigned i = 0; i < 8; i++)
		if (made[i][0])
			unlink(made[i]);
}

static void remember(const char *path)
{
	static int registered;

	if (!registered)
		registered = atexit(remove_disks) == 0;
	for (unsigned i = 0; i < 8; i++)
		if (!made[i][0]) {
			snprintf(made[i], sizeof(made[i]), "%s", path);
			return;
		}
}

void lab4_disk(struct lab4 *t, uint64_t sectors)
{
	uint8_t sec[512];
	int fd;

	snprintf(t->disk, sizeof(t->disk), "/tmp/mvm-lab4-XXXXXX");
	fd = mkstemp(t->disk);
	GRADE_EXPECT(fd >= 0, "cannot make a backing file in /tmp: %s",
		     strerror(errno));
	remember(t->disk);
	for (uint64_t s = 0; s < sectors; s++) {
		for (unsigned i = 0; i < sizeof(sec); i += 8) {
			uint64_t v = lab4_rand();

			memcpy(sec + i, &v, 8);
		}
		GRADE_EXPECT(write(fd, sec, sizeof(sec)) == sizeof(sec),
			     "writing the backing file");
	}
	close(fd);
	t->sectors = sectors;
}

void lab4_machine(struct lab4 *t, const char *image, int transport, int plain,
		  int ro)
{
	struct mvm_machine_config cfg = {
		.irqchip = MVM_IRQCHIP_KERNEL,
		.mode = MVM_MODE_AUTO,
		.image = image,
		.log = {lab4_log_fn, t},
		.virtio = MVM_VIRTIO_DEV_BLK,
		.disk = t->disk,
		.disk_ro = ro,
		.virtio_transport = transport,
		.virtio_plain = plain,
	};
	char log[8192];
	int r;

	pthread_mutex_init(&t->lock, NULL);
	r = mvm_machine_create(&cfg, &t->m);
	lab4_log(t, log, sizeof(log));
	GRADE_EXPECT(r == 0,
		     "mvm_machine_create(%s, virtio-blk on %s): %s; "
		     "log:\n%s",
		     image, transport ? "pci" : "mmio", strerror(-r), log);
	t->blk = mvm_machine_virtio(t->m)->blk;
}

void lab4_free(struct lab4 *t)
{
	mvm_machine_destroy(t->m);
	t->m = NULL;
	for (unsigned i = 0; t->disk[0] && i < 8; i++)
		if (strcmp(made[i], t->disk) == 0)
			made[i][0] = 0;
	if (t->disk[0])
		unlink(t->disk);
	t->disk[0] = 0;
}

/* What the driver does to the disk's virtio-mmio block, seen exit by
 * exit (the device model never sees the order of the writes). */
static void watch(void *ctx, struct mvm_vcpu *vcpu, const struct mvm_exit *e)
{
	struct lab4 *t = ctx;
	uint64_t base = MVM_VIRTIO_MMIO_ADDR(MVM_VIRTIO_SLOT_BLK);
	uint32_t v;

	(void)vcpu;
	t->exits++;
	if (e->reason != KVM_EXIT_MMIO || !e->u.mmio.is_write ||
	    e->u.mmio.addr < base || e->u.mmio.addr >= base + 0x100)
		return;
	memcpy(&v, e->u.mmio.data, 4);
	switch (e->u.mmio.addr - base) {
	case MVM_VMMIO_STATUS:
		if (t->nstatus < 32)
			t->status_w[t->nstatus++] = v;
		break;
	case MVM_VMMIO_DRV_FEAT_SEL:
		t->drv_sel = v;
		break;
	case MVM_VMMIO_DRV_FEATURES:
		if (t->drv_sel < 2)
			t->drv_feat[t->drv_sel] = v;
		break;
	case MVM_VMMIO_QUEUE_NOTIFY:
		t->kick_exits++;
		break;
	}
}

void lab4_to_sync_at(struct lab4 *t, struct mvm_ucall *uc, uint64_t stage,
		     const char *why, const char *file, int line)
{
	const struct mvm_std_devices *d = mvm_machine_devices(t->m);
	struct mvm_exit e;
	enum mvm_verdict v;
	char log[8192];

	memset(uc, 0, sizeof(*uc));
	fixture_backstop(LAB4_RUN_MS);
	v = mvm_machine_run(t->m, 0, LAB4_RUN_MS, 1, watch, t, &e);
	alarm(0);
	mvm_ucall_last_of(d->ucall, 0, uc);
	if (v == MVM_SYNC && uc->args[0] == stage)
		return;
	lab4_log(t, log, sizeof(log));
	if (v == MVM_TIMED_OUT)
		grade_fail(file, line,
			   "the guest did not reach its SYNC %llu within "
			   "%d ms (last exit %s at rip 0x%llx): it waits for "
			   "a used ring that never moves?\nhint: %s\nlog:\n%s",
			   (unsigned long long)stage, LAB4_RUN_MS,
			   mvm_exit_reason_name(e.reason),
			   (unsigned long long)e.rip, why, log);
	grade_fail(file, line,
		   "expected the guest's SYNC %llu, got verdict %s (ucall "
		   "%s \"%s\", stage %llu; last exit %s)\nhint: %s\nlog:\n%s",
		   (unsigned long long)stage, mvm_verdict_name(v),
		   mvm_ucall_cmd_name(uc->cmd), uc->text,
		   (unsigned long long)uc->args[0],
		   mvm_exit_reason_name(e.reason), why, log);
}

static void scratch(struct lab4 *t, unsigned i, uint64_t v)
{
	GRADE_EXPECT(mvm_memmap_write(mvm_vm_mem(mvm_machine_vm(t->m)),
				      MVM_SCRATCH_ADDR + 8 * i, &v, 8, 0) == 0,
		     "writing the guest's scratch page");
}

void lab4_blk_start(struct lab4 *t, int transport, uint64_t want)
{
	struct mvm_ucall uc;
	char log[8192];

	scratch(t, 0, (uint64_t)transport);
	scratch(t, 1, want);
	scratch(t, 2, LAB4_STOP);
	lab4_to_sync(t, &uc, 1,
		     "the guest sets the disk up first: the register block "
		     "(task 4) and the driver's negotiate() (task 5)");
	lab4_log(t, log, sizeof(log));
	GRADE_EXPECT(uc.args[1] == 0,
		     "the guest driver could not set the disk up over "
		     "virtio-%s: vdev_init%s() failed. %s Status written "
		     "(virtio-mmio): %u values, the last 0x%x; log:\n%s",
		     transport ? "pci" : "mmio", transport ? "_pci" : "",
		     transport ? "Its negotiate() in examples/runtime/"
				 "virtio_pci.c (task 5) failed, or the device "
				 "was not found on the PCI bus."
			       : "Either the device was not found (MagicValue, "
				 "Version or DeviceID read wrong: task 4), or "
				 "negotiation failed (task 5).",
		     t->nstatus, t->nstatus ? t->status_w[t->nstatus - 1] : 0,
		     log);
	t->features = uc.args[2];
	t->buf = uc.args[3];
}

uint64_t lab4_step(struct lab4 *t, uint64_t op, uint64_t sector, uint64_t n)
{
	struct mvm_ucall uc;

	scratch(t, 2, op);
	scratch(t, 3, sector);
	scratch(t, 4, n);
	lab4_to_sync(t, &uc, 2,
		     "one request: the device pops it (task 1), serves it "
		     "(task 3) and pushes it back (task 2)");
	return uc.args[1];
}

void lab4_guest_rw(struct lab4 *t, int write, void *p, size_t len)
{
	struct mvm_memmap *mem = mvm_vm_mem(mvm_machine_vm(t->m));
	int r = write ? mvm_memmap_write(mem, t->buf, p, len, 0)
		      : mvm_memmap_read(mem, t->buf, p, len);

	GRADE_EXPECT(r == 0, "access to the guest's buffer at 0x%llx",
		     (unsigned long long)t->buf);
}

void lab4_file_rw(struct lab4 *t, int write, uint64_t off, void *p, size_t len)
{
	int fd = open(t->disk, O_RDWR);
	ssize_t n;

	GRADE_EXPECT(fd >= 0, "open %s", t->disk);
	n = write ? pwrite(fd, p, len, (off_t)off)
		  : pread(fd, p, len, (off_t)off);
	close(fd);
	GRADE_EXPECT(n == (ssize_t)len,
		     "%s %zu bytes at %llu of the backing "
		     "file",
		     write ? "writing" : "reading", len,
		     (unsigned long long)off);
}

struct mvm_virtq lab4_queue(struct lab4 *t)
{
	struct mvm_virtio_dev *d = mvm_virtio_blk_dev(t->blk);
	struct mvm_virtq q;

	pthread_mutex_lock(&d->lock);
	q = d->vq[0];
	pthread_mutex_unlock(&d->lock);
	return q;
}

/* --- the device side on host memory ---------------------------------------- */

static void rig_log_fn(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct rig *r = ctx;

	(void)level;
	snprintf(r->msg, sizeof(r->msg), "%s", msg);
}

static void rig_irq(void *ctx, struct mvm_virtio_dev *dev, unsigned cause)
{
	struct rig *r = ctx;

	(void)dev;
	r->causes |= cause;
	if (cause & MVM_VIRTIO_INT_VRING)
		r->nirq++;
}

static const struct mvm_virtio_ops rig_ops = {
	.name = "lab4-rig",
	.device_id = MVM_VIRTIO_ID_RNG,
	.nqueues = 1,
	.queue_max = RIG_QSIZE,
};

void rig_init(struct rig *r, uint64_t features)
{
	struct mvm_virtio_dev *d = &r->dev;
	struct mvm_dev_ctx ctx = {0};
	const uint8_t ad = 0x03; /* ACKNOWLEDGE | DRIVER */

	memset(r, 0, sizeof(*r));
	r->h = hostram_new(RIG_RAM, 0);
	GRADE_EXPECT(r->h != NULL, "no memory for the test's guest RAM");
	r->log = (struct mvm_log){rig_log_fn, r};
	ctx.mem = &r->h->mem;
	ctx.log = &r->log;
	GRADE_EXPECT_EQ(mvm_virtio_init(d, &rig_ops, NULL, &ctx), 0,
			"mvm_virtio_init");
	d->irq = rig_irq;
	d->irq_ctx = r;
	/* the driver's side of 3.1.1, done by the test */
	mvm_virtio_set_status(d, 0);
	mvm_virtio_set_status(d, ad);
	mvm_virtio_set_features(d, 0, (uint32_t)features);
	mvm_virtio_set_features(d, 1, (uint32_t)(features >> 32));
	mvm_virtio_set_status(d, ad | MVM_VIRTIO_S_FEATURES_OK);
	mvm_virtio_queue_set(d, 0, MVM_VIRTQ_SIZE, RIG_QSIZE);
	mvm_virtio_queue_set(d, 0, MVM_VIRTQ_DESC, RIG_DESC);
	mvm_virtio_queue_set(d, 0, MVM_VIRTQ_AVAIL, RIG_AVAIL);
	mvm_virtio_queue_set(d, 0, MVM_VIRTQ_USED, RIG_USED);
	mvm_virtio_queue_set(d, 0, MVM_VIRTQ_READY, 1);
	mvm_virtio_set_status(d, 0x0f); /* | FEATURES_OK | DRIVER_OK */
	GRADE_EXPECT_EQ(mvm_virtio_get_status(d), 0x0f,
			"device status after the test's setup");
}

void rig_free(struct rig *r)
{
	mvm_virtio_fini(&r->dev);
	hostram_free(r->h);
}

void rig_desc(struct rig *r, uint64_t table, unsigned i, uint64_t addr,
	      uint32_t len, uint16_t flags, uint16_t next)
{
	struct mvm_vring_desc d = {addr, len, flags, next};

	memcpy(r->h->ram + table + 16 * i, &d, sizeof(d));
}

void rig_offer(struct rig *r, uint16_t head)
{
	rig_wr16(r, RIG_AVAIL + 4 + 2 * (r->avail_idx % RIG_QSIZE), head);
	r->avail_idx++;
	rig_wr16(r, RIG_AVAIL + 2, r->avail_idx);
}

uint16_t rig_rd16(struct rig *r, uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, r->h->ram + gpa, 2);
	return v;
}

void rig_wr16(struct rig *r, uint64_t gpa, uint16_t v)
{
	memcpy(r->h->ram + gpa, &v, 2);
}

void rig_pop(struct rig *r, struct mvm_virtq_chain *c, int want,
	     const char *what)
{
	int got = mvm_virtq_pop(&r->dev, 0, c);

	GRADE_EXPECT(got == want,
		     "%s: mvm_virtq_pop() returned %d, expected %d (1: a "
		     "chain, 0: none, -EIO: refused)%s%s",
		     what, got, want, r->msg[0] ? "; the device logged: " : "",
		     r->msg);
}

void rig_expect_refused(struct rig *r, int pop_rc, const char *why,
			const char *what)
{
	struct mvm_virtq_chain c;

	GRADE_EXPECT(pop_rc == -EIO,
		     "%s: mvm_virtq_pop() returned %d, expected -EIO (the "
		     "driver broke the ring)",
		     what, pop_rc);
	GRADE_EXPECT(mvm_virtio_get_status(&r->dev) & MVM_VIRTIO_S_NEEDS_RESET,
		     "%s: the device status is 0x%x, without NEEDS_RESET "
		     "(0x40): call mvm_virtio_fail()",
		     what, mvm_virtio_get_status(&r->dev));
	GRADE_EXPECT(r->causes & MVM_VIRTIO_INT_CONFIG,
		     "%s: no configuration interrupt was raised", what);
	GRADE_EXPECT(strstr(r->msg, why) != NULL,
		     "%s: the log should say \"%s\" (a message that names "
		     "the rule broken); it says \"%s\"",
		     what, why, r->msg);
	r->msg[0] = 0;
	GRADE_EXPECT(mvm_virtq_pop(&r->dev, 0, &c) == -EIO && !r->msg[0],
		     "%s: the next pop must answer -EIO again, without a "
		     "new message, until the driver resets the device",
		     what);
}
