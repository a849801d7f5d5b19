/*
 * test_loader.c - flat images, reading image files, and mvm_load_file()
 * choosing between flat and ELF.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "minivmm/minivmm.h"

#include "hostram.h"

#define RAM_SIZE 0x10000
#define FILL	 0xaa

struct env {
	uint8_t *ram;
	struct mvm_memmap mem;
	char path[64]; /* a temporary file, removed in teardown */
	char log[2048];
	struct mvm_log lg;
};

static void capture(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct env *e = ctx;
	size_t used = strlen(e->log);

	(void)level;
	snprintf(e->log + used, sizeof(e->log) - used, "%s\n", msg);
}

static int env_setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->ram = hostram_map(&e->mem, RAM_SIZE, FILL);
	assert_non_null(e->ram);
	e->lg = (struct mvm_log){capture, e};
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *e = *state;

	if (e->path[0])
		unlink(e->path);
	free(e->ram);
	free(e);
	return 0;
}

/* Write len bytes to a fresh temporary file; its name is in e->path. */
static void make_file(struct env *e, const void *data, size_t len)
{
	int fd;

	strcpy(e->path, "/tmp/mvm-test-loader-XXXXXX");
	fd = mkstemp(e->path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void assert_untouched(const struct env *e)
{
	for (size_t i = 0; i < RAM_SIZE; i++)
		if (e->ram[i] != FILL)
			fail_msg("guest byte 0x%zx written", i);
}

static void flat_image_is_copied_to_its_address(void **state)
{
	struct env *e = *state;
	struct mvm_image_info info;
	const uint8_t code[] = {0xb0, 0x41, 0xe6, 0xe9, 0xf4};

	assert_int_equal(mvm_load_flat(&e->mem, 0x7c00, code, sizeof(code),
				       &info, &e->lg),
			 0);
	assert_memory_equal(e->ram + 0x7c00, code, sizeof(code));
	assert_int_equal(e->ram[0x7bff], FILL);
	assert_int_equal(e->ram[0x7c00 + sizeof(code)], FILL);
	assert_int_equal(info.kind, MVM_IMAGE_FLAT);
	assert_int_equal(info.entry, 0x7c00);
	assert_int_equal(info.lo, 0x7c00);
	assert_int_equal(info.hi, 0x7c00 + sizeof(code));
	assert_int_equal(info.nsegments, 1);
}

static void flat_empty_image_is_rejected(void **state)
{
	struct env *e = *state;
	struct mvm_image_info info;

	assert_int_equal(mvm_load_flat(&e->mem, 0, "", 0, &info, &e->lg),
			 -EINVAL);
	assert_non_null(strstr(e->log, "empty"));
}

static void flat_image_past_end_of_ram_is_rejected_untouched(void **state)
{
	struct env *e = *state;
	struct mvm_image_info info;
	static uint8_t img[0x100];

	assert_int_equal(mvm_load_flat(&e->mem, RAM_SIZE - 0x80, img,
				       sizeof(img), &info, &e->lg),
			 -EFAULT);
	assert_untouched(e);
	assert_non_null(strstr(e->log, "256 bytes at guest-physical 0xff80"));
	assert_int_equal(mvm_load_flat(&e->mem, UINT64_MAX - 0x10, img,
				       sizeof(img), &info, &e->lg),
			 -EFAULT);
	assert_untouched(e);
}

static void file_read_returns_the_contents(void **state)
{
	struct env *e = *state;
	void *buf = NULL;
	size_t len = 0;

	make_file(e, "hello guest", 11);
	assert_int_equal(mvm_file_read(e->path, 100, &buf, &len, &e->lg), 0);
	assert_int_equal(len, 11);
	assert_memory_equal(buf, "hello guest", 11);
	free(buf);
}

static void file_read_refuses_files_over_the_cap(void **state)
{
	struct env *e = *state;
	void *buf = NULL;
	size_t len = 0;

	make_file(e, "0123456789", 10);
	assert_int_equal(mvm_file_read(e->path, 9, &buf, &len, &e->lg), -EFBIG);
	assert_null(buf);
	assert_non_null(strstr(e->log, "10 bytes, larger than the 9-byte"));
}

static void file_read_reports_missing_file_and_directory(void **state)
{
	struct env *e = *state;
	void *buf = NULL;
	size_t len;

	assert_int_equal(mvm_file_read("/nonexistent/guest.elf", 100, &buf,
				       &len, &e->lg),
			 -ENOENT);
	assert_non_null(strstr(e->log, "/nonexistent/guest.elf"));
	assert_int_equal(mvm_file_read("/tmp", 100, &buf, &len, &e->lg),
			 -EINVAL);
	assert_non_null(strstr(e->log, "not a regular file"));
	assert_null(buf);
}

static void load_file_treats_non_elf_as_flat(void **state)
{
	struct env *e = *state;
	struct mvm_image_info info;

	make_file(e, "\xf4\xf4", 2);
	assert_int_equal(mvm_load_file(&e->mem, e->path, 0x1000, &info, &e->lg),
			 0);
	assert_int_equal(info.kind, MVM_IMAGE_FLAT);
	assert_int_equal(e->ram[0x1000], 0xf4);
	assert_int_equal(e->ram[0x1001], 0xf4);
}

/* A minimal ELF64: one PT_LOAD of 4 bytes at 0x3000, entry at it. */
static void load_file_detects_elf_by_magic(void **state)
{
	struct env *e = *state;
	struct mvm_image_info info;
	struct {
		Elf64_Ehdr eh;
		Elf64_Phdr ph;
		uint8_t code[4];
	} f = {
		.eh = {.e_ident = {0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB,
				   EV_CURRENT},
		       .e_type = ET_EXEC,
		       .e_machine = EM_X86_64,
		       .e_version = EV_CURRENT,
		       .e_entry = 0x3000,
		       .e_phoff = sizeof(Elf64_Ehdr),
		       .e_ehsize = sizeof(Elf64_Ehdr),
		       .e_phentsize = sizeof(Elf64_Phdr),
		       .e_phnum = 1},
		.ph = {.p_type = PT_LOAD,
		       .p_flags = PF_R | PF_X,
		       .p_offset = offsetof(__typeof__(f), code),
		       .p_paddr = 0x3000,
		       .p_filesz = 4,
		       .p_memsz = 4},
		.code = {0x90, 0x90, 0xf4, 0xcc},
	};

	make_file(e, &f, sizeof(f));
	assert_int_equal(mvm_load_file(&e->mem, e->path, 0x1000, &info, &e->lg),
			 0);
	assert_int_equal(info.kind, MVM_IMAGE_ELF64);
	assert_int_equal(info.entry, 0x3000);
	assert_memory_equal(e->ram + 0x3000, f.code, 4);
	assert_int_equal(e->ram[0x1000], FILL); /* not loaded flat too */
}

static void load_file_names_the_file_on_a_bad_elf(void **state)
{
	struct env *e = *state;
	struct mvm_image_info info;

	make_file(e,
		  "\x7f"
		  "ELF\x02\x01\x01",
		  7);
	assert_int_equal(mvm_load_file(&e->mem, e->path, 0x1000, &info, &e->lg),
			 -ENOEXEC);
	assert_non_null(strstr(e->log, e->path));
	assert_untouched(e);
}

#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(flat_image_is_copied_to_its_address),
		T(flat_empty_image_is_rejected),
		T(flat_image_past_end_of_ram_is_rejected_untouched),
		T(file_read_returns_the_contents),
		T(file_read_refuses_files_over_the_cap),
		T(file_read_reports_missing_file_and_directory),
		T(load_file_treats_non_elf_as_flat),
		T(load_file_detects_elf_by_magic),
		T(load_file_names_the_file_on_a_bad_elf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
