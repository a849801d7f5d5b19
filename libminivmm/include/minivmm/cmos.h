/*
 * cmos.h - a CMOS RTC and NVRAM in the style of the Motorola MC146818A,
 * the clock chip of the IBM PC/AT. Lab 1 (task 3) writes its register
 * logic in libminivmm/src/devices/cmos.c.
 *
 * The guest sees two ports (layout.h: MVM_PORT_CMOS):
 *
 *   0x70  index (write): bits 6:0 select a register, bit 7 = 1 masks
 *         NMI (a PC chipset quirk; we remember it, nothing else)
 *   0x71  data (read/write): the register the index selects
 *
 * An index/data pair gives a device with many registers only two ports;
 * the price is that the guest must write the index before every access,
 * so each register read costs two VM exits.
 *
 * Registers (MC146818A data sheet; see also the OSDev wiki "CMOS" page):
 *
 *   0x00 seconds   0x02 minutes   0x04 hours     0x06 day of week (1 = Sun)
 *   0x07 day       0x08 month     0x09 year (00-99)
 *   0x01 0x03 0x05 alarm seconds/minutes/hours (plain storage here)
 *   0x0a status A  bit 7 UIP (update in progress; always 0 here)
 *   0x0b status B  bit 2 DM (1 = binary, 0 = BCD), bit 1 (1 = 24-hour);
 *                  in 12-hour mode bit 7 of the hours register is PM
 *   0x0c status C  interrupt flags (read-only; no interrupts modelled: 0)
 *   0x0d status D  bit 7 VRT (battery good; read-only, always set)
 *   0x32 century   (IBM PC convention, named by ACPI's FADT CENTURY field)
 *   0x0e-0x7f      battery-backed RAM ("NVRAM"), everything else
 *
 * The time registers are computed from the host's clock (UTC) on every
 * read, so there is no update cycle to race with (UIP stays 0). A guest
 * that writes a time register moves its clock: the device keeps an offset
 * from the host clock, the host clock itself is never touched.
 */
#ifndef MINIVMM_CMOS_H
#define MINIVMM_CMOS_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stdint.h>

#include "bus.h"
#include "log.h"

/* Register indices. */
#define MVM_CMOS_SECONDS  0x00
#define MVM_CMOS_MINUTES  0x02
#define MVM_CMOS_HOURS	  0x04
#define MVM_CMOS_WEEKDAY  0x06
#define MVM_CMOS_DAY	  0x07
#define MVM_CMOS_MONTH	  0x08
#define MVM_CMOS_YEAR	  0x09
#define MVM_CMOS_STATUS_A 0x0a
#define MVM_CMOS_STATUS_B 0x0b
#define MVM_CMOS_STATUS_C 0x0c
#define MVM_CMOS_STATUS_D 0x0d
#define MVM_CMOS_CENTURY  0x32
#define MVM_CMOS_NREGS	  128

/* Status bits. */
#define MVM_CMOS_A_UIP	  0x80 /* update in progress */
#define MVM_CMOS_B_24H	  0x02 /* hours 0-23 (else 1-12 + PM bit) */
#define MVM_CMOS_B_BINARY 0x04 /* values in binary (else BCD) */
#define MVM_CMOS_D_VRT	  0x80 /* valid RAM and time: battery good */
#define MVM_CMOS_HOUR_PM  0x80 /* 12-hour mode: afternoon */

/* Offsets of the two ports from MVM_PORT_CMOS. */
#define MVM_CMOS_PORT_INDEX 0
#define MVM_CMOS_PORT_DATA  1

/* The clock the device reads: seconds since 1970-01-01 UTC. */
typedef int64_t mvm_clock_fn(void *ctx);

struct mvm_cmos;
extern const struct mvm_dev_ops mvm_cmos_ops;

/*
 * Create the device. clock may be NULL (the host's real time); tests pass
 * a fixed clock. log may be NULL. Power-on state: status A 0x26, status B
 * 0x02 (BCD, 24-hour: what a PC BIOS leaves), NVRAM zero. 0 or -ENOMEM.
 */
int mvm_cmos_create(mvm_clock_fn *clock, void *ctx, const struct mvm_log *log,
		    struct mvm_cmos **dev);
void mvm_cmos_destroy(struct mvm_cmos *dev);

#pragma GCC visibility pop

#endif
