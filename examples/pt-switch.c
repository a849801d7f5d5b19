/*
 * pt-switch.c - a guest that builds its own page tables, switches
 * between address spaces with MOV CR3, edits a live table and takes a
 * page fault on a page it unmapped (Lab 2).
 *
 * Layout and stages are in pt-switch.h. The tables live in the
 * page-table pool (layout.h), which the VMM may register read-only: then
 * every entry written below is one MMIO exit the VMM turns into a write
 * (and, for a table it shadows, a trap: shadow.h). Every entry is written
 * with A = 1 (and D = 1 on leaves) so the CPU never needs to set them
 * itself in the read-only pool (SDM Vol. 3A 4.8).
 *
 * What a host sees, in order: SYNC 10, 11, 12 (space k running, its
 * window page written), SYNC 20 (a PTE changed under a running space),
 * SYNC 30 from the #PF handler (vector 14, error code, CR2), SYNC 40
 * (the handler mapped the page back, the store was retried), DONE.
 *
 * Built like the other examples (examples/build.mk); ring-0 code is
 * emulated on some backends, so the loops here are a few dozen steps.
 */
#include "guest.h"
#include "irq.h"
#include "pt-switch.h"

#define P  (1ULL << 0) /* SDM Vol. 3A Table 4-14..4-19 */
#define RW (1ULL << 1)
#define A  (1ULL << 5)
#define D  (1ULL << 6)
#define PS (1ULL << 7)

static volatile uint64_t faults;

static void set_entry(uint64_t table, unsigned i, uint64_t v)
{
	*(volatile uint64_t *)(uintptr_t)(table + 8 * (uint64_t)i) = v;
}

static void load_cr3(uint64_t cr3)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
}

static void invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* #PF (vector 14) pushes an error code (SDM Vol. 3A 6.15, "Interrupt
 * 14"); CR2 holds the faulting address. Report both, map the page back
 * and return: the faulting store runs again and succeeds. */
__attribute__((interrupt)) static void on_pf(struct interrupt_frame *f,
					     unsigned long err)
{
	uint64_t cr2;

	(void)f;
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	faults++;
	guest_ucall(MVM_UCALL_SYNC, "page fault", PTS_STAGE_FAULT, 14, err,
		    cr2);
	set_entry(PTS_PT(0), 1, PTS_DATA(0, 1) | P | RW | A | D);
	invlpg(cr2);
}

/* Low RAM and the pool with 2 MiB pages: one page directory for all. */
static void build_shared_pd(void)
{
	for (uint64_t a = 0; a < PTS_LOW_MAP; a += 2ULL << 20)
		set_entry(PTS_SHARED_PD, (unsigned)(a >> 21),
			  a | P | RW | PS | A | D);
	set_entry(PTS_SHARED_PD, (unsigned)(MVM_PTPOOL_ADDR >> 21),
		  (MVM_PTPOOL_ADDR & ~0x1fffffULL) | P | RW | PS | A | D);
}

/* Space k: PML4[0] -> PDPT; PDPT[0] -> shared PD (VA 0..1G), PDPT[1]
 * -> its PD (VA 1G..2G) -> its PT, whose entries 0 and 1 map its pages. */
static void build_space(unsigned k)
{
	set_entry(PTS_PML4(k), 0, PTS_PDPT(k) | P | RW | A);
	set_entry(PTS_PDPT(k), 0, PTS_SHARED_PD | P | RW | A);
	set_entry(PTS_PDPT(k), 1, PTS_PD(k) | P | RW | A);
	set_entry(PTS_PD(k), 0, PTS_PT(k) | P | RW | A);
	set_entry(PTS_PT(k), 0, PTS_DATA(k, 0) | P | RW | A | D);
	set_entry(PTS_PT(k), 1, PTS_DATA(k, 1) | P | RW | A | D);
}

int main(void)
{
	volatile uint64_t *window = (volatile uint64_t *)PTS_WINDOW;
	volatile uint64_t *hole = (volatile uint64_t *)PTS_HOLE;

	guest_idt_load();
	guest_idt_set(14, (guest_isr_fn *)(void *)on_pf);
	build_shared_pd();
	for (unsigned k = 0; k < PTS_SPACES; k++)
		build_space(k);
	for (unsigned k = 0; k < PTS_SPACES; k++) {
		load_cr3(PTS_PML4(k));
		*window = 0x1000 + k;
		GUEST_SYNC(PTS_STAGE_SPACE + k);
	}
	/* Each space still sees its own page behind the same address. */
	for (unsigned k = 0; k < PTS_SPACES; k++) {
		load_cr3(PTS_PML4(k));
		GUEST_ASSERT_EQ(*window, 0x1000 + k);
	}
	/* Change a live PTE: space 0's window shows space 1's page. */
	load_cr3(PTS_PML4(0));
	set_entry(PTS_PT(0), 0, PTS_DATA(1, 0) | P | RW | A | D);
	invlpg(PTS_WINDOW);
	GUEST_ASSERT_EQ(*window, 0x1001);
	GUEST_SYNC(PTS_STAGE_REMAP);
	/* Unmap the hole and store to it: #PF, the handler maps it back. */
	set_entry(PTS_PT(0), 1, 0);
	invlpg(PTS_HOLE);
	*hole = 0x4242;
	GUEST_ASSERT_EQ(faults, 1);
	GUEST_ASSERT_EQ(*hole, 0x4242);
	GUEST_SYNC(PTS_STAGE_MAPPED);
	return 0;
}
