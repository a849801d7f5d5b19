/*
 * fuzz_dbgjson.c - the debugger's trace reader (debugger/json.c and
 * replay.c) on any file.
 *
 * `mvmdbg --replay FILE` reads a file someone else may have written, so
 * the reader must refuse a bad one with a line and column, never crash.
 * The input is the whole trace: the first line also goes to the JSON
 * parser alone, then the trace is opened as a replay and, if accepted,
 * stepped through with the commands that show what was recorded.
 */
#include <stdlib.h>

#include "dbgtrace.h"
#include "fuzz.h"
#include "replay.h"

static struct dbg_session s;
static struct dbg_json j;

static void parse_first_line(const uint8_t *data, size_t size)
{
	char line[1024], err[128];
	size_t n = 0;
	uint64_t v;

	while (n < size && n < sizeof(line) - 1 && data[n] != '\n')
		n++;
	memcpy(line, data, n);
	line[n] = '\0';
	if (dbg_json_parse(line, &j, err, sizeof(err)) == 0) {
		if (j.n < 0 || j.n > DBG_JSON_MAX_KEYS)
			abort();
		(void)dbg_json_get(&j, "kind");
		(void)dbg_json_u64(&j, "regs.rip", &v);
		for (int i = 0; i < j.n && i < 4; i++)
			(void)dbg_json_u64(&j, j.key[i], &v);
	} else if (!memchr(err, 0, sizeof(err))) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const cmds[] = {"regs",   "sregs", "code", "exits",
					   "output", "stats", "info", "check"};
	const char *path;

	parse_first_line(data, size);
	path = dbgtrace_set(data, size);
	dbg_session_init(&s);
	if (dbg_session_open_replay(&s, path) == 0) {
		for (int i = 0; i < 4; i++) {
			dbg_exec(&s, "stepi");
			dbg_exec(&s, cmds[(i * 2) % 8]);
			dbg_exec(&s, cmds[(i * 2 + 1) % 8]);
		}
		dbg_exec(&s, "cont");
	}
	dbg_session_close(&s);
	return 0;
}
