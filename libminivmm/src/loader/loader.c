/*
 * loader.c - reading image files and loading flat binaries.
 *
 * A flat binary has no headers: its bytes are copied to one guest-physical
 * address and execution starts at that address. The real-mode examples
 * are flat (they start at MVM_REAL_LOAD_ADDR like a PC boot sector); the
 * protected and long mode guests are ELF executables (elf.c).
 *
 * Which is which is decided by mvm_image_kind_guess() (the rule is in
 * loader.h): content first (a 0x7f first byte is ELF, always), then the
 * caller's flag or a ".bin" name. Files are read whole, with a size cap
 * so that a wrong path (a disk image, /dev/zero) is an error, not an OOM.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* Largest image mvm_load_file() reads: big enough for a Linux vmlinux
 * with debug information, small enough to catch a wrong file. */
#define MVM_IMAGE_MAX (512ULL << 20)

/* The VMM's own structures (layout.h) are rewritten by mode setup, so
 * an image there would be destroyed before its first instruction. */
static int check_reserved(uint64_t gpa, size_t len, const struct mvm_log *log)
{
	const struct mvm_region *r = mvm_layout_reserved_overlap(gpa, len);

	if (!r)
		return 0;
	mvm_logf(log, MVM_LOG_ERROR,
		 "flat image at guest-physical 0x%llx+0x%zx overlaps the %s "
		 "(0x%llx+0x%llx), which the VMM owns",
		 (unsigned long long)gpa, len, r->name,
		 (unsigned long long)r->base, (unsigned long long)r->size);
	return -ENOEXEC;
}

/* A flat image has no header, so its entry point is its first byte, as
 * for a PC boot sector at 0x7c00. */
int mvm_load_flat(struct mvm_memmap *mem, uint64_t gpa, const void *img,
		  size_t len, struct mvm_image_info *info,
		  const struct mvm_log *log)
{
	void *hva;
	int rc;

	if (!mem || !img || !info)
		return -EINVAL;
	if (len == 0) {
		mvm_logf(log, MVM_LOG_ERROR, "flat image is empty");
		return -EINVAL;
	}
	/* 0x7f opens "\x7fELF": a damaged ELF file, not code to run */
	if (((const uint8_t *)img)[0] == ELFMAG0) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "flat image starts with 0x7f like an ELF file; "
			 "refusing to run it as code (load it as ELF)");
		return -ENOEXEC;
	}
	rc = check_reserved(gpa, len, log);
	if (rc)
		return rc;
	/* one slot, no wrap: mvm_memmap_hva() checks both */
	hva = mvm_memmap_hva(mem, gpa, len);
	if (!hva) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "flat image of %zu bytes at guest-physical 0x%llx "
			 "does not fit in guest RAM",
			 len, (unsigned long long)gpa);
		return -EFAULT;
	}
	memcpy(hva, img, len);
	mvm_memmap_mark_dirty(mem, gpa, len); /* for dirty logging */
	info->kind = MVM_IMAGE_FLAT;
	info->entry = gpa;
	info->lo = gpa;
	info->hi = gpa + len;
	info->nsegments = 1;
	return 0;
}

/* read() until len bytes or EOF; returns bytes read or -errno. A single
 * read() may legally return less than asked (signals, large files), so
 * one call is not enough. */
static ssize_t read_full(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(fd, buf + got, len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* Size of an open regular file, checked against max. Only regular files:
 * a FIFO, a directory or /dev/zero has no useful size (and /dev/zero
 * never ends), and the cap must be checked before allocating. */
static int file_size(int fd, const char *path, size_t max, size_t *size,
		     const struct mvm_log *log)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		int err = errno;
		mvm_logf(log, MVM_LOG_ERROR, "%s: %s", path, strerror(err));
		return -err;
	}
	if (!S_ISREG(st.st_mode)) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "%s: not a regular file but a %s: an image is read "
			 "from a regular file",
			 path,
			 S_ISDIR(st.st_mode)	? "directory"
			 : S_ISFIFO(st.st_mode) ? "FIFO (named pipe)"
			 : S_ISSOCK(st.st_mode) ? "socket"
						: "device");
		return -EINVAL;
	}
	if (st.st_size == 0) {
		/* /proc and /sys report size 0 and make up their contents
		 * when read: a guest image is never one of them */
		mvm_logf(log, MVM_LOG_ERROR, "%s: empty (0 bytes%s)", path,
			 strncmp(path, "/proc/", 6) && strncmp(path, "/sys/", 5)
				 ? ""
				 : "; files in /proc and /sys are made up when "
				   "read and cannot be images");
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > max) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "%s: %lld bytes, larger than the %zu-byte limit", path,
			 (long long)st.st_size, max);
		return -EFBIG;
	}
	*size = (size_t)st.st_size;
	return 0;
}

