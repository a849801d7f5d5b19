/*
 * exitlog.c - the exit log, the per-reason counters and the guest
 * output pane.
 *
 * The log is the heart of the debugger: every row is one return from
 * KVM_RUN to user space, i.e. one VM exit the VMM had to handle. The
 * details come from the library's mvm_exit_describe(), so the log reads
 * the same as `mvm run --trace`. The time column is how long the VMM
 * spent handling the exit (not the guest's time): that is the cost a
 * student later learns to avoid with ioeventfd and in-kernel devices.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "panes.h"

void dbg_note_set(struct dbg_notes *n, uint64_t seq, const char *text)
{
	size_t i = seq % MVM_TRACE_CAP;
	n->seq[i] = seq;
	snprintf(n->s[i], sizeof(n->s[i]), "%s", text);
}

const char *dbg_note_get(const struct dbg_notes *n, uint64_t seq)
{
	size_t i = seq % MVM_TRACE_CAP;
	return n && seq && n->seq[i] == seq && n->s[i][0] ? n->s[i] : NULL;
}

/* A row: "#12   " for a guest exit, "D3    " for a debugger event. */
static void render_row(const struct mvm_exit *e, char tag, const char *note,
		       int stable, struct dbg_text *t)
{
	char desc[160];
	if (mvm_exit_describe(e, desc, sizeof(desc)) < 0)
		snprintf(desc, sizeof(desc), "%s",
			 mvm_exit_reason_name(e->reason));
	enum dbg_attr a = e->stop ? DBG_A_TITLE : DBG_A_NORMAL;
	if (e->reason == KVM_EXIT_SHUTDOWN ||
	    e->reason == KVM_EXIT_INTERNAL_ERROR ||
	    e->reason == KVM_EXIT_FAIL_ENTRY)
		a = DBG_A_ERROR;
	dbg_text_line(t, DBG_A_DIM, "%c%-5" PRIu64 " ", tag, e->seq);
	dbg_text_add(t, a, "%-9s ", mvm_exit_reason_name(e->reason));
	dbg_text_add(t, DBG_A_DIM, "rip %08llx ", (unsigned long long)e->rip);
	if (!stable)
		dbg_text_add(t, DBG_A_DIM, "%7.1fus ",
			     (double)e->handle_ns / 1e3);
	/* The description starts with the reason name again; skip it. */
	const char *d = desc;
	size_t rl = strlen(mvm_exit_reason_name(e->reason));
	if (strncmp(d, mvm_exit_reason_name(e->reason), rl) == 0) {
		d += rl;
		while (*d == ' ' || *d == ':')
			d++;
	}
	if (note && e->reason == KVM_EXIT_IO)
		dbg_text_add(t, a, "%s 0x%04x %s",
			     e->u.io.is_write ? "out" : "in", e->u.io.port,
			     note);
	else if (note)
		dbg_text_add(t, a, "%s", note);
	else
		dbg_text_add(t, a, "%s", d);
}

void dbg_render_exit(const struct mvm_exit *e, const char *note, int stable,
		     struct dbg_text *t)
{
	render_row(e, '#', note, stable, t);
}

void dbg_render_event(const struct dbg_events *ev, const struct mvm_exit *e,
		      int stable, struct dbg_text *t)
{
	int synth = ev->synth[e->seq % MVM_TRACE_CAP];
	render_row(e, 'D',
		   synth ? "[synthesized by mvmdbg] guest at HLT" : NULL,
		   stable, t);
}

/* Keep only the last max lines of t (max <= 0: all). */
static void keep_last(struct dbg_text *t, int max)
{
	if (max <= 0 || t->n <= max)
		return;
	memmove(t->l, t->l + (t->n - max), (size_t)max * sizeof(t->l[0]));
	t->n = max;
}

