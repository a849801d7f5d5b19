/*
 * session.h - one debugging session: the guest (live under KVM, or a
 * recorded trace being replayed), its state after the last step, the
 * exit log, breakpoints, guest output and what each pane looks at.
 *
 * Both front ends (tui.c, batch.c) own one struct dbg_session and feed
 * it command lines through dbg_exec(); neither touches the VM directly.
 */
#ifndef DBG_SESSION_H
#define DBG_SESSION_H

#include <signal.h>
#include <stdio.h>

#include "minivmm/minivmm.h"

#include "bp.h"
#include "cmd.h"
#include "panes.h"
#include "text.h"

/* Panes, in the order Tab cycles through the bottom area. */
enum dbg_pane {
	DBG_P_EXITS,  /* exit log */
	DBG_P_PT,     /* page walk for pt_addr (RIP by default) */
	DBG_P_MEM,    /* memory at mem_addr */
	DBG_P_OUTPUT, /* guest output */
	DBG_P_SREGS,  /* segments and control registers */
	DBG_P_STATS,  /* exit counters and KVM's statistics */
	DBG_P_IRQ,    /* IF, events, the interrupt controller (irqpane.h) */
	DBG_P_VIRTQ,  /* a virtio device's queues (vqpane.h) */
	DBG_P_RESULT, /* output of the last command (help, info ...) */
	DBG_P_NTABS,
	DBG_P_REGS = DBG_P_NTABS, /* always visible */
	DBG_P_CODE,		  /* always visible */
};

#define DBG_OUT_MAX	   32768  /* guest output kept (newest) */
#define DBG_CODE_BEFORE	   32	  /* bytes read before RIP for the code pane */
#define DBG_CODE_AFTER	   64	  /* bytes read from RIP on */
#define DBG_TIMEOUT_MS	   3000	  /* one run without any exit */
#define DBG_CONT_MAX_EXITS 100000 /* ~1 s: the screen stays live */
#define DBG_REC_OUT_MAX	   16384  /* guest output one trace record carries */

/* Recorded code bytes around RIP (what replay can disassemble). */
struct dbg_codewin {
	uint64_t addr; /* linear address of bytes[0] */
	uint32_t len;  /* valid bytes */
	uint8_t bytes[DBG_CODE_BEFORE + DBG_CODE_AFTER];
};

/* A replayed trace, opened by dbg_session_open_replay() (replay.h). The
 * session owns it and frees it on close; that is all it knows of it, so
 * session.c does not depend on replay.h (replay.c depends on this file). */
struct dbg_replay;
void dbg_replay_free(struct dbg_replay *rp); /* NULL is fine */

struct dbg_session {
	/* The target: a live machine, or a replayed trace (vm == NULL). */
	struct mvm_machine *m;	     /* from the machine layer */
	struct mvm_vm *vm;	     /* its VM */
	struct mvm_vcpu *vcpu;	     /* its vCPU 0 */
	struct mvm_std_devices devs; /* its standard devices (not owned) */
	struct dbg_replay *rp;
	char image[256]; /* what is being debugged, for the title */
	/* The machine's interrupt controller and virtio devices (options;
	 * kept by restart), and the user-space chips of --irqchip user. */
	enum mvm_irqchip irqchip;
	unsigned irq_flags;	    /* MVM_MIRQ_* */
	struct mvm_virtio_opts vio; /* --disk, --virtio (virtio_opts.h) */
	struct mvm_pic *pic;	    /* --irqchip user: the 8259A pair */
	struct mvm_pit *pit;	    /* and the 8254 */
	int open_mode;		    /* dbg_session_open()'s mode, for restart */

	/* CPU state now and before the last step (for "changed"). */
	struct dbg_state cur, prev;
	int have_prev;
	struct dbg_codewin code; /* bytes around RIP (replay: recorded) */
	struct dbg_known known;	 /* recent RIPs: instruction starts */

