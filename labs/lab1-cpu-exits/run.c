/*
 * run.c - lab1-run: run a guest on a machine with Lab 1's devices.
 *
 *   build/labs/lab1-cpu-exits/lab1-run [--trace] IMAGE
 *
 * The machine is the standard one (debug console, ucall, UART) plus
 * what Lab 1 adds: the CMOS clock at MVM_PORT_CMOS (tasks 3), the
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

struct lab1_machine {
	struct mvm_vm *vm;
	struct mvm_std_devices devs;
	struct mvm_cmos *cmos;
	struct mvm_hcall_dev *hcall;
	struct mvm_labmsr msr;
};

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

/* Build the machine; on failure the caller still calls teardown(). */
static int setup(struct lab1_machine *m, const char *image)
{
	struct mvm_vm_config cfg = {.log = {log_stderr, NULL}};
	struct mvm_mode_config mode = {.mode = MVM_MODE_LONG64};
	struct mvm_image_info img;
	int r;

	r = mvm_vm_create(&cfg, &m->vm);
	if (r == 0)
		r = mvm_std_devices_attach(m->vm, out_stdout, NULL, &m->devs);
	if (r == 0)
		r = mvm_cmos_create(NULL, NULL, mvm_vm_log(m->vm), &m->cmos);
	if (r == 0)
		r = mvm_bus_register(mvm_vm_pio_bus(m->vm), MVM_PORT_CMOS,
				     MVM_PORT_CMOS_LEN, &mvm_cmos_ops, m->cmos);
	if (r == 0)
		r = mvm_hcall_create(mvm_vm_mem(m->vm), out_stdout, NULL,
				     mvm_vm_log(m->vm), &m->hcall);
	if (r == 0)
		r = mvm_bus_register(mvm_vm_pio_bus(m->vm), MVM_PORT_HCALL, 4,
				     &mvm_hcall_ops, m->hcall);
	if (r == 0 && mvm_labmsr_enable(m->vm, &m->msr) < 0)
		fprintf(stderr, "lab1-run: no user-space MSR exits on this "
				"KVM: the lab MSRs will #GP\n");
	if (r == 0)
		r = mvm_load_file(mvm_vm_mem(m->vm), image, MVM_LOAD_ADDR, &img,
				  mvm_vm_log(m->vm));
	if (r == 0) {
		mode.entry = img.entry;
		r = mvm_vcpu_setup_mode(mvm_vm_vcpu(m->vm, 0), &mode);
	}
	return r;
}

static void teardown(struct lab1_machine *m)
{
	if (m->vm) {
		mvm_bus_unregister(mvm_vm_pio_bus(m->vm), MVM_PORT_CMOS);
		mvm_bus_unregister(mvm_vm_pio_bus(m->vm), MVM_PORT_HCALL);
	}
	mvm_std_devices_detach(m->vm, &m->devs);
	mvm_cmos_destroy(m->cmos);
	if (m->hcall)
		mvm_hcall_destroy(m->hcall);
	mvm_vm_destroy(m->vm);
}

/* Run to DONE, ASSERT, HLT or a fatal exit; 0 when the guest succeeded. */
static int run(struct lab1_machine *m, int trace)
{
	struct mvm_vcpu *vcpu = mvm_vm_vcpu(m->vm, 0);
	struct mvm_ucall uc;
	struct mvm_exit e;
	char line[512];
	int r;

	mvm_vcpu_set_deadline(vcpu, 60000);
	for (;;) {
		r = mvm_vcpu_run_once(vcpu, &e);
		if (r < 0) {
			fprintf(stderr, "lab1-run: %s\n", strerror(-r));
			return 1;
		}
		if (trace) {
			mvm_exit_describe(&e, line, sizeof(line));
			fprintf(stderr, "exit %4llu  %s\n",
				(unsigned long long)e.seq, line);
		}
		if (!e.stop)
			continue;
		switch (mvm_ucall_last(m->devs.ucall, &uc)) {
		case MVM_UCALL_DONE:
			return 0;
		case MVM_UCALL_ASSERT:
			fprintf(stderr,
				"lab1-run: guest assertion failed: %s\n",
				uc.text);
			return 1;
		case MVM_UCALL_SYNC:
			mvm_ucall_clear(m->devs.ucall);
			continue;
		default:
			mvm_exit_explain(&e, line, sizeof(line));
			fprintf(stderr, "lab1-run: guest stopped: %s\n", line);
			return e.reason == KVM_EXIT_HLT ? 0 : 1;
		}
	}
}

int main(int argc, char **argv)
{
	struct lab1_machine m = {0};
	int trace = argc == 3 && strcmp(argv[1], "--trace") == 0;
	int rc;

	if (argc != 2 + trace || argv[1 + trace][0] == '-') {
		fprintf(stderr, "usage: lab1-run [--trace] IMAGE.elf\n");
		return 2;
	}
	rc = setup(&m, argv[1 + trace]) < 0 ? 1 : run(&m, trace);
	teardown(&m);
	return rc;
}
