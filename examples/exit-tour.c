/*
 * exit-tour.c - one of each common VM exit, in order, announced.
 *
 * What it teaches: which guest instructions leave the guest, and how the
 * VMM sees each one. Before every step the guest announces it with a
 * PRINT ucall (itself one port-I/O exit), so in a trace or in the
 * debugger (`make demo`) every step is exactly one clean exit:
 *
 *   step                     exit the VMM sees (Documentation/virt/kvm/
 *                            api.rst, "The kvm_run structure")
 *   1 OUT to the demo port   KVM_EXIT_IO, out, port MVM_PORT_DEMO, size 1
 *   2 IN from the demo port  KVM_EXIT_IO, in, same port; the VMM's answer
 *                            lands in AL
 *   3 MMIO store             KVM_EXIT_MMIO, write, MVM_MMIO_DEMO_ADDR,
 *                            len 4: no memory slot covers that address
 *   4 MMIO load              KVM_EXIT_MMIO, read, same address
 *   5 CPUID                  no exit to user space: KVM answers it in the
 *                            kernel from the table the VMM set
 *   6 RDMSR of an MSR no CPU KVM_EXIT_X86_RDMSR, if the VMM asked for
 *     defines                user-space MSR exits (`mvm run` does);
 *                            otherwise KVM injects #GP (SDM Vol. 2B,
 *                            RDMSR), which the guest's own handler
 *                            below catches and reports: no exit at all
 *   7 HLT                    KVM_EXIT_HLT
 *
 *   mvm run --trace build/examples/exit-tour.elf
 */
#include "demo.h"
#include "guest.h"

#define DEMO_BYTE 0x42
#define DEMO_WORD 0x12345678u

#define VECTOR_GP    13	  /* general protection (SDM Vol. 3A 6.15) */
#define RDMSR_LEN    2	  /* 0F 32 */
#define GATE_INTR_64 0x8e /* P=1, DPL=0, type 14: 64-bit interrupt gate */

/*
 * A one-entry IDT so that a VMM without user-space MSR exits gives a
 * readable result instead of a triple fault. 64-bit IDT gates are 16
 * bytes (SDM Vol. 3A 6.14.1, Figure 6-8).
 */
struct idt_gate {
	uint16_t offset_lo, selector;
	uint8_t ist, type;
	uint16_t offset_mid;
	uint32_t offset_hi, reserved;
};
static struct idt_gate idt[VECTOR_GP + 1] __attribute__((aligned(16)));
volatile uint64_t tour_gp_count __attribute__((used));

/*
 * #GP pushes an error code, then the CPU frame; the saved RIP points at
 * the faulting RDMSR, so skip it (resume after it, as a VMM would), count
 * the fault, drop the error code and return (SDM Vol. 3A 6.14.2).
 */
extern char gp_handler[];
__asm__(".text\n"
	"gp_handler:\n"
	"	addq $" GUEST_STR(
		RDMSR_LEN) ", 8(%rsp)\n" /* RIP: above the code */
			   "	incq tour_gp_count(%rip)\n"
			   "	addq $8, %rsp\n"
			   "	iretq\n");

static void install_gp_handler(void)
{
	uintptr_t h = (uintptr_t)gp_handler;
	uint16_t cs;
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} idtr = {sizeof(idt) - 1, (uintptr_t)idt};

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	idt[VECTOR_GP] = (struct idt_gate){
		.offset_lo = (uint16_t)h,
		.selector = cs,
		.type = GATE_INTR_64,
		.offset_mid = (uint16_t)(h >> 16),
		.offset_hi = (uint32_t)(h >> 32),
	};
	__asm__ volatile("lidt %0" : : "m"(idtr) : "memory");
}

/* CPUID leaf 0 returns the vendor string in EBX, EDX, ECX, in that order
 * (Intel SDM Vol. 2A, CPUID, "Basic CPUID Information"). */
static void print_vendor(void)
{
	struct cpuid_regs r = cpuid(0, 0);
	uint32_t parts[3] = {r.ebx, r.edx, r.ecx};
	struct guest_buf b = GUEST_BUF_INIT;
	char vendor[13];

	for (int i = 0; i < 12; i++)
		vendor[i] = (char)(parts[i / 4] >> (8 * (i % 4)));
	vendor[12] = '\0';
	gbuf_str(&b, "  CPUID vendor \"");
	gbuf_str(&b, vendor);
	gbuf_str(&b, "\", max basic leaf ");
	gbuf_dec(&b, r.eax);
	gbuf_str(&b, "\n");
	GUEST_PRINT(b.s);
}

/* One PRINT (one exit) with what steps 2, 4 and 6 read. */
static void print_results(uint8_t in, uint32_t mmio, uint64_t msr)
{
	struct guest_buf b = GUEST_BUF_INIT;

	gbuf_str(&b, "  IN returned ");
	gbuf_hex(&b, in);
	gbuf_str(&b, ", MMIO read returned ");
	gbuf_hex(&b, mmio);
	if (tour_gp_count) {
		gbuf_str(&b, ", RDMSR raised #GP (no user-space MSR exits)\n");
	} else {
		gbuf_str(&b, ", RDMSR returned ");
		gbuf_hex(&b, msr);
		gbuf_str(&b, "\n");
	}
	GUEST_PRINT(b.s);
}

/* [slide:exit-tour] */
int main(void)
{
	install_gp_handler(); /* no exit: LIDT only loads a register */
	GUEST_PRINT("step 1: OUT 0x42 to the demo port\n");
	outb(MVM_PORT_DEMO, DEMO_BYTE);

	GUEST_PRINT("step 2: IN from the demo port\n");
	uint8_t in = inb(MVM_PORT_DEMO);

	GUEST_PRINT("step 3: MMIO write 0x12345678 to the demo address\n");
	mmio_write32(MVM_MMIO_DEMO_ADDR, DEMO_WORD);

	GUEST_PRINT("step 4: MMIO read from the demo address\n");
	uint32_t mmio = mmio_read32(MVM_MMIO_DEMO_ADDR);

	GUEST_PRINT("step 5: CPUID leaf 0 (answered inside KVM, no exit)\n");
	print_vendor();

	GUEST_PRINT("step 6: RDMSR of a made-up MSR\n");
	uint64_t msr = rdmsr(MVM_DEMO_MSR);

	print_results(in, mmio, msr);

	GUEST_PRINT("step 7: HLT\n");
	hlt();
	return 0;
}
/* [/slide:exit-tour] */
