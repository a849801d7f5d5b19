/*
 * step.c - the stepping engine: next exit, single instruction, continue.
 *
 * Every way of moving the guest goes through run_one(), which is one
 * call of the library's run step, mvm_vcpu_run_once() - the same step
 * `mvm run` and the tests use (STYLE.md 6). What this file adds is the
 * debugger's policy, including work-arounds for KVM backends that
 * differ from hardware (minivmm/quirks.h, debugger/README.md):
 *
 *  - Single-step is KVM_GUESTDBG_SINGLESTEP: one KVM_EXIT_DEBUG per
 *    instruction (RFLAGS.TF semantics, Intel SDM Vol. 3B 18.3.1.4).
 *    Backends with MVM_QUIRK_STEP_SKIPS_HLT step over HLT as if it were
 *    a NOP (symptom: no HLT exit while stepping), so there, before each
 *    step, we look at the byte at RIP and, for HLT (0xF4), report the
 *    halt ourselves instead of stepping.
 *  - A hardware breakpoint fires before its instruction executes and
 *    fires again on resume, so resuming from one means: single-step that
 *    instruction with breakpoints off, then run with them on (the RF
 *    flag does this on hardware, SDM Vol. 3B 18.3.1.1).
 *  - A mode breakpoint needs to see every CR0/EFER change, and those
 *    cause no exit, so `cont` single-steps while one is set.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "session.h"

#define HLT_OPCODE	   0xf4
#define MAX_EXITS_PER_INSN 100000 /* rep outs of a large buffer */
#define MODE_STEP_MAX	   200000 /* instructions `cont` single-steps */

/* The library marks DEBUG exits "stop" too (a run loop should return on
 * them); the debugger handles those itself, so only the others end a
 * stepping loop. */
static int ends_run(const struct mvm_exit *e)
{
	return e->stop && e->reason != KVM_EXIT_DEBUG;
}

volatile sig_atomic_t dbg_interrupt;

/* Ctrl-C in the TUI: stop a long run where it is. */
static int interrupted(struct dbg_session *s)
{
	if (!dbg_interrupt)
		return 0;
	dbg_interrupt = 0;
	dbg_status(s, 0, "interrupted (Ctrl-C) at rip 0x%llx",
		   (unsigned long long)s->cur.regs.rip);
	return 1;
}

static int is_fatal(uint32_t reason)
{
	return reason == KVM_EXIT_SHUTDOWN ||
	       reason == KVM_EXIT_INTERNAL_ERROR ||
	       reason == KVM_EXIT_FAIL_ENTRY;
}

/* How many ucalls the guest has made (the ucall device counts them). */
static uint64_t ucalls(const struct dbg_session *s)
{
	return s->devs.ucall ? mvm_ucall_seen(s->devs.ucall, NULL) : 0;
}

/*
 * A ucall is a 4-byte OUT of a mailbox address (ucall.h); the raw exit
 * says only "out port 0x1000 data 0x4000". Name the call instead, so the
 * log reads "ucall PRINT "step 1 ..."". The ucall device has already
 * handled the OUT inside the run step: if its count moved past `before`,
 * the call it kept is this exit's. A call it refused (bad address or
 * command) keeps the raw description, and the guest's mailbox is read
 * once, by the device, never again here.
 */
static void note_ucall(struct dbg_session *s, const struct mvm_exit *e,
		       uint64_t before)
{
	struct mvm_ucall uc;
	char note[DBG_NOTE_LEN];
	if (e->reason != KVM_EXIT_IO || e->u.io.port != MVM_PORT_UCALL ||
	    !s->devs.ucall || mvm_ucall_seen(s->devs.ucall, &uc) == before)
		return;
	size_t n = strcspn(uc.text, "\n"); /* first line only */
	if (uc.cmd == MVM_UCALL_SYNC)
		snprintf(note, sizeof(note), "ucall SYNC %llu",
			 (unsigned long long)uc.args[0]);
	else
		snprintf(note, sizeof(note), "ucall %s%s%.*s%s",
			 mvm_ucall_cmd_name(uc.cmd), n ? " \"" : "", (int)n,
			 uc.text, n ? "\"" : "");
	dbg_note_set(&s->notes, e->seq, note);
}

/* Status line for an exit: its note, or the library's description.
 * Debugger events say that they are not the guest's exits. */
