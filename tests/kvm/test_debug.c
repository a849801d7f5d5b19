/*
 * test_debug.c - debugging a guest through the run step: single-step,
 * hardware breakpoints, exception injection and the int3 / int n fix-up
 * (real mode through the IVT, long mode through an IDT).
 *
 * Each guest is a few bytes of hand-assembled code, with the instructions
 * spelled out next to their bytes; real-mode guests load at
 * MVM_REAL_LOAD_ADDR (0x7c00).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "fixture.h"

#define ENTRY  MVM_REAL_LOAD_ADDR
#define RUN_MS 5000 /* generous: real-mode code is emulated here */

static void single_step_reports_each_instruction(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0x90,	    /* nop */
		0xb0, 0x01, /* mov al, 1 */
		0x90,	    /* nop */
		0xf4,	    /* hlt */
	};
	static const uint64_t want[] = {ENTRY + 1, ENTRY + 3, ENTRY + 4};
	struct mvm_exit e;

	fixture_real_code(f, code, sizeof(code), 0);
	assert_int_equal(mvm_vcpu_set_debug(f->vcpu, 1, NULL, 0), 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
		assert_int_equal(e.reason, KVM_EXIT_DEBUG);
		assert_int_equal(e.u.debug.exception, 1);
		assert_int_equal(e.u.debug.pc, want[i]);
	}
	assert_int_equal(mvm_vcpu_set_debug(f->vcpu, 0, NULL, 0), 0);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
}

static void hw_breakpoint_fires_at_its_address(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {0x90, 0x90, 0x90, 0x90, 0xf4};
	const uint64_t bp = ENTRY + 3;
	struct mvm_exit e;

	fixture_real_code(f, code, sizeof(code), 0);
	assert_int_equal(mvm_vcpu_set_debug(f->vcpu, 0, &bp, 1), 0);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_DEBUG);
	assert_int_equal(e.u.debug.exception, 1);
	assert_int_equal(e.u.debug.pc, bp);
	assert_true(e.u.debug.dr6 & 1); /* B0: breakpoint 0 matched */
}

static void more_than_four_breakpoints_is_e2big(void **state)
{
	struct fixture *f = *state;
	const uint64_t bp[5] = {1, 2, 3, 4, 5};

	assert_int_equal(mvm_vcpu_set_debug(f->vcpu, 0, bp, 5), -E2BIG);
	assert_non_null(strstr(f->log, "DR0-DR3"));
}

/* The host injects #UD (vector 6) before the first instruction: the
 * guest's IVT handler runs, then returns to the skipped-to instruction. */
static void injected_exception_runs_the_guest_handler(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0xb0, 'X',  /* mov al, 'X'  (skipped by the injection) */
		0xb0, 'M',  /* mov al, 'M' */
		0xe6, 0xe9, /* out MVM_PORT_DEBUGCON, al */
		0xf4,	    /* hlt */
	};
	static const uint8_t ud_handler[] = {
		0xb0, 'U', 0xe6, 0xe9, 0xcf, /* mov al,'U'; out 0xe9,al; iret */
	};
	const uint16_t ivt6[2] = {0x7c40, 0};
	struct mvm_exit e;

	fixture_real_code(f, code, sizeof(code), 0);
	assert_int_equal(mvm_vm_write(f->vm, 0x7c40, ud_handler, 5), 0);
	assert_int_equal(mvm_vm_write(f->vm, 6 * 4, ivt6, 4), 0);
	assert_int_equal(mvm_vcpu_inject_exception(f->vcpu, 6, 0, 0, 2), 0);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_string_equal(f->out, "UM");
	/* An interrupt vector (>= 32) has no error code. */
	assert_int_equal(mvm_vcpu_inject_exception(f->vcpu, 0x40, 1, 0, 0),
			 -EINVAL);
	assert_int_equal(mvm_vcpu_inject_exception(f->vcpu, 256, 0, 0, 0),
			 -EINVAL);
}

/* Real mode: KVM's emulator delivers int3 / int n through the IVT itself
 * (no fix-up needed); the handlers print 'B' and 'S'. */
