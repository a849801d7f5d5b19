/*
 * modes.c - putting a vCPU straight into real, protected or long mode.
 *
 * A PC starts in real mode and software climbs to long mode step by step:
 * load a GDT, set CR0.PE, build page tables, set CR4.PAE, EFER.LME and
 * CR0.PG (Intel SDM Vol. 3A 9.8 and 9.8.5). A VMM may skip the climb: it
 * writes the structures into guest memory and the final register values
 * with KVM_SET_SREGS, as if the boot code had already run. Comparing the
 * three setup functions below shows exactly which bits make each mode.
 *
 * Segment registers have a visible selector and a hidden part (base,
 * limit, access rights) that the CPU normally loads from the descriptor
 * the selector points to (Intel SDM Vol. 3A 3.4.3). With KVM_SET_SREGS we
 * set the hidden part directly, so this file derives each GDT descriptor
 * *from* the kvm_segment it loads: the two cannot disagree, and a guest
 * that reloads a selector gets the same segment back.
 *
 * The result is checked with mvm_check_state() before it reaches KVM: a
 * bug here must show up as a clear error, not as a guest that triple
 * faults later (or, on a lenient backend, runs anyway).
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* Control-register bits: Intel SDM Vol. 3A 2.5 (CR0, CR4) and 2.2.1
 * (IA32_EFER). */
#define CR0_PE	 (1ULL << 0)  /* protection enable */
#define CR0_ET	 (1ULL << 4)  /* extension type: always 1 on modern CPUs */
#define CR0_NE	 (1ULL << 5)  /* native x87 error reporting */
#define CR0_WP	 (1ULL << 16) /* ring 0 honours read-only pages */
#define CR0_PG	 (1ULL << 31) /* paging */
#define CR4_PAE	 (1ULL << 5)  /* 64-bit page-table entries */
#define EFER_LME (1ULL << 8)  /* long mode enable */
#define EFER_LMA (1ULL << 10) /* long mode active (CPU sets it) */
#define EFER_NXE (1ULL << 11) /* honour the NX bit in page tables */

/* Descriptor types (Intel SDM Vol. 3A 3.4.5.1, Table 3-1); all marked
 * accessed so the CPU never has to write the GDT. */
#define TYPE_DATA_RW  0x3  /* read/write, accessed */
#define TYPE_CODE_RX  0xb  /* execute/read, accessed */
#define TYPE_TSS_BUSY 0xb  /* 32/64-bit TSS, busy (Table 3-2) */
#define TSS_LIMIT     0x67 /* 104-byte TSS, no I/O bitmap */
#define TSS_RSP0      4	   /* offset of RSP0/ESP0 (SDM 3A 8.7, 8.2.1) */
#define TSS_SS0	      8	   /* 32-bit TSS only */
#define TSS_IOMAP     102  /* I/O map base: past the limit = none */

#define PAGE_2M (2ULL << 20)

static const char *const mode_names[] = {
	[MVM_MODE_REAL] = "real",
	[MVM_MODE_PROT32] = "prot",
	[MVM_MODE_LONG64] = "long",
};
_Static_assert(sizeof(mode_names) / sizeof(mode_names[0]) ==
		       MVM_MODE_LONG64 + 1,
	       "one name per enum mvm_cpu_mode");

const char *mvm_mode_name(enum mvm_cpu_mode mode)
{
	if ((unsigned)mode > MVM_MODE_LONG64)
		return "?";
	return mode_names[mode];
}

int mvm_mode_parse(const char *s, enum mvm_cpu_mode *mode)
{
	unsigned i;

	for (i = 0; s && mode && i <= MVM_MODE_LONG64; i++)
		if (strcasecmp(s, mode_names[i]) == 0) {
			*mode = (enum mvm_cpu_mode)i;
			return 0;
		}
	return -EINVAL;
}

/* A flat 4 GiB segment: base 0, limit 0xfffff pages (G=1). */
static struct kvm_segment flat(uint16_t sel, uint8_t type, uint8_t dpl, int l)
{
	struct kvm_segment s = {
		.base = 0,
		.limit = 0xffffffff,
		.selector = sel | dpl, /* RPL = DPL */
		.type = type,
		.present = 1,
		.dpl = dpl,
		.db = !l, /* D must be 0 when L = 1 (SDM 3A 3.4.5) */
		.s = 1,
		.l = (uint8_t)l,
		.g = 1,
	};
	return s;
}

/* The 8-byte descriptor for a segment (Intel SDM Vol. 3A 3.4.5, Figure
 * 3-8): limit and base are split into pieces for 286 compatibility. */