static void describe(struct dbg_session *s, const struct mvm_exit *e)
{
	char d[200], at[24] = "";
	/* 16-bit code: where it stopped as the listing says it, CS:IP,
	 * early in the line so a narrow status bar keeps it. */
	if (dbg_code_bits(&s->cur.sregs) == 16)
		snprintf(at, sizeof(at), " at %04x:%04llx",
			 s->cur.sregs.cs.selector,
			 (unsigned long long)(s->cur.regs.rip & 0xffff));
	if (s->last_event) {
		mvm_exit_describe(e, d, sizeof(d));
		dbg_status(s, 0,
			   "event D%llu%s (mvmdbg's, not a guest exit): %s",
			   (unsigned long long)e->seq, at, d);
		return;
	}
	const char *note = dbg_note_get(&s->notes, e->seq);
	if (!note)
		mvm_exit_describe(e, d, sizeof(d));
	int bad = is_fatal(e->reason) ||
		  (note && strncmp(note, "ucall ASSERT", 12) == 0);
	dbg_status(s, bad, "exit #%llu%s %s%s", (unsigned long long)e->seq, at,
		   note ? "IO " : "", note ? note : d);
}

/*
 * A guest that stops for good (triple fault, emulation failure, failed
 * entry) is what a student debugs at home: put the library's long
 * explanation of the exit and the state checker's verdict on the
 * registers into the result pane, and show it.
 */
static void explain_stop(struct dbg_session *s, const struct mvm_exit *e)
{
	char buf[3072];
	dbg_text_clear(&s->result);
	/* Live: with the state and memory, so the library can say which
	 * cause applies (an unmapped page, RIP outside RAM, no IDT). */
	const struct mvm_memmap *mem = s->vm ? mvm_vm_mem(s->vm) : NULL;
	if (mvm_exit_explain_state(e, &s->cur.regs, &s->cur.sregs, mem, buf,
				   sizeof(buf)) > 0)
		dbg_text_wrap(&s->result, DBG_A_NORMAL, buf, 78);
	dbg_render_check(&s->cur, &s->result);
	s->focus = DBG_P_RESULT;
}

/* Log an exit: refresh the state it left behind, number it, record it.
 * ucalls_before: the ucall count before the run that made it. */
static void note_exit(struct dbg_session *s, struct mvm_exit *e,
		      const char *kind, uint64_t ucalls_before, int synth)
{
	dbg_session_refresh(s);
	dbg_session_log(s, e, synth, mvm_now_ns());
	s->halted = e->reason == KVM_EXIT_HLT;
	if (is_fatal(e->reason)) {
		s->dead = 1;
		explain_stop(s, e);
	}
	if (!s->last_event)
		note_ucall(s, e, ucalls_before);
	describe(s, e);
	if (s->rec)
		dbg_record(s, kind);
}

/* KVM_SET_GUEST_DEBUG only when it changes: `stepi 1000` sets it once,
 * not per step (each system call costs as much as a step here). */
static int guest_debug(struct dbg_session *s, int single, int with_bps)
{
	struct mvm_hwbp bps[MVM_HW_BREAKPOINTS];
	memset(bps, 0, sizeof(bps)); /* compared as bytes below */
	int n = with_bps ? dbg_bp_hw(&s->bps, bps) : 0;
	if (s->gdbg.valid && s->gdbg.single == single && s->gdbg.n == n &&
	    !memcmp(s->gdbg.bp, bps, (size_t)n * sizeof(bps[0])))
		return 0;
	int rc = mvm_vcpu_set_hwbps(s->vcpu, single, bps, n);
	s->gdbg.valid = rc == 0;
	s->gdbg.single = single;
	s->gdbg.n = n;
	memcpy(s->gdbg.bp, bps, (size_t)n * sizeof(bps[0]));
	if (rc)
		dbg_status(s, 1, "KVM_SET_GUEST_DEBUG failed: %s",
			   strerror(-rc));
	return rc;
}

/*
 * The run deadline (--no-exit-limit) without two timer_settime calls per
 * step: armed for 1.5x the limit and armed again only when half the
 * limit has passed since, so each KVM_RUN still gets at least the limit
 * (and at most 1.5x) before the timer stops it. dbg_run_done() disarms
 * it after the command.
 */
static int arm_deadline(struct dbg_session *s)
{
	uint64_t now = mvm_now_ns(), half = s->timeout_ms * 500000ULL;
	if (s->armed_ns && now - s->armed_ns < half)
		return 0;
	s->armed_ns = now;
	return mvm_vcpu_set_deadline(s->vcpu,
				     s->timeout_ms + s->timeout_ms / 2);
}

void dbg_run_done(struct dbg_session *s)
{
	if (s->vcpu && s->armed_ns)
		mvm_vcpu_set_deadline(s->vcpu, 0);
	s->armed_ns = 0;
}

