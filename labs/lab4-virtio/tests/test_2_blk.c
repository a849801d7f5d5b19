/*
 * test_2_blk.c - Lab 4, task 3: virtio-blk's request handler (blk.c,
 * blk_serve()), driven by a real guest: lab4-blk.elf with the runtime's
 * driver, one request per step. The test picks the sectors at random,
 * and judges only what it reads itself: the guest's buffer (guest
 * memory) against the backing file, byte for byte, the status byte the
 * device gave the guest, and the file's size and bytes after a refused
 * request. Task 3 needs tasks 1-2 (the ring) to be seen at all; the
 * virtio-pci test does not need tasks 4-5 (the mmio transport and its
 * negotiation), so it isolates the handler.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lab4.h"

#define DISK_SECTORS 256 /* 128 KiB */
#define MAX_STEP     32	 /* sectors per request here (guest: 64) */
#define SECTOR	     MVM_VIRTIO_BLK_SECTOR

/* A read of n sectors at s: the guest's buffer must be the file's bytes. */
static void check_read(struct lab4 *t, uint64_t s, unsigned n)
{
	static uint8_t g[MAX_STEP * SECTOR], f[MAX_STEP * SECTOR];
	uint64_t st;

	memset(g, 0, sizeof(g));
	lab4_guest_rw(t, 1, g, n * SECTOR); /* clear what the guest sees */
	st = lab4_step(t, LAB4_READ, s, n);
	GRADE_EXPECT(st == MVM_VIRTIO_BLK_S_OK,
		     "read of %u sectors at sector %llu: status %llu, "
		     "expected VIRTIO_BLK_S_OK (0) (1 = IOERR, 2 = UNSUPP)",
		     n, (unsigned long long)s, (unsigned long long)st);
	lab4_guest_rw(t, 0, g, n * SECTOR);
	lab4_file_rw(t, 0, s * SECTOR, f, n * SECTOR);
	for (unsigned i = 0; i < n * SECTOR; i++)
		GRADE_EXPECT(
			g[i] == f[i],
			"read of %u sectors at sector %llu: byte %u of "
			"the guest's buffer is 0x%02x, the file has 0x%02x "
			"there",
			n, (unsigned long long)s, i, g[i], f[i]);
}

/* A write of n random sectors at s: the file must then hold them. */
static void check_write(struct lab4 *t, uint64_t s, unsigned n)
{
	static uint8_t g[MAX_STEP * SECTOR], f[MAX_STEP * SECTOR];
	uint64_t st;

	for (unsigned i = 0; i < n * SECTOR; i += 8) {
		uint64_t v = lab4_rand();

		memcpy(g + i, &v, 8);
	}
	lab4_guest_rw(t, 1, g, n * SECTOR);
	st = lab4_step(t, LAB4_WRITE, s, n);
	GRADE_EXPECT(st == MVM_VIRTIO_BLK_S_OK,
		     "write of %u sectors at sector %llu: status %llu, "
		     "expected VIRTIO_BLK_S_OK (0)",
		     n, (unsigned long long)s, (unsigned long long)st);
	lab4_file_rw(t, 0, s * SECTOR, f, n * SECTOR);
	for (unsigned i = 0; i < n * SECTOR; i++)
		GRADE_EXPECT(g[i] == f[i],
			     "write of %u sectors at sector %llu: byte %u in "
			     "the file is 0x%02x, the guest wrote 0x%02x",
			     n, (unsigned long long)s, i, f[i], g[i]);
}

static unsigned rand_len(void)
{
	return 1 + (unsigned)(lab4_rand() % MAX_STEP);
}

static uint64_t rand_sector(unsigned n)
{
	return lab4_rand() % (DISK_SECTORS - n + 1);
}

static void start(struct lab4 *t, int transport, int plain, int ro)
{
	lab4_require_kvm();
	memset(t, 0, sizeof(*t));
	lab4_disk(t, DISK_SECTORS);
	lab4_machine(t, LAB4_BLK, transport, plain, ro);
	lab4_blk_start(t, transport, MVM_VIRTIO_BIT(MVM_VIRTIO_BLK_F_RO));
}

static void guest_reads_match_the_file(void **state)
{
	struct lab4 t;

	(void)state;
	start(&t, MVM_VIRTIO_TRANSPORT_MMIO, 0, 0);
	check_read(&t, 0, 1);
	check_read(&t, DISK_SECTORS - 1, 1); /* the last sector */
	for (int i = 0; i < 4; i++) {
		unsigned n = rand_len();

		check_read(&t, rand_sector(n), n);
	}
	lab4_free(&t);
}

static void guest_writes_reach_the_file(void **state)
{
	struct lab4 t;

	(void)state;
	start(&t, MVM_VIRTIO_TRANSPORT_MMIO, 1, 0); /* exit per kick */
	for (int i = 0; i < 4; i++) {
		unsigned n = rand_len();
		uint64_t s = rand_sector(n);

		check_write(&t, s, n);
		check_read(&t, s, n); /* and back */
	}
	check_write(&t, DISK_SECTORS - 2, 2);
	lab4_free(&t);
}

