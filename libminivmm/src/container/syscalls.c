/*
 * syscalls.c - which system calls a container may make (seccomp.c).
 *
 * An allowlist: a call is allowed only if it is named in allowed[]; every
 * other call gets EPERM, including calls the kernel gains after this list
 * was written (the reason for an allowlist: a denylist silently allows
 * them). The list follows the shape of Docker's default seccomp profile
 * (moby's profiles/seccomp/default.json): what ordinary programs need
 * (files, memory, signals, processes, sockets, time, polling), minus
 * what changes or reaches outside the container. Names and numbers are
 * the kernel's x86_64 table (arch/x86/entry/syscalls/syscall_64.tbl);
 * what each call does is in its man page (syscalls(2)).
 *
 * Some allowed calls are checked further in seccomp.c's head[]: clone
 * (no CLONE_NEW* flags), ioctl (no TIOCSTI/TIOCLINUX), socket (no
 * AF_VSOCK, which reaches the host's hypervisor sockets), personality
 * (only the default persona or the query). Allowed calls that need a
 * capability (chown, mknod, setuid, ...) are still bounded by the
 * capabilities the container keeps (caps.c).
 *
 * denied[] is not what the filter runs (nothing outside allowed[] runs);
 * it names the refusals that matter, with why, for `mvm ctr info`, the
 * docs and the escape tests, which try each one from inside a container.
 * A test checks that no denied[] call is in allowed[].
 *
 * Lab 5 does not edit this file.
 */
#include <sys/syscall.h>

#include "ctr_internal.h"

#define S(name)                    \
	{                          \
		__NR_##name, #name \
	}

/* clang-format off */
const struct ctr_syscall ctr_syscalls_allowed[] = {
	/* Files and directories. */
	S(read), S(write), S(open), S(close), S(stat), S(fstat), S(lstat),
	S(lseek), S(pread64), S(pwrite64), S(readv), S(writev), S(access),
	S(pipe), S(dup), S(dup2), S(sendfile), S(fcntl), S(flock), S(fsync),
	S(fdatasync), S(truncate), S(ftruncate), S(getdents), S(getcwd),
	S(chdir), S(fchdir), S(rename), S(mkdir), S(rmdir), S(creat), S(link),
	S(unlink), S(symlink), S(readlink), S(chmod), S(fchmod), S(chown),
	S(fchown), S(lchown), S(umask), S(utime), S(mknod), S(statfs),
	S(fstatfs), S(chroot), S(sync), S(readahead), S(setxattr),
	S(lsetxattr), S(fsetxattr), S(getxattr), S(lgetxattr), S(fgetxattr),
	S(listxattr), S(llistxattr), S(flistxattr), S(removexattr),
	S(lremovexattr), S(fremovexattr), S(getdents64), S(fadvise64),
	S(utimes), S(openat), S(mkdirat), S(mknodat), S(fchownat),
	S(futimesat), S(newfstatat), S(unlinkat), S(renameat), S(linkat),
	S(symlinkat), S(readlinkat), S(fchmodat), S(faccessat), S(splice),
	S(tee), S(sync_file_range), S(vmsplice), S(utimensat), S(fallocate),
	S(dup3), S(pipe2), S(preadv), S(pwritev), S(syncfs), S(renameat2),
	S(copy_file_range), S(preadv2), S(pwritev2), S(statx), S(close_range),
	S(openat2), S(faccessat2),
	/* Memory. */
	S(mmap), S(mprotect), S(munmap), S(brk), S(mremap), S(msync),
	S(mincore), S(madvise), S(mlock), S(munlock), S(mlockall),
	S(munlockall), S(memfd_create), S(membarrier), S(mlock2),
	S(pkey_mprotect), S(pkey_alloc), S(pkey_free),
	/* System V and POSIX IPC (namespaced by the IPC namespace). */
	S(shmget), S(shmat), S(shmctl), S(shmdt), S(semget), S(semop),
	S(semctl), S(semtimedop), S(msgget), S(msgsnd), S(msgrcv), S(msgctl),
	S(mq_open), S(mq_unlink), S(mq_timedsend), S(mq_timedreceive),
	S(mq_notify), S(mq_getsetattr),
	/* Signals. */
	S(rt_sigaction), S(rt_sigprocmask), S(rt_sigreturn), S(pause),
	S(kill), S(rt_sigpending), S(rt_sigtimedwait), S(rt_sigqueueinfo),
	S(rt_sigsuspend), S(sigaltstack), S(tkill), S(tgkill),
	S(rt_tgsigqueueinfo), S(signalfd), S(signalfd4), S(pidfd_send_signal),
	S(pidfd_open),
	/* Processes and threads (clone: flags checked in seccomp.c). */
	S(clone), S(fork), S(vfork), S(execve), S(execveat), S(exit),
	S(exit_group), S(wait4), S(waitid), S(set_tid_address),
	S(set_robust_list), S(get_robust_list), S(futex), S(futex_waitv),
	S(restart_syscall), S(rseq), S(arch_prctl), S(prctl), S(seccomp),
	S(personality),
	/* Identity, groups, limits, scheduling (bounded by capabilities). */
	S(getpid), S(getppid), S(gettid), S(getuid), S(geteuid), S(getgid),
	S(getegid), S(setuid), S(setgid), S(setreuid), S(setregid),
	S(setresuid), S(getresuid), S(setresgid), S(getresgid), S(setfsuid),
	S(setfsgid), S(getgroups), S(setgroups), S(setpgid), S(getpgid),
	S(getpgrp), S(setsid), S(getsid), S(capget), S(capset), S(getrlimit),
	S(setrlimit), S(prlimit64), S(getrusage), S(getpriority),
	S(setpriority), S(sched_yield), S(sched_setparam),
	S(sched_getparam), S(sched_setscheduler), S(sched_getscheduler),
	S(sched_get_priority_max), S(sched_get_priority_min),
	S(sched_rr_get_interval), S(sched_setaffinity),
	S(sched_getaffinity), S(sched_setattr), S(sched_getattr), S(getcpu),
	/* The machine, read-only. */
	S(uname), S(sysinfo), S(times), S(getrandom), S(ioprio_get),
	S(ioprio_set), S(get_mempolicy),
	/* Time and timers. */
	S(nanosleep), S(getitimer), S(alarm), S(setitimer), S(gettimeofday),
	S(time), S(timer_create), S(timer_settime), S(timer_gettime),
	S(timer_getoverrun), S(timer_delete), S(clock_gettime),
	S(clock_getres), S(clock_nanosleep), S(timerfd_create),
	S(timerfd_settime), S(timerfd_gettime),
	/* Polling and events. */
	S(poll), S(select), S(pselect6), S(ppoll), S(epoll_create),
	S(epoll_create1), S(epoll_wait), S(epoll_pwait), S(epoll_pwait2),
	S(epoll_ctl), S(eventfd), S(eventfd2), S(inotify_init),
	S(inotify_init1), S(inotify_add_watch), S(inotify_rm_watch),
	/* Asynchronous I/O (the old interface; io_uring is denied). */
	S(io_setup), S(io_destroy), S(io_getevents), S(io_submit),
	S(io_cancel), S(io_pgetevents),
	/* Sockets (socket: family checked in seccomp.c). */
	S(socket), S(connect), S(accept), S(accept4), S(sendto), S(recvfrom),
	S(sendmsg), S(recvmsg), S(sendmmsg), S(recvmmsg), S(shutdown),
	S(bind), S(listen), S(getsockname), S(getpeername), S(socketpair),
	S(setsockopt), S(getsockopt),
	/* Terminals and devices (ioctl: TIOCSTI/TIOCLINUX refused). */
	S(ioctl),
};
const int ctr_syscalls_n_allowed =
	sizeof(ctr_syscalls_allowed) / sizeof(ctr_syscalls_allowed[0]);

