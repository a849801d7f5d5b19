/*
 * explain.c - what an exit is: its KVM name, one plain sentence of what
 * happened (the library's mvm_exit_meaning()) and where RIP stands.
 *
 * Where RIP stands after an exit is the detail students trip over: after
 * an IN or an MMIO load the instruction has not finished - it needs the
 * value the VMM puts into the kvm_run page, and the next KVM_RUN
 * completes it (api.rst, KVM_EXIT_IO and KVM_EXIT_MMIO) - while after an
 * OUT or a store KVM may already have moved RIP past it. Which one a
 * given KVM backend does is not written in the API, so the debugger does
 * not assume it: it looks at the instruction at the exit's RIP and says
 * what the running backend did.
 *
 * Used by the TUI's status area (one line) and by `explain [N]` (the
 * result pane, for any guest exit still in the log).
 */
#include <capstone/capstone.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "session.h"

/* Intel SDM Vol. 2, opcode map: IN/INS and OUT/OUTS, after prefixes. */
static int io_opcode(const uint8_t *b, size_t n, int *is_out)
{
	size_t i = 0;
	while (i < n && (b[i] == 0x66 || b[i] == 0x67 || b[i] == 0xf2 ||
			 b[i] == 0xf3 || (b[i] & 0xf0) == 0x40))
		i++; /* operand/address size, rep, REX */
	if (i >= n)
		return 0;
	switch (b[i]) {
	case 0xe4:
	case 0xe5:
	case 0xec:
	case 0xed:
	case 0x6c:
	case 0x6d:
		*is_out = 0;
		return 1;
	case 0xe6:
	case 0xe7:
	case 0xee:
	case 0xef:
	case 0x6e:
	case 0x6f:
		*is_out = 1;
		return 1;
	default:
		return 0;
	}
}

/* Does the instruction in b access memory (a memory operand that is not
 * just an address computation, as lea's is)? -1 when it cannot say. */
static int touches_memory(const uint8_t *b, size_t n, int bits, uint64_t at)
{
	csh h;
	cs_insn *insn;
	cs_mode m = bits == 64	 ? CS_MODE_64
		    : bits == 32 ? CS_MODE_32
				 : CS_MODE_16;
	int mem = -1;
	if (cs_open(CS_ARCH_X86, m, &h) != CS_ERR_OK)
		return -1;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	if (cs_disasm(h, b, n, at, 1, &insn) == 1) {
		mem = 0;
		const cs_x86 *x = &insn->detail->x86;
		for (int i = 0; i < x->op_count; i++)
			if (x->operands[i].type == X86_OP_MEM &&
			    insn->id != X86_INS_LEA && insn->id != X86_INS_NOP)
				mem = 1;
		cs_free(insn, 1);
	}
	cs_close(&h);
	return mem;
}

/* One line on where RIP stands after e, judged from the instruction at
 * e->rip as the guest's memory holds it now. */
void dbg_exit_rip_line(struct dbg_session *s, const struct mvm_exit *e,
		       int brief, char *buf, size_t len)
{
	struct dbg_state st = s->cur;
	uint8_t b[16];
	char err[160];
	st.regs.rip = e->rip;
	uint64_t pc = dbg_linear_pc(&st);
	int have = dbg_read_virt(s, pc, b, sizeof(b), err, sizeof(err)) == 0;
	int out = 0;
	const char *insn = e->reason == KVM_EXIT_IO
				   ? (e->u.io.is_write ? "OUT" : "IN")
			   : e->u.mmio.is_write ? "store"
						: "load";
	switch (e->reason) {
	case KVM_EXIT_IO:
	case KVM_EXIT_MMIO:
		if (!have) {
			snprintf(buf, len,
				 "RIP 0x%llx (its code is not "
				 "readable here)",
				 (unsigned long long)e->rip);
		} else if (e->reason == KVM_EXIT_IO
				   ? io_opcode(b, sizeof(b), &out) &&
					     out == e->u.io.is_write
				   : touches_memory(b, sizeof(b),
						    dbg_code_bits(&st.sregs),
						    pc) == 1) {
			snprintf(buf, len,
				 brief ? "RIP 0x%llx still on the %s "
					 "(KVM_RUN completes it)"
				       : "RIP 0x%llx is still on the %s: the "
					 "next KVM_RUN completes it",
				 (unsigned long long)e->rip, insn);
		} else {
			snprintf(buf, len,
				 brief ? "RIP 0x%llx past the %s (done "
					 "before the exit)"
				       : "RIP 0x%llx is already past the %s: "
					 "this backend finished it before "
					 "exiting",
				 (unsigned long long)e->rip, insn);
		}
		return;
	case KVM_EXIT_HLT:
		snprintf(buf, len, "RIP 0x%llx is past the HLT",
			 (unsigned long long)e->rip);
		return;
	case KVM_EXIT_DEBUG:
		/* DR6.BS (bit 14): single step, a trap after the
		 * instruction; B0-B3: an execute breakpoint, a fault before
		 * it (Intel SDM Vol. 3B 18.2.3, 18.3.1). */
		if (brief)
			snprintf(buf, len, "RIP 0x%llx %s",
				 (unsigned long long)e->rip,
				 e->u.debug.dr6 & (1u << 14)
					 ? "next (single step)"
					 : "on the breakpoint's instruction");
		else
			snprintf(
				buf, len,
				e->u.debug.dr6 & (1u << 14)
					? "RIP 0x%llx is the next instruction: "
					  "a single-step #DB traps after one"
					: "RIP 0x%llx is on the breakpoint's "
					  "instruction: it fires before it "
					  "runs",
				(unsigned long long)e->rip);
		return;
	default:
		snprintf(buf, len, "RIP 0x%llx when KVM stopped the guest",
			 (unsigned long long)e->rip);
	}
}

