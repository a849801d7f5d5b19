/*
 * test_migrate.c - live migration in one process (migrate.h): a source
 * machine stepped by this thread, its live rounds on a second thread,
 * the target receiving on a third, over TCP on the loopback.
 *
 * The witness is examples/migrate-counter.c: it prints "count N" every
 * 256 iterations and ends with "final N sum S check ok", S the sum of
 * the words it wrote, which the host computes too (migwitness_sum()). A
 * migration that loses a page breaks the sum or the check, one that
 * loses vCPU state breaks the count: the source's output followed by the
 * target's must be exactly one uninterrupted run's.
 *
 * The connection is then cut in each phase with the test-only fault
 * hook (mvm_migrate_params.fault_*): the source's migration fails, the
 * guest runs on there to the same correct end, and the target reports
 * the broken stream and leaves no machine.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture.h"
#include "fixture.h"
#include "migwitness.h"
#include "minivmm/minivmm.h"

#define RUN_MS 60000 /* a whole counter run, with room to spare */
#define LEVEL  "2"   /* medium: 4 pages per iteration of 2048 */
/*
 * How long the guest counts (length D: 1000 << D iterations). The rounds,
 * the stop-and-copy (and in the cut tests the cut) must end before the
 * guest does; the guest runs at the same speed in every build but the
 * VMM's side is several times slower under the sanitizers (TSan most),
 * so those builds give the guest 4x as long. The cut tests run twice as
 * long again: they add a cut and the source's recovery.
 */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define LENGTH	   "6" /* 64000 iterations */
#define ITERS	   64000
#define CUT_LENGTH "7"
#define CUT_ITERS  128000
#else
#define LENGTH	   "4" /* 16000 iterations */
#define ITERS	   16000
#define CUT_LENGTH "5"
#define CUT_ITERS  32000
#endif
/* Level 4 (ring 3, native speed): 100000 << D iterations. */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define R3_LENGTH 9
#else
#define R3_LENGTH 7
#endif
#define WINDOW	   2048
#define PER_ITER   4
#define START_LINE "count 512\n" /* migrate once the guest got here */

struct box {
	char out[16384]; /* guest output */
	size_t len;
	char log[8192]; /* library log */
	size_t log_len;
	pthread_mutex_t lock; /* the target thread logs too */
};

static void out_fn(void *ctx, const char *buf, size_t n)
{
	struct box *b = ctx;

	capture_append(b->out, sizeof(b->out), &b->len, buf, n);
}

static void log_fn(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct box *b = ctx;

	(void)level;
	pthread_mutex_lock(&b->lock);
	capture_append(b->log, sizeof(b->log), &b->log_len, msg, strlen(msg));
	capture_append(b->log, sizeof(b->log), &b->log_len, "\n", 1);
	pthread_mutex_unlock(&b->lock);
	if (getenv("MVM_TEST_LOG"))
		fprintf(stderr, "log: %s\n", msg);
}

static struct box *box_new(void)
{
	struct box *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	pthread_mutex_init(&b->lock, NULL);
	return b;
}

static struct mvm_machine_config config(struct box *b)
{
	return (struct mvm_machine_config){.mode = MVM_MODE_AUTO,
					   .out = out_fn,
					   .out_ctx = b,
					   .log = {log_fn, b}};
}

/* The counter guest, its level and length (input) typed into COM1. */
static enum mvm_irqchip irqchip; /* of the machines boot() makes */

static struct mvm_machine *boot(struct box *b, const char *input)
{
	struct mvm_machine_config cfg = config(b);
	struct mvm_machine *m = NULL;

	cfg.irqchip = irqchip;
	cfg.image = MVM_GUEST_DIR "/migrate-counter.elf";
	assert_int_equal(mvm_machine_create(&cfg, &m), 0);
	assert_int_equal(mvm_uart_input(mvm_machine_devices(m)->uart, input, 2),
			 2);
	return m;
}

/* out is one whole run: every count line once, in order, and the final
 * line with the host's sum. */
static void assert_whole_run(const char *out, unsigned iters)
{
	char want[128];
	const char *p = out;

	for (unsigned n = 256; n <= iters; n += 256) {
		char line[32];

		snprintf(line, sizeof(line), "count %u\n", n);
		p = strstr(p, line);
		if (!p)
			fail_msg("no \"count %u\" in order; output:\n%s", n,
				 out);
		p += strlen(line);
		assert_null(strstr(p, line)); /* not repeated */
	}
	snprintf(want, sizeof(want), "final %u sum 0x%llx check ok\n", iters,
		 (unsigned long long)migwitness_sum(iters, WINDOW, PER_ITER));
	if (!strstr(out, want))
		fail_msg("no \"%s\"; output:\n%s", want, out);
}

/* Step vCPU 0 until stop says so or the run ends; the verdict. */
static enum mvm_verdict run_until(struct mvm_machine *m, atomic_int *stop)
{
	enum mvm_verdict v = MVM_GO_ON;
	struct mvm_exit e;

