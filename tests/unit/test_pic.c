/*
 * test_pic.c - the user-space 8259A pair (pic.h) and the 8254's
 * registers (pit.h) driven through their ports, without /dev/kvm.
 *
 * Each test programs the chips the way a guest would (the PC's
 * ICW1-ICW4 sequence) and checks IRR/ISR/IMR, the vector an INTA cycle
 * returns and the INT output, against the 8259A data sheet.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <unistd.h>

#include "minivmm/minivmm.h"

#define M_CMD  MVM_PORT_PIC_MASTER
#define M_DATA (MVM_PORT_PIC_MASTER + 1)
#define S_CMD  MVM_PORT_PIC_SLAVE
#define S_DATA (MVM_PORT_PIC_SLAVE + 1)
#define EOI    0x20 /* OCW2 non-specific EOI */

/* The PC's initialisation: vectors 0x20 / 0x28, slave on IR2, 8086
 * mode, all unmasked. */
static struct mvm_pic *pc_pic(void)
{
	struct mvm_pic *p;

	assert_int_equal(mvm_pic_create(NULL, &p), 0);
	mvm_pic_write(p, M_CMD, 0x11);
	mvm_pic_write(p, M_DATA, 0x20);
	mvm_pic_write(p, M_DATA, 0x04);
	mvm_pic_write(p, M_DATA, 0x01);
	mvm_pic_write(p, S_CMD, 0x11);
	mvm_pic_write(p, S_DATA, 0x28);
	mvm_pic_write(p, S_DATA, 0x02);
	mvm_pic_write(p, S_DATA, 0x01);
	return p;
}

static void pulse(struct mvm_pic *p, unsigned irq)
{
	mvm_pic_set_irq(p, irq, 1);
	mvm_pic_set_irq(p, irq, 0);
}

static void pic_icw_sequence_sets_vectors_and_clears_mask(void **state)
{
	struct mvm_pic *p;
	struct mvm_pic_regs r;

	(void)state;
	assert_int_equal(mvm_pic_create(NULL, &p), 0);
	mvm_pic_write(p, M_DATA, 0x55); /* OCW1 before init: IMR */
	mvm_pic_write(p, M_CMD, 0x11);
	mvm_pic_get_regs(p, 0, &r);
	assert_int_equal(r.imr, 0); /* ICW1 clears the IMR */
	assert_false(r.ready);
	mvm_pic_write(p, M_DATA, 0x27); /* ICW2: low 3 bits ignored */
	mvm_pic_write(p, M_DATA, 0x04);
	mvm_pic_get_regs(p, 0, &r);
	assert_false(r.ready);		/* ICW4 still expected */
	mvm_pic_write(p, M_DATA, 0x03); /* ICW4: 8086, AEOI */
	mvm_pic_get_regs(p, 0, &r);
	assert_true(r.ready);
	assert_int_equal(r.vbase, 0x20);
	assert_true(r.auto_eoi);
	mvm_pic_write(p, M_DATA, 0xfb); /* now OCW1 */
	assert_int_equal(mvm_pic_read(p, M_DATA), 0xfb);
	mvm_pic_destroy(p);
}

static void pic_single_mode_skips_icw3(void **state)
{
	struct mvm_pic *p;
	struct mvm_pic_regs r;

	(void)state;
	assert_int_equal(mvm_pic_create(NULL, &p), 0);
	mvm_pic_write(p, M_CMD, 0x12); /* single, no ICW4 */
	mvm_pic_write(p, M_DATA, 0x40);
	mvm_pic_write(p, M_DATA, 0x3c); /* OCW1 already */
	mvm_pic_get_regs(p, 0, &r);
	assert_true(r.ready);
	assert_int_equal(r.vbase, 0x40);
	assert_int_equal(r.imr, 0x3c);
	mvm_pic_destroy(p);
}

