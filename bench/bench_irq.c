/*
 * bench_irq.c - how long an interrupt takes to reach the guest, and how
 * many exits it costs, on each of Lab 3's three delivery paths.
 *
 * The guest (examples/irq-latency.c) idles in `sti; hlt` with only IRQ 5
 * unmasked; its handler's first instruction writes MVM_PORT_MEASURE, an
 * exit this program timestamps in the vCPU thread. A host thread raises
 * IRQ 5 (one edge) and takes the time just before; latency = handler's
 * exit - raise. So every sample includes one exit to user space (the
 * timestamp's own); bench_exit measures what that costs on this machine.
 *
 *   user    the user-space 8259A (pic.h): the raise sets IRR, kicks the
 *           vCPU out of its user-space HLT wait, the pre-entry hook
 *           injects with KVM_INTERRUPT; the guest's EOI and its next HLT
 *           are exits too.
 *   kernel  KVM's PIC: KVM_IRQ_LINE from this thread, KVM wakes the vCPU
 *           and injects; EOI and HLT stay in the kernel.
 *   irqfd   the same, but the raise is a write to an eventfd KVM watches
 *           (KVM_IRQFD): no ioctl, no VMM code on the way.
 *
 * Samples are spaced 2 ms apart so each finds the guest halted; the
 * median and the 10th/90th percentiles are printed with the exits per
 * interrupt (all exits to user space while the run lasts, divided by
 * the samples). Figures depend on the machine: printed, not asserted.
 *
 *   make bench     or   build/bench/bench_irq [-n SAMPLES] [-o CSV]
 *
 * -o writes the table as CSV for the slides (slides/data/irq-latency.csv,
 * `make slides-data`), its first line naming the machine.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "minivmm/minivmm.h"

#define IRQ	    5
#define SAMPLES	    200
#define MAX_SAMPLES 5000
#define GAP_US	    2000

enum path { USER, KERNEL, IRQFD, NPATHS };
static const char *const path_name[NPATHS] = {"user 8259A", "in-kernel PIC",
					      "irqfd + PIC"};

struct probe {
	_Atomic uint64_t handler_ns; /* time of the handler's OUT */
	_Atomic int ready;	     /* the guest wrote 0: it is idling */
	_Atomic uint64_t exits;	     /* exits seen by the vCPU thread */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int probe_write(void *dev, struct mvm_vcpu *vcpu, uint64_t off,
		       const void *data, uint32_t len)
{
	struct probe *p = dev;

	(void)vcpu;
	(void)off;
	(void)len;
	if (*(const uint8_t *)data)
		atomic_store(&p->handler_ns, now_ns());
	else
		atomic_store(&p->ready, 1);
	return 0;
}

static int probe_read(void *dev, struct mvm_vcpu *vcpu, uint64_t off,
		      void *data, uint32_t len)
{
	(void)dev;
	(void)vcpu;
	(void)off;
	memset(data, 0, len);
	return 0;
}

static const struct mvm_dev_ops probe_ops = {
	.name = "latency-probe",
	.read = probe_read,
	.write = probe_write,
};

