/*
 * test_migstream.c - the live-migration stream's framing and checks,
 * without /dev/kvm (migrate.h, libminivmm/src/snapshot/migstream.h).
 *
 * Messages are written with the sender's own mvm_mig_send() into one end of
 * a socket pair and read back with mvm_mig_recv() from the other, then
 * damaged byte by byte: each kind of damage must give its own error and
 * a log line that names the message and says what is wrong. PAGES
 * bodies are checked against a memory map of 64 KiB of host memory.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../libminivmm/src/snapshot/migstream.h"
#include "capture.h"
#include "hostram.h"

#define RAM (64u << 10)

struct pair {
	int fd[2];		/* [0] sender, [1] receiver */
	struct mig_conn tx, rx; /* both ends */
	char log[4096];		/* the receiver's messages */
	size_t log_len;
};

static void log_fn(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct pair *p = ctx;

	(void)level;
	capture_append(p->log, sizeof(p->log), &p->log_len, msg, strlen(msg));
	capture_append(p->log, sizeof(p->log), &p->log_len, "\n", 1);
}

static struct pair *pair_new(void)
{
	struct pair *p = calloc(1, sizeof(*p));
	static struct mvm_log log;

	assert_non_null(p);
	log = (struct mvm_log){log_fn, p};
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p->fd), 0);
	assert_int_equal(mvm_mig_conn_init(&p->tx, p->fd[0], NULL), 0);
	assert_int_equal(mvm_mig_conn_init(&p->rx, p->fd[1], &log), 0);
	return p;
}

static void pair_free(struct pair *p)
{
	mvm_mig_conn_fini(&p->tx);
	mvm_mig_conn_fini(&p->rx);
	close(p->fd[0]);
	if (p->fd[1] >= 0)
		close(p->fd[1]);
	free(p);
}

/* Raw bytes into the stream, as a hostile sender would put them. */
static void raw(struct pair *p, const void *buf, size_t len)
{
	assert_int_equal(write(p->fd[0], buf, len), (ssize_t)len);
}

static void assert_logged(struct pair *p, const char *want)
{
	if (!strstr(p->log, want))
		fail_msg("log lacks \"%s\"; it was:\n%s", want, p->log);
}

/* A header with both crcs right. */
static struct snap_sect_hdr hdr(unsigned type, uint64_t seq, const void *body,
				uint64_t len)
{
	struct snap_sect_hdr h = {.type = type, .offset = seq, .length = len};

	h.body_crc = mvm_crc32(0, body, len);
	h.hdr_crc = mvm_snap_sect_hdr_crc(&h);
	return h;
}

static void messages_round_trip_in_order(void **state)
{
	struct pair *p = pair_new();
	struct snap_sect_hdr h;
	char blob[100];

	(void)state;
	memset(blob, 0x5a, sizeof(blob));
	assert_int_equal(mvm_mig_send(&p->tx, MVM_SNAP_DEVICE, 1, 0x3f8, "uart",
				      blob, sizeof(blob)),
			 0);
	assert_int_equal(
		mvm_mig_send(&p->tx, MVM_MIG_ROUND, 0, 0, "round", NULL, 0), 0);
	assert_int_equal(mvm_mig_recv(&p->rx, &h), 0);
	assert_int_equal(h.type, MVM_SNAP_DEVICE);
	assert_int_equal(h.aux, 0x3f8);
	assert_int_equal(h.offset, 0);
	assert_string_equal(h.name, "uart");
	assert_memory_equal(p->rx.buf, blob, sizeof(blob));
	assert_int_equal(mvm_mig_recv(&p->rx, &h), 0);
	assert_int_equal(h.type, MVM_MIG_ROUND);
	assert_int_equal(h.offset, 1);
	assert_int_equal(p->tx.bytes_out, 2 * sizeof(h) + sizeof(blob));
	pair_free(p);
}

static void damaged_header_or_body_is_a_checksum_error(void **state)
{
	struct pair *p = pair_new();
	struct snap_sect_hdr h;
	char body[8] = "abcdefg";

	(void)state;
	h = hdr(MVM_SNAP_DEVICE, 0, body, sizeof(body));
	h.aux = 1; /* after the crc: the header no longer matches */
	raw(p, &h, sizeof(h));
	assert_int_equal(mvm_mig_recv(&p->rx, &h), -EBADMSG);
	assert_logged(p, "message 0: header checksum mismatch");
	pair_free(p);

	p = pair_new();
	h = hdr(MVM_SNAP_DEVICE, 0, body, sizeof(body));
	body[3] ^= 1;
	raw(p, &h, sizeof(h));
	raw(p, body, sizeof(body));
	assert_int_equal(mvm_mig_recv(&p->rx, &h), -EBADMSG);
	assert_logged(p, "message 0: (device) body checksum mismatch");
	pair_free(p);
}

static void lost_or_repeated_message_is_refused(void **state)
{
	struct pair *p = pair_new();
	struct snap_sect_hdr h = hdr(MVM_MIG_ROUND, 1, NULL, 0);

	(void)state;
	raw(p, &h, sizeof(h)); /* message 1 where 0 is due */
	assert_int_equal(mvm_mig_recv(&p->rx, &h), -EPROTO);
	assert_logged(p, "sequence number 1 (a message lost or repeated)");
	pair_free(p);
}

