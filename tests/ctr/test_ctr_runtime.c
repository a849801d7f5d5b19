/*
 * test_ctr_runtime.c - the container runtime's own behaviour: results,
 * errors that name their step, the root file system options, user
 * namespaces, timeouts, the init, and what a container inherits.
 *
 * The escape and limit tests are Lab 5's grader tests
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
	harness_require();
	harness_config(&cfg, &r);
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
	harness_require();
	harness_config(&cfg, &r);
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
	harness_require();
	harness_config(&cfg, &r);
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
	harness_require();
	harness_config(&cfg, &r);
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
	harness_require();
	harness_config(&cfg, &r);
	cfg.flags |= MVM_CTR_READONLY;
	assert_int_equal(harness_sh(&r, &cfg,
				    "touch /etc/x 2>&1; echo t > /tmp/t && "
				    "echo tmp-ok"),
			 0);
	assert_non_null(strstr(r.out, "Read-only file system"));
	assert_non_null(strstr(r.out, "tmp-ok"));
}

static void user_namespace_maps_root_to_the_invoking_user(void **state)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;
	char want[64];

	(void)state;
	harness_require();
	harness_config(&cfg, &r);
	cfg.flags |= MVM_CTR_USERNS;
	assert_int_equal(
		harness_sh(&r, &cfg,
			   "echo uid=$(id -u); cat /proc/self/uid_map"),
		0);
	assert_int_equal(harness_value(&r, "uid="), 0);
	/* uid_map columns: inside, outside, count ("%10u %10u %10u"). */
	snprintf(want, sizeof(want), "%10d %10ld %10d\n", 0, (long)getuid(), 1);
	assert_non_null(strstr(r.out, want));
}

static void timeout_kills_a_container_that_hangs(void **state)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;
	struct timespec a, b;

	(void)state;
	harness_require();
	harness_config(&cfg, &r);
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
	harness_require();
	harness_config(&cfg, &r);
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
	harness_require();
	harness_config(&cfg, &r);
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

static void host_file_descriptors_do_not_leak_in(void **state)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;
	int fd = open("/", O_RDONLY | O_DIRECTORY); /* no O_CLOEXEC */

	(void)state;
	harness_require();
	assert_true(fd >= 0);
	harness_config(&cfg, &r);
	harness_sh(&r, &cfg, "echo fds=$(ls /proc/self/fd | tr '\\n' ' ')");
	close(fd);
	assert_int_equal(r.rc, 0);
	/* 0-2, and the fd ls itself uses to read the directory. */
	assert_non_null(strstr(r.out, "fds=0 1 2 3\n"));
}

/* A System V shared memory segment of the host is not visible in the
 * container's IPC namespace (/proc/sysvipc/shm lists only a header). */
static void ipc_namespace_hides_host_shared_memory(void **state)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;
	int id;

	(void)state;
	harness_require();
	id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	assert_true(id >= 0);
	harness_config(&cfg, &r);
	harness_sh(&r, &cfg, "echo lines=$(wc -l < /proc/sysvipc/shm)");
	shmctl(id, IPC_RMID, NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(harness_value(&r, "lines="), 1);
}

/* A rootfs is untrusted: a device node shipped in it must not open (the
 * root is mounted nodev). The node here has /dev/null's numbers, so even
 * a failing test touches nothing. */
