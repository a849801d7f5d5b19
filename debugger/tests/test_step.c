/*
 * test_step.c - the stepping engine on real KVM guests: single-step,
 * the HLT-while-stepping quirk, hardware breakpoints that must be
 * stepped over, and the mode-change breakpoint (debugger/step.c).
 *
 * Each test writes a few bytes of real-mode code to a file and opens it
 * as a flat image (loaded at MVM_REAL_LOAD_ADDR = 0x7c00). Every run has
 * the session's per-run deadline plus an alarm() backstop.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "session.h"

static struct dbg_session s;
static char path[64];

static void quiet_log(void *ctx, enum mvm_log_level l, const char *m)
{
	(void)ctx, (void)l, (void)m;
}

static int kvm_usable(void)
{
	struct mvm_log log = {quiet_log, NULL};
	int fd = mvm_kvm_open(&log);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* Open a session on `code` in `mode` with `page_size` pages (0: the
 * default); flat images load at 0x7c00 in real mode, 0x100000 else. */
static void open_code_in(const uint8_t *code, size_t len, int mode,
			 uint64_t page_size)
{
	if (!kvm_usable()) {
		printf("SKIP: /dev/kvm missing or unusable; these tests run "
		       "real guests\n");
		skip();
	}
	snprintf(path, sizeof(path), "/tmp/mvmdbg-step-XXXXXX.bin");
	int fd = mkstemps(path, 4); /* .bin: a flat image (loader.h) */
	assert_true(fd >= 0);
	assert_int_equal(write(fd, code, len), (ssize_t)len);
	close(fd);
	dbg_session_init(&s);
	s.stable = 1;
	s.page_size = page_size;
	alarm(30);
	assert_int_equal(dbg_session_open(&s, path, mode), 0);
}

/* Open a session on `code` (real mode at 0x7c00). */
static void open_code(const uint8_t *code, size_t len)
{
	open_code_in(code, len, MVM_MODE_REAL, 0);
	assert_true(s.cur.regs.rip == 0x7c00);
}

/* mov rax, 0x40000000; jmp rax (long mode) */
static const uint8_t jump_far[] = {0x48, 0xb8, 0x00, 0x00, 0x00, 0x40,
				   0x00, 0x00, 0x00, 0x00, 0xff, 0xe0};

/* With 4 KiB pages only RAM and the MMIO window are mapped: the jump
 * lands on an unmapped page, the #PF has no handler, the CPU shuts down.
 * The result pane names the page walk's verdict, not only the list. */
static void triple_fault_explains_the_unmapped_rip_page(void **state)
{
	(void)state;
	open_code_in(jump_far, sizeof(jump_far), MVM_MODE_LONG64, 4096);
	assert_int_equal(dbg_exec(&s, "nexit"), 0);
	assert_int_equal(s.last.reason, KVM_EXIT_SHUTDOWN);
	assert_int_equal(s.focus, DBG_P_RESULT);
	assert_true(dbg_text_find(&s.result,
				  "RIP 0x40000000 is on an unmapped page") >=
		    0);
	assert_true(dbg_text_find(&s.result, "PDPTE 1 at") >= 0);
	assert_true(dbg_text_find(&s.result, "not present") >= 0);
}

/* With 2 MiB pages the same address is mapped but has no memory slot:
 * the fetch fails in KVM's emulator, and the text says RIP is not in
 * RAM instead of only blaming SSE or x87. */
static void emulation_failure_says_rip_is_not_in_ram(void **state)
{
	(void)state;
	open_code_in(jump_far, sizeof(jump_far), MVM_MODE_LONG64, 2ULL << 20);
	assert_int_equal(dbg_exec(&s, "nexit"), 0);
	if (s.last.reason != KVM_EXIT_INTERNAL_ERROR)
		skip(); /* hardware that reports this another way */
	assert_true(dbg_text_find(&s.result, "RIP is not in RAM: 0x40000000") >=
		    0);
}

static int teardown(void **state)
{
	(void)state;
	alarm(0);
	dbg_session_close(&s);
	unlink(path);
	return 0;
}

static void stepi_moves_rip_one_instruction(void **state)
{
	(void)state;
	const uint8_t code[] = {0x90, 0xb0, 0x41, 0xf4}; /* nop; mov al,'A' */
	open_code(code, sizeof(code));
	assert_int_equal(dbg_exec(&s, "stepi"), 0);
	assert_true(s.cur.regs.rip == 0x7c01);
	assert_int_equal(s.last.reason, KVM_EXIT_DEBUG);
	assert_int_equal(dbg_exec(&s, "stepi"), 0);
	assert_true(s.cur.regs.rip == 0x7c03);
	assert_true((s.cur.regs.rax & 0xff) == 'A');
	assert_true(s.have_prev && s.prev.regs.rip == 0x7c01);
}

