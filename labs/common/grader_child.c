/*
 * grader_child.c - run one test program in a child process with a
 * timeout and capture everything it prints.
 *
 * The child runs in its own process group (setpgid) so that a timeout can
 * kill it together with anything it started (a guest thread, a forked
 * helper) with one kill(-pgid). Output is read through a pipe with poll()
 * so that a chatty child cannot block on a full pipe while we wait.
 */
#include "grader.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CAPTURE_MAX (256 * 1024) /* bytes of output kept per test */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void child_exec(char *const argv[], int wfd)
{
	setpgid(0, 0);
	dup2(wfd, 1);
	dup2(wfd, 2);
	close(wfd);
	/* cmocka prints failure details to stderr unless told otherwise;
	 * one stream keeps the messages next to the test they belong to. */
	setenv("CMOCKA_MESSAGE_OUTPUT", "stdout", 1);
	execv(argv[0], argv);
	dprintf(2, "grader: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Read from fd until EOF or the deadline; returns 1 on timeout. */
static int drain(int fd, long long deadline, char *buf, size_t *len)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long long left = deadline - now_ms();
		char tmp[4096];
		ssize_t k;

		if (left <= 0)
			return 1;
		if (poll(&p, 1, (int)(left > 1000 ? 1000 : left)) <= 0)
			continue;
		k = read(fd, tmp, sizeof(tmp));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return 0;
		if (*len + (size_t)k < CAPTURE_MAX) {
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

void grade_child_run(char *const argv[], unsigned timeout_s,
		     struct grade_child *c)
{
	size_t len = 0;
	int fds[2], st = 0, timed_out;
	pid_t pid;

	memset(c, 0, sizeof(*c));
	c->out = calloc(1, CAPTURE_MAX + 1);
	if (!c->out || pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(c->why, sizeof(c->why), "grader: %s", strerror(errno));
		if (!c->out)
			c->out = calloc(1, 1);
		return;
	}
	pid = fork();
	if (pid == 0)
		child_exec(argv, fds[1]);
	close(fds[1]);
	if (pid < 0) {
		snprintf(c->why, sizeof(c->why), "fork: %s", strerror(errno));
		close(fds[0]);
		return;
	}
	setpgid(pid, pid); /* also here: no race with the child's own call */
	timed_out = drain(fds[0], now_ms() + 1000LL * timeout_s, c->out, &len);
	if (timed_out)
		kill(-pid, SIGKILL);
	close(fds[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	kill(-pid, SIGKILL); /* leftovers of the group, if any */
	c->out[len] = '\0';
	describe_status(st, c);
	if (timed_out) {
		c->exited = 0;
		snprintf(c->why, sizeof(c->why), "timed out after %u s",
			 timeout_s);
	}
}
