/*
 * test_mvm_cli.c - the `mvm` program as a user meets it: run the built
 * binary (MVM_BUILD_DIR "/mvm") through the shell and check its exit
 * status and what it prints.
 *
 * Exit statuses under test (mvm/commands.h): 0 success, 1 the guest or a
 * check failed, 2 the command line was wrong. Tests that run a guest skip
 * when /dev/kvm is unusable; the usage tests need no KVM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"

#define MVM	    MVM_BUILD_DIR "/mvm"
#define GUESTS	    MVM_GUEST_DIR
#define OUT_MAX	    65536
/* Every command runs under timeout(1), so a hung guest fails the test
 * instead of hanging it. */
#define CMD_TIMEOUT "timeout 60 "

struct result {
	int status;	   /* exit status, or -1 if killed by a signal */
	char out[OUT_MAX]; /* stdout and stderr together */
};

static struct result res;

/* Run a shell command line with stderr merged into stdout. */
static struct result *sh(const char *cmdline)
{
	char cmd[1200];
	size_t n = 0, got;
	FILE *p;

	snprintf(cmd, sizeof(cmd), CMD_TIMEOUT "%s 2>&1", cmdline);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (n < OUT_MAX - 1 &&
	       (got = fread(res.out + n, 1, OUT_MAX - 1 - n, p)) > 0)
		n += got;
	res.out[n] = '\0';
	int st = pclose(p);
	res.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return &res;
}

/* Run `mvm ARGS`. */
static struct result *mvm(const char *args)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "%s %s", MVM, args);
	return sh(cmd);
}

static void assert_has(const struct result *r, const char *want)
{
	if (!strstr(r->out, want))
		fail_msg("output lacks \"%s\"; it was:\n%s", want, r->out);
}

static void assert_status(const struct result *r, int want)
{
	if (r->status != want)
		fail_msg("exit status %d, wanted %d; output:\n%s", r->status,
			 want, r->out);
}

static void need_kvm(void)
{
	char why[256];

	if (!fixture_kvm_usable(why, sizeof(why))) {
		print_message("skip: %s\n", why);
		skip();
	}
}

static void help_exits_0_and_lists_the_commands(void **state)
{
	(void)state;
	struct result *r = mvm("--help");
	assert_status(r, 0);
	assert_has(r, "run ");
	assert_has(r, "doctor ");
	r = mvm("run --help");
	assert_status(r, 0);
	assert_has(r, "--timeout");
	r = mvm("doctor --help");
	assert_status(r, 0);
}

static void unknown_command_and_option_exit_2_naming_them(void **state)
{
	(void)state;
	struct result *r = mvm("frobnicate");
	assert_status(r, 2);
	assert_has(r, "unknown command 'frobnicate'");
	r = mvm("run --bogus x.elf");
	assert_status(r, 2);
	assert_has(r, "unknown option '--bogus'");
	r = mvm("run -q x.elf");
	assert_status(r, 2);
	assert_has(r, "unknown option '-q'");
	r = mvm("run");
	assert_status(r, 2);
	assert_has(r, "missing IMAGE");
}

static void bad_option_values_exit_2_naming_the_value(void **state)
{
	(void)state;
	struct result *r = mvm("run --mem 12Q x.elf");
	assert_status(r, 2);
	assert_has(r, "bad --mem '12Q'");
	r = mvm("run --mem 1K x.elf");
	assert_status(r, 2);
	assert_has(r, "bad --mem '1K'");
	r = mvm("run --mode turbo x.elf");
	assert_status(r, 2);
	assert_has(r, "bad --mode 'turbo'");
	r = mvm("run --timeout -3 x.elf");
	assert_status(r, 2);
	assert_has(r, "bad --timeout '-3'");
	/* Too long is refused with the real limit, not "need > 0". */
	r = mvm("run --timeout 99999999 x.elf");
	assert_status(r, 2);
	assert_has(r, "need seconds from 0.001 to 4000000");
	r = mvm("run --timeout");
	assert_status(r, 2);
	assert_has(r, "'--timeout' needs a value");
}

static void missing_image_exits_1_naming_the_file(void **state)
{
	(void)state;
	need_kvm();
	struct result *r = mvm("run /nonexistent/guest.elf");
	assert_status(r, 1);
	assert_has(r, "/nonexistent/guest.elf");
}

