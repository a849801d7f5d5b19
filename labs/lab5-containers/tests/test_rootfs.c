/*
 * test_rootfs.c - Lab 5, task 2: pivot_root, /proc and /dev.
 *
 * The escape attempts an attacker tries first: a host file by its host
 * path, the same through /proc/1/root, climbing out with "..", the
 * classic escape from a chroot (probe/escape.c), and the old root left
 * mounted somewhere. None of them may reach the host.
 */
#include "grade.h"

#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctr_harness.h"

#define TASK2	   "task 2: pivot_root and /proc (rootfs.c)"
#define LAB5_PROBE MVM_LAB_BUILD_DIR "/lab5-containers/escape-probe"

/* A file on the host, in a directory the rootfs also has (/tmp). */
static void make_host_secret(char *path, size_t len)
{
	int fd;

	snprintf(path, len, "/tmp/lab5-host-secret-%ld", (long)getpid());
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_true(write(fd, "host-secret\n", 12) == 12);
	close(fd);
}

/* An overlay upper layer holding /bin/escape-probe (probe/escape.c), so
 * the probe appears inside the container without touching the rootfs. */
static void make_probe_layer(char *dir, char *upper, size_t len)
{
	char cmd[512];

	assert_non_null(mkdtemp(dir));
	snprintf(upper, len, "%s/upper", dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/bin && cp %s %s/bin/", upper,
		 LAB5_PROBE, upper);
	if (access(LAB5_PROBE, X_OK) < 0)
		fail_msg("%s is missing: build it with `make grade LAB=5`",
			 LAB5_PROBE);
	assert_int_equal(system(cmd), 0);
}

static void files_outside_rootfs_are_unreachable(void **state)
{
	char secret[64], script[1024], dir[] = "/tmp/lab5-probe-XXXXXX";
	char upper[128], cmd[160];
	struct mvm_ctr_config cfg;
	struct harness_run r;

	(void)state;
	harness_require();
	make_host_secret(secret, sizeof(secret));
	make_probe_layer(dir, upper, sizeof(upper));
	harness_config(&cfg, &r);
	cfg.flags |= MVM_CTR_OVERLAY;
	cfg.overlay_upper = upper;
	snprintf(script, sizeof(script),
		 "/bin/escape-probe %s; cat /../..%s 2>/dev/null; "
		 "cd / && cd ../../.. && echo up=$(cat ./etc/minivmm-rootfs); "
		 "ls /.. | grep -qx etc && echo dotdot-is-root; "
		 "echo mounts=$(awk '{print $2}' /proc/mounts | grep -v "
		 "-e '^/$' -e '^/proc' -e '^/dev' -e '^/tmp$' | wc -l)",
		 secret, secret);
	harness_sh(&r, &cfg, script);
	unlink(secret);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	HARNESS_EXPECT_STARTED(&r);
	GRADE_EXPECT(strstr(r.out, "direct=") && strstr(r.out, "chroot="),
		     "the escape probe did not run; output: %s", r.out);
	/* First: a pivot_root that kept the old root leaks everything. */
	GRADE_EXPECT_EQ(harness_value(&r, "mounts="), 0,
			"mounts other than /, /proc, /dev and /tmp inside: "
			"the host's old root is still mounted; after "
			"pivot_root(\".\", \".\") detach it with "
			"umount2(\".\", MNT_DETACH)");
	GRADE_EXPECT(!strstr(r.out, "host-secret"),
		     "a host file (%s) was readable inside the container "
		     "(chroot=host-secret: the classic chroot escape, fchdir "
		     "out of a nested chroot and climb '..', reached the "
		     "host's root: chroot() leaves it there, pivot_root "
		     "replaces it); output: %s",
		     secret, r.out);
	GRADE_EXPECT(strstr(r.out, "up=inside the container rootfs"),
		     "'cd ../../..' from / should stay in the rootfs (its "
		     "etc/minivmm-rootfs is missing); output: %s",
		     r.out);
	GRADE_EXPECT(strstr(r.out, "dotdot-is-root"),
		     "'/..' should be '/' itself; output: %s", r.out);
}

static void proc_is_fresh_and_dev_is_minimal(void **state)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;

	(void)state;
	harness_start(&cfg, &r);
	harness_sh(&r, &cfg,
		   "echo dev=$(ls /dev | tr '\\n' ' '); "
		   "echo self=$(readlink /proc/self); "
		   "echo zero=$(head -c 4 /dev/zero | wc -c); "
		   "echo x > /dev/null && echo null-ok; "
		   "echo x > /dev/full 2>/dev/null || echo full-ok; "
		   "(echo x > /proc/sys/kernel/hostname) 2>/dev/null || "
		   "echo sys-ro");
	HARNESS_EXPECT_STARTED(&r);
	GRADE_EXPECT(
		strstr(r.out, "dev=fd full null random tty urandom zero\n"),
		"/dev should hold exactly fd full null random tty "
		"urandom zero; output: %s",
		r.out);
	GRADE_EXPECT(harness_value(&r, "self=") > 1 &&
			     harness_value(&r, "self=") < 100,
		     "/proc/self should be a small PID of the container's "
		     "own PID namespace (a fresh /proc); output: %s",
		     r.out);
	GRADE_EXPECT(strstr(r.out, "zero=4") && strstr(r.out, "null-ok") &&
			     strstr(r.out, "full-ok"),
		     "/dev/zero, /dev/null or /dev/full misbehave; output: %s",
		     r.out);
	/* The probe writes the container's own UTS name: harmless even
	 * when it succeeds; core_pattern would not be. */
	GRADE_EXPECT(strstr(r.out, "sys-ro"),
		     "/proc/sys must be read-only inside (core_pattern names a "
		     "program the host runs as root); output: %s",
		     r.out);
}

static const struct grade_test tests[] = {
	GRADE_TEST(files_outside_rootfs_are_unreachable, 15, TASK2),
	GRADE_TEST(proc_is_fresh_and_dev_is_minimal, 5, TASK2),
};

int main(int argc, char **argv)
{
	return grade_main(argc, argv, tests, GRADE_N(tests));
}
