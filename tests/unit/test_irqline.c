/*
 * test_irqline.c - interrupt lines that feed a user-space controller
 * (MVM_IRQ_USER): the sink sees every level with the right GSI, pulse is
 * an edge (1 then 0), the level is remembered, bad arguments are refused,
 * and concurrent pulses from several threads all arrive whole. No
 * /dev/kvm needed: a USER line may have no VM.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>

#include "minivmm/irq.h"

/* A fake controller pin that records what it was told. */
struct pin {
	pthread_mutex_t lock;
	unsigned gsi[64];
	int level[64];
	int n;
	int cur;      /* current level as the controller sees it */
	int edges;    /* low-to-high transitions seen */
	int bad_edge; /* a 1 arrived while already 1, or 0 while 0 */
};

static void pin_set_level(void *ctx, unsigned gsi, int level)
{
	struct pin *p = ctx;

	pthread_mutex_lock(&p->lock);
	if (p->n < 64) {
		p->gsi[p->n] = gsi;
		p->level[p->n] = level;
	}
	p->n++;
	if (level == p->cur)
		p->bad_edge = 1;
	if (level && !p->cur)
		p->edges++;
	p->cur = level;
	pthread_mutex_unlock(&p->lock);
}

static struct mvm_irq_line *user_line(struct pin *p, unsigned gsi)
{
	struct mvm_irq_sink sink = {pin_set_level, p};
	struct mvm_irq_line *line = NULL;

	pthread_mutex_init(&p->lock, NULL);
	assert_int_equal(
		mvm_irq_line_create(NULL, MVM_IRQ_USER, gsi, &sink, &line), 0);
	assert_non_null(line);
	return line;
}

static void user_line_starts_low_and_knows_its_gsi(void **state)
{
	struct pin p = {0};
	struct mvm_irq_line *line = user_line(&p, 7);

	(void)state;
	assert_int_equal(mvm_irq_gsi(line), 7);
	assert_int_equal(mvm_irq_level(line), 0);
	assert_int_equal(mvm_irq_eventfd(line), -1);
	assert_int_equal(p.n, 0); /* creating a line does not touch the pin */
	mvm_irq_line_destroy(line);
}

static void raise_and_lower_reach_the_sink_with_the_gsi(void **state)
{
	struct pin p = {0};
	struct mvm_irq_line *line = user_line(&p, 4);

	(void)state;
	assert_int_equal(mvm_irq_raise(line), 0);
	assert_int_equal(mvm_irq_level(line), 1);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.gsi[0], 4);
	assert_int_equal(p.level[0], 1);
	assert_int_equal(mvm_irq_lower(line), 0);
	assert_int_equal(mvm_irq_level(line), 0);
	assert_int_equal(p.n, 2);
	assert_int_equal(p.gsi[1], 4);
	assert_int_equal(p.level[1], 0);
	mvm_irq_line_destroy(line);
}

static void pulse_gives_one_then_zero(void **state)
{
	struct pin p = {0};
	struct mvm_irq_line *line = user_line(&p, 12);

	(void)state;
	assert_int_equal(mvm_irq_pulse(line), 0);
	assert_int_equal(p.n, 2);
	assert_int_equal(p.gsi[0], 12);
	assert_int_equal(p.level[0], 1);
	assert_int_equal(p.gsi[1], 12);
	assert_int_equal(p.level[1], 0);
	assert_int_equal(p.edges, 1);
	assert_int_equal(mvm_irq_level(line), 0);
	mvm_irq_line_destroy(line);
}

static void bad_arguments_are_refused(void **state)
{
	struct mvm_irq_sink no_fn = {NULL, NULL};
	struct mvm_irq_line *line = (struct mvm_irq_line *)&line;

	(void)state;
	/* A USER line needs a sink; KERNEL and IRQFD lines need a VM. */
	assert_int_equal(
		mvm_irq_line_create(NULL, MVM_IRQ_USER, 1, NULL, &line),
		-EINVAL);
	assert_null(line);
	assert_int_equal(
		mvm_irq_line_create(NULL, MVM_IRQ_USER, 1, &no_fn, &line),
		-EINVAL);
	assert_int_equal(
		mvm_irq_line_create(NULL, MVM_IRQ_KERNEL, 1, NULL, &line),
		-EINVAL);
	assert_int_equal(
		mvm_irq_line_create(NULL, MVM_IRQ_IRQFD, 1, NULL, &line),
		-EINVAL);
	assert_int_equal(
		mvm_irq_line_create(NULL, (enum mvm_irq_kind)9, 1, NULL, &line),
		-EINVAL);
	assert_null(line);
	assert_int_equal(mvm_irq_raise(NULL), -EINVAL);
	assert_int_equal(mvm_irq_lower(NULL), -EINVAL);
	assert_int_equal(mvm_irq_pulse(NULL), -EINVAL);
	assert_int_equal(mvm_irq_level(NULL), 0);
	mvm_irq_line_destroy(NULL); /* accepted */
}

/* --- several threads pulse one line ------------------------------------ */

#define PULSERS 4
#define PULSES	250

static void *pulser(void *arg)
{
	struct mvm_irq_line *line = arg;

	for (int i = 0; i < PULSES; i++)
		if (mvm_irq_pulse(line) < 0)
			return (void *)1;
	return NULL;
}

static void pulses_from_many_threads_are_never_split(void **state)
{
	struct pin p = {0};
	struct mvm_irq_line *line = user_line(&p, 3);
	pthread_t t[PULSERS];
	void *ret;

	(void)state;
	for (int i = 0; i < PULSERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, pulser, line), 0);
	for (int i = 0; i < PULSERS; i++) {
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
	/* Each pulse is a whole 0->1->0 at the pin: no 1,1 or 0,0. */
	assert_int_equal(p.n, 2 * PULSERS * PULSES);
	assert_int_equal(p.edges, PULSERS * PULSES);
	assert_false(p.bad_edge);
	assert_int_equal(mvm_irq_level(line), 0);
	mvm_irq_line_destroy(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(user_line_starts_low_and_knows_its_gsi),
		cmocka_unit_test(raise_and_lower_reach_the_sink_with_the_gsi),
		cmocka_unit_test(pulse_gives_one_then_zero),
		cmocka_unit_test(bad_arguments_are_refused),
		cmocka_unit_test(pulses_from_many_threads_are_never_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
