/*
 * grader.c - `make grade`: run each lab's graded tests, one child process
 * per test, and print PASS/FAIL with points and `Score: x/y`.
 *
 *   grader [--json FILE] [--timeout SEC] [--lab-timeout SEC] [--jobs N]
 *          [--refuse WHY] --lab NAME PROG... [--lab ...]
 *
 * Why a child per test: the library is the reference solution, and in a
 * handout the student's code replaces parts of it. A wrong decode can
 * crash or hang a test program; that must cost the points of the tests
 * that depend on it and nothing else. So every test runs alone
 * (`PROG --run NAME`, see grade.h) in its own process group with a
 * deadline; a crash is reported with its signal, a hang with the time it
 * was given, and the grader goes on.
 *
 * Who decides: the grader, never the test process. The student's code
 * runs inside that process and can print anything, so a test passes only
 * when the process sends, over a private socket, a verdict line carrying
 * the random token the grader gave it (grade.c explains the protocol);
 * printed "[       OK ]" lines count for nothing.
 *
 * Hangs are cheap: each test gets --timeout seconds (default 10; the
 * Lab 1 and Lab 5 tests take under a second here), tests run --jobs at a
 * time (default: the online CPUs) except those marked serial (they time
 * things and run alone), after one test of a task hangs the task's tests
 * not yet started are not run (zero points, the hang named), and tests a
 * lab has not started after --lab-timeout seconds (default 100) are not
 * run either.
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
#include <unistd.h>

struct options {
	const char *json;
	const char *refuse; /* grade nothing: every test 0, this reason */
	unsigned timeout_s, lab_timeout_s;
	int jobs;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: grader [--json FILE] [--timeout SEC] "
		"[--lab-timeout SEC] [--jobs N] [--refuse WHY]\n"
		"              --lab NAME PROG... [--lab NAME PROG...]\n");
}

/* "serial", "t=30", "serial,t=30" or "-". */
static void parse_flags(struct grade_result *t, const char *flags)
{
	const char *tp = strstr(flags, "t=");

	t->serial = strstr(flags, "serial") != NULL;
	if (tp)
		t->timeout_s = (unsigned)atoi(tp + 2);
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
		char name[96], flags[32];
		int pts, off = 0;

		if (sscanf(line, "%95s %d %31s %n", name, &pts, flags, &off) <
		    3)
			continue;
		t = grade_run_add(r);
		if (!t)
			break;
		snprintf(t->lab, sizeof(t->lab), "%s", lab);
		snprintf(t->prog, sizeof(t->prog), "%s", prog);
		snprintf(t->name, sizeof(t->name), "%s", name);
		snprintf(t->task, sizeof(t->task), "%s", line + off);
		t->points = pts;
		parse_flags(t, flags);
	}
	free(c.out);
	if (r->n == before) {
		fprintf(stderr, "grader: %s lists no tests\n", prog);
		return -1;
	}
	return 0;
}

/* Decide a finished test from what the grader saw: its exit and the
 * verdict line on its private socket (which must carry our token). */
static void judge(struct grade_result *t)
{
	struct grade_child *c = &t->child;
	char pass[64], skip[64], fail[64];

	snprintf(pass, sizeof(pass), "PASS %s\n", c->token);
	snprintf(skip, sizeof(skip), "SKIP %s\n", c->token);
	snprintf(fail, sizeof(fail), "FAIL %s\n", c->token);
	t->output = c->out;
	c->out = NULL;
	t->finished = 1;
	t->state = GRADE_FAIL;
	if (c->timed_out) {
		snprintf(t->why, sizeof(t->why), "%s", c->why);
		return;
	}
	if (c->vlen && strcmp(c->verdict, pass) && strcmp(c->verdict, skip) &&
	    strcmp(c->verdict, fail)) {
		snprintf(t->why, sizeof(t->why),
			 "its verdict was forged: the test's channel to the "
			 "grader carried a line without the grader's token");
		return;
	}
	if (c->exited && c->status == 0 && strcmp(c->verdict, pass) == 0) {
		t->state = GRADE_PASS;
		t->score = t->points;
	} else if (c->exited && c->status == 0 &&
		   strcmp(c->verdict, skip) == 0) {
		t->state = GRADE_SKIP;
		snprintf(t->why, sizeof(t->why), "skipped");
	} else if (c->vlen == 0 && c->exited) {
		snprintf(t->why, sizeof(t->why),
			 "the test never finished: the process ended (%s) "
			 "before the test returned; exit() or _exit() in the "
			 "code under test?",
			 c->status ? c->why : "exit status 0");
	} else {
		/* A plain assertion failure exits 1; say so in words. */
		snprintf(t->why, sizeof(t->why), "%s",
			 c->exited && c->status == 1 ? "failed"
			 : c->why[0]		     ? c->why
						     : "failed");
	}
}

