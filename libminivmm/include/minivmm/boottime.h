/*
 * boottime.h - a Linux boot's timeline, from what its console shows.
 *
 * A Linux boot passes milestones a VMM can see from outside: the kernel
 * prints a known line when it gets there ("VFS: Mounted root", "Run
 * /init", ...). Feed this module the console's bytes with the time they
 * arrived and the exits so far, and it records when each milestone was
 * first seen. `mvm run --kernel --stats` feeds it from the UART; `make
 * bench-linux` feeds it QEMU's serial console, so both VMMs are timed by
 * the same patterns, matched the same way (a milestone is the first
 * complete line that contains its text).
 *
 * One milestone is not on the console: where the decompressed kernel
 * starts. A bzImage is a self-extracting program (linux.h); its
 * decompressor prints nothing unless the kernel was built with
 * CONFIG_X86_VERBOSE_BOOTUP and told a port, and the kernel proper
 * prints its first line ("Linux version") into a buffer that reaches
 * ttyS0 only when the serial console registers, late in start_kernel().
 * So the console shows neither the end of decompression nor the kernel's
 * first printk. A VMM can see the former another way (run_linux.c sets
 * an execute breakpoint on it, Intel SDM Vol. 3B 18.2) and tells this
 * module with mvm_boot_timeline_mark().
 *
 * The library keeps no clock here: callers pass the time, so the same
 * code times a KVM_RUN loop, a pipe from another process, or a test.
 */
#ifndef MINIVMM_BOOTTIME_H
#define MINIVMM_BOOTTIME_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stddef.h>
#include <stdint.h>

/* In boot order; a boot shows some of them (an initramfs boot never
 * mounts root=, a kernel on a software backend may panic at /init). */
enum mvm_boot_milestone {
	MVM_BOOT_KERNEL_ENTRY, /* decompressed; the kernel proper runs */
	MVM_BOOT_FIRST_LINE,   /* ttyS0 registered: the log so far */
	MVM_BOOT_VIRTIO_BLK,   /* "virtio_blk virtio": the disk found */
	MVM_BOOT_ROOT_MOUNTED, /* "VFS: Mounted root" */
	MVM_BOOT_INIT,	       /* "Run /": the first user program */
	MVM_BOOT_PANIC,	       /* "Kernel panic" */
	MVM_BOOT_RESET,	       /* "reboot: Restarting system" */
	MVM_BOOT_MILESTONES
};

#define MVM_BOOT_LINE_MAX 512 /* console bytes kept for one line */

/* One boot's timeline. Zero it (or mvm_boot_timeline_init()) first. */
struct mvm_boot_timeline {
	char line[MVM_BOOT_LINE_MAX];	  /* the line being received */
	size_t len;			  /* its bytes so far */
	int seen[MVM_BOOT_MILESTONES];	  /* 1 once reached */
	double at_s[MVM_BOOT_MILESTONES]; /* seconds, as the caller counts */
	uint64_t at_exits[MVM_BOOT_MILESTONES]; /* exits then (caller's) */
};

/* "root mounted", ...; NULL outside the enum. */
const char *mvm_boot_milestone_name(enum mvm_boot_milestone m);

/* The console text that marks m, "" for the first line, NULL for a
 * milestone the console does not show (MVM_BOOT_KERNEL_ENTRY). */
const char *mvm_boot_milestone_text(enum mvm_boot_milestone m);

void mvm_boot_timeline_init(struct mvm_boot_timeline *tl);

/*
 * Console bytes that arrived at now_s with `exits` exits so far. Each
 * completed line ('\n'; '\r' is dropped; a line longer than the buffer
 * is matched by its first MVM_BOOT_LINE_MAX - 1 bytes) marks every
 * milestone it shows that was not seen yet. Returns how many
 * milestones this call marked.
 */
int mvm_boot_timeline_feed(struct mvm_boot_timeline *tl, const char *buf,
			   size_t len, double now_s, uint64_t exits);

/* Mark m reached at now_s unless it was already; 1 if this marked it. */
int mvm_boot_timeline_mark(struct mvm_boot_timeline *tl,
			   enum mvm_boot_milestone m, double now_s,
			   uint64_t exits);

#pragma GCC visibility pop

#endif
