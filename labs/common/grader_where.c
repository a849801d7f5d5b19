/*
 * grader_where.c - where a hung test was when the grader gave up on it.
 *
 * "Test X hung" is true but not much help; "it was in mvm_bus_find() at
 * libminivmm/src/core/bus.c:81" points at the loop. Before killing a test
 * past its deadline the grader stops it with ptrace (PTRACE_SEIZE and
 * PTRACE_INTERRUPT, ptrace(2); a parent may trace its own child), reads
 * the instruction pointer of its main thread, finds the mapping that
 * holds it in /proc/PID/maps (proc(5)) and asks addr2line(1) for the
 * function and line. Anything that fails leaves the answer empty: the
 * grader then says only which task's code hung.
 */
#include "grader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

/* The instruction pointer of pid, stopped for a moment; 0 if unknown. */
static unsigned long long stopped_rip(pid_t pid)
{
	struct user_regs_struct regs;
	unsigned long long rip = 0;
	int st;

	if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0)
		return 0;
	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) == 0) {
		/* A task in an uninterruptible sleep does not stop: wait at
		 * most ~200 ms, then give up. */
		for (int i = 0; i < 20; i++) {
			pid_t w = waitpid(pid, &st, WNOHANG | __WALL);

			if (w == pid && WIFSTOPPED(st)) {
				if (ptrace(PTRACE_GETREGS, pid, 0, &regs) == 0)
					rip = regs.rip;
				break;
			}
			if (w != 0)
				break;
			usleep(10000);
		}
	}
	ptrace(PTRACE_DETACH, pid, 0, 0);
	return rip;
}

/* The file mapped at rip and rip's address within it as the ELF file
 * counts (a PIE's vaddr is the offset from its first mapping). */
static int find_mapping(pid_t pid, unsigned long long rip, char *file,
			size_t len, unsigned long long *vaddr)
{
	char path[64], line[4096];
	unsigned long long base = 0;
	char base_file[4096] = "";
	FILE *f;
	int found = -1;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (found < 0 && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi, off;
		char name[4096] = "";

		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %4095s", &lo, &hi,
			   &off, name) < 3 ||
		    name[0] != '/')
			continue;
		if (strcmp(name, base_file) != 0) {
			snprintf(base_file, sizeof(base_file), "%s", name);
			base = lo - off;
		}
		if (rip >= lo && rip < hi) {
			snprintf(file, len, "%s", name);
			*vaddr = rip - base;
			found = 0;
		}
	}
	fclose(f);
	return found;
}

void grade_where(pid_t pid, const char *prog, char *where, size_t len)
{
	unsigned long long rip = stopped_rip(pid), vaddr = 0;
	char file[4096], cmd[8400], fn[256] = "", at[512] = "";
	char *self = realpath(prog, NULL); /* maps names files in full */
	int in_prog;
	FILE *p;

	where[0] = '\0';
	if (!rip || find_mapping(pid, rip, file, sizeof(file), &vaddr) < 0) {
		free(self);
		return;
	}
	in_prog = self && strcmp(file, self) == 0;
	free(self);
	if (!in_prog) {
		/* In the C library or the kernel's vDSO: a system call that
		 * did not return (KVM_RUN with a looping guest, a read). */
		snprintf(where, len,
			 "waiting in a system call (in %s): a wait that never "
			 "ends, or a guest that never exits?",
			 strrchr(file, '/') ? strrchr(file, '/') + 1 : file);
		return;
	}
	snprintf(cmd, sizeof(cmd), "addr2line -f -e '%s' 0x%llx 2>/dev/null",
		 file, vaddr);
	p = popen(cmd, "r");
	if (!p)
		return;
	if (fgets(fn, sizeof(fn), p) && fgets(at, sizeof(at), p)) {
		fn[strcspn(fn, "\n")] = '\0';
		at[strcspn(at, " \n")] = '\0';
		if (strncmp(at, MVM_SRC_DIR "/", strlen(MVM_SRC_DIR) + 1) == 0)
			memmove(at, at + strlen(MVM_SRC_DIR) + 1,
				strlen(at + strlen(MVM_SRC_DIR) + 1) + 1);
		if (fn[0] && fn[0] != '?')
			snprintf(where, len, "in %s() at %s", fn, at);
	}
	pclose(p);
}
