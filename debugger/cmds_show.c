/*
 * cmds_show.c - the commands that show things: registers, code, memory,
 * page tables, exits, statistics, output. Each renders into s->result
 * (what batch mode prints) and names the pane the TUI should bring up.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "exec.h"

/* Registers are always on screen in the TUI; the command is for batch
 * transcripts and for after a scroll. */
int cmd_regs(struct dbg_session *s, struct dbg_cmdline *c)
{
	(void)c;
	dbg_render_pane(s, DBG_P_REGS, 0, &s->result);
	return 0;
}

/* Bochs calls this `sreg` (segments) and `creg` (control registers);
 * one pane shows both because the mode depends on both. */
int cmd_sregs(struct dbg_session *s, struct dbg_cmdline *c)
{
	(void)c;
	s->focus = DBG_P_SREGS;
	dbg_render_pane(s, DBG_P_SREGS, 0, &s->result);
	return 0;
}

/* Show the memory pane as configured; an unreadable address is an
 * error of the command (status), not just a red row. */
static int show_mem(struct dbg_session *s)
{
	uint8_t byte;
	char err[200];
	int rc = s->mem_phys ? dbg_read_phys(s, s->mem_addr, &byte, 1, err,
					     sizeof(err))
			     : dbg_read_virt(s, s->mem_addr, &byte, 1, err,
					     sizeof(err));
	if (rc) {
		dbg_status(s, 1, "%s", err);
		return rc;
	}
	s->focus = DBG_P_MEM;
	dbg_render_pane(s, DBG_P_MEM, 0, &s->result);
	return 0;
}

/* `code` alone is the code pane; `code ADDR` is x/16i ADDR, which
 * disassembles from ADDR forwards (no guessing backwards). */
int cmd_code(struct dbg_session *s, struct dbg_cmdline *c)
{
	if (c->argc < 2) {
		dbg_render_pane(s, DBG_P_CODE, 12, &s->result);
		return 0;
	}
	struct dbg_addr a;
	if (dbg_arg_seg_addr(s, c, 1, &a))
		return -EINVAL;
	s->mem_addr = a.linear;
	s->mem_at = a;
	s->mem_phys = 0;
	s->mem_fmt = (struct dbg_xfmt){.count = 16, .fmt = 'i', .unit = 'b'};
	return show_mem(s);
}

/* x and xp share everything but the address space: argv[0] is "x",
 * "x/8xb", "xp" or "xp/2g". `x/Ni` with no address starts at RIP, as
 * gdb's `x/4i $pc`; `x ss:sp` adds the segment's base (cmd.h). */
int cmd_x(struct dbg_session *s, struct dbg_cmdline *c)
{
	struct dbg_xfmt f = s->mem_fmt;
	char err[200];
	const char *slash = strchr(c->argv[0], '/');
	int phys = c->argv[0][1] == 'p' || c->argv[0][1] == 'P';
	if (slash && dbg_parse_xfmt(slash + 1, &f, err, sizeof(err))) {
		dbg_status(s, 1, "%s", err);
		return -EINVAL;
	}
	/* One string unless a count says otherwise: the count kept from
	 * `x/32xb` would mean 32 strings. */
	if (f.fmt == 's' && s->mem_fmt.fmt != 's' && slash &&
	    !isdigit((unsigned char)slash[1]))
		f.count = 1;
	struct dbg_addr a = {.linear = dbg_linear_pc(&s->cur)};
	if ((c->argc > 1 || f.fmt != 'i' || phys) &&
	    dbg_arg_seg_addr(s, c, 1, &a))
		return -EINVAL;
	if (phys && a.segmented) {
		dbg_status(s, 1, "xp: a physical address has no segment");
		return -EINVAL;
	}
	if (c->argc < 2) { /* at RIP, labelled CS:IP in 16-bit code */
		int bits = dbg_code_bits(&s->cur.sregs);
		a.segmented = bits == 16;
		a.selector = s->cur.sregs.cs.selector;
		a.base = s->cur.sregs.cs.base;
	}
	s->mem_addr = a.linear;
	s->mem_at = a;
	s->mem_phys = phys;
	s->mem_fmt = f;
	return show_mem(s);
}

/* `pt` alone makes the pane follow RIP again after a `pt ADDR`. */
int cmd_pt(struct dbg_session *s, struct dbg_cmdline *c)
{
	s->pt_follow = c->argc < 2;
	if (!s->pt_follow && dbg_arg_addr(s, c, 1, &s->pt_addr)) {
		s->pt_follow = 1;
		return -EINVAL;
	}
	s->focus = DBG_P_PT;
	dbg_render_pane(s, DBG_P_PT, 0, &s->result);
	return 0;
}

/* The two translations a VMM does for its guest: the guest's page
 * tables (virtual -> guest-physical) and the VMM's memory slots
 * (guest-physical -> host-virtual). */
