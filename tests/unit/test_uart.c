/*
 * test_uart.c - the 16550A model, register by register (PC16550D
 * datasheet Table II), plus the sequence Linux's 8250 driver uses to
 * probe a port.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "minivmm/minivmm.h"

#include "capture.h"

enum {
	RBR = 0,
	THR = 0,
	DLL = 0,
	IER = 1,
	DLM = 1,
	IIR = 2,
	FCR = 2,
	LCR = 3,
	MCR = 4,
	LSR = 5,
	MSR = 6,
	SCR = 7
};

struct env {
	struct mvm_uart *u;
	char out[256];
	size_t out_len;
	int irq_level;
	int irq_calls;
};

static void out_fn(void *ctx, const char *buf, size_t len)
{
	struct env *e = ctx;

	capture_append(e->out, sizeof(e->out), &e->out_len, buf, len);
}

static void irq_fn(void *ctx, int level)
{
	struct env *e = ctx;

	e->irq_level = level;
	e->irq_calls++;
}

static int env_setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	assert_int_equal(mvm_uart_create(out_fn, e, irq_fn, e, &e->u), 0);
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *e = *state;

	mvm_uart_destroy(e->u);
	free(e);
	return 0;
}

static uint8_t rd(struct env *e, unsigned reg)
{
	uint8_t v = 0x5a;

	assert_int_equal(mvm_uart_ops.read(e->u, NULL, reg, &v, 1), 0);
	return v;
}

static void wr(struct env *e, unsigned reg, uint8_t v)
{
	assert_int_equal(mvm_uart_ops.write(e->u, NULL, reg, &v, 1), 0);
}

static void uart_thr_write_goes_to_output(void **state)
{
	struct env *e = *state;

	wr(e, THR, 'h');
	wr(e, THR, 'i');
	assert_int_equal(e->out_len, 2);
	assert_memory_equal(e->out, "hi", 2);
}

static void uart_lsr_reports_thr_empty_after_write(void **state)
{
	struct env *e = *state;

	assert_int_equal(rd(e, LSR) & 0x60, 0x60);
	wr(e, THR, 'x');
	assert_int_equal(rd(e, LSR), 0x60); /* THRE | TEMT, no DR */
}

static void uart_input_sets_data_ready_and_is_read_in_order(void **state)
{
	struct env *e = *state;

	assert_int_equal(mvm_uart_input(e->u, "ab", 2), 2);
	assert_int_equal(rd(e, LSR) & 0x01, 0x01);
	assert_int_equal(rd(e, RBR), 'a');
	assert_int_equal(rd(e, RBR), 'b');
	assert_int_equal(rd(e, LSR) & 0x01, 0);
}

static void uart_input_fifo_holds_sixteen_bytes(void **state)
{
	struct env *e = *state;
	char buf[20];

	for (int i = 0; i < 20; i++)
		buf[i] = (char)('A' + i);
	assert_int_equal(mvm_uart_input(e->u, buf, 20), 16);
	for (int i = 0; i < 16; i++)
		assert_int_equal(rd(e, RBR), 'A' + i);
	assert_int_equal(mvm_uart_input(e->u, buf + 16, 4), 4);
	assert_int_equal(rd(e, RBR), 'Q');
}

static void uart_dlab_switches_offsets_to_divisor_latch(void **state)
{
	struct env *e = *state;

	wr(e, IER, 0x05);
	wr(e, LCR, 0x83); /* DLAB + 8N1 */
	wr(e, DLL, 0x01); /* 115200 baud */
	wr(e, DLM, 0x00);
	assert_int_equal(e->out_len, 0); /* DLL write is not THR */
	assert_int_equal(rd(e, DLL), 0x01);
	assert_int_equal(rd(e, DLM), 0x00);
	wr(e, LCR, 0x03);
	assert_int_equal(rd(e, LCR), 0x03);
	assert_int_equal(rd(e, IER), 0x05); /* IER kept its value */
}

static void uart_ier_keeps_only_low_four_bits(void **state)
{
	struct env *e = *state;

	wr(e, IER, 0xff);
	assert_int_equal(rd(e, IER), 0x0f);
}

static void uart_scratch_register_reads_back(void **state)
{
	struct env *e = *state;

	wr(e, SCR, 0xa5);
	assert_int_equal(rd(e, SCR), 0xa5);
	wr(e, SCR, 0x5a);
	assert_int_equal(rd(e, SCR), 0x5a);
}

