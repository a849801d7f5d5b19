/*
 * snapshot.h - a whole machine in one file, and back.
 *
 * A snapshot is everything state.h calls "the state" of a machine
 * (machine.h), written to a file: its config, guest RAM, each vCPU's
 * full state, the VM's in-kernel devices and each emulated device's
 * blob. A restore builds a new machine from the saved config and puts
 * the state back; the guest continues from the exit it was saved at,
 * in this process or another one.
 *
 * The file format (version 2, or 3 for a file of a diff chain, below;
 * all integers little-endian, host layout for the state structs: a
 * snapshot is read back by the same build):
 *
 *   offset 0   file header, 32 bytes
 *                magic "MVMSNAP\0" | u32 version | u32 sections |
 *                u32 flags (0) | u32 reserved | u32 pad | u32 crc32 of
 *                the 28 bytes before it
 *   offset 32  section header, 64 bytes, then its body; the next header
 *              starts 8-byte aligned after the body
 *                u32 type | u32 flags | u64 aux | u64 body offset |
 *                u64 body length | char name[24] | u32 body crc32 |
 *                u32 crc32 of the 60 header bytes before it
 *   ...
 *   the last section is END (no body): a file cut at a section boundary
 *   is missing it and is refused as truncated.
 *
 *   type    name       aux          body
 *   CONFIG  "config"   0            struct of the machine's config
 *   RAM     "ram"      GPA          the slot's bytes, at a 4 KiB-aligned
 *                                   file offset (flags: MVM_MEM_*)
 *   VM      "vm"       0            struct mvm_vm_state (state.h)
 *   VCPU    "vcpu"     index        struct mvm_vcpu_state (state.h)
 *   DEVICE  dev name   bus base     the device's save() blob
 *                                   (flags: 0 port I/O, 1 MMIO)
 *           or         virtio slot  a virtio device's state (flags 2:
 *                                   virtio_state.c; the PCI bus, if
 *                                   any, is the port I/O "pci-config")
 *   LABMSR  "labmsr"   0            Lab 1's MSR blob
 *   CHAIN   "chain"    seq          version 3 only, right after CONFIG:
 *                                   u64 chain id | u32 seq | u32 the
 *                                   previous file's digest | char
 *                                   previous file's name[256]
 *   DIFF    "diff"     GPA          version 3 only, a diff's RAM, at a
 *                                   4 KiB-aligned offset: u64 n | u64
 *                                   page index[n], ascending | zeros to
 *                                   the next 4 KiB | n pages of 4096
 *   END     "end"      0            none
 *
 * Checksums are CRC-32 (the IEEE 802.3 polynomial, reflected, as zlib
 * and PNG use). Every header and every body but RAM is checked on
 * restore before the new machine is touched. RAM's body crc is defined
 * over the pages that are not all zero, as (u64 page index, 4096 bytes)
 * in order, so holes cost nothing to save or verify; it is checked only
 * with MVM_SNAP_VERIFY: reading 1 GiB would cost the fast restore.
 *
 * Diff chains (version 3). A chain is one full snapshot, seq 0, then
 * diffs 1, 2, ...: each diff holds a DIFF section per RAM slot with only
 * the pages written since the file before it (the dirty log, vm.h,
 * which the chain's start switches on: guest and VMM writes alike),
 * plus the whole CONFIG, VM, VCPU and DEVICE state. Every file of a
 * chain has a CHAIN section with the chain's random 64-bit id; a diff
 * names the file before it (a plain file name, looked up in the diff's
 * own directory) and that file's digest: the CRC-32 over all its
 * section headers in order, each without its own crc (the first 60
 * bytes), which hold every body's crc. Restoring a
 * diff opens and checks every file back to the base first (same id,
 * seq one less, digest, identical CONFIG, every DIFF page inside its
 * slot and every DIFF body's crc), then maps the base's RAM, copies
 * each diff's pages over it oldest first, and loads the last file's
 * state. A missing, foreign (another chain), edited or re-written base
 * is refused naming the file and section. Version 2 files (no chain)
 * are read as before; an older build refuses version 3 by its version.
 *
 * Fast restore: RAM is not read but mapped from the file, copy-on-write
 * (MAP_PRIVATE through mvm_vm_mem_replace_fd(), vm.h): only the pages
 * the guest touches are ever read, and its writes stay in the process.
 * A private mapping still sees later writes to the file in pages it has
 * not copied yet, so a snapshot is never written over a file: it goes to
 * a new file that is renamed over the path (other processes' mappings
 * keep the old inode), and saving onto the file a slot of the machine
 * itself maps is refused with -EBUSY.
 *
 * Virtio devices: a save waits until their threads have pushed every
 * request they popped (the machine's pause, virtio_state.c), so none is
 * half-done in the file; the disk's data stays in its own file (the
 * config records its path).
 *
 * Errors: 0 or -errno, with the log naming the section at fault:
 * -ENOEXEC foreign magic, -EPROTONOSUPPORT another version, -EBADMSG a
 * checksum, -ENODATA truncated, -EINVAL a section that contradicts the
 * config. A failed restore leaves no machine behind.
 */
