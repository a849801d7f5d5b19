/*
 * batch.c - mvmdbg without a terminal: read commands, print panes.
 *
 * Each command is echoed after a "(mvmdbg) " prompt, followed by what it
 * rendered (the same text the TUI shows in its panes) and its status
 * line. With --stable the output has no timings or host addresses, so
 * a batch transcript can be checked in as a golden file, pasted into a
 * lab handout or included in a slide.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

int dbg_batch(struct dbg_session *s, FILE *in, FILE *out);

/* One command: echo, run, print what it rendered and its status. */
static int one(struct dbg_session *s, const char *p, FILE *out)
{
	fprintf(out, "(mvmdbg) %s\n", p);
	fflush(out); /* before a command that waits (gdb) */
	int rc = dbg_exec(s, p);
	if (rc == DBG_QUIT)
		return rc;
	dbg_text_print(&s->result, out);
	dbg_text_clear(&s->result);
	if (s->status[0])
		fprintf(out, "%s%s\n", s->status_error ? "error: " : "",
			s->status);
	fflush(out);
	return rc;
}

/* Waiting for gdb: say where on stderr, at once (a script or a test
 * reads the port from there). */
static void announce(struct dbg_session *s, const char *msg)
{
	(void)s;
	fprintf(stderr, "mvmdbg: %s\n", msg);
	fflush(stderr);
}

int dbg_batch(struct dbg_session *s, FILE *in, FILE *out)
{
	char *line = NULL;
	size_t cap = 0;
	int errors = 0, rc = 0;
	if (s->status[0])
		fprintf(out, "%s\n", s->status);
	s->announce = announce;
	if (s->first_cmd)
		rc = one(s, s->first_cmd, out), errors += rc < 0;
	while (rc != DBG_QUIT && getline(&line, &cap, in) > 0) {
		line[strcspn(line, "\r\n")] = '\0';
		const char *p = line + strspn(line, " \t");
		if (!*p || *p == '#')
			continue; /* blank lines and comments in scripts */
		rc = one(s, p, out);
		errors += rc < 0;
	}
	free(line);
	return errors;
}
