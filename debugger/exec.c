/*
 * exec.c - the command table, `help`, and dispatch of one command line.
 *
 * Command names follow gdb where gdb has the command (stepi, cont, x,
 * info break, delete) and Bochs' debugger where it has the better one
 * (s, r, sreg, creg, page); QEMU's monitor gives `info mem` and `xp`.
 * A student who knows any of them finds their way.
 */
#include "exec.h"
#include "irqpane.h"
#include "vqpane.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static dbg_cmd_fn cmd_help, cmd_quit;

const struct dbg_cmd dbg_cmd_table[] = {
	{"nexit", "", "nexit [N]",
	 "Run to the next VM exit (N times). F8. (Before gdb's names, "
	 "`step` did this.)",
	 cmd_step},
	{"stepi", "si step s", "stepi [N]",
	 "Execute N instructions (default 1) with KVM single-step. F7. "
	 "There are no source lines, so `step` is the same.",
	 cmd_stepi},
	{"nexti", "ni next n", "nexti [N]",
	 "Like stepi, but a CALL runs until it returns (a temporary "
	 "hardware breakpoint after it).",
	 cmd_nexti},
	{"cont", "c continue", "cont",
	 "Run until a breakpoint, HLT, a fatal exit or the guest's DONE. F9.",
	 cmd_cont},
	{"restart", "reset run", "restart",
	 "Start the image again in a fresh machine (after SHUTDOWN, DONE or "
	 "any time); breakpoints and options are kept.",
	 cmd_restart},
	{"regs", "r", "regs",
	 "The registers of the CPU's mode (16-bit with CS:IP in real mode, "
	 "32-bit, or all 64-bit ones), flags and the mode.",
	 cmd_regs},
	{"print", "p", "print[/xdutc] EXPR",
	 "The value of a register or expression (p rax, p/x rsp+8, "
	 "p ss:sp).",
	 cmd_print},
	{"sregs", "sreg creg", "sregs",
	 "Segments, GDT/IDT, CR0-CR4 and EFER decoded.", cmd_sregs},
	{"code", "disas u", "code [ADDR]",
	 "Disassembly around RIP, or 16 instructions from ADDR.", cmd_code},
	{"x", "", "x/NFU ADDR",
	 "Examine guest-virtual memory: N units, F = x d c i s, U = b h w g "
	 "(x/16xb rsp, x/4i at RIP, x/s 0x7c12, x/2xh ss:sp - SEG:OFF "
	 "adds the segment's base).",
	 cmd_x},
	{"xp", "", "xp/NFU ADDR", "Like x, for a guest-physical address.",
	 cmd_x},
	{"pt", "page", "pt [ADDR]",
	 "The page walk for ADDR from CR3 down (default: follow RIP).", cmd_pt},
	{"translate", "tr", "translate ADDR",
	 "Guest-virtual -> guest-physical -> host address.", cmd_translate},
	{"walk2d", "", "walk2d ADDR [4k|2m|1g]",
	 "The 2D walk with EPT: every reference numbered (guest levels x "
	 "EPT levels), on a model of KVM's EPT tables.",
	 cmd_walk2d},
	{"exits", "", "exits [all|guest]",
	 "The guest's exits and per-reason counters; `exits all` also "
	 "shows the debugger's own events (single steps, breakpoint #DBs, "
	 "synthesized HLTs), `exits guest` hides them again.",
	 cmd_exits},
	{"explain", "", "explain [N | DN]",
	 "What exit #N (default: the last) is: KVM's name for it, what "
	 "happened in plain words, and where RIP stands after it; DN "
	 "explains debugger event N.",
	 cmd_explain},
	{"stats", "", "stats",
	 "Exit counters and KVM's own statistics (KVM_GET_STATS_FD).",
	 cmd_stats},
	{"output", "out", "output", "The guest's output (debug port, UART).",
	 cmd_output},
	{"info", "", "info mem|tlb|tab|exits|break|registers|stats",
	 "info mem: all mappings merged into ranges; info break: the "
	 "breakpoints.",
	 cmd_info},
	{"break", "b", "break exit R | io P[-Q] | mmio A[-B] | rip ADDR | mode",
	 "Stop on an exit reason, a port or MMIO range, an instruction "
	 "(hardware, max 4) or a CPU mode change. Data: see `watch`.",
	 cmd_break},
	{"watch", "rwatch awatch", "watch[/N] ADDR",
	 "Stop after the guest writes N (1 2 4 8) bytes at ADDR; awatch: "
	 "reads too. Shares DR0-DR3 with `break rip`; refused where the "
	 "backend never fires them, with what to use instead.",
	 cmd_watch},
	{"delete", "d", "delete N", "Delete breakpoint N (see info break).",
	 cmd_delete},
	{"set", "", "set REG VALUE",
	 "Set a register (rax ... r15, rip, rflags, cr0-cr4, efer).", cmd_set},
	{"gdb", "", "gdb [HOST:]PORT",
	 "Hand the guest to gdb (target remote :PORT; 0 picks a free port) "
	 "and take it back when gdb detaches.",
	 cmd_gdb},
	{"check", "", "check",
	 "Run the entry-state checker on the registers: each architectural "
	 "rule they break, with the manual section.",
	 cmd_check},
	{"irq", "", "irq",
	 "The interrupt pane: IF, the events KVM holds (pending, injected), "
	 "and the machine's controller: the user-space 8259A's IRR/ISR/IMR, "
	 "or KVM's PIC, I/O APIC entries and LAPIC timer. `break irq` stops "
	 "where the VMM injects (--irqchip user).",
	 cmd_irq},
	{"virtq", "vq", "virtq [DEV] [Q] [all]",
	 "The virtqueue pane of virtio device DEV (blk, console, rng, "
	 "balloon; default the first) queue Q: status, descriptor table, "
	 "avail/used indices and the device's last-seen one, recent chains.",
	 cmd_virtq},
	{"pane", "", "pane NAME",
	 "Show a pane below the code: exits pt mem output sregs stats irq "
	 "virtq result.",
	 cmd_pane},
	{"help", "h ?", "help [CMD]", "List commands, or explain one.",
	 cmd_help},
	{"quit", "q exit", "quit", "Leave the debugger.", cmd_quit},
};
const int dbg_ncmd = (int)(sizeof(dbg_cmd_table) / sizeof(dbg_cmd_table[0]));

