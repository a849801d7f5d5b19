/*
 * edisk.h - guest driver of the emulated disk (the host side and the
 * register map are in libminivmm/include/minivmm/edisk.h).
 *
 * The driver is what "full emulation" costs: to read a sector it writes
 * SECTOR, COUNT and CMD, checks STATUS, then moves the 512 bytes through
 * the DATA port itself. Two ways to move them:
 *
 *   EDISK_PIO_DWORD  one 4-byte IN or OUT per 4 bytes: 128 exits a sector
 *   EDISK_PIO_REP    one `rep insl` / `rep outsl` per sector: string I/O,
 *                    the middle step (a read is one exit a sector; how
 *                    many a `rep outsl` costs depends on the KVM backend)
 */
#ifndef MVM_GUEST_EDISK_H
#define MVM_GUEST_EDISK_H

#include "guest.h"
#include "minivmm/edisk.h"

enum edisk_mode {
	EDISK_PIO_DWORD,
	EDISK_PIO_REP,
};

/* The disk's size in sectors. */
uint32_t edisk_capacity(void);

/* Move count sectors (1..MVM_EDISK_MAX_COUNT) starting at lba. 0, or
 * minus the device's ERROR value (-MVM_EDISK_ERR_RANGE, ...). */
int edisk_read(uint32_t lba, unsigned count, void *buf, enum edisk_mode m);
int edisk_write(uint32_t lba, unsigned count, const void *buf,
		enum edisk_mode m);
int edisk_flush(void);

#endif
