/*
 * test_snapfile.c - the snapshot file's checksums and reader, without
 * /dev/kvm (snapshot.h, libminivmm/src/snapshot/). Files are made by
 * hand here; test_snapshot_bad.c damages real ones.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../libminivmm/src/snapshot/snapfile.h"
#include "minivmm/snapshot.h"

/* The check value every CRC-32 catalogue lists for "123456789". */
static void crc32_matches_the_standard_check_value(void **state)
{
	(void)state;
	assert_int_equal(mvm_crc32(0, "123456789", 9), 0xCBF43926u);
	assert_int_equal(mvm_crc32(0, "", 0), 0);
	/* Chained calls equal one call over the whole buffer. */
	assert_int_equal(mvm_crc32(mvm_crc32(0, "1234", 4), "56789", 5),
			 0xCBF43926u);
}

/* A long, unaligned buffer (eight bytes at a time, then a tail): the
 * value Python's zlib.crc32() gives for the same bytes. */
static void crc32_of_a_long_buffer_matches_zlib(void **state)
{
	static uint8_t buf[4099 + 1];

	(void)state;
	for (unsigned i = 0; i < 4099; i++)
		buf[i + 1] = (uint8_t)(i * 7);
	assert_int_equal(mvm_crc32(0, buf + 1, 4099), 0x4d2fc6cau);
}

/* RAM's crc skips zero pages but not their place: the same data one
 * page further on gives another crc. */
static void ram_crc_skips_zero_pages_and_keeps_places(void **state)
{
	uint8_t *ram = calloc(4, SNAP_PAGE);
	uint32_t empty, a, b;

	(void)state;
	assert_non_null(ram);
	empty = mvm_snap_ram_crc(ram, 4 * SNAP_PAGE);
	assert_int_equal(empty, 0);
	assert_int_equal(mvm_snap_ram_crc(ram, 2 * SNAP_PAGE), empty);
	ram[SNAP_PAGE + 7] = 1;
	a = mvm_snap_ram_crc(ram, 4 * SNAP_PAGE);
	ram[SNAP_PAGE + 7] = 0, ram[2 * SNAP_PAGE + 7] = 1;
	b = mvm_snap_ram_crc(ram, 4 * SNAP_PAGE);
	assert_int_not_equal(a, empty);
	assert_int_not_equal(a, b);
	free(ram);
}

static char path[256];

static void write_file(const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static int open_it(void)
{
	struct snap_image *img = malloc(sizeof(*img));
	int rc;

	assert_non_null(img);
	rc = mvm_snap_image_open(img, path, NULL);
	if (!rc)
		mvm_snap_image_close(img);
	free(img);
	return rc;
}

/* A file header alone, then a config and an END by hand. */
static void reader_checks_headers_bounds_and_the_end(void **state)
{
	struct {
		struct snap_file_hdr f;
		struct snap_sect_hdr cfg;
		struct snap_config c;
		struct snap_sect_hdr end;
	} file = {.f = {.magic = MVM_SNAP_MAGIC,
			.version = MVM_SNAP_VERSION,
			.nsects = 2}};

	(void)state;
	snprintf(path, sizeof(path), "/tmp/snapfile-%d", (int)getpid());
	file.f.crc = mvm_snap_file_hdr_crc(&file.f);
	file.cfg = (struct snap_sect_hdr){
		.type = MVM_SNAP_CONFIG,
		.offset = offsetof(typeof(file), c),
		.length = sizeof(file.c),
		.name = "config",
	};
	file.cfg.body_crc = mvm_crc32(0, &file.c, sizeof(file.c));
	file.cfg.hdr_crc = mvm_snap_sect_hdr_crc(&file.cfg);
	file.end = (struct snap_sect_hdr){
		.type = MVM_SNAP_END,
		.offset = sizeof(file),
		.name = "end",
	};
	file.end.hdr_crc = mvm_snap_sect_hdr_crc(&file.end);
	write_file(&file, sizeof(file));
	assert_int_equal(open_it(), 0);
	/* END missing: the file promised two sections. */
	write_file(&file, offsetof(typeof(file), end));
	assert_int_equal(open_it(), -ENODATA);
	/* A body that runs past the end of the file. */
	file.cfg.length = 1 << 16;
	file.cfg.hdr_crc = mvm_snap_sect_hdr_crc(&file.cfg);
	write_file(&file, sizeof(file));
	assert_int_equal(open_it(), -ENODATA);
	/* A section of an unknown type. */
	file.cfg.length = sizeof(file.c);
	file.cfg.type = 77;
	file.cfg.hdr_crc = mvm_snap_sect_hdr_crc(&file.cfg);
	write_file(&file, sizeof(file));
	assert_int_equal(open_it(), -EINVAL);
	/* A missing file. */
	unlink(path);
	assert_int_equal(open_it(), -ENOENT);
}

static void type_names_cover_every_section(void **state)
{
	(void)state;
	assert_string_equal(mvm_snap_type_name(MVM_SNAP_RAM), "ram");
	assert_string_equal(mvm_snap_type_name(MVM_SNAP_VCPU), "vcpu");
	assert_string_equal(mvm_snap_type_name(999), "unknown");
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(crc32_matches_the_standard_check_value),
		cmocka_unit_test(crc32_of_a_long_buffer_matches_zlib),
		cmocka_unit_test(ram_crc_skips_zero_pages_and_keeps_places),
		cmocka_unit_test(reader_checks_headers_bounds_and_the_end),
		cmocka_unit_test(type_names_cover_every_section),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