static void device_nodes_in_the_rootfs_do_not_open(void **state)
{
	char dir[] = "/tmp/ctr-dev-XXXXXX", node[96], cmd[128];
	struct mvm_ctr_config cfg;
	struct harness_run r;

	(void)state;
	harness_require();
	assert_non_null(mkdtemp(dir));
	snprintf(node, sizeof(node), "%s/upper", dir);
	assert_int_equal(mkdir(node, 0755), 0);
	snprintf(node, sizeof(node), "%s/upper/evil-null", dir);
	assert_int_equal(mknod(node, S_IFCHR | 0666, makedev(1, 3)), 0);
	harness_config(&cfg, &r);
	cfg.flags |= MVM_CTR_OVERLAY;
	snprintf(node, sizeof(node), "%s/upper", dir);
	cfg.overlay_upper = node;
	assert_int_equal(harness_sh(&r, &cfg,
				    "echo x > /evil-null && echo opened; "
				    "echo x > /dev/null && echo dev-null-ok"),
			 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	assert_null(strstr(r.out, "opened"));
	assert_non_null(strstr(r.out, "dev-null-ok"));
}

/* /proc/sys holds host-wide settings (core_pattern names a program the
 * host runs as root): read-only inside. The probe writes the one sysctl
 * that is the container's own (the UTS name), so a failing test never
 * changes the host. */
static void proc_sys_is_read_only_and_host_files_are_hidden(void **state)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;

	(void)state;
	harness_require();
	harness_config(&cfg, &r);
	assert_int_equal(harness_sh(&r, &cfg,
				    "(echo x > /proc/sys/kernel/hostname) "
				    "2>/dev/null && echo sysctl-writable; "
				    "echo keys=$(cat /proc/keys | wc -c); "
				    "echo done"),
			 0);
	assert_non_null(strstr(r.out, "done"));
	assert_null(strstr(r.out, "writable"));
	assert_non_null(strstr(r.out, "keys=0\n"));
}

/* The veth pair carries packets both ways and vanishes with the
 * container. ping needs CAP_NET_RAW, which containers drop: keep caps. */
static void veth_pair_connects_container_and_host(void **state)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;
	char ifname[32];

	(void)state;
	harness_require();
	harness_config(&cfg, &r);
	cfg.veth = "10.231.0.1/24,10.231.0.2/24";
	cfg.flags |= MVM_CTR_KEEP_CAPS;
	assert_int_equal(harness_sh(&r, &cfg,
				    "ping -c 1 -W 2 10.231.0.1 >/dev/null && "
				    "echo ping-ok; ip -4 addr show eth0"),
			 0);
	assert_non_null(strstr(r.out, "ping-ok"));
	assert_non_null(strstr(r.out, "inet 10.231.0.2/24"));
	snprintf(ifname, sizeof(ifname), "/sys/class/net/mvm%ld",
		 (long)getpid());
	assert_int_equal(access(ifname, F_OK), -1);
}

static void veth_spec_is_checked_before_anything_starts(void **state)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;

	(void)state;
	harness_require();
	harness_config(&cfg, &r);
	cfg.veth = "10.231.0.1/33,10.231.0.2/24";
	assert_int_equal(harness_sh(&r, &cfg, "true"), -EINVAL);
	assert_non_null(strstr(r.log, "want HOSTADDR/LEN,CTRADDR/LEN"));
}

/* --cpus 0.1: a CPU-bound loop gets 10 ms of CPU per 100 ms period, so
 * its wall time is several times its CPU time. */
static void cpu_quota_throttles_a_busy_loop(void **state)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;
	double real = 0, user = 0, sys = 0;
	char *p;

	(void)state;
	harness_require();
	harness_config(&cfg, &r);
	cfg.cpu_millis = 100;
	assert_int_equal(harness_sh(&r, &cfg,
				    "time sh -c 'i=0; while [ $i -lt 60000 ]; "
				    "do i=$((i+1)); done'"),
			 0);
	p = strstr(r.out, "real");
	assert_non_null(p);
	assert_int_equal(sscanf(p, "real 0m %lfs user 0m %lfs sys 0m %lfs",
				&real, &user, &sys),
			 3);
	print_message("cpu quota 0.1: real %.2f s, cpu %.2f s\n", real,
		      user + sys);
	assert_true(user + sys > 0.02);
	assert_true(real > 3 * (user + sys));
}

/* The cgroup2 mount point, or "" (the test then skips). */
static void find_v2(char *out, size_t len)
{
	char line[512], dir[256], type[64];
	FILE *f = fopen("/proc/self/mounts", "r");

	out[0] = '\0';
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %255s %63s", dir, type) == 2 &&
		    !strcmp(type, "cgroup2"))
			snprintf(out, len, "%s", dir);
	if (f)
		fclose(f);
}

