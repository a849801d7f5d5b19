/*
 * pic.c - the 8259A itself: IRR, ISR, IMR, priority, EOI, and the
 * master/slave cascade of the PC (pic.h has the picture).
 *
 * Lab 3 edits this file: the LAB(3) regions are what the student writes
 * (the priority resolver, the INTA cycle, the EOI commands). Do not
 * change the struct or the function signatures: pic_inject.c and the
 * grader call them.
 *
 * How a request travels through one chip (data sheet, "Interrupt
 * Sequence"):
 *
 *   IRn rises -> IRR bit set (edge mode; level mode: IRR follows IRn)
 *   IRR & ~IMR, highest priority, outranks every ISR bit? -> INT high
 *   INTA: that ISR bit set, its IRR bit cleared, vector = ICW2 base + n
 *   the handler's EOI (OCW2) clears the ISR bit: lower levels may go
 *
 * Priority is fixed (IR0 highest) until the guest rotates it; `lowest`
 * names the IR with the lowest priority, so IR(lowest + 1) mod 8 is the
 * highest. Everything here runs with pic->lock held (pic_inject.c).
 *
 * Reference: Intel 8259A data sheet (231468): "Interrupt Sequence",
 * "Programming the 8259A" (ICW1-4, OCW1-3), "The Special Fully Nested
 * Mode", "Poll Command", "Special Mask Mode", "Cascade Buffer".
 */
#include <string.h>

#include "irq/pic_internal.h"

#define PIC_CASCADE_IR 2 /* the PC's slave drives the master's IR2 */

/* ICW1 / OCW bits (data sheet, "Initialization Command Words"). */
#define ICW1_IC4  0x01 /* ICW4 follows */
#define ICW1_SNGL 0x02 /* single chip: no ICW3 */
#define ICW1_LTIM 0x08 /* level-triggered inputs */
#define ICW1_INIT 0x10 /* on the command port: this is ICW1 */
#define OCW3_SEL  0x08 /* on the command port (D4 = 0): OCW3, else OCW2 */
#define OCW3_P	  0x04 /* poll */
#define OCW3_RR	  0x02 /* RIS is valid */
#define OCW3_RIS  0x01 /* read ISR (else IRR) */
#define OCW3_ESMM 0x40 /* SMM is valid */
#define OCW3_SMM  0x20 /* special mask mode */
#define ICW4_AEOI 0x02 /* automatic EOI */
#define ICW4_SFNM 0x10 /* special fully nested mode */

void mvm_pic_chip_reset(struct pic_chip *c)
{
	struct mvm_pic *pic = c->pic;
	int slave = c->slave;

	memset(c, 0, sizeof(*c));
	c->pic = pic;
	c->slave = slave;
	c->lowest = 7;
}

/* The highest-priority IR among the bits of mask, or -1: the scan
 * starts right after the lowest-priority IR (rotation). (Marked unused
 * only because a handout's stubs do not call it yet.) */
__attribute__((unused)) static int highest(const struct pic_chip *c,
					   uint8_t mask)
{
	for (unsigned k = 0; k < 8; k++) {
		unsigned irq = (c->lowest + 1 + k) & 7;

		if (mask & (1u << irq))
			return (int)irq;
	}
	return -1;
}

/*
 * The IR this chip would raise INT for, or -1: the highest unmasked
 * request, if it outranks everything in service. Special mask mode
 * ignores in-service levels that are masked; the special fully nested
 * mode lets the master take another slave request while IR2 is in
 * service (the slave sorts out priority among its own).
 */
static int chip_pending(const struct pic_chip *c)
{
	/* LAB(3, pic-priority) BEGIN */
	uint8_t in_service = c->isr;
	int req = highest(c, c->irr & ~c->imr);
	int cur;

	if (req < 0)
		return -1;
	if (c->special_mask)
		in_service &= ~c->imr;
	cur = highest(c, in_service);
	/* Rank 0 is the highest priority: IR(lowest + 1). */
	if (cur < 0 || ((unsigned)(req - c->lowest - 1) & 7) <
			       ((unsigned)(cur - c->lowest - 1) & 7))
		return req;
	if (c->sfnm && !c->slave && req == PIC_CASCADE_IR &&
	    cur == PIC_CASCADE_IR)
		return req;
	return -1;
	/* LAB(3) STUB
	// LAB 3: return the IR (0-7) this chip should interrupt for, or -1:
	// the highest-priority request in IRR that IMR does not mask, and
	// only if it has a higher priority than every bit in ISR (a level in
	// service blocks itself and every lower one until its EOI).
	// Hint: highest() scans in priority order (it knows the rotation);
	// the rank of IR n is (n - c->lowest - 1) & 7, 0 the highest. In
	// special mask mode (c->special_mask) ignore ISR bits that IMR masks.
	// 8259A data sheet, "Interrupt Sequence" and "Fully Nested Mode".
	(void)c;
	return -1;
	LAB(3) END */
}