int mvm_file_read(const char *path, size_t max, void **buf, size_t *len,
		  const struct mvm_log *log)
{
	size_t size = 0;
	uint8_t *p = NULL;
	ssize_t got;
	int fd, rc;

	if (!path || !buf || !len)
		return -EINVAL;
	/* O_CLOEXEC: a VMM may run helper programs; they need not see it.
	 * O_NONBLOCK: opening a FIFO would otherwise wait for a writer;
	 * file_size() refuses it at once (reads of a regular file ignore
	 * the flag, open(2)). */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		mvm_logf(log, MVM_LOG_ERROR, "%s: %s", path, strerror(-rc));
		return rc;
	}
	rc = file_size(fd, path, max, &size, log);
	if (rc)
		goto out;
	p = malloc(size ? size : 1);
	if (!p) {
		rc = -ENOMEM;
		goto out;
	}
	/* A file that shrinks while we read gives fewer bytes; that is
	 * what it contains now, so report the bytes actually read. */
	got = read_full(fd, p, size);
	if (got < 0) {
		rc = (int)got;
		mvm_logf(log, MVM_LOG_ERROR, "%s: %s", path, strerror(-rc));
		free(p);
		goto out;
	}
	*buf = p;
	*len = (size_t)got;
out:
	close(fd);
	return rc;
}

/* "name.bin" (any case of "bin"), by name only. */
static int has_bin_suffix(const char *path)
{
	size_t n = path ? strlen(path) : 0;

	return n > 4 && strcasecmp(path + n - 4, ".bin") == 0;
}

enum mvm_image_kind mvm_image_kind_guess(const void *img, size_t len,
					 const char *path, unsigned flags)
{
	/* Rule 1: any prefix of "\x7fELF" (even the lone byte) is ELF. */
	if (img && len > 0 && ((const uint8_t *)img)[0] == ELFMAG0)
		return MVM_IMAGE_ELF;
	if ((flags & MVM_LOAD_FLAT) || has_bin_suffix(path))
		return MVM_IMAGE_FLAT;
	return MVM_IMAGE_ELF;
}

int mvm_load_image(struct mvm_memmap *mem, const void *img, size_t len,
		   const char *path, uint64_t flat_gpa, unsigned flags,
		   struct mvm_image_info *info, const struct mvm_log *log)
{
	const char *name = path ? path : "image";

	if (mvm_image_kind_guess(img, len, path, flags) == MVM_IMAGE_FLAT)
		return mvm_load_flat(mem, flat_gpa, img, len, info, log);
	if (img && len > 0 && ((const uint8_t *)img)[0] != ELFMAG0) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "%s: not an ELF file (no \\x7fELF magic); a flat "
			 "binary needs a name ending in .bin or the --flat "
			 "option",
			 name);
		return -ENOEXEC;
	}
	return mvm_load_elf(mem, img, len, info, log);
}

int mvm_load_file(struct mvm_memmap *mem, const char *path, uint64_t flat_gpa,
		  struct mvm_image_info *info, const struct mvm_log *log)
{
	void *img = NULL;
	size_t len = 0;
	int rc;

	rc = mvm_file_read(path, MVM_IMAGE_MAX, &img, &len, log);
	if (rc)
		return rc;
	rc = mvm_load_image(mem, img, len, path, flat_gpa, MVM_LOAD_FLAT, info,
			    log);
	if (rc)
		mvm_logf(log, MVM_LOG_ERROR, "%s: could not load the image",
			 path);
	free(img);
	return rc;
}