/* One KVM_RUN through the library, with a deadline. */
static int run_one(struct dbg_session *s, int singlestep, int with_bps,
		   struct mvm_exit *e)
{
	uint64_t before = ucalls(s);
	struct kvm_regs was = s->cur.regs;
	uint16_t was_cs = s->cur.sregs.cs.selector;
	int rc = guest_debug(s, singlestep, with_bps);
	if (rc == 0)
		rc = arm_deadline(s);
	if (rc)
		return rc;
	rc = mvm_vcpu_run_once(s->vcpu, e);
	if (rc == -ETIMEDOUT) {
		dbg_run_done(s);
		dbg_session_refresh(s);
		dbg_status(s, 1,
			   "no VM exit for over %g s (a loop without I/O?): "
			   "stopped the guest at rip 0x%llx (--no-exit-limit "
			   "SEC)",
			   s->timeout_ms / 1000.0,
			   (unsigned long long)s->cur.regs.rip);
		return rc;
	}
	if (rc) {
		dbg_status(s, 1, "KVM_RUN failed: %s", strerror(-rc));
		return rc;
	}
	note_exit(s, e,
		  singlestep && e->reason == KVM_EXIT_DEBUG ? "step" : "exit",
		  before, 0);
	if (singlestep)
		dbg_untrap_frame(s, &was, was_cs); /* stepframe.c */
	return 0;
}

static int can_run(struct dbg_session *s)
{
	if (!s->vm) {
		dbg_status(s, 1, "replay: the trace has no more records");
		return -ENODATA;
	}
	if (s->dead) {
		dbg_status(s, 1,
			   "the guest cannot run after %s; inspect it "
			   "or quit",
			   mvm_exit_reason_name(s->last.reason));
		return -EPERM;
	}
	return 0;
}

/* [slide:mvmdbg-hlt-quirk] */
/* HLT at RIP while single-stepping on a backend that would step over it
 * (MVM_QUIRK_STEP_SKIPS_HLT): report the halt and move RIP past it,
 * which is where a real HLT exit leaves RIP. */
static int hlt_at_pc(struct dbg_session *s, struct mvm_exit *e)
{
	uint8_t op;
	char err[160];
	uint64_t pc = dbg_linear_pc(&s->cur);
	if (!s->vm ||
	    !(mvm_vm_backend(s->vm)->quirks & MVM_QUIRK_STEP_SKIPS_HLT))
		return 0;
	if (dbg_read_virt(s, pc, &op, 1, err, sizeof(err)) || op != HLT_OPCODE)
		return 0;
	struct kvm_regs r = s->cur.regs;
	r.rip++;
	if (mvm_vcpu_set_regs(s->vcpu, &r))
		return 0;
	memset(e, 0, sizeof(*e));
	e->reason = KVM_EXIT_HLT;
	e->rip = r.rip;
	e->handled = 1;
	e->stop = 1;
	note_exit(s, e, "exit", ucalls(s), 1);
	dbg_status(s, 0,
		   "event D%llu HLT, synthesized: HLT at 0x%llx found "
		   "before stepping it (this backend would step over it)",
		   (unsigned long long)e->seq, (unsigned long long)pc);
	return 1;
}
/* [/slide:mvmdbg-hlt-quirk] */

/* CPL 3 on a backend whose ring-3 debug exits go to the guest
 * (MVM_QUIRK_NO_RING3_DEBUG; symptom: the single-step #DB never comes
 * back, KVM_RUN runs on until the guest's next exit). Say so at once
 * instead of waiting for the run deadline. CPL is CS.RPL in protected
 * mode (Intel SDM Vol. 3A 5.5); real mode runs at CPL 0. */
static int ring3_refused(struct dbg_session *s)
{
	if (!s->vm ||
	    !(mvm_vm_backend(s->vm)->quirks & MVM_QUIRK_NO_RING3_DEBUG) ||
	    !(s->cur.sregs.cr0 & MVM_CR0_PE) ||
	    (s->cur.sregs.cs.selector & 3) != 3)
		return 0;
	dbg_status(s, 1,
		   "cannot single-step ring-3 code on this KVM backend: its "
		   "debug exits go to the guest (quirks.h NO_RING3_DEBUG); "
		   "use `nexit` (F8), `cont`, or a breakpoint in ring 0");
	return 1;
}

/* Execute exactly one instruction; *e is the last exit it caused (a
 * DEBUG exit, or the I/O / HLT / error exit that ended it). */
static int step_insn(struct dbg_session *s, struct mvm_exit *e)
{
	if (ring3_refused(s))
		return -EPERM;
	if (hlt_at_pc(s, e))
		return 0;
	for (int i = 0; i < MAX_EXITS_PER_INSN; i++) {
		int rc = run_one(s, 1, 0, e);
		if (rc)
			return rc;
		if (e->reason == KVM_EXIT_DEBUG || ends_run(e))
			break;
	}
	s->steps++;
	return 0;
}

