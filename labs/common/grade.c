/*
 * grade.c - the test-program side of the lab grader (see grade.h).
 *
 * The protocol between a test program and labs/common/grader.c is kept
 * deliberately small, so a student can run one test by hand exactly as
 * the grader does:
 *
 *     build/labs/lab1-cpu-exits/tests/test_decode --list
 *     build/labs/lab1-cpu-exits/tests/test_decode --run NAME
 *
 * and then debug it with gdb. cmocka does the running and the reporting;
 * this file only selects tests and turns points into text.
 *
 * The verdict. The student's code runs in this process, so anything this
 * process prints -- cmocka's "[       OK ]" included -- can be forged by
 * it. The grader therefore ignores printed text when it decides: it
 * passes a socket as fd GRADE_VERDICT_FD (environment variable of that
 * name) with a fresh random token waiting in it. grade_main() reads the
 * token before any test code runs, marks the fd close-on-exec, and after
 * the test writes one line "PASS|SKIP|FAIL <token>" to it. A process that
 * exits early, prints pass lines or writes anything else to any fd gives
 * the grader no line with the token, and the test scores nothing. Code
 * that would run before main() (a constructor) could read the token
 * first; labs/common/objcheck.sh refuses such objects before grading.
 * See "Why the grader cannot be fooled" in labs/README.md.
 */
#include "grade.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#define TOKEN_LEN 32 /* hex digits of the grader's token */

static int verdict_fd = -1;		  /* the grader's socket, or -1 */
static char verdict_token[TOKEN_LEN + 1]; /* what proves the line is ours */
static int test_returned;		  /* the test function came back */

/* Take the token from the grader's socket (only when run by the
 * grader). Returns 0, or -1 when the socket is named but unusable. */
static int verdict_open(void)
{
	const char *env = getenv("GRADE_VERDICT_FD");
	size_t got = 0;

	if (!env)
		return 0;
	verdict_fd = atoi(env);
	while (got < TOKEN_LEN) {
		ssize_t k =
			read(verdict_fd, verdict_token + got, TOKEN_LEN - got);

		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	verdict_token[TOKEN_LEN] = '\0';
	fcntl(verdict_fd, F_SETFD, FD_CLOEXEC); /* tools the test runs */
	unsetenv("GRADE_VERDICT_FD");
	return 0;
}

static void verdict_send(const char *state)
{
	char line[64];
	int n;

	if (verdict_fd < 0)
		return;
	n = snprintf(line, sizeof(line), "%s %s\n", state, verdict_token);
	if (write(verdict_fd, line, (size_t)n) != n)
		perror("grade: verdict");
	close(verdict_fd);
	verdict_fd = -1;
	memset(verdict_token, 0, sizeof(verdict_token));
}

/* cmocka calls this instead of the test; it notes whether the test came
 * back (a skip() or a failure longjmps past the note). */
static const struct grade_test *current; /* the one test of --run */

static void run_noting_return(void **state)
{
	current->fn(state);
	test_returned = 1;
}

void grade_fail(const char *file, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* cmocka prints "[  ERROR   ] --- " lines with print_error(); we want
	 * one readable line the grader can show under the FAIL. */
	print_error("EXPECTED: %s\n", msg);
	_fail(file, line);
	abort(); /* _fail() longjmps out of the test; never reached */
}

void grade_note(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_message("NOTE: %s\n", msg);
}

static void list_tests(const struct grade_test *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char flags[32] = "-";

		if (t[i].serial || t[i].timeout_s)
			snprintf(flags, sizeof(flags), "%s%st=%u",
				 t[i].serial ? "serial" : "",
				 t[i].serial ? "," : "", t[i].timeout_s);
		printf("%s %d %s %s\n", t[i].name, t[i].points, flags,
		       t[i].task ? t[i].task : "-");
	}
}

/* Run tests [first, first + count) as one cmocka group. */
static int run_group(const char *group, const struct grade_test *t,
		     size_t count)
{
	struct CMUnitTest *ct = calloc(count, sizeof(*ct));
	int rc;

	if (!ct) {
		fprintf(stderr, "grade: out of memory\n");
		return 2;
	}
	for (size_t i = 0; i < count; i++) {
		ct[i].name = t[i].name;
		ct[i].test_func = current ? run_noting_return : t[i].fn;
		ct[i].setup_func = t[i].setup;
		ct[i].teardown_func = t[i].teardown;
	}
	rc = _cmocka_run_group_tests(group, ct, count, NULL, NULL);
	free(ct);
	return rc;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int grade_main(int argc, char **argv, const struct grade_test *tests, size_t n)
{
	const char *group = base_name(argv[0]);

	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		list_tests(tests, n);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "--run") == 0) {
		static int once;
		int failed;

		/* One test per process: a second call (from the code under
		 * test) could only be an attempt to forge a verdict. */
		if (once++)
			abort();
		if (verdict_open() < 0) {
			fprintf(stderr, "%s: no token from the grader\n",
				group);
			return 2;
		}
		for (size_t i = 0; i < n; i++) {
			if (strcmp(tests[i].name, argv[2]) != 0)
				continue;
			current = &tests[i];
			failed = run_group(group, &tests[i], 1);
			verdict_send(failed	     ? "FAIL"
				     : test_returned ? "PASS"
						     : "SKIP");
			return failed ? 1 : 0;
		}
		fprintf(stderr, "%s: no test named '%s' (try --list)\n", group,
			argv[2]);
		return 2;
	}
	if (argc != 1) {
		fprintf(stderr,
			"usage: %s [--list | --run TEST]\n"
			"  no argument: run every test\n",
			group);
		return 2;
	}
	return run_group(group, tests, n) ? 1 : 0;
}
