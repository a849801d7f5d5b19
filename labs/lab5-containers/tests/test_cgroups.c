/*
 * test_cgroups.c - Lab 5, task 3: cgroup limits.
 *
 * Both tests are safe to run on a shared machine: the limits are written
 * before the command's first instruction (ctr_cgroup_create() runs before
 * clone()), the fork storm is bounded by the script itself, and the
 * harness kills the container after 20 s whatever happens.
 */
#include "grade.h"

#include <stdio.h>
#include <string.h>

#include "ctr_harness.h"

#define TASK3	 "task 3: cgroup limits (cgroup.c set_limits)"
#define PIDS_MAX 16

static void fork_storm_stops_at_pids_limit(void **state)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;

	(void)state;
	harness_start(&cfg, &r);
	cfg.pids_max = PIDS_MAX;
	/* 64 sleepers; with pids.max = 16 most forks must fail. Counting
	 * uses only shell built-ins: a full pids budget leaves no fork
	 * for $(...). ash exits when a fork fails, hence the subshell. */
	harness_sh(&r, &cfg,
		   "(i=0; while [ $i -lt 64 ]; do sleep 5 & i=$((i+1)); done) "
		   "2>/dev/null; set -- /proc/[0-9]*; echo running=$#");
	HARNESS_EXPECT_STARTED(&r);
	GRADE_EXPECT(harness_value(&r, "running=") > 0 &&
			     harness_value(&r, "running=") <= PIDS_MAX,
		     "with --pids %d at most %d processes may exist; the "
		     "container saw: %s",
		     PIDS_MAX, PIDS_MAX, r.out);
	GRADE_EXPECT(r.res.pids_limited,
		     "the runtime should report that a fork hit pids.max "
		     "(pids.events 'max' > 0)");
}

static void allocation_past_memory_limit_is_killed_and_reported(void **state)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;

	(void)state;
	harness_start(&cfg, &r);
	cfg.memory_max = 32 << 20;
	/* dd allocates and fills a 96 MiB buffer: 3x the limit. */
	harness_sh(&r, &cfg,
		   "dd if=/dev/zero of=/dev/null bs=96M count=1 2>/dev/null; "
		   "echo dd=$?");
	HARNESS_EXPECT_STARTED(&r);
	GRADE_EXPECT_EQ(harness_value(&r, "dd="), 128 + 9,
			"exit status of dd bs=96M under --memory 32M (killed "
			"by SIGKILL = 137)");
	GRADE_EXPECT(r.res.oom_killed,
		     "the runtime should report the OOM kill (memory.events "
		     "or memory.oom_control 'oom_kill' > 0)");
}

static const struct grade_test tests[] = {
	GRADE_TEST(fork_storm_stops_at_pids_limit, 12, TASK3),
	GRADE_TEST(allocation_past_memory_limit_is_killed_and_reported, 12,
		   TASK3),
};

int main(int argc, char **argv)
{
	return grade_main(argc, argv, tests, GRADE_N(tests));
}
