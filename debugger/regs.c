/*
 * regs.c - the register panes.
 *
 * The general-purpose pane is what a student looks at after every step,
 * so it is dense (three registers per row, 66 columns) and marks each
 * value that changed with '*' as well as colour: the effect of one
 * instruction is visible at a glance, even in batch output. It shows
 * the registers the code at RIP can name: 64-bit code all sixteen,
 * 32-bit code eax..edi and eip, real-mode code ax..bp with the segment
 * selectors and CS:IP - what the student's assembly listing says.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "decode.h"
#include "panes.h"

#define GPR_COLUMNS 3

/* One "name value" cell; the value is highlighted when it changed.
 * digits: 16, 8 or 4 hex digits for a 64-, 32- or 16-bit view. */
static void cell(struct dbg_text *t, const char *name, int digits, uint64_t v,
		 int changed)
{
	dbg_text_add(t, DBG_A_NORMAL, "%-*s ", digits == 16 ? 3 : 2, name);
	dbg_text_add(t, changed ? DBG_A_CHANGED : DBG_A_NORMAL, "%0*llx%c",
		     digits, (unsigned long long)v, changed ? '*' : ' ');
	dbg_text_add(t, DBG_A_NORMAL, " ");
}

/* A register of the table by name, now and before (NULL: no before). */
static int reg_changed(const char *name, const struct dbg_state *cur,
		       const struct dbg_state *prev, uint64_t *v)
{
	const struct dbg_reg *r = dbg_reg_find(name);
	*v = dbg_reg_get(r, &cur->regs, &cur->sregs);
	return prev && *v != dbg_reg_get(r, &prev->regs, &prev->sregs);
}

/* Cells for the named registers, `per_row` to a row. */
static void cells(struct dbg_text *t, const char *const *names, int n,
		  int per_row, int digits, const struct dbg_state *cur,
		  const struct dbg_state *prev)
{
	for (int i = 0; i < n; i++) {
		uint64_t v;
		int changed = reg_changed(names[i], cur, prev, &v);
		if (i % per_row == 0)
			dbg_text_line(t, DBG_A_NORMAL, "%s", "");
		cell(t, names[i], digits, v, changed);
	}
}

/* 64-bit code: all sixteen registers, as kvm_regs holds them (order
 * rax rbx rcx rdx rsi rdi rsp rbp r8..r15 rip rflags, api.rst,
 * KVM_GET_REGS; decode.c's table keeps it). */
static void regs64(const struct dbg_state *cur, const struct dbg_state *prev,
		   struct dbg_text *t)
{
	int col = 0;
	for (int i = 0; i < dbg_nregs && dbg_regs[i].kind == DBG_REG_GPR; i++) {
		const struct dbg_reg *r = &dbg_regs[i];
		if (strcmp(r->name, "rflags") == 0)
			continue; /* gets its own decoded row below */
		uint64_t v;
		int changed = reg_changed(r->name, cur, prev, &v);
		if (col++ % GPR_COLUMNS == 0)
			dbg_text_line(t, DBG_A_NORMAL, "%s", "");
		cell(t, r->name, 16, v, changed);
	}
}

/* A "sel:offset" pair (CS:IP, SS:SP): how 16-bit code names an
 * address; the linear address is base + offset (SDM Vol. 3A 20.1.1). */
static void far_pair(struct dbg_text *t, const char *name,
		     const struct kvm_segment *seg,
		     const struct kvm_segment *old, uint64_t off,
		     uint64_t old_off, int have_old)
{
	int changed = have_old && (seg->selector != old->selector ||
				   (off & 0xffff) != (old_off & 0xffff));
	dbg_text_add(t, DBG_A_NORMAL, "%s ", name);
	dbg_text_add(t, changed ? DBG_A_CHANGED : DBG_A_NORMAL, "%04x:%04llx%c",
		     seg->selector, (unsigned long long)(off & 0xffff),
		     changed ? '*' : ' ');
	dbg_text_add(t, DBG_A_NORMAL, " ");
}

