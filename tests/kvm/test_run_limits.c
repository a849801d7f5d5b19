/*
 * test_run_limits.c - `mvm run` never hangs silently and says each
 * failure in one line: the default run limit for a plain image and its
 * message, -T 0 for none, images that are not regular files (a FIFO, a
 * /proc file, a directory), and the loader's reason in the same line as
 * "cannot load". `mvm restore` takes -T the same way.
 *
 * Each command runs under timeout(1) through the shell, so a regression
 * that hangs fails the test instead of hanging it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

#define MVM	MVM_BUILD_DIR "/mvm"
#define MVMDBG	MVM_BUILD_DIR "/mvmdbg"
#define OUT_MAX 16384

static char out[OUT_MAX];
static char spin[64]; /* a flat image: jmp $ */

/* Run a shell command line (stderr merged); its exit status. */
static int sh(const char *cmdline)
{
	char cmd[1200];
	size_t n = 0, got;

	snprintf(cmd, sizeof(cmd), "timeout 60 sh -c '%s' 2>&1", cmdline);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	while (n < OUT_MAX - 1 &&
	       (got = fread(out + n, 1, OUT_MAX - 1 - n, p)) > 0)
		n += got;
	out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void has(const char *want)
{
	if (!strstr(out, want))
		fail_msg("output lacks \"%s\"; it was:\n%s", want, out);
}

static int lines(void)
{
	int n = 0;
	for (const char *p = out; *p; p++)
		n += *p == '\n';
	return n;
}

static void need_kvm(void)
{
	char why[256];

	if (!fixture_kvm_usable(why, sizeof(why))) {
		print_message("skip: %s\n", why);
		skip();
	}
}

static int make_spin(void **state)
{
	(void)state;
	static const unsigned char code[] = {0xeb, 0xfe}; /* jmp $ */
	snprintf(spin, sizeof(spin), "/tmp/mvm-spin-XXXXXX.bin");
	int fd = mkstemps(spin, 4);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, code, sizeof(code)), (ssize_t)sizeof(code));
	close(fd);
	return 0;
}

static int drop_spin(void **state)
{
	(void)state;
	unlink(spin);
	return 0;
}

/* Without -T a plain image is stopped after 10 s, and the message says
 * which limit fired and how to change it; with -T 0 the same guest runs
 * on past it: still running when timeout(1) interrupts it at 11 s, which
 * timeout reports as 124. Both at once. */
static void
default_limit_stops_a_spinning_image_and_minus_t_0_lifts_it(void **state)
{
	(void)state;
	need_kvm();
	char cmd[600];
	struct timespec t0, t1;
	snprintf(cmd, sizeof(cmd),
		 "(" MVM " run %s; echo \"default: $?\") & "
		 "(timeout -s INT 11 " MVM " run -T 0 %s; echo \"none: $?\"); "
		 "wait",
		 spin, spin);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sh(cmd);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	has("timed out after 10 s (guest RIP 0x7c00): the default run limit "
	    "for an image; -T SEC sets another, -T 0 none");
	has("default: 1\n");
	has("none: 124\n");
	assert_true(t1.tv_sec - t0.tv_sec >= 10);
	/* Exactly one "timed out": the -T 0 run had no limit. */
	assert_null(strstr(strstr(out, "timed out") + 1, "timed out"));
}

/* -T keeps its meaning and unit: seconds for the whole run. */
static void explicit_limit_names_minus_t(void **state)
{
	(void)state;
	need_kvm();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), MVM " run -T 0.3 %s", spin);
	assert_int_equal(sh(cmd), 1);
	has("timed out after 0.3 s (guest RIP 0x7c00): the run limit (-T)");
	assert_int_equal(lines(), 1);
	/* With vCPU threads (run_smp.c) the same words after the verdicts. */
	snprintf(cmd, sizeof(cmd), MVM " run --cpus 2 -T 0.3 %s", spin);
	assert_int_equal(sh(cmd), 1);
	has("vCPU 0: timed out");
	has("the run limit of 0.3 s stopped it; -T SEC sets another, -T 0 "
	    "none");
}

/* A FIFO would block the loader's open() until a writer came; a /proc
 * file reads as size 0; a directory is no image. One line each, at once,
 * from the loader (loader.c), so mvm and mvmdbg say the same. */
static void images_that_are_not_regular_files_are_refused(void **state)
{
	(void)state;
	need_kvm(); /* the loader runs once the VM exists */
	char fifo[] = "/tmp/mvm-fifo-XXXXXX", cmd[300];
	assert_non_null(mkdtemp(fifo));
	char path[64];
	snprintf(path, sizeof(path), "%s/image.bin", fifo);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(cmd, sizeof(cmd), "timeout 5 " MVM " run %s", path);
	int st = sh(cmd);
	assert_int_equal(st, 1); /* not 124: it did not wait */
	has("not a regular file but a FIFO (named pipe)");
	assert_int_equal(lines(), 1);
	snprintf(cmd, sizeof(cmd), "timeout 5 " MVMDBG " --batch /dev/null %s",
		 path);
	st = sh(cmd);
	unlink(path);
	assert_int_equal(st, 1);
	has("mvmdbg: cannot start");
	has("not a regular file but a FIFO (named pipe)");
	assert_int_equal(lines(), 1);
	assert_int_equal(sh(MVM " run --flat /proc/version"), 1);
	has("cannot load '/proc/version': empty (0 bytes; files in /proc");
	assert_int_equal(lines(), 1);
	snprintf(cmd, sizeof(cmd), MVM " run %s", fifo);
	assert_int_equal(sh(cmd), 1);
	has("not a regular file but a directory");
	rmdir(fifo);
}

/* The loader's reason and "cannot load" are one line, not two. */
static void a_rejected_image_is_one_line(void **state)
{
	(void)state;
	need_kvm();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), MVM " run -m long %s.missing", spin);
	assert_int_equal(sh(cmd), 1);
	has("cannot load '");
	has(".missing': No such file or directory");
	assert_int_equal(lines(), 1);
	assert_int_equal(sh(MVM " run " MVM_SRC_DIR "/README.md"), 1);
	has("cannot load '" MVM_SRC_DIR "/README.md': not an ELF file");
	has("--flat");
	assert_int_equal(lines(), 1);
	assert_null(strstr(out, "error:"));
}

/* mvm restore: the same -T, 0 included; a bad value names the range. */
static void restore_takes_the_same_limit_option(void **state)
{
	(void)state;
	assert_int_equal(sh(MVM " restore -T 0 /nonexistent.snap"), 1);
	assert_null(strstr(out, "bad --timeout"));
	assert_int_equal(sh(MVM " restore --timeout 0.5x f"), 2);
	has("bad --timeout '0.5x': need seconds from 0.001 to 4000000, or 0 "
	    "for no limit");
	assert_int_equal(sh(MVM " run -T 0x x.bin"), 2);
	has("or 0 for no limit");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			default_limit_stops_a_spinning_image_and_minus_t_0_lifts_it,
			make_spin, drop_spin),
		cmocka_unit_test_setup_teardown(explicit_limit_names_minus_t,
						make_spin, drop_spin),
		cmocka_unit_test(images_that_are_not_regular_files_are_refused),
		cmocka_unit_test_setup_teardown(a_rejected_image_is_one_line,
						make_spin, drop_spin),
		cmocka_unit_test(restore_takes_the_same_limit_option),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