const struct ctr_syscall ctr_syscalls_denied[] = {
	/* Replace, extend or stop the (shared) kernel. */
	S(kexec_load), S(kexec_file_load), S(init_module), S(finit_module),
	S(delete_module), S(reboot),
	/* Large attack surfaces most programs never need. */
	S(bpf), S(perf_event_open), S(userfaultfd), S(io_uring_setup),
	S(io_uring_enter), S(io_uring_register), S(modify_ldt),
	/* Kernel keyrings are not namespaced. */
	S(keyctl), S(add_key), S(request_key),
	/* Mounts happen only during setup, old and new mount API alike. */
	S(mount), S(umount2), S(pivot_root), S(fsopen), S(fsmount),
	S(fsconfig), S(fspick), S(open_tree), S(move_mount), S(mount_setattr),
	/* No nested namespaces (clone's flags are checked in head[]). */
	S(unshare), S(setns),
	/* No tracing of, or reaching into, other processes. */
	S(ptrace), S(process_vm_readv), S(process_vm_writev), S(kcmp),
	S(pidfd_getfd), S(process_madvise),
	/* File handles bypass the mount tree ("shocker", 2014). */
	S(open_by_handle_at), S(name_to_handle_at),
	/* Host-wide state: swap, accounting, kernel log, clocks, quotas,
	 * NUMA placement, file-system watches of the whole host. */
	S(swapon), S(swapoff), S(acct), S(syslog), S(settimeofday),
	S(clock_settime), S(clock_adjtime), S(adjtimex), S(quotactl),
	S(vhangup), S(mbind), S(set_mempolicy), S(migrate_pages),
	S(move_pages), S(fanotify_init), S(lookup_dcookie),
	/* Raw port I/O. */
	S(iopl), S(ioperm),
	/* Obsolete calls with old bugs. */
	S(uselib), S(ustat), S(sysfs), S(_sysctl),
};
/* clang-format on */
const int ctr_syscalls_n_denied =
	sizeof(ctr_syscalls_denied) / sizeof(ctr_syscalls_denied[0]);
