/*
 * test_elf.c - the ELF loader against valid and malformed executables.
 *
 * Every image is built here, field by field, so each test names exactly
 * which number is wrong. A rejected image must leave guest memory
 * untouched (the loader validates everything before writing) and log one
 * line saying what is wrong.
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

#define RAM_SIZE 0x100000 /* 1 MiB of guest RAM at GPA 0 */
#define FILL	 0xaa	  /* what untouched guest memory holds */
#define FILE_MAX 0x2000
#define PH_MAX	 80

/* The valid image every test starts from: text + data with a bss tail,
 * between the reserved regions of layout.h (free: 0x5000-0x10000). */
#define TEXT_OFF   0x1000
#define TEXT_SIZE  0x100
#define TEXT_PADDR 0x8000
#define DATA_OFF   0x1100
#define DATA_FILE  0x80
#define DATA_MEM   0x1000
#define DATA_PADDR 0x9000
#define ENTRY	   (TEXT_PADDR + 0x10)
#define FILE_LEN   (DATA_OFF + DATA_FILE)

struct img {
	int is64;
	int raw;       /* file[] already final: do not serialize */
	Elf64_Ehdr eh; /* header (ELF32 images truncate the fields) */
	Elf64_Phdr ph[PH_MAX];
	uint8_t file[FILE_MAX];
	size_t len;
};

struct env {
	uint8_t *ram;
	struct mvm_memmap mem;
	char log[4096];
	size_t log_len;
	struct mvm_log lg;
};

static void capture(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct env *e = ctx;
	int n = snprintf(e->log + e->log_len, sizeof(e->log) - e->log_len,
			 "%s\n", msg);

	(void)level;
	if (n > 0 && (size_t)n < sizeof(e->log) - e->log_len)
		e->log_len += (size_t)n;
}

static int env_setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->ram = hostram_map(&e->mem, RAM_SIZE, FILL);
	assert_non_null(e->ram);
	e->lg.fn = capture;
	e->lg.ctx = e;
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *e = *state;

	free(e->ram);
	free(e);
	return 0;
}

static void build(struct img *im, int is64)
{
	memset(im, 0, sizeof(*im));
	im->is64 = is64;
	memcpy(im->eh.e_ident, ELFMAG, SELFMAG);
	im->eh.e_ident[EI_CLASS] = is64 ? ELFCLASS64 : ELFCLASS32;
	im->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	im->eh.e_ident[EI_VERSION] = EV_CURRENT;
	im->eh.e_type = ET_EXEC;
	im->eh.e_machine = is64 ? EM_X86_64 : EM_386;
	im->eh.e_version = EV_CURRENT;
	im->eh.e_entry = ENTRY;
	im->eh.e_phoff = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	im->eh.e_phentsize = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	im->eh.e_phnum = 2;
	im->ph[0] = (Elf64_Phdr){.p_type = PT_LOAD,
				 .p_flags = PF_R | PF_X,
				 .p_offset = TEXT_OFF,
				 .p_vaddr = TEXT_PADDR,
				 .p_paddr = TEXT_PADDR,
				 .p_filesz = TEXT_SIZE,
				 .p_memsz = TEXT_SIZE};
	im->ph[1] = (Elf64_Phdr){.p_type = PT_LOAD,
				 .p_flags = PF_R | PF_W,
				 .p_offset = DATA_OFF,
				 .p_vaddr = DATA_PADDR,
				 .p_paddr = DATA_PADDR,
				 .p_filesz = DATA_FILE,
				 .p_memsz = DATA_MEM};
	for (size_t i = TEXT_OFF; i < FILE_LEN; i++)
		im->file[i] = (uint8_t)(i * 7 + 1);
	im->len = FILE_LEN;
}

