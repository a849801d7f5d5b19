/*
 * console.c - one owner of the terminal for `mvm run` (console.h).
 *
 * The guest's COM1 UART is its console. What the user types goes to the
 * UART's receive FIFO (mvm_uart_input(), devices.h), where a guest that
 * polls LSR.DR (or, later, takes the interrupt) reads it from RBR; with
 * --console virtio it goes to virtio-console's receive queue instead
 * (mvm_virtio_console_input(), virtio_devs.h), the escape keys alike. An
 * input thread does this, so typing works while the vCPU runs in the
 * main thread; the UART guards its own state (machine.h, rule 2).
 *
 * VMM commands share the same keyboard through an escape prefix, as in
 * QEMU's `-serial mon:stdio`: Ctrl-A then a key (the table below). Every
 * other byte is the guest's, Ctrl-C included: when stdin is a terminal
 * it is put in raw mode (termios(3): no ICANON, ECHO, ISIG, IXON,
 * ICRNL), so Ctrl-C arrives as the byte 0x03 and a guest sees what a
 * serial line would carry (Enter as CR). Output processing (OPOST) stays
 * on: a newline still starts a new line. The terminal is restored on
 * every way out: console_stop(), exit() (atexit), SIGTERM/SIGHUP and
 * crashes (a handler restores it and re-raises the signal).
 *
 * When stdin is a pipe or a file, nothing changes on the terminal; bytes
 * are forwarded the same way (escape keys included, so a script can send
 * "\001x"), EOF ends the forwarding while the guest runs on, and SIGINT
 * stops the VM as cleanly as Ctrl-A x does.
 *
 * The FIFO holds 16 bytes; bytes it cannot take wait in a queue and are
 * offered again every RETRY_MS, never dropped. While the queue is full,
 * stdin is not read (the pipe's writer blocks), but escape keys are read
 * as soon as there is room.
 *
 * Stopping the VM: the input thread sets c->quit, then kicks vCPU 0
 * (mvm_vcpu_kick(), vm.h), which ends its run step with KVM_EXIT_INTR
 * even if it was about to enter the guest; the run loop sees c->quit.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "console.h"
#include "minivmm/minivmm.h"

#define CMD	 "mvm run"
#define RETRY_MS 10 /* how soon a full FIFO is offered bytes again */

/* --- the escape keys (pure) ----------------------------------------------- */

/* One table: the parser and the help text both read it. A new command
 * (the snapshot, when issue "snapshots" lands) is one row here and one
 * case in run_action(). */
static const struct {
	unsigned char key;	    /* after Ctrl-A */
	enum console_action action; /* what it does */
	const char *help;	    /* one line */
} keys[] = {
	{'x', CONSOLE_QUIT, "stop the VM and exit (status 0)"},
	{'h', CONSOLE_HELP, "this list"},
	{'s', CONSOLE_SNAPSHOT, "take a snapshot (also: SIGUSR1)"},
	{'m', CONSOLE_MIGRATE,
	 "start the live migration of --migrate-to (also: SIGUSR2)"},
	{CONSOLE_PREFIX, CONSOLE_SEND, "send a literal Ctrl-A to the guest"},
};

enum console_action console_key(struct console_keys *k, unsigned char c)
{
	if (!k->prefix) {
		k->prefix = c == CONSOLE_PREFIX;
		return k->prefix ? CONSOLE_PENDING : CONSOLE_SEND;
	}
	k->prefix = 0;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].key == c ||
		    (keys[i].key >= 'a' && keys[i].key == (c | 0x20)))
			return keys[i].action;
	return CONSOLE_UNKNOWN;
}

void console_print_keys(FILE *f, const char *indent)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (keys[i].key == CONSOLE_PREFIX)
			fprintf(f, "%sCtrl-A Ctrl-A  %s\n", indent,
				keys[i].help);
		else
			fprintf(f, "%sCtrl-A %c       %s\n", indent,
				keys[i].key, keys[i].help);
	}
}

/* --- guest output ----------------------------------------------------------- */

void console_init(struct console *c, int raw_out)
{
	memset(c, 0, sizeof(*c));
	c->raw_out = raw_out;
	c->wake[0] = c->wake[1] = -1;
	c->at_line_start = 1;
}

static void put(const char *s, size_t n)
{
	fwrite(s, 1, n, stdout);
}

/* Guest text goes to stdout, escaped (log.h's rule, with newline and tab
 * kept). A CR right before an LF is dropped (the terminal's output
 * processing makes LF a full line break) so a guest's "\r\n" line ends
 * read as plain ones; any other CR shows as \r: it would let a guest
 * overwrite a line. Unbuffered, so it interleaves with --trace. With
 * --cpus N every vCPU thread calls it: out_lock keeps the line state
 * (cr_pending, at_line_start) and each piece of text whole. */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

