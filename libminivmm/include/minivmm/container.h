/*
 * container.h - a small container runtime (OS-level virtualization).
 *
 * A VM gives the guest its own (virtual) hardware and its own kernel. A
 * container shares the host kernel; the kernel only gives a group of
 * processes a private *view* of it (namespaces), a *budget* (cgroups) and
 * fewer *powers* (capabilities, seccomp). This runtime builds a container
 * from those parts, one concept per file in src/container/:
 *
 *   ns.c       namespaces: user (uid/gid maps), UTS hostname, loopback
 *   rootfs.c   the root file system: pivot_root, /proc, /dev, overlay
 *   cgroup.c   resource limits on cgroup v2 or v1 (cgroup_detect.c:
 *              which version this machine offers)
 *   caps.c     capabilities (bounding, ambient, effective sets)
 *   seccomp.c  the system call filter (classic BPF; an allowlist whose
 *              calls, and notable refusals, are in syscalls.c)
 *   net.c      the optional veth pair (rtnetlink)
 *   child.c    the setup sequence run inside the new namespaces
 *   ctr.c      the runtime side: clone(), sync, wait, cleanup
 *   util.c     reading and writing the kernel's control files
 *
 * Lifecycle: mvm_ctr_start() -> mvm_ctr_wait() -> mvm_ctr_destroy(), or
 * mvm_ctr_run() for all three. Errors are -errno; the log says which setup
 * step failed and why ("pivot_root: rootfs is not a mount point"). A failed
 * start leaves nothing behind (no cgroup, mount, interface or directory).
 *
 * Lab 5 (labs/lab5-containers/) cuts pieces of these files out.
 */
#ifndef MINIVMM_CONTAINER_H
#define MINIVMM_CONTAINER_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stdint.h>
#include <sys/types.h>

#include "log.h"

struct mvm_ctr;

/* Flags for struct mvm_ctr_config. */
#define MVM_CTR_USERNS	    (1u << 0) /* new user namespace (auto if !root) */
#define MVM_CTR_READONLY    (1u << 1) /* root file system mounted read-only */
#define MVM_CTR_OVERLAY	    (1u << 2) /* rootfs is the lower overlay layer */
#define MVM_CTR_INIT	    (1u << 3) /* PID 1 is a mini init, cmd is PID 2 */
#define MVM_CTR_NO_SECCOMP  (1u << 4) /* skip the seccomp filter (teaching) */
#define MVM_CTR_KEEP_CAPS   (1u << 5) /* skip dropping capabilities */
#define MVM_CTR_NO_CGROUP   (1u << 6) /* no cgroup at all (no limits) */
#define MVM_CTR_STDIO	    (1u << 7) /* use cfg.stdio[] as fds 0, 1, 2 */
/* The limits are defaults nobody asked for: where no cgroup can be made
 * (no root, no delegated subtree) warn and run without them. */
#define MVM_CTR_SOFT_LIMITS (1u << 8)

/*
 * Limits `mvm ctr run` applies when the user gives none (--pids 0 and
 * --memory 0 lift them), with MVM_CTR_SOFT_LIMITS so that a rootless run
 * without cgroup delegation still starts. The library's own default is
 * no limit (0), so
 * programs and tests that build a config say what they want. 1024 tasks
 * stop a fork bomb long before the host's pid_max; 512 MiB is plenty
 * for the busybox rootfs and stops a runaway allocation before it
 * pushes the host into its own OOM killer.
 */
#define MVM_CTR_DEFAULT_PIDS   1024L
/*
 * MVM_CTR_USERNS as root: container root is host UID/GID BASE and the
 * namespace maps COUNT IDs from there, never host root. BASE and COUNT
 * come from the "root:BASE:COUNT" line of /etc/subuid and /etc/subgid
 * (subuid(5)) when there is one, else from these: a range far above the
 * 100000 + 65536*N ranges useradd hands out, so it is nobody's.
 */
#define MVM_CTR_REMAP_BASE     1000000000UL
#define MVM_CTR_REMAP_COUNT    65536UL
#define MVM_CTR_DEFAULT_MEMORY (512ULL << 20)

/* Which cgroup hierarchy to use. */
enum mvm_cgroup_version {
	MVM_CGROUP_AUTO, /* v2 if it has the controllers we need, else v1 */
	MVM_CGROUP_V1,	 /* one hierarchy per controller (memory, pids, cpu) */
	MVM_CGROUP_V2,	 /* the unified hierarchy */
};

