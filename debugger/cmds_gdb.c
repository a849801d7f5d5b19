/*
 * cmds_gdb.c - the commands a gdb user types first: `print`, `next`
 * (step over a call), `watch`, and what Tab offers after a command word.
 *
 * Their names and meanings are gdb's ("Debugging with GDB": Continuing
 * and Stepping, Examining Data, Setting Watchpoints), so a student who
 * knows gdb is not surprised; where this debugger differs (no source
 * lines, so `step` is one instruction; no data watchpoints on some KVM
 * backends) the command says so.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "exec.h"

/* --- print ------------------------------------------------------------ */

/* "0b1010" for p/t. */
static void binary(uint64_t v, char *buf, size_t len)
{
	int top = 63;
	while (top > 0 && !(v >> top))
		top--;
	size_t n = (size_t)snprintf(buf, len, "0b");
	for (int b = top; b >= 0 && n + 1 < len; b--)
		buf[n++] = (char)('0' + ((v >> b) & 1));
	buf[n < len ? n : len - 1] = '\0';
}

/* `print EXPR`, `p/x EXPR`: the value of a register, a sum or a
 * SEG:OFFSET address. Without a format both hex and decimal, since the
 * student may be comparing either with a listing. A segment register
 * alone prints its selector, as gdb's `p $cs` does, with the base that
 * address arithmetic uses next to it. */
int cmd_print(struct dbg_session *s, struct dbg_cmdline *c)
{
	const char *slash = strchr(c->argv[0], '/');
	char f = slash ? slash[1] : '\0', expr[DBG_CMD_LEN], num[80];
	struct dbg_addr a;
	if (f && (!strchr("xdutc", f) || slash[2])) {
		dbg_status(s, 1, "print: format /%s: use /x /d /u /t or /c",
			   slash + 1);
		return -EINVAL;
	}
	if (dbg_arg_seg_addr(s, c, 1, &a))
		return -EINVAL;
	dbg_join(c, 1, expr, sizeof(expr));
	const struct dbg_reg *r = dbg_reg_find(expr);
	if (r && r->kind == DBG_REG_SEG) {
		const struct kvm_segment *sg =
			(const void *)((const char *)&s->cur.sregs + r->off);
		dbg_status(s, 0, "%s = 0x%04x (selector; base 0x%llx)", expr,
			   sg->selector, (unsigned long long)sg->base);
		return 0;
	}
	uint64_t v = a.linear;
	if (f == 'x')
		snprintf(num, sizeof(num), "0x%llx", (unsigned long long)v);
	else if (f == 'd')
		snprintf(num, sizeof(num), "%lld", (long long)v);
	else if (f == 'u')
		snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	else if (f == 't')
		binary(v, num, sizeof(num));
	else if (f == 'c')
		snprintf(num, sizeof(num),
			 isprint((int)(v & 0xff)) ? "'%c'" : "'\\x%02x'",
			 (unsigned)(v & 0xff));
	else
		snprintf(num, sizeof(num), "0x%llx (%llu)",
			 (unsigned long long)v, (unsigned long long)v);
	if (a.segmented) /* the answer is on the status line */
		dbg_status(s, 0, "%s = %s, linear: base 0x%llx + offset 0x%llx",
			   expr, num, (unsigned long long)a.base,
			   (unsigned long long)a.off);
	else
		dbg_status(s, 0, "%s = %s", expr, num);
	return 0;
}

/* --- next: step over a call ------------------------------------------ */

/* Over one CALL: a temporary hardware breakpoint on the instruction
 * after it, then `cont`. Anything else that stops the guest first (a
 * breakpoint, HLT, the guest's DONE) stops `next` there, as in gdb. */
static int over_call(struct dbg_session *s, uint64_t ret)
{
	char err[200];
	int keep_id = s->bps.next_id, id = 0;
	if (!dbg_bp_at(&s->bps, ret)) {
		struct dbg_bp bp = {.kind = DBG_BP_RIP, .lo = ret};
		id = dbg_bp_add(&s->bps, &bp, err, sizeof(err));
		if (id < 0) {
			dbg_status(s, 1,
				   "next: no hardware breakpoint free to step "
				   "over the call (%s); delete one or use "
				   "stepi",
				   err);
			return id;
		}
	}
	int rc = dbg_cont(s);
	if (id > 0) {
		dbg_bp_delete(&s->bps, id);
		s->bps.next_id = keep_id; /* ids the user sees do not skip */
	}
	if (rc == 0 && dbg_linear_pc(&s->cur) == ret)
		dbg_status(s, 0, "next: over the call, at 0x%llx",
			   (unsigned long long)ret);
	return rc;
}