static void pic_edge_latches_irr_and_ack_moves_it_to_isr(void **state)
{
	struct mvm_pic *p = pc_pic();
	struct mvm_pic_regs r;

	(void)state;
	assert_false(mvm_pic_pending(p));
	pulse(p, 3);
	mvm_pic_get_regs(p, 0, &r);
	assert_int_equal(r.irr, 0x08); /* a fall does not clear an edge */
	assert_true(mvm_pic_pending(p));
	assert_int_equal(mvm_pic_ack(p), 0x23);
	mvm_pic_get_regs(p, 0, &r);
	assert_int_equal(r.irr, 0);
	assert_int_equal(r.isr, 0x08);
	assert_false(mvm_pic_pending(p));
	/* A held line is one request: no new edge, no new IRR. */
	mvm_pic_set_irq(p, 3, 1);
	mvm_pic_write(p, M_CMD, EOI);
	assert_int_equal(mvm_pic_ack(p), 0x23);
	mvm_pic_write(p, M_CMD, EOI);
	mvm_pic_set_irq(p, 3, 1);
	assert_false(mvm_pic_pending(p));
	mvm_pic_destroy(p);
}

static void pic_mask_blocks_until_unmasked(void **state)
{
	struct mvm_pic *p = pc_pic();

	(void)state;
	mvm_pic_write(p, M_DATA, 0x01);
	pulse(p, 0);
	assert_false(mvm_pic_pending(p));
	mvm_pic_write(p, M_DATA, 0x00);
	assert_true(mvm_pic_pending(p));
	assert_int_equal(mvm_pic_ack(p), 0x20);
	mvm_pic_destroy(p);
}

static void pic_fixed_priority_and_nesting(void **state)
{
	struct mvm_pic *p = pc_pic();

	(void)state;
	pulse(p, 5);
	pulse(p, 1);
	assert_int_equal(mvm_pic_ack(p), 0x21); /* IR1 beats IR5 */
	assert_false(mvm_pic_pending(p));	/* IR5 waits behind IR1 */
	pulse(p, 0);
	assert_true(mvm_pic_pending(p)); /* IR0 nests over IR1 */
	assert_int_equal(mvm_pic_ack(p), 0x20);
	mvm_pic_write(p, M_CMD, EOI); /* ends IR0, the highest */
	assert_false(mvm_pic_pending(p));
	mvm_pic_write(p, M_CMD, EOI); /* ends IR1 */
	assert_int_equal(mvm_pic_ack(p), 0x25);
	mvm_pic_destroy(p);
}

static void pic_specific_eoi_and_rotation(void **state)
{
	struct mvm_pic *p = pc_pic();
	struct mvm_pic_regs r;

	(void)state;
	pulse(p, 4);
	assert_int_equal(mvm_pic_ack(p), 0x24);
	mvm_pic_write(p, M_CMD, 0x60 | 3); /* specific EOI for IR3: no-op */
	mvm_pic_get_regs(p, 0, &r);
	assert_int_equal(r.isr, 0x10);
	mvm_pic_write(p, M_CMD, 0xe0 | 4); /* rotate on specific EOI IR4 */
	mvm_pic_get_regs(p, 0, &r);
	assert_int_equal(r.isr, 0);
	assert_int_equal(r.lowest, 4);
	pulse(p, 2 + 1); /* IR3 */
	pulse(p, 5);
	assert_int_equal(mvm_pic_ack(p), 0x25); /* IR5 is now highest */
	mvm_pic_destroy(p);
}

static void pic_cascade_delivers_slave_vector(void **state)
{
	struct mvm_pic *p = pc_pic();
	struct mvm_pic_regs mr, sr;

	(void)state;
	pulse(p, 12);
	assert_true(mvm_pic_pending(p));
	assert_int_equal(mvm_pic_ack(p), 0x2c);
	mvm_pic_get_regs(p, 0, &mr);
	mvm_pic_get_regs(p, 1, &sr);
	assert_int_equal(mr.isr, 0x04); /* the cascade input */
	assert_int_equal(sr.isr, 0x10);
	pulse(p, 3); /* lower than IR2 on the master: waits */
	assert_false(mvm_pic_pending(p));
	mvm_pic_write(p, S_CMD, EOI);
	mvm_pic_write(p, M_CMD, EOI);
	assert_int_equal(mvm_pic_ack(p), 0x23);
	/* A masked slave input does not reach the master. */
	mvm_pic_write(p, M_CMD, EOI);
	mvm_pic_write(p, S_DATA, 0x01);
	pulse(p, 8);
	assert_false(mvm_pic_pending(p));
	mvm_pic_destroy(p);
}

