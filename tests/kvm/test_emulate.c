/*
 * test_emulate.c - the real-mode interpreter (emu.h) gives what KVM
 * gives: the same output, the same last exit, the same registers.
 *
 * Every real-mode example (examples/build.mk's GUEST_REAL_PROGRAMs:
 * hello-real.bin, loop-real.bin) runs twice, once under KVM and once
 * under the interpreter, each in its own machine from the fixture;
 * output, final exit and general registers must be equal. Hand-assembled
 * guests check what the examples do not reach: MMIO loads and stores
 * (through a DS base in the MMIO window), flags after each ALU operation
 * as PUSHF sees them, and the error for an instruction outside the
 * teaching subset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"

#define RUN_MS 20000 /* KVM interprets real mode itself on some hosts */

/* What one run left behind. */
struct outcome {
	char out[4096];
	struct mvm_exit last;
	struct kvm_regs regs;
	uint8_t scratch[256]; /* MVM_SCRATCH_ADDR, where guests store */
	uint64_t insns;	      /* interpreted instructions (emulated run) */
};

typedef void load_fn(struct fixture *f, const void *arg);

/* Build a fixture machine, load with `load`, attach the interpreter if
 * `emulate`, run to the stop and record it. */
static void run_one(load_fn *load, const void *arg, int emulate,
		    struct outcome *o)
{
	void *state = NULL;
	struct fixture *f;
	struct mvm_emu *emu = NULL;

	fixture_setup(&state);
	f = state;
	load(f, arg);
	if (emulate)
		assert_int_equal(mvm_emu_attach(f->m, 0, &emu), 0);
	memset(o, 0, sizeof(*o));
	assert_int_equal(fixture_run(f, RUN_MS, &o->last), 0);
	snprintf(o->out, sizeof(o->out), "%.*s", (int)f->out_len, f->out);
	assert_int_equal(mvm_vcpu_get_regs(f->vcpu, &o->regs), 0);
	assert_int_equal(mvm_vm_read(f->vm, MVM_SCRATCH_ADDR, o->scratch,
				     sizeof(o->scratch)),
			 0);
	if (emu) {
		o->insns = mvm_emu_insns(emu);
		if (o->last.reason == KVM_EXIT_INTERNAL_ERROR)
			snprintf(o->out, sizeof(o->out), "%s",
				 mvm_emu_error(emu));
	}
	mvm_emu_destroy(emu);
	fixture_teardown(&state);
}

static void assert_same(const struct outcome *kvm, const struct outcome *emu)
{
	assert_string_equal(emu->out, kvm->out);
	assert_int_equal(emu->last.reason, kvm->last.reason);
	assert_int_equal(emu->regs.rip, kvm->regs.rip);
	assert_int_equal(emu->regs.rax, kvm->regs.rax);
	assert_int_equal(emu->regs.rbx, kvm->regs.rbx);
	assert_int_equal(emu->regs.rcx, kvm->regs.rcx);
	assert_int_equal(emu->regs.rdx, kvm->regs.rdx);
	assert_int_equal(emu->regs.rsi, kvm->regs.rsi);
	assert_int_equal(emu->regs.rdi, kvm->regs.rdi);
	assert_int_equal(emu->regs.rsp, kvm->regs.rsp);
	assert_int_equal(emu->regs.rbp, kvm->regs.rbp);
	assert_memory_equal(emu->scratch, kvm->scratch, sizeof(kvm->scratch));
}

static void load_image(struct fixture *f, const void *name)
{
	fixture_load(f, name, MVM_MODE_REAL);
}

static void example_runs_the_same_under_kvm_and_emulated(const char *name,
							 const char *want)
{
	struct outcome kvm, emu;

	run_one(load_image, name, 0, &kvm);
	run_one(load_image, name, 1, &emu);
	assert_int_equal(kvm.last.reason, KVM_EXIT_HLT);
	assert_non_null(strstr(kvm.out, want));
	assert_same(&kvm, &emu);
	assert_true(emu.insns > 0);
}

static void hello_real_same_output_and_registers_emulated(void **state)
{
	(void)state;
	example_runs_the_same_under_kvm_and_emulated("hello-real.bin",
						     "Hello\n");
}

