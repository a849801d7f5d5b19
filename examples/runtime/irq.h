/*
 * irq.h - guest side of interrupts for 64-bit guests: an IDT in the
 * guest-owned page at MVM_IDT_ADDR and the PC's 8259A pair.
 *
 * Handlers are C functions with GCC's interrupt attribute (allowed with
 * -mgeneral-regs-only, which examples/build.mk sets): the compiler saves
 * what they use and returns with IRETQ. An exception that pushes an
 * error code needs the two-argument form; guest_on_fault() here never
 * returns, so one handler serves every exception.
 *
 * References: Intel SDM Vol. 3A 6.14.1 (64-bit IDT gate descriptors),
 * 6.10 (IDTR); 8259A data sheet (ICW1-ICW4, OCW1, OCW2).
 */
#ifndef MVM_GUEST_IRQ_H
#define MVM_GUEST_IRQ_H

#include "guest.h"

#define GUEST_VEC_PIC0 0x20 /* master IR0-7 -> 0x20-0x27 */
#define GUEST_VEC_PIC1 0x28 /* slave IR0-7 -> 0x28-0x2f */
#define GUEST_SEL_CODE 0x10 /* MVM_SEL_CODE64 (modes.h) */
#define GUEST_PIC_EOI  0x20 /* OCW2: non-specific EOI */

struct interrupt_frame;
typedef void guest_isr_fn(struct interrupt_frame *f);

struct guest_idt_gate {
	uint16_t off0, sel;
	uint8_t ist, type; /* 0x8e: present, DPL 0, 64-bit interrupt gate */
	uint16_t off1;
	uint32_t off2, zero;
} __attribute__((packed));

static inline void guest_idt_set(unsigned vec, guest_isr_fn *fn)
{
	struct guest_idt_gate *idt =
		(struct guest_idt_gate *)(uintptr_t)MVM_IDT_ADDR;
	uint64_t a = (uint64_t)(uintptr_t)fn;

	idt[vec & 0xff] = (struct guest_idt_gate){
		.off0 = (uint16_t)a,
		.sel = GUEST_SEL_CODE,
		.type = 0x8e,
		.off1 = (uint16_t)(a >> 16),
		.off2 = (uint32_t)(a >> 32),
	};
}

/* Any exception: report it and stop (there is nothing to return to). */
__attribute__((interrupt, unused)) static void
guest_on_fault(struct interrupt_frame *f)
{
	(void)f;
	guest_ucall(MVM_UCALL_ASSERT, "unexpected exception" GUEST_WHERE,
		    __LINE__, 0, 0, 0);
	for (;;)
		hlt();
}

/* The master's IR7 with nothing in service is spurious: no EOI (8259A
 * data sheet, "Interrupt Sequence"). */
__attribute__((interrupt, unused)) static void
guest_on_spurious(struct interrupt_frame *f)
{
	(void)f;
}

/* Every exception to guest_on_fault, the spurious IR7 to its handler,
 * then LIDT: all 256 gates in the IDT page. */
static inline void guest_idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = {256 * 16 - 1, MVM_IDT_ADDR};

	for (unsigned v = 0; v < 32; v++)
		guest_idt_set(v, guest_on_fault);
	guest_idt_set(GUEST_VEC_PIC0 + 7, guest_on_spurious);
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

/* ICW1 (edge, cascade, ICW4 needed), ICW2 (vector base), ICW3 (slave on
 * IR2 / slave id 2), ICW4 (8086 mode), then OCW1 with the given masks. */
static inline void guest_pic_init(uint8_t master_mask, uint8_t slave_mask)
{
	outb(MVM_PORT_PIC_MASTER, 0x11);
	outb(MVM_PORT_PIC_MASTER + 1, GUEST_VEC_PIC0);
	outb(MVM_PORT_PIC_MASTER + 1, 1 << 2);
	outb(MVM_PORT_PIC_MASTER + 1, 0x01);
	outb(MVM_PORT_PIC_SLAVE, 0x11);
	outb(MVM_PORT_PIC_SLAVE + 1, GUEST_VEC_PIC1);
	outb(MVM_PORT_PIC_SLAVE + 1, 2);
	outb(MVM_PORT_PIC_SLAVE + 1, 0x01);
	outb(MVM_PORT_PIC_MASTER + 1, master_mask);
	outb(MVM_PORT_PIC_SLAVE + 1, slave_mask);
}

/* STI's interrupt shadow covers the HLT (SDM Vol. 2B, STI): no interrupt
 * slips in between and leaves the CPU halted after it was taken. */
static inline void guest_sti_hlt_cli(void)
{
	__asm__ volatile("sti; hlt; cli" : : : "memory");
}

#endif
