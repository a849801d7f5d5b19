/*
 * apic-ticks.c - the same tick count as ticks.c, the way a modern OS
 * takes it: the 8259A masked, the PIT routed through the I/O APIC, then
 * the local APIC's own timer (Lab 3, in-kernel irqchip only).
 *
 * Registers (Intel SDM Vol. 3A, 11.4-11.5 "Local APIC"; 82093AA I/O APIC
 * data sheet, 3.2 "IOREDTBL"; both memory-mapped, at MVM_LAPIC_ADDR and
 * MVM_IOAPIC_ADDR as on a PC):
 *   LAPIC  0x0f0 spurious-interrupt vector (bit 8: APIC enabled)
 *          0x0b0 EOI (write 0)         0x350 LVT LINT0 (bit 16: masked)
 *          0x320 LVT timer (bits 17-18 mode: 01 periodic; bit 16 mask)
 *          0x3e0 divide configuration (0xb: by 1)  0x380 initial count
 *   IOAPIC 0x00 IOREGSEL (index), 0x10 IOWIN (data); redirection entry
 *          n is indices 0x10 + 2n (low: vector, bit 16 mask) and + 1
 *          (high: destination APIC ID in bits 24-31).
 *
 * KVM's default GSI routing sends ISA IRQ 0 (the PIT) to I/O APIC pin 0
 * (api.rst 4.52, KVM_SET_GSI_ROUTING: "GSIs 0-15 ... to both PIC and
 * IOAPIC", pin = GSI). The guest:
 *   1. builds its IDT, masks both 8259As and LINT0 (so nothing arrives
 *      through the old ExtINT path), enables its LAPIC;
 *   2. routes pin 0 to vector 0x30 on APIC 0, programs the PIT for
 *      TICKS_HZ and idles: SYNC {1, ticks} at the first tick and
 *      SYNC {2, ticks, hlts} TICKS_N ticks later;
 *   3. masks pin 0, starts the LAPIC timer (vector 0x31, periodic,
 *      LAPIC_COUNT at divide 1) and idles again: SYNC {3, ticks} and
 *      SYNC {4, ticks, hlts}. The host times both and reports the LAPIC
 *      timer's rate (KVM counts its bus clock at 1 GHz by default,
 *      KVM_CAP_X86_APIC_BUS_CYCLES_NS: LAPIC_COUNT = 10 ms).
 */
#include "irq.h"

#define TICKS_HZ    100
#define TICKS_N	    50
#define PIT_DIV	    (1193182 / TICKS_HZ)
#define LAPIC_COUNT 10000000u /* bus cycles per tick, divide by 1 */
#define VEC_IOAPIC  0x30
#define VEC_LAPIC   0x31
#define VEC_SPUR    0xff

static volatile uint64_t ticks;

static void lapic_w(unsigned reg, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)(MVM_LAPIC_ADDR + reg) = v;
}

static void ioapic_w(unsigned index, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)MVM_IOAPIC_ADDR = index;
	*(volatile uint32_t *)(uintptr_t)(MVM_IOAPIC_ADDR + 0x10) = v;
}

/* Both sources: count, then EOI to the local APIC (not the 8259A). */
__attribute__((interrupt)) static void on_tick(struct interrupt_frame *f)
{
	(void)f;
	ticks++;
	lapic_w(0x0b0, 0);
}

/* A spurious APIC interrupt takes no EOI (SDM Vol. 3A, 11.9). */
__attribute__((interrupt)) static void on_spurious(struct interrupt_frame *f)
{
	(void)f;
}

static void pit_init(void)
{
	outb(MVM_PORT_PIT + 3, 0x34); /* counter 0, LSB/MSB, mode 2 */
	outb(MVM_PORT_PIT + 0, PIT_DIV & 0xff);
	outb(MVM_PORT_PIT + 0, PIT_DIV >> 8);
}

/* Idle until n more ticks, then report them as stage `stage`. */
static void count(unsigned stage, uint64_t n)
{
	uint64_t hlts = 0, end;

	while (ticks == 0)
		guest_sti_hlt_cli();
	ticks = 0;
	guest_ucall(MVM_UCALL_SYNC, "first tick", stage, ticks, 0, 0);
	end = n;
	while (ticks < end) {
		guest_sti_hlt_cli();
		hlts++;
	}
	guest_ucall(MVM_UCALL_SYNC, "ticks", stage + 1, ticks, hlts, 0);
}

int main(void)
{
	guest_idt_load();
	guest_idt_set(VEC_IOAPIC, on_tick);
	guest_idt_set(VEC_LAPIC, on_tick);
	guest_idt_set(VEC_SPUR, on_spurious);
	guest_pic_init(0xff, 0xff);	  /* the 8259A pair: all masked */
	lapic_w(0x350, 1u << 16);	  /* LINT0 (ExtINT) masked */
	lapic_w(0x0f0, 0x100 | VEC_SPUR); /* APIC software-enabled */

	ioapic_w(0x11, 0u << 24);   /* pin 0 -> APIC ID 0 */
	ioapic_w(0x10, VEC_IOAPIC); /* fixed, edge, unmasked */
	pit_init();
	count(1, TICKS_N);

	ioapic_w(0x10, VEC_IOAPIC | 1u << 16); /* pin 0 masked */
	ticks = 0;
	lapic_w(0x3e0, 0xb);		      /* divide by 1 */
	lapic_w(0x320, VEC_LAPIC | 1u << 17); /* periodic */
	lapic_w(0x380, LAPIC_COUNT);
	count(3, TICKS_N);
	lapic_w(0x320, 1u << 16); /* timer masked: quiet before DONE */
	return 0;
}
