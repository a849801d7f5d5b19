/*
 * text.h - the text model every mvmdbg pane is rendered into.
 *
 * mvmdbg has one rendering layer. A pane (registers, code, page walk,
 * memory, exit log, output ...) is a function that appends lines to a
 * struct dbg_text. The ncurses front end (tui.c) copies those lines into
 * a window and maps the attributes to colours; batch mode (batch.c)
 * prints the characters and ignores the attributes. So what a test's
 * golden file shows is exactly what a student sees on screen.
 *
 * Attributes are per character, so one register value in a line can be
 * highlighted as "changed" while the rest stays plain. Renderers never
 * rely on colour alone: changed values also carry a '*' and the current
 * instruction a "=>", which survive in batch output and on a projector.
 */
#ifndef DBG_TEXT_H
#define DBG_TEXT_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

/* What a run of characters means; the TUI picks a colour per value. */
enum dbg_attr {
	DBG_A_NORMAL = 0,
	DBG_A_CHANGED, /* a value that changed since the last step */
	DBG_A_CURRENT, /* the current instruction / selected row */
	DBG_A_TITLE,   /* a heading inside a pane */
	DBG_A_ERROR,   /* a fault, a failed walk, an error message */
	DBG_A_DIM,     /* secondary detail (bytes, addresses) */
	DBG_A_COUNT
};

/* Longest line kept; longer lines are cut (panes are at most this wide). */
#define DBG_LINE_MAX 200

struct dbg_line {
	int len;		  /* characters in s (s is NUL-terminated) */
	char s[DBG_LINE_MAX + 1]; /* the text, printable ASCII */
	uint8_t a[DBG_LINE_MAX];  /* enum dbg_attr of each character */
};

struct dbg_text {
	struct dbg_line *l; /* lines, l[0] first */
	int n;		    /* lines in use */
	int cap;	    /* lines allocated */
	int oom;	    /* an allocation failed: output is incomplete */
};

void dbg_text_init(struct dbg_text *t);
void dbg_text_free(struct dbg_text *t);
/* Forget all lines but keep the memory. */
void dbg_text_clear(struct dbg_text *t);

/* Start a new line whose text is fmt (may be ""). */
void dbg_text_line(struct dbg_text *t, enum dbg_attr a, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Append to the last line (starting one if there is none). */
void dbg_text_add(struct dbg_text *t, enum dbg_attr a, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void dbg_text_vadd(struct dbg_text *t, enum dbg_attr a, const char *fmt,
		   va_list ap);
/* Add s ('\n'-separated) as paragraphs: a line not indented and not
 * empty continues the previous one; the result is wrapped at blanks to width, and
 * continuation lines are indented two more than their first line. */
void dbg_text_wrap(struct dbg_text *t, enum dbg_attr a, const char *s,
		   int width);
/* Append every line of src to t. */
void dbg_text_append(struct dbg_text *t, const struct dbg_text *src);

/* Print the characters (no attributes), one line per line. */
void dbg_text_print(const struct dbg_text *t, FILE *f);
/* Index of the first line containing needle, or -1 (tests use this). */
int dbg_text_find(const struct dbg_text *t, const char *needle);

#endif