	/* What happened. */
	struct mvm_trace exits;	  /* the guest's own exits, #1 #2 ... */
	struct dbg_events events; /* the debugger's, D1 D2 ... (panes.h) */
	int log_all;		  /* the exit log shows events too */
	struct dbg_notes notes;	  /* what guest exits meant (ucalls) */
	struct mvm_exit last;	  /* the last exit or event */
	int have_last;
	int last_event;	       /* last is a debugger event, not a guest exit */
	int halted;	       /* stopped in HLT; running resumes after it */
	int dead;	       /* SHUTDOWN/INTERNAL_ERROR/FAIL_ENTRY: no run */
	uint64_t steps;	       /* instructions single-stepped */
	struct dbg_bps bps;    /* breakpoints */
	unsigned mode_sig;     /* CR0.PE, CR0.PG, EFER.LMA at last check */
	char out[DBG_OUT_MAX]; /* guest output (debugcon, UART, PRINT) */
	size_t out_len;

	/* What the panes show and how. */
	uint64_t pt_addr; /* page walk address ... */
	int pt_follow;	  /* ... or 1: follow RIP */
	uint64_t mem_addr;
	int mem_phys;		/* mem_addr is guest-physical */
	struct dbg_addr mem_at; /* how the command named it (SEG:OFF) */
	struct dbg_xfmt mem_fmt;
	enum dbg_pane focus;	/* the bottom pane shown */
	char vq_dev[16];	/* virtq pane: device ("blk" ...) */
	unsigned vq_q;		/* and queue */
	int vq_all;		/* every descriptor, not the first 16 */
	struct dbg_text result; /* last command's output */
	char status[256];	/* one line for the status bar */
	int status_error;	/* status is an error */

	/* Options. */
	uint64_t page_size;  /* long mode: 4096 or 2 MiB pages (0: default) */
	int stable;	     /* no host times/addresses (golden files) */
	unsigned timeout_ms; /* per run without an exit */
	FILE *rec;	     /* --record: JSONL of every exit and step */
	int stats_fd[2]; /* KVM_GET_STATS_FD of vCPU, VM; 0 = not yet open */
	const char *first_cmd; /* run before the user's (--gdb), or NULL */
	/* Fewer system calls per step (step.c): what KVM_SET_GUEST_DEBUG
	 * was last given (valid = 0: unknown, set it), and when the run
	 * deadline was armed (0: not armed). */
	struct {
		int valid, single, n;
		struct mvm_hwbp bp[MVM_HW_BREAKPOINTS];
	} gdbg;
	uint64_t armed_ns;
	/* A message to show before blocking (waiting for gdb): the TUI
	 * draws it, batch mode prints it to stderr. NULL: not shown. */
	void (*announce)(struct dbg_session *s, const char *msg);
	char rec_out[DBG_REC_OUT_MAX]; /* guest output not yet in a record */
	size_t rec_out_len;
};

/* Start a live session: VM, devices, load `image` (ELF: protected or
 * long mode from its class; flat: real mode at MVM_REAL_LOAD_ADDR unless
 * `mode` >= 0 says otherwise). Returns 0 or -errno with s->status set. */
int dbg_session_open(struct dbg_session *s, const char *image, int mode);
void dbg_session_close(struct dbg_session *s);
/* Start the same image again in a fresh machine (after SHUTDOWN, DONE,
 * or any time): options, breakpoints (hit counts cleared) and the pane
 * shown are kept, the logs and output start over; a --record trace goes
 * on with a new "start" record. Live sessions only. 0 or -errno. */
int dbg_session_restart(struct dbg_session *s);
/* Common init (zero state, panes' defaults). */
void dbg_session_init(struct dbg_session *s);

