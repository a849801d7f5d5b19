/*
 * lab3_util.c - helpers shared by Lab 3's grader tests (lab3.h).
 */
#include "lab3.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static void lab3_log(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct lab3 *t = ctx;
	int n;

	(void)level;
	n = snprintf(t->log + t->loglen, sizeof(t->log) - t->loglen, "%s\n",
		     msg);
	if (n > 0 && (size_t)n < sizeof(t->log) - t->loglen)
		t->loglen += (size_t)n;
}

void lab3_machine(struct lab3 *t, const char *image, int user)
{
	struct mvm_machine_config cfg = {
		.irqchip = user ? MVM_IRQCHIP_USER : MVM_IRQCHIP_KERNEL,
		.hlt = MVM_HLT_WAIT,
		.mode = MVM_MODE_AUTO,
		.image = image,
		.log = {lab3_log, t},
	};
	int r;

	fixture_require_kvm();
	memset(t, 0, sizeof(*t));
	r = mvm_machine_create(&cfg, &t->m);
	GRADE_EXPECT(r == 0, "mvm_machine_create(%s): %s; log:\n%s", image,
		     strerror(-r), t->log);
	if (!user)
		return;
	r = mvm_pic_create(mvm_machine_log(t->m), &t->pic);
	if (!r)
		r = mvm_pic_attach(t->pic, t->m);
	if (!r)
		r = mvm_pit_create(mvm_machine_log(t->m), &t->pit);
	if (!r)
		r = mvm_pit_attach(t->pit, t->m);
	GRADE_EXPECT(r == 0, "attaching the PIC and PIT: %s; log:\n%s",
		     strerror(-r), t->log);
}

void lab3_free(struct lab3 *t)
{
	if (t->m)
		mvm_machine_stop(t->m);
	mvm_pit_destroy(t->pit);
	mvm_machine_destroy(t->m);
	mvm_pic_destroy(t->pic);
	memset(t, 0, sizeof(*t));
}

void lab3_to_sync_at(struct lab3 *t, struct mvm_ucall *uc, uint64_t stage,
		     const char *why, const char *file, int line)
{
	const struct mvm_std_devices *d = mvm_machine_devices(t->m);
	struct mvm_exit e;
	enum mvm_verdict v;

	memset(uc, 0, sizeof(*uc));
	v = mvm_machine_run(t->m, 0, LAB3_RUN_MS, 1, NULL, NULL, &e);
	mvm_ucall_last_of(d->ucall, 0, uc);
	if (v == MVM_SYNC && uc->args[0] == stage)
		return;
	if (v == MVM_TIMED_OUT)
		grade_fail(file, line,
			   "the guest did not reach its SYNC %llu within "
			   "%d ms (last exit %s at rip 0x%llx)\nhint: %s\n"
			   "log:\n%s",
			   (unsigned long long)stage, LAB3_RUN_MS,
			   mvm_exit_reason_name(e.reason),
			   (unsigned long long)e.rip, why, t->log);
	grade_fail(file, line,
		   "expected the guest's SYNC %llu, got verdict %s (ucall "
		   "%s \"%s\", stage %llu; last exit %s)\nhint: %s\nlog:\n%s",
		   (unsigned long long)stage, mvm_verdict_name(v),
		   mvm_ucall_cmd_name(uc->cmd), uc->text,
		   (unsigned long long)uc->args[0],
		   mvm_exit_reason_name(e.reason), why, t->log);
}

double lab3_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
