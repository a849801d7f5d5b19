/*
 * bzimage.c - reading and checking a bzImage's setup header (linux.h).
 *
 * A bzImage starts with a 512-byte boot sector, then setup_sects sectors
 * of real-mode setup code, then the protected-mode kernel (which, in a
 * bzImage, is a decompressor with the compressed kernel inside). The
 * "setup header" at offset 0x1f1 of the boot sector tells a boot loader
 * everything it needs; its fields grew over the years and the protocol
 * version says which exist (Documentation/arch/x86/boot.rst, "The
 * Real-Mode Kernel Header" and "Details of Header Fields"; a field
 * marked "(2.10+)" there is only valid when version >= 0x020a).
 *
 * The file is untrusted input: every field is checked against the file
 * size and against what the protocol allows before anything uses it, and
 * each failure names the field and its value.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"
#include "minivmm/linux.h"

/* Offsets of header fields only this file reads (boot.rst). */
#define BP_SETUP_SECTS_DEFAULT \
	4		     /* "If this field is 0, the real value
					is 4" (boot.rst, setup_sects) */
#define BP_HDR_END_206 0x23c /* a 2.06 header ends after cmdline_size */
#define BP_HDR_END_210 0x264 /* a 2.10 one after init_size */
#define BP_SECTOR      512

static uint16_t rd16(const uint8_t *p, size_t off)
{
	return (uint16_t)(p[off] | p[off + 1] << 8);
}

static uint32_t rd32(const uint8_t *p, size_t off)
{
	return (uint32_t)rd16(p, off) | (uint32_t)rd16(p, off + 2) << 16;
}

static uint64_t rd64(const uint8_t *p, size_t off)
{
	return (uint64_t)rd32(p, off) | (uint64_t)rd32(p, off + 4) << 32;
}

/* Magic numbers and version: is this a bzImage we can boot at all? */
static int check_magic(const uint8_t *p, size_t len, struct mvm_bzimage *b,
		       const struct mvm_log *log)
{
	if (len < BP_HDR_END_210) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "bzImage: truncated: %zu bytes, the setup header "
			 "alone needs %d",
			 len, BP_HDR_END_210);
		return -ENOEXEC;
	}
	if (rd16(p, MVM_BP_BOOT_FLAG) != MVM_BOOT_FLAG ||
	    rd32(p, MVM_BP_HEADER) != MVM_BOOT_HDRS) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "bzImage: wrong magic: boot_flag 0x%04x (want "
			 "0xaa55 at 0x1fe), header 0x%08x (want \"HdrS\" at "
			 "0x202): not a Linux kernel image",
			 rd16(p, MVM_BP_BOOT_FLAG), rd32(p, MVM_BP_HEADER));
		return -ENOEXEC;
	}
	b->version = rd16(p, MVM_BP_VERSION);
	if (b->version < MVM_BOOT_VERSION_MIN) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "bzImage: boot protocol %u.%02u is older than 2.06 "
			 "(no cmdline_size); this loader needs 2.06 or later",
			 b->version >> 8, b->version & 0xff);
		return -ENOEXEC;
	}
	return 0;
}

/* setup_sects and the header's own length against the file. */
static int check_setup(const uint8_t *p, size_t len, struct mvm_bzimage *b,
		       const struct mvm_log *log)
{
	unsigned sects = p[MVM_BP_SETUP_SECTS];
	size_t min_end = b->version >= 0x020a ? BP_HDR_END_210 : BP_HDR_END_206;

	if (sects == 0)
		sects = BP_SETUP_SECTS_DEFAULT;
	if (sects > MVM_SETUP_SECTS_MAX) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "bzImage: absurd setup_sects %u: the real-mode setup "
			 "must fit in 32 KiB (at most %d sectors)",
			 sects, MVM_SETUP_SECTS_MAX);
		return -ENOEXEC;
	}
	b->setup_sects = sects;
	b->setup_size = (size_t)(sects + 1) * BP_SECTOR;
	/* The header runs from 0x1f1 to the target of the jump at 0x200
	 * (boot.rst: "the end of the setup header can be calculated as
	 * 0x0202 + the byte value at offset 0x0201"). */
	b->hdr_end = MVM_BP_HEADER + p[MVM_BP_JUMP + 1];
	if (b->hdr_end < min_end || b->hdr_end > b->setup_size) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "bzImage: corrupt header: it ends at 0x%zx, outside "
			 "[0x%zx, setup end 0x%zx]",
			 b->hdr_end, min_end, b->setup_size);
		return -ENOEXEC;
	}
	if (len <= b->setup_size + MVM_BZIMAGE_ENTRY64) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "bzImage: truncated: %zu bytes, but the setup code "
			 "alone is %zu (setup_sects %u) and the 64-bit entry "
			 "is 0x%x bytes after it",
			 len, b->setup_size, sects, MVM_BZIMAGE_ENTRY64);
		return -ENOEXEC;
	}
	b->kernel_size = len - b->setup_size;
	return 0;
}

