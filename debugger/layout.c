/*
 * layout.c - where the panes go on the screen.
 *
 * At 80x24, the size a lecture-hall projector is safest with, the
 * screen is one column:
 *
 *   row 0        title: image, CPU mode, exit count
 *   rows 1-8     registers (always visible: they change every step;
 *                6 rows for 16- and 32-bit code, the code gets the rest)
 *   ── code ──   disassembly around RIP
 *   ── tabs ──   one of: exits | pt | mem | output | sregs | result
 *   status       the last exit, or an error in red
 *   about        that exit's KVM name, where RIP stands, in words
 *   command      (mvmdbg) ... - GNU Readline
 *   help         the keys
 *
 * From 140 columns on, segment/control registers and guest output move
 * to a left column and code plus the tabbed pane take the right. Every
 * pane is re-rendered from the session on each redraw, so a terminal
 * resize (KEY_RESIZE) is just another redraw.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "replay.h"
#include "tui.h"

#define WIDE_COLS     140
#define LEFT_MAX_COLS 100 /* segment rows are ~95 columns */
#define REGS_ROWS_64  8	  /* 16 registers, RIP, RFLAGS, the mode */
#define REGS_ROWS_16  6	  /* 16/32-bit views are shorter (regs.c) */

enum { PAIR_CHANGED = 1, PAIR_CURRENT, PAIR_TITLE, PAIR_ERROR, PAIR_DIM };

static enum dbg_theme theme = DBG_THEME_DARK;

int dbg_theme_parse(const char *name)
{
	return !strcmp(name, "dark")	? DBG_THEME_DARK
	       : !strcmp(name, "light") ? DBG_THEME_LIGHT
	       : !strcmp(name, "mono")	? DBG_THEME_MONO
					: -1;
}

void dbg_tui_set_theme(enum dbg_theme t)
{
	theme = t;
}

/* Whether colour pairs are in use: not in mono, not on a terminal
 * without colours. */
static int colors(void)
{
	return theme != DBG_THEME_MONO && has_colors();
}

void dbg_tui_colors(void)
{
	if (!colors())
		return;
	start_color();
	use_default_colors();
	/* Light backgrounds: yellow and cyan text wash out; use dark
	 * foregrounds instead. */
	int light = theme == DBG_THEME_LIGHT;
	init_pair(PAIR_CHANGED, light ? COLOR_MAGENTA : COLOR_YELLOW, -1);
	init_pair(PAIR_CURRENT, COLOR_BLACK, COLOR_CYAN);
	init_pair(PAIR_TITLE, light ? COLOR_BLUE : COLOR_CYAN, -1);
	init_pair(PAIR_ERROR, COLOR_RED, -1);
	init_pair(PAIR_DIM, COLOR_BLUE, -1);
}

static attr_t attr_of(int a)
{
	attr_t c = 0;
	switch (a) {
	case DBG_A_CHANGED:
		c = colors() ? COLOR_PAIR(PAIR_CHANGED) : 0;
		return c | A_BOLD | A_UNDERLINE;
	case DBG_A_CURRENT:
		return colors() ? COLOR_PAIR(PAIR_CURRENT) : A_REVERSE;
	case DBG_A_TITLE:
		return (colors() ? COLOR_PAIR(PAIR_TITLE) : 0) | A_BOLD;
	case DBG_A_ERROR:
		return (colors() ? COLOR_PAIR(PAIR_ERROR) : 0) | A_BOLD;
	case DBG_A_DIM:
		return colors() ? COLOR_PAIR(PAIR_DIM) : A_NORMAL;
	default:
		return A_NORMAL;
	}
}

/* Copy lines [first, first + h) of txt into the box at (y, x). */
static void blit_from(const struct dbg_text *txt, int first, int col, int y,
		      int x, int h, int w)
{
	for (int r = 0; r < h && first + r < txt->n; r++) {
		const struct dbg_line *l = &txt->l[first + r];
		move(y + r, x);
		for (int c = col; c - col < w && c < l->len; c++)
			addch((chtype)(unsigned char)l->s[c] |
			      attr_of(l->a[c]));
	}
}

static void blit(const struct dbg_text *txt, int first, int y, int x, int h,
		 int w)
{
	blit_from(txt, first, 0, y, x, h, w);
}

/* Render pane p with h rows into the box; lines [first, first + h). */
static void pane(struct dbg_session *s, enum dbg_pane p, int first, int y,
		 int x, int h, int w)
{
	struct dbg_text txt;
	dbg_text_init(&txt);
	dbg_render_pane(s, p, h, &txt);
	if (first > txt.n - h)
		first = txt.n - h;
	blit(&txt, first < 0 ? 0 : first, y, x, h, w);
	dbg_text_free(&txt);
}

