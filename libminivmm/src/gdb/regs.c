/*
 * regs.c - the registers gdb sees: the target description, g/G, p/P.
 *
 * gdb learns the register set from an XML target description that it
 * reads once per connection (qXfer:features:read:target.xml; gdb manual,
 * "Target Descriptions"). Ours is gdb's core feature (the general
 * registers, the instruction pointer, eflags, the six selectors and the
 * x87 registers gdb requires there), the segments feature (fs_base,
 * gs_base), and a feature of our own with the control registers cr0,
 * cr2, cr3, cr4 and the EFER MSR. Register n on the wire is row n of
 * the table in use.
 *
 * Which table is chosen once, when gdb connects, because gdb cannot
 * re-read the description when the guest changes mode: the amd64 set
 * (64-bit registers) when the vCPU is in long mode then, else the i386
 * set (32-bit registers; the upper halves KVM holds are kept on writes).
 * gdb only lets `set architecture` move between compatible machines,
 * and between two it keeps the "larger" one (i8086 < i386 < x86-64), so
 * the description names the smallest one that fits now: i8086 in real
 * mode, from where the gdbinit's mode32 can move up to i386 and mode16
 * back; i386 in protected mode; x86-64 alone on an amd64 connection. A
 * guest that enters long mode later is still seen through the i386 set:
 * connect again to see 64 bits.
 * We do not manage the guest's FPU (guests are built -mgeneral-regs-only),
 * so the x87 registers are reported unavailable ('x' digits).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gdb_internal.h"

enum reg_kind { R_GPR, R_RIP, R_FLAGS, R_SEL, R_X87, R_BASE, R_CTRL };

/* Features of the description (gdb manual, "Standard Target Features":
 * i386 core and segments; the third is ours). */
static const char *const features[] = {
	"org.gnu.gdb.i386.core",
	"org.gnu.gdb.i386.segments",
	"org.minivmm.x86.control",
};

struct reg_desc {
	const char *name;
	unsigned size; /* bytes on the wire */
	enum reg_kind kind;
	unsigned idx;	  /* which one of its kind */
	const char *type; /* gdb's type name for the XML */
	unsigned feature; /* index into features[] */
};

#define GPR64(n, i)                        \
	{                                  \
		n, 8, R_GPR, i, "int64", 0 \
	}
#define GPR32(n, i)                        \
	{                                  \
		n, 4, R_GPR, i, "int32", 0 \
	}
#define SEL(n, i)                          \
	{                                  \
		n, 4, R_SEL, i, "int32", 0 \
	}
#define ST(n)                                  \
	{                                      \
		n, 10, R_X87, 0, "i387_ext", 0 \
	}
#define FPU(n)                           \
	{                                \
		n, 4, R_X87, 0, "int", 0 \
	}
#define CTRL(n, i)                          \
	{                                   \
		n, 8, R_CTRL, i, "int64", 2 \
	}
#define X87_REGS                                                               \
	ST("st0"), ST("st1"), ST("st2"), ST("st3"), ST("st4"), ST("st5"),      \
		ST("st6"), ST("st7"), FPU("fctrl"), FPU("fstat"), FPU("ftag"), \
		FPU("fiseg"), FPU("fioff"), FPU("foseg"), FPU("fooff"),        \
		FPU("fop")
#define SEL_REGS                                                              \
	SEL("cs", 0), SEL("ss", 1), SEL("ds", 2), SEL("es", 3), SEL("fs", 4), \
		SEL("gs", 5)
#define CTRL_REGS                                                       \
	CTRL("cr0", 0), CTRL("cr2", 2), CTRL("cr3", 3), CTRL("cr4", 4), \
		CTRL("efer", 8)

