/*
 * linux.h - booting a Linux kernel: the x86 boot protocol.
 *
 * A PC boot loader (GRUB, a VMM) and the kernel agree on one contract,
 * the Linux/x86 boot protocol (Documentation/arch/x86/boot.rst in the
 * kernel source; "boot.rst" below). minivmm implements its 64-bit form:
 *
 *   bzImage = [boot sector + real-mode setup][protected-mode kernel]
 *              ^ (setup_sects + 1) * 512     ^ loaded at 1 MiB;
 *                bytes, with the "setup        startup_64 is 0x200 into it
 *                header" at 0x1f1              (it decompresses itself)
 *
 *   1. Check the setup header (boot.rst "The Real-Mode Kernel Header"):
 *      boot_flag 0xAA55, the "HdrS" magic, protocol version >= 2.06,
 *      setup_sects (0 means 4), LOADED_HIGH in loadflags, and the sizes.
 *   2. Copy the protected-mode kernel to 1 MiB (code32_start).
 *   3. Build the "zero page", struct boot_params (boot.rst "The
 *      Zero Page" and Documentation/arch/x86/zero-page.rst): the setup
 *      header copied from the file and filled in by the loader, the e820
 *      memory map (from the machine's memory slots), the command line
 *      (cmd_line_ptr, at most cmdline_size bytes) and the initrd
 *      (ramdisk_image/size, placed as high as possible but below
 *      initrd_addr_max, boot.rst "Details of Header Fields").
 *   4. Enter at code32_start + 0x200 in 64-bit mode (boot.rst "64-bit
 *      Boot Protocol"): paging on with the kernel, zero page and command
 *      line identity-mapped, a GDT whose 0x10 is flat 64-bit code and 0x18
 *      flat data (__BOOT_CS, __BOOT_DS), interrupts off, %rsi = the zero
 *      page. minivmm's long mode (modes.h) is exactly that.
 *
 * An uncompressed vmlinux (an ELF file) is loaded by its PT_LOAD headers
 * (loader.h) and entered the same way at its ELF entry (phys_startup_64),
 * which skips the decompressor; the zero page then carries a setup
 * header minivmm writes itself.
 *
 * Everything comes from the user and is checked before anything is
 * written to guest memory: a truncated or corrupt kernel, a wrong magic,
 * an absurd field -> -ENOEXEC; a command line over the kernel's limit ->
 * -E2BIG; a kernel or initrd that needs more RAM than the machine has ->
 * -EFBIG; an initrd that does not fit between the kernel and the top of
 * RAM (or initrd_addr_max) -> -ENOSPC. The log names the field and the
 * numbers.
 */
#ifndef MINIVMM_LINUX_H
#define MINIVMM_LINUX_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "memory.h"

struct mvm_machine;

/* Offsets in the zero page and in a bzImage file (the setup header sits
 * at the same offset in both: boot.rst "The Real-Mode Kernel Header";
 * zero-page.rst for the rest). */
#define MVM_BP_E820_ENTRIES	0x1e8 /* u8: entries in the e820 table */
#define MVM_BP_SETUP_SECTS	0x1f1 /* u8: real-mode sectors (0 = 4) */
#define MVM_BP_SYSSIZE		0x1f4 /* u32: protected-mode size / 16 */
#define MVM_BP_BOOT_FLAG	0x1fe /* u16: 0xAA55 */
#define MVM_BP_JUMP		0x200 /* u16: a short jmp over the header */
#define MVM_BP_HEADER		0x202 /* u32: "HdrS" */
#define MVM_BP_VERSION		0x206 /* u16: protocol version, 0x0206 ... */
#define MVM_BP_TYPE_OF_LOADER	0x210 /* u8: 0xff = undefined loader */
#define MVM_BP_LOADFLAGS	0x211 /* u8: LOADED_HIGH, CAN_USE_HEAP, ... */
#define MVM_BP_CODE32_START	0x214 /* u32: protected-mode entry/load */
#define MVM_BP_RAMDISK_IMAGE	0x218 /* u32: initrd address */
#define MVM_BP_RAMDISK_SIZE	0x21c /* u32: initrd bytes */
#define MVM_BP_CMD_LINE_PTR	0x228 /* u32: command line address */
#define MVM_BP_INITRD_ADDR_MAX	0x22c /* u32: highest initrd byte */
#define MVM_BP_KERNEL_ALIGNMENT 0x230 /* u32: (relocatable) alignment */
#define MVM_BP_RELOCATABLE	0x234 /* u8: kernel may be moved */
#define MVM_BP_XLOADFLAGS	0x236 /* u16: XLF_KERNEL_64, ... */
#define MVM_BP_CMDLINE_SIZE	0x238 /* u32: max command line bytes */
#define MVM_BP_PREF_ADDRESS	0x258 /* u64: preferred load address */
#define MVM_BP_INIT_SIZE	0x260 /* u32: bytes needed to boot */
#define MVM_BP_E820_TABLE	0x2d0 /* 128 x {u64 addr, u64 size, u32} */
#define MVM_BP_SIZE		0x1000

