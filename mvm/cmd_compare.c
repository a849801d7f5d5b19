/*
 * cmd_compare.c - `mvm compare`: VMs and containers side by side.
 *
 *   mvm compare [--runs N] [--rootfs DIR] [--csv FILE]
 *
 * Measures, on this machine and in one run, what it costs to start:
 *
 *   process     fork() + execve("/bin/true") + wait
 *   container   the same /bin/true as PID 1 of a container (mvm_ctr_run:
 *               namespaces, pivot_root, cgroup, caps, seccomp, cleanup)
 *   vm          a machine (mvm_machine_create: /dev/kvm, RAM, vCPU) whose
 *               one-byte real-mode guest (HLT) runs to its first exit
 *
 * Each row runs N times (after one warm-up run), the rows taking turns;
 * the table shows the median, the fastest and the slowest run, and the
 * peak memory. Every run happens in a fresh child
 * process, so "peak memory" is that child's maximum resident set size
 * (getrusage(2) ru_maxrss, which also covers the descendants it waited
 * for): the user-space memory the start-up needed. Kernel memory (page
 * tables, namespaces, KVM's vCPU state) is not in it.
 *
 * The results go to stdout as a table and to a CSV file for plotting.
 * Lab 5's guide and the container slides discuss what they mean.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "minivmm/container.h"
#include "minivmm/minivmm.h"

#define CMD	    "mvm compare"
#define MAX_RUNS    1000
#define VM_RAM	    (2ULL << 20) /* enough for the 0x7c00 load address */
#define VM_TIMEOUT  5000	 /* ms; the guest is one instruction */
#define STATUS_SKIP 77		 /* a child that cannot measure this */

/* What each row measures: 0 on success, STATUS_SKIP with *why set. */
typedef int measure_fn(const char *rootfs, char *why, size_t len);

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int measure_process(const char *rootfs, char *why, size_t len)
{
	int status;
	pid_t pid;

	(void)rootfs;
	pid = fork();
	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0) {
		snprintf(why, len, "fork/exec /bin/true failed");
		return STATUS_SKIP;
	}
	return 0;
}

static int measure_container(const char *rootfs, char *why, size_t len)
{
	char *argv[] = {"/bin/true", NULL};
	struct mvm_ctr_config cfg = {.rootfs = rootfs, .argv = argv};
	struct mvm_ctr_result res;
	int err, fd = open("/dev/null", O_RDWR);

	cfg.flags = MVM_CTR_STDIO;
	cfg.stdio[0] = cfg.stdio[1] = cfg.stdio[2] = fd;
	cfg.timeout_ms = 10000;
	err = mvm_ctr_run(&cfg, &res);
	if (err || res.status != 0) {
		snprintf(why, len,
			 "container in %s did not run (%s); root and "
			 "`make rootfs` needed",
			 rootfs, err ? strerror(-err) : "non-zero exit");
		return STATUS_SKIP;
	}
	return 0;
}

/* [slide:compare-minimal-vm] */
static int measure_vm(const char *rootfs, char *why, size_t len)
{
	/* The smallest machine: RAM, one vCPU, no devices; the guest is
	 * one HLT in real mode. */
	struct mvm_machine_config mc = {
		.ram_size = VM_RAM, .ncpus = 1, .devices = MVM_MDEV_NONE};
	static const uint8_t hlt = 0xf4; /* the whole guest */
	struct mvm_exit exit = {0};
	struct mvm_machine *m = NULL;
	enum mvm_verdict v = MVM_FAILED;
	int err;

	(void)rootfs;
	err = mvm_machine_create(&mc, &m);
	err = err ? err
		  : mvm_machine_load_buf(m, &hlt, 1, MVM_REAL_LOAD_ADDR,
					 MVM_MODE_REAL);
	if (!err)
		v = mvm_machine_run(m, 0, VM_TIMEOUT, 0, NULL, NULL, &exit);
	mvm_machine_destroy(m);
	/* [/slide:compare-minimal-vm] */
	if (err || v != MVM_DONE || exit.reason != KVM_EXIT_HLT) {
		snprintf(why, len, "VM did not reach HLT (%s)",
			 err ? strerror(-err)
			     : mvm_exit_reason_name(exit.reason));
		return STATUS_SKIP;
	}
	return 0;
}

struct row {
	const char *name;      /* first column */
	const char *what;      /* description */
	measure_fn *fn;	       /* one start-up, in a child process */
	uint64_t ns[MAX_RUNS]; /* each run's time */
	long rss_kib;	       /* largest ru_maxrss over the runs */
	int n;		       /* runs measured */
	char skipped[160];     /* why not, or "" */
};

/*
 * One run in a fresh child: the child times fn() and writes the time to
 * a pipe; we read the child's peak RSS from wait4().
 */
