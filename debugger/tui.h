/*
 * tui.h - the ncurses front end: layout.c draws the screen from the
 * session's panes, tui.c runs the keyboard loop and GNU Readline.
 */
#ifndef DBG_TUI_H
#define DBG_TUI_H

#include "session.h"

#define DBG_MIN_COLS 80
#define DBG_MIN_ROWS 24

struct dbg_tui {
	struct dbg_session *s;
	int scroll;	    /* bottom pane: lines moved from its home */
	int hscroll;	    /* bottom pane: columns scrolled sideways */
	const char *prompt; /* readline prompt */
	const char *line;   /* the line being edited (rl_line_buffer) */
	int point;	    /* cursor position in line */
};

/* Draw everything (layout.c). */
void dbg_tui_draw(struct dbg_tui *t);
/* Draw only the command line and place the cursor there. */
void dbg_tui_draw_cmdline(struct dbg_tui *t);
/* Colour themes (--theme): for a dark or a light terminal, or none at all
 * (mono; also the default when NO_COLOR is set, https://no-color.org).
 * In every theme a changed value is also underlined and the current
 * instruction reversed, so neither depends on a colour being readable. */
enum dbg_theme { DBG_THEME_DARK, DBG_THEME_LIGHT, DBG_THEME_MONO };
/* "dark", "light", "mono" -> theme, or -1. */
int dbg_theme_parse(const char *name);
/* Choose before dbg_tui() starts (layout.c); default dark. */
void dbg_tui_set_theme(enum dbg_theme theme);
/* Colours for the text attributes (layout.c). */
void dbg_tui_colors(void);

int dbg_tui(struct dbg_session *s);

#endif
