/*
 * test_privileges.c - Lab 5, task 4: capabilities and seccomp.
 *
 * To tell the seccomp filter's EPERM from a missing capability's EPERM,
 * the syscall test keeps all capabilities (MVM_CTR_KEEP_CAPS): then only
 * the filter can refuse mount(). A control run without the filter shows
 * that the same mount() would otherwise succeed.
 */
#include "grade.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ctr_harness.h"

#define TASK4 "task 4: capabilities and seccomp (caps.c, seccomp.c)"

static void denied_syscall_returns_eperm(void **state)
{
	const char *script = "mount -t tmpfs none /tmp && echo mounted; "
			     "unshare -n true 2>&1; "
			     "grep Seccomp: /proc/self/status";
	struct mvm_ctr_config cfg;
	struct harness_run r;

	(void)state;
	harness_require();
	harness_config(&cfg, &r);
	cfg.flags |= MVM_CTR_KEEP_CAPS | MVM_CTR_NO_SECCOMP;
	harness_sh(&r, &cfg, script);
	GRADE_EXPECT(r.rc == 0 && strstr(r.out, "mounted"),
		     "control run without seccomp: mount should work with "
		     "all capabilities kept; rc %d, output: %s",
		     r.rc, r.out);

	harness_config(&cfg, &r);
	cfg.flags |= MVM_CTR_KEEP_CAPS;
	harness_sh(&r, &cfg, script);
	GRADE_EXPECT(r.rc == 0, "the container did not start (rc %d): %s", r.rc,
		     r.log);
	GRADE_EXPECT(!strstr(r.out, "mounted"),
		     "mount() succeeded under the seccomp filter; output: %s",
		     r.out);
	GRADE_EXPECT(strstr(r.out, "Operation not permitted"),
		     "unshare() should fail with EPERM ('Operation not "
		     "permitted'); output: %s",
		     r.out);
	GRADE_EXPECT(strstr(r.out, "Seccomp:\t2"),
		     "/proc/self/status should say 'Seccomp: 2' (filter "
		     "mode); output: %s",
		     r.out);
}

/* The kept set as the hex mask /proc/PID/status prints. */
static uint64_t kept_mask(void)
{
	const int *caps;
	uint64_t mask = 0;
	int i, n;

	caps = mvm_ctr_kept_caps(&n);
	for (i = 0; i < n; i++)
		mask |= 1ULL << caps[i];
	return mask;
}

static void no_capability_beyond_documented_set(void **state)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;

	(void)state;
	harness_require();
	harness_config(&cfg, &r);
	harness_sh(&r, &cfg,
		   "sed -n 's/^\\(Cap[A-Za-z]*\\|NoNewPrivs\\):\\t/\\1=0x/p' "
		   "/proc/self/status");
	GRADE_EXPECT(r.rc == 0, "the container did not start (rc %d): %s", r.rc,
		     r.log);
	GRADE_EXPECT_EQ(harness_value(&r, "CapBnd="), kept_mask(),
			"bounding set inside (CapBnd)");
	GRADE_EXPECT_EQ(harness_value(&r, "CapEff="), kept_mask(),
			"effective set inside (CapEff)");
	GRADE_EXPECT_EQ(harness_value(&r, "CapAmb="), 0,
			"ambient set inside (CapAmb)");
	GRADE_EXPECT_EQ(harness_value(&r, "NoNewPrivs="), 1,
			"no_new_privs inside");
}

static const struct grade_test tests[] = {
	GRADE_TEST(denied_syscall_returns_eperm, 10, TASK4),
	GRADE_TEST(no_capability_beyond_documented_set, 8, TASK4),
};

int main(int argc, char **argv)
{
	return grade_main(argc, argv, tests, GRADE_N(tests));
}
