/*
 * decode.c - named bits of RFLAGS, CR0, CR4, EFER; segment descriptors;
 * the register table (see decode.h).
 *
 * Bit positions come from the manuals, cited per table. Only
 * architectural, named bits are listed; reserved bits that happen to be
 * set still show in the raw hex value next to the names.
 */
#include "decode.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Intel SDM Vol. 1 3.4.3, Figure 3-8 "EFLAGS Register". IOPL (13:12) is
 * a two-bit field and printed separately by dbg_rflags_str(). */
const struct dbg_bitname dbg_rflags_bits[] = {
	{0, "CF"},  {2, "PF"},	{4, "AF"},  {6, "ZF"},	 {7, "SF"},
	{8, "TF"},  {9, "IF"},	{10, "DF"}, {11, "OF"},	 {14, "NT"},
	{16, "RF"}, {17, "VM"}, {18, "AC"}, {19, "VIF"}, {20, "VIP"},
	{21, "ID"}, {0, NULL},
};

/* Intel SDM Vol. 3A 2.5, Figure 2-7 "Control Registers". */
const struct dbg_bitname dbg_cr0_bits[] = {
	{0, "PE"},  {1, "MP"},	{2, "EM"},  {3, "TS"},	{4, "ET"},  {5, "NE"},
	{16, "WP"}, {18, "AM"}, {29, "NW"}, {30, "CD"}, {31, "PG"}, {0, NULL},
};

/* Intel SDM Vol. 3A 2.5 (CR4 bit list). */
const struct dbg_bitname dbg_cr4_bits[] = {
	{0, "VME"},    {1, "PVI"},	{2, "TSD"},	    {3, "DE"},
	{4, "PSE"},    {5, "PAE"},	{6, "MCE"},	    {7, "PGE"},
	{8, "PCE"},    {9, "OSFXSR"},	{10, "OSXMMEXCPT"}, {11, "UMIP"},
	{12, "LA57"},  {13, "VMXE"},	{14, "SMXE"},	    {16, "FSGSBASE"},
	{17, "PCIDE"}, {18, "OSXSAVE"}, {20, "SMEP"},	    {21, "SMAP"},
	{22, "PKE"},   {23, "CET"},	{24, "PKS"},	    {0, NULL},
};

/* AMD APM Vol. 2 3.1.7 "Extended Feature Enable Register"; Intel SDM
 * Vol. 3A 2.2.1 (IA32_EFER). */
const struct dbg_bitname dbg_efer_bits[] = {
	{0, "SCE"},    {8, "LME"},    {10, "LMA"}, {11, "NXE"}, {12, "SVME"},
	{13, "LMSLE"}, {14, "FFXSR"}, {15, "TCE"}, {0, NULL},
};

int dbg_bits_str(uint64_t v, const struct dbg_bitname *tab, char *buf,
		 size_t len)
{
	size_t n = 0;
	if (len)
		buf[0] = '\0';
	for (; tab->name; tab++) {
		if (!(v & (1ULL << tab->bit)))
			continue;
		n += (size_t)snprintf(buf + (n < len ? n : len),
				      n < len ? len - n : 0, "%s%s",
				      n ? " " : "", tab->name);
	}
	if (n == 0)
		return snprintf(buf, len, "-");
	return (int)n;
}

int dbg_rflags_str(uint64_t rflags, char *buf, size_t len)
{
	int n = dbg_bits_str(rflags, dbg_rflags_bits, buf, len);
	unsigned iopl = (unsigned)(rflags >> 12) & 3;
	if (!iopl || n < 0 || (size_t)n >= len)
		return n;
	if (strcmp(buf, "-") == 0)
		n = 0;
	return n + snprintf(buf + n, len - (size_t)n, "%sIOPL=%u", n ? " " : "",
			    iopl);
}

/* System descriptor types in IA-32e mode and legacy mode differ; we name
 * the ones a 64-bit or 32-bit guest can have (SDM Vol. 3A Table 3-2). */
static const char *const sys_types[16] = {
	"reserved",
	"16-bit TSS (available)",
	"LDT",
	"16-bit TSS (busy)",
	"call gate (16-bit)",
	"task gate",
	"interrupt gate (16-bit)",
	"trap gate (16-bit)",
	"reserved",
	"TSS (available)",
	"reserved",
	"TSS (busy)",
	"call gate",
	"reserved",
	"interrupt gate",
	"trap gate",
};

const char *dbg_seg_type_str(const struct kvm_segment *s, char *buf, size_t len)
{
	unsigned t = s->type & 15;
	if (!s->s) {
		snprintf(buf, len, "system: %s", sys_types[t]);
		return buf;
	}
	/* Code/data: bit 3 = code; then C/R/A or E/W/A (SDM Table 3-1). */
	if (t & 8)
		snprintf(buf, len, "code %s%s%s",
			 (t & 2) ? "exec/read" : "exec",
			 (t & 4) ? " conforming" : "",
			 (t & 1) ? " accessed" : "");
	else
		snprintf(buf, len, "data %s%s%s",
			 (t & 2) ? "read/write" : "read",
			 (t & 4) ? " expand-down" : "",
			 (t & 1) ? " accessed" : "");
	return buf;
}

