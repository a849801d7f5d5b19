/*
 * grade.h - points for cmocka tests: what a lab's grader test programs
 * include.
 *
 * A lab's tests live in labs/labN-<name>/tests/test_*.c. Each program is
 * an ordinary cmocka program whose tests carry points and the task they
 * check. Its main() is one call:
 *
 *     static const struct grade_test tests[] = {
 *             GRADE_TEST(decode_out_byte_fills_port_size_data, 5,
 *                        "task 1: mvm_exit_decode(), KVM_EXIT_IO"),
 *     };
 *     int main(int argc, char **argv)
 *     {
 *             return grade_main(argc, argv, tests, GRADE_N(tests));
 *     }
 *
 * The grader (labs/common/grader.c, run by `make grade`) asks the program
 * for its list (`--list`) and runs every test alone (`--run NAME`) in its
 * own child process with a timeout, so a crash or a hang in a student's
 * code costs that test's points and nothing else. Run without arguments
 * the program runs all its tests like any cmocka program.
 *
 * Failure messages are part of the grade: a student reads them to find
 * the bug. Use GRADE_EXPECT_EQ() and GRADE_EXPECT() so every failure says
 * what was expected and what happened, in words.
 */
#ifndef MINIVMM_LABS_GRADE_H
#define MINIVMM_LABS_GRADE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

struct grade_test {
	const char *name;	 /* the function's name: says the behaviour */
	int points;		 /* what passing it is worth */
	const char *task;	 /* which task it checks, printed on failure */
	CMUnitTestFunction fn;	 /* the test */
	CMFixtureFunction setup; /* may be NULL */
	CMFixtureFunction teardown; /* may be NULL */
	int serial;		    /* 1: run alone (it measures time) */
	unsigned timeout_s;	    /* 0: the grader's default (10 s) */
};

#define GRADE_TEST(f, pts, task)                       \
	{                                              \
#f, (pts), (task), f, NULL, NULL, 0, 0 \
	}
#define GRADE_TEST_SETUP(f, pts, task, su, td)         \
	{                                              \
#f, (pts), (task), f, (su), (td), 0, 0 \
	}
/* A test that times something: the grader runs it while no other test
 * runs, so parallel tests do not disturb the numbers. */
#define GRADE_TEST_SERIAL(f, pts, task)                \
	{                                              \
#f, (pts), (task), f, NULL, NULL, 1, 0 \
	}
#define GRADE_TEST_SERIAL_SETUP(f, pts, task, su, td)  \
	{                                              \
#f, (pts), (task), f, (su), (td), 1, 0 \
	}
#define GRADE_N(a) (sizeof(a) / sizeof((a)[0]))

/*
 * `prog` runs all tests; `prog --list` prints "NAME POINTS FLAGS TASK"
 * lines (FLAGS: "-", or "serial" and/or "t=SECONDS", comma-separated);
 * `prog --run NAME` runs one test. Returns the exit status for main().
 */
int grade_main(int argc, char **argv, const struct grade_test *tests, size_t n);

/* Fail the current test with a message (printf-style) naming what went
 * wrong; never returns. */
void grade_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

/* Fail unless cond holds; the message explains the expectation. */
#define GRADE_EXPECT(cond, ...)                                      \
	do {                                                         \
		if (!(cond))                                         \
			grade_fail(__FILE__, __LINE__, __VA_ARGS__); \
	} while (0)

/* Fail unless got == want, printing both in hex and decimal:
 *   "port of the OUT: expected 0x70 (112), got 0x0 (0)" */
#define GRADE_EXPECT_EQ(got, want, what)                                     \
	do {                                                                 \
		unsigned long long g_ = (unsigned long long)(got);           \
		unsigned long long w_ = (unsigned long long)(want);          \
		if (g_ != w_)                                                \
			grade_fail(__FILE__, __LINE__,                       \
				   "%s: expected 0x%llx (%lld), got 0x%llx " \
				   "(%lld)",                                 \
				   (what), w_, (long long)w_, g_,            \
				   (long long)g_);                           \
	} while (0)

/* Print a note that appears with the test's output (e.g. a measured
 * value), whether it passes or fails. */
void grade_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
