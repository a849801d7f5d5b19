/*
 * test_snapshot_diff.c - diff snapshots (snapshot.h, "Diff chains"): a
 * full base and two diffs of one run of the counter guest, each
 * restored in a new machine, continue to exactly the output of the
 * uninterrupted run; the diffs hold only what changed; a missing,
 * foreign, edited or malformed link is refused naming file and section,
 * and no machine is left behind. (`mvm run --snapshot-diff`:
 * test_snapshot_cli.c.)
 *
 * The counter guest (examples/counter.c) keeps rewriting a 32 KiB
 * region and prints its checksum. Before the base the test writes 4 MiB
 * of RAM the guest never touches (as a big loaded image would be), so
 * the base is large and each diff, if right, small.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../libminivmm/src/snapshot/snapfile.h"
#include "capture.h"
#include "fixture.h"
#include "minivmm/minivmm.h"

#define RUN_MS	 20000	     /* one whole counter run, with room */
#define FILL_GPA (32u << 20) /* 4 MiB the guest never touches */
#define FILL_LEN (4u << 20)
#define NPOINTS	 3				/* base, diff 1, diff 2 */
static const int at[NPOINTS] = {150, 400, 650}; /* their exits */

struct box {
	char out[16384]; /* guest output */
	size_t len;
	struct fixture_logbuf log;
};

static void out_fn(void *ctx, const char *buf, size_t n)
{
	struct box *b = ctx;

	capture_append(b->out, sizeof(b->out), &b->len, buf, n);
}

static struct mvm_machine_config config(struct box *b)
{
	return (struct mvm_machine_config){.mode = MVM_MODE_AUTO,
					   .image =
						   MVM_GUEST_DIR "/counter.elf",
					   .out = out_fn,
					   .out_ctx = b,
					   .log = {fixture_logbuf_fn, &b->log}};
}

/* Step vCPU 0 until `until` exits were taken in all (0: to the end). */
static void steps(struct mvm_machine *m, int *n, int until, enum mvm_verdict *v)
{
	struct mvm_exit e;

	*v = MVM_GO_ON;
	fixture_backstop(RUN_MS);
	while ((*v == MVM_GO_ON || *v == MVM_SYNC) && (!until || *n < until)) {
		assert_int_equal(mvm_machine_step(m, 0, &e, v), 0);
		(*n)++;
	}
	alarm(0);
}

static char path[NPOINTS][256];	    /* base, .1, .2 */
static char before[NPOINTS][16384]; /* output up to each point */
static char ref[16384];		    /* the uninterrupted run's */
static int ref_exits;
static uint64_t changed[NPOINTS]; /* pages that differ from the last point */

/* One run: the reference output, and the chain taken on the way. */
static int make_chain(void **state)
{
	struct box *b = calloc(1, sizeof(*b));
	struct mvm_machine_config cfg = config(b);
	struct mvm_machine *m = NULL;
	struct mvm_snap_chain *ch = NULL;
	uint8_t *ram, *last = malloc(MVM_RAM_DEFAULT);
	enum mvm_verdict v;
	int n = 0;

	(void)state;
	fixture_require_kvm();
	for (int i = 0; i < NPOINTS; i++)
		snprintf(path[i], sizeof(path[i]),
			 "/tmp/snapdiff-%d.snap%s%.0d", (int)getpid(),
			 i ? "." : "", i);
	assert_int_equal(mvm_machine_create(&cfg, &m), 0);
	ram = mvm_vm_ram(mvm_machine_vm(m));
	for (uint32_t off = 0; off < FILL_LEN; off += 8)
		*(uint64_t *)(ram + FILL_GPA + off) = off * 2654435761u + 1;
	for (int i = 0; i < NPOINTS; i++) {
		steps(m, &n, at[i], &v);
		assert_int_equal(v, MVM_GO_ON);
		memcpy(before[i], b->out, b->len + 1);
		if (i == 0) {
			assert_int_equal(
				mvm_snapshot_chain_begin(m, path[0], &ch), 0);
		} else {
			for (uint64_t p = 0; p < MVM_RAM_DEFAULT;
			     p += SNAP_PAGE)
				changed[i] +=
					!!memcmp(last + p, ram + p, SNAP_PAGE);
			assert_int_equal(mvm_snapshot_chain_next(ch, path[i]),
					 0);
		}
		assert_int_equal(mvm_snapshot_chain_seq(ch), i);
		memcpy(last, ram, MVM_RAM_DEFAULT);
	}
	steps(m, &n, 0, &v);
	assert_int_equal(v, MVM_DONE);
	memcpy(ref, b->out, b->len + 1);
	ref_exits = n;
	mvm_snapshot_chain_end(ch);
	mvm_machine_destroy(m);
	free(last);
	free(b);
	return 0;
}

