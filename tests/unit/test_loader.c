/*
 * test_loader.c - flat images, reading image files, and the rule that
 * decides flat or ELF (loader.h): a 0x7f first byte is always ELF; flat
 * needs a ".bin" name or MVM_LOAD_FLAT; anything else must be ELF.
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

#define RAM_SIZE 0x100000 /* 1 MiB: covers every low reserved region */
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

/* Write len bytes to a fresh temporary file named ...XXXXXX<suffix>;
 * its name is in e->path. */
static void make_named_file(struct env *e, const char *suffix, const void *data,
			    size_t len)
{
	int fd;

	snprintf(e->path, sizeof(e->path), "/tmp/mvm-test-loader-XXXXXX%s",
		 suffix);
	fd = mkstemps(e->path, (int)strlen(suffix));
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void make_file(struct env *e, const void *data, size_t len)
{
	make_named_file(e, "", data, len);
}

static void assert_log_has(const struct env *e, const char *msg)
{
	if (!strstr(e->log, msg))
		fail_msg("log \"%s\" does not mention \"%s\"", e->log, msg);
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
	assert_log_has(e, "256 bytes at guest-physical 0xfff80");
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

static void load_file_loads_a_bin_file_flat(void **state)
{
	struct env *e = *state;
	struct mvm_image_info info;

	make_named_file(e, ".bin", "\xf4\xf4", 2);
	assert_int_equal(mvm_load_file(&e->mem, e->path, 0x7c00, &info, &e->lg),
			 0);
	assert_int_equal(info.kind, MVM_IMAGE_FLAT);
	assert_int_equal(e->ram[0x7c00], 0xf4);
	assert_int_equal(e->ram[0x7c01], 0xf4);
}

/* Not ELF and not named .bin: an error that says how to ask for flat. */
static void load_image_refuses_headerless_file_without_bin_name(void **state)
{
	struct env *e = *state;
	struct mvm_image_info info;

	assert_int_equal(mvm_load_image(&e->mem, "\xf4\xf4", 2, "dir/guest.elf",
					0x7c00, 0, &info, &e->lg),
			 -ENOEXEC);
	assert_log_has(e, "dir/guest.elf: not an ELF file (no \\x7fELF magic); "
			  "a flat binary needs a name ending in .bin or the "
			  "--flat option");
	assert_untouched(e);
	/* mvm_load_file() is for a program's own files: content decides */
	make_named_file(e, ".elf", "\xf4\xf4", 2);
	assert_int_equal(mvm_load_file(&e->mem, e->path, 0x7c00, &info, &e->lg),
			 0);
	assert_int_equal(info.kind, MVM_IMAGE_FLAT);
}

/* The CLI's --flat: mvm_load_image() with MVM_LOAD_FLAT, any name. */
static void load_image_with_flat_flag_ignores_the_name(void **state)
{
	struct env *e = *state;
	struct mvm_image_info info;

	assert_int_equal(mvm_load_image(&e->mem, "\xf4", 1, "guest.elf", 0x7c00,
					MVM_LOAD_FLAT, &info, &e->lg),
			 0);
	assert_int_equal(info.kind, MVM_IMAGE_FLAT);
	assert_int_equal(e->ram[0x7c00], 0xf4);
}

/* A lone 0x7f once ran as real-mode code and spun forever: now it is a
 * broken ELF file, whatever its name and flags say. */
static void lone_0x7f_byte_is_an_elf_error_even_named_bin(void **state)
{
	struct env *e = *state;
	struct mvm_image_info info;

	make_named_file(e, ".bin", "\x7f", 1);
	assert_int_equal(mvm_load_file(&e->mem, e->path, 0x7c00, &info, &e->lg),
			 -ENOEXEC);
	assert_log_has(e, "ELF: not an ELF file (1 bytes, no \\x7fELF magic)");
	assert_int_equal(mvm_load_image(&e->mem, "\x7f", 1, NULL, 0x7c00,
					MVM_LOAD_FLAT, &info, &e->lg),
			 -ENOEXEC);
	assert_untouched(e);
}

/* "\x7fELG" plus a header once happened to HLT and exit 0. */
static void elf_lookalike_with_wrong_magic_is_an_elf_error(void **state)
{
	struct env *e = *state;
	struct mvm_image_info info;
	uint8_t img[64] = {0x7f, 'E', 'L', 'G', ELFCLASS64, ELFDATA2LSB, 1};

	img[40] = 0xf4; /* a HLT somewhere in the "header" */
	assert_int_equal(mvm_load_image(&e->mem, img, sizeof(img), "x.bin",
					0x7c00, MVM_LOAD_FLAT, &info, &e->lg),
			 -ENOEXEC);
	assert_log_has(e, "ELF: not an ELF file (64 bytes, no \\x7fELF magic)");
	assert_untouched(e);
}

/* mvm_load_flat() called directly refuses the ELF prefix as well. */
static void flat_loader_refuses_an_image_starting_with_0x7f(void **state)
{
	struct env *e = *state;
	struct mvm_image_info info;

	assert_int_equal(mvm_load_flat(&e->mem, 0x7c00, "\x7f\x00\xf4", 3,
				       &info, &e->lg),
			 -ENOEXEC);
	assert_log_has(e, "flat image starts with 0x7f like an ELF file");
	assert_untouched(e);
}

static void image_kind_guess_follows_the_documented_rule(void **state)
{
	(void)state;
	/* rule 1: the 0x7f prefix wins over name and flag */
	assert_int_equal(
		mvm_image_kind_guess("\x7f", 1, "a.bin", MVM_LOAD_FLAT),
		MVM_IMAGE_ELF);
	assert_int_equal(mvm_image_kind_guess("\x7f"
					      "ELG",
					      4, "a.bin", 0),
			 MVM_IMAGE_ELF);
	/* rule 2: flag or .bin name (any case) */
	assert_int_equal(
		mvm_image_kind_guess("\xf4", 1, "a.elf", MVM_LOAD_FLAT),
		MVM_IMAGE_FLAT);
	assert_int_equal(mvm_image_kind_guess("\xf4", 1, "dir/boot.bin", 0),
			 MVM_IMAGE_FLAT);
	assert_int_equal(mvm_image_kind_guess("\xf4", 1, "BOOT.BIN", 0),
			 MVM_IMAGE_FLAT);
	/* rule 3: everything else must be ELF */
	assert_int_equal(mvm_image_kind_guess("\xf4", 1, "a.elf", 0),
			 MVM_IMAGE_ELF);
	assert_int_equal(mvm_image_kind_guess("\xf4", 1, "bin", 0),
			 MVM_IMAGE_ELF);
	assert_int_equal(mvm_image_kind_guess("\xf4", 1, ".bin", 0),
			 MVM_IMAGE_ELF);
	assert_int_equal(mvm_image_kind_guess("\xf4", 1, NULL, 0),
			 MVM_IMAGE_ELF);
	assert_int_equal(mvm_image_kind_guess(NULL, 0, "a.bin", 0),
			 MVM_IMAGE_FLAT);
}

/* Every reserved region of layout.h that lies in RAM refuses a flat
 * image and is named in the message. */
static void flat_image_over_any_reserved_region_is_refused(void **state)
{
	struct env *e = *state;
	struct mvm_image_info info;
	const uint8_t code[2] = {0x90, 0xf4};
	size_t n, tried = 0;
	const struct mvm_region *r = mvm_layout_reserved(&n);

	for (size_t i = 0; i < n; i++) {
		char want[128];

		if (r[i].base + r[i].size > RAM_SIZE)
			continue;
		e->log[0] = '\0';
		/* the image's first byte lands on the region's last */
		uint64_t at = r[i].base + r[i].size - 1;

		assert_int_equal(mvm_load_flat(&e->mem, at, code, sizeof(code),
					       &info, &e->lg),
				 -ENOEXEC);
		snprintf(want, sizeof(want),
			 "flat image at guest-physical 0x%llx+0x2 overlaps the "
			 "%s (0x%llx+0x%llx)",
			 (unsigned long long)at, r[i].name,
			 (unsigned long long)r[i].base,
			 (unsigned long long)r[i].size);
		assert_log_has(e, want);
		tried++;
	}
	assert_true(tried >= 5); /* GDT, TSS, ucall, page tables, stack */
	assert_untouched(e);
}

/* A minimal ELF64: one PT_LOAD of 4 bytes at 0x8000, entry at it. The
 * name does not end in .bin, and no flag is given: ELF by content. */
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
		       .e_entry = 0x8000,
		       .e_phoff = sizeof(Elf64_Ehdr),
		       .e_ehsize = sizeof(Elf64_Ehdr),
		       .e_phentsize = sizeof(Elf64_Phdr),
		       .e_phnum = 1},
		.ph = {.p_type = PT_LOAD,
		       .p_flags = PF_R | PF_X,
		       .p_offset = offsetof(__typeof__(f), code),
		       .p_paddr = 0x8000,
		       .p_filesz = 4,
		       .p_memsz = 4},
		.code = {0x90, 0x90, 0xf4, 0xcc},
	};

	make_file(e, &f, sizeof(f));
	assert_int_equal(mvm_load_file(&e->mem, e->path, 0x7c00, &info, &e->lg),
			 0);
	assert_int_equal(info.kind, MVM_IMAGE_ELF64);
	assert_int_equal(info.entry, 0x8000);
	assert_memory_equal(e->ram + 0x8000, f.code, 4);
	assert_int_equal(e->ram[0x7c00], FILL); /* not loaded flat too */
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
		T(load_file_loads_a_bin_file_flat),
		T(load_image_refuses_headerless_file_without_bin_name),
		T(load_image_with_flat_flag_ignores_the_name),
		T(lone_0x7f_byte_is_an_elf_error_even_named_bin),
		T(elf_lookalike_with_wrong_magic_is_an_elf_error),
		T(flat_loader_refuses_an_image_starting_with_0x7f),
		T(image_kind_guess_follows_the_documented_rule),
		T(flat_image_over_any_reserved_region_is_refused),
		T(load_file_detects_elf_by_magic),
		T(load_file_names_the_file_on_a_bad_elf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
