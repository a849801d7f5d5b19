/*
 * test_same_exits.c - two tools, one machine: every example guest gives
 * the same exits, in the same order, with the same data, under `mvm run`
 * and under the debugger's engine.
 *
 * Both build their machine with the machine layer (machine.h) and step it
 * with the same run step; this test is what keeps it that way. A tool
 * that attached a device the other lacks (the old demo-port 0x42 vs 0xff
 * split) or stopped at a different exit fails it, naming the first exit
 * that differs.
 *
 *   runner:   build/mvm run --trace IMAGE, the trace lines on stderr
 *   debugger: dbg_session_open() + dbg_step_exit(1) until the machine's
 *             verdict says the run is over
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "session.h"

#define MAX_EXITS 4096
#define LINE	  200
#define MVM_BIN	  MVM_BUILD_DIR "/mvm"

struct exits {
	int n;
	char line[MAX_EXITS][LINE];
};

static struct exits runner, debugger;

static void quiet_log(void *ctx, enum mvm_log_level l, const char *m)
{
	(void)ctx, (void)l, (void)m;
}

static int kvm_usable(void)
{
	struct mvm_log log = {quiet_log, NULL};
	int fd = mvm_kvm_open(&log);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* "    12  rip 0x00100034      830 ns  IO out port ...  [ucall ...]":
 * keep the description, drop the host time and the ucall annotation
 * (the runner's own gloss, read from guest memory). */
static int parse_trace_line(const char *s, char *out)
{
	unsigned long long seq, rip, ns;
	int off = 0;
	const char *ann;

	if (sscanf(s, "%llu rip %llx %llu ns %n", &seq, &rip, &ns, &off) < 3 ||
	    off == 0)
		return 0;
	snprintf(out, LINE, "%s", s + off);
	out[strcspn(out, "\n")] = '\0';
	ann = strstr(out, "  [ucall ");
	if (ann)
		out[ann - out] = '\0';
	return 1;
}

static void run_runner(const char *image)
{
	char cmd[4200], buf[1024];
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "%s run --trace --timeout 60 %s 2>&1 >/dev/null </dev/null",
		 MVM_BIN, image);
	p = popen(cmd, "r");
	assert_non_null(p);
	runner.n = 0;
	while (fgets(buf, sizeof(buf), p) && runner.n < MAX_EXITS)
		runner.n += parse_trace_line(buf, runner.line[runner.n]);
	pclose(p);
}

static int final(enum mvm_verdict v)
{
	return v == MVM_DONE || v == MVM_FAILED || v == MVM_TIMED_OUT ||
	       v == MVM_DEBUG;
}

static void run_debugger(const char *image)
{
	static struct dbg_session s;
	enum mvm_verdict v = MVM_GO_ON;

	dbg_session_init(&s);
	s.stable = 1;
	assert_int_equal(dbg_session_open(&s, image, -1), 0);
	debugger.n = 0;
	while (!final(v) && debugger.n < MAX_EXITS) {
		assert_int_equal(dbg_step_exit(&s, 1), 0);
		mvm_exit_describe(&s.last, debugger.line[debugger.n++], LINE);
		v = mvm_machine_classify(s.m, s.vcpu, 0, &s.last);
	}
	dbg_session_close(&s);
}

static void compare(const char *name)
{
	int n = runner.n < debugger.n ? runner.n : debugger.n;

	for (int i = 0; i < n; i++)
		if (strcmp(runner.line[i], debugger.line[i]))
			fail_msg("%s: exit %d differs\n  mvm run: %s\n  "
				 "mvmdbg:  %s",
				 name, i + 1, runner.line[i], debugger.line[i]);
	if (runner.n != debugger.n)
		fail_msg("%s: mvm run saw %d exits, mvmdbg %d", name, runner.n,
			 debugger.n);
	assert_true(runner.n > 0);
}

/* Every example, except echo.elf: it polls the UART for input, so how
 * many polls it makes depends on when the input arrives, not on the
 * tool (tests/kvm/test_console.c checks it with real input); and except
 * chaos.elf, whose operations come from a seed it takes from the TSC
 * (tests/kvm/test_chaos.c runs it). */
static int is_example(const char *name)
{
	size_t n = strlen(name);

	if (!strcmp(name, "echo.elf") || !strcmp(name, "chaos.elf"))
		return 0;
	return (n > 4 && !strcmp(name + n - 4, ".elf")) ||
	       (n > 4 && !strcmp(name + n - 4, ".bin"));
}

static void every_example_gives_the_same_exits_in_both_tools(void **state)
{
	char image[4096];
	struct dirent *d;
	DIR *dir;
	int seen = 0;

	(void)state;
	if (!kvm_usable()) {
		printf("SKIP: /dev/kvm missing or unusable; these tests run "
		       "real guests\n");
		skip();
	}
	dir = opendir(MVM_GUEST_DIR);
	assert_non_null(dir);
	while ((d = readdir(dir))) {
		if (!is_example(d->d_name))
			continue;
		snprintf(image, sizeof(image), "%s/%s", MVM_GUEST_DIR,
			 d->d_name);
		alarm(240);
		run_runner(image);
		run_debugger(image);
		alarm(0);
		compare(d->d_name);
		print_message("%-18s %4d exits, the same in both\n", d->d_name,
			      runner.n);
		seen++;
	}
	closedir(dir);
	assert_true(seen >= 8);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			every_example_gives_the_same_exits_in_both_tools),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
