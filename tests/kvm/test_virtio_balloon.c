/*
 * test_virtio_balloon.c - a guest gives memory back and the host's
 * resident set shrinks (virtio 1.2, 5.5; examples/virtio-balloon.c).
 *
 * This test process is the VMM, so its own VmRSS (proc(5),
 * /proc/self/status; guest RAM is a memfd, counted as RssShmem within
 * it) is the host's cost of the guest. The guest writes to its 16 MiB
 * pool, inflates the balloon to TARGET pages, deflates and writes again;
 * the RSS must drop by at least half of the ballooned memory after the
 * inflate and come back after the deflate, and the pages the guest gets
 * back must read zero (the host freed them, it did not just forget).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "mbox.h"

#define RUN_MS 60000
#define POOL   4096 /* examples/virtio-balloon.c's POOL_PAGES */
#define TARGET 3072 /* 12 MiB into the balloon */
#define KIB(p) ((long)(p)*4)

/* A field of /proc/self/status in KiB, or -1. */
static long status_kib(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t n = strlen(field);
	long v = -1;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

/* Run to the next SYNC; check its stage; return its args. */
static const struct mvm_ucall *next_sync(struct mvm_machine *m, struct box *b,
					 unsigned stage)
{
	static struct mvm_ucall uc;
	enum mvm_verdict v;

	fixture_backstop(RUN_MS);
	v = mvm_machine_run(m, 0, RUN_MS, 1, NULL, NULL, NULL);
	alarm(0);
	if (v != MVM_SYNC)
		fail_msg("stage %u: %s\n%s%s", stage, mvm_verdict_name(v),
			 b->out, b->log);
	assert_int_equal(
		mvm_ucall_last_of(mvm_machine_devices(m)->ucall, 0, &uc),
		MVM_UCALL_SYNC);
	assert_int_equal(uc.args[0], stage);
	return &uc;
}

static void inflating_returns_guest_pages_to_the_host(void **state)
{
	struct box b = {0};
	struct mvm_machine_config cfg = {
		.virtio = MVM_VIRTIO_DEV_BALLOON,
		.image = MVM_GUEST_DIR "/virtio-balloon.elf",
		.mode = MVM_MODE_AUTO,
	};
	struct mvm_virtio_balloon_info info;
	struct mvm_virtio_balloon *bal;
	const struct mvm_ucall *uc;
	struct mvm_machine *m;
	long touched, inflated, deflated;

	(void)state;
	m = mbox_machine(&b, &cfg);
	bal = mvm_machine_virtio(m)->balloon;
	mvm_virtio_balloon_set_target(bal, TARGET);
	uc = next_sync(m, &b, 1);
	assert_int_equal(uc->args[1], POOL);
	assert_int_equal(uc->args[2], TARGET);
	touched = status_kib("VmRSS");
	uc = next_sync(m, &b, 2);
	assert_int_equal(uc->args[1], TARGET);
	inflated = status_kib("VmRSS");
	uc = next_sync(m, &b, 3);
	assert_int_equal(uc->args[1], TARGET); /* every page read zero */
	deflated = status_kib("VmRSS");
	fprintf(stderr,
		"balloon: VmRSS %ld KiB with the pool touched, %ld KiB with "
		"%ld KiB in the balloon (%ld KiB given back), %ld KiB after "
		"deflating and touching again\n",
		touched, inflated, KIB(TARGET), touched - inflated, deflated);
	/* Generous: at least half of the ballooned memory left the RSS. */
	if (touched - inflated < KIB(TARGET) / 2)
		fail_msg("RSS fell by %ld KiB only (balloon %ld KiB)",
			 touched - inflated, KIB(TARGET));
	if (deflated - inflated < KIB(TARGET) / 2)
		fail_msg("RSS grew by %ld KiB only after the deflate",
			 deflated - inflated);
	mvm_virtio_balloon_info(bal, &info);
	assert_int_equal(info.inflated, TARGET);
	assert_int_equal(info.deflated, TARGET);
	assert_int_equal(info.actual, 0);
	mvm_machine_destroy(m);
}

/* mvm run --balloon PAGES --stats says what the balloon did. */
static void mvm_run_stats_show_the_balloon(void **state)
{
	char out[8192];
	FILE *p;
	size_t n;
	int st;

	(void)state;
	fixture_require_kvm();
	p = popen("timeout 60 " MVM_BUILD_DIR "/mvm run -T 30 --balloon 1000 "
		  "--stats " MVM_GUEST_DIR "/virtio-balloon.elf 2>&1",
		  "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	st = pclose(p);
	if (st != 0 || !strstr(out, "virtio-balloon: target 1000 pages, "
				    "actual 0, 1000 inflated, 1000 deflated"))
		fail_msg("status %d\n%s", st, out);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(inflating_returns_guest_pages_to_the_host),
		cmocka_unit_test(mvm_run_stats_show_the_balloon),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