/* Every run command starts the same way: refuse when the guest cannot
 * run, then keep the current state so the panes can show what changed. */
static int begin_run(struct dbg_session *s)
{
	int rc = can_run(s);
	if (rc)
		return rc;
	s->prev = s->cur;
	s->have_prev = 1;
	return 0;
}

/* Single-stepping arrived at a RIP breakpoint (single-step #DBs carry
 * DR6.BS, not B0-B3, so dbg_bp_match does not see it): count and say. */
static int at_rip_bp(struct dbg_session *s)
{
	struct dbg_bp *bp = dbg_bp_at(&s->bps, dbg_linear_pc(&s->cur));
	if (!bp)
		return 0;
	char what[160];
	bp->hits++;
	dbg_bp_str(bp, what, sizeof(what));
	dbg_status(s, 0, "breakpoint %s", what);
	return 1;
}

int dbg_stepi(struct dbg_session *s, unsigned n)
{
	int rc = begin_run(s);
	if (rc)
		return rc;
	for (unsigned i = 0; i < n; i++) {
		struct mvm_exit e;
		rc = step_insn(s, &e);
		if (rc || ends_run(&e) || s->dead)
			return rc;
		if (i + 1 < n && (at_rip_bp(s) || interrupted(s)))
			return 0;
	}
	return 0;
}

/* Run to the next exit, first stepping off a RIP breakpoint we are
 * stopped on (it would fire again at once). */
static int next_exit(struct dbg_session *s, struct mvm_exit *e)
{
	if (dbg_bp_at(&s->bps, dbg_linear_pc(&s->cur))) {
		int rc = step_insn(s, e);
		if (rc || e->reason != KVM_EXIT_DEBUG)
			return rc; /* that instruction exited by itself */
	}
	return run_one(s, 0, 1, e);
}

/* Did this exit trigger a breakpoint? Says so on the status line. */
static int check_bp(struct dbg_session *s, const struct mvm_exit *e)
{
	unsigned sig = dbg_mode_sig(&s->cur.sregs);
	struct dbg_bp *bp = dbg_bp_match(&s->bps, e, sig != s->mode_sig);
	s->mode_sig = sig;
	if (!bp)
		return 0;
	if (bp->kind == DBG_BP_WATCH) {
		dbg_watch_report(s, bp); /* cmds_gdb.c */
		return 1;
	}
	char what[160], mode[120];
	dbg_bp_str(bp, what, sizeof(what));
	mvm_describe_mode(&s->cur.sregs, mode, sizeof(mode));
	dbg_status(s, 0, "breakpoint %s; rip 0x%llx, %s", what,
		   (unsigned long long)s->cur.regs.rip, mode);
	return 1;
}

/* Run up to n exits; stop early at a breakpoint, at the end of the run
 * or when the user interrupts. Returns 1 when it stopped early, 0 after
 * all n exits, or the -errno of a failed run. */
static int run_exits(struct dbg_session *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct mvm_exit e;
		int rc = next_exit(s, &e);
		if (rc)
			return rc;
		if (check_bp(s, &e) || ends_run(&e) || s->dead ||
		    interrupted(s))
			return 1;
	}
	return 0;
}

int dbg_step_exit(struct dbg_session *s, unsigned n)
{
	int rc = begin_run(s);
	if (rc)
		return rc;
	rc = run_exits(s, n);
	return rc < 0 ? rc : 0;
}

/* `cont` with a mode breakpoint: single-step and watch the mode. */
static int cont_stepping(struct dbg_session *s)
{
	for (unsigned i = 0; i < MODE_STEP_MAX; i++) {
		struct mvm_exit e;
		int rc = step_insn(s, &e);
		if (rc)
			return rc;
		if (check_bp(s, &e) || ends_run(&e) || s->dead ||
		    at_rip_bp(s) || interrupted(s))
			return 0;
	}
	dbg_status(s, 0,
		   "stopped after %d instructions without a "
		   "breakpoint",
		   MODE_STEP_MAX);
	return 0;
}

int dbg_cont(struct dbg_session *s)
{
	int rc = begin_run(s);
	if (rc)
		return rc;
	for (int i = 0; i < s->bps.n; i++)
		if (s->bps.bp[i].kind == DBG_BP_MODE)
			return cont_stepping(s);
	rc = run_exits(s, DBG_CONT_MAX_EXITS);
	if (rc)
		return rc < 0 ? rc : 0;
	dbg_status(s, 0, "stopped after %d exits without a breakpoint",
		   DBG_CONT_MAX_EXITS);
	return 0;
}