/* Load and entry: a kernel that loads high and has a 64-bit entry. */
static int check_flags(const uint8_t *p, struct mvm_bzimage *b,
		       const struct mvm_log *log)
{
	b->loadflags = p[MVM_BP_LOADFLAGS];
	b->xloadflags = b->version >= 0x020c ? rd16(p, MVM_BP_XLOADFLAGS) : 0;
	if (!(b->loadflags & MVM_LOADED_HIGH)) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "bzImage: loadflags 0x%02x lack LOADED_HIGH: an old "
			 "zImage (loaded at 64 KiB), not supported",
			 b->loadflags);
		return -ENOEXEC;
	}
	if (b->version >= 0x020c && !(b->xloadflags & MVM_XLF_KERNEL_64)) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "bzImage: xloadflags 0x%04x lack XLF_KERNEL_64: a "
			 "32-bit kernel, with no 64-bit entry point",
			 b->xloadflags);
		return -ENOEXEC;
	}
	return 0;
}

/* Sizes: syssize (2.04+), init_size (2.10+), alignment (2.05+). */
static int check_sizes(const uint8_t *p, struct mvm_bzimage *b,
		       const struct mvm_log *log)
{
	uint64_t sys = (uint64_t)rd32(p, MVM_BP_SYSSIZE) * 16;

	if (sys > b->kernel_size) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "bzImage: truncated: syssize says %llu bytes of "
			 "protected-mode kernel, the file has %zu",
			 (unsigned long long)sys, b->kernel_size);
		return -ENOEXEC;
	}
	b->relocatable = p[MVM_BP_RELOCATABLE] != 0;
	b->kernel_align = rd32(p, MVM_BP_KERNEL_ALIGNMENT);
	if (b->relocatable && (b->kernel_align == 0 ||
			       (b->kernel_align & (b->kernel_align - 1)))) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "bzImage: corrupt kernel_alignment 0x%x (must be a "
			 "power of two)",
			 b->kernel_align);
		return -ENOEXEC;
	}
	b->initrd_addr_max = rd32(p, MVM_BP_INITRD_ADDR_MAX);
	b->cmdline_size = rd32(p, MVM_BP_CMDLINE_SIZE);
	b->pref_address = MVM_LOAD_ADDR;
	b->init_size = (uint32_t)b->kernel_size;
	if (b->version >= 0x020a) {
		b->pref_address = rd64(p, MVM_BP_PREF_ADDRESS);
		b->init_size = rd32(p, MVM_BP_INIT_SIZE);
	}
	if (b->init_size < sys || b->pref_address >= MVM_RAM_MAX) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "bzImage: corrupt header: init_size %u is smaller "
			 "than the kernel (%llu bytes) or pref_address 0x%llx "
			 "is above 3 GiB",
			 b->init_size, (unsigned long long)sys,
			 (unsigned long long)b->pref_address);
		return -ENOEXEC;
	}
	return 0;
}

int mvm_bzimage_parse(const void *img, size_t len, struct mvm_bzimage *out,
		      const struct mvm_log *log)
{
	const uint8_t *p = img;
	struct mvm_bzimage b = {0};
	int rc;

	if (!img || !out)
		return -EINVAL;
	rc = check_magic(p, len, &b, log);
	if (!rc)
		rc = check_setup(p, len, &b, log);
	if (!rc)
		rc = check_flags(p, &b, log);
	if (!rc)
		rc = check_sizes(p, &b, log);
	if (rc)
		return rc;
	*out = b;
	return 0;
}
