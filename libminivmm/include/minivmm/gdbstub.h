/*
 * gdbstub.h - a gdb stub: real gdb attaches to a guest.
 *
 * gdb talks to a remote target with the GDB Remote Serial Protocol (the
 * gdb manual, appendix "Remote Protocol"): packets `$data#cs`, where cs
 * is the sum of the data bytes modulo 256 in two hex digits, each
 * answered by `+` (received) or `-` (send again). This header has two
 * layers:
 *
 *   the packet layer   mvm_gdb_rx_*(): bytes in, whole packets out, with
 *                      checksums, escapes and run-length decoding; and
 *                      mvm_gdb_frame(): payload in, `$...#cs` out. Pure
 *                      functions, unit-tested without /dev/kvm.
 *   the stub           mvm_gdb_*(): one machine, one gdb over TCP or a
 *                      Unix socket; gdb's commands become register reads,
 *                      page walks, KVM_SET_GUEST_DEBUG and run steps of
 *                      vCPU 0 through mvm_machine_step().
 *
 * The stub owns the thread that calls mvm_gdb_serve(): the machine must
 * not be started (machine.h threads) while gdb drives it. Ctrl-C from gdb
 * (a 0x03 byte while the guest runs) is seen by a watcher thread, which
 * kicks the vCPU out of KVM_RUN (mvm_vcpu_kick()), so even `jmp $` stops.
 *
 * `monitor` commands (qRcmd) know about VM exits: exits, break-exit,
 * pt, check, explain - the debugger's names (debugger/README.md).
 */
#ifndef MINIVMM_GDBSTUB_H
#define MINIVMM_GDBSTUB_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stddef.h>
#include <stdint.h>

#include "log.h"

/* --- the packet layer ---------------------------------------------------- */

/* Largest packet payload we accept and announce (qSupported PacketSize,
 * in bytes of the raw packet between '$' and '#'). */
#define MVM_GDB_PACKET_MAX 4096

enum mvm_gdb_rx_event {
	MVM_GDB_RX_NONE,      /* byte consumed, nothing complete yet */
	MVM_GDB_RX_PACKET,    /* a whole packet: rx->buf, rx->len */
	MVM_GDB_RX_BAD_CSUM,  /* checksum wrong: answer '-' */
	MVM_GDB_RX_MALFORMED, /* too long, bad escape or run length:
				 answer '+' and an error reply */
	MVM_GDB_RX_ACK,	      /* '+' outside a packet */
	MVM_GDB_RX_NAK,	      /* '-' outside a packet */
	MVM_GDB_RX_INTERRUPT, /* 0x03 outside a packet: gdb's Ctrl-C */
};

struct mvm_gdb_rx {
	int state;    /* where in `$data#cs` we are (packet.c) */
	uint8_t sum;  /* checksum of the raw bytes so far */
	uint8_t want; /* checksum sent by gdb */
	int bad;      /* the packet is malformed: report at '#cs' */
	int prev;     /* last decoded byte (for '*'), -1 = none */
	size_t len;   /* decoded bytes in buf */
	char buf[MVM_GDB_PACKET_MAX + 1]; /* decoded payload, NUL-ended */
};

void mvm_gdb_rx_init(struct mvm_gdb_rx *rx);
/* Feed one received byte. After MVM_GDB_RX_PACKET, rx->buf holds the
 * decoded payload (rx->len bytes plus a NUL) until the next call. */
enum mvm_gdb_rx_event mvm_gdb_rx_byte(struct mvm_gdb_rx *rx, uint8_t c);

/* Frame len bytes of payload as `$data#cs`, escaping '$', '#', '}' and
 * '*' ('}' then the byte XOR 0x20). Returns the framed length (a NUL
 * follows), or -ENOSPC when cap is too small. */
int mvm_gdb_frame(const void *payload, size_t len, char *out, size_t cap);

/* --- the stub ------------------------------------------------------------ */

struct mvm_machine;
struct mvm_gdb;

struct mvm_gdb_config {
	struct mvm_machine *machine; /* the guest; vCPU 0 is debugged */
	struct mvm_log log;	     /* connection messages; zero = none */
	/* Asked whenever a blocking wait is interrupted by a signal
	 * (EINTR): non-zero ends mvm_gdb_accept/serve with -EINTR. May be
	 * NULL. */
	int (*should_stop)(void *ctx);
	void *ctx;
};

/* How a gdb session ended (mvm_gdb_serve()'s return value). */
enum mvm_gdb_end {
	MVM_GDB_DETACHED,     /* gdb said D: the guest should run on */
	MVM_GDB_KILLED,	      /* gdb said k: stop the guest */
	MVM_GDB_DISCONNECTED, /* the connection closed */
	MVM_GDB_GUEST_DONE,   /* the guest finished (DONE, HLT) */
	MVM_GDB_GUEST_FAILED, /* the guest failed (ASSERT, triple fault) */
};

int mvm_gdb_create(const struct mvm_gdb_config *cfg, struct mvm_gdb **out);
/* Closes the sockets; accepts NULL. The machine stays the caller's. */
void mvm_gdb_destroy(struct mvm_gdb *g);

/* Listen on host:port (host NULL = 127.0.0.1; port 0 = any free one).
 * Returns the port bound, or -errno. */
int mvm_gdb_listen_tcp(struct mvm_gdb *g, const char *host, int port);
/* Listen on a Unix socket at path (removed first if it is a socket). */
int mvm_gdb_listen_unix(struct mvm_gdb *g, const char *path);
/* Wait for gdb to connect: 0 or -errno. */
int mvm_gdb_accept(struct mvm_gdb *g);
/* Use an already connected socket (tests: socketpair()); the stub owns
 * it from now on. */
int mvm_gdb_attach_fd(struct mvm_gdb *g, int fd);
/* Serve the connected gdb until it detaches, kills, disconnects or the
 * guest ends: an enum mvm_gdb_end, or -errno. */
int mvm_gdb_serve(struct mvm_gdb *g);

#pragma GCC visibility pop

#endif