/* The part of a task string that names the task: "task 5" of "task 5
 * (and tasks 1-2): the MSR handler"; the whole text up to a colon when
 * it does not start with "task N". */
static size_t task_key_len(const char *task)
{
	size_t n = strcspn(task, ":");

	if (strncmp(task, "task ", 5) == 0)
		n = 5 + strspn(task + 5, "0123456789");
	return n;
}

/* Why test i may not start (NULL: it may), given the tests before it. */
static const char *cannot_start(struct grade_run *r, int i,
				const long long *lab_t0,
				const struct options *o, char *buf, size_t len)
{
	struct grade_result *t = &r->t[i];
	size_t k = task_key_len(t->task);

	for (int j = 0; j < r->n; j++) {
		struct grade_result *h = &r->t[j];

		if (j == i || !h->finished || !h->child.timed_out ||
		    strcmp(h->lab, t->lab) != 0 || task_key_len(h->task) != k ||
		    strncmp(h->task, t->task, k) != 0)
			continue;
		snprintf(buf, len, "not run: %.60s of the same task hung",
			 h->name);
		return buf;
	}
	if (lab_t0[i] &&
	    grade_now_ms() - lab_t0[i] > 1000LL * o->lab_timeout_s) {
		snprintf(buf, len,
			 "not run: the lab's %u s were used up (hung tests "
			 "above?)",
			 o->lab_timeout_s);
		return buf;
	}
	return NULL;
}

/* When lab NAME started (its first test), shared by its tests. */
static void note_lab_start(struct grade_run *r, int i, long long *lab_t0)
{
	long long now = grade_now_ms();

	for (int j = 0; j < r->n; j++)
		if (strcmp(r->t[j].lab, r->t[i].lab) == 0 && !lab_t0[j])
			lab_t0[j] = now;
}

/* Start tests while there are free slots; serial tests start alone. */
static void start_some(struct grade_run *r, long long *lab_t0,
		       const struct options *o, int *running, int *serial)
{
	char buf[160];

	for (int i = 0; i < r->n && *running < o->jobs && !*serial; i++) {
		struct grade_result *t = &r->t[i];
		char *argv[] = {t->prog, "--run", t->name, NULL};
		const char *no;

		if (t->started)
			continue;
		if (t->serial && *running > 0)
			return; /* wait until it can run alone */
		t->started = 1;
		no = o->refuse
			     ? o->refuse
			     : cannot_start(r, i, lab_t0, o, buf, sizeof(buf));
		if (no) {
			t->finished = 1;
			t->state = GRADE_FAIL;
			snprintf(t->why, sizeof(t->why), "%s", no);
			t->output = calloc(1, 1);
			continue;
		}
		note_lab_start(r, i, lab_t0);
		if (grade_child_start(&t->child, argv,
				      t->timeout_s ? t->timeout_s
						   : o->timeout_s,
				      1) < 0) {
			judge(t);
			continue;
		}
		(*running)++;
		*serial = t->serial;
	}
}

