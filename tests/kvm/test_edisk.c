/*
 * test_edisk.c - the emulated disk under a real guest driver
 * (examples/edisk-rw.c): what the guest reads matches the backing file
 * byte for byte, what it writes lands in the file, a read past the end
 * is refused, and every request costs the exits the protocol predicts.
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
#include <unistd.h>

#include "fixture.h"
#include "mbox.h"

#define RUN_MS 60000
#define NSECT  24
#define SS     MVM_EDISK_SECTOR_SIZE

/* Exits of one stage: all of them, and those to the disk's ports. */
struct count {
	unsigned all, disk;
};

static void count_exit(void *ctx, struct mvm_vcpu *vcpu,
		       const struct mvm_exit *e)
{
	struct count *c = ctx;

	(void)vcpu;
	c->all++;
	if (e->reason == KVM_EXIT_IO &&
	    e->u.io.port - MVM_PORT_EDISK < MVM_PORT_EDISK_LEN)
		c->disk++;
}

struct env {
	struct box b;
	struct mvm_machine *m;
	struct mvm_edisk *d;
	char path[64];
	uint8_t img[NSECT * SS];
};

/* Run to the next SYNC; the stage and its arguments in uc. */
static struct count run_stage(struct env *e, uint64_t stage,
			      struct mvm_ucall *uc)
{
	struct count c = {0};
	enum mvm_verdict v;

	fixture_backstop(RUN_MS);
	v = mvm_machine_run(e->m, 0, RUN_MS, 1, count_exit, &c, NULL);
	alarm(0);
	if (v != MVM_SYNC)
		fail_msg("stage %llu: verdict %s\n%s%s",
			 (unsigned long long)stage, mvm_verdict_name(v),
			 e->b.out, e->b.log);
	assert_int_equal(
		mvm_ucall_last_of(mvm_machine_devices(e->m)->ucall, 0, uc),
		MVM_UCALL_SYNC);
	assert_int_equal(uc->args[0], stage);
	return c;
}

static void file_bytes(struct env *e, uint64_t off, void *buf, size_t len)
{
	FILE *f = fopen(e->path, "r");

	assert_non_null(f);
	assert_int_equal(fseek(f, (long)off, SEEK_SET), 0);
	assert_int_equal(fread(buf, 1, len, f), len);
	fclose(f);
}

/* The guest's buffer at gpa equals the file's first len bytes. */
static void guest_matches_file(struct env *e, uint64_t gpa, uint64_t len)
{
	uint8_t got[8 * SS];

	assert_true(len <= sizeof(got));
	assert_int_equal(mvm_memmap_read(mvm_vm_mem(mvm_machine_vm(e->m)), gpa,
					 got, len),
			 0);
	assert_memory_equal(got, e->img, len);
}

/* Sectors [first, first + n) hold edisk-rw.c's pattern in the file. */
static void file_has_pattern(struct env *e, uint32_t first, uint32_t n)
{
	uint32_t v[128];

	for (uint32_t s = first; s < first + n; s++) {
		file_bytes(e, (uint64_t)s * SS, v, SS);
		for (uint32_t i = 0; i < 128; i++)
			assert_int_equal(v[i], 0x5a000000u | s << 8 | i);
	}
}

static void guest_reads_and_writes_match_the_file(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct mvm_machine_config cfg = {0};
	struct mvm_ucall uc;
	struct mvm_edisk_stats st;
	struct count c;
	FILE *f;
	int fd;

	(void)state;
	assert_non_null(e);
	for (size_t i = 0; i < sizeof(e->img); i++)
		e->img[i] = (uint8_t)(i * 2654435761u >> 13);
	strcpy(e->path, "/tmp/test_edisk_kvm.XXXXXX");
	fd = mkstemp(e->path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(e->img, 1, sizeof(e->img), f), sizeof(e->img));
	assert_int_equal(fclose(f), 0);

	e->m = mbox_machine(&e->b, &cfg);
	assert_int_equal(
		mvm_edisk_create(e->path, 0, mvm_machine_log(e->m), &e->d), 0);
	assert_int_equal(mvm_machine_add_device(e->m, 0, MVM_PORT_EDISK,
						MVM_PORT_EDISK_LEN,
						&mvm_edisk_ops, e->d),
			 0);
	assert_int_equal(mvm_machine_load(e->m, MVM_GUEST_DIR "/edisk-rw.elf",
					  MVM_MODE_AUTO),
			 0);

	run_stage(e, 1, &uc);
	assert_int_equal(uc.args[1], NSECT);

	/* 4 KiB, one IN per dword: SECTOR, COUNT, CMD, STATUS, then per
	 * sector a STATUS and 128 DATA reads. */
	c = run_stage(e, 2, &uc);
	guest_matches_file(e, uc.args[1], uc.args[2]);
	print_message("edisk: 4 KiB read, 4-byte IN: %u exits (%u to the "
		      "disk)\n",
		      c.all, c.disk);
	assert_int_equal(c.disk, 4 + 8 * (1 + 128));

	/* The same with rep insl: one exit per sector on KVM, so far
	 * fewer, and the same bytes. */
	c = run_stage(e, 3, &uc);
	guest_matches_file(e, uc.args[1], uc.args[2]);
	print_message("edisk: 4 KiB read, rep insl: %u exits (%u to the "
		      "disk)\n",
		      c.all, c.disk);
	assert_true(c.disk >= 4 + 8 * 2);
	assert_true(c.disk <= 4 + 8 * 4);

	c = run_stage(e, 4, &uc);
	file_has_pattern(e, 8, 2);
	print_message("edisk: 1 KiB write, 4-byte OUT: %u exits\n", c.disk);
	assert_int_equal(c.disk, 4 + 2 * (1 + 128) + 1);

	c = run_stage(e, 5, &uc);
	file_has_pattern(e, 10, 2);
	print_message("edisk: 1 KiB write, rep outsl (+ flush): %u exits\n",
		      c.disk);
	/* Sectors the guest did not write are untouched. */
	{
		uint8_t rest[(NSECT - 12) * SS];

		file_bytes(e, 12 * SS, rest, sizeof(rest));
		assert_memory_equal(rest, e->img + 12 * SS, sizeof(rest));
	}

	run_stage(e, 6, &uc);
	assert_int_equal(uc.args[1], MVM_EDISK_ERR_RANGE);

	mvm_edisk_stats(e->d, &st);
	assert_int_equal(st.sectors_read, 16);
	assert_int_equal(st.sectors_written, 4);
	assert_int_equal(st.errors, 1);

	mvm_machine_destroy(e->m);
	mvm_edisk_destroy(e->d);
	unlink(e->path);
	free(e);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(guest_reads_and_writes_match_the_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
