/*
 * seccomp.c - a system call filter: the last line of defence.
 *
 * Namespaces hide things and capabilities remove powers, but every system
 * call still reaches the host kernel, so every kernel bug is reachable
 * from inside a container. seccomp (seccomp(2), kernel Documentation/
 * userspace-api/seccomp_filter.rst) runs a small classic-BPF program on
 * each system call; the program sees struct seccomp_data (arch, number,
 * arguments) and returns a verdict. Ours is an allowlist, as Docker's
 * default profile is: what is not allowed is refused, so a system call
 * the kernel gains next year is refused too.
 *
 *   arch != x86_64                  -> kill (i386 via int 0x80 has other
 *                                      numbers: 11 is execve there)
 *   nr has the x32 bit (0x40000000) -> EPERM (same calls, other numbers)
 *   clone3                          -> ENOSYS (its flags are in memory a
 *                                      filter cannot read; libc falls back
 *                                      to clone, whose flags we can check)
 *   clone with a CLONE_NEW* flag    -> EPERM (no nested namespaces)
 *   ioctl TIOCSTI or TIOCLINUX      -> EPERM (terminal injection, below)
 *   socket(AF_VSOCK, ...)           -> EPERM (the host's hypervisor sockets)
 *   personality(p), p not 0 or the
 *   query 0xffffffff                -> EPERM (READ_IMPLIES_EXEC and the
 *                                      like weaken the container's memory)
 *   nr above the newest call known
 *   when this list was written      -> ENOSYS (libc then falls back to an
 *                                      older call; EPERM would stop it)
 *   a call in allowed[]             -> allow
 *   anything else                   -> EPERM
 *
 * allowed[] and the documented refusals denied[] (modify_ldt, kcmp,
 * pidfd_getfd, mount, unshare, setns, keyctl, bpf, ptrace, ...) are in
 * syscalls.c, with their sources. The program is head[] (32
 * instructions) plus two per allowed call (278 calls): 589 instructions.
 * A call walks the list until its number matches; the list starts with
 * read and write, the most frequent calls, so they pay least (measured
 * on a loaded nested-KVM host: read within noise of no filter, a call
 * near the end about 0.2-0.3 us more).
 *
 * Installing a filter needs no_new_privs (prctl(2) PR_SET_NO_NEW_PRIVS)
 * unless we have CAP_SYS_ADMIN: otherwise a set-user-ID program could be
 * started under a filter that makes it misbehave. We set it anyway: it
 * also stops set-user-ID programs from gaining privileges in the container.
 * Lab 5, task 4 (capabilities and seccomp) is cut from this file.
 * Students edit only the "LAB 5:" stubs; keep the function signatures
 * and the tables in syscalls.c, which the tests check against.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "ctr_internal.h"

#if !defined(__x86_64__)
#error "seccomp.c: the filter is written for x86_64 system call numbers"
#endif

#define X32_SYSCALL_BIT 0x40000000u
#define CLONE_NS_FLAGS                                               \
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | \
	 CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP)

/* Newest x86_64 system call this filter knows (syscall_64.tbl; Linux
 * 5.17). Numbers above it get ENOSYS, see the table above. */
#define NEWEST_KNOWN_NR 450
/* Room for head[] and two instructions per allowed call; the kernel's
 * limit is BPF_MAXINSNS (4096). */
#define PROG_MAX	1024

const char *const *mvm_ctr_denied_syscalls(int *n)
{
	static const char *names[128];
	int i;

	for (i = 0; i < ctr_syscalls_n_denied && i < 128; i++)
		names[i] = ctr_syscalls_denied[i].name;
	*n = i;
	return names;
}

const char *const *mvm_ctr_allowed_syscalls(int *n)
{
	static const char *names[PROG_MAX / 2];
	int i;

	for (i = 0; i < ctr_syscalls_n_allowed && i < PROG_MAX / 2; i++)
		names[i] = ctr_syscalls_allowed[i].name;
	*n = i;
	return names;
}

/* Instruction helpers, as in seccomp_filter.rst's examples. */
#define LOAD(off)     BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define RET(v)	      BPF_STMT(BPF_RET | BPF_K, (v))
#define JEQ(k, t, f)  BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))
#define JGE(k, t, f)  BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (k), (t), (f))
#define JGT(k, t, f)  BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (k), (t), (f))
#define JSET(k, t, f) BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, (k), (t), (f))
#define EPERM_RET     RET(SECCOMP_RET_ERRNO | EPERM)
#define NR_OFF	      offsetof(struct seccomp_data, nr)
/* Low 32 bits of argument i (x86_64 is little-endian). */
#define ARG_LO(i)     offsetof(struct seccomp_data, args[i])

