/*
 * bp.h - breakpoints: where `cont` stops.
 *
 * Seven kinds, each answering a question students ask:
 *   exit REASON     "stop at the next HLT / SHUTDOWN / MMIO exit"
 *   io FIRST[-LAST] "stop when the guest touches the UART"
 *   mmio ADDR[-END] "stop at the access to my device"
 *   rip ADDR        "stop before this instruction" - a hardware
 *                   breakpoint in DR0-DR3 (Intel SDM Vol. 3B 18.2), so
 *                   at most four; software int3 breakpoints do not work
 *                   on every KVM backend, so we do not offer them
 *   mode            "stop when CR0.PE, CR0.PG or EFER.LMA changes"
 *   watch ADDR      "stop after the guest writes (or reads) this" - a
 *                   data watchpoint, also in DR0-DR3; refused on KVM
 *                   backends that never deliver them (quirks.h
 *                   NO_WATCHPOINTS, debugger/README.md)
 *   irq             "stop when the VMM injects an interrupt" (only the
 *                   user-space 8259A's path injects from the VMM; the
 *                   debugger's pre-entry hook sees it, dbgirq.c)
 */
#ifndef DBG_BP_H
#define DBG_BP_H

#include <stddef.h>
#include <stdint.h>

#include "minivmm/minivmm.h"

#include "text.h"

enum dbg_bp_kind {
	DBG_BP_EXIT,
	DBG_BP_IO,
	DBG_BP_MMIO,
	DBG_BP_RIP,
	DBG_BP_MODE,
	DBG_BP_WATCH,
	DBG_BP_IRQ, /* the VMM injected an interrupt (user-space 8259A) */
};

struct dbg_bp {
	int id;		       /* shown by `info break`, used by `delete` */
	enum dbg_bp_kind kind; /* what it watches */
	uint32_t reason;       /* EXIT: KVM_EXIT_*; WATCH: MVM_HWBP_* */
	uint64_t lo, hi;       /* IO/MMIO/WATCH range (inclusive); RIP: lo;
				  IRQ: the last IRQ and vector injected */
	uint64_t hits;	       /* times it stopped the guest */
	uint64_t at;	       /* IRQ: the last handler (IDT), 0 unknown */
};

#define DBG_MAX_BPS 32

struct dbg_bps {
	int next_id; /* id of the next breakpoint (from 1) */
	int n;	     /* entries in bp[] */
	struct dbg_bp bp[DBG_MAX_BPS];
	/* An injection the pre-entry hook saw (dbgirq.c): the next
	 * KVM_EXIT_INTR (its kick) matches a DBG_BP_IRQ breakpoint. */
	int irq_pending;
	unsigned irq_line, irq_vector; /* vector -1u: not read */
	uint64_t irq_handler;	       /* its IDT target; 0: unknown */
};

void dbg_bps_init(struct dbg_bps *b);
/* Add a copy of *bp (id assigned). Returns the id, -ENOSPC (a fifth RIP
 * breakpoint, or the table is full) or -EEXIST (same one exists); err
 * says which. */
int dbg_bp_add(struct dbg_bps *b, const struct dbg_bp *bp, char *err,
	       size_t errlen);
/* Delete by id: 0 or -ENOENT. */
int dbg_bp_delete(struct dbg_bps *b, int id);
/* The RIP breakpoint addresses (the code pane marks them); returns how
 * many. */
int dbg_bp_hw_addrs(const struct dbg_bps *b, uint64_t addrs[4]);
/* What goes into DR0-DR3: the RIP breakpoints and watchpoints in table
 * order, DRn the n-th. Returns how many. */
int dbg_bp_hw(const struct dbg_bps *b, struct mvm_hwbp hw[4]);
/* The RIP breakpoint at addr, or NULL. */
struct dbg_bp *dbg_bp_at(struct dbg_bps *b, uint64_t addr);
/* The breakpoint this exit (or mode change) triggers, or NULL. */
struct dbg_bp *dbg_bp_match(struct dbg_bps *b, const struct mvm_exit *e,
			    int mode_changed);
/* "2: io 0x3f8-0x3ff (hit 3 times)" */
int dbg_bp_str(const struct dbg_bp *bp, char *buf, size_t len);
void dbg_render_breaks(const struct dbg_bps *b, struct dbg_text *t);

#endif
