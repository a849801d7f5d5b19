/*
 * ctr_internal.h - the container runtime's private structures.
 *
 * Programs see struct mvm_ctr only as an opaque pointer (container.h).
 * The runtime is two processes that talk over two pipes:
 *
 *   runtime (host namespaces)            child (new namespaces, PID 1)
 *   -------------------------            -----------------------------
 *   cgroup: mkdir, limits
 *   clone(CLONE_NEW*) ----------------->  blocks reading go_fd
 *   cgroup: attach child
 *   user ns: write uid_map/gid_map
 *   veth: create, move one end in
 *   write "go" ------------------------>  cgroup ns, hostname, loopback,
 *                                         rootfs + pivot_root, caps,
 *                                         no_new_privs, seccomp
 *   read msg_fd until EOF <-------------  log records; execve() closes
 *                                         msg_fd (O_CLOEXEC): EOF = success
 */
#ifndef MINIVMM_CTR_INTERNAL_H
#define MINIVMM_CTR_INTERNAL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "minivmm/container.h"
#include "minivmm/log.h"

/* v1 hierarchies we use, in this order in ctr_cgroup.v1_dir[]. */
enum ctr_v1_ctl { CTR_V1_MEMORY, CTR_V1_PIDS, CTR_V1_CPU, CTR_V1_N };

struct ctr_cgroup {
	enum mvm_cgroup_version version;  /* V1 or V2 once created */
	char root[PATH_MAX];		  /* v2 mount, or the dir holding the
					    v1 controller mounts */
	char v2_leaf[PATH_MAX];		  /* v2: our cgroup; "" if none */
	char v1_leaf[CTR_V1_N][PATH_MAX]; /* v1: our cgroup per controller */
	char v1_devices[PATH_MAX];	  /* v1: our devices cgroup, or "" */
};

struct mvm_ctr {
	struct mvm_ctr_config cfg; /* copy; strings stay the caller's */
	struct mvm_log log;	   /* = cfg.log */
	int userns;		   /* clone() made a user namespace */
	int remap;		   /* root's --userns: the child enters one
				      after its mounts (ns.c) */
	unsigned long id_base[2];  /* remap: host uid, gid of container root */
	unsigned long id_count[2]; /* remap: ids mapped from there */
	pid_t pid;		   /* host PID of the container's PID 1 */
	int pidfd;		   /* pidfd_open(pid) for poll() */
	int go_fd;		   /* write end: runtime -> child "go" */
	int msg_fd;		   /* read end: child -> runtime log records */
	void *stack;		   /* clone() stack */
	size_t stack_size;	   /* its size */
	struct ctr_cgroup cg;	   /* our cgroup(s) */
	char tmpdir[PATH_MAX];	   /* overlay scratch dir; "" if none */
	char lower[PATH_MAX];	   /* realpath of cfg.rootfs */
	char root[PATH_MAX];	   /* what the child pivots into */
	char upper[PATH_MAX];	   /* overlay upper layer */
	char work[PATH_MAX];	   /* overlay work dir */
	char veth_host[16];	   /* host end of the veth pair; "" if none */
	int veth_ifindex;	   /* its interface index; 0 if none */
	uint32_t veth_addr[2];	   /* host, container IPv4 (network order) */
	int veth_len[2];	   /* their prefix lengths */
	ino_t host_ns[4];	   /* our mnt, uts, net, pid namespace inodes */
	int waited;		   /* PID 1 reaped */
	uint64_t deadline_ns;	   /* CLOCK_MONOTONIC; 0 = none */
	struct mvm_ctr_result res; /* filled by mvm_ctr_wait */
};

/* What the child needs (it runs on its own stack after clone()). */
struct ctr_child_args {
	struct mvm_ctr *ctr; /* read-only copy in the child's memory */
	int go_fd;	     /* read end */
	int msg_fd;	     /* write end (O_CLOEXEC) */
};

/* A log record sent from the child over the pipe; < PIPE_BUF so each
 * write is atomic (pipe(7)). */
struct ctr_msg {
	int level; /* enum mvm_log_level */
	int err;   /* errno of a failed step, or 0 */
	char text[248];
};

/* util.c: small file helpers; all return 0/length or -errno. */
int ctr_write_file(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int ctr_read_file(const char *path, char *buf, size_t len);
int ctr_read_key(const char *path, const char *key, uint64_t *val);
int ctr_mkdir_p(const char *path, mode_t mode);
int ctr_rm_rf(const char *path);
int ctr_path(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* cgroup_detect.c */
extern const char *const ctr_cgroup_names[CTR_V1_N];
int ctr_cgroup_need(const struct mvm_ctr_config *cfg, enum ctr_v1_ctl ctl);
/* The v1 hierarchy of any controller by name ("" if not mounted). */
void ctr_cgroup_v1_dir(const struct mvm_ctr_config *cfg, const char *ctl,
		       char *out, size_t len);
/* devices.c: the device allowlist of a fresh v1 devices cgroup. */
int ctr_devices_allow(struct mvm_ctr *c, const char *leaf);
int ctr_cgroup_v2_has(const char *root, const char *ctl);
void ctr_cgroup_v1_mount(const struct mvm_ctr_config *cfg, enum ctr_v1_ctl ctl,
			 char *out, size_t len);

/* cgroup.c */
int ctr_cgroup_create(struct mvm_ctr *c);
int ctr_cgroup_attach(struct mvm_ctr *c, pid_t pid);
void ctr_cgroup_stats(struct mvm_ctr *c, struct mvm_ctr_result *res);
void ctr_cgroup_destroy(struct mvm_ctr *c);

/* ns.c */
int ctr_ns_record(ino_t ns[4]);
int ctr_ns_check(const struct mvm_ctr *c, const struct mvm_log *log);
int ctr_userns_map(struct mvm_ctr *c, pid_t pid);
int ctr_subid_range(const char *file, const char *user, unsigned long *base,
		    unsigned long *count);
int ctr_userns_remap(const struct mvm_ctr *c, const struct mvm_log *log);
int ctr_set_hostname(const struct mvm_log *log, const char *name);
int ctr_loopback_up(const struct mvm_log *log);
int ctr_clone_flags(const struct mvm_ctr *c);

/* rootfs.c */
int ctr_overlay_prepare(struct mvm_ctr *c);
int ctr_rootfs_setup(const struct mvm_ctr *c, const struct mvm_log *log);

/* caps.c, seccomp.c */
int ctr_caps_drop(const struct mvm_log *log);
int ctr_seccomp_install(const struct mvm_log *log);

/* syscalls.c: the seccomp allowlist and the documented refusals. */
struct ctr_syscall {
	int nr;		  /* x86_64 system call number */
	const char *name; /* for documentation and `mvm ctr info` */
};
extern const struct ctr_syscall ctr_syscalls_allowed[];
extern const int ctr_syscalls_n_allowed;
extern const struct ctr_syscall ctr_syscalls_denied[];
extern const int ctr_syscalls_n_denied;

/* net.c */
int ctr_veth_parse(struct mvm_ctr *c);
int ctr_veth_create(struct mvm_ctr *c, pid_t pid);
int ctr_veth_configure_inside(const struct mvm_ctr *c,
			      const struct mvm_log *log);
void ctr_veth_destroy(struct mvm_ctr *c);

/* child.c */
int ctr_child_main(void *arg);

#endif