/* One instruction, or one CALL until it returns: 0 to go on, 1 when
 * something else stopped the guest, -errno on errors. */
static int next_one(struct dbg_session *s)
{
	uint8_t buf[16];
	char err[160];
	int call = 0, bits = dbg_code_bits(&s->cur.sregs);
	uint64_t pc = dbg_linear_pc(&s->cur);
	unsigned len =
		dbg_read_virt(s, pc, buf, sizeof(buf), err, sizeof(err)) == 0
			? dbg_insn_len(buf, sizeof(buf), pc, bits, &call)
			: 0;
	int rc = call ? over_call(s, pc + len) : dbg_stepi(s, 1);
	if (rc)
		return rc;
	if (s->dead || s->status_error || s->halted ||
	    (call && dbg_linear_pc(&s->cur) != pc + len))
		return 1;
	return 0;
}

/* `next [N]` / `nexti` / `n` / `ni`: one instruction, but a CALL runs
 * until it returns. */
int cmd_nexti(struct dbg_session *s, struct dbg_cmdline *c)
{
	unsigned n;
	if (s->rp) /* a trace has no memory to decode: plain steps */
		return cmd_stepi(s, c);
	if (dbg_arg_count(s, c, 1, 1, 1000000, &n))
		return -EINVAL;
	struct dbg_state before = s->cur; /* "changed" spans all n */
	int rc = 0;
	for (unsigned i = 0; i < n && rc == 0; i++)
		rc = next_one(s);
	s->prev = before;
	s->have_prev = 1;
	return rc < 0 ? rc : 0;
}

/* --- watch --------------------------------------------------------- */

/* `watch ADDR` (writes), `awatch ADDR` (reads or writes), `watch/N ADDR`
 * for N = 1, 2, 4 or 8 bytes; `break watch ADDR` is the same. A data
 * breakpoint in DR0-DR3 (DR7 R/W = 01 or 11, Intel SDM Vol. 3B 18.2.4),
 * what gdb's `watch` uses. x86 has no read-only kind, so `rwatch` is
 * `awatch` and says so. Some KVM backends never deliver them
 * (MVM_QUIRK_NO_WATCHPOINTS): there the student gets the way that does
 * work instead. */
static int watch_args(struct dbg_session *s, struct dbg_cmdline *c,
		      struct dbg_bp *bp)
{
	const char *slash = strchr(c->argv[0], '/');
	int from =
		strcmp(c->argv[0], "break") && strcmp(c->argv[0], "b") ? 1 : 2;
	unsigned len = slash ? (unsigned)strtoul(slash + 1, NULL, 10) : 1;
	struct dbg_addr a;
	if (len != 1 && len != 2 && len != 4 && len != 8) {
		dbg_status(s, 1, "watch/%s: the CPU watches 1, 2, 4 or 8 bytes",
			   slash + 1);
		return -EINVAL;
	}
	if (c->argc <= from) {
		dbg_status(s, 1,
			   "watch: expected an address, e.g. watch/2 "
			   "0x500");
		return -EINVAL;
	}
	if (dbg_arg_seg_addr(s, c, from, &a))
		return -EINVAL;
	if (a.linear & (len - 1)) {
		dbg_status(s, 1,
			   "watch/%u: 0x%llx is not %u-byte aligned (the CPU "
			   "ignores the low address bits)",
			   len, (unsigned long long)a.linear, len);
		return -EINVAL;
	}
	bp->kind = DBG_BP_WATCH;
	bp->reason = c->argv[0][0] == 'a' || c->argv[0][0] == 'r'
			     ? MVM_HWBP_ACCESS
			     : MVM_HWBP_WRITE;
	bp->lo = a.linear;
	bp->hi = a.linear + len - 1;
	return 0;
}