/*
 * TTY injection. ioctl(fd, TIOCSTI, &c) pushes c into a terminal's input
 * queue as if typed (TIOCLINUX can paste a virtual console's selection).
 * A container run from a shell shares that shell's terminal, so it could
 * type commands the *host* shell runs once the container is gone
 * (CVE-2016-7545, CVE-2017-5226). Linux 6.2 added the sysctl
 * dev.tty.legacy_tiocsti to turn TIOCSTI off, but many kernels keep it
 * on. cmd is args[1]; the kernel reads it as an unsigned int, so its low
 * 32 bits, which LOAD reads, are all of it.
 */

/* The fixed head of the program; the allowlist follows it, with the
 * call number loaded. */
/* [slide:seccomp-head] */
static const struct sock_filter head[] = {
	LOAD(offsetof(struct seccomp_data, arch)),
	JEQ(AUDIT_ARCH_X86_64, 1, 0),
	RET(SECCOMP_RET_KILL_PROCESS),
	LOAD(NR_OFF),
	JGE(X32_SYSCALL_BIT, 0, 1),
	EPERM_RET,
	JEQ(__NR_clone3, 0, 1),
	RET(SECCOMP_RET_ERRNO | ENOSYS),
	JEQ(__NR_clone, 0, 3),
	/* clone(flags, ...): flags is args[0]; its low 32 bits hold the
	 * CLONE_NEW* flags (x86_64 is little-endian). */
	LOAD(ARG_LO(0)),
	JSET(CLONE_NS_FLAGS, 0, 1),
	EPERM_RET,
	/* [/slide:seccomp-head] */
	LOAD(NR_OFF),
	/* ioctl(fd, TIOCSTI or TIOCLINUX, ...): see TTY injection above. */
	JEQ(__NR_ioctl, 0, 5),
	LOAD(ARG_LO(1)),
	JEQ(TIOCSTI, 1, 0),
	JEQ(TIOCLINUX, 0, 1),
	EPERM_RET,
	LOAD(NR_OFF),
	/* socket(AF_VSOCK, ...): the domain is an int, args[0]'s low half */
	JEQ(__NR_socket, 0, 4),
	LOAD(ARG_LO(0)),
	JEQ(AF_VSOCK, 0, 1),
	EPERM_RET,
	LOAD(NR_OFF),
	/* personality(persona): the kernel takes an unsigned int */
	JEQ(__NR_personality, 0, 5),
	LOAD(ARG_LO(0)),
	JEQ(0, 2, 0),		/* PER_LINUX */
	JEQ(0xffffffffu, 1, 0), /* query only */
	EPERM_RET,
	LOAD(NR_OFF),
	/* newer than this list: ENOSYS so libc falls back */
	JGT(NEWEST_KNOWN_NR, 0, 1),
	RET(SECCOMP_RET_ERRNO | ENOSYS),
};

#define HEAD_LEN (sizeof(head) / sizeof(head[0]))

int ctr_seccomp_install(const struct mvm_log *log)
{
	struct sock_filter prog[PROG_MAX];
	struct sock_fprog fprog = {.filter = prog};
	size_t i, n = 0;
	int err;

	if (HEAD_LEN + 2 * (size_t)ctr_syscalls_n_allowed + 1 > PROG_MAX) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "seccomp: %d allowed calls do not fit PROG_MAX",
			 ctr_syscalls_n_allowed);
		return -E2BIG; /* a longer syscalls.c needs a larger PROG_MAX */
	}
	/* LAB(5, seccomp) BEGIN */
	for (i = 0; i < HEAD_LEN; i++)
		prog[n++] = head[i];
	for (i = 0; i < (size_t)ctr_syscalls_n_allowed; i++) {
		/* if (nr == allowed[i].nr) return ALLOW; */
		struct sock_filter jeq =
			JEQ((unsigned)ctr_syscalls_allowed[i].nr, 0, 1);
		struct sock_filter ret = RET(SECCOMP_RET_ALLOW);

		prog[n++] = jeq;
		prog[n++] = ret;
	}
	prog[n++] = (struct sock_filter)EPERM_RET;
	/* LAB(5) STUB
	// LAB 5: build the program: copy head[], then for each
	// ctr_syscalls_allowed[] entry a JEQ on its number followed by
	// RET(SECCOMP_RET_ALLOW), then EPERM_RET for everything else.
	// Count the instructions in n.
	// Hint: seccomp_filter.rst; BPF jump offsets count instructions.
	(void)i; (void)head;
	prog[n++] = (struct sock_filter)RET(SECCOMP_RET_ALLOW);
	LAB(5) END */
	fprog.len = (unsigned short)n;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		err = -errno;
		mvm_logf(log, MVM_LOG_ERROR, "seccomp: set no_new_privs: %s",
			 strerror(-err));
		return err;
	}
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) < 0) {
		err = -errno;
		mvm_logf(log, MVM_LOG_ERROR, "seccomp: install filter: %s",
			 strerror(-err));
		return err;
	}
	return 0;
}
