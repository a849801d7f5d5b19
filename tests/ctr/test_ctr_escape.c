/*
 * test_ctr_escape.c - ways out of a container that the namespaces alone
 * do not close, each found by attacking `mvm ctr run` from inside:
 *
 *   - the mini init (--init) never execs, so close-on-exec does not
 *     clean its descriptors: whatever the runtime's caller left open
 *     (a host directory, say) was the command's as /proc/1/fd/N, and
 *     the host's mvm binary its as /proc/1/exe;
 *   - process groups are not namespaced: kill(0, SIGKILL) inside
 *     killed the runtime's whole group (the shell that started it, say);
 *   - a container shares its caller's terminal, and ioctl(TIOCSTI)
 *     types into that terminal's input: commands for the host's shell;
 *   - without --overlay the container writes into the rootfs, a host
 *     directory, as root: a set-user-ID file it leaves there is a root
 *     shell for any host user who can reach it (the runtime warns);
 *   - a process that keeps CAP_MKNOD (--keep-caps) could make and open
 *     any device node (the disk, /dev/mem): the devices cgroup allows
 *     only the nodes /dev holds (v1; devices.c).
 *
 * Like the other tests/ctr programs these need root and build/rootfs and
 * skip, saying why, without them.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../labs/lab5-containers/tests/ctr_harness.h"

#define PROBE	  MVM_BUILD_DIR "/labs/lab5-containers/escape-probe"
#define SYS_PROBE MVM_BUILD_DIR "/labs/lab5-containers/syscall-probe"

/* The init's descriptors, seen by the command through /proc/1/fd: only
 * stdio. Before the fix the host's "/" opened here was /proc/1/fd/N, and
 * cat /proc/1/fd/N/etc/... read host files. And the init, a copy of the
 * host's mvm binary, is not dumpable: its /proc/1/exe does not open. */
static void init_holds_no_descriptor_of_the_host(void **state)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;

	(void)state;
	harness_start(&cfg, &r);
	cfg.flags |= MVM_CTR_INIT;
	harness_sh_holding_host_root(
		&r, &cfg,
		"echo init-fds=$(ls /proc/1/fd | tr '\\n' ' '); "
		"ls /proc/1/fd/*/etc 2>/dev/null && echo host-root-open; "
		"cat /proc/1/exe >/dev/null 2>&1 && echo exe-readable");
	assert_int_equal(r.rc, 0);
	if (!strstr(r.out, "init-fds=0 1 2\n"))
		fail_msg("the init holds more than stdio: %s", r.out);
	assert_null(strstr(r.out, "host-root-open"));
	assert_null(strstr(r.out, "exe-readable"));
}

/* In a process group of its own (so that a failure kills nobody else):
 * a host sleeper, then a container that signals "its" group. Exits 0
 * if the sleeper survived. */
static int group_kill_scenario(void)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;
	pid_t sleeper;
	int alive;

	setpgid(0, 0);
	sleeper = fork();
	if (sleeper == 0) {
		pause();
		_exit(0);
	}
	harness_config(&cfg, &r);
	harness_sh(&r, &cfg, "kill -9 0; echo signalled");
	usleep(100 * 1000);
	alive = waitpid(sleeper, NULL, WNOHANG) == 0;
	kill(sleeper, SIGKILL);
	return alive && r.rc == 0 && strstr(r.out, "signalled") ? 0 : 1;
}

static void kill_zero_reaches_only_the_container(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	harness_require();
	pid = fork();
	if (pid == 0)
		_exit(group_kill_scenario());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("kill(0, SIGKILL) in the container killed the host "
			 "process that started it (signal %d)",
			 WTERMSIG(status));
	if (WEXITSTATUS(status))
		fail_msg("kill(0, SIGKILL) in the container killed a host "
			 "process of the runtime's group, or the run failed");
}

/* A directory with bin/escape-probe, for an overlay upper layer. */
static void make_probe_layer(char *dir, char *upper, size_t len)
{
	char cmd[512];

	if (access(PROBE, X_OK) < 0)
		fail_msg("%s is missing: `make %s`", PROBE, PROBE);
	assert_non_null(mkdtemp(dir));
	snprintf(upper, len, "%s/upper", dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/bin && cp %s %s/bin/", upper,
		 PROBE, upper);
	assert_int_equal(system(cmd), 0);
}

/* The probe's TIOCSTI on fd 0. stdin here is /dev/null, so without the
 * filter the kernel answers ENOTTY (the control run); the filter must
 * answer EPERM before the kernel looks at the descriptor, terminal or
 * not. */
static void run_tiocsti_probe(struct harness_run *r, unsigned flags)
{
	char dir[] = "/tmp/ctr-escape-XXXXXX", upper[128], cmd[160];
	struct mvm_ctr_config cfg;

	make_probe_layer(dir, upper, sizeof(upper));
	harness_config(&cfg, r);
	cfg.flags |= MVM_CTR_OVERLAY | flags;
	cfg.overlay_upper = upper;
	harness_sh(r, &cfg, "/bin/escape-probe /nonexistent");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(r->rc, 0);
}

static void terminal_input_cannot_be_injected(void **state)
{
	struct harness_run r;

	(void)state;
	harness_require();
	run_tiocsti_probe(&r, MVM_CTR_NO_SECCOMP);
	if (!strstr(r.out, "tiocsti=Inappropriate ioctl for device"))
		fail_msg("control run without seccomp: %s", r.out);
	run_tiocsti_probe(&r, 0);
	if (!strstr(r.out, "tiocsti=Operation not permitted"))
		fail_msg("TIOCSTI should get EPERM from the filter: %s", r.out);
}

