/*
 * test_snapshot_cli.c - snapshots from the command line: `mvm run
 * --snapshot-at-exit N --snapshot-on-exit FILE`, then `mvm restore FILE`
 * in a new process prints the rest of the guest's run; Ctrl-A s and
 * SIGUSR1 save while the guest runs; a damaged file is refused with the
 * section named; --snapshot-diff writes FILE.1 after FILE. Every command runs under timeout(1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"

#define MVM	"timeout 60 " MVM_BUILD_DIR "/mvm"
#define COUNTER MVM_GUEST_DIR "/counter.elf"
#define ECHO	MVM_GUEST_DIR "/echo.elf"
#define OUT_MAX 65536

struct result {
	int status;	   /* exit status, -1 if killed */
	char out[OUT_MAX]; /* stdout, or stderr: what the command line sent */
};

static char snap[128], errf[128];

/* Run a shell command line; keep what it writes on stdout. */
static void sh(struct result *r, const char *fmt, ...)
{
	char cmd[2048];
	size_t n = 0, got;
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (n < OUT_MAX - 1 &&
	       (got = fread(r->out + n, 1, OUT_MAX - 1 - n, p)) > 0)
		n += got;
	r->out[n] = '\0';
	st = pclose(p);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void assert_has(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("output lacks \"%s\"; it was:\n%s", want, text);
}

static int setup(void **state)
{
	(void)state;
	fixture_require_kvm();
	snprintf(snap, sizeof(snap), "/tmp/snapcli-%d.snap", (int)getpid());
	snprintf(errf, sizeof(errf), "/tmp/snapcli-%d.err", (int)getpid());
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(snap);
	unlink(errf);
	return 0;
}

static void restore_prints_the_rest_of_the_run(void **state)
{
	static struct result ref, a, b, err;

	(void)state;
	sh(&ref, MVM " run %s 2>/dev/null", COUNTER);
	assert_int_equal(ref.status, 0);
	for (int at = 1; at < 800; at += 266) {
		sh(&a,
		   MVM " run --snapshot-at-exit %d --snapshot-on-exit %s %s "
		       "2>/dev/null",
		   at, snap, COUNTER);
		assert_int_equal(a.status, 0);
		sh(&b, MVM " restore %s 2>%s", snap, errf);
		assert_int_equal(b.status, 0);
		assert_int_equal(strlen(a.out) + strlen(b.out),
				 strlen(ref.out));
		assert_memory_equal(a.out, ref.out, strlen(a.out));
		assert_string_equal(b.out, ref.out + strlen(a.out));
		sh(&err, "cat %s", errf);
		assert_has(err.out, "RAM mapped");
	}
	sh(&b, MVM " restore --verify --copy %s 2>%s", snap, errf);
	assert_int_equal(b.status, 0);
	assert_string_equal(b.out, ref.out + strlen(a.out));
}

static void damaged_snapshot_is_refused_naming_the_section(void **state)
{
	static struct result r;

	(void)state;
	sh(&r,
	   MVM " run --snapshot-at-exit 100 --snapshot-on-exit %s %s "
	       ">/dev/null 2>&1",
	   snap, COUNTER);
	assert_int_equal(r.status, 0);
	/* Byte 100 lies in the config section's body. */
	sh(&r, "printf 'X' | dd of=%s bs=1 seek=100 conv=notrunc 2>/dev/null",
	   snap);
	sh(&r, MVM " restore %s 2>&1", snap);
	assert_int_equal(r.status, 1);
	assert_has(r.out, "section 0 (config 0): body checksum mismatch");
	assert_has(r.out, "cannot restore");
	sh(&r, MVM " run --snapshot-at-exit 5 %s 2>&1", COUNTER);
	assert_int_equal(r.status, 2);
	assert_has(r.out, "needs --snapshot-on-exit");
}

/* Ctrl-A s through stdin, and SIGUSR1: a snapshot each, and the guest
 * (echo, which waits for input) goes on until its timeout. */
static void escape_key_and_sigusr1_take_snapshots(void **state)
{
	static struct result r;

	(void)state;
	sh(&r,
	   "(printf '\\001s'; sleep 1) | " MVM
	   " run -T 2 --snapshot-on-exit %s %s 2>&1 >/dev/null",
	   snap, ECHO);
	assert_int_equal(r.status, 1); /* the timeout */
	assert_has(r.out, "written to");
	assert_non_null(strstr(strstr(r.out, "written to") + 1, "written to"));
	unlink(snap);
	sh(&r,
	   "sleep 3 | " MVM " run -T 2 --snapshot-on-exit %s %s "
	   "2>%s >/dev/null & sleep 1; kill -USR1 $!; wait; cat %s",
	   snap, ECHO, errf, errf);
	assert_has(r.out, "written to");
	assert_has(r.out, "timed out");
	assert_int_equal(access(snap, R_OK), 0);
}

/* --snapshot-diff: Ctrl-A s writes FILE, the end of the run FILE.1 (a
 * diff); mvm restore FILE.1 follows the chain, and without FILE says
 * which file is missing. */
static void snapshot_diff_writes_numbered_diffs(void **state)
{
	static struct result r;

	(void)state;
	sh(&r,
	   "(printf '\\001s'; sleep 2) | " MVM
	   " run -T 3 --snapshot-diff --snapshot-on-exit %s %s 2>&1 >/dev/null",
	   snap, ECHO);
	assert_int_equal(r.status, 1); /* the timeout */
	assert_has(r.out, ".snap.1' (");
	assert_has(r.out, "a diff)");
	sh(&r, MVM " restore -T 1 %s.1 </dev/null 2>&1", snap);
	assert_has(r.out, "RAM mapped");
	assert_has(r.out, "timed out");
	unlink(snap);
	sh(&r, MVM " restore -T 1 %s.1 </dev/null 2>&1", snap);
	assert_int_equal(r.status, 1);
	assert_has(r.out, "section 1 (chain 1): its base");
	assert_has(r.out, "No such file");
	snprintf(r.out, sizeof(r.out), "%s.1", snap);
	unlink(r.out);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(restore_prints_the_rest_of_the_run),
		cmocka_unit_test(
			damaged_snapshot_is_refused_naming_the_section),
		cmocka_unit_test(escape_key_and_sigusr1_take_snapshots),
		cmocka_unit_test(snapshot_diff_writes_numbered_diffs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
