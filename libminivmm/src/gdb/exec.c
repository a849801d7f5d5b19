/*
 * exec.c - continue and step: run steps of vCPU 0 until something stops
 * it, then tell gdb why (a stop reply, gdb manual "Stop Reply Packets").
 *
 *   T05hwbreak:;   a hardware breakpoint (KVM_EXIT_DEBUG, DR6.B0-B3)
 *   T05            a single step done, or `monitor break-exit` matched
 *   T02            gdb's Ctrl-C (SIGINT) stopped the guest
 *   T0b            the guest failed (triple fault, emulation error):
 *                  its state can still be read; it cannot run again
 *   W00 / W01      the guest finished (ucall DONE, HLT) / cannot go on
 *
 * Stepping uses KVM_GUESTDBG_SINGLESTEP, breakpoints DR0-DR3 (vm.h). As
 * on hardware, a breakpoint fires before its instruction and again on
 * resume (Intel SDM Vol. 3B 18.3.1.1), so continuing from one first
 * steps over it with breakpoints off. Two backend facts (quirks.h):
 * with MVM_QUIRK_STEP_SKIPS_HLT a step runs over HLT without a HLT exit,
 * so a HLT at RIP is reported before stepping; and with
 * MVM_QUIRK_NO_RING3_DEBUG ring-3 code runs natively, where KVM's debug
 * exits do not reach us (the #DB goes to the guest): a step at CPL 3 is
 * refused with a message instead of hanging.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "gdb_internal.h"

#define HLT_OPCODE 0xf4
#define STEP_EXITS 100000 /* exits one instruction may cause (rep outs) */
#define SIG_INT	   2	  /* gdb's signal numbers (include/gdb/signals.def) */
#define SIG_TRAP   5
#define SIG_SEGV   11

int mvm_gdb_stop_reply(struct mvm_gdb *g, int signo)
{
	if (g->ended)
		return mvm_gdb_sendf(
			g, "W%02x", g->ended == MVM_GDB_GUEST_DONE + 1 ? 0 : 1);
	return mvm_gdb_sendf(g, "T%02xthread:1;", signo);
}

static int msgf(struct mvm_gdb *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int msgf(struct mvm_gdb *g, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return mvm_gdb_console(g, buf);
}

/* Does exit e match `monitor break-exit`? */
static int break_exit_hit(const struct mvm_gdb *g, const struct mvm_exit *e)
{
	if (g->break_exit == GDB_BREAK_EXIT_NONE ||
	    e->reason == KVM_EXIT_INTR || e->reason == KVM_EXIT_DEBUG)
		return 0;
	if (g->break_exit == GDB_BREAK_EXIT_ANY)
		return 1;
	if (g->break_exit == KVM_EXIT_IO && e->reason == KVM_EXIT_IO)
		return 1;
	if (g->break_exit == KVM_EXIT_X86_RDMSR)
		return e->reason == KVM_EXIT_X86_RDMSR ||
		       e->reason == KVM_EXIT_X86_WRMSR;
	return (int)e->reason == g->break_exit;
}

/*
 * An exit that ends the resume, or 0 to go on. Finished and failed
 * guests, break-exit matches and breakpoints stop; everything else
 * (I/O a device handled, a kick without Ctrl-C) goes on.
 */
static int after_exit(struct mvm_gdb *g, int rc, const struct mvm_exit *e,
		      enum mvm_verdict v, int stepping)
{
	char d[160], ex[1024];

	if (rc == 0) {
		g->last = *e;
		g->have_last = 1;
	}
	if (v == MVM_DONE) {
		g->ended = MVM_GDB_GUEST_DONE + 1;
		mvm_exit_describe(e, d, sizeof(d));
		msgf(g, "minivmm: the guest finished (%s)\n", d);
		return mvm_gdb_stop_reply(g, 0) < 0 ? -EPIPE : 1;
	}
	if (v == MVM_FAILED) {
		g->dead = 1;
		if (rc < 0)
			snprintf(ex, sizeof(ex), "KVM_RUN failed: %s",
				 strerror(-rc));
		else
			mvm_exit_explain(e, ex, sizeof(ex));
		msgf(g, "minivmm: the guest failed: %s\n", ex);
		return mvm_gdb_stop_reply(g, SIG_SEGV) < 0 ? -EPIPE : 1;
	}
	if (rc == 0 && break_exit_hit(g, e)) {
		mvm_exit_describe(e, d, sizeof(d));
		msgf(g, "minivmm: break-exit: exit #%llu %s\n",
		     (unsigned long long)e->seq, d);
		return mvm_gdb_stop_reply(g, SIG_TRAP) < 0 ? -EPIPE : 1;
	}
	if (rc == 0 && e->reason == KVM_EXIT_DEBUG) {
		int hw = !stepping && (e->u.debug.dr6 & 0xf);
		return mvm_gdb_sendf(g, "T05%sthread:1;",
				     hw ? "hwbreak:;" : "") < 0
			       ? -EPIPE
			       : 1;
	}
	return 0;
}

static int load(struct mvm_gdb *g, struct kvm_regs *r, struct kvm_sregs *s)
{
	int rc = mvm_vcpu_get_regs(g->vcpu, r);
	return rc ? rc : mvm_vcpu_get_sregs(g->vcpu, s);
}

/* The byte at the linear address of RIP, through the page walker. */
static int byte_at_pc(struct mvm_gdb *g, const struct kvm_sregs *s,
		      const struct kvm_regs *r, uint8_t *op)
{
	int phys = g->phys, n;

	g->phys = 0;
	n = mvm_gdb_mem_access(g, mvm_gdb_linear_pc(s, r), op, 1, 0);
	g->phys = phys;
	return n == 1 ? 0 : -EFAULT;
}

/* A HLT the backend would step over (MVM_QUIRK_STEP_SKIPS_HLT): leave
 * RIP after it, as a HLT exit does, and end the run as HLT would. */
static int step_hlt(struct mvm_gdb *g, struct kvm_regs *r)
{
	struct mvm_exit e = {.reason = KVM_EXIT_HLT, .stop = 1, .handled = 1};

	r->rip++;
	e.rip = r->rip;
	if (mvm_vcpu_set_regs(g->vcpu, r) < 0)
		return 0;
	return after_exit(g, 0, &e, MVM_DONE, 1);
}

/* One instruction with breakpoints off; 1 when a reply was sent. */
static int step_one(struct mvm_gdb *g, int report)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	struct mvm_exit e;
	enum mvm_verdict v;
	uint8_t op;
	int rc = load(g, &r, &s);

	if (rc < 0)
		return rc;
	if ((mvm_vm_backend(mvm_machine_vm(g->m))->quirks &
	     MVM_QUIRK_STEP_SKIPS_HLT) &&
	    byte_at_pc(g, &s, &r, &op) == 0 && op == HLT_OPCODE)
		return step_hlt(g, &r);
	rc = mvm_vcpu_set_debug(g->vcpu, 1, NULL, 0);
	for (int i = 0; rc == 0 && i < STEP_EXITS; i++) {
		rc = mvm_machine_step(g->m, 0, &e, &v);
		if (rc == 0 && e.reason == KVM_EXIT_DEBUG)
			return report ? after_exit(g, 0, &e, MVM_DEBUG, 1) : 0;
		rc = after_exit(g, rc, &e, v, 1);
		if (rc)
			return rc;
	}
	return rc;
}

