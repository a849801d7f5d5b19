/*
 * fuzz_snapshot.c - the snapshot reader (snapshot/read.c) over any file.
 *
 * `mvm restore FILE` checks the whole file before it builds anything
 * (mvm_snap_image_open: magic, version, every header and body crc but
 * RAM's, section bounds, END last), and a snapshot is input from outside
 * this run: a truncated download, a file from another build, or one made
 * to attack the VMM. Input: one flag byte, then the file. With flag bit 0
 * the harness first makes every crc right, following the reader's own
 * walk (header, then each section header and its body), so mutations
 * reach the checks behind the checksums instead of dying at the first.
 * The file is handed over as a memfd (/proc/self/fd/N).
 */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "../../libminivmm/src/snapshot/snapfile.h"

static void fix_crcs(uint8_t *f, size_t size)
{
	struct snap_file_hdr h;
	uint64_t off = sizeof(h);

	if (size < sizeof(h))
		return;
	memcpy(&h, f, sizeof(h));
	h.crc = mvm_snap_file_hdr_crc(&h);
	memcpy(f, &h, sizeof(h));
	for (uint32_t i = 0; i < h.nsects && i < SNAP_MAX_SECTS; i++) {
		struct snap_sect_hdr s;

		if (off > size || size - off < sizeof(s))
			return;
		memcpy(&s, f + off, sizeof(s));
		if (s.offset <= size && s.length <= size - s.offset &&
		    s.type != MVM_SNAP_RAM)
			s.body_crc = mvm_crc32(0, f + s.offset, s.length);
		s.hdr_crc = mvm_snap_sect_hdr_crc(&s);
		memcpy(f + off, &s, sizeof(s));
		if (s.type == MVM_SNAP_END || s.offset > UINT64_MAX - s.length)
			return;
		off = snap_align(s.offset + s.length, 8);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mvm_log quiet;
	struct snap_image img;
	char path[64];
	uint8_t *f;
	int fd;

	if (size < 1)
		return 0;
	f = malloc(size);
	if (!f)
		abort();
	memcpy(f, data + 1, size - 1);
	if (data[0] & 1)
		fix_crcs(f, size - 1);
	fd = memfd_create("fuzz-snapshot", MFD_CLOEXEC);
	if (fd < 0 || write(fd, f, size - 1) != (ssize_t)(size - 1))
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (mvm_snap_image_open(&img, path, &quiet) == 0) {
		/* A file that passes: every section it claims is in bounds. */
		for (int i = 0; i < img.nsects; i++)
			if (img.sect[i].offset + img.sect[i].length > img.size)
				abort();
		mvm_snap_image_close(&img);
	}
	close(fd);
	free(f);
	return 0;
}