static uint64_t descriptor(const struct kvm_segment *s)
{
	uint64_t lim = s->g ? s->limit >> 12 : s->limit;
	uint64_t d = 0;

	d |= lim & 0xffff;
	d |= (s->base & 0xffffffULL) << 16;
	d |= (uint64_t)(s->type & 0xf) << 40;
	d |= (uint64_t)(s->s & 1) << 44;
	d |= (uint64_t)(s->dpl & 3) << 45;
	d |= (uint64_t)(s->present & 1) << 47;
	d |= ((lim >> 16) & 0xf) << 48;
	d |= (uint64_t)(s->avl & 1) << 52;
	d |= (uint64_t)(s->l & 1) << 53;
	d |= (uint64_t)(s->db & 1) << 54;
	d |= (uint64_t)(s->g & 1) << 55;
	d |= ((s->base >> 24) & 0xff) << 56;
	return d;
}

/* TR: a busy TSS at MVM_TSS_ADDR. LTR would mark the descriptor busy; we
 * write it busy so the GDT matches the hidden part (SDM 3A 8.2.2). */
static struct kvm_segment tss_segment(void)
{
	struct kvm_segment s = {
		.base = MVM_TSS_ADDR,
		.limit = TSS_LIMIT,
		.selector = MVM_SEL_TSS,
		.type = TYPE_TSS_BUSY,
		.present = 1,
	};
	return s;
}

/*
 * The GDT (layout in modes.h): ring-0 and ring-3 code and data, then the
 * TSS. In long mode a TSS descriptor is 16 bytes, the second 8 holding
 * base bits 63:32 (SDM 3A 8.2.3); in 32-bit mode that slot is unused.
 */
static int write_gdt(struct mvm_memmap *mem)
{
	struct kvm_segment seg[] = {
		[MVM_SEL_CODE32 >> 3] =
			flat(MVM_SEL_CODE32, TYPE_CODE_RX, 0, 0),
		[MVM_SEL_CODE64 >> 3] =
			flat(MVM_SEL_CODE64, TYPE_CODE_RX, 0, 1),
		[MVM_SEL_DATA >> 3] = flat(MVM_SEL_DATA, TYPE_DATA_RW, 0, 0),
		[MVM_SEL_UCODE32 >> 3] =
			flat(MVM_SEL_UCODE32, TYPE_CODE_RX, 3, 0),
		[MVM_SEL_UDATA >> 3] = flat(MVM_SEL_UDATA, TYPE_DATA_RW, 3, 0),
		[MVM_SEL_UCODE64 >> 3] =
			flat(MVM_SEL_UCODE64, TYPE_CODE_RX, 3, 1),
		[MVM_SEL_TSS >> 3] = tss_segment(),
	};
	uint64_t gdt[MVM_GDT_ENTRIES] = {0}; /* entry 0: the null descriptor */
	unsigned i;

	for (i = 1; i < sizeof(seg) / sizeof(seg[0]); i++)
		gdt[i] = descriptor(&seg[i]);
	gdt[(MVM_SEL_TSS >> 3) + 1] = MVM_TSS_ADDR >> 32;
	return mvm_memmap_write(mem, MVM_GDT_ADDR, gdt, sizeof(gdt), 0);
}

/* A TSS whose ring-0 stack is `stack` (used when an interrupt arrives in
 * ring 3). 64-bit: RSP0 at offset 4 (SDM 3A 8.7); 32-bit: ESP0 at 4 and
 * SS0 at 8 (SDM 3A 8.2.1). */
static int write_tss(struct mvm_memmap *mem, uint64_t stack, int is64)
{
	uint8_t tss[TSS_LIMIT + 1] = {0};
	uint16_t iomap = sizeof(tss), ss0 = MVM_SEL_DATA;
	uint32_t esp0 = (uint32_t)stack;

	if (is64) {
		memcpy(tss + TSS_RSP0, &stack, 8);
	} else {
		memcpy(tss + TSS_RSP0, &esp0, 4);
		memcpy(tss + TSS_SS0, &ss0, 2);
	}
	memcpy(tss + TSS_IOMAP, &iomap, 2);
	return mvm_memmap_write(mem, MVM_TSS_ADDR, tss, sizeof(tss), 0);
}

/* A real-mode segment: base = selector * 16, 64 KiB limit (SDM 3A 20.1). */
static struct kvm_segment real_seg(uint16_t sel, uint8_t type)
{
	struct kvm_segment s = {
		.base = (uint64_t)sel << 4,
		.limit = 0xffff,
		.selector = sel,
		.type = type,
		.present = 1,
		.s = 1,
	};
	return s;
}

