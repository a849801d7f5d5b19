/*
 * cmds_edit.c - the commands that change things: breakpoints and
 * registers.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "decode.h"
#include "exec.h"
#include "irqpane.h"

#define PORT_MAX 0xffffULL

/* Add and confirm on the status line with the breakpoint's id. */
static int add(struct dbg_session *s, const struct dbg_bp *bp)
{
	char err[200], what[200];
	int id = dbg_bp_add(&s->bps, bp, err, sizeof(err));
	if (id < 0) {
		dbg_status(s, 1, "break: %s", err);
		return id;
	}
	for (int i = 0; i < s->bps.n; i++)
		if (s->bps.bp[i].id == id)
			dbg_bp_str(&s->bps.bp[i], what, sizeof(what));
	dbg_status(s, 0, "breakpoint %s", what);
	return 0;
}

/* argv[2] as a range, no higher than max (0xffff for ports: the I/O
 * space is 64 KiB, Intel SDM Vol. 1 19.2). */
static int range_arg(struct dbg_session *s, struct dbg_cmdline *c,
		     struct dbg_bp *bp, uint64_t max)
{
	char err[200];
	if (c->argc < 3) {
		dbg_status(s, 1, "break %s: missing range", c->argv[1]);
		return -EINVAL;
	}
	if (dbg_parse_range(c->argv[2], &bp->lo, &bp->hi, err, sizeof(err))) {
		dbg_status(s, 1, "break: %s", err);
		return -EINVAL;
	}
	if (bp->hi > max) {
		dbg_status(s, 1, "break: 0x%llx is past the last port (0xffff)",
			   (unsigned long long)bp->hi);
		return -EINVAL;
	}
	return 0;
}

/* Without arguments, `break` lists the breakpoints (as Bochs' `info b`). */
int cmd_break(struct dbg_session *s, struct dbg_cmdline *c)
{
	struct dbg_bp bp = {0};
	const char *k = c->argc > 1 ? c->argv[1] : "";
	if (c->argc < 2) {
		s->focus = DBG_P_RESULT;
		dbg_render_breaks(&s->bps, &s->result);
		return 0;
	}
	if (!strcmp(k, "exit")) {
		int r = c->argc > 2 ? mvm_exit_reason_parse(c->argv[2])
				    : -ENOENT;
		if (r < 0) {
			dbg_status(s, 1,
				   "break exit: unknown reason '%s' (io, "
				   "mmio, hlt, shutdown, debug ...)",
				   c->argc > 2 ? c->argv[2] : "");
			return -EINVAL;
		}
		bp.kind = DBG_BP_EXIT;
		bp.reason = (uint32_t)r;
	} else if (!strcmp(k, "io") || !strcmp(k, "mmio")) {
		bp.kind = k[0] == 'i' ? DBG_BP_IO : DBG_BP_MMIO;
		if (range_arg(s, c, &bp,
			      bp.kind == DBG_BP_IO ? PORT_MAX : UINT64_MAX))
			return -EINVAL;
	} else if (!strcmp(k, "mode")) {
		bp.kind = DBG_BP_MODE;
	} else if (!strcmp(k, "irq") || !strcmp(k, "inject")) {
		if (dbg_irq_break_check(s)) /* only the VMM's own injections */
			return -EINVAL;
		bp.kind = DBG_BP_IRQ;
	} else if (!strcmp(k, "watch") || !strcmp(k, "data")) {
		return cmd_watch(s, c); /* says what this backend offers */
	} else {
		/* "break rip EXPR" or just "break EXPR"; in real mode also
		 * "break 0x7c0:3" (SEG:OFF, cmd.h). */
		struct dbg_addr a;
		bp.kind = DBG_BP_RIP;
		if (dbg_arg_seg_addr(s, c, !strcmp(k, "rip") ? 2 : 1, &a))
			return -EINVAL;
		bp.lo = bp.hi = a.linear;
	}
	return add(s, &bp);
}

