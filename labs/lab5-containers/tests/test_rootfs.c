/*
 * test_rootfs.c - Lab 5, task 2: pivot_root, /proc and /dev.
 *
 * The escape attempts an attacker tries first: a host file by its host
 * path, the same through /proc/1/root, climbing out with "..", and the
 * old root left mounted somewhere. None of them may reach the host.
 */
#include "grade.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctr_harness.h"

#define TASK2 "task 2: pivot_root and /proc (rootfs.c)"

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

static void files_outside_rootfs_are_unreachable(void **state)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;
	char secret[64], script[1024];

	(void)state;
	harness_require();
	make_host_secret(secret, sizeof(secret));
	harness_config(&cfg, &r);
	snprintf(script, sizeof(script),
		 "cat %s /proc/1/root%s /../..%s 2>/dev/null; "
		 "cd / && cd ../../.. && echo up=$(cat ./etc/minivmm-rootfs); "
		 "ls /.. | grep -qx etc && echo dotdot-is-root; "
		 "echo mounts=$(awk '{print $2}' /proc/mounts | grep -v "
		 "-e '^/$' -e '^/proc' -e '^/dev' -e '^/tmp$' | wc -l)",
		 secret, secret, secret);
	harness_sh(&r, &cfg, script);
	unlink(secret);
	GRADE_EXPECT(r.rc == 0, "the container did not start (rc %d): %s", r.rc,
		     r.log);
	GRADE_EXPECT(!strstr(r.out, "host-secret"),
		     "a host file (%s) was readable inside the container: "
		     "%s",
		     secret, r.out);
	GRADE_EXPECT(strstr(r.out, "up=inside the container rootfs"),
		     "'cd ../../..' from / should stay in the rootfs (its "
		     "etc/minivmm-rootfs is missing); output: %s",
		     r.out);
	GRADE_EXPECT(strstr(r.out, "dotdot-is-root"),
		     "'/..' should be '/' itself; output: %s", r.out);
	GRADE_EXPECT_EQ(harness_value(&r, "mounts="), 0,
			"mounts other than /, /proc, /dev and /tmp inside "
			"(the old root must be detached)");
}

static void proc_is_fresh_and_dev_is_minimal(void **state)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;

	(void)state;
	harness_require();
	harness_config(&cfg, &r);
	harness_sh(&r, &cfg,
		   "echo dev=$(ls /dev | tr '\\n' ' '); "
		   "echo self=$(readlink /proc/self); "
		   "echo zero=$(head -c 4 /dev/zero | wc -c); "
		   "echo x > /dev/null && echo null-ok; "
		   "echo x > /dev/full 2>/dev/null || echo full-ok");
	GRADE_EXPECT(r.rc == 0, "the container did not start (rc %d): %s", r.rc,
		     r.log);
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
}

static const struct grade_test tests[] = {
	GRADE_TEST(files_outside_rootfs_are_unreachable, 15, TASK2),
	GRADE_TEST(proc_is_fresh_and_dev_is_minimal, 5, TASK2),
};

int main(int argc, char **argv)
{
	return grade_main(argc, argv, tests, GRADE_N(tests));
}