static void stepi_onto_hlt_reports_the_halt_instead_of_skipping_it(void **state)
{
	(void)state;
	const uint8_t code[] = {0x90, 0xf4, 0x90, 0xf4}; /* nop; hlt */
	open_code(code, sizeof(code));
	assert_int_equal(dbg_exec(&s, "stepi 5"), 0);
	/* Stopped at the first HLT: not stepped over like a NOP. */
	assert_int_equal(s.last.reason, KVM_EXIT_HLT);
	assert_true(s.cur.regs.rip == 0x7c02); /* after HLT, as KVM leaves it */
	/* Where KVM would step over it, the debugger found it itself. */
	/* Where KVM would step over it, the debugger found it itself and
	 * says so: a synthesized event D2 (after the #DB D1), not a guest
	 * exit. */
	if (mvm_vm_backend(s.vm)->quirks & MVM_QUIRK_STEP_SKIPS_HLT) {
		assert_non_null(strstr(s.status, "event D2 HLT, synthesized"));
		assert_true(s.last_event);
		assert_int_equal(s.events.synth[2], 1);
		assert_true(s.exits.seq == 0);
	}
	assert_true(s.halted);
	/* Running again resumes after the HLT and meets the next one: the
	 * guest's own exit #1. */
	assert_int_equal(dbg_exec(&s, "nexit"), 0);
	assert_int_equal(s.last.reason, KVM_EXIT_HLT);
	assert_true(s.cur.regs.rip == 0x7c04);
	assert_false(s.last_event);
	assert_true(s.exits.seq == 1 && s.last.seq == 1);
}

/* Single steps are the debugger's events, not the guest's exits: they
 * have their own numbers and counters, and the exit log hides them
 * until `exits all`. */
static void single_steps_are_counted_apart_from_guest_exits(void **state)
{
	(void)state;
	/* nop; nop; out 0xe9, al; hlt */
	const uint8_t code[] = {0x90, 0x90, 0xe6, 0xe9, 0xf4};
	open_code(code, sizeof(code));
	assert_int_equal(dbg_exec(&s, "stepi 2"), 0);
	assert_true(s.events.tr.seq == 2 && s.exits.seq == 0);
	assert_non_null(
		strstr(s.status, "(mvmdbg's, not a guest exit): DEBUG"));
	assert_int_equal(dbg_exec(&s, "nexit"), 0); /* the OUT */
	assert_true(s.exits.seq == 1 && s.last.seq == 1);
	assert_non_null(strstr(s.status, "exit #1 at 0000:7c0"));
	assert_non_null(strstr(s.status, " IO out port"));
	assert_int_equal(dbg_exec(&s, "exits"), 0);
	assert_true(dbg_text_find(&s.result, "#1     IO") >= 0);
	assert_true(dbg_text_find(&s.result, "D1 ") < 0);
	assert_true(dbg_text_find(&s.result, "`exits all`") >= 0);
	assert_int_equal(dbg_exec(&s, "exits all"), 0);
	int d1 = dbg_text_find(&s.result, "D1     DEBUG");
	int d2 = dbg_text_find(&s.result, "D2     DEBUG");
	int x1 = dbg_text_find(&s.result, "#1     IO");
	assert_true(d1 >= 0 && d1 < d2 && d2 < x1); /* in the order they came */
	assert_true(dbg_text_find(&s.result,
				  "+ 2 debugger events, not guest exits") >= 0);
	assert_int_equal(dbg_exec(&s, "exits guest"), 0);
	assert_true(dbg_text_find(&s.result, "D1 ") < 0);
	assert_true(dbg_exec(&s, "exits some") < 0);
}

static void step_runs_to_the_next_exit(void **state)
{
	(void)state;
	/* mov al,'A'; out 0xe9,al; mov al,'B'; out 0xe9,al; hlt */
	const uint8_t code[] = {0xb0, 0x41, 0xe6, 0xe9, 0xb0,
				0x42, 0xe6, 0xe9, 0xf4};
	open_code(code, sizeof(code));
	assert_int_equal(dbg_exec(&s, "nexit"), 0);
	assert_int_equal(s.last.reason, KVM_EXIT_IO);
	assert_int_equal(s.last.u.io.port, 0xe9);
	assert_int_equal(s.last.u.io.data[0], 'A');
	assert_int_equal(dbg_exec(&s, "nexit 2"), 0);
	assert_int_equal(s.last.reason, KVM_EXIT_HLT);
	assert_int_equal(s.out_len, 2);
	assert_memory_equal(s.out, "AB", 2);
	assert_int_equal(mvm_trace_count(&s.exits, KVM_EXIT_IO), 2);
}

