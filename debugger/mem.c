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

/* Classic hex + ASCII dump, 16 bytes a row (x/Nxb). */
static void hexdump(const uint8_t *buf, size_t len, uint64_t addr,
		    struct dbg_text *t)
{
	for (size_t off = 0; off < len; off += 16) {
		dbg_text_line(t, DBG_A_DIM,
			      "%016llx: ", (unsigned long long)(addr + off));
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
		   const struct dbg_xfmt *f, struct dbg_text *t)
{
	unsigned ub = f->fmt == 'c' ? 1 : dbg_xfmt_unit_bytes(f->unit);
	unsigned per_row = f->fmt == 'c' ? 16 : 16 / ub;
	if (per_row == 0)
		per_row = 1;
	for (size_t i = 0; i + ub <= len; i += ub) {
		if ((i / ub) % per_row == 0)
			dbg_text_line(t, DBG_A_DIM, "%016llx:",
				      (unsigned long long)(addr + i));
		uint64_t v = load_le(buf + i, ub);
		if (f->fmt == 'x')
			dbg_text_add(t, DBG_A_NORMAL, " 0x%0*llx", (int)ub * 2,
				     (unsigned long long)v);
		else if (f->fmt == 'd')
			dbg_text_add(t, DBG_A_NORMAL, " %lld",
				     (long long)sign_extend(v, ub));
		else if (v >= 0x20 && v < 0x7f)
			dbg_text_add(t, DBG_A_NORMAL, " '%c'", (char)v);
		else
			dbg_text_add(t, DBG_A_NORMAL, " \\x%02llx",
				     (unsigned long long)v);
	}
}

/* x/Ni: N instructions from addr; "=>" only where the guest really is. */
static void insns(const uint8_t *buf, size_t len, uint64_t addr,
		  const struct dbg_xfmt *f, int bits, uint64_t pc,
		  struct dbg_text *t)
{
	int first = t->n;
	dbg_render_code(buf, len, addr, addr, bits, 0, (int)f->count - 1, NULL,
			t);
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
	if (f->fmt == 'i')
		insns(buf, len, addr, f, bits, pc, t);
	else if (f->fmt == 'x' && f->unit == 'b')
		hexdump(buf, len, addr, t);
	else
		values(buf, len, addr, f, t);
}