/* The six segment selectors in one row (4 hex digits each). */
static void selectors(struct dbg_text *t, const struct dbg_state *cur,
		      const struct dbg_state *prev)
{
	static const char *const names[] = {"cs", "ds", "es", "ss", "fs", "gs"};
	const struct kvm_segment *now[] = {&cur->sregs.cs, &cur->sregs.ds,
					   &cur->sregs.es, &cur->sregs.ss,
					   &cur->sregs.fs, &cur->sregs.gs};
	const struct kvm_sregs *o = prev ? &prev->sregs : NULL;
	const struct kvm_segment *was[] = {
		o ? &o->cs : NULL, o ? &o->ds : NULL, o ? &o->es : NULL,
		o ? &o->ss : NULL, o ? &o->fs : NULL, o ? &o->gs : NULL};
	dbg_text_line(t, DBG_A_NORMAL, "%s", "");
	for (int i = 0; i < 6; i++)
		cell(t, names[i], 4, now[i]->selector,
		     was[i] && was[i]->selector != now[i]->selector);
}

/* 32-bit code: eight 32-bit registers and EIP; no r8-r15, which exist
 * only in 64-bit mode (SDM Vol. 1 3.4.1.1). */
static void regs32(const struct dbg_state *cur, const struct dbg_state *prev,
		   struct dbg_text *t)
{
	static const char *const names[] = {"eax", "ebx", "ecx", "edx", "esi",
					    "edi", "esp", "ebp", "eip"};
	cells(t, names, 9, 4, 8, cur, prev);
	selectors(t, cur, prev);
}

/* Real mode (and 16-bit protected mode): the 16-bit registers, the
 * segment selectors, CS:IP and SS:SP. Real-mode code can still use
 * the 32-bit registers (an operand-size prefix), so a register whose
 * bits 31:16 are not zero is also listed whole. */
static void regs16(const struct dbg_state *cur, const struct dbg_state *prev,
		   struct dbg_text *t)
{
	static const char *const names[] = {"ax", "bx", "cx", "dx",
					    "si", "di", "sp", "bp"};
	static const char *const wide[] = {"eax", "ebx", "ecx", "edx",
					   "esi", "edi", "esp", "ebp"};
	cells(t, names, 8, 8, 4, cur, prev);
	selectors(t, cur, prev);
	dbg_text_line(t, DBG_A_NORMAL, "%s", "");
	far_pair(t, "cs:ip", &cur->sregs.cs, prev ? &prev->sregs.cs : NULL,
		 cur->regs.rip, prev ? prev->regs.rip : 0, prev != NULL);
	far_pair(t, "ss:sp", &cur->sregs.ss, prev ? &prev->sregs.ss : NULL,
		 cur->regs.rsp, prev ? prev->regs.rsp : 0, prev != NULL);
	int shown = 0;
	for (int i = 0; i < 8; i++) {
		uint64_t v;
		int changed = reg_changed(wide[i], cur, prev, &v);
		if (v <= 0xffff)
			continue;
		if (!shown++)
			dbg_text_line(t, DBG_A_DIM, "32-bit: ");
		cell(t, wide[i], 8, v, changed);
	}
}

void dbg_render_regs(const struct dbg_state *cur, const struct dbg_state *prev,
		     struct dbg_text *t)
{
	int bits = dbg_code_bits(&cur->sregs);
	if (bits == 64)
		regs64(cur, prev, t);
	else if (bits == 32)
		regs32(cur, prev, t);
	else
		regs16(cur, prev, t);
	/* RFLAGS under the name the mode gives it (Intel SDM Vol. 1 3.4.3). */
	char flags[128], mode[128];
	uint64_t rf = cur->regs.rflags;
	dbg_rflags_str(rf, flags, sizeof(flags));
	int changed = prev && prev->regs.rflags != rf;
	dbg_text_line(t, DBG_A_NORMAL, "%s ",
		      bits == 64   ? "rflags"
		      : bits == 32 ? "eflags"
				   : "flags");
	dbg_text_add(t, changed ? DBG_A_CHANGED : DBG_A_NORMAL, "%0*llx%c",
		     bits == 16 ? 4 : 8, (unsigned long long)rf,
		     changed ? '*' : ' ');
	dbg_text_add(t, DBG_A_NORMAL, " [%s]", flags);
	if (mvm_describe_mode(&cur->sregs, mode, sizeof(mode)) < 0)
		snprintf(mode, sizeof(mode), "(mode unknown)");
	dbg_text_line(t, DBG_A_TITLE, "mode: %s", mode);
}

