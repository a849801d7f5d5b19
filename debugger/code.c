/*
 * code.c - the disassembly pane (capstone).
 *
 * Which decoder to use is a property of the CPU state, not of the file:
 * CS.L = 1 in IA-32e mode means 64-bit code, otherwise CS.D selects 32-
 * or 16-bit defaults (Intel SDM Vol. 3A 3.4.5, "D/B flag", and 5.2.1).
 * Real mode always decodes as 16-bit code.
 *
 * x86 cannot be disassembled backwards: instructions have variable
 * length, so "the instruction before RIP" is ambiguous. We try start
 * points up to a few dozen bytes back and keep the first whose decoding
 * lands exactly on RIP; that is right for ordinary code and never
 * misplaces the current instruction.
 */
#include <capstone/capstone.h>
#include <stdio.h>
#include <string.h>

#include "panes.h"

#define MAX_SHOWN 64 /* instructions one call renders at most */

int dbg_code_bits(const struct kvm_sregs *sregs)
{
	if (!(sregs->cr0 & MVM_CR0_PE))
		return 16;
	if ((sregs->efer & MVM_EFER_LMA) && sregs->cs.l)
		return 64;
	return sregs->cs.db ? 32 : 16;
}

uint64_t dbg_linear_pc(const struct dbg_state *st)
{
	if (dbg_code_bits(&st->sregs) == 64)
		return st->regs.rip;
	/* Outside 64-bit mode the offset is 32 (or 16) bits wide. */
	uint64_t ip = dbg_code_bits(&st->sregs) == 16
			      ? st->regs.rip & 0xffff
			      : st->regs.rip & 0xffffffff;
	return (st->sregs.cs.base + ip) & 0xffffffff;
}

static int open_cs(int bits, csh *h)
{
	cs_mode m = bits == 64	 ? CS_MODE_64
		    : bits == 32 ? CS_MODE_32
				 : CS_MODE_16;
	return cs_open(CS_ARCH_X86, m, h) == CS_ERR_OK ? 0 : -1;
}

/* The two columns before an address: "=>" at RIP, "B " on a
 * breakpoint, "B>" on a breakpoint at RIP (gdb's TUI marks both). */
static const char *marker(const struct dbg_codeview *v, uint64_t a, int cur)
{
	int bp = 0;
	for (int i = 0; v && i < v->nbps; i++)
		bp |= v->bps[i] == a;
	return bp ? (cur ? "B>" : "B ") : cur ? "=>" : "  ";
}

/* "0x00100004" or, for 16-bit code, "0000:7c04 " (the same width). */
static void addr_str(const struct dbg_codeview *v, uint64_t a, char *buf,
		     size_t len)
{
	if (v && v->segmented)
		snprintf(buf, len, "%04x:%04llx ", v->selector,
			 (unsigned long long)((a - v->base) & 0xffff));
	else
		snprintf(buf, len, "0x%08llx", (unsigned long long)a);
}

/* "=> 0x00100004  e6 e9              out 0xe9, al" */
static void insn_row(struct dbg_text *t, const cs_insn *i, int current,
		     const struct dbg_codeview *v)
{
	char bytes[3 * 8 + 1] = "", where[24];
	for (unsigned b = 0; b < i->size && b < 7; b++)
		sprintf(bytes + 3 * b, "%02x ", i->bytes[b]);
	if (i->size > 7)
		strcat(bytes, "..");
	enum dbg_attr a = current ? DBG_A_CURRENT : DBG_A_NORMAL;
	addr_str(v, i->address, where, sizeof(where));
	dbg_text_line(t, a, "%s %s  ", marker(v, i->address, current), where);
	dbg_text_add(t, current ? a : DBG_A_DIM, "%-22s", bytes);
	dbg_text_add(t, a, "%s %s", i->mnemonic, i->op_str);
}

static void bad_row(struct dbg_text *t, uint64_t addr, uint8_t byte, int cur,
		    const struct dbg_codeview *v)
{
	char where[24];
	addr_str(v, addr, where, sizeof(where));
	dbg_text_line(t, cur ? DBG_A_CURRENT : DBG_A_ERROR,
		      "%s %s  %02x                    (bad)",
		      marker(v, addr, cur), where, byte);
}