void console_output(void *ctx, const char *buf, size_t len)
{
	struct console *c = ctx;
	char esc[5];

	pthread_mutex_lock(&out_lock);
	if (c->raw_out) {
		put(buf, len);
	} else {
		for (size_t i = 0; i < len; i++) {
			if (c->cr_pending && buf[i] != '\n')
				put("\\r", 2);
			c->cr_pending = buf[i] == '\r';
			if (!c->cr_pending)
				put(esc, mvm_escape(esc, sizeof(esc), &buf[i],
						    1, MVM_ESCAPE_KEEP_NL));
		}
	}
	if (len)
		c->at_line_start = buf[len - 1] == '\n';
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

/* --- the terminal ----------------------------------------------------------- */

/* Signal handlers need these without a pointer: one console per process. */
static struct termios saved_tio;	   /* the terminal as we found it */
static volatile sig_atomic_t tio_saved;	   /* saved_tio must be restored */
static volatile sig_atomic_t wake_fd = -1; /* console's self-pipe */
static volatile sig_atomic_t stop_signals; /* stop requests so far */

static void restore_terminal(void)
{
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
}

/* SIGINT, SIGTERM, SIGHUP: the first asks the input thread to stop the
 * VM cleanly; a second one (the VM did not stop) gives up at once. */
static void on_stop_signal(int sig)
{
	unsigned char b = (unsigned char)sig;

	if (stop_signals++ || wake_fd < 0) {
		restore_terminal();
		_exit(1);
	}
	if (write(wake_fd, &b, 1) < 0) {
		/* the pipe is full: a stop is already on its way */
	}
}

/* SIGUSR1: a snapshot, through the same self-pipe (the thread takes no
 * lock in a handler). */
static void on_snapshot_signal(int sig)
{
	unsigned char b = (unsigned char)sig;

	if (wake_fd >= 0 && write(wake_fd, &b, 1) < 0) {
		/* full: a wake-up is on its way */
	}
}

/* A crash: put the terminal back, then die of the same signal. */
static void on_fatal_signal(int sig)
{
	restore_terminal();
	raise(sig);
}

static void install_handlers(void)
{
	static const int stop[] = {SIGINT, SIGTERM, SIGHUP};
	static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
	struct sigaction sa = {.sa_handler = on_stop_signal,
			       .sa_flags = SA_RESTART};

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(stop) / sizeof(stop[0]); i++)
		sigaction(stop[i], &sa, NULL);
	sa.sa_handler = on_snapshot_signal;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_fatal_signal;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
}

/* Raw input, cooked output (termios(3)); 0 or -errno. Only when we are
 * the terminal's foreground job: a background job that changed it would
 * be stopped by SIGTTOU. */
static int enter_raw_mode(void)
{
	static int registered;
	struct termios t;

	if (tcgetpgrp(STDIN_FILENO) != getpgrp())
		return -ENOTTY;
	if (tcgetattr(STDIN_FILENO, &saved_tio) < 0)
		return -errno;
	t = saved_tio;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG | IEXTEN);
	t.c_iflag &= ~(tcflag_t)(IXON | ICRNL | INLCR | IGNCR | BRKINT |
				 ISTRIP | PARMRK);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	tio_saved = 1;
	if (!registered && atexit(restore_terminal) == 0)
		registered = 1;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) < 0) {
		tio_saved = 0;
		return -errno;
	}
	return 0;
}

/* --- the input thread ------------------------------------------------------- */

static void request_quit(struct console *c, enum console_stop_reason why)
{
	atomic_store(&c->quit, why);
	mvm_vcpu_kick(mvm_machine_vcpu(c->m, 0));
}

/* Ctrl-A s and SIGUSR1: the run loop takes the snapshot between two
 * exits (snapshot_cli.c), where no vCPU runs; the kick ends the current
 * step so that happens soon even in a guest that rarely exits. */
static void request_snapshot(struct console *c)
{
	atomic_store(&c->snapshot, 1);
	mvm_vcpu_kick(mvm_machine_vcpu(c->m, 0));
}

/* Ctrl-A m: the run loop starts the migration between two exits
 * (migrate_cli.c); the kick, as for the snapshot, makes that soon. */
static void request_migrate(struct console *c)
{
	atomic_store(&c->migrate, 1);
	mvm_vcpu_kick(mvm_machine_vcpu(c->m, 0));
}

/* One escape command; SEND queues the byte for the guest. */
static void run_action(struct console *c, enum console_action a,
		       unsigned char b)
{
	switch (a) {
	case CONSOLE_SEND:
		c->q[c->qlen++] = b;
		break;
	case CONSOLE_PENDING:
		break;
	case CONSOLE_QUIT:
		request_quit(c, CONSOLE_BY_KEY);
		break;
	case CONSOLE_HELP:
		fprintf(stderr, "\n%s: escape keys:\n", CMD);
		console_print_keys(stderr, "  ");
		break;
	case CONSOLE_SNAPSHOT:
		request_snapshot(c);
		break;
	case CONSOLE_MIGRATE:
		request_migrate(c);
		break;
	case CONSOLE_UNKNOWN:
		fprintf(stderr,
			"\n%s: unknown escape key %#x (Ctrl-A h lists "
			"them)\n",
			CMD, b);
		break;
	}
}

