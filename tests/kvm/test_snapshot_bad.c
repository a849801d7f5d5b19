/*
 * test_snapshot_bad.c - every way a snapshot file can be wrong gives a
 * clear error naming the section, and no machine (snapshot.h): a real
 * snapshot of the counter guest, cut at every section boundary, with a
 * byte flipped in every checksummed part, of a foreign magic or version,
 * and with a config that disagrees with its RAM.
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
#include "capture.h"
#include "fixture.h"
#include "minivmm/minivmm.h"

struct logbuf {
	char text[8192]; /* the library's log of one restore */
	size_t len;
};

static void log_fn(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct logbuf *l = ctx;

	(void)level;
	capture_append(l->text, sizeof(l->text), &l->len, msg, strlen(msg));
	capture_append(l->text, sizeof(l->text), &l->len, "\n", 1);
}

static char good[256]; /* the snapshot every case starts from */
static char bad[256];  /* the damaged copy */
static struct snap_sect_hdr sect[SNAP_MAX_SECTS];
static uint64_t hdr_at[SNAP_MAX_SECTS]; /* file offset of each header */
static uint64_t file_size;
static int nsects;

/* Save the counter guest 200 exits in and index its sections. */
static int make_snapshot(void **state)
{
	struct mvm_machine_config cfg = {.mode = MVM_MODE_AUTO,
					 .image = MVM_GUEST_DIR "/counter.elf"};
	struct mvm_machine *m = NULL;
	struct snap_file_hdr h;
	enum mvm_verdict v;
	struct mvm_exit e;
	uint64_t off = sizeof(h);
	int fd;

	(void)state;
	fixture_require_kvm();
	snprintf(good, sizeof(good), "/tmp/snapbad-%d.mvmsnap", (int)getpid());
	snprintf(bad, sizeof(bad), "/tmp/snapbad-%d-bad.mvmsnap",
		 (int)getpid());
	if (mvm_machine_create(&cfg, &m))
		return -1;
	fixture_backstop(10000);
	for (int i = 0; i < 200; i++)
		if (mvm_machine_step(m, 0, &e, &v))
			return -1;
	alarm(0);
	if (mvm_snapshot_save(m, good))
		return -1;
	mvm_machine_destroy(m);
	fd = open(good, O_RDONLY);
	if (fd < 0 || pread(fd, &h, sizeof(h), 0) != sizeof(h))
		return -1;
	for (nsects = 0; nsects < (int)h.nsects; nsects++) {
		hdr_at[nsects] = off;
		if (pread(fd, &sect[nsects], sizeof(sect[0]), (off_t)off) !=
		    sizeof(sect[0]))
			return -1;
		off = snap_align(sect[nsects].offset + sect[nsects].length, 8);
	}
	file_size = (uint64_t)lseek(fd, 0, SEEK_END);
	close(fd);
	return 0;
}

static int remove_snapshot(void **state)
{
	(void)state;
	unlink(good);
	unlink(bad);
	return 0;
}

/* bad = the first len bytes of good. */
static void copy_prefix(uint64_t len)
{
	int in = open(good, O_RDONLY), out;
	loff_t a = 0, b = 0;

	assert_true(in >= 0);
	out = open(bad, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(out >= 0);
	while (a < (loff_t)len) {
		ssize_t n =
			copy_file_range(in, &a, out, &b, len - (uint64_t)a, 0);

		assert_true(n > 0);
	}
	close(in);
	close(out);
}

static void poke(uint64_t off, const void *bytes, size_t len)
{
	int fd = open(bad, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, bytes, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static void flip(uint64_t off)
{
	int fd = open(bad, O_RDWR);
	uint8_t c;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, (off_t)off), 1);
	c ^= 0x5a;
	assert_int_equal(pwrite(fd, &c, 1, (off_t)off), 1);
	close(fd);
}

/* Restore bad: it must fail with rc, leave no machine, and the log must
 * hold each of the given phrases. */
static void expect_refused(unsigned flags, int rc, const char *a, const char *b)
{
	struct logbuf l = {0};
	struct mvm_machine_config cfg = {.log = {log_fn, &l}};
	struct mvm_machine *m = (struct mvm_machine *)&l;
	int got;

	fixture_backstop(10000);
	got = mvm_snapshot_restore(bad, &cfg, flags, &m);

	if (got != rc)
		fail_msg("restore gave %d, want %d; log:\n%s", got, rc, l.text);
	alarm(0);
	if (rc == 0)
		mvm_machine_destroy(m);
	else
		assert_null(m);
	if (!strstr(l.text, a) || (b && !strstr(l.text, b)))
		fail_msg("want \"%s\" and \"%s\" in:\n%s", a, b ? b : "",
			 l.text);
}

static const char *label(int i)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "section %d", i);
	return buf;
}

