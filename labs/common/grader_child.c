/*
 * grader_child.c - run test programs in child processes, several at a
 * time, each with a deadline, capturing what they print and the verdict
 * they send.
 *
 * Each child runs in its own process group (setpgid) so that a deadline
 * can kill it together with anything it started (a guest thread, a
 * forked helper) with one kill(-pgid). Its stdout and stderr go into one
 * pipe; its verdict comes over a private socket (fd VERDICT_FD, see
 * grade.c) in which the parent leaves a fresh random token before the
 * child starts. Output and verdicts of all running children are read with
 * one poll(), so a chatty child cannot block on a full pipe while the
 * grader waits for another.
 */
#include "grader.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CAPTURE_MAX (256 * 1024) /* bytes of output kept per test */
#define VERDICT_FD  3		 /* where the child finds the socket */

long long grade_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void child_exec(char *const argv[], int wfd, int vfd)
{
	setpgid(0, 0);
	dup2(wfd, 1);
	dup2(wfd, 2);
	if (vfd >= 0) {
		if (vfd == VERDICT_FD)
			fcntl(vfd, F_SETFD, 0); /* dup2 would keep CLOEXEC */
		else
			dup2(vfd, VERDICT_FD);
		setenv("GRADE_VERDICT_FD", "3", 1);
	}
	/* cmocka prints failure details to stderr unless told otherwise;
	 * one stream keeps the messages next to the test they belong to. */
	setenv("CMOCKA_MESSAGE_OUTPUT", "stdout", 1);
	execv(argv[0], argv);
	dprintf(2, "grader: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* A fresh token: 128 random bits as hex (getrandom(2)). */
static int make_token(char tok[GRADE_TOKEN_LEN + 1])
{
	unsigned char raw[GRADE_TOKEN_LEN / 2];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -1;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(tok + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

int grade_child_start(struct grade_child *c, char *const argv[],
		      unsigned timeout_s, int verdict)
{
	int out[2], sv[2] = {-1, -1};

	memset(c, 0, sizeof(*c));
	c->out_fd = c->verdict_fd = -1;
	c->out = calloc(1, CAPTURE_MAX + 1);
	if (!c->out || pipe2(out, O_CLOEXEC) < 0)
		goto err;
	if (verdict &&
	    (make_token(c->token) < 0 ||
	     socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
	     write(sv[0], c->token, GRADE_TOKEN_LEN) != GRADE_TOKEN_LEN)) {
		close(out[0]);
		close(out[1]);
		goto err;
	}
	c->timeout_s = timeout_s;
	c->prog = argv[0];
	c->deadline_ms = grade_now_ms() + 1000LL * timeout_s;
	c->pid = fork();
	if (c->pid == 0)
		child_exec(argv, out[1], sv[1]);
	close(out[1]);
	if (sv[1] >= 0)
		close(sv[1]);
	c->out_fd = out[0];
	c->verdict_fd = sv[0];
	if (c->pid < 0)
		goto err;
	setpgid(c->pid, c->pid); /* also here: no race with the child's */
	fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
	if (c->verdict_fd >= 0)
		fcntl(c->verdict_fd, F_SETFL, O_NONBLOCK);
	c->running = 1;
	return 0;
err:
	snprintf(c->why, sizeof(c->why), "grader: %s", strerror(errno));
	if (!c->out)
		c->out = calloc(1, 1);
	if (c->out_fd >= 0)
		close(c->out_fd);
	if (c->verdict_fd >= 0)
		close(c->verdict_fd);
	c->out_fd = c->verdict_fd = -1;
	c->done = 1;
	return -1;
}

/* Read what fd has now into buf (up to max); closes fd at EOF. */
static void slurp(int *fd, char *buf, size_t *len, size_t max)
{
	char tmp[4096];
	ssize_t k;

	while (*fd >= 0) {
		k = read(*fd, tmp, sizeof(tmp));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return; /* EAGAIN: nothing more for now */
		if (k == 0) {
			close(*fd);
			*fd = -1;
			return;
		}
		if (buf && *len + (size_t)k <= max) {
			memcpy(buf + *len, tmp, (size_t)k);
			*len += (size_t)k;
		}
	}
}

static void describe_status(int st, struct grade_child *c)
{
	if (WIFEXITED(st)) {
		c->exited = 1;
		c->status = WEXITSTATUS(st);
		if (c->status == 127)
			snprintf(c->why, sizeof(c->why), "could not run");
		else if (c->status != 0)
			snprintf(c->why, sizeof(c->why), "exit status %d",
				 c->status);
	} else if (WIFSIGNALED(st)) {
		snprintf(c->why, sizeof(c->why), "crashed: %s",
			 strsignal(WTERMSIG(st)));
	}
}

/* The child is gone (or killed): collect the rest and close up. */
static void finish(struct grade_child *c, int st)
{
	kill(-c->pid, SIGKILL); /* leftovers of the group, if any */
	slurp(&c->out_fd, c->out, &c->len, CAPTURE_MAX);
	slurp(&c->verdict_fd, c->verdict, &c->vlen, sizeof(c->verdict) - 1);
	if (c->out_fd >= 0)
		close(c->out_fd);
	if (c->verdict_fd >= 0)
		close(c->verdict_fd);
	c->out_fd = c->verdict_fd = -1;
	c->out[c->len] = '\0';
	c->verdict[c->vlen] = '\0';
	describe_status(st, c);
	if (c->timed_out) {
		c->exited = 0;
		snprintf(c->why, sizeof(c->why), "hung (killed after %u s)",
			 c->timeout_s);
	}
	c->running = 0;
	c->done = 1;
}

void grade_child_pump(struct grade_child *const *cs, int n, int wait_ms)
{
	struct pollfd p[2 * GRADE_MAX_JOBS];
	int np = 0, st;

	for (int i = 0; i < n && np + 2 <= 2 * GRADE_MAX_JOBS; i++) {
		if (!cs[i]->running)
			continue;
		if (cs[i]->out_fd >= 0)
			p[np++] = (struct pollfd){cs[i]->out_fd, POLLIN, 0};
		if (cs[i]->verdict_fd >= 0)
			p[np++] = (struct pollfd){cs[i]->verdict_fd, POLLIN, 0};
	}
	if (np)
		poll(p, (nfds_t)np, wait_ms);
	else if (wait_ms > 0)
		usleep(1000 * (useconds_t)(wait_ms < 20 ? wait_ms : 20));
	for (int i = 0; i < n; i++) {
		struct grade_child *c = cs[i];
		pid_t w;

		if (!c->running)
			continue;
		slurp(&c->out_fd, c->out, &c->len, CAPTURE_MAX);
		slurp(&c->verdict_fd, c->verdict, &c->vlen,
		      sizeof(c->verdict) - 1);
		w = waitpid(c->pid, &st, WNOHANG);
		if (w == c->pid) {
			finish(c, st);
		} else if (grade_now_ms() >= c->deadline_ms) {
			c->timed_out = 1;
			grade_where(c->pid, c->prog, c->where,
				    sizeof(c->where));
			kill(-c->pid, SIGKILL);
			while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
				;
			finish(c, st);
		}
	}
}

void grade_child_run(char *const argv[], unsigned timeout_s,
		     struct grade_child *c)
{
	struct grade_child *one = c;

	if (grade_child_start(c, argv, timeout_s, 0) < 0)
		return;
	while (c->running)
		grade_child_pump(&one, 1, 100);
}