static void guest_reads_and_writes_over_pci(void **state)
{
	struct lab4 t;
	unsigned n = rand_len();
	uint64_t s = rand_sector(n);

	(void)state;
	start(&t, MVM_VIRTIO_TRANSPORT_PCI, 0, 0);
	check_read(&t, s, n);
	check_write(&t, rand_sector(n), n);
	lab4_free(&t);
}

static void read_only_disk_refuses_writes_with_ioerr(void **state)
{
	static uint8_t before[4 * SECTOR], after[4 * SECTOR], g[4 * SECTOR];
	struct lab4 t;
	uint64_t s = rand_sector(4), st;

	(void)state;
	start(&t, MVM_VIRTIO_TRANSPORT_MMIO, 0, 1);
	GRADE_EXPECT(t.features & MVM_VIRTIO_BIT(MVM_VIRTIO_BLK_F_RO),
		     "the guest driver did not see VIRTIO_BLK_F_RO");
	lab4_file_rw(&t, 0, s * SECTOR, before, sizeof(before));
	memset(g, 0x5a, sizeof(g));
	lab4_guest_rw(&t, 1, g, sizeof(g));
	st = lab4_step(&t, LAB4_WRITE, s, 4);
	GRADE_EXPECT(st == MVM_VIRTIO_BLK_S_IOERR,
		     "a write to a read-only disk: status %llu, expected "
		     "VIRTIO_BLK_S_IOERR (1)",
		     (unsigned long long)st);
	lab4_file_rw(&t, 0, s * SECTOR, after, sizeof(after));
	GRADE_EXPECT(memcmp(before, after, sizeof(after)) == 0,
		     "the read-only disk's file changed at sector %llu",
		     (unsigned long long)s);
	check_read(&t, s, 4); /* reads still work */
	lab4_free(&t);
}

/* Refused requests: IOERR, and the file keeps its size and bytes. */
static void out_of_bounds_requests_are_refused(void **state)
{
	static const struct {
		uint64_t back; /* sector = capacity - back (wraps) */
		unsigned n;
		const char *what;
	} bad[] = {
		{1, 2, "2 sectors starting at the last one"},
		{0, 1, "1 sector at the capacity"},
		{(uint64_t)DISK_SECTORS - (1ULL << 62), 1, "sector 2^62"},
		{DISK_SECTORS + 1, 8,
		 "8 sectors at 2^64 - 1 (the end wraps to 6)"},
	};
	static uint8_t before[DISK_SECTORS * SECTOR],
		after[DISK_SECTORS * SECTOR];
	struct lab4 t;
	struct stat sb;

	(void)state;
	start(&t, MVM_VIRTIO_TRANSPORT_MMIO, 0, 0);
	lab4_file_rw(&t, 0, 0, before, sizeof(before));
	for (unsigned i = 0; i < GRADE_N(bad); i++)
		for (int w = 0; w <= 1; w++) {
			uint64_t s = DISK_SECTORS - bad[i].back;
			uint64_t st = lab4_step(&t, w ? LAB4_WRITE : LAB4_READ,
						s, bad[i].n);

			GRADE_EXPECT(st == MVM_VIRTIO_BLK_S_IOERR,
				     "a %s of %s (the disk has %d sectors): "
				     "status %llu, expected VIRTIO_BLK_S_IOERR "
				     "(1)",
				     w ? "write" : "read", bad[i].what,
				     DISK_SECTORS, (unsigned long long)st);
			GRADE_EXPECT(
				stat(t.disk, &sb) == 0 &&
					sb.st_size == DISK_SECTORS * SECTOR,
				"after a %s of %s the file has %lld bytes, "
				"it had %d",
				w ? "write" : "read", bad[i].what,
				(long long)sb.st_size, DISK_SECTORS * SECTOR);
		}
	lab4_file_rw(&t, 0, 0, after, sizeof(after));
	GRADE_EXPECT(memcmp(before, after, sizeof(after)) == 0,
		     "a refused write changed the file");
	check_read(&t, DISK_SECTORS - 1, 1); /* the last one is fine */
	lab4_free(&t);
}

static const struct grade_test tests[] = {
	GRADE_TEST(guest_reads_match_the_file, 5,
		   "task 3: blk_serve() in blk.c, IN"),
	GRADE_TEST(guest_writes_reach_the_file, 5, "task 3: blk_serve(), OUT"),
	GRADE_TEST(guest_reads_and_writes_over_pci, 4,
		   "task 3: blk_serve(), over virtio-pci"),
	GRADE_TEST(read_only_disk_refuses_writes_with_ioerr, 5,
		   "task 3: blk_serve(), read-only disk"),
	GRADE_TEST(out_of_bounds_requests_are_refused, 6,
		   "task 3: blk_serve(), sector bounds"),
};

int main(int argc, char **argv)
{
	return grade_main(argc, argv, tests, GRADE_N(tests));
}