static void serialize32(struct img *im)
{
	const Elf64_Ehdr *h = &im->eh;
	Elf32_Ehdr e = {.e_type = h->e_type,
			.e_machine = h->e_machine,
			.e_version = h->e_version,
			.e_entry = (Elf32_Addr)h->e_entry,
			.e_phoff = (Elf32_Off)h->e_phoff,
			.e_ehsize = sizeof(Elf32_Ehdr),
			.e_phentsize = h->e_phentsize,
			.e_phnum = h->e_phnum};

	memcpy(e.e_ident, h->e_ident, EI_NIDENT);
	memcpy(im->file, &e, sizeof(e));
	for (unsigned i = 0; i < PH_MAX; i++) {
		const Elf64_Phdr *q = &im->ph[i];
		Elf32_Phdr p = {q->p_type,
				(Elf32_Off)q->p_offset,
				(Elf32_Addr)q->p_vaddr,
				(Elf32_Addr)q->p_paddr,
				(Elf32_Word)q->p_filesz,
				(Elf32_Word)q->p_memsz,
				q->p_flags,
				16};
		size_t at = sizeof(e) + i * sizeof(p);

		if (at + sizeof(p) <= TEXT_OFF)
			memcpy(im->file + at, &p, sizeof(p));
	}
}

/* Write the header and program headers into file[] (phoff as built). */
static void serialize(struct img *im)
{
	if (im->raw)
		return;
	im->raw = 1;
	if (!im->is64) {
		serialize32(im);
		return;
	}
	im->eh.e_ehsize = sizeof(Elf64_Ehdr);
	memcpy(im->file, &im->eh, sizeof(im->eh));
	for (unsigned i = 0; i < PH_MAX; i++) {
		size_t at = sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr);

		if (at + sizeof(Elf64_Phdr) <= TEXT_OFF)
			memcpy(im->file + at, &im->ph[i], sizeof(Elf64_Phdr));
	}
}

static void assert_ram_untouched(const struct env *e)
{
	for (size_t i = 0; i < RAM_SIZE; i++)
		if (e->ram[i] != FILL)
			fail_msg("guest byte 0x%zx written by a failed load",
				 i);
}

/* Load im, expect rc, memory untouched, and msg in the log. */
static void expect_reject(struct env *e, struct img *im, int rc,
			  const char *msg)
{
	struct mvm_image_info info = {0};

	serialize(im);
	e->log_len = 0;
	e->log[0] = '\0';
	assert_int_equal(
		mvm_load_elf(&e->mem, im->file, im->len, &info, &e->lg), rc);
	assert_ram_untouched(e);
	if (!strstr(e->log, msg))
		fail_msg("log \"%s\" does not mention \"%s\"", e->log, msg);
}

/* BAD(name, is64, rc, "log text", mutation of `im`) */
#define BAD(name, is64, rc, msg, ...)                 \
	static void name(void **state)                \
	{                                             \
		struct img *im = malloc(sizeof(*im)); \
		assert_non_null(im);                  \
		build(im, is64);                      \
		__VA_ARGS__;                          \
		expect_reject(*state, im, rc, msg);   \
		free(im);                             \
	}

BAD(elf_rejects_bad_magic, 1, -ENOEXEC, "not an ELF", im->eh.e_ident[1] = 'X')
BAD(elf_rejects_unknown_class, 1, -ENOEXEC, "unknown class 3",
    im->eh.e_ident[EI_CLASS] = 3)
BAD(elf_rejects_big_endian, 1, -ENOEXEC, "not little-endian",
    im->eh.e_ident[EI_DATA] = ELFDATA2MSB)
BAD(elf_rejects_unknown_version, 1, -ENOEXEC, "unknown version 0",
    im->eh.e_ident[EI_VERSION] = 0)
BAD(elf_rejects_position_independent_et_dyn, 1, -ENOEXEC, "ET_DYN",
    im->eh.e_type = ET_DYN)
BAD(elf_rejects_relocatable_et_rel, 1, -ENOEXEC, "not ET_EXEC",
    im->eh.e_type = ET_REL)
BAD(elf64_rejects_i386_machine, 1, -ENOEXEC, "machine 3 is not EM_X86_64",
    im->eh.e_machine = EM_386)