static void uart_iir_shows_fifo_bits_when_fcr_enables_fifos(void **state)
{
	struct env *e = *state;

	assert_int_equal(rd(e, IIR), 0x01);
	wr(e, FCR, 0x01);
	assert_int_equal(rd(e, IIR), 0xc1);
	wr(e, FCR, 0x00);
	assert_int_equal(rd(e, IIR), 0x01);
}

static void uart_fcr_clear_rx_empties_the_fifo(void **state)
{
	struct env *e = *state;

	wr(e, FCR, 0x01);
	mvm_uart_input(e->u, "xyz", 3);
	wr(e, FCR, 0x03);
	assert_int_equal(rd(e, LSR) & 0x01, 0);
}

static void uart_loopback_sends_thr_to_rbr_not_output(void **state)
{
	struct env *e = *state;

	wr(e, MCR, 0x10);
	wr(e, THR, 'L');
	assert_int_equal(e->out_len, 0);
	assert_int_equal(rd(e, LSR) & 0x01, 0x01);
	assert_int_equal(rd(e, RBR), 'L');
}

static void uart_loopback_msr_reflects_mcr(void **state)
{
	struct env *e = *state;

	/* Linux autoconfig: LOOP | OUT2 | RTS must read CTS and DCD. */
	wr(e, MCR, 0x10 | 0x0a);
	assert_int_equal(rd(e, MSR) & 0xf0, 0x90);
	wr(e, MCR, 0x10 | 0x05); /* DTR, OUT1 -> DSR, RI */
	assert_int_equal(rd(e, MSR) & 0xf0, 0x60);
	wr(e, MCR, 0x00);
	assert_int_equal(rd(e, MSR) & 0xf0, 0xb0); /* line "connected" */
}

static void uart_msr_delta_bits_clear_on_read(void **state)
{
	struct env *e = *state;

	rd(e, MSR);
	wr(e, MCR, 0x10); /* loopback: all inputs drop */
	uint8_t v = rd(e, MSR);
	assert_int_equal(v & 0x0b, 0x0b); /* DCTS, DDSR, DDCD changed */
	assert_int_equal(rd(e, MSR) & 0x0f, 0);
}

static void uart_loopback_overrun_sets_lsr_oe_until_read(void **state)
{
	struct env *e = *state;

	wr(e, MCR, 0x10);
	for (int i = 0; i < 17; i++)
		wr(e, THR, (uint8_t)i);
	assert_int_equal(rd(e, LSR) & 0x02, 0x02);
	assert_int_equal(rd(e, LSR) & 0x02, 0);
}

static void
uart_thre_interrupt_raised_when_enabled_and_acked_by_iir(void **state)
{
	struct env *e = *state;

	wr(e, MCR, 0x08); /* OUT2: connect INTR to the PIC */
	assert_int_equal(e->irq_level, 0);
	wr(e, IER, 0x02);
	assert_int_equal(e->irq_level, 1);
	assert_int_equal(rd(e, IIR), 0x02);
	assert_int_equal(e->irq_level, 0);
	assert_int_equal(rd(e, IIR), 0x01);
	wr(e, THR, 'x'); /* THR empties again at once */
	assert_int_equal(e->irq_level, 1);
}

static void uart_rx_interrupt_follows_data_ready(void **state)
{
	struct env *e = *state;

	wr(e, MCR, 0x08);
	wr(e, IER, 0x01);
	assert_int_equal(e->irq_level, 0);
	mvm_uart_input(e->u, "k", 1);
	assert_int_equal(e->irq_level, 1);
	assert_int_equal(rd(e, IIR), 0x04);
	assert_int_equal(rd(e, RBR), 'k');
	assert_int_equal(e->irq_level, 0);
}

static void uart_rx_interrupt_outranks_thre(void **state)
{
	struct env *e = *state;

	wr(e, IER, 0x03);
	mvm_uart_input(e->u, "k", 1);
	assert_int_equal(rd(e, IIR), 0x04);
	rd(e, RBR);
	assert_int_equal(rd(e, IIR), 0x02);
}

