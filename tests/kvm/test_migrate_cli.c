/*
 * test_migrate_cli.c - live migration between two mvm processes:
 * `mvm restore --listen 127.0.0.1:0` (the target says which port it
 * got) and `mvm run --migrate-to` (the source) with the counter guest
 * (examples/migrate-counter.c, level and length typed on its stdin;
 * RUN_ITERS iterations where a migration must end before the guest does).
 * The source's output followed by the target's is one whole run; the
 * source writes its numbers as CSV. With the fault hook
 * (MVM_MIGRATE_FAULT, migrate_cli.c) the connection is cut in the
 * stop-and-copy: the source finishes the run itself, the target exits
 * with an error; a target SIGKILLed mid-round and a port nobody listens
 * on leave the source running too. Every command runs under timeout(1)
 * but the target that is killed (the test kills it within seconds).
 *
 * On a terminal (a pseudo-terminal here) `--migrate-after key` waits for
 * the console's Ctrl-A m; Ctrl-A m without --migrate-to says so and the
 * guest runs on. With --cpus 2 (examples/smp-migrate.c: each vCPU
 * counts and prints its own lines) both vCPUs move and finish in the
 * target, every line of each once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

#define MVM	"timeout 60 " MVM_BUILD_DIR "/mvm"
#define COUNTER MVM_GUEST_DIR "/migrate-counter.elf"
/*
 * The counter at level 2 (ring 0: the kernel's emulator runs it, at the
 * same speed whatever the VMM is built with), length 4: 16000
 * iterations, about 1 s, which a migration starting at 0.3 s must beat.
 * A sanitized mvm sends pages ~10x slower (TSan: 3-3.7 s for the five
 * rounds, where the plain build takes ~0.4 s; the guest then finished
 * first), so under the sanitizers the guests run 4x as long.
 */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define RUN_INPUT "26"
#define RUN_ITERS 64000
#define KEY_INPUT "27"
#define KEY_ITERS 128000
#else
#define RUN_INPUT "24"
#define RUN_ITERS 16000
#define KEY_INPUT "25"
#define KEY_ITERS 32000
#endif
#define OUT_MAX 65536

static char dir[128]; /* this run's files */

/* The whole file at dir/name, NUL-terminated (empty if none). */
static char *slurp(const char *name)
{
	static char buf[4][OUT_MAX];
	static int next;
	char path[256];
	char *b = buf[next++ % 4];
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (f) {
		n = fread(b, 1, OUT_MAX - 1, f);
		fclose(f);
	}
	b[n] = 0;
	return b;
}

