/*
 * test_gdbpacket.c - the gdb stub's packet layer (gdbstub.h): framing,
 * checksums, escapes, run lengths, acks, and a battery of malformed
 * input that must end in an error event, never a crash or an overrun
 * (run under SANITIZE=1 too).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minivmm/gdbstub.h"

/* Feed n bytes; return the last event that was not NONE (NONE if all
 * were), counting packets in *npk when npk is given. */
static enum mvm_gdb_rx_event feed_n(struct mvm_gdb_rx *rx, const void *p,
				    size_t n, int *npk)
{
	enum mvm_gdb_rx_event last = MVM_GDB_RX_NONE, ev;
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		ev = mvm_gdb_rx_byte(rx, b[i]);
		if (ev != MVM_GDB_RX_NONE)
			last = ev;
		if (ev == MVM_GDB_RX_PACKET && npk)
			(*npk)++;
	}
	return last;
}

static enum mvm_gdb_rx_event feed(struct mvm_gdb_rx *rx, const char *s)
{
	return feed_n(rx, s, strlen(s), NULL);
}

static void gdb_rx_accepts_a_packet_with_a_good_checksum(void **state)
{
	struct mvm_gdb_rx rx;

	(void)state;
	mvm_gdb_rx_init(&rx);
	/* 'g' = 0x67: the checksum of "g" is 67. */
	assert_int_equal(feed(&rx, "$g#67"), MVM_GDB_RX_PACKET);
	assert_int_equal(rx.len, 1);
	assert_string_equal(rx.buf, "g");
	assert_int_equal(feed(&rx, "$qSupported#37"), MVM_GDB_RX_PACKET);
	assert_string_equal(rx.buf, "qSupported");
	assert_int_equal(feed(&rx, "$#00"), MVM_GDB_RX_PACKET); /* empty */
	assert_int_equal(rx.len, 0);
}

static void gdb_rx_reports_a_bad_checksum(void **state)
{
	struct mvm_gdb_rx rx;

	(void)state;
	mvm_gdb_rx_init(&rx);
	assert_int_equal(feed(&rx, "$g#68"), MVM_GDB_RX_BAD_CSUM);
	assert_int_equal(feed(&rx, "$g#zz"), MVM_GDB_RX_BAD_CSUM);
	assert_int_equal(feed(&rx, "$g#6"), MVM_GDB_RX_NONE);
	assert_int_equal(feed(&rx, "Q"), MVM_GDB_RX_BAD_CSUM);
	/* ... and recovers for the next one */
	assert_int_equal(feed(&rx, "$g#67"), MVM_GDB_RX_PACKET);
}

static void gdb_rx_sees_acks_and_ctrl_c_between_packets(void **state)
{
	struct mvm_gdb_rx rx;

	(void)state;
	mvm_gdb_rx_init(&rx);
	assert_int_equal(mvm_gdb_rx_byte(&rx, '+'), MVM_GDB_RX_ACK);
	assert_int_equal(mvm_gdb_rx_byte(&rx, '-'), MVM_GDB_RX_NAK);
	assert_int_equal(mvm_gdb_rx_byte(&rx, 0x03), MVM_GDB_RX_INTERRUPT);
	assert_int_equal(mvm_gdb_rx_byte(&rx, 'x'), MVM_GDB_RX_NONE);
	/* inside a packet they are data */
	assert_int_equal(feed(&rx, "$+-#58"), MVM_GDB_RX_PACKET);
	assert_string_equal(rx.buf, "+-");
}

static void gdb_rx_unescapes_and_decodes_run_lengths(void **state)
{
	struct mvm_gdb_rx rx;
	char pkt[64];

	(void)state;
	mvm_gdb_rx_init(&rx);
	/* "}\x03" is '#' (0x23 ^ 0x20); checksum over raw bytes. */
	snprintf(pkt, sizeof(pkt), "$X}%c#%02x", 0x03,
		 ('X' + '}' + 0x03) & 0xff);
	assert_int_equal(feed(&rx, pkt), MVM_GDB_RX_PACKET);
	assert_int_equal(rx.len, 2);
	assert_memory_equal(rx.buf, "X#", 2);
	/* "0* " = '0' and 32 - 29 = 3 more: "0000" */
	snprintf(pkt, sizeof(pkt), "$0* #%02x", ('0' + '*' + ' ') & 0xff);
	assert_int_equal(feed(&rx, pkt), MVM_GDB_RX_PACKET);
	assert_string_equal(rx.buf, "0000");
}

static void gdb_frame_escapes_and_round_trips(void **state)
{
	const char data[] = {'a', '$', '#', '}', '*', 0, 'z'};
	struct mvm_gdb_rx rx;
	char out[64];
	int n;

	(void)state;
	n = mvm_gdb_frame("OK", 2, out, sizeof(out));
	assert_int_equal(n, 6);
	assert_string_equal(out, "$OK#9a");
	n = mvm_gdb_frame(data, sizeof(data), out, sizeof(out));
	assert_true(n > 0);
	assert_null(memchr(out + 1, '$', (size_t)n - 1));
	mvm_gdb_rx_init(&rx);
	assert_int_equal(feed_n(&rx, out, (size_t)n, NULL), MVM_GDB_RX_PACKET);
	assert_int_equal(rx.len, sizeof(data));
	assert_memory_equal(rx.buf, data, sizeof(data));
	assert_int_equal(mvm_gdb_frame("OK", 2, out, 5), -ENOSPC);
}

