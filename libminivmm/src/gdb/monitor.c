/*
 * monitor.c - `monitor CMD` in gdb: the stub's own commands, the ones
 * that know about VM exits (none of QEMU's, Firecracker's or Cloud
 * Hypervisor's stubs do). gdb sends qRcmd,HEX(CMD) (gdb manual, "General
 * Query Packets"); output goes back as 'O' packets, then OK.
 *
 * The names mirror the debugger's (debugger/README.md):
 *
 *   exits [N]            the last N exits of the vCPU's trace (trace.h)
 *   explain N            the library's explanation of exit #N
 *   break-exit KIND      stop at the next exit of KIND: io, mmio, msr,
 *                        hlt, any, any KVM_EXIT_* name; `off` clears
 *   pt ADDR              the page walk of a guest-virtual address
 *   walk2d ADDR          the same with EPT: the 2D grid (ept.h)
 *   check                the entry-state checker on the registers now
 *   phys on|off          m/M/X addresses guest-physical (default off)
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gdb_internal.h"

#define CMD_MAX	      256
#define EXITS_DEFAULT 10

static int outf(struct mvm_gdb *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int outf(struct mvm_gdb *g, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return mvm_gdb_console(g, buf);
}

static int parse_num(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -EINVAL : 0;
}

static int mon_exits(struct mvm_gdb *g, const char *arg)
{
	const struct mvm_trace *t = mvm_vcpu_trace(g->vcpu);
	uint64_t n = EXITS_DEFAULT;
	size_t have = mvm_trace_len(t);
	char d[160];

	if (arg && parse_num(arg, &n) < 0)
		return outf(g, "usage: monitor exits [N]\n");
	if (n > have)
		n = have;
	if (n == 0)
		return outf(g, "no exits recorded yet (%llu seen)\n",
			    (unsigned long long)t->seq);
	for (size_t i = n; i-- > 0;) {
		const struct mvm_trace_entry *te = mvm_trace_get(t, i);
		mvm_exit_describe(&te->exit, d, sizeof(d));
		if (outf(g, "#%-6llu rip %#-10llx %s\n",
			 (unsigned long long)te->exit.seq,
			 (unsigned long long)te->exit.rip, d) < 0)
			return -EPIPE;
	}
	return 0;
}

static int mon_explain(struct mvm_gdb *g, const char *arg)
{
	const struct mvm_trace *t = mvm_vcpu_trace(g->vcpu);
	char buf[2048];
	uint64_t n;

	if (parse_num(arg, &n) < 0)
		return outf(g, "usage: monitor explain N (an exit number)\n");
	for (size_t i = 0; i < mvm_trace_len(t); i++) {
		const struct mvm_trace_entry *te = mvm_trace_get(t, i);
		if (te->exit.seq == n) {
			mvm_exit_explain(&te->exit, buf, sizeof(buf));
			return outf(g, "exit #%llu: %s\n",
				    (unsigned long long)n, buf);
		}
	}
	return outf(g,
		    "exit #%llu is not in the trace (it keeps the last "
		    "%d)\n",
		    (unsigned long long)n, MVM_TRACE_CAP);
}

static int mon_break_exit(struct mvm_gdb *g, const char *arg)
{
	int r;

	if (!arg)
		return outf(g, "usage: monitor break-exit "
			       "io|mmio|msr|hlt|any|off|REASON\n");
	if (!strcasecmp(arg, "off"))
		r = GDB_BREAK_EXIT_NONE;
	else if (!strcasecmp(arg, "any"))
		r = GDB_BREAK_EXIT_ANY;
	else if (!strcasecmp(arg, "msr"))
		r = KVM_EXIT_X86_RDMSR; /* reads and writes */
	else
		r = mvm_exit_reason_parse(arg);
	if (r == -ENOENT)
		return outf(g, "unknown exit kind '%s'\n", arg);
	g->break_exit = r;
	return outf(g,
		    r == GDB_BREAK_EXIT_NONE
			    ? "break-exit off\n"
			    : "will stop at the next %s exit\n",
		    arg);
}

static int mon_pt(struct mvm_gdb *g, const char *arg)
{
	struct kvm_sregs s;
	struct mvm_pt_walk w;
	char flags[80];
	uint64_t va;
	int rc;

	struct kvm_regs r;

	rc = mvm_vcpu_get_sregs(g->vcpu, &s);
	if (rc == 0)
		rc = mvm_vcpu_get_regs(g->vcpu, &r);
	if (rc < 0)
		return outf(g, "cannot read registers: %s\n", strerror(-rc));
	if (arg && (!strcmp(arg, "rip") || !strcmp(arg, "pc")))
		va = mvm_gdb_linear_pc(&s, &r); /* gdb does not expand $pc */
	else if (parse_num(arg, &va) < 0)
		return outf(g, "usage: monitor pt ADDR|rip\n");
	rc = mvm_pt_walk(g->mem, s.cr0, s.cr3, s.cr4, s.efer, va, &w);
	outf(g, "walk of %#llx, cr3 %#llx\n", (unsigned long long)va,
	     (unsigned long long)s.cr3);
	for (int i = 0; i < w.nlevels; i++) {
		mvm_pte_flags_str(w.lv[i].entry, w.lv[i].level, flags,
				  sizeof(flags));
		outf(g, "  level %d [%3llu] @%#llx = %#018llx %s\n",
		     w.lv[i].level, (unsigned long long)w.lv[i].index,
		     (unsigned long long)w.lv[i].entry_gpa,
		     (unsigned long long)w.lv[i].entry, flags);
	}
	if (rc < 0)
		return outf(g, "  fault: %s\n", w.why);
	if (w.fault == MVM_PT_NO_PAGING)
		return outf(g, "  paging is off: physical %#llx\n",
			    (unsigned long long)w.gpa);
	return outf(g, "  -> physical %#llx (%llu KiB page%s%s%s)\n",
		    (unsigned long long)w.gpa,
		    (unsigned long long)(w.page_size >> 10),
		    w.writable ? ", writable" : ", read-only",
		    w.user ? ", user" : ", supervisor", w.nx ? ", NX" : "");
}

