/*
 * edisk-rw.c - the emulated disk from the guest's side: read 4 KiB one
 * IN per 4 bytes, read it again with `rep insl`, write two sectors each
 * way, then ask for sectors past the end. Between stages the guest stops
 * at a SYNC so the host can compare its buffers with the backing file
 * and count the exits each request cost (tests/kvm/test_edisk.c):
 *
 *   SYNC {1, capacity}
 *   SYNC {2, buffer GPA, bytes}   read, EDISK_PIO_DWORD
 *   SYNC {3, buffer GPA, bytes}   read, EDISK_PIO_REP
 *   SYNC {4, first sector, n}     written, EDISK_PIO_DWORD
 *   SYNC {5, first sector, n}     written, EDISK_PIO_REP
 *   SYNC {6, error}               a read past the end, refused
 *
 * The written sectors hold 0x5a000000 | (sector << 8 | dword index).
 * Needs at least 12 sectors; the disk sits at MVM_PORT_EDISK.
 */
#include "edisk.h"

#define NREAD 8 /* 4 KiB */

static uint32_t buf[2][NREAD * 128] __attribute__((aligned(4096)));
static uint32_t wbuf[2 * 128] __attribute__((aligned(4096)));

static void sync(uint64_t stage, uint64_t a, uint64_t b)
{
	guest_ucall(MVM_UCALL_SYNC, "edisk", stage, a, b, 0);
}

static void fill(uint32_t first)
{
	for (uint32_t i = 0; i < 2 * 128; i++)
		wbuf[i] = 0x5a000000u | (first + i / 128) << 8 | (i % 128);
}

int main(void)
{
	uint32_t cap = edisk_capacity();

	sync(1, cap, 0);
	GUEST_ASSERT(cap >= 12);
	GUEST_ASSERT_EQ(edisk_read(0, NREAD, buf[0], EDISK_PIO_DWORD), 0);
	sync(2, (uintptr_t)buf[0], sizeof(buf[0]));
	GUEST_ASSERT_EQ(edisk_read(0, NREAD, buf[1], EDISK_PIO_REP), 0);
	sync(3, (uintptr_t)buf[1], sizeof(buf[1]));
	fill(8);
	GUEST_ASSERT_EQ(edisk_write(8, 2, wbuf, EDISK_PIO_DWORD), 0);
	sync(4, 8, 2);
	fill(10);
	GUEST_ASSERT_EQ(edisk_write(10, 2, wbuf, EDISK_PIO_REP), 0);
	GUEST_ASSERT_EQ(edisk_flush(), 0);
	sync(5, 10, 2);
	sync(6, (uint64_t)-edisk_read(cap - 1, 2, buf[0], EDISK_PIO_DWORD), 0);
	return 0;
}
