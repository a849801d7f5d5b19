/*
 * regs.c - the registers gdb sees: the target description, g/G, p/P.
 *
 * gdb learns the register set from an XML target description that it
 * reads once per connection (qXfer:features:read:target.xml; gdb manual,
 * "Target Descriptions"). Ours is gdb's x86-64 core feature (the general
 * registers, rip, eflags, the six selectors and the x87 registers gdb
 * requires there), the segments feature (fs_base, gs_base), and a
 * feature of our own with the control registers cr0, cr2, cr3, cr4 and
 * the EFER MSR. Register n on the wire is row n of the table below.
 *
 * The answer is the same in every CPU mode: 64-bit registers (in real
 * and protected mode their upper halves are what KVM holds, usually 0).
 * gdb cannot re-read the description when the guest changes mode, so
 * the gdbinit's mode16/mode32 commands only change how gdb disassembles.
 * We do not manage the guest's FPU (guests are built -mgeneral-regs-only),
 * so the x87 registers are reported unavailable ('x' digits).
 */
#include <errno.h>
#include <string.h>

#include "gdb_internal.h"

enum reg_kind { R_GPR, R_RIP, R_FLAGS, R_SEL, R_X87, R_BASE, R_CTRL };

struct reg_desc {
	const char *name;
	unsigned size; /* bytes on the wire */
	enum reg_kind kind;
	unsigned idx; /* which one of its kind */
};

/* Wire order = the order of the XML below; gdb's amd64 core names. */
static const struct reg_desc regs_tab[] = {
	{"rax", 8, R_GPR, 0},	   {"rbx", 8, R_GPR, 1},
	{"rcx", 8, R_GPR, 2},	   {"rdx", 8, R_GPR, 3},
	{"rsi", 8, R_GPR, 4},	   {"rdi", 8, R_GPR, 5},
	{"rbp", 8, R_GPR, 6},	   {"rsp", 8, R_GPR, 7},
	{"r8", 8, R_GPR, 8},	   {"r9", 8, R_GPR, 9},
	{"r10", 8, R_GPR, 10},	   {"r11", 8, R_GPR, 11},
	{"r12", 8, R_GPR, 12},	   {"r13", 8, R_GPR, 13},
	{"r14", 8, R_GPR, 14},	   {"r15", 8, R_GPR, 15},
	{"rip", 8, R_RIP, 0},	   {"eflags", 4, R_FLAGS, 0},
	{"cs", 4, R_SEL, 0},	   {"ss", 4, R_SEL, 1},
	{"ds", 4, R_SEL, 2},	   {"es", 4, R_SEL, 3},
	{"fs", 4, R_SEL, 4},	   {"gs", 4, R_SEL, 5},
	{"st0", 10, R_X87, 0},	   {"st1", 10, R_X87, 0},
	{"st2", 10, R_X87, 0},	   {"st3", 10, R_X87, 0},
	{"st4", 10, R_X87, 0},	   {"st5", 10, R_X87, 0},
	{"st6", 10, R_X87, 0},	   {"st7", 10, R_X87, 0},
	{"fctrl", 4, R_X87, 0},	   {"fstat", 4, R_X87, 0},
	{"ftag", 4, R_X87, 0},	   {"fiseg", 4, R_X87, 0},
	{"fioff", 4, R_X87, 0},	   {"foseg", 4, R_X87, 0},
	{"fooff", 4, R_X87, 0},	   {"fop", 4, R_X87, 0},
	{"fs_base", 8, R_BASE, 0}, {"gs_base", 8, R_BASE, 1},
	{"cr0", 8, R_CTRL, 0},	   {"cr2", 8, R_CTRL, 2},
	{"cr3", 8, R_CTRL, 3},	   {"cr4", 8, R_CTRL, 4},
	{"efer", 8, R_CTRL, 8},
};
#define NREGS (sizeof(regs_tab) / sizeof(regs_tab[0]))
_Static_assert(NREGS == 47, "the XML below describes 47 registers");

/* The description (gdb manual, "Standard Target Features": i386 core
 * types i387_ext for st0-7, int for the rest). */
