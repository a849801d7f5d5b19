/*
 * bp.c - the breakpoint table (see bp.h).
 *
 * Matching happens after each exit the run step returns. A RIP
 * breakpoint fires as a #DB debug exit whose DR6 has one of B0-B3 set
 * (Intel SDM Vol. 3B 18.2.3), a watchpoint as one whose DR6 has the bit
 * of its own debug register; the other kinds look at the exit record.
 */
#include "bp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define DR6_BP_HIT 0xfULL /* B0-B3 */

void dbg_bps_init(struct dbg_bps *b)
{
	memset(b, 0, sizeof(*b));
	b->next_id = 1;
}

/* Two breakpoints that would stop at the same events; adding the second
 * would only make `info break` confusing. */
static int same(const struct dbg_bp *a, const struct dbg_bp *b)
{
	if (a->kind == DBG_BP_IRQ) /* lo/hi: what it last saw */
		return b->kind == DBG_BP_IRQ;
	return a->kind == b->kind && a->reason == b->reason && a->lo == b->lo &&
	       a->hi == b->hi;
}

static int uses_dr(enum dbg_bp_kind k)
{
	return k == DBG_BP_RIP || k == DBG_BP_WATCH;
}

/* RIP breakpoints and watchpoints are limited by the hardware: DR0-DR3
 * hold four linear addresses (SDM Vol. 3B 18.2.1). The other kinds are
 * checked in software after each exit, so only the table size limits
 * them. */
int dbg_bp_add(struct dbg_bps *b, const struct dbg_bp *bp, char *err,
	       size_t errlen)
{
	struct mvm_hwbp hw[MVM_HW_BREAKPOINTS];
	for (int i = 0; i < b->n; i++)
		if (same(&b->bp[i], bp)) {
			snprintf(err, errlen, "breakpoint %d is the same",
				 b->bp[i].id);
			return -EEXIST;
		}
	if (uses_dr(bp->kind) && dbg_bp_hw(b, hw) >= MVM_HW_BREAKPOINTS) {
		snprintf(err, errlen,
			 "all %d hardware breakpoints (DR0-DR3) are in use; "
			 "`delete N` one first",
			 MVM_HW_BREAKPOINTS);
		return -ENOSPC;
	}
	if (b->n == DBG_MAX_BPS) {
		snprintf(err, errlen, "too many breakpoints (max %d)",
			 DBG_MAX_BPS);
		return -ENOSPC;
	}
	struct dbg_bp *n = &b->bp[b->n++];
	*n = *bp;
	n->id = b->next_id++;
	n->hits = 0;
	return n->id;
}

/* Ids are never reused, so `delete 2` after another `break` still means
 * the breakpoint the user saw as 2. */
int dbg_bp_delete(struct dbg_bps *b, int id)
{
	for (int i = 0; i < b->n; i++) {
		if (b->bp[i].id != id)
			continue;
		memmove(&b->bp[i], &b->bp[i + 1],
			(size_t)(b->n - i - 1) * sizeof(b->bp[0]));
		b->n--;
		return 0;
	}
	return -ENOENT;
}

/* In table order: DRn gets the n-th RIP breakpoint each time the debug
 * state is loaded (KVM_SET_GUEST_DEBUG takes all four at once). */
int dbg_bp_hw_addrs(const struct dbg_bps *b, uint64_t addrs[4])
{
	int n = 0;
	for (int i = 0; i < b->n && n < MVM_HW_BREAKPOINTS; i++)
		if (b->bp[i].kind == DBG_BP_RIP)
			addrs[n++] = b->bp[i].lo;
	return n;
}

int dbg_bp_hw(const struct dbg_bps *b, struct mvm_hwbp hw[4])
{
	int n = 0;
	for (int i = 0; i < b->n && n < MVM_HW_BREAKPOINTS; i++) {
		const struct dbg_bp *bp = &b->bp[i];
		if (bp->kind == DBG_BP_RIP)
			hw[n++] = (struct mvm_hwbp){bp->lo, MVM_HWBP_EXEC, 1};
		else if (bp->kind == DBG_BP_WATCH)
			hw[n++] = (struct mvm_hwbp){
				bp->lo, (enum mvm_hwbp_kind)bp->reason,
				(unsigned)(bp->hi - bp->lo + 1)};
	}
	return n;
}

struct dbg_bp *dbg_bp_at(struct dbg_bps *b, uint64_t addr)
{
	for (int i = 0; i < b->n; i++)
		if (b->bp[i].kind == DBG_BP_RIP && b->bp[i].lo == addr)
			return &b->bp[i];
	return NULL;
}

/* Ranges are inclusive and an access matches if any byte of it falls
 * inside: a 2-byte OUT to 0x3f7 touches 0x3f8. */
