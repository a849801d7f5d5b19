/*
 * test_chaos.c - the chaos guest (examples/chaos.c) against a whole
 * machine: random port I/O, MMIO, MSRs, CPUID and descriptor-table abuse
 * from a seeded generator must leave the VMM standing and reporting.
 *
 * The seed is printed so a failure can be replayed: MVM_CHAOS_SEED=0x...
 * picks it (default: from the clock, so each CI run tries new ground),
 * MVM_CHAOS_OPS the number of operations per run. Under SANITIZE=1 any
 * ASan/UBSan report in the VMM fails the program.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../examples/chaos.h"
#include "fixture.h"

#define RUN_MS	  15000 /* all operations; a run takes ~1 s per 3000 */
#define CHAOS_OPS 20000
#define LOG_MAX	  (64 << 10)

struct box {
	pthread_mutex_t lock;
	size_t out_len; /* guest output bytes (dropped) */
	char log[LOG_MAX];
	size_t loglen;
	unsigned warnings; /* WARN and ERROR messages */
};

static void box_out(void *ctx, const char *buf, size_t len)
{
	struct box *b = ctx;

	(void)buf;
	pthread_mutex_lock(&b->lock);
	b->out_len += len;
	pthread_mutex_unlock(&b->lock);
}

static void box_log(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct box *b = ctx;
	int n;

	pthread_mutex_lock(&b->lock);
	if (level >= MVM_LOG_WARN)
		b->warnings++;
	n = snprintf(b->log + b->loglen, sizeof(b->log) - b->loglen, "%s\n",
		     msg);
	if (n > 0 && (size_t)n < sizeof(b->log) - b->loglen)
		b->loglen += (size_t)n;
	pthread_mutex_unlock(&b->lock);
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : def;
}

/* The seed: MVM_CHAOS_SEED, or the clock's nanoseconds (never 0, which
 * would make the guest pick its own). */
static uint64_t chaos_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return env_u64("MVM_CHAOS_SEED",
		       ((uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec) | 1);
}

/* The machine every tool builds, with Lab 1's devices too (CMOS,
 * hypercall port, lab MSRs), so the chaos reaches every device model. */
static void chaos_survives_and_reports_done(void **state)
{
	static struct box b;
	struct mvm_machine_config cfg = {
		.devices = MVM_MDEV_DEFAULT | MVM_MDEV_LAB1,
		.out = box_out,
		.out_ctx = &b,
		.log = {box_log, &b},
	};
	uint64_t seed = chaos_seed(), ops = env_u64("MVM_CHAOS_OPS", CHAOS_OPS);
	struct mvm_machine *m;
	struct mvm_ucall uc;
	struct mvm_exit e;
	enum mvm_verdict v;

	(void)state;
	fixture_require_kvm();
	pthread_mutex_init(&b.lock, NULL);
	printf("chaos: seed 0x%llx, %llu operations "
	       "(replay: MVM_CHAOS_SEED=0x%llx)\n",
	       (unsigned long long)seed, (unsigned long long)ops,
	       (unsigned long long)seed);
	fflush(stdout);
	if (mvm_machine_create(&cfg, &m) < 0)
		fail_msg("mvm_machine_create:\n%s", b.log);
	if (mvm_machine_load(m, MVM_GUEST_DIR "/chaos.elf", MVM_MODE_AUTO) < 0)
		fail_msg("loading chaos.elf:\n%s", b.log);
	assert_int_equal(
		mvm_vm_write(mvm_machine_vm(m), CHAOS_SEED_ADDR, &seed, 8), 0);
	assert_int_equal(
		mvm_vm_write(mvm_machine_vm(m), CHAOS_OPS_ADDR, &ops, 8), 0);

	fixture_backstop(RUN_MS);
	v = mvm_machine_run(m, 0, RUN_MS, 0, NULL, NULL, &e);
	alarm(0);
	printf("chaos: verdict %s after exit %s (seq %llu), %u warnings\n",
	       mvm_verdict_name(v), mvm_exit_reason_name(e.reason),
	       (unsigned long long)e.seq, b.warnings);
	if (v != MVM_DONE)
		fail_msg("seed 0x%llx: verdict %s; last log lines:\n%s",
			 (unsigned long long)seed, mvm_verdict_name(v),
			 b.loglen > 2000 ? b.log + b.loglen - 2000 : b.log);

	/* DONE came from the guest's last line, with what it did. */
	assert_int_equal(
		mvm_ucall_last_of(mvm_machine_devices(m)->ucall, 0, &uc),
		MVM_UCALL_DONE);
	assert_string_equal(uc.text, "chaos done");
	assert_true(uc.args[0] == seed);
	assert_true(uc.args[1] == ops);
	printf("chaos: %llu exceptions caught (vectors 0x%llx)\n",
	       (unsigned long long)uc.args[2], (unsigned long long)uc.args[3]);
	/* Unknown MSRs and bad selectors raise #GP: the handler ran. */
	assert_true(uc.args[2] > 0);
	assert_true(uc.args[3] & (1u << 13));
	/* The VMM said what it ignored (rate-limited, but not silent). */
	assert_true(b.warnings > 0);
	mvm_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(chaos_survives_and_reports_done),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
