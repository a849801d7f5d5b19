/*
 * test_ctr_runtime.c - the container runtime's own behaviour: results,
 * errors that name their step, the root file system options, user
 * namespaces, timeouts, the init, and what a container inherits.
 *
 * Isolation details (fds, IPC, /proc, devices, veth, CPU quota, the v2
 * leaf) are in test_ctr_isolation.c. The escape and limit tests are Lab
 * 5's grader tests
 * (labs/lab5-containers/tests/), which `make test` runs too. Like them,
 * these tests need root and build/rootfs, and skip saying why.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../labs/lab5-containers/tests/ctr_harness.h"
static void parse_size_accepts_binary_suffixes_and_rejects_junk(void **state)
{
	uint64_t b = 0;

	(void)state;
	assert_int_equal(mvm_ctr_parse_size("64M", &b), 0);
	assert_int_equal(b, 64ULL << 20);
	assert_int_equal(mvm_ctr_parse_size("2g", &b), 0);
	assert_int_equal(b, 2ULL << 30);
	assert_int_equal(mvm_ctr_parse_size("4096", &b), 0);
	assert_int_equal(b, 4096);
	assert_int_equal(mvm_ctr_parse_size("", &b), -EINVAL);
	assert_int_equal(mvm_ctr_parse_size("-1M", &b), -EINVAL);
	assert_int_equal(mvm_ctr_parse_size("12X", &b), -EINVAL);
	assert_int_equal(mvm_ctr_parse_size("0", &b), -EINVAL);
	assert_int_equal(mvm_ctr_parse_size("99999999999999999999", &b),
			 -EINVAL);
	assert_int_equal(mvm_ctr_parse_size("17179869184G", &b), -EINVAL);
}

static void parse_cpus_gives_millis_and_rejects_zero(void **state)
{
	unsigned m = 0;

	(void)state;
	assert_int_equal(mvm_ctr_parse_cpus("1.5", &m), 0);
	assert_int_equal(m, 1500);
	assert_int_equal(mvm_ctr_parse_cpus("0.25", &m), 0);
	assert_int_equal(m, 250);
	assert_int_equal(mvm_ctr_parse_cpus("0", &m), -EINVAL);
	assert_int_equal(mvm_ctr_parse_cpus("two", &m), -EINVAL);
	assert_int_equal(mvm_ctr_parse_cpus("1.5x", &m), -EINVAL);
}

static void denied_list_names_the_dangerous_calls(void **state)
{
	const char *must[] = {"kexec_load", "init_module", "bpf",   "keyctl",
			      "mount",	    "ptrace",	   "reboot"};
	const char *const *names;
	size_t i;
	int n, j, found;

	(void)state;
	names = mvm_ctr_denied_syscalls(&n);
	for (i = 0; i < sizeof(must) / sizeof(must[0]); i++) {
		for (found = 0, j = 0; j < n; j++)
			found |= !strcmp(names[j], must[i]);
		if (!found)
			fail_msg("%s is not in the denied list", must[i]);
	}
}

static int listed(const char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return 1;
	return 0;
}

/* The filter is an allowlist: no documented refusal may be on it, and
 * what a shell needs must be. */
static void allowlist_and_refusals_are_disjoint(void **state)
{
	const char *need[] = {"read",	    "write",	    "openat",
			      "execve",	    "clone",	    "wait4",
			      "exit_group", "rt_sigaction", "mmap"};
	const char *never[] = {"modify_ldt", "kcmp", "pidfd_getfd",
			       "io_uring_setup", "open_by_handle_at"};
	const char *const *allowed, *const *denied;
	int na, nd;

	(void)state;
	allowed = mvm_ctr_allowed_syscalls(&na);
	denied = mvm_ctr_denied_syscalls(&nd);
	assert_true(na > 200 && nd > 40);
	for (int i = 0; i < nd; i++)
		if (listed(allowed, na, denied[i]))
			fail_msg("%s is both allowed and refused", denied[i]);
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!listed(allowed, na, need[i]))
			fail_msg("%s is not allowed", need[i]);
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		if (!listed(denied, nd, never[i]))
			fail_msg("%s is not among the refusals", never[i]);
}

static void start_without_rootfs_names_the_step_and_leaves_nothing(void **st)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;

	(void)st;
	harness_config(&cfg, &r);
	cfg.rootfs = "/nonexistent/rootfs";
	assert_int_equal(harness_sh(&r, &cfg, "true"), -ENOENT);
	assert_non_null(strstr(r.log, "rootfs: /nonexistent/rootfs: No such"));
	harness_config(&cfg, &r);
	cfg.rootfs = MVM_SRC_DIR "/Makefile"; /* a file, not a directory */
	assert_int_equal(harness_sh(&r, &cfg, "true"), -ENOTDIR);
	assert_non_null(strstr(r.log, "not a directory"));
}