BAD(elf32_rejects_x86_64_machine, 0, -ENOEXEC, "machine 62 is not EM_386",
    im->eh.e_machine = EM_X86_64)
BAD(elf_rejects_arm_machine, 1, -ENOEXEC, "machine 183",
    im->eh.e_machine = EM_AARCH64)
BAD(elf_rejects_zero_phnum, 1, -ENOEXEC, "0 program headers",
    im->eh.e_phnum = 0)
BAD(elf_rejects_phnum_over_cap, 1, -ENOEXEC, "65 program headers",
    im->eh.e_phnum = 65)
BAD(elf_rejects_pn_xnum, 0, -ENOEXEC, "65535 program headers",
    im->eh.e_phnum = 0xffff)
BAD(elf_rejects_zero_phentsize, 1, -ENOEXEC, "program header size 0",
    im->eh.e_phentsize = 0)
BAD(elf64_rejects_elf32_phentsize, 1, -ENOEXEC,
    "program header size 32, expected 56", im->eh.e_phentsize = 32)
BAD(elf_rejects_phoff_past_end, 1, -ENOEXEC, "program headers at 0x1180",
    im->eh.e_phoff = FILE_LEN)
BAD(elf_rejects_phtable_straddling_end, 1, -ENOEXEC, "run past the end",
    im->eh.e_phoff = FILE_LEN - 60)
BAD(elf64_rejects_phoff_that_overflows, 1, -ENOEXEC, "program headers",
    im->eh.e_phoff = UINT64_MAX - 8)
BAD(elf32_rejects_phoff_that_overflows, 0, -ENOEXEC, "program headers",
    im->eh.e_phoff = UINT32_MAX - 8)
BAD(elf_rejects_segment_past_end_of_file, 1, -ENOEXEC,
    "segment 1 file range 0x1100+0x10000 runs past the end of the "
    "4480-byte file",
    im->ph[1].p_filesz = 0x10000;
    im->ph[1].p_memsz = 0x10000)
BAD(elf64_rejects_segment_offset_that_overflows, 1, -ENOEXEC,
    "segment 0 file range", im->ph[0].p_offset = UINT64_MAX - 0x10)
BAD(elf32_rejects_segment_offset_that_overflows, 0, -ENOEXEC,
    "segment 0 file range", im->ph[0].p_offset = UINT32_MAX - 0x10)
BAD(elf_rejects_filesz_larger_than_memsz, 1, -ENOEXEC,
    "p_filesz 0x80 larger than p_memsz 0x40", im->ph[1].p_memsz = 0x40)
BAD(elf_rejects_segment_beyond_ram, 1, -EFAULT,
    "segment 1 at guest-physical 0xff800+0x1000 is not inside guest RAM",
    im->ph[1].p_paddr = 0xff800)
BAD(elf_rejects_segment_far_outside_ram, 0, -EFAULT, "not inside guest RAM",
    im->ph[0].p_paddr = 0xc0000000;
    im->eh.e_entry = 0xc0000010)
BAD(elf64_rejects_segment_address_that_wraps, 1, -EFAULT,
    "not inside guest RAM", im->ph[1].p_paddr = UINT64_MAX - 0x100)
BAD(elf_rejects_overlapping_segments, 1, -ENOEXEC,
    "segments 0 (0x8000+0x100) and 1 (0x8080+0x1000) overlap",
    im->ph[1].p_paddr = TEXT_PADDR + 0x80)
BAD(elf32_rejects_overlapping_segments, 0, -ENOEXEC, "overlap",
    im->ph[0].p_paddr = DATA_PADDR + 0xff0)
BAD(elf_rejects_entry_outside_segments, 1, -ENOEXEC,
    "entry point 0xb000 is not inside", im->eh.e_entry = 0xb000)
BAD(elf_rejects_entry_in_data_segment, 1, -ENOEXEC,
    "not inside a loaded executable", im->eh.e_entry = DATA_PADDR)
