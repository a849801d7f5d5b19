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
 *                            otherwise the guest gets #GP (SDM Vol. 2B,
 *                            RDMSR) and, with no IDT, triple-faults
 *   7 HLT                    KVM_EXIT_HLT
 *
 *   mvm run --trace build/examples/exit-tour.elf
 */
#include "demo.h"
#include "guest.h"

#define DEMO_BYTE 0x42
#define DEMO_WORD 0x12345678u

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
	gbuf_str(&b, ", RDMSR returned ");
	gbuf_hex(&b, msr);
	gbuf_str(&b, "\n");
	GUEST_PRINT(b.s);
}

/* [slide:exit-tour] */
int main(void)
{
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