/* The INTA cycle on one chip for IR `irq`: ISR (unless AEOI), and an
 * edge's IRR bit is consumed. */
static void chip_ack(struct pic_chip *c, int irq)
{
	uint8_t bit = (uint8_t)(1u << irq);

	if (c->auto_eoi) {
		if (c->rotate_aeoi)
			c->lowest = (uint8_t)irq;
	} else {
		c->isr |= bit;
	}
	if (!c->level)
		c->irr &= ~bit;
}

/* Input pin irq (0-7) of one chip goes to level. */
static void chip_set_pin(struct pic_chip *c, unsigned irq, int level)
{
	uint8_t bit = (uint8_t)(1u << irq);

	if (c->level) {
		c->irr = level ? c->irr | bit : c->irr & ~bit;
	} else if (level && !(c->pins & bit)) {
		if (c->irr & bit) /* still pending: two edges, one request */
			c->pic->stats.merged++;
		c->irr |= bit; /* edge: latched; a fall does not clear */
	}
	c->pins = level ? c->pins | bit : c->pins & ~bit;
}

/* The slave's INT output is the master's IR2 input (unless the master
 * was told it is alone, ICW1 SNGL: then IR2 is an ordinary input). */
static void cascade(struct mvm_pic *pic)
{
	if (pic->chip[0].single)
		return;
	chip_set_pin(&pic->chip[0], PIC_CASCADE_IR,
		     chip_pending(&pic->chip[1]) >= 0);
}

void mvm_pic_pair_set_irq(struct mvm_pic *pic, unsigned irq, int level)
{
	if (irq >= 16 || (irq == PIC_CASCADE_IR && !pic->chip[0].single))
		return; /* IR2 is wired to the slave, not to a device */
	chip_set_pin(&pic->chip[irq / 8], irq % 8, level);
	cascade(pic);
}

int mvm_pic_pair_output(struct mvm_pic *pic)
{
	cascade(pic);
	return chip_pending(&pic->chip[0]) >= 0;
}

/*
 * The CPU's INTA cycle on the pair. The master resolves first; if it
 * picks the cascade input, the slave supplies the vector. A request that
 * vanished (masked or lowered between INT and INTA) gives IR7's vector
 * with no ISR bit set: the "spurious interrupt" a guest must not EOI.
 */
uint8_t mvm_pic_pair_ack(struct mvm_pic *pic)
{
	/* LAB(3, pic-ack) BEGIN */
	struct pic_chip *m = &pic->chip[0], *s = &pic->chip[1];
	int irq, sirq;

	cascade(pic);
	irq = chip_pending(m);
	if (irq < 0) {
		pic->stats.spurious++;
		return (uint8_t)(m->vbase + 7);
	}
	chip_ack(m, irq);
	if (irq != PIC_CASCADE_IR || m->single)
		return (uint8_t)(m->vbase + irq);
	sirq = chip_pending(s);
	if (sirq < 0) {
		pic->stats.spurious++;
		cascade(pic);
		return (uint8_t)(s->vbase + 7);
	}
	chip_ack(s, sirq);
	cascade(pic);
	return (uint8_t)(s->vbase + sirq);
	/* LAB(3) STUB
	// LAB 3: the INTA cycle. Ask the master which IR it interrupts for
	// (chip_pending); put it in service (chip_ack) and return its
	// vector (vbase + IR). If that IR is the cascade input (IR2, and the
	// master is not single), do the same on the slave and return the
	// slave's vector. Nothing pending (on either chip): count
	// pic->stats.spurious and return that chip's IR7 vector without
	// touching ISR. Call cascade(pic) after the slave changed.
	// 8259A data sheet, "Interrupt Sequence" and "Cascade Buffer".
	(void)pic;
	return 0;
	LAB(3) END */
}

/* ICW1 on the command port: start the initialisation sequence. The data
 * sheet: IMR cleared, IR7 lowest priority, special mask mode off, status
 * read set to IRR, edge sense reset (a line already high must fall and
 * rise again). ISR is cleared as every emulator and the PC BIOS expect. */