static void run_once(struct row *r, const char *rootfs, int warmup)
{
	uint64_t t = 0;
	struct rusage ru;
	int p[2], status;
	pid_t pid;

	if (pipe(p) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		char why[160] = "";
		uint64_t t0 = now_ns();
		int rc = r->fn(rootfs, why, sizeof(why));

		t = now_ns() - t0;
		if (rc == 0 && write(p[1], &t, sizeof(t)) == sizeof(t))
			_exit(0);
		if (write(p[1], why, sizeof(why)) < 0)
			_exit(1);
		_exit(STATUS_SKIP);
	}
	close(p[1]);
	if (pid > 0 && wait4(pid, &status, 0, &ru) == pid &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    read(p[0], &t, sizeof(t)) == sizeof(t)) {
		if (!warmup)
			r->ns[r->n++] = t;
		if (!warmup && ru.ru_maxrss > r->rss_kib)
			r->rss_kib = ru.ru_maxrss;
	} else if (!r->skipped[0]) {
		if (read(p[0], r->skipped, sizeof(r->skipped) - 1) <= 0)
			snprintf(r->skipped, sizeof(r->skipped),
				 "measuring child failed");
	}
	close(p[0]);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void print_row(FILE *csv, struct row *r)
{
	double med, lo, hi;

	if (!r->n) {
		printf("%-10s %-44s skipped: %s\n", r->name, r->what,
		       r->skipped);
		fprintf(csv, "%s,0,,,,\n", r->name);
		return;
	}
	qsort(r->ns, (size_t)r->n, sizeof(r->ns[0]), cmp_u64);
	med = r->ns[r->n / 2] / 1e6;
	lo = r->ns[0] / 1e6;
	hi = r->ns[r->n - 1] / 1e6;
	printf("%-10s %-44s %9.3f %9.3f %9.3f %8.1f\n", r->name, r->what, med,
	       lo, hi, r->rss_kib / 1024.0);
	fprintf(csv, "%s,%d,%.1f,%.1f,%.1f,%ld\n", r->name, r->n, med * 1000,
		lo * 1000, hi * 1000, r->rss_kib);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mvm compare [--runs N] [--rootfs DIR] [--csv FILE]"
		   "\n\nStart a process, a container and a minimal VM N "
		   "times each (default 20)\nand print median/min/max time "
		   "and peak memory. The container uses\nDIR (default: "
		   "rootfs next to the mvm binary, i.e. build/rootfs from\n"
		   "`make rootfs`); the CSV goes to FILE\n"
		   "(default compare.csv).\n");
}

static struct row rows[] = {
	{.name = "process",
	 .what = "fork + exec /bin/true + wait",
	 .fn = measure_process},
	{.name = "container",
	 .what = "/bin/true as PID 1 of a new container",
	 .fn = measure_container},
	{.name = "vm",
	 .what = "create a VM, run a 1-byte guest to HLT",
	 .fn = measure_vm},
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

struct options {
	long runs;	      /* per row */
	const char *rootfs;   /* for the container row */
	const char *csv_path; /* where the CSV goes */
};

/* Returns -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option opts[] = {
		{"runs", required_argument, NULL, 'n'},
		{"rootfs", required_argument, NULL, 'r'},
		{"csv", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char *end;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return MVM_EXIT_OK;
		} else if (c == 'n') {
			o->runs = strtol(optarg, &end, 10);
			if (*end || o->runs < 1 || o->runs > MAX_RUNS) {
				cli_error(CMD, "--runs '%s': want 1..%d",
					  optarg, MAX_RUNS);
				return MVM_EXIT_USAGE;
			}
		} else if (c == 'r') {
			o->rootfs = optarg;
		} else if (c == 'c') {
			o->csv_path = optarg;
		} else {
			return cli_bad_option(CMD, argv, c);
		}
	}
	return cli_no_operands(CMD, argc, argv);
}

/*
 * `make rootfs` puts the root file system next to the mvm binary
 * (build/mvm, build/rootfs), so find it from /proc/self/exe rather than
 * the current directory: `mvm compare` then works from anywhere.
 */
static const char *default_rootfs(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	char *slash;

	if (n <= 0)
		return "build/rootfs";
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (!slash || (size_t)(slash - buf) + sizeof("/rootfs") > len)
		return "build/rootfs";
	strcpy(slash, "/rootfs");
	return buf;
}

int cmd_compare(int argc, char **argv)
{
	char rootfs_buf[4096];
	struct options o = {20, default_rootfs(rootfs_buf, sizeof(rootfs_buf)),
			    "compare.csv"};
	char machine[512];
	size_t i;
	int rc, k;
	FILE *csv;

	rc = parse_options(argc, argv, &o);
	if (rc >= 0)
		return rc;
	csv = fopen(o.csv_path, "w");
	if (!csv) {
		cli_error(CMD, "%s: %s", o.csv_path, strerror(errno));
		return MVM_EXIT_FAIL;
	}
	mvm_host_describe(machine, sizeof(machine));
	printf("machine: %s\nruns: %ld each, every run in a fresh child "
	       "process\n\n%-10s %-44s %9s %9s %9s %8s\n",
	       machine, o.runs, "what", "", "median ms", "min ms", "max ms",
	       "peak MiB");
	fprintf(csv, "# %s\nwhat,runs,median_us,min_us,max_us,peak_rss_kib\n",
		machine);
	/* One warm-up run each (page cache, first /dev/kvm open), then the
	 * rows take turns, so a burst of load elsewhere on the machine
	 * hits all of them alike instead of one row's whole series. */
	for (k = -1; k < o.runs; k++)
		for (i = 0; i < NROWS; i++)
			if (!rows[i].skipped[0])
				run_once(&rows[i], o.rootfs, k < 0);
	for (i = 0; i < NROWS; i++)
		print_row(csv, &rows[i]);
	printf("%-10s %-44s not measured: needs a Linux boot (a real-KVM "
	       "host)\n",
	       "linux", "boot Linux to its first user-space line");
	fclose(csv);
	printf("\npeak MiB: largest resident set of the measuring process and "
	       "what it waited\nfor (user space only). CSV: %s\n",
	       o.csv_path);
	return MVM_EXIT_OK;
}