static void loop_real_same_output_and_registers_emulated(void **state)
{
	(void)state;
	example_runs_the_same_under_kvm_and_emulated(
		"loop-real.bin", "demo port read back 005a");
}

/* Hand-assembled code: struct code {bytes, len, ds_base}. */
struct code {
	const uint8_t *bytes;
	size_t len;
	uint64_t ds_base;
};

static void load_code(struct fixture *f, const void *arg)
{
	const struct code *c = arg;

	fixture_real_code(f, c->bytes, c->len, c->ds_base);
}

/* With DS based at the demo device: a 2-byte MMIO store, a load back
 * into BX, an ADD from MMIO into CX (a load inside an ALU instruction),
 * then HLT. */
static void mmio_loads_and_stores_match_kvm(void **state)
{
	static const uint8_t code[] = {
		0xb8, 0x34, 0x12,	/* mov ax, 0x1234 */
		0xa3, 0x00, 0x00,	/* mov [0], ax       (MMIO store) */
		0x8b, 0x1e, 0x00, 0x00, /* mov bx, [0]       (MMIO load) */
		0xb9, 0x01, 0x00,	/* mov cx, 1 */
		0x03, 0x0e, 0x00, 0x00, /* add cx, [0]       (load + ALU) */
		0xf4,			/* hlt */
	};
	struct code c = {code, sizeof(code), MVM_MMIO_DEMO_ADDR};
	struct outcome kvm, emu;

	(void)state;
	run_one(load_code, &c, 0, &kvm);
	run_one(load_code, &c, 1, &emu);
	assert_int_equal(kvm.regs.rbx & 0xffff, 0x1234);
	assert_int_equal(kvm.regs.rcx & 0xffff, 0x1235);
	assert_same(&kvm, &emu);
}

/*
 * Flags: for each operand pair, each ALU operation, then PUSHF and a
 * store of the flags' defined bits to ES:DI (DI stepping through the
 * scratch page). Loop over pairs from a table in the code itself.
 */
#define FLAG_RESULTS 9 /* flags stored per pair, in the order above */
#define SHL_RESULT   5
#define SAR_RESULT   6
#define FLAG_AF	     0x10

/* AF after a shift is undefined (SDM Vol. 2B, SAL/SAR/SHL/SHR): AMD CPUs
 * set it, the interpreter clears it. Compare only defined flags. */
static void mask_shift_af(struct outcome *o)
{
	for (int pair = 0; pair < 4; pair++) {
		o->scratch[2 * (pair * FLAG_RESULTS + SHL_RESULT)] &= ~FLAG_AF;
		o->scratch[2 * (pair * FLAG_RESULTS + SAR_RESULT)] &= ~FLAG_AF;
	}
}

