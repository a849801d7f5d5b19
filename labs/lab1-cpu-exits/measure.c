/*
 * measure.c - lab1-measure: what a VM exit costs (Lab 1, task 6).
 *
 *   build/labs/lab1-cpu-exits/lab1-measure [-n ITERATIONS]
 *
 * Runs two guests and prints one table:
 *   lab1-measure.elf  the same loop four times: no exit, CPUID (an exit
 *                     KVM handles in the kernel), OUT to a port with an
 *                     ioeventfd (handled in the kernel), OUT to a device
 *                     in this program (an exit to user space);
 *   cpl-compute.elf   one compute loop at CPL 0 and at CPL 3
 *                     (examples/cpl-compute.c).
 * The guest brackets each loop with a marker exit and the host takes the
 * time at each marker, so the guest needs no clock. The lines starting
 * with "result" are for scripts; the README tells what to expect.
 *
 * Task 6 edits lab1_setup_doorbell() below: register the ioeventfd. The
 * grader does not read this program's output (a program can print any
 * number): it links this file without main() (-DLAB1_MEASURE_NO_MAIN)
 * into its own test, calls lab1_setup_doorbell() and checks with KVM and
 * the eventfd what the registration does, timing the guest itself
 * (labs/lab1-cpu-exits/tests/test_6_measure.c).
 */
#include <errno.h>
#include <getopt.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "minivmm/minivmm.h"
#include "demo.h"	  /* examples/runtime: cpl-compute's markers */
#include "lab1-measure.h" /* lab1_setup_doorbell() */

#define STAGES 6 /* SYNC 1..5 of lab1-measure.elf */

/*
 * Ask KVM to complete every 4-byte OUT to MVM_PORT_DOORBELL in the kernel
 * by signalling an eventfd, instead of exiting to us. Returns the eventfd
 * (>= 0) or -errno.
 */
