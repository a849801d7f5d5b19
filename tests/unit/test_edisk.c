/*
 * test_edisk.c - the register-at-a-time emulated disk, driven through
 * its ports without a VM: reads and writes against a temporary file,
 * every refused command, DATA outside a transfer, and random traffic
 * that must never write outside the disk.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "minivmm/minivmm.h"

#define NSECT 16
#define SS    MVM_EDISK_SECTOR_SIZE
#define TAIL  100 /* bytes past the last whole sector: not disk */

struct env {
	char path[64];
	struct mvm_edisk *d;
};

static uint8_t pattern(uint32_t lba, uint32_t i)
{
	return (uint8_t)(lba * 7 + i * 13 + (i >> 8));
}

static int env_setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	static uint8_t img[NSECT * SS + TAIL];
	FILE *f;
	int fd;

	if (!e)
		return -1;
	for (uint32_t i = 0; i < sizeof(img); i++)
		img[i] = pattern(i / SS, i % SS);
	strcpy(e->path, "/tmp/test_edisk.XXXXXX");
	fd = mkstemp(e->path);
	if (fd < 0 || !(f = fdopen(fd, "w")))
		return -1;
	if (fwrite(img, 1, sizeof(img), f) != sizeof(img) || fclose(f))
		return -1;
	if (mvm_edisk_create(e->path, 0, NULL, &e->d) < 0)
		return -1;
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *e = *state;

	mvm_edisk_destroy(e->d);
	unlink(e->path);
	free(e);
	return 0;
}

static uint32_t in(struct mvm_edisk *d, uint64_t off, uint32_t len)
{
	uint32_t v = 0;

	assert_int_equal(mvm_edisk_ops.read(d, NULL, off, &v, len), 0);
	return v;
}

static void out(struct mvm_edisk *d, uint64_t off, uint32_t v, uint32_t len)
{
	assert_int_equal(mvm_edisk_ops.write(d, NULL, off, &v, len), 0);
}

static void start(struct mvm_edisk *d, uint32_t lba, uint16_t count,
		  uint8_t cmd)
{
	out(d, MVM_EDISK_SECTOR, lba, 4);
	out(d, MVM_EDISK_COUNT, count, 2);
	out(d, MVM_EDISK_CMD, cmd, 1);
}

static uint8_t status(struct mvm_edisk *d)
{
	return (uint8_t)in(d, MVM_EDISK_STATUS, 1);
}

static void file_bytes(struct env *e, uint32_t off, void *buf, size_t len)
{
	FILE *f = fopen(e->path, "r");

	assert_non_null(f);
	assert_int_equal(fseek(f, off, SEEK_SET), 0);
	assert_int_equal(fread(buf, 1, len, f), len);
	fclose(f);
}

static void capacity_counts_whole_sectors(void **state)
{
	struct env *e = *state;

	assert_int_equal(in(e->d, MVM_EDISK_CAPACITY, 4), NSECT);
	assert_int_equal(status(e->d), MVM_EDISK_ST_READY);
	assert_int_equal(in(e->d, MVM_EDISK_COUNT, 2), 1);
}

static void read_moves_sectors_four_bytes_per_access(void **state)
{
	struct env *e = *state;
	uint8_t buf[2 * SS];
	struct mvm_edisk_stats st;

	start(e->d, 3, 2, MVM_EDISK_CMD_READ);
	for (int i = 0; i < 2 * SS; i += 4) {
		uint32_t v;

		assert_int_equal(status(e->d),
				 MVM_EDISK_ST_READY | MVM_EDISK_ST_DRQ);
		v = in(e->d, MVM_EDISK_DATA, 4);
		memcpy(buf + i, &v, 4);
	}
	assert_int_equal(status(e->d), MVM_EDISK_ST_READY);
	for (int i = 0; i < 2 * SS; i++)
		assert_int_equal(buf[i], pattern(3 + i / SS, i % SS));
	mvm_edisk_stats(e->d, &st);
	assert_int_equal(st.commands, 1);
	assert_int_equal(st.sectors_read, 2);
	assert_int_equal(st.data_accesses, 2 * SS / 4);
	/* The transfer is over: DATA reads all ones. */
	assert_int_equal(in(e->d, MVM_EDISK_DATA, 4), 0xffffffffu);
}

