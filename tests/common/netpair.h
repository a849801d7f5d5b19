/*
 * netpair.h - a connected TCP pair on the loopback, for the migration
 * tests (a source and a target in one process).
 */
#ifndef MINIVMM_TEST_NETPAIR_H
#define MINIVMM_TEST_NETPAIR_H

/* *src connected to *dst over 127.0.0.1 (an ephemeral port); fails the
 * test on error. */
void netpair_tcp(int *src, int *dst);

#endif
