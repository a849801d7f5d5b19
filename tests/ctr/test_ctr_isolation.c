/*
 * test_ctr_isolation.c - what a container cannot see or touch beyond the
 * namespaces themselves: inherited file descriptors, the host's IPC
 * objects, device nodes in an image, host-wide /proc files; and the
 * veth pair, the CPU quota and the cgroup v2 leaf layout.
 *
 * Like test_ctr_runtime.c these need root and build/rootfs, and skip
 * saying why.
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

static void host_file_descriptors_do_not_leak_in(void **state)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;

	(void)state;
	harness_start(&cfg, &r);
	harness_sh_holding_host_root(
		&r, &cfg, "echo fds=$(ls /proc/self/fd | tr '\\n' ' ')");
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
	harness_start(&cfg, &r);
	assert_int_equal(
		harness_sh(&r, &cfg,
			   "(echo x > /proc/sys/kernel/hostname) "
			   "2>/dev/null && echo sysctl-writable; "
			   "echo keys=$(cat /proc/keys | wc -c); "
			   "echo cmdline=$(cat /proc/cmdline | wc -c); "
			   "echo slab=$(cat /proc/slabinfo 2>/dev/null "
			   "| wc -c); "
			   "echo acpi=$(ls /proc/acpi 2>/dev/null "
			   "| wc -l); "
			   "echo done"),
		0);
	assert_non_null(strstr(r.out, "done"));
	assert_null(strstr(r.out, "writable"));
	assert_non_null(strstr(r.out, "keys=0\n"));
	assert_non_null(strstr(r.out, "cmdline=0\n"));
	assert_non_null(strstr(r.out, "slab=0\n"));
	assert_non_null(strstr(r.out, "acpi=0\n"));
}

/* The veth pair carries packets both ways and vanishes with the
 * container. ping needs CAP_NET_RAW, which containers drop: keep caps. */
static void veth_pair_connects_container_and_host(void **state)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;
	char ifname[32];

	(void)state;
	harness_start(&cfg, &r);
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
	harness_start(&cfg, &r);
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
	harness_start(&cfg, &r);
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