/* gdb's amd64 core names and order (wire order = this order). */
static const struct reg_desc regs64[] = {
	GPR64("rax", 0),
	GPR64("rbx", 1),
	GPR64("rcx", 2),
	GPR64("rdx", 3),
	GPR64("rsi", 4),
	GPR64("rdi", 5),
	{"rbp", 8, R_GPR, 6, "data_ptr", 0},
	{"rsp", 8, R_GPR, 7, "data_ptr", 0},
	GPR64("r8", 8),
	GPR64("r9", 9),
	GPR64("r10", 10),
	GPR64("r11", 11),
	GPR64("r12", 12),
	GPR64("r13", 13),
	GPR64("r14", 14),
	GPR64("r15", 15),
	{"rip", 8, R_RIP, 0, "code_ptr", 0},
	{"eflags", 4, R_FLAGS, 0, "i386_eflags", 0},
	SEL_REGS,
	X87_REGS,
	{"fs_base", 8, R_BASE, 0, "int", 1},
	{"gs_base", 8, R_BASE, 1, "int", 1},
	CTRL_REGS,
};
_Static_assert(sizeof(regs64) / sizeof(regs64[0]) == 47, "amd64 set");

/* gdb's i386 core names and order: eax ecx edx ebx esp ebp esi edi. */
static const struct reg_desc regs32[] = {
	GPR32("eax", 0),
	GPR32("ecx", 2),
	GPR32("edx", 3),
	GPR32("ebx", 1),
	{"esp", 4, R_GPR, 7, "data_ptr", 0},
	{"ebp", 4, R_GPR, 6, "data_ptr", 0},
	GPR32("esi", 4),
	GPR32("edi", 5),
	{"eip", 4, R_RIP, 0, "code_ptr", 0},
	{"eflags", 4, R_FLAGS, 0, "i386_eflags", 0},
	SEL_REGS,
	X87_REGS,
	{"fs_base", 4, R_BASE, 0, "int", 2},
	{"gs_base", 4, R_BASE, 1, "int", 2},
	CTRL_REGS,
};
_Static_assert(sizeof(regs32) / sizeof(regs32[0]) == 39, "i386 set");

static const struct reg_desc *table(const struct mvm_gdb *g, unsigned *n)
{
	*n = g->wide ? sizeof(regs64) / sizeof(regs64[0])
		     : sizeof(regs32) / sizeof(regs32[0]);
	return g->wide ? regs64 : regs32;
}

/* The EFLAGS bits gdb shows by name (Intel SDM Vol. 1 3.4.3). */
static const char eflags_xml[] = "<flags id=\"i386_eflags\" size=\"4\">"
				 "<field name=\"CF\" start=\"0\" end=\"0\"/>"
				 "<field name=\"PF\" start=\"2\" end=\"2\"/>"
				 "<field name=\"AF\" start=\"4\" end=\"4\"/>"
				 "<field name=\"ZF\" start=\"6\" end=\"6\"/>"
				 "<field name=\"SF\" start=\"7\" end=\"7\"/>"
				 "<field name=\"TF\" start=\"8\" end=\"8\"/>"
				 "<field name=\"IF\" start=\"9\" end=\"9\"/>"
				 "<field name=\"DF\" start=\"10\" end=\"10\"/>"
				 "<field name=\"OF\" start=\"11\" end=\"11\"/>"
				 "<field name=\"VM\" start=\"17\" end=\"17\"/>"
				 "</flags>";

/*
 * Build the description for this connection into g->xml: 64-bit
 * registers when the vCPU is in long mode now (EFER.LMA), else the i386
 * set, whose architecture gdb lets the gdbinit switch between i386 and
 * i8086 (x86-64 and those two are not interchangeable in gdb).
 */
