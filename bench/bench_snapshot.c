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
 * Then a diff chain (snapshot.h): a 64 MiB guest, every page written,
 * saved as a chain's full base, then 16 pages rewritten and saved as a
 * diff, best of ROUNDS each; the diff's size and time beside the
 * full's, and its restore (base mapped, diff's pages copied over it).
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

/* Base and diff of a 64 MiB guest that, between the two, dirties only
 * `dirty` pages. */
static void chain(const char *dir, unsigned dirty)
{
	char base[512], diff[520];
	double full_ms = 1e9, diff_ms = 1e9, rest_ms = 1e9, t0, t;
	struct stat bs, ds;

	snprintf(base, sizeof(base), "%s/bench-%d.chain", dir, (int)getpid());
	snprintf(diff, sizeof(diff), "%s.1", base);
	for (int r = 0; r < ROUNDS; r++) {
		struct mvm_machine *m = build(64 * MIB, &t);
		struct mvm_snap_chain *ch = NULL;

		fill(m, 64 * MIB);
		t0 = now_ms();
		if (mvm_snapshot_chain_begin(m, base, &ch)) {
			fprintf(stderr, "bench_snapshot: chain base failed\n");
			exit(1);
		}
		full_ms = minf(full_ms, now_ms() - t0);
		/* The VMM's writes (mvm_vm_write() records them in the
		 * dirty log, as KVM records the guest's). */
		for (unsigned p = 0; p < dirty; p++) {
			uint64_t gpa = (uint64_t)p * 1021 * 4096 % (64 * MIB);

			mvm_vm_write(mvm_machine_vm(m), gpa, &p, sizeof(p));
		}
		t0 = now_ms();
		if (mvm_snapshot_chain_next(ch, diff)) {
			fprintf(stderr, "bench_snapshot: diff failed\n");
			exit(1);
		}
		diff_ms = minf(diff_ms, now_ms() - t0);
		mvm_snapshot_chain_end(ch);
		mvm_machine_destroy(m);
		rest_ms = minf(rest_ms, restore(diff, 0, 0, NULL));
	}
	stat(base, &bs);
	stat(diff, &ds);
	printf("\ndiff chain, 64 MiB guest, every page written, then %u "
	       "dirtied (best of %d):\n"
	       "  full base  %8.1f ms %10lld bytes\n"
	       "  diff       %8.1f ms %10lld bytes  (%.0fx smaller, %.0fx "
	       "faster)\n"
	       "  restore of the diff (base mapped + diff): %.1f ms\n",
	       dirty, ROUNDS, full_ms, (long long)bs.st_blocks * 512, diff_ms,
	       (long long)ds.st_size,
	       (double)bs.st_blocks * 512 / (double)ds.st_size,
	       full_ms / diff_ms, rest_ms);
	unlink(base);
	unlink(diff);
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
	chain(dir, 16);
	return 0;
}
