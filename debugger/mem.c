/*
 * mem.c - the memory pane: gdb's x/NFU over bytes read from the guest.
 *
 * The caller reads the bytes (through the page tables for `x`, directly
 * for `xp`) so this file only formats. Values are little-endian, as the
 * CPU stores them (Intel SDM Vol. 1 1.3.1, "Bit and Byte Order").
 */
#include <string.h>

#include "panes.h"

static uint64_t load_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static int64_t sign_extend(uint64_t v, unsigned bytes)
{
	if (bytes == 8)
		return (int64_t)v;
	uint64_t sign = 1ULL << (8 * bytes - 1);
	return (int64_t)((v ^ sign) - sign);
}

/* A row's address: linear, or SEG:OFFSET when the command gave one
 * (`x/2xh ss:sp` in real mode lists 9000:f000, 9000:f002). */
static void label(struct dbg_text *t, const struct dbg_codeview *v, uint64_t a,
		  const char *after)
{
	if (v && v->segmented)
		dbg_text_line(t, DBG_A_DIM, "%04x:%04llx%s", v->selector,
			      (unsigned long long)((a - v->base) & 0xffff),
			      after);
	else
		dbg_text_line(t, DBG_A_DIM, "%016llx%s", (unsigned long long)a,
			      after);
}

/* Classic hex + ASCII dump, 16 bytes a row (x/Nxb). */
static void hexdump(const uint8_t *buf, size_t len, uint64_t addr,
		    const struct dbg_codeview *v, struct dbg_text *t)
{
	for (size_t off = 0; off < len; off += 16) {
		label(t, v, addr + off, ": ");
		char ascii[17];
		size_t n = len - off < 16 ? len - off : 16;
		for (size_t i = 0; i < 16; i++) {
			if (i < n)
				dbg_text_add(t, DBG_A_NORMAL, "%02x ",
					     buf[off + i]);
			else
				dbg_text_add(t, DBG_A_NORMAL, "   ");
			if (i < n) {
				uint8_t c = buf[off + i];
				ascii[i] =
					c >= 0x20 && c < 0x7f ? (char)c : '.';
			}
		}
		ascii[n] = '\0';
		dbg_text_add(t, DBG_A_NORMAL, " |%s|", ascii);
	}
}

/* Values of `unit` bytes, as many per row as fit in ~64 columns. */
static void values(const uint8_t *buf, size_t len, uint64_t addr,
		   const struct dbg_xfmt *f, const struct dbg_codeview *v,
		   struct dbg_text *t)
{
	unsigned ub = f->fmt == 'c' ? 1 : dbg_xfmt_unit_bytes(f->unit);
	unsigned per_row = f->fmt == 'c' ? 16 : 16 / ub;
	if (per_row == 0)
		per_row = 1;
	for (size_t i = 0; i + ub <= len; i += ub) {
		if ((i / ub) % per_row == 0)
			label(t, v, addr + i, ":");
		uint64_t x = load_le(buf + i, ub);
		if (f->fmt == 'x')
			dbg_text_add(t, DBG_A_NORMAL, " 0x%0*llx", (int)ub * 2,
				     (unsigned long long)x);
		else if (f->fmt == 'd')
			dbg_text_add(t, DBG_A_NORMAL, " %lld",
				     (long long)sign_extend(x, ub));
		else if (x >= 0x20 && x < 0x7f)
			dbg_text_add(t, DBG_A_NORMAL, " '%c'", (char)x);
		else
			dbg_text_add(t, DBG_A_NORMAL, " \\x%02llx",
				     (unsigned long long)x);
	}
}

/* x/Ns: N NUL-terminated strings, C escapes for the rest (gdb's
 * format); one that runs past the bytes read ends in "...". */
static void strings(const uint8_t *buf, size_t len, uint64_t addr,
		    const struct dbg_xfmt *f, const struct dbg_codeview *v,
		    struct dbg_text *t)
{
	size_t i = 0;
	for (unsigned n = 0; n < f->count && i < len; n++) {
		label(t, v, addr + i, ": \"");
		for (; i < len && buf[i]; i++) {
			uint8_t c = buf[i];
			if (c == '"' || c == '\\')
				dbg_text_add(t, DBG_A_NORMAL, "\\%c", c);
			else if (c == '\n')
				dbg_text_add(t, DBG_A_NORMAL, "\\n");
			else if (c >= 0x20 && c < 0x7f)
				dbg_text_add(t, DBG_A_NORMAL, "%c", c);
			else
				dbg_text_add(t, DBG_A_NORMAL, "\\x%02x", c);
		}
		dbg_text_add(t, DBG_A_NORMAL, i < len ? "\"" : "\"...");
		i++; /* past the NUL */
	}
}

/* x/Ni: N instructions from addr; "=>" only where the guest really is. */
static void insns(const uint8_t *buf, size_t len, uint64_t addr,
		  const struct dbg_xfmt *f, int bits, uint64_t pc,
		  const struct dbg_codeview *v, struct dbg_text *t)
{
	int first = t->n;
	struct dbg_codeview cv = {0};
	if (v && v->segmented)
		cv = (struct dbg_codeview){.segmented = 1,
					   .selector = v->selector,
					   .base = v->base};
	dbg_render_code_view(buf, len, addr, addr, bits, 0, (int)f->count - 1,
			     &cv, t);
	if (addr == pc || first >= t->n || t->l[first].s[0] != '=')
		return;
	struct dbg_line *l = &t->l[first];
	l->s[0] = l->s[1] = ' ';
	for (int i = 0; i < l->len; i++)
		l->a[i] = i >= 14 && i < 36 ? DBG_A_DIM : DBG_A_NORMAL;
}

void dbg_render_mem(const uint8_t *buf, size_t len, uint64_t addr,
		    const struct dbg_xfmt *f, int bits, uint64_t pc,
		    struct dbg_text *t)
{
	dbg_render_mem_at(buf, len, addr, f, bits, pc, NULL, t);
}

void dbg_render_mem_at(const uint8_t *buf, size_t len, uint64_t addr,
		       const struct dbg_xfmt *f, int bits, uint64_t pc,
		       const struct dbg_codeview *v, struct dbg_text *t)
{
	if (f->fmt == 'i')
		insns(buf, len, addr, f, bits, pc, v, t);
	else if (f->fmt == 's')
		strings(buf, len, addr, f, v, t);
	else if (f->fmt == 'x' && f->unit == 'b')
		hexdump(buf, len, addr, v, t);
	else
		values(buf, len, addr, f, v, t);
}
