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
static const struct mvm_gdb_reg regs64[] = {
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
static const struct mvm_gdb_reg regs32[] = {
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

const struct mvm_gdb_reg *mvm_gdb_regs(const struct mvm_gdb *g, unsigned *n)
{
	*n = g->wide ? sizeof(regs64) / sizeof(regs64[0])
		     : sizeof(regs32) / sizeof(regs32[0]);
	return g->wide ? regs64 : regs32;
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
static int get_one(const struct mvm_gdb_reg *d, struct kvm_regs *r,
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
static int set_one(const struct mvm_gdb_reg *d, struct kvm_regs *r,
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

static char *put_hex(char *out, const struct mvm_gdb_reg *d, int have,
		     uint64_t v)
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
	const struct mvm_gdb_reg *t = mvm_gdb_regs(g, &nregs);

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
	const struct mvm_gdb_reg *t = mvm_gdb_regs(g, &nregs);
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
static int take(const char **hex, const struct mvm_gdb_reg *d, uint64_t *v,
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
	const struct mvm_gdb_reg *t = mvm_gdb_regs(g, &nregs);
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
	const struct mvm_gdb_reg *t = mvm_gdb_regs(g, &nregs);
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
