/*
 * test_exitdesc.c - exit names, one-line descriptions and explanations.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>

#include "minivmm/minivmm.h"

static char buf[4096];

static const char *describe(const struct mvm_exit *e)
{
	assert_true(mvm_exit_describe(e, buf, sizeof(buf)) > 0);
	return buf;
}

static const char *explain(const struct mvm_exit *e)
{
	int n = mvm_exit_explain(e, buf, sizeof(buf));

	assert_int_equal(n, (int)strlen(buf));
	return buf;
}

static void reason_names_match_kvm_numbers(void **state)
{
	(void)state;
	assert_string_equal(mvm_exit_reason_name(KVM_EXIT_IO), "IO");
	assert_string_equal(mvm_exit_reason_name(KVM_EXIT_HLT), "HLT");
	assert_string_equal(mvm_exit_reason_name(KVM_EXIT_NOTIFY), "NOTIFY");
	assert_string_equal(mvm_exit_reason_name(MVM_EXIT_REASONS), "?");
	assert_string_equal(mvm_exit_reason_name(0xffffffffu), "?");
}

static void reason_parse_is_case_insensitive_and_round_trips(void **state)
{
	int i;

	(void)state;
	assert_int_equal(mvm_exit_reason_parse("io"), KVM_EXIT_IO);
	assert_int_equal(mvm_exit_reason_parse("KVM_EXIT_HLT"), KVM_EXIT_HLT);
	assert_int_equal(mvm_exit_reason_parse("Shutdown"), KVM_EXIT_SHUTDOWN);
	assert_int_equal(mvm_exit_reason_parse("nope"), -ENOENT);
	assert_int_equal(mvm_exit_reason_parse(""), -ENOENT);
	assert_int_equal(mvm_exit_reason_parse(NULL), -ENOENT);
	for (i = 0; i < MVM_EXIT_REASONS; i++)
		assert_int_equal(mvm_exit_reason_parse(
					 mvm_exit_reason_name((unsigned)i)),
				 i);
}

static void io_exits_show_port_size_and_data(void **state)
{
	struct mvm_exit e = {.reason = KVM_EXIT_IO};

	(void)state;
	e.u.io = (struct mvm_exit_io){.port = MVM_PORT_DEBUGCON,
				      .size = 1,
				      .is_write = 1,
				      .count = 1};
	e.u.io.data[0] = 'H';
	assert_string_equal(describe(&e),
			    "IO out port 0x00e9 size 1 data 0x48 'H'");
	e.u.io = (struct mvm_exit_io){.port = MVM_PORT_COM1,
				      .size = 2,
				      .count = 1,
				      .data = {0x34, 0x12}};
	assert_string_equal(describe(&e), "IO in port 0x03f8 size 2 -> 0x1234");
	e.u.io = (struct mvm_exit_io){.port = 0x500,
				      .size = 1,
				      .is_write = 1,
				      .count = 5,
				      .data = {1}};
	assert_string_equal(describe(&e),
			    "IO out port 0x0500 size 1 count 5 data 0x01");
}

static void mmio_exits_show_address_length_and_value(void **state)
{
	struct mvm_exit e = {.reason = KVM_EXIT_MMIO};

	(void)state;
	e.u.mmio = (struct mvm_exit_mmio){.addr = MVM_MMIO_DEMO_ADDR,
					  .len = 4,
					  .data = {0xff, 0xff, 0xff, 0xff}};
	assert_string_equal(describe(&e),
			    "MMIO read 0xd0000000 len 4 -> 0xffffffff");
	e.u.mmio = (struct mvm_exit_mmio){.addr = MVM_MMIO_DEMO_ADDR,
					  .len = 4,
					  .is_write = 1,
					  .data = {0x78, 0x56, 0x34, 0x12}};
	assert_string_equal(describe(&e),
			    "MMIO write 0xd0000000 len 4 data 0x12345678");
}

static void debug_exits_decode_dr6(void **state)
{
	struct mvm_exit e = {.reason = KVM_EXIT_DEBUG};

	(void)state;
	e.u.debug = (struct mvm_exit_debug){
		.exception = 1, .pc = 0x1005, .dr6 = 0xffff4ff0};
	assert_string_equal(describe(&e),
			    "DEBUG #DB at 0x1005 dr6=0xffff4ff0 (single-step)");
	e.u.debug.dr6 = 0xffff0ff1;
	assert_string_equal(describe(&e), "DEBUG #DB at 0x1005 dr6=0xffff0ff1 "
					  "(breakpoint DR0)");
	e.u.debug.exception = 3;
	assert_string_equal(describe(&e), "DEBUG #BP at 0x1005 (int3)");
}

static void simple_exits_and_truncation(void **state)
{
	struct mvm_exit e = {.reason = KVM_EXIT_HLT};
	char small[4];

	(void)state;
	assert_string_equal(describe(&e), "HLT");
	e.reason = KVM_EXIT_NMI;
	assert_string_equal(describe(&e), "NMI");
	e.reason = 200;
	assert_string_equal(describe(&e), "?");
	e.reason = KVM_EXIT_SHUTDOWN;
	assert_true(mvm_exit_describe(&e, small, sizeof(small)) > 10);
	assert_string_equal(small, "SHU");
	assert_int_equal(mvm_exit_describe(NULL, buf, sizeof(buf)), -EINVAL);
}

static void shutdown_explains_triple_fault_causes(void **state)
{
	struct mvm_exit e = {.reason = KVM_EXIT_SHUTDOWN, .rip = 0x100004};

	(void)state;
	explain(&e);
	assert_non_null(strstr(buf, "triple-faulted"));
	assert_non_null(strstr(buf, "0x100004"));
	assert_non_null(strstr(buf, "IDT"));
	assert_non_null(strstr(buf, "#DF"));
	assert_non_null(strstr(buf, "mvm run --trace"));
	assert_non_null(strstr(buf, "stepi"));
}

static void fail_entry_decodes_vmx_and_svm_reasons(void **state)
{
	struct mvm_exit e = {.reason = KVM_EXIT_FAIL_ENTRY};

	(void)state;
	e.u.fail_entry.hw_reason = 0x80000021; /* entry failure, reason 33 */
	explain(&e);
	assert_non_null(strstr(buf, "basic exit reason 33"));
	assert_non_null(strstr(buf, "invalid guest state"));
	e.u.fail_entry.hw_reason = 0x80000022;
	explain(&e);
	assert_non_null(strstr(buf, "MSR loading"));
	e.u.fail_entry.hw_reason = ~0ULL;
	explain(&e);
	assert_non_null(strstr(buf, "VMEXIT_INVALID"));
	e.u.fail_entry.hw_reason = 7;
	explain(&e);
	assert_non_null(strstr(buf, "VM-instruction error 7"));
}

