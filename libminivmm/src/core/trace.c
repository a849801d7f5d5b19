/*
 * trace.c - the exit trace ring and per-reason counters (see trace.h).
 *
 * The ring keeps the MVM_TRACE_CAP newest exits. `head` counts every entry
 * ever stored and never wraps in practice (2^64 exits), so the newest
 * entry is ring[(head - 1) % CAP] and the ring holds min(head, CAP)
 * entries; because CAP is a power of two the modulo is a mask.
 *
 * mvm_trace_record() runs on every exit, so the disabled path is kept to
 * two increments: no clock reads, no copies.
 */
#include <string.h>
#include <time.h>

#include "internal.h"

_Static_assert((MVM_TRACE_CAP & (MVM_TRACE_CAP - 1)) == 0,
	       "MVM_TRACE_CAP must be a power of two");

/* Counter slot for a reason: its own, or the last one ("other"). */
static unsigned reason_slot(uint32_t reason)
{
	return reason < MVM_EXIT_REASONS ? reason : MVM_EXIT_REASONS;
}

void mvm_trace_init(struct mvm_trace *t, int enabled)
{
	memset(t, 0, sizeof(*t));
	t->enabled = !!enabled;
}

void mvm_trace_enable(struct mvm_trace *t, int on)
{
	t->enabled = !!on;
}

void mvm_trace_record(struct mvm_trace *t, uint64_t t_ns,
		      const struct mvm_exit *e)
{
	unsigned r = reason_slot(e->reason);
	struct mvm_trace_entry *slot;

	t->seq++;
	t->count[r]++;
	if (!t->enabled)
		return;
	t->ns[r] += e->handle_ns;
	t->timed[r]++;
	slot = &t->ring[t->head & (MVM_TRACE_CAP - 1)];
	slot->t_ns = t_ns;
	slot->exit = *e;
	t->head++;
}

size_t mvm_trace_len(const struct mvm_trace *t)
{
	return t->head < MVM_TRACE_CAP ? (size_t)t->head : MVM_TRACE_CAP;
}

const struct mvm_trace_entry *mvm_trace_get(const struct mvm_trace *t, size_t i)
{
	if (i >= mvm_trace_len(t))
		return NULL;
	return &t->ring[(t->head - 1 - i) & (MVM_TRACE_CAP - 1)];
}

uint64_t mvm_trace_count(const struct mvm_trace *t, uint32_t reason)
{
	return t->count[reason_slot(reason)];
}

/* Mean over the exits that were timed (tracing on), not all exits. */
uint64_t mvm_trace_mean_ns(const struct mvm_trace *t, uint32_t reason)
{
	unsigned r = reason_slot(reason);

	return t->timed[r] ? t->ns[r] / t->timed[r] : 0;
}

uint64_t mvm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
