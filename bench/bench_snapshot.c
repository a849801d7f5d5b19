/*
 * bench_snapshot.c - what a snapshot costs: write, and restore by
 * mapping the file against restore by copying it (snapshot.h).
 *
 * For each guest size a machine is built, and its RAM filled: every
 * page written ("full"), or only the first 8 MiB ("idle": the rest never
 * touched, as in a freshly booted small guest). Then, best of ROUNDS:
 *
 *   save         mvm_snapshot_save(): state, devices, RAM's non-zero
 *                pages (holes stay holes), crc over them
 *   create       mvm_machine_create() of the same config alone: the
 *                floor any restore pays (VM, vCPU, devices)
 *   restore map  mvm_snapshot_restore(): RAM mapped MAP_PRIVATE from
 *                the file, nothing read
 *   restore copy the same with MVM_SNAP_COPY: RAM read into the memfd
 *   map+verify   mapped, then RAM's crc checked (reads every page)
 *   touch        after a mapped restore, reading one byte of each page:
 *                what the guest pays later, spread over its first
 *                accesses, for the pages it actually uses
 *
 * The file stays in the page cache between save and restore, as it
 * would right after a save; a cold cache would slow the copy (and the
 * later touches), not the mapping. Figures, not pass/fail: they depend
 * on the machine.
 *
 *   make bench     or   build/bench/bench_snapshot [DIR]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "minivmm/minivmm.h"

#define ROUNDS 3
#define MIB    (1ULL << 20)

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static struct mvm_machine *build(uint64_t ram, double *ms)
{
	struct mvm_machine_config cfg = {.ram_size = ram};
	struct mvm_machine *m = NULL;
	double t0 = now_ms();
	int rc = mvm_machine_create(&cfg, &m);

	*ms = now_ms() - t0;
	if (rc) {
		fprintf(stderr, "bench_snapshot: machine of %llu MiB: %s\n",
			(unsigned long long)(ram / MIB), strerror(-rc));
		exit(1);
	}
	return m;
}

/* Every page of the first `bytes` of RAM gets its own contents. */
static void fill(struct mvm_machine *m, uint64_t bytes)
{
	uint8_t *ram = mvm_vm_ram(mvm_machine_vm(m));

	for (uint64_t off = 0; off < bytes; off += 4096)
		for (unsigned i = 0; i < 4096; i += 8)
			*(uint64_t *)(ram + off + i) = off * 31 + i + 1;
}

static double restore(const char *path, unsigned flags, int touch,
		      double *touch_ms)
{
	struct mvm_machine *m = NULL;
	double t0 = now_ms(), t;
	volatile uint8_t sink = 0;
	int rc = mvm_snapshot_restore(path, NULL, flags, &m);

	t = now_ms() - t0;
	if (rc) {
		fprintf(stderr, "bench_snapshot: restore: %s\n", strerror(-rc));
		exit(1);
	}
	if (touch) {
		uint8_t *ram = mvm_vm_ram(mvm_machine_vm(m));
		uint64_t size = mvm_vm_ram_size(mvm_machine_vm(m));

		t0 = now_ms();
		for (uint64_t off = 0; off < size; off += 4096)
			sink ^= ram[off];
		*touch_ms = now_ms() - t0;
	}
	(void)sink;
	mvm_machine_destroy(m);
	return t;
}

static double minf(double a, double b)
{
	return a < b ? a : b;
}

static void one(const char *dir, uint64_t ram, uint64_t used, const char *what)
{
	char path[512];
	double save = 1e9, create = 1e9, map = 1e9, copy = 1e9, verify = 1e9;
	double touch = 1e9, t, c;
	struct stat sb;

	snprintf(path, sizeof(path), "%s/bench-%d.mvmsnap", dir, (int)getpid());
	for (int r = 0; r < ROUNDS; r++) {
		struct mvm_machine *m = build(ram, &c);
		double t0;

		create = minf(create, c);
		fill(m, used);
		t0 = now_ms();
		if (mvm_snapshot_save(m, path)) {
			fprintf(stderr, "bench_snapshot: save failed\n");
			exit(1);
		}
		save = minf(save, now_ms() - t0);
		mvm_machine_destroy(m);
		map = minf(map, restore(path, 0, 1, &t));
		touch = minf(touch, t);
		copy = minf(copy, restore(path, MVM_SNAP_COPY, 0, NULL));
		verify = minf(verify, restore(path, MVM_SNAP_VERIFY, 0, NULL));
	}
	stat(path, &sb);
	printf("%5llu MiB %-5s %8.1f %8.1f %9.1f %9.1f %9.1f %8.1f %8llu\n",
	       (unsigned long long)(ram / MIB), what, save, create, map, copy,
	       verify, touch, (unsigned long long)(sb.st_blocks * 512 / MIB));
	unlink(path);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";

	printf("snapshot save and restore, ms (best of %d); file = MiB on "
	       "disk\n",
	       ROUNDS);
	printf("guest     RAM     save   create  rest.map rest.copy "
	       "map+verif    touch     file\n");
	one(dir, 64 * MIB, 64 * MIB, "full");
	one(dir, 1024 * MIB, 8 * MIB, "idle");
	one(dir, 1024 * MIB, 1024 * MIB, "full");
	return 0;
}