#ifndef MINIVMM_SNAPSHOT_H
#define MINIVMM_SNAPSHOT_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stddef.h>
#include <stdint.h>

#include "machine.h"

#define MVM_SNAP_MAGIC	       "MVMSNAP"
#define MVM_SNAP_VERSION       2 /* a snapshot outside a diff chain */
#define MVM_SNAP_VERSION_CHAIN 3 /* a file of a diff chain */

/* Section types. */
enum mvm_snap_type {
	MVM_SNAP_END = 0,
	MVM_SNAP_CONFIG = 1,
	MVM_SNAP_RAM = 2,
	MVM_SNAP_VM = 3,
	MVM_SNAP_VCPU = 4,
	MVM_SNAP_DEVICE = 5,
	MVM_SNAP_LABMSR = 6,
	MVM_SNAP_CHAIN = 7,
	MVM_SNAP_DIFF = 8,
	MVM_SNAP_TYPES
};

/* A DEVICE section's flags: where the device is. */
#define MVM_SNAP_DEV_PIO    0 /* aux: its port */
#define MVM_SNAP_DEV_MMIO   1 /* aux: its address */
#define MVM_SNAP_DEV_VIRTIO 2 /* aux: its layout.h virtio slot */

/* Restore flags. */
#define MVM_SNAP_VERIFY (1u << 0) /* check RAM's crc too */
#define MVM_SNAP_COPY	(1u << 1) /* read RAM into memfd RAM, don't map */

/* Name of a section type ("config", "ram", ...) for messages. */
const char *mvm_snap_type_name(unsigned type);

/* CRC-32 of buf, continuing from crc (0 to start). */
uint32_t mvm_crc32(uint32_t crc, const void *buf, size_t len);

/*
 * Save machine m to path. m must not run: not started, or paused
 * (mvm_machine_pause()) by the caller. Every vCPU is first settled
 * (a KVM_RUN with immediate_exit, api.rst "KVM_RUN": an I/O or MMIO
 * exit completes only when the vCPU re-enters), so a save right after
 * an I/O exit holds the finished instruction. Written to path.tmp and
 * renamed; -EBUSY when path is a file a slot of m maps.
 */
int mvm_snapshot_save(struct mvm_machine *m, const char *path);

/*
 * Build a machine from the snapshot at path and load its state. base
 * gives what a file cannot hold (output and log callbacks, trace; the
 * rest is taken from the file; may be NULL). flags: MVM_SNAP_*.
 * 0 and *out, or -errno (the log names the section) and *out NULL.
 */
int mvm_snapshot_restore(const char *path,
			 const struct mvm_machine_config *base, unsigned flags,
			 struct mvm_machine **out);

/*
 * Diff chains. mvm_snapshot_chain_begin() saves m to path as a chain's
 * full base (as mvm_snapshot_save() does, same rules) and switches the
 * dirty log on for every slot; each mvm_snapshot_chain_next() saves a
 * diff of the pages written since the previous file of the chain to its
 * own path (the previous file must stay where it is, under its name).
 * A failed next leaves the chain as it was: the next one still has
 * every page. mvm_snapshot_restore() follows a chain by itself. A
 * chain holds m's dirty log alone (collecting clears it): begin is
 * refused with -EBUSY when a slot already logs, and so are a second
 * chain and a live migration of m until the chain ends.
 * mvm_snapshot_chain_end() switches off the logging begin switched on
 * (m paused or not started, as for a save) and frees the chain.
 */
struct mvm_snap_chain;
int mvm_snapshot_chain_begin(struct mvm_machine *m, const char *path,
			     struct mvm_snap_chain **out);
int mvm_snapshot_chain_next(struct mvm_snap_chain *ch, const char *path);
void mvm_snapshot_chain_end(struct mvm_snap_chain *ch);
/* Diffs written so far (the seq of the last file). */
unsigned mvm_snapshot_chain_seq(const struct mvm_snap_chain *ch);

#pragma GCC visibility pop

#endif