const char *const dbg_command_names[] = {
	"nexit",     "stepi",  "nexti", "cont",	   "restart", "regs",
	"print",     "sregs",  "code",	"x",	   "xp",      "pt",
	"translate", "walk2d", "exits", "explain", "stats",   "output",
	"info",	     "break",  "watch", "delete",  "set",     "gdb",
	"check",     "irq",    "virtq", "pane",	   "help",    "quit",
	NULL,
};
_Static_assert(sizeof(dbg_command_names) / sizeof(dbg_command_names[0]) ==
		       sizeof(dbg_cmd_table) / sizeof(dbg_cmd_table[0]) + 1,
	       "completion list matches the command table");

/* Name or alias; "x/8xb" matches "x" (the format is parsed later).
 * Exact words only: prefixes would make "s" ambiguous between step,
 * stepi, sregs, set and stats, so short forms are explicit aliases. */
static const struct dbg_cmd *find(const char *word)
{
	char w[32];
	size_t len = strcspn(word, "/");
	if (len >= sizeof(w))
		return NULL;
	memcpy(w, word, len);
	w[len] = '\0';
	for (int i = 0; i < dbg_ncmd; i++) {
		const struct dbg_cmd *c = &dbg_cmd_table[i];
		if (strcasecmp(w, c->name) == 0)
			return c;
		char al[64];
		snprintf(al, sizeof(al), " %s ", c->aliases);
		char key[40];
		snprintf(key, sizeof(key), " %s ", w);
		if (w[0] && strstr(al, key))
			return c;
	}
	return NULL;
}

/* "  usage   text" with the text wrapped at word boundaries so the
 * list reads well in an 80-column pane (it scrolls with PgUp/PgDn). */
static void wrapped(struct dbg_text *t, const char *usage, const char *text)
{
	enum { USAGE = 26, TEXT = 51 };
	const char *p = text;
	int first = 1;
	if ((int)strlen(usage) > USAGE) { /* its own line */
		dbg_text_line(t, DBG_A_NORMAL, "  %s", usage);
		first = 0;
	}
	while (*p) {
		int n = (int)strlen(p);
		if (n > TEXT) {
			n = TEXT;
			while (n > 0 && p[n] != ' ')
				n--;
			if (n == 0)
				n = TEXT;
		}
		dbg_text_line(t, DBG_A_NORMAL, "  %-*s %.*s", USAGE,
			      first ? usage : "", n, p);
		first = 0;
		p += n;
		while (*p == ' ')
			p++;
	}
}

