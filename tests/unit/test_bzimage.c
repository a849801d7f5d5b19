/*
 * test_bzimage.c - the Linux loader (linux.h) against valid and malformed
 * kernels, initrds and command lines; no /dev/kvm needed.
 *
 * Each test starts from a small valid bzImage built here field by field
 * (boot protocol 2.15, 4 setup sectors, 64 KiB of "kernel") and breaks
 * one thing. A rejected load must log one line naming the problem and
 * leave guest memory untouched (the loader checks everything first).
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

#include "minivmm/minivmm.h"

#include "hostram.h"

#define RAM_SIZE    (64u << 20) /* guest RAM at GPA 0 */
#define FILL	    0xaa	/* what untouched guest memory holds */
#define SETUP_SECTS 4
#define SETUP_SIZE  ((SETUP_SECTS + 1) * 512)
#define KERNEL_SIZE 0x10000
#define IMG_SIZE    (SETUP_SIZE + KERNEL_SIZE)
#define PREF	    0x1000000 /* 16 MiB, Linux's LOAD_PHYSICAL_ADDR */
#define INIT_SIZE   0x800000  /* 8 MiB to decompress into */

struct env {
	struct hostram *ram;
	uint8_t img[IMG_SIZE];
	struct mvm_linux_config cfg;
	struct mvm_linux_info info;
	char log[2048];
	struct mvm_log lg;
};

static void capture(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct env *e = ctx;

	if (level <= MVM_LOG_WARN)
		snprintf(e->log, sizeof(e->log), "%s", msg);
}

static void put16(uint8_t *p, size_t off, uint16_t v)
{
	memcpy(p + off, &v, 2);
}

static void put32(uint8_t *p, size_t off, uint32_t v)
{
	memcpy(p + off, &v, 4);
}

static void put64(uint8_t *p, size_t off, uint64_t v)
{
	memcpy(p + off, &v, 8);
}

static uint32_t get32(const uint8_t *p, size_t off)
{
	uint32_t v;

	memcpy(&v, p + off, 4);
	return v;
}

static uint64_t get64(const uint8_t *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, 8);
	return v;
}

/* A valid bzImage: the header fields boot.rst defines, kernel bytes
 * 0..255 repeating so a copy can be checked. */
static void make_bzimage(uint8_t *p)
{
	memset(p, 0, IMG_SIZE);
	p[MVM_BP_SETUP_SECTS] = SETUP_SECTS;
	put32(p, MVM_BP_SYSSIZE, KERNEL_SIZE / 16);
	put16(p, MVM_BP_BOOT_FLAG, MVM_BOOT_FLAG);
	p[MVM_BP_JUMP] = 0xeb;
	p[MVM_BP_JUMP + 1] = 0x6a; /* header ends at 0x26c (2.15) */
	put32(p, MVM_BP_HEADER, MVM_BOOT_HDRS);
	put16(p, MVM_BP_VERSION, 0x020f);
	p[MVM_BP_LOADFLAGS] = MVM_LOADED_HIGH;
	put32(p, MVM_BP_CODE32_START, 0x100000);
	put32(p, MVM_BP_INITRD_ADDR_MAX, 0x7fffffff);
	put32(p, MVM_BP_KERNEL_ALIGNMENT, 0x200000);
	p[MVM_BP_RELOCATABLE] = 1;
	put16(p, MVM_BP_XLOADFLAGS, MVM_XLF_KERNEL_64);
	put32(p, MVM_BP_CMDLINE_SIZE, 2047);
	put64(p, MVM_BP_PREF_ADDRESS, PREF);
	put32(p, MVM_BP_INIT_SIZE, INIT_SIZE);
	for (size_t i = 0; i < KERNEL_SIZE; i++)
		p[SETUP_SIZE + i] = (uint8_t)i;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->ram = hostram_new(RAM_SIZE, FILL);
	assert_non_null(e->ram);
	make_bzimage(e->img);
	e->cfg.kernel = e->img;
	e->cfg.kernel_len = IMG_SIZE;
	e->cfg.cmdline = "console=ttyS0";
	e->lg = (struct mvm_log){capture, e};
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	hostram_free(e->ram);
	free(e);
	return 0;
}

static int load(struct env *e)
{
	e->log[0] = '\0';
	return mvm_linux_load(&e->ram->mem, &e->cfg, &e->info, &e->lg);
}