static void exit_status_of_the_command_is_the_result(void **state)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;

	(void)state;
	harness_start(&cfg, &r);
	assert_int_equal(harness_sh(&r, &cfg, "exit 42"), 0);
	assert_true(r.res.exited);
	assert_int_equal(r.res.status, 42);
}

/* pid_namespaces(7): a namespace's init gets only the signals it has a
 * handler for, even SIGKILL, when they come from inside. */
static void pid1_survives_sigkill_from_inside_its_namespace(void **state)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;

	(void)state;
	harness_start(&cfg, &r);
	assert_int_equal(harness_sh(&r, &cfg, "kill -9 $$; echo survived"), 0);
	assert_non_null(strstr(r.out, "survived"));
	assert_int_equal(r.res.status, 0);
}

static void missing_command_is_enoexec_with_its_name(void **state)
{
	char *argv[] = {"/no/such/program", NULL};
	struct mvm_ctr_config cfg;
	struct mvm_ctr_result res;
	struct harness_run r;

	(void)state;
	harness_start(&cfg, &r);
	cfg.argv = argv;
	assert_int_equal(mvm_ctr_run(&cfg, &res), -ENOEXEC);
	assert_non_null(strstr(r.log, "exec: /no/such/program"));
}

/* A rootfs without /proc: setup fails at that step, and says so. */
static void rootfs_without_proc_fails_naming_the_step(void **state)
{
	char dir[] = "/tmp/ctr-test-XXXXXX", pattern[128];
	struct mvm_ctr_config cfg;
	struct harness_run r;
	glob_t g;

	(void)state;
	harness_require();
	assert_non_null(mkdtemp(dir));
	harness_config(&cfg, &r);
	cfg.rootfs = dir;
	cfg.pids_max = 8; /* so that a cgroup is made and must go away */
	assert_true(harness_sh(&r, &cfg, "true") < 0);
	rmdir(dir);
	assert_non_null(strstr(r.log, "mount /proc: rootfs has no /proc"));
	snprintf(pattern, sizeof(pattern), "/sys/fs/cgroup/*/minivmm/ctr-%ld-*",
		 (long)getpid());
	assert_int_equal(glob(pattern, 0, NULL, &g), GLOB_NOMATCH);
}

static void overlay_writes_never_reach_the_rootfs(void **state)
{
	char marker[4096];
	struct mvm_ctr_config cfg;
	struct harness_run r;

	(void)state;
	harness_start(&cfg, &r);
	cfg.flags |= MVM_CTR_OVERLAY;
	assert_int_equal(harness_sh(&r, &cfg,
				    "echo hi > /etc/ctr-overlay-test && "
				    "rm /etc/minivmm-rootfs && echo wrote"),
			 0);
	assert_non_null(strstr(r.out, "wrote"));
	snprintf(marker, sizeof(marker), "%s/etc/ctr-overlay-test",
		 harness_rootfs());
	assert_int_equal(access(marker, F_OK), -1);
	snprintf(marker, sizeof(marker), "%s/etc/minivmm-rootfs",
		 harness_rootfs());
	assert_int_equal(access(marker, F_OK), 0);
}

/* A runtime killed with -9 leaves /tmp/mvm-ctr-<pid>-*; the next
 * overlay container removes it (the pid is gone), and only it. */
static void overlay_sweeps_what_a_killed_runtime_left(void **state)
{
	char stale[64], live[64], file[96];
	struct mvm_ctr_config cfg;
	struct harness_run r;
	pid_t dead = fork();

	(void)state;
	if (dead == 0)
		_exit(0);
	assert_true(dead > 0);
	waitpid(dead, NULL, 0); /* its pid is now gone */
	snprintf(stale, sizeof(stale), "/tmp/mvm-ctr-%ld-test01", (long)dead);
	snprintf(live, sizeof(live), "/tmp/mvm-ctr-%ld-test02", (long)getpid());
	assert_int_equal(mkdir(stale, 0700), 0);
	assert_int_equal(mkdir(live, 0700), 0);
	snprintf(file, sizeof(file), "%s/upper", stale);
	assert_int_equal(mkdir(file, 0700), 0);
	harness_start(&cfg, &r);
	cfg.flags |= MVM_CTR_OVERLAY;
	assert_int_equal(harness_sh(&r, &cfg, "echo ran"), 0);
	assert_non_null(strstr(r.out, "ran"));
	assert_int_equal(access(stale, F_OK), -1);
	assert_int_equal(access(live, F_OK), 0); /* our own pid: kept */
	rmdir(live);
}

