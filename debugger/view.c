/*
 * view.c - rendering a pane from the session: the one place that
 * decides what each pane shows, for the TUI and for batch output alike.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "irqpane.h"
#include "session.h"
#include "vqpane.h"

static const char *const pane_names[] = {
	[DBG_P_EXITS] = "exits",   [DBG_P_PT] = "pt",
	[DBG_P_MEM] = "mem",	   [DBG_P_OUTPUT] = "output",
	[DBG_P_SREGS] = "sregs",   [DBG_P_STATS] = "stats",
	[DBG_P_IRQ] = "irq",	   [DBG_P_VIRTQ] = "virtq",
	[DBG_P_RESULT] = "result", [DBG_P_REGS] = "regs",
	[DBG_P_CODE] = "code",
};
_Static_assert(sizeof(pane_names) / sizeof(pane_names[0]) == DBG_P_CODE + 1,
	       "one name per pane");

const char *dbg_pane_name(enum dbg_pane p)
{
	return (unsigned)p <= DBG_P_CODE && pane_names[p] ? pane_names[p] : "?";
}

int dbg_pane_parse(const char *name)
{
	for (int i = 0; i <= DBG_P_CODE; i++)
		if (pane_names[i] && strcasecmp(name, pane_names[i]) == 0)
			return i;
	return -1;
}

/* The walk of RIP by default: the question a student asks most is
 * "where does the instruction I am on actually live?" */
static void render_pt(struct dbg_session *s, struct dbg_text *t)
{
	uint64_t va = s->pt_follow ? dbg_linear_pc(&s->cur) : s->pt_addr;
	if (!s->vm) {
		dbg_text_line(t, DBG_A_DIM,
			      "replay: page tables were not recorded");
		return;
	}
	dbg_render_walk(mvm_vm_mem(s->vm), &s->cur.sregs, va, s->stable, t);
}

/* Re-read on every redraw: the guest may have changed the memory
 * since the `x` command. */
static void render_mem(struct dbg_session *s, struct dbg_text *t)
{
	uint8_t buf[DBG_X_MAX_BYTES];
	char err[160];
	const struct dbg_xfmt *f = &s->mem_fmt;
	size_t len = (size_t)f->count * dbg_xfmt_unit_bytes(f->unit);
	if (f->fmt == 'i') /* instructions: enough bytes for count of them */
		len = f->count * 15 < sizeof(buf) ? f->count * 15 : sizeof(buf);
	if (f->fmt == 's') /* strings: up to 256 bytes each */
		len = f->count * 256 < sizeof(buf) ? f->count * 256
						   : sizeof(buf);
	int rc = s->mem_phys ? dbg_read_phys(s, s->mem_addr, buf, len, err,
					     sizeof(err))
			     : dbg_read_virt(s, s->mem_addr, buf, len, err,
					     sizeof(err));
	/* x/i, x/s near the end of mapped memory: shorten until readable. */
	while (rc && (f->fmt == 'i' || f->fmt == 's') && len > 16) {
		len /= 2;
		rc = s->mem_phys ? dbg_read_phys(s, s->mem_addr, buf, len, err,
						 sizeof(err))
				 : dbg_read_virt(s, s->mem_addr, buf, len, err,
						 sizeof(err));
	}
	if (rc) {
		dbg_text_line(t, DBG_A_ERROR, "%s", err);
		return;
	}
	struct dbg_codeview v = {.segmented = s->mem_at.segmented,
				 .selector = s->mem_at.selector,
				 .base = s->mem_at.base};
	dbg_render_mem_at(
		buf, len, s->mem_addr, f, dbg_code_bits(&s->cur.sregs),
		s->mem_phys ? UINT64_MAX : dbg_linear_pc(&s->cur), &v, t);
}

/* A third of the rows before RIP, the rest after: what just ran and
 * what runs next are both visible. */
