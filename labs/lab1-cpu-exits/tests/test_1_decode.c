/*
 * test_decode.c - Lab 1, task 1: decoding kvm_run into struct mvm_exit.
 *
 * Each test runs a few hand-assembled real-mode instructions (bytes
 * spelled out below, with their assembly) and checks the first exit the
 * run step returns. The ports and addresses have no device behind them,
 * so these tests depend on the decode only, not on the dispatch (task 2).
 * KVM's side of the contract: Documentation/virt/kvm/api.rst, section 5,
 * KVM_EXIT_IO and KVM_EXIT_MMIO.
 */
#include <string.h>

#include "lab1.h"

#define CODE	    0x7c00ULL /* where the test code goes (real mode, CS = 0) */
#define NO_DEV_PORT 0x0530    /* no device here: only the decode matters */

static void decode_out_byte_reports_port_size_and_data(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0xb0, 0x5a,	  /* mov al, 0x5a */
		0xba, 0x30, 0x05, /* mov dx, 0x530 */
		0xee,		  /* out dx, al */
		0xf4,		  /* hlt */
	};
	struct mvm_exit e;

	lab1_real_code(f, CODE, 0, code, sizeof(code));
	lab1_step(f, &e);
	GRADE_EXPECT_EQ(e.reason, KVM_EXIT_IO, "exit reason (KVM_EXIT_IO)");
	GRADE_EXPECT_EQ(e.u.io.port, NO_DEV_PORT, "io.port of the OUT");
	GRADE_EXPECT_EQ(e.u.io.size, 1, "io.size of an 8-bit OUT");
	GRADE_EXPECT_EQ(e.u.io.is_write, 1, "io.is_write of an OUT");
	GRADE_EXPECT_EQ(e.u.io.count, 1, "io.count of a single OUT");
	GRADE_EXPECT_EQ(e.u.io.data[0], 0x5a, "io.data[0]: the byte written");
}

static void decode_in_word_reports_direction_and_size(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0xba, 0x32, 0x05, /* mov dx, 0x532 */
		0xed,		  /* in ax, dx */
		0xf4,		  /* hlt */
	};
	struct mvm_exit e;

	lab1_real_code(f, CODE, 0, code, sizeof(code));
	lab1_step(f, &e);
	GRADE_EXPECT_EQ(e.reason, KVM_EXIT_IO, "exit reason (KVM_EXIT_IO)");
	GRADE_EXPECT_EQ(e.u.io.port, NO_DEV_PORT + 2, "io.port of the IN");
	GRADE_EXPECT_EQ(e.u.io.size, 2, "io.size of a 16-bit IN");
	GRADE_EXPECT_EQ(e.u.io.is_write, 0, "io.is_write of an IN");
	GRADE_EXPECT_EQ(e.u.io.count, 1, "io.count of a single IN");
}

static void decode_rep_insb_reports_count_of_string_io(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0xba, 0x34, 0x05, /* mov dx, 0x534 */
		0xb9, 0x04, 0x00, /* mov cx, 4 */
		0xbf, 0x00, 0x60, /* mov di, 0x6000 (ES = 0) */
		0xfc,		  /* cld */
		0xf3, 0x6c,	  /* rep insb */
		0xf4,		  /* hlt */
	};
	struct mvm_exit e;

	lab1_real_code(f, CODE, 0, code, sizeof(code));
	lab1_step(f, &e);
	GRADE_EXPECT_EQ(e.reason, KVM_EXIT_IO, "exit reason (KVM_EXIT_IO)");
	GRADE_EXPECT_EQ(e.u.io.port, NO_DEV_PORT + 4, "io.port of rep insb");
	GRADE_EXPECT_EQ(e.u.io.size, 1, "io.size of insb");
	GRADE_EXPECT_EQ(e.u.io.is_write, 0, "io.is_write of insb");
	GRADE_EXPECT_EQ(e.u.io.count, 4,
			"io.count of rep insb with CX = 4 (KVM batches string "
			"I/O: count > 1)");
}

static void decode_mmio_write_reports_address_len_and_data(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		/* mov dword [0x10], 0x12345678 (DS base = demo MMIO) */
		0x66, 0xc7, 0x06, 0x10, 0x00,
		0x78, 0x56, 0x34, 0x12, 0xf4, /* hlt */
	};
	struct mvm_exit e;

	lab1_real_code(f, CODE, MVM_MMIO_DEMO_ADDR, code, sizeof(code));
	lab1_step(f, &e);
	GRADE_EXPECT_EQ(e.reason, KVM_EXIT_MMIO, "exit reason (KVM_EXIT_MMIO)");
	GRADE_EXPECT_EQ(e.u.mmio.addr, MVM_MMIO_DEMO_ADDR + 0x10,
			"mmio.addr (guest-physical)");
	GRADE_EXPECT_EQ(e.u.mmio.len, 4, "mmio.len of a 32-bit store");
	GRADE_EXPECT_EQ(e.u.mmio.is_write, 1, "mmio.is_write of a store");
	GRADE_EXPECT(memcmp(e.u.mmio.data, "\x78\x56\x34\x12", 4) == 0,
		     "mmio.data: expected the stored bytes 78 56 34 12, got "
		     "%02x %02x %02x %02x",
		     e.u.mmio.data[0], e.u.mmio.data[1], e.u.mmio.data[2],
		     e.u.mmio.data[3]);
}

static void decode_mmio_read_reports_address_and_len(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0xa1, 0x20, 0x00, /* mov ax, [0x20] (DS base = demo MMIO) */
		0xf4,		  /* hlt */
	};
	struct mvm_exit e;

	lab1_real_code(f, CODE, MVM_MMIO_DEMO_ADDR, code, sizeof(code));
	lab1_step(f, &e);
	GRADE_EXPECT_EQ(e.reason, KVM_EXIT_MMIO, "exit reason (KVM_EXIT_MMIO)");
	GRADE_EXPECT_EQ(e.u.mmio.addr, MVM_MMIO_DEMO_ADDR + 0x20,
			"mmio.addr (guest-physical)");
	GRADE_EXPECT_EQ(e.u.mmio.len, 2, "mmio.len of a 16-bit load");
	GRADE_EXPECT_EQ(e.u.mmio.is_write, 0, "mmio.is_write of a load");
}

#define T(fn, pts)                                                       \
	GRADE_TEST_SETUP(fn, pts, "task 1: mvm_exit_decode() in exit.c", \
			 fixture_setup, fixture_teardown)
static const struct grade_test tests[] = {
	T(decode_out_byte_reports_port_size_and_data, 4),
	T(decode_in_word_reports_direction_and_size, 4),
	T(decode_rep_insb_reports_count_of_string_io, 4),
	T(decode_mmio_write_reports_address_len_and_data, 4),
	T(decode_mmio_read_reports_address_and_len, 4),
};

int main(int argc, char **argv)
{
	return grade_main(argc, argv, tests, GRADE_N(tests));
}