static const char target_xml[] =
	"<?xml version=\"1.0\"?>"
	"<!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
	"<target version=\"1.0\"><architecture>i386:x86-64</architecture>"
	"<feature name=\"org.gnu.gdb.i386.core\">"
	"<flags id=\"x64_eflags\" size=\"4\">"
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
	"</flags>"
	"<reg name=\"rax\" bitsize=\"64\" type=\"int64\" regnum=\"0\"/>"
	"<reg name=\"rbx\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"rcx\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"rdx\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"rsi\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"rdi\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"rbp\" bitsize=\"64\" type=\"data_ptr\"/>"
	"<reg name=\"rsp\" bitsize=\"64\" type=\"data_ptr\"/>"
	"<reg name=\"r8\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"r9\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"r10\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"r11\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"r12\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"r13\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"r14\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"r15\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/>"
	"<reg name=\"eflags\" bitsize=\"32\" type=\"x64_eflags\"/>"
	"<reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>"
	"<reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>"
	"<reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>"
	"<reg name=\"es\" bitsize=\"32\" type=\"int32\"/>"
	"<reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>"
	"<reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>"
	"<reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>"
	"<reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>"
	"<reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/>"
	"<reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>"
	"<reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>"
	"<reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>"
	"<reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/>"
	"<reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>"
	"<reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
	"<reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
	"<reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
	"<reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
	"<reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
	"<reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
	"<reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
	"<reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
	"</feature>"
	"<feature name=\"org.gnu.gdb.i386.segments\">"
	"<reg name=\"fs_base\" bitsize=\"64\" type=\"int\"/>"
	"<reg name=\"gs_base\" bitsize=\"64\" type=\"int\"/>"
	"</feature>"
	"<feature name=\"org.minivmm.x86.control\">"
	"<reg name=\"cr0\" bitsize=\"64\" type=\"int64\" group=\"system\"/>"
	"<reg name=\"cr2\" bitsize=\"64\" type=\"int64\" group=\"system\"/>"
	"<reg name=\"cr3\" bitsize=\"64\" type=\"int64\" group=\"system\"/>"
	"<reg name=\"cr4\" bitsize=\"64\" type=\"int64\" group=\"system\"/>"
	"<reg name=\"efer\" bitsize=\"64\" type=\"int64\" group=\"system\"/>"
	"</feature></target>";

const char *gdb_target_xml(size_t *len)
{
	*len = sizeof(target_xml) - 1;
	return target_xml;
}

uint64_t gdb_linear_pc(const struct kvm_sregs *s, const struct kvm_regs *r)
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
	gdb_hex_encode(out, b, d->size);
	return out + 2 * d->size;
}

int gdb_read_regs(struct mvm_gdb *g, char *out)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	int rc = load(g, &r, &s);

	if (rc)
		return rc;
	for (unsigned n = 0; n < NREGS; n++) {
		uint64_t v = 0;
		int have = get_one(&regs_tab[n], &r, &s, &v) == 0;
		out = put_hex(out, &regs_tab[n], have, v);
	}
	*out = '\0';
	return 0;
}

int gdb_read_reg(struct mvm_gdb *g, unsigned n, char *out)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	uint64_t v = 0;
	int rc;

	if (n >= NREGS)
		return -EINVAL;
	rc = load(g, &r, &s);
	if (rc)
		return rc;
	rc = get_one(&regs_tab[n], &r, &s, &v);
	*put_hex(out, &regs_tab[n], rc == 0, v) = '\0';
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
	} else if (gdb_hex_decode(b, *hex, d->size) < 0) {
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

int gdb_write_regs(struct mvm_gdb *g, const char *hex)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	int rc = load(g, &r, &s), have;
	uint64_t v;

	for (unsigned n = 0; rc == 0 && n < NREGS && *hex; n++) {
		rc = take(&hex, &regs_tab[n], &v, &have);
		if (rc == 0 && have)
			rc = set_one(&regs_tab[n], &r, &s, v);
	}
	return rc ? rc : store(g, &r, &s);
}

int gdb_write_reg(struct mvm_gdb *g, unsigned n, const char *hex)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	uint64_t v;
	int rc, have;

	if (n >= NREGS)
		return -EINVAL;
	rc = load(g, &r, &s);
	if (rc == 0)
		rc = take(&hex, &regs_tab[n], &v, &have);
	if (rc == 0 && have)
		rc = set_one(&regs_tab[n], &r, &s, v);
	return rc ? rc : store(g, &r, &s);
}
