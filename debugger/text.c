/*
 * text.c - the line buffer panes render into (see text.h).
 *
 * Lines are fixed-size records so that a pane can be rebuilt after every
 * step without any allocation once the buffer has grown; a renderer is
 * called a few times per keystroke and must not fragment the heap.
 */
#include "text.h"

#include <stdlib.h>
#include <string.h>

void dbg_text_init(struct dbg_text *t)
{
	memset(t, 0, sizeof(*t));
}

void dbg_text_free(struct dbg_text *t)
{
	free(t->l);
	dbg_text_init(t);
}

void dbg_text_clear(struct dbg_text *t)
{
	t->n = 0;
	t->oom = 0;
}

/* Make room for one more line; 0 or -1 (t->oom set). */
static int grow(struct dbg_text *t)
{
	if (t->n < t->cap)
		return 0;
	int cap = t->cap ? t->cap * 2 : 32;
	struct dbg_line *l = realloc(t->l, (size_t)cap * sizeof(*l));
	if (!l) {
		t->oom = 1;
		return -1;
	}
	t->l = l;
	t->cap = cap;
	return 0;
}

static struct dbg_line *new_line(struct dbg_text *t)
{
	if (grow(t))
		return NULL;
	struct dbg_line *l = &t->l[t->n++];
	l->len = 0;
	l->s[0] = '\0';
	return l;
}

void dbg_text_vadd(struct dbg_text *t, enum dbg_attr a, const char *fmt,
		   va_list ap)
{
	struct dbg_line *l = t->n ? &t->l[t->n - 1] : new_line(t);
	if (!l)
		return;
	char buf[DBG_LINE_MAX + 1];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	/* Keep the model printable: guest output may contain anything, and
	 * a control character would move the terminal's cursor. */
	for (const char *p = buf; *p && l->len < DBG_LINE_MAX; p++) {
		unsigned char c = (unsigned char)*p;
		l->s[l->len] = (c >= 0x20 && c < 0x7f) ? (char)c : '.';
		l->a[l->len++] = (uint8_t)a;
	}
	l->s[l->len] = '\0';
}

void dbg_text_add(struct dbg_text *t, enum dbg_attr a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dbg_text_vadd(t, a, fmt, ap);
	va_end(ap);
}

void dbg_text_line(struct dbg_text *t, enum dbg_attr a, const char *fmt, ...)
{
	if (!new_line(t))
		return;
	va_list ap;
	va_start(ap, fmt);
	dbg_text_vadd(t, a, fmt, ap);
	va_end(ap);
}

/* One source line of len characters, wrapped. */
static void wrap_line(struct dbg_text *t, enum dbg_attr a, const char *s,
		      int len, int width)
{
	int indent = (int)strspn(s, " "), pad = 0;
	while (len > 0) {
		int room = width - pad, n = len;
		if (n > room) { /* break at the last blank that fits */
			n = room;
			while (n > indent && s[n] != ' ')
				n--;
			if (n <= indent)
				n = room;
		}
		dbg_text_line(t, a, "%*s%.*s", pad, "", n, s);
		s += n, len -= n;
		while (len > 0 && *s == ' ')
			s++, len--;
		pad = indent + 2;
	}
}

void dbg_text_wrap(struct dbg_text *t, enum dbg_attr a, const char *s,
		   int width)
{
	char para[1024];
	while (*s) {
		/* Re-flow: a line continues the previous one unless either
		 * is indented (a list item) or empty, or the previous one
		 * ends a sentence or a heading ('.', ':'). Text hard-wrapped
		 * for another width then reads as paragraphs again. */
		size_t n = 0;
		int indented = *s == ' ';
		for (;;) {
			size_t len = strcspn(s, "\n");
			if (n + len + 2 > sizeof(para))
				len = sizeof(para) - n - 2;
			if (n && len)
				para[n++] = ' ';
			memcpy(para + n, s, len);
			n += len;
			s += len;
			if (*s == '\n')
				s++;
			if (len == 0 || indented || !*s || *s == ' ' ||
			    *s == '\n' || strchr(".:", para[n - 1]) ||
			    n + 2 >= sizeof(para))
				break;
		}
		para[n] = '\0';
		if (n == 0)
			dbg_text_line(t, a, "%s", "");
		else
			wrap_line(t, a, para, (int)n, width);
	}
}

void dbg_text_append(struct dbg_text *t, const struct dbg_text *src)
{
	for (int i = 0; i < src->n; i++) {
		struct dbg_line *l = new_line(t);
		if (!l)
			return;
		*l = src->l[i];
	}
}

void dbg_text_print(const struct dbg_text *t, FILE *f)
{
	for (int i = 0; i < t->n; i++) {
		/* Trailing blanks would make golden files fragile. */
		int len = t->l[i].len;
		while (len > 0 && t->l[i].s[len - 1] == ' ')
			len--;
		fprintf(f, "%.*s\n", len, t->l[i].s);
	}
	if (t->oom)
		fprintf(f, "(output truncated: out of memory)\n");
}

int dbg_text_find(const struct dbg_text *t, const char *needle)
{
	for (int i = 0; i < t->n; i++)
		if (strstr(t->l[i].s, needle))
			return i;
	return -1;
}
