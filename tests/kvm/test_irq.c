/*
 * test_irq.c - interrupt lines (irq.h) seen from a guest: KVM_IRQ_LINE,
 * irqfd edges and resampled levels, GSI routing, KVM_SIGNAL_MSI.
 *
 * The line tests run a hand-assembled real-mode guest on a VM with
 * the in-kernel irqchip. It programs the master 8259A itself (ICW1-4,
 * vectors 0x20-0x27, every input but IRQ 5 masked), points IVT entry 0x25
 * at a handler, says "R" on the debug console and waits in `sti; hlt`.
 * With an in-kernel irqchip that HLT never exits to user space: only an
 * interrupt wakes the vCPU, inside the kernel, and the handler's "I" on
 * the debug console is the first exit we see. The MSI test has its own
 * guest, which enables its local APIC. Every run has a deadline
 * (fixture_run_once). ioeventfd, the other direction, is tested in
 * test_ioeventfd.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

#define RUN_MS	 5000	       /* generous: real-mode code is emulated here */
#define QUIET_MS 300	       /* how long "no interrupt arrives" is watched */
#define TEST_IRQ 5	       /* a free ISA line: master 8259A input IR5 */
#define MSI_ADDR 0xfee00000ULL /* MSI to APIC ID 0 (SDM Vol. 3, 11.11.1) */
#define MSI_VEC	 0x40

/*
 * The 8259A guest. ICW1 0x11: edge triggered, cascade, ICW4 follows;
 * ICW2 0x20: IR0-7 are vectors 0x20-0x27; ICW3 0x04: a slave on IR2;
 * ICW4 0x01: 8086 mode (8259A datasheet, "Initialization Command Words").
 * OCW1 0xdf masks all but IR5; OCW2 0x20 is the non-specific EOI.
 */
static const uint8_t pic_guest[] = {
	0xfa,			      /* cli */
	0xc7, 0x06, 0x94, 0x00, 0x29, /* mov word [0x25*4], handler */
	0x7c,			      /*   (0x7c29) */
	0xc7, 0x06, 0x96, 0x00, 0x00, /* mov word [0x25*4+2], 0 */
	0x00,			      /*   (segment 0) */
	0xb0, 0x11, 0xe6, 0x20,	      /* mov al, 0x11; out 0x20, al: ICW1 */
	0xb0, 0x20, 0xe6, 0x21,	      /* mov al, 0x20; out 0x21, al: ICW2 */
	0xb0, 0x04, 0xe6, 0x21,	      /* mov al, 0x04; out 0x21, al: ICW3 */
	0xb0, 0x01, 0xe6, 0x21,	      /* mov al, 0x01; out 0x21, al: ICW4 */
	0xb0, 0xdf, 0xe6, 0x21,	      /* mov al, 0xdf; out 0x21, al: OCW1 */
	0xb0, 0x52, 0xe6, 0xe9,	      /* mov al, 'R'; out 0xe9, al */
	0xfb,			      /* 0x7c25 idle: sti */
	0xf4,			      /* hlt */
	0xeb, 0xfc,		      /* jmp idle */
	0x50,			      /* 0x7c29 handler: push ax */
	0xb0, 0x49, 0xe6, 0xe9,	      /* mov al, 'I'; out 0xe9, al */
	0xb0, 0x20, 0xe6, 0x20,	      /* mov al, 0x20; out 0x20, al: EOI */
	0x58,			      /* pop ax */
	0xcf,			      /* iret */
};

