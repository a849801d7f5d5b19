/*
 * migrate_stream.c - the migration stream's framing (format in
 * migrate.h): one message is the snapshot file's section header, with
 * a sequence number where a file keeps a body offset, and a body.
 *
 * The receiver treats the stream as hostile (STYLE.md 5: whatever is on
 * the other end of a socket is as untrusted as a guest). It never
 * allocates what a header asks for: every body goes into one buffer of
 * the largest legal size, and a length over the type's bound is refused
 * before a byte of the body is read. Nothing of a message is used before
 * both crcs matched; a PAGES body is then parsed against the slots of
 * the machine it will be written to (mvm_mig_pages_check()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "migstream.h"
#include "minivmm/state.h"

int mvm_mig_conn_init(struct mig_conn *c, int fd, const struct mvm_log *log)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->log = log;
	c->buf = malloc(MIG_MAX_BODY);
	return c->buf ? 0 : -ENOMEM;
}

void mvm_mig_conn_fini(struct mig_conn *c)
{
	free(c->buf);
	c->buf = NULL;
}

void mvm_mig_conn_phase(struct mig_conn *c, unsigned phase)
{
	c->phase = phase;
	c->sent_phase = 0;
}

const char *mvm_mig_type_name(unsigned type)
{
	switch (type) {
	case MVM_MIG_HELLO:
		return "hello";
	case MVM_MIG_PAGES:
		return "pages";
	case MVM_MIG_ROUND:
		return "round";
	case MVM_MIG_ACK:
		return "ack";
	default:
		return mvm_snap_type_name(type);
	}
}

/* The largest body a message of this type may have; -1: no such type. */
static int64_t max_body(unsigned type)
{
	switch (type) {
	case MVM_MIG_HELLO:
		return sizeof(struct mig_hello);
	case MVM_MIG_PAGES:
		return MIG_MAX_BODY;
	case MVM_MIG_ROUND:
	case MVM_MIG_ACK:
	case MVM_SNAP_END:
		return 0;
	case MVM_SNAP_CONFIG:
		return sizeof(struct snap_config);
	case MVM_SNAP_VM:
		return sizeof(struct mvm_vm_state);
	case MVM_SNAP_VCPU:
		return sizeof(struct mvm_vcpu_state);
	case MVM_SNAP_DEVICE:
	case MVM_SNAP_LABMSR:
		return UINT16_MAX; /* a device blob's size is a u16 */
	default:
		return -1;
	}
}

/* The whole iovec out, or -errno. MSG_NOSIGNAL: a closed peer is
 * -EPIPE here, not a SIGPIPE that kills the source with its guest. */
static int send_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
		ssize_t done = sendmsg(fd, &msg, MSG_NOSIGNAL);

		if (done < 0 && errno == EINTR)
			continue;
		if (done < 0)
			return -errno;
		while (n > 0 && (size_t)done >= iov->iov_len) {
			done -= (ssize_t)iov->iov_len;
			iov++, n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + done;
			iov->iov_len -= (size_t)done;
		}
	}
	return 0;
}

/* The fault hook: the cable is pulled before this message. */
static void fault_due(struct mig_conn *c)
{
	if (!c->fault_after || c->phase != c->fault_phase ||
	    ++c->sent_phase != c->fault_after)
		return;
	mvm_logf(c->log, MVM_LOG_WARN,
		 "migration: fault hook: connection shut down in %s",
		 mvm_migrate_phase_name(c->phase));
	shutdown(c->fd, SHUT_RDWR);
}

int mvm_mig_sendv(struct mig_conn *c, unsigned type, unsigned flags,
		  uint64_t aux, const char *name, const struct iovec *iov,
		  int n)
{
	struct snap_sect_hdr h = {
		.type = type, .flags = flags, .aux = aux, .offset = c->seq_out};
	struct iovec v[3];
	int rc;

	if (n < 0 || n > 2)
		return -EINVAL;
	snprintf(h.name, sizeof(h.name), "%s", name);
	for (int i = 0; i < n; i++) {
		h.length += iov[i].iov_len;
		h.body_crc =
			mvm_crc32(h.body_crc, iov[i].iov_base, iov[i].iov_len);
	}
	h.hdr_crc = mvm_snap_sect_hdr_crc(&h);
	v[0] = (struct iovec){&h, sizeof(h)};
	memcpy(&v[1], iov, (size_t)n * sizeof(*iov));
	/* The hook shuts the socket down; the send below then fails as
	 * it would on a pulled cable, through the real error path. */
	fault_due(c);
	rc = send_all(c->fd, v, n + 1);
	if (rc) {
		mvm_logf(c->log, MVM_LOG_ERROR,
			 "migration: sending message %llu (%s): %s",
			 (unsigned long long)c->seq_out,
			 mvm_mig_type_name(type), strerror(-rc));
		return rc;
	}
	c->seq_out++;
	c->bytes_out += sizeof(h) + h.length;
	return 0;
}