int mvm_gdb_build_xml(struct mvm_gdb *g)
{
	struct kvm_sregs s;
	const struct reg_desc *t;
	unsigned n, f = ~0u;
	size_t len = 0;
	int rc = mvm_vcpu_get_sregs(g->vcpu, &s);

	if (rc < 0)
		return rc;
	g->wide = (s.efer & MVM_EFER_LMA) != 0;
	t = table(g, &n);
#define ADD(...)                                                               \
	len += (size_t)snprintf(                                               \
		g->xml + len, len < sizeof(g->xml) ? sizeof(g->xml) - len : 0, \
		__VA_ARGS__)
	ADD("<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM "
	    "\"gdb-target.dtd\"><target version=\"1.0\">"
	    "<architecture>%s</architecture><osabi>none</osabi>",
	    g->wide		   ? "i386:x86-64"
	    : (s.cr0 & MVM_CR0_PE) ? "i386"
				   : "i8086");
	for (unsigned i = 0; i < n; i++) {
		if (t[i].feature != f) {
			ADD("%s<feature name=\"%s\">",
			    f == ~0u ? "" : "</feature>",
			    features[t[i].feature]);
			if (t[i].feature == 0)
				ADD("%s", eflags_xml);
			f = t[i].feature;
		}
		ADD("<reg name=\"%s\" bitsize=\"%u\" type=\"%s\"%s%s/>",
		    t[i].name, 8 * t[i].size, t[i].type,
		    i == 0 ? " regnum=\"0\"" : "",
		    t[i].kind == R_CTRL			   ? " group=\"system\""
		    : t[i].kind == R_X87 && t[i].size == 4 ? " group=\"float\""
							   : "");
	}
	ADD("</feature></target>");
#undef ADD
	if (len >= sizeof(g->xml))
		return -ENOSPC;
	g->xml_len = len;
	return 0;
}

uint64_t mvm_gdb_linear_pc(const struct kvm_sregs *s, const struct kvm_regs *r)
{
	return s->cs.base + r->rip;
}

static __u64 *gpr(struct kvm_regs *r, unsigned i)
{
	__u64 *p[16] = {&r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi, &r->rdi,
			&r->rbp, &r->rsp, &r->r8,  &r->r9,  &r->r10, &r->r11,
			&r->r12, &r->r13, &r->r14, &r->r15};
	return p[i];
}

static struct kvm_segment *seg(struct kvm_sregs *s, unsigned i)
{
	struct kvm_segment *p[6] = {&s->cs, &s->ss, &s->ds,
				    &s->es, &s->fs, &s->gs};
	return p[i];
}

static __u64 *ctrl(struct kvm_sregs *s, unsigned i)
{
	return i == 0	? &s->cr0
	       : i == 2 ? &s->cr2
	       : i == 3 ? &s->cr3
	       : i == 4 ? &s->cr4
			: &s->efer;
}

/* Register n's value (little-endian, d->size bytes); 0 or -ENODATA for
 * a register we do not have (x87). */
static int get_one(const struct reg_desc *d, struct kvm_regs *r,
		   struct kvm_sregs *s, uint64_t *v)
{
	switch (d->kind) {
	case R_GPR:
		*v = *gpr(r, d->idx);
		return 0;
	case R_RIP:
		*v = r->rip;
		return 0;
	case R_FLAGS:
		*v = r->rflags;
		return 0;
	case R_SEL:
		*v = seg(s, d->idx)->selector;
		return 0;
	case R_BASE:
		*v = (d->idx ? s->gs : s->fs).base;
		return 0;
	case R_CTRL:
		*v = *ctrl(s, d->idx);
		return 0;
	default:
		return -ENODATA;
	}
}

/* Put one value; -EPERM for what cannot change this way. A selector may
 * be rewritten in real mode only (base = selector * 16, Intel SDM Vol.
 * 3A 20.1.1); elsewhere it names a descriptor we would have to load. */
static int set_one(const struct reg_desc *d, struct kvm_regs *r,
		   struct kvm_sregs *s, uint64_t v)
{
	struct kvm_segment *sg;
	uint64_t old;

	/* The i386 set writes low halves: keep what is above. */
	if (d->size == 4 && d->kind != R_SEL && d->kind != R_FLAGS &&
	    get_one(d, r, s, &old) == 0)
		v = (old & ~0xffffffffULL) | (v & 0xffffffffULL);
	switch (d->kind) {
	case R_GPR:
		*gpr(r, d->idx) = v;
		return 0;
	case R_RIP:
		r->rip = v;
		return 0;
	case R_FLAGS:
		r->rflags = (r->rflags & ~0xffffffffULL) | (v & 0xffffffff);
		return 0;
	case R_SEL:
		sg = seg(s, d->idx);
		if (sg->selector == (uint16_t)v)
			return 0;
		if (s->cr0 & MVM_CR0_PE)
			return -EPERM;
		sg->selector = (uint16_t)v;
		sg->base = (uint64_t)(uint16_t)v << 4;
		return 0;
	case R_BASE:
		(d->idx ? &s->gs : &s->fs)->base = v;
		return 0;
	case R_CTRL:
		*ctrl(s, d->idx) = v;
		return 0;
	default:
		return 0; /* x87: accepted and ignored */
	}
}

