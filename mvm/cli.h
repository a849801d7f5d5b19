/*
 * cli.h - small helpers the mvm subcommands share: option errors, number
 * parsing, and a log sink that prints the library's messages.
 *
 * The library never prints (STYLE.md 2); the program decides. Every
 * message the library logs reaches the user through cli_log(), prefixed
 * with the program name, so a failure always says what went wrong.
 */
#ifndef MVM_CLI_H
#define MVM_CLI_H

#include <stdint.h>

#include "minivmm/log.h"

/* Print "mvm <cmd>: <message>" to stderr (one line). */
void cli_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Report the option getopt_long() just rejected (it returned '?' or ':';
 * call with opterr = 0 and an optstring starting with ':'). Prints one
 * line naming the option and returns MVM_EXIT_USAGE.
 */
int cli_bad_option(const char *cmd, char **argv, int ret);

/*
 * For subcommands that take no operands: after option parsing, return -1
 * when nothing is left, else print one line naming the first stray
 * argument and return MVM_EXIT_USAGE.
 */
int cli_no_operands(const char *cmd, int argc, char **argv);

/* "64M", "1G", "65536", "512K" -> bytes. -EINVAL on junk or overflow. */
int cli_parse_size(const char *s, uint64_t *bytes);

/* "10", "0.5" (seconds) -> milliseconds. -EINVAL outside
 * CLI_SECONDS_RANGE; error messages quote the range from here. */
#define CLI_SECONDS_MIN	  0.001
#define CLI_SECONDS_MAX	  4000000.0 /* milliseconds fit an unsigned */
#define CLI_SECONDS_RANGE "from 0.001 to 4000000"
int cli_parse_seconds(const char *s, unsigned *ms);

/* A run limit (-T): "0" means none, else seconds as above. The same
 * option, name and unit in `mvm run` and `mvm restore`. */
int cli_parse_limit(const char *s, unsigned *ms);

/* An image to load must be a regular file with something in it: a FIFO
 * would block the loader's open() forever and a /proc or /sys file
 * reports size 0. Returns 0 (or -ENOENT and the like, left for the
 * loader to report), or -EINVAL after printing one line saying why. */
int cli_check_image(const char *cmd, const char *path);

/*
 * A log sink printing messages at or above `level` to stderr. A guest
 * gone wrong can trigger the same warning millions of times (an
 * unclaimed port in a loop), so after CLI_MAX_WARNINGS warnings the rest
 * are counted, not printed, unless the level is MVM_LOG_DEBUG (-v).
 */
#define CLI_MAX_WARNINGS 20
struct cli_log_ctx {
	const char *prefix;	  /* "mvm run" */
	enum mvm_log_level level; /* most verbose level shown */
};
void cli_log(void *ctx, enum mvm_log_level level, const char *msg);
/*
 * One line per failure: between cli_hold_errors(buf, len) and
 * cli_hold_errors(NULL, 0), cli_log() keeps the first error message in
 * buf instead of printing it, so the caller can print one line with it
 * ("cannot load 'x.bin': flat image is empty"). cli_held_reason() is
 * buf without a leading "PATH: " (the caller names PATH), or NULL.
 */
void cli_hold_errors(char *buf, size_t len);
const char *cli_held_reason(const char *buf, const char *path);

#endif
