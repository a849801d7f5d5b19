/*
 * crc32.c - the snapshot file's checksums: CRC-32 and the crcs of its
 * headers and of guest RAM (snapshot.h).
 *
 * CRC-32 here is the common one (IEEE 802.3, also zlib's and PNG's):
 * polynomial 0x04C11DB7 processed bit-reversed (0xEDB88320), initial
 * value and final XOR all ones. table[0] holds the 256 one-byte steps;
 * table[k][b] is byte b's contribution k bytes further on, so eight
 * bytes fold into the crc with eight lookups and no dependency chain
 * between them ("slicing by 8", Kounavis and Berry, Intel, 2005): about
 * 4x the byte-at-a-time speed, which is what a RAM-sized save needs.
 */
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "snapfile.h"

static uint32_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void table_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int k = 1; k < 8; k++)
			table[k][i] = (table[k - 1][i] >> 8) ^
				      table[0][table[k - 1][i] & 0xff];
}

uint32_t mvm_crc32(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	pthread_once(&table_once, table_init);
	crc = ~crc;
	for (; len >= 8; len -= 8, p += 8) {
		uint32_t lo, hi;

		memcpy(&lo, p, 4); /* x86: little-endian */
		memcpy(&hi, p + 4, 4);
		lo ^= crc;
		crc = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^
		      table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24] ^
		      table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^
		      table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
	}
	while (len--)
		crc = table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

uint32_t mvm_snap_file_hdr_crc(const struct snap_file_hdr *h)
{
	return mvm_crc32(0, h, offsetof(struct snap_file_hdr, crc));
}

uint32_t mvm_snap_sect_hdr_crc(const struct snap_sect_hdr *s)
{
	return mvm_crc32(0, s, offsetof(struct snap_sect_hdr, hdr_crc));
}

int mvm_snap_page_is_zero(const uint8_t *p)
{
	const uint64_t *w = (const uint64_t *)p;

	for (unsigned i = 0; i < SNAP_PAGE / 8; i++)
		if (w[i])
			return 0;
	return 1;
}

uint32_t mvm_snap_ram_crc(const uint8_t *hva, uint64_t len)
{
	uint32_t crc = 0;

	for (uint64_t off = 0; off + SNAP_PAGE <= len; off += SNAP_PAGE) {
		uint64_t index = off / SNAP_PAGE;

		if (mvm_snap_page_is_zero(hva + off))
			continue;
		crc = mvm_crc32(crc, &index, sizeof(index));
		crc = mvm_crc32(crc, hva + off, SNAP_PAGE);
	}
	return crc;
}

static const char *const type_names[] = {
	[MVM_SNAP_END] = "end",	      [MVM_SNAP_CONFIG] = "config",
	[MVM_SNAP_RAM] = "ram",	      [MVM_SNAP_VM] = "vm",
	[MVM_SNAP_VCPU] = "vcpu",     [MVM_SNAP_DEVICE] = "device",
	[MVM_SNAP_LABMSR] = "labmsr", [MVM_SNAP_CHAIN] = "chain",
	[MVM_SNAP_DIFF] = "diff",
};
_Static_assert(sizeof(type_names) / sizeof(type_names[0]) == MVM_SNAP_TYPES,
	       "one name per section type");

const char *mvm_snap_type_name(unsigned type)
{
	return type < MVM_SNAP_TYPES ? type_names[type] : "unknown";
}
