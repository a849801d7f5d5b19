/*
 * test_gdb.c - real gdb against `mvm run --gdb` (gdbstub.h): gdb in
 * batch mode (`gdb -batch -nx -ex 'target remote ...'`) on the example
 * guests in each CPU mode.
 *
 * Each test starts `mvm run --gdb 127.0.0.1:0 IMAGE` (port 0: mvm binds
 * a free port and prints it), then gdb with a list of commands, and
 * checks what both print. An alarm() bounds every test. Skips when
 * /dev/kvm is unusable or gdb is not installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "minivmm/minivmm.h"

#define MVM	   MVM_BUILD_DIR "/mvm"
#define GUESTS	   MVM_GUEST_DIR
#define OUT_MAX	   32768
#define TEST_LIMIT 120 /* seconds per test (alarm) */

struct proc {
	pid_t pid;
	int fd;		   /* stdout + stderr */
	size_t n;	   /* bytes in out */
	char out[OUT_MAX]; /* what it printed */
};

static struct proc mvm_p, gdb_p;
static char unix_path[256];

static void need_kvm_and_gdb(void)
{
	char why[256];

	if (!fixture_kvm_usable(why, sizeof(why))) {
		print_message("skip: %s\n", why);
		skip();
	}
	if (system("gdb --version >/dev/null 2>&1") != 0) {
		print_message("skip: gdb is not installed "
			      "(scripts/install-deps.sh installs it)\n");
		skip();
	}
	alarm(TEST_LIMIT);
}

static void spawn(struct proc *p, char *const argv[])
{
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	p->n = 0;
	p->out[0] = '\0';
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		if (freopen("/dev/null", "r", stdin) == NULL)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	p->fd = fds[0];
}

/* Read what is there (waiting up to ms); 0 at EOF, else 1. */
static int drain(struct proc *p, int ms)
{
	struct pollfd pf = {p->fd, POLLIN, 0};
	ssize_t r;

	if (p->fd < 0 || poll(&pf, 1, ms) <= 0)
		return p->fd >= 0;
	r = read(p->fd, p->out + p->n, OUT_MAX - 1 - p->n);
	if (r <= 0) {
		close(p->fd);
		p->fd = -1;
		return 0;
	}
	p->n += (size_t)r;
	p->out[p->n] = '\0';
	return 1;
}

