/*
 * ctr.c - the runtime: start a container, wait for it, clean up.
 *
 * This is the host side of the sequence drawn in ctr_internal.h. It owns
 * everything that outlives the container's processes and therefore must
 * be removed by someone outside: the cgroup directories, the overlay
 * scratch directories and the host end of a veth pair. The namespaces
 * themselves need no cleanup: the kernel frees a namespace when its last
 * process exits and nothing else (a mount, an open file) holds it.
 *
 * Signals: mvm_ctr_kill() sends to the container's PID 1. The kernel
 * delivers a signal to a namespace's init only if init installed a
 * handler for it (SIGKILL/SIGSTOP from an ancestor namespace excepted;
 * pid_namespaces(7)). A shell or /bin/true as PID 1 installs none, so
 * SIGTERM is ignored; that is why MVM_CTR_INIT exists, and why the
 * runtime uses SIGKILL for timeouts.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctr_internal.h"

/* clone() without CLONE_VM still wants a stack for the child's first
 * function; the child only runs setup code and then execve()s. */
#define CHILD_STACK (256 * 1024)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * Without --overlay or --read-only the container writes into the rootfs
 * itself, a host directory, as root: a set-user-ID-root file it makes
 * there is then a root shell for every host user who can reach it.
 * Only the directory's mode stands between them (Docker keeps its
 * layers under a root-only /var/lib/docker for the same reason).
 */
static void warn_shared_rootfs(const struct mvm_ctr *c, const struct stat *st)
{
	unsigned safe = MVM_CTR_OVERLAY | MVM_CTR_READONLY;

	if ((c->cfg.flags & safe) || c->userns || c->remap ||
	    !(st->st_mode & S_IXOTH))
		return;
	mvm_logf(&c->log, MVM_LOG_WARN,
		 "rootfs: %s is writable from the container and open to "
		 "other users: a set-user-ID file made in it would run as "
		 "root for them (chmod 700 it, or use --overlay)",
		 c->lower);
}

/* Check the configuration before touching anything. */
static int check_config(struct mvm_ctr *c)
{
	const struct mvm_ctr_config *cfg = &c->cfg;
	struct stat st;

	if (!cfg->rootfs || !cfg->argv || !cfg->argv[0]) {
		mvm_logf(&c->log, MVM_LOG_ERROR,
			 "config: need a rootfs and a command");
		return -EINVAL;
	}
	if (stat(cfg->rootfs, &st) < 0 || !realpath(cfg->rootfs, c->lower)) {
		int err = -errno;

		mvm_logf(&c->log, MVM_LOG_ERROR,
			 "rootfs: %s: %s (build one with `make rootfs`)",
			 cfg->rootfs, strerror(-err));
		return err;
	}
	if (!S_ISDIR(st.st_mode)) {
		mvm_logf(&c->log, MVM_LOG_ERROR, "rootfs: %s: not a directory",
			 cfg->rootfs);
		return -ENOTDIR;
	}
	warn_shared_rootfs(c, &st);
	if (c->remap && !(cfg->flags & MVM_CTR_OVERLAY) &&
	    (st.st_mode & 05) != 05) {
		mvm_logf(&c->log, MVM_LOG_ERROR,
			 "rootfs: with --userns the container's root is an "
			 "unprivileged host user, who cannot enter %s (mode "
			 "%03o): use the overlay (the default) or chmod o+rx",
			 cfg->rootfs, (unsigned)(st.st_mode & 0777));
		return -EACCES;
	}
	/* overlayfs separates its options with ',' and layers with ':'. */
	if ((cfg->flags & MVM_CTR_OVERLAY) &&
	    (strpbrk(c->lower, ",:") ||
	     (cfg->overlay_upper && strpbrk(cfg->overlay_upper, ",:")))) {
		mvm_logf(&c->log, MVM_LOG_ERROR,
			 "overlay: layer paths may not contain ',' or ':'");
		return -EINVAL;
	}
	if (cfg->veth && ctr_veth_parse(c))
		return -EINVAL;
	if (cfg->veth && c->userns) {
		mvm_logf(&c->log, MVM_LOG_ERROR,
			 "network: --net veth needs root on the host "
			 "(CAP_NET_ADMIN in the host network namespace)");
		return -EPERM;
	}
	return 0;
}

/* Host-side resources made before clone(): limits exist before the
 * command's first instruction. */
