/*
 * test_hypercall.c - Lab 1, task 4: the hypercall port (hypercall.c).
 *
 * The unit tests build a small guest memory map in host memory (1 MiB of
 * RAM at 0, a gap, one page of ROM at 2 MiB) and hand the device
 * requests directly - the friendly ones and the ones a malicious guest
 * would send. The last test runs the lab's guest, which does the same
 * from inside a VM.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lab1.h"

#define RAM_SIZE (1ULL << 20)
#define ROM_GPA	 (2ULL << 20)

struct world {
	struct mvm_memmap mem;
	uint8_t *ram, *rom;
	struct mvm_hcall_dev *dev;
	char out[256];
	size_t out_len;
};

static void capture(void *ctx, const char *buf, size_t len)
{
	struct world *w = ctx;

	if (len > sizeof(w->out) - 1 - w->out_len)
		len = sizeof(w->out) - 1 - w->out_len;
	memcpy(w->out + w->out_len, buf, len);
	w->out_len += len;
}

static int world_setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	w->ram = aligned_alloc(4096, RAM_SIZE);
	w->rom = aligned_alloc(4096, 4096);
	assert_non_null(w->ram);
	assert_non_null(w->rom);
	memset(w->ram, 0, RAM_SIZE);
	memset(w->rom, 0xcc, 4096);
	assert_true(mvm_memmap_add(&w->mem, 0, RAM_SIZE, w->ram, 0) >= 0);
	assert_true(mvm_memmap_add(&w->mem, ROM_GPA, 4096, w->rom,
				   MVM_MEM_READONLY) >= 0);
	assert_int_equal(mvm_hcall_create(&w->mem, capture, w, NULL, &w->dev),
			 0);
	*state = w;
	return 0;
}

static int world_teardown(void **state)
{
	struct world *w = *state;

	mvm_hcall_destroy(w->dev);
	free(w->ram);
	free(w->rom);
	free(w);
	return 0;
}

static int64_t call(struct world *w, uint64_t nr, uint64_t buf, uint64_t len)
{
	struct mvm_hcall req = {.nr = nr, .buf = buf, .len = len};

	return mvm_hcall_service(w->dev, &req);
}

static void hcall_nop_and_add_return_their_results(void **state)
{
	struct world *w = *state;
	struct mvm_hcall add = {.nr = MVM_HCALL_ADD, .args = {1, 2, 3, 4}};

	LAB1_EXPECT_RESULT(call(w, MVM_HCALL_NOP, 0, 0), 0, "NOP's result");
	LAB1_EXPECT_RESULT(mvm_hcall_service(w->dev, &add), 10,
			   "ADD(1, 2, 3, 4)'s result");
	GRADE_EXPECT_EQ(mvm_hcall_count(w->dev), 2, "calls counted");
}

static void hcall_puts_prints_the_guest_buffer(void **state)
{
	struct world *w = *state;

	memcpy(w->ram + 0x1000, "hi there", 8);
	LAB1_EXPECT_RESULT(call(w, MVM_HCALL_PUTS, 0x1000, 8), 8,
			   "PUTS of 8 bytes returns the length");
	GRADE_EXPECT(w->out_len == 8 && memcmp(w->out, "hi there", 8) == 0,
		     "PUTS should print \"hi there\", printed \"%.*s\"",
		     (int)w->out_len, w->out);
	LAB1_EXPECT_RESULT(call(w, MVM_HCALL_PUTS, 0x1000, 0), 0,
			   "PUTS of 0 bytes returns 0");
}

static void hcall_info_writes_the_answer_into_guest_memory(void **state)
{
	struct world *w = *state;
	struct mvm_hcall_info info;

	LAB1_EXPECT_RESULT(call(w, MVM_HCALL_INFO, 0x2000, sizeof(info)),
			   sizeof(info), "INFO returns the bytes written");
	memcpy(&info, w->ram + 0x2000, sizeof(info));
	GRADE_EXPECT_EQ(info.ram_bytes, RAM_SIZE + 4096,
			"info.ram_bytes (all slots: 1 MiB RAM + 4 KiB ROM)");
	GRADE_EXPECT_EQ(info.calls, 1, "info.calls (this call included)");
	GRADE_EXPECT(strcmp(info.name, "minivmm") == 0,
		     "info.name should be \"minivmm\"");
}

static void hcall_refuses_buffers_outside_guest_ram(void **state)
{
	struct world *w = *state;
	uint8_t before[16];

	LAB1_EXPECT_RESULT(call(w, MVM_HCALL_PUTS, MVM_MMIO_DEMO_ADDR, 16),
			   -EFAULT, "PUTS from the MMIO hole (not RAM)");
	LAB1_EXPECT_RESULT(call(w, MVM_HCALL_PUTS, RAM_SIZE - 8, 16), -EFAULT,
			   "PUTS of a buffer running past the end of RAM");
	LAB1_EXPECT_RESULT(call(w, MVM_HCALL_PUTS, ~0ULL - 0x7ff, 0x1000),
			   -EFAULT, "PUTS of a buffer that wraps around 2^64");
	memset(w->ram + RAM_SIZE - 16, 0xab, 16);
	memset(before, 0xab, 16);
	LAB1_EXPECT_RESULT(call(w, MVM_HCALL_INFO, RAM_SIZE - 8, 40), -EFAULT,
			   "INFO into a buffer running past the end of RAM");
	GRADE_EXPECT(memcmp(before, w->ram + RAM_SIZE - 16, 16) == 0,
		     "a refused INFO must not write any byte (the last bytes "
		     "of RAM changed)");
	LAB1_EXPECT_RESULT(call(w, MVM_HCALL_INFO, ROM_GPA, 40), -EFAULT,
			   "INFO into read-only memory (ROM)");
	GRADE_EXPECT_EQ(w->rom[0], 0xcc, "ROM byte 0 after the refused INFO");
	GRADE_EXPECT_EQ(w->out_len, 0, "bytes printed by refused PUTS calls");
}

static void hcall_refuses_bad_lengths_and_numbers(void **state)
{
	struct world *w = *state;

	LAB1_EXPECT_RESULT(call(w, MVM_HCALL_PUTS, 0x1000, 1ULL << 40), -E2BIG,
			   "PUTS of 2^40 bytes (more than MVM_HCALL_BUF_MAX)");
	LAB1_EXPECT_RESULT(call(w, MVM_HCALL_PUTS, 0, MVM_HCALL_BUF_MAX + 1),
			   -E2BIG, "PUTS of MVM_HCALL_BUF_MAX + 1 bytes");
	LAB1_EXPECT_RESULT(call(w, MVM_HCALL_INFO, 0x2000, 8), -EINVAL,
			   "INFO into an 8-byte buffer (too short)");
	LAB1_EXPECT_RESULT(call(w, MVM_HCALL_INFO, 0x2000, 1ULL << 40), -E2BIG,
			   "INFO into a 2^40-byte buffer (more than "
			   "MVM_HCALL_BUF_MAX)");
	LAB1_EXPECT_RESULT(call(w, 99, 0, 0), -ENOSYS, "hypercall number 99");
}

/* Off-by-one checks: the limits themselves are allowed. */
static void hcall_accepts_buffers_exactly_at_the_limits(void **state)
{
	struct world *w = *state;
	struct mvm_hcall_info info;

	LAB1_EXPECT_RESULT(call(w, MVM_HCALL_PUTS, 0x1000, MVM_HCALL_BUF_MAX),
			   MVM_HCALL_BUF_MAX,
			   "PUTS of exactly MVM_HCALL_BUF_MAX bytes (only "
			   "len > MVM_HCALL_BUF_MAX is too big)");
	memcpy(w->ram + RAM_SIZE - 8, "last8byt", 8);
	LAB1_EXPECT_RESULT(call(w, MVM_HCALL_PUTS, RAM_SIZE - 8, 8), 8,
			   "PUTS of the last 8 bytes of RAM (the buffer ends "
			   "exactly at the end of RAM: inside)");
	LAB1_EXPECT_RESULT(
		call(w, MVM_HCALL_INFO, RAM_SIZE - sizeof(info), sizeof(info)),
		sizeof(info),
		"INFO into the last sizeof(struct mvm_hcall_info) "
		"bytes of RAM");
	LAB1_EXPECT_RESULT(call(w, MVM_HCALL_INFO, 0x2000, sizeof(info) - 1),
			   -EINVAL,
			   "INFO into a buffer one byte shorter than struct "
			   "mvm_hcall_info");
}

