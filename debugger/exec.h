/*
 * exec.h - the command table shared by exec.c (dispatch, help) and the
 * files that implement groups of commands.
 */
#ifndef DBG_EXEC_H
#define DBG_EXEC_H

#include "cmd.h"
#include "session.h"

/* A command handler: c->argv[0] is the command word. Output goes into
 * s->result; errors into the status (dbg_status(s, 1, ...)) and -EINVAL. */
typedef int dbg_cmd_fn(struct dbg_session *s, struct dbg_cmdline *c);

struct dbg_cmd {
	const char *name;    /* full name */
	const char *aliases; /* space-separated, may be "" */
	const char *usage;   /* "x/NFU ADDR" */
	const char *help;    /* one or two sentences */
	dbg_cmd_fn *fn;
};

extern const struct dbg_cmd dbg_cmd_table[];
extern const int dbg_ncmd;

/* cmds_run.c */
dbg_cmd_fn cmd_step, cmd_stepi, cmd_cont, cmd_restart;
/* cmds_gdb.c */
dbg_cmd_fn cmd_print, cmd_nexti, cmd_watch;
/* gdb.c */
dbg_cmd_fn cmd_gdb;
/* cmds_show.c */
dbg_cmd_fn cmd_regs, cmd_sregs, cmd_code, cmd_x, cmd_pt, cmd_translate,
	cmd_exits, cmd_stats, cmd_output, cmd_info, cmd_pane, cmd_check;
/* walk2d.c */
dbg_cmd_fn cmd_walk2d;
/* explain.c */
dbg_cmd_fn cmd_explain;
/* cmds_edit.c */
dbg_cmd_fn cmd_break, cmd_delete, cmd_set;

/* Evaluate argv[from..] as one address expression (error -> status). */
int dbg_arg_addr(struct dbg_session *s, const struct dbg_cmdline *c, int from,
		 uint64_t *v);
/* The same, allowing SEG:OFFSET (dbg_eval_addr, cmd.h). */
int dbg_arg_seg_addr(struct dbg_session *s, const struct dbg_cmdline *c,
		     int from, struct dbg_addr *a);
/* Optional count argument argv[i] (default def, 1..max). */
int dbg_arg_count(struct dbg_session *s, const struct dbg_cmdline *c, int i,
		  unsigned def, unsigned max, unsigned *n);

#endif
