/*
 * replay.h - opening a recorded trace (--record) without KVM.
 *
 * A trace is JSON Lines: one object per exit or single step, holding the
 * exit, the registers after it and the code bytes around RIP (record.c
 * writes it). Replay walks through the records: `step` moves to the next
 * exit record, `stepi` to the next record of any kind, `cont` to the
 * next breakpoint. Registers, code, the exit log and output work;
 * memory, page tables and KVM statistics were not recorded and say so.
 */
#ifndef DBG_REPLAY_H
#define DBG_REPLAY_H

#include "session.h"

/* Replay a JSONL trace: the session's target becomes the recording
 * (s->vm stays NULL). Returns 0 or -errno with the status set. */
int dbg_session_open_replay(struct dbg_session *s, const char *path);
/* Advance one record (exits_only: skip single-step records). Returns 0,
 * or -ENODATA at the end of the trace (status says so). */
int dbg_replay_advance(struct dbg_session *s, int exits_only);
/* Records in the trace and the index of the current one. */
int dbg_replay_pos(const struct dbg_session *s, int *total);

/* --- the JSON reader (json.c), exposed for tests ------------------------ */

#define DBG_JSON_MAX_KEYS 160

/* A flattened object: nested keys are joined with '.' ("regs.rax"). */
/* Room for all values of one line: a record's guest output (up to
 * DBG_REC_OUT_MAX bytes) plus its registers and code bytes. */
#define DBG_JSON_TEXT (DBG_REC_OUT_MAX + 32768)

struct dbg_json {
	int n;
	char key[DBG_JSON_MAX_KEYS][32];
	const char *val[DBG_JSON_MAX_KEYS]; /* into text: strings unescaped,
					       others raw */
	size_t used;			    /* bytes of text in use */
	char text[DBG_JSON_TEXT];
};

/* Parse one line holding one object. 0 or -EINVAL with err set. */
int dbg_json_parse(const char *line, struct dbg_json *j, char *err,
		   size_t errlen);
/* Value of key, or NULL. */
const char *dbg_json_get(const struct dbg_json *j, const char *key);
/* Value of key as a number ("0x1f" or "31"); 0 or -ENOENT/-EINVAL. */
int dbg_json_u64(const struct dbg_json *j, const char *key, uint64_t *v);

#endif