static void hcall_port_answers_even_an_unreadable_request(void **state)
{
	struct world *w = *state;
	struct mvm_hcall req = {.nr = MVM_HCALL_ADD, .args = {40, 2}};
	uint32_t gpa = 0x3000, bad = 0x150000;
	int32_t status = 0;
	int64_t ret = 0;

	memcpy(w->ram + gpa, &req, sizeof(req));
	mvm_hcall_ops.write(w->dev, NULL, 0, &gpa, 4);
	memcpy(&ret, w->ram + gpa + offsetof(struct mvm_hcall, ret), 8);
	LAB1_EXPECT_RESULT(ret, 42, "ret field of a request made via the port");
	mvm_hcall_ops.write(w->dev, NULL, 0, &bad, 4);
	mvm_hcall_ops.read(w->dev, NULL, 0, &status, 4);
	LAB1_EXPECT_RESULT(status, -EFAULT,
			   "IN after a request at 0x150000 (not RAM)");
}

static void hcall_guest_program_passes(void **state)
{
	struct fixture *f = *state;
	struct mvm_hcall_dev *d = NULL;

	assert_int_equal(mvm_hcall_create(mvm_vm_mem(f->vm), lab1_out, f,
					  mvm_vm_log(f->vm), &d),
			 0);
	assert_int_equal(mvm_bus_register(mvm_vm_pio_bus(f->vm), MVM_PORT_HCALL,
					  4, &mvm_hcall_ops, d),
			 0);
	lab1_load_guest(f, "lab1-hcall.elf");
	lab1_expect_ucall(f, 30000, MVM_UCALL_SYNC, 1);
	GRADE_EXPECT(strstr(f->out, "hello from the guest, by hypercall"),
		     "the guest's PUTS text is missing from its output:\n%s",
		     f->out);
	lab1_expect_ucall(f, 30000, MVM_UCALL_SYNC, 2);
	lab1_expect_ucall(f, 30000, MVM_UCALL_DONE, 0);
	mvm_bus_unregister(mvm_vm_pio_bus(f->vm), MVM_PORT_HCALL);
	mvm_hcall_destroy(d);
}

#define T(fn, pts)                                                     \
	GRADE_TEST_SETUP(fn, pts,                                      \
			 "task 4: mvm_hcall_service() in hypercall.c", \
			 world_setup, world_teardown)
static const struct grade_test tests[] = {
	T(hcall_nop_and_add_return_their_results, 2),
	T(hcall_puts_prints_the_guest_buffer, 3),
	T(hcall_info_writes_the_answer_into_guest_memory, 3),
	T(hcall_refuses_buffers_outside_guest_ram, 4),
	T(hcall_refuses_bad_lengths_and_numbers, 2),
	T(hcall_accepts_buffers_exactly_at_the_limits, 2),
	T(hcall_port_answers_even_an_unreadable_request, 2),
	GRADE_TEST_SETUP(hcall_guest_program_passes, 2,
			 "task 4 (and tasks 1-2): the lab1-hcall guest",
			 fixture_setup, fixture_teardown),
};

int main(int argc, char **argv)
{
	return grade_main(argc, argv, tests, GRADE_N(tests));
}
