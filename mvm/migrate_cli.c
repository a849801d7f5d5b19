/*
 * migrate_cli.c - `mvm run --migrate-to HOST:PORT`: the source of a live
 * migration, driven from mvm run's loop.
 *
 * Who does what. `mvm run` steps vCPU 0 in its main thread (cmd_run.c),
 * so between two steps nothing runs: that is where everything that
 * needs a quiet machine happens (migcli_poll()): connecting and
 * switching dirty logging on (mvm_migrate_create()), and the
 * stop-and-copy (mvm_migrate_finish()). The live rounds run in a thread
 * of their own, the guest running meanwhile:
 *
 *   thread                            main thread (between steps)
 *   wait --migrate-after, or a byte   Ctrl-A m (console.c): 'm' on
 *   on the wake pipe (SIGUSR2, 'm')   the wake pipe
 *   START, kick vCPU 0          ->    connect, create; LIVE
 *   mvm_migrate_live()                ... guest runs ...
 *   LIVE_DONE, kick vCPU 0      ->    finish: pause is here; the guest
 *                                     continues in the target (the run
 *                                     ends) or, on failure, here
 *
 * `--migrate-after key` waits for Ctrl-A m or SIGUSR2 alone: the user
 * starts the migration by hand when the guest is where they want it.
 * With --cpus N every vCPU runs on a thread of its own (run_smp.c) and
 * the main thread only waits; it polls here too, and makes the machine
 * quiet for create and finish by pausing it (machine.h): every vCPU
 * parked out of KVM_RUN. A failed finish resumes it; after a successful
 * one it stays paused until the run ends (migcli_finish()). The stream
 * carries one VCPU section per vCPU (migrate.h), so the target rebuilds
 * all of them.
 *
 * A failure anywhere is reported and the guest runs on here. The kick
 * (vm.h) makes the main thread see a state change at once even when the
 * guest makes no exits.
 *
 * Test-only fault hook: MVM_MIGRATE_FAULT=PHASE:N in the environment
 * (PHASE round0, dirty, stop or devices) shuts the connection down
 * before the source's N-th message of that phase (migrate.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "console.h"
#include "migrate_cli.h"
#include "minivmm/minivmm.h"

#define CMD	       "mvm run"
#define SEND_TIMEOUT_S 30

enum state { OFF, WAITING, START, LIVE, LIVE_DONE, MIGRATED, FAILED };

static struct {
	char host[64];		     /* --migrate-to */
	int port;		     /* its port; 0: no migration */
	unsigned after_ms;	     /* --migrate-after */
	int after_set;		     /* given */
	int after_key;		     /* --migrate-after key: no timer */
	struct mvm_migrate_params p; /* rounds, downtime, fault */
	const char *csv;	     /* --migrate-csv */
	_Atomic enum state state;    /* see above */
	int live_rc;		     /* mvm_migrate_live()'s result */
	int wake[2];		     /* SIGUSR2 / quit -> the thread */
	pthread_t thread;	     /* exists from WAITING on */
	int have_thread;	     /* thread not joined yet */
	int fd;			     /* the connection */
	struct mvm_migrate *mg;	     /* from START on */
	struct mvm_machine *m;	     /* the machine, for the kick */
	int paused;		     /* we paused its vCPU threads */
} mc = {.fd = -1, .wake = {-1, -1}};

int migcli_parse_addr(const char *arg, char *host, size_t hostlen, int *port)
{
	const char *colon = strrchr(arg, ':');
	const char *p = colon ? colon + 1 : arg;
	size_t hlen = colon ? (size_t)(colon - arg) : 0;
	struct in_addr a;
	char *end;
	long v;

	if (hlen >= hostlen || !*p)
		return -EINVAL;
	v = strtol(p, &end, 10);
	if (*end || v < 0 || v > 65535)
		return -EINVAL;
	memcpy(host, arg, hlen);
	host[hlen] = 0;
	if (!hlen)
		snprintf(host, hostlen, "127.0.0.1");
	*port = (int)v;
	return inet_pton(AF_INET, host, &a) == 1 ? 0 : -EINVAL;
}

static int parse_fault(void)
{
	static const char *const names[] = {"round0", "dirty", "stop",
					    "devices"};
	const char *f = getenv("MVM_MIGRATE_FAULT");
	unsigned n;

	if (!f)
		return 0;
	for (unsigned i = 0; i < MVM_MIG_PHASES; i++) {
		size_t len = strlen(names[i]);

		if (!strncmp(f, names[i], len) && f[len] == ':' &&
		    sscanf(f + len + 1, "%u", &n) == 1 && n > 0) {
			mc.p.fault_phase = i;
			mc.p.fault_after = n;
			return 0;
		}
	}
	cli_error(CMD,
		  "bad MVM_MIGRATE_FAULT '%s': use PHASE:N, PHASE one "
		  "of round0, dirty, stop, devices",
		  f);
	return -EINVAL;
}