static void write_icw1(struct pic_chip *c, uint8_t val)
{
	uint8_t pins = c->pins;

	mvm_pic_chip_reset(c);
	c->pins = pins;
	c->need_icw4 = !!(val & ICW1_IC4);
	c->single = !!(val & ICW1_SNGL);
	c->level = !!(val & ICW1_LTIM);
	if (c->level)
		c->irr = pins;
	c->init = PIC_ICW2;
}

/* OCW2: R, SL, EOI in bits 7-5, the level L in bits 2-0. */
static void write_ocw2(struct pic_chip *c, uint8_t val)
{
	/* LAB(3, pic-eoi) BEGIN */
	unsigned op = val >> 5, l = val & 7;
	int irq;

	switch (op) {
	case 1: /* non-specific EOI: the highest ISR bit */
	case 5: /* ... and rotate: that level becomes the lowest */
		irq = highest(c, c->isr);
		if (irq < 0)
			break; /* an EOI flood with nothing in service */
		c->isr &= (uint8_t) ~(1u << irq);
		if (op == 5)
			c->lowest = (uint8_t)irq;
		break;
	case 3: /* specific EOI for level l */
	case 7: /* ... and rotate on it */
		c->isr &= (uint8_t) ~(1u << l);
		if (op == 7)
			c->lowest = (uint8_t)l;
		break;
	case 6: /* set priority: l is the lowest */
		c->lowest = (uint8_t)l;
		break;
	case 4: /* rotate in automatic EOI mode: set */
	case 0: /* ... clear */
		c->rotate_aeoi = op == 4;
		break;
	default: /* 2: no operation */
		break;
	}
	/* LAB(3) STUB
	// LAB 3: OCW2 (bits 7-5 R, SL, EOI; bits 2-0 the level L). At least:
	// 001 non-specific EOI clears the highest-priority ISR bit (none
	// set: nothing), 011 specific EOI clears ISR bit L; 101 and 111 do
	// the same and then make that level the lowest (c->lowest); 110 sets
	// c->lowest = L; 100/000 set/clear c->rotate_aeoi; 010 does nothing.
	// Hint: highest(c, c->isr). 8259A data sheet, "Operation Command
	// Words", OCW2.
	(void)c;
	(void)val;
	LAB(3) END */
}

static void write_ocw3(struct pic_chip *c, uint8_t val)
{
	if (val & OCW3_P)
		c->poll = 1;
	if (val & OCW3_RR)
		c->read_isr = val & OCW3_RIS;
	if (val & OCW3_ESMM)
		c->special_mask = !!(val & OCW3_SMM);
}

/* The data port: the next ICW while initialising, else OCW1 (IMR). */
static void write_data(struct pic_chip *c, uint8_t val)
{
	switch (c->init) {
	case PIC_ICW2:
		c->vbase = val & 0xf8; /* 8086 mode: T7-T3 */
		c->init = !c->single	 ? PIC_ICW3
			  : c->need_icw4 ? PIC_ICW4
					 : PIC_READY;
		break;
	case PIC_ICW3:
		c->icw3 = val;
		c->init = c->need_icw4 ? PIC_ICW4 : PIC_READY;
		break;
	case PIC_ICW4:
		c->auto_eoi = !!(val & ICW4_AEOI);
		c->sfnm = !!(val & ICW4_SFNM);
		c->init = PIC_READY;
		break;
	case PIC_READY:
		c->imr = val;
		break;
	}
	if (c->init == PIC_READY)
		c->ready = 1;
}

void mvm_pic_chip_write(struct pic_chip *c, int data, uint8_t val)
{
	if (data)
		write_data(c, val);
	else if (val & ICW1_INIT)
		write_icw1(c, val);
	else if (val & OCW3_SEL)
		write_ocw3(c, val);
	else
		write_ocw2(c, val);
}

/* Reads: the odd port gives the IMR; the even port the IRR or ISR as
 * OCW3 chose, or, after a poll command, 0x80 | level of the highest
 * request, acknowledged like an INTA (0 when there is none). */
uint8_t mvm_pic_chip_read(struct pic_chip *c, int data)
{
	int irq;

	if (data)
		return c->imr;
	if (!c->poll)
		return c->read_isr ? c->isr : c->irr;
	c->poll = 0;
	irq = chip_pending(c);
	if (irq < 0)
		return 0;
	chip_ack(c, irq);
	return (uint8_t)(0x80 | irq);
}
