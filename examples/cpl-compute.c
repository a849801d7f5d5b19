/*
 * cpl-compute.c - the same loop at CPL 0 and at CPL 3, timed by the host.
 *
 * What it teaches: "trap and emulate" has a price, and where it is paid
 * depends on the hypervisor. With VT-x or AMD-V both loops run at native
 * speed. On a software/nested KVM backend (such as kvm_pvm; see
 * MVM_QUIRK_RING0_EMULATED in minivmm/quirks.h) guest ring-0 code is run
 * by KVM's instruction emulator, about a microsecond per instruction,
 * while ring-3 code runs natively - the ratio printed by `mvm run` is
 * then in the thousands.
 *
 * How it is measured: the guest writes a BEGIN and an END marker (demo.h)
 * around each loop. Each marker is an MMIO exit and the host timestamps
 * it, so the guest needs no clock of its own. Markers are MMIO, not port
 * I/O, because an OUT at CPL 3 needs IOPL 3 or a TSS I/O bitmap (SDM
 * Vol. 1, 19.5), and some backends lose IOPL on an emulated IRETQ.
 *
 * Getting to ring 3 needs three things the VMM's long-mode setup does not
 * give a user program, so the guest builds them itself:
 *   - page tables with the U/S bit set at every level (SDM Vol. 3A 4.6),
 *     including the 2 MiB pages that cover the demo MMIO address;
 *   - a GDT with DPL-3 code and data descriptors (SDM Vol. 3A 5.5);
 *   - an IRETQ with a ring-3 frame (SS, RSP, RFLAGS, CS, RIP).
 * Ring-3 code can never get back to ring 0 here (no IDT, no SYSCALL set
 * up), and HLT is privileged, so the guest ends with a STOP marker that
 * the host stops on. If the host ignored it, the HLT that follows would
 * #GP and triple-fault, a loud failure instead of a hang.
 *
 *   mvm run build/examples/cpl-compute.elf
 */
#include "demo.h"
#include "guest.h"
#include "minivmm/pagetable.h"

/* ~5 instructions per iteration: about 0.4 s under KVM's emulator here
 * (0.6-1.8 us per instruction), well under a millisecond natively. */
#define ITERATIONS 150000

#define PAGE_2M	   (2ULL << 20)
#define USER_FLAGS (MVM_PTE_P | MVM_PTE_RW | MVM_PTE_US)

/* Selectors of our GDT: index * 8 + RPL (SDM Vol. 3A 3.4.2). */
#define SEL_USER_CODE (3 * 8 + 3)
#define SEL_USER_DATA (4 * 8 + 3)

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd_low[512] __attribute__((aligned(4096)));  /* 0-1 GiB */
static uint64_t pd_mmio[512] __attribute__((aligned(4096))); /* 3-4 GiB */
static uint8_t user_stack[16384] __attribute__((aligned(16)));

/*
 * Flat 64-bit descriptors (SDM Vol. 3A 3.4.5): base 0, limit 4 GiB, L=1
 * for code. Access bytes 0x9b/0x93 are DPL 0 code/data, 0xfb/0xf3 DPL 3;
 * the accessed bit is preset so the CPU never writes the table.
 */
static uint64_t gdt[] = {
	0,
	0x00af9b000000ffffULL, /* 0x08 kernel code */
	0x00cf93000000ffffULL, /* 0x10 kernel data */
	0x00affb000000ffffULL, /* 0x18 user code   */
	0x00cff3000000ffffULL, /* 0x20 user data   */
};

/* The work: a linear congruential generator. The empty asm makes the
 * compiler keep every step (no closed form, no vectorising). */
static uint64_t compute(uint64_t n)
{
	uint64_t x = 1;

	for (uint64_t i = 0; i < n; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		__asm__ volatile("" : "+r"(x));
	}
	return x;
}

static void mark(uint32_t v)
{
	mmio_write32(MVM_MMIO_DEMO_ADDR, v);
}

/* Identity-map 0-1 GiB (code, data, stacks) and 3-4 GiB (MMIO) with
 * 2 MiB pages, all user-accessible; MMIO pages uncached (PCD). */
static void build_user_page_tables(void)
{
	for (uint64_t i = 0; i < 512; i++) {
		pd_low[i] = (i * PAGE_2M) | USER_FLAGS | MVM_PTE_PS;
		pd_mmio[i] = ((3ULL << 30) + i * PAGE_2M) | USER_FLAGS |
			     MVM_PTE_PS | MVM_PTE_PCD;
	}
	pdpt[0] = (uintptr_t)pd_low | USER_FLAGS;
	pdpt[3] = (uintptr_t)pd_mmio | USER_FLAGS;
	pml4[0] = (uintptr_t)pdpt | USER_FLAGS;
	__asm__ volatile("mov %0, %%cr3" : : "r"((uintptr_t)pml4) : "memory");
}

static void load_gdt(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} gdtr = {sizeof(gdt) - 1, (uintptr_t)gdt};

	__asm__ volatile("lgdt %0" : : "m"(gdtr) : "memory");
}

/* Runs at CPL 3. */
static void __attribute__((noreturn)) user_main(void)
{
	mark(MVM_DEMO_MARK_BEGIN(1));
	uint64_t r = compute(ITERATIONS);
	mark(MVM_DEMO_MARK_END(1));
	/* Keep r observable so the loop cannot be dropped. */
	__asm__ volatile("" : : "r"(r));
	mark(MVM_DEMO_STOP);
	for (;;)
		hlt(); /* #GP at CPL 3: only reached if the host ignored STOP */
}

/* IRETQ pops RIP, CS, RFLAGS, RSP, SS (SDM Vol. 3A 6.14.3), so push them
 * in reverse. RFLAGS = 2: only the always-one bit; IF = 0, IOPL = 0. */
/* [slide:enter-ring3] */
static void __attribute__((noreturn)) enter_ring3(void (*fn)(void))
{
	uintptr_t sp = (uintptr_t)&user_stack[sizeof(user_stack)];

	__asm__ volatile("pushq %0\n\t"
			 "pushq %1\n\t"
			 "pushq $2\n\t"
			 "pushq %2\n\t"
			 "pushq %3\n\t"
			 "iretq"
			 :
			 : "i"(SEL_USER_DATA), "r"(sp), "i"(SEL_USER_CODE),
			   "r"((uintptr_t)fn)
			 : "memory");
	__builtin_unreachable();
}
/* [/slide:enter-ring3] */

int main(void)
{
	GUEST_PRINT("cpl-compute: marker 0 = loop at CPL 0, 1 = same loop "
		    "at CPL 3\n");
	mark(MVM_DEMO_MARK_BEGIN(0));
	uint64_t r = compute(ITERATIONS);
	mark(MVM_DEMO_MARK_END(0));
	__asm__ volatile("" : : "r"(r));

	build_user_page_tables();
	load_gdt();
	GUEST_PRINT("cpl-compute: entering ring 3\n");
	enter_ring3(user_main);
}