/* data[0] = flags, then insn_size and the bytes (kvm_run overlay). */
static void set_insn(struct mvm_exit *e, const uint8_t *b, uint8_t n)
{
	uint8_t raw[16] = {n};

	memcpy(raw + 1, b, n);
	e->u.internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	e->u.internal.ndata = 3;
	e->u.internal.data[0] =
		KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES;
	memcpy(&e->u.internal.data[1], raw, 16);
}

static void internal_error_shows_bytes_and_culprit(void **state)
{
	struct mvm_exit e = {.reason = KVM_EXIT_INTERNAL_ERROR, .rip = 0x1000};
	const uint8_t sse[] = {0x0f, 0x28, 0xc1};
	const uint8_t int3[] = {0xcc};

	(void)state;
	set_insn(&e, sse, sizeof(sse));
	assert_string_equal(describe(&e),
			    "INTERNAL_ERROR: emulation failure (suberror 1)");
	explain(&e);
	assert_non_null(strstr(buf, "Instruction bytes: 0f 28 c1\n"));
	assert_non_null(strstr(buf, "SSE"));
	assert_non_null(strstr(buf, "-mgeneral-regs-only"));
	assert_non_null(strstr(buf, "data[0] = 0x0000000000000001"));
	set_insn(&e, int3, sizeof(int3));
	explain(&e);
	assert_non_null(strstr(buf, "int3"));
	e.u.internal.ndata = 0; /* no bytes: still the general advice */
	explain(&e);
	assert_null(strstr(buf, "Instruction bytes"));
	assert_non_null(strstr(buf, "-mgeneral-regs-only"));
}

static void internal_error_suberrors_are_named(void **state)
{
	struct mvm_exit e = {.reason = KVM_EXIT_INTERNAL_ERROR};

	(void)state;
	e.u.internal.suberror = KVM_INTERNAL_ERROR_SIMUL_EX;
	explain(&e);
	assert_non_null(strstr(buf, "exception while delivering"));
	e.u.internal.suberror = KVM_INTERNAL_ERROR_DELIVERY_EV;
	e.u.internal.ndata = 2;
	e.u.internal.data[0] = 0x80000b0e;
	explain(&e);
	assert_non_null(strstr(buf, "IDT-vectoring"));
	assert_non_null(strstr(buf, "data[0] = 0x0000000080000b0e"));
	e.u.internal.suberror = KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON;
	explain(&e);
	assert_non_null(strstr(buf, "does not handle"));
}

static void explain_other_exits_is_the_one_line(void **state)
{
	struct mvm_exit e = {.reason = KVM_EXIT_HLT};

	(void)state;
	explain(&e);
	assert_string_equal(buf, "HLT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reason_names_match_kvm_numbers),
		cmocka_unit_test(
			reason_parse_is_case_insensitive_and_round_trips),
		cmocka_unit_test(io_exits_show_port_size_and_data),
		cmocka_unit_test(mmio_exits_show_address_length_and_value),
		cmocka_unit_test(debug_exits_decode_dr6),
		cmocka_unit_test(simple_exits_and_truncation),
		cmocka_unit_test(shutdown_explains_triple_fault_causes),
		cmocka_unit_test(fail_entry_decodes_vmx_and_svm_reasons),
		cmocka_unit_test(internal_error_shows_bytes_and_culprit),
		cmocka_unit_test(internal_error_suberrors_are_named),
		cmocka_unit_test(explain_other_exits_is_the_one_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