static void pic_vanished_request_is_spurious_ir7(void **state)
{
	struct mvm_pic *p = pc_pic();
	struct mvm_pic_regs r;
	struct mvm_pic_stats st;

	(void)state;
	assert_int_equal(mvm_pic_ack(p), 0x27); /* nothing at all */
	mvm_pic_get_regs(p, 0, &r);
	assert_int_equal(r.isr, 0); /* IR7 not put in service */
	/* Level mode: the line falls between INT and INTA. */
	mvm_pic_write(p, M_CMD, 0x19);
	mvm_pic_write(p, M_DATA, 0x20);
	mvm_pic_write(p, M_DATA, 0x04);
	mvm_pic_write(p, M_DATA, 0x01);
	mvm_pic_set_irq(p, 1, 1);
	assert_true(mvm_pic_pending(p));
	mvm_pic_set_irq(p, 1, 0);
	assert_int_equal(mvm_pic_ack(p), 0x27);
	mvm_pic_get_stats(p, &st);
	assert_int_equal(st.spurious, 2);
	mvm_pic_destroy(p);
}

static void pic_eoi_flood_and_nonsense_are_harmless(void **state)
{
	struct mvm_pic *p = pc_pic();
	struct mvm_pic_regs r;

	(void)state;
	for (int i = 0; i < 1000; i++) {
		mvm_pic_write(p, M_CMD, EOI);
		mvm_pic_write(p, S_CMD, (uint8_t)(i * 37));
		mvm_pic_write(p, S_DATA, (uint8_t)(i * 91));
	}
	mvm_pic_set_irq(p, 99, 1); /* no such input */
	mvm_pic_set_irq(p, 2, 1);  /* the cascade pin is not a device's */
	assert_int_equal(mvm_pic_read(p, 0x1234), 0xff);
	mvm_pic_get_regs(p, 0, &r);
	assert_int_equal(r.isr, 0);
	assert_int_equal(r.irr & 0xfb, 0);
	mvm_pic_destroy(p);
}

static void pic_ocw3_reads_irr_isr_and_polls(void **state)
{
	struct mvm_pic *p = pc_pic();

	(void)state;
	pulse(p, 6);
	assert_int_equal(mvm_pic_read(p, M_CMD), 0x40); /* IRR by default */
	mvm_pic_write(p, M_CMD, 0x0b);			/* read ISR */
	assert_int_equal(mvm_pic_read(p, M_CMD), 0x00);
	mvm_pic_write(p, M_CMD, 0x0c); /* poll */
	assert_int_equal(mvm_pic_read(p, M_CMD), 0x86);
	assert_int_equal(mvm_pic_read(p, M_CMD), 0x40); /* ISR now */
	mvm_pic_write(p, M_CMD, 0x0c);
	assert_int_equal(mvm_pic_read(p, M_CMD), 0x00); /* nothing left */
	mvm_pic_destroy(p);
}

static void pic_auto_eoi_leaves_isr_clear(void **state)
{
	struct mvm_pic *p;
	struct mvm_pic_regs r;

	(void)state;
	assert_int_equal(mvm_pic_create(NULL, &p), 0);
	mvm_pic_write(p, M_CMD, 0x13); /* single, ICW4 */
	mvm_pic_write(p, M_DATA, 0x30);
	mvm_pic_write(p, M_DATA, 0x03); /* AEOI */
	pulse(p, 2);
	assert_int_equal(mvm_pic_ack(p), 0x32); /* single: IR2 is a device */
	mvm_pic_get_regs(p, 0, &r);
	assert_int_equal(r.isr, 0);
	mvm_pic_destroy(p);
}

static void pic_sink_feeds_the_inputs(void **state)
{
	struct mvm_pic *p = pc_pic();
	struct mvm_irq_sink s = mvm_pic_sink(p);
	struct mvm_irq_line *line;

	(void)state;
	assert_int_equal(mvm_irq_line_create(NULL, MVM_IRQ_USER, 4, &s, &line),
			 0);
	assert_int_equal(mvm_irq_pulse(line), 0);
	assert_int_equal(mvm_pic_ack(p), 0x24);
	mvm_irq_line_destroy(line);
	mvm_pic_destroy(p);
}