static void int3_and_int_n_reach_real_mode_ivt_handlers(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0xcc,	    /* int3 */
		0xb0, 'K',  /* mov al, 'K' */
		0xe6, 0xe9, /* out MVM_PORT_DEBUGCON, al */
		0xcd, 0x30, /* int 0x30 */
		0xf4,	    /* hlt */
	};
	static const uint8_t bp_handler[] = {
		0xb0, 'B', 0xe6, 0xe9, 0xcf, /* mov al,'B'; out 0xe9,al; iret */
	};
	static const uint8_t int30_handler[] = {
		0xb0, 'S', 0xe6, 0xe9, 0xcf, /* mov al,'S'; out 0xe9,al; iret */
	};
	const uint16_t ivt3[2] = {0x7c40, 0}, ivt30[2] = {0x7c60, 0};
	struct mvm_exit e;

	fixture_real_code(f, code, sizeof(code), 0);
	assert_int_equal(mvm_vm_write(f->vm, 0x7c40, bp_handler, 5), 0);
	assert_int_equal(mvm_vm_write(f->vm, 0x7c60, int30_handler, 5), 0);
	/* Real-mode IVT: vector n at 4 * n, offset then segment. */
	assert_int_equal(mvm_vm_write(f->vm, 3 * 4, ivt3, 4), 0);
	assert_int_equal(mvm_vm_write(f->vm, 0x30 * 4, ivt30, 4), 0);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_string_equal(f->out, "BKS");
}

/* A 64-bit interrupt gate (Intel SDM Vol. 3A 6.14.1): present, DPL 0,
 * type 0xE, handler at `off` in code segment `sel`. */
static void set_gate64(uint8_t *idt, unsigned vec, uint64_t off, uint16_t sel)
{
	uint8_t *g = idt + vec * 16;

	memset(g, 0, 16);
	g[0] = (uint8_t)off;
	g[1] = (uint8_t)(off >> 8);
	g[2] = (uint8_t)sel;
	g[3] = (uint8_t)(sel >> 8);
	g[5] = 0x8e;
	g[6] = (uint8_t)(off >> 16);
	g[7] = (uint8_t)(off >> 24);
	for (int i = 0; i < 4; i++)
		g[8 + i] = (uint8_t)(off >> (32 + 8 * i));
}

/* Long mode at MVM_LOAD_ADDR running `code`, with an IDT whose vectors 3
 * and 0x80 point at handlers printing 'B' and 'S' (then iretq). */
static void long_mode_with_idt(struct fixture *f, const uint8_t *code,
			       size_t len)
{
	static const uint8_t handler_b[] = {
		0xb0, 'B', 0xe6, 0xe9, 0x48, 0xcf, /* mov al,'B'; out; iretq */
	};
	static const uint8_t handler_s[] = {
		0xb0, 'S', 0xe6, 0xe9, 0x48, 0xcf, /* mov al,'S'; out; iretq */
	};
	static uint8_t idt[256 * 16];
	struct kvm_sregs sregs;

	fixture_load_code(f, MVM_MODE_LONG64, MVM_LOAD_ADDR, code, len);
	assert_int_equal(mvm_vcpu_get_sregs(f->vcpu, &sregs), 0);
	assert_int_equal(mvm_vm_write(f->vm, MVM_LOAD_ADDR + 0x40, handler_b,
				      sizeof(handler_b)),
			 0);
	assert_int_equal(mvm_vm_write(f->vm, MVM_LOAD_ADDR + 0x60, handler_s,
				      sizeof(handler_s)),
			 0);
	set_gate64(idt, 3, MVM_LOAD_ADDR + 0x40, sregs.cs.selector);
	set_gate64(idt, 0x80, MVM_LOAD_ADDR + 0x60, sregs.cs.selector);
	assert_int_equal(mvm_vm_write(f->vm, MVM_IDT_ADDR, idt, sizeof(idt)),
			 0);
	sregs.idt.base = MVM_IDT_ADDR;
	sregs.idt.limit = sizeof(idt) - 1;
	assert_int_equal(mvm_vcpu_set_sregs(f->vcpu, &sregs), 0);
}

