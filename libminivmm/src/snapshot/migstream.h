/*
 * migstream.h - the migration stream's messages (migrate.h describes
 * the format): framing, checking and page batches, shared by the
 * source (migrate_send.c) and the target (migrate_recv.c). The parser
 * needs no /dev/kvm: tests/fuzz/fuzz_migstream.c drives it on bytes.
 */
#ifndef MINIVMM_MIGSTREAM_H
#define MINIVMM_MIGSTREAM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "minivmm/memory.h"
#include "minivmm/migrate.h"
#include "snapfile.h"

/* The largest body of any message: a full PAGES batch. */
#define MIG_MAX_BODY  (MVM_MIGRATE_BATCH * (8u + SNAP_PAGE))
/* PAGES entry: bit 0 of the GPA says "all zero, no data follows". */
#define MIG_PAGE_ZERO 1ull

/* HELLO's body. */
struct mig_hello {
	char magic[8];	    /* MVM_MIGRATE_MAGIC, NUL-padded */
	uint32_t version;   /* MVM_MIGRATE_VERSION */
	uint32_t page_size; /* SNAP_PAGE */
};

/* One end of a migration stream. */
struct mig_conn {
	int fd;			   /* the socket (or, for tests, a file) */
	uint64_t seq_out, seq_in;  /* next sequence numbers */
	uint64_t bytes_out;	   /* sent so far */
	uint8_t *buf;		   /* received body (MIG_MAX_BODY) */
	const struct mvm_log *log; /* where errors go */
	/* The test-only fault hook (migrate.h, mvm_migrate_params). */
	unsigned phase;	      /* current phase */
	unsigned fault_phase; /* the phase to fail in */
	unsigned fault_after; /* its message to fail at, 1-based; 0 off */
	unsigned sent_phase;  /* messages sent in the current phase */
};

/* 0 or -ENOMEM; mvm_mig_conn_fini() frees. */
int mvm_mig_conn_init(struct mig_conn *c, int fd, const struct mvm_log *log);
void mvm_mig_conn_fini(struct mig_conn *c);
/* Enter a phase (resets the fault hook's count). */
void mvm_mig_conn_phase(struct mig_conn *c, unsigned phase);

/* Name of a message type, stream-only or snapshot section. */
const char *mvm_mig_type_name(unsigned type);

/* Send one message whose body is the concatenation of iov[0..n). */
int mvm_mig_sendv(struct mig_conn *c, unsigned type, unsigned flags,
		  uint64_t aux, const char *name, const struct iovec *iov,
		  int n);
int mvm_mig_send(struct mig_conn *c, unsigned type, unsigned flags,
		 uint64_t aux, const char *name, const void *body, size_t len);

/*
 * Receive and check one message: header crc, sequence number, a known
 * type, the length within the type's bound, the body crc. *h is the
 * header, c->buf the body (valid until the next call). 0 or -errno:
 * -EPIPE the stream ended between messages, -ENODATA inside one,
 * -EBADMSG a checksum, -EPROTO anything else wrong.
 */
int mvm_mig_recv(struct mig_conn *c, struct snap_sect_hdr *h);

/* Parse a received PAGES body against mem: every entry page aligned,
 * inside a slot, the length exact. 0 or -EPROTO (logged). */
int mvm_mig_pages_check(const struct snap_sect_hdr *h, const uint8_t *body,
			const struct mvm_memmap *mem,
			const struct mvm_log *log);
/* Copy a checked PAGES body into guest memory. */
void mvm_mig_pages_apply(const struct snap_sect_hdr *h, const uint8_t *body,
			 const struct mvm_memmap *mem);

/* --- the source (migrate_send.c: rounds; migrate_src.c: the rest) ----- */

struct mvm_migrate {
	struct mvm_machine *m;		 /* the source machine */
	struct mvm_migrate_params p;	 /* with defaults filled in */
	struct mig_conn c;		 /* the stream */
	struct mvm_migrate_stats st;	 /* the numbers */
	struct snap_dirtyset d;		 /* dirty pages, not sent yet */
	uint64_t ent[MVM_MIGRATE_BATCH]; /* the batch's entries */
	uint8_t *data;			 /* and its pages */
	unsigned n, ndata;		 /* entries, pages in them */
	atomic_int cancel;		 /* mvm_migrate_cancel() */
	uint64_t t_start, t_collect;	 /* create; last log collected */
	double bw;			 /* best bytes/ns seen */
	uint64_t round_t0, round_b0;	 /* this round: start, bytes sent */
	double rate; /* MiB/s dirtied, at the last collect */
};

/* Monotonic nanoseconds. */
uint64_t mvm_mig_now_ns(void);
/* Send the batch being filled. */
int mvm_mig_flush(struct mvm_migrate *mg, unsigned round);
/* The pending set out as PAGES of `round`, bits cleared as pages go. */
int mvm_mig_send_pending(struct mvm_migrate *mg, unsigned round);
/* Every slot's dirty log ORed into the pending set: pages in it, or
 * -errno. Sets rate (the pages new to the set per second since the
 * last collect) and t_collect. */
int64_t mvm_mig_collect(struct mvm_migrate *mg);

#endif