static int prepare(struct mvm_ctr *c)
{
	const struct mvm_ctr_config *cfg = &c->cfg;
	int limits = cfg->memory_max || cfg->pids_max || cfg->cpu_millis;
	int err = 0;

	ctr_path(c->root, sizeof(c->root), "%s", c->lower);
	if (cfg->flags & MVM_CTR_NO_CGROUP) {
		if (limits) {
			mvm_logf(&c->log, MVM_LOG_ERROR,
				 "cgroup: limits need a cgroup");
			return -EINVAL;
		}
	} else if ((cfg->flags & MVM_CTR_SOFT_LIMITS) && geteuid() != 0) {
		/* a delegated subtree works too, if the user asks for it */
		mvm_logf(&c->log, MVM_LOG_WARN,
			 "cgroup: default limits not applied without root "
			 "(explicit limits use a delegated subtree)");
	} else if (limits || geteuid() == 0) {
		err = ctr_cgroup_create(c);
		if (err && (!limits || (cfg->flags & MVM_CTR_SOFT_LIMITS))) {
			mvm_logf(&c->log, MVM_LOG_WARN,
				 "cgroup: running without one (%s)",
				 limits ? "default limits not applied"
					: "no limits asked");
			err = 0;
		}
	}
	if (!err && (cfg->flags & MVM_CTR_OVERLAY))
		err = ctr_overlay_prepare(c);
	return err;
}

/* After clone(): attach, map IDs, network; then let the child go. */
static int release_child(struct mvm_ctr *c, int go_fd)
{
	int err = ctr_cgroup_attach(c, c->pid);

	if (!err && c->userns)
		err = ctr_userns_map(c, c->pid);
	if (!err && c->cfg.veth)
		err = ctr_veth_create(c, c->pid);
	if (!err && write(go_fd, "g", 1) != 1) {
		err = -errno;
		mvm_logf(&c->log, MVM_LOG_ERROR, "start: release child: %s",
			 strerror(errno));
	}
	return err;
}

/* Relay the child's log records until EOF (execve closed the pipe).
 * Returns 0 if no record was an error. */
static int relay_messages(struct mvm_ctr *c)
{
	struct ctr_msg m;
	int failed = 0;
	ssize_t n;

	while ((n = read(c->msg_fd, &m, sizeof(m))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(m))
			break;
		m.text[sizeof(m.text) - 1] = '\0';
		if (m.level < MVM_LOG_ERROR || m.level > MVM_LOG_DEBUG)
			m.level = MVM_LOG_ERROR;
		mvm_logf(&c->log, (enum mvm_log_level)m.level, "%s", m.text);
		failed |= m.err;
	}
	return failed;
}

