/*
 * tmux_screen.h - the tmux harness of the screen tests (test_tui.c,
 * test_tui_modes.c): start mvmdbg in a detached 80x24 tmux session of
 * our own server, send keys, capture the screen, wait for text. The
 * session is always killed - by the test's teardown, and by the SIGALRM
 * backstop if a test hangs. Skips, with the reason, without tmux or KVM.
 *
 * Header-only so each test stays a single program (debugger/build.mk
 * links one test source per binary); everything is static to the test.
 */
#ifndef MVMDBG_TESTS_TMUX_SCREEN_H
#define MVMDBG_TESTS_TMUX_SCREEN_H

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "minivmm/minivmm.h"

#define WAIT_MS	   15000
#define SCREEN_MAX 16384

static char session[64];
static char screen[SCREEN_MAX];

/* A tmux server of our own (-L): other tmux users on the machine, or a
 * server that is just exiting after the last session was killed, cannot
 * take our commands. */
static char sock[64];

static int tmux(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int tmux(const char *fmt, ...)
{
	char args[512], cmd[700];
	va_list ap;
	int rc;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	if (!sock[0])
		snprintf(sock, sizeof(sock), "mvmdbg-test-%d", (int)getpid());
	snprintf(cmd, sizeof(cmd), "tmux -L %s %s >/dev/null 2>&1", sock, args);
	rc = system(cmd);
	if (rc < 0)
		perror("tmux");
	return rc;
}

static inline void kill_session(void)
{
	if (session[0])
		tmux("kill-session -t %s", session);
	session[0] = '\0';
}

static void on_alarm(int sig)
{
	(void)sig;
	kill_session(); /* never leave a tmux session behind */
	_exit(1);
}

static void quiet(void *ctx, enum mvm_log_level l, const char *m)
{
	(void)ctx, (void)l, (void)m;
}

static inline void capture(void)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd),
		 "tmux -L %s capture-pane -p -t %s 2>/dev/null", sock, session);
	FILE *p = popen(cmd, "r");
	size_t n = p ? fread(screen, 1, sizeof(screen) - 1, p) : 0;
	screen[n] = '\0';
	if (p)
		pclose(p);
}

/* The screen with its attributes as SGR escape sequences. */
static inline void capture_sgr(void)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd),
		 "tmux -L %s capture-pane -e -p -t %s 2>/dev/null", sock,
		 session);
	FILE *p = popen(cmd, "r");
	size_t n = p ? fread(screen, 1, sizeof(screen) - 1, p) : 0;
	screen[n] = '\0';
	if (p)
		pclose(p);
}

/* Wait until the screen shows text; fail with the screen if it never does. */
static inline void wait_for(const char *text)
{
	for (int waited = 0; waited < WAIT_MS; waited += 50) {
		capture();
		if (strstr(screen, text))
			return;
		usleep(50 * 1000);
	}
	fprintf(stderr, "--- screen ---\n%s--------------\n", screen);
	fail_msg("the screen never showed \"%s\"", text);
}

/* A cmocka teardown: the session goes, the backstop is disarmed. */
static inline int tmux_teardown(void **state)
{
	(void)state;
	kill_session();
	alarm(0);
	return 0;
}

static const char *env = ""; /* environment for mvmdbg ("NO_COLOR=1 ") */

/* Start mvmdbg FLAGS IMAGE (env in front) and wait for its prompt. */
static inline void start(const char *flags, const char *image)
{
	struct mvm_log log = {quiet, NULL};
	if (system("command -v tmux >/dev/null 2>&1") != 0) {
		printf("SKIP: tmux is not installed "
		       "(scripts/install-deps.sh)\n");
		skip();
	}
	int fd = mvm_kvm_open(&log);
	if (fd < 0) {
		printf("SKIP: /dev/kvm missing or unusable\n");
		skip();
	}
	close(fd);
	if (access(image, R_OK)) {
		printf("SKIP: %s not built (run `make`)\n", image);
		skip();
	}
	signal(SIGALRM, on_alarm);
	alarm(60);
	static int nth;
	snprintf(session, sizeof(session), "mvmdbg-test-%d-%d", (int)getpid(),
		 ++nth);
	/* When mvmdbg exits, keep its last words and its status on the
	 * screen: a failed start shows why instead of an empty screen. */
	/* The previous test's kill-session may have ended the tmux server;
	 * a new-session racing with its exit fails, so check and retry. */
	for (int try = 0; try < 5; try++) {
		tmux("new-session -d -s %s -x 80 -y 24 "
		     "'%s%s %s %s; echo \"[mvmdbg exited: $?]\"; sleep 30'",
		     session, env, MVMDBG_BIN, flags, image);
		if (tmux("has-session -t %s", session) == 0)
			break;
		usleep(200 * 1000);
	}
	wait_for("(mvmdbg)");
}

#endif
