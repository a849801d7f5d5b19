/*
 * console.h - `mvm run` owns the terminal: guest console input and the
 * Ctrl-A escape keys (console.c explains the design).
 *
 *   console_init()    before the machine: console_output() is its
 *                     output callback (guest text, escaped)
 *   console_start()   after the machine is built: raw mode when stdin is
 *                     a terminal, signal handlers, the input thread
 *   console_quit()    polled by the run loop: why the user stopped the VM
 *   console_stop()    joins the thread, restores the terminal (always)
 *
 * The key parser, console_key(), is a pure function of its state and one
 * byte, so the unit tests drive it without a terminal.
 */
#ifndef MVM_CONSOLE_H
#define MVM_CONSOLE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>

struct mvm_machine;

/* The prefix key, as in QEMU's -serial mon:stdio: Ctrl-A (0x01). */
#define CONSOLE_PREFIX 0x01

/* What one input byte means. */
enum console_action {
	CONSOLE_SEND,	  /* give the byte to the guest */
	CONSOLE_PENDING,  /* the prefix: wait for the next byte */
	CONSOLE_QUIT,	  /* Ctrl-A x: stop the VM */
	CONSOLE_HELP,	  /* Ctrl-A h: list the escape keys */
	CONSOLE_SNAPSHOT, /* Ctrl-A s: take a snapshot */
	CONSOLE_MIGRATE,  /* Ctrl-A m: start the live migration */
	CONSOLE_UNKNOWN,  /* Ctrl-A then a key with no meaning: ignored */
};

struct console_keys {
	int prefix; /* the last byte was an unpaired Ctrl-A */
};

/* Feed one byte to the parser. After Ctrl-A Ctrl-A the second byte is
 * CONSOLE_SEND: the guest gets one literal Ctrl-A. */
enum console_action console_key(struct console_keys *k, unsigned char c);

/* The escape keys, one line each, for `mvm run --help` and Ctrl-A h. */
void console_print_keys(FILE *f, const char *indent);

/* Why the VM was stopped from outside (console_quit()). */
enum console_stop_reason {
	CONSOLE_RUNNING,  /* not stopped */
	CONSOLE_BY_KEY,	  /* Ctrl-A x */
	CONSOLE_BY_SIGNAL /* SIGINT, SIGTERM or SIGHUP */
};

#define CONSOLE_QUEUE 4096 /* input bytes waiting for room in the FIFO */

struct console {
	struct mvm_machine *m;	  /* the machine (NULL before start) */
	int raw_out;		  /* --raw: guest output untouched */
	int to_virtio;		  /* --console virtio: to virtio-console */
	int tty;		  /* stdin is our terminal: raw mode */
	int started;		  /* the input thread runs */
	int wake[2];		  /* self-pipe: signals and console_stop() */
	pthread_t thread;	  /* the input thread */
	atomic_int quit;	  /* enum console_stop_reason */
	atomic_int snapshot;	  /* Ctrl-A s or SIGUSR1, not yet taken */
	atomic_int migrate;	  /* Ctrl-A m, not yet taken */
	int signo;		  /* the signal behind CONSOLE_BY_SIGNAL */
	int eof;		  /* stdin ended: nothing more to forward */
	int told_full;		  /* said once that input waits */
	struct console_keys keys; /* escape-key parser state */
	unsigned char q[CONSOLE_QUEUE]; /* bytes the guest has not taken */
	size_t qlen;			/* how many */
	int cr_pending;			/* output: a CR, waiting for LF */
	int at_line_start; /* output: the last byte was a newline */
};

void console_init(struct console *c, int raw_out);
/* Output callback for the machine (mvm_output_fn): guest text, escaped
 * unless --raw (log.h, mvm_escape). Called from the vCPU's thread. */
void console_output(void *ctx, const char *buf, size_t len);
/* 0 or -errno; on error nothing is left changed (terminal, signals). */
int console_start(struct console *c, struct mvm_machine *m);
enum console_stop_reason console_quit(struct console *c);
/* 1 once per Ctrl-A s / SIGUSR1 since the last call (snapshot_cli.c). */
int console_snapshot_requested(struct console *c);
/* 1 once per Ctrl-A m since the last call (migrate_cli.c). */
int console_migrate_requested(struct console *c);
/* Stop the thread, restore the terminal, end the line (below); safe to
 * call twice. */
void console_stop(struct console *c);
/* On a terminal, end the guest's unfinished output line, so what mvm
 * says next cannot be read as guest text or hidden behind it. */
void console_end_line(struct console *c);

#endif
