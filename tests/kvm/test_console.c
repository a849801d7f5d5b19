/*
 * test_console.c - `mvm run` owns the terminal (mvm/console.c): stdin
 * reaches the guest's UART, Ctrl-A x quits, guest text cannot drive the
 * terminal. The built mvm (MVM_BUILD_DIR "/mvm") runs with a pipe or a
 * pseudo-terminal as stdin; the guests are examples/echo.c (echoes COM1
 * input until '.'), a two-byte `jmp $` and a real-mode guest that sends
 * an ASSERT ucall whose text holds an ESC sequence.
 *
 * Every run has a timeout: timeout(1) for the shell ones, a polled
 * waitpid() deadline for the pty ones. Skips without /dev/kvm.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "minivmm/minivmm.h"

#define MVM	   MVM_BUILD_DIR "/mvm"
#define ECHO_GUEST MVM_GUEST_DIR "/echo.elf"
#define OUT_MAX	   65536

static char out[OUT_MAX]; /* the last command's stdout + stderr */
static size_t out_len;
static char spin_path[] = "/tmp/mvm-console-spin-XXXXXX";
static char assert_path[] = "/tmp/mvm-console-assert-XXXXXX";

static void need_kvm(void)
{
	char why[256];

	if (!fixture_kvm_usable(why, sizeof(why))) {
		print_message("skip: %s\n", why);
		skip();
	}
}

/* Run a shell command line (under timeout(1), stderr merged); returns
 * its exit status, -1 if killed. */
static int sh(const char *cmdline)
{
	char cmd[2048];
	size_t got;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "timeout 60 sh -c '%s' 2>&1", cmdline);
	p = popen(cmd, "r");
	assert_non_null(p);
	out_len = 0;
	while (out_len < OUT_MAX - 1 &&
	       (got = fread(out + out_len, 1, OUT_MAX - 1 - out_len, p)) > 0)
		out_len += got;
	out[out_len] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void assert_has(const char *want)
{
	if (!memmem(out, out_len, want, strlen(want)))
		fail_msg("output lacks \"%s\"; it was:\n%s", want, out);
}

static void assert_no_esc(void)
{
	if (memchr(out, 0x1b, out_len))
		fail_msg("a raw ESC reached the output:\n%s", out);
}

static void assert_status(int got, int want)
{
	if (got != want)
		fail_msg("exit status %d, wanted %d; output:\n%s", got, want,
			 out);
}

/* --- stdin from a pipe ------------------------------------------------- */

static void piped_bytes_reach_the_guest_uart_and_come_back(void **state)
{
	(void)state;
	need_kvm();
	assert_status(sh("printf \"hello\\rworld.\" | " MVM " run " ECHO_GUEST),
		      0);
	assert_has("hello\nworld\necho: bye");
	assert_has("guest finished (DONE)");
}

/* 300 bytes against a 16-byte FIFO: the rest waits, nothing is lost. */
static void input_longer_than_the_fifo_is_delivered_whole(void **state)
{
	char want[301];

	(void)state;
	need_kvm();
	assert_status(sh("{ for i in 1 2 3; do printf %0100d 0; done; "
			 "printf .; } | " MVM " run " ECHO_GUEST),
		      0);
	memset(want, '0', 300);
	want[300] = '\0';
	assert_has(want);
	assert_has("\necho: bye");
}

/* Output is escaped by default, untouched with --raw. */
static void guest_escape_sequences_are_shown_escaped_unless_raw(void **state)
{
	(void)state;
	need_kvm();
	assert_status(sh("printf \"a\\033[2Jb.\" | " MVM " run " ECHO_GUEST),
		      0);
	assert_has("a\\x1b[2Jb");
	assert_no_esc();
	assert_status(
		sh("printf \"a\\033[2Jb.\" | " MVM " run --raw " ECHO_GUEST),
		0);
	assert_has("a\x1b[2Jb");
}

static void ctrl_a_ctrl_a_sends_one_literal_ctrl_a(void **state)
{
	(void)state;
	need_kvm();
	assert_status(sh("printf \"<\\001\\001>.\" | " MVM " run " ECHO_GUEST),
		      0);
	assert_has("<\\x01>");
}

/* EOF ends the input, not the guest: it still waits for its '.'. */
static void eof_on_stdin_leaves_the_guest_running(void **state)
{
	(void)state;
	need_kvm();
	assert_status(sh("printf ab | " MVM " run --timeout 1 " ECHO_GUEST), 1);
	assert_has("ab");
	assert_has("timed out");
}

