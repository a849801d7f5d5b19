/*
 * syscalls.c - try system calls from inside a container and report what
 * the kernel answered. Run by the Lab 5 grader (test_privileges.c) twice:
 * once without the seccomp filter (the control) and once with it, both
 * with every capability kept, so a difference is the filter's doing.
 *
 *   syscall-probe
 *
 * prints one "GROUP:name=RESULT" line per attempt, where GROUP is
 *   r  a call the container must not make (the filter must refuse it),
 *   o  an ordinary call every program makes (it must keep working),
 * and RESULT is "ok", "EPERM", "ENOSYS", "errno:N" or "killed:SIG".
 * Each attempt runs in its own child process, so a filter that kills
 * (SECCOMP_RET_KILL_PROCESS) stops that attempt only.
 *
 * Every argument is chosen so that the call, if it is allowed, fails
 * harmlessly or does nothing that outlives the child (a bogus file
 * system type, a missing path, fd -1, an invalid flag): the control run
 * keeps all capabilities and must not touch the host. The "allowlist"
 * rows are calls no denylist names (unimplemented entries such as
 * tuxcall, which answer ENOSYS unfiltered): only a filter that refuses
 * what it does not list returns EPERM for them.
 *
 * Built static (no libc in the busybox rootfs) by lab.mk.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOPATH	"/nonexistent-mvm-probe"
#define X32_BIT 0x40000000L

/* i386 getpid (number 20 in the i386 table) through int 0x80: a
 * foreign-architecture call, which the filter must kill. */
static long int80_getpid(void)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(20L)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret < 0 && ret > -4096 ? (errno = (int)-ret, -1) : ret;
}

static long clone_newns(void)
{
	long pid = syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0);

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	return pid < 0 ? -1 : 0;
}

static long pidfd_getfd_self(void)
{
	long pidfd = syscall(SYS_pidfd_open, getpid(), 0);

	if (pidfd < 0)
		return 0; /* no pidfds: nothing to test, report "ok" */
	return syscall(SYS_pidfd_getfd, pidfd, 0, 0);
}

static long fork_and_wait(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	return pid < 0 ? -1 : waitpid(pid, NULL, 0);
}

static long read_file(void)
{
	char buf[16];
	int fd = open("/etc/minivmm-rootfs", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	return read(fd, buf, sizeof(buf)) < 0 ? -1 : close(fd);
}

static long anon_mmap(void)
{
	void *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? -1 : munmap(p, 8192);
}

static long misc_ordinary(int which)
{
	struct timespec ts = {0, 1000};
	struct utsname u;
	int fds[2];
	char rnd[8];

	switch (which) {
	case 0:
		return clock_gettime(CLOCK_MONOTONIC, &ts);
	case 1:
		return nanosleep(&ts, NULL);
	case 2:
		return uname(&u);
	case 3:
		return pipe2(fds, O_CLOEXEC);
	case 4:
		return socket(AF_UNIX, SOCK_STREAM, 0);
	case 5:
		return syscall(SYS_getrandom, rnd, sizeof(rnd), 0);
	default:
		return syscall(SYS_personality, 0xffffffffUL); /* query */
	}
}

struct attempt {
	char group; /* 'r' must be refused, 'o' must work */
	const char *name;
	long (*fn)(void);
};

/* One function per attempt, so each is one line in the table. */
#define TRY(n, expr)                 \
	static long try_##n(void)    \
	{                            \
		return (long)(expr); \
	}
TRY(mount, syscall(SYS_mount, "none", NOPATH, "mvm-bogus-fs", 0L, NULL))
TRY(umount2, syscall(SYS_umount2, NOPATH, 0))
TRY(pivot_root, syscall(SYS_pivot_root, NOPATH, NOPATH))
TRY(unshare, syscall(SYS_unshare, 0))
TRY(setns, syscall(SYS_setns, -1, 0))
TRY(keyctl, syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3, 0))
TRY(add_key, syscall(SYS_add_key, "user", NULL, NULL, 0, -1234))
TRY(request_key, syscall(SYS_request_key, "user", NULL, NULL, 0))
TRY(bpf, syscall(SYS_bpf, 9999, NULL, 0))
TRY(perf_event_open, syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0))
TRY(ptrace, syscall(SYS_ptrace, 12345, 0, NULL, NULL))
TRY(process_vm_readv,
    syscall(SYS_process_vm_readv, getpid(), NULL, 0, NULL, 0, 0))
TRY(process_vm_writev,
    syscall(SYS_process_vm_writev, getpid(), NULL, 0, NULL, 0, 0))
