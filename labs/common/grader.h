/*
 * grader.h - the pieces of the grader program (grader.c): running a test
 * in a child process, and reporting results as text and as JSON.
 */
#ifndef MINIVMM_LABS_GRADER_H
#define MINIVMM_LABS_GRADER_H

#include <stddef.h>

#include <sys/types.h>

#define GRADE_TOKEN_LEN 32 /* hex digits; grade.c reads exactly this many */
#define GRADE_MAX_JOBS	16 /* children running at once, at most */

/* One child process: running, or what happened to it. */
struct grade_child {
	pid_t pid;
	int running, done; /* started and not reaped / reaped */
	int exited;	   /* 1: exited normally, status valid */
	int status;	   /* exit status */
	int timed_out;	   /* killed at its deadline */
	unsigned timeout_s;
	long long deadline_ms;	/* grade_now_ms() when it is killed */
	char why[96];		/* "crashed: Segmentation fault", "hung ..." */
	char *out;		/* stdout + stderr, NUL-terminated (owned) */
	size_t len;		/* bytes in out */
	int out_fd, verdict_fd; /* parent's ends, -1 when closed */
	char token[GRADE_TOKEN_LEN + 1]; /* the secret the verdict must carry */
	char verdict[128];		 /* what came over the verdict socket */
	size_t vlen;
	const char *prog; /* argv[0], for grade_where() */
	char where[640];  /* where a hung child was: "in f() at x.c:12" */
};

long long grade_now_ms(void);

/* Start argv (argv[0] is a path) in its own process group with a
 * deadline; verdict: also give it a verdict socket with a fresh token
 * (see grade.c). 0, or -1 with c->why set and c->done. */
int grade_child_start(struct grade_child *c, char *const argv[],
		      unsigned timeout_s, int verdict);
/* Wait up to wait_ms for any of the n children, collect their output,
 * reap the ones that ended and kill (whole group) the ones past their
 * deadline. */
void grade_child_pump(struct grade_child *const *cs, int n, int wait_ms);
/* Where the (running) child pid of program prog is executing, in words
 * ("in mvm_bus_find() at libminivmm/src/core/bus.c:81"); "" if unknown.
 * See grader_where.c. */
void grade_where(pid_t pid, const char *prog, char *where, size_t len);
/* Start, and pump until it is done (no verdict socket). */
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
	char why[256];	    /* short reason when not PASS */
	char *output;	    /* captured output (owned) */
	int serial;	    /* runs alone (a measurement) */
	unsigned timeout_s; /* its own limit, 0: the grader's default */
	int started, finished;
	struct grade_child child; /* while it runs */
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
