/*
 * cmds_run.c - the commands that move the guest: step, stepi, cont,
 * and restart.
 * Live sessions go to the stepping engine (step.c); replayed traces
 * move through their records (replay.c) with the same commands.
 */
#include <errno.h>

#include "exec.h"
#include "replay.h"

#define MAX_COUNT 1000000u

static int replay_run(struct dbg_session *s, unsigned n, int exits_only,
		      int until_bp)
{
	s->prev = s->cur;
	s->have_prev = 1;
	for (unsigned i = 0; i < n || until_bp; i++) {
		int rc = dbg_replay_advance(s, exits_only);
		if (rc && i && until_bp) /* cont ran to the end: not an error */
			dbg_status(s, 0, "replay: at the end of the trace");
		if (rc)
			return i ? 0 : rc;
		unsigned sig = dbg_mode_sig(&s->cur.sregs);
		struct dbg_bp *bp =
			dbg_bp_match(&s->bps, &s->last, sig != s->mode_sig);
		s->mode_sig = sig;
		if (!bp) /* no debug exits in a trace: compare RIP */
			bp = dbg_bp_at(&s->bps, dbg_linear_pc(&s->cur));
		if (bp && until_bp) {
			char what[160];
			dbg_bp_str(bp, what, sizeof(what));
			dbg_status(s, 0, "breakpoint %s", what);
			return 0;
		}
	}
	return 0;
}

int cmd_step(struct dbg_session *s, struct dbg_cmdline *c)
{
	unsigned n;
	if (dbg_arg_count(s, c, 1, 1, MAX_COUNT, &n))
		return -EINVAL;
	return s->rp ? replay_run(s, n, 1, 0) : dbg_step_exit(s, n);
}

int cmd_stepi(struct dbg_session *s, struct dbg_cmdline *c)
{
	unsigned n;
	if (dbg_arg_count(s, c, 1, 1, MAX_COUNT, &n))
		return -EINVAL;
	return s->rp ? replay_run(s, n, 0, 0) : dbg_stepi(s, n);
}

int cmd_cont(struct dbg_session *s, struct dbg_cmdline *c)
{
	(void)c;
	return s->rp ? replay_run(s, 0, 0, 1) : dbg_cont(s);
}

/* `restart`: the same image in a fresh machine, without quitting - after
 * a SHUTDOWN or the guest's DONE, or to show the tour again. */
int cmd_restart(struct dbg_session *s, struct dbg_cmdline *c)
{
	(void)c;
	return dbg_session_restart(s);
}
