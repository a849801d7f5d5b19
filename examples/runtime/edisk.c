/*
 * edisk.c - guest driver of the emulated disk (see edisk.h).
 */
#include "edisk.h"

#define PORT(r)	      ((uint16_t)(MVM_PORT_EDISK + (r)))
#define DWORDS_PER_SS (MVM_EDISK_SECTOR_SIZE / 4)

uint32_t edisk_capacity(void)
{
	return inl(PORT(MVM_EDISK_CAPACITY));
}

/* Start a command; 0 or -ERROR. */
static int start(uint32_t lba, unsigned count, uint8_t cmd)
{
	outl(PORT(MVM_EDISK_SECTOR), lba);
	outw(PORT(MVM_EDISK_COUNT), (uint16_t)count);
	outb(PORT(MVM_EDISK_CMD), cmd);
	if (inb(PORT(MVM_EDISK_STATUS)) & MVM_EDISK_ST_ERR)
		return -(int)inb(PORT(MVM_EDISK_ERROR));
	return 0;
}

/* Before each sector: the device must ask for data (DRQ). */
static int wait_drq(void)
{
	uint8_t st = inb(PORT(MVM_EDISK_STATUS));

	if (st & MVM_EDISK_ST_ERR)
		return -(int)inb(PORT(MVM_EDISK_ERROR));
	return (st & MVM_EDISK_ST_DRQ) ? 0 : -MVM_EDISK_ERR_IO;
}

static void sector_in(uint32_t *p, enum edisk_mode m)
{
	unsigned long n = DWORDS_PER_SS;

	if (m == EDISK_PIO_REP) {
		/* INS stores at ES:RDI, RCX times (SDM Vol. 2A, "INS"). */
		__asm__ volatile("rep insl"
				 : "+D"(p), "+c"(n)
				 : "d"(PORT(MVM_EDISK_DATA))
				 : "memory");
		return;
	}
	for (unsigned i = 0; i < DWORDS_PER_SS; i++)
		p[i] = inl(PORT(MVM_EDISK_DATA));
}

static void sector_out(const uint32_t *p, enum edisk_mode m)
{
	unsigned long n = DWORDS_PER_SS;

	if (m == EDISK_PIO_REP) {
		__asm__ volatile("rep outsl"
				 : "+S"(p), "+c"(n)
				 : "d"(PORT(MVM_EDISK_DATA))
				 : "memory");
		return;
	}
	for (unsigned i = 0; i < DWORDS_PER_SS; i++)
		outl(PORT(MVM_EDISK_DATA), p[i]);
}

int edisk_read(uint32_t lba, unsigned count, void *buf, enum edisk_mode m)
{
	uint32_t *p = buf;
	int rc = start(lba, count, MVM_EDISK_CMD_READ);

	for (unsigned s = 0; rc == 0 && s < count; s++) {
		rc = wait_drq();
		if (rc == 0)
			sector_in(p + s * DWORDS_PER_SS, m);
	}
	return rc;
}

int edisk_write(uint32_t lba, unsigned count, const void *buf,
		enum edisk_mode m)
{
	const uint32_t *p = buf;
	int rc = start(lba, count, MVM_EDISK_CMD_WRITE);

	for (unsigned s = 0; rc == 0 && s < count; s++) {
		rc = wait_drq();
		if (rc == 0)
			sector_out(p + s * DWORDS_PER_SS, m);
	}
	if (rc == 0 && (inb(PORT(MVM_EDISK_STATUS)) & MVM_EDISK_ST_ERR))
		rc = -(int)inb(PORT(MVM_EDISK_ERROR));
	return rc;
}

int edisk_flush(void)
{
	outb(PORT(MVM_EDISK_CMD), MVM_EDISK_CMD_FLUSH);
	if (inb(PORT(MVM_EDISK_STATUS)) & MVM_EDISK_ST_ERR)
		return -(int)inb(PORT(MVM_EDISK_ERROR));
	return 0;
}