	while ((v == MVM_GO_ON || v == MVM_SYNC) &&
	       !(stop && atomic_load(stop)))
		assert_int_equal(mvm_machine_step(m, 0, &e, &v), 0);
	return v;
}

/* Step until the guest printed line (the run must not end first). */
static void run_to_line(struct mvm_machine *m, struct box *b, const char *l)
{
	enum mvm_verdict v = MVM_GO_ON;
	struct mvm_exit e;

	while (!strstr(b->out, l)) {
		assert_int_equal(mvm_machine_step(m, 0, &e, &v), 0);
		assert_int_equal(v, MVM_GO_ON);
	}
}

/* --- the two ends -------------------------------------------------------- */

struct target {
	int fd;		       /* accepted connection */
	struct box *b;	       /* its output and log */
	struct mvm_machine *m; /* what it received */
	unsigned rounds;       /* ROUND messages */
	int rc;		       /* mvm_migrate_receive() */
	pthread_t thread;      /* receiving */
};

static void *target_main(void *arg)
{
	struct target *t = arg;
	struct mvm_machine_config cfg = config(t->b);

	t->rc = mvm_migrate_receive(t->fd, &cfg, &t->m, &t->rounds);
	close(t->fd);
	return NULL;
}

struct live {
	struct mvm_migrate *mg; /* the source's migration */
	struct mvm_vcpu *vcpu;	/* kicked when the rounds end */
	atomic_int done;	/* mvm_migrate_live() returned */
	int rc;			/* what it returned */
	pthread_t thread;
};

static void *live_main(void *arg)
{
	struct live *l = arg;

	l->rc = mvm_migrate_live(l->mg);
	atomic_store(&l->done, 1);
	mvm_vcpu_kick(l->vcpu);
	return NULL;
}

struct outcome {
	int live_rc, finish_rc;	     /* source side */
	struct mvm_migrate_stats st; /* its numbers */
	struct target t;	     /* target side */
	struct box *src_b;	     /* source output and log */
	struct mvm_machine *src;     /* the source, still here */
};

/* Boot with input, run to the line start, migrate with params p. */
static void migrate(struct outcome *o, const struct mvm_migrate_params *p,
		    const char *input, const char *start)
{
	struct live l = {0};
	int sfd;

	o->src_b = box_new();
	o->t.b = box_new();
	o->src = boot(o->src_b, input);
	fixture_backstop(RUN_MS);
	mvm_vcpu_set_deadline(mvm_machine_vcpu(o->src, 0), RUN_MS);
	run_to_line(o->src, o->src_b, start);
	assert_int_equal(migwitness_tcp_pair(&sfd, &o->t.fd), 0);
	assert_int_equal(pthread_create(&o->t.thread, NULL, target_main, &o->t),
			 0);
	assert_int_equal(mvm_migrate_create(o->src, sfd, p, &l.mg), 0);
	l.vcpu = mvm_machine_vcpu(o->src, 0);
	assert_int_equal(pthread_create(&l.thread, NULL, live_main, &l), 0);
	/* The guest runs on while the rounds go. */
	assert_int_equal(run_until(o->src, &l.done), MVM_GO_ON);
	pthread_join(l.thread, NULL);
	o->live_rc = l.rc;
	o->finish_rc = l.rc ? l.rc : mvm_migrate_finish(l.mg);
	o->st = *mvm_migrate_stats(l.mg);
	mvm_migrate_destroy(l.mg);
	close(sfd);
	pthread_join(o->t.thread, NULL);
	alarm(0);
}

static void outcome_free(struct outcome *o)
{
	mvm_machine_destroy(o->src);
	mvm_machine_destroy(o->t.m);
	free(o->src_b);
	free(o->t.b);
}

static int setup(void **state)
{
	(void)state;
	fixture_require_kvm();
	return 0;
}

static void migrate_whole_run(void)
{
	struct outcome o = {0};
	char *all;

	migrate(&o, NULL, LEVEL LENGTH, START_LINE);
	assert_int_equal(o.finish_rc, 0);
	assert_int_equal(o.t.rc, 0);
	assert_non_null(o.t.m);
	assert_true(o.st.nrounds >= 2); /* round 0 and the stop-and-copy */
	assert_int_equal(o.st.round[0].phase, MVM_MIG_PHASE_ROUND0);
	assert_int_equal(o.st.round[o.st.nrounds - 1].phase,
			 MVM_MIG_PHASE_STOP);
	assert_int_equal(o.t.rounds, (unsigned)o.st.nrounds);
	assert_true(o.st.round[0].pages >= WINDOW); /* the region is there */
	assert_true(o.st.downtime_ns > 0 && o.st.downtime_ns <= o.st.total_ns);
	/* The target runs on from where the source stopped. */
	fixture_backstop(RUN_MS);
	assert_int_equal(mvm_machine_run(o.t.m, 0, RUN_MS, 0, NULL, NULL, NULL),
			 MVM_DONE);
	alarm(0);
	assert_non_null(strstr(o.src_b->out, START_LINE));
	assert_null(strstr(o.src_b->out, "final"));
	assert_int_equal(asprintf(&all, "%s%s", o.src_b->out, o.t.b->out) > 0,
			 1);
	assert_whole_run(all, ITERS);
	free(all);
	outcome_free(&o);
}

