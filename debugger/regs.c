/*
 * regs.c - the register panes.
 *
 * The general-purpose pane is what a student looks at after every step,
 * so it is dense (three registers per row, 66 columns) and marks each
 * value that changed with '*' as well as colour: the effect of one
 * instruction is visible at a glance, even in batch output.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "decode.h"
#include "panes.h"

#define GPR_COLUMNS 3

/* One "name value" cell; the value is highlighted when it changed. */
static void cell(struct dbg_text *t, const char *name, uint64_t v, int changed)
{
	dbg_text_add(t, DBG_A_NORMAL, "%-3s ", name);
	dbg_text_add(t, changed ? DBG_A_CHANGED : DBG_A_NORMAL, "%016llx%c",
		     (unsigned long long)v, changed ? '*' : ' ');
	dbg_text_add(t, DBG_A_NORMAL, " ");
}

void dbg_render_regs(const struct dbg_state *cur, const struct dbg_state *prev,
		     struct dbg_text *t)
{
	/* kvm_regs order is rax rbx rcx rdx rsi rdi rsp rbp r8..r15 rip
	 * rflags (Documentation/virt/kvm/api.rst, KVM_GET_REGS); the
	 * table in decode.c lists them in the same order. */
	int col = 0;
	for (int i = 0; i < dbg_nregs && dbg_regs[i].kind == DBG_REG_GPR; i++) {
		const struct dbg_reg *r = &dbg_regs[i];
		if (strcmp(r->name, "rflags") == 0)
			continue; /* gets its own decoded row below */
		uint64_t v = dbg_reg_get(r, &cur->regs, &cur->sregs);
		int changed =
			prev && v != dbg_reg_get(r, &prev->regs, &prev->sregs);
		if (col++ % GPR_COLUMNS == 0)
			dbg_text_line(t, DBG_A_NORMAL, "%s", "");
		cell(t, r->name, v, changed);
	}
	char flags[128], mode[128];
	uint64_t rf = cur->regs.rflags;
	dbg_rflags_str(rf, flags, sizeof(flags));
	int changed = prev && prev->regs.rflags != rf;
	dbg_text_line(t, DBG_A_NORMAL, "rflags ");
	dbg_text_add(t, changed ? DBG_A_CHANGED : DBG_A_NORMAL, "%08llx%c",
		     (unsigned long long)rf, changed ? '*' : ' ');
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
