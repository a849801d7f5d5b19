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
};

struct mvm_image_info {
	enum mvm_image_kind kind;
	uint64_t entry;	 /* first instruction (flat: the load address) */
	uint64_t lo, hi; /* lowest and one past highest byte written */
	int nsegments;	 /* PT_LOAD segments loaded (flat: 1) */
};

/* Copy img[0..len) to gpa. -EINVAL (empty), -EFAULT (outside memory). */
int mvm_load_flat(struct mvm_memmap *mem, uint64_t gpa, const void *img,
		  size_t len, struct mvm_image_info *info,
		  const struct mvm_log *log);

/* Validate and load an ELF executable (ET_EXEC, x86 or x86-64). */
int mvm_load_elf(struct mvm_memmap *mem, const void *img, size_t len,
		 struct mvm_image_info *info, const struct mvm_log *log);

/* 1 if img starts with the ELF magic. */
int mvm_image_is_elf(const void *img, size_t len);

/*
 * Read a file (at most max bytes; larger is -EFBIG) into a malloc'ed
 * buffer. The caller frees *buf. Returns 0 or -errno.
 */
int mvm_file_read(const char *path, size_t max, void **buf, size_t *len,
		  const struct mvm_log *log);

/* Load a file: ELF by its headers, otherwise flat at flat_gpa. */
int mvm_load_file(struct mvm_memmap *mem, const char *path, uint64_t flat_gpa,
		  struct mvm_image_info *info, const struct mvm_log *log);

#pragma GCC visibility pop

#endif
