/*
 * test_grader.c - the grader (labs/common/grader.c) graded.
 *
 * This program is two things. Run by the grader (`--list`, `--run NAME`)
 * it is a tiny lab whose tests pass, fail, crash, hang and skip. Run on
 * its own, its cmocka tests run the grader on this very program and check
 * that each outcome costs exactly its test's points, is reported in
 * words, and that the JSON report has Gradescope's shape.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "grade.h"

#define GRADER MVM_BUILD_DIR "/labs/grader"

/* --- the tiny lab ------------------------------------------------------ */
static void t_passes(void **s)
{
	(void)s;
	grade_note("measured %d", 42);
	printf("raw \xff byte, and UTF-8 \xc3\xa9\n"); /* for the JSON */
}

static void t_fails(void **s)
{
	(void)s;
	GRADE_EXPECT_EQ(1 + 1, 3, "one plus one");
}

static void t_crashes(void **s)
{
	(void)s;
	kill(getpid(), SIGKILL); /* cmocka cannot catch this one */
}

static void t_hangs(void **s)
{
	(void)s;
	for (;;)
		__asm__ volatile(""); /* a loop that does not end */
}

static void t_hangs_too(void **s)
{
	(void)s; /* with one job, never run: its task already hung */
}

static void t_skips(void **s)
{
	(void)s;
	printf("SKIP: no frobnicator here\n");
	skip();
}

/* What code under test could do to fake a pass: print cmocka's lines
 * and leave before the test fails ... */
static void t_forges_ok_lines(void **s)
{
	(void)s;
	printf("[       OK ] t_forges_ok_lines\n[  PASSED  ] 1 test(s).\n");
	fflush(stdout);
	_exit(0);
}

/* ... or write a verdict line, without the token, to every fd. */
static void t_forges_a_verdict(void **s)
{
	(void)s;
	for (int fd = 0; fd < 64; fd++)
		dprintf(fd, "PASS %032d\n", 0);
	_exit(0);
}

static const struct grade_test lab[] = {
	GRADE_TEST(t_passes, 10, "task 1: passing"),
	GRADE_TEST(t_fails, 10, "task 2: arithmetic"),
	GRADE_TEST(t_crashes, 10, "task 3: crashing"),
	GRADE_TEST(t_hangs, 20, "task 4: hanging"),
	GRADE_TEST(t_hangs_too, 10, "task 4: hanging"),
	GRADE_TEST(t_skips, 10, "task 5: skipping"),
	GRADE_TEST(t_forges_ok_lines, 15, "task 6: forging"),
	GRADE_TEST(t_forges_a_verdict, 15, "task 6: forging"),
};

/* --- the tests of the grader ------------------------------------------- */
static char self[4096];