/* Bytes arrived while the guest ran: 1 for Ctrl-C, 0 for anything else
 * (dropped: gdb sends nothing else while it waits), -EPIPE at EOF. */
static int take_input(struct mvm_gdb *g)
{
	uint8_t c;
	ssize_t n = recv(g->fd, &c, 1, MSG_DONTWAIT);

	if (n == 0)
		return -EPIPE;
	return n == 1 && c == 0x03;
}

static int in_bp(const struct mvm_gdb *g, uint64_t pc)
{
	for (int i = 0; i < g->nbp; i++)
		if (g->bp[i] == pc)
			return 1;
	return 0;
}

/* Run with the breakpoints until a stop; the watcher catches Ctrl-C. */
static int run_on(struct mvm_gdb *g)
{
	struct mvm_exit e;
	enum mvm_verdict v;
	int rc = mvm_vcpu_set_debug(g->vcpu, 0, g->bp, g->nbp);

	if (rc < 0 || (rc = mvm_gdb_watch_start(g)) < 0)
		return rc;
	for (;;) {
		rc = mvm_machine_step(g->m, 0, &e, &v);
		if (__atomic_load_n(&g->input, __ATOMIC_ACQUIRE)) {
			mvm_gdb_watch_stop(g);
			rc = take_input(g);
			if (rc)
				return rc < 0 ? rc
				       : mvm_gdb_stop_reply(g, SIG_INT) < 0
					       ? -EPIPE
					       : 1;
			if ((rc = mvm_gdb_watch_start(g)) < 0)
				return rc;
			continue;
		}
		if (rc == 0 && e.reason == KVM_EXIT_INTR &&
		    g->cfg.should_stop && g->cfg.should_stop(g->cfg.ctx)) {
			mvm_gdb_watch_stop(g);
			g->end = MVM_GDB_KILLED + 1;
			return msgf(g, "minivmm: stopped by a signal\n") < 0
				       ? -EPIPE
				       : mvm_gdb_stop_reply(g, SIG_INT);
		}
		if (v == MVM_GO_ON || v == MVM_SYNC ||
		    (v == MVM_DEBUG && e.reason != KVM_EXIT_DEBUG)) {
			if (!break_exit_hit(g, &e))
				continue;
		}
		mvm_gdb_watch_stop(g);
		rc = after_exit(g, rc, &e, v, 0);
		if (rc)
			return rc;
		if ((rc = mvm_gdb_watch_start(g)) < 0)
			return rc;
	}
}

int mvm_gdb_resume(struct mvm_gdb *g, int step)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	int rc;

	if (g->ended)
		return mvm_gdb_stop_reply(g, 0);
	if (g->dead) {
		g->ended = MVM_GDB_GUEST_FAILED + 1;
		msgf(g, "minivmm: the guest cannot run after %s\n",
		     mvm_exit_reason_name(g->last.reason));
		return mvm_gdb_stop_reply(g, 0);
	}
	rc = load(g, &r, &s);
	if (rc < 0)
		return mvm_gdb_sendf(g, "E%02x", -rc & 0xff);
	if ((mvm_vm_backend(mvm_machine_vm(g->m))->quirks &
	     MVM_QUIRK_NO_RING3_DEBUG) &&
	    (s.cr0 & MVM_CR0_PE) && (s.cs.selector & 3) == 3) {
		msgf(g,
		     "minivmm: the guest is at CPL 3, which this KVM "
		     "backend runs natively: its debug exits (%s) do not "
		     "reach the VMM. %s\n",
		     step ? "single-step" : "breakpoints",
		     step ? "Refusing to step." : "Running without them.");
		if (step)
			return mvm_gdb_send(g, "E01");
	}
	if (step) {
		rc = step_one(g, 1);
		return rc < 0 ? rc : 0;
	}
	if (in_bp(g, mvm_gdb_linear_pc(&s, &r))) { /* step off the breakpoint */
		rc = step_one(g, 0);
		if (rc)
			return rc < 0 ? rc : 0;
	}
	rc = run_on(g);
	return rc < 0 ? rc : 0;
}
