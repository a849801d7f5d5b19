/*
 * child.c - what runs inside the new namespaces, up to execve().
 *
 * clone() started us as PID 1 of a new PID namespace, in new mount, UTS,
 * IPC and network namespaces (and a user namespace when unprivileged).
 * We wait until the runtime has put us in our cgroup and written our
 * uid/gid maps, then build the container around ourselves in this order:
 *
 *   cgroup ns -> hostname -> loopback -> rootfs + pivot_root
 *   -> (root's --userns: user namespace) -> capabilities
 *   -> no_new_privs + seccomp -> execve(command)
 *
 * The order matters: pivot_root needs CAP_SYS_ADMIN, so capabilities go
 * after it; the seccomp filter denies mount(), so it goes last. Every
 * message goes back to the runtime over msg_fd (we cannot print: the
 * library never does, and our stderr is the container's). msg_fd is
 * O_CLOEXEC, so a successful execve() closes it: the runtime reads EOF
 * and knows the command started.
 *
 * PID 1 is special (pid_namespaces(7)): when it exits, the kernel kills
 * every other process in the namespace; orphans are re-parented to it;
 * and it only receives signals it installed a handler for. With
 * MVM_CTR_INIT we stay PID 1 as a tiny init that forks the command,
 * reaps every zombie and forwards signals, as tini or docker --init do.
 * Lab 5, task 1 cuts the cgroup namespace and hostname step from setup();
 * students edit only that stub.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctr_internal.h"

/* Set before execve(): failures from then on are the command's, not
 * the runtime's (the runtime returns -ENOEXEC for them). */
static int exec_stage;
static int logged_error; /* an ERROR record went to the runtime */

/* The child's log sink: one record per message into the pipe. */
static void pipe_log(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct ctr_msg m;
	int fd = *(int *)ctx;
	ssize_t n;

	memset(&m, 0, sizeof(m));
	m.level = (int)level;
	m.err = level != MVM_LOG_ERROR ? 0 : exec_stage ? 2 : 1;
	logged_error |= m.err;
	snprintf(m.text, sizeof(m.text), "%s", msg);
	n = write(fd, &m, sizeof(m));
	(void)n; /* nobody to tell if the runtime is gone */
}

/*
 * The command's file descriptors: 0-2 from cfg.stdio[] if given, and
 * nothing else. Every other descriptor the runtime's process happens to
 * hold gets close-on-exec (close_range(2)): an inherited descriptor of a
 * host directory would be a way out of the new root (fchdir + "..").
 */
static int setup_fds(const struct mvm_ctr *c, const struct mvm_log *log)
{
	int i;

	for (i = 0; (c->cfg.flags & MVM_CTR_STDIO) && i < 3; i++) {
		int fd = c->cfg.stdio[i];

		/* dup2() onto itself would keep FD_CLOEXEC: clear it. */
		if (fd == i ? fcntl(fd, F_SETFD, 0) < 0 : dup2(fd, i) < 0) {
			mvm_logf(log, MVM_LOG_ERROR, "stdio: fd %d -> %d: %s",
				 fd, i, strerror(errno));
			return -EBADF;
		}
	}
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		mvm_logf(log, MVM_LOG_ERROR, "close_range: %s",
			 strerror(errno));
		return -EBADF;
	}
	return 0;
}

/* A clean environment: nothing of the host's leaks in. */
static char *ctr_env[] = {
	"PATH=/bin:/sbin:/usr/bin:/usr/sbin",
	"HOME=/root",
	"TERM=xterm",
	"container=minivmm",
	NULL,
};

static volatile pid_t init_child;

static void forward(int sig)
{
	if (init_child > 0)
		kill(init_child, sig);
}

/*
 * The init is a copy of the runtime, so `ps` in the container would show
 * the runtime's command line, host paths included. Overwrite it in place
 * (the argv strings live between arg_start and arg_end, fields 48 and 49
 * of /proc/self/stat, proc(5)) and rename the thread.
 */
static void hide_cmdline(void)
{
	char buf[1024], *p;
	unsigned long start = 0, end = 0;
	int i, n = ctr_read_file("/proc/self/stat", buf, sizeof(buf));

	prctl(PR_SET_NAME, "mvm-init", 0, 0, 0);
	p = n > 0 ? strrchr(buf, ')') : NULL; /* comm may hold spaces */
	for (i = 2; p && i < 48; i++)	      /* p is at field i's end */
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%lu %lu", &start, &end) != 2 || end <= start)
		return;
	memset((void *)start, 0, end - start);
	snprintf((char *)start, end - start, "mvm-init");
}

/* A heap copy of a NULL-terminated argv (never freed: we exec or exit). */
static char **copy_argv(char *const *argv)
{
	size_t i, n = 0;
	char **copy;

	while (argv[n])
		n++;
	copy = calloc(n + 1, sizeof(*copy));
	for (i = 0; copy && i < n; i++)
		if (!(copy[i] = strdup(argv[i])))
			return NULL;
	return copy;
}

