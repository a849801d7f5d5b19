/*
 * gdb_internal.h - the gdb stub's private state, shared by the files in src/gdb/.
 *
 *   packet.c   framing, checksums, escapes, run lengths, hex helpers
 *   conn.c     sockets, acks, sending and receiving packets, Ctrl-C
 *   regs.c     the register tables and g/G/p/P
 *   tdesc.c    the target description built from them
 *   cmds.c     the command dispatch: queries, memory, breakpoints
 *   exec.c     continue and step: run steps until a stop, stop replies
 *   monitor.c  `monitor` commands (qRcmd): exits, break-exit, pt, ...
 */
#ifndef MINIVMM_GDB_INTERNAL_H
#define MINIVMM_GDB_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "minivmm/gdbstub.h"

/* break-exit "any": stop at every exit that is not a debug event. */
#define GDB_BREAK_EXIT_NONE (-1)
#define GDB_BREAK_EXIT_ANY  (-2)

/* Reply buffer: a whole register file or PacketSize bytes of memory, hex
 * encoded, fit (the payload limit is what we announce). */
#define GDB_REPLY_MAX (2 * MVM_GDB_PACKET_MAX + 64)

struct mvm_gdb {
	struct mvm_gdb_config cfg;
	struct mvm_machine *m;
	struct mvm_vcpu *vcpu;	/* vCPU 0 */
	struct mvm_memmap *mem; /* guest-physical memory */
	const struct mvm_log *log;
	int lfd;			 /* listening socket, -1 = none */
	int fd;				 /* connection to gdb, -1 = none */
	int noack;			 /* QStartNoAckMode accepted */
	struct mvm_gdb_rx rx;		 /* receiver state */
	uint64_t bp[MVM_HW_BREAKPOINTS]; /* linear addresses (DR0-DR3) */
	int nbp;
	int break_exit;	      /* KVM_EXIT_* or GDB_BREAK_EXIT_* */
	int phys;	      /* m/M/X addresses are guest-physical */
	int ended;	      /* enum mvm_gdb_end + 1 once the guest ended */
	int dead;	      /* the guest failed: it cannot run again */
	int end;	      /* set when serve should return */
	struct mvm_exit last; /* last exit of the guest */
	int have_last;
	int wide;	/* this connection uses the amd64 set */
	size_t xml_len; /* the target description in xml[] */
	char xml[6144];
	/* Ctrl-C watcher (conn.c): kicks the vCPU when gdb sends a byte. */
	pthread_t watcher;
	int watching;	/* the watcher thread exists */
	int input;	/* atomic: bytes wait on fd */
	int stop_watch; /* atomic: the run is over */
	int cancel[2];	/* pipe that wakes the watcher */
	char reply[GDB_REPLY_MAX];
	char frame[2 * GDB_REPLY_MAX + 8];
};

/* packet.c */
int mvm_gdb_hexval(int c);
void mvm_gdb_hex_encode(char *out, const void *data, size_t len);
int mvm_gdb_hex_decode(void *out, const char *hex, size_t len);
int mvm_gdb_parse_hex(const char *s, const char **end, uint64_t *val);

/* conn.c */
int mvm_gdb_send(struct mvm_gdb *g, const char *payload);
int mvm_gdb_sendf(struct mvm_gdb *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int mvm_gdb_console(struct mvm_gdb *g, const char *text); /* 'O' packet */
/* Wait for the next packet: 0 with g->rx.buf filled, 1 for a Ctrl-C
 * byte, -errno (-EPIPE: the connection closed). */
int mvm_gdb_recv(struct mvm_gdb *g);
int mvm_gdb_watch_start(struct mvm_gdb *g);
/* Stop the watcher; returns 1 when gdb sent a Ctrl-C meanwhile. */
int mvm_gdb_watch_stop(struct mvm_gdb *g);

/* regs.c: one register as gdb sees it (row n = register n on the wire). */
enum mvm_gdb_reg_kind { R_GPR, R_RIP, R_FLAGS, R_SEL, R_X87, R_BASE, R_CTRL };

struct mvm_gdb_reg {
	const char *name;
	unsigned size; /* bytes on the wire */
	enum mvm_gdb_reg_kind kind;
	unsigned idx;	  /* which one of its kind */
	const char *type; /* gdb's type name for the XML */
	unsigned feature; /* index into tdesc.c's features[] */
};

/* The table this connection uses (g->wide: amd64, else i386). */
const struct mvm_gdb_reg *mvm_gdb_regs(const struct mvm_gdb *g, unsigned *n);

int mvm_gdb_read_regs(struct mvm_gdb *g, char *out);
int mvm_gdb_write_regs(struct mvm_gdb *g, const char *hex);
int mvm_gdb_read_reg(struct mvm_gdb *g, unsigned n, char *out);
int mvm_gdb_write_reg(struct mvm_gdb *g, unsigned n, const char *hex);

/* The linear address of the next instruction (CS base + RIP). */
uint64_t mvm_gdb_linear_pc(const struct kvm_sregs *s, const struct kvm_regs *r);

/* cmds.c */
int mvm_gdb_handle(struct mvm_gdb *g, char *pkt);
int mvm_gdb_mem_access(struct mvm_gdb *g, uint64_t addr, void *buf, size_t len,
		       int write);

/* exec.c */
int mvm_gdb_resume(struct mvm_gdb *g, int step);
int mvm_gdb_stop_reply(struct mvm_gdb *g, int signo);

/* tdesc.c: g->xml for this connection */
int mvm_gdb_build_xml(struct mvm_gdb *g);

/* monitor.c */
int mvm_gdb_monitor(struct mvm_gdb *g, const char *hexcmd);

#endif
