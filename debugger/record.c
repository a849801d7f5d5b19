/*
 * record.c - `--record trace.jsonl`: one JSON object per exit or step.
 *
 * JSON Lines (https://jsonlines.org) because every tool reads it (jq,
 * Python, a spreadsheet import) and a trace can be cut with head/grep.
 * 64-bit values are written as "0x..." strings: JSON numbers are
 * doubles in many readers and would lose the low bits of an address.
 *
 * A record holds the exit (the decoded struct mvm_exit fields), the
 * registers after it, the code bytes around RIP and the guest output
 * since the previous record - enough for `mvmdbg --replay` to show the
 * registers, code, exit log and output panes without KVM.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "decode.h"
#include "session.h"

struct jw {
	FILE *f;
	int first; /* no comma before the next member */
};

/* A member name, with the comma that separates it from the previous
 * member of the same object. */
static void key(struct jw *w, const char *k)
{
	fprintf(w->f, "%s\"%s\":", w->first ? "" : ",", k);
	w->first = 0;
}

static void hex(struct jw *w, const char *k, uint64_t v)
{
	key(w, k);
	fprintf(w->f, "\"0x%llx\"", (unsigned long long)v);
}

static void num(struct jw *w, const char *k, uint64_t v)
{
	key(w, k);
	fprintf(w->f, "%llu", (unsigned long long)v);
}

/* JSON strings (RFC 8259 section 7): quote and backslash escaped,
 * control and non-ASCII bytes as \u00XX so the file stays ASCII. */
static void str(struct jw *w, const char *k, const char *s, size_t len)
{
	key(w, k);
	fputc('"', w->f);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(w->f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(w->f, "\\u%04x", c);
		else
			fputc(c, w->f);
	}
	fputc('"', w->f);
}

static void bytes(struct jw *w, const char *k, const uint8_t *b, size_t n)
{
	key(w, k);
	fputc('"', w->f);
	for (size_t i = 0; i < n; i++)
		fprintf(w->f, "%02x", b[i]);
	fputc('"', w->f);
}

static void open_obj(struct jw *w, const char *k)
{
	key(w, k);
	fputc('{', w->f);
	w->first = 1;
}

static void close_obj(struct jw *w)
{
	fputc('}', w->f);
	w->first = 0;
}

/* The fields of struct mvm_exit that matter for each reason, by the
 * names the KVM API document uses. */
static void exit_details(struct jw *w, const struct mvm_exit *e)
{
	if (e->reason == KVM_EXIT_IO) {
		open_obj(w, "io");
		hex(w, "port", e->u.io.port);
		num(w, "size", e->u.io.size);
		num(w, "write", e->u.io.is_write);
		num(w, "count", e->u.io.count);
		size_t n = (size_t)e->u.io.size * e->u.io.count;
		bytes(w, "data", e->u.io.data,
		      n < MVM_EXIT_IO_DATA ? n : MVM_EXIT_IO_DATA);
		close_obj(w);
	} else if (e->reason == KVM_EXIT_MMIO) {
		open_obj(w, "mmio");
		hex(w, "addr", e->u.mmio.addr);
		num(w, "len", e->u.mmio.len);
		num(w, "write", e->u.mmio.is_write);
		bytes(w, "data", e->u.mmio.data,
		      e->u.mmio.len <= 8 ? e->u.mmio.len : 8);
		close_obj(w);
	} else if (e->reason == KVM_EXIT_X86_RDMSR ||
		   e->reason == KVM_EXIT_X86_WRMSR) {
		open_obj(w, "msr");
		hex(w, "index", e->u.msr.index);
		num(w, "write", e->u.msr.is_write);
		num(w, "error", e->u.msr.error);
		hex(w, "data", e->u.msr.data);
		close_obj(w);
	} else if (e->reason == KVM_EXIT_DEBUG) {
		open_obj(w, "debug");
		num(w, "exception", e->u.debug.exception);
		hex(w, "pc", e->u.debug.pc);
		hex(w, "dr6", e->u.debug.dr6);
		hex(w, "dr7", e->u.debug.dr7);
		close_obj(w);
	}
}

static void segment(struct jw *w, const char *name, const struct kvm_segment *s)
{
	open_obj(w, name);
	hex(w, "sel", s->selector);
	hex(w, "base", s->base);
	hex(w, "limit", s->limit);
	num(w, "type", s->type);
	num(w, "s", s->s);
	num(w, "dpl", s->dpl);
	num(w, "p", s->present);
	num(w, "l", s->l);
	num(w, "db", s->db);
	num(w, "g", s->g);
	close_obj(w);
}

static void state(struct jw *w, const struct dbg_state *st)
{
	open_obj(w, "regs");
	for (int i = 0; i < dbg_nregs; i++)
		if (dbg_regs[i].kind == DBG_REG_GPR)
			hex(w, dbg_regs[i].name,
			    dbg_reg_get(&dbg_regs[i], &st->regs, &st->sregs));
	close_obj(w);
	const struct kvm_sregs *s = &st->sregs;
	open_obj(w, "sregs");
	hex(w, "cr0", s->cr0);
	hex(w, "cr2", s->cr2);
	hex(w, "cr3", s->cr3);
	hex(w, "cr4", s->cr4);
	hex(w, "efer", s->efer);
	hex(w, "gdt_base", s->gdt.base);
	hex(w, "gdt_limit", s->gdt.limit);
	hex(w, "idt_base", s->idt.base);
	hex(w, "idt_limit", s->idt.limit);
	close_obj(w);
	segment(w, "cs", &s->cs);
	segment(w, "ss", &s->ss);
	segment(w, "ds", &s->ds);
	segment(w, "es", &s->es);
	segment(w, "fs", &s->fs);
	segment(w, "gs", &s->gs);
}

/* Called after every exit and step (and once with kind "start"); the
 * state written is the one after the exit was handled. */
int dbg_record(struct dbg_session *s, const char *kind)
{
	struct jw w = {s->rec, 1};
	char desc[200] = "";
	fputc('{', w.f);
	str(&w, "kind", kind, strlen(kind));
	if (strcmp(kind, "start") != 0) {
		const struct mvm_exit *e = &s->last;
		num(&w, "seq", e->seq);
		num(&w, "reason", e->reason);
		str(&w, "name", mvm_exit_reason_name(e->reason),
		    strlen(mvm_exit_reason_name(e->reason)));
		mvm_exit_describe(e, desc, sizeof(desc));
		str(&w, "desc", desc, strlen(desc));
		hex(&w, "rip", e->rip);
		num(&w, "stop", (uint64_t)e->stop);
		num(&w, "handle_ns", s->stable ? 0 : e->handle_ns);
		if (s->last_event && s->events.synth[e->seq % MVM_TRACE_CAP])
			num(&w, "synth", 1); /* made up by the debugger */
		/* Notes belong to guest exits; events have their own numbers. */
		const char *note =
			s->last_event ? NULL : dbg_note_get(&s->notes, e->seq);
		if (note)
			str(&w, "note", note, strlen(note));
		exit_details(&w, e);
	}
	state(&w, &s->cur);
	hex(&w, "code_addr", s->code.addr);
	bytes(&w, "code", s->code.bytes, s->code.len);
	str(&w, "out", s->rec_out, s->rec_out_len);
	s->rec_out_len = 0;
	fputs("}\n", w.f);
	return ferror(w.f) ? -EIO : 0;
}