/* The load fails with rc, says msg, and wrote nothing. */
static void expect_refused(struct env *e, int rc, const char *msg)
{
	const uint8_t *ram = e->ram->ram;

	assert_int_equal(load(e), rc);
	if (!strstr(e->log, msg))
		fail_msg("log \"%s\" does not mention \"%s\"", e->log, msg);
	assert_int_equal(ram[MVM_LOAD_ADDR], FILL);
	assert_int_equal(ram[MVM_LINUX_BOOT_PARAMS + MVM_BP_HEADER], FILL);
	assert_int_equal(ram[MVM_LINUX_CMDLINE], FILL);
	assert_int_equal(ram[RAM_SIZE - 1], FILL);
}

static void bzimage_loads_kernel_at_1m_with_zero_page(void **state)
{
	struct env *e = *state;
	const uint8_t *ram = e->ram->ram;
	const uint8_t *bp = ram + MVM_LINUX_BOOT_PARAMS;

	assert_int_equal(load(e), 0);
	assert_int_equal(e->info.kind, MVM_LINUX_BZIMAGE);
	assert_int_equal(e->info.entry, MVM_LOAD_ADDR + 0x200);
	assert_int_equal(e->info.boot_params, MVM_LINUX_BOOT_PARAMS);
	assert_int_equal(e->info.kernel_hi, PREF + INIT_SIZE);
	assert_memory_equal(ram + MVM_LOAD_ADDR, e->img + SETUP_SIZE,
			    KERNEL_SIZE);
	/* the header copied, the loader's fields filled in */
	assert_int_equal(get32(bp, MVM_BP_HEADER), MVM_BOOT_HDRS);
	assert_int_equal(bp[MVM_BP_TYPE_OF_LOADER], 0xff);
	assert_int_equal(get32(bp, MVM_BP_CMD_LINE_PTR), MVM_LINUX_CMDLINE);
	assert_string_equal((const char *)ram + MVM_LINUX_CMDLINE,
			    "console=ttyS0");
	assert_int_equal(get32(bp, MVM_BP_CODE32_START), MVM_LOAD_ADDR);
	assert_int_equal(get32(bp, MVM_BP_RAMDISK_SIZE), 0);
	/* past the header: the loader's zeroes, not the file's bytes */
	assert_int_equal(bp[0x26c], 0);
}

static void e820_has_low_ram_and_ram_above_1m(void **state)
{
	struct env *e = *state;
	const uint8_t *bp = e->ram->ram + MVM_LINUX_BOOT_PARAMS;
	const uint8_t *t = bp + MVM_BP_E820_TABLE;

	assert_int_equal(load(e), 0);
	assert_int_equal(bp[MVM_BP_E820_ENTRIES], 2);
	assert_int_equal(get64(t, 0), 0);
	assert_int_equal(get64(t, 8), MVM_LEGACY_HOLE);
	assert_int_equal(get32(t, 16), MVM_E820_RAM);
	assert_int_equal(get64(t, 20), MVM_LOAD_ADDR);
	assert_int_equal(get64(t, 28), RAM_SIZE - MVM_LOAD_ADDR);
	assert_int_equal(get32(t, 36), MVM_E820_RAM);
}

static void initrd_goes_high_below_initrd_addr_max(void **state)
{
	struct env *e = *state;
	static uint8_t initrd[5000];
	const uint8_t *bp = e->ram->ram + MVM_LINUX_BOOT_PARAMS;

	memset(initrd, 0x5a, sizeof(initrd));
	e->cfg.initrd = initrd;
	e->cfg.initrd_len = sizeof(initrd);
	assert_int_equal(load(e), 0);
	/* page-aligned, as high as it fits */
	assert_int_equal(e->info.initrd_gpa, RAM_SIZE - 0x2000);
	assert_int_equal(get32(bp, MVM_BP_RAMDISK_IMAGE), RAM_SIZE - 0x2000);
	assert_int_equal(get32(bp, MVM_BP_RAMDISK_SIZE), sizeof(initrd));
	assert_memory_equal(e->ram->ram + RAM_SIZE - 0x2000, initrd,
			    sizeof(initrd));
	/* a lower initrd_addr_max moves it down */
	put32(e->img, MVM_BP_INITRD_ADDR_MAX, 0x2000000 - 1);
	assert_int_equal(load(e), 0);
	assert_int_equal(e->info.initrd_gpa, 0x2000000 - 0x2000);
}

