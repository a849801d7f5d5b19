/*
 * test_memory.c - RAM in a memfd, slots mapped from files, and dirty
 * logging switched at run time, checked by real guests.
 *
 * The guests are a few hand-assembled real-mode instructions that reach
 * their data through a DS segment base (fixture_real_code), so each
 * test says exactly which guest-physical bytes the guest reads and
 * writes. Dirty-log tests compare the whole bitmap of the 64 MiB RAM
 * slot with the pages the guest and the VMM wrote: no page missing, no
 * page extra.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"

#define RUN_MS	 5000
#define PAGE	 4096ULL
#define RAM_SLOT 0	      /* RAM is the first slot mvm_vm_create adds */
#define DATA	 0x20000ULL   /* guest data page in RAM (page 0x20) */
#define SLOT_GPA 0x8000000ULL /* 128 MiB: above RAM, below MMIO */
#define WORDS	 MVM_DIRTY_WORDS(FIXTURE_RAM)

/* mov eax, [0]; inc eax; mov [4], eax; hlt (DS-relative) */
static const uint8_t read_inc_write[] = {
	0x66, 0xa1, 0x00, 0x00, 0x66, 0x40, 0x66, 0xa3, 0x04, 0x00, 0xf4,
};

/* mov eax, [8]; mov dword [0x10], 0x55667788; hlt (DS-relative) */
static const uint8_t read_8_write_10[] = {
	0x66, 0xa1, 0x08, 0x00,				      /* mov eax, [8] */
	0x66, 0xc7, 0x06, 0x10, 0x00, 0x88, 0x77, 0x66, 0x55, /* mov [0x10] */
	0xf4,						      /* hlt */
};

/* Run the loaded guest to its HLT under the fixture's deadline. */
static void run_to_hlt(struct fixture *f)
{
	struct mvm_exit e;

	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
}

static uint32_t peek32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* --- RAM in a memfd -------------------------------------------------------- */

/* A child process maps RAM's fd and writes; the guest reads that, writes
 * its answer, and a second mapping in this process sees the answer. */
static void ram_memfd_is_shared_with_a_second_mapping_and_a_child(void **state)
{
	struct fixture *f = *state;
	const int fd = mvm_vm_ram_fd(f->vm);
	uint8_t *second;
	pid_t pid;
	int status;

	assert_true(fd >= 0);
	assert_int_equal(mvm_vm_mem(f->vm)->slots[RAM_SLOT].fd, fd);
	second = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(second != MAP_FAILED);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint8_t *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
				  MAP_SHARED, fd, 0);
		const uint32_t v = 0x11223344;

		if (p == MAP_FAILED)
			_exit(1);
		memcpy(p + DATA, &v, sizeof(v));
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	fixture_real_code(f, read_inc_write, sizeof(read_inc_write), DATA);
	run_to_hlt(f);
	assert_int_equal((uint32_t)fixture_rax(f), 0x11223345);
	assert_int_equal(peek32(second + DATA + 4), 0x11223345);
	munmap(second, 1 << 20);
}

/* --- slots mapped from a file ---------------------------------------------- */

/* A deleted temporary file of three pages; page i is filled with 'A' + i
 * and holds 0xcafe0000 + i at offset 8. */
static int make_file(void)
{
	char path[] = "/tmp/minivmm-test-memory-XXXXXX";
	uint8_t page[PAGE];
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	for (uint32_t i = 0; i < 3; i++) {
		const uint32_t v = 0xcafe0000 + i;

		memset(page, 'A' + (int)i, sizeof(page));
		memcpy(page + 8, &v, sizeof(v));
		assert_int_equal(write(fd, page, sizeof(page)), (ssize_t)PAGE);
	}
	return fd;
}

static uint32_t file32(int fd, off_t off)
{
	uint32_t v = 0;

	assert_int_equal(pread(fd, &v, sizeof(v), off), (ssize_t)sizeof(v));
	return v;
}

static void private_file_slot_reads_the_file_and_keeps_writes(void **state)
{
	struct fixture *f = *state;
	const int fd = make_file();
	const struct mvm_slot *s;
	uint32_t got;
	int slot;

	/* file pages 1 and 2, copy-on-write */
	slot = mvm_vm_mem_add_fd(f->vm, SLOT_GPA, 2 * PAGE, fd, PAGE,
				 MVM_MEM_PRIVATE);
	assert_true(slot > 0);
	s = &mvm_vm_mem(f->vm)->slots[slot];
	assert_true(s->fd >= 0 && s->fd != fd); /* the slot's own dup */
	assert_int_equal(s->fd_offset, PAGE);
	fixture_real_code(f, read_8_write_10, sizeof(read_8_write_10),
			  SLOT_GPA);
	run_to_hlt(f);
	assert_int_equal((uint32_t)fixture_rax(f), 0xcafe0001);
	assert_int_equal(mvm_vm_read(f->vm, SLOT_GPA + 0x10, &got, 4), 0);
	assert_int_equal(got, 0x55667788);
	/* the file still holds what it held */
	assert_int_equal(file32(fd, PAGE + 0x10), 0x42424242);
	close(fd);
}

