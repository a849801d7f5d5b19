/*
 * bench_step.c - how fast does the debugger single-step, and what does a
 * redraw of the screen cost per step? (`make bench` runs it.)
 *
 * The guest is a real-mode loop that never exits by itself,
 *     1: inc ax; jmp 1b          (40 eb fd at 0x7c00)
 * so every step is one KVM_EXIT_DEBUG (KVM_GUESTDBG_SINGLESTEP, api.rst).
 * One session, one vCPU, measured five ways in interleaved rounds:
 *
 *   (a) bare:    KVM_SET_GUEST_DEBUG once, then ioctl(KVM_RUN) in a loop;
 *                each return is one step. The floor.
 *   (b) stepi N: one `stepi N` command (dbg_exec), what a batch script's
 *                `stepi 1000` costs per instruction: the stepping engine
 *                with its per-step work (HLT check, guest-debug setup, run
 *                deadline, registers re-read, the code window, the event
 *                log). The registers come back in kvm_run with the exit
 *                (KVM_CAP_SYNC_REGS, vm.h), no ioctl.
 *   (b') the same with that copy off (mvm_vcpu_set_sync_regs(0)): one
 *                KVM_GET_REGS and one KVM_GET_SREGS per step, what a KVM
 *                without the capability costs (there (b) is the same).
 *   (c) stepi:   N `stepi` commands, each also parsing the line and
 *                printing its status line, as batch mode does.
 *   (d) TUI:     (c) plus a full redraw of the 80x24 screen after each
 *                step (layout.c on an ncurses screen writing to
 *                /dev/null): what holding F7 costs.
 *
 * The goal is (b) at >= 0.8x the rate of (a); the figures are printed,
 * not asserted, since they depend on the machine. Medians of the rounds.
 *
 *   make bench      or   build/debugger/bench_step [-n STEPS] [-r ROUNDS]
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "session.h"
#include "tui.h"

#define DEFAULT_STEPS  2000
#define DEFAULT_ROUNDS 7
#define MAX_ROUNDS     51

enum method { BARE, STEPI_N, STEPI_N_IOCTL, STEPI, TUI, NMETHODS };

static const char *const method_name[] = {
	"(a) bare KVM_RUN single-step loop",
	"(b) mvmdbg `stepi N`",
	"(b') (b), registers by ioctl",
	"(c) mvmdbg `stepi`, one per command",
	"(d) (c) + TUI redraw (80x24)",
};
_Static_assert(sizeof(method_name) / sizeof(method_name[0]) == NMETHODS,
	       "one name per method");

static struct dbg_session s;
static struct dbg_tui tui;
static FILE *devnull;
static unsigned steps = DEFAULT_STEPS;

/* (a): nothing but KVM_RUN. */
static int bare(void)
{
	int fd = mvm_vcpu_fd(s.vcpu);
	struct kvm_run *run = mvm_vcpu_kvm_run(s.vcpu);
	if (mvm_vcpu_set_debug(s.vcpu, 1, NULL, 0))
		return -1;
	run->kvm_valid_regs = 0; /* no copies into kvm_run: the floor */
	for (unsigned i = 0; i < steps; i++)
		if (ioctl(fd, KVM_RUN, 0) < 0 ||
		    run->exit_reason != KVM_EXIT_DEBUG)
			return -1;
	mvm_vcpu_set_debug(s.vcpu, 0, NULL, 0);
	s.gdbg.valid = 0;	      /* the debugger sets it again */
	mvm_vcpu_forget_regs(s.vcpu); /* raw KVM_RUNs moved the guest */
	return dbg_session_refresh(&s);
}

/* (b'): `stepi N` with the registers read by ioctl after each step. */
static int stepi_ioctl(const char *cmd)
{
	int on = mvm_vcpu_sync_regs(s.vcpu);
	mvm_vcpu_set_sync_regs(s.vcpu, 0);
	int rc = dbg_exec(&s, cmd);
	mvm_vcpu_set_sync_regs(s.vcpu, on);
	return rc;
}

static int one_by_one(int draw)
{
	for (unsigned i = 0; i < steps; i++) {
		if (dbg_exec(&s, "stepi"))
			return -1;
		fprintf(devnull, "%s\n", s.status);
		if (draw)
			dbg_tui_draw(&tui);
	}
	return 0;
}