/* "cr0 0000000080000011  [PE ET PG]" */
static void control_row(struct dbg_text *t, const char *name, uint64_t v,
			uint64_t old, int have_old,
			const struct dbg_bitname *bits)
{
	int changed = have_old && v != old;
	dbg_text_line(t, DBG_A_NORMAL, "%-4s ", name);
	dbg_text_add(t, changed ? DBG_A_CHANGED : DBG_A_NORMAL, "%016llx%c",
		     (unsigned long long)v, changed ? '*' : ' ');
	if (bits) {
		char names[160];
		dbg_bits_str(v, bits, names, sizeof(names));
		dbg_text_add(t, DBG_A_NORMAL, " [%s]", names);
	}
}

/* One row per segment register; a row whose selector or hidden part
 * changed (a far jump, a mode switch) is marked like a changed value. */
static void segment_rows(const struct kvm_sregs *s, const struct kvm_sregs *o,
			 struct dbg_text *t)
{
	static const struct {
		const char *name;
		size_t off;
	} segs[] = {
		{"cs", offsetof(struct kvm_sregs, cs)},
		{"ss", offsetof(struct kvm_sregs, ss)},
		{"ds", offsetof(struct kvm_sregs, ds)},
		{"es", offsetof(struct kvm_sregs, es)},
		{"fs", offsetof(struct kvm_sregs, fs)},
		{"gs", offsetof(struct kvm_sregs, gs)},
		{"tr", offsetof(struct kvm_sregs, tr)},
		{"ldt", offsetof(struct kvm_sregs, ldt)},
	};
	char buf[160];
	for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
		const void *seg = (const char *)s + segs[i].off;
		int changed = o && memcmp(seg, (const char *)o + segs[i].off,
					  sizeof(struct kvm_segment));
		dbg_seg_str(seg, buf, sizeof(buf));
		dbg_text_line(t, changed ? DBG_A_CHANGED : DBG_A_NORMAL,
			      "%-3s %s%s", segs[i].name, buf,
			      changed ? " *" : "");
	}
	dbg_text_line(t, DBG_A_NORMAL,
		      "gdt base 0x%llx limit 0x%x   idt base 0x%llx limit 0x%x",
		      (unsigned long long)s->gdt.base, s->gdt.limit,
		      (unsigned long long)s->idt.base, s->idt.limit);
}

void dbg_render_sregs(const struct dbg_state *cur, const struct dbg_state *prev,
		      struct dbg_text *t)
{
	const struct kvm_sregs *s = &cur->sregs;
	const struct kvm_sregs *o = prev ? &prev->sregs : s;
	int h = prev != NULL;
	segment_rows(s, prev ? o : NULL, t);
	/* CR0/CR4 bits: Intel SDM Vol. 3A 2.5; EFER: AMD APM Vol. 2 3.1.7.
	 * CR2 is the faulting address of the last #PF, CR3 the page-table
	 * root (its low 12 bits are PCD/PWT or a PCID). */
	control_row(t, "cr0", s->cr0, o->cr0, h, dbg_cr0_bits);
	control_row(t, "cr2", s->cr2, o->cr2, h, NULL);
	control_row(t, "cr3", s->cr3, o->cr3, h, NULL);
	control_row(t, "cr4", s->cr4, o->cr4, h, dbg_cr4_bits);
	control_row(t, "efer", s->efer, o->efer, h, dbg_efer_bits);
}

void dbg_render_check(const struct dbg_state *st, struct dbg_text *t)
{
	struct mvm_check_report rep;
	int n = mvm_check_state(&st->regs, &st->sregs, &rep);
	if (n <= 0) {
		dbg_text_line(t, DBG_A_NORMAL,
			      "state checker: no problems found in these "
			      "registers");
		return;
	}
	dbg_text_line(t, DBG_A_TITLE, "state checker: %d problem%s", n,
		      n == 1 ? "" : "s");
	for (int i = 0; i < rep.n && i < MVM_CHECK_MAX; i++) {
		dbg_text_line(t, DBG_A_ERROR, "  %s: %s", rep.p[i].rule,
			      rep.p[i].msg);
		dbg_text_line(t, DBG_A_DIM, "    (%s)", rep.p[i].ref);
	}
}
