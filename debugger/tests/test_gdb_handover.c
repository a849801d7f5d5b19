/*
 * test_gdb_handover.c - `mvmdbg --gdb PORT`: real gdb (-batch) drives the
 * guest first, then mvmdbg's batch script goes on with the state gdb
 * left - one guest, two debuggers taking turns (debugger/gdb.c).
 *
 * mvmdbg runs as a child with a 60 s timeout(1) and an alarm() backstop;
 * gdb runs under timeout(1) too. Skips without KVM, gdb or the guest.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "minivmm/minivmm.h"

#define IMAGE MVM_GUEST_DIR "/hello-long.elf"

static char dir[] = "/tmp/mvmdbg-gdb-XXXXXX";
static char out[16384], err[4096], gdb_out[8192];

static void quiet(void *ctx, enum mvm_log_level l, const char *m)
{
	(void)ctx, (void)l, (void)m;
}

static void need(void)
{
	struct mvm_log log = {quiet, NULL};
	int fd = mvm_kvm_open(&log);
	if (fd < 0) {
		printf("SKIP: /dev/kvm missing or unusable\n");
		skip();
	}
	close(fd);
	if (system("command -v gdb >/dev/null 2>&1") != 0) {
		printf("SKIP: gdb is not installed "
		       "(scripts/install-deps.sh)\n");
		skip();
	}
	if (access(IMAGE, R_OK)) {
		printf("SKIP: %s not built (run `make`)\n", IMAGE);
		skip();
	}
}

static void slurp(const char *name, char *buf, size_t cap)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
	buf[n] = '\0';
	if (f)
		fclose(f);
}

static void put(const char *name, const char *text)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Start `mvmdbg --gdb 127.0.0.1:0 --batch script IMAGE` with stdout and
 * stderr in files; return its pid once it has printed its port. */
static pid_t start_mvmdbg(int *port)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "exec timeout 60 %s --stable --gdb 127.0.0.1:0 --batch "
		 "%s/script %s >%s/out 2>%s/err",
		 MVMDBG_BIN, dir, IMAGE, dir, dir);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) { /* 10 s */
		slurp("err", err, sizeof(err));
		const char *p = strstr(err, "127.0.0.1:");
		if (p && sscanf(p, "127.0.0.1:%d", port) == 1)
			return pid;
		usleep(50 * 1000);
	}
	kill(pid, SIGKILL);
	fail_msg("mvmdbg never said where it waits for gdb:\n%s", err);
	return -1;
}

static void gdb_steps_then_mvmdbg_goes_on_from_its_state(void **state)
{
	(void)state;
	need();
	assert_non_null(mkdtemp(dir));
	put("script", "p/x rax\nregs\ncont\noutput\n");
	alarm(90);
	int port = 0;
	pid_t pid = start_mvmdbg(&port);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "timeout 30 gdb -batch -nx -ex 'target remote :%d' "
		 "-ex stepi -ex stepi -ex 'info registers rip' "
		 "-ex 'set $rax = 0x1234' -ex detach >%s/gdb 2>&1",
		 port, dir);
	int gst = system(cmd);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	alarm(0);
	slurp("gdb", gdb_out, sizeof(gdb_out));
	slurp("out", out, sizeof(out));
	assert_int_equal(WEXITSTATUS(gst), 0);
	/* gdb's view of RIP after two steps ... */
	const char *r = strstr(gdb_out, "\nrip ");
	unsigned long long rip = 0;
	if (!r || sscanf(r, "\nrip %llx", &rip) != 1 || rip == 0x100000)
		fail_msg("gdb did not step:\n%s", gdb_out);
	/* ... is where mvmdbg takes over, with gdb's write to RAX. */
	char want[96];
	snprintf(want, sizeof(want), "gdb detached at rip 0x%llx", rip);
	if (!strstr(out, want) || !strstr(out, "rax = 0x1234"))
		fail_msg("mvmdbg did not go on from gdb's state (%s):\n%s",
			 want, out);
	snprintf(want, sizeof(want), "rip %016llx*", rip);
	assert_non_null(strstr(out, want));
	/* And the guest runs to its end under mvmdbg. */
	assert_non_null(strstr(out, "Hello from 64-bit long mode"));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gdb_steps_then_mvmdbg_goes_on_from_its_state),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (strcmp(dir, "/tmp/mvmdbg-gdb-XXXXXX"))
		(void)system(cmd);
	return rc;
}
