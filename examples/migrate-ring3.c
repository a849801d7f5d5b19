/*
 * migrate-ring3.c - migrate-counter's loop at ring 3, for the dirty rate
 * no emulated ring-0 loop reaches ("unbounded", level 4).
 *
 * The way to ring 3 is cpl-compute.c's, in short: page tables with the
 * U/S bit at every level (SDM Vol. 3A 4.6), a GDT with DPL-3 code and
 * data descriptors (SDM Vol. 3A 5.5), and an IRETQ with a ring-3 frame
 * (SDM Vol. 3A 6.14.3). Ring 3 never comes back: it leaves its results
 * in the scratch page and stops with the demo device's STOP marker.
 * Level 5 is paced by the host: iteration n waits until the scratch
 * page's word 3 reaches n, and the host raises that word at the rate it
 * wants (a clock in the guest would be the backend's: the TSC a nested
 * guest reads need not tick at the host's rate).
 */
#include "demo.h"
#include "guest.h"
#include "migrate-counter.h"
#include "minivmm/pagetable.h"

#define PAGE_2M	      (2ULL << 20)
#define USER_FLAGS    (MVM_PTE_P | MVM_PTE_RW | MVM_PTE_US)
#define SEL_USER_CODE (3 * 8 + 3) /* index * 8 + RPL (SDM Vol. 3A 3.4.2) */
#define SEL_USER_DATA (4 * 8 + 3)

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd_low[512] __attribute__((aligned(4096)));  /* 0-1 GiB */
static uint64_t pd_mmio[512] __attribute__((aligned(4096))); /* 3-4 GiB */
static uint8_t user_stack[16384] __attribute__((aligned(16)));
static const struct level *user_level; /* what ring 3 runs */
static uint64_t user_iters;

/* Flat 64-bit descriptors: DPL 0 code/data, then DPL 3 (0xfb/0xf3). */
static uint64_t gdt[] = {
	0,
	0x00af9b000000ffffULL,
	0x00cf93000000ffffULL,
	0x00affb000000ffffULL,
	0x00cff3000000ffffULL,
};

static void __attribute__((noreturn)) user_main(void)
{
	volatile uint64_t *out = (volatile uint64_t *)MVM_SCRATCH_ADDR;
	volatile uint64_t *grant = &out[3];
	int paced = user_level->ring3 == 2 && *grant;
	uint64_t cursor = 0, sum = 0;

	for (uint64_t n = counter + 1; n <= user_iters; n = counter + 1) {
		while (paced && n > *grant)
			__asm__ volatile("pause");
		counter_iteration(user_level, n, &cursor, &sum);
		counter = n;
	}
	out[0] = counter;
	out[1] = sum;
	out[2] = counter_check(user_level);
	mmio_write32(MVM_MMIO_DEMO_ADDR, MVM_DEMO_STOP);
	for (;;)
		; /* the host stops at the marker */
}

void counter_ring3(const struct level *l, uint64_t iters)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} gdtr = {sizeof(gdt) - 1, (uintptr_t)gdt};
	uintptr_t sp = (uintptr_t)&user_stack[sizeof(user_stack)];

	user_level = l;
	user_iters = iters;
	for (uint64_t i = 0; i < 512; i++) {
		pd_low[i] = (i * PAGE_2M) | USER_FLAGS | MVM_PTE_PS;
		pd_mmio[i] = ((3ULL << 30) + i * PAGE_2M) | USER_FLAGS |
			     MVM_PTE_PS | MVM_PTE_PCD;
	}
	pdpt[0] = (uintptr_t)pd_low | USER_FLAGS;
	pdpt[3] = (uintptr_t)pd_mmio | USER_FLAGS;
	pml4[0] = (uintptr_t)pdpt | USER_FLAGS;
	__asm__ volatile("mov %0, %%cr3" : : "r"((uintptr_t)pml4) : "memory");
	__asm__ volatile("lgdt %0" : : "m"(gdtr) : "memory");
	__asm__ volatile("pushq %0\n\t"
			 "pushq %1\n\t"
			 "pushq $2\n\t"
			 "pushq %2\n\t"
			 "pushq %3\n\t"
			 "iretq"
			 :
			 : "i"(SEL_USER_DATA), "r"(sp), "i"(SEL_USER_CODE),
			   "r"((uintptr_t)user_main)
			 : "memory");
	__builtin_unreachable();
}