static void odd_widths_cross_sector_boundaries(void **state)
{
	struct env *e = *state;
	uint8_t buf[2 * SS];
	int i = 0;

	start(e->d, 0, 2, MVM_EDISK_CMD_READ);
	buf[i++] = (uint8_t)in(e->d, MVM_EDISK_DATA, 1);
	while (i < 2 * SS - 1) {
		uint16_t v = (uint16_t)in(e->d, MVM_EDISK_DATA + 1, 2);

		memcpy(buf + i, &v, 2);
		i += 2;
	}
	buf[i] = (uint8_t)in(e->d, MVM_EDISK_DATA + 2, 1);
	for (i = 0; i < 2 * SS; i++)
		assert_int_equal(buf[i], pattern(i / SS, i % SS));
}

static void write_reaches_the_file_sector_by_sector(void **state)
{
	struct env *e = *state;
	uint8_t got[2 * SS], around[2];
	struct mvm_edisk_stats st;

	start(e->d, 5, 2, MVM_EDISK_CMD_WRITE);
	assert_int_equal(status(e->d), MVM_EDISK_ST_READY | MVM_EDISK_ST_DRQ);
	for (uint32_t i = 0; i < 2 * SS; i += 4)
		out(e->d, MVM_EDISK_DATA, 0xc0de0000u | i, 4);
	assert_int_equal(status(e->d), MVM_EDISK_ST_READY);
	out(e->d, MVM_EDISK_CMD, MVM_EDISK_CMD_FLUSH, 1);
	assert_int_equal(status(e->d), MVM_EDISK_ST_READY);
	file_bytes(e, 5 * SS, got, sizeof(got));
	for (uint32_t i = 0; i < 2 * SS; i += 4) {
		uint32_t v;

		memcpy(&v, got + i, 4);
		assert_int_equal(v, 0xc0de0000u | i);
	}
	file_bytes(e, 5 * SS - 1, around, 1);
	file_bytes(e, 7 * SS, around + 1, 1);
	assert_int_equal(around[0], pattern(4, SS - 1));
	assert_int_equal(around[1], pattern(7, 0));
	mvm_edisk_stats(e->d, &st);
	assert_int_equal(st.sectors_written, 2);
	/* Not in a write: DATA writes are dropped. */
	out(e->d, MVM_EDISK_DATA, 0, 4);
}

static void expect_error(struct mvm_edisk *d, uint8_t why)
{
	assert_int_equal(status(d), MVM_EDISK_ST_READY | MVM_EDISK_ST_ERR);
	assert_int_equal(in(d, MVM_EDISK_ERROR, 1), why);
	assert_int_equal(in(d, MVM_EDISK_DATA, 4), 0xffffffffu);
}

static void bad_commands_end_in_err_with_a_reason(void **state)
{
	struct env *e = *state;
	struct mvm_edisk_stats st;

	start(e->d, NSECT - 1, 2, MVM_EDISK_CMD_READ);
	expect_error(e->d, MVM_EDISK_ERR_RANGE);
	start(e->d, 0xffffffffu, 2, MVM_EDISK_CMD_WRITE); /* would wrap */
	expect_error(e->d, MVM_EDISK_ERR_RANGE);
	start(e->d, 0, 0, MVM_EDISK_CMD_READ);
	expect_error(e->d, MVM_EDISK_ERR_COUNT);
	start(e->d, 0, MVM_EDISK_MAX_COUNT + 1, MVM_EDISK_CMD_READ);
	expect_error(e->d, MVM_EDISK_ERR_COUNT);
	start(e->d, 0, 1, 0x99);
	expect_error(e->d, MVM_EDISK_ERR_CMD);
	/* The next good command clears the error. */
	start(e->d, NSECT - 1, 1, MVM_EDISK_CMD_READ);
	assert_int_equal(status(e->d), MVM_EDISK_ST_READY | MVM_EDISK_ST_DRQ);
	assert_int_equal(in(e->d, MVM_EDISK_ERROR, 1), 0);
	mvm_edisk_stats(e->d, &st);
	assert_int_equal(st.errors, 5);
}

