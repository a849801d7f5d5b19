/*
 * replay.c - `mvmdbg --replay trace.jsonl`: the panes of a recorded run,
 * without KVM (see replay.h for what is and is not available).
 *
 * The whole trace is read and validated when it is opened, so a bad
 * line is reported once with its line number before anything is shown.
 */
#include "replay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

#define MAX_RECORDS 200000

/* One record, decoded once at load time so stepping is instant. */
struct dbg_rec {
	int is_step;		 /* single-step record (else exit or start) */
	int has_exit;		 /* 0 for the "start" record */
	struct mvm_exit e;	 /* the exit as the run step decoded it */
	struct dbg_state st;	 /* registers after the exit */
	struct dbg_codewin code; /* bytes around RIP, for the code pane */
	int synth;		 /* an event the debugger synthesized */
	char *out;		 /* guest output since the previous record
				    (malloc'ed, NULL when none) */
	size_t out_len;
	char note[DBG_NOTE_LEN]; /* "ucall PRINT ..." or "" */
};

struct dbg_replay {
	struct dbg_rec *r;
	int n, pos; /* records, and the one shown */
};

/* A missing or malformed value reads as 0: records from older versions
 * of mvmdbg still replay, with the new fields empty. */
static uint64_t get(const struct dbg_json *j, const char *k)
{
	uint64_t v = 0;
	dbg_json_u64(j, k, &v);
	return v;
}

/* A segment register from "cs.sel", "cs.base", ... The hidden part of
 * a segment register (base, limit, attributes; Intel SDM Vol. 3A 3.4.3)
 * is what decides how code is decoded, so all of it is recorded. */
static void seg(const struct dbg_json *j, const char *name,
		struct kvm_segment *s)
{
	char k[32];
#define F(field, key)                                \
	(snprintf(k, sizeof(k), "%s.%s", name, key), \
	 s->field = (__typeof__(s->field))get(j, k))
	F(selector, "sel");
	F(base, "base");
	F(limit, "limit");
	F(type, "type");
	F(s, "s");
	F(dpl, "dpl");
	F(present, "p");
	F(l, "l");
	F(db, "db");
	F(g, "g");
#undef F
}

/* The register table in decode.c names the JSON keys, so the writer
 * and the reader cannot drift apart. */
static void state(const struct dbg_json *j, struct dbg_state *st)
{
	char k[32];
	for (int i = 0; i < dbg_nregs; i++) {
		if (dbg_regs[i].kind == DBG_REG_SEG)
			continue;
		snprintf(k, sizeof(k), "%s.%s",
			 dbg_regs[i].kind == DBG_REG_GPR ? "regs" : "sregs",
			 dbg_regs[i].name);
		dbg_reg_set(&dbg_regs[i], &st->regs, &st->sregs, get(j, k));
	}
	struct kvm_sregs *s = &st->sregs;
	s->gdt.base = get(j, "sregs.gdt_base");
	s->gdt.limit = (uint16_t)get(j, "sregs.gdt_limit");
	s->idt.base = get(j, "sregs.idt_base");
	s->idt.limit = (uint16_t)get(j, "sregs.idt_limit");
	seg(j, "cs", &s->cs);
	seg(j, "ss", &s->ss);
	seg(j, "ds", &s->ds);
	seg(j, "es", &s->es);
	seg(j, "fs", &s->fs);
	seg(j, "gs", &s->gs);
}

/* Hex string into at most cap bytes; returns the count. A trace is
 * untrusted input: an odd length or a bad digit just ends the data. */
