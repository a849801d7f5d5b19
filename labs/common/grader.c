/*
 * grader.c - `make grade`: run each lab's graded tests, one child process
 * per test, and print PASS/FAIL with points and `Score: x/y`.
 *
 *   grader [--json FILE] [--timeout SEC] --lab NAME PROG... [--lab ...]
 *
 * Why a child per test: the library is the reference solution, and in a
 * handout the student's code replaces parts of it. A wrong decode can
 * crash or hang a test program; that must cost the points of the tests
 * that depend on it and nothing else. So every test runs alone
 * (`PROG --run NAME`, see grade.h) in its own process group with a
 * timeout; a crash is reported with its signal, a hang with the time it
 * was given, and the grader goes on.
 *
 * The JSON report (--json) is the results.json format that Gradescope's
 * autograder harness reads: {"score", "output", "tests": [{"name",
 * "score", "max_score", "status", "output"}]}. See labs/README.md.
 */
#include "grader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(void)
{
	fprintf(stderr, "usage: grader [--json FILE] [--timeout SEC] "
			"--lab NAME PROG... [--lab NAME PROG...]\n");
}

/* Add the tests PROG lists (`PROG --list`) to r. */
static int add_program(struct grade_run *r, const char *lab, const char *prog)
{
	char *argv[] = {(char *)prog, "--list", NULL};
	struct grade_child c;
	char *line, *save = NULL;
	int before = r->n;

	grade_child_run(argv, 30, &c);
	if (!c.exited || c.status != 0) {
		fprintf(stderr, "grader: cannot list the tests of %s: %s\n",
			prog, c.why[0] ? c.why : "no output");
		free(c.out);
		return -1;
	}
	for (line = strtok_r(c.out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct grade_result *t;
		char name[96];
		int pts, off = 0;

		if (sscanf(line, "%95s %d %n", name, &pts, &off) < 2)
			continue;
		t = grade_run_add(r);
		if (!t)
			break;
		snprintf(t->lab, sizeof(t->lab), "%s", lab);
		snprintf(t->prog, sizeof(t->prog), "%s", prog);
		snprintf(t->name, sizeof(t->name), "%s", name);
		snprintf(t->task, sizeof(t->task), "%s", line + off);
		t->points = pts;
	}
	free(c.out);
	if (r->n == before) {
		fprintf(stderr, "grader: %s lists no tests\n", prog);
		return -1;
	}
	return 0;
}

/* Run one test in a child and classify the outcome. */
static void run_one(struct grade_result *t, unsigned timeout_s)
{
	char *argv[] = {t->prog, "--run", t->name, NULL};
	struct grade_child c;
	char ok[160], skipped[160];

	grade_child_run(argv, timeout_s, &c);
	snprintf(ok, sizeof(ok), "[       OK ] %s\n", t->name);
	snprintf(skipped, sizeof(skipped), "[  SKIPPED ] %s\n", t->name);
	t->output = c.out;
	if (c.exited && c.status == 0 && strstr(c.out, ok)) {
		t->state = GRADE_PASS;
		t->score = t->points;
	} else if (c.exited && c.status == 0 && strstr(c.out, skipped)) {
		t->state = GRADE_SKIP;
		snprintf(t->why, sizeof(t->why), "skipped");
	} else {
		t->state = GRADE_FAIL;
		/* A plain assertion failure exits 1; say so in words. */
		snprintf(t->why, sizeof(t->why), "%s",
			 c.exited && c.status == 1 ? "failed"
			 : c.why[0]		   ? c.why
						   : "failed");
	}
}

/* Parse the command line into r: which programs belong to which lab. */
static int parse_args(int argc, char **argv, struct grade_run *r,
		      const char **json, unsigned *timeout_s)
{
	const char *lab = NULL;
	int bad = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
			*json = argv[++i];
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			char *end;
			unsigned long v = strtoul(argv[++i], &end, 10);

			if (*end || v == 0 || v > 3600) {
				fprintf(stderr,
					"grader: bad --timeout '%s' (seconds, "
					"1-3600)\n",
					argv[i]);
				return -1;
			}
			*timeout_s = (unsigned)v;
		} else if (strcmp(argv[i], "--lab") == 0 && i + 1 < argc) {
			lab = argv[++i];
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "grader: unknown option '%s'\n",
				argv[i]);
			return -1;
		} else if (!lab) {
			fprintf(stderr, "grader: '%s' given before --lab\n",
				argv[i]);
			return -1;
		} else if (add_program(r, lab, argv[i]) < 0) {
			bad++;
		}
	}
	if (r->n == 0 && bad == 0) {
		usage();
		return -1;
	}
	return bad;
}

int main(int argc, char **argv)
{
	struct grade_run r = {0};
	const char *json = NULL;
	unsigned timeout_s = 120;
	time_t t0 = time(NULL);
	int bad, full;

	if (getenv("GRADE_TIMEOUT"))
		timeout_s = (unsigned)atoi(getenv("GRADE_TIMEOUT"));
	if (timeout_s == 0)
		timeout_s = 120;
	bad = parse_args(argc, argv, &r, &json, &timeout_s);
	if (bad < 0)
		return 2;
	for (int i = 0; i < r.n; i++) {
		run_one(&r.t[i], timeout_s);
		grade_print_result(&r, i);
	}
	full = grade_print_summary(&r, bad);
	if (json && grade_write_json(&r, json, (long)(time(NULL) - t0)) < 0) {
		fprintf(stderr, "grader: cannot write %s: %s\n", json,
			strerror(errno));
		full = 0;
	}
	grade_run_free(&r);
	return full ? 0 : 1;
}