/*
 * Real mode: CS:IP = 0000:entry. The stack is SS:SP with SS chosen so
 * that SS*16 + SP is the requested top (0x9f000 = 9000:f000), since SP
 * alone only reaches 64 KiB. SS comes from the last byte below the top:
 * a top at a 64 KiB boundary such as 0x20000 becomes 1000:0000, whose
 * first push wraps SP to 0xfffe and lands at 0x1fffe, just below the
 * top (2000:0000 would push to 0x2fffe, 64 KiB above it).
 */
static int setup_real(struct mvm_vm *vm, const struct mvm_mode_config *cfg,
		      uint64_t stack, struct kvm_regs *r, struct kvm_sregs *s)
{
	uint16_t ss = (uint16_t)(((stack - 1) >> 4) & 0xf000);

	if (cfg->entry > 0xffff || stack > 0xfffff) {
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "real mode: entry 0x%llx must be below 64 KiB and the "
			 "stack 0x%llx below 1 MiB",
			 (unsigned long long)cfg->entry,
			 (unsigned long long)stack);
		return -EINVAL;
	}
	s->cs = real_seg(0, TYPE_CODE_RX);
	s->ds = s->es = s->fs = s->gs = real_seg(0, TYPE_DATA_RW);
	s->ss = real_seg(ss, TYPE_DATA_RW);
	s->idt.base = 0; /* the real-mode interrupt vector table */
	s->idt.limit = 0x3ff;
	s->cr0 = CR0_ET;
	s->cr3 = s->cr4 = s->efer = 0;
	r->rip = cfg->entry;
	r->rsp = (stack - ((uint64_t)ss << 4)) & 0xffff;
	return 0;
}

/* Everything protected and long mode share: GDT, TSS, segments. */
static int setup_segments(struct mvm_vm *vm, uint64_t stack, int is64,
			  struct kvm_sregs *s)
{
	int rc = write_gdt(&vm->mem);

	if (rc == 0)
		rc = write_tss(&vm->mem, stack, is64);
	if (rc) {
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "mode setup: GDT at 0x%llx or TSS at 0x%llx is not "
			 "in guest RAM",
			 MVM_GDT_ADDR, MVM_TSS_ADDR);
		return rc;
	}
	s->cs = is64 ? flat(MVM_SEL_CODE64, TYPE_CODE_RX, 0, 1)
		     : flat(MVM_SEL_CODE32, TYPE_CODE_RX, 0, 0);
	s->ds = s->es = s->fs = s->gs = s->ss =
		flat(MVM_SEL_DATA, TYPE_DATA_RW, 0, 0);
	s->tr = tss_segment();
	s->gdt.base = MVM_GDT_ADDR;
	s->gdt.limit = MVM_GDT_ENTRIES * 8 - 1;
	/* An empty IDT: until the guest loads its own, any exception is a
	 * clean triple fault (SHUTDOWN) instead of a jump through garbage. */
	s->idt.base = MVM_IDT_ADDR;
	s->idt.limit = 0;
	return 0;
}

/* 32-bit protected mode, flat segments, no paging: CR0.PE is the only
 * switch (SDM 3A 9.9.1). */
static int setup_prot(struct mvm_vm *vm, const struct mvm_mode_config *cfg,
		      uint64_t stack, struct kvm_regs *r, struct kvm_sregs *s)
{
	if (cfg->entry > 0xffffffffULL || stack > 0xffffffffULL) {
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "protected mode: entry 0x%llx and stack 0x%llx must "
			 "be below 4 GiB",
			 (unsigned long long)cfg->entry,
			 (unsigned long long)stack);
		return -EINVAL;
	}
	s->cr0 = CR0_PE | CR0_ET | CR0_NE;
	s->cr3 = s->cr4 = s->efer = 0;
	r->rip = cfg->entry;
	r->rsp = stack;
	return setup_segments(vm, stack, 0, s);
}

/*
 * Identity tables for long mode. By default, with 2 MiB pages, the low
 * 4 GiB are mapped: RAM and the MMIO window (devices, APICs), for 6
 * tables (PML4, PDPT, 4 page directories). With 4 KiB pages the default is
 * RAM only, which is what fits between MVM_PT_ADDR and MVM_PT_END.
 */
