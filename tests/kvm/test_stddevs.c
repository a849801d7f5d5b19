/*
 * test_stddevs.c - the standard devices on a real VM: registration rules,
 * and the example ELF guests (one ELF32, one ELF64) loaded by the ELF
 * loader and finishing with a DONE ucall, and a guest driving the UART.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "fixture.h"

#define RUN_MS 20000 /* ring-0 guest code is emulated on some hosts */

static const struct mvm_bus_entry *port_entry(struct fixture *f, uint16_t p)
{
	return mvm_bus_find(mvm_vm_pio_bus(f->vm), p, 1);
}

/* A second set collides with the first: refused, and the failed attach
 * must not unregister the ports that belong to the first set. */
static void stddevs_second_attach_fails_and_keeps_the_first(void **state)
{
	struct fixture *f = *state;
	struct mvm_std_devices d2;

	assert_int_equal(mvm_std_devices_attach(f->vm, NULL, NULL, &d2),
			 -EEXIST);
	assert_null(d2.debugcon);
	assert_null(d2.ucall);
	assert_null(d2.uart);
	assert_non_null(strstr(f->log, "debugcon"));
	assert_ptr_equal(port_entry(f, MVM_PORT_DEBUGCON)->dev,
			 f->devs.debugcon);
	assert_ptr_equal(port_entry(f, MVM_PORT_UCALL)->dev, f->devs.ucall);
	assert_ptr_equal(port_entry(f, MVM_PORT_COM1 + 5)->dev, f->devs.uart);
}

/* On a machine built without devices: attach a set, detach it, and the
 * ports are free for the next set. */
static void stddevs_detach_frees_the_ports_for_reattach(void **state)
{
	struct fixture *f = *state;
	struct mvm_std_devices d;

	assert_null(port_entry(f, MVM_PORT_DEBUGCON));
	assert_int_equal(mvm_std_devices_attach(f->vm, NULL, NULL, &d), 0);
	assert_ptr_equal(port_entry(f, MVM_PORT_UCALL)->dev, d.ucall);
	mvm_std_devices_detach(f->vm, &d);
	assert_null(d.uart);
	assert_null(port_entry(f, MVM_PORT_DEBUGCON));
	assert_null(port_entry(f, MVM_PORT_UCALL));
	assert_null(port_entry(f, MVM_PORT_COM1));
	assert_int_equal(mvm_std_devices_attach(f->vm, NULL, NULL, &d), 0);
	assert_non_null(port_entry(f, MVM_PORT_COM1 + 7));
	assert_null(port_entry(f, MVM_PORT_COM1 + 8));
	mvm_std_devices_detach(f->vm, &d);
}

/* A real-mode guest uses COM1 as a driver would: write THR, poll LSR. */
static void uart_guest_writes_thr_and_reads_lsr(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0xba, 0xf8, 0x03, /* mov dx, 0x3f8   (MVM_PORT_COM1, THR) */
		0xb0, 'U',	  /* mov al, 'U' */
		0xee,		  /* out dx, al */
		0x83, 0xc2, 0x05, /* add dx, 5       (LSR) */
		0xec,		  /* in al, dx */
		0x88, 0xc3,	  /* mov bl, al */
		0xf4,		  /* hlt */
	};
	struct kvm_regs regs;
	struct mvm_exit e;

	fixture_load_code(f, MVM_MODE_REAL, MVM_REAL_LOAD_ADDR, code,
			  sizeof(code));
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_int_equal(f->out_len, 1);
	assert_int_equal(f->out[0], 'U');
	assert_int_equal(mvm_vcpu_get_regs(f->vcpu, &regs), 0);
	assert_int_equal(regs.rbx & 0xff, 0x60); /* THRE | TEMT */
}

/* Load an example guest with the ELF loader and run it to DONE. */
static void run_example(struct fixture *f, const char *name,
			enum mvm_cpu_mode mode, enum mvm_image_kind kind,
			const char *expect)
{
	struct mvm_exit e;
	struct mvm_ucall uc;

	fixture_load(f, name, mode);
	assert_int_equal(f->img.kind, kind);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	if (mvm_ucall_last(f->devs.ucall, &uc) != MVM_UCALL_DONE)
		fail_msg("%s: last ucall %s \"%s\"; output:\n%.*s", name,
			 mvm_ucall_cmd_name(uc.cmd), uc.text, (int)f->out_len,
			 f->out);
	f->out[f->out_len < sizeof(f->out) ? f->out_len : 0] = '\0';
	assert_non_null(strstr(f->out, expect));
}

static void elf32_example_guest_runs_to_done(void **state)
{
	run_example(*state, "hello-prot.elf", MVM_MODE_PROT32, MVM_IMAGE_ELF32,
		    "Hello from 32-bit protected mode");
}

static void elf64_example_guest_runs_to_done(void **state)
{
	run_example(*state, "hello-long.elf", MVM_MODE_LONG64, MVM_IMAGE_ELF64,
		    "Hello from 64-bit long mode");
}

#define T(f) cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(stddevs_second_attach_fails_and_keeps_the_first),
		cmocka_unit_test_setup_teardown(
			stddevs_detach_frees_the_ports_for_reattach,
			fixture_setup_bare, fixture_teardown),
		T(uart_guest_writes_thr_and_reads_lsr),
		T(elf32_example_guest_runs_to_done),
		T(elf64_example_guest_runs_to_done),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