static void run_hello_long_prints_the_greeting_and_exits_0(void **state)
{
	(void)state;
	need_kvm();
	struct result *r = mvm("run " GUESTS "/hello-long.elf");
	assert_status(r, 0);
	assert_has(r, "Hello from 64-bit long mode\n");
	assert_has(r, "DONE");
}

static void run_flat_binary_defaults_to_real_mode(void **state)
{
	(void)state;
	need_kvm();
	struct result *r = mvm("run " GUESTS "/hello-real.bin");
	assert_status(r, 0);
	assert_has(r, "Hello\n");
	assert_has(r, "HLT");
}

static void run_triple_fault_exits_1_and_explains_it(void **state)
{
	(void)state;
	need_kvm();
	struct result *r = mvm("run " GUESTS "/triple-fault.elf");
	assert_status(r, 1);
	assert_has(r, "SHUTDOWN");
	assert_has(r, "triple");
	/* The runner looks at the guest's state, as the debugger does. */
	assert_has(r, "the IDT is empty");
}

static void run_failed_assertion_shows_expr_place_and_values(void **state)
{
	(void)state;
	need_kvm();
	struct result *r = mvm("run " GUESTS "/ucall-tour.elf");
	assert_status(r, 1);
	assert_has(r, "assertion failed at examples/ucall-tour.c:");
	assert_has(r, "sum_to(100) == 5000");
	assert_has(r, "(5050)");
	assert_has(r, "(5000)");
}

static void run_trace_and_stats_show_the_msr_exit(void **state)
{
	(void)state;
	need_kvm();
	struct result *r = mvm("run --trace --stats " GUESTS "/exit-tour.elf");
	assert_status(r, 0);
	assert_has(r, "RDMSR returned 0x4f4d45442d4d564d");
	assert_has(r, "X86_RDMSR");
	assert_has(r, "[ucall PRINT \"step 6: RDMSR of a made-up MSR\"]");
	assert_has(r, "MMIO");
	assert_has(r, "exit reason");
	assert_has(r, "total");
}

/* Lab 3's three paths from the command line: the tick guest finishes
 * on each; --stats says what the user-space PIC injected; an irqfd
 * without KVM's chip and an unknown chip are usage errors. */
static void run_irqchip_paths_run_the_tick_guest(void **state)
{
	static const char *const paths[] = {"--irqchip user",
					    "--irqchip kernel", "--irqfd"};
	struct result *r;

	(void)state;
	need_kvm();
	for (unsigned i = 0; i < 3; i++) {
		char args[256];

		snprintf(args, sizeof(args), "run %s --stats %s/ticks.elf",
			 paths[i], GUESTS);
		r = mvm(args);
		assert_status(r, 0);
		assert_has(r, "guest finished (DONE)");
	}
	r = mvm("run --irqchip user --stats " GUESTS "/ticks.elf");
	assert_has(r, "interrupts (user-space 8259A): 5");
	r = mvm("run --irqfd --stats " GUESTS "/ticks.elf");
	assert_has(r, "device lines as irqfds");
	r = mvm("run --irqchip user --irqfd " GUESTS "/ticks.elf");
	assert_status(r, 2);
	assert_has(r, "--irqfd needs --irqchip kernel");
	r = mvm("run --irqchip pic " GUESTS "/ticks.elf");
	assert_status(r, 2);
	assert_has(r, "bad --irqchip 'pic'");
}

/* A machine that cannot be built says why in one line: the library's
 * reason (here a missing disk), not KVM's errno and a second line. */
static void run_with_a_missing_disk_is_one_line_naming_it(void **state)
{
	struct result *r;

	(void)state;
	need_kvm();
	r = mvm("run --disk /nonexistent/d.img " GUESTS "/hello-long.elf");
	assert_status(r, 1);
	assert_has(r, "mvm run: cannot create a VM: virtio-blk: "
		      "/nonexistent/d.img: No such file or directory\n");
	assert_null(strchr(strchr(r->out, '\n') + 1, '\n'));
}

/* --cpus 2: one thread per vCPU; both count in parallel and each says
 * DONE through its own mailbox; out-of-range counts are usage errors. */
