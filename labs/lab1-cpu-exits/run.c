/*
 * run.c - lab1-run: run a guest on a machine with Lab 1's devices.
 *
 *   build/labs/lab1-cpu-exits/lab1-run [--trace] IMAGE
 *
 * The machine is the standard one every tool builds (machine.h: debug
 * console, ucall, UART, demo device) plus what Lab 1 adds: the CMOS clock at MVM_PORT_CMOS (tasks 3), the
 * hypercall port at MVM_PORT_HCALL (task 4) and the made-up MSRs (task
 * 5). With --trace every exit is printed as the run step returns it, so
 * you can watch your decode (task 1) and dispatch (task 2) at work:
 *
 *   lab1-run --trace build/labs/lab1-cpu-exits/guests/lab1-cmos.elf
 *
 * Exit status: 0 when the guest says DONE (or halts), 1 otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "minivmm/minivmm.h"

static void log_stderr(void *ctx, enum mvm_log_level level, const char *msg)
{
	(void)ctx;
	if (level <= MVM_LOG_INFO)
		fprintf(stderr, "lab1-run: %s: %s\n", mvm_log_level_name(level),
			msg);
}

static void out_stdout(void *ctx, const char *buf, size_t len)
{
	(void)ctx;
	fwrite(buf, 1, len, stdout);
	fflush(stdout);
}

/* The machine every tool builds (machine.h) plus Lab 1's devices
 * (MVM_MDEV_LAB1), the image in long mode. */
static int setup(struct mvm_machine **m, const char *image)
{
	struct mvm_machine_config cfg = {
		.devices = MVM_MDEV_DEFAULT | MVM_MDEV_LAB1,
		.image = image,
		.mode = MVM_MODE_LONG64,
		.out = out_stdout,
		.log = {log_stderr, NULL},
	};

	return mvm_machine_create(&cfg, m);
}

/* --trace: every exit as the run step returns it. */
static void trace(void *ctx, struct mvm_vcpu *vcpu, const struct mvm_exit *e)
{
	char line[512];

	(void)ctx, (void)vcpu;
	mvm_exit_describe(e, line, sizeof(line));
	fprintf(stderr, "exit %4llu  %s\n", (unsigned long long)e->seq, line);
}

/* Run to DONE, ASSERT, HLT or a fatal exit; 0 when the guest succeeded.
 * How a run ends is the machine's verdict, as in every tool. */
static int run(struct mvm_machine *m, int do_trace)
{
	struct mvm_ucall uc;
	struct mvm_exit e;
	char line[2048];
	enum mvm_verdict v;

	v = mvm_machine_run(m, 0, 60000, 0, do_trace ? trace : NULL, NULL, &e);
	if (v == MVM_DONE)
		return 0;
	if (e.reason == KVM_EXIT_IO && e.u.io.port == MVM_PORT_UCALL &&
	    mvm_ucall_last_of(mvm_machine_devices(m)->ucall, 0, &uc) ==
		    MVM_UCALL_ASSERT) {
		fprintf(stderr, "lab1-run: guest assertion failed: %s\n",
			uc.text);
		return 1;
	}
	mvm_exit_explain(&e, line, sizeof(line));
	fprintf(stderr, "lab1-run: guest stopped (%s): %s\n",
		mvm_verdict_name(v), line);
	return 1;
}

int main(int argc, char **argv)
{
	struct mvm_machine *m = NULL;
	int do_trace = argc == 3 && strcmp(argv[1], "--trace") == 0;
	int rc;

	if (argc != 2 + do_trace || argv[1 + do_trace][0] == '-') {
		fprintf(stderr, "usage: lab1-run [--trace] IMAGE.elf\n");
		return 2;
	}
	rc = setup(&m, argv[1 + do_trace]) < 0 ? 1 : run(m, do_trace);
	mvm_machine_destroy(m);
	return rc;
}