static int remove_chain(void **state)
{
	(void)state;
	for (int i = 0; i < NPOINTS; i++)
		unlink(path[i]);
	return 0;
}

/* Restore file, run to the end: before + after == the reference. */
static void restore_and_finish(const char *file, int i, unsigned flags)
{
	struct box *b = calloc(1, sizeof(*b));
	struct mvm_machine_config cfg = config(b);
	struct mvm_machine *m = NULL;
	enum mvm_verdict v;
	int n = at[i];
	int rc = mvm_snapshot_restore(file, &cfg, flags, &m);

	if (rc)
		fail_msg("restore %s: %s\n%s", file, strerror(-rc),
			 b->log.text);
	steps(m, &n, 0, &v);
	assert_int_equal(v, MVM_DONE);
	assert_int_equal(n, ref_exits);
	assert_int_equal(strlen(before[i]) + b->len, strlen(ref));
	assert_string_equal(b->out, ref + strlen(before[i]));
	mvm_machine_destroy(m);
	free(b);
}

static void each_file_of_the_chain_restores_to_the_same_output(void **state)
{
	(void)state;
	for (int i = 0; i < NPOINTS; i++) {
		restore_and_finish(path[i], i, 0);
		restore_and_finish(path[i], i, MVM_SNAP_COPY | MVM_SNAP_VERIFY);
	}
}

/* The first DIFF section of file: its header, and its page count. */
static uint64_t diff_pages(const char *file, struct snap_sect_hdr *out,
			   uint64_t *hdr_off)
{
	struct snap_file_hdr h;
	uint64_t off = sizeof(h), n = 0;
	int fd = open(file, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &h, sizeof(h), 0), sizeof(h));
	assert_int_equal(h.version, MVM_SNAP_VERSION_CHAIN);
	for (uint32_t i = 0; i < h.nsects; i++) {
		assert_int_equal(pread(fd, out, sizeof(*out), (off_t)off),
				 sizeof(*out));
		if (out->type == MVM_SNAP_DIFF) {
			*hdr_off = off;
			assert_int_equal(pread(fd, &n, 8, (off_t)out->offset),
					 8);
			break;
		}
		off = snap_align(out->offset + out->length, 8);
	}
	close(fd);
	return n;
}

/* Every page that changed is in the diff; little else is. */
static void diffs_hold_the_pages_written_and_little_more(void **state)
{
	struct snap_sect_hdr s;
	struct stat base, d;
	uint64_t off;

	(void)state;
	assert_int_equal(stat(path[0], &base), 0);
	/* The base holds the 4 MiB fill at least. */
	assert_true((uint64_t)base.st_blocks * 512 >= FILL_LEN);
	for (int i = 1; i < NPOINTS; i++) {
		uint64_t n = diff_pages(path[i], &s, &off);

		assert_int_equal(stat(path[i], &d), 0);
		print_message("diff %d: %llu pages (%llu changed), %lld bytes; "
			      "base %lld bytes on disk\n",
			      i, (unsigned long long)n,
			      (unsigned long long)changed[i],
			      (long long)d.st_size,
			      (long long)base.st_blocks * 512);
		assert_true(changed[i] >= 1);
		assert_true(n >= changed[i]);
		/* Written but unchanged: stack, the region's same words. */
		assert_true(n <= changed[i] + 32);
		/* State (< 64 KiB), the page table, the pages. */
		assert_true((uint64_t)d.st_size <=
			    64 * 1024 + (n + 2) * SNAP_PAGE);
		assert_true((uint64_t)d.st_size * 8 <
			    (uint64_t)base.st_blocks * 512);
	}
}

/* Restore file and expect it refused with every string in want[]. */
static void refused(const char *file, const char *const *want, int nwant)
{
	struct box *b = calloc(1, sizeof(*b));
	struct mvm_machine_config cfg = config(b);
	struct mvm_machine *m = (struct mvm_machine *)1;
	int rc = mvm_snapshot_restore(file, &cfg, 0, &m);

	assert_int_not_equal(rc, 0);
	assert_null(m);
	for (int i = 0; i < nwant; i++)
		if (!strstr(b->log.text, want[i]))
			fail_msg("log lacks \"%s\":\n%s", want[i], b->log.text);
	free(b);
}

