/*
 * edisk.h - the "full emulation" disk: a tiny register-at-a-time block
 * device, the baseline Lab 4 measures virtio against.
 *
 * Real disks of the PC era (the IDE/ATA task file) were driven this way:
 * the CPU writes a few registers to start a command, then moves every
 * data word itself through one port. Under a VMM each of those port
 * accesses is a VM exit, so a 512-byte sector read with 4-byte IN costs
 * 128 exits for the data alone. That cost is the lesson; virtio's rings
 * move the same data with one notification.
 *
 * Registers (offsets from MVM_PORT_EDISK, layout.h):
 *
 *   0x0  DATA      r/w  1, 2 or 4 bytes: the next bytes of the sector
 *                       being transferred (only while STATUS.DRQ)
 *   0x4  SECTOR    r/w  32-bit LBA of the first sector of a command
 *   0x8  CAPACITY  r    32-bit size of the disk in 512-byte sectors
 *   0xc  CMD       w    1 byte: MVM_EDISK_CMD_*, starts a command
 *   0xc  STATUS    r    1 byte: MVM_EDISK_ST_*
 *   0xd  ERROR     r    1 byte: why the last command failed (_ERR_*)
 *   0xe  COUNT     r/w  16-bit number of sectors per command (1..256)
 *
 * A READ loads the first sector and sets DRQ; the guest takes 512 bytes
 * from DATA, then the next sector is loaded, until COUNT sectors are
 * done and DRQ clears. A WRITE sets DRQ; every 512 bytes the guest puts
 * into DATA are written to the file. A `rep insl` moves a whole sector in
 * one exit (string I/O: KVM hands the VMM the whole count at once; the
 * middle step between the two); `rep outsl` may still exit per element,
 * depending on the KVM backend. The status bits sit where ATA's status
 * register has them (ERR bit 0, DRQ bit 3, DRDY bit 6, BSY bit 7).
 *
 * Every command is checked: a range past CAPACITY, a COUNT of 0 or more
 * than 256, a write to a read-only disk, an unknown command all end in
 * STATUS.ERR with ERROR saying which; DATA outside a transfer reads all
 * ones and drops writes. Nothing the guest writes reaches the file
 * outside [0, CAPACITY * 512).
 *
 * Threads: the device has its own mutex (several vCPUs may poke it).
 */
#ifndef MINIVMM_EDISK_H
#define MINIVMM_EDISK_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stdint.h>

#include "bus.h"
#include "log.h"

/* Register offsets. */
#define MVM_EDISK_DATA	   0x0
#define MVM_EDISK_SECTOR   0x4
#define MVM_EDISK_CAPACITY 0x8
#define MVM_EDISK_CMD	   0xc
#define MVM_EDISK_STATUS   0xc
#define MVM_EDISK_ERROR	   0xd
#define MVM_EDISK_COUNT	   0xe

#define MVM_EDISK_SECTOR_SIZE 512
#define MVM_EDISK_MAX_COUNT   256

/* Commands (the numbers ATA gives READ SECTORS, WRITE SECTORS and FLUSH
 * CACHE). */
#define MVM_EDISK_CMD_READ  0x20
#define MVM_EDISK_CMD_WRITE 0x30
#define MVM_EDISK_CMD_FLUSH 0xe7

/* STATUS bits. */
#define MVM_EDISK_ST_ERR   0x01 /* the last command failed: see ERROR */
#define MVM_EDISK_ST_DRQ   0x08 /* DATA moves bytes now */
#define MVM_EDISK_ST_READY 0x40 /* always set: commands finish at once */

/* ERROR values. */
#define MVM_EDISK_ERR_NONE  0
#define MVM_EDISK_ERR_RANGE 1 /* SECTOR + COUNT past CAPACITY */
#define MVM_EDISK_ERR_COUNT 2 /* COUNT 0 or > MVM_EDISK_MAX_COUNT */
#define MVM_EDISK_ERR_CMD   3 /* unknown command */
#define MVM_EDISK_ERR_RO    4 /* write to a read-only disk */
#define MVM_EDISK_ERR_IO    5 /* the host's pread/pwrite/fsync failed */

struct mvm_edisk;
extern const struct mvm_dev_ops mvm_edisk_ops;

/* What the device did, for exits-per-request figures. */
struct mvm_edisk_stats {
	uint64_t commands;	  /* commands started (failed ones too) */
	uint64_t errors;	  /* commands that ended in ERR */
	uint64_t sectors_read;	  /* sectors read from the file */
	uint64_t sectors_written; /* sectors written to the file */
	uint64_t data_accesses;	  /* DATA port accesses */
	uint64_t reg_accesses;	  /* accesses to the other registers */
};

/* Open path for reading and writing (only reading when ro). The
 * capacity is the file size in whole sectors (at most 2^32 - 1); a
 * partial last sector is not part of the disk. log may be NULL.
 * 0 or -errno (the file cannot be opened, or is not a regular file). */
int mvm_edisk_create(const char *path, int ro, const struct mvm_log *log,
		     struct mvm_edisk **out);
void mvm_edisk_destroy(struct mvm_edisk *d);
void mvm_edisk_stats(struct mvm_edisk *d, struct mvm_edisk_stats *st);

#pragma GCC visibility pop

#endif