static int load(struct mvm_gdb *g, struct kvm_regs *r, struct kvm_sregs *s)
{
	int rc = mvm_vcpu_get_regs(g->vcpu, r);
	return rc ? rc : mvm_vcpu_get_sregs(g->vcpu, s);
}

static char *put_hex(char *out, const struct reg_desc *d, int have, uint64_t v)
{
	uint8_t b[10] = {0};

	if (!have) {
		memset(out, 'x', 2 * d->size);
		return out + 2 * d->size;
	}
	for (unsigned i = 0; i < d->size && i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	mvm_gdb_hex_encode(out, b, d->size);
	return out + 2 * d->size;
}

int mvm_gdb_read_regs(struct mvm_gdb *g, char *out)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	int rc = load(g, &r, &s);

	unsigned nregs;
	const struct reg_desc *t = table(g, &nregs);

	if (rc)
		return rc;
	for (unsigned n = 0; n < nregs; n++) {
		uint64_t v = 0;
		int have = get_one(&t[n], &r, &s, &v) == 0;
		out = put_hex(out, &t[n], have, v);
	}
	*out = '\0';
	return 0;
}

int mvm_gdb_read_reg(struct mvm_gdb *g, unsigned n, char *out)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	uint64_t v = 0;
	unsigned nregs;
	const struct reg_desc *t = table(g, &nregs);
	int rc;

	if (n >= nregs)
		return -EINVAL;
	rc = load(g, &r, &s);
	if (rc)
		return rc;
	rc = get_one(&t[n], &r, &s, &v);
	*put_hex(out, &t[n], rc == 0, v) = '\0';
	return 0;
}

/* Decode one register's hex at *hex ('x' digits: leave it alone). */
static int take(const char **hex, const struct reg_desc *d, uint64_t *v,
		int *have)
{
	uint8_t b[10];

	*have = (*hex)[0] != 'x';
	if (!*have) {
		if (strspn(*hex, "x") < 2 * d->size)
			return -EINVAL;
	} else if (mvm_gdb_hex_decode(b, *hex, d->size) < 0) {
		return -EINVAL;
	}
	*v = 0;
	for (unsigned i = 0; *have && i < d->size && i < 8; i++)
		*v |= (uint64_t)b[i] << (8 * i);
	*hex += 2 * d->size;
	return 0;
}

static int store(struct mvm_gdb *g, struct kvm_regs *r, struct kvm_sregs *s)
{
	int rc = mvm_vcpu_set_sregs(g->vcpu, s);
	return rc ? rc : mvm_vcpu_set_regs(g->vcpu, r);
}

int mvm_gdb_write_regs(struct mvm_gdb *g, const char *hex)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	int rc = load(g, &r, &s), have;
	unsigned nregs;
	const struct reg_desc *t = table(g, &nregs);
	uint64_t v;

	for (unsigned n = 0; rc == 0 && n < nregs && *hex; n++) {
		rc = take(&hex, &t[n], &v, &have);
		if (rc == 0 && have)
			rc = set_one(&t[n], &r, &s, v);
	}
	return rc ? rc : store(g, &r, &s);
}

int mvm_gdb_write_reg(struct mvm_gdb *g, unsigned n, const char *hex)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	uint64_t v;
	unsigned nregs;
	const struct reg_desc *t = table(g, &nregs);
	int rc, have;

	if (n >= nregs)
		return -EINVAL;
	rc = load(g, &r, &s);
	if (rc == 0)
		rc = take(&hex, &t[n], &v, &have);
	if (rc == 0 && have)
		rc = set_one(&t[n], &r, &s, v);
	return rc ? rc : store(g, &r, &s);
}
