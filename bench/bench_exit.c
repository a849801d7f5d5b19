/*
 * bench_exit.c - what does the library's run step add to a VM exit?
 *
 * What is measured: the wall-clock time per exit of a guest that does
 * nothing but port I/O. The guest (64-bit, hand-assembled below) executes
 *     mov ecx, N; mov dx, MVM_PORT_DEMO; 1: out dx, al; dec ecx; jnz 1b; hlt
 * so every loop iteration is one KVM_EXIT_IO to user space. The same
 * guest is run three ways, from the same entry state each round:
 *
 *   (a) bare:   ioctl(KVM_RUN) in a loop; on KVM_EXIT_IO read the byte at
 *               kvm_run + io.data_offset and run again. The floor: what
 *               any user-space VMM pays (kernel entry/exit, the guest's
 *               loop instructions, the exit itself).
 *   (b) step:   mvm_vcpu_run_once() with tracing off: decode into struct
 *               mvm_exit, dispatch to a device on the port bus, count.
 *   (c) traced: the same with tracing on: two clock reads, a KVM_GET_REGS
 *               for the RIP, and a copy into the trace ring per exit.
 *
 * Rounds of (a), (b), (c) are interleaved so slow drift of the machine
 * hits all three alike; the median of the rounds is reported, as ns per
 * exit and as a ratio to (a), with the spread (max - min over median)
 * as a hint of how noisy the machine was. The library's goal is (b)/(a) < 1.03; the
 * figure is printed, not asserted, because it depends on the machine.
 *
 * On a nested/software backend (MVM_QUIRK_RING0_EMULATED in quirks.h)
 * the guest's ring-0 loop is run by KVM's instruction emulator, so (a)
 * is larger there and the ratios smaller than on VT-x/AMD-V hardware.
 *
 *   make bench          or   build/bench/bench_exit [-n EXITS] [-r ROUNDS]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "minivmm/minivmm.h"

#define DEFAULT_EXITS  20000
#define DEFAULT_ROUNDS 11
#define MAX_ROUNDS     101

enum method { BARE, STEP, TRACED, NMETHODS };

static const char *const method_name[] = {
	"(a) bare KVM_RUN loop",
	"(b) mvm_vcpu_run_once, trace off",
	"(c) mvm_vcpu_run_once, trace on",
};
_Static_assert(sizeof(method_name) / sizeof(method_name[0]) == NMETHODS,
	       "one name per method");

struct bench {
	struct mvm_vm *vm;
	struct mvm_vcpu *vcpu;
	unsigned exits;	  /* OUTs per round */
	uint64_t sink;	  /* bytes the guest wrote, so nothing is elided */
	uint8_t code[32]; /* the guest */
	size_t code_len;
};

/* The guest's code, with N and the port patched in. */
static void build_guest(struct bench *b)
{
	uint8_t *c = b->code;
	size_t n = 0;

	c[n++] = 0xb9; /* mov ecx, imm32 */
	memcpy(&c[n], &b->exits, 4);
	n += 4;
	c[n++] = 0x66; /* mov dx, imm16 */
	c[n++] = 0xba;
	c[n++] = MVM_PORT_DEMO & 0xff;
	c[n++] = MVM_PORT_DEMO >> 8;
	c[n++] = 0xee; /* 1: out dx, al */
	c[n++] = 0xff; /* dec ecx */
	c[n++] = 0xc9;
	c[n++] = 0x75; /* jnz 1b: back over jnz, dec, out (2 + 2 + 1) */
	c[n++] = (uint8_t)-5;
	c[n++] = 0xf4; /* hlt */
	b->code_len = n;
}

/* A device that only counts what it is given: the cheapest handler the
 * bus can call, so (b) measures the step, not a device model. */
static int sink_write(void *dev, struct mvm_vcpu *vcpu, uint64_t off,
		      const void *data, uint32_t len)
{
	(void)off;
	((struct bench *)dev)->sink += *(const uint8_t *)data + len;
	return 0;
}

static int sink_read(void *dev, struct mvm_vcpu *vcpu, uint64_t off, void *data,
		     uint32_t len)
{
	(void)dev;
	(void)off;
	memset(data, 0, len);
	return 0;
}

static const struct mvm_dev_ops sink_ops = {
	.name = "bench-sink",
	.read = sink_read,
	.write = sink_write,
};

/* Same entry state every round: code in place, long mode at its start. */
static int reset_guest(struct bench *b)
{
	struct mvm_mode_config mc = {.mode = MVM_MODE_LONG64,
				     .entry = MVM_LOAD_ADDR};
	int rc = mvm_vm_write(b->vm, MVM_LOAD_ADDR, b->code, b->code_len);

	return rc ? rc : mvm_vcpu_setup_mode(b->vcpu, &mc);
}

/* (a): nothing but KVM_RUN and a look at the I/O data. */
static int run_bare(struct bench *b)
{
	struct kvm_run *run = mvm_vcpu_kvm_run(b->vcpu);
	int fd = mvm_vcpu_fd(b->vcpu);

	for (;;) {
		if (ioctl(fd, KVM_RUN, 0) < 0)
			return -errno;
		if (run->exit_reason == KVM_EXIT_HLT)
			return 0;
		if (run->exit_reason != KVM_EXIT_IO)
			return -EIO;
		b->sink += *((uint8_t *)run + run->io.data_offset);
	}
}

