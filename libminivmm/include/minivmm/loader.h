/*
 * loader.h - putting a guest image into guest memory.
 *
 * Two formats: a flat binary copied to one address, and ELF32/ELF64
 * executables (ELF specification; System V gABI "Program Loading"), whose
 * PT_LOAD program headers say which file bytes go to which address and
 * how much zero fill (p_memsz > p_filesz) follows.
 *
 * Images are untrusted input. Every offset, size and address in the file
 * is checked before it is used: a truncated, overlapping, out-of-range or
 * otherwise malformed file gets -ENOEXEC (or -EFAULT when the image does
 * not fit guest memory) and a log message naming the problem. Nothing is
 * written to guest memory until the whole file has been validated.
 *
 * Neither loader writes over the VMM's own structures (the reserved
 * regions of layout.h: GDT, TSS, ucall mailbox, page tables, stack):
 * mode setup would overwrite the image there, and the guest would die
 * far from the cause. Such an image gets -ENOEXEC naming the region.
 *
 * Flat or ELF? A flat binary has no header, so any bytes "are" a flat
 * image; guessing from content alone once ran a broken ELF file as
 * real-mode code. The rule (mvm_image_kind_guess()):
 *   1. a file whose first byte is 0x7f (the start of "\x7fELF") is ELF,
 *      always, and gets an ELF error if it is not a valid one;
 *   2. otherwise it is flat if the caller says so (a tool's --flat) or
 *      its name ends in ".bin";
 *   3. anything else must be ELF.
 */
#ifndef MINIVMM_LOADER_H
#define MINIVMM_LOADER_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "memory.h"

enum mvm_image_kind {
	MVM_IMAGE_FLAT,
	MVM_IMAGE_ELF32,
	MVM_IMAGE_ELF64,
	MVM_IMAGE_ELF, /* mvm_image_kind_guess() only: ELF, class not read */
};

/* Flags for mvm_image_kind_guess() and mvm_load_image(). */
#define MVM_LOAD_FLAT 0x1u /* the user says "flat" (--flat) */

struct mvm_image_info {
	enum mvm_image_kind kind;
	uint64_t entry;	 /* first instruction (flat: the load address) */
	uint64_t lo, hi; /* lowest and one past highest byte written */
	int nsegments;	 /* PT_LOAD segments loaded (flat: 1) */
};

/* Copy img[0..len) to gpa. -EINVAL (empty), -EFAULT (outside memory),
 * -ENOEXEC (first byte 0x7f: an ELF file; or over a reserved region). */
int mvm_load_flat(struct mvm_memmap *mem, uint64_t gpa, const void *img,
		  size_t len, struct mvm_image_info *info,
		  const struct mvm_log *log);

/* Validate and load an ELF executable (ET_EXEC, x86 or x86-64). */
int mvm_load_elf(struct mvm_memmap *mem, const void *img, size_t len,
		 struct mvm_image_info *info, const struct mvm_log *log);

/* 1 if img starts with the ELF magic. */
int mvm_image_is_elf(const void *img, size_t len);

/*
 * MVM_IMAGE_ELF or MVM_IMAGE_FLAT by the rule at the top of this file.
 * path (may be NULL) is only looked at for its ".bin" suffix; flags is 0
 * or MVM_LOAD_FLAT.
 */
enum mvm_image_kind mvm_image_kind_guess(const void *img, size_t len,
					 const char *path, unsigned flags);

/*
 * Load a buffer read from path (used for the guess and messages; may be
 * NULL): ELF, or flat at flat_gpa, as mvm_image_kind_guess() decides.
 * A file that must be ELF but has no ELF magic gets -ENOEXEC and a hint
 * about how flat images are named.
 */
int mvm_load_image(struct mvm_memmap *mem, const void *img, size_t len,
		   const char *path, uint64_t flat_gpa, unsigned flags,
		   struct mvm_image_info *info, const struct mvm_log *log);

/*
 * Read a file (at most max bytes; larger is -EFBIG) into a malloc'ed
 * buffer. The caller frees *buf. Returns 0 or -errno.
 */
int mvm_file_read(const char *path, size_t max, void **buf, size_t *len,
		  const struct mvm_log *log);

/*
 * Read and load a file for a program that made the file itself (tests,
 * Lab 1's tools): mvm_load_image() with MVM_LOAD_FLAT, so the content
 * decides (a 0x7f first byte is ELF, anything else flat at flat_gpa).
 * Tools that load a user's file should read it and call
 * mvm_load_image() with the name rule instead.
 */
int mvm_load_file(struct mvm_memmap *mem, const char *path, uint64_t flat_gpa,
		  struct mvm_image_info *info, const struct mvm_log *log);

#pragma GCC visibility pop

#endif
