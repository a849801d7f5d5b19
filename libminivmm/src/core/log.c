/*
 * log.c - formatting messages for the caller's log sink.
 *
 * The library never prints (STYLE.md 2). Every "why did this fail" goes
 * through mvm_logf() to the callback the program installed in its
 * struct mvm_log: the CLI prints to stderr, the debugger shows a status
 * line, tests capture the text and assert on it.
 */
#include <pthread.h>
#include <stdio.h>

#include "internal.h"

/* Longest message; longer ones are cut (and end in "...") rather than
 * allocated, so logging works even when malloc is what failed. */
#define LOG_LINE_MAX 512

static const char *const level_names[] = {
	[MVM_LOG_ERROR] = "error",
	[MVM_LOG_WARN] = "warning",
	[MVM_LOG_INFO] = "info",
	[MVM_LOG_DEBUG] = "debug",
};
_Static_assert(sizeof(level_names) / sizeof(level_names[0]) ==
		       MVM_LOG_DEBUG + 1,
	       "one name per log level");

const char *mvm_log_level_name(enum mvm_log_level level)
{
	if ((unsigned)level > MVM_LOG_DEBUG)
		return "?";
	return level_names[level];
}

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void mvm_vlogf(const struct mvm_log *log, enum mvm_log_level level,
	       const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	int n;

	if (!log || !log->fn)
		return;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		snprintf(line + sizeof(line) - 4, 4, "...");
	/* vCPU and device threads log at the same time; one lock for all
	 * logs keeps callbacks (a test's buffer, a debugger pane) simple.
	 * A callback must not log through the library itself. */
	pthread_mutex_lock(&log_lock);
	log->fn(log->ctx, level, line);
	pthread_mutex_unlock(&log_lock);
}

void mvm_logf(const struct mvm_log *log, enum mvm_log_level level,
	      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mvm_vlogf(log, level, fmt, ap);
	va_end(ap);
}