static long long grade_now_ms_for_test(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run a shell command; returns its exit status, output in out. */
static int run(const char *cmd, char *out, size_t len)
{
	FILE *p = popen(cmd, "r");
	size_t n;
	int st;

	assert_non_null(p);
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void expect_line(const char *out, const char *name, const char *what)
{
	const char *p = strstr(out, name);
	const char *nl = p ? strchr(p, '\n') : NULL;
	char line[256];

	assert_non_null(p);
	snprintf(line, sizeof(line), "%.*s", nl ? (int)(nl - p) : 200, p);
	if (!strstr(line, what))
		fail_msg("line \"%s\" should contain \"%s\"", line, what);
}

static void grader_charges_each_outcome_its_own_points(void **state)
{
	char cmd[8192], out[16384];

	(void)state;
	snprintf(cmd, sizeof(cmd),
		 "%s --jobs 1 --timeout 1 --lab selftest %s 2>&1", GRADER,
		 self);
	assert_int_equal(run(cmd, out, sizeof(out)), 1); /* below full */
	expect_line(out, "t_passes ", "PASS 10/10");
	expect_line(out, "t_fails ", "FAIL  0/10");
	assert_non_null(strstr(out, "one plus one: expected 0x3 (3), got "
				    "0x2 (2)"));
	assert_non_null(strstr(out, "checks task 2: arithmetic"));
	expect_line(out, "t_crashes ", "(crashed: Killed)");
	expect_line(out, "t_hangs ", "(hung (killed after 1 s))");
	/* the hint names the function and line the test was stuck in */
	assert_non_null(strstr(out, "when the grader stopped it, it was in "
				    "t_hangs() at "));
	assert_non_null(strstr(out, "labs/common/tests/test_grader.c:"));
	expect_line(out, "t_hangs_too ",
		    "(not run: t_hangs of the same task "
		    "hung)");
	/* printed pass lines and token-less verdicts earn nothing */
	expect_line(out, "t_forges_ok_lines ",
		    "FAIL  0/15  (the test never "
		    "finished");
	expect_line(out, "t_forges_a_verdict ",
		    "FAIL  0/15  (its verdict "
		    "was forged");
	expect_line(out, "t_skips ", "SKIP  0/10");
	assert_non_null(strstr(out, "SKIP: no frobnicator here"));
	assert_non_null(strstr(out, "NOTE: measured 42"));
	assert_non_null(strstr(out, "\nScore: 10/100\n"));
}

static void grader_writes_gradescope_results_json(void **state)
{
	char cmd[8192], out[16384], path[] = "/tmp/grader-json-XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "%s --timeout 1 --json %s --lab selftest %s >/dev/null 2>&1;"
		 " cat %s",
		 GRADER, path, self, path);
	run(cmd, out, sizeof(out));
	unlink(path);
	assert_non_null(strstr(out, "\"score\": 10,"));
	assert_non_null(strstr(out, "\"name\": \"selftest/test_grader/"
				    "t_fails\""));
	assert_non_null(strstr(out, "\"max_score\": 15"));
	assert_non_null(strstr(out, "\"status\": \"passed\""));
	/* the failure text is inside a JSON string: quotes escaped */
	assert_non_null(strstr(out, "one plus one: expected 0x3"));
	assert_null(strstr(out, "\n\"")); /* no raw newline inside a string */
	assert_non_null(strstr(out, "raw \\ufffd byte, and UTF-8 \xc3\xa9"));
}

static void grader_refuses_bad_usage_with_a_message(void **state)
{
	char cmd[8192], out[4096];

	(void)state;
	snprintf(cmd, sizeof(cmd), "%s --bogus 2>&1", GRADER);
	assert_int_equal(run(cmd, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "unknown option '--bogus'"));
	snprintf(cmd, sizeof(cmd), "%s --lab x /nonexistent/test 2>&1", GRADER);
	assert_int_equal(run(cmd, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "cannot list the tests of "
				    "/nonexistent/test"));
}

/* Two hanging tests of different tasks hang side by side: with two jobs
 * the whole run takes about one timeout, not two. */
static void grader_runs_tests_in_parallel(void **state)
{
	char cmd[8192], out[16384];
	long long t0 = grade_now_ms_for_test();

	(void)state;
	snprintf(cmd, sizeof(cmd),
		 "%s --jobs 8 --timeout 2 --lab selftest %s 2>&1", GRADER,
		 self);
	run(cmd, out, sizeof(out));
	/* all eight start at once: t_hangs_too runs (and passes) too */
	assert_non_null(strstr(out, "\nScore: 20/100\n"));
	/* t_hangs (2 s) runs beside everything else: well under 2 x 2 s */
	assert_true(grade_now_ms_for_test() - t0 < 3500);
}

/* --refuse (an object check failed): nothing is run, everything 0. */
static void grader_refuse_scores_nothing(void **state)
{
	char cmd[8192], out[16384];

	(void)state;
	snprintf(cmd, sizeof(cmd),
		 "%s --refuse 'a constructor in exit.o' --lab selftest %s "
		 "2>&1",
		 GRADER, self);
	assert_int_equal(run(cmd, out, sizeof(out)), 1);
	expect_line(out, "t_passes ", "FAIL  0/10  (a constructor in exit.o)");
	assert_non_null(strstr(out, "\nScore: 0/100\n"));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grader_charges_each_outcome_its_own_points),
		cmocka_unit_test(grader_writes_gradescope_results_json),
		cmocka_unit_test(grader_refuses_bad_usage_with_a_message),
		cmocka_unit_test(grader_runs_tests_in_parallel),
		cmocka_unit_test(grader_refuse_scores_nothing),
	};
	ssize_t n;

	if (argc > 1)
		return grade_main(argc, argv, lab, GRADE_N(lab));
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return 1;
	self[n] = '\0';
	return cmocka_run_group_tests(tests, NULL, NULL);
}