static void alu_flags_match_kvm(void **state)
{
	/* The code at 0x7c00, operand pairs (a, b) at 0x7c80. */
	static const uint8_t code[] = {
		0xbe, 0x80, 0x7c, /* mov si, 0x7c80: the pairs */
		0xbf, 0x00, 0x50, /* mov di, 0x5000: results */
		0xb9, 0x04, 0x00, /* mov cx, 4 pairs */
		/* loop: */
		0xad,			      /* lodsw: ax = a */
		0x89, 0xc2,		      /* mov dx, ax */
		0xad,			      /* lodsw: ax = b */
		0x89, 0xc3,		      /* mov bx, ax */
		0x89, 0xd0,		      /* mov ax, dx */
		0x01, 0xd8,		      /* add ax, bx */
		0x9c, 0x58, 0xab,	      /* pushf; pop ax; stosw */
		0x89, 0xd0,		      /* mov ax, dx */
		0x29, 0xd8,		      /* sub ax, bx */
		0x9c, 0x58, 0xab, 0x89, 0xd0, /* mov ax, dx */
		0xf9, 0x19, 0xd8,	      /* stc; sbb ax, bx */
		0x9c, 0x58, 0xab, 0x89, 0xd0, /* mov ax, dx */
		0xf9, 0x11, 0xd8,	      /* stc; adc ax, bx */
		0x9c, 0x58, 0xab, 0x88, 0xd0, /* mov al, dl */
		0x28, 0xd8,		      /* sub al, bl (8-bit) */
		0x9c, 0x58, 0xab, 0x89, 0xd0, /* mov ax, dx */
		0xd1, 0xe0,		      /* shl ax, 1 */
		0x9c, 0x58, 0xab, 0x89, 0xd0, /* mov ax, dx */
		0xd1, 0xf8,		      /* sar ax, 1 */
		0x9c, 0x58, 0xab, 0x89, 0xd0, /* mov ax, dx */
		0xf7, 0xd8,		      /* neg ax */
		0x9c, 0x58, 0xab, 0x89, 0xd0, /* mov ax, dx */
		0x40,			      /* inc ax */
		0x9c, 0x58, 0xab, 0xe2, 0xb8, /* loop back to lodsw */
		0xf4,			      /* hlt */
	};
	uint8_t buf[0x80 + 16] = {0};
	static const uint16_t pairs[8] = {0x7fff, 0x0001, 0x8000, 0x0001,
					  0x0000, 0x0000, 0xffff, 0xfffe};
	struct code c = {buf, sizeof(buf), 0};
	struct outcome kvm, emu;

	(void)state;
	_Static_assert(sizeof(code) <= 0x80, "code before the pairs");
	memcpy(buf, code, sizeof(code));
	memcpy(buf + 0x80, pairs, sizeof(pairs));
	run_one(load_code, &c, 0, &kvm);
	run_one(load_code, &c, 1, &emu);
	assert_int_equal(kvm.last.reason, KVM_EXIT_HLT);
	mask_shift_af(&kvm);
	mask_shift_af(&emu);
	assert_same(&kvm, &emu);
}

/* CPUID is not in the subset: an INTERNAL_ERROR exit, as KVM gives for
 * what its emulator cannot do, and the message names opcode and place. */
static void instruction_outside_the_subset_is_a_clear_error(void **state)
{
	static const uint8_t code[] = {0x90, 0x0f, 0xa2, 0xf4};
	struct code c = {code, sizeof(code), 0};
	struct outcome emu;

	(void)state;
	run_one(load_code, &c, 1, &emu);
	assert_int_equal(emu.last.reason, KVM_EXIT_INTERNAL_ERROR);
	assert_string_equal(emu.out, "not in the teaching subset: opcode 0x0f "
				     "0xa2 at 0000:7c01");
	assert_int_equal(emu.regs.rip, 0x7c01);
	assert_int_equal(emu.insns, 1);
}

/* Run `mvm run ARGS` with a timeout; its stdout and stderr, and status. */
static int mvm_cli(const char *args, char *out, size_t len)
{
	char cmd[1024];
	size_t n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "timeout 60 %s/mvm run %s 2>&1",
		 MVM_BUILD_DIR, args);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	return pclose(p);
}

static void mvm_run_emulate_prints_output_and_the_rate(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(mvm_cli("--emulate " MVM_GUEST_DIR "/hello-real.bin",
				 out, sizeof(out)),
			 0);
	assert_non_null(strstr(out, "Hello\n"));
	assert_non_null(strstr(out, "guest halted (HLT, RIP 0x7c10)"));
	assert_non_null(strstr(out, "interpreted 37 instructions"));
	assert_non_null(strstr(out, "KVM backend here: "));
	assert_int_not_equal(mvm_cli("--emulate " MVM_GUEST_DIR
				     "/hello-long.elf",
				     out, sizeof(out)),
			     0);
	assert_non_null(strstr(out, "--emulate runs real-mode guests only"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hello_real_same_output_and_registers_emulated),
		cmocka_unit_test(loop_real_same_output_and_registers_emulated),
		cmocka_unit_test(mmio_loads_and_stores_match_kvm),
		cmocka_unit_test(alu_flags_match_kvm),
		cmocka_unit_test(
			instruction_outside_the_subset_is_a_clear_error),
		cmocka_unit_test(mvm_run_emulate_prints_output_and_the_rate),
	};

	fixture_require_kvm();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