/* (b) and (c): the library's run step. */
static int run_step(struct bench *b, int traced)
{
	struct mvm_exit e;
	int rc;

	mvm_trace_enable(mvm_vcpu_trace(b->vcpu), traced);
	do
		rc = mvm_vcpu_run_once(b->vcpu, &e);
	while (rc == 0 && e.reason == KVM_EXIT_IO);
	if (rc == 0 && e.reason != KVM_EXIT_HLT)
		rc = -EIO;
	return rc;
}

/* One round of one method: ns per exit, or a negative errno. */
static double one_round(struct bench *b, enum method m)
{
	uint64_t t0, t1;
	int rc = reset_guest(b);

	if (rc < 0)
		return rc;
	t0 = mvm_now_ns();
	rc = m == BARE ? run_bare(b) : run_step(b, m == TRACED);
	t1 = mvm_now_ns();
	if (rc < 0)
		return rc;
	return (double)(t1 - t0) / b->exits;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, c = *(const double *)y;
	return (a > c) - (a < c);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* med[m]: median ns/exit of method m; spread[m]: (max - min) / median,
 * to show how noisy the machine was. */
static int measure(struct bench *b, int rounds, double med[NMETHODS],
		   double spread[NMETHODS])
{
	static double t[NMETHODS][MAX_ROUNDS];

	/* One unmeasured round of each warms caches and KVM's MMU. */
	for (int m = 0; m < NMETHODS; m++)
		if (one_round(b, m) < 0)
			return -EIO;
	for (int r = 0; r < rounds; r++) {
		for (int m = 0; m < NMETHODS; m++) {
			t[m][r] = one_round(b, m);
			if (t[m][r] < 0) {
				fprintf(stderr, "bench_exit: %s failed: %s\n",
					method_name[m],
					strerror((int)-t[m][r]));
				return -EIO;
			}
		}
	}
	for (int m = 0; m < NMETHODS; m++) {
		med[m] = median(t[m], rounds); /* sorts t[m] */
		spread[m] = (t[m][rounds - 1] - t[m][0]) / med[m];
	}
	return 0;
}

static void report(const struct bench *b, int rounds,
		   const double med[NMETHODS], const double spread[NMETHODS])
{
	printf("bench_exit: %u port-I/O exits per round, median of %d "
	       "rounds\n\n",
	       b->exits, rounds);
	printf("  %-34s %10s %8s %8s\n", "method", "ns/exit", "vs (a)",
	       "spread");
	for (int m = 0; m < NMETHODS; m++)
		printf("  %-34s %10.0f %8.3f %7.1f%%\n", method_name[m], med[m],
		       med[m] / med[BARE], 100 * spread[m]);
	printf("\n  run-step overhead (b)/(a) = %.3f (goal < 1.03: %s)\n",
	       med[STEP] / med[BARE],
	       med[STEP] / med[BARE] < 1.03 ? "met" : "NOT met");
}

static int parse_args(int argc, char **argv, unsigned *exits, int *rounds)
{
	int c;

	while ((c = getopt(argc, argv, "n:r:h")) != -1) {
		char *end = NULL;
		long v = optarg ? strtol(optarg, &end, 10) : 0;
		if (c == 'n' && *end == '\0' && v > 0 && v <= 100000000)
			*exits = (unsigned)v;
		else if (c == 'r' && *end == '\0' && v > 0 && v <= MAX_ROUNDS)
			*rounds = (int)v;
		else {
			fprintf(stderr,
				"usage: bench_exit [-n EXITS (1..1e8)] "
				"[-r ROUNDS (1..%d)]\n",
				MAX_ROUNDS);
			return c == 'h' ? 0 : 2;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct bench b = {.exits = DEFAULT_EXITS};
	struct mvm_vm_config cfg = {.ncpus = 1};
	int rounds = DEFAULT_ROUNDS,
	    rc = parse_args(argc, argv, &b.exits, &rounds);
	double med[NMETHODS], spread[NMETHODS];

	if (rc >= 0)
		return rc;
	rc = mvm_vm_create(&cfg, &b.vm);
	if (rc < 0) {
		/* No KVM here: say so, but do not fail `make bench`. */
		printf("bench_exit: skipped, cannot create a VM: %s "
		       "(try 'mvm doctor')\n",
		       strerror(-rc));
		return 0;
	}
	b.vcpu = mvm_vm_vcpu(b.vm, 0);
	build_guest(&b);
	rc = mvm_bus_register(mvm_vm_pio_bus(b.vm), MVM_PORT_DEMO, 1, &sink_ops,
			      &b);
	if (rc == 0)
		rc = measure(&b, rounds, med, spread);
	if (rc == 0)
		report(&b, rounds, med, spread);
	mvm_vm_destroy(b.vm);
	return rc == 0 ? 0 : 1;
}