/* `help` lists the table; `help CMD` shows one entry. The keys line
 * repeats what the TUI's bottom row shows. */
static int cmd_help(struct dbg_session *s, struct dbg_cmdline *c)
{
	struct dbg_text *t = &s->result;
	if (c->argc > 1) {
		const struct dbg_cmd *d = find(c->argv[1]);
		if (!d) {
			dbg_status(s, 1, "help: no command '%s' (try `help`)",
				   c->argv[1]);
			return -EINVAL;
		}
		dbg_text_line(t, DBG_A_TITLE, "%s", d->usage);
		if (d->aliases[0])
			dbg_text_line(t, DBG_A_DIM, "aliases: %s", d->aliases);
		dbg_text_line(t, DBG_A_NORMAL, "%s", d->help);
		return 0;
	}
	dbg_text_line(t, DBG_A_TITLE, "commands (help CMD for more):");
	for (int i = 0; i < dbg_ncmd; i++)
		wrapped(t, dbg_cmd_table[i].usage, dbg_cmd_table[i].help);
	dbg_text_line(t, DBG_A_TITLE,
		      "keys: F7 stepi  F8 nexit (next VM exit)  F9 cont  "
		      "Tab pane  PgUp/PgDn scroll  F10 quit");
	return 0;
}

static int cmd_quit(struct dbg_session *s, struct dbg_cmdline *c)
{
	(void)s;
	(void)c;
	return DBG_QUIT;
}

/* Everything after the command word is one expression, so blanks inside
 * it ("rsp + 8") are fine. */
int dbg_arg_addr(struct dbg_session *s, const struct dbg_cmdline *c, int from,
		 uint64_t *v)
{
	char expr[DBG_CMD_LEN], err[200];
	if (from >= c->argc) {
		dbg_status(s, 1, "%s: missing address", c->argv[0]);
		return -EINVAL;
	}
	dbg_join(c, from, expr, sizeof(expr));
	if (dbg_eval(expr, &s->cur.regs, &s->cur.sregs, v, err, sizeof(err))) {
		dbg_status(s, 1, "%s: %s", c->argv[0], err);
		return -EINVAL;
	}
	return 0;
}

int dbg_arg_seg_addr(struct dbg_session *s, const struct dbg_cmdline *c,
		     int from, struct dbg_addr *a)
{
	char expr[DBG_CMD_LEN], err[200];
	if (from >= c->argc) {
		dbg_status(s, 1, "%s: missing address", c->argv[0]);
		return -EINVAL;
	}
	dbg_join(c, from, expr, sizeof(expr));
	if (dbg_eval_addr(expr, &s->cur.regs, &s->cur.sregs, a, err,
			  sizeof(err))) {
		dbg_status(s, 1, "%s: %s", c->argv[0], err);
		return -EINVAL;
	}
	return 0;
}

int dbg_arg_count(struct dbg_session *s, const struct dbg_cmdline *c, int i,
		  unsigned def, unsigned max, unsigned *n)
{
	uint64_t v = def;
	if (i < c->argc &&
	    (dbg_parse_u64(c->argv[i], &v) || v == 0 || v > max)) {
		dbg_status(s, 1, "%s: bad count '%s' (1..%u)", c->argv[0],
			   c->argv[i], max);
		return -EINVAL;
	}
	*n = (unsigned)v;
	return 0;
}

/* The status line is cleared first so it always describes this command;
 * the previous result stays visible if the command fails. */
int dbg_exec(struct dbg_session *s, const char *line)
{
	struct dbg_cmdline c;
	char err[200];
	s->status[0] = '\0';
	s->status_error = 0;
	if (dbg_tokenize(line, &c, err, sizeof(err))) {
		dbg_status(s, 1, "%s", err);
		return -EINVAL;
	}
	if (c.argc == 0)
		return 0;
	const struct dbg_cmd *d = find(c.argv[0]);
	if (!d) {
		dbg_status(s, 1, "unknown command '%s' (type `help`)",
			   c.argv[0]);
		return -EINVAL;
	}
	dbg_text_clear(&s->result);
	int rc = d->fn(s, &c);
	dbg_run_done(s); /* the run deadline ends with the command */
	return rc;
}