#define MVM_BOOT_FLAG	     0xaa55
#define MVM_BOOT_HDRS	     0x53726448u /* "HdrS", little-endian */
#define MVM_BOOT_VERSION_MIN 0x0206	 /* cmdline_size appears */
#define MVM_LOADED_HIGH	     0x01	 /* loadflags bit 0 */
#define MVM_XLF_KERNEL_64    0x01	 /* xloadflags bit 0 (2.12+) */
#define MVM_E820_RAM	     1		 /* e820 type: usable RAM */
#define MVM_E820_RESERVED    2		 /* e820 type: reserved */
#define MVM_E820_MAX	     128	 /* entries in the zero page */
/* The 64-bit entry, startup_64, is this far into the protected-mode
 * kernel (boot.rst "64-bit Boot Protocol"). */
#define MVM_BZIMAGE_ENTRY64  0x200
/* Real-mode setup plus boot sector must fit below X + 0x8000 (boot.rst
 * "Memory Layout": "Kernel setup" up to X+08000), so at most 63 setup
 * sectors after the boot sector. */
#define MVM_SETUP_SECTS_MAX  63

/* What mvm_bzimage_parse() read from a bzImage's setup header. */
struct mvm_bzimage {
	uint16_t version;	  /* protocol version, e.g. 0x020f */
	unsigned setup_sects;	  /* real-mode sectors (0 in file -> 4) */
	size_t setup_size;	  /* (setup_sects + 1) * 512: file offset of
				     the protected-mode kernel */
	size_t kernel_size;	  /* protected-mode bytes in the file */
	size_t hdr_end;		  /* end of the setup header (0x202 + jump) */
	uint8_t loadflags;	  /* as in the file */
	uint16_t xloadflags;	  /* 2.12+, else 0 */
	int relocatable;	  /* 2.05+ relocatable_kernel */
	uint32_t kernel_align;	  /* 2.05+, else 0 */
	uint32_t initrd_addr_max; /* 2.03+ */
	uint32_t cmdline_size;	  /* 2.06+: longest command line */
	uint64_t pref_address;	  /* 2.10+, else 1 MiB */
	uint32_t init_size;	  /* 2.10+, else kernel_size */
};

/* Check a bzImage's setup header; 0 and *out, or -ENOEXEC naming the
 * field in the log. Writes nothing anywhere. */
int mvm_bzimage_parse(const void *img, size_t len, struct mvm_bzimage *out,
		      const struct mvm_log *log);

/* A kernel to boot: the image (bzImage or vmlinux ELF) and its extras. */
struct mvm_linux_config {
	const void *kernel;   /* the whole file */
	size_t kernel_len;    /* its bytes */
	const void *initrd;   /* initramfs/initrd, or NULL */
	size_t initrd_len;    /* its bytes (0: none) */
	const char *cmdline;  /* the kernel command line; NULL = "" */
	uint64_t boot_params; /* zero page GPA; 0 = MVM_LINUX_BOOT_PARAMS */
	uint64_t cmdline_gpa; /* command line GPA; 0 = MVM_LINUX_CMDLINE */
};

enum mvm_linux_kind {
	MVM_LINUX_BZIMAGE, /* boot protocol image, decompresses itself */
	MVM_LINUX_VMLINUX, /* ELF, entered directly */
};

/* Where mvm_linux_load() put things, for the vCPU and for messages. */
struct mvm_linux_info {
	enum mvm_linux_kind kind;
	uint16_t version;	       /* boot protocol (vmlinux: written) */
	uint64_t entry;		       /* 64-bit entry: first RIP */
	uint64_t boot_params;	       /* zero page GPA: %rsi at entry */
	uint64_t kernel_lo, kernel_hi; /* RAM the kernel needs to boot */
	uint64_t initrd_gpa;	       /* 0 when there is no initrd */
	uint64_t initrd_len;	       /* bytes */
	uint64_t cmdline_gpa;	       /* where the command line is */
	size_t cmdline_len;	       /* its bytes without the NUL */
	int e820_entries;	       /* entries in the zero page's map */
};

/*
 * Validate and load a kernel, its initrd and command line into the guest
 * memory `mem`, and write the zero page. RAM is what mem's slots are
 * (read-only slots become reserved e820 entries). Nothing is written
 * until everything was checked. 0 and *info, or -errno (see above).
 */
int mvm_linux_load(struct mvm_memmap *mem, const struct mvm_linux_config *cfg,
		   struct mvm_linux_info *info, const struct mvm_log *log);

/*
 * Boot a kernel on a machine: mvm_linux_load() into its RAM, then vCPU 0
 * in long mode at the 64-bit entry with %rsi = the zero page (the other
 * vCPUs stay in their reset state: Linux wakes them itself, by INIT/SIPI,
 * when it knows of them). Not while the machine runs (-EBUSY).
 */
int mvm_machine_load_linux(struct mvm_machine *m,
			   const struct mvm_linux_config *cfg,
			   struct mvm_linux_info *info);

#pragma GCC visibility pop

#endif