/* The TUI's line under the status: KVM name, where RIP stands, and as
 * much of the plain sentence as the width leaves. */
void dbg_exit_about(struct dbg_session *s, char *buf, size_t len)
{
	char rip[160];
	if (!s->have_last) {
		buf[0] = '\0';
		return;
	}
	dbg_exit_rip_line(s, &s->last, 1, rip, sizeof(rip));
	snprintf(buf, len, "KVM_EXIT_%s%s | %s | %s",
		 mvm_exit_reason_name(s->last.reason),
		 s->last_event ? " (debugger's)" : "", rip,
		 mvm_exit_meaning(&s->last));
}

/* Find guest exit #seq (or debugger event D<seq>) in the log. */
static const struct mvm_exit *find(const struct mvm_trace *tr, uint64_t seq)
{
	for (size_t i = 0; i < mvm_trace_len(tr); i++) {
		const struct mvm_trace_entry *te = mvm_trace_get(tr, i);
		if (te && te->exit.seq == seq)
			return &te->exit;
	}
	return NULL;
}

/* `explain [N | DN]`: the exit's KVM name, what happened in words and
 * where RIP stands; for the exit that stopped the guest, the library's
 * long explanation with the state. */
int cmd_explain(struct dbg_session *s, struct dbg_cmdline *c)
{
	const char *w = c->argc > 1 ? c->argv[1] : NULL;
	int event = w && (w[0] == 'D' || w[0] == 'd');
	const struct mvm_exit *e = NULL;
	char *end = NULL;
	if (!w) {
		e = s->have_last ? &s->last : NULL;
		event = s->last_event;
	} else {
		const char *num = w + (event || w[0] == '#');
		unsigned long long n = strtoull(num, &end, 10);
		if (*num && !*end)
			e = find(event ? &s->events.tr : &s->exits, n);
	}
	if (!e) {
		dbg_status(s, 1,
			   w ? "explain: no exit %s in the log (see `exits "
			       "all`)"
			     : "explain: no exit yet%s",
			   w ? w : "");
		return -ENOENT;
	}
	char d[200], rip[200];
	mvm_exit_describe(e, d, sizeof(d));
	dbg_exit_rip_line(s, e, 0, rip, sizeof(rip));
	dbg_text_clear(&s->result);
	dbg_text_line(&s->result, DBG_A_TITLE, "%s%llu: KVM_EXIT_%s",
		      event ? "debugger event D" : "exit #",
		      (unsigned long long)e->seq,
		      mvm_exit_reason_name(e->reason));
	const char *note = event ? NULL : dbg_note_get(&s->notes, e->seq);
	dbg_text_line(&s->result, DBG_A_NORMAL, "  %s%s", note ? "IO " : "",
		      note ? note : d);
	dbg_text_wrap(&s->result, DBG_A_NORMAL, mvm_exit_meaning(e), 76);
	dbg_text_wrap(&s->result, DBG_A_NORMAL, rip, 76);
	if (event)
		dbg_text_line(&s->result, DBG_A_DIM,
			      "Made by the debugger, not by the guest: it is "
			      "not counted with the guest's exits.");
	if (e == &s->last && s->dead) {
		char buf[3072];
		const struct mvm_memmap *mem = s->vm ? mvm_vm_mem(s->vm) : NULL;
		if (mvm_exit_explain_state(e, &s->cur.regs, &s->cur.sregs, mem,
					   buf, sizeof(buf)) > 0)
			dbg_text_wrap(&s->result, DBG_A_NORMAL, buf, 78);
	}
	s->focus = DBG_P_RESULT;
	return 0;
}
