/*
 * bench_dirty.c - Lab 2's dirty-log and shadow-paging figures: what a dirty-log round costs
 * per GiB of guest memory, and what shadow paging costs a guest that
 * edits its own page tables compared with EPT.
 *
 * Dirty log. A machine with 1 GiB of RAM logs dirty pages; a share of
 * its pages (none, 0.1 %, 1 %, 10 %, spread at random) is marked as
 * written by the VMM (memory.h: only the bitmap changes, so the bench
 * needs no GiB of real memory). Then, best of ROUNDS, per GiB:
 *
 *   get    mvm_dirty_iter_begin(): KVM_GET_DIRTY_LOG of the slot and
 *          the VMM's bitmap merged into it
 *   scan   mvm_dirty_iter_next() to the end (the Lab 2 scan), with
 *          KVM_CLEAR_DIRTY_LOG per 64 pages in manual mode
 *
 * once with the log cleared by each get, once with manual protection
 * where KVM offers it.
 *
 * Shadow paging. The page-table guest (examples/pt-switch.c) runs twice:
 * with its page-table pool read-only and the shadow model attached (what
 * a hypervisor without EPT must do: every table write exits), and with
 * the pool as ordinary memory (EPT: the guest's tables are just RAM to
 * the hypervisor, nothing exits). Figures, not pass/fail.
 *
 *   make bench     or   build/bench/bench_dirty
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "minivmm/minivmm.h"

#define ROUNDS 5
#define GIB    (1ULL << 30)

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "bench_dirty: %s: %s\n", what, strerror(-rc));
	exit(1);
}

/* One dirty-log round over slot 0 with `permille` of its pages marked;
 * best get and scan times in *get, *scan; pages found. */
static uint64_t dirty_round(struct mvm_vm *vm, unsigned permille, double *get,
			    double *scan)
{
	struct mvm_memmap *mem = mvm_vm_mem(vm);
	const uint64_t pages = mvm_vm_ram_size(vm) / 4096;
	uint64_t found = 0, gpa;

	*get = *scan = 1e9;
	srand(1);
	for (int r = 0; r < ROUNDS; r++) {
		struct mvm_dirty_iter it;
		double t0, t1, t2;
		int rc;

		for (uint64_t i = 0; i < pages * permille / 1000; i++)
			mvm_memmap_mark_dirty(
				mem, ((uint64_t)rand() % pages) * 4096, 1);
		t0 = now_ms();
		rc = mvm_dirty_iter_begin(vm, 0, &it);
		if (rc)
			die("mvm_dirty_iter_begin", rc);
		t1 = now_ms();
		found = 0;
		while ((rc = mvm_dirty_iter_next(&it, &gpa)) == 1)
			found++;
		if (rc)
			die("mvm_dirty_iter_next", rc);
		t2 = now_ms();
		mvm_dirty_iter_end(&it);
		*get = t1 - t0 < *get ? t1 - t0 : *get;
		*scan = t2 - t1 < *scan ? t2 - t1 : *scan;
	}
	return found;
}

static void dirty_table(void)
{
	static const unsigned share[] = {0, 1, 10, 100};
	struct mvm_machine_config cfg = {.ram_size = GIB};
	struct mvm_machine *m;
	struct mvm_vm *vm;
	int rc = mvm_machine_create(&cfg, &m);

	if (rc)
		die("machine of 1 GiB", rc);
	vm = mvm_machine_vm(m);
	rc = mvm_vm_mem_set_flags(vm, 0, MVM_MEM_LOG_DIRTY);
	if (rc)
		die("dirty logging on RAM", rc);
	printf("\nDirty log, per GiB of guest memory (best of %d)\n", ROUNDS);
	printf("%-8s %-10s %10s %10s %10s\n", "mode", "dirty", "pages",
	       "get ms", "scan ms");
	for (int manual = 0; manual < 2; manual++) {
		if (manual && (rc = mvm_vm_dirty_manual(vm, 1))) {
			printf("%-8s (KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: %s)\n",
			       "manual", strerror(-rc));
			break;
		}
		for (size_t i = 0; i < sizeof(share) / sizeof(*share); i++) {
			double get, scan;
			uint64_t n = dirty_round(vm, share[i], &get, &scan);

			printf("%-8s %7.1f %% %10llu %10.3f %10.3f\n",
			       manual ? "manual" : "get", share[i] / 10.0,
			       (unsigned long long)n, get, scan);
		}
	}
	mvm_machine_destroy(m);
}

