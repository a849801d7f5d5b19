/*
 * mig6.c - the final project's test harness (mig6.h): two ends of a
 * migration in one process, over TCP on the loopback, as
 * tests/kvm/test_migrate.c runs them for the library's own tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "fixture.h"
#include "grade.h"
#include "mig6.h"
#include "migwitness.h"

static void out_fn(void *ctx, const char *buf, size_t n)
{
	struct mig6_box *b = ctx;

	capture_append(b->out, sizeof(b->out), &b->len, buf, n);
}

static void log_fn(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct mig6_box *b = ctx;

	(void)level;
	pthread_mutex_lock(&b->lock);
	capture_append(b->log, sizeof(b->log), &b->log_len, msg, strlen(msg));
	capture_append(b->log, sizeof(b->log), &b->log_len, "\n", 1);
	pthread_mutex_unlock(&b->lock);
}

static struct mvm_machine_config config(struct mig6_box *b)
{
	return (struct mvm_machine_config){.mode = MVM_MODE_AUTO,
					   .ram_size = MIG6_RAM,
					   .out = out_fn,
					   .out_ctx = b,
					   .log = {log_fn, b}};
}

void mig6_boot(struct mig6 *t, const char *input)
{
	struct mvm_machine_config cfg = config(&t->src_b);

	pthread_mutex_init(&t->src_b.lock, NULL);
	pthread_mutex_init(&t->dst_b.lock, NULL);
	t->sfd = t->dfd = -1;
	cfg.image = MVM_GUEST_DIR "/migrate-counter.elf";
	GRADE_EXPECT_EQ(mvm_machine_create(&cfg, &t->src), 0,
			"mvm_machine_create() of the counter guest");
	GRADE_EXPECT_EQ(
		mvm_uart_input(mvm_machine_devices(t->src)->uart, input, 2), 2,
		"input digits taken by COM1");
	fixture_backstop(MIG6_RUN_MS);
	mvm_vcpu_set_deadline(mvm_machine_vcpu(t->src, 0), MIG6_RUN_MS);
}

/* One step of vCPU 0; the verdict. */
static enum mvm_verdict step(struct mvm_machine *m)
{
	enum mvm_verdict v = MVM_GO_ON;
	struct mvm_exit e;
	int rc = mvm_machine_step(m, 0, &e, &v);

	GRADE_EXPECT(rc == 0, "mvm_machine_step() failed: %d", rc);
	return v;
}

void mig6_run_to_line(struct mig6 *t, const char *line)
{
	while (!strstr(t->src_b.out, line)) {
		enum mvm_verdict v = step(t->src);

		GRADE_EXPECT(v == MVM_GO_ON || v == MVM_SYNC,
			     "the guest ended (%s) before printing '%s'",
			     mvm_verdict_name(v), line);
	}
}

enum mvm_verdict mig6_run_out(struct mvm_machine *m)
{
	enum mvm_verdict v = MVM_GO_ON;

	while (v == MVM_GO_ON || v == MVM_SYNC)
		v = step(m);
	return v;
}

/* --- the two ends ---------------------------------------------------------- */

static void *target_main(void *arg)
{
	struct mig6 *t = arg;
	struct mvm_machine_config cfg = config(&t->dst_b);

	t->recv_rc = mvm_migrate_receive(t->dfd, &cfg, &t->dst, &t->rounds);
	close(t->dfd);
	return NULL;
}

void mig6_start(struct mig6 *t, const struct mvm_migrate_params *p)
{
	GRADE_EXPECT_EQ(migwitness_tcp_pair(&t->sfd, &t->dfd), 0,
			"a connection over the loopback");
	GRADE_EXPECT(!pthread_create(&t->target_thread, NULL, target_main, t),
		     "the target thread");
	GRADE_EXPECT_EQ(mvm_migrate_create(t->src, t->sfd, p, &t->mg), 0,
			"mvm_migrate_create()");
}

/* Page i of the test's area gets words that depend on i and pass. */
static void fill(struct mvm_vm *vm, unsigned i, uint64_t pass)
{
	uint64_t page[512];

	for (unsigned w = 0; w < 512; w++)
		page[w] = (pass << 32 | i) * 0x9e3779b97f4a7c15ull + w;
	mvm_vm_write(vm, BURST_GPA + (uint64_t)i * 4096, page, sizeof(page));
}

void mig6_burst(struct mig6 *t)
{
	for (unsigned i = 0; i < BURST_PAGES; i++)
		fill(mvm_machine_vm(t->src), i, 1);
}

static void *writer_main(void *arg)
{
	struct mig6 *t = arg;

	for (uint64_t pass = 2; !atomic_load(&t->writer_stop); pass++)
		for (unsigned i = 0; i < HOT_PAGES; i++)
			fill(mvm_machine_vm(t->src), i, pass);
	return NULL;
}