int dbg_seg_str(const struct kvm_segment *s, char *buf, size_t len)
{
	char type[48];
	if (s->unusable)
		return snprintf(buf, len, "sel 0x%04x (unusable)", s->selector);
	return snprintf(
		buf, len,
		"sel 0x%04x base 0x%016llx limit 0x%08x %s dpl %u%s%s%s%s",
		s->selector, (unsigned long long)s->base, s->limit,
		dbg_seg_type_str(s, type, sizeof(type)), s->dpl,
		s->present ? " P" : " not-present", s->l ? " L" : "",
		s->db ? " D/B" : "", s->g ? " G" : "");
}

/* --- the register table --------------------------------------------- */

#define GPR(n)                                                   \
	{                                                        \
#n, DBG_REG_GPR, offsetof(struct kvm_regs, n), 0 \
	}
#define CR(n)                                                    \
	{                                                        \
#n, DBG_REG_CR, offsetof(struct kvm_sregs, n), 0 \
	}
#define SEG(n)                                                    \
	{                                                         \
#n, DBG_REG_SEG, offsetof(struct kvm_sregs, n), 0 \
	}

const struct dbg_reg dbg_regs[] = {
	GPR(rax), GPR(rbx), GPR(rcx), GPR(rdx), GPR(rsi), GPR(rdi),
	GPR(rsp), GPR(rbp), GPR(r8),  GPR(r9),	GPR(r10), GPR(r11),
	GPR(r12), GPR(r13), GPR(r14), GPR(r15), GPR(rip), GPR(rflags),
	CR(cr0),  CR(cr2),  CR(cr3),  CR(cr4),	CR(cr8),  CR(efer),
	SEG(cs),  SEG(ds),  SEG(es),  SEG(fs),	SEG(gs),  SEG(ss),
};
const int dbg_nregs = (int)(sizeof(dbg_regs) / sizeof(dbg_regs[0]));
_Static_assert(sizeof(dbg_regs) / sizeof(dbg_regs[0]) == 30,
	       "18 kvm_regs fields + 6 control registers + 6 segments");

#define SUB(n, full, b)                                             \
	{                                                           \
#n, DBG_REG_GPR, offsetof(struct kvm_regs, full), b \
	}

const struct dbg_reg dbg_subregs[] = {
	SUB(eax, rax, 4),	SUB(ebx, rbx, 4),      SUB(ecx, rcx, 4),
	SUB(edx, rdx, 4),	SUB(esi, rsi, 4),      SUB(edi, rdi, 4),
	SUB(esp, rsp, 4),	SUB(ebp, rbp, 4),      SUB(eip, rip, 4),
	SUB(eflags, rflags, 4), SUB(ax, rax, 2),       SUB(bx, rbx, 2),
	SUB(cx, rcx, 2),	SUB(dx, rdx, 2),       SUB(si, rsi, 2),
	SUB(di, rdi, 2),	SUB(sp, rsp, 2),       SUB(bp, rbp, 2),
	SUB(ip, rip, 2),	SUB(flags, rflags, 2), SUB(al, rax, 1),
	SUB(bl, rbx, 1),	SUB(cl, rcx, 1),       SUB(dl, rdx, 1),
};
const int dbg_nsubregs = (int)(sizeof(dbg_subregs) / sizeof(dbg_subregs[0]));
_Static_assert(sizeof(dbg_subregs) / sizeof(dbg_subregs[0]) == 24,
	       "10 32-bit + 10 16-bit + 4 8-bit names");

const struct dbg_reg *dbg_reg_find(const char *name)
{
	if (name[0] == '$')
		name++;
	if (strcasecmp(name, "pc") == 0)
		name = "rip";
	for (int i = 0; i < dbg_nregs; i++)
		if (strcasecmp(name, dbg_regs[i].name) == 0)
			return &dbg_regs[i];
	for (int i = 0; i < dbg_nsubregs; i++)
		if (strcasecmp(name, dbg_subregs[i].name) == 0)
			return &dbg_subregs[i];
	return NULL;
}

/* The bits a part of `bytes` bytes covers (all for 0). */
static uint64_t part_mask(unsigned bytes)
{
	return bytes && bytes < 8 ? (1ULL << (8 * bytes)) - 1 : UINT64_MAX;
}

uint64_t dbg_reg_get(const struct dbg_reg *r, const struct kvm_regs *regs,
		     const struct kvm_sregs *sregs)
{
	uint64_t v;
	switch (r->kind) {
	case DBG_REG_GPR:
		memcpy(&v, (const char *)regs + r->off, sizeof(v));
		return v & part_mask(r->bytes);
	case DBG_REG_CR:
		memcpy(&v, (const char *)sregs + r->off, sizeof(v));
		return v;
	case DBG_REG_SEG:
	default: {
		struct kvm_segment seg;
		memcpy(&seg, (const char *)sregs + r->off, sizeof(seg));
		return seg.base;
	}
	}
}

int dbg_reg_set(const struct dbg_reg *r, struct kvm_regs *regs,
		struct kvm_sregs *sregs, uint64_t v)
{
	uint64_t old, m = part_mask(r->bytes);
	switch (r->kind) {
	case DBG_REG_GPR:
		memcpy(&old, (char *)regs + r->off, sizeof(old));
		v = r->bytes == 4 ? v & m : (old & ~m) | (v & m);
		memcpy((char *)regs + r->off, &v, sizeof(v));
		return 0;
	case DBG_REG_CR:
		memcpy((char *)sregs + r->off, &v, sizeof(v));
		return 0;
	default:
		/* A segment register is a selector plus a hidden descriptor
		 * cache; setting "cs = 5" by value would be meaningless. */
		return -EROFS;
	}
}
