/*
 * tui.c - the interactive debugger: ncurses owns the screen and the
 * keyboard, GNU Readline edits the command line.
 *
 * Readline normally owns the terminal itself. Its "alternate interface"
 * (GNU Readline manual, 2.4.12 "Alternate Interface") lets a program
 * keep control: we read every key with ncurses, handle the debugger's
 * own keys (F7/F8/F9, Tab on an empty line, PgUp/PgDn, resize) and hand
 * the rest to rl_callback_read_char() through rl_getc_function. Readline
 * never draws: rl_redisplay_function draws rl_line_buffer into our
 * command row, and a complete line arrives in line_done().
 */
#include <curses.h>
#include <locale.h>
#include <signal.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "tui.h"

#define PROMPT "(mvmdbg) "

static struct dbg_tui tui;

/* SIGINT (Ctrl-C): stop a running guest, or clear the line when idle.
 * No SA_RESTART, so it also interrupts KVM_RUN (which returns EINTR). */
static void on_sigint(int sig)
{
	(void)sig;
	dbg_interrupt = 1;
}

static void catch_sigint(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
}

/* Ctrl-C at the prompt: forget the line, as a shell does. */
static void idle_interrupt(void)
{
	dbg_interrupt = 0;
	rl_replace_line("", 0);
	rl_point = 0;
	dbg_status(tui.s, 0, "Ctrl-C: line cleared (F10 or `q` quits)");
	dbg_tui_draw(&tui);
}
static int pending_key = -1; /* the key readline reads next */
static int quit;
static char last_cmd[DBG_CMD_LEN]; /* Enter on an empty line repeats */

static int rl_getc_cb(FILE *f)
{
	(void)f;
	int c = pending_key;
	pending_key = -1;
	return c < 0 ? EOF : c;
}

static int rl_avail_cb(void)
{
	return pending_key >= 0;
}

static void rl_redisplay_cb(void)
{
	tui.line = rl_line_buffer;
	tui.point = rl_point;
	dbg_tui_draw_cmdline(&tui);
}

/* Readline's terminal setup would fight ncurses over termios. */
static void rl_prep_none(int meta)
{
	(void)meta;
}

static void rl_deprep_none(void)
{
}

/* A repeatable command: Enter alone runs it again, as in gdb. */
static int repeatable(const char *l)
{
	static const char *const words[] = {"step",  "s",    "stepi",
					    "si",    "next", "n",
					    "nexti", "ni",   "nexit"};
	char w[16];
	sscanf(l, "%15s", w);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(w, words[i]))
			return 1;
	return 0;
}

/* Does the line run the guest (so the screen must show what happens)? */
static int moves_guest(const char *l)
{
	static const char *const words[] = {
		"cont", "c", "continue", "restart", "reset", "run", "gdb"};
	char w[16] = "";
	sscanf(l, "%15s", w);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(w, words[i]))
			return 1;
	return repeatable(l);
}

/* Run a line and pick the pane that shows its result. A line that runs
 * the guest is refused while the screen is too small to show it (the
 * student would step unseen), and says "running" while it runs. */
static void run_command(const char *line)
{
	struct dbg_session *s = tui.s;
	enum dbg_pane before = s->focus;
	if (moves_guest(line)) {
		int rows, cols;
		getmaxyx(stdscr, rows, cols);
		if (rows < DBG_MIN_ROWS || cols < DBG_MIN_COLS) {
			dbg_status(s, 1,
				   "not run: the terminal is too small to "
				   "show it (%dx%d, needs %dx%d)",
				   cols, rows, DBG_MIN_COLS, DBG_MIN_ROWS);
			return;
		}
		dbg_status(s, 0, "running %s ... (Ctrl-C stops it)", line);
		dbg_tui_draw(&tui);
	}
	int rc = dbg_exec(s, line);
	if (rc == DBG_QUIT)
		quit = 1;
	/* A command with output but no pane of its own shows it. */
	if (rc == 0 && s->focus == before && s->result.n && !repeatable(line))
		s->focus = DBG_P_RESULT;
	tui.scroll = 0;
}

/* Readline calls this with a complete line (malloc'ed, ours to free). */
static void line_done(char *line)
{
	if (!line) { /* Ctrl-D */
		quit = 1;
		return;
	}
	if (*line) {
		add_history(line);
		snprintf(last_cmd, sizeof(last_cmd), "%s", line);
		run_command(line);
	} else if (repeatable(last_cmd)) {
		run_command(last_cmd);
	}
	free(line);
	dbg_tui_draw(&tui);
}

/* Completion: command names first, then registers and keywords. */
static char *complete_from(const char *const *list, const char *text, int state)
{
	static int i;
	static size_t len;
	if (!state)
		i = 0, len = strlen(text);
	while (list[i])
		if (!strncmp(list[i++], text, len))
			return strdup(list[i - 1]);
	return NULL;
}

static char *cmd_gen(const char *text, int state)
{
	return complete_from(dbg_command_names, text, state);
}

/* After the command word: what fits there (exec.h), e.g. `info` offers
 * its topics and `break exit` the exit reasons. */
static const char *const *arg_words;
static const char *const no_words[] = {NULL};

static char *arg_gen(const char *text, int state)
{
	return complete_from(arg_words ? arg_words : no_words, text, state);
}