static void uart_irq_line_is_gated_by_out2(void **state)
{
	struct env *e = *state;

	wr(e, IER, 0x01);
	mvm_uart_input(e->u, "k", 1);
	assert_int_equal(rd(e, IIR), 0x04); /* pending inside the chip */
	assert_int_equal(e->irq_level, 0);  /* but OUT2 is off */
	wr(e, MCR, 0x08);
	assert_int_equal(e->irq_level, 1);
	int calls = e->irq_calls;
	wr(e, SCR, 1); /* no change, no call */
	assert_int_equal(e->irq_calls, calls);
}

/* The check Linux's serial8250 startup makes ("UART_BUG_THRE"). */
static void uart_passes_linux_thre_probe(void **state)
{
	struct env *e = *state;

	wr(e, IER, 0x02);
	uint8_t iir1 = rd(e, IIR);
	wr(e, IER, 0x00);
	wr(e, IER, 0x02);
	uint8_t iir2 = rd(e, IIR);
	wr(e, IER, 0x00);
	assert_int_equal(iir1 & 0x01, 0);
	assert_int_equal(iir2 & 0x01, 0);
}

static void uart_reset_restores_power_on_state(void **state)
{
	struct env *e = *state;

	wr(e, LCR, 0x83);
	wr(e, SCR, 7);
	mvm_uart_input(e->u, "z", 1);
	mvm_uart_ops.reset(e->u);
	assert_int_equal(rd(e, LCR), 0);
	assert_int_equal(rd(e, IER), 0);
	assert_int_equal(rd(e, IIR), 0x01);
	assert_int_equal(rd(e, LSR), 0x60);
	assert_int_equal(rd(e, SCR), 0);
}

static void uart_save_load_round_trips_and_rejects_bad_state(void **state)
{
	struct env *e = *state;
	uint8_t buf[128], bad[128];
	int n;

	wr(e, SCR, 0x42);
	mvm_uart_input(e->u, "qr", 2);
	n = mvm_uart_ops.save(e->u, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(mvm_uart_ops.save(e->u, buf, 1), -ENOSPC);
	mvm_uart_ops.reset(e->u);
	assert_int_equal(mvm_uart_ops.load(e->u, buf, (size_t)n), n);
	assert_int_equal(rd(e, SCR), 0x42);
	assert_int_equal(rd(e, RBR), 'q');
	assert_int_equal(mvm_uart_ops.load(e->u, buf, (size_t)n - 1), -EINVAL);
	memset(bad, 0xff, sizeof(bad)); /* FIFO indexes out of range */
	assert_int_equal(mvm_uart_ops.load(e->u, bad, (size_t)n), -EINVAL);
	assert_int_equal(rd(e, RBR), 'r'); /* state kept */
}

static void uart_wide_access_touches_consecutive_registers(void **state)
{
	struct env *e = *state;
	uint16_t v = 0;

	wr(e, MCR, 0x03);
	assert_int_equal(mvm_uart_ops.read(e->u, NULL, LCR, &v, 2), 0);
	assert_int_equal(v, 0x0300); /* LCR = 0, MCR = 3 */
}

#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(uart_thr_write_goes_to_output),
		T(uart_lsr_reports_thr_empty_after_write),
		T(uart_input_sets_data_ready_and_is_read_in_order),
		T(uart_input_fifo_holds_sixteen_bytes),
		T(uart_dlab_switches_offsets_to_divisor_latch),
		T(uart_ier_keeps_only_low_four_bits),
		T(uart_scratch_register_reads_back),
		T(uart_iir_shows_fifo_bits_when_fcr_enables_fifos),
		T(uart_fcr_clear_rx_empties_the_fifo),
		T(uart_loopback_sends_thr_to_rbr_not_output),
		T(uart_loopback_msr_reflects_mcr),
		T(uart_msr_delta_bits_clear_on_read),
		T(uart_loopback_overrun_sets_lsr_oe_until_read),
		T(uart_thre_interrupt_raised_when_enabled_and_acked_by_iir),
		T(uart_rx_interrupt_follows_data_ready),
		T(uart_rx_interrupt_outranks_thre),
		T(uart_irq_line_is_gated_by_out2),
		T(uart_passes_linux_thre_probe),
		T(uart_reset_restores_power_on_state),
		T(uart_save_load_round_trips_and_rejects_bad_state),
		T(uart_wide_access_touches_consecutive_registers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