static void overlay_keeps_the_upper_layer_when_asked(void **state)
{
	char dir[] = "/tmp/ctr-upper-XXXXXX", upper[64], file[96];
	struct mvm_ctr_config cfg;
	struct harness_run r;
	struct stat st;

	(void)state;
	harness_require();
	assert_non_null(mkdtemp(dir));
	snprintf(upper, sizeof(upper), "%s/upper", dir);
	harness_config(&cfg, &r);
	cfg.flags |= MVM_CTR_OVERLAY;
	cfg.overlay_upper = upper;
	assert_int_equal(harness_sh(&r, &cfg, "echo kept > /root/f"), 0);
	snprintf(file, sizeof(file), "%s/root/f", upper);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_size, 5);
	snprintf(file, sizeof(file), "%s.work", upper);
	assert_int_equal(access(file, F_OK), -1); /* work dir removed */
	snprintf(file, sizeof(file), "rm -rf %s", dir);
	assert_int_equal(system(file), 0);
}

static void read_only_root_refuses_writes_but_tmp_works(void **state)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;

	(void)state;
	harness_start(&cfg, &r);
	cfg.flags |= MVM_CTR_READONLY;
	assert_int_equal(harness_sh(&r, &cfg,
				    "touch /etc/x 2>&1; echo t > /tmp/t && "
				    "echo tmp-ok"),
			 0);
	assert_non_null(strstr(r.out, "Read-only file system"));
	assert_non_null(strstr(r.out, "tmp-ok"));
}

/*
 * --userns as root must not map container root to host UID 0: it gets
 * an unprivileged range (container.h MVM_CTR_REMAP_BASE, or root's line
 * in /etc/subuid). Seen from inside in uid_map, from the host in the
 * owner of a file the container made, and in what it may no longer do
 * (its UTS namespace belongs to the host's user namespace).
 */
static void user_namespace_as_root_maps_to_an_unprivileged_range(void **s)
{
	char upper[] = "/tmp/mvm-test-upper-XXXXXX", file[96];
	unsigned long in = 1, out = 0, count = 0;
	struct mvm_ctr_config cfg;
	struct harness_run r;
	struct stat st;
	const char *m;

	(void)s;
	harness_start(&cfg, &r);
	assert_non_null(mkdtemp(upper));
	cfg.flags |= MVM_CTR_USERNS | MVM_CTR_OVERLAY;
	cfg.overlay_upper = upper;
	/* 0700 from mkdtemp: refused, as the unprivileged root could not
	 * enter "/" */
	assert_int_equal(harness_sh(&r, &cfg, "true"), -EACCES);
	assert_non_null(strstr(r.log, "chmod o+rx"));
	assert_int_equal(chmod(upper, 0755), 0);
	harness_start(&cfg, &r);
	cfg.flags |= MVM_CTR_USERNS | MVM_CTR_OVERLAY;
	cfg.overlay_upper = upper;
	assert_int_equal(
		harness_sh(&r, &cfg,
			   "echo uid=$(id -u); echo map=$(cat "
			   "/proc/self/uid_map); touch /tmp/made-inside; "
			   "hostname other 2>/dev/null || echo no-hostname"),
		0);
	assert_int_equal(harness_value(&r, "uid="), 0);
	m = strstr(r.out, "map=");
	assert_non_null(m);
	assert_int_equal(sscanf(m, "map=%lu %lu %lu", &in, &out, &count), 3);
	assert_int_equal(in, 0);
	assert_true(out != 0 && count > 1);
	snprintf(file, sizeof(file), "%s/tmp/made-inside", upper);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_uid, out); /* not 0: host root never wrote */
	assert_non_null(strstr(r.out, "no-hostname"));
	snprintf(file, sizeof(file), "rm -rf '%s' '%s.work'", upper, upper);
	assert_int_equal(system(file), 0);
}

/* Without the overlay, root's --userns container pivots into the rootfs
 * itself, which its unprivileged root cannot enter when it is mode 0700:
 * refused before anything starts, naming the way out. */
static void user_namespace_as_root_refuses_a_closed_rootfs(void **s)
{
	char dir[] = "/tmp/mvm-test-rootfs-XXXXXX";
	struct mvm_ctr_config cfg;
	struct harness_run r;

	(void)s;
	harness_start(&cfg, &r);
	assert_non_null(mkdtemp(dir)); /* mode 0700 */
	cfg.rootfs = dir;
	cfg.flags = (cfg.flags & ~MVM_CTR_OVERLAY) | MVM_CTR_USERNS;
	assert_int_equal(harness_sh(&r, &cfg, "true"), -EACCES);
	assert_non_null(strstr(r.log, "cannot enter"));
	assert_non_null(strstr(r.log, "chmod o+rx"));
	rmdir(dir);
}