void mig6_writer_start(struct mig6 *t)
{
	atomic_store(&t->writer_stop, 0);
	GRADE_EXPECT(!pthread_create(&t->writer_thread, NULL, writer_main, t),
		     "the writer thread");
	t->have_writer = 1;
}

void mig6_writer_stop(struct mig6 *t)
{
	if (!t->have_writer)
		return;
	atomic_store(&t->writer_stop, 1);
	pthread_join(t->writer_thread, NULL);
	t->have_writer = 0;
}

static void *live_main(void *arg)
{
	struct mig6 *t = arg;

	t->live_rc = mvm_migrate_live(t->mg);
	atomic_store(&t->live_done, 1);
	mvm_vcpu_kick(mvm_machine_vcpu(t->src, 0));
	return NULL;
}

int mig6_live(struct mig6 *t, int run_guest)
{
	GRADE_EXPECT(!pthread_create(&t->live_thread, NULL, live_main, t),
		     "the live-rounds thread");
	while (run_guest && !atomic_load(&t->live_done)) {
		enum mvm_verdict v = step(t->src);

		GRADE_EXPECT(v == MVM_GO_ON || v == MVM_SYNC,
			     "the guest ended (%s) before the live rounds "
			     "did: they never stopped?",
			     mvm_verdict_name(v));
	}
	pthread_join(t->live_thread, NULL);
	mig6_writer_stop(t);
	return t->live_rc;
}

void mig6_end(struct mig6 *t)
{
	if (!t->live_rc)
		t->finish_rc = mvm_migrate_finish(t->mg);
	t->st = *mvm_migrate_stats(t->mg);
	mvm_migrate_destroy(t->mg);
	t->mg = NULL;
	close(t->sfd);
	pthread_join(t->target_thread, NULL);
}

void mig6_free(struct mig6 *t)
{
	mig6_writer_stop(t);
	mvm_machine_destroy(t->src);
	mvm_machine_destroy(t->dst);
	t->src = t->dst = NULL;
}

/* --- what the tests observe ------------------------------------------------ */

void mig6_expect_whole_run(const char *out, unsigned iters, unsigned window,
			   unsigned per_iter)
{
	const char *p = out;
	char want[128];

	for (unsigned n = 256; n <= iters; n += 256) {
		char line[32];

		snprintf(line, sizeof(line), "count %u\n", n);
		p = strstr(p, line);
		GRADE_EXPECT(p,
			     "no \"count %u\" in order in the guest's "
			     "output (source, then target):\n%s",
			     n, out);
		p += strlen(line);
		GRADE_EXPECT(!strstr(p, line),
			     "\"count %u\" twice: the target repeated "
			     "iterations",
			     n);
	}
	snprintf(want, sizeof(want), "final %u sum 0x%llx check ok\n", iters,
		 (unsigned long long)migwitness_sum(iters, window, per_iter));
	GRADE_EXPECT(strstr(out, want),
		     "no \"%s\" (a page lost or sent stale breaks the sum "
		     "or the check); output:\n%s",
		     want, out);
}

void mig6_expect_same_ram(struct mig6 *t)
{
	struct mvm_vm *a = mvm_machine_vm(t->src), *b = mvm_machine_vm(t->dst);
	static uint8_t pa[1 << 20], pb[1 << 20];

	GRADE_EXPECT_EQ(mvm_vm_ram_size(b), MIG6_RAM, "the target's RAM");
	for (uint64_t off = 0; off < MIG6_RAM; off += sizeof(pa)) {
		GRADE_EXPECT(!mvm_vm_read(a, off, pa, sizeof(pa)) &&
				     !mvm_vm_read(b, off, pb, sizeof(pb)),
			     "reading RAM at 0x%llx", (unsigned long long)off);
		for (size_t i = 0; i < sizeof(pa); i += 4096)
			GRADE_EXPECT(!memcmp(pa + i, pb + i, 4096),
				     "page 0x%llx differs between source and "
				     "target after the migration: a dirty "
				     "page was never sent again",
				     (unsigned long long)(off + i));
	}
}

int mig6_live_rounds(const struct mvm_migrate_stats *st)
{
	int n = 0;

	for (int i = 0; i < st->nrounds; i++)
		n += st->round[i].phase <= MVM_MIG_PHASE_DIRTY;
	return n;
}

double mig6_best_rate(const struct mvm_migrate_stats *st)
{
	double best = 0.1; /* the library's assumption before a measure */

	for (int i = 0; i < st->nrounds; i++) {
		const struct mvm_migrate_round *r = &st->round[i];

		if (r->phase <= MVM_MIG_PHASE_DIRTY && r->ns &&
		    r->bytes > (1 << 20) &&
		    (double)r->bytes / (double)r->ns > best)
			best = (double)r->bytes / (double)r->ns;
	}
	return best;
}
