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
#include <sys/resource.h>
#include <time.h>

#include "ctr_harness.h"

#define TASK3	   "task 3: cgroup limits (cgroup.c set_limits)"
#define PIDS_MAX   16
#define CPU_MILLIS 100 /* a tenth of one CPU */
#define BUSY_SECS  2   /* how long the busy loop runs, wall clock */
#define STR_(x)	   #x
#define STR(x)	   STR_(x)

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

static double seconds(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* CPU time of our reaped descendants: the container's PID 1 is our
 * child and waits for its own children, so their time is in here. */
static double children_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_CHILDREN, &ru);
	return seconds(ru.ru_utime) + seconds(ru.ru_stime);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The quota, observed: a busy loop runs for BUSY_SECS of wall time under
 * --cpus 0.1, and the grader measures the CPU time the container used
 * (getrusage of our children, not anything the container prints). The
 * scheduler grants quota = 10 ms per 100 ms period (cgroup-v2.rst
 * "cpu.max"; sched-bwc.rst for v1), so the loop gets about 0.2 s. Without
 * the quota it gets a whole CPU, or still about half of one on a
 * machine shared with other jobs (measured: 46%): the line at 20%
 * separates the two with room for noise on both sides.
 */
static void cpu_quota_throttles_a_busy_loop(void **state)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;
	double cpu0, t0, cpu, wall;

	(void)state;
	harness_start(&cfg, &r);
	cfg.cpu_millis = CPU_MILLIS;
	cpu0 = children_cpu();
	t0 = now();
	harness_sh(&r, &cfg,
		   "sh -c 'while :; do :; done' & p=$!; sleep " STR(
			   BUSY_SECS) "; kill $p; wait $p; echo loop-done");
	wall = now() - t0;
	cpu = children_cpu() - cpu0;
	print_message("busy loop under --cpus 0.1: %.3f s of CPU in %.2f s "
		      "(%.0f%%)\n",
		      cpu, wall, 100 * cpu / wall);
	HARNESS_EXPECT_STARTED(&r);
	GRADE_EXPECT(strstr(r.out, "loop-done"),
		     "the busy loop did not run to the end; output: %s", r.out);
	GRADE_EXPECT(cpu > 0.02 * wall,
		     "the busy loop used only %.3f s of CPU in %.2f s: did it "
		     "run at all? output: %s",
		     cpu, wall, r.out);
	GRADE_EXPECT(cpu < 0.2 * wall,
		     "under --cpus 0.1 a busy loop used %.2f s of CPU in %.2f "
		     "s (%.0f%%, want about 10%%): the CPU quota is not "
		     "applied (v2 cpu.max = \"quota period\"; v1 "
		     "cpu.cfs_quota_us and cpu.cfs_period_us)",
		     cpu, wall, 100 * cpu / wall);
}

static const struct grade_test tests[] = {
	GRADE_TEST(fork_storm_stops_at_pids_limit, 10, TASK3),
	GRADE_TEST(allocation_past_memory_limit_is_killed_and_reported, 10,
		   TASK3),
	GRADE_TEST(cpu_quota_throttles_a_busy_loop, 4, TASK3),
};

int main(int argc, char **argv)
{
	return grade_main(argc, argv, tests, GRADE_N(tests));
}