/* The VMM's own structures (layout.h): mode setup would overwrite them. */
BAD(elf_rejects_segment_over_gdt, 1, -ENOEXEC,
    "segment 1 at guest-physical 0x800+0x1000 overlaps the GDT "
    "(0x1000+0x1000)",
    im->ph[1].p_paddr = 0x800)
BAD(elf_rejects_segment_over_tss, 0, -ENOEXEC,
    "segment 0 at guest-physical 0x3f80+0x100 overlaps the TSS "
    "(0x3000+0x1000)",
    im->ph[0].p_paddr = 0x3f80;
    im->eh.e_entry = 0x3f80)
BAD(elf_rejects_segment_over_ucall_mailbox, 1, -ENOEXEC,
    "overlaps the ucall mailbox (0x4000+0x1000)", im->ph[1].p_paddr = 0x4fff)
BAD(elf_rejects_bss_reaching_into_page_tables, 1, -ENOEXEC,
    "segment 1 at guest-physical 0x9000+0x8000 overlaps the page tables "
    "(0x10000+0x70000)",
    im->ph[1].p_memsz = 0x8000)
BAD(elf_rejects_segment_over_initial_stack, 1, -ENOEXEC,
    "overlaps the initial stack (0x80000+0x1f000)", im->ph[1].p_paddr = 0x9e000)
BAD(elf_rejects_segment_over_kvm_tss, 1, -ENOEXEC,
    "overlaps the KVM real-mode TSS (0xfffbd000+0x3000)",
    im->ph[1].p_paddr = 0xfffbc800)
BAD(elf_rejects_entry_matching_only_p_vaddr, 1, -ENOEXEC,
    "entry point 0xffffffff81000010 is inside a PF_X segment by virtual "
    "address only (p_vaddr 0xffffffff81000000, p_paddr 0x8000)",
    im->ph[0].p_vaddr = 0xffffffff81000000ull;
    im->eh.e_entry = 0xffffffff81000010ull)
BAD(elf_rejects_file_without_pt_load, 1, -ENOEXEC, "no PT_LOAD",
    im->ph[0].p_type = PT_NOTE;
    im->ph[1].p_type = PT_GNU_STACK)
BAD(elf_rejects_file_shorter_than_ident, 1, -ENOEXEC, "not an ELF",
    im->len = 10)
BAD(elf64_rejects_file_shorter_than_header, 1, -ENOEXEC,
    "shorter than the 64-byte ELF header", im->len = 40)
BAD(elf32_rejects_file_shorter_than_header, 0, -ENOEXEC,
    "shorter than the 52-byte ELF header", im->len = 51)

/* Cutting the valid file anywhere must be caught: every prefix is
 * missing the end of segment 1 at least. */
static void check_all_truncations(struct env *e, int is64)
{
	struct img *im = malloc(sizeof(*im));
	struct mvm_image_info info;

	assert_non_null(im);
	build(im, is64);
	serialize(im);
	for (size_t len = 0; len < FILE_LEN; len++) {
		int rc = mvm_load_elf(&e->mem, im->file, len, &info, &e->lg);

		if (rc != -ENOEXEC)
			fail_msg("ELF%d cut at %zu bytes gave %d",
				 is64 ? 64 : 32, len, rc);
	}
	assert_ram_untouched(e);
	free(im);
}

static void elf_truncated_at_any_length_is_rejected(void **state)
{
	check_all_truncations(*state, 1);
	check_all_truncations(*state, 0);
}