/* The guest spins, so only the kick can end the run (EOF does not). */
static void piped_ctrl_a_x_stops_a_spinning_guest_with_status_0(void **state)
{
	char cmd[512];

	(void)state;
	need_kvm();
	snprintf(cmd, sizeof(cmd),
		 "printf \"\\001h\\001x\" | " MVM " run --flat %s", spin_path);
	assert_status(sh(cmd), 0);
	assert_has("Ctrl-A x");
	assert_has("stopped with Ctrl-A x");
}

static void sigint_stops_a_spinning_guest_cleanly_with_status_1(void **state)
{
	char cmd[512];

	(void)state;
	need_kvm();
	snprintf(cmd, sizeof(cmd),
		 MVM " run --flat %s </dev/null & p=$!; sleep 0.5; "
		     "kill -INT $p; wait $p",
		 spin_path);
	assert_status(sh(cmd), 1);
	assert_has("stopped by SIGINT");
}

/* --- guest text about the guest ------------------------------------------ */

static void assert_text_with_esc_is_printed_escaped(void **state)
{
	char cmd[512];

	(void)state;
	need_kvm();
	snprintf(cmd, sizeof(cmd), MVM " run --trace --flat %s </dev/null",
		 assert_path);
	assert_status(sh(cmd), 1);
	assert_has("guest assertion failed at evil.c:7: "
		   "bad\\x1b[2J\\x1b[Hthing");
	assert_has("[ucall ASSERT \"bad\\x1b[2J");
	assert_no_esc();
}

/* --- stdin a terminal (a pseudo-terminal) --------------------------------- */

struct pty_run {
	int master, slave; /* both ends; we keep the slave to read termios */
	pid_t pid;
};

/* Start mvm with a new pty as its controlling terminal and stdio. */
static void pty_start(struct pty_run *r, const char *image, const char *opt)
{
	r->master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(r->master >= 0);
	assert_int_equal(grantpt(r->master), 0);
	assert_int_equal(unlockpt(r->master), 0);
	r->slave = open(ptsname(r->master), O_RDWR | O_NOCTTY);
	assert_true(r->slave >= 0);
	r->pid = fork();
	assert_true(r->pid >= 0);
	if (r->pid == 0) {
		int fd;

		setsid();
		fd = open(ptsname(r->master), O_RDWR); /* controlling tty */
		dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
		execl(MVM, MVM, "run", opt, image, (char *)NULL);
		_exit(127);
	}
	fcntl(r->master, F_SETFL, O_NONBLOCK);
}

static int raw_mode(int fd)
{
	struct termios t;

	return tcgetattr(fd, &t) == 0 && !(t.c_lflag & (ICANON | ECHO | ISIG));
}