static void timeout_kills_a_container_that_hangs(void **state)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;
	struct timespec a, b;

	(void)state;
	harness_start(&cfg, &r);
	cfg.timeout_ms = 300;
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(harness_sh(&r, &cfg, "sleep 30"), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true(r.res.timed_out);
	assert_int_equal(r.res.signal, 9);
	assert_true(b.tv_sec - a.tv_sec < 5);
}

static void init_runs_the_command_as_pid2_and_reaps_orphans(void **state)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;

	(void)state;
	harness_start(&cfg, &r);
	cfg.flags |= MVM_CTR_INIT;
	/* The orphaned sleep is re-parented to PID 1, which must reap it
	 * for `ps` not to show a zombie ('Z'). */
	assert_int_equal(harness_sh(&r, &cfg,
				    "echo pid=$$; (sleep 0 &); sleep 0.3; "
				    "echo init=$(cat /proc/1/cmdline); "
				    "ps -o stat | grep -c Z; exit 3"),
			 0);
	assert_int_equal(harness_value(&r, "pid="), 2);
	/* PID 1 must not show the runtime's command line (host paths). */
	assert_non_null(strstr(r.out, "init=mvm-init\n"));
	assert_non_null(strstr(r.out, "\n0\n"));
	assert_int_equal(r.res.status, 3);
}

/* SIGTERM to a shell PID 1 is dropped (no handler in PID 1); with the
 * init in front, it reaches the command, whose trap runs. */
static void init_forwards_sigterm_to_the_command(void **state)
{
	char *argv[] = {"/bin/sh", "-c",
			"trap 'echo got-term; exit 7' TERM; echo ready; "
			"while true; do sleep 0.05; done",
			NULL};
	int out = memfd_create("out", MFD_CLOEXEC), tries;
	struct mvm_ctr_config cfg;
	struct mvm_ctr_result res;
	struct harness_run r;
	struct mvm_ctr *c;
	char buf[256] = "";

	(void)state;
	harness_start(&cfg, &r);
	cfg.argv = argv;
	cfg.flags |= MVM_CTR_INIT | MVM_CTR_STDIO;
	cfg.stdio[0] = cfg.stdio[1] = cfg.stdio[2] = out;
	assert_int_equal(mvm_ctr_start(&cfg, &c), 0);
	for (tries = 0; tries < 200 && !strstr(buf, "ready"); tries++) {
		usleep(10000); /* until the trap is installed */
		assert_true(pread(out, buf, sizeof(buf) - 1, 0) >= 0);
	}
	assert_non_null(strstr(buf, "ready"));
	assert_int_equal(mvm_ctr_kill(c, SIGTERM), 0);
	assert_int_equal(mvm_ctr_wait(c, &res), 0);
	mvm_ctr_destroy(c);
	memset(buf, 0, sizeof(buf));
	assert_true(pread(out, buf, sizeof(buf) - 1, 0) > 0);
	close(out);
	assert_non_null(strstr(buf, "got-term"));
	assert_int_equal(res.status, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			parse_size_accepts_binary_suffixes_and_rejects_junk),
		cmocka_unit_test(parse_cpus_gives_millis_and_rejects_zero),
		cmocka_unit_test(denied_list_names_the_dangerous_calls),
		cmocka_unit_test(allowlist_and_refusals_are_disjoint),
		cmocka_unit_test(
			start_without_rootfs_names_the_step_and_leaves_nothing),
		cmocka_unit_test(exit_status_of_the_command_is_the_result),
		cmocka_unit_test(
			pid1_survives_sigkill_from_inside_its_namespace),
		cmocka_unit_test(missing_command_is_enoexec_with_its_name),
		cmocka_unit_test(rootfs_without_proc_fails_naming_the_step),
		cmocka_unit_test(overlay_writes_never_reach_the_rootfs),
		cmocka_unit_test(overlay_sweeps_what_a_killed_runtime_left),
		cmocka_unit_test(overlay_keeps_the_upper_layer_when_asked),
		cmocka_unit_test(read_only_root_refuses_writes_but_tmp_works),
		cmocka_unit_test(
			user_namespace_as_root_maps_to_an_unprivileged_range),
		cmocka_unit_test(
			user_namespace_as_root_refuses_a_closed_rootfs),
		cmocka_unit_test(timeout_kills_a_container_that_hangs),
		cmocka_unit_test(
			init_runs_the_command_as_pid2_and_reaps_orphans),
		cmocka_unit_test(init_forwards_sigterm_to_the_command),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