static void run_cpus_2_runs_smp_count_on_two_threads(void **state)
{
	(void)state;
	need_kvm();
	struct result *r =
		mvm("run --cpus 2 --timeout 60 " GUESTS "/smp-count.elf");
	assert_status(r, 0);
	assert_has(r, "vCPU 0 counted to 20000");
	assert_has(r, "vCPU 1 counted to 20000");
	assert_has(r, "vCPU 1: done");
	r = mvm("run --cpus 0 " GUESTS "/smp-count.elf");
	assert_status(r, 2);
	assert_has(r, "bad --cpus '0'");
}

static void run_timeout_stops_a_spinning_guest_with_status_1(void **state)
{
	(void)state;
	need_kvm();
	char path[] = "/tmp/mvm-spin-XXXXXX", args[256];
	static const unsigned char spin[] = {0xeb, 0xfe}; /* jmp $ */
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, spin, sizeof(spin)), sizeof(spin));
	close(fd);
	snprintf(args, sizeof(args), "run --timeout 0.5 --flat %s", path);
	struct result *r = mvm(args);
	unlink(path);
	assert_status(r, 1);
	assert_has(r, "timed out after 0.5 s");
}

/* The same bytes without --flat or a .bin name are not run: the loader's
 * rule (loader.h) names the way out. A lone 0x7f byte is an ELF error. */
static void run_refuses_an_image_that_is_neither_elf_nor_flat(void **state)
{
	(void)state;
	need_kvm();
	char path[] = "/tmp/mvm-noelf-XXXXXX", args[256];
	static const unsigned char spin[] = {0xeb, 0xfe};
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, spin, sizeof(spin)), sizeof(spin));
	close(fd);
	snprintf(args, sizeof(args), "run --timeout 5 %s", path);
	struct result *r = mvm(args);
	assert_status(r, 1);
	assert_has(r, "--flat");
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\x7f", 1), 1);
	close(fd);
	r = mvm(args);
	unlink(path);
	assert_status(r, 1);
	assert_has(r, "ELF");
}

static void doctor_exits_0_on_a_working_host(void **state)
{
	(void)state;
	need_kvm();
	struct result *r = mvm("doctor");
	assert_status(r, 0);
	assert_has(r, "KVM API version 12");
	assert_has(r, "KVM_CAP_USER_MEMORY");
}

/* A private mount namespace with an empty /dev is a host without the
 * kvm module, as far as mvm can tell. Needs root (CAP_SYS_ADMIN). */
static void doctor_without_dev_kvm_exits_1_and_says_how_to_fix(void **state)
{
	(void)state;
	if (sh("unshare -m true")->status != 0) {
		print_message("skip: cannot create a mount namespace here "
			      "(needs root)\n");
		skip();
	}
	struct result *r = sh("unshare -m sh -c 'mount -t tmpfs none /dev "
			      "&& exec " MVM " doctor'");
	assert_status(r, 1);
	assert_has(r, "[FAIL] cannot open /dev/kvm: No such file");
	assert_has(r, "modprobe kvm_intel");
	assert_has(r, "cannot run here yet");
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(help_exits_0_and_lists_the_commands),
		cmocka_unit_test(unknown_command_and_option_exit_2_naming_them),
		cmocka_unit_test(bad_option_values_exit_2_naming_the_value),
		cmocka_unit_test(missing_image_exits_1_naming_the_file),
		cmocka_unit_test(
			run_hello_long_prints_the_greeting_and_exits_0),
		cmocka_unit_test(run_flat_binary_defaults_to_real_mode),
		cmocka_unit_test(run_triple_fault_exits_1_and_explains_it),
		cmocka_unit_test(
			run_failed_assertion_shows_expr_place_and_values),
		cmocka_unit_test(run_trace_and_stats_show_the_msr_exit),
		cmocka_unit_test(
			run_timeout_stops_a_spinning_guest_with_status_1),
		cmocka_unit_test(
			run_refuses_an_image_that_is_neither_elf_nor_flat),
		cmocka_unit_test(run_cpus_2_runs_smp_count_on_two_threads),
		cmocka_unit_test(run_irqchip_paths_run_the_tick_guest),
		cmocka_unit_test(run_with_a_missing_disk_is_one_line_naming_it),
		cmocka_unit_test(doctor_exits_0_on_a_working_host),
		cmocka_unit_test(
			doctor_without_dev_kvm_exits_1_and_says_how_to_fix),
	};
	if (access(MVM, X_OK) != 0) {
		fprintf(stderr, "test_mvm_cli: %s is not built (make)\n", MVM);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
