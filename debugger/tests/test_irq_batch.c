/*
 * test_irq_batch.c - mvmdbg --batch on Lab 3's and Lab 4's machines:
 * the interrupt pane on each controller, `break irq` stopping where the
 * user-space 8259A injects (and refusing, with the reason, where KVM
 * injects), the virtqueue pane on the virtio demo (a golden
 * transcript), and the machine options' errors.
 *
 * Every run is mvmdbg under timeout(1) with an alarm (batch_run.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch_run.h"

/* The tick guest on the user-space 8259A: `break irq` stops after the
 * pre-entry hook's KVM_INTERRUPT, naming IRQ 0 and vector 0x20 (ICW2
 * 0x20); KVM holds the vector as injected; the exit log shows the
 * debugger's kick; and the next injection stops again. */
static void break_irq_stops_after_each_user_pic_injection(void **state)
{
	(void)state;
	static const char *const p[] = {
		"breakpoint 1: irq (the VMM injects an interrupt), hit 0 times",
		"breakpoint 1: irq: IRQ 0 injected as vector 0x20, handler 0x",
		"events: interrupt injected vector 0x20 -> 0x",
		"controller: user-space 8259A pair",
		"  00000001  11111110  0x20  edge",
		"slave    00000000  00000000  11111111  0x28  edge",
		"IRQ 0:  vector 0x20, handler 0x",
		"injected 1  windows ",
		"INTR      rip ",
		"kick by mvmdbg: IRQ 0 vector 0x20 injected",
		"IO ucall SYNC 1",
		"irq: IRQ 0 injected as vector 0x20, handler 0x",
		", hit 2 times",
		NULL};
	check_guest_flags("ticks.elf", "--irqchip user",
			  "break irq\ncont\nirq\nexits\ncont\ncont\n", p);
}

/* Stepping into the handler the debugger stopped on: KVM steps with
 * RFLAGS.TF, which the delivery pushed into the handler's frame; unless
 * mvmdbg clears that copy (stepframe.c), the handler's IRET brings a #DB
 * the guest never asked for and its runtime reports an unexpected
 * exception. The guest must go on to its next SYNC instead. */
static void stepping_into_a_handler_leaves_no_stray_trap(void **state)
{
	(void)state;
	static const char *const p[] = {
		"irq: IRQ 0 injected as vector 0x20, handler 0x",
		"(single-step)", "IO ucall SYNC 1", NULL};
	check_guest_flags("ticks.elf", "--irqchip user",
			  "break irq\ncont\nstepi 3\ndelete 1\ncont\n", p);
	assert_null(strstr(out, "unexpected exception"));
}

/* KVM's chip: the I/O APIC entry the guest programmed (pin 0, vector
 * 0x30) with its handler, the LAPIC; `break irq` says why not and what
 * to do instead, with and without irqfd. */
static void kernel_chip_pane_and_break_irq_refusal(void **state)
{
	(void)state;
	static const char *const p[] = {
		"error: break irq: not on this machine: KVM's in-kernel chip "
		"injects inside KVM_RUN, with no exit to mvmdbg; break on the "
		"handler instead: `break ADDR` (a hardware breakpoint, gdb's "
		"hbreak)",
		"ucall SYNC 1",
		"lines by KVM_IRQ_LINE, no exits",
		"I/O APIC id 0",
		"0  0x30    fixed     edge     high      phys 0x00 -> 0x",
		"masked pins: 1-23",
		"LAPIC id 0 enabled",
		NULL};
	check_guest_flags("apic-ticks.elf", "--irqchip kernel",
			  "break irq\ncont\nirq\n", p);
	static const char *const q[] = {"KVM's in-kernel chip (with irqfd)",
					"lines by irqfd", NULL};
	check_guest_flags("apic-ticks.elf", "--irqfd", "break irq\nirq\n", q);
}

/* No controller, no virtio: each command says what would give one. */
static void plain_machine_says_which_option_gives_what(void **state)
{
	(void)state;
	static const char *const p[] = {
		"error: break irq: this machine has no interrupt controller; "
		"start mvmdbg with --irqchip user",
		"controller: none (mvmdbg --irqchip user|kernel",
		"no virtio devices: start mvmdbg with --disk FILE or --virtio "
		"mmio|pci",
		"(mvmdbg) pane irq",
		"IF 0 (RFLAGS bit 9)",
		NULL};
	check_guest_flags("hello-long.elf", "",
			  "break irq\nirq\nvirtq\npane irq\n", p);
}

/* The virtio demo at its first SYNC: the blk read request's chain, the
 * three indices, the console's transmit queue. A golden transcript: the
 * guest's driver places its rings at fixed addresses. */
static void virtq_pane_matches_golden(void **state)
{
	(void)state;
	char disk[] = "/tmp/mvmdbg-disk-XXXXXX", flags[64];
	int fd = mkstemp(disk);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	close(fd);
	snprintf(flags, sizeof(flags), "--disk %s", disk);
	golden_flags("virtio-demo", flags, "virtio-demo.elf");
	unlink(disk);
}

/* The same words as `mvm run`, the same one-line errors. */
static void bad_machine_options_get_one_line_each(void **state)
{
	(void)state;
	static const struct {
		const char *flags, *says;
	} bad[] = {
		{"--irqchip pic", "mvmdbg: bad --irqchip 'pic' (none, user or "
				  "kernel)"},
		{"--virtio usb", "mvmdbg: bad --virtio 'usb': use mmio or pci"},
		{"--irqchip user --irqfd", "--irqfd needs --irqchip kernel"},
		{"--disk /nonexistent/d.img", "cannot start"},
	};
	char image[512];
	snprintf(image, sizeof(image), "%s/hello-long.elf", MVM_GUEST_DIR);
	need_kvm_and(image);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		run_text_flags(bad[i].flags, image, "regs\n");
		if (!strstr(out, bad[i].says)) {
			fputs(out, stderr);
			fail_msg("%s: no \"%s\"", bad[i].flags, bad[i].says);
		}
		assert_null(strstr(out, "(mvmdbg) regs"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(break_irq_stops_after_each_user_pic_injection),
		cmocka_unit_test(stepping_into_a_handler_leaves_no_stray_trap),
		cmocka_unit_test(kernel_chip_pane_and_break_irq_refusal),
		cmocka_unit_test(plain_machine_says_which_option_gives_what),
		cmocka_unit_test(virtq_pane_matches_golden),
		cmocka_unit_test(bad_machine_options_get_one_line_each),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
