/*
 * bench_emu.c - instructions per second: software interpretation versus
 * KVM, on the machine at hand.
 *
 * Three figures, each the median of ROUNDS runs, labelled with the KVM
 * backend found here (quirks.h):
 *
 *   (a) the interpreter (emu.h) on examples/loop-real.bin: the count of
 *       instructions it executed over the time spent in it;
 *   (b) KVM on the same real-mode guest: the same count over the wall
 *       time of the whole run (the guest makes ~150 exits, noise here);
 *   (c) KVM on a loop at CPL 3 (examples/cpl-compute.elf, marker 1):
 *       150,000 iterations of 4 instructions (imul, add, sub, jne with
 *       this compiler), timed by the host between two MMIO markers.
 *
 * What to expect: with VT-x or AMD-V, (b) and (c) are the CPU's own
 * speed, thousands of millions per second, and the interpreter loses by
 * two orders of magnitude: the reason hardware-assisted virtualization
 * won. On a nested software backend (MVM_QUIRK_RING0_EMULATED) KVM
 * interprets real-mode code itself, about a microsecond per instruction,
 * so (a) can beat (b) while (c), native ring-3 code, still wins.
 *
 *   make bench     or   build/bench/bench_emu [GUEST_DIR]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minivmm/minivmm.h"

#define ROUNDS	    3
#define RUN_MS	    60000
#define CPL3_INSNS  (150000.0 * 4) /* cpl-compute.c: ITERATIONS x 4 */
#define CPL3_MARKER 1

struct sample {
	uint64_t insns; /* instructions (a) counted */
	uint64_t ns;	/* time they took */
};

/* The demo device's marker callback: keep marker 1's interval. */
static void on_mark(void *ctx, unsigned id, uint64_t ns)
{
	if (id == CPL3_MARKER)
		*(uint64_t *)ctx = ns;
}

/* One run of `image`; emulate: through the interpreter. 0 or -1. */
static int run(const char *image, int emulate, struct sample *s)
{
	uint64_t marker_ns = 0, t0;
	struct mvm_machine_config cfg = {
		.image = image,
		.mode = MVM_MODE_AUTO,
		.mark = on_mark,
		.mark_ctx = &marker_ns,
	};
	struct mvm_machine *m = NULL;
	struct mvm_emu *emu = NULL;
	enum mvm_verdict v;
	int rc = mvm_machine_create(&cfg, &m);

	if (rc == 0 && emulate)
		rc = mvm_emu_attach(m, 0, &emu);
	if (rc < 0) {
		fprintf(stderr, "bench_emu: %s: %s\n", image, strerror(-rc));
		mvm_machine_destroy(m);
		return -1;
	}
	t0 = mvm_now_ns();
	v = mvm_machine_run(m, 0, RUN_MS, 0, NULL, NULL, NULL);
	s->ns = mvm_now_ns() - t0;
	if (emu) {
		s->insns = mvm_emu_insns(emu);
		s->ns = mvm_emu_ns(emu);
	}
	if (marker_ns) {
		s->insns = (uint64_t)CPL3_INSNS;
		s->ns = marker_ns;
	}
	mvm_emu_destroy(emu);
	mvm_machine_destroy(m);
	if (v != MVM_DONE) {
		fprintf(stderr, "bench_emu: %s did not finish (%s)\n", image,
			mvm_verdict_name(v));
		return -1;
	}
	return 0;
}

static int by_ns(const void *a, const void *b)
{
	const struct sample *x = a, *y = b;

	return (x->ns > y->ns) - (x->ns < y->ns);
}

/* Median of ROUNDS runs; 0 on failure. */
static int median(const char *image, int emulate, struct sample *out)
{
	struct sample s[ROUNDS] = {{0}};

	for (int i = 0; i < ROUNDS; i++)
		if (run(image, emulate, &s[i]) < 0)
			return -1;
	qsort(s, ROUNDS, sizeof(s[0]), by_ns);
	*out = s[ROUNDS / 2];
	return 0;
}

static double mips(const struct sample *s)
{
	return s->ns ? (double)s->insns * 1e3 / (double)s->ns : 0;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : MVM_GUEST_DIR;
	char loop[512], cpl[512];
	struct sample emu, kvm, ring3;
	struct mvm_backend b;

	snprintf(loop, sizeof(loop), "%s/loop-real.bin", dir);
	snprintf(cpl, sizeof(cpl), "%s/cpl-compute.elf", dir);
	mvm_backend_detect(&b);
	if (median(loop, 1, &emu) || median(loop, 0, &kvm) ||
	    median(cpl, 0, &ring3))
		return 1;
	kvm.insns = emu.insns; /* the same guest, the same instructions */
	printf("instructions per second, KVM backend %s%s (median of %d)\n",
	       b.name,
	       (b.quirks & MVM_QUIRK_RING0_EMULATED)
		       ? ": KVM interprets real-mode and ring-0 code here"
		       : "",
	       ROUNDS);
	printf("  %-44s %10.2f M/s  (%llu insns, %.1f ms)\n",
	       "(a) interpreter, real mode (loop-real.bin)", mips(&emu),
	       (unsigned long long)emu.insns, emu.ns / 1e6);
	printf("  %-44s %10.2f M/s  (%.1f ms)\n",
	       "(b) KVM, the same real-mode guest", mips(&kvm), kvm.ns / 1e6);
	printf("  %-44s %10.2f M/s  (%.3f ms)\n",
	       "(c) KVM, a 64-bit loop at CPL 3 (cpl-compute)", mips(&ring3),
	       ring3.ns / 1e6);
	printf("  interpreter / KVM real mode: %.2fx\n",
	       mips(&kvm) ? mips(&emu) / mips(&kvm) : 0);
	return 0;
}