static void setup_sects_zero_means_four(void **state)
{
	struct env *e = *state;
	struct mvm_bzimage b;

	e->img[MVM_BP_SETUP_SECTS] = 0;
	assert_int_equal(mvm_bzimage_parse(e->img, IMG_SIZE, &b, &e->lg), 0);
	assert_int_equal(b.setup_sects, 4);
	assert_int_equal(b.setup_size, SETUP_SIZE);
}

static void truncated_kernel_is_refused(void **state)
{
	struct env *e = *state;

	e->cfg.kernel_len = 0x200; /* not even the whole header */
	expect_refused(e, -ENOEXEC, "truncated");
	e->cfg.kernel_len = SETUP_SIZE + 0x100; /* no 64-bit entry */
	expect_refused(e, -ENOEXEC, "truncated");
	e->cfg.kernel_len = IMG_SIZE - 16; /* less than syssize says */
	expect_refused(e, -ENOEXEC, "syssize");
}

static void wrong_magic_is_refused(void **state)
{
	struct env *e = *state;

	put32(e->img, MVM_BP_HEADER, 0x53726449); /* "IdrS" */
	expect_refused(e, -ENOEXEC, "wrong magic");
	make_bzimage(e->img);
	put16(e->img, MVM_BP_BOOT_FLAG, 0);
	expect_refused(e, -ENOEXEC, "wrong magic");
}

static void absurd_setup_sects_is_refused(void **state)
{
	struct env *e = *state;

	e->img[MVM_BP_SETUP_SECTS] = 200;
	expect_refused(e, -ENOEXEC, "absurd setup_sects 200");
}

static void old_protocol_is_refused(void **state)
{
	struct env *e = *state;

	put16(e->img, MVM_BP_VERSION, 0x0205);
	expect_refused(e, -ENOEXEC, "2.05 is older than 2.06");
}

static void corrupt_header_fields_are_refused(void **state)
{
	struct env *e = *state;

	e->img[MVM_BP_JUMP + 1] = 0x10; /* header would end at 0x212 */
	expect_refused(e, -ENOEXEC, "corrupt header");
	make_bzimage(e->img);
	put32(e->img, MVM_BP_KERNEL_ALIGNMENT, 0x300000);
	expect_refused(e, -ENOEXEC, "kernel_alignment");
	make_bzimage(e->img);
	put32(e->img, MVM_BP_INIT_SIZE, 0x100);
	expect_refused(e, -ENOEXEC, "init_size");
}

static void kernel_without_64bit_entry_is_refused(void **state)
{
	struct env *e = *state;

	put16(e->img, MVM_BP_XLOADFLAGS, 0);
	expect_refused(e, -ENOEXEC, "XLF_KERNEL_64");
	make_bzimage(e->img);
	e->img[MVM_BP_LOADFLAGS] = 0;
	expect_refused(e, -ENOEXEC, "LOADED_HIGH");
}

static void kernel_needing_more_ram_is_refused(void **state)
{
	struct env *e = *state;

	put32(e->img, MVM_BP_INIT_SIZE, RAM_SIZE);
	expect_refused(e, -EFBIG, "the kernel needs RAM up to 80 MiB");
}

static void initrd_larger_than_ram_is_refused(void **state)
{
	struct env *e = *state;

	e->cfg.initrd = e->img; /* never read: the size is refused first */
	e->cfg.initrd_len = RAM_SIZE + 1;
	expect_refused(e, -EFBIG, "larger than the guest's RAM");
}

static void initrd_that_does_not_fit_is_refused(void **state)
{
	struct env *e = *state;
	static uint8_t initrd[0x10000];

	e->cfg.initrd = initrd;
	e->cfg.initrd_len = sizeof(initrd);
	/* room below initrd_addr_max ends right where the kernel does */
	put32(e->img, MVM_BP_INITRD_ADDR_MAX, PREF + INIT_SIZE + 0x8000 - 1);
	expect_refused(e, -ENOSPC, "does not fit");
	/* or the kernel fills RAM up to 64 KiB below its top */
	make_bzimage(e->img);
	put32(e->img, MVM_BP_INIT_SIZE, RAM_SIZE - PREF - 0x8000);
	expect_refused(e, -ENOSPC, "does not fit");
}

static void overlong_command_line_is_refused(void **state)
{
	struct env *e = *state;
	char line[40];

	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	put32(e->img, MVM_BP_CMDLINE_SIZE, sizeof(line) - 2);
	e->cfg.cmdline = line;
	expect_refused(e, -E2BIG, "limit of 38 (cmdline_size)");
	put32(e->img, MVM_BP_CMDLINE_SIZE, sizeof(line) - 1);
	assert_int_equal(load(e), 0);
}

