/*
 * grader.h - the pieces of the grader program (grader.c): running a test
 * in a child process, and reporting results as text and as JSON.
 */
#ifndef MINIVMM_LABS_GRADER_H
#define MINIVMM_LABS_GRADER_H

#include <stddef.h>

/* What happened to one child process. */
struct grade_child {
	int exited;   /* 1: exited normally, status valid */
	int status;   /* exit status */
	char why[96]; /* "crashed: Segmentation fault", "timed out ..." */
	char *out;    /* stdout + stderr, NUL-terminated (caller frees) */
};

/* Run argv (argv[0] is a path) with a timeout, capturing its output. The
 * child gets its own process group; on timeout the whole group is
 * killed. */
void grade_child_run(char *const argv[], unsigned timeout_s,
		     struct grade_child *c);

enum grade_state { GRADE_FAIL = 0, GRADE_PASS, GRADE_SKIP };

struct grade_result {
	char lab[64];	/* "lab1-cpu-exits" */
	char prog[512]; /* path of the test program */
	char name[96];	/* test name */
	char task[160]; /* "task 1: mvm_exit_decode(), KVM_EXIT_IO" */
	int points;	/* max */
	int score;	/* points earned */
	enum grade_state state;
	char why[96]; /* short reason when not PASS */
	char *output; /* captured output (owned) */
};

#define GRADE_MAX_TESTS 512

struct grade_run {
	int n;
	struct grade_result t[GRADE_MAX_TESTS];
};

/* A new zeroed entry, or NULL when the table is full. */
struct grade_result *grade_run_add(struct grade_run *r);
void grade_run_free(struct grade_run *r);

/* Print test i (and the lab/program headings when they change). */
void grade_print_result(const struct grade_run *r, int i);
/* Per-lab totals, then "Score: x/y". Returns 1 on full marks. */
int grade_print_summary(const struct grade_run *r, int listing_errors);
/* Write the Gradescope results.json. 0 or -1 (errno set). */
int grade_write_json(const struct grade_run *r, const char *path, long seconds);

#endif
