/*
 * json.c - a reader for the one-object-per-line traces mvmdbg writes.
 *
 * Only what record.c produces is accepted (RFC 8259 objects, strings,
 * numbers, true/false/null, nested objects; no arrays), and a trace is
 * untrusted input like any file: every limit is checked and a bad line
 * gets an error naming the column, never a crash. Nested objects are
 * flattened into dotted keys so the replayer looks values up by path.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "replay.h"

struct parser {
	const char *start, *p; /* the line, and how far we are */
	struct dbg_json *j;    /* where members go */
	char *err;	       /* message for the first error */
	size_t errlen;
};

/* Errors name the column (1-based) so a hand-edited trace can be fixed. */
static int fail(struct parser *ps, const char *what)
{
	snprintf(ps->err, ps->errlen, "column %d: %s",
		 (int)(ps->p - ps->start) + 1, what);
	return -EINVAL;
}

static void skip_ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r' ||
	       *ps->p == '\n')
		ps->p++;
}

/* A string into out (cap bytes); \uXXXX beyond ASCII becomes '?'. */
static int string(struct parser *ps, char *out, size_t cap)
{
	size_t n = 0;
	if (*ps->p != '"')
		return fail(ps, "expected a string");
	ps->p++;
	while (*ps->p != '"') {
		char c = *ps->p++;
		if (c == '\0')
			return fail(ps, "unterminated string");
		if (c == '\\') {
			char e = *ps->p++;
			const char *map =
				strchr("\"\"\\\\//b\bf\fn\nr\rt\t", e);
			if (e == 'u') {
				char hex[5] = {0};
				for (int i = 0; i < 4; i++)
					if (!(hex[i] = *ps->p++))
						return fail(ps,
							    "short \\u escape");
				unsigned long u = strtoul(hex, NULL, 16);
				c = u < 0x80 ? (char)u : '?';
			} else if (map && e) {
				c = map[1];
			} else {
				return fail(ps, "bad escape");
			}
		}
		if (n + 1 >= cap)
			return fail(ps, "string too long");
		out[n++] = c;
	}
	ps->p++;
	out[n] = '\0';
	return 0;
}

/* A number or literal: copied raw; the reader converts what it needs
 * (record.c writes 64-bit values as "0x..." strings anyway). */
static int scalar(struct parser *ps, char *out, size_t cap)
{
	size_t n = strspn(ps->p, "+-0123456789.eEtruefalsn");
	if (n == 0)
		return fail(ps, "expected a value");
	if (n >= cap)
		return fail(ps, "value too long");
	memcpy(out, ps->p, n);
	out[n] = '\0';
	ps->p += n;
	return 0;
}

/* Depth is bounded so a hostile trace cannot exhaust the stack. */
static int object(struct parser *ps, const char *prefix, int depth);

/* "key": value. Nested objects recurse with the key as prefix. */
static int member(struct parser *ps, const char *prefix, int depth)
{
	char name[32], key[32];
	if (string(ps, name, sizeof(name)))
		return -EINVAL;
	if ((size_t)snprintf(key, sizeof(key), "%s%s%s", prefix,
			     prefix[0] ? "." : "", name) >= sizeof(key))
		return fail(ps, "key path too long");
	skip_ws(ps);
	if (*ps->p != ':')
		return fail(ps, "expected ':' after a key");
	ps->p++;
	skip_ws(ps);
	if (*ps->p == '{')
		return object(ps, key, depth + 1);
	if (ps->j->n == DBG_JSON_MAX_KEYS)
		return fail(ps, "too many keys");
	/* Values share one buffer: a long string (guest output) fits as
	 * long as the whole line's values do. */
	struct dbg_json *j = ps->j;
	char *out = j->text + j->used;
	size_t room = sizeof(j->text) - j->used;
	int rc = *ps->p == '"' ? string(ps, out, room) : scalar(ps, out, room);
	if (rc)
		return rc;
	j->val[j->n] = out;
	j->used += strlen(out) + 1;
	memcpy(j->key[j->n], key, sizeof(key));
	j->n++;
	return 0;
}

static int object(struct parser *ps, const char *prefix, int depth)
{
	if (depth > 4)
		return fail(ps, "objects nested too deeply");
	if (*ps->p != '{')
		return fail(ps, "expected '{'");
	ps->p++;
	skip_ws(ps);
	if (*ps->p == '}') {
		ps->p++;
		return 0;
	}
	for (;;) {
		skip_ws(ps);
		if (member(ps, prefix, depth))
			return -EINVAL;
		skip_ws(ps);
		char c = *ps->p;
		if (c != '}' && c != ',')
			return fail(ps, "expected ',' or '}'");
		ps->p++;
		if (c == '}')
			return 0;
	}
}

int dbg_json_parse(const char *line, struct dbg_json *j, char *err,
		   size_t errlen)
{
	struct parser ps = {line, line, j, err, errlen};
	j->n = 0;
	j->used = 0;
	skip_ws(&ps);
	if (object(&ps, "", 0))
		return -EINVAL;
	skip_ws(&ps);
	if (*ps.p)
		return fail(&ps, "text after the object");
	return 0;
}

/* Linear search: a record has at most DBG_JSON_MAX_KEYS keys. */
const char *dbg_json_get(const struct dbg_json *j, const char *key)
{
	for (int i = 0; i < j->n; i++)
		if (strcmp(j->key[i], key) == 0)
			return j->val[i];
	return NULL;
}

int dbg_json_u64(const struct dbg_json *j, const char *key, uint64_t *v)
{
	const char *s = dbg_json_get(j, key);
	if (!s)
		return -ENOENT;
	return dbg_parse_u64(s, v) ? -EINVAL : 0;
}