/* Wait for the process to end; its exit status, or -1. */
static int reap(struct proc *p)
{
	int st;

	while (drain(p, 1000))
		;
	assert_int_equal(waitpid(p->pid, &st, 0), p->pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* `mvm run --gdb 127.0.0.1:0 IMAGE`: returns the port it printed. */
static int start_mvm(const char *image)
{
	static const char key[] = "waiting for gdb on 127.0.0.1:";
	char path[512];
	char *argv[] = {MVM, "run", "--gdb", "127.0.0.1:0", path, NULL};
	const char *at;

	snprintf(path, sizeof(path), "%s/%s", GUESTS, image);
	spawn(&mvm_p, argv);
	while (!(at = strstr(mvm_p.out, key)) || !strchr(at, '\n'))
		if (!drain(&mvm_p, 10000))
			fail_msg("mvm did not wait for gdb:\n%s", mvm_p.out);
	return atoi(at + sizeof(key) - 1);
}

/* `mvm run --gdb unix:PATH IMAGE`, once it waits. */
static void start_mvm_unix(const char *image, const char *sock)
{
	char path[512], arg[300];
	char *argv[] = {MVM, "run", "--gdb", arg, path, NULL};

	snprintf(path, sizeof(path), "%s/%s", GUESTS, image);
	snprintf(arg, sizeof(arg), "unix:%s", sock);
	spawn(&mvm_p, argv);
	while (!strstr(mvm_p.out, "waiting for gdb on /"))
		if (!drain(&mvm_p, 10000))
			fail_msg("mvm did not wait for gdb:\n%s", mvm_p.out);
}

/*
 * gdb -batch -nx [-ex 'file ELF'] -ex 'target remote ...' -ex CMD ...
 * With sigint: once gdb printed "RUNNING" (an `echo` before its
 * `continue`), SIGINT goes to gdb, as Ctrl-C in a terminal would.
 */
static void run_gdb(int port, const char *elf, const char *const *cmds,
		    int sigint)
{
	char *argv[64], target[400], file[512];
	int n = 0;

	argv[n++] = "gdb";
	argv[n++] = "-batch";
	argv[n++] = "-nx";
	if (elf) {
		snprintf(file, sizeof(file), "file %s/%s", GUESTS, elf);
		argv[n++] = "-ex";
		argv[n++] = file;
	}
	if (port > 0)
		snprintf(target, sizeof(target), "target remote 127.0.0.1:%d",
			 port);
	else /* a Unix socket: its path is in unix_path */
		snprintf(target, sizeof(target), "target remote %s", unix_path);
	argv[n++] = "-ex";
	argv[n++] = target;
	for (; *cmds && n < 60; cmds++) {
		argv[n++] = "-ex";
		argv[n++] = (char *)*cmds;
	}
	argv[n] = NULL;
	spawn(&gdb_p, argv);
	if (sigint) {
		while (!strstr(gdb_p.out, "RUNNING"))
			if (!drain(&gdb_p, 10000))
				fail_msg("gdb never ran:\n%s", gdb_p.out);
		usleep(500 * 1000);
		kill(gdb_p.pid, SIGINT);
	}
	reap(&gdb_p);
}

static void assert_has(const struct proc *p, const char *want)
{
	if (!strstr(p->out, want))
		fail_msg("output lacks \"%s\"; it was:\n%s", want, p->out);
}

/* "$N = 0xVALUE" in gdb's output for the N-th print. */
static void assert_value(int n, uint64_t v)
{
	char want[64];

	snprintf(want, sizeof(want), "$%d = %#llx\n", n, (unsigned long long)v);
	if (v == 0)
		snprintf(want, sizeof(want), "$%d = 0x0\n", n);
	assert_has(&gdb_p, want);
}

/* The state the machine gives this image before its first instruction,
 * read in-process: what gdb must report. */
static void entry_state(const char *image, struct kvm_regs *r,
			struct kvm_sregs *s)
{
	char path[512];
	struct mvm_machine_config cfg = {.image = path, .mode = MVM_MODE_AUTO};
	struct mvm_machine *m;

	snprintf(path, sizeof(path), "%s/%s", GUESTS, image);
	assert_int_equal(mvm_machine_create(&cfg, &m), 0);
	assert_int_equal(mvm_vcpu_get_regs(mvm_machine_vcpu(m, 0), r), 0);
	assert_int_equal(mvm_vcpu_get_sregs(mvm_machine_vcpu(m, 0), s), 0);
	mvm_machine_destroy(m);
}

static void gdb_registers_match_the_machine_in_long_mode(void **state)
{
	static const char *const cmds[] = {
		"p/x $rip",  "p/x $rsp", "p/x $cr0",	"p/x $cr3", "p/x $cr4",
		"p/x $efer", "p/x $cs",	 "p/x $eflags", "kill",	    NULL};
	struct kvm_regs r;
	struct kvm_sregs s;

	(void)state;
	need_kvm_and_gdb();
	entry_state("hello-long.elf", &r, &s);
	run_gdb(start_mvm("hello-long.elf"), NULL, cmds, 0);
	assert_value(1, r.rip);
	assert_value(2, r.rsp);
	assert_value(3, s.cr0);
	assert_value(4, s.cr3);
	assert_value(5, s.cr4);
	assert_value(6, s.efer);
	assert_value(7, s.cs.selector);
	assert_value(8, r.rflags);
	reap(&mvm_p);
}

static void gdb_registers_match_in_real_and_protected_mode(void **state)
{
	static const char *const cmds[] = {"p/x $eip", "p/x $esp", "p/x $cr0",
					   "p/x $ss",  "x/1i $pc", "kill",
					   NULL};
	static const char *const images[] = {"hello-real.bin",
					     "hello-prot.elf"};
	struct kvm_regs r;
	struct kvm_sregs s;

	(void)state;
	need_kvm_and_gdb();
	for (int i = 0; i < 2; i++) {
		entry_state(images[i], &r, &s);
		run_gdb(start_mvm(images[i]), NULL, cmds, 0);
		assert_value(1, r.rip);
		assert_value(2, r.rsp);
		assert_value(3, s.cr0);
		assert_value(4, s.ss.selector);
		reap(&mvm_p);
	}
	/* the last one was protected mode: 32-bit code */
	assert_has(&gdb_p, "=> 0x100000");
}

/* In real mode the description says i8086: 16-bit disassembly. */
static void gdb_disassembles_real_mode_code_as_16_bit(void **state)
{
	static const char *const cmds[] = {"x/2i $pc", "kill", NULL};

	(void)state;
	need_kvm_and_gdb();
	run_gdb(start_mvm("hello-real.bin"), NULL, cmds, 0);
	assert_has(&gdb_p, "=> 0x7c00:\tmov    $0x");
	assert_has(&gdb_p, ",%si"); /* a 16-bit register */
	reap(&mvm_p);
}

static void gdb_stepi_advances_rip(void **state)
{
	static const char *const cmds[] = {"p/x $pc", "stepi",	 "p/x $pc",
					   "stepi",   "p/x $pc", "kill",
					   NULL};
	struct kvm_regs r;
	struct kvm_sregs s;

	(void)state;
	need_kvm_and_gdb();
	entry_state("hello-long.elf", &r, &s);
	run_gdb(start_mvm("hello-long.elf"), NULL, cmds, 0);
	/* crt0: cld (1 byte), then call main */
	assert_value(1, r.rip);
	assert_value(2, r.rip + 1);
	assert_has(&gdb_p, "$3 = 0x");
	assert_null(strstr(gdb_p.out, "$3 = 0x100001\n"));
	reap(&mvm_p);
}

static void gdb_hbreak_on_main_stops_there_and_disassembles(void **state)
{
	static const char *const cmds[] = {"hbreak main", "continue",
					   "x/4i $pc", "kill", NULL};

	(void)state;
	need_kvm_and_gdb();
	run_gdb(start_mvm("hello-long.elf"), "hello-long.elf", cmds, 0);
	assert_has(&gdb_p, "Hardware assisted breakpoint 1 at");
	assert_has(&gdb_p, "Breakpoint 1, main () at examples/hello-long.c");
	assert_has(&gdb_p, "=> 0x");
	assert_has(&gdb_p, " <main+");
	reap(&mvm_p);
}

static void gdb_memory_write_is_seen_by_the_guest(void **state)
{
	/* find sets $_ to the address it found; gdb detaches at the end
	 * and the guest runs on under mvm. */
	static const char *const cmds[] = {
		"find /b 0x100000, 0x110000, 'H', 'e', 'l', 'l', 'o'",
		"set var *(char *)$_ = 'J'", "x/s $_", NULL};

	(void)state;
	need_kvm_and_gdb();
	run_gdb(start_mvm("hello-long.elf"), NULL, cmds, 0);
	assert_has(&gdb_p, "\"Jello from 64-bit long mode\\n\"");
	assert_int_equal(reap(&mvm_p), 0);
	assert_has(&mvm_p, "Jello from 64-bit long mode");
}

static void gdb_monitor_exits_lists_a_known_exit(void **state)
{
	static const char *const cmds[] = {"monitor break-exit io",
					   "continue",
					   "monitor exits",
					   "monitor explain 1",
					   "monitor pt rip",
					   "monitor walk2d 0x101000",
					   "kill",
					   NULL};

	(void)state;
	need_kvm_and_gdb();
	run_gdb(start_mvm("hello-long.elf"), NULL, cmds, 0);
	assert_has(&gdb_p, "will stop at the next io exit");
	/* the first exit: 'H' to the debug console */
	assert_has(&gdb_p, "minivmm: break-exit: exit #1 IO out port 0x00e9");
	assert_has(&gdb_p, "#1      rip ");
	assert_has(&gdb_p, "exit #1: ");
	assert_has(&gdb_p, "-> physical 0x");
	assert_has(&gdb_p, "19 references = (3 + 1) x (4 + 1) - 1");
	reap(&mvm_p);
}

static void gdb_sigint_stops_a_spinning_guest(void **state)
{
	/* `jmp $` (eb fe) at the entry point: a guest that never exits */
	static const char *const cmds[] = {"set var *(unsigned short *)$pc = "
					   "0xfeeb",
					   "p/x $pc",
					   "echo RUNNING\\n",
					   "continue",
					   "p/x $pc",
					   "kill",
					   NULL};
	struct kvm_regs r;
	struct kvm_sregs s;

	(void)state;
	need_kvm_and_gdb();
	entry_state("hello-long.elf", &r, &s);
	run_gdb(start_mvm("hello-long.elf"), NULL, cmds, 1);
	assert_has(&gdb_p, "Program received signal SIGINT");
	assert_value(2, r.rip); /* still spinning on its jmp */
	reap(&mvm_p);
}

static void gdb_attaches_over_a_unix_socket(void **state)
{
	static const char *const cmds[] = {"p/x $pc", "kill", NULL};
	struct kvm_regs r;
	struct kvm_sregs s;

	(void)state;
	need_kvm_and_gdb();
	snprintf(unix_path, sizeof(unix_path), "/tmp/mvm-gdb-test-%d.sock",
		 (int)getpid());
	entry_state("hello-long.elf", &r, &s);
	start_mvm_unix("hello-long.elf", unix_path);
	run_gdb(0, NULL, cmds, 0);
	assert_value(1, r.rip);
	reap(&mvm_p);
	unlink(unix_path);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(gdb_registers_match_the_machine_in_long_mode),
		cmocka_unit_test(
			gdb_registers_match_in_real_and_protected_mode),
		cmocka_unit_test(gdb_disassembles_real_mode_code_as_16_bit),
		cmocka_unit_test(gdb_stepi_advances_rip),
		cmocka_unit_test(
			gdb_hbreak_on_main_stops_there_and_disassembles),
		cmocka_unit_test(gdb_memory_write_is_seen_by_the_guest),
		cmocka_unit_test(gdb_monitor_exits_lists_a_known_exit),
		cmocka_unit_test(gdb_sigint_stops_a_spinning_guest),
		cmocka_unit_test(gdb_attaches_over_a_unix_socket),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