/* The page-table guest, shadowed (pool read-only) or not: wall time,
 * MMIO exits, traps. */
static void pt_guest(int shadowed, double *ms, uint64_t *exits,
		     struct mvm_shadow_stats *st)
{
	struct mvm_machine_config cfg = {0};
	struct mvm_machine *m;
	struct mvm_shadow *sh = NULL;
	struct mvm_exit e;
	enum mvm_verdict v;
	struct kvm_sregs s;
	double t0;
	int rc = mvm_machine_create(&cfg, &m);

	memset(st, 0, sizeof(*st));
	if (!rc && shadowed) {
		rc = mvm_shadow_create(mvm_vm_mem(mvm_machine_vm(m)), &sh);
		if (!rc)
			rc = mvm_shadow_attach(sh, m, MVM_PTPOOL_ADDR,
					       MVM_PTPOOL_SIZE);
		rc = rc < 0 ? rc : 0;
	} else if (!rc) {
		rc = mvm_vm_mem_add(mvm_machine_vm(m), MVM_PTPOOL_ADDR,
				    MVM_PTPOOL_SIZE, 0);
		rc = rc < 0 ? rc : 0;
	}
	if (!rc)
		rc = mvm_machine_load(m, MVM_GUEST_DIR "/pt-switch.elf",
				      MVM_MODE_LONG64);
	if (rc)
		die("pt-switch machine", rc);
	t0 = now_ms();
	/* At every SYNC the hypervisor without EPT uses the shadow of the
	 * guest's current CR3: translate the window the guest uses. */
	while ((v = mvm_machine_run(m, 0, 10000, 1, NULL, NULL, &e)) ==
	       MVM_SYNC) {
		struct mvm_shadow_xlate x;

		if (!sh)
			continue;
		mvm_vcpu_get_sregs(mvm_machine_vcpu(m, 0), &s);
		mvm_shadow_load_cr3(sh, s.cr0, s.cr3, s.cr4, s.efer);
		for (uint64_t a = 0; a < (64ULL << 20); a += 2ULL << 20)
			mvm_shadow_translate(sh, a, &x);
		mvm_shadow_translate(sh, 0x40000000ULL, &x);
		mvm_shadow_translate(sh, 0x40001000ULL, &x);
	}
	*ms = now_ms() - t0;
	if (v != MVM_DONE)
		die("pt-switch run", -EIO);
	*exits = mvm_trace_count(mvm_vcpu_trace(mvm_machine_vcpu(m, 0)),
				 KVM_EXIT_MMIO);
	if (sh)
		mvm_shadow_get_stats(sh, st);
	mvm_machine_destroy(m);
	mvm_shadow_destroy(sh);
}

static void shadow_table(void)
{
	struct mvm_shadow_stats st;
	uint64_t exits;
	double ms;

	printf("\nA guest that builds 3 address spaces and edits a live PTE "
	       "(pt-switch, best of %d)\n",
	       ROUNDS);
	printf("%-22s %10s %12s %8s %8s\n", "paging", "run ms", "table exits",
	       "traps", "resyncs");
	for (int shadowed = 1; shadowed >= 0; shadowed--) {
		double best = 1e9;

		for (int r = 0; r < ROUNDS; r++) {
			pt_guest(shadowed, &ms, &exits, &st);
			best = ms < best ? ms : best;
		}
		ms = best;
		printf("%-22s %10.2f %12llu %8llu %8llu\n",
		       shadowed ? "shadow (pool read-only)"
				: "EPT (pool is RAM)",
		       ms, (unsigned long long)exits,
		       (unsigned long long)st.traps,
		       (unsigned long long)st.resyncs);
	}
}

int main(void)
{
	dirty_table();
	shadow_table();
	return 0;
}