/* sh -c cmd in the background; its pid. */
static pid_t spawn(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	pid_t pid;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int wait_status(pid_t pid)
{
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Start the target; the port it listens on (read from its stderr).
 * bare: mvm itself is the process *pid (no timeout(1) in between, so a
 * signal to *pid reaches mvm; the caller then kills it itself). */
static int start_target_as(pid_t *pid, int bare)
{
	const char *p = NULL;

	*pid = spawn("exec %s restore --listen 127.0.0.1:0 </dev/null "
		     ">%s/t.out 2>%s/t.err",
		     bare ? MVM_BUILD_DIR "/mvm" : MVM, dir, dir);
	for (int i = 0; i < 1000 && !p; i++) {
		p = strstr(slurp("t.err"), "migration on 127.0.0.1:");
		if (!p)
			usleep(10000);
	}
	if (!p)
		fail_msg("the target never said its port: %s", slurp("t.err"));
	return atoi(p + strlen("migration on 127.0.0.1:"));
}

static int start_target(pid_t *pid)
{
	return start_target_as(pid, 0);
}

/* Every count line of a whole run of iters in order, then a checked
 * final line. */
static void assert_whole_run(const char *out, unsigned iters)
{
	const char *p = out;
	char want[32];

	for (unsigned n = 256; n <= iters; n += 256) {
		char line[32];

		snprintf(line, sizeof(line), "count %u\n", n);
		p = strstr(p, line);
		if (!p)
			fail_msg("no \"count %u\" in order:\n%s", n, out);
		p += strlen(line);
	}
	snprintf(want, sizeof(want), "final %u sum 0x", iters);
	if (!strstr(out, want) || !strstr(out, " check ok\n"))
		fail_msg("no checked final line:\n%s", out);
}

static int setup(void **state)
{
	char cmd[256];

	(void)state;
	fixture_require_kvm();
	snprintf(dir, sizeof(dir), "/tmp/migcli-%d", (int)getpid());
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void guest_moves_to_the_other_process_and_finishes_there(void **s)
{
	pid_t target, source;
	int port = start_target(&target);
	char all[2 * OUT_MAX];

	(void)s;
	source = spawn("printf " RUN_INPUT " | " MVM
		       " run --migrate-to 127.0.0.1:%d "
		       "--migrate-after 0.3 --migrate-csv %s/m.csv %s "
		       ">%s/s.out 2>%s/s.err",
		       port, dir, COUNTER, dir, dir);
	assert_int_equal(wait_status(source), 0);
	assert_int_equal(wait_status(target), 0);
	if (!strstr(slurp("s.err"), "mvm run: migrated: "))
		fail_msg("source: %s", slurp("s.err"));
	assert_non_null(strstr(slurp("s.err"), "runs on in the target"));
	assert_non_null(strstr(slurp("t.err"), "resuming"));
	assert_null(strstr(slurp("s.out"), "final"));
	snprintf(all, sizeof(all), "%s%s", slurp("s.out"), slurp("t.out"));
	assert_whole_run(all, RUN_ITERS);
	/* The CSV: labelled, a header, round 0 first, stop-and-copy last. */
	assert_non_null(strstr(slurp("m.csv"), "# minivmm live migration"));
	assert_non_null(strstr(slurp("m.csv"), "KVM backend "));
	assert_non_null(strstr(slurp("m.csv"), "round,phase,pages,bytes,ms,"
					       "dirty_mib_s\n0,round0,"));
	assert_non_null(strstr(slurp("m.csv"), ",stop,"));
}

static void cut_in_stop_and_copy_source_finishes_target_fails(void **s)
{
	pid_t target, source;
	int port = start_target(&target);

	(void)s;
	source = spawn("printf " RUN_INPUT " | MVM_MIGRATE_FAULT=stop:1 " MVM
		       " run --migrate-to 127.0.0.1:%d --migrate-after 0.3 "
		       "%s >%s/s.out 2>%s/s.err",
		       port, COUNTER, dir, dir);
	assert_int_equal(wait_status(source), 0);
	assert_int_equal(wait_status(target), 1);
	if (!strstr(slurp("s.err"), "failed") ||
	    !strstr(slurp("s.err"), "the guest runs on here"))
		fail_msg("source: %s", slurp("s.err"));
	assert_whole_run(slurp("s.out"), RUN_ITERS);
	if (!strstr(slurp("t.err"), "connection closed") ||
	    !strstr(slurp("t.err"), "no guest to run"))
		fail_msg("target: %s", slurp("t.err"));
	assert_string_equal(slurp("t.out"), "");
}

/*
 * The target process dies (SIGKILL) in the middle of round 0, which a
 * 2 MiB/s cap stretches over seconds: no fault hook, a real broken
 * connection. The source reports it and finishes the run (RUN_ITERS
 * iterations, so that the failure is seen before the end) itself.
 */
static void target_killed_mid_round_source_finishes(void **s)
{
	pid_t target, source;
	int port = start_target_as(&target, 1);

	(void)s;
	source = spawn("printf " RUN_INPUT " | " MVM
		       " run --migrate-to 127.0.0.1:%d "
		       "--migrate-bandwidth 2 %s >%s/s.out 2>%s/s.err",
		       port, COUNTER, dir, dir);
	for (int i = 0; i < 1000 && !strstr(slurp("s.err"), "migrating to");
	     i++)
		usleep(10000);
	usleep(300000); /* well inside round 0 */
	kill(target, SIGKILL);
	wait_status(target);
	assert_int_equal(wait_status(source), 0);
	if (!strstr(slurp("s.err"), "failed (live rounds") ||
	    !strstr(slurp("s.err"), "the guest runs on here"))
		fail_msg("source: %s", slurp("s.err"));
	assert_whole_run(slurp("s.out"), RUN_ITERS);
}

/* A port nobody listens on: bound (so the kernel picked a free one),
 * never listened on, closed. */
static int dead_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static void nobody_listening_is_a_message_and_the_guest_runs_on(void **s)
{
	pid_t source;

	(void)s;
	source = spawn("printf 23 | " MVM " run --migrate-to 127.0.0.1:%d "
		       "%s >%s/s.out 2>%s/s.err",
		       dead_port(), COUNTER, dir, dir);
	assert_int_equal(wait_status(source), 0);
	if (!strstr(slurp("s.err"), "failed (connect: Connection refused)"))
		fail_msg("source: %s", slurp("s.err"));
	assert_whole_run(slurp("s.out"), 8000);
}

/* --- several vCPUs ------------------------------------------------------ */

#define SMP_GUEST MVM_GUEST_DIR "/smp-migrate.elf"
#define SMP_TO	  200000 /* smp-migrate.c's count and step */
#define SMP_EVERY 10000

static void both_vcpus_move_and_finish_in_the_target(void **s)
{
	pid_t target, source;
	int port = start_target(&target);
	char all[2 * OUT_MAX], line[64];
	const char *src;

	(void)s;
	source = spawn(MVM " run -T 0 --cpus 2 --migrate-to 127.0.0.1:%d "
			   "--migrate-after 0.3 %s >%s/s.out 2>%s/s.err",
		       port, SMP_GUEST, dir, dir);
	assert_int_equal(wait_status(source), 0);
	assert_int_equal(wait_status(target), 0);
	if (!strstr(slurp("s.err"), "mvm run: migrated: ") ||
	    !strstr(slurp("s.err"), "runs on in the target"))
		fail_msg("source: %s", slurp("s.err"));
	src = slurp("s.out");
	if (!strstr(src, " at ") || strstr(src, "counted"))
		fail_msg("not migrated mid-run: source printed\n%s", src);
	snprintf(all, sizeof(all), "%s%s", src, slurp("t.out"));
	for (int cpu = 0; cpu < 2; cpu++) {
		for (int n = SMP_EVERY; n <= SMP_TO; n += SMP_EVERY) {
			const char *p;

			snprintf(line, sizeof(line), "vCPU %d at %d\n", cpu, n);
			p = strstr(all, line);
			if (!p || strstr(p + 1, line))
				fail_msg("\"%.*s\" not exactly once:\n%s",
					 (int)strlen(line) - 1, line, all);
		}
		snprintf(line, sizeof(line), "vCPU %d counted to %d\n", cpu,
			 SMP_TO);
		if (!strstr(slurp("t.out"), line))
			fail_msg("target: no \"%s\":\n%s", line,
				 slurp("t.out"));
	}
	assert_non_null(strstr(slurp("t.err"), "vCPU 1: done"));
}

/* --- the console key --------------------------------------------------- */

static char tty_out[OUT_MAX]; /* what mvm wrote to its terminal, no CRs */
static size_t tty_len;

/* Read what the master end has (non-blocking), CRs dropped (raw mode
 * ends lines with CR LF). */
static void tty_drain(int master)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(master, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n && tty_len < OUT_MAX - 1; i++)
			if (buf[i] != '\r')
				tty_out[tty_len++] = buf[i];
	tty_out[tty_len] = 0;
}

/* Drain until want appears or ms pass; 1 if it did. */
static int tty_wait_for(int master, const char *want, unsigned ms)
{
	struct timespec ts = {0, 10 * 1000 * 1000};

	for (unsigned t = 0; t < ms; t += 10) {
		tty_drain(master);
		if (strstr(tty_out, want))
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* mvm run ... on a new pseudo-terminal (its controlling terminal and
 * stdio); the master end, non-blocking, in *master. */
static pid_t spawn_on_tty(int *master, const char *cmd)
{
	pid_t pid;

	*master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(*master >= 0);
	assert_int_equal(grantpt(*master) | unlockpt(*master), 0);
	tty_len = 0;
	tty_out[0] = 0;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd;

		setsid();
		fd = open(ptsname(*master), O_RDWR); /* controlling tty */
		dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	fcntl(*master, F_SETFL, O_NONBLOCK);
	return pid;
}

/*
 * A whole run of iters in what mvm wrote to a terminal (then what the
 * target wrote): mvm's own lines (its messages and the migration table
 * start with "mvm " or a space) are dropped and the rest joined, since
 * a message may cut a guest line in two (console_end_line() ends the
 * guest's half line first); every "count N" once in order, the final.
 */
static void assert_whole_run_on_tty(const char *text, unsigned iters)
{
	static char guest[2 * OUT_MAX];
	char fin[64];
	const char *p = guest;
	size_t n = 0;

	for (const char *l = text; *l;) {
		const char *eol = strchr(l, '\n');
		size_t len = eol ? (size_t)(eol - l) : strlen(l);

		if (strncmp(l, "mvm ", 4) && *l != ' ' &&
		    n + len < sizeof(guest))
			memcpy(guest + n, l, len), n += len;
		l += len + (eol != NULL);
	}
	guest[n] = 0;
	for (unsigned c = 256; c <= iters; c += 256) {
		char want[32];

		snprintf(want, sizeof(want), "count %u", c);
		while ((p = strstr(p, want)) && p[strlen(want)] >= '0' &&
		       p[strlen(want)] <= '9')
			p++;
		if (!p)
			fail_msg("no \"%s\" in order:\n%s", want, text);
		p += strlen(want);
	}
	snprintf(fin, sizeof(fin), "final %u sum 0x", iters);
	if (!strstr(text, fin) || !strstr(text, " check ok\n"))
		fail_msg("no checked final line:\n%s", text);
}

/* Wait for pid while draining the terminal; its exit status. */
static int tty_wait_exit(int master, pid_t pid)
{
	struct timespec ts = {0, 10 * 1000 * 1000};
	int st;

	for (int t = 0; t < 60000; t += 10) {
		tty_drain(master);
		if (waitpid(pid, &st, WNOHANG) == pid) {
			tty_drain(master);
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		}
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	fail_msg("mvm on the terminal never ended:\n%s", tty_out);
	return -1;
}

/*
 * --migrate-after key: the guest counts on (KEY_ITERS iterations) and no
 * migration starts by itself; Ctrl-A m typed on the terminal starts it,
 * and the guest finishes in the target with nothing lost.
 */
static void ctrl_a_m_starts_the_migration_on_a_terminal(void **s)
{
	pid_t target, source;
	int master, port = start_target(&target);
	char cmd[1024], all[2 * OUT_MAX];

	(void)s;
	snprintf(cmd, sizeof(cmd),
		 "exec " MVM " run --migrate-to 127.0.0.1:%d "
		 "--migrate-after key %s",
		 port, COUNTER);
	source = spawn_on_tty(&master, cmd);
	assert_int_equal(write(master, KEY_INPUT, 2), 2);
	if (!tty_wait_for(master, "count 2048\n", 30000))
		fail_msg("the guest never counted to 2048:\n%s", tty_out);
	if (strstr(tty_out, "migrating"))
		fail_msg("started without the key:\n%s", tty_out);
	assert_int_equal(write(master, "\001m", 2), 2);
	assert_int_equal(tty_wait_exit(master, source), 0);
	close(master);
	assert_int_equal(wait_status(target), 0);
	if (!strstr(tty_out, "migrating to 127.0.0.1:") ||
	    !strstr(tty_out, "runs on in the target"))
		fail_msg("source: %s", tty_out);
	assert_null(strstr(tty_out, "final"));
	snprintf(all, sizeof(all), "%s%s", tty_out, slurp("t.out"));
	assert_whole_run_on_tty(all, KEY_ITERS);
}

/* Ctrl-A m with nowhere to go: one line, and the guest runs on. */
static void ctrl_a_m_without_migrate_to_says_so_and_runs_on(void **s)
{
	int master;
	pid_t source = spawn_on_tty(&master, "exec " MVM " run " COUNTER);

	(void)s;
	assert_int_equal(write(master, "23", 2), 2);
	if (!tty_wait_for(master, "count 256\n", 30000))
		fail_msg("the guest never counted to 256:\n%s", tty_out);
	assert_int_equal(write(master, "\001m", 2), 2);
	assert_int_equal(tty_wait_exit(master, source), 0);
	close(master);
	if (!strstr(tty_out, "Ctrl-A m: no --migrate-to"))
		fail_msg("no message: %s", tty_out);
	assert_whole_run_on_tty(tty_out, 8000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			guest_moves_to_the_other_process_and_finishes_there,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			cut_in_stop_and_copy_source_finishes_target_fails,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			target_killed_mid_round_source_finishes, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			nobody_listening_is_a_message_and_the_guest_runs_on,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			both_vcpus_move_and_finish_in_the_target, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			ctrl_a_m_starts_the_migration_on_a_terminal, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			ctrl_a_m_without_migrate_to_says_so_and_runs_on, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