/* Read what stdin has, at most what the queue can still hold (each byte
 * queues at most one byte). */
static void read_input(struct console *c)
{
	unsigned char buf[256];
	size_t room = sizeof(c->q) - c->qlen;
	ssize_t n = read(STDIN_FILENO, buf,
			 room < sizeof(buf) ? room : sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) { /* EOF, or EIO after a hangup: stop forwarding */
		c->eof = 1;
		return;
	}
	for (ssize_t i = 0; i < n; i++)
		run_action(c, console_key(&c->keys, buf[i]), buf[i]);
}

/* Offer the queue to the UART, or with --console virtio to
 * virtio-console's receiveq; each takes what fits (the UART's FIFO, the
 * buffers the guest offered plus a small backlog). */
static void feed_guest(struct console *c)
{
	const struct mvm_std_devices *d = mvm_machine_devices(c->m);
	const struct mvm_machine_virtio *v = mvm_machine_virtio(c->m);
	size_t n;

	if (!c->qlen)
		return;
	if (c->to_virtio && v && v->console) {
		n = mvm_virtio_console_input(v->console, (const char *)c->q,
					     c->qlen);
		memmove(c->q, c->q + n, c->qlen - n);
		c->qlen -= n;
		return;
	}
	if (!d->uart) {
		fprintf(stderr, "%s: this machine has no UART: input dropped\n",
			CMD);
		c->qlen = 0;
		return;
	}
	n = mvm_uart_input(d->uart, (const char *)c->q, c->qlen);
	memmove(c->q, c->q + n, c->qlen - n);
	c->qlen -= n;
}

/* A byte on the self-pipe: 0 from console_stop(), else a signal number. */
static int read_wake(struct console *c)
{
	unsigned char b;

	if (read(c->wake[0], &b, 1) != 1 || b == 0)
		return 1;
	if (b == SIGUSR1) {
		request_snapshot(c);
		return 0;
	}
	c->signo = b;
	request_quit(c, CONSOLE_BY_SIGNAL);
	return 0;
}

static void *input_thread(void *arg)
{
	struct console *c = arg;

	for (;;) {
		int take = !c->eof && c->qlen < sizeof(c->q);
		struct pollfd p[2] = {
			{.fd = c->wake[0], .events = POLLIN},
			{.fd = take ? STDIN_FILENO : -1, .events = POLLIN},
		};

		if (poll(p, 2, c->qlen ? RETRY_MS : -1) < 0 && errno != EINTR)
			break;
		if ((p[0].revents & POLLIN) && read_wake(c))
			break;
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
			read_input(c);
		else if (p[1].revents & POLLNVAL)
			c->eof = 1;
		feed_guest(c);
	}
	return NULL;
}

/* --- start and stop --------------------------------------------------------- */

int console_start(struct console *c, struct mvm_machine *m)
{
	int rc;

	c->m = m;
	if (pipe2(c->wake, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	wake_fd = c->wake[1];
	install_handlers();
	c->tty = isatty(STDIN_FILENO) && enter_raw_mode() == 0;
	/* A terminal we do not own (a background job) is not read at all. */
	c->eof = isatty(STDIN_FILENO) && !c->tty;
	rc = -pthread_create(&c->thread, NULL, input_thread, c);
	if (rc < 0) {
		console_stop(c);
		return rc;
	}
	c->started = 1;
	return 0;
}

int console_snapshot_requested(struct console *c)
{
	return atomic_exchange(&c->snapshot, 0);
}

int console_migrate_requested(struct console *c)
{
	return atomic_exchange(&c->migrate, 0);
}

enum console_stop_reason console_quit(struct console *c)
{
	return (enum console_stop_reason)atomic_load(&c->quit);
}

void console_stop(struct console *c)
{
	unsigned char b = 0;

	if (c->started) {
		if (write(c->wake[1], &b, 1) < 0) {
			/* full: the thread wakes up anyway */
		}
		pthread_join(c->thread, NULL);
		c->started = 0;
	}
	wake_fd = -1;
	for (int i = 0; i < 2; i++)
		if (c->wake[i] >= 0)
			close(c->wake[i]), c->wake[i] = -1;
	restore_terminal();
	tio_saved = 0;
	console_end_line(c);
}

void console_end_line(struct console *c)
{
	pthread_mutex_lock(&out_lock);
	if (c->cr_pending)
		fputs("\\r", stdout);
	c->cr_pending = 0;
	if (!c->at_line_start && isatty(STDOUT_FILENO))
		fputc('\n', stdout);
	c->at_line_start = 1;
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}