/* Run pic_guest to its "R": the 8259A is programmed, IRQ 5 unmasked. */
static void start_pic_guest(struct fixture *f)
{
	struct mvm_exit e;

	fixture_real_code(f, pic_guest, sizeof(pic_guest), 0);
	assert_int_equal(fixture_run_once(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_IO);
	assert_int_equal(e.u.io.port, MVM_PORT_DEBUGCON);
	assert_string_equal(f->out, "R");
}

/* The next exit is the handler's "I" on the debug console. */
static void expect_handler(struct fixture *f, const char *out)
{
	struct mvm_exit e;

	assert_int_equal(fixture_run_once(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_IO);
	assert_int_equal(e.u.io.port, MVM_PORT_DEBUGCON);
	assert_int_equal(e.u.io.data[0], 'I');
	assert_string_equal(f->out, out);
}

/* No exit for QUIET_MS: the guest sits in HLT, no interrupt came. */
static void expect_quiet(struct fixture *f)
{
	struct mvm_exit e;

	assert_int_equal(fixture_run_once(f, QUIET_MS, &e), -ETIMEDOUT);
}

static void require_cap(struct fixture *f, int cap, const char *name)
{
	if (mvm_kvm_check_cap(mvm_vm_fd(f->vm), cap) <= 0) {
		print_message("SKIP: KVM lacks %s\n", name);
		skip();
	}
}

/* --- KVM_IRQ_LINE ------------------------------------------------------ */

static void kernel_line_raise_runs_the_guest_handler(void **state)
{
	struct fixture *f = *state;
	struct mvm_irq_line *line;

	assert_int_equal(mvm_irq_line_create(f->vm, MVM_IRQ_KERNEL, TEST_IRQ,
					     NULL, &line),
			 0);
	start_pic_guest(f);
	assert_int_equal(mvm_irq_raise(line), 0);
	assert_int_equal(mvm_irq_level(line), 1);
	expect_handler(f, "RI");
	/* The input is edge triggered: a line held high, or raised again
	 * without going low, is no new request. */
	assert_int_equal(mvm_irq_raise(line), 0);
	expect_quiet(f);
	/* Low, then a pulse: one more edge, one more interrupt. */
	assert_int_equal(mvm_irq_lower(line), 0);
	assert_int_equal(mvm_irq_pulse(line), 0);
	assert_int_equal(mvm_irq_level(line), 0);
	expect_handler(f, "RII");
	mvm_irq_line_destroy(line);
}

static void kernel_line_without_irqchip_fails_with_a_log(void **state)
{
	struct fixture *f = *state;
	struct mvm_irq_line *line;

	/* KVM_IRQ_LINE needs the in-kernel irqchip (api.rst 4.25). */
	assert_int_equal(mvm_irq_line_create(f->vm, MVM_IRQ_KERNEL, TEST_IRQ,
					     NULL, &line),
			 0);
	assert_true(mvm_irq_raise(line) < 0);
	assert_int_equal(mvm_irq_level(line), 0);
	assert_non_null(strstr(f->log, "error: KVM_IRQ_LINE"));
	mvm_irq_line_destroy(line);
}

/* --- irqfd -------------------------------------------------------------- */

/* Pulse the line from a thread of its own after the vCPU has had time to
 * block in HLT. It is given only the line: no VM, no vCPU. */
static void *pulse_later(void *arg)
{
	struct timespec ts = {0, 50 * 1000 * 1000};

	nanosleep(&ts, NULL);
	return mvm_irq_pulse(arg) == 0 ? NULL : arg;
}

static void irqfd_pulse_from_another_thread_runs_the_handler(void **state)
{
	struct fixture *f = *state;
	struct mvm_irq_line *line;
	pthread_t t;
	void *ret;

	require_cap(f, KVM_CAP_IRQFD, "KVM_CAP_IRQFD");
	assert_int_equal(mvm_irq_line_create(f->vm, MVM_IRQ_IRQFD, TEST_IRQ,
					     NULL, &line),
			 0);
	assert_true(mvm_irq_eventfd(line) >= 0);
	start_pic_guest(f);
	assert_int_equal(pthread_create(&t, NULL, pulse_later, line), 0);
	/* This thread is in KVM_RUN, the guest in HLT, when the eventfd
	 * write arrives; KVM injects and the next exit is the handler's. */
	expect_handler(f, "RI");
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_null(ret);
	assert_int_equal(mvm_irq_level(line), 0);
	mvm_irq_line_destroy(line);
}

/*
 * A level over an irqfd (KVM_IRQFD_FLAG_RESAMPLE): while the line is high
 * every EOI of the guest's handler brings the interrupt back (the
 * resampler re-asserts it); once lowered, the next EOI ends it.
 */
static void irqfd_level_line_interrupts_again_until_lowered(void **state)
{
	struct fixture *f = *state;
	struct mvm_irq_line *line;

	require_cap(f, KVM_CAP_IRQFD, "KVM_CAP_IRQFD");
	require_cap(f, KVM_CAP_IRQFD_RESAMPLE, "KVM_CAP_IRQFD_RESAMPLE");
	assert_int_equal(mvm_irq_line_create(f->vm, MVM_IRQ_IRQFD, TEST_IRQ,
					     NULL, &line),
			 0);
	start_pic_guest(f);
	assert_int_equal(mvm_irq_raise(line), 0);
	assert_int_equal(mvm_irq_level(line), 1);
	expect_handler(f, "RI");
	/* The handler's EOI: KVM drops the GSI, the resampler raises it. */
	expect_handler(f, "RII");
	expect_handler(f, "RIII");
	assert_int_equal(mvm_irq_lower(line), 0);
	/* This EOI is the last one: the line stays low. */
	expect_quiet(f);
	assert_string_equal(f->out, "RIII");
	assert_int_equal(mvm_irq_raise(line), 0);
	expect_handler(f, "RIIII");
	mvm_irq_line_destroy(line);
}

static void irqfd_line_without_irqchip_is_refused(void **state)
{
	struct fixture *f = *state;
	struct mvm_irq_line *line = (struct mvm_irq_line *)&line;

	assert_true(mvm_irq_line_create(f->vm, MVM_IRQ_IRQFD, TEST_IRQ, NULL,
					&line) < 0);
	assert_null(line);
	assert_non_null(strstr(f->log, "error: KVM_IRQFD"));
}

/* --- GSI routing and MSI ------------------------------------------------ */

static void gsi_routing_accepts_a_table_and_rejects_bad_entries(void **state)
{
	struct fixture *f = *state;
	struct kvm_irq_routing_entry good[3] = {
		{.gsi = TEST_IRQ,
		 .type = KVM_IRQ_ROUTING_IRQCHIP,
		 .u.irqchip = {.irqchip = KVM_IRQCHIP_PIC_MASTER,
			       .pin = TEST_IRQ}},
		{.gsi = TEST_IRQ,
		 .type = KVM_IRQ_ROUTING_IRQCHIP,
		 .u.irqchip = {.irqchip = KVM_IRQCHIP_IOAPIC, .pin = TEST_IRQ}},
		{.gsi = 24,
		 .type = KVM_IRQ_ROUTING_MSI,
		 .u.msi = {.address_lo = (uint32_t)MSI_ADDR, .data = MSI_VEC}},
	};
	struct kvm_irq_routing_entry bad_type = {.gsi = 25, .type = 0x77};
	struct kvm_irq_routing_entry bad_pin = {
		.gsi = 26,
		.type = KVM_IRQ_ROUTING_IRQCHIP,
		.u.irqchip = {.irqchip = KVM_IRQCHIP_PIC_MASTER, .pin = 9},
	};

	require_cap(f, KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING");
	assert_int_equal(mvm_vm_set_gsi_routing(f->vm, good, 3), 0);
	assert_int_equal(mvm_vm_set_gsi_routing(f->vm, &bad_type, 1), -EINVAL);
	/* A PIC has eight inputs (8259A datasheet). */
	assert_int_equal(mvm_vm_set_gsi_routing(f->vm, &bad_pin, 1), -EINVAL);
	assert_non_null(strstr(f->log, "error: KVM_SET_GSI_ROUTING"));
	assert_int_equal(mvm_vm_set_gsi_routing(f->vm, NULL, 1), -EINVAL);
}

static void gsi_routing_table_still_delivers_irq_line(void **state)
{
	struct fixture *f = *state;
	struct kvm_irq_routing_entry pic_only = {
		.gsi = TEST_IRQ,
		.type = KVM_IRQ_ROUTING_IRQCHIP,
		.u.irqchip = {.irqchip = KVM_IRQCHIP_PIC_MASTER,
			      .pin = TEST_IRQ},
	};
	struct mvm_irq_line *line;

	/* The table replaces KVM's default one: GSI 5 now only reaches
	 * the master PIC's IR5, which is enough for the guest. */
	require_cap(f, KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING");
	assert_int_equal(mvm_vm_set_gsi_routing(f->vm, &pic_only, 1), 0);
	assert_int_equal(mvm_irq_line_create(f->vm, MVM_IRQ_KERNEL, TEST_IRQ,
					     NULL, &line),
			 0);
	start_pic_guest(f);
	assert_int_equal(mvm_irq_pulse(line), 0);
	expect_handler(f, "RI");
	mvm_irq_line_destroy(line);
}

/*
 * The MSI guest: DS base is the local APIC (MVM_LAPIC_ADDR), so [0xf0]
 * is the Spurious Interrupt Vector register and [0xb0] the EOI register
 * (Intel SDM Vol. 3, 11.4.1, Table 11-1); ES (base 0) reaches the IVT.
 * SVR = 0x1ff software-enables the APIC (bit 8; 11.9). The handler for
 * vector 0x40 prints "M" and writes the EOI.
 */
static const uint8_t msi_guest[] = {
	0xfa,				    /* cli */
	0x26, 0xc7, 0x06, 0x00, 0x01, 0x20, /* mov word es:[0x40*4], */
	0x7c,				    /*   handler (0x7c20) */
	0x26, 0xc7, 0x06, 0x02, 0x01, 0x00, /* mov word es:[0x40*4+2], */
	0x00,				    /*   0 */
	0x66, 0xc7, 0x06, 0xf0, 0x00, 0xff, /* mov dword [0xf0], 0x1ff */
	0x01, 0x00, 0x00,		    /*   (SVR) */
	0xb0, 0x52, 0xe6, 0xe9,		    /* mov al, 'R'; out 0xe9, al */
	0xfb,				    /* 0x7c1c idle: sti */
	0xf4,				    /* hlt */
	0xeb, 0xfc,			    /* jmp idle */
	0x50,				    /* 0x7c20 handler: push ax */
	0xb0, 0x4d, 0xe6, 0xe9,		    /* mov al, 'M'; out 0xe9, al */
	0x66, 0xc7, 0x06, 0xb0, 0x00, 0x00, /* mov dword [0xb0], 0 */
	0x00, 0x00, 0x00,		    /*   (EOI) */
	0x58,				    /* pop ax */
	0xcf,				    /* iret */
};

static void signal_msi_reaches_the_guest_lapic(void **state)
{
	struct fixture *f = *state;
	struct mvm_exit e;

	require_cap(f, KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI");
	fixture_real_code(f, msi_guest, sizeof(msi_guest), MVM_LAPIC_ADDR);
	assert_int_equal(fixture_run_once(f, RUN_MS, &e), 0);
	assert_string_equal(f->out, "R");
	/* Fixed delivery (data bits 10-8 = 0), edge, vector 0x40. */
	assert_int_equal(mvm_vm_signal_msi(f->vm, MSI_ADDR, MSI_VEC), 0);
	assert_int_equal(fixture_run_once(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_IO);
	assert_int_equal(e.u.io.data[0], 'M');
	assert_string_equal(f->out, "RM");
}

static void signal_msi_rejects_an_address_outside_the_window(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(mvm_vm_signal_msi(f->vm, 0xfed00000ULL, MSI_VEC),
			 -EINVAL);
	assert_non_null(strstr(f->log, "outside the MSI window"));
}

static void signal_msi_without_irqchip_is_refused(void **state)
{
	struct fixture *f = *state;

	/* No local APIC in the kernel to deliver to (api.rst 4.71). */
	assert_int_equal(mvm_vm_signal_msi(f->vm, MSI_ADDR, MSI_VEC), -EINVAL);
	assert_non_null(strstr(f->log, "error: KVM_SIGNAL_MSI"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define IRQCHIP(name)                                                \
	cmocka_unit_test_setup_teardown(name, fixture_setup_irqchip, \
					fixture_teardown)
#define PLAIN(name) \
	cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)
		IRQCHIP(kernel_line_raise_runs_the_guest_handler),
		PLAIN(kernel_line_without_irqchip_fails_with_a_log),
		IRQCHIP(irqfd_pulse_from_another_thread_runs_the_handler),
		IRQCHIP(irqfd_level_line_interrupts_again_until_lowered),
		PLAIN(irqfd_line_without_irqchip_is_refused),
		IRQCHIP(gsi_routing_accepts_a_table_and_rejects_bad_entries),
		IRQCHIP(gsi_routing_table_still_delivers_irq_line),
		IRQCHIP(signal_msi_reaches_the_guest_lapic),
		IRQCHIP(signal_msi_rejects_an_address_outside_the_window),
		PLAIN(signal_msi_without_irqchip_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
