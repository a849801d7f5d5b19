/*
 * cmd_ctr.c - `mvm ctr`: run a command in a container.
 *
 *   mvm ctr run [options] ROOTFS [--] CMD [ARGS...]
 *   mvm ctr info        cgroup version, kept capabilities, allowed and
 *                       notable refused system calls, default limits
 *
 * The runtime is the library's (container.h); this file only parses the
 * command line, prints, forwards signals and turns the result into an
 * exit status:
 *
 *   the command's own status    it ran and exited
 *   128 + N                     it was killed by signal N (shell rule)
 *   125                         the runtime failed to set the container up
 *   127                         the command was not found or not runnable
 *   2                           bad command line
 *
 * (125 and 127 are the statuses docker and podman use for the same cases.)
 */
#include <errno.h>
#include <getopt.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "minivmm/container.h"

#define CMD "mvm ctr"

#define EXIT_SETUP    125
#define EXIT_NOTFOUND 127

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mvm ctr run [options] ROOTFS [--] CMD [ARGS...]\n"
		"       mvm ctr info\n\n"
		"Run CMD as PID 1 of a new container whose root is ROOTFS\n"
		"(make one with `make rootfs`: build/rootfs).\n\n"
		"  --hostname NAME     UTS host name (default minivmm)\n"
		"  --memory SIZE       memory limit, e.g. 64M (default 512M;\n"
		"                      0 = no limit)\n"
		"  --pids N            at most N tasks (default 1024; 0 = no\n"
		"                      limit; defaults apply as root only)\n"
		"  --cpus N            CPU quota, e.g. 0.5 or 2\n"
		"  --cgroup V          auto, v1 or v2 (default auto)\n"
		"  --read-only         mount the root file system read-only\n"
		"  --overlay           ROOTFS is a read-only lower layer and "
		"writes\n"
		"                      go to a temporary upper layer (the "
		"default)\n"
		"  --write-through     no overlay: the container writes into "
		"ROOTFS\n"
		"                      itself (a chmod 4755 inside is one on "
		"the host)\n"
		"  --keep-upper DIR    keep the overlay's upper layer in DIR\n"
		"  --net veth:H/L,C/L  veth pair, host end H/L, container C/L\n"
		"                      (default: loopback only)\n"
		"  --userns            new user namespace even as root; root\n"
		"                      inside is then an unprivileged host\n"
		"                      range (root's /etc/subuid line, else\n"
		"                      UID 1000000000 and up)\n"
		"  --init              PID 1 is a mini init; CMD is PID 2\n"
		"  --timeout SECONDS   kill the container after this long\n"
		"  --no-seccomp        do not install the seccomp filter (an\n"
		"                      allowlist: `mvm ctr info` lists it)\n"
		"  --keep-caps         do not drop capabilities\n"
		"  -v, --verbose       show the runtime's progress messages\n\n"
		"Signals go to CMD; a second Ctrl-C (or SIGTERM) kills it.\n"
		"Exit status: CMD's status, 128+N if killed by signal N,\n"
		"125 setup failed, 127 CMD not found or not executable.\n");
}

static volatile pid_t ctr_pid;
static volatile sig_atomic_t stop_requests;

/*
 * Forward to the container's PID 1. PID 1 ignores every signal it has no
 * handler for (pid_namespaces(7)), so `sleep 100` as PID 1 would never
 * stop on Ctrl-C: the second SIGINT/SIGTERM sends SIGKILL, which the
 * kernel always delivers from an ancestor namespace.
 *
 * The container runs in a session of its own (child.c new_session), so
 * the terminal's signals reach only us. Those go on to the container's
 * whole process group, as a terminal would send them: Ctrl-C stops the
 * `cat` a shell runs, not just the shell. Its group ID is PID 1's host
 * PID, which setsid() made a group leader.
 */