/* A valid image: bytes copied, bss zeroed, nothing else touched. */
static void check_valid_load(struct env *e, int is64)
{
	struct img *im = malloc(sizeof(*im));
	struct mvm_image_info info = {0};

	assert_non_null(im);
	build(im, is64);
	serialize(im);
	assert_int_equal(
		mvm_load_elf(&e->mem, im->file, im->len, &info, &e->lg), 0);
	assert_int_equal(info.kind, is64 ? MVM_IMAGE_ELF64 : MVM_IMAGE_ELF32);
	assert_int_equal(info.entry, ENTRY);
	assert_int_equal(info.lo, TEXT_PADDR);
	assert_int_equal(info.hi, DATA_PADDR + DATA_MEM);
	assert_int_equal(info.nsegments, 2);
	assert_memory_equal(e->ram + TEXT_PADDR, im->file + TEXT_OFF,
			    TEXT_SIZE);
	assert_memory_equal(e->ram + DATA_PADDR, im->file + DATA_OFF,
			    DATA_FILE);
	for (size_t i = DATA_PADDR + DATA_FILE; i < DATA_PADDR + DATA_MEM; i++)
		assert_int_equal(e->ram[i], 0);
	assert_int_equal(e->ram[TEXT_PADDR - 1], FILL);
	assert_int_equal(e->ram[TEXT_PADDR + TEXT_SIZE], FILL);
	assert_int_equal(e->ram[DATA_PADDR + DATA_MEM], FILL);
	free(im);
}

static void elf64_valid_image_loads_and_zeroes_bss(void **state)
{
	check_valid_load(*state, 1);
}

static void elf32_valid_image_loads_and_zeroes_bss(void **state)
{
	check_valid_load(*state, 0);
}

/* Linux's vmlinux style: p_vaddr high, p_paddr physical; the entry is
 * physical (a loader for such a kernel jumps to its physical start). */
static void elf_loads_at_paddr_with_physical_entry(void **state)
{
	struct env *e = *state;
	struct img *im = malloc(sizeof(*im));
	struct mvm_image_info info;

	assert_non_null(im);
	build(im, 1);
	im->ph[0].p_vaddr = 0xffffffff81000000ull;
	im->ph[2] = (Elf64_Phdr){.p_type = PT_NOTE, .p_offset = 0x7fffffff};
	im->ph[3] = (Elf64_Phdr){.p_type = PT_LOAD, .p_paddr = 0xc000};
	im->eh.e_phnum = 4;
	serialize(im);
	assert_int_equal(mvm_load_elf(&e->mem, im->file, im->len, &info, NULL),
			 0);
	assert_int_equal(info.entry, ENTRY);
	assert_memory_equal(e->ram + TEXT_PADDR, im->file + TEXT_OFF,
			    TEXT_SIZE);
	assert_int_equal(e->ram[0xc000], FILL); /* empty segment: no write */
	free(im);
}

/* The table loaders and docs share: sorted, disjoint, named, and the
 * overlap query exact at both edges. */
static void reserved_regions_are_sorted_named_and_queried_exactly(void **state)
{
	size_t n = 0;
	const struct mvm_region *r = mvm_layout_reserved(&n);

	(void)state;
	assert_true(n >= 5);
	for (size_t i = 0; i < n; i++) {
		assert_true(r[i].name && r[i].name[0]);
		assert_true(r[i].size > 0);
		if (i > 0)
			assert_true(r[i - 1].base + r[i - 1].size <= r[i].base);
		assert_ptr_equal(mvm_layout_reserved_overlap(r[i].base, 1),
				 &r[i]);
		assert_ptr_equal(mvm_layout_reserved_overlap(
					 r[i].base + r[i].size - 1, 1),
				 &r[i]);
		if (i == 0 || r[i - 1].base + r[i - 1].size < r[i].base)
			assert_null(
				mvm_layout_reserved_overlap(r[i].base - 1, 1));
	}
	assert_null(mvm_layout_reserved_overlap(MVM_LOAD_ADDR, 0x100000));
	assert_null(mvm_layout_reserved_overlap(MVM_GDT_ADDR, 0));
	assert_string_equal(mvm_layout_reserved_overlap(0, 0x2000)->name,
			    "GDT");
	/* a range that wraps reaches everything above its base */
	assert_non_null(mvm_layout_reserved_overlap(0xa0000, UINT64_MAX));
}