/*
 * The default container (capabilities dropped, the allowlist filter on)
 * against the Lab 5 syscall probe (labs/lab5-containers/probe/
 * syscalls.c): every call it must refuse gets EPERM, or, for the i386
 * ABI, kills the caller with SIGSYS (31); every ordinary call works, and
 * so does busybox's shell around it. Rows: "r:name=RESULT", "o:...".
 */
static void default_filter_refuses_every_probed_escape_call(void **state)
{
	char dir[] = "/tmp/ctr-sysprobe-XXXXXX", upper[128];
	struct mvm_ctr_config cfg;
	struct harness_run r;
	const char *p;
	int refused = 0;

	(void)state;
	harness_require();
	harness_probe_layer(dir, upper, sizeof(upper), SYS_PROBE,
			    "syscall-probe");
	harness_config(&cfg, &r);
	cfg.flags |= MVM_CTR_OVERLAY;
	cfg.overlay_upper = upper;
	harness_sh(&r, &cfg, "/bin/syscall-probe; echo sh-ok");
	harness_remove_dir(dir);
	assert_int_equal(r.rc, 0);
	if (!strstr(r.out, "probe-done\nsh-ok"))
		fail_msg("probe or shell did not finish: %s", r.out);
	for (p = r.out; (p = strstr(p, "r:")); p++) {
		const char *v = strchr(p, '=');

		/* SIGSEGV for i386: a kernel without ia32 emulation */
		if (!strncmp(p, "r:i386_getpid=killed:11\n", 24))
			continue;
		if (!v || (strncmp(v, "=EPERM\n", 7) &&
			   strncmp(v, "=killed:31\n", 11)))
			fail_msg("not refused: %.60s\nfull output: %s", p,
				 r.out);
		refused++;
	}
	for (p = r.out; (p = strstr(p, "o:")); p++) {
		const char *v = strchr(p, '=');

		if (!v || strncmp(v, "=ok\n", 4))
			fail_msg("ordinary call broken: %.60s", p);
	}
	assert_true(refused >= 35);
	if (!strstr(r.out, "r:i386_getpid=killed:"))
		fail_msg("an i386 call should kill the caller: %s", r.out);
}

/* Start a container on an empty directory of the given mode: setup
 * fails (no /proc in it), but the configuration check logs first. */
static void run_on_empty_rootfs(struct harness_run *r, mode_t mode,
				unsigned flags)
{
	char dir[] = "/tmp/ctr-rootfs-XXXXXX";
	struct mvm_ctr_config cfg;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, mode), 0);
	harness_config(&cfg, r);
	cfg.rootfs = dir;
	cfg.flags |= flags;
	harness_sh(r, &cfg, "true");
	assert_int_equal(rmdir(dir), 0);
	assert_int_not_equal(r->rc, 0);
}

static void rootfs_open_to_other_users_is_warned_about(void **state)
{
	struct harness_run r;

	(void)state;
	harness_require();
	run_on_empty_rootfs(&r, 0755, 0);
	assert_non_null(strstr(r.log, "warning: rootfs: "));
	assert_non_null(strstr(r.log, "set-user-ID"));
	run_on_empty_rootfs(&r, 0700, 0);
	assert_null(strstr(r.log, "set-user-ID"));
	run_on_empty_rootfs(&r, 0755, MVM_CTR_READONLY);
	assert_null(strstr(r.log, "set-user-ID"));
}

/* Is a cgroup v1 hierarchy with the devices controller mounted? */
static int have_v1_devices(void)
{
	char line[1024];
	FILE *f = fopen("/proc/self/mounts", "re");
	int found = 0;

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, " cgroup ") && strstr(line, "devices");
	if (f)
		fclose(f);
	return found;
}

/* With CAP_MKNOD kept, mknod of /dev/mem (1:1) works without a cgroup
 * and is refused with one: the refusal is the allowlist's, and the
 * listed nodes still work. */
static void devices_outside_the_allowlist_cannot_be_made(void **state)
{
	static const char script[] =
		"mknod /dev/xmem c 1 1 2>/dev/null; echo mknod=$?; "
		"echo x > /dev/null && echo null-ok; "
		"head -c 4 /dev/urandom | wc -c";
	struct mvm_ctr_config cfg;
	struct harness_run r;

	(void)state;
	harness_require();
	if (!have_v1_devices()) {
		print_message(
			"SKIP: no cgroup v1 devices controller here: the "
			"device allowlist is cgroup v1 only (devices.c)\n");
		skip();
	}
	harness_config(&cfg, &r);
	cfg.flags |= MVM_CTR_KEEP_CAPS | MVM_CTR_NO_CGROUP;
	assert_int_equal(harness_sh(&r, &cfg, script), 0);
	assert_non_null(strstr(r.out, "mknod=0"));

	harness_config(&cfg, &r);
	cfg.flags |= MVM_CTR_KEEP_CAPS;
	assert_int_equal(harness_sh(&r, &cfg, script), 0);
	if (!strstr(r.out, "mknod=1"))
		fail_msg("mknod of /dev/mem (1:1) was not refused with the "
			 "devices cgroup: %s",
			 r.out);
	assert_non_null(strstr(r.out, "null-ok"));
	assert_non_null(strstr(r.out, "4\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(init_holds_no_descriptor_of_the_host),
		cmocka_unit_test(kill_zero_reaches_only_the_container),
		cmocka_unit_test(terminal_input_cannot_be_injected),
		cmocka_unit_test(
			default_filter_refuses_every_probed_escape_call),
		cmocka_unit_test(rootfs_open_to_other_users_is_warned_about),
		cmocka_unit_test(devices_outside_the_allowlist_cannot_be_made),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
