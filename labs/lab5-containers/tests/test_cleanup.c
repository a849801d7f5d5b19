/*
 * test_cleanup.c - Lab 5, all tasks: a container leaves nothing behind.
 *
 * After the container ends there must be no cgroup directory of ours, no
 * overlay scratch directory, and no process on the host still in the
 * container's mount or network namespace (a namespace lives as long as
 * something holds it: a process, a bind mount, an open file).
 */
#include "grade.h"

#include <dirent.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctr_harness.h"

#define TASKS "all tasks: cleanup (ctr.c mvm_ctr_destroy, cgroup.c)"

/* The parent of process pid (/proc/PID/stat, proc(5)), 0 if gone. */
static long parent_of(long pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	long ppid = 0;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	/* "pid (comm) state ppid": comm may hold spaces and parentheses. */
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) != NULL)
		sscanf(p + 1, " %*c %ld", &ppid);
	fclose(f);
	return ppid;
}

/* Is pid this process or one of its descendants? */
static int ours(long pid)
{
	for (int depth = 0; pid > 1 && depth < 64; depth++) {
		if (pid == (long)getpid())
			return 1;
		pid = parent_of(pid);
	}
	return 0;
}

/*
 * Does a process of ours hold the namespace "name" with inode ino? The
 * kernel hands a freed namespace's inode number to the next namespace
 * made (the grader runs other container tests at the same time), so
 * only our descendants count: this process is a child subreaper (see
 * the test), so whatever the container left running was re-parented to
 * it and still descends from it.
 */
static int ns_in_use(const char *name, unsigned long ino)
{
	char path[300];
	struct dirent *d;
	struct stat st;
	DIR *proc = opendir("/proc");
	int found = 0;

	assert_non_null(proc);
	while (!found && (d = readdir(proc)) != NULL) {
		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/%s", d->d_name, name);
		found = stat(path, &st) == 0 && st.st_ino == ino &&
			ours(atol(d->d_name));
	}
	closedir(proc);
	return found;
}

/* Number of paths matching a glob pattern. */
static size_t count(const char *pattern)
{
	glob_t g;
	size_t n;

	if (glob(pattern, 0, NULL, &g) != 0)
		return 0;
	n = g.gl_pathc;
	globfree(&g);
	return n;
}

static void nothing_left_behind_after_limits_and_overlay(void **state)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;
	char pattern[128];
	long mnt, net;

	(void)state;
	harness_start(&cfg, &r);
	/* Orphans of the container become our children (PR_SET_CHILD_SUBREAPER,
	 * prctl(2)), so ns_in_use() can tell them from other containers. */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	cfg.memory_max = 64 << 20;
	cfg.pids_max = 32;
	cfg.flags |= MVM_CTR_OVERLAY;
	/* A background process that would outlive a careless runtime. */
	harness_sh(&r, &cfg,
		   "sleep 30 & echo data > /root/scratch; "
		   "echo mnt=$(stat -L -c %i /proc/self/ns/mnt); "
		   "echo net=$(stat -L -c %i /proc/self/ns/net)");
	HARNESS_EXPECT_STARTED(&r);
	mnt = harness_value(&r, "mnt=");
	net = harness_value(&r, "net=");
	GRADE_EXPECT(mnt > 0 && net > 0, "no namespace inodes in: %s", r.out);
	GRADE_EXPECT(!ns_in_use("mnt", (unsigned long)mnt),
		     "a host process is still in the container's mount "
		     "namespace (inode %ld)",
		     mnt);
	GRADE_EXPECT(!ns_in_use("net", (unsigned long)net),
		     "a host process is still in the container's network "
		     "namespace (inode %ld)",
		     net);
	snprintf(pattern, sizeof(pattern), "/sys/fs/cgroup/*/minivmm/ctr-%ld-*",
		 (long)getpid());
	GRADE_EXPECT_EQ(count(pattern), 0, "v1 cgroups left behind");
	snprintf(pattern, sizeof(pattern), "/sys/fs/cgroup/minivmm/ctr-%ld-*",
		 (long)getpid());
	GRADE_EXPECT_EQ(count(pattern), 0, "v2 cgroups left behind");
	GRADE_EXPECT_EQ(count("/tmp/mvm-ctr-*/upper/root/scratch"), 0,
			"overlay upper layers left behind in /tmp");
}

static const struct grade_test tests[] = {
	GRADE_TEST(nothing_left_behind_after_limits_and_overlay, 8, TASKS),
};

int main(int argc, char **argv)
{
	return grade_main(argc, argv, tests, GRADE_N(tests));
}