TRY(open_by_handle_at, syscall(SYS_open_by_handle_at, -1, NULL, 0))
TRY(init_module, syscall(SYS_init_module, NULL, 0, ""))
TRY(finit_module, syscall(SYS_finit_module, -1, "", 0))
TRY(delete_module, syscall(SYS_delete_module, "mvm_no_such_mod", O_NONBLOCK))
TRY(kexec_load, syscall(SYS_kexec_load, 0, 0, NULL, 0x7fff0000L))
TRY(kexec_file_load, syscall(SYS_kexec_file_load, -1, -1, 0, "", 0))
TRY(reboot, syscall(SYS_reboot, 0, 0, 0, NULL))
TRY(swapon, syscall(SYS_swapon, NOPATH, 0))
TRY(swapoff, syscall(SYS_swapoff, NOPATH))
TRY(userfaultfd, syscall(SYS_userfaultfd, O_CLOEXEC))
TRY(io_uring_setup, syscall(SYS_io_uring_setup, 0, NULL))
TRY(modify_ldt, syscall(SYS_modify_ldt, 0, (char[16]){0}, 16))
TRY(kcmp, syscall(SYS_kcmp, getpid(), getpid(), 0, 0, 0))
TRY(pidfd_getfd, pidfd_getfd_self())
TRY(socket_vsock, socket(40 /* AF_VSOCK */, SOCK_STREAM, 0))
TRY(personality, syscall(SYS_personality, 0x0400000UL))
TRY(clone_newns, clone_newns())
TRY(ioctl_tiocsti, ioctl(-1, TIOCSTI, "#"))
TRY(x32_getpid, syscall(X32_BIT | SYS_getpid))
TRY(i386_getpid, int80_getpid())
TRY(tuxcall, syscall(184))
TRY(security, syscall(185))
TRY(vserver, syscall(236))
TRY(remap_file_pages, syscall(SYS_remap_file_pages, NULL, 0, 0, 0, 0))
TRY(sysfs, syscall(SYS_sysfs, 3))
TRY(process_mrelease, syscall(448 /* process_mrelease */, -1, 0))
TRY(getpid, getpid())
TRY(read_file, read_file())
TRY(mmap, anon_mmap())
TRY(fork, fork_and_wait())
TRY(clock_gettime, misc_ordinary(0))
TRY(nanosleep, misc_ordinary(1))
TRY(uname, misc_ordinary(2))
TRY(pipe2, misc_ordinary(3))
TRY(socket_unix, misc_ordinary(4))
TRY(getrandom, misc_ordinary(5))
TRY(personality_query, misc_ordinary(6))
TRY(no_new_privs, prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0))

#define R(n)                     \
	{                        \
		'r', #n, try_##n \
	}
#define O(n)                     \
	{                        \
		'o', #n, try_##n \
	}
static const struct attempt attempts[] = {
	R(mount),
	R(umount2),
	R(pivot_root),
	R(unshare),
	R(setns),
	R(keyctl),
	R(add_key),
	R(request_key),
	R(bpf),
	R(perf_event_open),
	R(ptrace),
	R(process_vm_readv),
	R(process_vm_writev),
	R(open_by_handle_at),
	R(init_module),
	R(finit_module),
	R(delete_module),
	R(kexec_load),
	R(kexec_file_load),
	R(reboot),
	R(swapon),
	R(swapoff),
	R(userfaultfd),
	R(io_uring_setup),
	R(modify_ldt),
	R(kcmp),
	R(pidfd_getfd),
	R(socket_vsock),
	R(personality),
	R(clone_newns),
	R(ioctl_tiocsti),
	R(x32_getpid),
	R(i386_getpid),
	R(tuxcall),
	R(security),
	R(vserver),
	R(remap_file_pages),
	R(sysfs),
	R(process_mrelease),
	O(getpid),
	O(read_file),
	O(mmap),
	O(fork),
	O(clock_gettime),
	O(nanosleep),
	O(uname),
	O(pipe2),
	O(socket_unix),
	O(getrandom),
	O(personality_query),
	O(no_new_privs),
};

/* Run one attempt in a child; the child sends back errno (0 = ok). */
static void run(const struct attempt *a)
{
	int p[2], status, code = -1;
	pid_t pid;

	if (pipe(p) < 0 || (pid = fork()) < 0) {
		printf("%c:%s=nofork\n", a->group, a->name);
		return;
	}
	if (pid == 0) {
		long r;

		close(p[0]);
		errno = 0;
		r = a->fn();
		code = r < 0 ? errno : 0;
		if (write(p[1], &code, sizeof(code)) < 0)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &code, sizeof(code)) != sizeof(code))
		code = -1;
	close(p[0]);
	waitpid(pid, &status, 0);
	if (code < 0 && WIFSIGNALED(status))
		printf("%c:%s=killed:%d\n", a->group, a->name,
		       WTERMSIG(status));
	else if (code == 0)
		printf("%c:%s=ok\n", a->group, a->name);
	else if (code == EPERM)
		printf("%c:%s=EPERM\n", a->group, a->name);
	else if (code == ENOSYS)
		printf("%c:%s=ENOSYS\n", a->group, a->name);
	else
		printf("%c:%s=errno:%d\n", a->group, a->name, code);
	fflush(stdout);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++)
		run(&attempts[i]);
	printf("probe-done\n");
	return 0;
}
