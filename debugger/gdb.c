/*
 * gdb.c - `mvmdbg --gdb [HOST:]PORT` and the `gdb` command: hand the
 * guest to real gdb through libminivmm's stub (gdbstub.h, the one `mvm
 * run --gdb` uses), and take it back when gdb detaches.
 *
 * One vCPU cannot be driven by two debuggers at once (each sets its own
 * KVM_SET_GUEST_DEBUG and runs KVM_RUN), so the two take turns on one
 * guest: while gdb is connected it owns the vCPU and mvmdbg waits; after
 * gdb's `detach` mvmdbg re-reads the state gdb left and goes on from
 * there - the registers, memory and page tables both show are the same.
 * The exits gdb ran through are in gdb's `monitor exits`, not in this
 * debugger's log, and the status line says so.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"

/* The stub's messages (connections) go to the result pane. */
static void stub_log(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct dbg_session *s = ctx;
	if (level <= MVM_LOG_INFO)
		dbg_text_line(&s->result, DBG_A_DIM, "gdb stub: %s", msg);
}

/* Ctrl-C in the TUI (SIGINT sets dbg_interrupt) ends the wait. */
static int stop_waiting(void *ctx)
{
	(void)ctx;
	return dbg_interrupt != 0;
}

/* "[HOST:]PORT" (HOST an IPv4 address, default 127.0.0.1) or
 * "unix:PATH", as `mvm run --gdb` takes them. */
int dbg_gdb_parse(const char *arg, struct dbg_gdb_where *w)
{
	const char *colon = strrchr(arg, ':');
	const char *port = colon ? colon + 1 : arg;
	size_t hlen = colon ? (size_t)(colon - arg) : 0;
	struct in_addr a;
	char *end;
	memset(w, 0, sizeof(*w));
	if (!strncmp(arg, "unix:", 5) && arg[5]) {
		snprintf(w->path, sizeof(w->path), "%s", arg + 5);
		return 0;
	}
	long p = strtol(port, &end, 10);
	if (!*port || *end || p < 0 || p > 65535 || hlen >= sizeof(w->host))
		return -EINVAL;
	snprintf(w->host, sizeof(w->host), "%.*s", (int)hlen, arg);
	if (!hlen)
		snprintf(w->host, sizeof(w->host), "127.0.0.1");
	if (inet_pton(AF_INET, w->host, &a) != 1)
		return -EINVAL;
	w->port = (int)p;
	return 0;
}

static const char *const ends[] = {
	[MVM_GDB_DETACHED] = "gdb detached",
	[MVM_GDB_KILLED] = "gdb killed the guest",
	[MVM_GDB_DISCONNECTED] = "gdb disconnected",
	[MVM_GDB_GUEST_DONE] = "the guest finished under gdb",
	[MVM_GDB_GUEST_FAILED] = "the guest failed under gdb",
};

/* Listen, say where (s->announce: the TUI draws it, batch prints it),
 * wait for gdb, serve it; then refresh the state it left. */
int dbg_gdb_handover(struct dbg_session *s, const struct dbg_gdb_where *w)
{
	struct mvm_gdb_config cfg = {.machine = s->m,
				     .log = {stub_log, s},
				     .should_stop = stop_waiting};
	struct mvm_gdb *g = NULL;
	char msg[320];
	if (!s->m || s->dead) {
		dbg_status(s, 1, "gdb: %s",
			   s->m ? "the guest cannot run any more"
				: "a replayed trace has no guest to hand over");
		return -EPERM;
	}
	dbg_run_done(s);
	int rc = mvm_gdb_create(&cfg, &g);
	if (rc == 0)
		rc = w->path[0] ? mvm_gdb_listen_unix(g, w->path)
				: mvm_gdb_listen_tcp(g, w->host, w->port);
	if (rc >= 0) {
		if (w->path[0])
			snprintf(msg, sizeof(msg),
				 "waiting for gdb on %s (target remote %s)",
				 w->path, w->path);
		else
			snprintf(msg, sizeof(msg),
				 "waiting for gdb on %s:%d (target remote "
				 ":%d); it has the guest until it detaches",
				 w->host, rc, rc);
		if (s->announce)
			s->announce(s, msg);
		rc = mvm_gdb_accept(g);
	}
	if (rc == 0)
		rc = mvm_gdb_serve(g);
	mvm_gdb_destroy(g);
	dbg_interrupt = 0;
	s->gdbg.valid = 0; /* the stub set (and cleared) guest debugging */
	s->prev = s->cur;
	s->have_prev = 1;
	dbg_session_refresh(s);
	if (rc < 0) {
		dbg_status(s, 1, "gdb: %s",
			   rc == -EINTR ? "stopped waiting" : strerror(-rc));
		return rc == -EINTR ? 0 : rc;
	}
	if (rc == MVM_GDB_KILLED || rc == MVM_GDB_GUEST_FAILED)
		s->dead = 1;
	dbg_status(s, rc == MVM_GDB_GUEST_FAILED,
		   "%s at rip 0x%llx; the exits it ran through are in gdb's "
		   "`monitor exits`",
		   (unsigned)rc < sizeof(ends) / sizeof(ends[0]) ? ends[rc]
								 : "gdb ended",
		   (unsigned long long)s->cur.regs.rip);
	return 0;
}

/* `gdb [HOST:]PORT`: the same from the command line, any time. */
int cmd_gdb(struct dbg_session *s, struct dbg_cmdline *c)
{
	struct dbg_gdb_where w;
	if (c->argc != 2 || dbg_gdb_parse(c->argv[1], &w)) {
		dbg_status(s, 1,
			   "gdb: expected [HOST:]PORT (HOST an IPv4 address, "
			   "PORT 0-65535, 0 = any free one) or unix:PATH");
		return -EINVAL;
	}
	return dbg_gdb_handover(s, &w);
}