/* The 8254: a mode 2 count programs the period; reads follow the
 * access mode; the thread pulses a line at that rate. */
struct count_ctx {
	int edges;
};
static void count_edges(void *ctx, unsigned gsi, int level)
{
	(void)gsi;
	if (level)
		__atomic_add_fetch(&((struct count_ctx *)ctx)->edges, 1,
				   __ATOMIC_SEQ_CST);
}

static void pit_mode2_period_and_ticks(void **state)
{
	struct count_ctx cc = {0};
	struct mvm_irq_sink s = {count_edges, &cc};
	struct mvm_irq_line *line;
	struct mvm_pit *t;
	int n;

	(void)state;
	assert_int_equal(mvm_pit_create(NULL, &t), 0);
	assert_int_equal(mvm_irq_line_create(NULL, MVM_IRQ_USER, 0, &s, &line),
			 0);
	mvm_pit_set_line(t, line);
	assert_int_equal(mvm_pit_period_ns(t), 0); /* nothing programmed */
	mvm_pit_write(t, MVM_PIT_CONTROL, 0x34);
	mvm_pit_write(t, MVM_PIT_COUNTER0, 0xa9);  /* 1193 = 0x04a9: 1 kHz */
	assert_int_equal(mvm_pit_period_ns(t), 0); /* MSB still missing */
	mvm_pit_write(t, MVM_PIT_COUNTER0, 0x04);
	assert_int_equal(mvm_pit_mode(t), 2);
	assert_in_range(mvm_pit_period_ns(t), 999000, 1001000);
	usleep(100000);
	n = __atomic_load_n(&cc.edges, __ATOMIC_SEQ_CST);
	assert_in_range(n, 50, 110); /* ~100 at 1 kHz, a loaded host slower */
	/* Latch: the count is below the reload and reads LSB, MSB. */
	mvm_pit_write(t, MVM_PIT_CONTROL, 0x00);
	n = mvm_pit_read(t, MVM_PIT_COUNTER0);
	n |= mvm_pit_read(t, MVM_PIT_COUNTER0) << 8;
	assert_in_range(n, 1, 1193);
	/* A control word stops channel 0 until the next count. */
	mvm_pit_write(t, MVM_PIT_CONTROL, 0x36);
	assert_int_equal(mvm_pit_period_ns(t), 0);
	mvm_pit_write(t, MVM_PIT_COUNTER0, 1); /* reload 1: clamped */
	mvm_pit_write(t, MVM_PIT_COUNTER0, 0);
	assert_int_equal(mvm_pit_mode(t), 3);
	assert_int_equal(mvm_pit_period_ns(t), MVM_PIT_MIN_PERIOD_NS);
	mvm_pit_pause(t);
	usleep(5000);
	n = __atomic_load_n(&cc.edges, __ATOMIC_SEQ_CST);
	usleep(20000);
	assert_int_equal(__atomic_load_n(&cc.edges, __ATOMIC_SEQ_CST), n);
	mvm_pit_resume(t);
	mvm_pit_destroy(t);
	mvm_irq_line_destroy(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pic_icw_sequence_sets_vectors_and_clears_mask),
		cmocka_unit_test(pic_single_mode_skips_icw3),
		cmocka_unit_test(pic_edge_latches_irr_and_ack_moves_it_to_isr),
		cmocka_unit_test(pic_mask_blocks_until_unmasked),
		cmocka_unit_test(pic_fixed_priority_and_nesting),
		cmocka_unit_test(pic_specific_eoi_and_rotation),
		cmocka_unit_test(pic_cascade_delivers_slave_vector),
		cmocka_unit_test(pic_vanished_request_is_spurious_ir7),
		cmocka_unit_test(pic_eoi_flood_and_nonsense_are_harmless),
		cmocka_unit_test(pic_ocw3_reads_irr_isr_and_polls),
		cmocka_unit_test(pic_auto_eoi_leaves_isr_clear),
		cmocka_unit_test(pic_sink_feeds_the_inputs),
		cmocka_unit_test(pit_mode2_period_and_ticks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