static void shared_file_slot_writes_through_to_the_file(void **state)
{
	struct fixture *f = *state;
	const int fd = make_file();
	int slot;

	slot = mvm_vm_mem_add_fd(f->vm, SLOT_GPA, PAGE, fd, 2 * PAGE, 0);
	assert_true(slot > 0);
	close(fd); /* the slot keeps its own */
	fixture_real_code(f, read_8_write_10, sizeof(read_8_write_10),
			  SLOT_GPA);
	run_to_hlt(f);
	assert_int_equal((uint32_t)fixture_rax(f), 0xcafe0002);
	assert_int_equal(
		file32(mvm_vm_mem(f->vm)->slots[slot].fd, 2 * PAGE + 0x10),
		0x55667788);
	assert_int_equal(mvm_vm_mem_remove(f->vm, slot), 0);
}

static void bad_file_slots_are_refused_with_a_message(void **state)
{
	struct fixture *f = *state;
	const int rw = make_file();
	char path[64];
	int ro;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", rw);
	ro = open(path, O_RDONLY);
	assert_true(ro >= 0);
	assert_int_equal(mvm_vm_mem_add_fd(f->vm, SLOT_GPA, PAGE, ro, 0, 0),
			 -EACCES);
	assert_non_null(strstr(f->log, "open O_RDWR"));
	/* read-only is fine when the mapping is private */
	assert_true(mvm_vm_mem_add_fd(f->vm, SLOT_GPA, PAGE, ro, 0,
				      MVM_MEM_PRIVATE) > 0);
	assert_int_equal(mvm_vm_mem_add_fd(f->vm, 2 * SLOT_GPA, 2 * PAGE, rw,
					   2 * PAGE, 0),
			 -EINVAL);
	assert_non_null(strstr(f->log, "too short"));
	assert_int_equal(
		mvm_vm_mem_add_fd(f->vm, 2 * SLOT_GPA, PAGE, rw, 100, 0),
		-EINVAL);
	assert_int_equal(
		mvm_vm_mem_add(f->vm, 2 * SLOT_GPA, PAGE, MVM_MEM_PRIVATE),
		-EINVAL);
	close(ro);
	close(rw);
}

/* Restoring a snapshot: RAM's memfd is replaced, in place, by a private
 * mapping of a RAM file; the guest sees the file, the file never sees
 * the guest's writes, and a logging RAM reports every page changed. */
