/*
 * conn.c - the stub's connection: sockets, acknowledgements, Ctrl-C.
 *
 * gdb connects once (`target remote :PORT`); the stub then answers one
 * packet at a time. Each packet sent waits for gdb's '+' ('-' sends it
 * again) until gdb and the stub agree on QStartNoAckMode (gdb manual,
 * "Packet Acknowledgment"), after which a reliable stream needs no acks.
 *
 * While the guest runs, gdb may send a single 0x03 byte to interrupt it
 * ("Interrupts" in the manual). The thread that runs the vCPU sits in
 * KVM_RUN, possibly forever (`jmp $`, no exits), so a watcher thread
 * poll()s the socket meanwhile and, when a byte arrives, kicks the vCPU
 * (mvm_vcpu_kick(), kick.c): KVM_RUN returns, the run loop sees the byte.
 * The watcher keeps kicking until the run loop takes notice, because a
 * kick aimed at a vCPU that has not run yet has no thread to go to.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "gdb_internal.h"

#define SEND_TRIES    4	   /* '-' answers before we give up */
#define KICK_EVERY_US 2000 /* watcher: kick again until noticed */
#define POLL_MS	      200  /* how often a wait asks should_stop */

int mvm_gdb_create(const struct mvm_gdb_config *cfg, struct mvm_gdb **out)
{
	struct mvm_gdb *g;

	*out = NULL;
	if (!cfg || !cfg->machine || !mvm_machine_vcpu(cfg->machine, 0))
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->cfg = *cfg;
	g->m = cfg->machine;
	g->vcpu = mvm_machine_vcpu(g->m, 0);
	g->mem = mvm_vm_mem(mvm_machine_vm(g->m));
	g->log = &g->cfg.log;
	g->lfd = g->fd = -1;
	g->cancel[0] = g->cancel[1] = -1;
	g->break_exit = GDB_BREAK_EXIT_NONE;
	mvm_gdb_rx_init(&g->rx);
	/* `monitor exits` reads the trace, and exits carry RIP only when
	 * it is on (trace.h). */
	mvm_trace_enable(mvm_vcpu_trace(g->vcpu), 1);
	*out = g;
	return 0;
}

void mvm_gdb_destroy(struct mvm_gdb *g)
{
	if (!g)
		return;
	mvm_gdb_watch_stop(g);
	if (g->fd >= 0)
		close(g->fd);
	if (g->lfd >= 0)
		close(g->lfd);
	free(g);
}

/* A blocking call returned EINTR: go on unless the program wants out. */
static int interrupted(struct mvm_gdb *g)
{
	return g->cfg.should_stop && g->cfg.should_stop(g->cfg.ctx);
}

/* Wait until fd is readable, asking should_stop every POLL_MS: signal
 * handlers installed with SA_RESTART would never let accept() or recv()
 * return EINTR. 0, -EINTR (the program wants out) or -errno. */
static int wait_readable(struct mvm_gdb *g, int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	int r;

	for (;;) {
		r = poll(&p, 1, POLL_MS);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (interrupted(g))
			return -EINTR;
	}
}

int mvm_gdb_listen_tcp(struct mvm_gdb *g, const char *host, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	int one = 1, fd;

	if (port < 0 || port > 65535 ||
	    inet_pton(AF_INET, host ? host : "127.0.0.1", &a.sin_addr) != 1)
		return -EINVAL;
	a.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, 1) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	g->lfd = fd;
	return ntohs(a.sin_port);
}

int mvm_gdb_listen_unix(struct mvm_gdb *g, const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct stat st;
	int fd;

	if (!path || strlen(path) >= sizeof(a.sun_path))
		return -EINVAL;
	strcpy(a.sun_path, path);
	if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, 1) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	g->lfd = fd;
	return 0;
}