/*
 * The bottom pane scrolls. The exit log and the output are read from
 * the end (the newest line at the bottom, PgUp goes back in time); the
 * others from the top. t->scroll is the offset from that home position,
 * clamped here so PgUp/PgDn never run off either end.
 */
static void scrolled_pane(struct dbg_tui *t, int y, int x, int h, int w)
{
	struct dbg_session *s = t->s;
	int tail = s->focus == DBG_P_EXITS || s->focus == DBG_P_OUTPUT;
	struct dbg_text txt;
	dbg_text_init(&txt);
	/* All lines of the tail panes (rows 0), so there is history. */
	dbg_render_pane(s, s->focus, tail ? 0 : h, &txt);
	int max = txt.n > h ? txt.n - h : 0;
	int home = tail ? max : 0;
	int first = home + t->scroll;
	first = first < 0 ? 0 : first > max ? max : first;
	t->scroll = first - home;
	/* Shift-Left/Right: long lines (an exit log row, a ucall's text)
	 * scroll sideways; never past the longest line shown. */
	int widest = 0;
	for (int r = first; r < first + h && r < txt.n; r++)
		widest = txt.l[r].len > widest ? txt.l[r].len : widest;
	int hmax = widest > w ? widest - w : 0;
	t->hscroll = t->hscroll < 0 ? 0 : t->hscroll > hmax ? hmax : t->hscroll;
	blit_from(&txt, first, t->hscroll, y, x, h, w);
	dbg_text_free(&txt);
}
/* "── title ─────" across w columns. */
static void rule(int y, int x, int w, const char *title)
{
	attron(COLOR_PAIR(PAIR_DIM));
	mvhline(y, x, ACS_HLINE, w);
	attroff(COLOR_PAIR(PAIR_DIM));
	attron(A_BOLD);
	mvprintw(y, x + 2, " %.*s ", w > 6 ? w - 6 : 0, title);
	attroff(A_BOLD);
}

static void tabs_rule(struct dbg_session *s, int y, int x, int w)
{
	rule(y, x, w, "");
	move(y, x + 2);
	for (int p = 0; p < DBG_P_NTABS; p++) {
		attr_t a = p == (int)s->focus ? A_REVERSE | A_BOLD : A_NORMAL;
		addch(' ');
		attron(a);
		printw("%s", dbg_pane_name((enum dbg_pane)p));
		attroff(a);
	}
	printw(" (Tab) ");
}

static void title_bar(struct dbg_session *s, int w)
{
	char mode[120];
	mvm_describe_mode(&s->cur.sregs, mode, sizeof(mode));
	attron(A_REVERSE);
	mvhline(0, 0, ' ', w);
	const char *name = strrchr(s->image, '/');
	int total, pos = dbg_replay_pos(s, &total);
	char ev[32] = "";
	if (s->events.tr.seq)
		snprintf(ev, sizeof(ev), " +%llu dbg",
			 (unsigned long long)s->events.tr.seq);
	mvprintw(0, 0, " mvmdbg %.30s | %s | exits %llu%s%s",
		 name ? name + 1 : s->image, mode,
		 (unsigned long long)s->exits.seq, ev,
		 s->dead     ? " | STOPPED"
		 : s->halted ? " | HALTED"
			     : "");
	if (total) /* replay: where in the trace */
		printw(" | record %d/%d", pos + 1, total);
	attroff(A_REVERSE);
}

static void bottom_rows(struct dbg_tui *t, int rows, int w)
{
	struct dbg_session *s = t->s;
	attr_t a = s->status_error ? attr_of(DBG_A_ERROR) : A_NORMAL;
	attron(a);
	mvprintw(rows - 4, 0, "%.*s", w, s->status);
	attroff(a);
	/* What the last exit is: KVM's name, where RIP stands, and what
	 * happened in words, as far as the width allows (explain.c). */
	char about[512];
	dbg_exit_about(s, about, sizeof(about));
	attron(attr_of(DBG_A_DIM));
	mvprintw(rows - 3, 0, "%.*s", w, about);
	attroff(attr_of(DBG_A_DIM));
	attron(attr_of(DBG_A_DIM));
	mvprintw(rows - 1, 0, "%.*s", w,
		 "F7 stepi  F8 next exit  F9 cont  Tab pane  PgUp/PgDn "
		 "scroll  `help`  q quit");
	attroff(attr_of(DBG_A_DIM));
	dbg_tui_draw_cmdline(t);
}