static char **complete(const char *text, int start, int end)
{
	(void)end;
	rl_attempted_completion_over = 1; /* never complete file names */
	arg_words = dbg_complete_words(rl_line_buffer, start);
	return rl_completion_matches(text, start == 0 ? cmd_gen : arg_gen);
}

/* Several matches: list them on the status line, not on stdout. */
static void show_matches(char **m, int n, int maxlen)
{
	(void)maxlen;
	char buf[256] = "";
	size_t len = 0;
	for (int i = 1; i <= n && len < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s ",
					m[i]);
	dbg_status(tui.s, 0, "%s", buf);
	dbg_tui_draw(&tui);
}

/* [slide:mvmdbg-readline] */
/* Readline must not touch the terminal or signals: ncurses owns both
 * (SIGWINCH arrives as KEY_RESIZE). */
static void readline_setup(void)
{
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	rl_change_environment = 0;
	rl_prep_term_function = rl_prep_none;
	rl_deprep_term_function = rl_deprep_none;
	rl_getc_function = rl_getc_cb;
	rl_input_available_hook = rl_avail_cb;
	rl_redisplay_function = rl_redisplay_cb;
	rl_attempted_completion_function = complete;
	rl_completion_display_matches_hook = show_matches;
	rl_outstream = fopen("/dev/null", "w"); /* bells and such */
	/* List the candidates on the first Tab, not after a bell. */
	rl_variable_bind("show-all-if-ambiguous", "on");
	rl_callback_handler_install(PROMPT, line_done);
}
/* [/slide:mvmdbg-readline] */

/* The debugger's own keys; 1 if handled. */
static int own_key(int ch)
{
	int empty = !rl_line_buffer || !rl_line_buffer[0];
	switch (ch) {
	case KEY_F(7):
		run_command("stepi");
		break;
	case KEY_F(8):
		run_command("nexit");
		break;
	case KEY_F(9):
		run_command("cont");
		break;
	case KEY_F(10):
		quit = 1;
		break;
	case KEY_RESIZE:
		break;
	case KEY_PPAGE:
		tui.scroll -= 10; /* layout.c clamps */
		break;
	case KEY_NPAGE:
		tui.scroll += 10;
		break;
	case KEY_SRIGHT:
		tui.hscroll += 20; /* layout.c clamps */
		break;
	case KEY_SLEFT:
		tui.hscroll -= 20;
		break;
	case '\t':
		if (!empty)
			return 0;
		tui.s->focus = (tui.s->focus + 1) % DBG_P_NTABS;
		tui.scroll = 0;
		tui.hscroll = 0;
		break;
	case KEY_BTAB:
		tui.s->focus = (tui.s->focus + DBG_P_NTABS - 1) % DBG_P_NTABS;
		tui.scroll = 0;
		tui.hscroll = 0;
		break;
	default:
		return 0;
	}
	dbg_tui_draw(&tui);
	return 1;
}

/* Editing keys ncurses decoded: call the readline function directly. */
static int edit_key(int ch)
{
	switch (ch) {
	case KEY_UP:
		rl_get_previous_history(1, 0);
		break;
	case KEY_DOWN:
		rl_get_next_history(1, 0);
		break;
	case KEY_LEFT:
		rl_backward_char(1, 0);
		break;
	case KEY_RIGHT:
		rl_forward_char(1, 0);
		break;
	case KEY_HOME:
		rl_beg_of_line(1, 0);
		break;
	case KEY_END:
		rl_end_of_line(1, 0);
		break;
	case KEY_DC:
		rl_delete(1, 0);
		break;
	case KEY_BACKSPACE:
		rl_rubout(1, 0);
		break;
	default:
		return 0;
	}
	rl_redisplay_cb();
	return 1;
}

/* Before a command blocks (waiting for gdb): show why on the status
 * line at once. */
static void announce(struct dbg_session *s, const char *msg)
{
	dbg_status(s, 0, "%s (Ctrl-C stops waiting)", msg);
	dbg_tui_draw(&tui);
}

/* The main loop: one key at a time, redraw after anything that changes
 * what is shown. Returns when the user quits or the terminal is gone. */
int dbg_tui(struct dbg_session *s)
{
	tui.s = s;
	tui.prompt = PROMPT;
	setlocale(LC_ALL, ""); /* ncursesw: UTF-8 line drawing */
	if (!initscr()) {
		fprintf(stderr, "mvmdbg: cannot initialise the terminal\n");
		return -1;
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	dbg_tui_colors();
	readline_setup();
	dbg_tui_draw(&tui);
	int errors = 0;
	catch_sigint(); /* after initscr: ncurses installs its own */
	s->announce = announce;
	if (s->first_cmd) { /* --gdb: gdb has the guest first */
		run_command(s->first_cmd);
		dbg_tui_draw(&tui);
	}
	while (!quit) {
		int ch = getch();
		if (dbg_interrupt) {
			idle_interrupt();
			errors = 0;
			continue;
		}
		if (ch == ERR && ++errors > 100)
			break; /* the terminal went away */
		if (ch == ERR || own_key(ch) || edit_key(ch))
			continue;
		errors = 0;
		if (ch == '\r')
			ch = '\n';
		if (ch > 0xff)
			continue; /* other function keys: ignore */
		pending_key = ch;
		rl_callback_read_char();
	}
	rl_callback_handler_remove();
	endwin();
	return 0;
}