/* clone() the child into its new namespaces. */
static int spawn(struct mvm_ctr *c)
{
	struct ctr_child_args args;
	int go[2], msg[2], err;

	if (pipe2(go, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(msg, O_CLOEXEC) < 0) {
		err = -errno;
		close(go[0]);
		close(go[1]);
		return err;
	}
	args = (struct ctr_child_args){c, go[0], msg[1]};
	/* The child gets a copy of our memory (no CLONE_VM), so args and
	 * *c stay valid in it; the stack grows down from its top. */
	c->pid = clone(ctr_child_main, (char *)c->stack + c->stack_size,
		       ctr_clone_flags(c), &args);
	err = c->pid < 0 ? -errno : 0;
	close(go[0]);
	close(msg[1]);
	c->msg_fd = msg[0];
	if (err) {
		close(go[1]);
		mvm_logf(&c->log, MVM_LOG_ERROR, "clone: new namespaces: %s%s",
			 strerror(-err),
			 err == -EPERM ? " (need root, or unprivileged user "
					 "namespaces enabled)"
				       : "");
		return err;
	}
	mvm_logf(&c->log, MVM_LOG_INFO, "container PID 1 is host PID %ld%s",
		 (long)c->pid,
		 c->userns || c->remap ? " (in a user namespace)" : "");
	c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	err = release_child(c, go[1]);
	close(go[1]);
	return err;
}

/* The child reported an error and exited with its errno: reap it and
 * turn that into our return value. */
static int child_failed(struct mvm_ctr *c, int failed)
{
	int status, err = -EIO;

	if (waitpid(c->pid, &status, 0) == c->pid) {
		c->waited = 1;
		if (WIFEXITED(status) && WEXITSTATUS(status))
			err = -WEXITSTATUS(status);
	}
	/* exec of the command failed: say so with one errno (container.h) */
	return (failed & 2) ? -ENOEXEC : err;
}

/*
 * The whole start-up, in order: check the request, note our own
 * namespaces (for the child's safety check), make the cgroup and overlay
 * scratch space, clone() the child, release it, and wait for its setup
 * to finish: EOF on the message pipe without an error record means the
 * command is running. Any failure unwinds through mvm_ctr_destroy().
 */
int mvm_ctr_start(const struct mvm_ctr_config *cfg, struct mvm_ctr **out)
{
	struct mvm_ctr *c = calloc(1, sizeof(*c));
	int err, failed;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	c->cfg = *cfg;
	c->log = cfg->log;
	c->pid = -1;
	c->pidfd = c->msg_fd = -1;
	/* Root's user namespace comes after the mounts (ns.c). */
	c->userns = geteuid() != 0;
	c->remap = (cfg->flags & MVM_CTR_USERNS) && !c->userns;
	if (c->remap) { /* read once: the overlay and the child use them */
		ctr_subid_range("/etc/subuid", "root", &c->id_base[0],
				&c->id_count[0]);
		ctr_subid_range("/etc/subgid", "root", &c->id_base[1],
				&c->id_count[1]);
	}
	err = check_config(c);
	err = err ? err : ctr_ns_record(c->host_ns);
	err = err ? err : prepare(c);
	c->stack_size = CHILD_STACK;
	c->stack = err ? MAP_FAILED
		       : mmap(NULL, c->stack_size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (c->stack == MAP_FAILED) {
		c->stack = NULL;
		err = err ? err : -ENOMEM;
	}
	err = err ? err : spawn(c);
	failed = err ? 0 : relay_messages(c);
	if (failed)
		err = child_failed(c, failed);
	if (err) {
		mvm_ctr_destroy(c);
		return err;
	}
	if (cfg->timeout_ms)
		c->deadline_ns = now_ns() + cfg->timeout_ms * 1000000ULL;
	*out = c;
	return 0;
}

pid_t mvm_ctr_pid(const struct mvm_ctr *ctr)
{
	return ctr->pid;
}

int mvm_ctr_kill(struct mvm_ctr *ctr, int sig)
{
	if (ctr->pid <= 0 || ctr->waited)
		return -ESRCH;
	return kill(ctr->pid, sig) < 0 ? -errno : 0;
}

/* Block until PID 1 can be reaped or the deadline passes. A pidfd
 * becomes readable when its process exits (pidfd_open(2)). */
static int wait_exit(struct mvm_ctr *c)
{
	struct pollfd p = {.fd = c->pidfd, .events = POLLIN};
	int ms, n;

	if (c->pidfd < 0)
		return 0; /* old kernel: waitpid() blocks, no timeout */
	for (;;) {
		ms = -1;
		if (c->deadline_ns) {
			uint64_t now = now_ns();

			if (now >= c->deadline_ns)
				return -ETIMEDOUT;
			ms = (int)((c->deadline_ns - now) / 1000000) + 1;
		}
		n = poll(&p, 1, ms);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/* Waiting reaps PID 1 (the container's init is our child); the
 * statistics are read afterwards, while the cgroup still exists. */
int mvm_ctr_wait(struct mvm_ctr *c, struct mvm_ctr_result *res)
{
	int status, err;

	memset(res, 0, sizeof(*res));
	if (c->waited) {
		*res = c->res;
		return 0;
	}
	if (wait_exit(c) == -ETIMEDOUT) {
		mvm_logf(&c->log, MVM_LOG_WARN,
			 "container: killed after the %u ms timeout",
			 c->cfg.timeout_ms);
		kill(c->pid, SIGKILL);
		res->timed_out = 1;
	}
	while ((err = waitpid(c->pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (err < 0)
		return -errno;
	c->waited = 1;
	res->exited = WIFEXITED(status);
	res->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	res->status = res->exited ? WEXITSTATUS(status) : 128 + res->signal;
	ctr_cgroup_stats(c, res);
	c->res = *res;
	return 0;
}

/*
 * Order matters: PID 1 must be dead before the cgroup can go (a group
 * with tasks cannot be removed), and the overlay's mount must be gone
 * (with the mount namespace, when its last process exits) before its
 * upper and work directories can be deleted.
 */
void mvm_ctr_destroy(struct mvm_ctr *c)
{
	int status;

	if (!c)
		return;
	if (c->pid > 0 && !c->waited) {
		kill(c->pid, SIGKILL);
		while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	/* PID 1 is gone, so the kernel is killing the rest of the PID
	 * namespace; remove_group() waits for them to leave the cgroup. */
	ctr_cgroup_destroy(c);
	ctr_veth_destroy(c);
	if (c->tmpdir[0]) {
		/* With a kept upper layer, only its work dir is ours. */
		if (c->cfg.overlay_upper)
			ctr_rm_rf(c->work);
		ctr_rm_rf(c->tmpdir);
	}
	if (c->pidfd >= 0)
		close(c->pidfd);
	if (c->msg_fd >= 0)
		close(c->msg_fd);
	if (c->stack)
		munmap(c->stack, c->stack_size);
	free(c);
}

int mvm_ctr_run(const struct mvm_ctr_config *cfg, struct mvm_ctr_result *res)
{
	struct mvm_ctr *c;
	int err = mvm_ctr_start(cfg, &c);

	if (err) {
		memset(res, 0, sizeof(*res));
		return err;
	}
	err = mvm_ctr_wait(c, res);
	mvm_ctr_destroy(c);
	return err;
}