int cmd_translate(struct dbg_session *s, struct dbg_cmdline *c)
{
	uint64_t va, pa;
	char err[200];
	if (dbg_arg_addr(s, c, 1, &va))
		return -EINVAL;
	if (dbg_translate(s, va, &pa, err, sizeof(err))) {
		dbg_status(s, 1, "translate: %s", err);
		return -EFAULT;
	}
	const struct mvm_slot *sl =
		s->vm ? mvm_memmap_find(mvm_vm_mem(s->vm), pa) : NULL;
	dbg_text_line(&s->result, DBG_A_NORMAL,
		      "virtual 0x%llx -> physical 0x%llx",
		      (unsigned long long)va, (unsigned long long)pa);
	if (!s->vm)
		return 0; /* replay: no memory map */
	if (!sl)
		dbg_text_add(&s->result, DBG_A_ERROR,
			     " -> no memory slot (MMIO)");
	else if (s->stable)
		dbg_text_add(&s->result, DBG_A_NORMAL, " -> slot %u + 0x%llx",
			     sl->id, (unsigned long long)(pa - sl->gpa));
	else
		dbg_text_add(&s->result, DBG_A_NORMAL, " -> slot %u host %p",
			     sl->id, (void *)(sl->hva + (pa - sl->gpa)));
	return 0;
}

/* `exits` shows the guest's own exits; `exits all` mixes in the
 * debugger's events (single steps, breakpoint #DBs, synthesized HLTs)
 * and `exits guest` hides them again - in the pane as well. */
int cmd_exits(struct dbg_session *s, struct dbg_cmdline *c)
{
	int a = c->argc > 0 && !strcmp(c->argv[0], "info") ? 2 : 1;
	const char *w = c->argc > a ? c->argv[a] : "";
	if (!strcmp(w, "all"))
		s->log_all = 1;
	else if (!strcmp(w, "guest"))
		s->log_all = 0;
	else if (*w) {
		dbg_status(s, 1, "exits: expected all or guest, not '%s'", w);
		return -EINVAL;
	}
	s->focus = DBG_P_EXITS;
	if (s->log_all)
		dbg_render_log(&s->exits, &s->notes, &s->events, MVM_TRACE_CAP,
			       s->stable, &s->result);
	else
		dbg_render_exits(&s->exits, &s->notes, MVM_TRACE_CAP, s->stable,
				 &s->result);
	dbg_render_counters(&s->exits, s->stable, &s->result);
	dbg_render_event_counts(&s->events, s->log_all, &s->result);
	return 0;
}

/* Our counters count what reached user space; KVM's statistics also
 * count exits it handled in the kernel (e.g. insn_emulation), which is
 * the difference students are asked to explain in the exit lecture. */
int cmd_stats(struct dbg_session *s, struct dbg_cmdline *c)
{
	(void)c;
	s->focus = DBG_P_STATS;
	dbg_render_pane(s, DBG_P_STATS, 0, &s->result);
	return 0;
}

/* All of the output kept, not just the pane's last lines. */
int cmd_output(struct dbg_session *s, struct dbg_cmdline *c)
{
	(void)c;
	s->focus = DBG_P_OUTPUT;
	dbg_render_output(s->out, s->out_len, 0, &s->result);
	return 0;
}

/* `info` groups the listing commands as gdb and the QEMU monitor do. */
int cmd_info(struct dbg_session *s, struct dbg_cmdline *c)
{
	const char *w = c->argc > 1 ? c->argv[1] : "";
	s->focus = DBG_P_RESULT;
	/* QEMU's `info mem`/`info tlb`, Bochs' `info tab`. */
	if (!strcmp(w, "mem") || !strcmp(w, "tlb") || !strcmp(w, "tab")) {
		if (!s->vm) {
			dbg_status(s, 1,
				   "replay: page tables were not recorded");
			return -ENODATA;
		}
		dbg_render_ptmap(mvm_vm_mem(s->vm), &s->cur.sregs, &s->result);
	} else if (!strcmp(w, "exits"))
		return cmd_exits(s, c);
	else if (!strcmp(w, "break") || !strcmp(w, "breakpoints") ||
		 !strcmp(w, "b"))
		dbg_render_breaks(&s->bps, &s->result);
	else if (!strcmp(w, "registers") || !strcmp(w, "regs")) {
		dbg_render_pane(s, DBG_P_REGS, 0, &s->result);
		dbg_render_pane(s, DBG_P_SREGS, 0, &s->result);
	} else if (!strcmp(w, "stats"))
		return cmd_stats(s, c);
	else {
		dbg_status(s, 1,
			   "info: expected mem (or tlb, tab), exits, break, "
			   "registers or stats");
		return -EINVAL;
	}
	return 0;
}

/* Only the tabbed panes can be chosen; registers and code are always
 * on screen. */
int cmd_pane(struct dbg_session *s, struct dbg_cmdline *c)
{
	int p = c->argc > 1 ? dbg_pane_parse(c->argv[1]) : -1;
	if (p < 0 || p >= DBG_P_NTABS) {
		dbg_status(s, 1,
			   "pane: expected exits, pt, mem, output, sregs, "
			   "stats, irq, virtq or result");
		return -EINVAL;
	}
	s->focus = (enum dbg_pane)p;
	dbg_render_pane(s, s->focus, 0, &s->result);
	return 0;
}

/* The same checks a VMM should run before KVM_SET_SREGS, on the state
 * now: after a triple fault they often name the cause directly. */
int cmd_check(struct dbg_session *s, struct dbg_cmdline *c)
{
	(void)c;
	s->focus = DBG_P_RESULT;
	dbg_render_check(&s->cur, &s->result);
	/* The checker sees registers only; a triple fault's cause is often
	 * in memory (an unmapped page, no IDT), which `explain` looks at. */
	if (s->dead && s->last.reason == KVM_EXIT_SHUTDOWN)
		dbg_text_line(&s->result, DBG_A_DIM,
			      "(registers only: `explain` walks RIP and the "
			      "stack through the page tables)");
	return 0;
}