static void copy_file(const char *from, const char *to)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	assert_int_equal(system(cmd), 0);
}

static void missing_base_is_refused_naming_it(void **state)
{
	char saved[300];

	(void)state;
	snprintf(saved, sizeof(saved), "%s.away", path[1]);
	assert_int_equal(rename(path[1], saved), 0);
	refused(path[2],
		(const char *const[]){"section 1 (chain 2)", "cannot be read",
				      strrchr(path[1], '/') + 1},
		3);
	assert_int_equal(rename(saved, path[1]), 0);
}

/* Another chain's base where this one's was: another id. */
static void foreign_base_is_refused(void **state)
{
	struct mvm_machine_config cfg = {.mode = MVM_MODE_AUTO,
					 .image = MVM_GUEST_DIR "/counter.elf"};
	struct mvm_machine *m = NULL;
	struct mvm_snap_chain *ch = NULL;
	char saved[300];

	(void)state;
	snprintf(saved, sizeof(saved), "%s.away", path[0]);
	copy_file(path[0], saved);
	assert_int_equal(mvm_machine_create(&cfg, &m), 0);
	assert_int_equal(mvm_snapshot_chain_begin(m, path[0], &ch), 0);
	mvm_snapshot_chain_end(ch);
	mvm_machine_destroy(m);
	refused(path[1], (const char *const[]){"belongs to another chain"}, 1);
	/* A plain snapshot there: not a chain's file at all. */
	assert_int_equal(mvm_machine_create(&cfg, &m), 0);
	assert_int_equal(mvm_snapshot_save(m, path[0]), 0);
	mvm_machine_destroy(m);
	refused(path[1], (const char *const[]){"not a file of a diff chain"},
		1);
	assert_int_equal(rename(saved, path[0]), 0);
}

/* A section of file rewritten by fn, its crcs made right again (what
 * a tool that edits snapshots would do): only the chain's own checks
 * can tell. type: the section to edit. */
static void edit(const char *file, unsigned type,
		 void (*fn)(struct snap_sect_hdr *s, uint8_t *body))
{
	struct snap_file_hdr h;
	struct snap_sect_hdr s;
	uint64_t off = sizeof(h);
	int fd = open(file, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &h, sizeof(h), 0), sizeof(h));
	for (uint32_t i = 0; i < h.nsects;
	     i++, off = snap_align(s.offset + s.length, 8)) {
		uint8_t *body;
		uint64_t len;

		assert_int_equal(pread(fd, &s, sizeof(s), (off_t)off),
				 sizeof(s));
		if (s.type != type)
			continue;
		len = s.length;
		body = calloc(1, len + 64);
		assert_int_equal(pread(fd, body, len, (off_t)s.offset),
				 (ssize_t)len);
		fn(&s, body);
		s.body_crc =
			mvm_crc32(0, body, len < s.length ? len : s.length);
		s.hdr_crc = mvm_snap_sect_hdr_crc(&s);
		assert_int_equal(pwrite(fd, body, len, (off_t)s.offset),
				 (ssize_t)len);
		assert_int_equal(pwrite(fd, &s, sizeof(s), (off_t)off),
				 sizeof(s));
		free(body);
		break;
	}
	close(fd);
}

static void flip_vm_byte(struct snap_sect_hdr *s, uint8_t *body)
{
	(void)s;
	body[8] ^= 1;
}

static void edited_base_is_refused(void **state)
{
	char saved[300];

	(void)state;
	snprintf(saved, sizeof(saved), "%s.away", path[1]);
	copy_file(path[1], saved);
	edit(path[1], MVM_SNAP_VM, flip_vm_byte);
	refused(path[2],
		(const char *const[]){"is not the file this diff was taken on",
				      "section 1 (chain 2)"},
		2);
	assert_int_equal(rename(saved, path[1]), 0);
}

static void other_hlt(struct snap_sect_hdr *s, uint8_t *body)
{
	(void)s;
	((struct snap_config *)body)->hlt ^= 1;
}

static void too_many_pages(struct snap_sect_hdr *s, uint8_t *body)
{
	(void)s;
	*(uint64_t *)body = MVM_RAM_DEFAULT / SNAP_PAGE + 1;
}

static void page_outside_slot(struct snap_sect_hdr *s, uint8_t *body)
{
	(void)s;
	((uint64_t *)body)[1] = MVM_RAM_DEFAULT / SNAP_PAGE;
}