/* Deleting a RIP breakpoint frees its debug register for the next
 * `break`; the new set is loaded at the next run. */
int cmd_delete(struct dbg_session *s, struct dbg_cmdline *c)
{
	uint64_t id;
	if (c->argc < 2 || dbg_parse_u64(c->argv[1], &id)) {
		dbg_status(s, 1,
			   "delete: expected a breakpoint number (see "
			   "`info break`)");
		return -EINVAL;
	}
	if (dbg_bp_delete(&s->bps, (int)id)) {
		dbg_status(s, 1, "delete: no breakpoint %llu",
			   (unsigned long long)id);
		return -ENOENT;
	}
	dbg_status(s, 0, "deleted breakpoint %llu", (unsigned long long)id);
	return 0;
}

/* "set rax 5", "set rax=5", "set $rax = 5", "set reg rax 5". */
static int split_assignment(struct dbg_session *s, struct dbg_cmdline *c,
			    char *name, size_t nlen, char *expr, size_t elen)
{
	char all[DBG_CMD_LEN];
	int from = c->argc > 1 && !strcmp(c->argv[1], "reg") ? 2 : 1;
	dbg_join(c, from, all, sizeof(all));
	size_t n = strcspn(all, " =");
	const char *v = all + n;
	while (*v == ' ' || *v == '=')
		v++;
	if (n == 0 || n >= nlen || !*v) {
		dbg_status(s, 1,
			   "set: expected `set REG VALUE`, e.g. set rax "
			   "0x10");
		return -EINVAL;
	}
	snprintf(name, nlen, "%.*s", (int)n, all);
	snprintf(expr, elen, "%s", v);
	return 0;
}

/* General registers go through KVM_SET_REGS, control registers through
 * KVM_SET_SREGS; KVM may refuse an inconsistent state (for example
 * EFER.LMA without CR0.PG), and then its error is shown as is. */
int cmd_set(struct dbg_session *s, struct dbg_cmdline *c)
{
	char name[32], expr[DBG_CMD_LEN], err[200];
	uint64_t v;
	if (split_assignment(s, c, name, sizeof(name), expr, sizeof(expr)))
		return -EINVAL;
	const struct dbg_reg *r = dbg_reg_find(name);
	if (!r) {
		dbg_status(s, 1, "set: no register '%s'", name);
		return -EINVAL;
	}
	if (dbg_eval(expr, &s->cur.regs, &s->cur.sregs, &v, err, sizeof(err))) {
		dbg_status(s, 1, "set: %s", err);
		return -EINVAL;
	}
	if (!s->vm) {
		dbg_status(s, 1, "set: a replayed trace cannot be changed");
		return -EROFS;
	}
	struct dbg_state st = s->cur;
	if (dbg_reg_set(r, &st.regs, &st.sregs, v)) {
		dbg_status(s, 1, "set: %s cannot be set by value", r->name);
		return -EROFS;
	}
	int rc = r->kind == DBG_REG_GPR
			 ? mvm_vcpu_set_regs(s->vcpu, &st.regs)
			 : mvm_vcpu_set_sregs(s->vcpu, &st.sregs);
	if (rc) {
		dbg_status(s, 1, "set %s: KVM refused the value: %s", r->name,
			   strerror(-rc));
		return rc;
	}
	s->prev = s->cur;
	s->have_prev = 1;
	dbg_session_refresh(s);
	/* Say what KVM kept, not what was asked: KVM may drop bits it does
	 * not accept (reserved EFER bits, say) without an error. */
	uint64_t kept = dbg_reg_get(r, &s->cur.regs, &s->cur.sregs);
	if (kept != v) {
		dbg_status(s, 1,
			   "set %s: asked for 0x%llx but KVM kept 0x%llx "
			   "(bits it does not accept were dropped)",
			   r->name, (unsigned long long)v,
			   (unsigned long long)kept);
		return 0;
	}
	dbg_status(s, 0, "%s = 0x%llx", r->name, (unsigned long long)v);
	return 0;
}