int mvm_mig_send(struct mig_conn *c, unsigned type, unsigned flags,
		 uint64_t aux, const char *name, const void *body, size_t len)
{
	struct iovec v = {(void *)body, len};

	return mvm_mig_sendv(c, type, flags, aux, name, &v, len ? 1 : 0);
}

/* Exactly len bytes: 0, 1 when the stream ended before the first byte,
 * -ENODATA when it ended inside, -errno. */
static int read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, (char *)buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (n == 0)
			return done ? -ENODATA : 1;
		done += (size_t)n;
	}
	return 0;
}

#define MSG_ERR(c, fmt, ...)                                               \
	mvm_logf((c)->log, MVM_LOG_ERROR, "migration: message %llu: " fmt, \
		 (unsigned long long)(c)->seq_in, __VA_ARGS__)

/* A header read whole: is it one we may read a body for? */
static int check_hdr(struct mig_conn *c, struct snap_sect_hdr *h)
{
	int64_t max;

	if (h->hdr_crc != mvm_snap_sect_hdr_crc(h)) {
		MSG_ERR(c, "%s", "header checksum mismatch");
		return -EBADMSG;
	}
	h->name[sizeof(h->name) - 1] = 0;
	if (h->offset != c->seq_in) {
		MSG_ERR(c,
			"sequence number %llu (a message lost or "
			"repeated)",
			(unsigned long long)h->offset);
		return -EPROTO;
	}
	max = max_body(h->type);
	if (max < 0) {
		MSG_ERR(c, "unknown type %#x", h->type);
		return -EPROTO;
	}
	if (h->length > (uint64_t)max) {
		MSG_ERR(c, "(%s) body of %llu bytes, at most %lld allowed",
			mvm_mig_type_name(h->type),
			(unsigned long long)h->length, (long long)max);
		return -EPROTO;
	}
	return 0;
}

int mvm_mig_recv(struct mig_conn *c, struct snap_sect_hdr *h)
{
	int rc = read_full(c->fd, h, sizeof(*h));

	if (rc == 1) {
		MSG_ERR(c, "%s",
			"the connection closed (the source went "
			"away or gave up)");
		return -EPIPE;
	}
	if (rc == 0)
		rc = check_hdr(c, h);
	if (rc == 0)
		rc = read_full(c->fd, c->buf, h->length);
	if (rc == 1 || rc == -ENODATA) {
		MSG_ERR(c, "%s", "truncated: the connection closed inside it");
		return -ENODATA;
	}
	if (rc < 0) {
		if (rc != -EBADMSG && rc != -EPROTO)
			MSG_ERR(c, "receiving: %s", strerror(-rc));
		return rc;
	}
	if (mvm_crc32(0, c->buf, h->length) != h->body_crc) {
		MSG_ERR(c, "(%s) body checksum mismatch",
			mvm_mig_type_name(h->type));
		return -EBADMSG;
	}
	c->seq_in++;
	return 0;
}

int mvm_mig_pages_check(const struct snap_sect_hdr *h, const uint8_t *body,
			const struct mvm_memmap *mem, const struct mvm_log *log)
{
	uint64_t n = h->flags, data = 0;

	if (n == 0 || n > MVM_MIGRATE_BATCH || h->length < n * 8) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "migration: message %llu (pages): %llu entries in "
			 "%llu bytes",
			 (unsigned long long)h->offset, (unsigned long long)n,
			 (unsigned long long)h->length);
		return -EPROTO;
	}
	for (uint64_t i = 0; i < n; i++) {
		uint64_t e, gpa;

		memcpy(&e, body + i * 8, 8);
		gpa = e & ~MIG_PAGE_ZERO;
		if (gpa % SNAP_PAGE || !mvm_memmap_hva(mem, gpa, SNAP_PAGE)) {
			mvm_logf(log, MVM_LOG_ERROR,
				 "migration: message %llu (pages): entry %llu "
				 "GPA %#llx is not a page of guest RAM",
				 (unsigned long long)h->offset,
				 (unsigned long long)i,
				 (unsigned long long)gpa);
			return -EPROTO;
		}
		data += (e & MIG_PAGE_ZERO) ? 0 : SNAP_PAGE;
	}
	if (h->length != n * 8 + data) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "migration: message %llu (pages): %llu bytes where "
			 "its entries need %llu",
			 (unsigned long long)h->offset,
			 (unsigned long long)h->length,
			 (unsigned long long)(n * 8 + data));
		return -EPROTO;
	}
	return 0;
}

void mvm_mig_pages_apply(const struct snap_sect_hdr *h, const uint8_t *body,
			 const struct mvm_memmap *mem)
{
	const uint8_t *data = body + (uint64_t)h->flags * 8;

	for (uint64_t i = 0; i < h->flags; i++) {
		uint64_t e;
		uint8_t *dst;

		memcpy(&e, body + i * 8, 8);
		dst = mvm_memmap_hva(mem, e & ~MIG_PAGE_ZERO, SNAP_PAGE);
		if (e & MIG_PAGE_ZERO) {
			memset(dst, 0, SNAP_PAGE);
		} else {
			memcpy(dst, data, SNAP_PAGE);
			data += SNAP_PAGE;
		}
	}
}