int cmd_watch(struct dbg_session *s, struct dbg_cmdline *c)
{
	struct dbg_bp bp = {0};
	char err[200], what[160];
	if (!s->vm) {
		dbg_status(s, 1,
			   "watch: data breakpoints need a live guest "
			   "(a replayed trace has no CPU to program)");
		return -ENOTSUP;
	}
	int rc = watch_args(s, c, &bp);
	if (rc)
		return rc;
	if (mvm_vm_backend(s->vm)->quirks & MVM_QUIRK_NO_WATCHPOINTS) {
		dbg_status(s, 1,
			   "watch: not offered on this backend: data "
			   "breakpoints do not fire here; use `break exit "
			   "mmio` or single-step");
		return -ENOTSUP;
	}
	int id = dbg_bp_add(&s->bps, &bp, err, sizeof(err));
	if (id < 0) {
		dbg_status(s, 1, "watch: %s", err);
		return id;
	}
	dbg_bp_str(&s->bps.bp[s->bps.n - 1], what, sizeof(what));
	dbg_status(s, 0, "watchpoint %s%s", what,
		   c->argv[0][0] == 'r' ? " (x86 cannot watch reads alone: "
					  "reads or writes)"
					: "");
	return 0;
}

/* A watchpoint is a trap (Intel SDM Vol. 3B 18.3.1.2): the access has
 * happened and RIP is past the instruction that made it. Show the value
 * the watched bytes hold now, as gdb does. */
void dbg_watch_report(struct dbg_session *s, const struct dbg_bp *bp)
{
	uint64_t v = 0;
	char err[160], what[160], now[48] = "";
	dbg_bp_str(bp, what, sizeof(what));
	if (!dbg_read_virt(s, bp->lo, &v, (size_t)(bp->hi - bp->lo + 1), err,
			   sizeof(err)))
		snprintf(now, sizeof(now), "; now 0x%llx",
			 (unsigned long long)v);
	dbg_status(s, 0,
		   "watchpoint %s%s; rip 0x%llx, after the instruction that "
		   "accessed it",
		   what, now, (unsigned long long)s->cur.regs.rip);
}

/* --- Tab completion ------------------------------------------------ */

static const char *const info_words[] = {"mem",	  "tlb",       "tab",	"exits",
					 "break", "registers", "stats", NULL};
static const char *const break_words[] = {"exit", "io",	 "mmio", "rip",
					  "mode", "irq", NULL};
static const char *const exit_words[] = {"io",	       "mmio",
					 "hlt",	       "shutdown",
					 "debug",      "internal_error",
					 "fail_entry", "x86_rdmsr",
					 "x86_wrmsr",  "irq_window_open",
					 NULL};
static const char *const exits_words[] = {"all", "guest", NULL};
static const char *const pane_words[] = {"exits",  "pt",    "mem", "output",
					 "sregs",  "stats", "irq", "virtq",
					 "result", NULL};

/* Register names, full and low parts, for expressions. */
static const char *reg_words[64];

static const char *const *regs_list(void)
{
	if (!reg_words[0]) {
		int n = 0;
		for (int i = 0; i < dbg_nregs && n < 62; i++)
			reg_words[n++] = dbg_regs[i].name;
		for (int i = 0; i < dbg_nsubregs && n < 63; i++)
			reg_words[n++] = dbg_subregs[i].name;
		reg_words[n] = NULL;
	}
	return reg_words;
}

const char *const *dbg_complete_words(const char *line, int start)
{
	char w1[32] = "", w2[32] = "";
	int words = 0;
	char head[DBG_CMD_LEN];
	snprintf(head, sizeof(head), "%.*s", start, line);
	words = sscanf(head, "%31s %31s", w1, w2);
	w1[strcspn(w1, "/")] = '\0'; /* "x/8xb" is "x" */
	if (words <= 0)
		return dbg_command_names;
	if (!strcmp(w1, "info"))
		return words == 1 ? info_words : NULL;
	if (!strcmp(w1, "break") || !strcmp(w1, "b"))
		return words == 1	     ? break_words
		       : !strcmp(w2, "exit") ? exit_words
		       : !strcmp(w2, "rip")  ? regs_list()
					     : NULL;
	if (!strcmp(w1, "exits"))
		return words == 1 ? exits_words : NULL;
	if (!strcmp(w1, "pane"))
		return words == 1 ? pane_words : NULL;
	if (!strcmp(w1, "help") || !strcmp(w1, "h"))
		return words == 1 ? dbg_command_names : NULL;
	return regs_list(); /* x, print, set, pt, code, translate ... */
}