static void hw_breakpoint_stops_once_and_is_stepped_over(void **state)
{
	(void)state;
	/* nop; nop; mov al,'A'; out 0xe9,al; hlt */
	const uint8_t code[] = {0x90, 0x90, 0xb0, 0x41, 0xe6, 0xe9, 0xf4};
	open_code(code, sizeof(code));
	assert_int_equal(dbg_exec(&s, "break rip 0x7c02"), 0);
	assert_int_equal(dbg_exec(&s, "cont"), 0);
	assert_int_equal(s.last.reason, KVM_EXIT_DEBUG);
	assert_true(s.cur.regs.rip == 0x7c02);
	assert_non_null(strstr(s.status, "breakpoint 1"));
	/* A HW breakpoint re-fires until stepped over: cont must move on. */
	assert_int_equal(dbg_exec(&s, "cont"), 0);
	assert_int_equal(s.last.reason, KVM_EXIT_HLT);
	assert_int_equal(s.bps.bp[0].hits, 1);
	assert_int_equal(s.out_len, 1);
}

static void stepi_n_stops_early_at_a_rip_breakpoint(void **state)
{
	(void)state;
	const uint8_t code[] = {0x90, 0x90, 0x90, 0x90, 0xf4}; /* 4 nops */
	open_code(code, sizeof(code));
	assert_int_equal(dbg_exec(&s, "break 0x7c02"), 0);
	assert_int_equal(dbg_exec(&s, "stepi 4"), 0);
	assert_true(s.cur.regs.rip == 0x7c02);
	assert_non_null(strstr(s.status, "breakpoint 1: rip 0x7c02"));
	assert_int_equal(s.bps.bp[0].hits, 1);
}

static void exit_and_io_breakpoints_stop_cont(void **state)
{
	(void)state;
	/* out 0x80,al; out 0xe9,al; hlt */
	const uint8_t code[] = {0xe6, 0x80, 0xe6, 0xe9, 0xf4};
	open_code(code, sizeof(code));
	assert_int_equal(dbg_exec(&s, "break io 0xe9"), 0);
	assert_int_equal(dbg_exec(&s, "cont"), 0);
	assert_int_equal(s.last.u.io.port, 0xe9); /* not 0x80 */
	assert_non_null(strstr(s.status, "io 0xe9-0xe9"));
	assert_int_equal(dbg_exec(&s, "break exit hlt"), 0);
	assert_int_equal(dbg_exec(&s, "cont"), 0);
	assert_int_equal(s.last.reason, KVM_EXIT_HLT);
	assert_true(s.halted);
}

static void mode_breakpoint_stops_when_cr0_pe_is_set(void **state)
{
	(void)state;
	/* mov eax,cr0; or al,1; mov cr0,eax; nop; hlt */
	const uint8_t code[] = {0x0f, 0x20, 0xc0, 0x0c, 0x01,
				0x0f, 0x22, 0xc0, 0x90, 0xf4};
	open_code(code, sizeof(code));
	assert_int_equal(dbg_exec(&s, "break mode"), 0);
	assert_int_equal(dbg_exec(&s, "cont"), 0);
	assert_true(s.cur.sregs.cr0 & MVM_CR0_PE);
	assert_true(s.cur.regs.rip == 0x7c08); /* right after mov cr0 */
	assert_non_null(strstr(s.status, "mode change"));
	assert_non_null(strstr(s.status, "protected"));
}

static void set_register_changes_the_guest(void **state)
{
	(void)state;
	const uint8_t code[] = {0xe6, 0xe9, 0xf4}; /* out 0xe9,al; hlt */
	open_code(code, sizeof(code));
	assert_int_equal(dbg_exec(&s, "set rax 0x5a"), 0);
	assert_int_equal(dbg_exec(&s, "nexit"), 0);
	assert_int_equal(s.last.u.io.data[0], 0x5a);
	assert_true(dbg_exec(&s, "set cs 1") < 0);
	assert_non_null(strstr(s.status, "cannot be set"));
}

