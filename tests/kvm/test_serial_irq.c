/*
 * test_serial_irq.c - the UART's interrupts reach the guest
 * (examples/serial-irq.c): host input raises "received data available"
 * on COM1's line (IRQ 4), enabling "THR empty" raises that one, on the
 * user-space 8259A (pic.h) and on KVM's in-kernel PIC.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"

#define RUN_MS 20000

struct run {
	struct mvm_machine *m;
	struct mvm_pic *pic;
	struct fixture_logbuf log;
};

static void to_sync(struct run *r, struct mvm_ucall *uc, uint64_t stage)
{
	const struct mvm_std_devices *d = mvm_machine_devices(r->m);
	struct mvm_exit e;
	enum mvm_verdict v;

	v = mvm_machine_run(r->m, 0, RUN_MS, 1, NULL, NULL, &e);
	if (v != MVM_SYNC)
		fail_msg("verdict %s, exit %s\n%s", mvm_verdict_name(v),
			 mvm_exit_reason_name(e.reason), r->log.text);
	assert_int_equal(mvm_ucall_last_of(d->ucall, 0, uc), MVM_UCALL_SYNC);
	assert_int_equal(uc->args[0], stage);
}

static void serial_interrupts_reach_the_guest(enum mvm_irqchip chip,
					      unsigned irq_flags)
{
	struct mvm_machine_config cfg = {
		.irqchip = chip,
		.irq_flags = irq_flags,
		.hlt = MVM_HLT_WAIT,
		.mode = MVM_MODE_AUTO,
		.image = MVM_GUEST_DIR "/serial-irq.elf",
	};
	struct run r = {0};
	struct mvm_ucall uc;

	fixture_require_kvm();
	cfg.log = (struct mvm_log){fixture_logbuf_fn, &r.log};
	if (mvm_machine_create(&cfg, &r.m) < 0)
		fail_msg("mvm_machine_create:\n%s", r.log.text);
	if (chip == MVM_IRQCHIP_USER) {
		assert_int_equal(mvm_pic_create(mvm_machine_log(r.m), &r.pic),
				 0);
		assert_int_equal(mvm_pic_attach(r.pic, r.m), 0);
	}
	alarm(60);
	to_sync(&r, &uc, 1);
	usleep(20000); /* the guest is stopped at its SYNC: nothing moves */
	assert_int_equal(
		mvm_uart_input(mvm_machine_devices(r.m)->uart, "ping", 4), 4);
	to_sync(&r, &uc, 2);
	assert_string_equal(uc.text, "ping");
	assert_int_equal(uc.args[1], 4);
	assert_true(uc.args[2] >= 1); /* THR empty, when ETBEI was set */
	assert_true(uc.args[3] >= 1); /* received data available */
	if (r.pic) {
		struct mvm_pic_stats st;

		mvm_pic_get_stats(r.pic, &st);
		assert_true(st.injected >= 1); /* THRE and RDA may share one */
	}
	alarm(0);
	mvm_machine_destroy(r.m);
	mvm_pic_destroy(r.pic);
}

static void serial_irq_user_pic(void **state)
{
	(void)state;
	serial_interrupts_reach_the_guest(MVM_IRQCHIP_USER, 0);
}

static void serial_irq_kernel_pic(void **state)
{
	(void)state;
	serial_interrupts_reach_the_guest(MVM_IRQCHIP_KERNEL, 0);
}

/* The UART's level line as a resampled irqfd (irq.h): raised while an
 * interrupt is pending, re-asserted by KVM after each EOI. */
static void serial_irq_kernel_pic_through_irqfd(void **state)
{
	(void)state;
	serial_interrupts_reach_the_guest(MVM_IRQCHIP_KERNEL, MVM_MIRQ_IRQFD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(serial_irq_user_pic),
		cmocka_unit_test(serial_irq_kernel_pic),
		cmocka_unit_test(serial_irq_kernel_pic_through_irqfd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
