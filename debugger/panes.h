/*
 * panes.h - the renderers: one function per pane, each appending lines
 * to a struct dbg_text (text.h).
 *
 * Renderers take plain data (register structs, byte buffers, a memory
 * map, a trace), never the live VM, so unit tests feed them hand-built
 * inputs and batch mode prints exactly what the TUI shows. `stable`
 * leaves out what differs from run to run (host times and host
 * addresses) so batch output can be compared against golden files.
 */
#ifndef DBG_PANES_H
#define DBG_PANES_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

#include "minivmm/minivmm.h"

#include "cmd.h"
#include "text.h"

/* The CPU state a pane shows. */
struct dbg_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
};

/* regs.c: general registers, RIP, RFLAGS, the mode in words; values
 * different from prev (may be NULL) are marked '*' and DBG_A_CHANGED. */
void dbg_render_regs(const struct dbg_state *cur, const struct dbg_state *prev,
		     struct dbg_text *t);
/* regs.c: segments, descriptor tables, CR0-CR4 and EFER decoded. */
void dbg_render_sregs(const struct dbg_state *cur, const struct dbg_state *prev,
		      struct dbg_text *t);

/* regs.c: the library's entry-state checker (mvm_check_state) on st:
 * each architectural rule the state breaks, with its manual reference. */
void dbg_render_check(const struct dbg_state *st, struct dbg_text *t);

/* code.c: 16, 32 or 64 - the default operand size of the code at RIP
 * (CS.L and CS.D, Intel SDM Vol. 3A 3.4.5 and 5.2.1). */
int dbg_code_bits(const struct kvm_sregs *sregs);
/* code.c: linear address of the next instruction (CS.base + RIP outside
 * 64-bit mode, where CS.base is ignored). */
uint64_t dbg_linear_pc(const struct dbg_state *st);
/* Addresses where instructions are known to start (recently executed
 * RIPs): they settle the ambiguity of decoding backwards. */
#define DBG_KNOWN_MAX 16
struct dbg_known {
	int n;
	uint64_t pc[DBG_KNOWN_MAX];
};

/* code.c: disassemble buf (its first byte is at linear address `addr`),
 * up to `before` instructions before pc and `after` from pc on. The
 * instruction at pc is marked "=>" and DBG_A_CURRENT. known may be
 * NULL. */
void dbg_render_code(const uint8_t *buf, size_t len, uint64_t addr, uint64_t pc,
		     int bits, int before, int after,
		     const struct dbg_known *known, struct dbg_text *t);
/* What else the code pane shows: breakpoints ("B " at their rows, "B>"
 * when RIP is on one) and, for 16-bit code, addresses as seg:offset
 * (CS:IP), the way the guest's own listing names them. */
struct dbg_codeview {
	const struct dbg_known *known; /* instruction starts (may be NULL) */
	const uint64_t *bps;	       /* breakpoint linear addresses */
	int nbps;
	int segmented;	   /* 1: label rows sel:offset ... */
	uint16_t selector; /* ... with CS's selector */
	uint64_t base;	   /* and base (offset = linear - base) */
};
void dbg_render_code_view(const uint8_t *buf, size_t len, uint64_t addr,
			  uint64_t pc, int bits, int before, int after,
			  const struct dbg_codeview *v, struct dbg_text *t);

/* code.c: the length of the instruction at buf (0 if it does not
 * decode) and whether it is a CALL (what `next` steps over). */
unsigned dbg_insn_len(const uint8_t *buf, size_t len, uint64_t addr, int bits,
		      int *is_call);

/* ptpane.c: the page walk for gva from CR3 down, one row per level,
 * and where the final address lands (slot, host address). */
void dbg_render_walk(const struct mvm_memmap *mem,
		     const struct kvm_sregs *sregs, uint64_t gva, int stable,
		     struct dbg_text *t);
/* ptpane.c: every mapping, merged into ranges (QEMU's `info mem`). */
void dbg_render_ptmap(const struct mvm_memmap *mem,
		      const struct kvm_sregs *sregs, struct dbg_text *t);

/* mem.c: buf (len bytes read at addr) in the format f; 'i' renders
 * instructions with `bits`, marking the one at pc. */
void dbg_render_mem(const uint8_t *buf, size_t len, uint64_t addr,
		    const struct dbg_xfmt *f, int bits, uint64_t pc,
		    struct dbg_text *t);
/* The same with rows labelled SEG:OFFSET when v->segmented (v may be
 * NULL; only its segment fields are used). */
void dbg_render_mem_at(const uint8_t *buf, size_t len, uint64_t addr,
		       const struct dbg_xfmt *f, int bits, uint64_t pc,
		       const struct dbg_codeview *v, struct dbg_text *t);

/* What an exit meant beyond its raw fields ("ucall PRINT \"hi\""),
 * kept per trace slot with the seq it belongs to. */
#define DBG_NOTE_LEN 64
struct dbg_notes {
	uint64_t seq[MVM_TRACE_CAP];
	char s[MVM_TRACE_CAP][DBG_NOTE_LEN];
};
void dbg_note_set(struct dbg_notes *n, uint64_t seq, const char *text);
/* The note of exit seq, or NULL (n may be NULL). */
const char *dbg_note_get(const struct dbg_notes *n, uint64_t seq);

/* exitlog.c: one exit as a log row; note (may be NULL) replaces the
 * raw data in the description. */
void dbg_render_exit(const struct mvm_exit *e, const char *note, int stable,
		     struct dbg_text *t);
/* exitlog.c: the newest `max` exits of tr, oldest first. */
void dbg_render_exits(const struct mvm_trace *tr, const struct dbg_notes *notes,
		      int max, int stable, struct dbg_text *t);
/* exitlog.c: exits per reason (with mean handling time unless stable). */
void dbg_render_counters(const struct mvm_trace *tr, int stable,
			 struct dbg_text *t);
/*
 * Debugger events: what the debugger itself caused - single-step and
 * breakpoint #DBs (KVM_EXIT_DEBUG exists only because it asked for
 * them with KVM_SET_GUEST_DEBUG) - or reported on the guest's behalf (a
 * HLT found before stepping it, "synthesized"). They are numbered and
 * counted apart from the guest's own exits, so `exits` counts what the
 * guest made the VMM do, not how the student looked at it.
 */
struct dbg_events {
	struct mvm_trace tr;	       /* numbered D1, D2 ... on their own */
	uint64_t after[MVM_TRACE_CAP]; /* guest exits logged before it */
	uint8_t synth[MVM_TRACE_CAP];  /* 1: made up by the debugger */
};
/* exitlog.c: one debugger event as a log row ("D3 ..."). */
void dbg_render_event(const struct dbg_events *ev, const struct mvm_exit *e,
		      int stable, struct dbg_text *t);
/* exitlog.c: the newest `max` rows of guest exits and debugger events
 * interleaved in the order they happened, oldest first. */
void dbg_render_log(const struct mvm_trace *tr, const struct dbg_notes *notes,
		    const struct dbg_events *ev, int max, int stable,
		    struct dbg_text *t);
/* exitlog.c: how many debugger events, of which kinds (nothing if none). */
void dbg_render_event_counts(const struct dbg_events *ev, int shown,
			     struct dbg_text *t);
/* exitlog.c: the last max_lines lines of the guest's output. */
void dbg_render_output(const char *buf, size_t len, int max_lines,
		       struct dbg_text *t);

#endif
