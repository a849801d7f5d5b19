/*
 * fuzz_gdbpkt.c - the gdb stub's receive side: whatever arrives on the
 * socket goes byte by byte through mvm_gdb_rx_byte() (framing, checksum,
 * '}' escapes, '*' run lengths), and each packet's arguments through the
 * hex helpers the commands use (addresses, lengths, register values).
 *
 * The other end of the socket is anyone who can connect (loopback by
 * default, gdbstub.h), so every byte is hostile. Input: the byte stream.
 * A packet must come out NUL-ended and within MVM_GDB_PACKET_MAX; every
 * parse must stay inside it. Round trip: a packet framed again with
 * mvm_gdb_frame() must decode to the same payload.
 */
#include "fuzz.h"
#include "minivmm/gdbstub.h"
#include "../../libminivmm/src/gdb/gdb_internal.h"

static char framed[2 * MVM_GDB_PACKET_MAX + 8];

/* "m addr,len" and friends: hex numbers separated by anything. */
static void parse_args(const char *p)
{
	const char *end;
	uint64_t v;

	while (*p) {
		if (mvm_gdb_parse_hex(p, &end, &v) == 0 && end > p)
			p = end;
		else
			p++;
	}
}

static void round_trip(const struct mvm_gdb_rx *rx)
{
	struct mvm_gdb_rx again;
	enum mvm_gdb_rx_event ev = MVM_GDB_RX_NONE;
	int n = mvm_gdb_frame(rx->buf, rx->len, framed, sizeof(framed));

	if (n < 0)
		abort(); /* any payload the receiver accepts can be framed */
	mvm_gdb_rx_init(&again);
	for (int i = 0; i < n; i++)
		ev = mvm_gdb_rx_byte(&again, (uint8_t)framed[i]);
	if (ev != MVM_GDB_RX_PACKET || again.len != rx->len ||
	    memcmp(again.buf, rx->buf, rx->len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mvm_gdb_rx rx;
	uint8_t bin[MVM_GDB_PACKET_MAX / 2 + 1];

	mvm_gdb_rx_init(&rx);
	for (size_t i = 0; i < size; i++) {
		if (mvm_gdb_rx_byte(&rx, data[i]) != MVM_GDB_RX_PACKET)
			continue;
		if (rx.len > MVM_GDB_PACKET_MAX || rx.buf[rx.len] != '\0')
			abort();
		parse_args(rx.buf);
		/* 'M addr,len:XX...' / 'G XX...': hex payloads. */
		(void)mvm_gdb_hex_decode(
			bin, rx.buf,
			rx.len / 2 < sizeof(bin) ? rx.len / 2 : sizeof(bin));
		round_trip(&rx);
	}
	return 0;
}