static void render_code(struct dbg_session *s, int rows, struct dbg_text *t)
{
	int before = rows > 3 ? rows / 3 : 0;
	int after = rows > 0 ? rows - before - 1 : 8;
	uint64_t bps[MVM_HW_BREAKPOINTS];
	int bits = dbg_code_bits(&s->cur.sregs);
	struct dbg_codeview v = {
		.known = &s->known,
		.bps = bps,
		.nbps = dbg_bp_hw_addrs(&s->bps, bps),
		.segmented = bits == 16,
		.selector = s->cur.sregs.cs.selector,
		.base = s->cur.sregs.cs.base,
	};
	dbg_render_code_view(s->code.bytes, s->code.len, s->code.addr,
			     dbg_linear_pc(&s->cur), bits, before, after, &v,
			     t);
}

#define STATS_MAX 64

/* KVM's binary statistics (api.rst, KVM_GET_STATS_FD) of the vCPU
 * (which = 0) or the VM (1), non-zero values, two per row. The stats fd
 * is opened once and kept: reading it is a pread of the data block. */
static void kvm_stats(struct dbg_session *s, int which, struct dbg_text *t)
{
	static const char *const what[2] = {"vCPU", "VM"};
	struct mvm_stat st[STATS_MAX];
	if (s->stats_fd[which] == 0)
		s->stats_fd[which] = mvm_stats_open(
			which ? mvm_vm_fd(s->vm) : mvm_vcpu_fd(s->vcpu));
	int n = s->stats_fd[which] > 0
			? mvm_stats_read_all(s->stats_fd[which], st, STATS_MAX)
			: s->stats_fd[which];
	if (n < 0) {
		dbg_text_line(t, DBG_A_DIM,
			      "KVM %s statistics: unavailable (%s)",
			      what[which], strerror(-n));
		return;
	}
	dbg_text_line(t, DBG_A_TITLE,
		      "KVM %s statistics (non-zero):", what[which]);
	for (int i = 0, col = 0; i < n; i++) {
		if (!st[i].value)
			continue;
		if (col++ % 2 == 0)
			dbg_text_line(t, DBG_A_NORMAL, "%s", "");
		dbg_text_add(t, DBG_A_NORMAL, "  %-24s %12llu", st[i].name,
			     (unsigned long long)st[i].value);
	}
}

static void render_stats(struct dbg_session *s, struct dbg_text *t)
{
	dbg_render_counters(&s->exits, s->stable, t);
	dbg_render_event_counts(&s->events, s->log_all, t);
	if (!s->vm)
		dbg_text_line(t, DBG_A_DIM,
			      "replay: KVM statistics were not recorded");
	else if (s->stable)
		dbg_text_line(t, DBG_A_DIM,
			      "(KVM statistics left out: --stable)");
	else {
		kvm_stats(s, 0, t);
		kvm_stats(s, 1, t);
	}
}

void dbg_render_pane(struct dbg_session *s, enum dbg_pane p, int rows,
		     struct dbg_text *t)
{
	const struct dbg_state *prev = s->have_prev ? &s->prev : NULL;
	switch (p) {
	case DBG_P_EXITS:
		if (s->log_all)
			dbg_render_log(&s->exits, &s->notes, &s->events, rows,
				       s->stable, t);
		else
			dbg_render_exits(&s->exits, &s->notes, rows, s->stable,
					 t);
		break;
	case DBG_P_PT:
		render_pt(s, t);
		break;
	case DBG_P_MEM:
		render_mem(s, t);
		break;
	case DBG_P_OUTPUT:
		dbg_render_output(s->out, s->out_len, rows, t);
		break;
	case DBG_P_SREGS:
		dbg_render_sregs(&s->cur, prev, t);
		break;
	case DBG_P_STATS:
		render_stats(s, t);
		break;
	case DBG_P_IRQ: {
		static struct dbg_irqview v; /* 5 KiB: not on the stack */
		if (!s->vm) {
			dbg_text_line(t, DBG_A_DIM,
				      "replay: the interrupt state was not "
				      "recorded");
			break;
		}
		dbg_irq_view(s, &v);
		dbg_render_irq(&v, t);
		break;
	}
	case DBG_P_VIRTQ:
		dbg_render_virtq_pane(s, t);
		break;
	case DBG_P_RESULT:
		dbg_text_append(t, &s->result);
		break;
	case DBG_P_REGS:
		dbg_render_regs(&s->cur, prev, t);
		break;
	case DBG_P_CODE:
		render_code(s, rows, t);
		break;
	default:
		dbg_text_line(t, DBG_A_ERROR, "no such pane");
	}
}