struct mvm_ctr_config {
	const char *rootfs;   /* directory with the container's / */
	char *const *argv;    /* command, resolved with the container PATH */
	const char *hostname; /* UTS name; NULL = "minivmm" */
	unsigned flags;	      /* MVM_CTR_* */
	uint64_t memory_max;  /* bytes; 0 = no limit */
	long pids_max;	      /* tasks; 0 = no limit */
	unsigned cpu_millis;  /* 1000 = one CPU; 0 = no limit */
	enum mvm_cgroup_version cgroup; /* hierarchy choice */
	const char *cgroup_root;   /* override the mount point (tests); NULL */
	const char *overlay_upper; /* keep the upper layer here; NULL = temp,
				      discarded at destroy */
	const char *veth;    /* "HOSTADDR/LEN,CTRADDR/LEN" or NULL: loopback
				    only (see net.c) */
	int stdio[3];	     /* with MVM_CTR_STDIO: the command's stdin, stdout,
			 stderr (else it inherits ours) */
	unsigned timeout_ms; /* kill the container after this; 0 = never */
	struct mvm_log log;  /* where messages go */
};

/* How the container ended (filled by mvm_ctr_wait). */
struct mvm_ctr_result {
	int exited;	   /* 1: PID 1 exited normally, code in status */
	int status;	   /* exit code, or 128 + signal (shell convention) */
	int signal;	   /* the signal that killed PID 1, or 0 */
	int timed_out;	   /* 1: we killed it at timeout_ms */
	int oom_killed;	   /* 1: the memory cgroup's OOM killer fired */
	int pids_limited;  /* 1: a fork failed because of pids.max */
	uint64_t mem_peak; /* peak memory of the cgroup, bytes (0 = unknown) */
};

/* Start a container; on success *out is set and the command is running.
 * -ENOEXEC: the command itself could not be executed (not found in the
 * rootfs, not executable); other errors are the setup step's errno. */
int mvm_ctr_start(const struct mvm_ctr_config *cfg, struct mvm_ctr **out);

/* Host PID of the container's PID 1 (to forward signals to). */
pid_t mvm_ctr_pid(const struct mvm_ctr *ctr);

/* Send sig to the container's PID 1 (see ctr.c for why PID 1 may ignore
 * it). 0 or -errno. */
int mvm_ctr_kill(struct mvm_ctr *ctr, int sig);

/*
 * Wait for PID 1 to exit (the kernel then kills the rest of the PID
 * namespace) or for cfg->timeout_ms, whichever first, and fill *res.
 * Interrupted by a signal it keeps waiting. 0 or -errno.
 */
int mvm_ctr_wait(struct mvm_ctr *ctr, struct mvm_ctr_result *res);

/* Kill what is left, remove the cgroup and temporary directories, free.
 * Accepts NULL and a half-started container. */
void mvm_ctr_destroy(struct mvm_ctr *ctr);

/* start + wait + destroy. */
int mvm_ctr_run(const struct mvm_ctr_config *cfg, struct mvm_ctr_result *res);

/* The capabilities a container keeps (caps.c), as CAP_* numbers; n set. */
const int *mvm_ctr_kept_caps(int *n);

/* The system calls the seccomp filter allows (an allowlist: every other
 * call is refused; seccomp.c, syscalls.c). */
const char *const *mvm_ctr_allowed_syscalls(int *n);

/* Notable calls the filter refuses with EPERM, for docs and tests (not
 * allowed, so refused like every other call not in the allowlist). */
const char *const *mvm_ctr_denied_syscalls(int *n);

/* Parse "64M", "1G", "512k", "1000" into bytes. 0 or -EINVAL. */
int mvm_ctr_parse_size(const char *s, uint64_t *bytes);

/* Parse "1.5" (CPUs) into millis (1500). 0 or -EINVAL. */
int mvm_ctr_parse_cpus(const char *s, unsigned *millis);

/* Which cgroup version would be used, or -errno with the log saying why
 * neither works. For `mvm ctr info` and the tests. */
int mvm_ctr_cgroup_detect(const struct mvm_ctr_config *cfg,
			  enum mvm_cgroup_version *version, char *root,
			  size_t len);

#pragma GCC visibility pop

#endif
