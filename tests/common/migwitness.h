/*
 * migwitness.h - what the tests of live migration share: the sum the
 * counter guest (examples/migrate-counter.c) must end with, computed on
 * the host, and a connected TCP pair over the loopback for the two ends
 * of a migration in one process. Used by tests/kvm/test_migrate.c and
 * the final project's graded tests (labs/lab6-project-migration).
 */
#ifndef MVM_TESTS_MIGWITNESS_H
#define MVM_TESTS_MIGWITNESS_H

#include <stdint.h>

/* What the guest's words add up to after iters iterations of
 * counter_iteration() (examples/migrate-counter.h) over a window of
 * window pages, per_iter pages an iteration (window <= 8192). */
uint64_t migwitness_sum(uint64_t iters, unsigned window, unsigned per_iter);

/* A connected pair over 127.0.0.1: *src for the source, *dst accepted.
 * 0, or -errno with nothing left open. */
int migwitness_tcp_pair(int *src, int *dst);

#endif