/* "code (64-bit)": which decoder capstone uses, from CS and CR0. */
static const char *code_title(struct dbg_session *s)
{
	static char buf[32];
	snprintf(buf, sizeof(buf), "code (%d-bit)",
		 dbg_code_bits(&s->cur.sregs));
	return buf;
}

/* Rows of the register pane for the mode the guest is in. */
static int regs_rows(struct dbg_session *s)
{
	return dbg_code_bits(&s->cur.sregs) == 64 ? REGS_ROWS_64 : REGS_ROWS_16;
}

static void narrow(struct dbg_tui *t, int rows, int w)
{
	struct dbg_session *s = t->s;
	int regs = regs_rows(s);
	int free_rows = rows - 7 - regs; /* see the map above */
	/* At least 4 code rows: the instruction before RIP too. */
	int code = free_rows / 2 > 4 ? free_rows / 2 : 4;
	int tab = free_rows - code;
	pane(s, DBG_P_REGS, 0, 1, 0, regs, w);
	rule(1 + regs, 0, w, code_title(s));
	pane(s, DBG_P_CODE, 0, 2 + regs, 0, code, w);
	tabs_rule(s, 2 + regs + code, 0, w);
	scrolled_pane(t, 3 + regs + code, 0, tab, w);
}

static void wide(struct dbg_tui *t, int rows, int w)
{
	struct dbg_session *s = t->s;
	int body = rows - 5; /* title, status, about, command, help */
	int lw = w / 2 < LEFT_MAX_COLS ? w / 2 : LEFT_MAX_COLS;
	int x = lw + 1, rw = w - x;
	int regs = regs_rows(s);
	int sregs = 14, out = body - regs - sregs - 2;
	pane(s, DBG_P_REGS, 0, 1, 0, regs, lw);
	rule(1 + regs, 0, lw, "segments and control registers");
	pane(s, DBG_P_SREGS, 0, 2 + regs, 0, sregs, lw);
	rule(2 + regs + sregs, 0, lw, "guest output");
	pane(s, DBG_P_OUTPUT, 0, 3 + regs + sregs, 0, out, lw);
	mvvline(1, lw, ACS_VLINE, body);
	/* Right: code, the page walk of RIP (always on, as in a lecture
	 * one wants to point at it), then the tabbed pane. */
	int code = body * 3 / 10, walk = 7;
	pane(s, DBG_P_CODE, 0, 1, x, code, rw); /* its title is the top bar */
	rule(1 + code, x, rw, "page walk (pt)");
	pane(s, DBG_P_PT, 0, 2 + code, x, walk, rw);
	tabs_rule(s, 2 + code + walk, x, rw);
	scrolled_pane(t, 3 + code + walk, x, body - code - walk - 2, rw);
}

void dbg_tui_draw(struct dbg_tui *t)
{
	int rows, cols;
	getmaxyx(stdscr, rows, cols);
	erase();
	if (rows < DBG_MIN_ROWS || cols < DBG_MIN_COLS) {
		mvprintw(0, 0,
			 "terminal %dx%d is too small: mvmdbg needs "
			 "%dx%d",
			 cols, rows, DBG_MIN_COLS, DBG_MIN_ROWS);
		/* Keys that would run the guest are refused (tui.c); the
		 * status says so. */
		if (rows > 2)
			mvprintw(2, 0, "%.*s", cols, t->s->status);
		refresh();
		return;
	}
	title_bar(t->s, cols);
	if (cols >= WIDE_COLS && rows >= 36)
		wide(t, rows, cols);
	else
		narrow(t, rows, cols);
	bottom_rows(t, rows, cols);
	refresh();
}

void dbg_tui_draw_cmdline(struct dbg_tui *t)
{
	int rows, cols;
	getmaxyx(stdscr, rows, cols);
	if (rows < DBG_MIN_ROWS || cols < DBG_MIN_COLS)
		return;
	int plen = (int)strlen(t->prompt);
	int len = t->line ? (int)strlen(t->line) : 0;
	/* Scroll long lines so the cursor stays visible. */
	int off = plen + t->point >= cols ? plen + t->point - cols + 1 : 0;
	move(rows - 2, 0);
	clrtoeol();
	attron(A_BOLD);
	printw("%s", t->prompt);
	attroff(A_BOLD);
	if (len > off)
		printw("%.*s", cols - plen, t->line + off);
	move(rows - 2, plen + t->point - off);
	refresh();
}