/* A minimal vmlinux: one PT_LOAD at 16 MiB, entered at its start. */
static void vmlinux_is_entered_at_its_elf_entry(void **state)
{
	struct env *e = *state;
	static uint8_t f[0x2000];
	Elf64_Ehdr eh = {
		.e_ident = {ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64,
			    ELFDATA2LSB, EV_CURRENT},
		.e_type = ET_EXEC,
		.e_machine = EM_X86_64,
		.e_version = EV_CURRENT,
		.e_entry = PREF,
		.e_phoff = sizeof(Elf64_Ehdr),
		.e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = 1,
	};
	Elf64_Phdr ph = {
		.p_type = PT_LOAD,
		.p_flags = PF_R | PF_X,
		.p_offset = 0x1000,
		.p_vaddr = 0xffffffff81000000ULL,
		.p_paddr = PREF,
		.p_filesz = 0x1000,
		.p_memsz = 0x3000,
		.p_align = 0x1000,
	};
	const uint8_t *bp = e->ram->ram + MVM_LINUX_BOOT_PARAMS;

	memcpy(f, &eh, sizeof(eh));
	memcpy(f + sizeof(eh), &ph, sizeof(ph));
	memset(f + 0x1000, 0x90, 0x1000);
	e->cfg.kernel = f;
	e->cfg.kernel_len = sizeof(f);
	assert_int_equal(load(e), 0);
	assert_int_equal(e->info.kind, MVM_LINUX_VMLINUX);
	assert_int_equal(e->info.entry, PREF);
	assert_int_equal(e->info.kernel_hi, PREF + 0x3000);
	assert_int_equal(e->ram->ram[PREF], 0x90);
	/* the setup header minivmm writes for it */
	assert_int_equal(get32(bp, MVM_BP_HEADER), MVM_BOOT_HDRS);
	assert_int_equal(get32(bp, MVM_BP_CMD_LINE_PTR), MVM_LINUX_CMDLINE);
	/* and a truncated one, on fresh RAM */
	memset(e->ram->ram, FILL, RAM_SIZE);
	e->cfg.kernel_len = sizeof(eh) + 10;
	expect_refused(e, -ENOEXEC, "truncated");
	/* a program-header offset near 2^64 (offset + size wraps) */
	eh.e_phoff = UINT64_MAX - 8;
	memcpy(f, &eh, sizeof(eh));
	e->cfg.kernel_len = sizeof(f);
	expect_refused(e, -ENOEXEC, "truncated");
}

static void quirks_add_their_words_after_the_users(void **state)
{
	char buf[256];

	(void)state;
	assert_int_equal(
		mvm_quirk_linux_cmdline(0, "console=ttyS0", buf, sizeof(buf)),
		0);
	assert_string_equal(buf, "console=ttyS0");
	assert_int_equal(mvm_quirk_linux_cmdline(MVM_QUIRK_EMULATOR_ISA,
						 "console=ttyS0", buf,
						 sizeof(buf)),
			 0);
	assert_non_null(strstr(buf, "console=ttyS0 noxsave "));
	assert_non_null(strstr(buf, "clearcpuid="));
	assert_null(mvm_quirk_linux_args(MVM_QUIRK_NO_1G_PAGES));
	assert_int_equal(mvm_quirk_linux_cmdline(MVM_QUIRK_RING0_EMULATED |
							 MVM_QUIRK_NO_1G_PAGES,
						 NULL, buf, sizeof(buf)),
			 0);
	assert_string_equal(buf, "rodata=off");
	assert_int_equal(
		mvm_quirk_linux_cmdline(MVM_QUIRK_EMULATOR_ISA, "x", buf, 20),
		-E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(bzimage_loads_kernel_at_1m_with_zero_page),
		T(e820_has_low_ram_and_ram_above_1m),
		T(initrd_goes_high_below_initrd_addr_max),
		T(setup_sects_zero_means_four),
		T(truncated_kernel_is_refused),
		T(wrong_magic_is_refused),
		T(absurd_setup_sects_is_refused),
		T(old_protocol_is_refused),
		T(corrupt_header_fields_are_refused),
		T(kernel_without_64bit_entry_is_refused),
		T(kernel_needing_more_ram_is_refused),
		T(initrd_larger_than_ram_is_refused),
		T(initrd_that_does_not_fit_is_refused),
		T(overlong_command_line_is_refused),
		T(vmlinux_is_entered_at_its_elf_entry),
		T(quirks_add_their_words_after_the_users),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
