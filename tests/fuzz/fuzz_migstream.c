/*
 * fuzz_migstream.c - the live-migration stream's reader on any bytes
 * (migrate.h; libminivmm/src/snapshot/migrate_stream.c).
 *
 * Input: one byte of options, then messages, each a 64-byte header and
 * as much of its body as the header's length asks (cut short by the
 * end of the input). With option bit 0 the harness first makes every
 * header's sequence number and both crcs right, so mutations reach the
 * checks behind the checksums (bounds by type, PAGES entries); without
 * it they hit the checksums themselves. The bytes are read back from a
 * memfd by mvm_mig_recv(), as the target reads its socket, and each PAGES
 * message that passes mvm_mig_pages_check() is written into 256 KiB of
 * host memory standing in for guest RAM. Any input must end in an
 * error code or the end of the stream: never a crash, an out-of-bounds
 * write (ASan) or a hang.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "hostram.h"
#include "snapshot/migstream.h"

#define RAM_SIZE (256u << 10)

static struct hostram *ram;

/* The input, re-framed as the option byte says, into fd. */
static void write_stream(int fd, const uint8_t *p, size_t left, int fix)
{
	uint64_t seq = 0;

	while (left >= sizeof(struct snap_sect_hdr)) {
		struct snap_sect_hdr h;
		size_t body;

		memcpy(&h, p, sizeof(h));
		p += sizeof(h);
		left -= sizeof(h);
		body = h.length < left ? (size_t)h.length : left;
		if (fix) {
			h.offset = seq++;
			h.body_crc = mvm_crc32(0, p, body);
			h.hdr_crc = mvm_snap_sect_hdr_crc(&h);
		}
		if (write(fd, &h, sizeof(h)) != sizeof(h) ||
		    (body && write(fd, p, body) != (ssize_t)body))
			abort();
		p += body;
		left -= body;
	}
	if (left && write(fd, p, left) != (ssize_t)left)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mig_conn c;
	struct snap_sect_hdr h;
	int fd;

	if (!ram && !(ram = hostram_new(RAM_SIZE, 0)))
		abort();
	if (size < 1)
		return 0;
	fd = memfd_create("migstream", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	write_stream(fd, data + 1, size - 1, data[0] & 1);
	if (lseek(fd, 0, SEEK_SET) != 0 || mvm_mig_conn_init(&c, fd, NULL))
		abort();
	while (mvm_mig_recv(&c, &h) == 0)
		if (h.type == MVM_MIG_PAGES &&
		    mvm_mig_pages_check(&h, c.buf, &ram->mem, NULL) == 0)
			mvm_mig_pages_apply(&h, c.buf, &ram->mem);
	mvm_mig_conn_fini(&c);
	close(fd);
	return 0;
}