int lab1_setup_doorbell(struct mvm_vm *vm)
{
	/* LAB(1, ioeventfd) BEGIN */
	struct kvm_ioeventfd io = {
		.addr = MVM_PORT_DOORBELL,
		.len = 4,
		.flags = KVM_IOEVENTFD_FLAG_PIO, /* a port, not an address */
	};
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	io.fd = fd;
	if (ioctl(mvm_vm_fd(vm), KVM_IOEVENTFD, &io) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
	/* LAB(1) STUB
	// LAB 1 (task 6): create an eventfd and register it with KVM for
	// 4-byte writes to port MVM_PORT_DOORBELL (KVM_IOEVENTFD on the VM
	// fd, mvm_vm_fd(vm), with KVM_IOEVENTFD_FLAG_PIO). Return the fd.
	// Hint: api.rst section 4, "KVM_IOEVENTFD", eventfd(2).
	(void)vm;
	return -ENOSYS;
	LAB(1) END */
}

#ifndef LAB1_MEASURE_NO_MAIN /* the tool; the grader links only the above */

static void log_stderr(void *ctx, enum mvm_log_level level, const char *msg)
{
	(void)ctx;
	if (level <= MVM_LOG_WARN)
		fprintf(stderr, "lab1-measure: %s: %s\n",
			mvm_log_level_name(level), msg);
}

static void out_stdout(void *ctx, const char *buf, size_t len)
{
	(void)ctx;
	fwrite(buf, 1, len, stdout);
}

/* The measure port: IN tells the guest how many iterations to run; OUT
 * does nothing at all, so what we time is the exit itself. */
static int measure_read(void *dev, struct mvm_vcpu *vcpu, uint64_t off,
			void *data, uint32_t len)
{
	uint32_t n = *(const uint32_t *)dev;

	(void)off;
	memcpy(data, &n, len < sizeof(n) ? len : sizeof(n));
	return 0;
}

static int measure_write(void *dev, struct mvm_vcpu *vcpu, uint64_t off,
			 const void *data, uint32_t len)
{
	(void)dev, (void)off, (void)data, (void)len;
	return 0;
}

static const struct mvm_dev_ops measure_ops = {
	.name = "lab1-measure",
	.read = measure_read,
	.write = measure_write,
};

/* The machine every tool builds (machine.h), with a guest loaded in
 * long mode. */
static int make_machine(const char *path, struct mvm_machine **m)
{
	struct mvm_machine_config cfg = {
		.image = path,
		.mode = MVM_MODE_LONG64,
		.out = out_stdout,
		.log = {log_stderr, NULL},
	};
	int r = mvm_machine_create(&cfg, m);

	if (r < 0)
		fprintf(stderr, "lab1-measure: %s: %s\n", path, strerror(-r));
	return r;
}

/* Run until the guest says DONE, timestamping SYNC k into t[k]. */
static int run_stages(struct mvm_machine *m, uint64_t t[STAGES])
{
	const struct mvm_std_devices *devs = mvm_machine_devices(m);
	struct mvm_ucall uc;
	struct mvm_exit e;

	for (;;) {
		switch (mvm_machine_run(m, 0, 120000, 1, NULL, NULL, &e)) {
		case MVM_SYNC:
			mvm_ucall_last_of(devs->ucall, 0, &uc);
			if (uc.args[0] < STAGES)
				t[uc.args[0]] = mvm_now_ns();
			break;
		case MVM_DONE:
			return 0;
		default:
			if (mvm_ucall_last_of(devs->ucall, 0, &uc) ==
			    MVM_UCALL_ASSERT)
				fprintf(stderr,
					"lab1-measure: guest assertion: %s\n",
					uc.text);
			else
				fprintf(stderr,
					"lab1-measure: guest stopped: %s\n",
					mvm_exit_reason_name(e.reason));
			return -EPROTO;
		}
	}
}

struct results {
	double loop_ns, cpuid_ns, ioeventfd_ns, user_exit_ns;
	double cpl0_ms, cpl3_ms;
	int have_ioeventfd;
	uint64_t doorbell_count; /* eventfd counter: writes KVM caught */
};

static int measure_exits(const char *dir, uint32_t n, struct results *res)
{
	struct mvm_machine *m = NULL;
	uint64_t t[STAGES] = {0};
	char path[4096];
	int r, efd = -1;

	snprintf(path, sizeof(path), "%s/guests/lab1-measure.elf", dir);
	r = make_machine(path, &m);
	if (r == 0)
		r = mvm_machine_add_device(m, 0, MVM_PORT_MEASURE, 4,
					   &measure_ops, &n);
	if (r == 0) {
		efd = lab1_setup_doorbell(mvm_machine_vm(m));
		if (efd < 0)
			fprintf(stderr,
				"lab1-measure: no ioeventfd (%s): the doorbell "
				"OUTs exit to user space and are not "
				"reported\n",
				strerror(-efd));
		r = run_stages(m, t);
	}
	if (r == 0) {
		res->loop_ns = (double)(t[2] - t[1]) / n;
		res->cpuid_ns = (double)(t[3] - t[2]) / n;
		res->ioeventfd_ns = (double)(t[4] - t[3]) / n;
		res->user_exit_ns = (double)(t[5] - t[4]) / n;
		res->have_ioeventfd =
			efd >= 0 && read(efd, &res->doorbell_count,
					 sizeof(res->doorbell_count)) == 8;
	}
	if (efd >= 0)
		close(efd);
	mvm_machine_destroy(m);
	return r;
}

/* cpl-compute brackets its two loops with markers (MMIO writes of
 * BEGIN(n)/END(n), then STOP); the machine's demo device timestamps them
 * in its exit handler (devices/demo.c). */
static int measure_cpl(const char *path, struct results *res)
{
	struct mvm_machine *m = NULL;
	struct mvm_demo *d;
	struct mvm_exit e;
	int r = make_machine(path, &m);

	if (r == 0 &&
	    mvm_machine_run(m, 0, 120000, 0, NULL, NULL, &e) != MVM_DONE)
		r = -EPROTO;
	d = m ? mvm_machine_demo(m) : NULL;
	if (r == 0 && (!mvm_demo_took_ns(d, 0) || !mvm_demo_took_ns(d, 1))) {
		fprintf(stderr, "lab1-measure: cpl-compute stopped early: %s\n",
			mvm_exit_reason_name(e.reason));
		r = -EPROTO;
	}
	if (r == 0) {
		res->cpl0_ms = (double)mvm_demo_took_ns(d, 0) / 1e6;
		res->cpl3_ms = (double)mvm_demo_took_ns(d, 1) / 1e6;
	}
	mvm_machine_destroy(m);
	return r;
}

/* Which KVM backend runs the guest (quirks.h): a software backend for
 * nested use, or kvm_intel/kvm_amd (VT-x/SVM)? */
static const char *backend(void)
{
	struct mvm_backend be;

	mvm_backend_detect(&be);
	return be.name;
}

static void print_results(const struct results *r, uint32_t n)
{
	printf("lab1-measure: %u iterations per loop, KVM module: %s\n", n,
	       backend());
	printf("  %-46s %12s %14s\n", "what", "ns per op", "minus loop");
	printf("  %-46s %12.1f\n", "loop iteration, no exit", r->loop_ns);
	printf("  %-46s %12.1f %14.1f\n", "CPUID (exit handled inside KVM)",
	       r->cpuid_ns, r->cpuid_ns - r->loop_ns);
	if (r->have_ioeventfd)
		printf("  %-46s %12.1f %14.1f\n",
		       "OUT to an ioeventfd port (handled inside KVM)",
		       r->ioeventfd_ns, r->ioeventfd_ns - r->loop_ns);
	printf("  %-46s %12.1f %14.1f\n", "OUT to a device in the VMM (exit)",
	       r->user_exit_ns, r->user_exit_ns - r->loop_ns);
	printf("  %-46s %12.1f ms\n", "compute loop at CPL 0 (cpl-compute)",
	       r->cpl0_ms);
	printf("  %-46s %12.1f ms  (CPL 0 / CPL 3 = %.1f)\n",
	       "the same loop at CPL 3", r->cpl3_ms,
	       r->cpl3_ms > 0 ? r->cpl0_ms / r->cpl3_ms : 0.0);
	printf("result loop_ns %.1f\nresult cpuid_ns %.1f\n", r->loop_ns,
	       r->cpuid_ns);
	if (r->have_ioeventfd)
		printf("result ioeventfd_ns %.1f\nresult ioeventfd_signals "
		       "%llu\n",
		       r->ioeventfd_ns, (unsigned long long)r->doorbell_count);
	printf("result user_exit_ns %.1f\nresult cpl0_ms %.3f\n"
	       "result cpl3_ms %.3f\n",
	       r->user_exit_ns, r->cpl0_ms, r->cpl3_ms);
}

int main(int argc, char **argv)
{
	const char *dir = MVM_LAB_BUILD_DIR "/lab1-cpu-exits";
	const char *cpl = MVM_GUEST_DIR "/cpl-compute.elf";
	struct results res = {0};
	unsigned long n = 20000;
	int c;

	while ((c = getopt(argc, argv, "n:h")) != -1) {
		char *end;

		if (c != 'n') {
			fprintf(stderr, "usage: lab1-measure [-n ITERATIONS "
					"(1-10000000)]\n");
			return c == 'h' ? 0 : 2;
		}
		n = strtoul(optarg, &end, 10);
		if (*end || n == 0 || n > 10000000) {
			fprintf(stderr, "lab1-measure: bad -n '%s'\n", optarg);
			return 2;
		}
	}
	if (measure_exits(dir, (uint32_t)n, &res) < 0 ||
	    measure_cpl(cpl, &res) < 0)
		return 1;
	print_results(&res, (uint32_t)n);
	return 0;
}
#endif /* LAB1_MEASURE_NO_MAIN */