static void ram_replaced_by_a_private_file_keeps_running(void **state)
{
	struct fixture *f = *state;
	char path[] = "/tmp/minivmm-test-ram-XXXXXX";
	const uint32_t saved = 0x0badf00d, before = 0x12345678;
	const int old_fd = mvm_vm_ram_fd(f->vm);
	uint64_t *bm = calloc(WORDS, sizeof(*bm));
	const struct mvm_slot *s = &mvm_vm_mem(f->vm)->slots[RAM_SLOT];
	void *ram = mvm_vm_ram(f->vm), *mine;
	int fd = mkstemp(path), slot;

	assert_non_null(bm);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(ftruncate(fd, (off_t)FIXTURE_RAM), 0);
	assert_int_equal(pwrite(fd, &saved, 4, DATA), 4);
	/* the guest has the old page mapped when its backing changes */
	assert_int_equal(mvm_vm_write(f->vm, DATA, &before, 4), 0);
	fixture_real_code(f, read_inc_write, sizeof(read_inc_write), DATA);
	run_to_hlt(f);
	assert_int_equal((uint32_t)fixture_rax(f), before + 1);
	assert_int_equal(
		mvm_vm_mem_set_flags(f->vm, RAM_SLOT, MVM_MEM_LOG_DIRTY), 0);
	assert_int_equal(
		mvm_vm_mem_replace_fd(f->vm, RAM_SLOT, fd, 0, MVM_MEM_PRIVATE),
		0);
	assert_ptr_equal(mvm_vm_ram(f->vm), ram);
	assert_true(mvm_vm_ram_fd(f->vm) != old_fd &&
		    mvm_vm_ram_fd(f->vm) != fd);
	assert_int_equal(s->flags, MVM_MEM_LOG_DIRTY | MVM_MEM_PRIVATE);
	assert_int_equal(mvm_vm_dirty_log(f->vm, RAM_SLOT, bm), 0);
	for (uint64_t w = 0; w < WORDS; w++)
		assert_int_equal(bm[w], ~0ULL);
	free(bm);
	/* the code went with the old RAM: load it again */
	fixture_real_code(f, read_inc_write, sizeof(read_inc_write), DATA);
	run_to_hlt(f);
	assert_int_equal((uint32_t)fixture_rax(f), saved + 1);
	assert_int_equal(file32(fd, DATA + 4), 0);
	/* a slot the caller mapped, or a flag other than PRIVATE: refused */
	assert_int_equal(mvm_vm_mem_replace_fd(f->vm, RAM_SLOT, fd, 0,
					       MVM_MEM_LOG_DIRTY),
			 -EINVAL);
	mine = aligned_alloc(PAGE, PAGE);
	assert_non_null(mine);
	slot = mvm_vm_mem_add_hva(f->vm, SLOT_GPA, PAGE, mine, 0);
	assert_true(slot > 0);
	assert_int_equal(mvm_vm_mem_replace_fd(f->vm, slot, fd, 0, 0), -EINVAL);
	assert_int_equal(mvm_vm_mem_remove(f->vm, slot), 0);
	free(mine);
	close(fd);
}

/* --- dirty logging switched at run time ------------------------------------ */

/* Read RAM's dirty log and check it is exactly pages[0..n-1]. */
static void expect_dirty(struct fixture *f, const uint64_t *pages, int n)
{
	uint64_t *got = calloc(WORDS, sizeof(*got));
	uint64_t *want = calloc(WORDS, sizeof(*want));

	assert_non_null(got);
	assert_non_null(want);
	for (int i = 0; i < n; i++)
		want[pages[i] / 64] |= 1ULL << (pages[i] % 64);
	assert_int_equal(mvm_vm_dirty_log(f->vm, RAM_SLOT, got), 0);
	for (uint64_t w = 0; w < WORDS; w++)
		if (got[w] != want[w])
			fail_msg("dirty word %llu (pages %llu..): got 0x%llx, "
				 "want 0x%llx",
				 (unsigned long long)w,
				 (unsigned long long)w * 64,
				 (unsigned long long)got[w],
				 (unsigned long long)want[w]);
	free(got);
	free(want);
}

/* mov [0], al; mov [0x3fff], al; hlt: pages DATA and DATA + 3 */
static const uint8_t write_two_pages[] = {
	0xa2, 0x00, 0x00, 0xa2, 0xff, 0x3f, 0xf4,
};

static void ram_log_is_the_union_of_guest_and_vmm_writes(void **state)
{
	struct fixture *f = *state;
	const uint64_t code_only[] = {MVM_REAL_LOAD_ADDR / PAGE};
	const uint64_t both[] = {DATA / PAGE, DATA / PAGE + 3, 0x30, 0x31,
				 0x32};

	/* RAM was created without logging; switch it on now */
	assert_int_equal(
		mvm_vm_mem_set_flags(f->vm, RAM_SLOT, MVM_MEM_LOG_DIRTY), 0);
	expect_dirty(f, NULL, 0);
	/* the VMM's copy of the code is a write KVM never sees */
	fixture_real_code(f, write_two_pages, sizeof(write_two_pages), DATA);
	expect_dirty(f, code_only, 1);
	/* the VMM writes page 0x30 and, across a boundary, 0x31 and 0x32 */
	assert_int_equal(mvm_vm_write(f->vm, 0x30000, "v", 1), 0);
	assert_int_equal(mvm_vm_write(f->vm, 0x32000 - 2, "vmm!", 4), 0);
	run_to_hlt(f);
	expect_dirty(f, both, 5);
	/* reading the log cleared both halves */
	expect_dirty(f, NULL, 0);
}