static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;
	while (h && h[0] && h[1] && n < cap) {
		unsigned v;
		if (sscanf(h, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

/* The reason-specific fields record.c wrote (exit_details there). */
static void exit_fields(const struct dbg_json *j, struct mvm_exit *e)
{
	e->seq = get(j, "seq");
	e->reason = (uint32_t)get(j, "reason");
	e->rip = get(j, "rip");
	e->stop = (int)get(j, "stop");
	e->handle_ns = get(j, "handle_ns");
	if (e->reason == KVM_EXIT_IO) {
		e->u.io.port = (uint16_t)get(j, "io.port");
		e->u.io.size = (uint8_t)get(j, "io.size");
		e->u.io.is_write = (uint8_t)get(j, "io.write");
		e->u.io.count = (uint32_t)get(j, "io.count");
		unhex(dbg_json_get(j, "io.data"), e->u.io.data,
		      MVM_EXIT_IO_DATA);
	} else if (e->reason == KVM_EXIT_MMIO) {
		e->u.mmio.addr = get(j, "mmio.addr");
		e->u.mmio.len = (uint32_t)get(j, "mmio.len");
		e->u.mmio.is_write = (uint8_t)get(j, "mmio.write");
		unhex(dbg_json_get(j, "mmio.data"), e->u.mmio.data, 8);
	} else if (e->reason == KVM_EXIT_X86_RDMSR ||
		   e->reason == KVM_EXIT_X86_WRMSR) {
		e->u.msr.index = (uint32_t)get(j, "msr.index");
		e->u.msr.is_write = (uint8_t)get(j, "msr.write");
		e->u.msr.error = (uint8_t)get(j, "msr.error");
		e->u.msr.data = get(j, "msr.data");
	} else if (e->reason == KVM_EXIT_DEBUG) {
		e->u.debug.exception = (uint32_t)get(j, "debug.exception");
		e->u.debug.pc = get(j, "debug.pc");
		e->u.debug.dr6 = get(j, "debug.dr6");
		e->u.debug.dr7 = get(j, "debug.dr7");
	}
}

/* A record needs its kind and at least RIP and CR0; the rest is
 * optional. */
static int parse_rec(const struct dbg_json *j, struct dbg_rec *r, char *err,
		     size_t errlen)
{
	const char *kind = dbg_json_get(j, "kind");
	memset(r, 0, sizeof(*r));
	if (!kind || (strcmp(kind, "start") && strcmp(kind, "exit") &&
		      strcmp(kind, "step"))) {
		snprintf(err, errlen, "\"kind\" must be start, exit or step");
		return -EINVAL;
	}
	if (!dbg_json_get(j, "regs.rip") || !dbg_json_get(j, "sregs.cr0")) {
		snprintf(err, errlen, "no registers (regs.rip, sregs.cr0)");
		return -EINVAL;
	}
	r->is_step = !strcmp(kind, "step");
	r->synth = get(j, "synth") != 0;
	r->has_exit = strcmp(kind, "start") != 0;
	if (r->has_exit)
		exit_fields(j, &r->e);
	state(j, &r->st);
	r->code.addr = get(j, "code_addr");
	r->code.len = (uint32_t)unhex(dbg_json_get(j, "code"), r->code.bytes,
				      sizeof(r->code.bytes));
	const char *note = dbg_json_get(j, "note");
	snprintf(r->note, sizeof(r->note), "%s", note ? note : "");
	const char *out = dbg_json_get(j, "out");
	r->out_len = out ? strlen(out) : 0;
	if (r->out_len && !(r->out = strdup(out))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* Read every line; on error s->status names the line. */
static int load(struct dbg_session *s, FILE *f, const char *path,
		struct dbg_replay *rp)
{
	char *line = NULL, err[160];
	size_t cap = 0;
	struct dbg_json *j = malloc(sizeof(*j));
	int rc = j ? 0 : -ENOMEM, lineno = 0;
	while (!rc && getline(&line, &cap, f) > 0) {
		lineno++;
		if (line[strspn(line, " \t\r\n")] == '\0')
			continue;
		if (rp->n == MAX_RECORDS) {
			snprintf(err, sizeof(err), "more than %d records",
				 MAX_RECORDS);
			rc = -EFBIG;
			break;
		}
		if (rp->n % 1024 == 0) {
			void *nr = realloc(rp->r, (size_t)(rp->n + 1024) *
							  sizeof(*rp->r));
			if (!nr) {
				rc = -ENOMEM;
				break;
			}
			rp->r = nr;
		}
		rc = dbg_json_parse(line, j, err, sizeof(err));
		if (!rc)
			rc = parse_rec(j, &rp->r[rp->n], err, sizeof(err));
		if (!rc)
			rp->n++;
	}
	if (rc)
		dbg_status(s, 1, "%s line %d: %s", path, lineno,
			   rc == -ENOMEM ? "out of memory" : err);
	free(line);
	free(j);
	return rc;
}

/* Show record i: its state, and its exit in the log. The exit goes
 * into the same struct mvm_trace a live session fills, so the exit-log
 * and stats panes work unchanged. */
static void show(struct dbg_session *s, int i)
{
	const struct dbg_rec *r = &s->rp->r[i];
	s->rp->pos = i;
	s->cur = r->st;
	s->code = r->code;
	dbg_session_note_pc(s);
	if (r->out_len)
		dbg_session_output(s, r->out, r->out_len);
	if (!r->has_exit)
		return;
	struct mvm_exit e = r->e;
	int event = dbg_session_log(s, &e, r->synth, 0);
	if (r->note[0] && !event)
		dbg_note_set(&s->notes, e.seq, r->note);
	char d[200];
	mvm_exit_describe(&e, d, sizeof(d));
	dbg_status(s, 0, "record %d/%d: %s%llu %s%s%s", i + 1, s->rp->n,
		   event ? "event D" : "exit #", (unsigned long long)e.seq,
		   r->note[0] ? "IO " : "", r->note[0] ? r->note : d,
		   r->synth ? " (synthesized by the debugger)" : "");
}

int dbg_session_open_replay(struct dbg_session *s, const char *path)
{
	FILE *f = fopen(path, "r");
	snprintf(s->image, sizeof(s->image), "%s (replay)", path);
	if (!f) {
		dbg_status(s, 1, "cannot open %s: %s", path, strerror(errno));
		return -errno;
	}
	s->rp = calloc(1, sizeof(*s->rp));
	int rc = s->rp ? load(s, f, path, s->rp) : -ENOMEM;
	fclose(f);
	if (!rc && s->rp->n == 0) {
		dbg_status(s, 1, "%s: no records", path);
		rc = -ENODATA;
	}
	if (rc)
		return rc;
	show(s, 0);
	s->mode_sig = dbg_mode_sig(&s->cur.sregs);
	dbg_status(s, 0,
		   "replaying %s: %d records; F8 next exit, F7 next "
		   "record",
		   path, s->rp->n);
	return 0;
}

/* `step` skips single-step records but still shows them on the way,
 * so the exit log is complete whatever was pressed. */
int dbg_replay_advance(struct dbg_session *s, int exits_only)
{
	for (int i = s->rp->pos + 1; i < s->rp->n; i++) {
		if (exits_only && s->rp->r[i].is_step) {
			show(s, i); /* keep the log complete */
			continue;
		}
		show(s, i);
		return 0;
	}
	dbg_status(s, 1, "replay: end of the trace (%d records)", s->rp->n);
	return -ENODATA;
}

int dbg_replay_pos(const struct dbg_session *s, int *total)
{
	*total = s->rp ? s->rp->n : 0;
	return s->rp ? s->rp->pos : 0;
}

void dbg_replay_free(struct dbg_replay *rp)
{
	if (rp && rp->r)
		for (int i = 0; i < rp->n; i++)
			free(rp->r[i].out);
	if (rp)
		free(rp->r);
	free(rp);
}
