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

const char *const lab3_path_name[LAB3_NPATHS] = {
	[LAB3_USER] = "user 8259A + 8254",
	[LAB3_KERNEL] = "in-kernel PIC + PIT",
	[LAB3_IRQFD] = "8254 via irqfd + in-kernel PIC",
};

void lab3_machine_on(struct lab3 *t, const char *image, enum lab3_path path)
{
	struct mvm_machine_config cfg = {
		.irqchip = path == LAB3_USER ? MVM_IRQCHIP_USER
					     : MVM_IRQCHIP_KERNEL,
		.irq_flags = path == LAB3_IRQFD
				     ? MVM_MIRQ_IRQFD | MVM_MIRQ_USER_PIT
				     : 0,
		.hlt = MVM_HLT_WAIT,
		.mode = MVM_MODE_AUTO,
		.image = image,
		.log = {lab3_log, t},
	};
	int r;

	fixture_require_kvm();
	memset(t, 0, sizeof(*t));
	r = mvm_machine_create(&cfg, &t->m);
	GRADE_EXPECT(r == 0,
		     "mvm_machine_create(%s) on the %s path: %s%s; log:\n%s",
		     image, lab3_path_name[path], strerror(-r),
		     path == LAB3_IRQFD ? " (the UART's line is an irqfd: "
					  "task 7, mvm_vm_irqfd())"
					: "",
		     t->log);
	if (path == LAB3_KERNEL)
		return;
	r = 0;
	if (path == LAB3_USER) {
		r = mvm_pic_create(mvm_machine_log(t->m), &t->pic);
		if (!r)
			r = mvm_pic_attach(t->pic, t->m);
	}
	if (!r)
		r = mvm_pit_create(mvm_machine_log(t->m), &t->pit);
	if (!r)
		r = mvm_pit_attach(t->pit, t->m);
	GRADE_EXPECT(r == 0, "attaching the PIC and PIT: %s; log:\n%s",
		     strerror(-r), t->log);
}

void lab3_machine(struct lab3 *t, const char *image, int user)
{
	lab3_machine_on(t, image, user ? LAB3_USER : LAB3_KERNEL);
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
	v = mvm_machine_run(t->m, 0, LAB3_RUN_MS, 1, lab3_count_exit, t, &e);
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

uint64_t lab3_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void lab3_sleep_us(unsigned us)
{
	struct timespec ts = {us / 1000000, (long)(us % 1000000) * 1000};

	nanosleep(&ts, NULL);
}

void lab3_count_exit(void *ctx, struct mvm_vcpu *vcpu, const struct mvm_exit *e)
{
	struct lab3 *t = ctx;

	(void)vcpu;
	(void)e;
	atomic_fetch_add(&t->exits, 1);
}

/* --- the latency probe ------------------------------------------------- */

/* The guest's OUT: 0 = idling now, else the handler's first instruction. */
static int probe_write(void *dev, struct mvm_vcpu *vcpu, uint64_t off,
		       const void *data, uint32_t len)
{
	struct lab3_probe *p = dev;

	(void)vcpu, (void)off, (void)len;
	if (*(const uint8_t *)data) {
		atomic_store(&p->handler_ns, lab3_now_ns());
		atomic_fetch_add(&p->runs, 1);
	} else {
		atomic_store(&p->ready, 1);
	}
	return 0;
}

static int probe_read(void *dev, struct mvm_vcpu *vcpu, uint64_t off,
		      void *data, uint32_t len)
{
	(void)dev, (void)vcpu, (void)off;
	memset(data, 0, len);
	return 0;
}

static const struct mvm_dev_ops probe_ops = {
	.name = "lab3-probe",
	.read = probe_read,
	.write = probe_write,
};

/* The machine's own deadline for the vCPU thread: a test that forgets
 * to stop it still ends. Longer than any probe test may take (their
 * grader limits, up to 20 s: late irqfd interrupts, LAB3_IRQ_WAIT_MS). */
#define PROBE_RUN_MS 30000

struct mvm_irq_line *lab3_probe_start(struct lab3 *t, struct lab3_probe *p,
				      enum lab3_path path)
{
	struct mvm_irq_line *line = NULL;
	uint64_t deadline;
	int r;

	memset(p, 0, sizeof(*p));
	lab3_machine_on(t, MVM_GUEST_DIR "/irq-latency.elf", path);
	r = mvm_machine_add_device(t->m, 0, MVM_PORT_MEASURE, 1, &probe_ops, p);
	if (!r)
		r = mvm_machine_start(t->m, PROBE_RUN_MS, lab3_count_exit, t);
	GRADE_EXPECT(r == 0, "starting irq-latency.elf: %s; log:\n%s",
		     strerror(-r), t->log);
	deadline = lab3_now_ns() + LAB3_RUN_MS * 1000000ull;
	while (!atomic_load(&p->ready) && lab3_now_ns() < deadline)
		lab3_sleep_us(1000);
	GRADE_EXPECT(atomic_load(&p->ready),
		     "irq-latency.elf did not reach its idle loop within %d "
		     "ms; log:\n%s",
		     LAB3_RUN_MS, t->log);
	lab3_sleep_us(2000); /* let it reach its HLT */
	r = mvm_machine_irq_line(t->m, LAB3_PROBE_IRQ, &line);
	GRADE_EXPECT(r == 0, "no line for GSI %d on the %s path: %s; log:\n%s",
		     LAB3_PROBE_IRQ, lab3_path_name[path], strerror(-r),
		     t->log);
	return line;
}

uint64_t lab3_probe_wait(struct lab3_probe *p, uint64_t n, unsigned ms)
{
	uint64_t deadline = lab3_now_ns() + ms * 1000000ull;

	while (atomic_load(&p->runs) < n && lab3_now_ns() < deadline)
		lab3_sleep_us(200);
	return atomic_load(&p->runs);
}
