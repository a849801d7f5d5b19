/*
 * gdt.c - the GDT, the TSS and the segment registers that match them, for
 * protected and long mode (modes.c calls mvm_gdt_setup()).
 *
 * Segment registers have a visible selector and a hidden part (base,
 * limit, access rights) that the CPU normally loads from the descriptor
 * the selector points to (Intel SDM Vol. 3A 3.4.3). With KVM_SET_SREGS we
 * set the hidden part directly, so this file derives each GDT descriptor
 * *from* the kvm_segment it loads: the two cannot disagree, and a guest
 * that reloads a selector gets the same segment back.
 *
 * Segmentation is nearly switched off in both modes: every code and data
 * segment is flat (base 0, 4 GiB limit; in 64-bit mode the CPU ignores
 * base and limit anyway, SDM 3A 3.2.4). What still matters is the DPL
 * (ring 0 or 3), the L bit (64-bit code) and the TSS, where the CPU finds
 * the ring-0 stack when an interrupt arrives in ring 3.
 */
#include <string.h>

#include "gdt.h"
#include "internal.h"

/* The TSS (Intel SDM Vol. 3A 8.2.1 and 8.7). */
#define TYPE_TSS_BUSY 0xb  /* 32/64-bit TSS, busy (Table 3-2) */
#define TSS_LIMIT     0x67 /* 104-byte TSS, no I/O bitmap */
#define TSS_RSP0      4	   /* offset of RSP0/ESP0 (SDM 3A 8.7, 8.2.1) */
#define TSS_SS0	      8	   /* 32-bit TSS only */
#define TSS_IOMAP     102  /* I/O map base: past the limit = none */

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

/* TR of vCPU `index`: a busy TSS at MVM_TSS_ADDR_OF(index). LTR would
 * mark the descriptor busy; we write it busy so the GDT matches the
 * hidden part (SDM 3A 8.2.2). */
static struct kvm_segment tss_segment(int index)
{
	struct kvm_segment s = {
		.base = MVM_TSS_ADDR_OF(index),
		.limit = TSS_LIMIT,
		.selector = MVM_SEL_TSS_OF(index),
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
	};
	uint64_t gdt[MVM_GDT_ENTRIES] = {0}; /* entry 0: the null descriptor */
	unsigned i;

	for (i = 1; i < sizeof(seg) / sizeof(seg[0]); i++)
		gdt[i] = descriptor(&seg[i]);
	/* One TSS descriptor per vCPU, all written busy: each vCPU's TR
	 * points at its own (a TSS is per CPU, SDM 3A 8.2.1). */
	for (i = 0; i < MVM_MAX_VCPUS; i++) {
		struct kvm_segment t = tss_segment((int)i);

		gdt[MVM_SEL_TSS_OF(i) >> 3] = descriptor(&t);
		gdt[(MVM_SEL_TSS_OF(i) >> 3) + 1] = t.base >> 32;
	}
	return mvm_memmap_write(mem, MVM_GDT_ADDR, gdt, sizeof(gdt), 0);
}

/* A TSS whose ring-0 stack is `stack` (used when an interrupt arrives in
 * ring 3). 64-bit: RSP0 at offset 4 (SDM 3A 8.7); 32-bit: ESP0 at 4 and
 * SS0 at 8 (SDM 3A 8.2.1). */
static int write_tss(struct mvm_memmap *mem, int index, uint64_t stack,
		     int is64)
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
	return mvm_memmap_write(mem, MVM_TSS_ADDR_OF(index), tss, sizeof(tss),
				0);
}

int mvm_gdt_setup(struct mvm_vm *vm, int index, uint64_t stack, int is64,
		  struct kvm_sregs *s)
{
	int rc = write_gdt(&vm->mem);

	if (rc == 0)
		rc = write_tss(&vm->mem, index, stack, is64);
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
	s->tr = tss_segment(index);
	s->gdt.base = MVM_GDT_ADDR;
	s->gdt.limit = MVM_GDT_ENTRIES * 8 - 1;
	/* An empty IDT: until the guest loads its own, any exception is a
	 * clean triple fault (SHUTDOWN) instead of a jump through garbage. */
	s->idt.base = MVM_IDT_ADDR;
	s->idt.limit = 0;
	return 0;
}