void dbg_render_log(const struct mvm_trace *tr, const struct dbg_notes *notes,
		    const struct dbg_events *ev, int max, int stable,
		    struct dbg_text *t)
{
	size_t i = mvm_trace_len(tr), j = mvm_trace_len(&ev->tr);
	struct dbg_text all;
	if (i == 0 && j == 0) {
		dbg_render_exits(tr, notes, max, stable, t);
		return;
	}
	dbg_text_init(&all);
	/* Both rings are newest-first; walk them oldest-first. An event
	 * goes before the first guest exit logged after it. */
	while (i > 0 || j > 0) {
		const struct mvm_trace_entry *x =
			i ? mvm_trace_get(tr, i - 1) : NULL;
		const struct mvm_trace_entry *d =
			j ? mvm_trace_get(&ev->tr, j - 1) : NULL;
		if (d && (!x || ev->after[d->exit.seq % MVM_TRACE_CAP] <
					x->exit.seq)) {
			dbg_render_event(ev, &d->exit, stable, &all);
			j--;
		} else {
			dbg_render_exit(&x->exit,
					dbg_note_get(notes, x->exit.seq),
					stable, &all);
			i--;
		}
	}
	keep_last(&all, max);
	dbg_text_append(t, &all);
	dbg_text_free(&all);
}

void dbg_render_event_counts(const struct dbg_events *ev, int shown,
			     struct dbg_text *t)
{
	uint64_t n = ev->tr.seq,
		 dbgx = mvm_trace_count(&ev->tr, KVM_EXIT_DEBUG);
	if (!n)
		return;
	dbg_text_line(t, DBG_A_DIM,
		      "+ %" PRIu64 " debugger events, not guest exits: %" PRIu64
		      " #DB, %" PRIu64 " synthesized HLT",
		      n, dbgx, n - dbgx);
	if (!shown)
		dbg_text_line(t, DBG_A_DIM, "  (`exits all` lists them)");
}

void dbg_render_exits(const struct mvm_trace *tr, const struct dbg_notes *notes,
		      int max, int stable, struct dbg_text *t)
{
	size_t n = mvm_trace_len(tr);
	if (n == 0) {
		dbg_text_line(t, DBG_A_DIM,
			      "no exits yet (F8 / `nexit` runs "
			      "to the next one)");
		return;
	}
	if (max > 0 && n > (size_t)max)
		n = (size_t)max;
	for (size_t i = n; i-- > 0;) {
		const struct mvm_trace_entry *te = mvm_trace_get(tr, i);
		if (te)
			dbg_render_exit(&te->exit,
					dbg_note_get(notes, te->exit.seq),
					stable, t);
	}
}

void dbg_render_counters(const struct mvm_trace *tr, int stable,
			 struct dbg_text *t)
{
	dbg_text_line(t, DBG_A_TITLE, "%-16s %10s%s", "exit reason", "count",
		      stable ? "" : "  mean handling");
	int any = 0;
	for (uint32_t r = 0; r <= MVM_EXIT_REASONS; r++) {
		uint64_t c = mvm_trace_count(tr, r);
		if (!c)
			continue;
		any = 1;
		dbg_text_line(t, DBG_A_NORMAL, "%-16s %10" PRIu64,
			      r < MVM_EXIT_REASONS ? mvm_exit_reason_name(r)
						   : "other",
			      c);
		if (!stable)
			dbg_text_add(t, DBG_A_NORMAL, "  %10.1fus",
				     (double)mvm_trace_mean_ns(tr, r) / 1e3);
	}
	if (!any)
		dbg_text_line(t, DBG_A_DIM, "no exits yet");
}

void dbg_render_output(const char *buf, size_t len, int max_lines,
		       struct dbg_text *t)
{
	/* Find where the last max_lines lines start. */
	size_t start = len;
	int lines = 0;
	while (start > 0) {
		if (buf[start - 1] == '\n' && start != len &&
		    ++lines >= max_lines && max_lines > 0)
			break;
		start--;
	}
	if (len == 0) {
		dbg_text_line(t, DBG_A_DIM, "(no guest output yet)");
		return;
	}
	const char *p = buf + start, *end = buf + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		/* Serial consoles end lines with "\r\n" (Linux's 8250
		 * driver does); the \r is not part of the text. */
		int cr = n > 0 && p[n - 1] == '\r';
		dbg_text_line(t, DBG_A_NORMAL, "%.*s", (int)n - cr, p);
		p += n + (nl ? 1 : 0);
	}
}