static void read_only_disk_refuses_writes(void **state)
{
	struct env *e = *state;
	struct mvm_edisk *ro;
	uint8_t b;

	assert_int_equal(mvm_edisk_create(e->path, 1, NULL, &ro), 0);
	start(ro, 0, 1, MVM_EDISK_CMD_WRITE);
	expect_error(ro, MVM_EDISK_ERR_RO);
	for (int i = 0; i < SS; i += 4)
		out(ro, MVM_EDISK_DATA, 0, 4);
	file_bytes(e, 1, &b, 1);
	assert_int_equal(b, pattern(0, 1));
	start(ro, 0, 1, MVM_EDISK_CMD_READ);
	assert_int_equal(in(ro, MVM_EDISK_DATA, 1), pattern(0, 0));
	mvm_edisk_destroy(ro);
	assert_int_equal(mvm_edisk_create("/nonexistent/disk", 0, NULL, &ro),
			 -ENOENT);
	assert_null(ro);
	assert_int_equal(mvm_edisk_create("/tmp", 0, NULL, &ro), -EISDIR);
}

/* A snapshot taken in the middle of a sector carries on where it was;
 * a blob that points past the disk or outside the buffer is refused. */
static void
snapshot_mid_transfer_resumes_and_bad_blobs_are_refused(void **state)
{
	struct env *e = *state;
	uint8_t blob[1024], bad[1024];
	uint32_t first, v;
	int n;

	start(e->d, 2, 2, MVM_EDISK_CMD_READ);
	first = in(e->d, MVM_EDISK_DATA, 4);
	n = mvm_edisk_ops.save(e->d, blob, sizeof(blob));
	assert_true(n > 0);
	start(e->d, 9, 1, MVM_EDISK_CMD_READ); /* something else */
	assert_int_equal(mvm_edisk_ops.load(e->d, blob, (size_t)n), n);
	v = in(e->d, MVM_EDISK_DATA, 4); /* bytes 4-7 of sector 2 */
	assert_int_equal(v & 0xff, pattern(2, 4));
	assert_int_equal(first & 0xff, pattern(2, 0));
	/* The cursor is the 4th field after the header: corrupt it. */
	memcpy(bad, blob, (size_t)n);
	memset(bad + sizeof(struct mvm_devstate_hdr) + 12, 0xff, 4);
	assert_int_equal(mvm_edisk_ops.load(e->d, bad, (size_t)n), -EINVAL);
	/* A transfer past this disk's end. */
	memcpy(bad, blob, (size_t)n);
	memset(bad + sizeof(struct mvm_devstate_hdr) + 4, 0x7f, 4);
	assert_int_equal(mvm_edisk_ops.load(e->d, bad, (size_t)n), -EINVAL);
	assert_int_equal(mvm_edisk_ops.load(e->d, blob, 10), -EINVAL);
}

/* A hostile guest: random registers, widths and values. The file keeps
 * its size and the bytes past the last whole sector. */
static void random_traffic_stays_inside_the_disk(void **state)
{
	struct env *e = *state;
	uint64_t x = 0x243f6a8885a308d3ULL;
	uint8_t tail[TAIL];
	struct stat sb;

	for (int i = 0; i < 300000; i++) {
		uint32_t v, len;
		uint64_t off;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		v = (uint32_t)(x >> 32);
		len = 1u << (x & 3);
		off = (x >> 2) % (MVM_PORT_EDISK_LEN + 4);
		if ((x >> 8) % 3 == 0 && off == MVM_EDISK_CMD)
			v = (x >> 12) & 1 ? MVM_EDISK_CMD_WRITE
					  : MVM_EDISK_CMD_READ;
		if ((x >> 10) & 1)
			mvm_edisk_ops.write(e->d, NULL, off, &v,
					    len > 4 ? 4 : len);
		else
			mvm_edisk_ops.read(e->d, NULL, off, &v,
					   len > 4 ? 4 : len);
	}
	assert_int_equal(stat(e->path, &sb), 0);
	assert_int_equal(sb.st_size, NSECT * SS + TAIL);
	file_bytes(e, NSECT * SS, tail, TAIL);
	for (int i = 0; i < TAIL; i++)
		assert_int_equal(tail[i], pattern(NSECT, i));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)
	static const struct CMUnitTest tests[] = {
		T(capacity_counts_whole_sectors),
		T(read_moves_sectors_four_bytes_per_access),
		T(odd_widths_cross_sector_boundaries),
		T(write_reaches_the_file_sector_by_sector),
		T(bad_commands_end_in_err_with_a_reason),
		T(read_only_disk_refuses_writes),
		T(snapshot_mid_transfer_resumes_and_bad_blobs_are_refused),
		T(random_traffic_stays_inside_the_disk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