/* MVM_CTR_INIT: fork the command, reap everything, exit like it. */
static int run_init(char *const *cmd, int msg_fd)
{
	static const int sigs[] = {SIGTERM, SIGINT,  SIGHUP,  SIGQUIT,
				   SIGUSR1, SIGUSR2, SIGWINCH};
	struct sigaction sa = {.sa_handler = forward};
	/* The command's argv may point into the memory hide_cmdline()
	 * overwrites (the runtime's own argv): copy it first. */
	char **argv = copy_argv(cmd);
	int status = 0;
	size_t i;
	pid_t pid;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	if (!argv)
		return 127;
	hide_cmdline(); /* before fork(): the command must not see it either */
	pid = fork();
	if (pid == 0) {
		execvp(argv[0], argv);
		/* The runtime reads this from the (inherited) pipe. */
		mvm_logf(&(struct mvm_log){pipe_log, &msg_fd}, MVM_LOG_ERROR,
			 "exec: %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0) {
		mvm_logf(&(struct mvm_log){pipe_log, &msg_fd}, MVM_LOG_ERROR,
			 "init: fork: %s", strerror(errno));
		return 127;
	}
	init_child = pid;
	/* Close everything but stdio: msg_fd, or the runtime waits for EOF
	 * forever (the command's copy closes at its execve()); and every
	 * descriptor the runtime's caller left open. close-on-exec does not
	 * help here, as the init never execs: a host directory it kept
	 * would be open to the command as /proc/1/fd/N, a way out of the
	 * root (the kind of leak behind runc's CVE-2024-21626). */
	if (syscall(SYS_close_range, 3, ~0U, 0) < 0)
		close(msg_fd);
	/* Nor may the command reach into us: the init is the host's mvm
	 * binary, and /proc/1/exe, /proc/1/mem and /proc/1/fd would be the
	 * command's to open. Non-dumpable, they need CAP_SYS_PTRACE, which
	 * the command lacks (proc(5), PR_SET_DUMPABLE in prctl(2)). */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* Reap every child (orphans too) until the command itself exits;
	 * then we exit, and the kernel kills whatever it left behind. */
	for (;;) {
		int st;
		pid_t w = waitpid(-1, &st, 0);

		if (w == pid) {
			status = st;
			break;
		}
		if (w < 0 && errno == ECHILD)
			break;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* All setup steps; returns 0 or -errno (already logged). */
static int setup(const struct mvm_ctr *c, const struct mvm_log *log)
{
	const char *name = c->cfg.hostname ? c->cfg.hostname : "minivmm";
	int err = ctr_ns_check(c, log);

	if (err)
		return err;
	/* LAB(5, namespaces-child) BEGIN */
	if (unshare(CLONE_NEWCGROUP) < 0) {
		err = -errno;
		mvm_logf(log, MVM_LOG_ERROR, "cgroup namespace: unshare: %s",
			 strerror(-err));
	}
	err = err ? err : ctr_set_hostname(log, name);
	/* LAB(5) STUB
	// LAB 5: enter a new cgroup namespace (unshare CLONE_NEWCGROUP),
	// then set the container's hostname with ctr_set_hostname().
	// Hint: cgroup_namespaces(7); why after the cgroup attach?
	(void)name;
	LAB(5) END */
	err = err ? err : ctr_loopback_up(log);
	if (!err && c->cfg.veth)
		err = ctr_veth_configure_inside(c, log);
	err = err ? err : ctr_rootfs_setup(c, log);
	if (!err)
		mvm_logf(log, MVM_LOG_DEBUG, "root is now %s%s", c->root,
			 c->tmpdir[0] ? " (overlay)" : "");
	if (!err && c->remap)
		err = ctr_userns_remap(c, log);
	if (!err && !(c->cfg.flags & MVM_CTR_KEEP_CAPS))
		err = ctr_caps_drop(log);
	if (!err && !(c->cfg.flags & MVM_CTR_NO_SECCOMP))
		err = ctr_seccomp_install(log);
	if (!err)
		mvm_logf(log, MVM_LOG_DEBUG, "capabilities %s, seccomp %s",
			 c->cfg.flags & MVM_CTR_KEEP_CAPS ? "all kept"
							  : "dropped",
			 c->cfg.flags & MVM_CTR_NO_SECCOMP ? "off" : "on");
	return err;
}

/*
 * A session (and process group) of our own. Process groups are not
 * namespaced: kill(0, SIGKILL) signals the caller's whole group, host
 * processes included (the runtime, the shell that started it, a
 * pipeline's other commands). Leaving the session also drops the
 * controlling terminal, so no TIOCSTI can type into it (setsid(2);
 * bubblewrap's --new-session exists for CVE-2017-5226). The runtime
 * forwards the terminal's signals (Ctrl-C) to the command.
 */
static int new_session(const struct mvm_log *log)
{
	if (setsid() < 0) {
		mvm_logf(log, MVM_LOG_ERROR, "setsid: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int ctr_child_main(void *arg)
{
	struct ctr_child_args *a = arg;
	const struct mvm_ctr *c = a->ctr;
	struct mvm_log log = {pipe_log, &a->msg_fd};
	char go;
	int err;

	/* If the runtime dies, so does the container. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (read(a->go_fd, &go, 1) != 1)
		_exit(127); /* the runtime gave up on us */
	close(a->go_fd);
	if (setup_fds(c, &log) < 0 || new_session(&log) < 0)
		_exit(EBADF);
	err = setup(c, &log);
	if (err < 0 && !logged_error) /* a step that failed silently */
		mvm_logf(&log, MVM_LOG_ERROR, "setup: %s", strerror(-err));
	if (err < 0)
		_exit(-err & 0xff); /* the runtime returns -status */
	/* execvp() searches the PATH of *our* environment: replace it. */
	environ = ctr_env;
	exec_stage = 1;
	if (c->cfg.flags & MVM_CTR_INIT)
		_exit(run_init(c->cfg.argv, a->msg_fd));
	execvp(c->cfg.argv[0], c->cfg.argv);
	err = errno;
	mvm_logf(&log, MVM_LOG_ERROR, "exec: %s: %s (inside the rootfs)",
		 c->cfg.argv[0], strerror(err));
	_exit(err & 0xff);
}