/* Wait up to ms for fn(fd) (or for the child to exit, fn NULL). */
static int wait_until(struct pty_run *r, int (*fn)(int), int *status,
		      unsigned ms)
{
	struct timespec ts = {0, 10 * 1000 * 1000};

	for (unsigned t = 0; t < ms; t += 10) {
		if (fn && fn(r->slave))
			return 1;
		if (!fn && waitpid(r->pid, status, WNOHANG) == r->pid)
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* Collect what mvm wrote, reap it, close both ends. */
static int pty_finish(struct pty_run *r, unsigned ms, int *restored)
{
	int status = 0;
	struct termios t;
	ssize_t n;

	if (!wait_until(r, NULL, &status, ms)) {
		kill(r->pid, SIGKILL);
		waitpid(r->pid, &status, 0);
		return -1;
	}
	assert_int_equal(tcgetattr(r->slave, &t), 0);
	*restored =
		(t.c_lflag & (ICANON | ECHO | ISIG)) == (ICANON | ECHO | ISIG);
	out_len = 0;
	while (out_len < OUT_MAX - 1 &&
	       (n = read(r->master, out + out_len, OUT_MAX - 1 - out_len)) > 0)
		out_len += (size_t)n;
	out[out_len] = '\0';
	close(r->master);
	close(r->slave);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void tty_ctrl_a_x_quits_quickly_and_restores_the_terminal(void **state)
{
	struct pty_run r;
	struct timespec t0, t1;
	int restored = 0, st;

	(void)state;
	need_kvm();
	pty_start(&r, spin_path, "--flat");
	if (!wait_until(&r, raw_mode, NULL, 10000))
		fail_msg("mvm never put the terminal in raw mode");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(write(r.master, "\001x", 2), 2);
	st = pty_finish(&r, 10000, &restored);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_status(st, 0);
	assert_has("stopped with Ctrl-A x");
	assert_true(restored);
	assert_true(t1.tv_sec - t0.tv_sec < 3); /* a kick, not a timeout */
}

/* In raw mode Ctrl-C is a byte for the guest, not a signal for mvm. */
static void tty_ctrl_c_goes_to_the_guest_as_a_byte(void **state)
{
	struct pty_run r;
	int restored = 0;

	(void)state;
	need_kvm();
	pty_start(&r, ECHO_GUEST, "--timeout=30");
	if (!wait_until(&r, raw_mode, NULL, 10000))
		fail_msg("mvm never put the terminal in raw mode");
	assert_int_equal(write(r.master, "ab\003c.", 5), 5);
	assert_status(pty_finish(&r, 30000, &restored), 0);
	assert_has("ab\\x03c");
	assert_true(restored);
}

/* A signal is an exit path too: the terminal comes back. */
static void tty_sigterm_stops_the_vm_and_restores_the_terminal(void **state)
{
	struct pty_run r;
	int restored = 0;

	(void)state;
	need_kvm();
	pty_start(&r, spin_path, "--flat");
	if (!wait_until(&r, raw_mode, NULL, 10000))
		fail_msg("mvm never put the terminal in raw mode");
	kill(r.pid, SIGTERM);
	assert_status(pty_finish(&r, 10000, &restored), 1);
	assert_has("stopped by SIGTERM");
	assert_true(restored);
}

/* --- the guests ------------------------------------------------------------ */

static void write_file(char *path, const void *buf, size_t len)
{
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len) {
		perror(path);
		exit(1);
	}
	close(fd);
}

/*
 * A real-mode guest at 0x7c00 (loaded flat) that sends an ASSERT ucall
 * (ucall.h): OUT of the struct's address to MVM_PORT_UCALL, 4 bytes.
 *   mov dx, 0x1000 ; mov eax, 0x7c20 ; out dx, eax ; hlt
 * with the struct mvm_ucall at offset 0x20.
 */
static void make_assert_guest(void)
{
	static const unsigned char code[] = {0xba, 0x00, 0x10, 0x66,
					     0xb8, 0x20, 0x7c, 0x00,
					     0x00, 0x66, 0xef, 0xf4};
	static const char text[] = "bad\x1b[2J\x1b[Hthing@evil.c:7";
	unsigned char img[0x20 + sizeof(struct mvm_ucall)] = {0};
	struct mvm_ucall uc = {.cmd = MVM_UCALL_ASSERT};

	_Static_assert(MVM_PORT_UCALL == 0x1000, "the code above");
	memcpy(uc.text, text, sizeof(text));
	memcpy(img, code, sizeof(code));
	memcpy(img + 0x20, &uc, sizeof(uc));
	write_file(assert_path, img, sizeof(img));
}

static int setup(void **state)
{
	static const unsigned char spin[] = {0xeb, 0xfe}; /* jmp $ */

	(void)state;
	write_file(spin_path, spin, sizeof(spin));
	make_assert_guest();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(spin_path);
	unlink(assert_path);
	return 0;
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			piped_bytes_reach_the_guest_uart_and_come_back),
		cmocka_unit_test(input_longer_than_the_fifo_is_delivered_whole),
		cmocka_unit_test(
			guest_escape_sequences_are_shown_escaped_unless_raw),
		cmocka_unit_test(ctrl_a_ctrl_a_sends_one_literal_ctrl_a),
		cmocka_unit_test(eof_on_stdin_leaves_the_guest_running),
		cmocka_unit_test(
			piped_ctrl_a_x_stops_a_spinning_guest_with_status_0),
		cmocka_unit_test(
			sigint_stops_a_spinning_guest_cleanly_with_status_1),
		cmocka_unit_test(assert_text_with_esc_is_printed_escaped),
		cmocka_unit_test(
			tty_ctrl_a_x_quits_quickly_and_restores_the_terminal),
		cmocka_unit_test(tty_ctrl_c_goes_to_the_guest_as_a_byte),
		cmocka_unit_test(
			tty_sigterm_stops_the_vm_and_restores_the_terminal),
	};
	if (access(MVM, X_OK) != 0 || access(ECHO_GUEST, R_OK) != 0) {
		fprintf(stderr, "test_console: build mvm and %s first (make)\n",
			ECHO_GUEST);
		return 1;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