/* Does decoding buf[start..pco) end exactly at pco, passing through
 * every known instruction start in the range? Returns the count. */
static size_t decodes_to(csh h, const uint8_t *buf, uint64_t addr, size_t start,
			 size_t pco, const struct dbg_known *k)
{
	cs_insn *insn;
	size_t n =
		cs_disasm(h, buf + start, pco - start, addr + start, 0, &insn);
	size_t end = start, hits = 0, inside = 0;
	for (size_t i = 0; i < n; i++) {
		for (int j = 0; k && j < k->n; j++)
			hits += k->pc[j] == addr + end;
		end += insn[i].size;
	}
	if (n)
		cs_free(insn, n);
	for (int j = 0; k && j < k->n; j++)
		inside += k->pc[j] >= addr + start && k->pc[j] < addr + pco;
	return end == pco && hits == inside ? n : 0;
}

/* Offset into buf of the first instruction to show so that `before`
 * instructions precede pc, decoding in sync with pc and with the known
 * instruction starts (addresses the guest has executed). */
static size_t sync_start(csh h, const uint8_t *buf, uint64_t addr, size_t pco,
			 int before, const struct dbg_known *k)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t start = 0; start < pco; start++) {
			size_t n = decodes_to(h, buf, addr, start, pco,
					      pass ? NULL : k);
			if (!n)
				continue;
			/* Keep only the last `before` instructions. */
			size_t skip =
				n > (size_t)before ? n - (size_t)before : 0;
			if (skip == 0) /* count 0 would mean "all" */
				return start;
			cs_insn *insn;
			size_t got = cs_disasm(h, buf + start, pco - start,
					       addr + start, skip, &insn);
			for (size_t i = 0; i < got; i++)
				start += insn[i].size;
			if (got)
				cs_free(insn, got);
			return start;
		}
	}
	return pco;
}

void dbg_render_code(const uint8_t *buf, size_t len, uint64_t addr, uint64_t pc,
		     int bits, int before, int after,
		     const struct dbg_known *known, struct dbg_text *t)
{
	struct dbg_codeview v = {.known = known};
	dbg_render_code_view(buf, len, addr, pc, bits, before, after, &v, t);
}

void dbg_render_code_view(const uint8_t *buf, size_t len, uint64_t addr,
			  uint64_t pc, int bits, int before, int after,
			  const struct dbg_codeview *v, struct dbg_text *t)
{
	const struct dbg_known *known = v ? v->known : NULL;
	csh h;
	if (pc < addr || pc - addr >= len) {
		dbg_text_line(t, DBG_A_ERROR, "no code bytes at 0x%llx",
			      (unsigned long long)pc);
		return;
	}
	if (open_cs(bits, &h)) {
		dbg_text_line(t, DBG_A_ERROR, "capstone: cannot open x86-%d",
			      bits);
		return;
	}
	size_t off =
		before > 0 ? sync_start(h, buf, addr, pc - addr, before, known)
			   : pc - addr;
	int after_pc = 0;
	for (int shown = 0; off < len && shown < MAX_SHOWN; shown++) {
		uint64_t a = addr + off;
		if (a >= pc && after_pc++ > after)
			break;
		cs_insn *insn;
		size_t n = cs_disasm(h, buf + off, len - off, a, 1, &insn);
		if (n == 0) {
			bad_row(t, a, buf[off], a == pc, v);
			off++;
			continue;
		}
		insn_row(t, insn, a == pc, v);
		off += insn[0].size;
		cs_free(insn, n);
	}
	cs_close(&h);
}

unsigned dbg_insn_len(const uint8_t *buf, size_t len, uint64_t addr, int bits,
		      int *is_call)
{
	csh h;
	cs_insn *insn;
	unsigned n = 0;
	*is_call = 0;
	if (open_cs(bits, &h))
		return 0;
	if (cs_disasm(h, buf, len, addr, 1, &insn) == 1) {
		n = insn->size;
		/* capstone spells near and far calls "call" and "lcall". */
		*is_call = !strncmp(insn->mnemonic, "call", 4) ||
			   !strncmp(insn->mnemonic, "lcall", 5);
		cs_free(insn, 1);
	}
	cs_close(&h);
	return n;
}
