/*
 * test_ctr_cli.c - `mvm ctr` and `mvm compare` as a user runs them:
 * exit statuses, error messages that name the problem, the compare
 * table and its CSV.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../labs/lab5-containers/tests/ctr_harness.h"

#define MVM MVM_BUILD_DIR "/mvm"

/* Run a shell command line; its output (stdout+stderr) into out. */
static int run(char *out, size_t len, const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	size_t n = 0;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>&1 </dev/null", sizeof(cmd) - strlen(cmd) - 1);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (n + 1 < len && fgets(out + n, (int)(len - n), p))
		n += strlen(out + n);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void bad_option_value_is_a_usage_error_naming_it(void **state)
{
	char out[2048];

	(void)state;
	assert_int_equal(run(out, sizeof(out),
			     MVM " ctr run --pids many %s "
				 "-- /bin/true",
			     harness_rootfs()),
			 2);
	assert_non_null(strstr(out, "--pids 'many'"));
	assert_int_equal(run(out, sizeof(out),
			     MVM " ctr run --memory 1Q %s "
				 "-- /bin/true",
			     harness_rootfs()),
			 2);
	assert_non_null(strstr(out, "--memory '1Q'"));
	assert_int_equal(run(out, sizeof(out), MVM " ctr run"), 2);
	assert_non_null(strstr(out, "missing ROOTFS"));
}

static void exit_status_passes_through_and_setup_errors_are_125(void **st)
{
	char out[2048];

	(void)st;
	harness_require();
	assert_int_equal(run(out, sizeof(out),
			     MVM " ctr run %s -- /bin/sh -c 'exit 42'",
			     harness_rootfs()),
			 42);
	assert_int_equal(run(out, sizeof(out),
			     MVM " ctr run /nonexistent/rootfs -- /bin/true"),
			 125);
	assert_non_null(strstr(out, "rootfs: /nonexistent/rootfs"));
	assert_int_equal(run(out, sizeof(out),
			     MVM " ctr run %s -- /no/such/cmd",
			     harness_rootfs()),
			 127);
	assert_non_null(strstr(out, "exec: /no/such/cmd"));
}

/* Copy-on-write by default: a container's writes (a set-user-ID bit
 * included) never reach the rootfs directory; --write-through asks for
 * exactly that. */
static void writes_stay_in_the_container_unless_write_through(void **state)
{
	char out[2048], host[4096];
	struct stat st;

	(void)state;
	harness_require();
	snprintf(host, sizeof(host), "%s/etc/cli-cow-test", harness_rootfs());
	unlink(host);
	assert_int_equal(run(out, sizeof(out),
			     MVM " ctr run %s -- /bin/sh -c 'echo x > "
				 "/etc/cli-cow-test && chmod 4755 "
				 "/etc/cli-cow-test && echo wrote'",
			     harness_rootfs()),
			 0);
	assert_non_null(strstr(out, "wrote"));
	assert_int_equal(stat(host, &st), -1);
	assert_int_equal(run(out, sizeof(out),
			     MVM " ctr run --write-through %s -- /bin/sh -c "
				 "'echo x > /etc/cli-cow-test'",
			     harness_rootfs()),
			 0);
	assert_int_equal(stat(host, &st), 0);
	unlink(host);
	assert_int_equal(run(out, sizeof(out),
			     MVM " ctr run --write-through --overlay %s -- "
				 "/bin/true",
			     harness_rootfs()),
			 2);
}

static void oom_kill_is_reported_on_stderr(void **state)
{
	char out[2048];

	(void)state;
	harness_require();
	run(out, sizeof(out),
	    MVM " ctr run --memory 16M %s -- /bin/dd if=/dev/zero "
		"of=/dev/null bs=64M count=1",
	    harness_rootfs());
	assert_non_null(strstr(out, "OOM killer"));
}

/* With no --pids and no --memory the CLI still limits both: a fork
 * storm stops at 1024 tasks, a 600 MiB allocation is OOM-killed. */
static void default_limits_stop_fork_storm_and_large_allocation(void **st)
{
	char out[4096];

	(void)st;
	harness_require();
	run(out, sizeof(out),
	    MVM " ctr run %s -- /bin/sh -c '(i=0; while [ $i -lt 1100 ]; "
		"do sleep 3 & i=$((i+1)); done) 2>/dev/null; "
		"set -- /proc/[0-9]*; echo running=$#'",
	    harness_rootfs());
	if (!strstr(out, "pids limit (1024) reached"))
		fail_msg("no default pids limit of 1024: %s", out);
	assert_true(atoi(strstr(out, "running=") + 8) <= 1024);
	assert_int_equal(run(out, sizeof(out),
			     MVM " ctr run %s -- /bin/dd if=/dev/zero "
				 "of=/dev/null bs=600M count=1",
			     harness_rootfs()),
			 128 + 9);
	if (!strstr(out, "memory limit (536870912 bytes)"))
		fail_msg("no default memory limit of 512M: %s", out);
}

/* --pids 0 --memory 0 lift the defaults. */
static void zero_limits_lift_the_defaults(void **st)
{
	char out[2048];

	(void)st;
	harness_require();
	assert_int_equal(run(out, sizeof(out),
			     MVM " ctr run --pids 0 --memory 0 %s -- /bin/dd "
				 "if=/dev/zero of=/dev/null bs=600M count=1",
			     harness_rootfs()),
			 0);
	assert_null(strstr(out, "OOM killer"));
}

static void compare_prints_machine_table_and_csv(void **state)
{
	char out[4096], csv[] = "/tmp/ctr-compare-XXXXXX", buf[512];
	int fd = mkstemp(csv), rows = 0;
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(run(out, sizeof(out),
			     MVM " compare --runs 2 --rootfs %s --csv %s",
			     harness_rootfs(), csv),
			 0);
	assert_non_null(strstr(out, "machine: "));
	assert_non_null(strstr(out, "KVM backend"));
	assert_non_null(strstr(out, "\nprocess "));
	f = fopen(csv, "r");
	assert_non_null(f);
	while (fgets(buf, sizeof(buf), f))
		rows += buf[0] != '#';
	fclose(f);
	unlink(csv);
	assert_int_equal(rows, 4); /* header + process, container, vm */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_option_value_is_a_usage_error_naming_it),
		cmocka_unit_test(
			exit_status_passes_through_and_setup_errors_are_125),
		cmocka_unit_test(
			writes_stay_in_the_container_unless_write_through),
		cmocka_unit_test(oom_kill_is_reported_on_stderr),
		cmocka_unit_test(
			default_limits_stop_fork_storm_and_large_allocation),
		cmocka_unit_test(zero_limits_lift_the_defaults),
		cmocka_unit_test(compare_prints_machine_table_and_csv),
	};

	if (access(MVM, X_OK) < 0) {
		fprintf(stderr, "%s missing: run `make` first\n", MVM);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