/* --- the malformed-packet battery ---------------------------------------- */

static void gdb_rx_refuses_an_overlong_packet(void **state)
{
	size_t n = 3 * MVM_GDB_PACKET_MAX;
	char *big = malloc(n + 8);
	struct mvm_gdb_rx rx;
	uint8_t sum = 0;

	(void)state;
	assert_non_null(big);
	big[0] = '$';
	memset(big + 1, 'A', n);
	for (size_t i = 0; i < n; i++)
		sum += 'A';
	snprintf(big + 1 + n, 8, "#%02x", sum);
	mvm_gdb_rx_init(&rx);
	assert_int_equal(feed(&rx, big), MVM_GDB_RX_MALFORMED);
	assert_true(rx.len <= MVM_GDB_PACKET_MAX);
	free(big);
	assert_int_equal(feed(&rx, "$g#67"), MVM_GDB_RX_PACKET);
}

static void gdb_rx_refuses_a_huge_run_length(void **state)
{
	struct mvm_gdb_rx rx;
	char *pkt = malloc(3 * MVM_GDB_PACKET_MAX);
	size_t n = 0;
	uint8_t sum = 0;

	(void)state;
	assert_non_null(pkt);
	/* Each "x*~" adds 1 + 97 bytes: enough of them overflow. */
	pkt[n++] = '$';
	for (int i = 0; i < MVM_GDB_PACKET_MAX / 90; i++) {
		memcpy(pkt + n, "x*~", 3);
		sum += 'x' + '*' + '~';
		n += 3;
	}
	n += (size_t)sprintf(pkt + n, "#%02x", sum);
	mvm_gdb_rx_init(&rx);
	assert_int_equal(feed_n(&rx, pkt, n, NULL), MVM_GDB_RX_MALFORMED);
	assert_true(rx.len <= MVM_GDB_PACKET_MAX);
	free(pkt);
}

static void gdb_rx_refuses_truncated_escapes_and_bad_counts(void **state)
{
	struct mvm_gdb_rx rx;
	char pkt[32];

	(void)state;
	mvm_gdb_rx_init(&rx);
	/* '}' right before '#' */
	snprintf(pkt, sizeof(pkt), "$a}#%02x", ('a' + '}') & 0xff);
	assert_int_equal(feed(&rx, pkt), MVM_GDB_RX_MALFORMED);
	/* '*' with nothing before it */
	snprintf(pkt, sizeof(pkt), "$*#%02x", '*');
	assert_int_equal(feed(&rx, pkt), MVM_GDB_RX_MALFORMED);
	/* a count below 3 repeats ('!' = 33 - 29 = 4 is fine, ' ' - 1 not) */
	snprintf(pkt, sizeof(pkt), "$a*\x1f#%02x", ('a' + '*' + 0x1f) & 0xff);
	assert_int_equal(feed(&rx, pkt), MVM_GDB_RX_MALFORMED);
	/* a count above 126 */
	snprintf(pkt, sizeof(pkt), "$a*\xff#%02x", ('a' + '*' + 0xff) & 0xff);
	assert_int_equal(feed(&rx, pkt), MVM_GDB_RX_MALFORMED);
	/* '*' then the end of the packet */
	snprintf(pkt, sizeof(pkt), "$a*#%02x", ('a' + '*') & 0xff);
	assert_int_equal(feed(&rx, pkt), MVM_GDB_RX_MALFORMED);
	assert_int_equal(feed(&rx, "$g#67"), MVM_GDB_RX_PACKET);
}

static void gdb_rx_restarts_at_a_new_dollar(void **state)
{
	struct mvm_gdb_rx rx;

	(void)state;
	mvm_gdb_rx_init(&rx);
	assert_int_equal(feed(&rx, "$garbage$g#67"), MVM_GDB_RX_PACKET);
	assert_string_equal(rx.buf, "g");
}

/* Random bytes, with many '$', '#', '}' and '*': the receiver never
 * writes past its buffer (ASan) and its length stays in bounds. */
static void gdb_rx_survives_random_bytes(void **state)
{
	static const uint8_t special[] = {'$', '#', '}', '*', '0', 'f', 3};
	struct mvm_gdb_rx rx;
	unsigned seed = 12345;

	(void)state;
	mvm_gdb_rx_init(&rx);
	for (int i = 0; i < 2000000; i++) {
		uint8_t c;
		seed = seed * 1103515245u + 12345u;
		c = (seed >> 16) & 1 ? special[(seed >> 8) % sizeof(special)]
				     : (uint8_t)(seed >> 20);
		mvm_gdb_rx_byte(&rx, c);
		assert_true(rx.len <= MVM_GDB_PACKET_MAX);
	}
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(gdb_rx_accepts_a_packet_with_a_good_checksum),
		cmocka_unit_test(gdb_rx_reports_a_bad_checksum),
		cmocka_unit_test(gdb_rx_sees_acks_and_ctrl_c_between_packets),
		cmocka_unit_test(gdb_rx_unescapes_and_decodes_run_lengths),
		cmocka_unit_test(gdb_frame_escapes_and_round_trips),
		cmocka_unit_test(gdb_rx_refuses_an_overlong_packet),
		cmocka_unit_test(gdb_rx_refuses_a_huge_run_length),
		cmocka_unit_test(
			gdb_rx_refuses_truncated_escapes_and_bad_counts),
		cmocka_unit_test(gdb_rx_restarts_at_a_new_dollar),
		cmocka_unit_test(gdb_rx_survives_random_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