static void pages_out_of_order(struct snap_sect_hdr *s, uint8_t *body)
{
	(void)s;
	((uint64_t *)body)[2] = ((uint64_t *)body)[1];
}

static void fewer_pages_than_its_length(struct snap_sect_hdr *s, uint8_t *body)
{
	(void)s;
	(*(uint64_t *)body)--;
}

static void parent_with_a_slash(struct snap_sect_hdr *s, uint8_t *body)
{
	(void)s;
	memcpy(((struct snap_chain *)body)->parent, "../x", 5);
}

/* Each malformed DIFF or CHAIN field is refused with its reason. */
static void malformed_diff_sections_are_refused(void **state)
{
	static const struct {
		unsigned type;
		void (*fn)(struct snap_sect_hdr *, uint8_t *);
		const char *want;
	} cases[] = {
		{MVM_SNAP_CONFIG, other_hlt, "has another machine config"},
		{MVM_SNAP_DIFF, too_many_pages, "pages in a slot of 16384"},
		{MVM_SNAP_DIFF, page_outside_slot, "outside the slot"},
		{MVM_SNAP_DIFF, pages_out_of_order, "out of order"},
		{MVM_SNAP_DIFF, fewer_pages_than_its_length, "pages take"},
		{MVM_SNAP_CHAIN, parent_with_a_slash, "not a plain file name"},
	};
	char saved[300];

	(void)state;
	snprintf(saved, sizeof(saved), "%s.away", path[1]);
	for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		copy_file(path[1], saved);
		edit(path[1], cases[c].type, cases[c].fn);
		refused(path[1],
			(const char *const[]){cases[c].want, "snap.1'"}, 2);
		assert_int_equal(rename(saved, path[1]), 0);
	}
	/* The pages themselves changed: only the DIFF body's crc sees it. */
	copy_file(path[1], saved);
	{
		struct snap_sect_hdr s;
		uint64_t off, n = diff_pages(path[1], &s, &off);
		int fd = open(path[1], O_RDWR);
		uint8_t byte;
		off_t last = (off_t)(s.offset + s.length - 1);

		assert_true(n > 0 && fd >= 0);
		assert_int_equal(pread(fd, &byte, 1, last), 1);
		byte ^= 0x40;
		assert_int_equal(pwrite(fd, &byte, 1, last), 1);
		close(fd);
	}
	refused(path[1],
		(const char *const[]){"section", "(diff 0): body checksum"}, 2);
	assert_int_equal(rename(saved, path[1]), 0);
	/* And the files are whole again. */
	restore_and_finish(path[2], 2, 0);
}

/* Collecting the dirty log clears it: a second chain, or a migration,
 * of the same machine would take pages from the first chain's diffs. */
static void a_chain_holds_the_dirty_log_alone(void **state)
{
	struct box *b = calloc(1, sizeof(*b));
	struct mvm_machine_config cfg = config(b);
	struct mvm_machine *m = NULL;
	struct mvm_snap_chain *ch = NULL, *other = (void *)1;
	struct mvm_migrate *mg = (void *)1;
	char file[300];
	int fd = open("/dev/null", O_WRONLY);

	(void)state;
	snprintf(file, sizeof(file), "%s.other", path[0]);
	assert_int_equal(mvm_machine_create(&cfg, &m), 0);
	assert_int_equal(mvm_snapshot_chain_begin(m, file, &ch), 0);
	assert_int_equal(mvm_snapshot_chain_begin(m, file, &other), -EBUSY);
	assert_null(other);
	assert_int_equal(mvm_migrate_create(m, fd, NULL, &mg), -EBUSY);
	assert_null(mg);
	assert_non_null(strstr(b->log.text, "another user"));
	mvm_snapshot_chain_end(ch);
	/* Ended: the log is free again. */
	assert_int_equal(mvm_snapshot_chain_begin(m, file, &ch), 0);
	mvm_snapshot_chain_end(ch);
	mvm_machine_destroy(m);
	close(fd);
	unlink(file);
	free(b);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			each_file_of_the_chain_restores_to_the_same_output),
		cmocka_unit_test(diffs_hold_the_pages_written_and_little_more),
		cmocka_unit_test(missing_base_is_refused_naming_it),
		cmocka_unit_test(foreign_base_is_refused),
		cmocka_unit_test(edited_base_is_refused),
		cmocka_unit_test(malformed_diff_sections_are_refused),
		cmocka_unit_test(a_chain_holds_the_dirty_log_alone),
	};

	return cmocka_run_group_tests(tests, make_chain, remove_chain);
}