/* Set the status line (printf-style); error = 1 for errors. */
void dbg_status(struct dbg_session *s, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Re-read registers (live; right after a step the library reads them
 * from kvm_run, no system call), refresh the code window, update the
 * page-walk address. */
int dbg_session_refresh(struct dbg_session *s);
/* Log an exit: a guest exit in s->exits, or a debugger event (a DEBUG
 * exit, or one the debugger synthesized) in s->events; numbers it
 * (e->seq) in its own sequence and sets s->last. 1 for an event. */
int dbg_session_log(struct dbg_session *s, struct mvm_exit *e, int synth,
		    uint64_t t_ns);
/* Remember the current RIP as a known instruction start. */
void dbg_session_note_pc(struct dbg_session *s);
/* Append guest output (also used by replay). */
void dbg_session_output(struct dbg_session *s, const char *buf, size_t len);

/* Guest memory. Physical: any slot. Virtual: through the guest's page
 * tables when paging is on (each page walked separately). -EFAULT with
 * `err` naming the first address that failed; -ENODATA in replay for
 * memory that was not recorded. */
int dbg_read_phys(struct dbg_session *s, uint64_t gpa, void *buf, size_t len,
		  char *err, size_t errlen);
void dbg_untrap_frame(struct dbg_session *s, const struct kvm_regs *was,
		      uint16_t was_cs);
int dbg_read_virt(struct dbg_session *s, uint64_t gva, void *buf, size_t len,
		  char *err, size_t errlen);
/* Guest-physical address of gva under the current tables. */
int dbg_translate(struct dbg_session *s, uint64_t gva, uint64_t *gpa, char *err,
		  size_t errlen);

/* Render a pane from the session's state (panes.h does the layout). */
void dbg_render_pane(struct dbg_session *s, enum dbg_pane p, int rows,
		     struct dbg_text *t);
const char *dbg_pane_name(enum dbg_pane p);
int dbg_pane_parse(const char *name);

/* explain.c: where RIP stands after e, judged from the instruction at
 * e->rip (one line, shorter when brief); and the TUI's line about the
 * last exit. */
void dbg_exit_rip_line(struct dbg_session *s, const struct mvm_exit *e,
		       int brief, char *buf, size_t len);
void dbg_exit_about(struct dbg_session *s, char *buf, size_t len);

/* step.c: the stepping engine. All return 0 or -errno (status says).
 * Setting dbg_interrupt (the TUI's SIGINT handler does) stops a running
 * `cont` or `step N` at the next exit. */
extern volatile sig_atomic_t dbg_interrupt;
int dbg_step_exit(struct dbg_session *s, unsigned n);
int dbg_stepi(struct dbg_session *s, unsigned n);
/* After each command (exec.c): disarm the run deadline it armed. */
void dbg_run_done(struct dbg_session *s);
int dbg_cont(struct dbg_session *s);
/* Status line for a watchpoint that stopped the guest (cmds_gdb.c). */
void dbg_watch_report(struct dbg_session *s, const struct dbg_bp *bp);
/* The mode signature (CR0.PE, CR0.PG, EFER.LMA as bits 0-2). */
unsigned dbg_mode_sig(const struct kvm_sregs *s);

/* exec.c: run one command line. Returns 0, DBG_QUIT, or -errno (the
 * status line says why). Output goes to s->result and the status. */
#define DBG_QUIT 1
int dbg_exec(struct dbg_session *s, const char *line);
/* Command names for completion and help: NULL-terminated. */
extern const char *const dbg_command_names[];
/* cmds_gdb.c: what Tab offers for the word that starts at `start` of
 * `line` (command names, `info` topics, break kinds, exit reasons, pane
 * names, registers); NULL-terminated, or NULL for nothing. */
const char *const *dbg_complete_words(const char *line, int start);

/* gdb.c: hand the guest to gdb through libminivmm's stub (gdbstub.h)
 * and take it back when gdb detaches (`mvmdbg --gdb`, `gdb PORT`). */
struct dbg_gdb_where {
	char host[64];	/* IPv4 address ... */
	int port;	/* ... and port (0: any free one) */
	char path[108]; /* or a Unix socket ("" = TCP) */
};
int dbg_gdb_parse(const char *arg, struct dbg_gdb_where *w);
int dbg_gdb_handover(struct dbg_session *s, const struct dbg_gdb_where *w);

/* record.c: write the current state + last exit as one JSON line. */
int dbg_record(struct dbg_session *s, const char *kind);

#endif
