/*
 * pane_text.h - the shared fixture of the pane tests (test_code.c,
 * test_exitlog.c): one text buffer a pane renders into, cmocka setup
 * and teardown for it, and has() to assert a line of it.
 *
 * Header-only so each test stays a single program (debugger/build.mk
 * links one test source per binary); everything is static to the test.
 */
#ifndef MVMDBG_TESTS_PANE_TEXT_H
#define MVMDBG_TESTS_PANE_TEXT_H

#include <stdio.h>

#include "panes.h"

static struct dbg_text t;

static inline int setup(void **state)
{
	(void)state;
	dbg_text_init(&t);
	return 0;
}

static inline int teardown(void **state)
{
	(void)state;
	dbg_text_free(&t);
	return 0;
}

/* Fails the test, printing the whole pane, when no line contains s. */
static inline void has(const char *s)
{
	if (dbg_text_find(&t, s) < 0) {
		dbg_text_print(&t, stderr);
		fail_msg("pane lacks \"%s\"", s);
	}
}

#endif