int migcli_option(const char *cmd, int c, const char *arg)
{
	unsigned v;
	char x;

	if (c == MIGCLI_OPT_TO) {
		if (migcli_parse_addr(arg, mc.host, sizeof(mc.host), &mc.port) <
			    0 ||
		    mc.port == 0) {
			cli_error(cmd,
				  "bad --migrate-to '%s': use [HOST:]PORT "
				  "(HOST an IPv4 address, PORT 1-65535)",
				  arg);
			return -EINVAL;
		}
		return parse_fault();
	}
	if (c == MIGCLI_OPT_CSV) {
		mc.csv = arg;
		return 0;
	}
	if (c == MIGCLI_OPT_AFTER) {
		mc.after_set = 1;
		mc.after_key = !strcmp(arg, "key");
		if (mc.after_key || !strcmp(arg, "0")) {
			mc.after_ms = 0;
			return 0;
		}
		if (cli_parse_seconds(arg, &mc.after_ms) == 0)
			return 0;
		cli_error(cmd,
			  "bad --migrate-after '%s': need 0, seconds %s, or "
			  "'key' (Ctrl-A m starts it)",
			  arg, CLI_SECONDS_RANGE);
		return -EINVAL;
	}
	if (sscanf(arg, "%u%c", &v, &x) != 1 || v == 0 ||
	    (c == MIGCLI_OPT_ROUNDS && v > MVM_MIGRATE_ROUNDS) || v > 60000) {
		cli_error(cmd, "bad --migrate-%s '%s': need 1 to %u",
			  c == MIGCLI_OPT_ROUNDS     ? "rounds"
			  : c == MIGCLI_OPT_DOWNTIME ? "downtime"
						     : "bandwidth",
			  arg,
			  c == MIGCLI_OPT_ROUNDS ? MVM_MIGRATE_ROUNDS : 60000);
		return -EINVAL;
	}
	*(c == MIGCLI_OPT_ROUNDS     ? &mc.p.max_rounds
	  : c == MIGCLI_OPT_DOWNTIME ? &mc.p.downtime_ms
				     : &mc.p.bandwidth) = v;
	return 0;
}

int migcli_enabled(void)
{
	return mc.port != 0;
}

void migcli_usage(FILE *f)
{
	fprintf(f, "      --migrate-to [HOST:]PORT  live-migrate the guest "
		   "to\n"
		   "                      `mvm restore --listen` there; "
		   "Ctrl-A m or SIGUSR2 starts it early\n"
		   "      --migrate-after SEC|key  start after SEC seconds "
		   "(default 0: at once),\n"
		   "                      or only on Ctrl-A m / SIGUSR2 "
		   "(key)\n"
		   "      --migrate-rounds N   live rounds at most (default "
		   "30)\n"
		   "      --migrate-downtime MS  downtime budget (default "
		   "20)\n"
		   "      --migrate-bandwidth MIBS  cap the live rounds at "
		   "MIBS MiB/s\n"
		   "      --migrate-csv FILE   the per-round numbers as CSV\n");
}

/* --- the thread: wait, then the live rounds -------------------------------- */

static void on_sigusr2(int sig)
{
	char b = (char)sig;

	if (write(mc.wake[1], &b, 1) < 0) {
		/* a full pipe already says "wake up" */
	}
}

static void set_state(enum state s)
{
	atomic_store(&mc.state, s);
	mvm_vcpu_kick(mvm_machine_vcpu(mc.m, 0));
}

/* Wait up to ms for a byte on the wake pipe (a signal that interrupts
 * the wait does not shorten it), forever with --migrate-after key: the
 * byte, or 0 when the time is up. */
static char wait_wake(unsigned ms)
{
	struct pollfd pfd = {.fd = mc.wake[0], .events = POLLIN};
	struct timespec t0, t;
	long left = (long)ms;
	char b = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int n = poll(&pfd, 1, mc.after_key ? -1 : (int)left);

		if (n > 0)
			return read(mc.wake[0], &b, 1) == 1 ? b : 0;
		if (n == 0 || errno != EINTR)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = (long)ms - ((t.tv_sec - t0.tv_sec) * 1000 +
				   (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 && !mc.after_key)
			return 0;
	}
}

static void *thread_main(void *arg)
{
	struct pollfd pfd = {.fd = mc.wake[0], .events = POLLIN};
	char b = 0;

	(void)arg;
	if (wait_wake(mc.after_ms) == 'q')
		return NULL; /* the run ended first */
	set_state(START);
	/* The main thread connects and creates; LIVE or FAILED. */
	while (atomic_load(&mc.state) == START)
		if (poll(&pfd, 1, 10) > 0 && read(mc.wake[0], &b, 1) == 1 &&
		    b == 'q')
			return NULL;
	if (atomic_load(&mc.state) != LIVE)
		return NULL;
	mc.live_rc = mvm_migrate_live(mc.mg);
	set_state(LIVE_DONE);
	return NULL;
}