static void unknown_type_and_oversized_body_are_refused(void **state)
{
	struct pair *p = pair_new();
	struct snap_sect_hdr h = hdr(0x7777, 0, NULL, 0);

	(void)state;
	raw(p, &h, sizeof(h));
	assert_int_equal(mvm_mig_recv(&p->rx, &h), -EPROTO);
	assert_logged(p, "unknown type 0x7777");
	pair_free(p);

	/* A header asking for 4 GiB of body: refused before any read. */
	p = pair_new();
	h = hdr(MVM_MIG_PAGES, 0, NULL, 0);
	h.length = 1ull << 32;
	h.hdr_crc = mvm_snap_sect_hdr_crc(&h);
	raw(p, &h, sizeof(h));
	assert_int_equal(mvm_mig_recv(&p->rx, &h), -EPROTO);
	assert_logged(p, "(pages) body of 4294967296 bytes, at most");
	pair_free(p);

	p = pair_new();
	h = hdr(MVM_MIG_ACK, 0, "x", 1); /* ACK has no body */
	raw(p, &h, sizeof(h));
	assert_int_equal(mvm_mig_recv(&p->rx, &h), -EPROTO);
	pair_free(p);
}

static void stream_cut_between_or_inside_messages(void **state)
{
	struct pair *p = pair_new();
	struct snap_sect_hdr h = hdr(MVM_SNAP_DEVICE, 0, "abcd", 4);

	(void)state;
	shutdown(p->fd[0], SHUT_WR);
	assert_int_equal(mvm_mig_recv(&p->rx, &h), -EPIPE);
	assert_logged(p, "the connection closed");
	pair_free(p);

	p = pair_new();
	h = hdr(MVM_SNAP_DEVICE, 0, "abcd", 4);
	raw(p, &h, sizeof(h));
	raw(p, "ab", 2); /* half the body, then the end */
	shutdown(p->fd[0], SHUT_WR);
	assert_int_equal(mvm_mig_recv(&p->rx, &h), -ENODATA);
	assert_logged(p, "truncated: the connection closed inside it");
	pair_free(p);

	p = pair_new();
	raw(p, &h, 10); /* a third of a header */
	shutdown(p->fd[0], SHUT_WR);
	assert_int_equal(mvm_mig_recv(&p->rx, &h), -ENODATA);
	pair_free(p);
}

/* PAGES body: entries, then the data of the non-zero ones. */
static void pages_are_checked_against_guest_ram(void **state)
{
	struct hostram *ram = hostram_new(RAM, 0x11);
	struct {
		uint64_t ent[3];
		uint8_t data[2][SNAP_PAGE];
	} b;
	struct snap_sect_hdr h = {.type = MVM_MIG_PAGES, .flags = 3};

	(void)state;
	assert_non_null(ram);
	b.ent[0] = 0x1000;
	b.ent[1] = 0x2000 | MIG_PAGE_ZERO;
	b.ent[2] = RAM - SNAP_PAGE;
	memset(b.data[0], 0xaa, SNAP_PAGE);
	memset(b.data[1], 0xbb, SNAP_PAGE);
	h.length = sizeof(b);
	assert_int_equal(
		mvm_mig_pages_check(&h, (uint8_t *)&b, &ram->mem, NULL), 0);
	mvm_mig_pages_apply(&h, (uint8_t *)&b, &ram->mem);
	assert_int_equal(ram->ram[0x1000], 0xaa);
	assert_int_equal(ram->ram[0x2000 + 100], 0);
	assert_int_equal(ram->ram[RAM - 1], 0xbb);
	assert_int_equal(ram->ram[0x3000], 0x11); /* untouched */

	/* Past the end of RAM, unaligned, a length that does not add up,
	 * no entries: each refused. */
	b.ent[2] = RAM;
	assert_int_equal(
		mvm_mig_pages_check(&h, (uint8_t *)&b, &ram->mem, NULL),
		-EPROTO);
	b.ent[2] = 0x3008;
	assert_int_equal(
		mvm_mig_pages_check(&h, (uint8_t *)&b, &ram->mem, NULL),
		-EPROTO);
	b.ent[2] = 0x3000 | MIG_PAGE_ZERO; /* one data page too many */
	assert_int_equal(
		mvm_mig_pages_check(&h, (uint8_t *)&b, &ram->mem, NULL),
		-EPROTO);
	h.flags = 0;
	assert_int_equal(
		mvm_mig_pages_check(&h, (uint8_t *)&b, &ram->mem, NULL),
		-EPROTO);
	h.flags = MVM_MIGRATE_BATCH + 1;
	assert_int_equal(
		mvm_mig_pages_check(&h, (uint8_t *)&b, &ram->mem, NULL),
		-EPROTO);
	hostram_free(ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(messages_round_trip_in_order),
		cmocka_unit_test(damaged_header_or_body_is_a_checksum_error),
		cmocka_unit_test(lost_or_repeated_message_is_refused),
		cmocka_unit_test(unknown_type_and_oversized_body_are_refused),
		cmocka_unit_test(stream_cut_between_or_inside_messages),
		cmocka_unit_test(pages_are_checked_against_guest_ram),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