/* cgroup v2's "no internal processes" rule: the container sits in a
 * leaf below minivmm/, which itself holds no process; both leave no
 * trace afterwards. Uses the start/kill/wait API directly. */
static void
cgroup_v2_leaf_holds_the_container_and_parent_stays_empty(void **state)
{
	char *argv[] = {"/bin/sleep", "30", NULL};
	char v2[256], pattern[512], procs[1024], buf[64];
	struct mvm_ctr_config cfg;
	struct mvm_ctr_result res;
	struct harness_run r;
	struct mvm_ctr *c;
	glob_t g;
	FILE *f;

	(void)state;
	harness_require();
	find_v2(v2, sizeof(v2));
	if (!v2[0] || access(v2, W_OK) < 0) {
		print_message("SKIP: no writable cgroup2 mount here\n");
		skip();
	}
	harness_config(&cfg, &r);
	cfg.argv = argv;
	cfg.cgroup = MVM_CGROUP_V2;
	assert_int_equal(mvm_ctr_start(&cfg, &c), 0);
	snprintf(pattern, sizeof(pattern), "%s/minivmm/ctr-%ld-*", v2,
		 (long)getpid());
	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	assert_int_equal(g.gl_pathc, 1);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", g.gl_pathv[0]);
	globfree(&g);
	f = fopen(procs, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f)); /* the leaf: PID 1 */
	fclose(f);
	assert_int_equal(strtol(buf, NULL, 10), mvm_ctr_pid(c));
	snprintf(procs, sizeof(procs), "%s/minivmm/cgroup.procs", v2);
	f = fopen(procs, "r");
	assert_non_null(f);
	assert_null(fgets(buf, sizeof(buf), f)); /* the parent: nobody */
	fclose(f);
	assert_int_equal(mvm_ctr_kill(c, SIGKILL), 0);
	assert_int_equal(mvm_ctr_wait(c, &res), 0);
	assert_int_equal(res.signal, SIGKILL);
	mvm_ctr_destroy(c);
	assert_int_equal(glob(pattern, 0, NULL, &g), GLOB_NOMATCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			parse_size_accepts_binary_suffixes_and_rejects_junk),
		cmocka_unit_test(parse_cpus_gives_millis_and_rejects_zero),
		cmocka_unit_test(denied_list_names_the_dangerous_calls),
		cmocka_unit_test(
			start_without_rootfs_names_the_step_and_leaves_nothing),
		cmocka_unit_test(exit_status_of_the_command_is_the_result),
		cmocka_unit_test(
			pid1_survives_sigkill_from_inside_its_namespace),
		cmocka_unit_test(missing_command_is_enoexec_with_its_name),
		cmocka_unit_test(rootfs_without_proc_fails_naming_the_step),
		cmocka_unit_test(overlay_writes_never_reach_the_rootfs),
		cmocka_unit_test(overlay_keeps_the_upper_layer_when_asked),
		cmocka_unit_test(read_only_root_refuses_writes_but_tmp_works),
		cmocka_unit_test(user_namespace_maps_root_to_the_invoking_user),
		cmocka_unit_test(timeout_kills_a_container_that_hangs),
		cmocka_unit_test(
			init_runs_the_command_as_pid2_and_reaps_orphans),
		cmocka_unit_test(init_forwards_sigterm_to_the_command),
		cmocka_unit_test(host_file_descriptors_do_not_leak_in),
		cmocka_unit_test(
			proc_sys_is_read_only_and_host_files_are_hidden),
		cmocka_unit_test(device_nodes_in_the_rootfs_do_not_open),
		cmocka_unit_test(ipc_namespace_hides_host_shared_memory),
		cmocka_unit_test(veth_pair_connects_container_and_host),
		cmocka_unit_test(veth_spec_is_checked_before_anything_starts),
		cmocka_unit_test(cpu_quota_throttles_a_busy_loop),
		cmocka_unit_test(
			cgroup_v2_leaf_holds_the_container_and_parent_stays_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
