/*
 * bench_disk.c - full emulation against virtio: the same guest job,
 * sequential 4 KiB reads (examples/disk-bench.c), on every disk path.
 *
 *   edisk IN       the emulated disk (edisk.h), one 4-byte IN per dword:
 *                  every 4 bytes of data is a VM exit
 *   edisk rep insl the same disk, one string IN per 512-byte sector
 *   virtio-pci     virtio-blk over virtio-pci: a kick exit per request
 *   virtio-pci+fd  the same, kicks by ioeventfd (no exit at all)
 *   virtio-mmio    virtio-blk over virtio-mmio, plain and fast
 *
 * For each: exits per request (counted by the run step), time per
 * request and throughput (best of TRIES runs), and the speed-up over
 * the emulated disk. The
 * guest's ring-0 code may be emulated instruction by instruction on some
 * KVM backends (quirks.h): then the guest's own instructions dominate
 * the virtio figures, the exits dominate the emulated disk's. Figures,
 * not pass/fail.
 *
 *   make bench     or   build/bench/bench_disk [DIR]   (DIR: for the file)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "minivmm/minivmm.h"

#define DISK_BYTES (1u << 20)
#define RUN_MS	   120000
#define TRIES	   3

enum path { EDISK_IN, EDISK_REP, VPCI, VPCI_FD, VMMIO, VMMIO_FD, NPATHS };

static const struct {
	const char *name;
	unsigned mode;	 /* disk-bench.c's mode word */
	unsigned rounds; /* 4 KiB reads */
} paths[NPATHS] = {
	[EDISK_IN] = {"edisk, 4-byte IN", 0, 8},
	[EDISK_REP] = {"edisk, rep insl", 1, 64},
	[VPCI] = {"virtio-pci, kick exits", 2, 64},
	[VPCI_FD] = {"virtio-pci, ioeventfd", 2, 64},
	[VMMIO] = {"virtio-mmio, kick exits", 3, 64},
	[VMMIO_FD] = {"virtio-mmio, ioeventfd+irqfd", 3, 64},
};

struct rig {
	struct mvm_machine *m;
	struct mvm_edisk *edisk;
	struct mvm_pci *pci;
	struct mvm_virtio_blk *blk;
	struct mvm_virtio_pci *vpci;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "bench_disk: %s: %s\n", what, strerror(-rc));
	exit(1);
}

static void count(void *ctx, struct mvm_vcpu *vcpu, const struct mvm_exit *e)
{
	(void)vcpu, (void)e;
	++*(unsigned long *)ctx;
}

/* The machine for path p, with its disk on file. */
static void build(struct rig *r, enum path p, const char *file)
{
	struct mvm_machine_config cfg = {.irqchip = MVM_IRQCHIP_KERNEL};
	struct mvm_dev_ctx ctx;
	int rc;

	memset(r, 0, sizeof(*r));
	if (p == VMMIO || p == VMMIO_FD) {
		cfg.virtio = MVM_VIRTIO_DEV_BLK;
		cfg.disk = file;
		cfg.virtio_plain = p == VMMIO;
	}
	rc = mvm_machine_create(&cfg, &r->m);
	if (rc)
		die("machine", rc);
	if (p == EDISK_IN || p == EDISK_REP) {
		rc = mvm_edisk_create(file, 1, NULL, &r->edisk);
		if (!rc)
			rc = mvm_machine_add_device(r->m, 0, MVM_PORT_EDISK,
						    MVM_PORT_EDISK_LEN,
						    &mvm_edisk_ops, r->edisk);
	} else if (p == VPCI || p == VPCI_FD) {
		rc = mvm_pci_create(NULL, &r->pci);
		if (!rc)
			rc = mvm_machine_dev_ctx(r->m, -1, &ctx);
		if (!rc)
			rc = mvm_virtio_blk_create(&ctx, file, 1, &r->blk);
		if (!rc)
			rc = mvm_virtio_pci_create(
				r->pci, r->m, mvm_virtio_blk_dev(r->blk),
				p == VPCI_FD ? MVM_VIRTIO_PCI_FAST : 0,
				&r->vpci);
		if (!rc)
			rc = mvm_pci_attach(r->pci, r->m);
	}
	if (rc)
		die(paths[p].name, rc);
}

static void teardown(struct rig *r)
{
	mvm_virtio_pci_destroy(r->vpci);
	mvm_virtio_blk_destroy(r->blk);
	mvm_machine_destroy(r->m);
	mvm_pci_destroy(r->pci);
	mvm_edisk_destroy(r->edisk);
}

/* Run to the next verdict that is not an ordinary exit. */
static enum mvm_verdict to_sync(struct mvm_machine *m, unsigned long *n)
{
	return mvm_machine_run(m, 0, RUN_MS, 1, n ? count : NULL, n, NULL);
}

/* One path: seconds and exits for its rounds. */
static void measure(enum path p, const char *file, double *s,
		    unsigned long *exits)
{
	uint64_t arg[2] = {paths[p].mode, paths[p].rounds};
	struct rig r;
	double t0;
	int rc;

	build(&r, p, file);
	rc = mvm_machine_load(r.m, MVM_GUEST_DIR "/disk-bench.elf",
			      MVM_MODE_AUTO);
	if (!rc)
		rc = mvm_memmap_write(mvm_vm_mem(mvm_machine_vm(r.m)),
				      MVM_SCRATCH_ADDR, arg, sizeof(arg), 0);
	if (rc)
		die("load", rc);
	*exits = 0;
	if (to_sync(r.m, NULL) != MVM_SYNC)
		die(paths[p].name, -EIO);
	t0 = now_s();
	if (to_sync(r.m, exits) != MVM_SYNC)
		die(paths[p].name, -EIO);
	*s = now_s() - t0;
	teardown(&r);
}

static void make_file(char *path, size_t size, const char *dir)
{
	static uint8_t buf[DISK_BYTES];
	int fd;

	snprintf(path, size, "%s/mvm-bench-disk-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0)
		die("mkstemp", -errno);
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 31 + (i >> 9));
	if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		die("write", -EIO);
	close(fd);
}

int main(int argc, char **argv)
{
	char file[256];
	double base = 0;

	int fd = mvm_kvm_open(NULL);

	if (fd < 0) {
		printf("bench_disk: skipped, no usable /dev/kvm: %s\n",
		       strerror(-fd));
		return 0;
	}
	close(fd);
	make_file(file, sizeof(file), argc > 1 ? argv[1] : "/tmp");
	printf("4 KiB sequential reads (disk-bench.elf), per request:\n");
	printf("  %-30s %10s %10s %9s %8s\n", "path", "exits", "us", "MiB/s",
	       "speed-up");
	for (int p = 0; p < NPATHS; p++) {
		unsigned long exits;
		double s = 0, us;

		/* Best of TRIES: the machine may be shared and busy. */
		for (int i = 0; i < TRIES; i++) {
			double t;

			measure((enum path)p, file, &t, &exits);
			if (i == 0 || t < s)
				s = t;
		}
		us = s * 1e6 / paths[p].rounds;
		if (p == EDISK_IN)
			base = us;
		printf("  %-30s %10.1f %10.0f %9.2f %7.1fx\n", paths[p].name,
		       (double)exits / paths[p].rounds, us,
		       4096.0 / us * 1e6 / (1 << 20), base / us);
		fflush(stdout);
	}
	unlink(file);
	return 0;
}