static void file_cut_at_every_section_boundary_is_refused(void **state)
{
	(void)state;
	copy_prefix(0);
	expect_refused(0, -ENODATA, "file header: truncated", NULL);
	copy_prefix(20);
	expect_refused(0, -ENODATA, "file header: truncated", NULL);
	for (int i = 0; i < nsects; i++) {
		/* Before its header, inside it, inside and at the end of its
		 * body (that last is the next section's header missing). */
		copy_prefix(hdr_at[i]);
		expect_refused(0, -ENODATA, label(i), "truncated");
		copy_prefix(hdr_at[i] + 40);
		expect_refused(0, -ENODATA, label(i), "truncated");
		if (!sect[i].length)
			continue;
		copy_prefix(sect[i].offset + sect[i].length / 2);
		expect_refused(0, -ENODATA, label(i), "truncated");
		copy_prefix(sect[i].offset + sect[i].length);
		expect_refused(0, -ENODATA, label(i + 1), "truncated");
	}
	copy_prefix(file_size);
	expect_refused(0, 0, "", NULL); /* the whole file restores */
}

static void flipped_byte_in_each_checksummed_part_is_refused(void **state)
{
	(void)state;
	copy_prefix(file_size);
	flip(9);
	expect_refused(0, -EBADMSG, "file header: checksum mismatch", NULL);
	for (int i = 0; i < nsects; i++) {
		copy_prefix(file_size);
		flip(hdr_at[i] + 5);
		expect_refused(0, -EBADMSG, label(i),
			       "header checksum mismatch");
		if (!sect[i].length || sect[i].type == MVM_SNAP_RAM)
			continue;
		copy_prefix(file_size);
		flip(sect[i].offset + sect[i].length / 2);
		expect_refused(0, -EBADMSG, label(i), "body checksum mismatch");
	}
}

/* RAM is checked only when asked (--verify): a restore without it maps
 * the file and never reads the pages. */
static void flipped_ram_byte_is_found_by_verify_only(void **state)
{
	int ram = -1;

	(void)state;
	for (int i = 0; i < nsects; i++)
		if (sect[i].type == MVM_SNAP_RAM && sect[i].aux == 0)
			ram = i;
	assert_true(ram > 0);
	copy_prefix(file_size);
	flip(sect[ram].offset + MVM_LOAD_ADDR + 100); /* inside the image */
	expect_refused(0, 0, "", NULL);
	expect_refused(MVM_SNAP_VERIFY, -EBADMSG, label(ram),
		       "RAM checksum mismatch");
	copy_prefix(file_size);
	flip(sect[ram].offset + sect[ram].length - 1); /* in a hole */
	expect_refused(MVM_SNAP_VERIFY | MVM_SNAP_COPY, -EBADMSG, label(ram),
		       "RAM checksum mismatch");
}

static void foreign_magic_and_version_are_refused(void **state)
{
	struct snap_file_hdr h;
	int fd;

	(void)state;
	copy_prefix(file_size);
	poke(0, "ELF\0\0\0\0", 8);
	expect_refused(0, -ENOEXEC, "not a minivmm snapshot", NULL);
	copy_prefix(file_size);
	fd = open(bad, O_RDONLY);
	assert_int_equal(pread(fd, &h, sizeof(h), 0), sizeof(h));
	close(fd);
	h.version = 99;
	h.crc = mvm_snap_file_hdr_crc(&h);
	poke(0, &h, sizeof(h));
	expect_refused(0, -EPROTONOSUPPORT, "file header: version 99", NULL);
}

/* Rewrite the config body (crcs made right again): the file is whole,
 * but its sections contradict the config. */
static void rewrite_config(uint64_t ram_size, uint32_t ncpus)
{
	struct snap_sect_hdr h = sect[0];
	struct snap_config c;
	int fd = open(bad, O_RDONLY);

	assert_int_equal(pread(fd, &c, sizeof(c), (off_t)h.offset), sizeof(c));
	close(fd);
	c.ram_size = ram_size;
	c.ncpus = ncpus;
	h.body_crc = mvm_crc32(0, &c, sizeof(c));
	h.hdr_crc = mvm_snap_sect_hdr_crc(&h);
	poke(h.offset, &c, sizeof(c));
	poke(hdr_at[0], &h, sizeof(h));
}

static void config_that_contradicts_its_sections_is_refused(void **state)
{
	(void)state;
	assert_int_equal(sect[0].type, MVM_SNAP_CONFIG);
	copy_prefix(file_size);
	rewrite_config(128ULL << 20, 1);
	expect_refused(0, -EINVAL, "bytes of RAM where the config says", NULL);
	copy_prefix(file_size);
	rewrite_config(FIXTURE_RAM, 2);
	expect_refused(0, -EINVAL, "2 vCPUs and RAM promised", NULL);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(file_cut_at_every_section_boundary_is_refused),
		cmocka_unit_test(
			flipped_byte_in_each_checksummed_part_is_refused),
		cmocka_unit_test(flipped_ram_byte_is_found_by_verify_only),
		cmocka_unit_test(foreign_magic_and_version_are_refused),
		cmocka_unit_test(
			config_that_contradicts_its_sections_is_refused),
	};

	return cmocka_run_group_tests(tests, make_snapshot, remove_snapshot);
}