/* In long mode a backend with MVM_QUIRK_SOFT_INT_EMULATION cannot
 * emulate int3 / int n; the fix-up makes the guest's IDT handlers run
 * anyway. (On hardware KVM the same test passes without any fix-up.) */
static void int3_and_int_n_reach_long_mode_idt_handlers(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0xcc,	    /* int3 */
		0xb0, 'K',  /* mov al, 'K' */
		0xe6, 0xe9, /* out MVM_PORT_DEBUGCON, al */
		0xcd, 0x80, /* int 0x80 */
		0xf4,	    /* hlt */
	};
	struct mvm_exit e;

	long_mode_with_idt(f, code, sizeof(code));
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_string_equal(f->out, "BKS");
}

/* When the fix-up happens, the exit is returned handled, not stopping,
 * and (tracing on) records the RIP after the skipped int3. */
static void int3_fixup_exit_is_handled_with_rip_after_the_int3(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {0xcc, 0xf4}; /* int3; hlt */
	struct mvm_exit e;

	if (!(mvm_vm_backend(f->vm)->quirks & MVM_QUIRK_SOFT_INT_EMULATION)) {
		print_message("skip: KVM backend %s runs int3 itself: no "
			      "fix-up needed\n",
			      mvm_vm_backend(f->vm)->name);
		skip();
	}
	mvm_trace_enable(mvm_vcpu_trace(f->vcpu), 1);
	long_mode_with_idt(f, code, sizeof(code));
	assert_int_equal(fixture_run_once(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_INTERNAL_ERROR);
	assert_true(e.handled);
	assert_false(e.stop);
	assert_int_equal(e.rip, MVM_LOAD_ADDR + 1);
	assert_non_null(strstr(f->log, "debug: int3 not emulated"));
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_string_equal(f->out, "B");
}

/* `int n` is a software interrupt whatever n is, even a vector the CPU
 * uses for exceptions with an error code (Intel SDM Vol. 2A, INT n: no
 * error code is pushed). A fix-up that injected it as exception 13 would
 * make VM entry fail (SDM Vol. 3C 27.2.1.3: vectors 8, 10-14 and 17 need
 * an error code) or skip the gate's DPL check. */
static void int_n_of_an_error_code_vector_is_a_software_interrupt(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0xcd, 0x0d, /* int 0x0d */
		0xb0, 'K',  /* mov al, 'K' */
		0xe6, 0xe9, /* out MVM_PORT_DEBUGCON, al */
		0xf4,	    /* hlt */
	};
	static const uint8_t handler[] = {
		0xb0, 'G', 0xe6, 0xe9, 0x48, 0xcf, /* mov al,'G'; out; iretq */
	};
	static uint8_t idt[256 * 16];
	struct kvm_sregs sregs;
	struct mvm_exit e;

	long_mode_with_idt(f, code, sizeof(code));
	assert_int_equal(mvm_vcpu_get_sregs(f->vcpu, &sregs), 0);
	assert_int_equal(mvm_vm_read(f->vm, MVM_IDT_ADDR, idt, sizeof(idt)), 0);
	assert_int_equal(mvm_vm_write(f->vm, MVM_LOAD_ADDR + 0x80, handler,
				      sizeof(handler)),
			 0);
	set_gate64(idt, 13, MVM_LOAD_ADDR + 0x80, sregs.cs.selector);
	assert_int_equal(mvm_vm_write(f->vm, MVM_IDT_ADDR, idt, sizeof(idt)),
			 0);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_string_equal(f->out, "GK");
}

#define T(name) \
	cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(single_step_reports_each_instruction),
		T(hw_breakpoint_fires_at_its_address),
		T(more_than_four_breakpoints_is_e2big),
		T(injected_exception_runs_the_guest_handler),
		T(int3_and_int_n_reach_real_mode_ivt_handlers),
		T(int3_and_int_n_reach_long_mode_idt_handlers),
		T(int_n_of_an_error_code_vector_is_a_software_interrupt),
		T(int3_fixup_exit_is_handled_with_rip_after_the_int3),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