static void switching_logging_off_stops_recording(void **state)
{
	struct fixture *f = *state;
	uint64_t bm[WORDS];

	assert_int_equal(
		mvm_vm_mem_set_flags(f->vm, RAM_SLOT, MVM_MEM_LOG_DIRTY), 0);
	fixture_real_code(f, write_two_pages, sizeof(write_two_pages), DATA);
	assert_int_equal(mvm_vm_mem_set_flags(f->vm, RAM_SLOT, 0), 0);
	assert_null(mvm_vm_mem(f->vm)->slots[RAM_SLOT].dirty);
	assert_int_equal(mvm_vm_dirty_log(f->vm, RAM_SLOT, bm), -EINVAL);
	assert_non_null(strstr(f->log, "MVM_MEM_LOG_DIRTY"));
	/* guest and VMM write while logging is off ... */
	assert_int_equal(mvm_vm_write(f->vm, 0x30000, "v", 1), 0);
	run_to_hlt(f);
	/* ... and switched on again the log starts clear: nothing of it */
	assert_int_equal(
		mvm_vm_mem_set_flags(f->vm, RAM_SLOT, MVM_MEM_LOG_DIRTY), 0);
	expect_dirty(f, NULL, 0);
	/* switching to the flags a slot has is a no-op */
	assert_int_equal(
		mvm_vm_mem_set_flags(f->vm, RAM_SLOT, MVM_MEM_LOG_DIRTY), 0);
}

static void readonly_and_private_cannot_change_on_a_live_slot(void **state)
{
	struct fixture *f = *state;
	int rom;

	assert_int_equal(
		mvm_vm_mem_set_flags(f->vm, RAM_SLOT, MVM_MEM_READONLY),
		-EINVAL);
	assert_non_null(strstr(f->log, "only MVM_MEM_LOG_DIRTY can change"));
	assert_int_equal(mvm_vm_mem_set_flags(f->vm, RAM_SLOT, MVM_MEM_PRIVATE),
			 -EINVAL);
	rom = mvm_vm_mem_add(f->vm, SLOT_GPA, PAGE, MVM_MEM_READONLY);
	assert_true(rom > 0);
	assert_int_equal(mvm_vm_mem_set_flags(f->vm, rom, 0), -EINVAL);
	assert_int_equal(mvm_vm_mem(f->vm)->slots[rom].flags, MVM_MEM_READONLY);
	assert_int_equal(mvm_vm_mem_set_flags(f->vm, MVM_MAX_SLOTS - 1, 0),
			 -ENOENT);
}

/* Loading an ELF and setting up long mode write the GDT/TSS, the page
 * tables and the image: all through the accessor, so all logged. */
static void loader_and_mode_setup_writes_are_logged(void **state)
{
	struct fixture *f = *state;
	uint64_t *bm = calloc(WORDS, sizeof(*bm));
	long tables = mvm_pt_tables_needed(4ULL << 30, 2ULL << 20);
	struct mvm_exit e;

	assert_non_null(bm);
	assert_true(tables > 0);
	assert_int_equal(
		mvm_vm_mem_set_flags(f->vm, RAM_SLOT, MVM_MEM_LOG_DIRTY), 0);
	fixture_load(f, "hello-long.elf", MVM_MODE_LONG64);
	assert_int_equal(mvm_vm_dirty_log(f->vm, RAM_SLOT, bm), 0);
#define DIRTY(gpa) (bm[(gpa) / PAGE / 64] >> ((gpa) / PAGE % 64) & 1)
	assert_true(DIRTY(MVM_GDT_ADDR));
	for (long i = 0; i < tables; i++)
		assert_true(DIRTY(MVM_PT_ADDR + (uint64_t)i * PAGE));
	assert_false(DIRTY(MVM_PT_ADDR + (uint64_t)tables * PAGE));
	for (uint64_t a = f->img.lo & ~(PAGE - 1); a < f->img.hi; a += PAGE)
		assert_true(DIRTY(a));
	assert_false(DIRTY(MVM_STACK_TOP)); /* never written by the VMM */
#undef DIRTY
	free(bm);
	/* and the guest still runs */
	assert_int_equal(fixture_run(f, 10000, &e), 0);
	assert_true(e.stop);
	assert_non_null(strstr(f->out, "Hello from 64-bit long mode"));
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
#define T(fn) \
	cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)
		T(ram_memfd_is_shared_with_a_second_mapping_and_a_child),
		T(private_file_slot_reads_the_file_and_keeps_writes),
		T(shared_file_slot_writes_through_to_the_file),
		T(bad_file_slots_are_refused_with_a_message),
		T(ram_replaced_by_a_private_file_keeps_running),
		T(ram_log_is_the_union_of_guest_and_vmm_writes),
		T(switching_logging_off_stops_recording),
		T(readonly_and_private_cannot_change_on_a_live_slot),
		T(loader_and_mode_setup_writes_are_logged),
#undef T
	};

	fixture_require_kvm();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
