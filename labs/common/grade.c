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
 */
#include "grade.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	for (size_t i = 0; i < n; i++)
		printf("%s %d %s\n", t[i].name, t[i].points,
		       t[i].task ? t[i].task : "-");
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
		ct[i].test_func = t[i].fn;
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
		for (size_t i = 0; i < n; i++)
			if (strcmp(tests[i].name, argv[2]) == 0)
				return run_group(group, &tests[i], 1) ? 1 : 0;
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
