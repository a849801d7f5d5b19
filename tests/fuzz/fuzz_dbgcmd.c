/*
 * fuzz_dbgcmd.c - what the user types into mvmdbg (debugger/cmd.c and
 * the command table in exec.c and cmds_*.c).
 *
 * Input: command lines separated by newlines (at most 16). Each line
 * goes through the parsers on their own (words, numbers, address
 * expressions, x/NFU formats, ranges) and then runs as a command in a
 * session replaying a small recorded trace (dbgtrace.c), so every
 * command that needs no live VM runs for real. Commands that need one
 * must say so in the status line, not crash.
 */
#include <stdlib.h>

#include "cmd.h"
#include "dbgtrace.h"
#include "fuzz.h"
#include "replay.h"

static struct dbg_session s;
static const char *trace;

static void parsers(const char *line)
{
	struct dbg_cmdline c;
	struct dbg_xfmt f = {1, 'x', 'w'};
	struct kvm_regs regs = {.rip = 0x100000, .rsp = 0x7000};
	struct kvm_sregs sregs = {.cr3 = 0x10000};
	char err[160], joined[DBG_CMD_LEN];
	uint64_t v, lo, hi;

	(void)dbg_parse_u64(line, &v);
	(void)dbg_eval(line, &regs, &sregs, &v, err, sizeof(err));
	(void)dbg_eval(line, NULL, NULL, &v, err, sizeof(err));
	(void)dbg_parse_xfmt(line, &f, err, sizeof(err));
	if (dbg_parse_range(line, &lo, &hi, err, sizeof(err)) == 0 && lo > hi)
		abort();
	if (dbg_tokenize(line, &c, err, sizeof(err)) == 0) {
		if (c.argc < 0 || c.argc > DBG_MAX_ARGS)
			abort();
		dbg_join(&c, 1, joined, sizeof(joined));
		if (!memchr(joined, 0, sizeof(joined)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[512];
	int nlines = 0;

	if (!trace)
		trace = dbgtrace_sample();
	dbg_session_init(&s);
	if (dbg_session_open_replay(&s, trace) != 0)
		abort(); /* the sample trace is valid */
	while (size && nlines++ < 16) {
		size_t n = 0;

		while (n < size && data[n] != '\n')
			n++;
		if (n < sizeof(line)) {
			memcpy(line, data, n);
			line[n] = '\0';
			parsers(line);
			if (dbg_exec(&s, line) == DBG_QUIT)
				break;
		}
		data += n < size ? n + 1 : n;
		size -= n < size ? n + 1 : n;
	}
	dbg_session_close(&s);
	return 0;
}