static void migrated_counter_loses_no_increment_and_sums_right(void **state)
{
	(void)state;
	irqchip = MVM_IRQCHIP_NONE;
	migrate_whole_run();
}

/* KVM's PIC, IOAPIC, PIT and clock travel in the VM section. */
static void
irqchip_machine_migrates_with_its_interrupt_controllers(void **state)
{
	(void)state;
	irqchip = MVM_IRQCHIP_KERNEL;
	migrate_whole_run();
	irqchip = MVM_IRQCHIP_NONE;
}

/*
 * The cable is pulled before the source's n-th message of a phase. The
 * source's migration fails, its guest runs on to the right end; the
 * target saw the stream end and built nothing.
 */
static void cut_in(unsigned phase, unsigned n, unsigned downtime_ms)
{
	struct mvm_migrate_params p = {.fault_phase = phase,
				       .fault_after = n,
				       .downtime_ms = downtime_ms,
				       .max_rounds = 6};
	struct outcome o = {0};

	migrate(&o, &p, LEVEL CUT_LENGTH, START_LINE);
	if (phase <= MVM_MIG_PHASE_DIRTY)
		assert_int_not_equal(o.live_rc, 0);
	else
		assert_int_equal(o.live_rc, 0);
	assert_int_not_equal(o.finish_rc, 0);
	/* The cut happened in the phase asked for. */
	assert_non_null(strstr(o.src_b->log, "fault hook"));
	assert_non_null(strstr(o.src_b->log, mvm_migrate_phase_name(phase)));
	/* The target: a clear error, no machine. */
	assert_true(o.t.rc == -EPIPE || o.t.rc == -ENODATA ||
		    o.t.rc == -ECONNRESET);
	assert_null(o.t.m);
	if (!strstr(o.t.b->log, "connection closed"))
		fail_msg("target log: %s", o.t.b->log);
	/* The source runs on, nothing lost. */
	fixture_backstop(RUN_MS);
	assert_int_equal(run_until(o.src, NULL), MVM_DONE);
	alarm(0);
	assert_whole_run(o.src_b->out, CUT_ITERS);
	outcome_free(&o);
}

/*
 * Level 4 runs the loop at ring 3, natively even where ring 0 is
 * emulated: the fastest writer there is, migrated mid-loop. It cannot
 * print, so it leaves counter, sum and check in the scratch page and
 * stops with the STOP marker (migrate-counter.c).
 */
static void ring3_counter_migrates_mid_loop_with_its_memory(void **state)
{
	const uint64_t iters = 100000ull << R3_LENGTH;
	char input[3] = {'4', '0' + R3_LENGTH, 0}, first[40];
	struct outcome o = {0};
	uint64_t w[3];

	(void)state;
	snprintf(first, sizeof(first), "iterations %llu\n",
		 (unsigned long long)iters);
	migrate(&o, NULL, input, first);
	assert_int_equal(o.finish_rc, 0);
	assert_int_equal(o.t.rc, 0);
	fixture_backstop(RUN_MS);
	assert_int_equal(mvm_machine_run(o.t.m, 0, RUN_MS, 0, NULL, NULL, NULL),
			 MVM_DONE);
	alarm(0);
	assert_int_equal(mvm_vm_read(mvm_machine_vm(o.t.m), MVM_SCRATCH_ADDR, w,
				     sizeof(w)),
			 0);
	assert_int_equal(w[0], iters);
	assert_int_equal(w[1], migwitness_sum(iters, 8192, 16));
	assert_int_equal(w[2], w[1]);
	outcome_free(&o);
}

static void connection_cut_in_round0_leaves_source_running(void **state)
{
	(void)state;
	cut_in(MVM_MIG_PHASE_ROUND0, 2, 0);
}

/* A 1 ms budget keeps a medium guest in dirty rounds. */
static void connection_cut_in_dirty_round_leaves_source_running(void **state)
{
	(void)state;
	cut_in(MVM_MIG_PHASE_DIRTY, 2, 1);
}

static void connection_cut_in_stop_and_copy_leaves_source_running(void **state)
{
	(void)state;
	cut_in(MVM_MIG_PHASE_STOP, 1, 0);
}

/* The 2nd message of the state: a vCPU, after the VM's. */
static void connection_cut_in_device_state_leaves_source_running(void **state)
{
	(void)state;
	cut_in(MVM_MIG_PHASE_DEVICES, 2, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			migrated_counter_loses_no_increment_and_sums_right),
		cmocka_unit_test(
			irqchip_machine_migrates_with_its_interrupt_controllers),
		cmocka_unit_test(
			ring3_counter_migrates_mid_loop_with_its_memory),
		cmocka_unit_test(
			connection_cut_in_round0_leaves_source_running),
		cmocka_unit_test(
			connection_cut_in_dirty_round_leaves_source_running),
		cmocka_unit_test(
			connection_cut_in_stop_and_copy_leaves_source_running),
		cmocka_unit_test(
			connection_cut_in_device_state_leaves_source_running),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
