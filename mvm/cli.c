/*
 * cli.c - helpers shared by the mvm subcommands (see cli.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "commands.h"

void cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * getopt_long() leaves the rejected element at argv[optind - 1] and, for
 * short options, the letter in optopt. With opterr = 0 it prints nothing,
 * so the message below is the only one the user sees.
 */
int cli_bad_option(const char *cmd, char **argv, int ret)
{
	extern int optind, optopt;
	const char *arg = argv[optind - 1];

	if (ret == ':')
		cli_error(cmd, "option '%s' needs a value (try '%s --help')",
			  arg, cmd);
	else if (optopt && arg[0] == '-' && arg[1] != '-')
		cli_error(cmd, "unknown option '-%c' (try '%s --help')", optopt,
			  cmd);
	else
		cli_error(cmd, "unknown option '%s' (try '%s --help')", arg,
			  cmd);
	return MVM_EXIT_USAGE;
}

int cli_no_operands(const char *cmd, int argc, char **argv)
{
	extern int optind;

	if (optind >= argc)
		return -1;
	cli_error(cmd, "unexpected argument '%s' (try '%s --help')",
		  argv[optind], cmd);
	return MVM_EXIT_USAGE;
}

/* Binary suffixes (K = 2^10 ...), as memory sizes always are here. The
 * shift-back test catches values that overflow 64 bits ("99999999999G").
 * strtoull base 0 also accepts hex ("0x4000000"). */
int cli_parse_size(const char *s, uint64_t *bytes)
{
	char *end;
	unsigned shift = 0;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10, end++;
		break;
	case 'm':
	case 'M':
		shift = 20, end++;
		break;
	case 'g':
	case 'G':
		shift = 30, end++;
		break;
	}
	if (*end != '\0' || (v << shift) >> shift != v)
		return -EINVAL;
	*bytes = (uint64_t)v << shift;
	return 0;
}

/* Fractions are allowed ("0.5") because tests want short timeouts; the
 * upper bound keeps milliseconds inside an unsigned. */
int cli_parse_seconds(const char *s, unsigned *ms)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	double v = strtod(s, &end);
	/* Below a millisecond rounds to 0 = "no timeout": refuse it. */
	if (errno || *end != '\0' || v < CLI_SECONDS_MIN || v > CLI_SECONDS_MAX)
		return -EINVAL;
	*ms = (unsigned)(v * 1000.0 + 0.5);
	return 0;
}

int cli_parse_limit(const char *s, unsigned *ms)
{
	char *end;

	if (s && strtod(s, &end) == 0.0 && *s >= '0' && *s <= '9' && !*end) {
		*ms = 0;
		return 0;
	}
	return cli_parse_seconds(s, ms);
}

/* stat() never blocks, unlike open() on a FIFO without a writer. */
int cli_check_image(const char *cmd, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno; /* the loader names a missing file */
	if (S_ISDIR(st.st_mode))
		cli_error(cmd, "'%s' is a directory, not an image", path);
	else if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) ||
		 S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		cli_error(cmd,
			  "'%s' is a %s, not an image file: loading reads a "
			  "regular file (a pipe would wait for a writer)",
			  path,
			  S_ISFIFO(st.st_mode)	 ? "FIFO (named pipe)"
			  : S_ISSOCK(st.st_mode) ? "socket"
						 : "device");
	else if (st.st_size == 0)
		cli_error(cmd, "'%s' is empty (0 bytes%s)", path,
			  strncmp(path, "/proc/", 6) &&
					  strncmp(path, "/sys/", 5)
				  ? ""
				  : "; files in /proc and /sys are made up "
				    "when read and cannot be images");
	else
		return 0;
	return -EINVAL;
}

/* One command per process, so one hold is enough. */
static char *held;
static size_t held_len;

void cli_hold_errors(char *buf, size_t len)
{
	held = buf;
	held_len = len;
	if (buf && len)
		buf[0] = '\0';
}

const char *cli_held_reason(const char *buf, const char *path)
{
	size_t n = strlen(path);

	if (!buf || !buf[0])
		return NULL;
	if (strncmp(buf, path, n) == 0 && buf[n] == ':' && buf[n + 1] == ' ')
		return buf + n + 2;
	return buf;
}

/* The library's struct mvm_log sink for command-line programs: one line
 * per message, prefixed so the user knows which tool is talking. */
void cli_log(void *ctx, enum mvm_log_level level, const char *msg)
{
	/* One process runs one command, so one counter is enough. */
	static unsigned long warnings;
	const struct cli_log_ctx *c = ctx;

	if (level == MVM_LOG_ERROR && held) {
		if (!held[0]) /* the first error is the specific one */
			snprintf(held, held_len, "%s", msg);
		return;
	}
	if (level > c->level)
		return;
	if (level == MVM_LOG_WARN && c->level < MVM_LOG_DEBUG &&
	    ++warnings > CLI_MAX_WARNINGS) {
		if (warnings == CLI_MAX_WARNINGS + 1)
			fprintf(stderr,
				"%s: more warnings follow; not shown (use -v "
				"to see all)\n",
				c->prefix);
		return;
	}
	fprintf(stderr, "%s: %s: %s\n", c->prefix, mvm_log_level_name(level),
		msg);
}