static void elf_magic_detection(void **state)
{
	(void)state;
	assert_true(mvm_image_is_elf("\x7f"
				     "ELF\x02",
				     5));
	assert_false(mvm_image_is_elf("\x7f"
				      "EL",
				      3));
	assert_false(mvm_image_is_elf("MZ\x90\x00", 4));
	assert_false(mvm_image_is_elf(NULL, 0));
}

/*
 * Random mutants of the valid images (fixed seed: reproducible). The
 * loader must return 0 or a documented error, never crash, and under
 * `make SANITIZE=1` ASan checks it never reads or writes out of bounds.
 */
static void elf_random_mutants_never_crash(void **state)
{
	struct env *e = *state;
	struct img *im = malloc(sizeof(*im));
	struct mvm_image_info info;
	unsigned seed = 12345;

	assert_non_null(im);
	for (int n = 0; n < 4000; n++) {
		build(im, n & 1);
		serialize(im);
		for (int k = 0; k < 1 + n % 6; k++) {
			size_t at = (size_t)rand_r(&seed) % 0x140;
			im->file[at] = (uint8_t)rand_r(&seed);
		}
		im->len = FILE_LEN - (n % 3 == 0 ? (size_t)n % 0x200 : 0);
		int rc = mvm_load_elf(&e->mem, im->file, im->len, &info, NULL);
		if (rc != 0 && rc != -ENOEXEC && rc != -EFAULT)
			fail_msg("mutant %d gave %d", n, rc);
		if (rc == 0)
			assert_true(info.hi <= RAM_SIZE && info.lo <= info.hi);
	}
	free(im);
}

#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(elf_rejects_bad_magic),
		T(elf_rejects_unknown_class),
		T(elf_rejects_big_endian),
		T(elf_rejects_unknown_version),
		T(elf_rejects_position_independent_et_dyn),
		T(elf_rejects_relocatable_et_rel),
		T(elf64_rejects_i386_machine),
		T(elf32_rejects_x86_64_machine),
		T(elf_rejects_arm_machine),
		T(elf_rejects_zero_phnum),
		T(elf_rejects_phnum_over_cap),
		T(elf_rejects_pn_xnum),
		T(elf_rejects_zero_phentsize),
		T(elf64_rejects_elf32_phentsize),
		T(elf_rejects_phoff_past_end),
		T(elf_rejects_phtable_straddling_end),
		T(elf64_rejects_phoff_that_overflows),
		T(elf32_rejects_phoff_that_overflows),
		T(elf_rejects_segment_past_end_of_file),
		T(elf64_rejects_segment_offset_that_overflows),
		T(elf32_rejects_segment_offset_that_overflows),
		T(elf_rejects_filesz_larger_than_memsz),
		T(elf_rejects_segment_beyond_ram),
		T(elf_rejects_segment_far_outside_ram),
		T(elf64_rejects_segment_address_that_wraps),
		T(elf_rejects_overlapping_segments),
		T(elf32_rejects_overlapping_segments),
		T(elf_rejects_entry_outside_segments),
		T(elf_rejects_entry_in_data_segment),
		T(elf_rejects_segment_over_gdt),
		T(elf_rejects_segment_over_tss),
		T(elf_rejects_segment_over_ucall_mailbox),
		T(elf_rejects_bss_reaching_into_page_tables),
		T(elf_rejects_segment_over_initial_stack),
		T(elf_rejects_segment_over_kvm_tss),
		T(elf_rejects_entry_matching_only_p_vaddr),
		T(elf_rejects_file_without_pt_load),
		T(elf_rejects_file_shorter_than_ident),
		T(elf64_rejects_file_shorter_than_header),
		T(elf32_rejects_file_shorter_than_header),
		T(elf_truncated_at_any_length_is_rejected),
		T(elf64_valid_image_loads_and_zeroes_bss),
		T(elf32_valid_image_loads_and_zeroes_bss),
		T(elf_loads_at_paddr_with_physical_entry),
		T(reserved_regions_are_sorted_named_and_queried_exactly),
		T(elf_magic_detection),
		T(elf_random_mutants_never_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