int mvm_gdb_attach_fd(struct mvm_gdb *g, int fd)
{
	int one = 1;

	if (fd < 0)
		return -EBADF;
	if (g->fd >= 0)
		close(g->fd);
	g->fd = fd;
	g->noack = 0;
	g->have_last = 0;
	mvm_gdb_rx_init(&g->rx);
	/* One small packet per answer: do not let Nagle hold it back. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return mvm_gdb_build_xml(g);
}

int mvm_gdb_accept(struct mvm_gdb *g)
{
	int fd;

	if (g->lfd < 0)
		return -EINVAL;
	for (;;) {
		int rc = wait_readable(g, g->lfd);
		if (rc < 0)
			return rc;
		fd = accept4(g->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			break;
		if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
			return -errno;
	}
	mvm_logf(g->log, MVM_LOG_INFO, "gdb connected");
	return mvm_gdb_attach_fd(g, fd);
}

static int write_all(struct mvm_gdb *g, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(g->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR && !interrupted(g))
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EPIPE;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One byte from gdb: the byte, or -errno (-EPIPE at end of stream). */
static int read_byte(struct mvm_gdb *g)
{
	uint8_t c;

	for (;;) {
		int rc = wait_readable(g, g->fd);
		ssize_t r;
		if (rc < 0)
			return rc;
		r = recv(g->fd, &c, 1, 0);
		if (r == 1)
			return c;
		if (r == 0)
			return -EPIPE;
		if (errno != EINTR && errno != EAGAIN)
			return -errno;
	}
}

int mvm_gdb_send(struct mvm_gdb *g, const char *payload)
{
	int n = mvm_gdb_frame(payload, strlen(payload), g->frame,
			      sizeof(g->frame));

	if (n < 0)
		return n;
	for (int tries = 0; tries < SEND_TRIES; tries++) {
		int rc = write_all(g, g->frame, (size_t)n);
		if (rc < 0 || g->noack)
			return rc;
		/* Wait for the ack; a packet or Ctrl-C now would be out of
		 * turn, so anything but '+' / '-' is dropped. */
		for (;;) {
			int c = read_byte(g);
			if (c < 0)
				return c;
			if (c == '+')
				return 0;
			if (c == '-')
				break;
		}
	}
	return -EPROTO;
}

int mvm_gdb_sendf(struct mvm_gdb *g, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return mvm_gdb_send(g, buf);
}

/* 'O' + hex text: gdb prints it on its console (only valid while gdb
 * waits for a stop reply, or as qRcmd output). */
int mvm_gdb_console(struct mvm_gdb *g, const char *text)
{
	size_t n = strlen(text);

	if (n > (sizeof(g->reply) - 2) / 2)
		n = (sizeof(g->reply) - 2) / 2;
	g->reply[0] = 'O';
	mvm_gdb_hex_encode(g->reply + 1, text, n);
	return mvm_gdb_send(g, g->reply);
}

int mvm_gdb_recv(struct mvm_gdb *g)
{
	for (;;) {
		int c = read_byte(g);
		if (c < 0)
			return c;
		switch (mvm_gdb_rx_byte(&g->rx, (uint8_t)c)) {
		case MVM_GDB_RX_PACKET:
			if (!g->noack && write_all(g, "+", 1) < 0)
				return -EPIPE;
			return 0;
		case MVM_GDB_RX_BAD_CSUM:
			mvm_logf(g->log, MVM_LOG_WARN,
				 "gdb: packet with a bad checksum");
			if (!g->noack && write_all(g, "-", 1) < 0)
				return -EPIPE;
			break;
		case MVM_GDB_RX_MALFORMED:
			mvm_logf(g->log, MVM_LOG_WARN,
				 "gdb: malformed or too long packet");
			if ((!g->noack && write_all(g, "+", 1) < 0) ||
			    mvm_gdb_send(g, "E01") < 0)
				return -EPIPE;
			break;
		case MVM_GDB_RX_INTERRUPT:
			return 1;
		default:
			break;
		}
	}
}

/* --- the Ctrl-C watcher -------------------------------------------------- */

static void *watch(void *arg)
{
	struct mvm_gdb *g = arg;
	struct pollfd p[2] = {{g->fd, POLLIN, 0}, {g->cancel[0], POLLIN, 0}};

	while (poll(p, 2, -1) < 0 && errno == EINTR)
		;
	if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
		return NULL;
	__atomic_store_n(&g->input, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&g->stop_watch, __ATOMIC_ACQUIRE)) {
		mvm_vcpu_kick(g->vcpu);
		usleep(KICK_EVERY_US);
	}
	return NULL;
}

int mvm_gdb_watch_start(struct mvm_gdb *g)
{
	int rc;

	if (g->watching)
		return 0;
	if (g->cancel[0] < 0 && pipe2(g->cancel, O_CLOEXEC) < 0)
		return -errno;
	__atomic_store_n(&g->input, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&g->stop_watch, 0, __ATOMIC_RELEASE);
	rc = pthread_create(&g->watcher, NULL, watch, g);
	if (rc)
		return -rc;
	g->watching = 1;
	return 0;
}

int mvm_gdb_watch_stop(struct mvm_gdb *g)
{
	char c = 0;

	if (g->watching) {
		__atomic_store_n(&g->stop_watch, 1, __ATOMIC_RELEASE);
		if (write(g->cancel[1], &c, 1) < 0) {
			/* the pipe is ours and empty: cannot fail */
		}
		pthread_join(g->watcher, NULL);
		g->watching = 0;
		if (read(g->cancel[0], &c, 1) < 0) {
			/* nothing was written: fine */
		}
	}
	if (g->cancel[0] >= 0 && g->fd < 0) {
		close(g->cancel[0]);
		close(g->cancel[1]);
		g->cancel[0] = g->cancel[1] = -1;
	}
	return __atomic_load_n(&g->input, __ATOMIC_ACQUIRE);
}

/* --- the session --------------------------------------------------------- */

int mvm_gdb_serve(struct mvm_gdb *g)
{
	int rc;

	if (g->fd < 0)
		return -ENOTCONN;
	g->end = 0;
	while (!g->end) {
		rc = mvm_gdb_recv(g);
		if (rc == -EPIPE || rc == -ECONNRESET) {
			g->end = MVM_GDB_DISCONNECTED + 1;
			break;
		}
		if (rc < 0)
			return rc;
		if (rc == 1) /* Ctrl-C while stopped: say where we are */
			rc = mvm_gdb_stop_reply(g, 2);
		else
			rc = mvm_gdb_handle(g, g->rx.buf);
		if (rc == -EPIPE || rc == -ECONNRESET)
			g->end = MVM_GDB_DISCONNECTED + 1;
		else if (rc < 0)
			return rc;
	}
	close(g->fd);
	g->fd = -1;
	mvm_gdb_watch_stop(g);
	/* The guest runs on without us: no breakpoints, no stepping. */
	g->nbp = 0;
	g->break_exit = GDB_BREAK_EXIT_NONE;
	mvm_vcpu_set_debug(g->vcpu, 0, NULL, 0);
	mvm_logf(g->log, MVM_LOG_INFO, "gdb session over");
	if (g->end == MVM_GDB_DISCONNECTED + 1 && g->ended)
		return g->ended - 1; /* gdb left after the guest ended */
	return g->end - 1;
}