static int matches(const struct dbg_bp *bp, const struct mvm_exit *e,
		   int mode_changed, int dr)
{
	switch (bp->kind) {
	case DBG_BP_EXIT:
		return e->reason == bp->reason;
	case DBG_BP_IO:
		return e->reason == KVM_EXIT_IO && e->u.io.port <= bp->hi &&
		       (uint64_t)e->u.io.port + e->u.io.size - 1 >= bp->lo;
	case DBG_BP_MMIO:
		return e->reason == KVM_EXIT_MMIO && e->u.mmio.addr <= bp->hi &&
		       e->u.mmio.addr + e->u.mmio.len - 1 >= bp->lo;
	case DBG_BP_RIP:
		return e->reason == KVM_EXIT_DEBUG &&
		       (e->u.debug.dr6 & DR6_BP_HIT) && e->u.debug.pc == bp->lo;
	case DBG_BP_MODE:
		return mode_changed;
	case DBG_BP_WATCH:
		return e->reason == KVM_EXIT_DEBUG &&
		       (e->u.debug.dr6 & (1ULL << dr));
	case DBG_BP_IRQ:
		return 0; /* dbg_bp_match looks at irq_pending */
	}
	return 0;
}

/* The kick after an injection (dbgirq.c): the first irq breakpoint
 * takes the IRQ and vector. */
static struct dbg_bp *irq_match(struct dbg_bps *b, const struct mvm_exit *e)
{
	if (!b->irq_pending || e->reason != KVM_EXIT_INTR)
		return NULL;
	b->irq_pending = 0;
	for (int i = 0; i < b->n; i++)
		if (b->bp[i].kind == DBG_BP_IRQ) {
			b->bp[i].lo = b->irq_line;
			b->bp[i].hi = b->irq_vector;
			b->bp[i].at = b->irq_handler;
			b->bp[i].hits++;
			return &b->bp[i];
		}
	return NULL;
}

/* First match wins; its hit count goes up (shown by `info break`). */
struct dbg_bp *dbg_bp_match(struct dbg_bps *b, const struct mvm_exit *e,
			    int mode_changed)
{
	struct dbg_bp *irq = irq_match(b, e);
	int dr = 0; /* the debug register of the next RIP/WATCH entry */

	if (irq)
		return irq;
	for (int i = 0; i < b->n; i++) {
		if (matches(&b->bp[i], e, mode_changed, dr)) {
			b->bp[i].hits++;
			return &b->bp[i];
		}
		dr += uses_dr(b->bp[i].kind);
	}
	return NULL;
}

int dbg_bp_str(const struct dbg_bp *bp, char *buf, size_t len)
{
	char what[96];
	switch (bp->kind) {
	case DBG_BP_EXIT:
		snprintf(what, sizeof(what), "exit %s",
			 mvm_exit_reason_name(bp->reason));
		break;
	case DBG_BP_IO:
	case DBG_BP_MMIO:
		snprintf(what, sizeof(what), "%s 0x%llx-0x%llx",
			 bp->kind == DBG_BP_IO ? "io" : "mmio",
			 (unsigned long long)bp->lo,
			 (unsigned long long)bp->hi);
		break;
	case DBG_BP_RIP:
		snprintf(what, sizeof(what), "rip 0x%llx (hardware)",
			 (unsigned long long)bp->lo);
		break;
	case DBG_BP_MODE:
		snprintf(what, sizeof(what),
			 "mode change (CR0.PE/PG, EFER.LMA)");
		break;
	case DBG_BP_WATCH:
		snprintf(what, sizeof(what), "watch %s 0x%llx, %llu byte%s",
			 bp->reason == MVM_HWBP_WRITE ? "write" : "read/write",
			 (unsigned long long)bp->lo,
			 (unsigned long long)(bp->hi - bp->lo + 1),
			 bp->hi == bp->lo ? "" : "s");
		break;
	case DBG_BP_IRQ:
		if (!bp->hits)
			snprintf(what, sizeof(what),
				 "irq (the VMM injects an interrupt)");
		else if (bp->hi > 0xff)
			snprintf(what, sizeof(what), "irq: IRQ %llu injected",
				 (unsigned long long)bp->lo);
		else
			snprintf(what, sizeof(what),
				 "irq: IRQ %llu injected as vector 0x%02llx%s",
				 (unsigned long long)bp->lo,
				 (unsigned long long)bp->hi,
				 bp->at ? ", handler" : "");
		if (bp->at && bp->hits && bp->hi <= 0xff)
			snprintf(what + strlen(what),
				 sizeof(what) - strlen(what), " 0x%llx",
				 (unsigned long long)bp->at);
		break;
	}
	return snprintf(buf, len, "%d: %s, hit %llu time%s", bp->id, what,
			(unsigned long long)bp->hits, bp->hits == 1 ? "" : "s");
}

void dbg_render_breaks(const struct dbg_bps *b, struct dbg_text *t)
{
	char buf[160];
	if (b->n == 0)
		dbg_text_line(t, DBG_A_DIM, "no breakpoints (`help break`)");
	for (int i = 0; i < b->n; i++) {
		dbg_bp_str(&b->bp[i], buf, sizeof(buf));
		dbg_text_line(t, DBG_A_NORMAL, "%s", buf);
	}
}