static int build_tables(struct mvm_vm *vm, const struct mvm_mode_config *cfg,
			uint64_t *cr3)
{
	uint64_t page = cfg->page_size ? cfg->page_size : PAGE_2M;
	uint64_t size = cfg->map_size;
	long need;
	int rc;

	if (!size)
		size = page == PAGE_2M ? (4ULL << 30) : vm->ram_size;
	need = mvm_pt_tables_needed(size, page);
	if (need < 0) {
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "long mode: cannot map 0x%llx bytes with %llu-byte "
			 "pages (page size must be 4096 or 2 MiB and divide "
			 "the size)",
			 (unsigned long long)size, (unsigned long long)page);
		return -EINVAL;
	}
	rc = mvm_pt_build_identity(&vm->mem, MVM_PT_ADDR, MVM_PT_END, size,
				   page, cr3);
	if (rc == -ENOSPC)
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "long mode: mapping %llu MiB with %llu KiB pages "
			 "needs %ld page tables but [0x%llx, 0x%llx) holds "
			 "%llu; use 2 MiB pages or a smaller map size",
			 (unsigned long long)(size >> 20),
			 (unsigned long long)(page >> 10), need, MVM_PT_ADDR,
			 MVM_PT_END, (MVM_PT_END - MVM_PT_ADDR) / 4096);
	else if (rc)
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "long mode: page tables at 0x%llx: %s", MVM_PT_ADDR,
			 strerror(-rc));
	return rc;
}

/* [slide:long-mode-sregs] */
/* Long mode, as at the end of SDM 3A 9.8.5 "Initializing IA-32e Mode":
 * PAE tables in CR3, CR4.PAE, EFER.LME, then CR0.PG, which makes the CPU
 * set EFER.LMA; a CS with L=1 selects 64-bit code (SDM 3A 5.2.1). */
static int setup_long(struct mvm_vm *vm, const struct mvm_mode_config *cfg,
		      uint64_t stack, struct kvm_regs *r, struct kvm_sregs *s)
{
	uint64_t cr3;
	int rc = build_tables(vm, cfg, &cr3);

	if (rc)
		return rc;
	s->cr3 = cr3;
	s->cr4 = CR4_PAE;
	s->efer = EFER_LME | EFER_LMA | EFER_NXE;
	s->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	r->rip = cfg->entry;
	r->rsp = stack;
	return setup_segments(vm, stack, 1, s);
}
/* [/slide:long-mode-sregs] */

/* Refuse a state our own checker rejects, naming every broken rule. */
static int check_state(struct mvm_vm *vm, const struct kvm_regs *r,
		       const struct kvm_sregs *s)
{
	struct mvm_check_report rep;
	int i;

	if (mvm_check_state(r, s, &rep) == 0)
		return 0;
	for (i = 0; i < rep.n; i++)
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "mode setup built an invalid state: %s: %s (%s)",
			 rep.p[i].rule, rep.p[i].msg, rep.p[i].ref);
	return -EINVAL;
}

int mvm_vcpu_setup_mode(struct mvm_vcpu *vcpu,
			const struct mvm_mode_config *cfg)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	uint64_t stack;
	int rc;

	if (!vcpu || !cfg)
		return -EINVAL;
	stack = cfg->stack ? cfg->stack : MVM_STACK_TOP;
	/* Start from KVM's reset state: it keeps fields we do not set
	 * (APIC base, LDTR, pending interrupts). */
	rc = mvm_vcpu_get_sregs(vcpu, &sregs);
	if (rc)
		return rc;
	memset(&regs, 0, sizeof(regs));
	regs.rflags = 0x2; /* bit 1 is reserved and always 1 */
	switch (cfg->mode) {
	case MVM_MODE_REAL:
		rc = setup_real(vcpu->vm, cfg, stack, &regs, &sregs);
		break;
	case MVM_MODE_PROT32:
		rc = setup_prot(vcpu->vm, cfg, stack, &regs, &sregs);
		break;
	case MVM_MODE_LONG64:
		rc = setup_long(vcpu->vm, cfg, stack, &regs, &sregs);
		break;
	default:
		mvm_logf(&vcpu->vm->log, MVM_LOG_ERROR,
			 "mode setup: unknown mode %d", (int)cfg->mode);
		return -EINVAL;
	}
	if (rc == 0)
		rc = check_state(vcpu->vm, &regs, &sregs);
	if (rc)
		return rc;
	rc = mvm_vcpu_set_sregs(vcpu, &sregs);
	if (rc == 0)
		rc = mvm_vcpu_set_regs(vcpu, &regs);
	if (rc)
		mvm_logf(&vcpu->vm->log, MVM_LOG_ERROR,
			 "mode setup (%s): KVM refused the registers: %s",
			 mvm_mode_name(cfg->mode), strerror(-rc));
	return rc;
}