static int start_thread(struct mvm_machine *m)
{
	struct sigaction sa = {.sa_handler = on_sigusr2};
	int rc;

	mc.m = m;
	if (pipe(mc.wake) < 0) {
		atomic_store(&mc.state, FAILED);
		return -errno;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
	atomic_store(&mc.state, WAITING);
	rc = pthread_create(&mc.thread, NULL, thread_main, NULL);
	mc.have_thread = !rc;
	if (rc) {
		atomic_store(&mc.state, FAILED);
		return -rc;
	}
	return 0;
}

/* --- the main thread: the parts that need a quiet machine ------------------ */

static int connect_to(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)mc.port)};
	struct timeval tv = {.tv_sec = SEND_TIMEOUT_S};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	inet_pton(AF_INET, mc.host, &sa.sin_addr);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* A target that stops reading must not block a send for ever:
	 * the send fails after SEND_TIMEOUT_S instead (socket(7)). */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static void fail(struct console *con, const char *what, int rc)
{
	console_end_line(con);
	cli_error(CMD,
		  "migration to %s:%d failed (%s: %s); the guest runs "
		  "on here",
		  mc.host, mc.port, what, strerror(-rc));
	mvm_migrate_destroy(mc.mg);
	mc.mg = NULL;
	if (mc.fd >= 0)
		close(mc.fd);
	mc.fd = -1;
	atomic_store(&mc.state, FAILED);
}

/* Make the machine quiet (on) or let it run again (off). With one vCPU
 * the main thread steps it and is here, so it is quiet already. */
static void quiet(struct mvm_machine *m, int on)
{
	if (mvm_machine_ncpus(m) < 2 || on == mc.paused)
		return;
	if (on ? mvm_machine_pause(m) : mvm_machine_resume(m))
		return; /* nothing else pauses it: not reached */
	mc.paused = on;
}

static void begin(struct mvm_machine *m, struct console *con)
{
	int rc = mc.fd = connect_to();

	if (rc >= 0) {
		quiet(m, 1);
		rc = mvm_migrate_create(m, mc.fd, &mc.p, &mc.mg);
		quiet(m, 0);
	}
	if (rc < 0) {
		fail(con, rc == -ECONNREFUSED ? "connect" : "start", rc);
		return;
	}
	console_end_line(con);
	fprintf(stderr, "%s: migrating to %s:%d\n", CMD, mc.host, mc.port);
	atomic_store(&mc.state, LIVE);
}

static int end(struct mvm_machine *m, struct console *con)
{
	int rc;

	pthread_join(mc.thread, NULL);
	mc.have_thread = 0;
	if (mc.live_rc) {
		fail(con, "live rounds", mc.live_rc);
		return 0;
	}
	quiet(m, 1);
	rc = mvm_migrate_finish(mc.mg); /* the guest is paused from here */
	if (rc) {
		quiet(m, 0);
		fail(con, "stop-and-copy", rc);
		return 0;
	}
	console_end_line(con);
	migcli_report(mvm_migrate_stats(mc.mg), &mc.p, mc.csv);
	atomic_store(&mc.state, MIGRATED);
	return 1;
}

/* Ctrl-A m: wake the waiting thread, or say why there is nothing to
 * start. */
static void key_pressed(struct console *con, enum state s)
{
	if (s == WAITING) {
		if (write(mc.wake[1], "m", 1) < 0) {
			/* a full pipe already says "wake up" */
		}
		return;
	}
	console_end_line(con);
	if (!mc.port)
		cli_error(CMD, "Ctrl-A m: no --migrate-to HOST:PORT was given, "
			       "nowhere to migrate to");
	else
		cli_error(CMD, "Ctrl-A m: the migration %s",
			  s == FAILED ? "failed already (the guest runs on "
					"here)"
				      : "is under way");
}

int migcli_poll(struct mvm_machine *m, struct console *con)
{
	enum state s = atomic_load(&mc.state);

	if (s == OFF && mc.port) {
		if (start_thread(m) < 0)
			cli_error(CMD, "cannot start the migration thread");
		s = atomic_load(&mc.state);
	}
	if (console_migrate_requested(con))
		key_pressed(con, s);
	switch (s) {
	case START:
		begin(m, con);
		return 0;
	case LIVE_DONE:
		return end(m, con);
	case MIGRATED:
		return 1;
	default:
		return 0;
	}
}

int migcli_finish(struct mvm_machine *m, int status)
{
	enum state s = atomic_load(&mc.state);

	if (s == MIGRATED) {
		quiet(m, 0); /* its vCPU threads are gone (run_smp.c) */
		fprintf(stderr, "%s: the guest runs on in the target\n", CMD);
		mvm_migrate_destroy(mc.mg);
		close(mc.fd);
		return MVM_EXIT_OK;
	}
	if (mc.have_thread) {
		if (write(mc.wake[1], "q", 1) < 0) {
			/* the thread then notices on its next poll */
		}
		mvm_migrate_cancel(mc.mg);
		if (mc.fd >= 0) /* unblocks a send the thread is in */
			shutdown(mc.fd, SHUT_RDWR);
		pthread_join(mc.thread, NULL);
		cli_error(CMD, "migration abandoned: the guest's run ended "
			       "first");
		mvm_migrate_destroy(mc.mg);
		if (mc.fd >= 0)
			close(mc.fd);
	}
	return status;
}