static void bad_addresses_are_errors_not_crashes(void **state)
{
	(void)state;
	const uint8_t code[] = {0xf4};
	open_code(code, sizeof(code));
	assert_int_equal(dbg_exec(&s, "xp/16xb 0xbff00000"), -EFAULT);
	assert_non_null(strstr(s.status, "not guest RAM"));
	assert_int_equal(dbg_exec(&s, "x/4xg 0xffffffffffff0000"), -EFAULT);
	assert_int_equal(dbg_exec(&s, "pt 0x1234"), 0);
	assert_true(dbg_text_find(&s.result, "real mode") >= 0);
	assert_int_equal(dbg_exec(&s, "x/2i 0x7c00"), 0);
	assert_true(dbg_text_find(&s.result, "hlt") >= 0);
}

/* call 0x7c06; hlt; nop; nop; 0x7c06: mov al, 'A'; out 0xe9, al; ret */
static const uint8_t call_fn[] = {0xe8, 0x03, 0x00, 0xf4, 0x90, 0x90,
				  0xb0, 0x41, 0xe6, 0xe9, 0xc3};

/* gdb's `next`: the CALL runs to its return (the OUT inside it is a
 * guest exit like any other) and the temporary breakpoint is gone. */
static void next_steps_over_a_call(void **state)
{
	(void)state;
	open_code(call_fn, sizeof(call_fn));
	assert_int_equal(dbg_exec(&s, "next"), 0);
	assert_true(s.cur.regs.rip == 0x7c03);
	assert_non_null(strstr(s.status, "next: over the call"));
	assert_int_equal((int)s.exits.seq, 1); /* the OUT */
	assert_int_equal(s.bps.n, 0);
	assert_int_equal(s.bps.next_id, 1);
	/* `step` is one instruction, into the call. */
	assert_int_equal(dbg_exec(&s, "restart"), 0);
	assert_int_equal(dbg_exec(&s, "step"), 0);
	assert_true(s.cur.regs.rip == 0x7c06);
	assert_int_equal(dbg_exec(&s, "p/x sp"), 0);
	assert_non_null(strstr(s.status, "sp = 0xeffe")); /* the return IP */
}

/* Ring-3 debug exits go to the guest on NO_RING3_DEBUG backends: the
 * step is refused at once with the reason. Entering ring 3 needs a
 * TSS, GDT and IRET; the check reads the session's CPL, so the test
 * gives the session a CPL-3 CS (the vCPU is not changed). */
static void stepi_at_cpl3_says_why_instead_of_hanging(void **state)
{
	(void)state;
	const uint8_t code[] = {0x90, 0xf4};
	open_code_in(code, sizeof(code), MVM_MODE_PROT32, 0);
	if (!(mvm_vm_backend(s.vm)->quirks & MVM_QUIRK_NO_RING3_DEBUG)) {
		printf("SKIP: this backend single-steps ring-3 code\n");
		skip();
	}
	s.cur.sregs.cs.selector |= 3;
	assert_int_equal(dbg_exec(&s, "stepi"), -EPERM);
	assert_non_null(strstr(s.status, "cannot single-step ring-3 code"));
}

/* `watch` answers from the quirks, never "unknown command": where
 * watchpoints never fire it names what to use instead; elsewhere it
 * sets one (test_watch.c runs it). */
static void watch_names_what_to_use_instead(void **state)
{
	(void)state;
	const uint8_t code[] = {0xf4};
	open_code(code, sizeof(code));
	if (!(mvm_vm_backend(s.vm)->quirks & MVM_QUIRK_NO_WATCHPOINTS)) {
		assert_int_equal(dbg_exec(&s, "watch 0x7c00"), 0);
		assert_non_null(strstr(s.status, "watchpoint 1"));
		return;
	}
	assert_int_equal(dbg_exec(&s, "watch 0x7c00"), -ENOTSUP);
	assert_non_null(strstr(s.status, "use `break exit mmio`"));
	assert_non_null(strstr(s.status, "not offered on this backend"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_teardown(fn, teardown)
	const struct CMUnitTest tests[] = {
		T(stepi_moves_rip_one_instruction),
		T(stepi_onto_hlt_reports_the_halt_instead_of_skipping_it),
		T(single_steps_are_counted_apart_from_guest_exits),
		T(step_runs_to_the_next_exit),
		T(hw_breakpoint_stops_once_and_is_stepped_over),
		T(stepi_n_stops_early_at_a_rip_breakpoint),
		T(exit_and_io_breakpoints_stop_cont),
		T(mode_breakpoint_stops_when_cr0_pe_is_set),
		T(set_register_changes_the_guest),
		T(bad_addresses_are_errors_not_crashes),
		T(next_steps_over_a_call),
		T(stepi_at_cpl3_says_why_instead_of_hanging),
		T(watch_names_what_to_use_instead),
		T(triple_fault_explains_the_unmapped_rip_page),
		T(emulation_failure_says_rip_is_not_in_ram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