static void forward(int sig)
{
	int tty_sig = sig == SIGINT || sig == SIGQUIT || sig == SIGHUP ||
		      sig == SIGWINCH;

	if (ctr_pid <= 0)
		return;
	if ((sig == SIGINT || sig == SIGTERM) && ++stop_requests >= 2)
		sig = SIGKILL;
	kill(tty_sig && sig != SIGKILL ? -ctr_pid : ctr_pid, sig);
}

static void install_forwarding(void)
{
	static const int sigs[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT,
				   SIGUSR1, SIGUSR2, SIGWINCH};
	struct sigaction sa = {.sa_handler = forward};
	size_t i;

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* Options with a value; returns 0 or MVM_EXIT_USAGE after printing. */
static int parse_value(int c, const char *arg, struct mvm_ctr_config *cfg)
{
	char *end;

	switch (c) {
	case 'm':
		if (!strcmp(arg, "0")) { /* lift the default limit */
			cfg->memory_max = 0;
			return 0;
		}
		if (mvm_ctr_parse_size(arg, &cfg->memory_max) == 0)
			return 0;
		cli_error(CMD,
			  "--memory '%s': want a size like 64M (0 = no limit)",
			  arg);
		return MVM_EXIT_USAGE;
	case 'p':
		cfg->pids_max = strtol(arg, &end, 10);
		if (*arg && !*end && cfg->pids_max >= 0)
			return 0;
		cli_error(CMD, "--pids '%s': want a number (0 = no limit)",
			  arg);
		return MVM_EXIT_USAGE;
	case 'c':
		if (mvm_ctr_parse_cpus(arg, &cfg->cpu_millis) == 0)
			return 0;
		cli_error(CMD, "--cpus '%s': want a number like 0.5", arg);
		return MVM_EXIT_USAGE;
	case 'g':
		if (!strcmp(arg, "auto") || !strcmp(arg, "v1") ||
		    !strcmp(arg, "v2")) {
			cfg->cgroup = arg[0] == 'a'   ? MVM_CGROUP_AUTO
				      : arg[1] == '1' ? MVM_CGROUP_V1
						      : MVM_CGROUP_V2;
			return 0;
		}
		cli_error(CMD, "--cgroup '%s': want auto, v1 or v2", arg);
		return MVM_EXIT_USAGE;
	case 'n':
		if (!strcmp(arg, "none"))
			return 0;
		if (!strncmp(arg, "veth:", 5) && strchr(arg, ',')) {
			cfg->veth = arg + 5;
			return 0;
		}
		cli_error(CMD, "--net '%s': want none or veth:HOST/LEN,CTR/LEN",
			  arg);
		return MVM_EXIT_USAGE;
	case 't':
		if (cli_parse_seconds(arg, &cfg->timeout_ms) == 0)
			return 0;
		cli_error(CMD, "--timeout '%s': want seconds %s", arg,
			  CLI_SECONDS_RANGE);
		return MVM_EXIT_USAGE;
	}
	return MVM_EXIT_USAGE;
}

static const struct option run_opts[] = {
	{"hostname", required_argument, NULL, 'H'},
	{"memory", required_argument, NULL, 'm'},
	{"pids", required_argument, NULL, 'p'},
	{"cpus", required_argument, NULL, 'c'},
	{"cgroup", required_argument, NULL, 'g'},
	{"net", required_argument, NULL, 'n'},
	{"timeout", required_argument, NULL, 't'},
	{"keep-upper", required_argument, NULL, 'K'},
	{"read-only", no_argument, NULL, 'r'},
	{"overlay", no_argument, NULL, 'o'},
	{"write-through", no_argument, NULL, 'W'},
	{"userns", no_argument, NULL, 'U'},
	{"init", no_argument, NULL, 'i'},
	{"no-seccomp", no_argument, NULL, 'S'},
	{"keep-caps", no_argument, NULL, 'C'},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* Flags of the no-argument options, by option letter. */
static unsigned flag_of(int c)
{
	switch (c) {
	case 'r':
		return MVM_CTR_READONLY;
	case 'o':
		return MVM_CTR_OVERLAY;
	case 'U':
		return MVM_CTR_USERNS;
	case 'i':
		return MVM_CTR_INIT;
	case 'S':
		return MVM_CTR_NO_SECCOMP;
	case 'C':
		return MVM_CTR_KEEP_CAPS;
	}
	return 0;
}

/* Parse options into cfg; returns -1 to go on, else an exit status. */
static int parse_run(int argc, char **argv, struct mvm_ctr_config *cfg,
		     struct cli_log_ctx *lc)
{
	int c, rc, write_through = 0;

	opterr = 0;
	/* '+': stop at ROOTFS, so CMD's own options are left alone. */
	while ((c = getopt_long(argc, argv, "+:vh", run_opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return MVM_EXIT_OK;
		} else if (c == 'v') {
			lc->level = MVM_LOG_DEBUG;
		} else if (c == 'H') {
			cfg->hostname = optarg;
		} else if (c == 'K') {
			cfg->overlay_upper = optarg;
		} else if (c == 'W') {
			write_through = 1;
		} else if (flag_of(c)) {
			cfg->flags |= flag_of(c);
		} else if (strchr("mpcgnt", c)) {
			rc = parse_value(c, optarg, cfg);
			if (rc)
				return rc;
		} else {
			return cli_bad_option(CMD, argv, c);
		}
	}
	/* Copy-on-write unless asked otherwise: by default nothing a
	 * container does reaches the rootfs directory on the host. */
	if (write_through && (cfg->flags & MVM_CTR_OVERLAY)) {
		cli_error(CMD,
			  "--write-through and --overlay exclude each other");
		return MVM_EXIT_USAGE;
	}
	if (!write_through && !(cfg->flags & MVM_CTR_READONLY))
		cfg->flags |= MVM_CTR_OVERLAY;
	if (cfg->overlay_upper && !(cfg->flags & MVM_CTR_OVERLAY)) {
		cli_error(CMD, "--keep-upper needs the overlay (not "
			       "--write-through or --read-only)");
		return MVM_EXIT_USAGE;
	}
	if (optind >= argc) {
		cli_error(CMD, "missing ROOTFS (try '" CMD " run --help')");
		return MVM_EXIT_USAGE;
	}
	cfg->rootfs = argv[optind++];
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (optind >= argc) {
		cli_error(CMD, "missing the command to run after ROOTFS");
		return MVM_EXIT_USAGE;
	}
	cfg->argv = argv + optind;
	return -1;
}

/* Say what the limits did, then return the exit status. */
static int report(const struct mvm_ctr_config *cfg,
		  const struct mvm_ctr_result *res)
{
	if (res->oom_killed)
		fprintf(stderr,
			CMD ": the memory limit (%llu bytes) was reached: the "
			    "OOM killer ended a process in the container\n",
			(unsigned long long)cfg->memory_max);
	if (res->pids_limited)
		fprintf(stderr,
			CMD ": fork() failed in the container: pids limit "
			    "(%ld) reached\n",
			cfg->pids_max);
	if (res->timed_out)
		fprintf(stderr, CMD ": killed after the %u ms timeout\n",
			cfg->timeout_ms);
	return res->status;
}

static int ctr_run(int argc, char **argv)
{
	struct cli_log_ctx lc = {CMD, MVM_LOG_WARN};
	struct mvm_ctr_config cfg = {.memory_max = MVM_CTR_DEFAULT_MEMORY,
				     .pids_max = MVM_CTR_DEFAULT_PIDS};
	struct mvm_ctr_result res;
	struct mvm_ctr *ctr;
	int rc, err;

	rc = parse_run(argc, argv, &cfg, &lc);
	if (rc >= 0)
		return rc;
	/* Untouched defaults must not stop a rootless run (container.h). */
	if (cfg.memory_max == MVM_CTR_DEFAULT_MEMORY &&
	    cfg.pids_max == MVM_CTR_DEFAULT_PIDS && !cfg.cpu_millis)
		cfg.flags |= MVM_CTR_SOFT_LIMITS;
	cfg.log = (struct mvm_log){cli_log, &lc};
	install_forwarding();
	err = mvm_ctr_start(&cfg, &ctr);
	if (err == -ENOEXEC)
		return EXIT_NOTFOUND; /* the log said why */
	if (err)
		return EXIT_SETUP;
	ctr_pid = mvm_ctr_pid(ctr);
	err = mvm_ctr_wait(ctr, &res);
	ctr_pid = 0;
	mvm_ctr_destroy(ctr);
	if (err) {
		cli_error(CMD, "wait: %s", strerror(-err));
		return EXIT_SETUP;
	}
	return report(&cfg, &res);
}

/* capabilities(7) names, by number, for `mvm ctr info`. */
static const char *const cap_names[] = {
	"chown",
	"dac_override",
	"dac_read_search",
	"fowner",
	"fsetid",
	"kill",
	"setgid",
	"setuid",
	"setpcap",
	"linux_immutable",
	"net_bind_service",
	"net_broadcast",
	"net_admin",
	"net_raw",
	"ipc_lock",
	"ipc_owner",
	"sys_module",
	"sys_rawio",
	"sys_chroot",
	"sys_ptrace",
	"sys_pacct",
	"sys_admin",
	"sys_boot",
	"sys_nice",
	"sys_resource",
	"sys_time",
	"sys_tty_config",
	"mknod",
	"lease",
	"audit_write",
	"audit_control",
	"setfcap",
	"mac_override",
	"mac_admin",
	"syslog",
	"wake_alarm",
	"block_suspend",
	"audit_read",
	"perfmon",
	"bpf",
	"checkpoint_restore",
};
#define NCAP_NAMES (int)(sizeof(cap_names) / sizeof(cap_names[0]))
/* Complete up to the last capability of Linux 6.1 (newer ones print as
 * numbers). */
_Static_assert(NCAP_NAMES == CAP_CHECKPOINT_RESTORE + 1,
	       "cap_names[] must name every capability up to 40");

/* words[0..n) on lines of at most 72 columns, indented by 2. */
static void print_words(const char *const *words, int n)
{
	int i, col = 0;

	for (i = 0; i < n; i++) {
		int len = (int)strlen(words[i]);

		if (col && col + 1 + len > 72) {
			printf("\n");
			col = 0;
		}
		col += printf("%s%s", col ? " " : "  ", words[i]);
	}
	printf("\n");
}

/* What this machine offers, and what a container keeps and loses. */
static int ctr_info(void)
{
	struct cli_log_ctx lc = {CMD, MVM_LOG_WARN};
	struct mvm_ctr_config cfg = {.log = {cli_log, &lc}};
	enum mvm_cgroup_version v;
	const char *const *calls;
	char root[4096];
	const int *caps;
	int i, n;

	if (mvm_ctr_cgroup_detect(&cfg, &v, root, sizeof(root)) == 0)
		printf("cgroup:        %s at %s\n",
		       v == MVM_CGROUP_V2 ? "v2" : "v1", root);
	caps = mvm_ctr_kept_caps(&n);
	printf("kept caps:     ");
	for (i = 0; i < n; i++)
		printf("%s%s",
		       caps[i] >= 0 && caps[i] <= CAP_LAST_CAP
			       ? cap_names[caps[i]]
			       : "?",
		       i + 1 < n ? " " : "\n");
	calls = mvm_ctr_allowed_syscalls(&n);
	printf("allowed calls: %d (every other call gets EPERM):\n", n);
	print_words(calls, n);
	calls = mvm_ctr_denied_syscalls(&n);
	printf("refused, among others:\n");
	print_words(calls, n);
	printf("default limits: --memory %lluM --pids %ld\n",
	       (unsigned long long)(MVM_CTR_DEFAULT_MEMORY >> 20),
	       MVM_CTR_DEFAULT_PIDS);
	return MVM_EXIT_OK;
}

int cmd_ctr(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return ctr_run(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "info"))
		return ctr_info();
	if (argc >= 2 &&
	    (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return MVM_EXIT_OK;
	}
	usage(stderr);
	return MVM_EXIT_USAGE;
}
