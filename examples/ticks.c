/*
 * ticks.c - count timer interrupts: the PIT ticks, the 8259A delivers,
 * an IDT entry counts (Lab 3's guest).
 *
 * The same image runs on both interrupt paths of Lab 3 and cannot tell
 * them apart: on MVM_IRQCHIP_USER the 8259A and the 8254 are the
 * library's user-space models (pic.h, pit.h) and every tick is injected
 * with KVM_INTERRUPT; on MVM_IRQCHIP_KERNEL they are KVM's own, and
 * reach vCPU 0 through its local APIC's LINT0 in ExtINT mode (the
 * power-on state KVM gives the boot CPU). The guest:
 *
 *   1. builds a 64-bit IDT (Intel SDM Vol. 3A 6.14.1): vector 0x20 =
 *      IRQ 0 counts ticks, 0x27 = the master's spurious IR7, exceptions
 *      report and stop;
 *   2. remaps the 8259A pair to vectors 0x20-0x2f (ICW1-ICW4), masks
 *      everything but IRQ 0;
 *   3. programs PIT channel 0 for TICKS_HZ in mode 2;
 *   4. idles with `sti; hlt` and reports over ucall:
 *        SYNC args {1, ticks}            at the first tick
 *        SYNC args {2, ticks, hlts}      TICKS_N ticks later
 *      so the host can time the TICKS_N ticks with its own clock.
 *
 * Every HLT here sleeps: the VMM waits (MVM_HLT_WAIT) or KVM does.
 */
#include "guest.h"

#define TICKS_HZ 100
#define TICKS_N	 50
#define PIT_DIV	 (1193182 / TICKS_HZ) /* 11931: 100.007 Hz */
#define VEC_PIC0 0x20		      /* master IR0-7 -> 0x20-0x27 */
#define VEC_PIC1 0x28		      /* slave IR0-7 -> 0x28-0x2f */
#define SEL_CODE 0x10		      /* MVM_SEL_CODE64 (modes.h) */

struct idt_gate {
	uint16_t off0, sel;
	uint8_t ist, type; /* type: P=1, DPL=0, 0xe = 64-bit interrupt gate */
	uint16_t off1;
	uint32_t off2, zero;
} __attribute__((packed));

struct interrupt_frame;
static volatile uint64_t ticks;

/* IRQ 0: count, then a non-specific EOI (OCW2 0x20) to the master. */
__attribute__((interrupt)) static void on_irq0(struct interrupt_frame *f)
{
	(void)f;
	ticks++;
	outb(MVM_PORT_PIC_MASTER, 0x20);
}

/* The master's IR7 with nothing in service is spurious: no EOI (8259A
 * data sheet, "Interrupt Sequence"). */
__attribute__((interrupt)) static void on_spurious(struct interrupt_frame *f)
{
	(void)f;
}

/* Any exception: there is nothing sensible to return to. */
__attribute__((interrupt)) static void on_fault(struct interrupt_frame *f)
{
	(void)f;
	guest_ucall(MVM_UCALL_ASSERT, "unexpected exception" GUEST_WHERE,
		    __LINE__, 0, 0, 0);
	for (;;)
		hlt();
}

static void idt_set(unsigned vec, void (*fn)(struct interrupt_frame *))
{
	struct idt_gate *idt = (struct idt_gate *)(uintptr_t)MVM_IDT_ADDR;
	uint64_t a = (uint64_t)(uintptr_t)fn;

	idt[vec] = (struct idt_gate){
		.off0 = (uint16_t)a,
		.sel = SEL_CODE,
		.type = 0x8e,
		.off1 = (uint16_t)(a >> 16),
		.off2 = (uint32_t)(a >> 32),
	};
}

static void idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = {256 * 16 - 1, MVM_IDT_ADDR};

	for (unsigned v = 0; v < 32; v++)
		idt_set(v, on_fault);
	idt_set(VEC_PIC0 + 0, on_irq0);
	idt_set(VEC_PIC0 + 7, on_spurious);
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

/* ICW1 (edge, cascade, ICW4 needed), ICW2 (vector base), ICW3 (slave
 * on IR2 / slave id 2), ICW4 (8086 mode), then OCW1: only IRQ 0. */
static void pic_init(void)
{
	outb(MVM_PORT_PIC_MASTER, 0x11);
	outb(MVM_PORT_PIC_MASTER + 1, VEC_PIC0);
	outb(MVM_PORT_PIC_MASTER + 1, 1 << 2);
	outb(MVM_PORT_PIC_MASTER + 1, 0x01);
	outb(MVM_PORT_PIC_SLAVE, 0x11);
	outb(MVM_PORT_PIC_SLAVE + 1, VEC_PIC1);
	outb(MVM_PORT_PIC_SLAVE + 1, 2);
	outb(MVM_PORT_PIC_SLAVE + 1, 0x01);
	outb(MVM_PORT_PIC_MASTER + 1, 0xfe);
	outb(MVM_PORT_PIC_SLAVE + 1, 0xff);
}

/* Control word 0x34: counter 0, LSB then MSB, mode 2, binary. */
static void pit_init(void)
{
	outb(MVM_PORT_PIT + 3, 0x34);
	outb(MVM_PORT_PIT + 0, PIT_DIV & 0xff);
	outb(MVM_PORT_PIT + 0, PIT_DIV >> 8);
}

/* STI's interrupt shadow covers the HLT (SDM Vol. 2B, STI): no tick can
 * slip in between and leave the CPU halted with a tick already taken. */
static inline void sti_hlt(void)
{
	__asm__ volatile("sti; hlt; cli" : : : "memory");
}

int main(void)
{
	uint64_t hlts = 0;

	idt_load();
	pic_init();
	pit_init();
	while (ticks == 0)
		sti_hlt();
	guest_ucall(MVM_UCALL_SYNC, "first tick", 1, ticks, 0, 0);
	while (ticks < 1 + TICKS_N) {
		sti_hlt();
		hlts++;
	}
	guest_ucall(MVM_UCALL_SYNC, "ticks", 2, ticks, hlts, 0);
	outb(MVM_PORT_PIC_MASTER + 1, 0xff); /* quiet before DONE */
	return 0;
}