static void count_exit(void *ctx, struct mvm_vcpu *vcpu,
		       const struct mvm_exit *e)
{
	struct probe *p = ctx;

	(void)vcpu;
	(void)e;
	atomic_fetch_add(&p->exits, 1);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void sleep_us(unsigned us)
{
	struct timespec ts = {0, (long)us * 1000};

	nanosleep(&ts, NULL);
}

/* One path: n samples of raise -> handler, in ns, sorted. */
static int measure(enum path path, int n, uint64_t *lat, double *exits)
{
	struct mvm_machine_config cfg = {
		.irqchip = path == USER ? MVM_IRQCHIP_USER : MVM_IRQCHIP_KERNEL,
		.irq_flags = path == IRQFD ? MVM_MIRQ_IRQFD : 0,
		.hlt = MVM_HLT_WAIT,
		.mode = MVM_MODE_AUTO,
		.image = MVM_GUEST_DIR "/irq-latency.elf",
	};
	struct mvm_machine *m = NULL;
	struct mvm_pic *pic = NULL;
	struct mvm_irq_line *line;
	struct probe p = {0};
	uint64_t e0, t0, deadline;
	int rc, i;

	rc = mvm_machine_create(&cfg, &m);
	if (!rc && path == USER) {
		rc = mvm_pic_create(mvm_machine_log(m), &pic);
		rc = rc ? rc : mvm_pic_attach(pic, m);
	}
	rc = rc ? rc
		: mvm_machine_add_device(m, 0, MVM_PORT_MEASURE, 1, &probe_ops,
					 &p);
	rc = rc ? rc : mvm_machine_irq_line(m, IRQ, &line);
	rc = rc ? rc : mvm_machine_start(m, 0, count_exit, &p);
	deadline = now_ns() + 5000000000ull;
	while (!rc && !atomic_load(&p.ready) && now_ns() < deadline)
		sleep_us(1000);
	if (!rc && !atomic_load(&p.ready))
		rc = -ETIMEDOUT;
	sleep_us(GAP_US);
	e0 = atomic_load(&p.exits);
	for (i = 0; !rc && i < n; i++) {
		atomic_store(&p.handler_ns, 0);
		t0 = now_ns();
		rc = mvm_irq_pulse(line);
		deadline = t0 + 1000000000ull;
		while (!rc && !atomic_load(&p.handler_ns) &&
		       now_ns() < deadline)
			;
		if (!rc && !atomic_load(&p.handler_ns))
			rc = -ETIMEDOUT;
		if (!rc)
			lat[i] = atomic_load(&p.handler_ns) - t0;
		sleep_us(GAP_US);
	}
	*exits = (double)(atomic_load(&p.exits) - e0) / n;
	if (m)
		mvm_machine_stop(m);
	mvm_machine_destroy(m);
	mvm_pic_destroy(pic);
	if (!rc)
		qsort(lat, (size_t)n, sizeof(lat[0]), cmp_u64);
	return rc;
}

int main(int argc, char **argv)
{
	static uint64_t lat[MAX_SAMPLES];
	struct mvm_backend be;
	const char *csv_path = NULL;
	char host[384];
	FILE *csv = NULL;
	int n = SAMPLES, opt;

	while ((opt = getopt(argc, argv, "n:o:")) != -1) {
		if (opt == 'o') {
			csv_path = optarg;
			continue;
		}
		n = opt == 'n' ? atoi(optarg) : 0;
		if (n < 10 || n > MAX_SAMPLES) {
			fprintf(stderr,
				"usage: %s [-n SAMPLES (10-%d)] [-o CSV]\n",
				argv[0], MAX_SAMPLES);
			return 2;
		}
	}
	if (mvm_backend_detect(&be) < 0) {
		printf("bench_irq: skipped, no usable /dev/kvm\n");
		return 0;
	}
	if (csv_path) {
		csv = fopen(csv_path, "w");
		if (!csv) {
			perror(csv_path);
			return 1;
		}
		mvm_host_describe(host, sizeof(host));
		fprintf(csv, "# %s\npath,p10_us,median_us,p90_us,exits\n",
			host);
	}
	printf("bench_irq: raise IRQ 5 -> guest handler's first OUT, %d "
	       "samples per path, KVM backend %s\n",
	       n, be.name);
	printf("  %-16s %10s %10s %10s %16s\n", "path", "p10 us", "median us",
	       "p90 us", "exits/interrupt");
	for (int p = 0; p < NPATHS; p++) {
		double exits = 0;
		int rc = measure((enum path)p, n, lat, &exits);

		if (rc) {
			printf("  %-16s failed: %s\n", path_name[p],
			       strerror(-rc));
			continue;
		}
		printf("  %-16s %10.1f %10.1f %10.1f %16.1f\n", path_name[p],
		       lat[n / 10] / 1e3, lat[n / 2] / 1e3,
		       lat[n * 9 / 10] / 1e3, exits);
		if (csv)
			fprintf(csv, "%s,%.1f,%.1f,%.1f,%.1f\n", path_name[p],
				lat[n / 10] / 1e3, lat[n / 2] / 1e3,
				lat[n * 9 / 10] / 1e3, exits);
	}
	if (csv && fclose(csv) != 0) {
		perror(csv_path);
		return 1;
	}
	printf("(each sample includes the handler's own OUT, one exit to "
	       "user space: see bench_exit; exits/interrupt counts it too)\n");
	return 0;
}
