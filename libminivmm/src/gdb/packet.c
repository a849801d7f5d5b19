/*
 * packet.c - the GDB remote protocol's packet layer (gdb manual, appendix
 * "Remote Protocol", sections "Overview" and "Packets").
 *
 * On the wire a packet is `$` data `#` two hex digits; the digits are the
 * sum of the raw data bytes modulo 256. Inside data:
 *
 *   '}' x    escape: the byte is x ^ 0x20 ('$', '#', '}' and '*' must be
 *            sent this way)
 *   c '*' n  run length: c repeated n - 29 more times (n printable, so
 *            at least 3 repeats); the checksum covers the raw bytes
 *
 * Outside a packet, '+' and '-' acknowledge, and 0x03 is gdb's Ctrl-C.
 *
 * The receiver is a byte-at-a-time state machine so that a hostile or
 * broken peer cannot make it read past anything: every byte is checked,
 * the buffer never grows past MVM_GDB_PACKET_MAX, and a packet that is
 * too long or malformed is read to its end and reported, not acted on.
 */
#include <errno.h>
#include <string.h>

#include "gdb_internal.h"

enum rx_state {
	RX_IDLE,  /* between packets */
	RX_DATA,  /* after '$' */
	RX_ESC,	  /* after '}' */
	RX_RLE,	  /* after '*' */
	RX_CSUM1, /* after '#' */
	RX_CSUM2, /* after the first checksum digit */
};

/* Run lengths: n - 29 repeats, n from '#'+... ; the manual excludes '#'
 * and '$' as counts and requires n <= 126 (printable). */
#define RLE_BIAS 29
#define RLE_MIN	 3

void mvm_gdb_rx_init(struct mvm_gdb_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
	rx->state = RX_IDLE;
	rx->prev = -1;
}

int mvm_gdb_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void start_packet(struct mvm_gdb_rx *rx)
{
	rx->state = RX_DATA;
	rx->sum = 0;
	rx->bad = 0;
	rx->len = 0;
	rx->prev = -1;
}

/* One decoded byte; past the buffer the packet is only marked bad. */
static void put(struct mvm_gdb_rx *rx, uint8_t c)
{
	if (rx->len >= MVM_GDB_PACKET_MAX) {
		rx->bad = 1;
		return;
	}
	rx->buf[rx->len++] = (char)c;
	rx->prev = c;
}

static void run_length(struct mvm_gdb_rx *rx, uint8_t n)
{
	int count = (int)n - RLE_BIAS;

	if (rx->prev < 0 || n > 126 || count < RLE_MIN) {
		rx->bad = 1;
		return;
	}
	while (count-- > 0 && !rx->bad)
		put(rx, (uint8_t)rx->prev);
}

static enum mvm_gdb_rx_event idle_byte(struct mvm_gdb_rx *rx, uint8_t c)
{
	switch (c) {
	case '$':
		start_packet(rx);
		return MVM_GDB_RX_NONE;
	case '+':
		return MVM_GDB_RX_ACK;
	case '-':
		return MVM_GDB_RX_NAK;
	case 0x03:
		return MVM_GDB_RX_INTERRUPT;
	default: /* noise between packets is ignored */
		return MVM_GDB_RX_NONE;
	}
}

/* The second checksum digit ends the packet. */
static enum mvm_gdb_rx_event finish(struct mvm_gdb_rx *rx, uint8_t c)
{
	int lo = mvm_gdb_hexval(c);

	rx->state = RX_IDLE;
	rx->buf[rx->len < MVM_GDB_PACKET_MAX ? rx->len : MVM_GDB_PACKET_MAX] =
		'\0';
	if (lo < 0 || rx->bad == 2)
		return MVM_GDB_RX_BAD_CSUM;
	rx->want |= (uint8_t)lo;
	if (rx->want != rx->sum)
		return MVM_GDB_RX_BAD_CSUM;
	return rx->bad ? MVM_GDB_RX_MALFORMED : MVM_GDB_RX_PACKET;
}

enum mvm_gdb_rx_event mvm_gdb_rx_byte(struct mvm_gdb_rx *rx, uint8_t c)
{
	int hi;

	switch (rx->state) {
	case RX_IDLE:
		return idle_byte(rx, c);
	case RX_DATA:
		if (c == '#') {
			rx->state = RX_CSUM1;
		} else if (c == '$') { /* a new start: the old one is lost */
			start_packet(rx);
		} else {
			rx->sum += c;
			if (c == '}')
				rx->state = RX_ESC;
			else if (c == '*')
				rx->state = RX_RLE;
			else
				put(rx, c);
		}
		return MVM_GDB_RX_NONE;
	case RX_ESC:
	case RX_RLE:
		if (c == '#' || c == '$') { /* truncated escape / count */
			rx->bad = 1;
			rx->state = RX_DATA;
			return mvm_gdb_rx_byte(rx, c);
		}
		rx->sum += c;
		if (rx->state == RX_ESC)
			put(rx, c ^ 0x20);
		else
			run_length(rx, c);
		rx->state = RX_DATA;
		return MVM_GDB_RX_NONE;
	case RX_CSUM1:
		hi = mvm_gdb_hexval(c);
		if (hi < 0)
			rx->bad = 2; /* not a checksum: ask again */
		rx->want = (uint8_t)((hi < 0 ? 0 : hi) << 4);
		rx->state = RX_CSUM2;
		return MVM_GDB_RX_NONE;
	default:
		return finish(rx, c);
	}
}

static int needs_escape(uint8_t c)
{
	return c == '$' || c == '#' || c == '}' || c == '*';
}

int mvm_gdb_frame(const void *payload, size_t len, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = payload;
	uint8_t sum = 0;
	size_t n = 0;

	if (cap < 5)
		return -ENOSPC;
	out[n++] = '$';
	for (size_t i = 0; i < len; i++) {
		if (n + 2 + 4 > cap)
			return -ENOSPC;
		if (needs_escape(p[i])) {
			out[n++] = '}';
			sum += '}';
			out[n++] = (char)(p[i] ^ 0x20);
			sum += (uint8_t)(p[i] ^ 0x20);
		} else {
			out[n++] = (char)p[i];
			sum += p[i];
		}
	}
	out[n++] = '#';
	out[n++] = hex[sum >> 4];
	out[n++] = hex[sum & 15];
	out[n] = '\0';
	return (int)n;
}

/* --- hex helpers shared by the commands --------------------------------- */

void mvm_gdb_hex_encode(char *out, const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * len] = '\0';
}

int mvm_gdb_hex_decode(void *out, const char *hex, size_t len)
{
	uint8_t *p = out;

	for (size_t i = 0; i < len; i++) {
		int hi = mvm_gdb_hexval((unsigned char)hex[2 * i]);
		int lo = hi < 0 ? -1
				: mvm_gdb_hexval((unsigned char)hex[2 * i + 1]);
		if (lo < 0)
			return -EINVAL;
		p[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* A hex number ending at any non-hex character; *end points there.
 * -EINVAL for no digits or more than 16. */
int mvm_gdb_parse_hex(const char *s, const char **end, uint64_t *val)
{
	uint64_t v = 0;
	int n = 0, d;

	while ((d = mvm_gdb_hexval((unsigned char)s[n])) >= 0) {
		if (n == 16)
			return -EINVAL;
		v = v << 4 | (uint64_t)d;
		n++;
	}
	if (n == 0)
		return -EINVAL;
	*val = v;
	if (end)
		*end = s + n;
	return 0;
}
