/*
 * log.h - how the library reports detail without printing.
 *
 * libminivmm never prints, asserts or exits. Functions return 0 or a
 * negative errno; the human-readable "why" goes to a log callback that the
 * program installs (the mvm CLI prints it to stderr, the debugger routes it
 * to its status line, tests capture it and assert on it).
 */
#ifndef MINIVMM_LOG_H
#define MINIVMM_LOG_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stdarg.h>
#include <stddef.h>

enum mvm_log_level {
	MVM_LOG_ERROR, /* an operation failed; the message says why */
	MVM_LOG_WARN,  /* the guest did something odd; we carried on */
	MVM_LOG_INFO,  /* progress a user may want to see */
	MVM_LOG_DEBUG, /* detail for people reading the library */
};

typedef void mvm_log_fn(void *ctx, enum mvm_log_level level, const char *msg);

/* A log sink. A NULL fn drops every message. */
struct mvm_log {
	mvm_log_fn *fn; /* called once per message, without trailing newline */
	void *ctx;	/* passed back to fn */
};

/* Format a message and hand it to log->fn (log may be NULL). */
void mvm_logf(const struct mvm_log *log, enum mvm_log_level level,
	      const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void mvm_vlogf(const struct mvm_log *log, enum mvm_log_level level,
	       const char *fmt, va_list ap);

/* "error", "warning", ... */
const char *mvm_log_level_name(enum mvm_log_level level);

/*
 * Guest text made safe for a terminal (escape.c has the rule): printable
 * ASCII is kept, every other byte becomes a visible escape (ESC is the
 * four characters \x1b), so a guest cannot move the cursor, erase or
 * forge what a tool prints. With MVM_ESCAPE_KEEP_NL, newline and tab are
 * kept too (console output); without it, the result is one line. Writes
 * at most size bytes, NUL included, never cutting an escape in half;
 * returns the full length the result needs, as snprintf does.
 */
#define MVM_ESCAPE_KEEP_NL (1u << 0)
size_t mvm_escape(char *dst, size_t size, const void *src, size_t len,
		  unsigned flags);

#pragma GCC visibility pop

#endif
