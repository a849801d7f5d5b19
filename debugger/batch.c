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

int dbg_batch(struct dbg_session *s, FILE *in, FILE *out)
{
	char *line = NULL;
	size_t cap = 0;
	int errors = 0;
	if (s->status[0])
		fprintf(out, "%s\n", s->status);
	while (getline(&line, &cap, in) > 0) {
		line[strcspn(line, "\r\n")] = '\0';
		const char *p = line + strspn(line, " \t");
		if (!*p || *p == '#')
			continue; /* blank lines and comments in scripts */
		fprintf(out, "(mvmdbg) %s\n", p);
		int rc = dbg_exec(s, p);
		if (rc == DBG_QUIT)
			break;
		dbg_text_print(&s->result, out);
		dbg_text_clear(&s->result);
		if (s->status[0])
			fprintf(out, "%s%s\n", s->status_error ? "error: " : "",
				s->status);
		errors += rc < 0;
		fflush(out);
	}
	free(line);
	return errors;
}