/* The 2D walk of ADDR on a model of the EPT tables for the slots (EPT
 * leaves up to 4 KiB: the whole grid), as mvm run --walk shows it. */
static int mon_walk2d(struct mvm_gdb *g, const char *arg)
{
	struct mvm_ept *e = NULL;
	struct mvm_walk2d w;
	struct kvm_sregs s;
	char text[8192], *line, *save = NULL;
	uint64_t va;
	int rc;

	if (parse_num(arg, &va) < 0)
		return outf(g, "usage: monitor walk2d ADDR\n");
	rc = mvm_vcpu_get_sregs(g->vcpu, &s);
	if (rc == 0)
		rc = mvm_ept_create(g->mem, MVM_PAGE_4K, &e);
	if (rc < 0)
		return outf(g, "walk2d: %s\n", strerror(-rc));
	rc = mvm_walk2d(g->mem, e, s.cr0, s.cr3, s.cr4, s.efer, va, 0, &w);
	mvm_walk2d_format(g->mem, e, &w, rc, 0, text, sizeof(text));
	mvm_ept_destroy(e);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (outf(g, "%s\n", line) < 0)
			return -EPIPE;
	return 0;
}

static int mon_check(struct mvm_gdb *g)
{
	struct mvm_check_report rep;
	struct kvm_regs r;
	struct kvm_sregs s;
	char mode[160];
	int n, rc = mvm_vcpu_get_regs(g->vcpu, &r);

	if (rc == 0)
		rc = mvm_vcpu_get_sregs(g->vcpu, &s);
	if (rc < 0)
		return outf(g, "cannot read registers: %s\n", strerror(-rc));
	mvm_describe_mode(&s, mode, sizeof(mode));
	n = mvm_check_state(&r, &s, &rep);
	outf(g, "%s\n", mode);
	if (n == 0)
		return outf(g, "the entry-state checker finds no problem\n");
	for (int i = 0; i < rep.n; i++)
		outf(g, "%s: %s (%s)\n", rep.p[i].rule, rep.p[i].msg,
		     rep.p[i].ref);
	return 0;
}

static int mon_help(struct mvm_gdb *g)
{
	return outf(
		g,
		"minivmm monitor commands:\n"
		"  exits [N]          the last N VM exits\n"
		"  explain N          what exit #N means\n"
		"  break-exit KIND    stop at the next io|mmio|msr|hlt|"
		"any exit (off: never)\n"
		"  pt ADDR            page walk of a guest-virtual "
		"address\n"
		"  walk2d ADDR        the same with EPT: every reference "
		"of the 2D walk\n"
		"  check              the entry-state checker's view of "
		"the registers\n"
		"  phys on|off        memory addresses are guest-physical\n");
}

static int dispatch(struct mvm_gdb *g, char *cmd)
{
	char *save = NULL, *word = strtok_r(cmd, " \t", &save);
	char *arg = strtok_r(NULL, " \t", &save);

	if (!word || !strcmp(word, "help"))
		return mon_help(g);
	if (!strcmp(word, "exits"))
		return mon_exits(g, arg);
	if (!strcmp(word, "explain"))
		return mon_explain(g, arg);
	if (!strcmp(word, "break-exit"))
		return mon_break_exit(g, arg);
	if (!strcmp(word, "pt") || !strcmp(word, "page"))
		return mon_pt(g, arg);
	if (!strcmp(word, "walk2d"))
		return mon_walk2d(g, arg);
	if (!strcmp(word, "check"))
		return mon_check(g);
	if (!strcmp(word, "phys") && arg &&
	    (!strcmp(arg, "on") || !strcmp(arg, "off"))) {
		g->phys = !strcmp(arg, "on");
		return outf(g, "memory addresses are guest-%s\n",
			    g->phys ? "physical" : "virtual");
	}
	return outf(g, "unknown monitor command '%s' (try 'monitor help')\n",
		    word);
}

int mvm_gdb_monitor(struct mvm_gdb *g, const char *hex)
{
	char cmd[CMD_MAX + 1];
	size_t n = strlen(hex) / 2;

	if (n > CMD_MAX || strlen(hex) % 2 ||
	    mvm_gdb_hex_decode(cmd, hex, n) < 0)
		return mvm_gdb_send(g, "E16");
	cmd[n] = '\0';
	if (dispatch(g, cmd) < 0)
		return -EPIPE;
	return mvm_gdb_send(g, "OK");
}