static void run_all(struct grade_run *r, const struct options *o)
{
	static long long lab_t0[GRADE_MAX_TESTS];
	struct grade_child *live[GRADE_MAX_JOBS];
	int running = 0, serial = 0, printed = 0;

	while (printed < r->n) {
		int n = 0;

		start_some(r, lab_t0, o, &running, &serial);
		for (int i = 0; i < r->n && n < GRADE_MAX_JOBS; i++)
			if (r->t[i].child.running)
				live[n++] = &r->t[i].child;
		if (n)
			grade_child_pump(live, n, 100);
		for (int i = 0; i < n; i++) {
			struct grade_result *t =
				(struct grade_result
					 *)((char *)live[i] -
					    offsetof(struct grade_result,
						     child));

			if (live[i]->done && !t->finished) {
				judge(t);
				running--;
				serial = 0;
			}
		}
		while (printed < r->n && r->t[printed].finished)
			grade_print_result(r, printed++);
	}
}

static int parse_uint(const char *opt, const char *s, unsigned max, unsigned *v)
{
	char *end;
	unsigned long x = strtoul(s, &end, 10);

	if (*end || x == 0 || x > max) {
		fprintf(stderr, "grader: bad %s '%s' (1-%u)\n", opt, s, max);
		return -1;
	}
	*v = (unsigned)x;
	return 0;
}

/* Parse the command line into r: which programs belong to which lab. */
static int parse_args(int argc, char **argv, struct grade_run *r,
		      struct options *o)
{
	const char *lab = NULL;
	unsigned jobs = 0;
	int bad = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--json") == 0 && v) {
			o->json = argv[++i];
		} else if (strcmp(a, "--refuse") == 0 && v) {
			o->refuse = argv[++i];
		} else if (strcmp(a, "--timeout") == 0 && v) {
			if (parse_uint(a, argv[++i], 3600, &o->timeout_s) < 0)
				return -1;
		} else if (strcmp(a, "--lab-timeout") == 0 && v) {
			if (parse_uint(a, argv[++i], 36000, &o->lab_timeout_s) <
			    0)
				return -1;
		} else if (strcmp(a, "--jobs") == 0 && v) {
			if (parse_uint(a, argv[++i], GRADE_MAX_JOBS, &jobs) < 0)
				return -1;
			o->jobs = (int)jobs;
		} else if (strcmp(a, "--lab") == 0 && v) {
			lab = argv[++i];
		} else if (a[0] == '-') {
			fprintf(stderr, "grader: unknown option '%s'\n", a);
			return -1;
		} else if (!lab) {
			fprintf(stderr, "grader: '%s' given before --lab\n", a);
			return -1;
		} else if (add_program(r, lab, a) < 0) {
			bad++;
		}
	}
	if (r->n == 0 && bad == 0) {
		usage();
		return -1;
	}
	return bad;
}

/* Defaults, then the environment (GRADE_TIMEOUT, GRADE_JOBS). */
static void default_options(struct options *o)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	o->timeout_s = 10;
	o->lab_timeout_s = 100;
	o->jobs = cpus < 1		  ? 1
		  : cpus > GRADE_MAX_JOBS ? GRADE_MAX_JOBS
					  : (int)cpus;
	if (getenv("GRADE_TIMEOUT") && atoi(getenv("GRADE_TIMEOUT")) > 0)
		o->timeout_s = (unsigned)atoi(getenv("GRADE_TIMEOUT"));
	if (getenv("GRADE_JOBS") && atoi(getenv("GRADE_JOBS")) > 0 &&
	    atoi(getenv("GRADE_JOBS")) <= GRADE_MAX_JOBS)
		o->jobs = atoi(getenv("GRADE_JOBS"));
}

int main(int argc, char **argv)
{
	static struct grade_run r;
	struct options o = {0};
	time_t t0 = time(NULL);
	int bad, full;

	default_options(&o);
	bad = parse_args(argc, argv, &r, &o);
	if (bad < 0)
		return 2;
	if (o.refuse)
		printf("grader: not grading this tree: %s\n", o.refuse);
	run_all(&r, &o);
	full = grade_print_summary(&r, bad) && !o.refuse;
	if (o.json &&
	    grade_write_json(&r, o.json, (long)(time(NULL) - t0)) < 0) {
		fprintf(stderr, "grader: cannot write %s: %s\n", o.json,
			strerror(errno));
		full = 0;
	}
	grade_run_free(&r);
	return full ? 0 : 1;
}
