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
 * Protected and long mode also need a GDT, a TSS and segment registers
 * that match them; gdt.c builds those (mvm_gdt_setup).
 *
 * The result is checked with mvm_check_state() before it reaches KVM: a
 * bug here must show up as a clear error, not as a guest that triple
 * faults later (or, on a lenient backend, runs anyway).
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "gdt.h"
#include "internal.h"

_Static_assert(MVM_MAX_VCPUS <= MVM_LAYOUT_MAX_VCPUS,
	       "layout.h has per-vCPU room for MVM_MAX_VCPUS");

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
	s->cr0 = MVM_CR0_ET;
	s->cr3 = s->cr4 = s->efer = 0;
	r->rip = cfg->entry;
	r->rsp = (stack - ((uint64_t)ss << 4)) & 0xffff;
	return 0;
}

/* 32-bit protected mode, flat segments, no paging: CR0.PE is the only
 * switch (SDM 3A 9.9.1). */
static int setup_prot(struct mvm_vm *vm, int index,
		      const struct mvm_mode_config *cfg, uint64_t stack,
		      struct kvm_regs *r, struct kvm_sregs *s)
{
	if (cfg->entry > 0xffffffffULL || stack > 0xffffffffULL) {
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "protected mode: entry 0x%llx and stack 0x%llx must "
			 "be below 4 GiB",
			 (unsigned long long)cfg->entry,
			 (unsigned long long)stack);
		return -EINVAL;
	}
	s->cr0 = MVM_CR0_PE | MVM_CR0_ET | MVM_CR0_NE;
	s->cr3 = s->cr4 = s->efer = 0;
	r->rip = cfg->entry;
	r->rsp = stack;
	return mvm_gdt_setup(vm, index, stack, 0, s);
}

/*
 * Identity tables for long mode. By default, with 2 MiB pages, the low
 * 4 GiB are mapped: RAM and the MMIO window (devices, APICs), for 6
 * tables (PML4, PDPT, 4 page directories). With 4 KiB pages the default is
 * RAM only, which is what fits between MVM_PT_ADDR and MVM_PT_END.
 */
/* The default 4 KiB-page map covers RAM with 4 KiB pages; the MMIO
 * window (devices, the exit tour's demo register, the APICs) gets 2 MiB
 * pages on top, so a guest reaches the same addresses whatever the page
 * size. */
static int map_mmio_window(struct mvm_vm *vm, uint64_t cr3, long used)
{
	uint64_t next = MVM_PT_ADDR + (uint64_t)used * 4096;
	int rc = mvm_pt_map_2m(&vm->mem, cr3, &next, MVM_PT_END, MVM_MMIO_BASE,
			       (4ULL << 30) - MVM_MMIO_BASE);

	if (rc)
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "long mode: mapping the MMIO window at 0x%llx: %s",
			 MVM_MMIO_BASE, strerror(-rc));
	return rc;
}

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
	if (rc == 0 && !cfg->map_size && page != PAGE_2M)
		rc = map_mmio_window(vm, *cr3, need);
	return rc;
}

/*
 * All vCPUs of a VM share one set of identity tables (one CR3), as the
 * CPUs of a machine share its kernel's. vCPU 0 builds them; another vCPU
 * set up with the same page and map size reuses them instead of
 * rewriting memory the others may already be running on.
 */
static int shared_tables(struct mvm_vm *vm, int index,
			 const struct mvm_mode_config *cfg, uint64_t *cr3)
{
	uint64_t page = cfg->page_size ? cfg->page_size : PAGE_2M;
	int rc;

	if (index > 0 && vm->pt.cr3 && vm->pt.page == page &&
	    vm->pt.map == cfg->map_size) {
		*cr3 = vm->pt.cr3;
		return 0;
	}
	rc = build_tables(vm, cfg, cr3);
	vm->pt.cr3 = rc ? 0 : *cr3;
	vm->pt.page = page;
	vm->pt.map = cfg->map_size;
	return rc;
}

/* [slide:long-mode-sregs] */
/* Long mode, as at the end of SDM 3A 9.8.5 "Initializing IA-32e Mode":
 * PAE tables in CR3, CR4.PAE, EFER.LME, then CR0.PG, which makes the CPU
 * set EFER.LMA; a CS with L=1 selects 64-bit code (SDM 3A 5.2.1). */
static int setup_long(struct mvm_vm *vm, int index,
		      const struct mvm_mode_config *cfg, uint64_t stack,
		      struct kvm_regs *r, struct kvm_sregs *s)
{
	uint64_t cr3;
	int rc = shared_tables(vm, index, cfg, &cr3);

	if (rc)
		return rc;
	s->cr3 = cr3;
	s->cr4 = MVM_CR4_PAE;
	s->efer = MVM_EFER_LME | MVM_EFER_LMA | MVM_EFER_NXE;
	s->cr0 = MVM_CR0_PE | MVM_CR0_ET | MVM_CR0_NE | MVM_CR0_WP | MVM_CR0_PG;
	r->rip = cfg->entry;
	r->rsp = stack;
	return mvm_gdt_setup(vm, index, stack, 1, s);
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
	stack = cfg->stack ? cfg->stack : MVM_STACK_TOP_OF(vcpu->index);
	/* Start from KVM's reset state: it keeps fields we do not set
	 * (APIC base, LDTR, pending interrupts). */
	rc = mvm_vcpu_get_sregs(vcpu, &sregs);
	if (rc)
		return rc;
	memset(&regs, 0, sizeof(regs));
	regs.rflags = MVM_RFLAGS_FIXED; /* bit 1 is reserved and always 1 */
	switch (cfg->mode) {
	case MVM_MODE_REAL:
		rc = setup_real(vcpu->vm, cfg, stack, &regs, &sregs);
		break;
	case MVM_MODE_PROT32:
		rc = setup_prot(vcpu->vm, vcpu->index, cfg, stack, &regs,
				&sregs);
		break;
	case MVM_MODE_LONG64:
		rc = setup_long(vcpu->vm, vcpu->index, cfg, stack, &regs,
				&sregs);
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
