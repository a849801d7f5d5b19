/*
 * virtio_devs.h - the virtio devices minivmm has: block, entropy and
 * console (virtio 1.2, 5.2, 5.4, 5.3), and how a machine gets them.
 *
 * Each device is a struct mvm_virtio_dev (virtio.h) plus its own state;
 * mvm_virtio_*_dev() gives the former to a transport (virtio_mmio.h, or
 * virtio-pci). A machine built with config.virtio set makes them itself
 * (mvm_machine_virtio() reaches them); tests may make one by hand.
 *
 *   virtio-blk      a file as a disk of 512-byte sectors: read, write,
 *                   flush, get-id; read-only refuses writes with
 *                   VIRTIO_BLK_S_IOERR; every request is bounds-checked
 *                   against the capacity; requests are served on the
 *                   device's own I/O thread, never a vCPU's.
 *   virtio-rng      bytes from getrandom(2) into every buffer offered.
 *   virtio-console  one port: what the guest transmits goes to the
 *                   machine's output callback; mvm_virtio_console_input()
 *                   hands it keystrokes.
 */
#ifndef MINIVMM_VIRTIO_DEVS_H
#define MINIVMM_VIRTIO_DEVS_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stddef.h>
#include <stdint.h>

#include "devices.h"
#include "virtio.h"

/* --- virtio-blk (5.2) ------------------------------------------------------ */

struct mvm_virtio_blk;
/* Open path (read-only if ro) as a disk of size / 512 sectors and start
 * the I/O thread. 0 or -errno (logged through ctx->log). */
int mvm_virtio_blk_create(const struct mvm_dev_ctx *ctx, const char *path,
			  int ro, struct mvm_virtio_blk **out);
void mvm_virtio_blk_destroy(struct mvm_virtio_blk *b);
struct mvm_virtio_dev *mvm_virtio_blk_dev(struct mvm_virtio_blk *b);
/* Capacity in sectors, and requests served so far. */
uint64_t mvm_virtio_blk_capacity(const struct mvm_virtio_blk *b);
uint64_t mvm_virtio_blk_requests(const struct mvm_virtio_blk *b);

/* --- virtio-rng (5.4) ------------------------------------------------------ */

struct mvm_virtio_rng;
int mvm_virtio_rng_create(const struct mvm_dev_ctx *ctx,
			  struct mvm_virtio_rng **out);
void mvm_virtio_rng_destroy(struct mvm_virtio_rng *r);
struct mvm_virtio_dev *mvm_virtio_rng_dev(struct mvm_virtio_rng *r);

/* --- virtio-console (5.3) -------------------------------------------------- */

struct mvm_virtio_console;
/* out(out_ctx, ...) gets what the guest writes (NULL: dropped). */
int mvm_virtio_console_create(const struct mvm_dev_ctx *ctx, mvm_output_fn *out,
			      void *out_ctx,
			      struct mvm_virtio_console **out_con);
void mvm_virtio_console_destroy(struct mvm_virtio_console *c);
struct mvm_virtio_dev *mvm_virtio_console_dev(struct mvm_virtio_console *c);
/* Give the guest len bytes of input: into receive buffers it offered,
 * the rest kept (up to 256 bytes) until it offers more. Returns the
 * bytes taken; any thread but a vCPU's. On a machine, waits while the
 * machine is paused (so never call it from the thread that paused it). */
size_t mvm_virtio_console_input(struct mvm_virtio_console *c, const char *buf,
				size_t len);

/* --- virtio-balloon (5.5) ------------------------------------------------- */

struct mvm_virtio_balloon;
int mvm_virtio_balloon_create(const struct mvm_dev_ctx *ctx,
			      struct mvm_virtio_balloon **out);
void mvm_virtio_balloon_destroy(struct mvm_virtio_balloon *b);
struct mvm_virtio_dev *mvm_virtio_balloon_dev(struct mvm_virtio_balloon *b);
/* Ask the guest to hold `pages` 4 KiB pages in its balloon: config
 * num_pages, then a configuration change interrupt (5.5.6). */
void mvm_virtio_balloon_set_target(struct mvm_virtio_balloon *b,
				   uint32_t pages);
struct mvm_virtio_balloon_info {
	uint32_t target;   /* num_pages asked for */
	uint32_t actual;   /* what the driver says it holds (config) */
	uint64_t inflated; /* pages the guest gave back */
	uint64_t deflated; /* pages it took back */
	uint64_t stats[MVM_VIRTIO_BALLOON_S_NR]; /* by tag, last report */
	uint64_t nstats;			 /* reports received */
};
void mvm_virtio_balloon_info(struct mvm_virtio_balloon *b,
			     struct mvm_virtio_balloon_info *info);
/* Ask for fresh statistics: return the buffer the driver left in the
 * statsq (5.5.6.3). 0, or -EAGAIN when the device holds none. */
int mvm_virtio_balloon_request_stats(struct mvm_virtio_balloon *b);

/* --- in a machine (config.virtio, machine.h) ------------------------------ */

/* config.virtio bits: which devices the machine gets. */
#define MVM_VIRTIO_DEV_BLK     (1u << 0) /* needs config.disk */
#define MVM_VIRTIO_DEV_RNG     (1u << 1)
#define MVM_VIRTIO_DEV_CONSOLE (1u << 2)
#define MVM_VIRTIO_DEV_BALLOON (1u << 3)

/* config.virtio_transport. */
#define MVM_VIRTIO_TRANSPORT_MMIO 0
#define MVM_VIRTIO_TRANSPORT_PCI  1 /* virtio-pci on a PCI host bridge */

/* A machine's virtio devices (members NULL when not configured). */
struct mvm_virtio_mmio;
struct mvm_pci;
struct mvm_virtio_pci;
struct mvm_machine_virtio {
	struct mvm_virtio_blk *blk;
	struct mvm_virtio_rng *rng;
	struct mvm_virtio_console *console;
	struct mvm_virtio_balloon *balloon;
	struct mvm_virtio_mmio *mmio[4]; /* by layout.h slot */
	struct mvm_pci *pci;		 /* PCI transport: the host bridge */
	struct mvm_virtio_pci *vpci[4];	 /* PCI transport, by layout.h slot */
	int fast;			 /* ioeventfd/irqfd in use */
};
/* NULL when the machine has no virtio devices. */
const struct mvm_machine_virtio *mvm_machine_virtio(struct mvm_machine *m);

/* One line per queue of each device: "virtio-blk q0: 3 kicks, 3
 * requests, 3 interrupts" (for --stats). What snprintf returns. */
int mvm_machine_virtio_stats(struct mvm_machine *m, char *buf, size_t size);

/* Words for a Linux command line announcing the machine's virtio-mmio
 * devices, space-separated ("" if none). What snprintf returns. */
int mvm_machine_virtio_cmdline(struct mvm_machine *m, char *buf, size_t size);

#pragma GCC visibility pop

#endif