/* One round of one method: ns per step, or -1. */
static double one_round(enum method m)
{
	char cmd[32];
	snprintf(cmd, sizeof(cmd), "stepi %u", steps);
	uint64_t t0 = mvm_now_ns();
	int rc = m == BARE	      ? bare()
		 : m == STEPI_N	      ? dbg_exec(&s, cmd)
		 : m == STEPI_N_IOCTL ? stepi_ioctl(cmd)
				      : one_by_one(m == TUI);
	uint64_t t1 = mvm_now_ns();
	return rc ? -1 : (double)(t1 - t0) / steps;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, c = *(const double *)y;
	return (a > c) - (a < c);
}

/* A screen of our own on /dev/null, so the redraw does all its work
 * (ncurses computes and writes the update) without a terminal. */
static int fake_screen(void)
{
	FILE *in = fopen("/dev/null", "r");
	SCREEN *scr = in ? newterm("xterm-256color", devnull, in) : NULL;
	if (!scr)
		scr = in ? newterm("vt100", devnull, in) : NULL;
	if (!scr)
		return -1;
	set_term(scr);
	resizeterm(24, 80);
	dbg_tui_colors();
	tui.s = &s;
	tui.prompt = "(mvmdbg) ";
	return 0;
}

static int open_guest(char *path, size_t len)
{
	static const unsigned char loop[] = {0x40, 0xeb, 0xfd};
	snprintf(path, len, "/tmp/mvmdbg-bench-XXXXXX.bin");
	int fd = mkstemps(path, 4);
	if (fd < 0 || write(fd, loop, sizeof(loop)) != (ssize_t)sizeof(loop))
		return -1;
	close(fd);
	dbg_session_init(&s);
	s.stable = 1;
	return dbg_session_open(&s, path, MVM_MODE_REAL);
}

int main(int argc, char **argv)
{
	int rounds = DEFAULT_ROUNDS, c;
	while ((c = getopt(argc, argv, "n:r:")) != -1) {
		long v = strtol(optarg, NULL, 10);
		if (c == 'n' && v > 0 && v <= 1000000)
			steps = (unsigned)v;
		else if (c == 'r' && v > 0 && v <= MAX_ROUNDS)
			rounds = (int)v;
		else {
			fprintf(stderr, "usage: bench_step [-n STEPS] "
					"[-r ROUNDS (1..51)]\n");
			return 2;
		}
	}
	char path[64];
	devnull = fopen("/dev/null", "w");
	if (!devnull || open_guest(path, sizeof(path))) {
		printf("bench_step: skipped, cannot run a guest: %s\n",
		       s.status[0] ? s.status : "no /dev/kvm?");
		return 0;
	}
	unlink(path);
	if (fake_screen()) {
		printf("bench_step: skipped, no terminal description\n");
		return 0;
	}
	static double t[NMETHODS][MAX_ROUNDS];
	for (int r = -1; r < rounds; r++) /* round -1 warms up */
		for (int m = 0; m < NMETHODS; m++) {
			double v = one_round(m);
			if (v < 0) {
				endwin();
				fprintf(stderr, "bench_step: %s failed: %s\n",
					method_name[m], s.status);
				return 1;
			}
			if (r >= 0)
				t[m][r] = v;
		}
	endwin();
	printf("bench_step: %u single steps per round, median of %d rounds\n\n",
	       steps, rounds);
	printf("  %-38s %9s %9s %8s\n", "method", "ns/step", "steps/s",
	       "rate/(a)");
	double med[NMETHODS];
	for (int m = 0; m < NMETHODS; m++) {
		qsort(t[m], (size_t)rounds, sizeof(double), cmp_double);
		med[m] =
			rounds % 2
				? t[m][rounds / 2]
				: (t[m][rounds / 2 - 1] + t[m][rounds / 2]) / 2;
		printf("  %-38s %9.0f %9.0f %8.3f\n", method_name[m], med[m],
		       1e9 / med[m], med[BARE] / med[m]);
	}
	printf("\n  `stepi N` rate vs bare (b)/(a) = %.3f (goal >= 0.8: %s)\n",
	       med[BARE] / med[STEPI_N],
	       med[BARE] / med[STEPI_N] >= 0.8 ? "met" : "NOT met");
	printf("  registers from kvm_run (KVM_CAP_SYNC_REGS): %s; by ioctl "
	       "(b')-(b) = %.0f ns/step\n",
	       mvm_vcpu_sync_regs(s.vcpu) ? "yes" : "no (KVM lacks it)",
	       med[STEPI_N_IOCTL] - med[STEPI_N]);
	printf("  TUI redraw per step (d)-(c) = %.0f ns\n",
	       med[TUI] - med[STEPI]);
	dbg_session_close(&s);
	return 0;
}
